"""The stock-and-flow scheduler behind the synthetic returns.

Cases, child protection plans, periods of care, private fostering arrangements and care leavers
are *spells*: each opens on a day, is held by a team (and may move between teams), and closes on
a day or stays open. :func:`schedule` creates spells month by month so that, at the end of every
month, **each team holds exactly its target number** of open spells, **each team opens exactly
its target number**, and Kent closes exactly what the targets imply (or each team its own number
in months where the council published one). Which spells close is decided by each spell's
planned length (drawn when it opens), so lengths are realistic; what the planned lengths cannot
reconcile is reconciled by moving spells between teams (a child in care moving from a district
team to a children in care team, for instance), preferring teams in the same area.

Days are integers (days since 1970-01-01); every draw comes from the generator passed in, so the
same seed gives the same spells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Durations = Callable[[np.random.Generator, np.ndarray], np.ndarray]


def day_of(value) -> int:
    """Days since 1970-01-01 of a date.

    Examples
    --------
    >>> day_of("1970-01-02"), day_of(pd.Timestamp("2016-08-31"))
    (1, 17044)
    """
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


def days_to_timestamps(days) -> pd.Series:
    """Integer days (−1 or NaN for none) as a datetime Series (NaT for none)."""
    d = pd.Series(days, dtype="float64")
    out = pd.to_datetime(d.where(d >= 0), unit="D")
    return out.astype("datetime64[ns]")


@dataclass
class Months:
    """The months of the window: their labels and first and last days."""

    periods: pd.PeriodIndex
    first_day: np.ndarray = field(init=False)
    last_day: np.ndarray = field(init=False)

    def __post_init__(self):
        self.first_day = np.array([day_of(p.start_time) for p in self.periods], dtype=np.int64)
        self.last_day = np.array([day_of(p.end_time.normalize()) for p in self.periods], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.periods)

    def index(self, label: str) -> int:
        return int(self.periods.get_loc(pd.Period(label, "M")))


@dataclass
class Spells:
    """The result of :func:`schedule`: one row per spell, and its team segments."""

    spells: pd.DataFrame  # spell, team (first), start, end (-1 open), planned_end
    segments: pd.DataFrame  # spell, team, from_day (a spell's segments in order)
    shortfalls: list[str] = field(default_factory=list)
    added: np.ndarray | None = None  # spells opened beyond the starts asked for, by month (stocks rising faster)


def _days_in_month(rng: np.random.Generator, months: Months, m: int, n: int) -> np.ndarray:
    """``n`` days of month ``m``, weekdays five times as likely as weekend days."""
    days = np.arange(months.first_day[m], months.last_day[m] + 1)
    weekday = (days + 3) % 7
    w = np.where(weekday < 5, 1.0, 0.2)
    return np.sort(rng.choice(days, size=n, p=w / w.sum())) if n else np.empty(0, dtype=np.int64)


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers in proportion to ``weights`` that add up to ``total`` exactly.

    Examples
    --------
    >>> largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist()
    [4, 3, 3]
    """
    weights = np.asarray(weights, dtype=float)
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = weights / weights.sum() * total
    out = np.floor(raw).astype(np.int64)
    rest = int(total - out.sum())
    order = np.argsort(-(raw - out), kind="stable")
    out[order[:rest]] += 1
    return out


def schedule(rng: np.random.Generator, months: Months, stock0: np.ndarray, stock: np.ndarray, starts: np.ndarray,
             durations: Durations, *, team_ends: dict[int, np.ndarray] | None = None,
             affinity: np.ndarray | None = None, name: str = "spells") -> Spells:
    """Create spells that meet the targets; see the module docstring.

    Parameters
    ----------
    rng
        Random generator (every draw comes from it).
    months
        The window's months.
    stock0
        Open spells per team at the start of the window (they opened before it).
    stock
        Target open spells per team at the end of each month, shape (teams, months).
    starts
        Spells to open per team in each month, shape (teams, months).
    durations
        ``f(rng, teams) -> planned lengths in days`` for new spells held by those teams.
    team_ends
        For some months (key: month number), the spells each team closes; the rest of the
        month's closures are chosen county-wide.
    affinity
        (teams, teams) preference of moving a spell from one team to another (e.g. 1 within an
        area, 0.01 across); uniform when None.
    name
        Used in shortfall messages.

    Returns
    -------
    Spells
    """
    n_teams, n_months = stock.shape
    start_list: list[np.ndarray] = []
    planned_list: list[np.ndarray] = []
    team_list: list[np.ndarray] = []
    # initial spells, opened before the window: lengths as open spells have them (length-biased: a long
    # spell is more likely to be open on a given day), and an age uniform in the length
    teams0 = np.repeat(np.arange(n_teams), stock0)
    cand_teams = np.repeat(teams0, 4)
    cand = durations(rng, cand_teams).reshape(len(teams0), 4) if len(teams0) else np.zeros((0, 4), dtype=np.int64)
    w = np.maximum(cand, 1).astype(float)
    choice = (rng.random(len(teams0))[:, None] * w.sum(axis=1, keepdims=True) < np.cumsum(w, axis=1)).argmax(axis=1)
    d0 = cand[np.arange(len(teams0)), choice] if len(teams0) else np.empty(0, dtype=np.int64)
    age = np.floor(rng.random(len(teams0)) * np.maximum(d0, 1)).astype(np.int64)
    s0 = months.first_day[0] - 1 - age
    start_list.append(s0)
    planned_list.append(np.maximum(s0 + d0, months.first_day[0]))
    team_list.append(teams0)
    n = len(teams0)
    end = np.full(n, -1, dtype=np.int64)
    last_event = s0.copy()
    current_team = teams0.copy()
    seg_spell, seg_team, seg_from = [np.arange(n)], [teams0.copy()], [s0.copy()]
    shortfalls: list[str] = []
    added = np.zeros(n_months, dtype=np.int64)

    def grow(k: int) -> None:
        nonlocal end, last_event, current_team
        end = np.concatenate([end, np.full(k, -1, dtype=np.int64)])
        last_event = np.concatenate([last_event, np.zeros(k, dtype=np.int64)])
        current_team = np.concatenate([current_team, np.zeros(k, dtype=np.int64)])

    for m in range(n_months):
        label = str(months.periods[m])
        # 1. starts
        new_teams = np.repeat(np.arange(n_teams), np.maximum(starts[:, m], 0))
        k = len(new_teams)
        if k:
            order = rng.permutation(k)
            new_days = _days_in_month(rng, months, m, k)[order]
            d = durations(rng, new_teams)
            start_list.append(new_days)
            planned_list.append(new_days + d)
            team_list.append(new_teams)
            grow(k)
            idx = np.arange(n, n + k)
            last_event[idx] = new_days
            current_team[idx] = new_teams
            seg_spell.append(idx)
            seg_team.append(new_teams.copy())
            seg_from.append(new_days.copy())
            n += k
        planned = np.concatenate(planned_list)
        is_open = end < 0
        # 2. ends: per team where given, else county-wide by earliest planned end
        counts = np.bincount(current_team[is_open], minlength=n_teams)
        to_close_total = int(counts.sum() - stock[:, m].sum())
        chosen: list[np.ndarray] = []
        if team_ends is not None and m in team_ends:
            want = np.asarray(team_ends[m], dtype=np.int64)
            for j in range(n_teams):
                cand = np.flatnonzero(is_open & (current_team == j))
                take = min(int(want[j]), len(cand))
                if take < want[j]:
                    shortfalls.append(f"{name} {label}: team {j} could close {take} of {int(want[j])}")
                chosen.append(cand[np.argsort(planned[cand], kind="stable")[:take]])
            done = int(sum(len(c) for c in chosen))
            extra = to_close_total - done
            if extra > 0:  # the published ends fall short of what the stocks imply: close more county-wide
                closed = np.zeros(n, dtype=bool)
                closed[np.concatenate(chosen) if chosen else []] = True
                cand = np.flatnonzero(is_open & ~closed)
                chosen.append(cand[np.argsort(planned[cand], kind="stable")[:extra]])
            elif extra < 0:
                shortfalls.append(f"{name} {label}: the published ends exceed what the stocks imply by {-extra}")
        elif to_close_total > 0:
            cand = np.flatnonzero(is_open)
            chosen.append(cand[np.argsort(planned[cand], kind="stable")[:to_close_total]])
        elif to_close_total < 0:
            # the stocks rise by more than the starts: open more, at the teams furthest below target
            extra_n = -to_close_total
            gap = stock[:, m] - counts
            extra_teams = np.repeat(np.arange(n_teams), largest_remainder(extra_n, np.maximum(gap, 0).astype(float)
                                                                          if (gap > 0).any() else np.ones(n_teams)))
            d = durations(rng, extra_teams)
            days = _days_in_month(rng, months, m, len(extra_teams))
            start_list.append(days)
            planned_list.append(days + d)
            team_list.append(extra_teams)
            grow(len(extra_teams))
            idx = np.arange(n, n + len(extra_teams))
            last_event[idx] = days
            current_team[idx] = extra_teams
            seg_spell.append(idx)
            seg_team.append(extra_teams.copy())
            seg_from.append(days.copy())
            n += len(extra_teams)
            added[m] += len(extra_teams)
            planned = np.concatenate(planned_list)
        closing = np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64)
        if len(closing):
            lo = np.maximum(months.first_day[m], last_event[closing])
            hi = months.last_day[m]
            inside = (planned[closing] >= lo) & (planned[closing] <= hi)
            # a spell closed before or after its planned day closes on a random day of the month
            anyday = lo + np.floor(rng.random(len(closing)) * (hi - lo + 1)).astype(np.int64)
            end[closing] = np.where(inside, planned[closing], anyday)
        # 3. moves between teams to meet each team's stock
        is_open = end < 0
        counts = np.bincount(current_team[is_open], minlength=n_teams)
        gap = stock[:, m] - counts
        movers: list[int] = []
        sources: list[int] = []
        for j in np.flatnonzero(gap < 0):
            cand = np.flatnonzero(is_open & (current_team == j) & (last_event < months.last_day[m]))
            take = min(-int(gap[j]), len(cand))
            pick = rng.choice(cand, size=take, replace=False) if take else np.empty(0, dtype=np.int64)
            movers += pick.tolist()
            sources += [j] * take
        need = np.maximum(gap, 0).astype(np.int64)
        for spell, src in zip(movers, sources, strict=True):
            if need.sum() == 0:
                break
            pref = (affinity[src] if affinity is not None else np.ones(n_teams)) * (need > 0)
            if pref.sum() <= 0:
                pref = (need > 0).astype(float)
            dest = int(rng.choice(n_teams, p=pref / pref.sum()))
            need[dest] -= 1
            lo = max(months.first_day[m], last_event[spell] + 1)
            when = int(rng.integers(lo, months.last_day[m] + 1))
            current_team[spell] = dest
            last_event[spell] = when
            seg_spell.append(np.array([spell]))
            seg_team.append(np.array([dest]))
            seg_from.append(np.array([when]))
        if need.sum() > 0:
            shortfalls.append(f"{name} {label}: {int(need.sum())} more open spells wanted than could be moved")
    spells = pd.DataFrame({"spell": np.arange(n), "team": np.concatenate(team_list),
                           "start": np.concatenate(start_list),
                           "end": end, "planned_end": np.concatenate(planned_list)})
    segments = pd.DataFrame({"spell": np.concatenate(seg_spell), "team": np.concatenate(seg_team),
                             "from_day": np.concatenate(seg_from)})
    segments = segments.sort_values(["spell", "from_day"], kind="stable").reset_index(drop=True)
    return Spells(spells, segments, shortfalls, added)


def open_at(spells: pd.DataFrame, segments: pd.DataFrame, day: int, n_teams: int) -> np.ndarray:
    """Open spells per team at the end of ``day`` (for checks and the calibration)."""
    s = spells[(spells["start"] <= day) & ((spells["end"] < 0) | (spells["end"] > day))]
    seg = segments[segments["spell"].isin(s["spell"]) & (segments["from_day"] <= day)]
    team = seg.groupby("spell")["team"].last()
    return np.bincount(team.to_numpy(), minlength=n_teams)


__all__ = ["schedule", "Spells", "Months", "largest_remainder", "day_of", "days_to_timestamps", "open_at"]
