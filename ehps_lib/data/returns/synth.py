"""Deterministic synthetic statutory returns, calibrated to what Kent published for August 2016.

Real CIN census and SSDA903 returns describe real children and are never in the workspace, so
it ships this generator. The same seed and window give identical files. Everything it makes is
marked synthetic: children are ``SYNS`` + 6 digits, UPNs use the non-existent LA number 999, the
CIN header's software code says so, and ``extract.json`` carries ``"synthetic": true``.

Public functions: :func:`generate_returns` (typed tables of the contract), :func:`write_returns`
(the files a council would export: the CIN census XML, the SSDA903 as CSV tables, the supplement
as CSV, and ``extract.json``; the only function here that writes). The calibration report, which
computes every published figure from the synthetic returns with the indicator engine, is
:mod:`ehps_lib.indicators.scs_calibration` (``ehps synth-returns --report``).

The model
---------
1. **Targets** (:func:`plan`). For each team of the seed's activity table (and, for what the
   areas' and Kent's totals hold beyond the listed teams, one unlisted team per area and one
   county-wide) and each kind of spell (child protection plans, non-UASC and UASC periods of
   care, private fostering, care leavers, and other open cases), the number open at the end
   of every month and the number starting in it. August 2016 and July 2016 are the seed's
   figures ("this month", "last month", starts and ends by team); other months follow Kent-wide
   paths (:data:`KENT_PATHS`, below) shared out as in August 2016. Other open cases are the
   caseload less everything else; their starts are the referrals less those that open plans
   and periods of care.
2. **Spells** (:func:`ehps_lib.data.returns.schedule.schedule`): every team's stock and starts
   are met exactly each month; closures follow planned lengths; moves between teams (a child
   in care moving from a district team to a children in care team) reconcile the rest.
3. **Records.** Each spell becomes its child's CIN census episode (referral, assessment,
   section 47 enquiry and conference, child protection plan and reviews, CIN plan), its
   SSDA903 period of care (episodes: placements and legal statuses, reviews, missing
   episodes, adoption), its allocations (team and social worker) and the supplement's dated
   activities. Dates of birth are set last, so that every child is the right age for the
   spells they are in (under 18 while looked after; 18 on becoming a care leaver).
4. **Rates.** Each indicator's underlying flag (an assessment in time, a child seen, a
   review held, ...) is set by exact quotas: in every month along a path through the council's
   published "1 year ago", "1 month ago" and latest values, and, in August 2016, so that the
   numerator over the synthetic denominator reproduces the published rate (for Kent, and for
   each area and for children excluding UASC where the council published them), never
   crossing a RAG boundary the published figure is on the other side of.

What cannot be reproduced: figures the council printed that contradict one another (for
example Kent's child protection plans, 1,092 + 100 starts − 48 ends = 1,144, not 1,145), and
denominators that depend on how long children have been in care and how old they are, which
are calibrated approximately. The calibration report prints every figure beside its synthetic
value with its tolerance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ... import __version__
from .. import io
from . import DEFAULT_END, DEFAULT_SEED, DEFAULT_START  # noqa: F401 - the defaults, as before
from . import published as pub
from . import xml as rxml
from .calendar import bank_holidays
from .contract import TABLES, empty_table
from .schedule import Months, day_of, days_to_timestamps, largest_remainder, schedule

REF = pd.Period(pub.MONTH, "M")
LA_NUMBER = "886"  # Kent's LA number, in the CIN header (the UPNs use 999, which no LA has)

# -- teams ----------------------------------------------------------------------------------------------
#: (team_id, name, type, area, service, listed, label in the seed's activity table or None)
TEAMS: tuple[tuple, ...] = (
    ("CSWT-ASH", "Ashford CSWT", "CSWT", "SOUTH", None, True, "Asford CSWT"),
    ("CSWT-CAN", "Canterbury CSWT", "CSWT", "EAST", None, True, "Canterbury CSWT"),
    ("CSWT-DAR", "Dartford CSWT", "CSWT", "NORTH", None, True, "Dartford CSWT"),
    ("CSWT-DOV", "Dover CSWT", "CSWT", "SOUTH", None, True, "Dover CSWT"),
    ("CSWT-GRA", "Gravesham CSWT", "CSWT", "NORTH", None, True, "Gravesham CSWT"),
    ("CSWT-MAI", "Maidstone CSWT", "CSWT", "WEST", None, True, "Maidstone CSWT"),
    ("CSWT-SEV", "Sevenoaks CSWT", "CSWT", "NORTH", None, True, "Sevenoaks CSWT"),
    ("CSWT-SHE", "Shepway CSWT", "CSWT", "SOUTH", None, True, "Shepway CSWT"),
    ("CSWT-SWA", "Swale CSWT", "CSWT", "EAST", None, True, "Swale CSWT"),
    ("CSWT-THM", "Thanet Margate CSWT", "CSWT", "EAST", None, True, "Thanet Margate CSWT"),
    ("CSWT-THR", "Thanet Ramsgate CSWT", "CSWT", "EAST", None, True, "Thanet Ramsgate CSWT"),
    ("CSWT-WEA", "The Weald CSWT", "CSWT", "WEST", None, True, "The Weald CSWT"),
    ("CIC-NK", "North Kent CIC", "CIC", "NORTH", None, True, "North Kent CIC"),
    ("CIC-EKCS", "East Kent (Can/Swa) CIC", "CIC", "EAST", None, True, "East Kent (Can/Swa) CIC"),
    ("CIC-EKT", "East Kent (Tha) CIC", "CIC", "EAST", None, True, "East Kent (Tha) CIC"),
    ("CIC-SK", "South Kent CIC", "CIC", "SOUTH", None, True, "South Kent CIC"),
    ("CIC-WK", "West Kent CIC", "CIC", "WEST", None, True, "West Kent CIC"),
    ("SUASC", "SUASC Service", "SUASC", "COUNTY", None, True, "SUASC Service"),
    ("DIS-EK", "Disability EK", "DISABILITY", "COUNTY", "Disability Service", True, "Disability EK"),
    ("DIS-WK", "Disability WK", "DISABILITY", "COUNTY", "Disability Service", True, "Disability WK"),
    ("ADOPT", "Adoption & SG", "ADOPTION", "COUNTY", None, True, "Adoption & SG"),
    ("CLS", "Care Leaver Service (18+)", "CARE_LEAVERS", "COUNTY", None, True, "Care Leaver Service (18+)"),
    ("OTH-NORTH", "North Kent: other teams", "OTHER", "NORTH", None, False, None),
    ("OTH-EAST", "East Kent: other teams", "OTHER", "EAST", None, False, None),
    ("OTH-SOUTH", "South Kent: other teams", "OTHER", "SOUTH", None, False, None),
    ("OTH-WEST", "West Kent: other teams", "OTHER", "WEST", None, False, None),
    ("OTH-COUNTY", "County: other teams", "OTHER", "COUNTY", None, False, None),
    ("FOST-EK", "Fostering East Kent", "FOSTERING", "COUNTY", None, False, None),
    ("FOST-WK", "Fostering West Kent", "FOSTERING", "COUNTY", None, False, None),
)
TEAM_IDS = [t[0] for t in TEAMS]
TEAM_INDEX = {t: i for i, t in enumerate(TEAM_IDS)}
TEAM_TYPE = np.array([t[2] for t in TEAMS])
TEAM_AREA = np.array([t[3] for t in TEAMS])
AREA_LABELS = {"NORTH": "North Kent", "EAST": "East Kent", "SOUTH": "South Kent", "WEST": "West Kent"}

#: Columns of the activity table used as targets, by the kind of spell they count.
COL = {name: pub.ACTIVITY_COLUMNS.index(name) for name in pub.ACTIVITY_COLUMNS}

#: Kent-wide paths between August 2016's figures and earlier months (linear between knots; the
#: knots in August and July 2016 are the seed's, the others are assumptions chosen to agree with
#: the rolling 12-month figures: e.g. CP plans in August 2015 = 1,145 + 1,362 ends - 1,275 starts).
KENT_PATHS: dict[str, tuple[tuple[str, float], ...]] = {
    "caseload": (("2013-03", 9500), ("2015-08", 9750), ("2016-06", 9720), ("2016-07", 9711), ("2016-08", 9444)),
    "cp": (("2013-03", 1120), ("2014-08", 1180), ("2015-08", 1232), ("2016-03", 1130), ("2016-07", 1092),
           ("2016-08", 1145)),
    "lac_n": (("2013-03", 1500), ("2015-08", 1554), ("2016-07", 1447), ("2016-08", 1448)),
    "lac_u": (("2013-03", 110), ("2014-03", 150), ("2015-03", 220), ("2015-07", 300), ("2015-10", 560),
              ("2016-01", 820), ("2016-04", 850), ("2016-07", 801), ("2016-08", 798)),
    "pf": (("2013-03", 28), ("2016-07", 24), ("2016-08", 25)),
    "cl": (("2013-03", 780), ("2015-08", 950), ("2016-07", 1103), ("2016-08", 1099)),
    "referrals": (("2013-03", 1290), ("2015-08", 1330), ("2016-08", 1330)),
    # C&F assessments: 16,833 in the 12 months to August 2016, 1,478 of them in August
    "assessments": (("2013-03", 1300), ("2015-08", 1396), ("2016-07", 1396), ("2016-08", 1478)),
    "cp_starts": (("2013-03", 105), ("2016-08", 106)),
    "lac_n_starts": (("2013-03", 47), ("2015-08", 45), ("2016-08", 44)),
    "lac_u_starts": (("2013-03", 8), ("2014-03", 12), ("2015-03", 20), ("2015-06", 50), ("2015-07", 80),
                     ("2015-08", 110), ("2015-09", 112), ("2015-10", 92), ("2015-11", 80), ("2015-12", 62),
                     ("2016-01", 47), ("2016-02", 37), ("2016-04", 31), ("2016-08", 25)),
    "pf_starts": (("2013-03", 5), ("2016-08", 5)),
}
#: Referrals dip in August and December (school holidays).
SEASON = {8: 0.88, 12: 0.86, 4: 0.95}


def _path(name: str, months: pd.PeriodIndex) -> np.ndarray:
    knots = KENT_PATHS[name]
    xs = np.array([pd.Period(k, "M").ordinal for k, _ in knots], dtype=float)
    ys = np.array([v for _, v in knots], dtype=float)
    return np.interp(np.array([m.ordinal for m in months], dtype=float), xs, ys)


def seed_targets() -> dict[str, np.ndarray]:
    """August 2016 (and July 2016) targets per team from the seed's activity table; what an area's
    or Kent's figure holds beyond its listed teams goes to the unlisted teams (never below 0)."""
    table = pub.activity()
    out = {}
    n = len(TEAMS)
    for name in pub.ACTIVITY_COLUMNS:
        v = np.zeros(n)
        for i, t in enumerate(TEAMS):
            if t[6] is not None:
                v[i] = table[t[6]][name]
        for area, label in AREA_LABELS.items():
            members = [i for i, t in enumerate(TEAMS) if t[3] == area and t[6] is not None]
            v[TEAM_INDEX[f"OTH-{area}"]] = max(0, table[label][name] - v[members].sum())
        v[TEAM_INDEX["OTH-COUNTY"]] = max(0, table["Kent"][name] - v.sum())
        out[name] = v.astype(np.int64)
    return out


@dataclass
class Plan:
    """Targets for every kind of spell: stock at the start, stock at each month end, starts per month,
    and team closures in August 2016."""

    months: Months
    stock0: dict[str, np.ndarray]
    stock: dict[str, np.ndarray]
    starts: dict[str, np.ndarray]
    team_ends: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    referrals: np.ndarray | None = None


def _team_series(kent: np.ndarray, ref: np.ndarray, last: np.ndarray | None, months: Months,
                 smooth: float = 0.0, where: np.ndarray | None = None, override: bool = True) -> np.ndarray:
    """Kent's monthly totals shared out as in August 2016 (July 2016 and August 2016 as given).

    ``smooth`` is added to the weight of every team in ``where`` (default: teams with a positive
    August 2016 figure), so that small teams get a share in other months too."""
    n = len(ref)
    out = np.zeros((n, len(months)), dtype=np.int64)
    where = ref > 0 if where is None else where
    weights = ref.astype(float) + smooth * where
    for m in range(len(months)):
        out[:, m] = largest_remainder(int(round(kent[m])), weights)
    r = months.index(str(REF)) if str(REF) in set(map(str, months.periods)) else None
    if r is not None and override:
        out[:, r] = ref
        if last is not None and r > 0:
            out[:, r - 1] = last
    return out


def plan(months: Months) -> Plan:
    """The targets of :func:`generate_returns` (see the module docstring, step 1)."""
    t = seed_targets()
    labels = months.periods
    is_cls = TEAM_TYPE == "CARE_LEAVERS"
    uasc_tm, uasc_lm = t["UASC LAC - This month"], t["UASC LAC - Last month"]
    ref = {
        "cp": (t["CP Plans - This month"], t["CP Plans - Last month"]),
        "lac_u": (uasc_tm, uasc_lm),
        "lac_n": (t["Total LAC - This month"] - uasc_tm, t["Total LAC - Last month"] - uasc_lm),
        "pf": (t["PF Cases - This month"], t["PF Cases - Last month"]),
        "cl": (np.where(is_cls, t["Caseloads - This month"], 0), np.where(is_cls, t["Caseloads - Last month"], 0)),
    }
    stock, stock0, starts = {}, {}, {}
    for kind, (tm, lm) in ref.items():
        kent = _path(kind, labels)
        kent0 = _path(kind, pd.PeriodIndex([labels[0] - 1]))[0]
        stock[kind] = _team_series(kent, tm, lm, months)
        stock0[kind] = largest_remainder(int(round(kent0)), tm.astype(float))
    caseload = _team_series(_path("caseload", labels), t["Caseloads - This month"], t["Caseloads - Last month"],
                            months)
    others = sum(stock[k] for k in ("cp", "lac_n", "lac_u", "pf", "cl"))
    stock["cin"] = np.maximum(caseload - others, 0)
    case0 = largest_remainder(int(round(_path("caseload", pd.PeriodIndex([labels[0] - 1]))[0])),
                              t["Caseloads - This month"].astype(float))
    stock0["cin"] = np.maximum(case0 - sum(stock0[k] for k in ("cp", "lac_n", "lac_u", "pf", "cl")), 0)
    # starts: Kent paths shared out like August 2016's, August 2016 as published
    lac_starts = t["LAC Starts in last month"]
    u_ref = np.where(TEAM_TYPE == "SUASC", lac_starts, 0)
    n_ref = lac_starts - u_ref
    season = np.array([SEASON.get(p.month, 1.0) for p in labels])
    referrals = _team_series(_path("referrals", labels) * season, t["Referrals in last month"], None, months,
                             smooth=0.5)
    has = {k: stock[k][:, -1] + stock[k][:, 0] > 0 for k in stock}
    starts["cp"] = _team_series(_path("cp_starts", labels), t["CP Starts in last month"], None, months, smooth=0.3,
                                where=has["cp"])
    starts["lac_n"] = _team_series(_path("lac_n_starts", labels), n_ref, None, months, smooth=0.2,
                                   where=has["lac_n"] & (TEAM_TYPE != "CIC"))
    starts["lac_u"] = _team_series(_path("lac_u_starts", labels), u_ref, None, months)
    starts["pf"] = _team_series(_path("pf_starts", labels), t["PF Cases - This month"].astype(float), None, months,
                                override=False)
    # closures by team in August 2016, reconciled with what Kent's stocks and starts imply
    team_ends = {}
    r = months.index(str(REF)) if str(REF) in set(map(str, labels)) else None
    if r is not None and r > 0:
        u_ends = np.where(TEAM_TYPE == "SUASC", t["LAC Ends in last month"], 0)
        for kind, ends in (("cp", t["CP Ends in last month"]), ("lac_u", u_ends),
                           ("lac_n", t["LAC Ends in last month"] - u_ends)):
            implied = int(stock[kind][:, r - 1].sum() + starts[kind][:, r].sum() - stock[kind][:, r].sum())
            ends = ends.astype(np.int64).copy()
            while ends.sum() > max(implied, 0):
                ends[int(np.argmax(ends))] -= 1
            team_ends[kind] = {r: ends}
    return Plan(months, stock0, stock, starts, team_ends, referrals)


# -- quotas ----------------------------------------------------------------------------------------------
def exact(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n`` flags of which exactly ``k`` (clipped to 0..n) are True, at random."""
    k = int(min(max(k, 0), n))
    out = np.zeros(n, dtype=bool)
    if k:
        out[rng.choice(n, size=k, replace=False)] = True
    return out


def same_side_k(n: int, num: float, den: float, thresholds: tuple[float, ...] = ()) -> int:
    """How many of ``n`` to flag so that ``k / n`` is as near ``num / den`` as it can be without
    crossing any of ``thresholds`` (percentages) that ``num / den`` is on the other side of.

    Examples
    --------
    >>> same_side_k(2240, 293, 2246, (13.0,))   # 293/2246 = 13.05% (Red at 13.0%): keep it at 13.0% or above
    292
    >>> same_side_k(360, 47, 362, (13.0,))      # 47/362 = 12.98%: stay below 13.0%
    46
    """
    if n <= 0 or den <= 0:
        return 0
    p = num / den
    k = int(round(n * p))
    for t in thresholds:
        t = t / 100.0
        while p >= t and k / n < t and k < n:
            k += 1
        while p < t and k / n >= t and k > 0:
            k -= 1
    return k


def rate_path(months: pd.PeriodIndex, year_ago: float | None, month_ago: float | None, latest: float,
              rolling3: float | None = None, snapshot: bool = False) -> np.ndarray:
    """A monthly rate (0-1) through the council's published values (percentages).

    For a snapshot: the year-ago value up to August 2015, then straight to the month-ago value in
    July 2016 and the latest in August 2016. For a rolling 12 months, monthly rates whose
    12-month windows come near the published ones: the year-ago value up to August 2015, then a
    line to the rolling 3 months' rate over June to August 2016.
    """
    r = REF.ordinal
    x = np.array([m.ordinal for m in months], dtype=float)
    y0 = (year_ago if year_ago is not None else (month_ago if month_ago is not None else latest)) / 100
    if snapshot:
        y1 = (month_ago if month_ago is not None else latest) / 100
        out = np.interp(x, [r - 12, r - 1, r], [y0, y1, latest / 100])
    else:
        end = (rolling3 if rolling3 is not None else latest) / 100
        # the mean over Sep 2015-Aug 2016 must be the latest value: solve for the rate in May 2016. The nine
        # months to May run linearly from the year-ago value (August 2015) to it: they add up to 4 y0 + 5 mid
        mid = max(0.0, min(1.0, (12 * latest / 100 - 3 * end - 4 * y0) / 5))
        out = np.interp(x, [r - 12, r - 3, r - 2, r], [y0, mid, end, end])
    return np.clip(out, 0.0, 1.0)


def monthly_flags(rng: np.random.Generator, month: np.ndarray, rates: np.ndarray, months: pd.PeriodIndex, *,
                  r12: tuple | None = None, r3: tuple | None = None, can_true: np.ndarray | None = None,
                  can_false: np.ndarray | None = None) -> np.ndarray:
    """Flags for records dated in each month: exactly ``round(rate × n)`` per month; when ``r12``
    (and ``r3``) are given as (numerator, denominator) published for the 12 (3) months to August
    2016, the months' counts are adjusted so that the synthetic totals reproduce those rates.

    ``month`` holds each record's position in ``months`` (-1 outside). ``can_true`` and
    ``can_false`` say which records can take each value (default: all): a record that can take only
    one gets it, and the month's count is made up from the records that can take either."""
    flags = np.zeros(len(month), dtype=bool)
    n_m = np.bincount(month[month >= 0], minlength=len(months))
    k_m = np.rint(rates * n_m).astype(np.int64)
    r = months.get_loc(REF) if REF in months else None
    if r is not None and r12 is not None and r >= 11:
        last3 = slice(r - 2, r + 1)
        first9 = slice(r - 11, r - 2)
        if r3 is not None:
            n3 = int(n_m[last3].sum())
            k3 = int(round(n3 * r3[0] / r3[1])) if r3[1] else 0
            k_m[last3] = largest_remainder(k3, n_m[last3].astype(float) * np.maximum(rates[last3], 1e-6))
        n12 = int(n_m[r - 11: r + 1].sum())
        k12 = same_side_k(n12, r12[0], r12[1], r12[2] if len(r12) > 2 else ())
        k9 = max(0, k12 - int(k_m[last3].sum()))
        k_m[first9] = largest_remainder(k9, n_m[first9].astype(float) * np.maximum(rates[first9], 1e-6))
    k_m = np.minimum(k_m, n_m)
    if can_true is None and can_false is None:
        for m in np.flatnonzero(n_m):
            idx = np.flatnonzero(month == m)
            flags[idx] = exact(rng, len(idx), int(k_m[m]))
        return flags
    t = np.ones(len(month), dtype=bool) if can_true is None else np.asarray(can_true, dtype=bool)
    f = np.ones(len(month), dtype=bool) if can_false is None else np.asarray(can_false, dtype=bool)
    forced = t & ~f
    flex = t & f
    for m in np.flatnonzero(n_m):
        here = month == m
        flags[here & forced] = True
        idx = np.flatnonzero(here & flex)
        k = int(np.clip(k_m[m] - int((here & forced).sum()), 0, len(idx)))
        flags[idx] = exact(rng, len(idx), k)
    return flags


def exact_window(flags: np.ndarray, pos: np.ndarray, feasible: np.ndarray, months: Months, r12: tuple,
                 r3: tuple | None = None, count_true: bool = True) -> np.ndarray:
    """Adjust ``flags`` (only where ``feasible``) so that, among records of the 12 months to
    August 2016 (``pos``: month of each record), the share of records *not* flagged (when
    ``count_true`` is False: the flag marks a failure) or flagged reproduces ``r12`` =
    (numerator, denominator[, thresholds]), and over June to August 2016 ``r3`` = (num, den)."""
    flags = flags.copy()
    r = months.index(str(REF))
    rng = np.random.default_rng(len(flags))

    def fix(window: np.ndarray, k_success: int) -> None:
        ok = flags if count_true else ~flags
        have = int((ok & window).sum())
        if have > k_success:  # too many successes: turn some into failures
            cand = np.flatnonzero(window & ok & feasible)
            pick = rng.choice(cand, size=min(have - k_success, len(cand)), replace=False) if len(cand) else []
            flags[pick] = not count_true
        elif have < k_success:
            cand = np.flatnonzero(window & ~ok & feasible)
            pick = rng.choice(cand, size=min(k_success - have, len(cand)), replace=False) if len(cand) else []
            flags[pick] = count_true

    last3 = (pos >= r - 2) & (pos <= r)
    first9 = (pos >= r - 11) & (pos < r - 2)
    if r3 is not None:
        fix(last3, int(round(last3.sum() * r3[0] / r3[1])))
    k12 = same_side_k(int((last3 | first9).sum()), r12[0], r12[1], r12[2] if len(r12) > 2 else ())
    ok = flags if count_true else ~flags
    fix(first9, k12 - int((ok & last3).sum()))
    return flags


def month_pos(days: np.ndarray, months: Months) -> np.ndarray:
    """Position in the window's months of each day (-1 before or after)."""
    days = np.asarray(days, dtype=np.int64)
    pos = np.searchsorted(months.first_day, days, side="right") - 1
    ok = (pos >= 0) & (days <= months.last_day[-1]) & (days >= 0)
    return np.where(ok, pos, -1)


# -- spells ----------------------------------------------------------------------------------------------
def _gamma(rng: np.random.Generator, n: int, shape: float, mean: float) -> np.ndarray:
    return rng.gamma(shape, mean / shape, n)


def durations(kind: str):
    """Planned lengths, in days, of the spells of a kind, by the type of team that opens them."""
    def draw(rng: np.random.Generator, teams: np.ndarray) -> np.ndarray:
        n = len(teams)
        types = TEAM_TYPE[teams]
        if kind == "cp":
            d = _gamma(rng, n, 3.0, 320)
        elif kind == "lac_n":
            short = rng.random(n) < 0.3
            d = np.where(short, _gamma(rng, n, 1.5, 80), _gamma(rng, n, 2.0, 1300))
        elif kind == "lac_u":
            d = _gamma(rng, n, 3.0, 700)
        elif kind == "pf":
            d = _gamma(rng, n, 2.0, 300)
        elif kind == "cl":  # care leavers are served from 18 to 21, some to 25 (at most 4 years here)
            d = np.minimum(_gamma(rng, n, 3.0, 1000), 4 * 365)
        else:  # other open cases ("cin")
            u = rng.random(n)
            general = np.where(u < 0.12, rng.uniform(0, 5, n), np.where(u < 0.55, rng.uniform(20, 70, n),
                                                                         _gamma(rng, n, 1.4, 320)))
            disability = np.where(u < 0.10, rng.uniform(20, 70, n), _gamma(rng, n, 2.0, 1400))
            d = np.select([types == "DISABILITY", types == "ADOPTION", np.isin(types, ("CIC", "SUASC"))],
                          [disability, _gamma(rng, n, 2.0, 900), _gamma(rng, n, 1.5, 250)], general)
        return np.maximum(np.rint(d), 0).astype(np.int64)
    return draw


def affinity() -> np.ndarray:
    """Preference for moving a spell between two teams: within an area, and into children in care
    teams, far more than across the county."""
    same_area = (TEAM_AREA[:, None] == TEAM_AREA[None, :]) & (TEAM_AREA[:, None] != "COUNTY")
    into_cic = TEAM_TYPE[None, :] == "CIC"
    a = np.where(same_area, 1.0, 0.02) * np.where(into_cic, 3.0, 1.0)
    np.fill_diagonal(a, 0.0)
    return a


#: Days between a referral and the plan or period of care it leads to.
def _leads(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "cp":
        return rng.integers(12, 40, n)
    if kind == "lac_u":
        return rng.integers(0, 2, n)
    return np.where(rng.random(n) < 0.6, rng.integers(0, 4, n), rng.integers(7, 90, n))


@dataclass
class World:
    """Everything the generator builds before it becomes tables."""

    rng: dict[str, np.random.Generator]
    months: Months
    plan: Plan
    extract_day: int
    spells: dict[str, pd.DataFrame] = field(default_factory=dict)
    segments: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, pd.DataFrame] = field(default_factory=dict)


STREAMS = ("schedule", "children", "cin", "s903", "visits", "allocation", "supplement", "quota")


def build_spells(w: World) -> None:
    """Schedule every kind of spell (step 2 of the model)."""
    rng = w.rng["schedule"]
    p, months = w.plan, w.months
    aff = affinity()
    for kind in ("cp", "lac_n", "lac_u", "pf"):
        sp = schedule(rng, months, p.stock0[kind], p.stock[kind], p.starts[kind], durations(kind),
                      team_ends=p.team_ends.get(kind), affinity=aff, name=kind)
        w.spells[kind], w.segments[kind] = sp.spells.assign(kind=kind), sp.segments
        w.notes += sp.shortfalls
    # care leavers: enough starts to keep the stock with three-year stays
    cl_stock = p.stock["cl"]
    kent = cl_stock.sum(axis=0)
    prev = np.concatenate([[p.stock0["cl"].sum()], kent[:-1]])
    cl_starts = np.zeros_like(cl_stock)
    cl_starts[TEAM_INDEX["CLS"]] = np.rint(kent / 36.0).astype(np.int64) + np.maximum(kent - prev, 0)
    sp = schedule(rng, months, p.stock0["cl"], cl_stock, cl_starts, durations("cl"), name="cl")
    w.spells["cl"], w.segments["cl"] = sp.spells.assign(kind="cl"), sp.segments
    # referrals that open plans and periods of care, by team and month; the rest open other cases
    n_teams = len(TEAMS)
    wraps = np.zeros((n_teams, len(months)), dtype=np.int64)
    for kind in ("cp", "lac_n", "lac_u"):
        s = w.spells[kind]
        lead = _leads(rng, kind, len(s))
        s["referral"] = s["start"] - lead
        pos = month_pos(s["referral"].to_numpy(), months)
        ok = pos >= 0
        np.add.at(wraps, (s["team"].to_numpy()[ok], pos[ok]), 1)
    cin_starts = np.maximum(p.referrals - wraps, 0)
    sp = schedule(rng, months, p.stock0["cin"], p.stock["cin"], cin_starts, durations("cin"), affinity=aff,
                  name="cin")
    w.spells["cin"], w.segments["cin"] = sp.spells.assign(kind="cin", referral=sp.spells["start"]), sp.segments
    w.notes += sp.shortfalls


# -- children ------------------------------------------------------------------------------------------------
YEAR = 365.25
#: Age at the start of a spell (whole years 0-17), relative weights.
AGE_WEIGHTS = {
    "cp": (18, 7, 7, 7, 6, 6, 6, 5, 5, 5, 4, 4, 4, 4, 4, 3, 2, 1),
    "lac_n": (12, 4, 3, 3, 3, 3, 3, 3, 3, 3, 5, 6, 7, 8, 8, 7, 9, 9),
    "cin": (10, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 5, 4),
    "pf": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 5, 5, 5, 4, 0),
    "lac_u": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 25, 40, 30),
}
ETHNICITY_SHARES = {"WBRI": 78, "WOTH": 4, "MWBC": 3, "MWBA": 1, "MWAS": 1, "MOTH": 3, "AIND": 1, "APKN": 1,
                    "AOTH": 2, "BCRB": 1, "BAFR": 2, "BOTH": 1, "CHNE": 0.5, "OOTH": 1, "WIRT": 0.5}
UASC_ETHNICITY = {"AOTH": 40, "BAFR": 35, "OOTH": 20, "BOTH": 5}
#: Share of periods of care ending because the young person turned 18 (the rest: other reasons).
AGED_OUT = {"lac_n": 0.22, "lac_u": 0.85}


def _ages(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    """Ages in days: a whole year drawn from :data:`AGE_WEIGHTS`, plus a uniform part of a year."""
    w = np.asarray(AGE_WEIGHTS[kind], dtype=float)
    years = rng.choice(len(w), size=n, p=w / w.sum())
    return np.floor((years + rng.random(n)) * YEAR).astype(np.int64)


def _choice(rng: np.random.Generator, shares: dict, n: int) -> np.ndarray:
    keys = list(shares)
    w = np.asarray([shares[k] for k in keys], dtype=float)
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=w / w.sum())]


def upn(serial: np.ndarray) -> np.ndarray:
    """Synthetic unique pupil numbers: a check letter, LA 999 (no LA has it), a school and a serial.

    The check letter follows the DfE's algorithm (weights 2 to 13 on characters 2 to 13, modulo
    23, letters without I, O and S), so the numbers are well-formed but never a real child's.

    Examples
    --------
    >>> upn(np.array([1]))[0]
    'C999000000001'
    """
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    out = []
    for s in np.asarray(serial, dtype=np.int64):
        body = f"999{s % 1_000_000_000:09d}"
        total = sum(int(c) * wgt for c, wgt in zip(body, range(2, 14), strict=True))
        out.append(letters[total % 23] + body)
    return np.asarray(out, dtype=object)


def build_children(w: World) -> pd.DataFrame:
    """Give every spell a child, and every child a date of birth consistent with their spells."""
    rng = w.rng["children"]
    first = w.months.first_day[0]
    rows: list[pd.DataFrame] = []
    next_child = 0

    def new(n: int) -> np.ndarray:
        nonlocal next_child
        ids = np.arange(next_child, next_child + n)
        next_child += n
        return ids

    end_or_now = {}
    for kind, s in w.spells.items():
        end_or_now[kind] = np.where(s["end"].to_numpy() >= 0, s["end"].to_numpy(), w.extract_day)
    # periods of care: aged-out leavers turn 18 on their last day
    for kind in ("lac_n", "lac_u"):
        s = w.spells[kind]
        n = len(s)
        s["child"] = new(n)
        start, stop = s["start"].to_numpy(), end_or_now[kind]
        ended = s["end"].to_numpy() >= 0
        aged_out = ended & (rng.random(n) < AGED_OUT[kind]) & (stop - start < 12 * YEAR)
        age = _ages(rng, kind, n)
        limit = np.floor(18 * YEAR).astype(np.int64) - 1 - (stop - start)
        age = np.where(age > limit, np.floor(rng.random(n) * np.maximum(limit, 0)).astype(np.int64), age)
        age = np.where(aged_out, np.floor(18 * YEAR).astype(np.int64) - (stop - start), age)
        s["aged_out"] = aged_out
        rows.append(pd.DataFrame({"child": s["child"], "dob": start - age, "uasc": kind == "lac_u", "kind": kind}))
    # 18th birthdays exactly: a date 18 years before the day
    for kind in ("lac_n", "lac_u"):
        s = w.spells[kind]
        d = rows[-2 if kind == "lac_n" else -1]
        ao = s["aged_out"].to_numpy()
        d.loc[ao, "dob"] = add_months(end_or_now[kind][ao], -12 * 18)
    for kind in ("cp", "pf"):
        s = w.spells[kind]
        n = len(s)
        s["child"] = new(n)
        start, stop = s["start"].to_numpy(), end_or_now[kind]
        age = _ages(rng, kind, n)
        limit = np.floor(18 * YEAR).astype(np.int64) - 1 - (stop - start)
        age = np.minimum(age, np.maximum(limit, 0))
        rows.append(pd.DataFrame({"child": s["child"], "dob": start - age, "uasc": False, "kind": kind}))
    # care leavers: a young person who aged out of care that month, else one who left care earlier
    cl = w.spells["cl"].sort_values("start").copy()
    leavers = pd.concat([w.spells[k][w.spells[k]["aged_out"]][["child", "end"]] for k in ("lac_n", "lac_u")])
    leavers = leavers[leavers["end"] >= first].sort_values("end")
    leaver_month = month_pos(leavers["end"].to_numpy(), w.months)
    cl_month = month_pos(cl["start"].to_numpy(), w.months)
    child = np.full(len(cl), -1, dtype=np.int64)
    new_start = cl["start"].to_numpy().copy()
    for m in np.unique(cl_month[cl_month >= 0]):
        slots = np.flatnonzero(cl_month == m)
        pool = leavers[(leaver_month == m) & (leavers["end"].to_numpy() < w.months.last_day[m])]
        take = min(len(slots), len(pool))
        child[slots[:take]] = pool["child"].to_numpy()[:take]
        new_start[slots[:take]] = pool["end"].to_numpy()[:take] + 1
    unlinked = child < 0
    child[unlinked] = new(int(unlinked.sum()))
    cl["child"] = child
    cl["start"] = new_start
    cl["linked"] = ~unlinked
    age18 = np.floor(18 * YEAR).astype(np.int64)
    rows.append(pd.DataFrame({"child": child[unlinked], "dob": new_start[unlinked] - age18
                              - rng.integers(0, 120, int(unlinked.sum())), "uasc": rng.random(int(unlinked.sum()))
                              < 0.35, "kind": "cl"}))
    w.spells["cl"] = cl.sort_values("spell").reset_index(drop=True)
    seg = w.segments["cl"].merge(cl[["spell", "start"]], on="spell")
    first_seg = ~seg.duplicated("spell")
    seg.loc[first_seg, "from_day"] = seg.loc[first_seg, "start"]
    w.segments["cl"] = seg.drop(columns="start")
    # other cases: re-referrals reuse a child referred in the year before, the rest are new children
    s = w.spells["cin"].sort_values(["start", "spell"]).copy()
    n = len(s)
    sc = pub.scorecard()[1]
    rates = rate_path(w.months.periods, sc.year_ago, sc.month_ago, sc.latest, sc.rolling3)
    pos = month_pos(s["start"].to_numpy(), w.months)
    # the share among all referrals is what is published; plans' and periods' referrals are never repeats
    all_ref = np.bincount(pos[pos >= 0], minlength=len(w.months)).astype(float)
    wraps = sum(np.bincount(np.maximum(month_pos(w.spells[k]["referral"].to_numpy(), w.months), 0),
                            minlength=len(w.months)) for k in ("cp", "lac_n", "lac_u"))
    share = np.clip(rates * (all_ref + wraps) / np.maximum(all_ref, 1), 0, 0.6)
    repeat = monthly_flags(w.rng["quota"], pos, share, w.months.periods)
    child = np.full(n, -1, dtype=np.int64)
    last_ref: dict[int, int] = {}
    busy: dict[int, int] = {}
    starts, ends = s["start"].to_numpy(), np.where(s["end"].to_numpy() >= 0, s["end"].to_numpy(), w.extract_day + 1)
    recent: list[int] = []
    for i in range(n):
        if repeat[i]:
            day = starts[i]
            while recent and last_ref.get(recent[0], -10**9) < day - 365:
                recent.pop(0)
            pick = -1
            for _ in range(12):
                if not recent:
                    break
                c = recent[int(rng.integers(0, len(recent)))]
                if busy.get(c, -1) < day and last_ref[c] >= day - 365:
                    pick = c
                    break
            if pick >= 0:
                child[i] = pick
        if child[i] < 0:
            child[i] = new(1)[0]
        c = int(child[i])
        last_ref[c] = starts[i]
        busy[c] = ends[i]
        recent.append(c)
    s["child"] = child
    fresh = ~pd.Series(child).duplicated().to_numpy()
    age = _ages(rng, "cin", int(fresh.sum()))
    # under 18 until the case closes: the last case of a child that was re-referred is the latest
    last_stop = pd.Series(ends - 1, index=pd.Index(child)).groupby(level=0).max()
    stop_fresh = last_stop.reindex(child[fresh]).to_numpy()
    limit = np.floor(18 * YEAR).astype(np.int64) - 1 - (np.minimum(stop_fresh, w.extract_day) - starts[fresh])
    age = np.where(age > limit, np.floor(rng.random(len(age)) * np.maximum(limit, 0)).astype(np.int64), age)
    unborn = (rng.random(int(fresh.sum())) < 0.05) & (starts[fresh] + 200 < w.extract_day)
    dob = starts[fresh] - age
    dob = np.where(unborn, starts[fresh] + rng.integers(20, 200, int(fresh.sum())), dob)
    rows.append(pd.DataFrame({"child": child[fresh], "dob": dob, "uasc": False, "kind": "cin"}))
    w.spells["cin"] = s.sort_values("spell").reset_index(drop=True)
    children = pd.concat(rows, ignore_index=True).drop_duplicates("child")
    n = len(children)
    uasc = children["uasc"].to_numpy(dtype=bool)
    children["sex"] = np.where(uasc, np.where(rng.random(n) < 0.93, "M", "F"), np.where(rng.random(n) < 0.52,
                                                                                         "M", "F"))
    children["ethnic"] = np.where(uasc, _choice(rng, UASC_ETHNICITY, n), _choice(rng, ETHNICITY_SHARES, n))
    # identifiers in order of first appearance
    first_day = pd.concat([w.spells[k][["child", "start"]] for k in w.spells]).groupby("child")["start"].min()
    order = first_day.reindex(children["child"]).fillna(0).to_numpy()
    rank = np.argsort(np.argsort(order, kind="stable"), kind="stable")
    children["child_id"] = [f"SYNS{r + 1:06d}" for r in rank]
    children["upn"] = upn(rank + 1)
    return children.set_index("child").sort_values("child_id")


# -- helpers for dates ---------------------------------------------------------------------------------------
def ts(days) -> pd.Series:
    """Integer days as datetimes (NaT for negative or missing)."""
    return days_to_timestamps(np.asarray(days, dtype="float64"))


_HOLIDAYS = np.array(bank_holidays(1985, 2035), dtype="datetime64[D]")


def wd_after(days, n) -> np.ndarray:
    """The day ``n`` working days after each day (integers; a weekend or holiday rolls forward first)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return np.busday_offset(d, np.asarray(n, dtype=np.int64), roll="forward", holidays=_HOLIDAYS).astype(np.int64)


def wd_before(days, n) -> np.ndarray:
    """The day ``n`` working days before each day (rolling back from a weekend)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    return np.busday_offset(d, -np.asarray(n, dtype=np.int64), roll="backward", holidays=_HOLIDAYS).astype(np.int64)


def wd_count(a, b) -> np.ndarray:
    """Working days after ``a`` up to and including ``b`` (as :func:`~.calendar.working_days_between`)."""
    a = np.asarray(a, dtype=np.int64).astype("datetime64[D]")
    b = np.asarray(b, dtype=np.int64).astype("datetime64[D]")
    one = np.timedelta64(1, "D")
    return np.busday_count(a + one, b + one, holidays=_HOLIDAYS).astype(float)


def add_months(days, k) -> np.ndarray:
    """Each day plus ``k`` calendar months, clipped to the month's end (as ``pd.DateOffset(months=k)``).

    Examples
    --------
    >>> int(add_months([day_of("2016-01-31")], 1)[0]) == day_of("2016-02-29")
    True
    """
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    m2 = m + np.asarray(k, dtype=np.int64)
    length = ((m2 + 1).astype("datetime64[D]") - m2.astype("datetime64[D]")).astype(np.int64)
    return (m2.astype("datetime64[D]") + np.minimum(dom, length - 1)).astype(np.int64)


REFERRAL_SOURCES = {"6": 27, "2A": 18, "5A": 6, "5B": 3, "5C": 2, "5D": 3, "3A": 3, "3B": 3, "3C": 2, "3D": 2,
                    "3E": 2, "3F": 2, "1A": 6, "1B": 1, "1C": 2, "1D": 1, "4": 2, "7": 2, "8": 9, "9": 2, "10": 2}
NEEDS = {"N1": 55, "N2": 3, "N3": 4, "N4": 12, "N5": 15, "N6": 3, "N7": 1, "N8": 5, "N9": 2}
ABUSE = {"NEG": 50, "EMO": 35, "PHY": 8, "SAB": 5, "MUL": 2}


def _scorecard_rates(number: int, months: pd.PeriodIndex, snapshot: bool = False) -> np.ndarray:
    sc = pub.scorecard()[number]
    return rate_path(months, sc.year_ago, sc.month_ago, sc.latest, sc.rolling3, snapshot=snapshot)


def _r12(number: int, *thresholds: float) -> tuple:
    sc = pub.scorecard()[number]
    return (sc.numerator, sc.denominator, thresholds or _thresholds(number))


def _r3(number: int) -> tuple | None:
    sc = pub.scorecard()[number]
    return None if sc.rolling3 is None else (sc.rolling3, 100.0)


#: Targets and minimum standards (percentages) that a synthetic rate must stay on the same side of:
#: the catalogue's (tests check that the two agree).
FLOORS = {1: 28.0, 2: 80.0, 4: 88.0, 5: 80.0, 6: 70.0, 8: 80.0, 9: 80.0, 10: 13.0, 11: 80.0, 12: 88.0, 14: 8.0,
          15: 88.0, 16: 70.0, 17: 13.0, 18: 65.0, 19: 75.0, 20: 70.0, 21: 85.0, 22: 88.0, 23: 80.0, 24: 80.0,
          25: 80.0, 26: 70.0, 27: 40.0, 28: 65.0, 31: 3.0, 32: 65.0, 33: 80.0, 34: 55.0, 35: 80.0, 36: 85.0,
          37: 50.0, 38: 3.0, 39: 60.0, 40: 60.0, 41: 73.0, 42: 20.0}


def _thresholds(number: int) -> tuple[float, ...]:
    sc = pub.scorecard()[number]
    out = tuple(x for x in (sc.target, FLOORS.get(number)) if x is not None)
    return out + ((10.0, 25.0) if number == 13 else ())


#: Days between a case's assessments: a re-assessment starts long after the last one was authorised
#: (at most 75 working days and the rest of that month), so assessments never overlap (rule 8863Q).
REASSESS_GAP = (150, 400)


def _reassessments(rng: np.random.Generator, first: pd.DataFrame, extract_day: int) -> pd.DataFrame:
    """Candidate re-assessments of open cases: every 150-400 days after the last while the case is open
    (as many as a case could have; :func:`_thin_assessments` keeps what the published counts need)."""
    out, prev = [], first
    for ordinal in range(2, 12):
        stop = np.where(prev["closure"] >= 0, prev["closure"], extract_day).astype(np.int64)
        nxt = prev["a_start"].to_numpy() + rng.integers(*REASSESS_GAP, len(prev))
        prev = prev[nxt <= stop].assign(a_start=nxt[nxt <= stop], ordinal=ordinal)
        if prev.empty:
            break
        out.append(prev)
    return pd.concat(out, ignore_index=True) if out else first.iloc[:0]


def _thin_assessments(q: np.random.Generator, a: pd.DataFrame, w: World) -> pd.DataFrame:
    """Keep re-assessments so that each team starts about as many assessments each month as the
    published counts imply (August 2016 by team as in the activity table, other months on the Kent-wide
    path through the rolling 12-month count); first assessments are always kept. A case's later
    re-assessments go with an earlier one that is dropped, so none is left without its predecessor."""
    months = w.months
    t = seed_targets()["CF Assessments in last month"]
    kent = _path("assessments", months.periods)
    target = _team_series(kent, t, None, months, smooth=0.5)
    pos = month_pos(a["a_start"].to_numpy(), months)
    team = a["team"].to_numpy()
    first = (a["ordinal"] == 1).to_numpy()
    keep = first.copy()
    cell = team * len(months) + np.maximum(pos, 0)
    n_cells = len(TEAMS) * len(months)
    firsts = np.bincount(cell[first], minlength=n_cells)
    room = np.maximum(target.reshape(-1) - firsts, 0)
    order = q.permutation(np.flatnonzero(~first))
    # earlier ordinals first, so that a kept re-assessment's predecessors are kept too when possible
    order = order[np.argsort(a["ordinal"].to_numpy()[order], kind="stable")]
    taken = np.zeros(n_cells, dtype=np.int64)
    for i in order:
        c = cell[i]
        if pos[i] >= 0 and taken[c] < room[c]:
            taken[c] += 1
            keep[i] = True
    kept = a[keep]
    # a chain is broken where an ordinal is missing: renumber, so the spacing rule still holds (gaps only grow)
    kept = kept.sort_values(["spell", "kind", "a_start"])
    kept = kept.assign(ordinal=kept.groupby(["kind", "spell"]).cumcount() + 1)
    return kept.reset_index(drop=True)


def build_cin(w: World, children: pd.DataFrame) -> None:
    """The CIN census: an episode for every other case, plan and period of care (step 3)."""
    rng = w.rng["cin"]
    q = w.rng["quota"]
    months = w.months
    eps = []
    for kind in ("cin", "cp", "lac_n", "lac_u", "pf"):
        s = w.spells[kind]
        referral = s["referral"] if "referral" in s else s["start"]
        eps.append(pd.DataFrame({"kind": kind, "spell": s["spell"], "child": s["child"], "team": s["team"],
                                 "referral": referral, "start": s["start"], "end": s["end"]}))
    e = pd.concat(eps, ignore_index=True)
    e = e[(e["end"] < 0) | (e["end"] >= e["referral"])].reset_index(drop=True)
    n = len(e)
    closure = e["end"].to_numpy()
    length = np.where(closure >= 0, closure, w.extract_day) - e["referral"].to_numpy()
    is_cin = (e["kind"] == "cin").to_numpy()
    nfa = is_cin & (closure >= 0) & (length <= 5)
    disabled = np.isin(TEAM_TYPE[e["team"].to_numpy()], ("DISABILITY",))
    need = _choice(rng, NEEDS, n)
    need = np.where(disabled, "N2", need)
    need = np.where(e["kind"].isin(("cp",)).to_numpy(), "N1", need)
    reason = np.where(closure < 0, None, np.where(nfa | (is_cin & (length <= 70)),
                                                  np.where(rng.random(n) < 0.3, "RC9", "RC8"), "RC7"))
    e["nfa"] = nfa
    e["need"] = np.where(nfa & (rng.random(n) < 0.5), None, need)
    e["source"] = _choice(rng, REFERRAL_SOURCES, n)
    e["reason"] = reason
    e["closure"] = closure
    # assessments: one per episode that is not "no further action", and re-assessments of open cases
    a_rows = e[~e["nfa"]].copy()
    a_rows["ordinal"] = 1
    a_rows["a_start"] = np.minimum(a_rows["referral"].to_numpy() + rng.integers(0, 3, len(a_rows)),
                                   np.where(a_rows["closure"] >= 0, a_rows["closure"], 10**7))
    a = pd.concat([a_rows, _reassessments(rng, a_rows, w.extract_day)], ignore_index=True)
    a = a[a["a_start"] <= w.extract_day].reset_index(drop=True)
    a = _thin_assessments(q, a, w)
    pos = month_pos(a["a_start"].to_numpy(), months)
    timely = monthly_flags(q, pos, _scorecard_rates(2, months.periods), months.periods)
    wd = np.where(timely, rng.integers(12, 46, len(a)), rng.integers(46, 75, len(a)))
    auth = wd_after(a["a_start"].to_numpy(), wd)
    closes = a["closure"].to_numpy()
    auth = np.where((closes >= 0) & (auth > closes), np.maximum(closes, a["a_start"].to_numpy()), auth)
    auth = np.where(auth > w.extract_day, -1, auth)
    auth = _retime(rng, a["a_start"].to_numpy(), auth, closes, w, months, 45, 2)
    a["auth"] = auth
    w.rows["episodes"] = e
    w.rows["assessments"] = a
    # section 47 enquiries and initial conferences: every plan's, some other cases' and periods'
    cp = e[e["kind"] == "cp"]
    other = e[(e["kind"] == "cin") & ~e["nfa"] & (rng.random(n) < 0.27)]
    lacs = e[(e["kind"] == "lac_n") & (rng.random(n) < 0.4)]
    s47 = pd.concat([cp.assign(icpc=cp["start"]), other.assign(icpc=-1), lacs.assign(icpc=-1)], ignore_index=True)
    # conferences without a plan: about 7% of conferences
    no_plan = (s47["kind"] == "cin").to_numpy() & (rng.random(len(s47)) < 0.03)
    gap = np.minimum(rng.integers(5, 12, len(s47)), 200)
    s47_start = np.minimum(s47["referral"].to_numpy() + rng.integers(0, 4, len(s47)), w.extract_day)
    icpc = np.where(no_plan, wd_after(s47_start, gap), s47["icpc"].to_numpy())
    icpc = np.where((s47["closure"].to_numpy() >= 0) & (icpc > s47["closure"].to_numpy()), -1, icpc)
    icpc = np.where(icpc > w.extract_day, -1, icpc)
    s47["icpc"] = icpc
    # timeliness of conferences (15 working days): feasible only when the referral came early enough
    lead = wd_count(s47["referral"].to_numpy(), np.where(icpc >= 0, icpc, s47["referral"].to_numpy()))
    pos = month_pos(icpc, months)
    timely = monthly_flags(q, pos, _scorecard_rates(16, months.periods), months.periods)
    late_ok = np.nan_to_num(lead, nan=0) >= 16
    late = exact_window(~timely & late_ok, pos, late_ok, months, _r12(16), _r3(16), count_true=False)
    cut = np.where(late, rng.integers(16, 26, len(s47)), rng.integers(2, 16, len(s47)))
    cut = np.minimum(cut, np.nan_to_num(lead, nan=0).astype(np.int64))
    start_day = np.where(icpc >= 0, wd_before(icpc, cut), s47_start)
    start_day = np.maximum(start_day, s47["referral"].to_numpy())
    s47["s47_start"] = start_day
    w.rows["s47"] = s47


def _plans_and_reviews(w: World) -> None:
    rng = w.rng["cin"]
    q = w.rng["quota"]
    e = w.rows["episodes"]
    cp = e[e["kind"] == "cp"].copy()
    pos = month_pos(cp["start"].to_numpy(), w.months)
    repeat = monthly_flags(q, pos, _scorecard_rates(13, w.months.periods), w.months.periods, r12=_r12(13),
                           r3=_r3(13))
    cp["previous"] = np.where(repeat, rng.choice([1, 1, 1, 2, 3], len(cp)), 0)
    cp["initial_cat"] = _choice(rng, ABUSE, len(cp))
    cp["latest_cat"] = np.where(rng.random(len(cp)) < 0.9, cp["initial_cat"], _choice(rng, ABUSE, len(cp)))
    w.rows["cpp"] = cp
    # reviews: the first within 3 months of the plan starting, then every 6 months
    rows = []
    stop = np.where(cp["end"] >= 0, cp["end"], w.extract_day).astype(np.int64)
    for spell, start, last in zip(cp["spell"], cp["start"], stop, strict=True):
        held = _add_months(int(start), 3) - int(rng.integers(1, 25))
        while held <= last and held <= w.extract_day:
            rows.append((spell, held))
            held = _add_months(held, 6) - int(rng.integers(1, 25))
    w.rows["cpp_reviews"] = pd.DataFrame(rows, columns=["spell", "review"])


# -- groups for the UASC page: areas x cohort ----------------------------------------------------------------
GROUP_AREAS = ("NORTH", "EAST", "SOUTH", "WEST", "OTHER")


def group_of(teams: np.ndarray, uasc: np.ndarray) -> np.ndarray:
    """Group (0-9) of each child: area (North, East, South, West, other) x (not UASC, UASC)."""
    area = TEAM_AREA[np.asarray(teams, dtype=np.int64)]
    a = np.select([area == x for x in GROUP_AREAS[:4]], [0, 1, 2, 3], 4)
    return a * 2 + np.asarray(uasc, dtype=np.int64)


def uasc_page(number: int) -> dict[str, tuple[float, float, float, float]]:
    """The UASC page's (incl num, incl den, excl num, excl den) by area label for an indicator."""
    out = {}
    for _line, area, ident, _r, num, den, _rx, xnum, xden in pub.UASC_ROWS:
        if ident == number and num != "-":
            out[area] = (float(num), float(den), float(xnum), float(xden))
    return out


def group_targets(number: int, dens: np.ndarray) -> np.ndarray:
    """How many of each group (:func:`group_of`) to flag so that Kent's and each area's rate,
    including and excluding UASC, reproduce the published ones on the same side of every RAG
    boundary. ``dens``: the synthetic denominators of the 10 groups."""
    page = uasc_page(number)
    thr = _thresholds(number)
    k = np.zeros(10, dtype=np.int64)
    sc = pub.scorecard()[number]
    kent = page.get("Kent", (sc.numerator, sc.denominator, sc.numerator, sc.denominator))
    for a, label in enumerate(("North Kent", "East Kent", "South Kent", "West Kent")):
        inc = page.get(label, kent)
        dn, du = dens[2 * a], dens[2 * a + 1]
        kn = same_side_k(int(dn), inc[2], inc[3], thr)
        ki = same_side_k(int(dn + du), inc[0], inc[1], thr)
        k[2 * a], k[2 * a + 1] = kn, min(max(ki - kn, 0), du)
    # the rest of Kent (county services and teams not in an area): what Kent's totals leave
    kn_total = same_side_k(int(dens[0::2].sum()), kent[2], kent[3], thr)
    ki_total = same_side_k(int(dens.sum()), kent[0], kent[1], thr)
    k[8] = min(max(kn_total - k[0:8:2].sum(), 0), dens[8])
    k[9] = min(max(ki_total - k[8] - k[0:8].sum(), 0), dens[9])
    # Kent's own figures come first: where the areas' roundings leave its totals off, the rest of Kent
    # and then the areas take up the difference (excluding UASC from the even groups, then all)
    _balance(k, dens, kn_total - k[0::2].sum(), (8, 0, 2, 4, 6))
    _balance(k, dens, ki_total - k.sum(), (9, 1, 3, 5, 7))
    return k


def _balance(k: np.ndarray, dens: np.ndarray, diff: int, order: tuple[int, ...]) -> None:
    for g in order:
        if diff == 0:
            return
        step = min(diff, dens[g] - k[g]) if diff > 0 else max(diff, -k[g])
        k[g] += step
        diff -= step


def flag_groups(rng: np.random.Generator, groups: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Exactly ``targets[g]`` flags in each group ``g``."""
    flags = np.zeros(len(groups), dtype=bool)
    for g in range(len(targets)):
        idx = np.flatnonzero(groups == g)
        flags[idx] = exact(rng, len(idx), int(targets[g]))
    return flags


def team_on(w: World, kinds: tuple[str, ...], spell_keys: pd.DataFrame, day: int) -> np.ndarray:
    """The team holding each (kind, spell) on ``day`` (from the spells' segments)."""
    out = np.full(len(spell_keys), -1, dtype=np.int64)
    for kind in kinds:
        seg = w.segments[kind]
        seg = seg[seg["from_day"] <= day]
        last = seg.groupby("spell")["team"].last()
        mine = (spell_keys["kind"] == kind).to_numpy()
        out[mine] = spell_keys.loc[mine, "spell"].map(last).fillna(-1).astype(np.int64).to_numpy()
    return out


# -- the SSDA903 ------------------------------------------------------------------------------------------------
REASONS_AGED_OUT = {"E17": 30, "E5": 40, "E6": 20, "E8": 10}
REASONS_OTHER = {"E4A": 40, "E4B": 8, "E45": 6, "E46": 8, "E47": 2, "E48": 3, "E13": 3, "E3": 5, "E8": 8, "E9": 2,
                 "E14": 3, "E16": 1, "E2": 0.5}
REASONS_UASC = {"E15": 40, "E16": 15, "E3": 25, "E8": 20}


def _periods(w: World, children: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for kind in ("lac_n", "lac_u"):
        s = w.spells[kind]
        frames.append(pd.DataFrame({"kind": kind, "spell": s["spell"], "child": s["child"], "start": s["start"],
                                    "end": s["end"], "aged_out": s["aged_out"], "uasc": kind == "lac_u"}))
    p = pd.concat(frames, ignore_index=True)
    p["stop"] = np.where(p["end"] >= 0, p["end"], w.extract_day)
    p["dob"] = children.loc[p["child"], "dob"].to_numpy()
    p["pid"] = np.arange(len(p))
    return p


def _placement_events(w: World, p: pd.DataFrame) -> pd.DataFrame:
    """Start, placement-change and legal-status events of every period of care."""
    rng = w.rng["s903"]
    n = len(p)
    years = (p["stop"] - p["start"]).to_numpy() / YEAR
    rate = np.where(p["uasc"], 0.55, 0.42)
    count = rng.poisson(rate * np.maximum(years, 0)) + (rng.random(n) < 0.25)  # an early move for a quarter
    pid = np.repeat(p["pid"].to_numpy(), count)
    lo = np.repeat(p["start"].to_numpy() + 1, count)
    hi = np.repeat(np.maximum(p["stop"].to_numpy() - 1, p["start"].to_numpy() + 1), count)
    day = lo + np.floor(rng.random(len(pid)) * np.maximum(hi - lo, 0)).astype(np.int64)
    moves = pd.DataFrame({"pid": pid, "day": day, "rne": "P"})
    starts = pd.DataFrame({"pid": p["pid"], "day": p["start"], "rne": "S"})
    ls0 = np.where(p["uasc"], "V2", _choice(rng, {"V2": 45, "C1": 43, "L2": 5, "J1": 2, "C2": 5}, n))
    starts["ls"] = ls0
    c1 = p[(ls0 == "C1") | (ls0 == "L2")]
    step = np.where(ls0[(ls0 == "C1") | (ls0 == "L2")] == "L2", rng.integers(5, 9, len(c1)),
                    rng.integers(150, 300, len(c1)))
    legal = pd.DataFrame({"pid": c1["pid"], "day": c1["start"].to_numpy() + step, "rne": "L",
                          "ls": np.where(ls0[(ls0 == "C1") | (ls0 == "L2")] == "L2", "C1", "C2")})
    legal = legal[legal["day"] < p.set_index("pid").loc[legal["pid"], "stop"].to_numpy()]
    ev = pd.concat([starts, moves, legal], ignore_index=True)
    return ev


def build_903(w: World, children: pd.DataFrame) -> None:
    """The SSDA903 from the periods of care, adjusted in August 2016 to the published rates (step 3)."""
    rng = w.rng["s903"]
    q = w.rng["quota"]
    months = w.months
    p = _periods(w, children)
    ref_day = int(months.last_day[months.index(str(REF))])
    ev = _placement_events(w, p)
    # -- August 2016: who is looked after, where, and the placement stability the council published
    cla = p[(p["start"] <= ref_day) & ((p["end"] < 0) | (p["end"] > ref_day))].copy()
    cla["team"] = team_on(w, ("lac_n", "lac_u"), cla, ref_day)
    cla["group"] = group_of(cla["team"].to_numpy(), cla["uasc"].to_numpy())
    age_ref = (ref_day - cla["dob"].to_numpy()) / YEAR
    long_stay = (cla["start"].to_numpy() <= ref_day - int(30 * 30.44)) & (age_ref < 16)
    dens = np.bincount(cla.loc[long_stay, "group"], minlength=10)
    stable = np.zeros(len(cla), dtype=bool)
    stable[long_stay] = flag_groups(q, cla.loc[long_stay, "group"].to_numpy(), group_targets(18, dens))
    two_years = ref_day - int(2 * YEAR)
    year = ref_day - int(YEAR)
    keep = ~(ev["pid"].isin(cla.loc[stable, "pid"]) & (ev["rne"] == "P") & (ev["day"] > two_years)
             & (ev["day"] <= ref_day))
    ev = ev[keep]
    unstable = cla.loc[long_stay & ~stable, "pid"].to_numpy()
    ev = pd.concat([ev, pd.DataFrame({"pid": unstable, "day": rng.integers(two_years + 1, year - 1, len(unstable)),
                                      "rne": "P"})], ignore_index=True)
    # three or more placements in the last 12 months (stable children cannot be among them)
    dens = np.bincount(cla["group"], minlength=10)
    three = flag_groups(q, cla["group"].to_numpy(), group_targets(17, dens))
    clash = three & stable
    if clash.any():  # move the flag to children of the same group who are not stable
        for g in np.unique(cla["group"].to_numpy()[clash]):
            spare = np.flatnonzero((cla["group"].to_numpy() == g) & ~three & ~stable)
            bad = np.flatnonzero(clash & (cla["group"].to_numpy() == g))
            take = spare[:len(bad)]
            three[bad[:len(take)]] = False
            three[take] = True
        three &= ~stable
    at_start = (cla["start"].to_numpy() <= year).astype(int)
    for _ in range(4):  # a new placement on a day that already has an event is merged with it: try again
        in_year = ev[(ev["day"] > year) & (ev["day"] <= ref_day) & ev["rne"].isin(("P", "S"))]
        count = in_year.groupby("pid").size()
        have = cla["pid"].map(count).fillna(0).to_numpy().astype(int) + at_start
        add_n = np.where(three, np.maximum(3 - have, 0), 0)
        if not add_n.any():
            break
        add_pid = np.repeat(cla["pid"].to_numpy(), add_n)
        lo = np.repeat(np.maximum(cla["start"].to_numpy() + 1, year + 1), add_n)
        add_day = lo + np.floor(rng.random(len(add_pid)) * (ref_day - lo)).astype(np.int64)
        ev = _tidy_events(pd.concat([ev, pd.DataFrame({"pid": add_pid, "day": add_day, "rne": "P"})],
                                    ignore_index=True), p)
    too_many = cla.loc[~three & (have >= 3), "pid"]
    drop = ev["pid"].isin(too_many) & (ev["rne"] == "P") & (ev["day"] > year) & (ev["day"] <= ref_day)
    ev = ev[~drop]
    ev = _tidy_events(ev, p)
    w.rows["periods"] = p
    w.rows["cla_ref"] = cla
    # -- adoption: which non-UASC periods ended in adoption, and their timeline
    ended = p[(p["end"] >= 0) & ~p["uasc"] & ~p["aged_out"]].copy()
    age_end = (ended["end"] - ended["dob"]).to_numpy() / YEAR
    dur = (ended["end"] - ended["start"]).to_numpy()
    feasible = (age_end < 7) & (dur >= 420) & (dur <= 1000)
    pos = month_pos(ended["end"].to_numpy(), months)
    nonu_ends = p[(p["end"] >= 0) & ~p["uasc"]]
    share = _scorecard_rates(31, months.periods)
    # the share is of all non-UASC leavers; candidates are fewer: scale per month
    all_pos = month_pos(nonu_ends["end"].to_numpy(), months)
    n_all = np.bincount(all_pos[all_pos >= 0], minlength=len(months)).astype(float)
    n_cand = np.bincount(pos[(pos >= 0) & feasible], minlength=len(months)).astype(float)
    cand_rate = np.clip(share * n_all / np.maximum(n_cand, 1), 0, 1)
    adopted = np.zeros(len(ended), dtype=bool)
    adopted[feasible] = monthly_flags(q, pos[feasible], cand_rate, months.periods)
    r = months.index(str(REF))
    win = (pos >= r - 11) & (pos <= r)
    sc31 = pub.scorecard()[31]
    n_win = int(((all_pos >= r - 11) & (all_pos <= r)).sum())
    k = same_side_k(n_win, sc31.numerator, sc31.denominator, _thresholds(31))
    have = int((adopted & win).sum())
    if have != k:
        cand = np.flatnonzero(win & feasible & (adopted if have > k else ~adopted))
        pick = q.choice(cand, size=min(abs(have - k), len(cand)), replace=False) if len(cand) else []
        adopted[pick] = have < k
    ended["adopted"] = adopted
    ad = ended[adopted].copy()
    end = ad["end"].to_numpy()
    start = ad["start"].to_numpy()
    # forward from becoming looked after: placement order, match (about 5 months later, ID 30), moving in
    # with the adoptive family (about a year after becoming looked after, ID 29), adoption at least 10 weeks on
    placed = start + np.clip(rng.gamma(6.0, 60.0, len(ad)).astype(np.int64), 200, end - start - 70)
    match = placed - rng.integers(10, 50, len(ad))
    po = match - np.clip(rng.gamma(4.0, 38.0, len(ad)).astype(np.int64), 20, match - start - 40)
    ad["po"], ad["match"], ad["placed"] = po, match, placed
    ad = _exact_sums(ad, months, w.extract_day)
    w.rows["adopted"] = ad
    # decisions that a child should be placed for adoption: adopted children's, and some still in care
    ad_dec = ad[["pid", "start", "po"]].rename(columns={"po": "limit"})
    young = p[(p["end"] < 0) & ~p["uasc"] & ((w.extract_day - p["dob"]) / YEAR < 5)
              & (w.extract_day - p["start"] > 90)].copy()
    young = young.sample(n=min(len(young), 70), random_state=int(rng.integers(0, 2**31)))
    dec = pd.concat([ad_dec, young[["pid", "start"]].assign(limit=w.extract_day)], ignore_index=True)
    room = (dec["limit"] - dec["start"]).to_numpy()
    pos_guess = month_pos(dec["start"].to_numpy() + 110, months)
    timely = monthly_flags(q, pos_guess, _scorecard_rates(28, months.periods), months.periods)
    late_ok = room > 130
    dec_day = np.where(timely | ~late_ok, dec["start"].to_numpy() + rng.integers(30, 121, len(dec)),
                       dec["start"].to_numpy() + rng.integers(125, 300, len(dec)))
    dec_day = np.minimum(dec_day, dec["limit"].to_numpy() - 1)
    dec["decision"] = dec_day
    dec = _exact_decisions(dec, months)
    w.rows["decisions"] = dec
    # -- episodes
    ev = pd.concat([ev, pd.DataFrame({"pid": ad["pid"], "day": ad["po"], "rne": "L", "ls": "E1"}),
                    pd.DataFrame({"pid": ad["pid"], "day": ad["placed"], "rne": "P", "place": np.where(
                        rng.random(len(ad)) < 0.2, "A5", "A6")})], ignore_index=True)
    ev = _tidy_events(ev, p, keep="last")
    w.rows["events"] = ev
    w.rows["ended"] = ended


def _tidy_events(ev: pd.DataFrame, p: pd.DataFrame, keep: str = "first") -> pd.DataFrame:
    """One event a day per period, the start event always kept and first, nothing after the period."""
    first = ev["rne"] == "S"
    starts = ev[first]
    rest = ev[~first]
    start = p.set_index("pid")["start"]
    stop = p.set_index("pid")["stop"]
    rest = rest[(rest["day"] > rest["pid"].map(start)) & (rest["day"] < rest["pid"].map(stop))]
    rest = rest.drop_duplicates(["pid", "day"], keep=keep)
    out = pd.concat([starts.drop_duplicates("pid"), rest], ignore_index=True)
    out["_s"] = (out["rne"] != "S").astype(int)
    return out.sort_values(["pid", "day", "_s"], kind="stable").drop(columns="_s").reset_index(drop=True)


def _exact_sums(ad: pd.DataFrame, months: Months, extract_day: int) -> pd.DataFrame:
    """Make the 12 months to August 2016's days from becoming looked after to the adoptive placement,
    and from placement order to match, add up to the published averages (IDs 29 and 30)."""
    r = months.index(str(REF))
    pos = month_pos(ad["end"].to_numpy(), months)
    win = (pos >= r - 11) & (pos <= r)
    for number in (29, 30):
        sc = pub.scorecard()[number]
        idx = np.flatnonzero(win)
        if not len(idx):
            continue
        target = int(round(sc.numerator / sc.denominator * len(idx)))
        step = np.full(len(idx), 0, dtype=np.int64)
        lo_col, hi_col = ("start", "placed") if number == 29 else ("po", "match")
        diff = target - int((ad[hi_col] - ad[lo_col]).to_numpy()[idx].sum())
        step[:] = diff // len(idx)
        step[: diff - int(step.sum())] += 1
        if number == 29:  # move the adoptive placement (and the match and order before it) by whole days
            placed = ad["placed"].to_numpy().copy()
            placed[idx] = np.clip(placed[idx] + step, ad["start"].to_numpy()[idx] + 120,
                                  ad["end"].to_numpy()[idx] - 70)
            shift = placed - ad["placed"].to_numpy()
            ad["placed"] = placed
            ad["match"] = ad["match"].to_numpy() + shift
            ad["po"] = np.maximum(ad["po"].to_numpy() + shift, ad["start"].to_numpy() + 20)
        else:  # move the placement order: the days from order to match change, the match does not
            po = ad["po"].to_numpy().copy()
            po[idx] = np.clip(po[idx] - step, ad["start"].to_numpy()[idx] + 20, ad["match"].to_numpy()[idx] - 10)
            ad["po"] = po
    return ad


def _exact_decisions(dec: pd.DataFrame, months: Months) -> pd.DataFrame:
    """Decisions in the 12 months to August 2016 made within 4 months: the published share (ID 28)."""
    r = months.index(str(REF))
    sc = pub.scorecard()[28]
    for _ in range(4):
        pos = month_pos(dec["decision"].to_numpy(), months)
        win = (pos >= r - 11) & (pos <= r)
        timely = dec["decision"].to_numpy() <= dec["start"].to_numpy() + 121
        k = same_side_k(int(win.sum()), sc.numerator, sc.denominator, _thresholds(28))
        have = int((timely & win).sum())
        if have == k:
            break
        if have > k:
            cand = np.flatnonzero(win & timely & (dec["limit"].to_numpy() > dec["start"].to_numpy() + 130))
            pick = cand[: have - k]
            dec.loc[dec.index[pick], "decision"] = np.minimum(dec["start"].to_numpy()[pick] + 125,
                                                              dec["limit"].to_numpy()[pick] - 1)
        else:
            cand = np.flatnonzero(win & ~timely)
            pick = cand[: k - have]
            dec.loc[dec.index[pick], "decision"] = dec["start"].to_numpy()[pick] + 100
    return dec


def _place_for(rng: np.random.Generator, age: np.ndarray, uasc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A placement type and provider for each placement, by age and UASC status."""
    n = len(age)
    young = _choice(rng, {"U4": 34, "U6": 30, "U1": 8, "U3": 6, "U5": 2, "K2": 5, "P1": 5, "R3": 1, "S1": 1,
                          "Z1": 1}, n)
    older = _choice(rng, {"U4": 22, "U6": 20, "U1": 4, "U3": 4, "K2": 14, "H5": 20, "P2": 3, "R5": 1, "K1": 1}, n)
    asylum = _choice(rng, {"H5": 50, "U6": 38, "U4": 6, "K2": 6}, n)
    place = np.where(uasc, asylum, np.where(age >= 15, older, young))
    fostered = np.isin(place, ("U1", "U2", "U3", "U4", "U5", "U6"))
    provider = np.where(np.isin(place, ("U1", "U2", "U3")), "PR1",
                        np.where(fostered, np.where(rng.random(n) < 0.62, "PR1", "PR4"),
                                 np.where(place == "P1", "PR0", np.where(rng.random(n) < 0.7, "PR4", "PR5"))))
    provider = np.where(np.isin(place, ("T0", "T1", "T2", "T3", "T4", "Z1")), None, provider)
    provider = np.where(np.isin(place, ("K2", "K1", "R3")) & (rng.random(n) < 0.25), "PR1", provider)
    return place, provider


def build_episodes(w: World, children: pd.DataFrame) -> None:
    """SSDA903 episodes from the events, with August 2016's foster carers and distances as published."""
    rng = w.rng["s903"]
    q = w.rng["quota"]
    p = w.rows["periods"].set_index("pid")
    ev = w.rows["events"].copy()
    ref_day = int(w.months.last_day[w.months.index(str(REF))])
    per = p.loc[ev["pid"]]
    age = (ev["day"].to_numpy() - per["dob"].to_numpy()) / YEAR
    place, provider = _place_for(rng, age, per["uasc"].to_numpy())
    given = ev["place"].notna().to_numpy() if "place" in ev else np.zeros(len(ev), dtype=bool)
    ev["PLACE"] = np.where(given, ev.get("place"), place)
    ev["PLACE_PROVIDER"] = np.where(given, "PR1", provider)
    is_l = (ev["rne"] == "L").to_numpy()
    # a legal-status change keeps the placement: carry the placement (and its provider, or none) forward
    ev["PLACE_PROVIDER"] = ev["PLACE_PROVIDER"].fillna("-")
    ev.loc[is_l, ["PLACE", "PLACE_PROVIDER"]] = None
    ev[["PLACE", "PLACE_PROVIDER"]] = ev.groupby("pid")[["PLACE", "PLACE_PROVIDER"]].ffill()
    ev["PLACE_PROVIDER"] = ev["PLACE_PROVIDER"].replace("-", None)
    ev["LS"] = ev.get("ls")
    ev["LS"] = ev.groupby("pid")["LS"].ffill()
    ev["RNE"] = ev["rne"]
    # an episode ends where the next begins (X1); the last with the period
    ev["DEC"] = ev.groupby("pid")["day"].shift(-1)
    last = ev["DEC"].isna().to_numpy()
    end = p.loc[ev["pid"], "end"].to_numpy()
    ev["DEC"] = np.where(last, np.where(end >= 0, end, -1), ev["DEC"].fillna(-1)).astype(np.int64)
    ended = w.rows["ended"].set_index("pid")
    reason = np.where(p["uasc"], _choice(rng, REASONS_UASC, len(p)), _choice(rng, REASONS_OTHER, len(p)))
    reason = np.where(p["aged_out"], _choice(rng, REASONS_AGED_OUT, len(p)), reason)
    reason = pd.Series(reason, index=p.index)
    adopted = ended.index[ended["adopted"]]
    reason.loc[adopted] = np.where(rng.random(len(adopted)) < 0.7, "E11", "E12")
    ev["REC"] = np.where(last, np.where(end >= 0, reason.loc[ev["pid"]].to_numpy(), None), "X1")
    ev["CIN"] = np.where(p.loc[ev["pid"], "uasc"], "N8", "N1")
    # August 2016: foster placements with the council's carers or relatives, and distances
    cur = ev[(ev["day"] <= ref_day) & ((ev["DEC"] > ref_day) | (ev["DEC"] < 0))]
    cur = cur.drop_duplicates("pid", keep="last")
    cla = w.rows["cla_ref"].set_index("pid")
    cur = cur[cur["pid"].isin(cla.index) & ~p.loc[cur["pid"], "uasc"].to_numpy()]
    foster = cur[cur["PLACE"].isin(("U1", "U2", "U3", "U4", "U5", "U6"))]
    sc = pub.scorecard()[19]
    k = same_side_k(len(foster), sc.numerator, sc.denominator, _thresholds(19))
    own = exact(q, len(foster), k)
    idx = foster.index
    ev.loc[idx[own & ~foster["PLACE"].isin(("U1", "U2", "U3")).to_numpy()], "PLACE_PROVIDER"] = "PR1"
    not_own = idx[~own]
    ev.loc[not_own, "PLACE_PROVIDER"] = "PR4"
    ev.loc[not_own[ev.loc[not_own, "PLACE"].isin(("U1", "U2", "U3")).to_numpy()], "PLACE"] = "U4"
    # distance of every placement; in August 2016 the published share within 20 miles
    placements = ev[ev["RNE"].isin(("S", "P", "T", "B"))].copy()
    dist = np.round(np.where(rng.random(len(placements)) < 0.8, rng.uniform(0.3, 19.5, len(placements)),
                             rng.uniform(20.5, 80, len(placements))), 1)
    unknown = rng.random(len(placements)) < 0.04
    placements["distance"] = np.where(unknown, np.nan, dist)
    # the current placement's start: the latest placement event at or before the episode
    cur_pl = placements[placements["day"] <= ref_day].drop_duplicates("pid", keep="last")
    cur_pl = cur_pl[cur_pl["pid"].isin(cur["pid"])]
    known = cur_pl[cur_pl["distance"].notna()]
    sc = pub.scorecard()[20]
    k = same_side_k(len(known), sc.numerator, sc.denominator, _thresholds(20))
    near = exact(q, len(known), k)
    placements.loc[known.index[near], "distance"] = np.round(rng.uniform(0.3, 19.5, int(near.sum())), 1)
    placements.loc[known.index[~near], "distance"] = np.round(rng.uniform(20.5, 80, int((~near).sum())), 1)
    ev["HOME_POST"] = None
    ev["PL_POST"] = None
    w.rows["episodes903"] = ev
    w.rows["placements"] = placements


def _add_months(day: int, months: int) -> int:
    return int(add_months([day], months)[0])


def _review_days(start: int, stop: int, late: float, rng: np.random.Generator, extract_day: int) -> list[int]:
    """Review days of a period of care: the first within 20 working days, the second within 3 months of it,
    then every 6 months; a review is late (after its due date) with probability ``late``."""
    out = []
    due = int(wd_after([start], [20])[0])
    n = 0
    while due <= stop and due <= extract_day:
        early = int(rng.integers(0, 45 if n > 1 else 12))
        held = due + int(rng.integers(1, 30)) if rng.random() < late else due - early
        held = max(held, start)
        if held > stop or held > extract_day:
            break
        out.append(held)
        n += 1
        due = _add_months(held, 3 if n == 1 else 6)
    return out


def _in_time(start: int, reviews: list[int], day: int) -> bool:
    """The engine's rule (every review due in the 12 months to ``day`` held in time, none overdue)."""
    year = day - int(YEAR)
    due = int(wd_after([start], [20])[0])
    for n, held in enumerate(r for r in reviews if r <= day):
        if held > due and held > year:
            return False
        due = _add_months(held, 3 if n == 0 else 6)
    return due >= day


def build_reviews_missing(w: World, children: pd.DataFrame) -> None:
    """Looked-after children's reviews (with participation) and missing episodes."""
    rng = w.rng["s903"]
    q = w.rng["quota"]
    months = w.months
    p = w.rows["periods"]
    ref_day = int(months.last_day[months.index(str(REF))])
    late_rate = 1 - _scorecard_rates(22, months.periods, snapshot=True)
    rows = []
    for pid, start, stop in zip(p["pid"], p["start"], p["stop"], strict=True):
        m = max(month_pos(np.array([start]), months)[0], 0)
        for day in _review_days(int(start), int(stop), float(late_rate[m]) * 0.5, rng, w.extract_day):
            rows.append((pid, day))
    rev = pd.DataFrame(rows, columns=["pid", "day"])
    # August 2016: reviewed within timescales, as published for Kent, each area and excluding UASC
    cla = w.rows["cla_ref"]
    cla = cla[(wd_after(cla["start"].to_numpy(), np.full(len(cla), 20)) <= ref_day)]
    by_pid = {k: sorted(g["day"]) for k, g in rev.groupby("pid")}
    ok_now = np.array([_in_time(int(s), by_pid.get(pid, []), ref_day) for pid, s in zip(cla["pid"], cla["start"],
                                                                                       strict=True)])
    dens = np.bincount(cla["group"], minlength=10)
    want = flag_groups(q, cla["group"].to_numpy(), group_targets(22, dens))
    stop = p.set_index("pid")["stop"]
    for pid, s, ok, wanted in zip(cla["pid"], cla["start"], ok_now, want, strict=True):
        if ok == wanted:
            continue
        days = by_pid.get(pid, [])
        if wanted:  # re-hold every review on time
            days = _review_days(int(s), int(stop[pid]), 0.0, rng, w.extract_day)
        else:  # the latest review due in the year was late, or has not been held
            recent = [d for d in days if d > ref_day - int(YEAR)]
            if recent:
                days = [d for d in days if d != recent[-1]] + ([recent[-1] + 45] if recent[-1] + 45 <= ref_day else [])
            else:
                days = []
        by_pid[pid] = sorted(days)
    rev = pd.DataFrame([(k, d) for k, ds in by_pid.items() for d in ds], columns=["pid", "day"])
    # participation: under 4s PN0; the rest participate at the published rates (areas x UASC in the year)
    per = p.set_index("pid").loc[rev["pid"]]
    age = (rev["day"].to_numpy() - per["dob"].to_numpy()) / YEAR
    keys = pd.DataFrame({"kind": per["kind"].to_numpy(), "spell": per["spell"].to_numpy()})
    team = np.zeros(len(rev), dtype=np.int64)
    for kind in ("lac_n", "lac_u"):
        seg = w.segments[kind]
        mine = (keys["kind"] == kind).to_numpy()
        probe = pd.DataFrame({"spell": keys.loc[mine, "spell"].to_numpy(), "day": rev["day"].to_numpy()[mine],
                              "i": np.flatnonzero(mine)}).sort_values("day")
        got = pd.merge_asof(probe, seg.sort_values("from_day"), left_on="day", right_on="from_day", by="spell",
                            direction="backward")
        team[got["i"].to_numpy()] = got["team"].fillna(-1).astype(np.int64).to_numpy()
    group = group_of(np.maximum(team, 0), per["uasc"].to_numpy())
    pos = month_pos(rev["day"].to_numpy(), months)
    counted = age >= 4
    r = months.index(str(REF))
    win = counted & (pos >= r - 11) & (pos <= r)
    part = np.zeros(len(rev), dtype=bool)
    part[counted & ~win] = monthly_flags(q, pos[counted & ~win], _scorecard_rates(21, months.periods),
                                         months.periods)
    dens = np.bincount(group[win], minlength=10)
    part[win] = flag_groups(q, group[win], group_targets(21, dens))
    code = np.where(~counted, "PN0", np.where(part, _choice(rng, {"PN1": 60, "PN2": 8, "PN3": 6, "PN4": 6, "PN5": 10,
                                                                  "PN6": 10}, len(rev)), "PN7"))
    rev["REVIEW_CODE"] = code
    w.rows["reviews"] = rev
    # missing episodes of children aged 11 or more while looked after; return interviews later
    years_11 = np.maximum(0, (p["stop"] - np.maximum(p["start"], p["dob"] + int(11 * YEAR))).to_numpy()) / YEAR
    count = rng.poisson(1.3 * years_11)
    pid = np.repeat(p["pid"].to_numpy(), count)
    lo = np.repeat(np.maximum(p["start"], p["dob"] + int(11 * YEAR)).to_numpy(), count)
    hi = np.repeat(p["stop"].to_numpy(), count)
    start = lo + np.floor(rng.random(len(pid)) * np.maximum(hi - lo, 0)).astype(np.int64)
    length = np.where(rng.random(len(pid)) < 0.55, 0, rng.integers(1, 6, len(pid)))
    end = np.minimum(start + length, hi)
    miss = pd.DataFrame({"pid": pid, "MIS_START": start, "MIS_END": np.where(end > w.extract_day, -1, end),
                         "MISSING": np.where(rng.random(len(pid)) < 0.7, "M", "A")})
    miss = miss[miss["MIS_START"] <= w.extract_day].drop_duplicates(["pid", "MIS_START"])
    w.rows["missing"] = miss.reset_index(drop=True)


# -- the supplement -----------------------------------------------------------------------------------------------
KINDS = ("cin", "cp", "lac_n", "lac_u", "pf", "cl")
UNALLOCATED_PATH = (("2013-03", 150), ("2015-08", 130), ("2016-03", 20), ("2016-06", 4), ("2016-07", 2),
                    ("2016-08", 1))


def _segments(w: World) -> pd.DataFrame:
    """Every spell's team segments as allocations: kind, spell, child, team, start, end (-1 open)."""
    frames = []
    for kind in KINDS:
        s = w.spells[kind][["spell", "child", "end"]]
        seg = w.segments[kind].merge(s, on="spell")
        nxt = seg.groupby("spell")["from_day"].shift(-1)
        # the last day the team held the case: the day before it moved, or before it closed
        closed = np.where(seg["end"] >= 0, np.maximum(seg["end"] - 1, seg["from_day"]), -1)
        seg["to"] = np.where(nxt.notna(), nxt.fillna(0).astype(np.int64) - 1, closed)
        seg = seg[(seg["to"] < 0) | (seg["to"] >= seg["from_day"])]
        frames.append(seg.assign(kind=kind)[["kind", "spell", "child", "team", "from_day", "to"]])
    out = pd.concat(frames, ignore_index=True).rename(columns={"from_day": "start", "to": "end"})
    return out.sort_values(["child", "start"], kind="stable").reset_index(drop=True)


def _workers(w: World, alloc: pd.DataFrame) -> pd.DataFrame:
    """A social worker for every allocation; a long allocation changes worker now and then."""
    rng = w.rng["allocation"]
    size = alloc.groupby("team").size()
    pool = np.zeros(len(TEAMS), dtype=np.int64)
    for t, c in size.items():
        pool[int(t)] = max(3, int(np.ceil(c / len(w.months) / 2.0)))
    team = alloc["team"].to_numpy().astype(np.int64)
    stop = np.where(alloc["end"] >= 0, alloc["end"], w.extract_day)
    changes = rng.poisson(0.5 * np.maximum(stop - alloc["start"].to_numpy(), 0) / YEAR)
    pick = np.floor(rng.random(len(team)) * pool[team]).astype(np.int64)
    out = alloc.assign(worker=[f"W{t:02d}{k:03d}" for t, k in zip(team, pick, strict=True)])
    multi = np.flatnonzero(changes > 0)
    if len(multi):
        row = np.repeat(multi, changes[multi])
        lo = out["start"].to_numpy()[row] + 1
        hi = np.maximum(stop[row], lo + 1)
        cut = lo + np.floor(rng.random(len(row)) * (hi - lo)).astype(np.int64)
        cuts = pd.DataFrame({"row": row, "start": cut}).drop_duplicates().sort_values(["row", "start"])
        firsts = pd.DataFrame({"row": multi, "start": out["start"].to_numpy()[multi]})
        parts = pd.concat([firsts, cuts]).sort_values(["row", "start"], kind="stable").reset_index(drop=True)
        nxt = parts.groupby("row")["start"].shift(-1)
        base = out.iloc[parts["row"].to_numpy()].reset_index(drop=True)
        base["start"] = parts["start"].to_numpy()
        base["end"] = np.where(nxt.notna(), nxt.fillna(0).astype(np.int64) - 1, base["end"].to_numpy())
        t = base["team"].to_numpy().astype(np.int64)
        k = np.floor(rng.random(len(base)) * pool[t]).astype(np.int64)
        base["worker"] = [f"W{a:02d}{b:03d}" for a, b in zip(t, k, strict=True)]
        out = pd.concat([out.drop(index=out.index[multi]), base], ignore_index=True)
    return out.sort_values(["child", "start"], kind="stable").reset_index(drop=True)


def _same_worker(w: World, alloc: pd.DataFrame) -> pd.DataFrame:
    """August 2016: children in care 18 months or more with the same worker for the last 12 months, as
    published (ID 27) for Kent, each area and excluding UASC."""
    rng, q = w.rng["allocation"], w.rng["quota"]
    ref_day = int(w.months.last_day[w.months.index(str(REF))])
    year = ref_day - int(YEAR)
    cla = w.rows["cla_ref"]
    cla = cla[cla["start"] <= _add_months(ref_day, -18)]
    key = alloc["kind"].isin(("lac_n", "lac_u"))
    win = alloc[key & (alloc["start"] <= ref_day) & ((alloc["end"] < 0) | (alloc["end"] >= year))]
    per = win.groupby(["kind", "spell"])
    teams = per["team"].nunique()
    covered = per["start"].min() <= year
    workers = per["worker"].nunique()
    idx = pd.MultiIndex.from_frame(cla[["kind", "spell"]])
    feasible = (teams.reindex(idx).fillna(2) == 1).to_numpy() & covered.reindex(idx).fillna(False).to_numpy()
    same_now = feasible & (workers.reindex(idx).fillna(2) == 1).to_numpy()
    dens = np.bincount(cla["group"], minlength=10)
    targets = group_targets(27, dens)
    want = np.zeros(len(cla), dtype=bool)
    groups = cla["group"].to_numpy()
    for g in range(10):
        mine = np.flatnonzero(groups == g)
        ok = mine[feasible[mine]]
        take = min(int(targets[g]), len(ok))
        want[q.choice(ok, size=take, replace=False) if take else []] = True
    alloc = alloc.copy()
    for (kind, spell), wanted, now in zip(cla[["kind", "spell"]].itertuples(index=False), want, same_now,
                                          strict=True):
        if wanted == now:
            continue
        rows = alloc.index[(alloc["kind"] == kind) & (alloc["spell"] == spell) & (alloc["start"] <= ref_day)
                           & ((alloc["end"] < 0) | (alloc["end"] >= year))]
        if wanted:
            alloc.loc[rows, "worker"] = alloc.loc[rows[0], "worker"]
        else:
            r = rows[-1]
            cut = int(rng.integers(max(alloc.at[r, "start"] + 1, year + 1), ref_day))
            tail = alloc.loc[[r]].copy()
            tail["start"] = cut
            tail["worker"] = alloc.at[r, "worker"][:-3] + f"{(int(alloc.at[r, 'worker'][-3:]) + 1) % 1000:03d}"
            alloc.at[r, "end"] = cut - 1
            alloc = pd.concat([alloc, tail])
    return alloc.sort_values(["child", "start"], kind="stable").reset_index(drop=True)


def _unallocated(w: World, alloc: pd.DataFrame) -> pd.DataFrame:
    """Cases open to a team without a worker at month ends: the council's 130 a year before, 2 and 1."""
    rng = w.rng["allocation"]
    periods = w.months.periods
    xs = [pd.Period(k, "M").ordinal for k, _ in UNALLOCATED_PATH]
    target = np.rint(np.interp([m.ordinal for m in periods], xs, [v for _, v in UNALLOCATED_PATH])).astype(int)
    alloc = alloc.reset_index(drop=True)
    kind_cin = (alloc["kind"] == "cin").to_numpy()
    start, end = alloc["start"].to_numpy(), alloc["end"].to_numpy()
    rows, untils = [], []
    taken = np.zeros(len(alloc), dtype=bool)
    for m, day in enumerate(w.months.last_day):
        cand = np.flatnonzero(kind_cin & ~taken & (start > day - 20) & (start <= day) & ((end < 0) | (end > day + 12)))
        pick = rng.choice(cand, size=min(int(target[m]), len(cand)), replace=False) if len(cand) else np.empty(0, int)
        taken[pick] = True
        rows += pick.tolist()
        untils += (int(day) + rng.integers(1, 10, len(pick))).tolist()
    if rows:
        rows_a, until = np.asarray(rows), np.asarray(untils)
        split = until < w.extract_day  # in the extract's last month the case is still unallocated at its end
        tail = alloc.iloc[rows_a[split]].copy()
        tail["start"] = until[split] + 1
        alloc.loc[rows_a[split], "end"] = until[split]
        alloc.loc[rows_a, "worker"] = None
        alloc = pd.concat([alloc, tail], ignore_index=True)
    return alloc.sort_values(["child", "start"], kind="stable").reset_index(drop=True)


#: Child protection visits are planned every 8 working days (the standard is at least every 10).
CP_VISIT_WD = 8


def _retime(rng: np.random.Generator, start: np.ndarray, done: np.ndarray, closes: np.ndarray, w: World,
            months: Months, limit: int, number: int) -> np.ndarray:
    """Move completion days (``done``, -1 while open) within their month so that, among those completed in
    each month, exactly the share on the rate path through the published figures (indicator ``number``)
    took no more than ``limit`` working days; the 12 and 3 months to August 2016 reproduce the published
    rolling figures. A completion never moves out of its month, before its start, after the case closed or
    after the extract date."""
    done = done.copy()
    has = done >= 0
    pos = np.where(has, month_pos(done, months), -1)
    due = wd_after(start, np.full(len(start), limit))
    timely = has & (done <= due)
    lo = months.first_day[np.maximum(pos, 0)]
    hi = np.minimum(months.last_day[np.maximum(pos, 0)], w.extract_day)
    hi = np.where(closes >= 0, np.minimum(hi, np.maximum(closes, start)), hi)
    lo = np.maximum(lo, start)
    # in time is possible if the month has a day by the due day, late if it has one after it
    want = monthly_flags(w.rng["quota"], pos, _scorecard_rates(number, months.periods), months.periods,
                         r12=_r12(number), r3=_r3(number), can_true=lo <= np.minimum(hi, due),
                         can_false=np.maximum(lo, due + 1) <= hi)
    for flag in (True, False):
        idx = np.flatnonzero(has & (want == flag) & (timely != flag))
        if flag:  # must finish by its due day
            a, b = lo[idx], np.minimum(hi[idx], due[idx])
        else:
            a, b = np.maximum(lo[idx], due[idx] + 1), hi[idx]
        ok = a <= b
        pick = a + np.floor(rng.random(len(idx)) * np.maximum(b - a + 1, 1)).astype(np.int64)
        done[idx[ok]] = pick[ok]
    return done


def _act(child, kind: str, date=None, due=None, related=None) -> pd.DataFrame:
    n = len(child)
    def col(v):
        return np.full(n, -1, dtype=np.int64) if v is None else np.asarray(v, dtype=np.int64)
    return pd.DataFrame({"child": np.asarray(child), "activity_type": kind, "date": col(date), "due": col(due),
                         "related": col(related)})


def _repeat_days(starts, stops, gap_lo: int, gap_hi: int, rng: np.random.Generator, first_lo: int = 0,
                 first_hi: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Days repeating every ``gap_lo``-``gap_hi`` days from each start (first after ``first_lo``-``first_hi``)
    up to each stop: (index of the span, day)."""
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    first_hi = gap_hi if first_hi is None else first_hi
    n_max = int(np.ceil(np.max(np.maximum(stops - starts, 0), initial=0) / max(gap_lo, 1))) + 2
    gaps = rng.integers(gap_lo, gap_hi + 1, (len(starts), n_max))
    gaps[:, 0] = rng.integers(first_lo, first_hi + 1, len(starts))
    days = starts[:, None] + np.cumsum(gaps, axis=1)
    ok = days <= stops[:, None]
    span, k = np.nonzero(ok)
    return span, days[span, k]


def build_activities(w: World, children: pd.DataFrame) -> None:
    """Visits, children seen, health, education and pathway plans, return interviews (the supplement's
    activities) and the CIN census's CIN plans, each calibrated to the published rates."""
    rng, q = w.rng["visits"], w.rng["quota"]
    months = w.months
    r = months.index(str(REF))
    ref_day = int(months.last_day[r])
    a = w.rows["assessments"]
    acts: list[pd.DataFrame] = []
    # -- CIN plans and CIN visits (IDs 5 and 6)
    cin_a = a[(a["kind"] == "cin") & (a["ordinal"] == 1) & (a["auth"] >= 0)]
    closure = cin_a["closure"].to_numpy()
    has_plan = ((closure < 0) | (closure - cin_a["auth"].to_numpy() > 14)) & (rng.random(len(cin_a)) < 0.9)
    plans = cin_a[has_plan].copy()
    plans["plan_start"] = np.minimum(plans["auth"].to_numpy() + rng.integers(0, 10, len(plans)),
                                     np.where(plans["closure"] >= 0, plans["closure"], 10**7))
    plans["plan_end"] = plans["closure"].to_numpy()
    plans = plans[plans["plan_start"] <= w.extract_day]
    ten = int(wd_before([ref_day], [10])[0])
    den = cin_a[(cin_a["auth"] <= ten) & (cin_a["referral"] <= ref_day) & ((cin_a["closure"] < 0)
                                                                            | (cin_a["closure"] > ref_day))]
    den = den[TEAM_TYPE[np.maximum(team_on(w, ("cin",), den, ref_day), 0)] != "DISABILITY"]
    sc = pub.scorecard()[5]
    want = exact(q, len(den), same_side_k(len(den), sc.numerator, sc.denominator, _thresholds(5)))
    plan_now = plans[(plans["plan_start"] <= ref_day) & ((plans["plan_end"] < 0) | (plans["plan_end"] > ref_day))]
    has_now = den["spell"].isin(plan_now["spell"]).to_numpy()
    add = den[want & ~has_now]
    add = add.assign(plan_start=np.minimum(add["auth"].to_numpy() + rng.integers(1, 10, len(add)), ref_day),
                     plan_end=add["closure"].to_numpy())
    stop_spells = set(den.loc[~want & has_now, "spell"])
    end_now = plans["spell"].isin(stop_spells) & (plans["plan_start"] <= ref_day)
    plans.loc[end_now, "plan_end"] = np.maximum(plans.loc[end_now, "plan_start"].to_numpy(),
                                                ref_day - rng.integers(1, 20, int(end_now.sum())))
    plans = pd.concat([plans[~plans["spell"].isin(add["spell"])], add], ignore_index=True)
    w.rows["cin_plans"] = plans
    stop = np.where(plans["plan_end"] >= 0, plans["plan_end"], w.extract_day)
    span, day = _repeat_days(plans["plan_start"], stop, 10, 34, rng, 3, 20)
    visits = _act(plans["child"].to_numpy()[span], "CIN_VISIT", date=day)
    seen_den = den[want & den["spell"].isin(plans.loc[plans["plan_start"] <= ref_day - 28, "spell"]).to_numpy()]
    sc = pub.scorecard()[6]
    seen = exact(q, len(seen_den), same_side_k(len(seen_den), sc.numerator, sc.denominator, _thresholds(6)))
    kids = seen_den["child"].to_numpy()
    recent = (visits["date"] > ref_day - 28) & (visits["date"] <= ref_day)
    visits = visits[~(recent & visits["child"].isin(kids[~seen]))]
    have = set(visits.loc[(visits["date"] > ref_day - 28) & (visits["date"] <= ref_day), "child"])
    need = [c for c in kids[seen] if c not in have]
    visits = pd.concat([visits, _act(need, "CIN_VISIT", date=ref_day - rng.integers(0, 27, len(need)))])
    acts.append(visits)
    # -- child protection visits every 10 working days (ID 11)
    cp = w.rows["cpp"]
    cp_stop = np.where(cp["end"] >= 0, cp["end"], w.extract_day)
    n_due = (np.nan_to_num(wd_count(cp["start"].to_numpy(), cp_stop)) // CP_VISIT_WD).astype(np.int64)
    span = np.repeat(np.arange(len(cp)), n_due)
    k = np.concatenate([np.arange(1, c + 1) for c in n_due]) if len(n_due) else np.empty(0, dtype=np.int64)
    due = wd_after(cp["start"].to_numpy()[span], CP_VISIT_WD * k)
    pos = month_pos(due, months)
    on_time = monthly_flags(q, pos, _scorecard_rates(11, months.periods, snapshot=True), months.periods)
    cur = (cp["start"].to_numpy()[span] <= ref_day) & (cp_stop[span] > ref_day) & (due <= ref_day)
    sc = pub.scorecard()[11]
    on_time[cur] = exact(q, int(cur.sum()), same_side_k(int(cur.sum()), sc.numerator, sc.denominator,
                                                        _thresholds(11)))
    held = np.where(on_time, due - rng.integers(0, 4, len(due)), due + rng.integers(1, 8, len(due)))
    held = np.maximum(held, cp["start"].to_numpy()[span])
    held = np.where(held > w.extract_day, -1, held)
    acts.append(_act(cp["child"].to_numpy()[span], "CP_VISIT", date=held, due=due))
    # -- private fostering visits every 6 weeks (ID 8)
    pf = w.spells["pf"]
    pf_stop = np.where(pf["end"] >= 0, pf["end"], w.extract_day)
    span, due = _repeat_days(pf["start"], pf_stop, 42, 42, rng, 7, 7)
    cur = (pf["start"].to_numpy()[span] <= ref_day) & (pf_stop[span] > ref_day) & (due <= ref_day)
    on_time = rng.random(len(due)) < 0.85
    sc = pub.scorecard()[8]
    on_time[cur] = exact(q, int(cur.sum()), same_side_k(int(cur.sum()), sc.numerator, sc.denominator,
                                                        _thresholds(8)))
    held = np.where(on_time, due - rng.integers(0, 5, len(due)), due + rng.integers(1, 20, len(due)))
    acts.append(_act(pf["child"].to_numpy()[span], "PF_VISIT", date=np.where(held > w.extract_day, -1, held),
                     due=due))
    # -- children seen at assessments (ID 4) and section 47 enquiries (ID 15)
    born = children.loc[a["child"], "dob"].to_numpy() <= a["a_start"].to_numpy()
    done = (a["auth"] >= 0).to_numpy() & born
    pos = np.where(done, month_pos(a["auth"].to_numpy(), months), -1)
    seen = monthly_flags(q, pos, _scorecard_rates(4, months.periods), months.periods, r12=_r12(4), r3=_r3(4))
    sa = a[seen & done]
    acts.append(_act(sa["child"].to_numpy(), "ASSESSMENT_SEEN", date=np.minimum(
        sa["a_start"].to_numpy() + rng.integers(0, 8, len(sa)), sa["auth"].to_numpy()), related=sa["a_start"]))
    s47 = w.rows["s47"]
    pos = month_pos(s47["s47_start"].to_numpy(), months)
    seen = monthly_flags(q, pos, _scorecard_rates(15, months.periods), months.periods, r12=_r12(15), r3=_r3(15))
    ss = s47[seen]
    acts.append(_act(ss["child"].to_numpy(), "S47_SEEN", date=np.minimum(ss["s47_start"].to_numpy()
                                                                      + rng.integers(0, 3, len(ss)), w.extract_day),
                     related=ss["s47_start"]))
    # -- looked-after children: IHA referrals, health and dental checks, personal education plans
    _looked_after_activities(w, children, acts)
    # -- return interviews (ID 9)
    miss = w.rows["missing"]
    per = w.rows["periods"].set_index("pid").loc[miss["pid"]]
    pos = month_pos(miss["MIS_START"].to_numpy(), months)
    timely = monthly_flags(q, pos, _scorecard_rates(9, months.periods), months.periods, r12=_r12(9), r3=_r3(9))
    back = np.where(miss["MIS_END"] >= 0, miss["MIS_END"], miss["MIS_START"])
    when = np.where(timely, wd_after(back, rng.integers(0, 4, len(miss))), wd_after(back, rng.integers(4, 20,
                                                                                                      len(miss))))
    none = ~timely & (rng.random(len(miss)) < 0.12)
    when = np.where(none | (when > w.extract_day), -1, when)
    keep = when >= 0
    acts.append(_act(per["child"].to_numpy()[keep], "RETURN_INTERVIEW", date=when[keep],
                     related=miss["MIS_START"].to_numpy()[keep]))
    w.rows["activities"] = pd.concat(acts, ignore_index=True)


def _check_days(starts, stops, dob, rng, every_young: tuple[int, int], every: tuple[int, int]) -> tuple:
    span_a, day_a = _repeat_days(starts, stops, every[0], every[1], rng, 15, 60)
    young = (day_a - np.asarray(dob)[span_a]) / YEAR < 5
    span_b, day_b = _repeat_days(starts, stops, every_young[0], every_young[1], rng, 15, 60)
    young_b = (day_b - np.asarray(dob)[span_b]) / YEAR < 5
    span = np.concatenate([span_a[~young], span_b[young_b]])
    day = np.concatenate([day_a[~young], day_b[young_b]])
    return span, day


def _fix_snapshot(rng, q, acts_kind: pd.DataFrame, cla: pd.DataFrame, ok_now: np.ndarray, want: np.ndarray,
                  kind: str, ref_day: int, window: np.ndarray) -> pd.DataFrame:
    """Add a recent activity for children who should pass and drop the recent ones of those who should not.
    ``window`` gives, per child, the earliest day an activity still counts."""
    kids = cla["child"].to_numpy()
    drop_kids = kids[ok_now & ~want]
    drop_from = pd.Series(window[ok_now & ~want], index=drop_kids)
    mine = acts_kind["child"].isin(drop_kids)
    limit = acts_kind.loc[mine, "child"].map(drop_from).to_numpy()
    drop = np.zeros(len(acts_kind), dtype=bool)
    drop[np.flatnonzero(mine)] = (acts_kind.loc[mine, "date"].to_numpy() >= limit) & (
        acts_kind.loc[mine, "date"].to_numpy() <= ref_day)
    add_kids = kids[~ok_now & want]
    add_lo = np.maximum(window[~ok_now & want], cla["start"].to_numpy()[~ok_now & want])
    add_day = add_lo + np.floor(rng.random(len(add_kids)) * np.maximum(ref_day - add_lo, 0)).astype(np.int64)
    return pd.concat([acts_kind[~drop], _act(add_kids, kind, date=add_day)], ignore_index=True)


def _looked_after_activities(w: World, children: pd.DataFrame, acts: list) -> None:
    rng, q = w.rng["visits"], w.rng["quota"]
    months = w.months
    r = months.index(str(REF))
    ref_day = int(months.last_day[r])
    p = w.rows["periods"]
    # initial health assessment referrals (ID 25), by area and excluding UASC over the year
    first_team = np.zeros(len(p), dtype=np.int64)
    for kind in ("lac_n", "lac_u"):
        firsts = w.segments[kind].groupby("spell")["team"].first()
        mine = (p["kind"] == kind).to_numpy()
        first_team[mine] = p.loc[mine, "spell"].map(firsts).fillna(0).astype(np.int64).to_numpy()
    group = group_of(first_team, p["uasc"].to_numpy())
    pos = month_pos(p["start"].to_numpy(), months)
    timely = monthly_flags(q, pos, _scorecard_rates(25, months.periods), months.periods)
    win = (pos >= r - 11) & (pos <= r)
    dens = np.bincount(group[win], minlength=10)
    targets = group_targets(25, dens)
    for g in range(10):
        idx = np.flatnonzero(win & (group == g))
        have = int(timely[idx].sum())
        if have != targets[g]:
            pick = idx[timely[idx] == (have > targets[g])]
            # flip the earliest first, keeping the last three months near the published 84.2%
            pick = pick[np.argsort(pos[pick], kind="stable")][: abs(have - int(targets[g]))]
            timely[pick] = have < targets[g]
    days = np.where(timely, wd_after(p["start"].to_numpy(), rng.integers(0, 6, len(p))),
                    wd_after(p["start"].to_numpy(), rng.integers(6, 40, len(p))))
    keep = days <= w.extract_day
    acts.append(_act(p["child"].to_numpy()[keep], "IHA_REFERRAL", date=days[keep],
                     related=p["start"].to_numpy()[keep]))
    # health assessments and dental checks (IDs 24, 23); personal education plans (ID 26)
    cla = w.rows["cla_ref"]
    age_ref = (ref_day - cla["dob"].to_numpy()) / YEAR
    three = cla["start"].to_numpy() <= _add_months(ref_day, -3)
    for kind, number, young_every in (("HEALTH_ASSESSMENT", 24, (150, 182)), ("DENTAL_CHECK", 23, (300, 364))):
        span, day = _check_days(p["start"], p["stop"], p["dob"], rng, young_every, (300, 364))
        late = rng.random(len(day)) < 0.12
        day = day + np.where(late, rng.integers(20, 90, len(day)), 0)
        ok = (day <= p["stop"].to_numpy()[span]) & (day <= w.extract_day)
        k_acts = _act(p["child"].to_numpy()[span][ok], kind, date=day[ok])
        sub = cla[three]
        limit = np.where((age_ref[three] < 5) & (kind == "HEALTH_ASSESSMENT"), _add_months(ref_day, -6),
                         _add_months(ref_day, -12))
        limit = np.maximum(limit, sub["start"].to_numpy())
        last = k_acts[k_acts["date"] <= ref_day].groupby("child")["date"].max()
        ok_now = sub["child"].map(last).fillna(-1).to_numpy() > limit
        want = flag_groups(q, sub["group"].to_numpy(), group_targets(number, np.bincount(sub["group"], minlength=10)))
        acts.append(_fix_snapshot(rng, q, k_acts, sub, ok_now, want, kind, ref_day, limit + 1))
    school = (p["dob"] + int(4 * YEAR)).to_numpy()
    starts = np.maximum(p["start"].to_numpy(), school)
    stops = np.minimum(p["stop"].to_numpy(), (p["dob"] + int(17 * YEAR)).to_numpy())
    span, day = _repeat_days(starts, np.maximum(stops, starts), 110, 200, rng, 10, 40)
    ok = day <= np.maximum(stops, starts)[span]
    pep = _act(p["child"].to_numpy()[span][ok], "PEP", date=day[ok])
    sub = cla[(age_ref >= 5) & (age_ref < 17) & (wd_after(cla["start"].to_numpy(), np.full(len(cla), 20)) <= ref_day)]
    limit = np.full(len(sub), _add_months(ref_day, -6))
    last = pep[pep["date"] <= ref_day].groupby("child")["date"].max()
    ok_now = sub["child"].map(last).fillna(-1).to_numpy() > limit
    want = flag_groups(q, sub["group"].to_numpy(), group_targets(26, np.bincount(sub["group"], minlength=10)))
    acts.append(_fix_snapshot(rng, q, pep, sub, ok_now, want, "PEP", ref_day, limit + 1))
    # pathway plans of care leavers (ID 35), Kent and excluding UASC
    cl = w.spells["cl"]
    cl_stop = np.where(cl["end"] >= 0, cl["end"], w.extract_day)
    span, day = _repeat_days(cl["start"], cl_stop, 120, 200, rng, 5, 60)
    plans = _act(cl["child"].to_numpy()[span], "PATHWAY_PLAN", date=day)
    cur = cl[(cl["start"] <= ref_day) & ((cl["end"] < 0) | (cl["end"] > ref_day))].copy()
    cur["group"] = np.where(children.loc[cur["child"], "uasc"].to_numpy(), 9, 8)
    limit = np.full(len(cur), _add_months(ref_day, -6))
    last = plans[plans["date"] <= ref_day].groupby("child")["date"].max()
    ok_now = cur["child"].map(last).fillna(-1).to_numpy() > limit
    want = flag_groups(q, cur["group"].to_numpy(), group_targets(35, np.bincount(cur["group"], minlength=10)))
    acts.append(_fix_snapshot(rng, q, plans, cur, ok_now, want, "PATHWAY_PLAN", ref_day, limit + 1))


SUITABLE = {"U1": 30, "B1": 25, "D1": 15, "E1": 10, "Z1": 10, "K1": 5, "C1": 3, "T1": 2}
UNSUITABLE = {"S2": 20, "V2": 15, "W2": 15, "X2": 20, "B2": 15, "U2": 15}
EET_CODES = {"F1": 10, "P1": 2, "F2": 40, "P2": 8, "F3": 30, "P3": 10}
NEET_CODES = {"G4": 20, "G5": 65, "G6": 15}


def build_contacts(w: World, children: pd.DataFrame) -> pd.DataFrame:
    """Care leavers' contacts around their 19th, 20th and 21st birthdays (IDs 32-34)."""
    rng, q = w.rng["supplement"], w.rng["quota"]
    months = w.months
    cl = w.spells["cl"]
    kids = cl["child"].drop_duplicates().to_numpy()
    dob = children.loc[kids, "dob"].to_numpy()
    rows = []
    for age in (19, 20, 21):
        bday = add_months(dob, 12 * age)
        day = bday + rng.integers(-15, 25, len(bday))
        ok = (day >= months.first_day[0]) & (day <= w.extract_day)
        rows.append(pd.DataFrame({"child": kids[ok], "contact_date": day[ok]}))
    c = pd.concat(rows, ignore_index=True).drop_duplicates(["child", "contact_date"])
    uasc = children.loc[c["child"], "uasc"].to_numpy()
    group = np.where(uasc, 9, 8)
    pos = month_pos(c["contact_date"].to_numpy(), months)
    r = months.index(str(REF))
    win = (pos >= r - 11) & (pos <= r)

    def flags(number: int, among: np.ndarray) -> np.ndarray:
        f = np.zeros(len(c), dtype=bool)
        outside = among & ~win
        f[outside] = monthly_flags(q, pos[outside], _scorecard_rates(number, months.periods), months.periods)
        inside = among & win
        f[inside] = flag_groups(q, group[inside], group_targets(number, np.bincount(group[inside], minlength=10)))
        return f

    everyone = np.ones(len(c), dtype=bool)
    in_touch = flags(32, everyone)
    nreq = ~in_touch & (rng.random(len(c)) < 0.015)
    status = np.where(in_touch, "YES", np.where(nreq, "NREQ", _choice(rng, {"NO": 70, "REFU": 20, "RHOM": 8,
                                                                          "DIED": 0.2}, len(c))))
    known = in_touch | nreq
    suitable = flags(33, known)
    eet = flags(34, known)
    c["IN_TOUCH"] = status
    c["ACCOM"] = np.where(~known, "0", np.where(suitable, _choice(rng, SUITABLE, len(c)), _choice(rng, UNSUITABLE,
                                                                                                len(c))))
    c["ACTIV"] = np.where(~known, "0", np.where(eet, _choice(rng, EET_CODES, len(c)), _choice(rng, NEET_CODES,
                                                                                             len(c))))
    return c.reset_index(drop=True)


AUDIT_VOLUMES = {"CASE_FILE": 60, "CP_SW_REPORT": 189, "CIC_CARE_PLAN": 506}


def build_audits(w: World) -> pd.DataFrame:
    """Quality assurance audits each month, completed and graded at the published rates (IDs 36-40)."""
    rng, q = w.rng["supplement"], w.rng["quota"]
    months = w.months
    frames = []
    cswt = [i for i, t in enumerate(TEAMS) if t[2] in ("CSWT", "CIC", "DISABILITY")]
    for kind, volume in AUDIT_VOLUMES.items():
        n = rng.poisson(volume, len(months))
        pos = np.repeat(np.arange(len(months)), n)
        due = months.first_day[pos] + np.floor(rng.random(len(pos)) * (months.last_day[pos] - months.first_day[pos]
                                                                     + 1)).astype(np.int64)
        if kind == "CASE_FILE":
            done = monthly_flags(q, pos, _scorecard_rates(36, months.periods), months.periods, r12=_r12(36),
                                 r3=_r3(36))
            good = np.zeros(len(pos), dtype=bool)
            good[done] = monthly_flags(q, pos[done], _scorecard_rates(37, months.periods), months.periods,
                                       r12=_r12(37), r3=_r3(37))
            bad = np.zeros(len(pos), dtype=bool)
            rest = done & ~good
            # inadequate is a share of all completed audits: scale to the audits that are not good
            n_done = np.bincount(pos[done], minlength=len(months)).astype(float)
            n_rest = np.bincount(pos[rest], minlength=len(months)).astype(float)
            rate = np.clip(_scorecard_rates(38, months.periods) * n_done / np.maximum(n_rest, 1), 0, 1)
            bad[rest] = monthly_flags(q, pos[rest], rate, months.periods)
            sc = pub.scorecard()[38]
            win = done & (pos >= months.index(str(REF)) - 11)
            k = same_side_k(int(win.sum()), sc.numerator, sc.denominator, _thresholds(38))
            have = int((bad & win).sum())
            cand = np.flatnonzero(win & rest & (~bad if have < k else bad))
            pick = q.choice(cand, size=min(abs(k - have), len(cand)), replace=False) if len(cand) else []
            bad[pick] = have < k
        else:
            number = 39 if kind == "CP_SW_REPORT" else 40
            done = np.ones(len(pos), dtype=bool)
            good = monthly_flags(q, pos, _scorecard_rates(number, months.periods), months.periods, r12=_r12(number),
                                 r3=_r3(number))
            bad = ~good & (rng.random(len(pos)) < 0.08)
        grade = np.where(~done, None, np.where(good, np.where(rng.random(len(pos)) < 0.15, "OUTSTANDING", "GOOD"),
                                               np.where(bad, "INADEQUATE", "REQUIRES_IMPROVEMENT")))
        completed = np.where(done, np.minimum(due + rng.integers(-10, 10, len(pos)), w.extract_day), -1)
        frames.append(pd.DataFrame({"audit_type": kind, "team": rng.choice(cswt, len(pos)), "due": due,
                                    "completed": completed, "grade": grade}))
    out = pd.concat(frames, ignore_index=True).sort_values("due", kind="stable").reset_index(drop=True)
    out["audit_id"] = [f"QA{i + 1:06d}" for i in range(len(out))]
    return out


#: Staffing: Kent's caseholding posts and how they are filled (IDs 41, 42), and the ratios of cases to
#: social workers (IDs 43-45), through the published year-ago, month-ago and latest values.
STAFFING = {"posts": (("2013-03", 505.0), ("2015-08", 515.0), ("2016-07", 522.0), ("2016-08", 524.0))}
FOSTERING_HOUSEHOLDS = (("2013-03", 800), ("2015-08", 820), ("2016-07", 830), ("2016-08", 835))


def build_staffing(w: World, alloc: pd.DataFrame) -> pd.DataFrame:
    """Monthly staffing by team, with Kent's totals exactly the published ones in August 2016."""
    months = w.months
    periods = months.periods
    caseholding = [i for i, t in enumerate(TEAMS) if t[2] not in ("FOSTERING", "OTHER")]
    counts = np.zeros((len(TEAMS), len(months)))
    for m, day in enumerate(months.last_day):
        cur = alloc[(alloc["start"] <= day) & ((alloc["end"] < 0) | (alloc["end"] >= day))]
        counts[:, m] = np.bincount(cur["team"].astype(np.int64), minlength=len(TEAMS))
    xs = np.array([pd.Period(k, "M").ordinal for k, _ in STAFFING["posts"]], dtype=float)
    x = np.array([p.ordinal for p in periods], dtype=float)
    posts = np.interp(x, xs, [v for _, v in STAFFING["posts"]])
    perm = _scorecard_rates(41, periods, snapshot=True)
    agency = _scorecard_rates(42, periods, snapshot=True)
    sc = pub.scorecard()
    rows = []
    for m, label in enumerate(periods):
        is_ref = label == REF
        total = sc[41].denominator if is_ref else round(posts[m], 1)
        perm_total = sc[41].numerator if is_ref else round(total * perm[m], 1)
        agency_total = sc[42].numerator if is_ref else round(total * agency[m], 1)
        weights = counts[caseholding, m] + 1.0
        share = lambda tot, wt=weights: largest_remainder(int(round(tot * 10)), wt) / 10.0  # noqa: E731
        p_t, pe_t, ag_t = share(total), share(perm_total), share(agency_total)
        # social workers holding cases in CIC teams and CSWTs: cases / the published caseload ratio
        sw = {}
        for team_type, number in (("CIC", 43), ("CSWT", 44)):
            members = [i for i in caseholding if TEAMS[i][2] == team_type]
            ratio = _scorecard_rates(number, periods, snapshot=True)[m] * 100
            tot = sc[number].denominator if is_ref else round(counts[members, m].sum() / ratio, 1)
            for i, v in zip(members, largest_remainder(int(round(tot * 10)), counts[members, m] + 1.0) / 10.0,
                            strict=True):
                sw[i] = v
        for j, i in enumerate(caseholding):
            worker_fte = sw.get(i, round(p_t[j] * 0.85, 1))
            rows.append((str(label), i, p_t[j], pe_t[j], min(ag_t[j], round(p_t[j] - pe_t[j], 1) + ag_t[j]),
                         worker_fte, None))
        # fostering teams: households per supervising social worker (ID 45)
        hx = np.array([pd.Period(k, "M").ordinal for k, _ in FOSTERING_HOUSEHOLDS], dtype=float)
        households = int(round(np.interp(x[m], hx, [v for _, v in FOSTERING_HOUSEHOLDS])))
        ratio = _scorecard_rates(45, periods, snapshot=True)[m] * 100
        fte = sc[45].denominator if is_ref else round(households / ratio, 1)
        households = int(sc[45].numerator) if is_ref else households
        fost = [i for i, t in enumerate(TEAMS) if t[2] == "FOSTERING"]
        for i, hh, f in zip(fost, largest_remainder(households, np.ones(len(fost))),
                            largest_remainder(int(round(fte * 10)), np.ones(len(fost))) / 10.0, strict=True):
            # supervising social workers hold no children's cases: no caseholding posts (IDs 41-42)
            rows.append((str(label), i, 0.0, 0.0, 0.0, f, int(hh)))
    return pd.DataFrame(rows, columns=["month", "team", "posts_fte", "permanent_qsw_fte", "agency_fte",
                                       "social_worker_fte", "fostering_households"])


# -- tables ------------------------------------------------------------------------------------------------------
DISABILITY_CODES = {"LD": 30, "AUT": 30, "COMM": 15, "MOB": 8, "BEH": 7, "HAND": 3, "VIS": 3, "HEAR": 4}
OUTWARD = {"NORTH": ("DA1", "DA2", "DA11", "DA12", "TN13", "TN15"), "EAST": ("CT1", "CT2", "ME10", "ME12", "CT9",
                                                                            "CT11"),
           "SOUTH": ("TN23", "TN24", "CT16", "CT17", "CT19", "CT20"), "WEST": ("ME14", "ME15", "TN9", "TN10", "TN1",
                                                                             "TN2"),
           "COUNTY": ("ME14", "CT1", "TN23")}


def _frame(name: str, data: dict) -> pd.DataFrame:
    """A typed contract table from columns (missing ones empty), in the contract's column order."""
    spec = TABLES[name]
    n = len(next(iter(data.values()))) if data else 0
    out = {}
    for c in spec.columns:
        v = data.get(c.name)
        kind = c.kind
        if v is None:
            out[c.name] = empty_table(name)[c.name].reindex(range(n))
            continue
        if kind in ("date", "month"):
            s = pd.Series(v)
            out[c.name] = (ts(s.to_numpy()) if pd.api.types.is_numeric_dtype(s) else pd.to_datetime(s)).astype(
                "datetime64[ns]").reset_index(drop=True)
        elif kind == "bool":
            out[c.name] = pd.Series(v, dtype="boolean").reset_index(drop=True)
        elif kind == "int":
            out[c.name] = pd.Series(v, dtype="Int64").reset_index(drop=True)
        elif kind == "number":
            out[c.name] = pd.Series(v, dtype="Float64").reset_index(drop=True)
        else:
            out[c.name] = pd.Series(v, dtype="string").reset_index(drop=True)
    return pd.DataFrame(out)


def _postcode(rng: np.random.Generator, teams: np.ndarray) -> np.ndarray:
    area = TEAM_AREA[np.asarray(teams, dtype=np.int64)]
    return np.array([f"{OUTWARD[a][int(rng.integers(0, len(OUTWARD[a])))]} {int(rng.integers(1, 10))}"
                     for a in area], dtype=object)


def to_tables(w: World, children: pd.DataFrame, alloc: pd.DataFrame, contacts: pd.DataFrame, audits: pd.DataFrame,
              staffing: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The contract's typed tables from everything built."""
    rng = w.rng["supplement"]
    cid = children["child_id"]
    extract = ts([w.extract_day]).iloc[0]
    out: dict[str, pd.DataFrame] = {}
    # -- CIN census
    out["cin_header"] = _frame("cin_header", {
        "Collection": ["CIN"], "Year": [str(extract.year + (extract.month >= 4))], "ReferenceDate": [extract],
        "SourceLevel": ["L"], "LEA": [LA_NUMBER], "SoftwareCode": ["SYNTHETIC: ehps synth-returns"],
        "Release": [__version__], "SerialNo": ["001"], "DateTime": [f"{extract:%Y-%m-%d}T18:00:00"]})
    e = w.rows["episodes"].sort_values(["child", "referral", "kind"], kind="stable").copy()
    e["details_id"] = e.groupby("child").cumcount() + 1
    in_cin = children.loc[e["child"].unique()]
    dob = in_cin["dob"].to_numpy()
    born = dob <= w.extract_day
    age_now = (w.extract_day - dob) / YEAR
    disabled_kids = set(e.loc[np.isin(TEAM_TYPE[e["team"].to_numpy()], ("DISABILITY",)), "child"])
    out["cin_child"] = _frame("cin_child", {
        "LAchildID": in_cin["child_id"].to_numpy(), "UPN": np.where(born & (age_now >= 5), in_cin["upn"], None),
        "UPNunknown": np.where(born & (age_now >= 5), None, np.where(born, "UN1", "UN2")),
        "PersonBirthDate": np.where(born, dob, -1), "ExpectedPersonBirthDate": np.where(born, -1, dob),
        "Sex": np.where(born, in_cin["sex"], "U"), "Ethnicity": np.where(born, in_cin["ethnic"], "NOBT")})
    dis_kids = in_cin.index.isin(list(disabled_kids))
    out["cin_disability"] = _frame("cin_disability", {
        "LAchildID": in_cin["child_id"].to_numpy(),
        "Disability": np.where(dis_kids, _choice(rng, DISABILITY_CODES, len(in_cin)), "NONE")})
    key = e.set_index(["kind", "spell"])["details_id"]
    out["cin_details"] = _frame("cin_details", {
        "LAchildID": cid.loc[e["child"]].to_numpy(), "CINdetailsID": e["details_id"].to_numpy(),
        "CINreferralDate": e["referral"].to_numpy(), "ReferralSource": e["source"].to_numpy(),
        "PrimaryNeedCode": e["need"].to_numpy(), "CINclosureDate": e["closure"].to_numpy(),
        "ReasonForClosure": e["reason"].to_numpy(), "ReferralNFA": e["nfa"].to_numpy()})
    a = w.rows["assessments"].sort_values(["child", "a_start"], kind="stable").copy()
    a["details_id"] = key.reindex(pd.MultiIndex.from_frame(a[["kind", "spell"]])).to_numpy()
    a["assessment_id"] = a.groupby(["child", "details_id"]).cumcount() + 1
    out["cin_assessment"] = _frame("cin_assessment", {
        "LAchildID": cid.loc[a["child"]].to_numpy(), "CINdetailsID": a["details_id"].to_numpy(),
        "AssessmentID": a["assessment_id"].to_numpy(), "AssessmentActualStartDate": a["a_start"].to_numpy(),
        "AssessmentAuthorisationDate": a["auth"].to_numpy()})
    done = a[a["auth"] >= 0]
    n_f = rng.integers(1, 4, len(done))
    f_idx = np.repeat(np.arange(len(done)), n_f)
    factors = pd.DataFrame({"LAchildID": cid.loc[done["child"]].to_numpy()[f_idx],
                            "CINdetailsID": done["details_id"].to_numpy()[f_idx],
                            "AssessmentID": done["assessment_id"].to_numpy()[f_idx],
                            "AssessmentFactors": _choice(rng, {"3B": 20, "4B": 18, "2B": 8, "1B": 6, "21": 6, "6C": 4,
                                                                "4A": 8, "22A": 3, "8F": 6, "18B": 6, "20": 5, "9A": 2,
                                                                "3A": 8}, len(f_idx))}).drop_duplicates()
    out["cin_assessment_factor"] = _frame("cin_assessment_factor", {c: factors[c].to_numpy() for c in factors})
    pl = w.rows["cin_plans"]
    out["cin_plan"] = _frame("cin_plan", {
        "LAchildID": cid.loc[pl["child"]].to_numpy(),
        "CINdetailsID": key.reindex(pd.MultiIndex.from_frame(pl[["kind", "spell"]])).to_numpy(),
        "CINPlanStartDate": pl["plan_start"].to_numpy(), "CINPlanEndDate": pl["plan_end"].to_numpy()})
    s = w.rows["s47"]
    s_ids = key.reindex(pd.MultiIndex.from_frame(s[["kind", "spell"]])).to_numpy()
    out["cin_s47"] = _frame("cin_s47", {
        "LAchildID": cid.loc[s["child"]].to_numpy(), "CINdetailsID": s_ids,
        "S47ActualStartDate": s["s47_start"].to_numpy(),
        "InitialCPCtarget": wd_after(s["s47_start"].to_numpy(), np.full(len(s), 15)),
        "DateOfInitialCPC": s["icpc"].to_numpy(), "ICPCnotRequired": (s["icpc"] < 0).to_numpy()})
    cp = w.rows["cpp"]
    cp_ids = key.reindex(pd.MultiIndex.from_frame(cp[["kind", "spell"]])).to_numpy()
    out["cin_cpp"] = _frame("cin_cpp", {
        "LAchildID": cid.loc[cp["child"]].to_numpy(), "CINdetailsID": cp_ids, "CPPID": np.ones(len(cp), dtype=int),
        "CPPstartDate": cp["start"].to_numpy(), "CPPendDate": cp["end"].to_numpy(),
        "InitialCategoryOfAbuse": cp["initial_cat"].to_numpy(), "LatestCategoryOfAbuse": cp["latest_cat"].to_numpy(),
        "NumberOfPreviousCPP": cp["previous"].to_numpy()})
    rv = w.rows["cpp_reviews"].merge(cp[["spell", "child"]].assign(details=cp_ids), on="spell")
    out["cin_cpp_review"] = _frame("cin_cpp_review", {
        "LAchildID": cid.loc[rv["child"]].to_numpy(), "CINdetailsID": rv["details"].to_numpy(),
        "CPPID": np.ones(len(rv), dtype=int), "CPPreviewDate": rv["review"].to_numpy()})
    # -- SSDA903
    p = w.rows["periods"].set_index("pid")
    ev = w.rows["episodes903"]
    cl = w.spells["cl"]
    unlinked = cl[~cl["linked"]]
    first = w.months.first_day[0]
    u_dob = children.loc[unlinked["child"], "dob"].to_numpy()
    dec = np.minimum(np.minimum(first - 1, unlinked["start"].to_numpy() - 1), u_dob + int(18 * YEAR) - 1)
    decom = np.maximum(u_dob + int(14 * YEAR), dec - 1000)
    decom = np.where(decom >= dec, dec - 100, decom)
    pre = pd.DataFrame({"child": unlinked["child"].to_numpy(), "DECOM": decom, "RNE": "S", "LS": "C2", "CIN": "N1",
                        "PLACE": "U4", "PLACE_PROVIDER": "PR1", "DEC": dec, "REC": "E8"})
    ep_child = p.loc[ev["pid"], "child"].to_numpy()
    eps = pd.concat([pd.DataFrame({"child": ep_child, "DECOM": ev["day"].to_numpy(), "RNE": ev["RNE"].to_numpy(),
                                   "LS": ev["LS"].to_numpy(), "CIN": ev["CIN"].to_numpy(),
                                   "PLACE": ev["PLACE"].to_numpy(),
                                   "PLACE_PROVIDER": ev["PLACE_PROVIDER"].to_numpy(), "DEC": ev["DEC"].to_numpy(),
                                   "REC": ev["REC"].to_numpy()}), pre], ignore_index=True)
    eps = eps.sort_values(["child", "DECOM"], kind="stable").reset_index(drop=True)
    team_home = np.zeros(len(eps), dtype=np.int64)
    placed_elsewhere = _postcode(rng, team_home + TEAM_INDEX["OTH-COUNTY"])
    out["ssda903_episodes"] = _frame("ssda903_episodes", {
        "CHILD": cid.loc[eps["child"]].to_numpy(), "DECOM": eps["DECOM"].to_numpy(), "RNE": eps["RNE"].to_numpy(),
        "LS": eps["LS"].to_numpy(), "CIN": eps["CIN"].to_numpy(), "PLACE": eps["PLACE"].to_numpy(),
        "PLACE_PROVIDER": eps["PLACE_PROVIDER"].to_numpy(), "DEC": eps["DEC"].to_numpy(), "REC": eps["REC"].to_numpy(),
        "HOME_POST": _postcode(rng, rng.choice([TEAM_INDEX[f"OTH-{a}"] for a in AREA_LABELS], len(eps))),
        "PL_POST": placed_elsewhere,
        "URN": np.where(np.isin(eps["PLACE"].to_numpy().astype(str), ("K2", "K1")),
                        [f"SC{int(x):06d}" for x in rng.integers(100000, 999999, len(eps))], None)})
    lac_kids = children.loc[eps["child"].unique()]
    girls = lac_kids["sex"].to_numpy() == "F"
    mother = np.where(girls, np.where(rng.random(len(lac_kids)) < 0.01, "1", "0"), None)
    age_kids = (w.extract_day - lac_kids["dob"].to_numpy()) / YEAR
    out["ssda903_header"] = _frame("ssda903_header", {
        "CHILD": lac_kids["child_id"].to_numpy(), "SEX": np.where(lac_kids["sex"] == "M", "1", "2"),
        "DOB": lac_kids["dob"].to_numpy(), "ETHNIC": lac_kids["ethnic"].to_numpy(),
        "UPN": np.where(age_kids >= 5, lac_kids["upn"], "UN1"), "MOTHER": mother,
        "MC_DOB": np.where(mother == "1", w.extract_day - rng.integers(30, 300, len(lac_kids)), -1)})
    u = lac_kids[lac_kids["uasc"].to_numpy()]
    eighteen = add_months(u["dob"].to_numpy(), 12 * 18)
    out["ssda903_uasc"] = _frame("ssda903_uasc", {
        "CHILD": u["child_id"].to_numpy(), "SEX": np.where(u["sex"] == "M", "1", "2"), "DOB": u["dob"].to_numpy(),
        "DUC": np.where(eighteen <= w.extract_day, eighteen, -1)})
    rev = w.rows["reviews"]
    rk = p.loc[rev["pid"], "child"].to_numpy()
    out["ssda903_reviews"] = _frame("ssda903_reviews", {
        "CHILD": cid.loc[rk].to_numpy(), "DOB": children.loc[rk, "dob"].to_numpy(), "REVIEW": rev["day"].to_numpy(),
        "REVIEW_CODE": rev["REVIEW_CODE"].to_numpy()})
    m = w.rows["missing"]
    mk = p.loc[m["pid"], "child"].to_numpy()
    out["ssda903_missing"] = _frame("ssda903_missing", {
        "CHILD": cid.loc[mk].to_numpy(), "DOB": children.loc[mk, "dob"].to_numpy(), "MISSING": m["MISSING"].to_numpy(),
        "MIS_START": m["MIS_START"].to_numpy(), "MIS_END": m["MIS_END"].to_numpy()})
    # OC2: looked after for 12 months at the latest 31 March in the window
    march = day_of(pd.Timestamp(f"{extract.year - (extract.month < 4)}-03-31"))
    oc2 = p[(p["start"] <= march - 365) & (p["stop"] >= march)].drop_duplicates("child")
    oc2_age = (march - oc2["dob"].to_numpy()) / YEAR
    sdq = (oc2_age >= 4) & (oc2_age < 17)
    yes = lambda share: np.where(rng.random(len(oc2)) < share, "1", "0")  # noqa: E731
    out["ssda903_oc2"] = _frame("ssda903_oc2", {
        "CHILD": cid.loc[oc2["child"]].to_numpy(), "DOB": oc2["dob"].to_numpy(),
        "SDQ_SCORE": np.where(sdq, rng.integers(0, 40, len(oc2)), None),
        "SDQ_REASON": np.where(sdq, None, "SDQ1"), "CONVICTED": yes(0.04), "HEALTH_CHECK": yes(0.9),
        "IMMUNISATIONS": yes(0.85), "TEETH_CHECK": yes(0.88), "HEALTH_ASSESSMENT": yes(0.9),
        "SUBSTANCE_MISUSE": yes(0.04), "INTERVENTION_RECEIVED": yes(0.03), "INTERVENTION_OFFERED": yes(0.04)})
    april = day_of(pd.Timestamp(f"{extract.year - (extract.month < 4)}-04-01"))
    latest = (contacts[contacts["contact_date"] >= april].sort_values("contact_date")
              .drop_duplicates("child", keep="last"))
    latest = latest[latest["child"].isin(lac_kids.index)]
    out["ssda903_oc3"] = _frame("ssda903_oc3", {
        "CHILD": cid.loc[latest["child"]].to_numpy(), "DOB": children.loc[latest["child"], "dob"].to_numpy(),
        "IN_TOUCH": latest["IN_TOUCH"].to_numpy(), "ACTIV": latest["ACTIV"].to_numpy(),
        "ACCOM": latest["ACCOM"].to_numpy()})
    ad = w.rows["adopted"]
    dec = w.rows["decisions"].set_index("pid")["decision"]
    n_ad = len(ad)
    foster = rng.random(n_ad) < 0.15
    couple = rng.random(n_ad) < 0.85
    out["ssda903_ad1"] = _frame("ssda903_ad1", {
        "CHILD": cid.loc[ad["child"]].to_numpy(), "DOB": ad["dob"].to_numpy(),
        "DATE_INT": ad["pid"].map(dec).to_numpy(), "DATE_MATCH": ad["match"].to_numpy(),
        "FOSTER_CARE": np.where(foster, "1", "0"), "NB_ADOPTR": np.where(couple, "2", "1"),
        "SEX_ADOPTR": np.where(couple, _choice(rng, {"MF": 88, "MM": 6, "FF": 6}, n_ad), _choice(rng, {"F1": 85,
                                                                                                    "M1": 15}, n_ad)),
        "LS_ADOPTR": np.where(foster, "L0",
                              np.where(couple, _choice(rng, {"L11": 80, "L12": 5, "L2": 15}, n_ad), "L3"))})
    dd = w.rows["decisions"]
    dk = p.loc[dd["pid"], "child"].to_numpy()
    ceased = ~dd["pid"].isin(ad["pid"]).to_numpy() & (rng.random(len(dd)) < 0.05) & (
        dd["decision"].to_numpy() < w.extract_day - 120)
    out["ssda903_placed_adoption"] = _frame("ssda903_placed_adoption", {
        "CHILD": cid.loc[dk].to_numpy(), "DOB": children.loc[dk, "dob"].to_numpy(),
        "DATE_PLACED": dd["decision"].to_numpy(),
        "DATE_PLACED_CEASED": np.where(ceased, dd["decision"].to_numpy() + 100, -1),
        "REASON_PLACED_CEASED": np.where(ceased, "RD1", None)})
    starts = p[p["start"] >= first].sort_values("start").drop_duplicates("child", keep="last")
    out["ssda903_prev_perm"] = _frame("ssda903_prev_perm", {
        "CHILD": cid.loc[starts["child"]].to_numpy(), "DOB": starts["dob"].to_numpy(),
        "PREV_PERM": _choice(rng, {"Z1": 90, "P4": 5, "P2": 3, "P3": 2}, len(starts))})
    # -- supplement
    out["teams"] = _frame("teams", {
        "team_id": TEAM_IDS, "team_name": [t[1] for t in TEAMS], "team_type": [t[2] for t in TEAMS],
        "area": [t[3] for t in TEAMS], "service": [t[4] for t in TEAMS], "listed": [t[5] for t in TEAMS],
        "sort_order": list(range(1, len(TEAMS) + 1))})
    out["allocations"] = _frame("allocations", {
        "child_id": cid.loc[alloc["child"]].to_numpy(), "team_id": np.asarray(TEAM_IDS)[alloc["team"].astype(int)],
        "worker_id": alloc["worker"].to_numpy(), "start_date": alloc["start"].to_numpy(),
        "end_date": alloc["end"].to_numpy()})
    acts = w.rows["activities"].sort_values(["child", "activity_type", "date"], kind="stable")
    out["activities"] = _frame("activities", {
        "child_id": cid.loc[acts["child"]].to_numpy(), "activity_type": acts["activity_type"].to_numpy(),
        "activity_date": acts["date"].to_numpy(), "due_date": acts["due"].to_numpy(),
        "related_date": acts["related"].to_numpy()})
    out["care_leaver_contacts"] = _frame("care_leaver_contacts", {
        "child_id": cid.loc[contacts["child"]].to_numpy(), "contact_date": contacts["contact_date"].to_numpy(),
        "IN_TOUCH": contacts["IN_TOUCH"].to_numpy(), "ACTIV": contacts["ACTIV"].to_numpy(),
        "ACCOM": contacts["ACCOM"].to_numpy()})
    pf = w.spells["pf"]
    out["private_fostering"] = _frame("private_fostering", {
        "arrangement_id": [f"PF{i + 1:05d}" for i in range(len(pf))], "child_id": cid.loc[pf["child"]].to_numpy(),
        "team_id": np.asarray(TEAM_IDS)[pf["team"].astype(int)], "start_date": pf["start"].to_numpy(),
        "end_date": pf["end"].to_numpy()})
    pls = w.rows["placements"]
    pk = p.loc[pls["pid"], "child"].to_numpy()
    out["placements"] = _frame("placements", {
        "child_id": cid.loc[pk].to_numpy(), "DECOM": pls["day"].to_numpy(),
        "distance_miles": pls["distance"].to_numpy()})
    out["qa_audits"] = _frame("qa_audits", {
        "audit_id": audits["audit_id"].to_numpy(), "team_id": np.asarray(TEAM_IDS)[audits["team"].astype(int)],
        "audit_type": audits["audit_type"].to_numpy(), "due_date": audits["due"].to_numpy(),
        "completed_date": audits["completed"].to_numpy(), "grade": audits["grade"].to_numpy()})
    out["staffing"] = _frame("staffing", {
        "month": pd.PeriodIndex(staffing["month"], freq="M").to_timestamp().to_numpy(),
        "team_id": np.asarray(TEAM_IDS)[staffing["team"].astype(int)], "posts_fte": staffing["posts_fte"].to_numpy(),
        "permanent_qsw_fte": staffing["permanent_qsw_fte"].to_numpy(), "agency_fte": staffing["agency_fte"].to_numpy(),
        "social_worker_fte": staffing["social_worker_fte"].to_numpy(),
        "fostering_households": staffing["fostering_households"].to_numpy()})
    return out


def check_window(start, end) -> tuple[dt.date, dt.date]:
    """The window as dates, if it holds what the calibration needs; else a ValueError saying why.

    Examples
    --------
    >>> check_window("2014-09-01", "2016-08-31")
    (datetime.date(2014, 9, 1), datetime.date(2016, 8, 31))
    >>> check_window("2015-01-01", "2016-08-31")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the window must start by 1 September 2014, ... (got 01 January 2015)
    """
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if end < DEFAULT_END:
        raise ValueError(f"the synthetic returns are calibrated to August 2016: the extract date must be on or after "
                         f"{DEFAULT_END:%d %B %Y} (got {end:%d %B %Y})")
    if start > dt.date(2014, 9, 1):
        raise ValueError("the window must start by 1 September 2014, so that the rolling 12 months a year before "
                         f"August 2016 are in it (got {start:%d %B %Y})")
    return start, end


def generate_returns(seed: int = DEFAULT_SEED, start: dt.date = DEFAULT_START,
                     end: dt.date = DEFAULT_END) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Generate synthetic returns (see the module docstring).

    Parameters
    ----------
    seed
        Random seed: the same seed and window give identical tables.
    start, end
        First month of the window and the extract date. The window must hold August 2016 and the
        12 months before a year earlier (start on or before 1 September 2014, end on or after
        31 August 2016), since that is what the calibration reproduces.

    Returns
    -------
    tables, notes
        The contract's typed tables (every one), and notes on targets the model could not meet.

    Raises
    ------
    ValueError
        For a window that does not hold what the calibration needs.
    """
    start, end = check_window(start, end)
    streams = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, streams, strict=True)}
    months = Months(pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M"))
    last_full = end if (pd.Timestamp(end) + pd.Timedelta(days=1)).day == 1 else None
    del last_full
    w = World(rng=rng, months=months, plan=plan(months), extract_day=day_of(end))
    build_spells(w)
    children = build_children(w)
    build_cin(w, children)
    _plans_and_reviews(w)
    build_903(w, children)
    build_episodes(w, children)
    build_reviews_missing(w, children)
    alloc = _unallocated(w, _same_worker(w, _workers(w, _segments(w))))
    build_activities(w, children)
    contacts = build_contacts(w, children)
    audits = build_audits(w)
    staffing = build_staffing(w, alloc)
    return to_tables(w, children, alloc, contacts, audits, staffing), w.notes


# -- writing -------------------------------------------------------------------------------------------------------
#: File names of the SSDA903 tables, as the DfE and Data to Insight's validator name them.
S903_FILES = {"ssda903_header": "Header", "ssda903_episodes": "Episodes", "ssda903_uasc": "UASC",
              "ssda903_reviews": "Reviews", "ssda903_oc2": "OC2", "ssda903_oc3": "OC3", "ssda903_ad1": "AD1",
              "ssda903_placed_adoption": "PlacedAdoption", "ssda903_missing": "Missing",
              "ssda903_prev_perm": "PrevPerm"}


def as_text(frame: pd.DataFrame, name: str, date_format: str = "%Y-%m-%d") -> pd.DataFrame:
    """A typed table as the text a case system would export (blank for missing)."""
    out = {}
    for c in TABLES[name].columns:
        col = frame[c.name]
        if c.kind == "date":
            out[c.name] = col.dt.strftime(date_format)
        elif c.kind == "month":
            out[c.name] = col.dt.strftime("%Y-%m")
        elif c.kind == "bool":
            yes, no = ("Y", "N") if name == "teams" else ("true", "false")
            out[c.name] = col.map({True: yes, False: no})
        elif c.kind == "number":
            out[c.name] = col.map(lambda v: None if pd.isna(v) else f"{v:.1f}")
        else:
            out[c.name] = col.astype("string")
        out[c.name] = out[c.name].astype("string")
    return pd.DataFrame(out)


def write_returns(tables: dict[str, pd.DataFrame], folder: Path, *, seed: int, start: dt.date,
                  end: dt.date) -> list[Path]:
    """Write the returns as a council exports them: ``cin_census.xml`` (the DfE XML), the SSDA903's
    tables as CSV (``ssda903_Header.csv`` ..., dates DD/MM/YYYY), the supplement's tables as CSV
    (``supplement_teams.csv`` ...) and ``extract.json`` (``"synthetic": true``)."""
    folder = Path(folder)
    paths: list[Path] = []
    cin_text = {n: as_text(t, n) for n, t in tables.items() if n.startswith("cin_")}
    header = cin_text["cin_header"].iloc[0].to_dict()
    paths.append(io.write_bytes(rxml.cin_xml(cin_text, header), folder / "cin_census.xml"))
    for name, label in S903_FILES.items():
        paths.append(io.write_csv(as_text(tables[name], name, "%d/%m/%Y"), folder / f"ssda903_{label}.csv"))
    for name in ("teams", "allocations", "activities", "care_leaver_contacts", "private_fostering", "placements",
                 "qa_audits", "staffing"):
        paths.append(io.write_csv(as_text(tables[name], name), folder / f"supplement_{name}.csv"))
    manifest = {"synthetic": True, "generator": "ehps synth-returns", "seed": int(seed), "start": str(start),
                "end": str(end), "extract_date": str(end), "calibrated_to": f"seed {pub.SEED}, Kent, {pub.MONTH}",
                "ehps_lib_version": __version__,
                "files": {p.name: {"sha256": io.sha256_file(p)} for p in paths}}
    paths.append(io.write_json(manifest, folder / io.EXTRACT_MANIFEST))
    return paths


__all__ = ["generate_returns", "write_returns", "check_window", "plan", "seed_targets", "TEAMS", "REF", "DEFAULT_SEED",
           "DEFAULT_START", "DEFAULT_END", "same_side_k", "rate_path", "FLOORS", "as_text", "S903_FILES"]
