"""The SCS dashboard's results: compute, protect, assess and write one month's results.

Order matters, as for the Early Help results (:mod:`ehps_lib.indicators.assess`):

1. **Compute** every SCS indicator for Kent, the areas, the services and every team, for every
   month of the returns (:func:`ehps_lib.indicators.scs.compute_results`).
2. **Choose what is published.** The 45 indicators (and their excluding-UASC cohorts) for Kent
   and the four SCS areas; the activity table's counts for Kent, the areas, the services and
   the teams the teams table lists. Everything else (unlisted teams, records no team holds,
   the UASC children alone, the rest of Kent outside the areas, a percentage's denominator less
   its numerator) is a *hidden cell*: computed,
   never published, but part of the relations below.
3. **Suppress** (:mod:`ehps_lib.indicators.suppression`'s primary, complement and secondary
   rules), over every relation an outsider could use among published and hidden cells:
   Kent and each area or service as the sum of its parts; an indicator as its excluding-UASC
   cohort plus the UASC children; a rolling 12 (or 3) months as the sum of its months (those
   published: referrals, assessments, plan and period starts and ends, the monthly variants;
   or hidden: the single months of a rolling indicator with no monthly variant); a
   percentage's denominator as its numerator plus the rest; and the same count in two places
   (children in care in the activity table and in 3+ placements' denominator). A hidden cell
   is never chosen to protect another (it is not published), and a small one is treated as
   suppressed. Then the protection is proved (:func:`_prove`): every withheld and hidden
   count's feasible range, given everything published, must meet the protection rule, as the
   intruder audit (:mod:`ehps_lib.publish.audit`) checks the published site.
   The decisions of the months already written stand (the ledger,
   ``data/results/scs/protected_counts.parquet``: :func:`protect_with_ledger`).
4. **Assess** from published values only: RAG against the target and minimum standard,
   direction of travel against a month and a year earlier, the rolling 3 months and its RAG
   (for the report month only), comparison of each area with Kent (Wilson intervals) and
   SPC (XmR) over the published monthly series.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..config import load_settings
from ..data import digests, io
from ..geography import KENT_CODE
from ..periods import Period
from . import stats
from .assess import PUBLISHED_COLUMNS, add_trend_and_spc
from .catalogue import Indicator, load_scs_catalogue
from .feasibility import Relation, check, is_protected
from .scs import AREA_CODES, MONTH_PIECE, compute_results, units
from .suppression import nearby_partner, secondary

RESULTS_KIND = "scs"
#: A count cell of the SCS results, as the ledger of decisions names it.
LEDGER_KEY = ["indicator_id", "count", "area_code", "period", "window"]
#: One row per count cell decided: its value then, published or withheld, why, and for which month's results.
LEDGER_COLUMNS = [*LEDGER_KEY, "value", "status", "reason", "decided_for"]
AUDIT_COLUMNS = ["indicator_id", "count", "area_code", "period", "window", "value", "reason", "detail", "hidden"]
#: Numerators that are not counts of children or records (days, FTE).
NOT_COUNT_NUMERATORS = {"scs_adoption_days", "scs_match_days", "scs_posts_permanent", "scs_posts_agency"}
#: Denominators that are not counts of records (FTE).
NOT_COUNT_DENOMINATORS = {"scs_posts_permanent", "scs_posts_agency", "scs_caseload_cic", "scs_caseload_cswt",
                          "scs_caseload_fostering"}
#: R12M denominators that are the sum of a monthly count published in the activity table.
FLOW_SUMS = {"scs_rereferrals": "scs_act_referrals", "scs_assessments_45wd": "scs_act_assessments",
             "scs_cpp_repeat": "scs_act_cp_starts", "scs_cpp_2y_ended": "scs_act_cp_ends",
             "scs_iha_5wd": "scs_act_lac_starts"}
#: The ``count`` of a percentage's hidden complement cell: its denominator less its numerator.
COMPLEMENT = "complement"
#: The same count in two indicators: (indicator, which count) = (indicator, which count).
SAME_COUNTS = ((("scs_cla_3plus", "denominator"), ("scs_act_lac", "numerator")),
               (("scs_cpp_18m", "denominator"), ("scs_act_cp", "numerator")))


def is_cohort_variant(ind: Indicator, catalogue: dict[str, Indicator]) -> bool:
    """A variant for a cohort of its indicator's children (excluding UASC), same period and units."""
    parent = catalogue.get(ind.variant_of or "")
    return (ind.role == "variant" and parent is not None and ind.params.get("cohort") == "exc_uasc"
            and parent.params.get("cohort") != "exc_uasc" and ind.data_period == parent.data_period)


def is_monthly_variant(ind: Indicator, catalogue: dict[str, Indicator]) -> bool:
    """A rolling indicator's monthly variant (``<id>_month``, named by the indicator's ``spc_from``)."""
    parent = catalogue.get(ind.variant_of or "")
    return ind.role == "variant" and parent is not None and parent.spc_from == ind.id


def _not_counts(catalogue: dict[str, Indicator], which: str) -> set[str]:
    """Indicators whose numerators (or denominators) are not counts of children or records."""
    base = NOT_COUNT_NUMERATORS if which == "numerator" else NOT_COUNT_DENOMINATORS
    return {i for i, c in catalogue.items() if i in base or (c.variant_of in base and c.role == "variant")}


def scorecard_indicators(catalogue: dict[str, Indicator]) -> list[Indicator]:
    """The 45 rows of the council's scorecard, in their order."""
    return sorted((i for i in catalogue.values() if i.number is not None), key=lambda i: i.number)


# -- what is published --------------------------------------------------------------------------------------
def published_units(teams: pd.DataFrame, catalogue: dict[str, Indicator]) -> dict[str, set[str]]:
    """Area codes published for each indicator (see the module docstring, step 2)."""
    all_units = units(teams)
    areas = {KENT_CODE, *AREA_CODES.values()}
    activity = {u.code for u in all_units if u.level < 2 or u.listed}
    return {i: (activity if ind.role == "activity" else areas) for i, ind in catalogue.items()}


def _cells(raw: pd.DataFrame, catalogue: dict[str, Indicator], published: dict[str, set[str]]) -> pd.DataFrame:
    """One row per count cell (numerator or denominator of a row), with ``hidden`` for cells never
    published. The rest of Kent outside the areas, the UASC children alone and each published
    percentage's denominator less its numerator are added as hidden cells (they take part in a
    relation)."""
    counts = []
    for which in ("numerator", "denominator"):
        part = raw[~raw["indicator_id"].isin(_not_counts(catalogue, which)) & raw[which].notna()]
        if which == "denominator":
            part = part[part["indicator_id"].map(lambda i: catalogue[i].unit != "count")]
        counts.append(part[["indicator_id", "area_code", "period", "window", which]].rename(columns={which: "value"})
                      .assign(count=which))
    cells = pd.concat(counts, ignore_index=True)
    pub = cells.apply(lambda r: r["area_code"] in published[r["indicator_id"]], axis=1) if len(cells) else []
    cells["hidden"] = ~np.asarray(pub, dtype=bool) | (cells["window"] == MONTH_PIECE).to_numpy()
    # indicators are computed for every team but published for Kent and the areas: keep Kent, areas, and
    # one hidden cell for the rest of Kent
    ind_ids = {i for i, c in catalogue.items() if c.role != "activity"}
    is_ind = cells["indicator_id"].isin(ind_ids)
    keep_ind = is_ind & cells["area_code"].isin({KENT_CODE, *AREA_CODES.values()})
    key = ["indicator_id", "count", "period", "window"]
    kent = cells[is_ind & (cells["area_code"] == KENT_CODE)].set_index(key)["value"]
    areas = cells[is_ind & cells["area_code"].isin(AREA_CODES.values())].groupby(key)["value"].sum()
    rest = (kent - areas.reindex(kent.index, fill_value=0)).rename("value").reset_index()
    rest = rest.assign(area_code="KENT-REST", hidden=True)
    frames = [cells[~is_ind], cells[keep_ind], rest]
    # the UASC children alone: an indicator less its excluding-UASC cohort (the rest of Kent's too, so
    # that Kent's UASC children are its areas' and the rest's)
    shown = pd.concat([cells[keep_ind], rest], ignore_index=True)
    for i, ind in catalogue.items():
        if not is_cohort_variant(ind, catalogue):
            continue
        a = _whole(shown, ind, catalogue).set_index(["area_code", "count", "period", "window"])["value"]
        b = shown[shown["indicator_id"] == i].set_index(["area_code", "count", "period", "window"])["value"]
        both = a.index.intersection(b.index)
        diff = (a.loc[both] - b.loc[both]).rename("value").reset_index()
        frames.append(diff.assign(indicator_id=f"{ind.variant_of}_uasc_only", hidden=True))
    # a percentage's denominator less its numerator (the children not counted: "not seen within 45
    # days") is a count an outsider reads off every published row, so it is protected as one
    pct = [i for i, c in catalogue.items() if c.is_percentage]
    rows = cells[cells["indicator_id"].isin(pct) & ~cells["hidden"]]
    parts = rows.set_index(["indicator_id", "area_code", "period", "window", "count"])["value"].unstack("count")
    if {"numerator", "denominator"} <= set(parts.columns):
        parts = parts.dropna(subset=["numerator", "denominator"])
        comp = (parts["denominator"] - parts["numerator"]).rename("value").reset_index()
        frames.append(comp.assign(count=COMPLEMENT, hidden=True))
    out = pd.concat(frames, ignore_index=True)
    return out[out["value"].notna()].reset_index(drop=True)


def _whole(cells: pd.DataFrame, cohort: Indicator, catalogue: dict[str, Indicator]) -> pd.DataFrame:
    """The cells of a cohort variant's indicator, with its monthly variant's months as its single
    months (:data:`MONTH_PIECE`), for a cohort whose single months are computed."""
    parent = catalogue[cohort.variant_of]
    out = cells[cells["indicator_id"] == parent.id]
    if parent.spc_from:
        months = cells[(cells["indicator_id"] == parent.spc_from) & (cells["window"] == "main")]
        out = pd.concat([out, months.assign(indicator_id=parent.id, window=MONTH_PIECE)], ignore_index=True)
    return out


def _relations(cells: pd.DataFrame, catalogue: dict[str, Indicator], teams: pd.DataFrame) -> list[list[int]]:
    """Groups of cell positions that are linked (the first the others' total, but for a share:
    see :func:`_relation_system` for the signs)."""
    return [g for g, _c, _l in _relation_system(cells, catalogue, teams)]


def _relation_system(cells: pd.DataFrame, catalogue: dict[str, Indicator], teams: pd.DataFrame
                     ) -> list[tuple[list[int], list[float], str]]:
    """Every linear relation among the cells an outsider could use: ``(positions, coefficients,
    kind)`` with ``sum(coefficients * values) == 0``. ``kind`` names the relation (``total``,
    ``cohort``, ``rolling``, ``share``, ``same``). A stock's month-to-month change (last month's
    plans + starts - ends) is not one: the returns' late recording and reopened episodes break it
    in 73 % of unit-months of the synthetic returns (1,443 of 1,977), so an outsider cannot rely
    on it, and the intruder audit does not use it either."""
    out: list[tuple[list[int], list[float], str]] = []

    def add(group: list[int], kind: str, coefs: list[float] | None = None) -> None:
        out.append((group, coefs if coefs is not None else [-1.0] + [1.0] * (len(group) - 1), kind))

    idx = {k: i for i, k in enumerate(zip(cells["indicator_id"], cells["count"], cells["area_code"], cells["period"],
                                          cells["window"], strict=True))}
    combos = cells[["indicator_id", "count", "period", "window"]].drop_duplicates().itertuples(index=False)
    all_units = units(teams)
    unit_sets = [(u.code, [m for m in u.members]) for u in all_units if u.level < 2]
    area_set = (KENT_CODE, [*AREA_CODES.values(), "KENT-REST"])
    for ind, count, period, window in combos:
        if count == COMPLEMENT:
            continue  # a complement's totals follow from its numerator's and denominator's
        sets = [area_set] if catalogue.get(ind) is None or catalogue[ind].role != "activity" else unit_sets
        if ind.endswith("_uasc_only"):
            sets = [area_set]
        for total, members in sets:
            group = [idx.get((ind, count, a, period, window)) for a in (total, *members)]
            group = [g for g in group if g is not None]
            if len(group) > 2:
                add(group, "total")
    for i, ind in catalogue.items():  # cohorts: X = X excluding UASC + UASC alone
        if not is_cohort_variant(ind, catalogue):
            continue
        spc = catalogue[ind.variant_of].spc_from
        for (_, count, area, period, window), pos in [(k, v) for k, v in idx.items() if k[0] == i]:
            whole = ((spc, count, area, period, "main") if window == MONTH_PIECE and spc else
                     (ind.variant_of, count, area, period, window))
            g = [idx.get(whole), pos, idx.get((f"{ind.variant_of}_uasc_only", count, area, period, window))]
            if all(x is not None for x in g):
                add(g, "cohort")
    periods = sorted(cells["period"].unique())
    for r12, monthly in FLOW_SUMS.items():  # a rolling 12 months = its 12 months, where these are published
        for (_, _count, area, period, window), pos in [(k, v) for k, v in idx.items() if k[0] == r12
                                                       and k[1] == "denominator" and k[4] in ("main", "R3M")]:
            span = 12 if window == "main" else 3
            i = periods.index(period)
            months = periods[max(0, i - span + 1): i + 1]
            parts = [idx.get((monthly, "numerator", area, m, "main")) for m in months]
            if len(months) == span and all(p is not None for p in parts):
                add([pos, *parts], "rolling")
    for i, ind in catalogue.items():  # a rolling 12 (or 3) months = its monthly variant's months
        if not is_monthly_variant(ind, catalogue):
            continue
        for (_, count, area, period, window), pos in [(k, v) for k, v in idx.items() if k[0] == ind.variant_of
                                                      and k[4] in ("main", "R3M")]:
            span = 12 if window == "main" else 3
            j = periods.index(period)
            months = periods[max(0, j - span + 1): j + 1]
            parts = [idx.get((i, count, area, m, "main")) for m in months]
            if len(months) == span and all(p is not None for p in parts):
                add([pos, *parts], "rolling")
    pieces = set(cells.loc[cells["window"] == MONTH_PIECE, "indicator_id"])
    for (ind, count, area, period, window), pos in [(k, v) for k, v in idx.items() if k[0] in pieces
                                                    and k[4] in ("main", "R3M")]:
        span = 12 if window == "main" else 3  # a rolling window = its single months (hidden)
        j = periods.index(period)
        months = periods[max(0, j - span + 1): j + 1]
        parts = [idx.get((ind, count, area, m, MONTH_PIECE)) for m in months]
        if len(months) == span and all(p is not None for p in parts):
            add([pos, *parts], "rolling")
    for (ind, _count, area, period, window), pos in [(k, v) for k, v in idx.items() if k[1] == COMPLEMENT]:
        num, den = idx.get((ind, "numerator", area, period, window)), idx.get((ind, "denominator", area, period,
                                                                                  window))
        if num is not None and den is not None:
            add([den, num, pos], "share")  # denominator = numerator + the rest
    for (a_ind, a_count), (b_ind, b_count) in SAME_COUNTS:
        for (_, _count, area, period, window), pos in [(k, v) for k, v in idx.items() if k[0] == a_ind
                                                       and k[1] == a_count]:
            other = idx.get((b_ind, b_count, area, period, window))
            if other is not None:
                add([pos, other], "same")
    return out


def primary_and_complement(cells: pd.DataFrame, results: pd.DataFrame, threshold: int,
                           percentage_indicators: set[str], key: list[str]
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Primary suppression of ``cells`` (counts 1 to ``threshold``) and the complement rule.

    ``cells`` has a ``value`` and a ``count`` (numerator or denominator) column plus ``key``;
    ``results`` the numerators and denominators of the percentage indicators. Returns the
    ``suppressed`` flags and the ``reason`` and ``detail`` of each suppressed cell.
    """
    values = cells["value"].to_numpy(dtype=float)
    suppressed = (values >= 1) & (values <= threshold)
    reason = np.where(suppressed, "primary", None).astype(object)
    detail = np.where(suppressed, f"count from 1 to {threshold}", None).astype(object)
    if percentage_indicators:
        # a percentage's numerator when denominator - numerator is small reveals the rest
        pct = results[results["indicator_id"].isin(percentage_indicators)]
        gap = pct["denominator"] - pct["numerator"]
        risky = pct[(gap >= 1) & (gap <= threshold)]
        hit = cells.reset_index().merge(risky[key], on=key)
        hit = hit[hit["count"] == "numerator"]["index"].to_numpy()
        new = hit[~suppressed[hit]]
        suppressed[new] = True
        reason[new] = "complement"
        detail[new] = f"denominator minus numerator is from 1 to {threshold}"
    return suppressed, reason, detail


def protect(raw: pd.DataFrame, catalogue: dict[str, Indicator], teams: pd.DataFrame, *, threshold: int = 4
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Choose the published rows and suppress; return ``(rows, audit)``: the published rows with
    ``suppressed`` set (numerator, denominator and value withheld where so) and one audit row per
    suppressed cell, hidden cells included. (:func:`protect_with_ledger` without earlier decisions.)"""
    rows, audit, _ledger = protect_with_ledger(raw, catalogue, teams, threshold=threshold)
    return rows, audit


def protect_with_ledger(raw: pd.DataFrame, catalogue: dict[str, Indicator], teams: pd.DataFrame, *,
                        threshold: int = 4, ledger: pd.DataFrame | None = None, month: str = "",
                        rule: str = "values", log=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`protect`, honouring ``ledger``: the decision on every count cell made when an earlier
    month's results were written (:data:`LEDGER_COLUMNS`). Each month's results hold every month of
    the returns, so without it each run would decide the older months afresh: a count withheld as
    a partner in one month's dashboard and published in the next gives back the small count it
    protected. A cell decided before keeps its decision: withheld stays withheld; published stays
    published and is never chosen as a partner, unless its value has been revised since (a
    revised return): then it is decided afresh (withheld if now from 1 to ``threshold``, or as a
    partner), as its new value has never been published. Returns ``(rows, audit, ledger)``: the
    ledger with this run's new decisions (``decided_for`` = ``month``) added."""
    published = published_units(teams, catalogue)
    cells = _cells(raw, catalogue, published)
    pct = {i for i, c in catalogue.items() if c.is_percentage}
    keyed = raw.assign(count="numerator")
    suppressed, reason, detail = primary_and_complement(
        cells, keyed, threshold, pct, ["indicator_id", "area_code", "period", "window"])
    hidden = cells["hidden"].to_numpy()
    fixed = np.zeros(len(cells), dtype=bool)
    redecided = np.zeros(len(cells), dtype=bool)
    revised = decided = 0
    if ledger is not None and len(ledger):
        old = ledger.drop_duplicates(LEDGER_KEY, keep="first").set_index(LEDGER_KEY)
        keys = pd.MultiIndex.from_frame(cells[LEDGER_KEY])
        hit = keys.isin(old.index) & ~hidden
        if hit.any():
            pos = np.where(hit)[0]
            decided = len(pos)
            before = old.reindex(keys[hit])
            was = (before["status"] == "withheld").to_numpy()
            now = cells["value"].to_numpy(dtype=float)[pos]
            same = np.abs(before["value"].to_numpy(dtype=float) - now) <= 1e-9
            revised = int((~same).sum())
            redecided[pos[~same]] = True
            keep = was & ~suppressed[pos]
            suppressed[pos[keep]] = True
            reason[pos[keep]] = before["reason"].to_numpy()[keep]
            detail[pos[keep]] = [f"withheld when first published (results for {d})"
                                 for d in before["decided_for"].to_numpy()[keep]]
            # published before with this value: known, so never a partner (withholding it would hide
            # nothing). A revised count was published with another value: it may be withheld now.
            fixed[pos[~was & same & ~suppressed[pos]]] = True
    system = _relation_system(cells, catalogue, teams)
    groups = sorted([g for g, _c, _k in system], key=len)
    # hidden cells are never published: unknowns that need no partner from this first pass (the
    # proof below checks them, and a count withheld beside a hidden one is often protected already)
    for pick, protected in secondary(cells["value"].to_numpy(dtype=float), suppressed, groups, prefer_members=True,
                                     blocked=hidden | fixed, unknown=hidden):
        reason[pick] = "secondary"
        detail[pick] = (f"protects {cells.at[protected, 'indicator_id']} {cells.at[protected, 'area_code']} "
                        f"{cells.at[protected, 'period']} ({cells.at[protected, 'count']}) from recovery")
    proof = _prove(cells, system, suppressed, hidden, hidden | fixed, reason, detail, threshold, catalogue=catalogue,
                   rule=rule, log=log)
    cells = cells.assign(suppressed=suppressed, reason=reason, detail=detail)
    key = ["indicator_id", "area_code", "period", "window"]
    rows = raw[raw.apply(lambda r: r["area_code"] in published[r["indicator_id"]], axis=1)
               & (raw["window"] != MONTH_PIECE)].copy()
    for which in ("numerator", "denominator"):
        flags = cells[(cells["count"] == which) & ~cells["hidden"]].set_index(key)["suppressed"]
        rows[f"{which}_suppressed"] = (pd.MultiIndex.from_frame(rows[key]).map(flags.to_dict()).fillna(False)
                                       .astype(bool) if len(rows) else [])
    rows["suppressed"] = rows["numerator_suppressed"] | rows["denominator_suppressed"]
    rows.loc[rows["suppressed"], ["numerator", "value"]] = np.nan
    rows.loc[rows["denominator_suppressed"], "denominator"] = np.nan
    audit = cells[cells["suppressed"]][AUDIT_COLUMNS].reset_index(drop=True)
    audit.attrs["revised_cells"] = revised
    audit.attrs["cells_decided_before"] = decided  # this run's cells with a decision in the ledger
    audit.attrs["proof"] = proof
    return (rows.drop(columns=["numerator_suppressed", "denominator_suppressed"]).reset_index(drop=True), audit,
            _ledger_after(cells, month, ledger, redecided))


#: Rounds of proof and new partners before the protection gives up (see :func:`_prove`).
PROOF_ROUNDS = 80
#: Integer programmes for single cells per round, over all components (the rest wait a round).
PROOF_SOLVES = 3000
#: ... and within one linked component, divided by its number of unknowns.
PROOF_COMPONENT_WORK = 60_000
#: The witness programmes stop after this many branch-and-bound nodes with the point they have:
#: the SCS system's signed share relations make some relaxations fractional, and a witness
#: needs only a feasible point, not an optimum (a count, not a clock: the same on any machine).
#: The time limit is a safety valve only (a programme over thousands of counts whose root node
#: alone runs for minutes): one it stops is not proved, so its cell waits or gets a partner, which
#: is always safe; on a much slower machine a run could choose a different partner, and the
#: ledger then keeps whatever was published.
WITNESS_OPTIONS = {"mip_rel_gap": 0.05, "node_limit": 200, "time_limit": 20.0}
#: ... and so do the programmes of single cells (a cell one stops on is treated as failing).
SINGLE_OPTIONS = {"node_limit": 200, "time_limit": 20.0}


class ProtectionError(RuntimeError):
    """The SCS counts could not be protected (a cell with no partner left, or rounds run out)."""


def _prove(cells: pd.DataFrame, system: list[tuple[list[int], list[float], str]], suppressed: np.ndarray,
           hidden: np.ndarray, blocked: np.ndarray, reason: np.ndarray, detail: np.ndarray, threshold: int, *,
           catalogue: dict[str, Indicator], rule: str = "values", log=None) -> dict:
    """Prove every withheld and hidden cell against every relation of ``system`` that holds in the
    figures, and withhold partners until all pass (``suppressed``, ``reason`` and ``detail``
    are updated in place). An outsider knows every published count and the relations; each
    withheld or hidden count is an unknown whole number from 0. A cell passes when its
    feasible range meets the protection rule (:func:`ehps_lib.indicators.feasibility.is_protected`);
    a cell the solve budget could not settle in a round is treated as failing (a partner is
    cheaper than a proof, and always safe). ``blocked`` cells (hidden, or published before
    and kept) are never partners. Returns what the proof did (rounds, programmes, cells checked)."""
    values = cells["value"].to_numpy(dtype=float)
    n = len(values)
    holds = [(np.asarray(g), np.asarray(c, dtype=float), k) for g, c, k in system
             if abs(float(np.dot(c, values[g]))) <= 1e-6]
    member_of: dict[int, list[int]] = {}
    for r, (g, _c, _k) in enumerate(holds):
        for c in g:
            member_of.setdefault(int(c), []).append(r)
    # what a partner costs readers: Kent's figures most (the scorecard's headline and the SPC charts of
    # its monthly figures; a Kent month withheld takes others with it, as its rolling 12 and 3 months
    # are published every month), then the areas' rolling figures, then monthly and activity counts
    tier = np.where(cells["area_code"].to_numpy() == KENT_CODE, 2,
                    np.where(cells["window"].isin(["main", "R3M"]).to_numpy()
                             & ~cells["indicator_id"].str.endswith("_month").to_numpy()
                             & cells["indicator_id"].map(lambda i: i in catalogue and catalogue[i].role != "activity")
                             .to_numpy(dtype=bool), 1, 0))
    proved = np.zeros(n, dtype=bool)
    p_lo = np.full(n, np.nan)
    p_hi = np.full(n, np.nan)
    calls = 0
    waits: dict[int, int] = {}
    groups = sorted([g.tolist() for g, _c, _k in holds], key=len)
    groups_of = [g for g, _c, _k in holds]
    # a percentage's complement (hidden) is known to an outsider when its numerator and denominator
    # are both published: an unknown only while either is withheld
    shares = np.array([g for g, _c, k in holds if k == "share"], dtype=int).reshape(-1, 3)  # den, num, rest
    for round_ in range(PROOF_ROUNDS):
        unknown = suppressed | hidden
        if len(shares):
            read_off = ~suppressed[shares[:, 0]] & ~suppressed[shares[:, 1]] & ~suppressed[shares[:, 2]]
            unknown[shares[read_off, 2]] = False
        pos = np.where(unknown)[0]
        var_of = np.full(n, -1)
        var_of[pos] = np.arange(len(pos))
        relations = []
        for g, c, _k in holds:
            unk = unknown[g]
            if unk.any():
                relations.append(Relation(var_of[g[unk]], c[unk], -float(np.dot(c[~unk], values[g[~unk]]))))
        settled = proved[pos]
        result = check(len(pos), relations, threshold, only=~settled, max_solves=PROOF_SOLVES, rule=rule,
                       settled=settled, settled_lo=p_lo[pos], settled_hi=p_hi[pos], exact=False,
                       component_work=PROOF_COMPONENT_WORK, witness_options=WITNESS_OPTIONS,
                       single_options=SINGLE_OPTIONS)
        calls += result.solver_calls
        looked = ~np.isnan(result.lo) & ~settled
        ok = looked & np.array([is_protected(a, b, threshold, rule) for a, b in zip(result.lo, result.hi,
                                                                                      strict=True)], dtype=bool)
        ok[list(result.unproven)] = False
        proved[pos[ok]] = True
        p_lo[pos[ok]], p_hi[pos[ok]] = result.lo[ok], result.hi[ok]
        unproven = np.zeros(len(pos), dtype=bool)
        unproven[list(result.unproven)] = True
        failing = pos[~settled & ~ok & looked & ~unproven]
        # a cell the solve budget did not settle waits a round (the next round's budget may prove it).
        # One left unproven two rounds running gets a partner, but only a count that costs readers
        # least (tier 0: a team's or a monthly count), as it may well be protected already; only
        # after six rounds unproven may the partner be any count (always safe)
        waiting = pos[unproven]
        waits = {int(c): waits.get(int(c), 0) + 1 for c in waiting}
        patient = [c for c in waiting if waits[int(c)] >= 2]
        if log is not None:
            log(f"round {round_}: {len(pos)} unknowns, {len(relations)} relations, {result.solver_calls} "
                f"programmes, {int(ok.sum())} proved, {len(failing)} failing ({len(result.unproven)} unproven); "
                f"largest linked system {int(np.bincount(result.component).max()) if len(pos) else 0}")
        if not len(failing) and not len(waiting):
            return {"rounds": round_ + 1, "programmes": calls, "relations": len(holds),
                    "relations_not_holding": len(system) - len(holds)}
        picked = 0
        stuck = []
        for cell, cheap in [(c, False) for c in failing] + [(c, waits[int(c)] < 6) for c in patient]:
            v = var_of[cell]
            pick = nearby_partner(int(cell), result.lo[v], result.hi[v], groups_of, member_of, values,
                                  ~(suppressed | blocked) & ((tier <= 0) if cheap else True), threshold, tier)
            if pick is None:
                if not cheap:
                    stuck.append(int(cell))
                continue
            if suppressed[pick]:
                continue
            suppressed[pick] = True
            reason[pick] = "secondary"
            how = (f"its feasible range was {result.lo[v]:g} to {result.hi[v]:g}" if int(cell) not in waits
                   else "not proved protected within the solve budget")
            detail[pick] = (f"protects {cells.at[cell, 'indicator_id']} {cells.at[cell, 'area_code']} "
                            f"{cells.at[cell, 'period']} ({cells.at[cell, 'count']}): {how}")
            picked += 1
        if not picked and stuck:
            cell = stuck[0]
            raise ProtectionError(f"{cells.at[cell, 'indicator_id']} {cells.at[cell, 'area_code']} "
                                  f"{cells.at[cell, 'period']} ({cells.at[cell, 'count']}) cannot be protected: "
                                  "every count that could be withheld beside it is withheld already or fixed")
        for pick, protected in secondary(values, suppressed, groups, prefer_members=True, blocked=blocked | hidden,
                                         unknown=hidden):
            reason[pick] = "secondary"
            detail[pick] = (f"protects {cells.at[protected, 'indicator_id']} {cells.at[protected, 'area_code']} "
                            f"{cells.at[protected, 'period']} ({cells.at[protected, 'count']}) from recovery")
    raise ProtectionError(f"The SCS counts could not be protected in {PROOF_ROUNDS} rounds")


def _ledger_after(cells: pd.DataFrame, month: str, ledger: pd.DataFrame | None,
                  redecided: np.ndarray | None = None) -> pd.DataFrame:
    """``ledger`` with the decisions on the published count cells not in it yet (hidden cells are
    never published, so never recorded), and those ``redecided`` (revised) replaced by this run's:
    the value a reader has now seen (or that is now withheld) is the one later runs must honour."""
    shown = cells[~cells["hidden"]]
    # a row whose denominator is withheld shows no numerator either (see protect_with_ledger)
    row = ["indicator_id", "area_code", "period", "window"]
    dens = shown[(shown["count"] == "denominator") & shown["suppressed"]]
    with_den = (shown["count"] == "numerator").to_numpy() & pd.MultiIndex.from_frame(shown[row]).isin(
        pd.MultiIndex.from_frame(dens[row]))
    withheld = shown["suppressed"].to_numpy(dtype=bool) | with_den
    reason = np.where(shown["suppressed"], shown["reason"], np.where(with_den, "denominator withheld", None))
    new = shown[LEDGER_KEY].assign(value=shown["value"].to_numpy(dtype=float),
                                   status=np.where(withheld, "withheld", "published"),
                                   reason=reason, decided_for=month)[LEDGER_COLUMNS]
    if ledger is None or not len(ledger):
        return new.reset_index(drop=True)
    if redecided is not None and redecided.any():
        again = pd.MultiIndex.from_frame(cells.loc[redecided, LEDGER_KEY])
        ledger = ledger[~pd.MultiIndex.from_frame(ledger[LEDGER_KEY]).isin(again)]
    seen = pd.MultiIndex.from_frame(ledger[LEDGER_KEY])
    add = new[~pd.MultiIndex.from_frame(new[LEDGER_KEY]).isin(seen)]
    return pd.concat([ledger[LEDGER_COLUMNS], add], ignore_index=True)


# -- assessment ------------------------------------------------------------------------------------------------------
def assess_scs(rows: pd.DataFrame, catalogue: dict[str, Indicator], report_month: str) -> pd.DataFrame:
    """RAG, direction of travel, rolling 3 months, comparison with Kent and SPC, from published
    values only; one row per indicator, unit and month (the main window), in
    :data:`ehps_lib.indicators.assess.PUBLISHED_COLUMNS`."""
    main = rows[rows["window"] == "main"].copy()
    r3 = rows[(rows["window"] == "R3M") & (rows["period"] == report_month)]
    cat = catalogue
    main["target"] = main["indicator_id"].map({i: c.target for i, c in cat.items()})
    main["floor"] = main["indicator_id"].map({i: c.floor for i, c in cat.items()})
    pol = main["indicator_id"].map({i: c.polarity for i, c in cat.items()})
    main["rag"] = [stats.rag_status(v, t, f, p) for v, t, f, p in zip(main["value"], main["target"], main["floor"],
                                                                       pol, strict=True)]
    pct = main["indicator_id"].map(lambda i: cat[i].is_percentage).to_numpy()
    ok = pct & main["value"].notna().to_numpy() & (main["denominator"].fillna(0).to_numpy() > 0)
    published_998 = 99.8 in load_settings().statistics.published_intervals
    for z, cols in ((stats.Z95, ("ci_lower", "ci_upper")), (stats.Z998, ("ci998_lower", "ci998_upper"))):
        lo = np.full(len(main), np.nan)
        hi = np.full(len(main), np.nan)
        if ok.any() and (z == stats.Z95 or published_998):
            w_lo, w_hi = stats.wilson_ci(main.loc[ok, "numerator"], main.loc[ok, "denominator"], z=z)
            lo[ok], hi[ok] = w_lo * 100, w_hi * 100
        main[cols[0]], main[cols[1]] = lo, hi
    main["ci_method"] = np.where(ok, "Wilson", None)
    periods = {p: Period.parse(p) for p in main["period"].unique()}
    main["previous_period"] = main["period"].map({k: v.previous().label for k, v in periods.items()})
    main["year_ago_period"] = main["period"].map({k: v.year_ago().label for k, v in periods.items()})
    values = main.set_index(["indicator_id", "area_code", "period"])["value"]
    for col in ("previous", "year_ago"):
        keys = pd.MultiIndex.from_frame(main[["indicator_id", "area_code", f"{col}_period"]])
        main[f"{col}_value"] = values.reindex(keys).to_numpy()
        main[f"direction_{col}"] = [stats.direction_of_travel(v, p, cat[i].polarity, cat[i].target)
                                    for i, v, p in zip(main["indicator_id"], main["value"], main[f"{col}_value"],
                                                       strict=True)]
    r3v = r3.set_index(["indicator_id", "area_code"])["value"]
    here = (main["period"] == report_month).to_numpy()
    main["rolling3_value"] = np.nan
    main.loc[here, "rolling3_value"] = r3v.reindex(pd.MultiIndex.from_frame(
        main.loc[here, ["indicator_id", "area_code"]])).to_numpy()
    main["rolling3_rag"] = [stats.rag_status(v, t, f, p) if h else None for v, t, f, p, h in zip(
        main["rolling3_value"], main["target"], main["floor"], pol, here, strict=True)]
    kent = main[main["area_code"] == KENT_CODE].set_index(["indicator_id", "period"])["value"]
    main["kent_value"] = kent.reindex(pd.MultiIndex.from_frame(main[["indicator_id", "period"]])).to_numpy()
    main["compared_with_kent"] = [
        stats.compare_with_benchmark(v, a, b, k, cat[i].polarity, cat[i].target)
        if code != KENT_CODE and cat[i].is_percentage else stats.NOT_COMPARED
        for i, code, v, a, b, k in zip(main["indicator_id"], main["area_code"], main["value"], main["ci_lower"],
                                       main["ci_upper"], main["kent_value"], strict=True)]
    main["rank"] = pd.array([None] * len(main), dtype="Int64")  # teams and areas are not ranked
    main["rank_of"] = pd.array([None] * len(main), dtype="Int64")
    # recent trend and SPC as for every paper: on monthly flows only (a rolling indicator's chart is
    # its monthly variant's, named by ``spc_from``; snapshots and rolling windows say why not)
    flows = {i for i, c in cat.items() if c.data_period == "month"}
    main["suppressed"] = main["suppressed"].astype(bool)
    add_trend_and_spc(main, cat, flows)
    # a range (polarity T) is stored as its middle; the catalogue keeps the range for the data notes
    main["target"] = [np.mean(t) if isinstance(t, list | tuple) else t for t in main["target"]]
    main["floor"] = [np.nan if isinstance(f, list | tuple) else f for f in main["floor"]]
    main["target"] = pd.to_numeric(main["target"], errors="coerce")
    main["floor"] = pd.to_numeric(main["floor"], errors="coerce")
    return main[PUBLISHED_COLUMNS].reset_index(drop=True)


# -- periods, inputs and writing --------------------------------------------------------------------------------------
def latest_month(extract_date: dt.date) -> Period:
    """The latest complete month of the returns: the extract date's month if it is its last day,
    else the month before.

    Examples
    --------
    >>> latest_month(dt.date(2016, 8, 31)).label, latest_month(dt.date(2016, 9, 5)).label
    ('2016-08', '2016-08')
    """
    if (extract_date + dt.timedelta(days=1)).day == 1:
        return Period.month(extract_date.year, extract_date.month)
    first = extract_date.replace(day=1) - dt.timedelta(days=1)
    return Period.month(first.year, first.month)


def resolve_month(label: str, extract_date: dt.date) -> Period:
    """``latest`` → the returns' latest complete month; a month label as given; a quarter or year →
    its last month. The month must end by the extract date.

    Raises
    ------
    ValueError
        When the month ends after the extract date.
    """
    if str(label).strip().lower() == "latest":
        return latest_month(extract_date)
    p = Period.parse(label)
    last = p.month_starts()[-1]
    m = Period.month(last.year, last.month)
    if m.end > extract_date:
        raise ValueError(f"{m.label} ends after the returns' extract date {extract_date:%d %B %Y}; the latest complete "
                         f"month is {latest_month(extract_date).label}")
    return m


def extract_date_of(manifest: dict) -> dt.date:
    return dt.date.fromisoformat(str(manifest["extract_date"])[:10])


def inputs_key(period: Period, base: Path | None = None) -> str:
    """What a month's SCS results are computed from: the validated returns, the library, the month."""
    folder = io.returns_processed_dir(base)
    files = sorted(folder.glob("*.parquet")) + [folder / io.PROCESSED_MANIFEST]
    return digests.digest_json({"period": period.label, "returns": {p.name: io.sha256_file(p) for p in files},
                                "library": digests.library_digest()})


#: The protected counts as open data (``<month>/data/scs_counts.csv`` in the site): every published
#: unit, month and window (the rolling 3 months too), so that the intruder audit
#: (:mod:`ehps_lib.publish.audit`) reads every count the protection treated as public.
OPEN_COUNTS = "counts"
OPEN_COUNT_COLUMNS = ["indicator_id", "area_code", "area_name", "period", "window", "numerator", "denominator",
                      "value", "suppressed"]


def open_counts(rows: pd.DataFrame) -> pd.DataFrame:
    """The protected rows (:func:`protect_with_ledger`) in :data:`OPEN_COUNT_COLUMNS`."""
    out = rows[OPEN_COUNT_COLUMNS].sort_values(["indicator_id", "area_code", "window", "period"], kind="stable")
    return out.reset_index(drop=True)


def compute_and_write(period_label: str = "latest", base: Path | None = None, *, key: str | None = None,
                      log=None) -> tuple[Period, pd.DataFrame, dict, Path]:
    """Compute, protect, assess and write a month's SCS results to ``DATA_DIR/results/scs/<month>/``
    (the unprotected results and the suppression audit to its ``internal/``). ``log`` (a
    function of one string) hears how the protection's proof goes, round by round."""
    tables, manifest = io.read_returns(base)
    extract_date = extract_date_of(manifest)
    period = resolve_month(period_label, extract_date)
    catalogue = load_scs_catalogue()
    up_to = pd.Period(period.label, "M")
    raw = compute_results(tables, extract_date, catalogue, up_to=up_to)
    settings = load_settings()
    threshold = settings.suppression_threshold
    # every decision made for the months already written stands (see protect_with_ledger)
    ledger = io.read_ledger(base, kind=RESULTS_KIND)
    rows, audit, after = protect_with_ledger(raw, catalogue, tables["teams"], threshold=threshold, ledger=ledger,
                                             month=period.label, rule=settings.suppression_interval,
                                             log=None if log is None else (lambda m: log(f"SCS protection: {m}")))
    published = assess_scs(rows, catalogue, period.label)
    meta = {"period": period.label, "period_kind": "month", "synthetic": bool(manifest.get("synthetic")),
            "extract_date": extract_date.isoformat(), "ehps_lib_version": __version__,
            "sources": manifest.get("sources", []), "rows": len(published),
            "inputs_key": key or inputs_key(period, base),
            "rules_applied": manifest.get("rules_applied", []),
            "suppression": {"threshold": threshold, "cells_suppressed": int((~audit["hidden"]).sum()),
                            "hidden_cells_suppressed": int(audit["hidden"].sum()),
                            "by_reason": audit["reason"].value_counts().sort_index().to_dict(),
                            "cells_decided_before": audit.attrs["cells_decided_before"],
                            "revised_cells": audit.attrs["revised_cells"],
                            "rule": settings.suppression_interval, "proof": audit.attrs["proof"]}}
    folder = io.write_results(published, meta, period.slug, base, kind=RESULTS_KIND,
                              internal={"unsuppressed": raw, "suppression_audit": audit},
                              extra={"teams": tables["teams"], OPEN_COUNTS: open_counts(rows)})
    io.write_ledger(after, base, kind=RESULTS_KIND)
    return period, published, meta, folder


def ensure(period_label: str = "latest", base: Path | None = None, *, force: bool = False, log=None
           ) -> tuple[Period, dict, Path, bool]:
    """A month's SCS results, computed only when their inputs changed since they were written."""
    manifest = io.read_returns_manifest(base)
    period = resolve_month(period_label, extract_date_of(manifest))
    key = inputs_key(period, base)
    folder = io.results_dir(period.slug, base, kind=RESULTS_KIND)
    meta_path = folder / io.RESULTS_META
    if not force and meta_path.is_file() and (folder / io.RESULTS_FILE).is_file():
        meta = io.read_json(meta_path)
        if meta.get("inputs_key") == key:
            return period, meta, folder, False
    period, _published, meta, folder = compute_and_write(period.label, base, key=key, log=log)
    return period, meta, folder, True


__all__ = ["compute_and_write", "ensure", "protect", "protect_with_ledger", "ProtectionError", "open_counts",
           "OPEN_COUNTS", "OPEN_COUNT_COLUMNS",
           "LEDGER_COLUMNS", "LEDGER_KEY",
           "assess_scs", "resolve_month", "latest_month",
           "is_cohort_variant", "is_monthly_variant",
           "scorecard_indicators", "published_units", "RESULTS_KIND"]
