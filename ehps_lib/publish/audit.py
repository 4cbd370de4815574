"""Intruder audit: what can be worked out from everything a site has ever published?

``ehps check-disclosure --audit site/`` (and the build, before it publishes) reads only what the
site states: every figures CSV of every period in it (each paper's CSV, and the period's open
data under ``<period>/data/``) and the public definitions of the indicators (the catalogue).
It never reads the unsuppressed results or the suppression decisions: it is an independent
check of them.

**What it reads.** A CSV with the columns of the published results (``indicator_id,
area_code, period, age_band, numerator, denominator, suppressed``) or of the deprivation
gradient (``indicator_id, area_code, grouping, group, window_start, window_end, numerator,
denominator, suppressed``). Each numerator and each denominator that counts records is a
*cell*: a count identified by what it counts (the same count in two indicators is one cell:
step-ups, and the numerator of the step-up percentage), the area, the months it covers, and
the age band or deprivation group. A cell is *published* when any file states its value,
*withheld* when files show it only as ``c``. The same cell published with two different
values anywhere in the site is a finding (``conflict``).

**The relations an intruder knows** (all built here, from the published keys):

* areas: Kent = its 12 districts = its 4 SCS areas; each SCS area = its 3 districts;
* age bands: all ages = the sum of the bands (including records with no age);
* deprivation groups: an area's deciles (or quintiles) add up to its total over the same
  months; Kent's quintile = its two deciles = the 12 districts' same quintile;
* time, for counts of records dated in a window (flows): every window (a quarter, rolling 12
  months, a year to date, a gradient's 12 months) is the sum of the smallest pieces the site's
  windows cut time into; a month is such a piece when months are published, and pieces never
  published on their own (a quarter of a gradient, say) are unknowns of their own;
* shares: a numerator is at most its denominator, and the complement (denominator minus
  numerator: "cases not closed positively") is a count too;
* definitions: a count with more conditions is at most the same count with fewer
  (mental-health notifications at most all notifications), and counts of disjoint kinds of
  the same records add up to at most all of them (positive closures + step-ups at most closures);
* every period in the site at once: a cell has one value wherever and whenever it appears.

A relation with one unpublished member that is not withheld either (a district whose figures
the site does not show) makes that member an unknown too (a *derived* cell).

**The check.** Every withheld or derived cell's smallest and largest whole value consistent
with all published values and relations is computed with HiGHS
(:func:`ehps_lib.indicators.feasibility.ranges`). A cell passes when the range reaches both 0
and threshold + 1, lies wholly above the threshold, or is exactly 0
(:func:`~ehps_lib.indicators.feasibility.is_protected`). A failure names the cell, its range,
the files that show it and the relations that pin it (those binding at the bound that is too
tight).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import io
from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from ..indicators.catalogue import ALL_AGES, Indicator, load_catalogue, window_months
from ..indicators.feasibility import WITNESS_OPTIONS, Relation, binding_relations, check, components, is_protected
from ..periods import Period, PeriodError
from .cache import Memo

RESULTS_COLUMNS = {"indicator_id", "area_code", "period", "age_band", "numerator", "denominator", "suppressed"}
GRADIENT_COLUMNS = {"indicator_id", "area_code", "grouping", "group", "window_start", "window_end", "numerator",
                    "denominator", "suppressed"}
#: The SCS dashboard's open data (``<month>/data/scs_counts.csv``): its counts by unit, month and window.
SCS_COLUMNS = {"indicator_id", "area_code", "period", "window", "numerator", "denominator", "suppressed"}
#: ... and beside it, which teams make up each SCS area and service.
SCS_TEAMS_FILE = "scs_teams.csv"
#: SCS count ids start with this (they never meet an Early Help count rule's id).
SCS_PREFIX = "scs:"
#: A cell: (count rule id, area code, first month, last month, breakdown, group).
Key = tuple[str, str, int, int, str, str]


# -- results -----------------------------------------------------------------------------------------
@dataclass
class AuditFailure:
    """A withheld (or derived) cell an intruder can narrow below the protection interval."""

    cell: str
    lo: float
    hi: float
    kind: str  # "withheld" or "derived"
    relations: list[str]
    files: list[str]
    #: False when the audit ran out of solver budget before settling it (lo/hi are outer bounds)
    proved: bool = True

    def __str__(self) -> str:
        hi = "no limit" if self.hi == np.inf else f"{self.hi + 0.0:g}"
        what = "withheld" if self.kind == "withheld" else "never published, but derived"
        rng = (f"from {self.lo + 0.0:g} to {hi}" if not np.isnan(self.lo)  # + 0.0: a solver's -0 prints as 0
               else "no consistent value (contradictory figures)")
        if self.proved:
            lines = [f"{self.cell} ({what}): an intruder can tell it is {rng}"]
        else:
            lines = [f"{self.cell} ({what}): not proved protected within the audit's solver budget "
                     f"(its programmes, at most {NODE_LIMIT:,} branch-and-bound nodes each; it lies {rng} at most)"]
        if self.files:
            lines.append("    shown as c in: " + ", ".join(self.files[:3]) + (" ..." if len(self.files) > 3 else ""))
        for r in self.relations[:8]:
            lines.append(f"    pinned by: {r}")
        if len(self.relations) > 8:
            lines.append(f"    ... and {len(self.relations) - 8} more relation(s)")
        return "\n".join(lines)


@dataclass
class AuditReport:
    """What the audit read and found."""

    threshold: int
    periods: list[str] = field(default_factory=list)
    files: int = 0
    published: int = 0
    withheld: int = 0
    derived: int = 0
    relations: int = 0
    components: int = 0
    solver_calls: int = 0
    seconds: float = 0.0
    failures: list[AuditFailure] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    rule: str = "values"
    #: withheld and derived counts whose ranges came from the memo (:class:`AuditMemo`), not proved again
    reused: int = 0
    #: the narrowest feasible range of a withheld (or derived) count that is not known to be 0 or
    #: above the threshold: ``(hi - lo, lo, hi, cell)``; None when there is none
    narrowest: tuple[float, float, float, str] | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and not self.conflicts

    def summary(self) -> str:
        head = (f"Intruder audit of {self.files} figures file(s) for {len(self.periods)} period(s) "
                f"({', '.join(self.periods) or 'none'}): {self.published:,} published and {self.withheld:,} withheld "
                f"count(s), {self.derived:,} derived, {self.relations:,} relation(s), {self.solver_calls:,} integer "
                f"programme(s), {self.seconds:.1f} s.")
        if self.reused:
            head = head[:-1] + (f"; the ranges of {self.reused:,} count(s) came from an earlier audit of exactly "
                                "the same linked figures.")
        if self.ok:
            if self.rule == "zero":
                proof = f"reaches both 0 and {self.threshold + 1}"
            else:
                proof = (f"holds at least {self.threshold + 1} whole values, one of them above {self.threshold}")
            narrow = ""
            if self.narrowest is not None:
                width, lo, hi, cell = self.narrowest
                narrow = (f"\nThe narrowest range of a withheld count that could be small: {lo:g} to "
                          f"{'no limit' if hi == np.inf else f'{hi:g}'} ({cell}).")
            return head + (f"\nEvery withheld count's feasible range {proof} (or is known to be 0, or above "
                           f"{self.threshold}): none can be narrowed to a count from 1 to {self.threshold}.") + narrow
        return head

    def format(self, limit: int = 20) -> str:
        lines = [self.summary()]
        if self.conflicts:
            lines.append(f"{len(self.conflicts)} cell(s) published with different values:")
            lines += [f"  {c}" for c in self.conflicts[:limit]]
        if self.failures:
            lines.append(f"{len(self.failures)} cell(s) not protected (threshold {self.threshold}):")
            lines += ["  " + str(f).replace("\n", "\n  ") for f in self.failures[:limit]]
            if len(self.failures) > limit:
                lines.append(f"  ... and {len(self.failures) - limit} more")
        return "\n".join(lines)


# -- reading the site ------------------------------------------------------------------------------
def _month_of(value) -> int:
    d = pd.Timestamp(value)
    return d.year * 12 + d.month - 1


@dataclass
class _Figures:
    value: dict = field(default_factory=dict)         # key -> published value
    withheld: dict = field(default_factory=lambda: defaultdict(set))  # key -> files showing c
    conflicts: list[str] = field(default_factory=list)
    periods: set = field(default_factory=set)
    files: int = 0
    #: (numerator key, denominator key) of every share shown
    shares: set = field(default_factory=set)
    #: what the SCS dashboard's figures need (:class:`_ScsCounts`), when the site has any
    scs: _ScsCounts | None = None


def _period_window(ind: Indicator, label: str, cache: dict) -> tuple[int, int] | None:
    if label not in cache:
        try:
            p = Period.parse(label)
        except PeriodError:
            cache[label] = None
        else:
            cache[label] = (p.start.year * 12 + p.start.month - 1, p.months)
    got = cache[label]
    if got is None:
        return None
    return window_months(ind.data_period, got[0], got[1])


def _add(fig: _Figures, key: Key, raw, suppressed: bool, source: str) -> None:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw == "":
        if suppressed:
            fig.withheld[key].add(source)
        return
    value = float(raw)
    old = fig.value.get(key)
    if old is None:
        fig.value[key] = value
    elif old != value:
        fig.conflicts.append(f"{describe(key)}: {old:g} in one file, {value:g} in {source}")


def figures_files(site: Path) -> list[tuple[Path, str, set[str]]]:
    """The figures CSVs under ``site``: ``(path, "results" or "gradient", its columns)``."""
    found = []
    for path in sorted(Path(site).rglob("*.csv")):
        try:
            cols = set(io.read_csv_header(path))
        except (OSError, UnicodeDecodeError, ValueError):
            continue  # the disclosure scan reports a file it cannot read
        if cols >= RESULTS_COLUMNS:
            found.append((path, "results", cols))
        elif cols >= GRADIENT_COLUMNS:
            found.append((path, "gradient", cols))
        elif cols >= SCS_COLUMNS:
            found.append((path, "scs", cols))
    return found


def read_figures(site: Path, catalogue: dict[str, Indicator] | None = None,
                 files: list[tuple[Path, str, set[str]]] | None = None) -> _Figures:
    """Every count cell the figures CSVs under ``site`` state (see the module docstring)."""
    catalogue = catalogue or load_catalogue()
    fig = _Figures()
    windows: dict[str, tuple[int, int] | None] = {}
    for path, kind, cols in (figures_files(site) if files is None else files):
        rel = str(path.relative_to(site))
        if kind == "scs":
            _read_scs(fig, path, rel)
            continue
        wanted = (RESULTS_COLUMNS if kind == "results" else GRADIENT_COLUMNS) | {"period"} & cols
        df = io.read_csv_columns(path, sorted(wanted))
        fig.files += 1
        suppressed = df["suppressed"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
        nums = pd.to_numeric(df["numerator"], errors="coerce").to_numpy()
        dens = pd.to_numeric(df["denominator"], errors="coerce").to_numpy()
        if kind == "results":
            fig.periods.update(_pack_period(rel))
            for i, (ind_id, area, label, band) in enumerate(zip(df["indicator_id"], df["area_code"], df["period"],
                                                               df["age_band"], strict=True)):
                ind = catalogue.get(ind_id)
                if ind is None or not ind.has_data:
                    continue
                w = _period_window(ind, label, windows)
                if w is None:
                    continue
                dim, group = ("all", ALL_AGES) if band == ALL_AGES else ("age", str(band))
                _add_row(fig, ind, (area, w[0], w[1], dim, group), nums[i], dens[i], bool(suppressed[i]),
                         f"{rel} row {i + 2}")
        else:
            starts = [_month_of(v) for v in df["window_start"]]
            ends = [_month_of(v) for v in df["window_end"]]
            for i, (ind_id, area, grouping, group) in enumerate(zip(df["indicator_id"], df["area_code"],
                                                                   df["grouping"], df["group"], strict=True)):
                ind = catalogue.get(ind_id)
                if ind is None or not ind.has_data:
                    continue
                _add_row(fig, ind, (area, starts[i], ends[i], str(grouping), str(int(float(group)))), nums[i],
                         dens[i], bool(suppressed[i]), f"{rel} row {i + 2}")
    return fig


def _pack_period(rel: str) -> set[str]:
    first = Path(rel).parts[0] if Path(rel).parts else ""
    return {first} if first else set()


def _add_row(fig: _Figures, ind: Indicator, where: tuple, num, den, suppressed: bool, source: str) -> None:
    counts = ind.counts
    num_rule, den_rule = counts["numerator"], counts["denominator"]
    num_key = (num_rule.id, *where) if num_rule else None
    den_key = (den_rule.id, *where) if den_rule else None
    if num_key:
        _add(fig, num_key, num, suppressed, source)
    if den_key:
        _add(fig, den_key, den, suppressed, source)
    if num_key and den_key:
        fig.shares.add((num_key, den_key))


# -- the SCS dashboard's counts ------------------------------------------------------------------------------
@dataclass
class _ScsCounts:
    """What the SCS dashboard's relations need besides the cells: read from its open data and the
    SCS catalogue's public definitions."""

    #: which teams make up Kent, each SCS area and each service (``scs_teams.csv``)
    teams: pd.DataFrame | None = None
    #: count ids whose windows add up month by month (the R12M indicators' counts, and the monthly
    #: counts shared with them)
    flows: set = field(default_factory=set)
    #: count ids of the activity table: Kent, the areas and the services are the sums of their teams
    activity: set = field(default_factory=set)
    #: (indicator's count id, its excluding-UASC cohort's count id, the UASC children's count id)
    cohorts: set = field(default_factory=set)


def _scs_count_id(ind_id: str, part: str, catalogue: dict[str, Indicator]) -> str:
    """One id per count, whichever indicator shows it: a rolling indicator's monthly variant counts
    what the indicator counts, month by month; a rolling 12 months' denominator that sums a
    monthly count of the activity table is that count; and the same count in two indicators."""
    from ..indicators.scs_results import FLOW_SUMS, SAME_COUNTS, is_monthly_variant

    ind = catalogue[ind_id]
    if is_monthly_variant(ind, catalogue) and catalogue[ind.variant_of].data_period == "R12M":
        ind_id = ind.variant_of
    if part == "denominator" and ind_id in FLOW_SUMS:
        ind_id, part = FLOW_SUMS[ind_id], "numerator"
    for (a_ind, a_part), (b_ind, b_part) in SAME_COUNTS:
        if (ind_id, part) == (a_ind, a_part):
            ind_id, part = b_ind, b_part
    return f"{SCS_PREFIX}{ind_id}|{part}"


def _is_scs_count(ind: Indicator, part: str, not_counted: dict[str, set[str]]) -> bool:
    """Whether an SCS indicator's numerator (or denominator) counts children or records."""
    return ind.id not in not_counted[part] and not (part == "denominator" and ind.unit == "count")


def _scs_counts(cat: dict[str, Indicator], not_counted: dict[str, set[str]]) -> _ScsCounts:
    """The SCS catalogue's public definitions as :class:`_ScsCounts` (the teams come from the site),
    and a name for each count id."""
    from ..indicators.scs_results import is_cohort_variant

    scs = _ScsCounts()
    # a count is named by the count indicator that shows it (the activity table's first), else as a part
    for i, ind in sorted(cat.items(), key=lambda kv: (kv[1].unit != "count", kv[1].role != "activity")):
        for part in ("numerator", "denominator"):
            if not _is_scs_count(ind, part, not_counted):
                continue
            cid = _scs_count_id(i, part, cat)  # a monthly variant's and a summed denominator's are flows
            _NAMES.setdefault(cid, ind.title if part == "numerator" and ind.unit == "count"
                              else f"{part} of '{ind.title}'")
            if ind.data_period == "R12M":
                scs.flows.add(cid)
            if ind.role == "activity":
                scs.activity.add(cid)
            if is_cohort_variant(ind, cat):
                parent = _scs_count_id(ind.variant_of, part, cat)
                scs.cohorts.add((parent, cid, f"{parent} UASC only"))
                if ind.data_period == "R12M":
                    scs.flows.add(f"{parent} UASC only")
                _NAMES.setdefault(f"{parent} UASC only", f"{part} of '{cat[ind.variant_of].title}', UASC only")
    return scs


def _read_scs(fig: _Figures, path: Path, rel: str) -> None:
    """The SCS dashboard's counts (``scs_counts.csv``): each numerator and denominator that counts
    children or records is a cell ``(count id, unit, first month, last month, "all", "all")``."""
    from ..indicators.catalogue import load_scs_catalogue
    from ..indicators.scs_results import _not_counts

    cat = load_scs_catalogue()
    not_counted = {part: _not_counts(cat, part) for part in ("numerator", "denominator")}
    if fig.scs is None:  # the definitions once, whatever the number of months in the site
        fig.scs = _scs_counts(cat, not_counted)
    scs = fig.scs
    df = io.read_csv_columns(path, sorted(SCS_COLUMNS | {"area_name"}))
    fig.files += 1
    fig.periods.update(_pack_period(rel))
    teams = path.with_name(SCS_TEAMS_FILE)
    if teams.is_file():
        scs.teams = pd.read_csv(teams, dtype={"team_id": str, "area": str, "service": str})
    suppressed = df["suppressed"].astype(str).str.lower().isin(["true", "1"]).to_numpy()
    nums = pd.to_numeric(df["numerator"], errors="coerce").to_numpy()
    dens = pd.to_numeric(df["denominator"], errors="coerce").to_numpy()
    months = {p: _month_of(f"{p}-01") for p in df["period"].unique()}
    for i, (ind_id, area, name, period, window) in enumerate(zip(df["indicator_id"], df["area_code"], df["area_name"],
                                                                 df["period"], df["window"], strict=True)):
        ind = cat.get(ind_id)
        if ind is None:
            continue
        _AREA_NAMES.setdefault(area, name)
        span = 3 if window == "R3M" else 12 if ind.data_period == "R12M" else 1
        hi = months[period]
        where = (area, hi - span + 1, hi, "all", "all")
        keys = {}
        for part, raw in (("numerator", nums[i]), ("denominator", dens[i])):
            if not _is_scs_count(ind, part, not_counted):
                continue
            keys[part] = (_scs_count_id(ind_id, part, cat), *where)
            _add(fig, keys[part], raw, bool(suppressed[i]), f"{rel} row {i + 2}")
        if ind.is_percentage and len(keys) == 2:
            fig.shares.add((keys["numerator"], keys["denominator"]))


def _scs_relations(sysm: _System, fig: _Figures) -> None:
    """The SCS dashboard's relations: an indicator = its excluding-UASC cohort + the UASC children;
    an activity count of Kent, an area or a service = the sum of its teams' (the teams the site
    does not list, and Kent's records no team holds, are derived cells); any other count of Kent =
    its 4 areas' + the rest of Kent's (derived). Windows are added up in :func:`_time_relations`.
    A stock's month-to-month change (last month + starts - ends) is not used: the returns' late
    recording and reopened episodes break it in most months, and an intruder cannot rely on it."""
    from ..indicators.scs import AREA_CODES, units

    scs = fig.scs
    cells = [k for k in sysm.keys if str(k[0]).startswith(SCS_PREFIX)]
    for parent, cohort, rest in sorted(scs.cohorts):
        for key in [k for k in cells if k[0] == cohort]:
            whole = (parent, *key[1:])
            if whole in sysm.index:
                _total_with_derived(sysm, whole, [key, (rest, *key[1:])],
                                    f"{_where(key[1], key[2], key[3])}: {_name(parent)} = excluding UASC + UASC "
                                    "children")
    all_units = [] if scs.teams is None else [u for u in units(scs.teams) if u.level < 2]
    area_set = [(KENT_CODE, (*AREA_CODES.values(), "KENT-REST"), "its 4 SCS areas and the rest of Kent")]
    combos = sorted({(k[0], k[2], k[3]) for k in sysm.keys if str(k[0]).startswith(SCS_PREFIX)})
    for count, lo, hi in combos:
        sets = [(u.code, u.members, "its teams") for u in all_units] if count in scs.activity else area_set
        for total, members, words in sets:
            t = (count, total, lo, hi, "all", "all")
            ms = [(count, m, lo, hi, "all", "all") for m in members]
            if t in sysm.index or any(m in sysm.index for m in ms):
                _total_with_derived(sysm, t, ms, f"{_area(total)} = {words}, {window_words(lo, hi)} "
                                                 f"({_name(count)})")


def _total_with_derived(sysm: _System, total: Key, members: list[Key], label: str) -> None:
    """``total = sum(members)``; members (or the total) never published are derived cells."""
    for k in [total, *members]:
        if k not in sysm.index:
            sysm.add_cell(k, derived=True)
    pos = [sysm.index[total]] + [sysm.index[m] for m in members]
    sysm.relations.append((pos, [-1.0] + [1.0] * len(members), "eq", label))


# -- words ---------------------------------------------------------------------------------------------
_NAMES: dict[str, str] = {}
#: names of the units the SCS dashboard's counts name (teams and services), as published
_AREA_NAMES: dict[str, str] = {}


def _count_names(catalogue: dict[str, Indicator]) -> dict[str, str]:
    """A name for each count: the title of the count (or rate) indicator that counts it, else
    "numerator (or denominator) of '<title>'"."""
    if not _NAMES:
        for ind in sorted(catalogue.values(), key=lambda i: (i.unit != "count", not i.is_rate)):
            rule = ind.counts["numerator"]
            if rule is not None and (ind.unit == "count" or ind.is_rate):
                _NAMES.setdefault(rule.id, ind.title)
        for ind in catalogue.values():
            for part in ("numerator", "denominator"):
                rule = ind.counts[part]
                if rule is not None:
                    _NAMES.setdefault(rule.id, f"{part} of '{ind.title}'")
    return _NAMES


def _month_words(m: int) -> str:
    return f"{dt.date(m // 12, m % 12 + 1, 1):%B %Y}"


def window_words(lo: int, hi: int) -> str:
    """``"March 2016"``, ``"2015-16 Q4"``, ``"April 2015 to March 2016"``."""
    if lo == hi:
        return _month_words(lo)
    start = dt.date(lo // 12, lo % 12 + 1, 1)
    if hi - lo == 2 and start.month in (1, 4, 7, 10):
        return Period.quarter_of(start).label
    return f"{_month_words(lo)} to {_month_words(hi)}"


def describe(key: Key, catalogue: dict[str, Indicator] | None = None) -> str:
    """A cell in words: what it counts, where, when and for whom."""
    names = _count_names(catalogue or load_catalogue())
    count, area, lo, hi, dim, group = key
    what = names.get(count, count)
    place = _area(area)
    who = "" if dim == "all" else (f", aged {group}" if dim == "age" else
                                   f", IMD {dim.replace('imd_', '')} {group}" if dim.startswith("imd") else
                                   f", {dim} {group}")
    return f"{what}, {place}, {window_words(lo, hi)}{who}"


# -- the relations an intruder knows ---------------------------------------------------------------------
@dataclass
class _System:
    keys: list = field(default_factory=list)          # every cell, known or not
    index: dict = field(default_factory=dict)         # key -> position
    derived: set = field(default_factory=set)         # positions of cells never published nor withheld
    relations: list = field(default_factory=list)     # (positions, coefs, kind, label)

    def add_cell(self, key: Key, derived: bool = False) -> int:
        if key not in self.index:
            self.index[key] = len(self.keys)
            self.keys.append(key)
            if derived:
                self.derived.add(self.index[key])
        return self.index[key]


def _relations(fig: _Figures, catalogue: dict[str, Indicator]) -> _System:
    sysm = _System()
    for key in list(fig.value) + [k for k in fig.withheld if k not in fig.value]:
        sysm.add_cell(key)
    rules = {}
    for ind in catalogue.values():
        for rule in ind.counts.values():
            if rule is not None:
                rules[rule.id] = rule

    def total_of(total: Key, members: list[Key], label: str) -> None:
        """``total = sum(members)``, when at most one of them is neither published nor withheld."""
        if sum(k not in sysm.index for k in [total, *members]) <= 1:
            _total_with_derived(sysm, total, members, label)

    # deprivation groups (first: they make an area's total over a gradient window, when needed)
    by_window = defaultdict(dict)
    for key in list(sysm.keys):
        count, area, lo, hi, dim, group = key
        if dim.startswith("imd_"):
            by_window[(count, area, lo, hi, dim)][group] = key
    for (count, area, lo, hi, dim), groups in sorted(by_window.items()):
        members = [groups[g] for g in sorted(groups, key=int)]
        word = dim.replace("imd_", "")
        total_of((count, area, lo, hi, "all", ALL_AGES), members,
                 f"{_where(area, lo, hi)}: all ages = the sum of its {len(members)} {word}s ({_name(count)})")
        if dim == "imd_quintile" and area == KENT_CODE:
            deciles = by_window.get((count, area, lo, hi, "imd_decile"), {})
            for q, key in groups.items():
                pair = [deciles.get(str(2 * int(q) - 1)), deciles.get(str(2 * int(q)))]
                if all(pair):
                    total_of(key, pair, f"{_where(area, lo, hi)}: quintile {q} = deciles {2 * int(q) - 1} and "
                                        f"{2 * int(q)} ({_name(count)})")
                districts = [(count, d, lo, hi, dim, q) for d in DISTRICTS]
                total_of(key, districts, f"Kent quintile {q} = the 12 districts' quintile {q}, "
                                         f"{window_words(lo, hi)} ({_name(count)})")
    # areas
    if fig.scs is not None:
        _scs_relations(sysm, fig)
    combos = {(k[0], k[2], k[3], k[4], k[5]) for k in sysm.keys if not str(k[0]).startswith(SCS_PREFIX)}
    area_sets = [(KENT_CODE, tuple(DISTRICTS), "the 12 districts"), (KENT_CODE, tuple(SCS_AREA_CODES),
                                                                      "the 4 SCS areas")]
    area_sets += [(code, districts_in(code), "its 3 districts") for code in SCS_AREA_CODES]
    for count, lo, hi, dim, group in sorted(combos):
        for total, members, words in area_sets:
            t = (count, total, lo, hi, dim, group)
            ms = [(count, m, lo, hi, dim, group) for m in members]
            if t in sysm.index or any(m in sysm.index for m in ms):
                total_of(t, ms, f"{_area(total)} = {words}, {window_words(lo, hi)}{_who(dim, group)} "
                                f"({_name(count)})")
    # age bands
    bands = defaultdict(dict)
    for key in list(sysm.keys):
        if key[4] == "age":
            bands[key[:4]][key[5]] = key
    for (count, area, lo, hi), by_band in sorted(bands.items()):
        total_of((count, area, lo, hi, "all", ALL_AGES), [by_band[b] for b in sorted(by_band)],
                 f"{_where(area, lo, hi)}: all ages = the sum of the age bands ({_name(count)})")
    # time: windows are sums of the pieces the site's windows cut time into
    scs_flows = fig.scs.flows if fig.scs is not None else set()
    _time_relations(sysm, [k for k in sysm.keys if k[0] in scs_flows
                           or (rule := rules.get(k[0])) is not None and rule.flow])
    # shares: numerator at most denominator; the complement is a count too
    _share_relations(sysm, fig)
    # definitions: a count with more conditions is at most the count with fewer
    by_place = defaultdict(list)
    for key in list(sysm.keys):
        if key[0] in rules:
            by_place[key[1:]].append(key)
    for place, keys in by_place.items():
        if len(keys) < 2:
            continue
        present = {rules[k[0]]: k for k in keys}
        for base_rule, base_key in present.items():
            subs = [r for r in present if r.within(base_rule)]
            for r in subs:
                sysm.relations.append(([sysm.index[present[r]], sysm.index[base_key]], [1.0, -1.0], "le",
                                       f"{_where(place[0], place[1], place[2])}: {_name(r.id)} are among "
                                       f"{_name(base_rule.id)}"))
            disjoint = [r for r in subs if all(r.disjoint(o) for o in subs if o != r)]
            if len(disjoint) > 1:
                sysm.relations.append(([sysm.index[present[r]] for r in disjoint] + [sysm.index[base_key]],
                                       [1.0] * len(disjoint) + [-1.0], "le",
                                       f"{_where(place[0], place[1], place[2])}: "
                                       + " + ".join(_name(r.id) for r in disjoint)
                                       + f" are at most {_name(base_rule.id)}"))
    return sysm


def _time_relations(sysm: _System, flow_keys: list[Key]) -> None:
    """Every window of a flow (a count of records dated in it) = the sum of the smallest pieces the
    site's windows cut its time into (pieces never published are derived cells)."""
    series = defaultdict(set)
    for key in flow_keys:
        series[(key[0], key[1], key[4], key[5])].add((key[2], key[3]))
    for (count, area, dim, group), wins in sorted(series.items()):
        cuts = sorted({lo for lo, _ in wins} | {hi + 1 for _, hi in wins})
        pieces = [(a, b - 1) for a, b in zip(cuts, cuts[1:], strict=False)
                  if any(lo <= a and b - 1 <= hi for lo, hi in wins)]
        for lo, hi in sorted(wins):
            inside = [(a, b) for a, b in pieces if lo <= a and b <= hi]
            if len(inside) <= 1:
                continue
            members = [(count, area, a, b, dim, group) for a, b in inside]
            for m in members:
                if m not in sysm.index:
                    sysm.add_cell(m, derived=True)
            pos = [sysm.index[(count, area, lo, hi, dim, group)]] + [sysm.index[m] for m in members]
            sysm.relations.append((pos, [-1.0] + [1.0] * len(members), "eq",
                                   f"{_area(area)}: {window_words(lo, hi)} = the sum of "
                                   f"{_pieces(inside)}{_who(dim, group)} ({_name(count)})"))


def _share_relations(sysm: _System, fig: _Figures) -> None:
    """A numerator is at most its denominator: denominator = numerator + the rest, a count too."""
    for num_key, den_key in sorted(fig.shares):
        if num_key in sysm.index and den_key in sysm.index:
            comp = ("complement of " + num_key[0] + " in " + den_key[0], *num_key[1:])
            c = sysm.add_cell(comp, derived=True)
            sysm.relations.append(([sysm.index[den_key], sysm.index[num_key], c], [-1.0, 1.0, 1.0], "eq",
                                   f"{_where(num_key[1], num_key[2], num_key[3])}: {_name(den_key[0])} = "
                                   f"{_name(num_key[0])} + the rest"))


def _name(count: str) -> str:
    return _NAMES.get(count, count.split("|")[0] if not count.startswith("complement") else "the complement")


def _area(code: str) -> str:
    try:
        return area_name(code)
    except KeyError:
        return _AREA_NAMES.get(code, "the rest of Kent outside the SCS areas" if code == "KENT-REST" else code)


def _where(area: str, lo: int, hi: int) -> str:
    return f"{_area(area)}, {window_words(lo, hi)}"


def _who(dim: str, group: str) -> str:
    if dim == "all":
        return ""
    if dim == "age":
        return f", aged {group}"
    return f", IMD {dim.replace('imd_', '')} {group}"


def _pieces(inside: list[tuple[int, int]]) -> str:
    if all(a == b for a, b in inside):
        return f"its {len(inside)} months"
    return " + ".join(window_words(a, b) for a, b in inside)


# -- the check -------------------------------------------------------------------------------------------
class AuditMemo(Memo):
    """Linked systems of cells an earlier audit proved protected, so that they are not proved again.

    The audit's system falls apart into linked components (cells that share no relation, directly
    or through others, cannot narrow each other). A component's feasible ranges depend on nothing
    but its own relations: which cells are unknown (by key), the coefficients, and the published
    figures folded into each relation's constant. The memo keeps, for each component every cell of
    which passed, a digest of exactly that (with the threshold and the rule; the memo's fingerprint
    is the library's code) and the ranges found; an audit meeting a component with the same digest
    takes its ranges from the memo. Any change to a component (a figure corrected, a cell withheld
    or published, a new period's relation reaching it) changes its digest, and it is proved
    afresh. It also keeps the last passing report, by :func:`figures_digest` of the site.

    Kept at ``path`` (the data folder's cache). The command line's ``ehps check-disclosure
    --audit`` uses none: it proves everything.
    """

    def __init__(self, path: Path | None) -> None:
        from ..data import digests

        super().__init__(path, digests.library_digest())

    def report_for(self, site_digest: str) -> AuditReport | None:
        """The report of the last audit, when it passed on exactly these figures."""
        last = self.extra.get("last")
        if not isinstance(last, dict) or last.get("digest") != site_digest:
            return None
        try:
            report = AuditReport(**last["report"])
        except (TypeError, KeyError):
            return None
        if report.narrowest is not None:
            width, lo, hi, cell = report.narrowest
            report.narrowest = (width, lo, _decode(hi), cell)
        return report

    def keep_report(self, site_digest: str, report: AuditReport) -> None:
        if report.ok:
            from dataclasses import asdict

            kept = asdict(report)
            if report.narrowest is not None:
                kept["narrowest"] = [report.narrowest[0], report.narrowest[1], _encode(report.narrowest[2]),
                                     report.narrowest[3]]
            self.extra["last"] = {"digest": site_digest, "report": kept}


def figures_digest(site: Path, files: list[tuple[Path, str, set[str]]], threshold: int, rule: str) -> str:
    """A digest of every figures file of a site (names and bytes), the threshold and the rule."""
    import hashlib

    h = hashlib.sha256(f"{threshold}|{rule}\n".encode())
    for path, _kind, _cols in files:
        h.update(f"{path.relative_to(site).as_posix()} {io.sha256_file(path)}\n".encode())
    return h.hexdigest()


def _component_digests(keys: list, relations: list[Relation], comp: np.ndarray, threshold: int, rule: str
                       ) -> tuple[dict[int, str], dict[int, np.ndarray]]:
    """Each component's digest (see :class:`AuditMemo`) and its unknowns in canonical order."""
    import hashlib

    members: dict[int, list[int]] = defaultdict(list)
    for v, c in enumerate(comp):
        members[int(c)].append(v)
    order: dict[int, np.ndarray] = {}
    local = np.empty(len(keys), dtype=int)
    for c, vs in members.items():
        ranked = sorted(vs, key=lambda v: repr(keys[v]))
        order[c] = np.array(ranked, dtype=int)
        local[ranked] = np.arange(len(ranked))
    texts: dict[int, list[str]] = defaultdict(list)
    for rel in relations:
        if not len(rel.variables):
            continue
        terms = sorted(f"{local[v]}*{c:.9g}" for v, c in zip(rel.variables, rel.coefs, strict=True))
        texts[int(comp[rel.variables[0]])].append(f"{rel.kind} {rel.rhs:.9g}: {' '.join(terms)}")
    digests: dict[int, str] = {}
    for c, ranked in order.items():
        h = hashlib.sha256(f"{threshold}|{rule}\n".encode())
        h.update("\n".join(repr(keys[v]) for v in ranked).encode("utf-8"))
        h.update(b"\n--\n")
        h.update("\n".join(sorted(texts.get(c, []))).encode("utf-8"))
        digests[c] = h.hexdigest()
    return digests, order


def _encode(x: float):
    return None if x == np.inf else float(x)


def _decode(x) -> float:
    return np.inf if x is None else float(x)


#: Branch-and-bound nodes one integer programme of the audit may explore. A count, not a clock,
#: so the same site gets the same verdict on any machine however busy; a cell whose programme
#: stops at the limit without settling it is a finding ("not settled"), never a pass.
NODE_LIMIT = 2000


def audit_figures(fig: _Figures, threshold: int, catalogue: dict[str, Indicator] | None = None,
                  explain: int = 20, max_solves: float = 2000, rule: str = "values",
                  memo: AuditMemo | None = None) -> AuditReport:
    """Audit figures already read (see :func:`audit_site`)."""
    started = time.perf_counter()
    catalogue = catalogue or load_catalogue()
    _count_names(catalogue)
    sysm = _relations(fig, catalogue)
    known = np.array([k in fig.value for k in sysm.keys], dtype=bool)  # empty for a site of no open data
    values = np.array([fig.value.get(k, np.nan) for k in sysm.keys], dtype=float)
    unknown_pos = np.where(~known)[0]
    var_of = np.full(len(sysm.keys), -1)
    var_of[unknown_pos] = np.arange(len(unknown_pos))
    relations: list[Relation] = []
    labels: list[str] = []
    report = AuditReport(threshold=threshold, periods=sorted(fig.periods), files=fig.files,
                         published=int(known.sum()), withheld=len([k for k in fig.withheld if k not in fig.value]),
                         derived=len(sysm.derived), conflicts=list(fig.conflicts))
    for pos, coefs, kind, label in sysm.relations:
        pos = np.asarray(pos)
        coefs = np.asarray(coefs, dtype=float)
        unk = ~known[pos]
        rhs = -float(np.sum(coefs[~unk] * values[pos[~unk]]))
        if not unk.any():
            if (kind == "eq" and abs(rhs) > 1e-6) or (kind == "le" and rhs < -1e-6):
                report.conflicts.append(f"published figures do not add up: {label}")
            continue
        relations.append(Relation(var_of[pos[unk]], coefs[unk], rhs, kind, label))
        labels.append(label)
    report.relations = len(relations)
    todo = None
    digests: dict[int, str] = {}
    order: dict[int, np.ndarray] = {}
    reused: dict[int, list] = {}
    if memo is not None:
        keys_of = [sysm.keys[p] for p in unknown_pos]
        comp = components(len(unknown_pos), relations)
        digests, order = _component_digests(keys_of, relations, comp, threshold, rule)
        reused = {c: r for c, d in digests.items() if (r := memo.get(d)) is not None and len(r) == len(order[c])}
        todo = np.array([int(c) not in reused for c in comp], dtype=bool)
    result = check(len(unknown_pos), relations, threshold, max_solves=max_solves, rule=rule, only=todo,
                   witness_options={**WITNESS_OPTIONS, "node_limit": NODE_LIMIT},
                   single_options={"node_limit": NODE_LIMIT})
    for c, stored in reused.items():
        result.lo[order[c]] = [_decode(a) for a, _ in stored]
        result.hi[order[c]] = [_decode(b) for _, b in stored]
    report.solver_calls = result.solver_calls
    report.reused = sum(len(order[c]) for c in reused)
    report.components = len(set(result.component.tolist()))
    failing = []
    for v, p in enumerate(unknown_pos):
        lo, hi = result.lo[v], result.hi[v]
        if v not in result.unproven and not np.isnan(lo) and hi > 0 and lo <= threshold and \
                (report.narrowest is None or hi - lo < report.narrowest[0]):
            report.narrowest = (float(hi - lo), float(lo), float(hi), _describe_any(sysm.keys[p]))
        if is_protected(lo, hi, threshold, rule) and v not in result.unproven:
            continue
        failing.append(v)
        key = sysm.keys[p]
        kind = "derived" if p in sysm.derived else "withheld"
        report.failures.append(AuditFailure(_describe_any(key), float(lo), float(hi), kind, [],
                                            sorted(fig.withheld.get(key, ())), proved=v not in result.unproven))
    if memo is not None:
        failed_components = {int(result.component[v]) for v in failing}
        for c, d in digests.items():
            if c not in failed_components and c not in reused:
                memo.put(d, [[_encode(result.lo[v]), _encode(result.hi[v])] for v in order[c]])
    # explain the first failures: the relations binding at the bound that is too tight
    for failure, v in zip(report.failures[:explain], failing, strict=False):
        if not failure.proved:
            continue
        comp = result.component[v]
        rel_idx = result.relations_of.get(int(comp), [])
        rels = [relations[i] for i in rel_idx]
        vars_ = np.where(result.component == comp)[0]
        if np.isnan(failure.lo):
            failure.relations = [labels[i] for i in rel_idx]
            continue
        sense = "max" if failure.hi <= threshold or rule == "values" and failure.hi - failure.lo < threshold \
            and failure.lo == 0 else "min"
        failure.relations = [labels[rel_idx[j]] for j in binding_relations(vars_, rels, v, sense)]
    report.seconds = time.perf_counter() - started
    return report


def _describe_any(key: tuple) -> str:
    if str(key[0]).startswith("complement of "):
        num, _, den = key[0][len("complement of "):].partition(" in ")
        return f"{_name(den)} that are not {_name(num)}" + describe((num, *key[1:]))[len(_name(num)):]
    return describe(key)


def audit_site(site: Path, threshold: int, catalogue: dict[str, Indicator] | None = None, *,
               rule: str = "values", memo: AuditMemo | None = None) -> AuditReport:
    """The intruder audit of everything published under ``site`` (every period in it), with the
    protection ``rule`` of :func:`ehps_lib.indicators.feasibility.is_protected`; with a ``memo``
    (:class:`AuditMemo`), components proved before for the very same figures are not proved again."""
    started = time.perf_counter()
    files = figures_files(Path(site))
    digest = figures_digest(Path(site), files, threshold, rule) if memo is not None else None
    if memo is not None and (report := memo.report_for(digest)) is not None:
        # exactly the figures of the last audit, which passed: nothing to prove again
        report.reused, report.solver_calls, report.rule = report.withheld + report.derived, 0, rule
        report.seconds = time.perf_counter() - started
        return report
    catalogue = catalogue or load_catalogue()
    fig = read_figures(Path(site), catalogue, files)
    report = audit_figures(fig, threshold, catalogue, rule=rule, memo=memo)
    if memo is not None:
        memo.keep_report(digest, report)
    report.rule = rule
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["audit_site", "audit_figures", "read_figures", "AuditReport", "AuditFailure", "AuditMemo", "describe",
           "window_words"]
