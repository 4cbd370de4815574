"""The protected count table: one decision per count, protected against every linear relation.

**One protected count per cell.** Every count the results (and the deprivation gradient)
show is a *cell*: what it counts (a :class:`~ehps_lib.indicators.catalogue.CountRule`, so the
same count in two indicators is one cell: step-ups, and the numerator of the step-up
percentage; cases closed, and the denominator of three percentages), the area, the months it
covers (a month, a quarter, rolling 12 months, a financial year), and the age band or
deprivation group. A cell is withheld or published once, and every row that shows it reads
that one decision: a count has the same value or ``c`` wherever it appears. A row shows its
counts only when all of them are published (a percentage whose denominator is withheld shows
neither figure), so a cell every row hides is withheld too, and protected like one.

**Protection** (``peers-and-methods.md`` §3.9, completed):

1. *Primary*: a count from 1 to ``threshold`` (default 5, the DfE children-in-need rule) is
   withheld; zero is a true zero and is published.
2. *Complement*: a share whose denominator minus numerator is from 1 to ``threshold`` has its
   numerator withheld ("9 of 10 closed positively" tells that one was not).
3. *Secondary, by relation*: wherever cells add up to another cell (Kent = its districts =
   its SCS areas; an SCS area = its districts; all ages = the age bands; an area = its
   deprivation groups, Kent's quintile = its deciles = the districts' quintile; a quarter =
   its months; rolling 12 months = its months; a gradient's financial year = its months), a
   relation with a single withheld cell, or whose withheld cells add up to a count from 1 to
   ``threshold``, gets its smallest other cell (preferring a non-zero one) withheld too,
   smallest relations first, until none is left (fast, and enough for most tables).
4. *Secondary, proved*: the relations above, plus numerator + complement = denominator and
   "a count with more conditions is at most the same count with fewer", are solved for every
   withheld cell with HiGHS (:func:`ehps_lib.indicators.feasibility.check`), as the audit of
   the published site will (:mod:`ehps_lib.publish.audit`). Any withheld cell (or count
   derivable from the published ones, like a complement or a financial year's total) whose
   feasible range does not reach both 0 and ``threshold + 1`` (or lie above ``threshold``)
   gets a partner withheld from one of its relations, and the check runs again until every
   cell passes.
5. *Time and every period already published*: a *ledger* of every decision ever made (the
   published value or ``c`` of each cell; :func:`ehps_lib.data.io.read_ledger`) is honoured:
   a cell published before stays published with the same value, a withheld one stays
   withheld, and only new cells (a new month, quarter or window) are decided, against all
   relations with the old ones. So a new quarter never unlocks an old one.

Everything derived from a withheld count (value, interval, RAG, rank, direction of travel,
comparison, SPC point, rolling figure) is then withheld by the caller. The audit table lists
every withheld cell and why.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, districts_in
from ..periods import Period
from .catalogue import ALL_AGES, CountRule, Indicator, window_months
from .feasibility import Relation, check, is_protected

SYMBOL = "c"

AUDIT_COLUMNS = ["indicator_id", "count", "area_code", "period", "period_kind", "age_band", "value",
                 "reason", "detail"]
CELL_COLUMNS = ["count", "area", "lo", "hi", "dim", "group"]
LEDGER_COLUMNS = [*CELL_COLUMNS, "value", "status", "reason", "decided_for"]
#: How many rounds of the proved secondary suppression may run before giving up.
MAX_ROUNDS = 400
#: Programmes for single cells per round of the proof (cells not proved by then get a partner).
PROOF_SOLVES = 300
#: ... and within one linked component, this divided by its number of unknowns (a programme's cost
#: grows with the component: 250 in one of 400 unknowns, 20 in one of 5,000)
PROOF_COMPONENT_WORK = 100_000
_DEBUG = bool(os.environ.get("EHPS_DEBUG_PROTECT"))
_T0 = time.perf_counter()


class ProtectionError(RuntimeError):
    """The counts cannot be protected as asked (e.g. the ledger fixes every cell that could help)."""


# -- the cells and the rows that show them -----------------------------------------------------------
class CellTable:
    """The cells (:data:`CELL_COLUMNS` keys, value, whether a flow, whether derived) and the rows
    showing them: ``shows[r]`` is the tuple of cell positions one row shows together."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []
        self.values: list[float] = []
        self.flow: list[bool] = []
        self.derived: list[bool] = []
        self.index: dict[tuple, int] = {}
        self.shows: list[tuple[int, ...]] = []
        #: (numerator cell, denominator cell) of every share
        self.shares: set[tuple[int, int]] = set()
        self.rules: dict[str, CountRule] = {}
        #: cells published elsewhere, whose decision is not ours (a gradient's margins, protected alone)
        self.published_elsewhere: set[int] = set()

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: tuple, value: float, *, flow: bool, derived: bool = False) -> int:
        pos = self.index.get(key)
        if pos is None:
            pos = len(self.keys)
            self.index[key] = pos
            self.keys.append(key)
            self.values.append(float(value))
            self.flow.append(bool(flow))
            self.derived.append(bool(derived))
        return pos

    @property
    def cells(self) -> pd.DataFrame:
        df = pd.DataFrame(self.keys, columns=CELL_COLUMNS) if self.keys else pd.DataFrame(columns=CELL_COLUMNS)
        return df.assign(value=np.array(self.values, dtype=float), flow=np.array(self.flow, dtype=bool),
                         derived=np.array(self.derived, dtype=bool))

    def key(self, pos: int) -> tuple:
        return self.keys[pos]


def _row_cells(table: CellTable, counts: dict[str, CountRule | None], where: tuple, num: float, den: float
               ) -> tuple[int | None, int | None]:
    """Register a row's numerator and denominator cells; return their positions."""
    positions: list[int | None] = []
    for part, raw in (("numerator", num), ("denominator", den)):
        rule = counts[part]
        if rule is None or raw is None or (isinstance(raw, float) and math.isnan(raw)):
            positions.append(None)
            continue
        key = (rule.id, *where)
        pos = table.index.get(key)
        if pos is None:
            pos = table.add(key, raw, flow=rule.flow)
            table.rules[rule.id] = rule
        elif table.values[pos] != float(raw):
            raise ProtectionError(f"The count {key} has two values ({table.values[pos]:g} and {float(raw):g}) in "
                                  "the results: two indicators that count the same records disagree")
        positions.append(pos)
    return positions[0], positions[1]


def _shown_row(table: CellTable, counts: dict[str, CountRule | None], where: tuple, num: float, den: float
               ) -> tuple[int, int]:
    """Register a published row: its cells, what it shows together, and its share (numerator,
    denominator); return its (numerator, denominator) cell positions, -1 where it has none."""
    n, d = _row_cells(table, counts, where, num, den)
    shown = tuple(c for c in (n, d) if c is not None)
    if shown:
        table.shows.append(shown)
    if n is not None and d is not None:
        table.shares.add((n, d))
    return (-1 if n is None else n, -1 if d is None else d)


def cells_of_results(results: pd.DataFrame, catalogue: dict[str, Indicator],
                     table: CellTable | None = None) -> tuple[CellTable, np.ndarray]:
    """The cells of a results table (and, for each row, its numerator and denominator cell)."""
    table = table if table is not None else CellTable()
    windows: dict[tuple[str, str], tuple[int, int]] = {}
    row_cells = np.full((len(results), 2), -1)
    for i, (ind_id, label, band, num, den) in enumerate(zip(results["indicator_id"], results["period"],
                                                           results["age_band"], results["numerator"],
                                                           results["denominator"], strict=True)):
        ind = catalogue[ind_id]
        if (ind.data_period, label) not in windows:
            p = Period.parse(label)
            windows[(ind.data_period, label)] = window_months(ind.data_period, p.start.year * 12 + p.start.month - 1,
                                                              p.months)
        lo, hi = windows[(ind.data_period, label)]
        dim, group = ("all", ALL_AGES) if band == ALL_AGES else ("age", str(band))
        area = results["area_code"].iat[i]
        row_cells[i] = _shown_row(table, ind.counts, (area, lo, hi, dim, group), num, den)
    return table, row_cells


def cells_of_gradient(gradient: pd.DataFrame, catalogue: dict[str, Indicator],
                      table: CellTable | None = None) -> tuple[CellTable, np.ndarray]:
    """The cells of a deprivation gradient (counts by area, window and deprivation group)."""
    table = table if table is not None else CellTable()
    row_cells = np.full((len(gradient), 2), -1)
    for i, rec in enumerate(gradient[["indicator_id", "area_code", "grouping", "group", "window_start", "window_end",
                                      "numerator", "denominator"]].itertuples(index=False)):
        ind = catalogue[rec.indicator_id]
        lo = pd.Timestamp(rec.window_start).year * 12 + pd.Timestamp(rec.window_start).month - 1
        hi = pd.Timestamp(rec.window_end).year * 12 + pd.Timestamp(rec.window_end).month - 1
        row_cells[i] = _shown_row(table, ind.counts, (rec.area_code, lo, hi, rec.grouping, str(int(rec.group))),
                                  rec.numerator, rec.denominator)
    return table, row_cells


def cells_of_months(months: pd.DataFrame, catalogue: dict[str, Indicator], table: CellTable) -> None:
    """The monthly counts of windows published only whole (rolling 12 months, year to date), as
    *derived* cells: never shown, but unknowns the relations tie the windows to. Two windows a
    month apart differ by a month in and a month out (R12M(t) - R12M(t-1) = M(t) - M(t-12)), so
    windows alone, differenced, can pin a small monthly count; with their months in the table the
    proof sees that route, as an intruder would (:mod:`ehps_lib.publish.audit` cuts windows into
    the same pieces). ``months``: results rows of single months (``period_kind == "month"``)."""
    for ind_id, label, num, den, area in zip(months["indicator_id"], months["period"], months["numerator"],
                                             months["denominator"], months["area_code"], strict=True):
        p = Period.parse(label)
        m = p.start.year * 12 + p.start.month - 1
        for part, raw in (("numerator", num), ("denominator", den)):
            rule = catalogue[ind_id].counts[part]
            if rule is None or raw is None or (isinstance(raw, float) and math.isnan(raw)):
                continue
            key = (rule.id, area, m, m, "all", ALL_AGES)
            if key not in table.index:
                table.add(key, raw, flow=rule.flow, derived=True)
                table.rules[rule.id] = rule


# -- relations ----------------------------------------------------------------------------------------
@dataclass
class Relations:
    """Equalities ``total = sum(members)`` (``groups``: total first) and the other linear
    relations of the check (``extra``: (positions, coefficients, kind, label))."""

    groups: list[list[int]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    extra: list[tuple[list[int], list[float], str, str]] = field(default_factory=list)


def relations_of(table: CellTable, *, margins_known: bool = False) -> Relations:
    """Every relation between the cells of ``table`` (see the module docstring).

    Cells the relations need but no row shows (an area's total over a gradient's window, the
    complement of a share) are added to ``table`` as *derived* cells, with their values.
    With ``margins_known`` (a gradient protected on its own), an area's total over its groups
    is treated as published, the cautious choice when the figures it is published in are not
    at hand.
    """
    rel = Relations()
    index = table.index

    def total(t: tuple, members: list[tuple], label: str) -> None:
        if t in index and all(m in index for m in members):
            rel.groups.append([index[t]] + [index[m] for m in members])
            rel.labels.append(label)

    # deprivation groups: an area's groups add up to its total over the same months
    by_window = defaultdict(dict)
    for pos, (count, area, lo, hi, dim, group) in enumerate(list(table.keys)):
        if dim.startswith("imd_"):
            by_window[(count, area, lo, hi, dim)][group] = pos
    for (count, area, lo, hi, dim), groups in sorted(by_window.items()):
        members = [groups[g] for g in sorted(groups, key=int)]
        value = sum(table.values[m] for m in members)
        t = (count, area, lo, hi, "all", ALL_AGES)
        months = [index.get((count, area, m, m, "all", ALL_AGES)) for m in range(lo, hi + 1)]
        if t not in index and not margins_known and all(m is not None for m in months) and \
                abs(sum(table.values[m] for m in months) - value) > 1e-9:
            # the groups do not add up to the area's published months (records whose home
            # neighbourhood lies in another district): their total is a count of its own
            t = (count, area, lo, hi, "imd_total", dim)
        if t not in index:
            table.add(t, value, flow=table.rules[count].flow, derived=not margins_known)
            if margins_known:
                table.shows.append((index[t],))
                table.published_elsewhere.add(index[t])
        rel.groups.append([index[t]] + members)
        rel.labels.append(f"{area} {dim} groups")
        if dim == "imd_quintile" and area == KENT_CODE:
            deciles = by_window.get((count, area, lo, hi, "imd_decile"), {})
            for q, pos in groups.items():
                pair = [deciles.get(str(2 * int(q) - 1)), deciles.get(str(2 * int(q)))]
                if all(p is not None for p in pair):
                    rel.groups.append([pos, *pair])
                    rel.labels.append(f"Kent quintile {q} = 2 deciles")
                districts = [(count, d, lo, hi, dim, q) for d in DISTRICTS]
                if all(k in index for k in districts):
                    rel.groups.append([pos] + [index[k] for k in districts])
                    rel.labels.append(f"Kent quintile {q} = districts")
    keys = list(table.keys)
    values = np.array(table.values, dtype=float)
    # areas
    combos = {(k[0], k[2], k[3], k[4], k[5]) for k in keys}
    sets = [(KENT_CODE, tuple(DISTRICTS)), (KENT_CODE, tuple(SCS_AREA_CODES))]
    sets += [(code, districts_in(code)) for code in SCS_AREA_CODES]
    for count, lo, hi, dim, group in sorted(combos):
        for t_area, members in sets:
            total((count, t_area, lo, hi, dim, group), [(count, m, lo, hi, dim, group) for m in members],
                  f"{t_area} areas")
    # age bands
    bands = defaultdict(list)
    for pos, k in enumerate(keys):
        if k[4] == "age":
            bands[k[:4]].append(pos)
    for base, members in sorted(bands.items()):
        t = (*base, "all", ALL_AGES)
        if t in index:
            rel.groups.append([index[t]] + sorted(members))
            rel.labels.append("age bands")
    # time: a window of a flow is the sum of its months (when the months are cells)
    for pos, (count, area, lo, hi, dim, group) in enumerate(keys):
        if hi > lo and table.rules[count].flow:
            months = [(count, area, m, m, dim, group) for m in range(lo, hi + 1)]
            if all(m in index for m in months):
                rel.groups.append([pos] + [index[m] for m in months])
                rel.labels.append("months")
    # shares: numerator + complement = denominator (the complement is a count too)
    for num, den in sorted(table.shares):
        key = keys[num]
        comp = table.add((f"complement of {key[0]} in {keys[den][0]}", *key[1:]), values[den] - values[num],
                         flow=table.rules[key[0]].flow, derived=True)
        rel.groups.append([den, num, comp])
        rel.labels.append("share")
    # definitions: a count with more conditions is at most the count with fewer
    by_place = defaultdict(dict)
    for pos, k in enumerate(keys):
        if k[0] in table.rules:
            by_place[k[1:]][table.rules[k[0]]] = pos
    for present in by_place.values():
        if len(present) < 2:
            continue
        for base_rule, base in present.items():
            subs = [r for r in present if r.within(base_rule)]
            for r in subs:
                rel.extra.append(([present[r], base], [1.0, -1.0], "le", "subset"))
            disjoint = [r for r in subs if all(r.disjoint(o) for o in subs if o != r)]
            if len(disjoint) > 1:
                rel.extra.append(([present[r] for r in disjoint] + [base], [1.0] * len(disjoint) + [-1.0], "le",
                                  "disjoint subsets"))
    return rel


# -- the decisions -----------------------------------------------------------------------------------
def shown_cells(table: CellTable, withheld: np.ndarray) -> np.ndarray:
    """Cells some row shows: every cell of the row is published."""
    shown = np.zeros(len(table.cells), dtype=bool)
    for cells in table.shows:
        if not any(withheld[c] for c in cells):
            shown[list(cells)] = True
    return shown


def primary_and_complement(values: np.ndarray, shares: set[tuple[int, int]], threshold: int
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Primary suppression (counts 1 to ``threshold``) and the complement rule for shares.

    Returns the ``withheld`` flags and the ``reason`` and ``detail`` of each withheld cell.
    """
    withheld = (values >= 1) & (values <= threshold)
    reason = np.where(withheld, "primary", None).astype(object)
    detail = np.where(withheld, f"count from 1 to {threshold}", None).astype(object)
    for num, den in sorted(shares):
        gap = values[den] - values[num]
        if 1 <= gap <= threshold and not withheld[num]:
            withheld[num] = True
            reason[num] = "complement"
            detail[num] = f"denominator minus numerator is from 1 to {threshold}"
    return withheld, reason, detail


def secondary(values: np.ndarray, suppressed: np.ndarray, groups: list[list[int]], *,
              prefer_members: bool = True, blocked: np.ndarray | None = None,
              threshold: int | None = None, unknown: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Secondary suppression by relation: while any relation has exactly one suppressed cell
    (or, with ``threshold``, suppressed cells adding up to a count from 1 to ``threshold``),
    suppress the smallest other cell in it (preferring a non-zero one), smallest relations first.

    ``groups`` are lists of cell positions whose first member is the total of the others;
    ``suppressed`` is updated in place. With ``prefer_members`` the partner is taken from
    the members before the total; ``blocked`` cells are never chosen (cells that do not
    exist, or whose decision is fixed); ``unknown`` cells are never published anyway (a
    complement, a total no row shows): they count as hidden but need no partner of their own.
    Returns ``(suppressed cell, cell it protects)`` pairs in the order chosen.
    """
    chosen: list[tuple[int, int]] = []
    changed = True
    arrays = [np.array(g) for g in groups]
    unknown = np.zeros(len(values), dtype=bool) if unknown is None else unknown
    while changed:
        changed = False
        for g in arrays:
            decided = suppressed[g]
            if not decided.any():
                continue
            hidden = decided | unknown[g]
            n_hidden = int(hidden.sum())
            if n_hidden != 1:
                if threshold is None or hidden[0]:
                    continue
                hidden_sum = values[g[0]] - float(np.where(hidden[1:], 0.0, values[g[1:]]).sum())
                if not (1 <= hidden_sum <= threshold):
                    continue
            pool = g[~hidden] if blocked is None else g[~hidden & ~blocked[g]]
            if prefer_members and (pool != g[0]).any():
                pool = pool[pool != g[0]]
            if not len(pool):
                continue  # nothing left that could be withheld
            nonzero = pool[values[pool] > 0]
            pool = nonzero if len(nonzero) else pool
            pick = int(pool[np.lexsort((pool, values[pool]))][0])
            protected = int(g[decided][0])
            suppressed[pick] = True
            chosen.append((pick, protected))
            changed = True
    return chosen


@dataclass
class Protection:
    """The decisions: ``table`` (cells), ``withheld`` (decided), ``shown`` (what rows show),
    ``reason``/``detail`` per withheld cell, and how the proof went."""

    table: CellTable
    withheld: np.ndarray
    shown: np.ndarray
    reason: np.ndarray
    detail: np.ndarray
    threshold: int
    rounds: int = 0
    solver_calls: int = 0
    revised: int = 0
    rule: str = "values"
    gradient_flags: pd.DataFrame | None = None
    gradient_cells: np.ndarray | None = None

    def status(self, pos: int) -> bool:
        return bool(self.shown[pos])


def protect(table: CellTable, threshold: int, *, ledger: pd.DataFrame | None = None,
            margins_known: bool = False, prefer_members: bool = True,
            blocked: np.ndarray | None = None, rule: str = "values") -> Protection:
    """Decide every cell of ``table`` (see the module docstring); returns the :class:`Protection`.

    ``ledger``: earlier decisions to honour (:data:`LEDGER_COLUMNS`). ``blocked``: cells never
    chosen as partners (a zero everyone knows, such as a deprivation group with no
    neighbourhoods), by position; ``prefer_members``: take partners from a relation's members
    before its total; ``rule``: the protection interval
    (:func:`ehps_lib.indicators.feasibility.is_protected`).

    Raises
    ------
    ProtectionError
        When a cell cannot be protected: every cell that could be withheld beside it is fixed
        by the ledger, or the rounds run out.
    """
    rel = relations_of(table, margins_known=margins_known)
    cells = table.cells
    n = len(cells)
    values = cells["value"].to_numpy(dtype=float)
    derived = cells["derived"].to_numpy(dtype=bool)
    for g, label in zip(rel.groups, rel.labels, strict=True):
        if abs(values[g[0]] - values[g[1:]].sum()) > 1e-6:
            raise ProtectionError(f"The counts do not add up ({label}): {_words(table, g[0])} is {values[g[0]]:g} "
                                  f"but its parts add up to {values[g[1:]].sum():g}; the relation an intruder would "
                                  "use does not hold, so protection cannot be proved")
    fixed = np.zeros(n, dtype=bool)
    from_ledger = np.zeros(n, dtype=bool)
    withheld, reason, detail = primary_and_complement(values, table.shares, threshold)
    withheld &= ~derived
    revised = 0
    if ledger is not None and len(ledger):
        led = ledger.set_index(CELL_COLUMNS)
        keys = pd.MultiIndex.from_frame(cells[CELL_COLUMNS])
        hit = keys.isin(led.index)
        if hit.any():
            rows = led.reindex(keys[hit])
            pos = np.where(hit)[0]
            was_withheld = (rows["status"] == "withheld").to_numpy()
            old = rows["value"].to_numpy(dtype=float)
            changed = ~was_withheld & (np.abs(old - values[pos]) > 1e-9)
            revised = int(changed.sum())
            values[pos[~was_withheld]] = old[~was_withheld]  # published figures are not revised
            for p_, v_ in zip(pos[~was_withheld], old[~was_withheld], strict=True):
                table.values[p_] = float(v_)
            withheld[pos] = was_withheld
            reason[pos] = rows["reason"].where(was_withheld, None).to_numpy()
            detail[pos] = np.where(was_withheld, "withheld when first published", None)
            fixed[pos] = True
            from_ledger[pos] = True
    never = np.zeros(n, dtype=bool)
    if blocked is not None:
        never[: min(n, len(blocked))] = blocked[:n]
    fixed |= never & ~withheld  # a structural zero stays published
    for pos in table.published_elsewhere:
        fixed[pos], withheld[pos] = True, False
    blocked = fixed | derived
    groups = sorted(rel.groups, key=len)
    # complements are never published, so they count as hidden; a derived total (an area's financial
    # year, the sum of its published months) usually is known
    complements = np.array([str(k[0]).startswith("complement of ") for k in table.keys], dtype=bool)

    def by_relation() -> None:
        for pick, protected in secondary(values, withheld, groups, prefer_members=prefer_members, blocked=blocked,
                                         threshold=threshold, unknown=complements):
            reason[pick] = "secondary"
            detail[pick] = f"protects {_words(table, protected)}"

    by_relation()
    prot = Protection(table, withheld, np.zeros(n, dtype=bool), reason, detail, threshold, revised=revised,
                      rule=rule)
    # Cells the ledger fixed were proved when they were decided: only what shares a relation with
    # a new cell needs proving again.
    new = ~from_ledger & ~derived
    touched = None
    if from_ledger.any():
        touched = new.copy()
        for g in [*rel.groups, *(pos for pos, _c, _k, _l in rel.extra)]:
            if new[list(g)].any():
                touched[list(g)] = True
    _prove(prot, rel, values, derived, fixed, touched, by_relation)
    return prot


def _words(table: CellTable, pos: int) -> str:
    count, area, lo, hi, dim, group = table.key(pos)
    when = f"{lo // 12}-{lo % 12 + 1:02d}" + ("" if lo == hi else f" to {hi // 12}-{hi % 12 + 1:02d}")
    who = "" if dim == "all" else f" {dim} {group}"
    return f"{area} {when}{who} ({count})"


def _prove(prot: Protection, rel: Relations, values: np.ndarray, derived: np.ndarray, fixed: np.ndarray,
           touched: np.ndarray | None = None, by_relation=None) -> None:
    """Step 4: check every hidden cell with the solver (or, with ``touched``, those in the
    components of the touched cells); withhold partners until all pass."""
    table = prot.table
    n = len(values)
    threshold = prot.threshold
    member_of: dict[int, list[int]] = defaultdict(list)
    for r, g in enumerate(rel.groups):
        for c in g:
            member_of[c].append(r)
    previous: np.ndarray | None = None
    previous_result = previous_hidden = None
    failing_cells = np.array([], dtype=int)
    for round_ in range(MAX_ROUNDS):
        shown = shown_cells(table, prot.withheld)
        hidden = ~shown
        prot.shown = shown
        var_of = np.full(n, -1)
        hidden_pos = np.where(hidden)[0]
        var_of[hidden_pos] = np.arange(len(hidden_pos))
        relations: list[Relation] = []
        source: list[list[int]] = []  # the cells of each relation of the check
        for g in rel.groups:
            g = np.asarray(g)
            coefs = np.ones(len(g))
            coefs[0] = -1.0
            if _append(relations, g, coefs, "eq", hidden, values, var_of):
                source.append(g.tolist())
        for pos, coefs, kind, _label in rel.extra:
            if _append(relations, np.asarray(pos), np.asarray(coefs, dtype=float), kind, hidden, values, var_of):
                source.append(list(pos))
        only = None
        if previous is None and touched is not None:
            only = touched[hidden_pos]
        if previous is not None:
            changed = hidden & ~previous
            only = np.zeros(len(hidden_pos), dtype=bool)
            only[var_of[changed]] = True
            # failures of the last round must be looked at again too
            only |= np.isin(hidden_pos, failing_cells)
        settled = s_lo = s_hi = None
        if previous is not None:
            # proved in an earlier round: withholding more only widens ranges, so they stay proved
            s_lo, s_hi = _carry(previous_result, previous_hidden, hidden_pos)
            settled = ~np.isnan(s_lo) & ~np.isin(hidden_pos, failing_cells)
            settled &= np.array([is_protected(a, b, threshold, prot.rule) if ok else False
                                 for a, b, ok in zip(s_lo, s_hi, settled, strict=True)], dtype=bool)
        result = check(len(hidden_pos), relations, threshold, only=only, max_solves=PROOF_SOLVES, rule=prot.rule,
                       component_work=PROOF_COMPONENT_WORK,
                       settled=settled, settled_lo=s_lo, settled_hi=s_hi, exact=False)
        prot.solver_calls += result.solver_calls
        if previous is not None:
            keep = ~np.isin(np.arange(len(hidden_pos)), np.where(np.isin(result.component,
                                                                          result.component[only]))[0])
            # components not looked at again keep their earlier ranges
            old_lo, old_hi = _carry(previous_result, previous_hidden, hidden_pos)
            result.lo[keep] = old_lo[keep]
            result.hi[keep] = old_hi[keep]
        looked_at = np.ones(len(hidden_pos), dtype=bool) if only is None else \
            np.isin(result.component, result.component[only])
        if previous is not None:
            looked_at |= ~np.isnan(result.lo)  # carried over from the earlier rounds
        failing = [int(hidden_pos[v]) for v in np.where(looked_at)[0]
                   if (not is_protected(result.lo[v], result.hi[v], threshold, prot.rule)) or v in result.unproven]
        prot.rounds = round_
        if _DEBUG:
            print(f"round {round_}: {len(hidden_pos)} hidden, {len(relations)} relations, checked "
                  f"{'all' if only is None else int(only.sum())}, {result.solver_calls} programmes, "
                  f"{len(failing)} failing ({len(result.unproven)} unproven), {time.perf_counter() - _T0:.1f} s; "
                  f"largest linked systems {sorted(np.bincount(result.component).tolist())[-3:][::-1]} unknowns",
                  flush=True)
            if os.environ.get("EHPS_DEBUG_PROTECT") == "2":
                from collections import Counter
                kinds = Counter()
                for cell in failing[:2000]:
                    v = var_of[cell]
                    k = table.keys[cell]
                    kinds[(k[0][:40], k[4], "derived" if derived[cell] else "withheld",
                           "hi<=k" if result.hi[v] <= threshold else "lo>0")] += 1
                for kk, nn in kinds.most_common(12):
                    print("   ", nn, kk)
                for cell in failing[:6] + [c for c in failing if var_of[c] in result.unproven][:10]:
                    v = var_of[cell]
                    print("    e.g.", _words(table, cell), result.lo[v], result.hi[v], values[cell],
                          "unproven" if v in result.unproven else "", "comp size",
                          int((result.component == result.component[v]).sum()))
        if not failing:
            return
        picked = set()
        stuck: list[tuple[int, int]] = []  # failing cells with no partner left this round
        again = set(failing) & set(failing_cells.tolist())
        proved_failing = [c for c in failing if var_of[c] not in result.unproven]
        for cell in proved_failing:
            v = var_of[cell]
            pick = None
            if cell in again and v not in result.unproven:
                # failed twice: take the partner from the relations that hold it at its bound
                pick = _binding_partner(cell, v, result, relations, source, values, prot, shown, fixed, derived)
            if pick is None:
                pick = nearby_partner(cell, result.lo[v], result.hi[v], rel.groups, member_of, values,
                                      shown & ~fixed & ~derived & ~prot.withheld, threshold)
            if pick is None:
                pick = _component_partner(v, result, source, values, prot, shown, fixed, derived, rel, member_of)
            if pick is None:
                stuck.append((cell, v))
                continue
            if pick in picked:
                continue
            picked.add(pick)
            prot.withheld[pick] = True
            prot.reason[pick] = "secondary"
            prot.detail[pick] = (f"protects {_words(table, cell)} (its feasible range was "
                                 f"{result.lo[v]:g} to {result.hi[v]:g})")
        if stuck and not picked:
            # no partner left for these cells, and nothing withheld this round could change that
            cell, v = stuck[0]
            raise ProtectionError(f"{_words(table, cell)} cannot be protected (feasible range {result.lo[v]:g} to "
                                  f"{result.hi[v]:g}): every count that could be withheld beside it is withheld "
                                  "already or fixed (published in an earlier period, or elsewhere)")
        if by_relation is not None:
            by_relation()  # a new partner may leave a relation of its own with a single withheld cell
        previous, previous_result, previous_hidden = hidden, result, hidden_pos
        failing_cells = np.array(failing)
    raise ProtectionError(f"The counts could not be protected in {MAX_ROUNDS} rounds")


def _carry(result, old_positions: np.ndarray, new_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = np.full(len(new_positions), np.nan)
    hi = np.full(len(new_positions), np.nan)
    where = {int(p): i for i, p in enumerate(old_positions)}
    for j, p in enumerate(new_positions):
        i = where.get(int(p))
        if i is not None:
            lo[j], hi[j] = result.lo[i], result.hi[i]
    return lo, hi


def _append(relations: list[Relation], pos: np.ndarray, coefs: np.ndarray, kind: str, hidden: np.ndarray,
            values: np.ndarray, var_of: np.ndarray) -> bool:
    unk = hidden[pos]
    if not unk.any():
        return False
    rhs = -float(np.sum(coefs[~unk] * values[pos[~unk]]))
    relations.append(Relation(var_of[pos[unk]], coefs[unk], rhs, kind))
    return True


def _binding_partner(cell: int, v: int, result, relations: list[Relation], source: list[list[int]],
                     values: np.ndarray, prot: Protection, shown: np.ndarray, fixed: np.ndarray,
                     derived: np.ndarray) -> int | None:
    """A partner from the relations binding ``cell`` at the bound that is too tight (shadow prices)."""
    from .feasibility import binding_relations

    comp = result.component[v]
    rel_idx = result.relations_of.get(int(comp), [])
    if not rel_idx:
        return None
    vars_ = np.where(result.component == comp)[0]
    k = prot.threshold
    lo, hi = result.lo[v], result.hi[v]
    sense = "max" if (hi < k + 1 or (hi - lo < k and lo == 0)) else "min"
    try:
        binding = binding_relations(vars_, [relations[i] for i in rel_idx], v, sense)
    except Exception:  # noqa: BLE001 - fall back to the plain choice
        return None
    need = max(1.0, k + 1 - hi, k - (hi - lo))
    cands = sorted({c for j in binding for c in source[rel_idx[j]]
                    if shown[c] and not fixed[c] and not derived[c] and not prot.withheld[c] and c != cell})
    if not cands:
        return None
    cands = np.array(cands)
    big = cands[values[cands] >= need]
    pool = big if len(big) else cands
    order = np.lexsort((pool, values[pool])) if len(big) else np.lexsort((pool, -values[pool]))
    return int(pool[order][0])


def _component_partner(v: int, result, source: list[list[int]], values: np.ndarray, prot: Protection,
                       shown: np.ndarray, fixed: np.ndarray, derived: np.ndarray, rel: Relations,
                       member_of: dict[int, list[int]]) -> int | None:
    """The last resort for a failing cell whose own relations (and theirs, three steps out) hold no
    count that could be withheld: the largest published count in any relation of its component of
    the check (the relations that together pin it, inequalities included), or, when every count
    there is derived (a complement, a total no row shows), in the relations that make a derived
    count known (its share's numerator and denominator, say)."""
    comp = result.component[v]
    cells = {c for i in result.relations_of.get(int(comp), []) for c in source[i]}

    def free(pool) -> list[int]:
        return sorted(c for c in pool if shown[c] and not fixed[c] and not derived[c] and not prot.withheld[c])

    cands = free(cells)
    if not cands:
        cands = free({m for c in cells if derived[c] for r in member_of.get(c, []) for m in rel.groups[r]})
    if not cands:
        return None
    cands = np.array(cands)
    return int(cands[np.lexsort((cands, -values[cands]))][0])


def nearby_partner(cell: int, lo: float, hi: float, groups, member_of: dict[int, list[int]], values: np.ndarray,
                   available: np.ndarray, threshold: int, tier: np.ndarray | None = None) -> int | None:
    """A published cell to withhold beside a failing ``cell`` (feasible range ``lo`` to ``hi``):
    from its own relations (``groups``, the cells of each; ``member_of``: the relations of each
    cell) first, then from the relations of the cells in them (three steps out at most); of the
    ``available`` cells, those of the lowest ``tier`` (what withholding it costs readers, if
    given), the smallest that gives it the room it lacks, else the largest. Used by the Early
    Help and the SCS protections."""
    need = 1.0
    if not (math.isnan(lo) or math.isnan(hi)):
        need = max(need, threshold + 1 - hi, threshold - (hi - lo))
    seen = {cell}
    frontier = [cell]
    for _hop in range(3):
        cands, nxt = [], []
        for c in frontier:
            for r in member_of.get(c, []):
                for m in groups[r]:
                    m = int(m)
                    if m in seen:
                        continue
                    seen.add(m)
                    nxt.append(m)
                    if available[m]:
                        cands.append(m)
        if cands:
            cands = np.array(sorted(cands))
            if tier is not None:
                cands = cands[tier[cands] == tier[cands].min()]
            big = cands[values[cands] >= need]
            if len(big):
                return int(big[np.lexsort((big, values[big]))][0])
            return int(cands[np.lexsort((cands, -values[cands]))][0])
        frontier = nxt
    return None


# -- the generic entry point (tables with indicator-like rows; used by tests and small tables) -------------
def suppress(results: pd.DataFrame, *, threshold: int = 5, count_denominators: set[str] | None = None,
             percentage_indicators: set[str] | None = None, flow_indicators: set[str] | None = None,
             numerator_not_count: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decide which counts of a generic results table to withhold (each indicator's numerator is
    its own count; quarters of ``flow_indicators`` are the sums of their months).

    Parameters
    ----------
    results
        The long results table (``indicator_id, area_code, period, period_kind, age_band,
        numerator, denominator``).
    threshold
        Counts from 1 to ``threshold`` are withheld.
    count_denominators
        Indicators whose denominator is a count of records (percentages of records), not a
        population.
    percentage_indicators
        Indicators for which the complement rule applies.
    flow_indicators
        Indicators counted over a period (a quarter is the sum of its months).
    numerator_not_count
        Indicators whose numerator is not a count of records (e.g. an average's total
        weeks); only their denominator is checked.

    Returns
    -------
    flags, audit
        ``flags``: the results' index with booleans ``numerator_suppressed`` and
        ``denominator_suppressed``; ``audit``: one row per withheld cell and why.
    """
    count_denominators = count_denominators or set()
    flows = flow_indicators or set()
    not_counts = numerator_not_count or set()
    pct = percentage_indicators or set()
    catalogue = {}
    for ind_id in results["indicator_id"].unique():
        flow = ind_id in flows
        event = "date:x" if flow else "open"
        num = None if ind_id in not_counts else CountRule(ind_id, event, extra=("numerator",))
        den = CountRule(ind_id, event, extra=("denominator",)) if ind_id in count_denominators else None
        catalogue[ind_id] = _Generic(num, den, ind_id in pct)
    audit, flags, _ = protect_results(results, catalogue, threshold=threshold)
    return flags[["numerator_suppressed", "denominator_suppressed"]], audit


@dataclass
class _Generic:
    """An indicator of a generic table: its numerator and denominator are its own counts."""

    num: CountRule | None
    den: CountRule | None
    share: bool
    data_period: str = "month"

    @property
    def counts(self) -> dict:
        return {"numerator": self.num, "denominator": self.den}


def protect_results(results: pd.DataFrame, catalogue: dict, *, threshold: int = 5,
                    gradient: pd.DataFrame | None = None, ledger: pd.DataFrame | None = None,
                    period: str = "", rule: str = "values", months: pd.DataFrame | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, Protection]:
    """Protect the counts of a results table (and a deprivation gradient with it) together.

    Returns ``(audit, flags, protection)``: the audit table (one row per withheld cell of the
    results, or of the gradient, and why), the results' flags (``numerator_suppressed``,
    ``denominator_suppressed``: the row does not show that figure) and the
    :class:`Protection`. With ``gradient``, ``protection.gradient_flags`` holds the gradient's.
    ``months``: the monthly counts of windows published only whole
    (:func:`ehps_lib.indicators.engine.window_months_results`), never published: see
    :func:`cells_of_months`.
    """
    table, row_cells = cells_of_results(results, catalogue)
    g_cells = None
    blocked = None
    if gradient is not None and len(gradient):
        from .deprivation import structural_cells

        table, g_cells = cells_of_gradient(gradient, catalogue, table)
        blocked = structural_cells(len(table), gradient, g_cells)
    if months is not None and len(months):
        cells_of_months(months, catalogue, table)
    prot = protect(table, threshold, ledger=ledger, blocked=blocked, rule=rule)
    flags = _flags(prot, row_cells, results.index)
    if g_cells is not None:
        prot.gradient_flags = _flags(prot, g_cells, gradient.index)
        prot.gradient_cells = g_cells
    audit = _audit(prot, results, row_cells, period)
    return audit, flags, prot


def _flags(prot: Protection, row_cells: np.ndarray, index) -> pd.DataFrame:
    out = {}
    for j, name in ((0, "numerator_suppressed"), (1, "denominator_suppressed")):
        c = row_cells[:, j]
        has = c >= 0
        hidden = np.zeros(len(c), dtype=bool)
        # one value or c everywhere: a count is printed only where the protection counts it as
        # published (some row shows it with all its other counts); a denominator shown in no row but
        # beside a withheld numerator is withheld in every row, as the ledger records it
        hidden[has] = ~prot.shown[c[has]]
        out[name] = hidden
    values = np.array(prot.table.values, dtype=float)
    for j, name in ((0, "numerator_value"), (1, "denominator_value")):
        c = row_cells[:, j]
        out[name] = np.where(c >= 0, values[np.maximum(c, 0)], np.nan)
    return pd.DataFrame(out, index=index)


def _audit(prot: Protection, results: pd.DataFrame, row_cells: np.ndarray, period: str) -> pd.DataFrame:
    """One row per withheld cell (named by the first results row showing it), with the reason."""
    first_row: dict[int, tuple[int, str]] = {}
    for j, part in ((0, "numerator"), (1, "denominator")):
        for i, c in enumerate(row_cells[:, j].tolist()):
            if c >= 0 and (c not in first_row or first_row[c][0] > i):
                first_row[c] = (i, part)
    cols = {c: results[c].to_numpy() for c in ("indicator_id", "period", "period_kind", "age_band")}
    rows = []
    real = ~prot.table.cells["derived"].to_numpy(dtype=bool)
    for c in np.where(prot.withheld | (real & ~prot.shown))[0].tolist():
        count, area, lo, hi, dim, group = prot.table.keys[c]
        if c in first_row:
            i, part = first_row[c]
            ind, label, kind, band = (cols["indicator_id"][i], cols["period"][i], cols["period_kind"][i],
                                      cols["age_band"][i])
        else:
            ind, part, label, kind, band = count, "gradient", _window_label(lo, hi), "window", f"{dim} {group}"
        if not prot.withheld[c]:  # every row showing it has another count withheld
            reason, detail = "with its row", "every row showing it has another count withheld"
        else:
            reason, detail = prot.reason[c] or "secondary", prot.detail[c] or "withheld with a row it is shown in"
        rows.append((ind, part, area, label, kind, band, prot.table.values[c], reason, detail))
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def _window_label(lo: int, hi: int) -> str:
    return f"{lo // 12}-{lo % 12 + 1:02d}" + ("" if lo == hi else f" to {hi // 12}-{hi % 12 + 1:02d}")


def ledger_of(prot: Protection, period: str, ledger: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ledger after ``prot``: every earlier decision, plus this run's new ones (status as
    shown: a cell no row shows is recorded as withheld)."""
    cells = prot.table.cells
    real = ~cells["derived"].to_numpy(dtype=bool)
    new = cells.loc[real, CELL_COLUMNS].copy()
    new["value"] = cells.loc[real, "value"].to_numpy(dtype=float)
    new["status"] = np.where(prot.shown[real], "published", "withheld")
    new["reason"] = [r if not s else None for r, s in zip(prot.reason[real], prot.shown[real], strict=True)]
    new["decided_for"] = period
    if ledger is None or not len(ledger):
        return new.reset_index(drop=True)[LEDGER_COLUMNS]
    old = ledger.set_index(CELL_COLUMNS)
    add = new.set_index(CELL_COLUMNS)
    add = add[~add.index.isin(old.index)]
    return pd.concat([old, add]).reset_index()[LEDGER_COLUMNS]


__all__ = ["suppress", "protect_results", "protect", "secondary", "primary_and_complement", "ledger_of",
           "Protection", "ProtectionError", "CellTable", "cells_of_results", "cells_of_gradient", "cells_of_months",
           "relations_of"]
