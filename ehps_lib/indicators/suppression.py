"""Small-number suppression before publication, with secondary suppression and an audit.

The unit of suppression is a *count cell*: one count (an indicator's numerator, or its
denominator when that is a count of records rather than a population) for one area,
period and age band. The steps (``peers-and-methods.md`` §3.9):

1. **Primary**: a count from 1 to ``threshold`` (default 4) is suppressed and published as
   ``c``. Zero is a true zero and is published.
2. **Complement**: a percentage whose denominator minus numerator is from 1 to
   ``threshold`` reveals a small count (e.g. "9 of 10 closed positively" tells that one
   was not), so its numerator is suppressed too.
3. **Secondary**: wherever published cells add up to a published total, a single
   suppressed cell could be recovered by subtraction. The relations checked are: Kent =
   the 12 districts; each SCS area = its 3 districts; Kent = the 4 SCS areas; all ages =
   the age bands; and, for counts in a period, a quarter = its 3 months. While any
   relation has exactly one suppressed cell, the smallest other cell in it (preferring a
   non-zero one) is suppressed as well, smallest relations first. This repeats until every
   relation is safe.

Everything derived from a suppressed count (value, interval, RAG, rank, direction of
travel, comparison, SPC point) is then withheld by the caller; :func:`apply` marks rows.
The audit table lists every suppressed cell and why.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, districts_in

SYMBOL = "c"

AUDIT_COLUMNS = ["indicator_id", "count", "area_code", "period", "period_kind", "age_band", "value",
                 "reason", "detail"]


def _cells(results: pd.DataFrame, count_denominators: set[str], not_counts: set[str]) -> pd.DataFrame:
    """One row per count cell, with its integer value."""
    keys = ["indicator_id", "area_code", "period", "period_kind", "age_band"]
    counted = results[~results["indicator_id"].isin(not_counts)]
    num = counted[keys + ["numerator"]].rename(columns={"numerator": "value"}).assign(count="numerator")
    frames = [num]
    den_rows = results[results["indicator_id"].isin(count_denominators)]
    if len(den_rows):
        frames.append(den_rows[keys + ["denominator"]].rename(columns={"denominator": "value"})
                      .assign(count="denominator"))
    cells = pd.concat(frames, ignore_index=True)
    return cells[cells["value"].notna()].reset_index(drop=True)


def _relations(cells: pd.DataFrame, flow_indicators: set[str]) -> list[list[int]]:
    """Groups of cell positions whose first member is the total of the others."""
    idx = {k: i for i, k in enumerate(zip(cells["indicator_id"], cells["count"], cells["area_code"],
                                          cells["period"], cells["age_band"], strict=True))}
    groups: list[list[int]] = []
    area_sets = [(KENT_CODE, tuple(DISTRICTS)), (KENT_CODE, tuple(SCS_AREA_CODES))]
    area_sets += [(code, districts_in(code)) for code in SCS_AREA_CODES]
    combos = cells[["indicator_id", "count", "period", "age_band"]].drop_duplicates().itertuples(index=False)
    for ind, count, period, band in combos:
        for total, members in area_sets:
            group = [idx.get((ind, count, a, period, band)) for a in (total, *members)]
            if all(g is not None for g in group):
                groups.append(group)
    # all ages = sum of bands, per indicator × count × area × period
    by_band = defaultdict(dict)
    for i, (ind, count, area, period, band) in enumerate(zip(cells["indicator_id"], cells["count"],
                                                             cells["area_code"], cells["period"],
                                                             cells["age_band"], strict=True)):
        by_band[(ind, count, area, period)][band] = i
    for bands in by_band.values():
        if "all" in bands and len(bands) > 1:
            groups.append([bands["all"], *[v for k, v in sorted(bands.items()) if k != "all"]])
    # quarter = sum of its months, for counts in a period (flows)
    flows = cells[cells["indicator_id"].isin(flow_indicators)]
    quarters = flows[flows["period_kind"] == "quarter"]
    from ..periods import Period

    for ind, count, area, period, band in zip(quarters["indicator_id"], quarters["count"], quarters["area_code"],
                                              quarters["period"], quarters["age_band"], strict=True):
        months = Period.parse(period).month_labels()
        group = [idx[(ind, count, area, period, band)]] + [idx.get((ind, count, area, m, band)) for m in months]
        if all(g is not None for g in group):
            groups.append(group)
    return groups


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


def secondary(values: np.ndarray, suppressed: np.ndarray, groups: list[list[int]], *,
              prefer_members: bool = True, blocked: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Secondary suppression: while any relation has exactly one suppressed cell, suppress
    the smallest other cell in it (preferring a non-zero one), smallest relations first.

    ``groups`` are lists of cell positions whose first member is the total of the others;
    ``suppressed`` is updated in place. With ``prefer_members`` the partner is taken from
    the members before the total; ``blocked`` cells are never chosen (e.g. cells that do not
    exist). Returns ``(suppressed cell, cell it protects)`` pairs in the order chosen.
    """
    chosen: list[tuple[int, int]] = []
    changed = True
    while changed:
        changed = False
        for group in groups:
            g = np.array(group)
            if suppressed[g].sum() != 1:
                continue
            pool = g[~suppressed[g]] if blocked is None else g[~suppressed[g] & ~blocked[g]]
            if prefer_members and (pool != g[0]).any():
                pool = pool[pool != g[0]]
            if not len(pool):
                continue  # nothing left that could be withheld
            nonzero = pool[values[pool] > 0]
            pool = nonzero if len(nonzero) else pool
            pick = int(pool[np.lexsort((pool, values[pool]))][0])
            protected = int(g[suppressed[g]][0])
            suppressed[pick] = True
            chosen.append((pick, protected))
            changed = True
    return chosen


def suppress(results: pd.DataFrame, *, threshold: int = 4, count_denominators: set[str] | None = None,
             percentage_indicators: set[str] | None = None, flow_indicators: set[str] | None = None,
             numerator_not_count: set[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decide which count cells to suppress.

    Parameters
    ----------
    results
        The long results table (``indicator_id, area_code, period, period_kind, age_band,
        numerator, denominator``).
    threshold
        Counts from 1 to ``threshold`` are suppressed.
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
        ``denominator_suppressed``; ``audit``: one row per suppressed cell and why.
    """
    count_denominators = count_denominators or set()
    percentage_indicators = percentage_indicators or set()
    flow_indicators = flow_indicators or set()
    cells = _cells(results, count_denominators, numerator_not_count or set())
    values = cells["value"].to_numpy(dtype=float)
    suppressed, reason, detail = primary_and_complement(
        cells, results, threshold, percentage_indicators, ["indicator_id", "area_code", "period", "age_band"])

    # Smallest relations first: a partner chosen inside an SCS area (3 districts) also
    # protects the cell in the Kent relation, so fewer cells are suppressed overall.
    groups = sorted(_relations(cells, flow_indicators), key=len)
    for pick, protected in secondary(values, suppressed, groups, prefer_members=True):
        reason[pick] = "secondary"
        detail[pick] = (f"protects {cells.at[protected, 'area_code']} {cells.at[protected, 'period']} "
                        f"{cells.at[protected, 'age_band']} ({cells.at[protected, 'count']}) "
                        "from recovery by subtraction")

    cells = cells.assign(suppressed=suppressed, reason=reason, detail=detail)
    key = ["indicator_id", "area_code", "period", "age_band"]
    flags = results[key].copy()
    for which in ("numerator", "denominator"):
        part = cells[cells["count"] == which][key + ["suppressed"]].rename(
            columns={"suppressed": f"{which}_suppressed"})
        flags = flags.merge(part, on=key, how="left")
        flags[f"{which}_suppressed"] = flags[f"{which}_suppressed"].astype("boolean").fillna(False).astype(bool)
    flags.index = results.index
    audit = cells[cells["suppressed"]].drop(columns=["suppressed"])[AUDIT_COLUMNS]
    return flags[["numerator_suppressed", "denominator_suppressed"]], audit.reset_index(drop=True)
