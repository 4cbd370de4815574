"""From raw indicator results to the published results table.

Order matters, and is the point of this module:

1. **Suppress** (:mod:`ehps_lib.indicators.suppression`): small counts and every cell that would let
   one be recovered are withheld. Their numerator, denominator and value become missing
   and ``suppressed`` is True.
2. Then, from the published values only, add for every row: the 95 % confidence interval
   (Wilson for percentages, Byar or exact Poisson for rates); RAG against target and floor;
   direction of travel against the previous period and the same period a year ago; the
   rolling three months (percentages, month rows) and its RAG; comparison with Kent; rank
   among the 12 districts; and SPC (XmR) over the published series.

Nothing computed here can reveal a suppressed count: ranks, comparisons and SPC limits
use published values only, and a rolling three-month figure is withheld when any of its
months is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..geography import DISTRICTS, KENT_CODE
from ..periods import Period
from . import stats
from .catalogue import Indicator
from .suppression import protect_results

PUBLISHED_COLUMNS = [
    "indicator_id", "area_code", "area_name", "period", "period_kind", "period_start", "age_band",
    "numerator", "denominator", "value", "suppressed", "ci_lower", "ci_upper", "ci_method",
    "target", "floor", "rag",
    "previous_period", "previous_value", "direction_previous",
    "year_ago_period", "year_ago_value", "direction_year_ago",
    "rolling3_value", "rolling3_rag",
    "kent_value", "compared_with_kent", "rank", "rank_of",
    "spc_mean", "spc_lpl", "spc_upl", "spc_rule", "spc_point_type", "spc_variation", "spc_assurance",
    "spc_points",
]

_DIRECTIONS = [stats.IMPROVED, stats.WORSE, stats.NO_CHANGE, stats.HIGHER, stats.LOWER, stats.NOT_COMPARED]


def _published_schema(threshold: int, not_counts: set[str]) -> pa.DataFrameSchema:
    def no_small_counts(s: pd.Series) -> pd.Series:
        return s.isna() | (s == 0) | (s > threshold)

    return pa.DataFrameSchema(
        {
            "indicator_id": pa.Column(str),
            "area_code": pa.Column(str),
            "period": pa.Column(str),
            "period_kind": pa.Column(str, pa.Check.isin(["month", "quarter"])),
            "age_band": pa.Column(str),
            "numerator": pa.Column(float, nullable=True),
            "denominator": pa.Column(float, pa.Check(no_small_counts, error=f"unsuppressed count 1-{threshold}"),
                                     nullable=True),
            "value": pa.Column(float, nullable=True),
            "suppressed": pa.Column(bool),
            "rag": pa.Column(object, pa.Check.isin([stats.GREEN, stats.AMBER, stats.RED]), nullable=True),
            "direction_previous": pa.Column(str, pa.Check.isin(_DIRECTIONS)),
            "direction_year_ago": pa.Column(str, pa.Check.isin(_DIRECTIONS)),
            "compared_with_kent": pa.Column(str, pa.Check.isin([stats.BETTER, stats.SIMILAR, stats.WORSE,
                                                                stats.NOT_COMPARED])),
            "rank": pa.Column("Int64", pa.Check.in_range(1, 12), nullable=True),
        },
        checks=[pa.Check(lambda df: ~(df["suppressed"] & df["value"].notna()),
                         error="a suppressed row carries a value"),
                pa.Check(lambda df: df["indicator_id"].isin(not_counts) | no_small_counts(df["numerator"]),
                         error=f"unsuppressed count 1-{threshold} in numerator")],
        strict=False,
        name="published_results",
    )


def _improvement(polarity: str) -> str:
    return {"H": "increase", "L": "decrease"}.get(polarity, "neutral")


def _shifted_labels(labels: pd.Series, how: str) -> pd.Series:
    mapping = {}
    for label in labels.unique():
        p = Period.parse(label)
        mapping[label] = (p.previous() if how == "previous" else p.year_ago()).label
    return labels.map(mapping)


def assess(results: pd.DataFrame, catalogue: dict[str, Indicator], *, threshold: int = 5,
           protected: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress, then add the statistics; return ``(published, audit)``.

    ``results`` is the raw long table from :func:`ehps_lib.indicators.engine.compute_results`.
    ``protected`` is ``(audit, flags)`` of :func:`ehps_lib.indicators.suppression.protect_results`
    when the counts were protected already (together with the deprivation gradient and every
    period published before); by default they are protected here, alone. The published table
    has the columns :data:`PUBLISHED_COLUMNS` and is validated (no count from 1 to
    ``threshold`` survives, no suppressed row carries a value).
    """
    ids = results["indicator_id"].unique()
    cat = {i: catalogue[i] for i in ids}
    pct = {i for i, ind in cat.items() if ind.is_percentage}
    averages = {i for i, ind in cat.items() if ind.is_average}
    if protected is None:
        audit, flags, _ = protect_results(results, catalogue, threshold=threshold)
    else:
        audit, flags = protected

    out = results.copy()
    for col in ("numerator", "denominator"):  # the protected values (published figures are never revised)
        if f"{col}_value" in flags:
            known = flags[f"{col}_value"].notna()
            out.loc[known, col] = flags.loc[known, f"{col}_value"]
    revised = ~(np.isclose(out["numerator"], results["numerator"], equal_nan=True)
                & np.isclose(out["denominator"], results["denominator"], equal_nan=True))
    if revised.any():
        scale = out.loc[revised, "indicator_id"].map(
            {i: (c.per if c.is_rate else 100.0 if c.is_percentage else 1.0) for i, c in cat.items()})
        counts = out.loc[revised, "indicator_id"].map({i: c.unit == "count" for i, c in cat.items()})
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = out.loc[revised, "numerator"] / out.loc[revised, "denominator"] * scale
        out.loc[revised, "value"] = np.where(counts, out.loc[revised, "numerator"], ratio)
    out["suppressed"] = flags["numerator_suppressed"] | flags["denominator_suppressed"]
    out.loc[out["suppressed"], "numerator"] = np.nan  # an average's total gives its count away
    out.loc[flags["denominator_suppressed"], "denominator"] = np.nan
    out.loc[out["suppressed"], "value"] = np.nan

    unit_pct = out["indicator_id"].isin(pct)
    unit_rate = out["indicator_id"].isin({i for i, c in cat.items() if c.is_rate})

    # -- confidence intervals ---------------------------------------------------------------
    lo = np.full(len(out), np.nan)
    hi = np.full(len(out), np.nan)
    method = np.full(len(out), None, dtype=object)
    m = unit_pct.to_numpy() & ~out["suppressed"].to_numpy()
    if m.any():
        w_lo, w_hi = stats.wilson_ci(out.loc[m, "numerator"], out.loc[m, "denominator"])
        lo[m], hi[m], method[m] = w_lo * 100, w_hi * 100, "Wilson"
    m = unit_rate.to_numpy() & ~out["suppressed"].to_numpy()
    if m.any():
        per = out.loc[m, "indicator_id"].map({i: c.per for i, c in cat.items()}).to_numpy(dtype=float)
        b_lo, b_hi, b_method = stats.byar_ci(out.loc[m, "numerator"], out.loc[m, "denominator"], per=per)
        lo[m], hi[m], method[m] = b_lo, b_hi, b_method
    out["ci_lower"], out["ci_upper"], out["ci_method"] = lo, hi, method

    # -- targets and RAG ---------------------------------------------------------------------
    out["target"] = out["indicator_id"].map({i: c.target for i, c in cat.items()})
    out["floor"] = out["indicator_id"].map({i: c.floor for i, c in cat.items()})
    county_only = {i for i, c in cat.items() if c.target_scope == "county"}
    out.loc[out["indicator_id"].isin(county_only) & (out["area_code"] != KENT_CODE), ["target", "floor"]] = None
    out["rag"] = [stats.rag_status(v, t, f, cat[i].polarity)
                  for i, v, t, f in zip(out["indicator_id"], out["value"], out["target"], out["floor"], strict=True)]

    # -- direction of travel ------------------------------------------------------------------
    key = ["indicator_id", "area_code", "age_band", "period"]
    values = out[key + ["value"]]
    for how, col in (("previous", "previous"), ("year_ago", "year_ago")):
        out[f"{col}_period"] = _shifted_labels(out["period"], how)
        looked_up = out[key[:-1] + [f"{col}_period"]].merge(
            values.rename(columns={"period": f"{col}_period", "value": f"{col}_value"}),
            on=key[:-1] + [f"{col}_period"], how="left")
        out[f"{col}_value"] = looked_up[f"{col}_value"].to_numpy()
        out[f"direction_{col}"] = [
            stats.direction_of_travel(v, p, cat[i].polarity, cat[i].target)
            for i, v, p in zip(out["indicator_id"], out["value"], out[f"{col}_value"], strict=True)]

    # -- rolling three months (percentages, month rows) ----------------------------------------
    out["rolling3_value"] = np.nan
    out["rolling3_rag"] = None
    month_pct = out[(out["period_kind"] == "month") & unit_pct]
    if len(month_pct):
        ordered = month_pct.sort_values("period_start")
        g = ordered.groupby(["indicator_id", "area_code", "age_band"], sort=False)
        num3 = g["numerator"].transform(lambda s: s.rolling(3, min_periods=3).sum())
        den3 = g["denominator"].transform(lambda s: s.rolling(3, min_periods=3).sum())
        # a missing (suppressed) month makes the rolling sum missing: it cannot be recovered
        with np.errstate(divide="ignore", invalid="ignore"):
            r3 = np.where(den3 > 0, num3 / den3 * 100, np.nan)
        out.loc[ordered.index, "rolling3_value"] = r3
        out.loc[ordered.index, "rolling3_rag"] = [
            stats.rag_status(v, t, f, cat[i].polarity)
            for i, v, t, f in zip(ordered["indicator_id"], r3, out.loc[ordered.index, "target"],
                                  out.loc[ordered.index, "floor"], strict=True)]

    # -- comparison with Kent --------------------------------------------------------------------
    kent = out[out["area_code"] == KENT_CODE][["indicator_id", "period", "age_band", "value"]]
    merged = out[["indicator_id", "period", "age_band"]].merge(
        kent.rename(columns={"value": "kent_value"}), on=["indicator_id", "period", "age_band"], how="left")
    out["kent_value"] = merged["kent_value"].to_numpy()
    comparable = (unit_pct | unit_rate) & (out["area_code"] != KENT_CODE)
    out["compared_with_kent"] = [
        stats.compare_with_benchmark(v, lo_, hi_, k, cat[i].polarity, cat[i].target) if c else stats.NOT_COMPARED
        for i, v, lo_, hi_, k, c in zip(out["indicator_id"], out["value"], out["ci_lower"], out["ci_upper"],
                                        out["kent_value"], comparable, strict=True)]

    # -- rank among the 12 districts (rates and percentages; counts depend on district size) -----
    rankable = out["area_code"].isin(DISTRICTS) & (unit_pct | unit_rate) & out["value"].notna()
    key = pd.Series(np.nan, index=out.index)
    for ind_id, c in cat.items():
        rows = rankable & (out["indicator_id"] == ind_id)
        if not rows.any() or (c.polarity == "T" and c.target is None):
            continue
        v = out.loc[rows, "value"]
        if c.polarity in ("H", "N"):
            key[rows] = -v  # highest first
        elif c.polarity == "L":
            key[rows] = v
        else:
            key[rows] = v.map(lambda x, t=c.target: stats._distance_to(x, t))
    groups = [out["indicator_id"], out["period"], out["age_band"]]
    out["rank"] = key.groupby(groups).rank(method="min").astype("Int64")
    out["rank_of"] = key.notna().groupby(groups).transform("sum").where(key.notna()).astype("Int64")

    # -- SPC over the published series --------------------------------------------------------------
    n = len(out)
    spc_num = {c: np.full(n, np.nan) for c in ("spc_mean", "spc_lpl", "spc_upl")}
    spc_obj = {c: np.full(n, None, dtype=object) for c in ("spc_rule", "spc_point_type", "spc_variation",
                                                           "spc_assurance")}
    spc_points = np.full(n, -1)
    published = out[out["value"].notna()].sort_values("period_start")
    positions = pd.Series(np.arange(n), index=out.index)
    for (ind, _area, _band, _kind), part in published.groupby(
            ["indicator_id", "area_code", "age_band", "period_kind"], sort=False):
        if len(part) < 2:
            continue
        c = cat[ind]
        target = c.target if c.polarity in ("H", "L") else None
        points, summary = stats.xmr(part["value"].to_numpy(), _improvement(c.polarity), target)
        pos = positions[part.index].to_numpy()
        spc_num["spc_mean"][pos] = summary.mean
        spc_num["spc_lpl"][pos] = summary.lpl
        spc_num["spc_upl"][pos] = summary.upl
        spc_obj["spc_rule"][pos] = points["rule"].to_numpy()
        spc_obj["spc_point_type"][pos] = points["point_type"].to_numpy()
        spc_obj["spc_variation"][pos] = summary.variation
        spc_obj["spc_assurance"][pos] = summary.assurance
        spc_points[pos] = summary.n_points
    for col, arr in {**spc_num, **spc_obj}.items():
        out[col] = arr
    out["spc_points"] = pd.array(np.where(spc_points < 0, None, spc_points), dtype="Int64")

    out = out[PUBLISHED_COLUMNS]
    _published_schema(threshold, averages).validate(out, lazy=True)
    return out, audit
