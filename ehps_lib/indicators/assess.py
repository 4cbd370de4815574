"""From raw indicator results to the published results table.

Order matters, and is the point of this module:

1. **Suppress** (:mod:`ehps_lib.indicators.suppression`): small counts and every cell that would let
   one be recovered are withheld. Their numerator, denominator and value become missing
   and ``suppressed`` is True.
2. Then, from the published values only, add for every row: the 95 % and 99.8 % confidence
   intervals (Wilson for percentages, Byar or exact Poisson for rates; which levels are
   published is ``statistics.published_intervals`` in config.yml); RAG against the area's own
   target and floor; direction of travel against the previous period and the same period a
   year ago (an untested two-point change); the rolling three months (percentage flows,
   month rows) and its RAG; comparison with Kent (better/similar/worse, or higher/similar/lower
   where no direction is better); rank among the 12 districts; Fingertips' recent trend (a
   chi-squared test over the last five points of each series, on its latest row); and SPC
   (XmR, :func:`ehps_lib.indicators.stats.xmr`) over each area's monthly values of the flow
   indicators. SPC is never drawn on a snapshot, rolling-12-month or year-to-date series
   (consecutive points share most of their data); those rows say why in ``spc_note``.

Nothing computed here can reveal a suppressed count: ranks, comparisons and SPC limits
use published values only, and a rolling three-month figure is withheld when any of its
months is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..config import StatisticsSettings, load_settings
from ..geography import DISTRICTS, KENT_CODE
from ..periods import Period
from . import stats
from .catalogue import Indicator
from .suppression import suppress

PUBLISHED_COLUMNS = [
    "indicator_id", "area_code", "area_name", "period", "period_kind", "period_start", "age_band",
    "numerator", "denominator", "value", "suppressed", "ci_lower", "ci_upper", "ci_method",
    "ci998_lower", "ci998_upper",
    "target", "floor", "rag",
    "previous_period", "previous_value", "direction_previous",
    "year_ago_period", "year_ago_value", "direction_year_ago",
    "rolling3_value", "rolling3_rag",
    "kent_value", "compared_with_kent", "rank", "rank_of", "trend", "trend_chi2",
    "spc_mean", "spc_lpl", "spc_upl", "spc_rule", "spc_point_type", "spc_variation", "spc_assurance",
    "spc_points", "spc_baseline", "spc_phase_start", "spc_trial", "spc_missing", "spc_note",
]
_TRENDS = [stats.TREND_INCREASING, stats.TREND_DECREASING, stats.NO_SIGNIFICANT_CHANGE, stats.CANNOT_CALCULATE]

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
            "compared_with_kent": pa.Column(str, pa.Check.isin(list(stats.COMPARISONS))),
            "trend": pa.Column(object, pa.Check.isin(_TRENDS), nullable=True),
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


def spc_options(settings: StatisticsSettings) -> stats.SpcOptions:
    """The XmR options of ``config.yml`` ``statistics.spc``."""
    return stats.SpcOptions(baseline_points=settings.spc_baseline_points,
                            screen_outliers=settings.spc_screen_outliers, trend_run=settings.spc_trend_run,
                            shift_run=settings.spc_shift_run, trial_below=settings.spc_trial_below,
                            max_missing_share=settings.spc_max_missing_share)


#: Why SPC is not drawn on a series whose points overlap, by data period.
NOT_CHARTED = {
    "SS": ("not charted: a snapshot at month end, and consecutive snapshots share most of their cases, so "
           "runs and shifts would signal nothing"),
    "R12M": ("not charted: each rolling 12 months shares 11 months with the one before, so runs and shifts "
             "would signal nothing"),
    "YTD": "not charted: each year-to-date figure contains the months before it",
}


def assess(results: pd.DataFrame, catalogue: dict[str, Indicator], *, threshold: int = 4,
           settings: StatisticsSettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress, then add the statistics; return ``(published, audit)``.

    ``results`` is the raw long table from :func:`ehps_lib.indicators.engine.compute_results`.
    The published table has the columns :data:`PUBLISHED_COLUMNS` and is validated (no
    count from 1 to ``threshold`` survives, no suppressed row carries a value).
    ``settings`` are the statistics settings (default: ``config.yml``).
    """
    settings = settings or load_settings().statistics
    ids = results["indicator_id"].unique()
    cat = {i: catalogue[i] for i in ids}
    pct = {i for i, ind in cat.items() if ind.is_percentage}
    averages = {i for i, ind in cat.items() if ind.is_average}
    flows = {i for i, ind in cat.items() if ind.data_period == "month"}
    flags, audit = suppress(results, threshold=threshold, count_denominators=pct | averages,
                            percentage_indicators=pct, flow_indicators=flows, numerator_not_count=averages)

    out = results.copy()
    out["suppressed"] = flags["numerator_suppressed"] | flags["denominator_suppressed"]
    out.loc[out["suppressed"], "numerator"] = np.nan  # an average's total gives its count away
    out.loc[flags["denominator_suppressed"], "denominator"] = np.nan
    out.loc[out["suppressed"], "value"] = np.nan

    unit_pct = out["indicator_id"].isin(pct)
    unit_rate = out["indicator_id"].isin({i for i, c in cat.items() if c.is_rate})

    # -- confidence intervals ---------------------------------------------------------------
    for z, cols in ((stats.Z95, ("ci_lower", "ci_upper")), (stats.Z998, ("ci998_lower", "ci998_upper"))):
        lo = np.full(len(out), np.nan)
        hi = np.full(len(out), np.nan)
        method = np.full(len(out), None, dtype=object)
        m = unit_pct.to_numpy() & ~out["suppressed"].to_numpy()
        if m.any():
            w_lo, w_hi = stats.wilson_ci(out.loc[m, "numerator"], out.loc[m, "denominator"], z=z)
            lo[m], hi[m], method[m] = w_lo * 100, w_hi * 100, "Wilson"
        m = unit_rate.to_numpy() & ~out["suppressed"].to_numpy()
        if m.any():
            per = out.loc[m, "indicator_id"].map({i: c.per for i, c in cat.items()}).to_numpy(dtype=float)
            b_lo, b_hi, b_method = stats.byar_ci(out.loc[m, "numerator"], out.loc[m, "denominator"], per=per, z=z)
            lo[m], hi[m], method[m] = b_lo, b_hi, b_method
        out[cols[0]], out[cols[1]] = lo, hi
        if z == stats.Z95:
            out["ci_method"] = method
    if 99.8 not in settings.published_intervals:
        out["ci998_lower"] = np.nan
        out["ci998_upper"] = np.nan

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

    # -- rolling three months (percentage flows, month rows; "-" for snapshots, as the council) ----
    out["rolling3_value"] = np.nan
    out["rolling3_rag"] = None
    month_pct = out[(out["period_kind"] == "month") & unit_pct & out["indicator_id"].isin(flows)]
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
    levels = settings.comparison_levels
    first = ("ci998_lower", "ci998_upper") if levels == (99.8,) else ("ci_lower", "ci_upper")

    def _compare(i, v, lo_, hi_, lo998, hi998, k):
        pol, target = cat[i].polarity, cat[i].target
        if levels == (95.0, 99.8):
            return stats.compare_two_levels(v, (lo_, hi_), (lo998, hi998), k, pol, target)
        return stats.compare_with_benchmark(v, lo_, hi_, k, pol, target)

    out["compared_with_kent"] = [
        _compare(i, v, lo_, hi_, lo998, hi998, k) if c else stats.NOT_COMPARED
        for i, v, lo_, hi_, lo998, hi998, k, c in zip(
            out["indicator_id"], out["value"], out[first[0]], out[first[1]], out["ci998_lower"], out["ci998_upper"],
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

    # -- recent trend (Fingertips): the last five points of each flow series, on its latest row ------
    _add_recent_trend(out, cat, flows, settings)

    # -- SPC over each area's published monthly values (flow indicators only) -----------------------
    _add_spc(out, cat, flows, spc_options(settings))

    out = out[PUBLISHED_COLUMNS]
    _published_schema(threshold, averages).validate(out, lazy=True)
    return out, audit


def add_trend_and_spc(out: pd.DataFrame, catalogue: dict[str, Indicator], flows: set[str],
                      settings: StatisticsSettings | None = None) -> None:
    """Add the recent trend and SPC columns of :func:`assess` to published rows, in place.

    For results assessed elsewhere (the SCS dashboard's, :mod:`ehps_lib.indicators.scs_results`,
    whose suppression is its own): ``out`` has the published columns up to ``kent_value``;
    ``flows`` are the indicators whose month rows are flows (trend and SPC are drawn on them only).
    """
    settings = settings or load_settings().statistics
    _add_recent_trend(out, catalogue, flows, settings)
    _add_spc(out, catalogue, flows, spc_options(settings))


def _add_recent_trend(out: pd.DataFrame, cat: dict[str, Indicator], flows: set[str],
                      settings: StatisticsSettings) -> None:
    """``trend`` and ``trend_chi2`` on the latest row of every flow series (month and quarter
    series apart); earlier rows and overlapping series (snapshots, rolling) stay empty."""
    out["trend"] = None
    out["trend_chi2"] = np.nan
    rows = out[out["indicator_id"].isin(flows)].sort_values("period_start")
    trends, chi2s, where = [], [], []
    for (ind_id, _a, _b, _k), part in rows.groupby(["indicator_id", "area_code", "age_band", "period_kind"],
                                                   sort=False):
        c = cat[ind_id]
        kw: dict = {"points": settings.trend_points, "level": settings.trend_level}
        if c.is_percentage:
            kw.update(numerators=part["numerator"].to_numpy(float), denominators=part["denominator"].to_numpy(float))
        elif c.is_rate:
            kw.update(lower=part["ci_lower"].to_numpy(float), upper=part["ci_upper"].to_numpy(float))
        elif c.unit == "count":
            lo, hi, _ = stats.byar_ci(part["numerator"].to_numpy(float), np.ones(len(part)))
            kw.update(lower=lo, upper=hi)
        else:  # an average has no interval here
            trends.append(stats.CANNOT_CALCULATE)
            chi2s.append(np.nan)
            where.append(part.index[-1])
            continue
        trend, chi2 = stats.recent_trend(part["value"].to_numpy(float), **kw)
        trends.append(trend)
        chi2s.append(np.nan if chi2 is None else chi2)
        where.append(part.index[-1])
    if where:
        out.loc[where, "trend"] = trends
        out.loc[where, "trend_chi2"] = chi2s


def _rebase_positions(months: pd.Series, rebase: list[str]) -> list[int]:
    labels = [f"{d:%Y-%m}" for d in months]
    return [labels.index(r) for r in rebase if r in labels]


def _add_spc(out: pd.DataFrame, cat: dict[str, Indicator], flows: set[str], options: stats.SpcOptions) -> None:
    """XmR columns for the month rows of every flow series; a note on every other month row.

    Each series is an area's (and age band's) months in order, withheld months kept in place
    as gaps (:func:`stats.xmr`); a series with too many withheld months, or its latest month
    withheld, is not charted and says why. The assurance icon is judged only against the
    area's own target (the row's ``target``: empty for a district where the target is Kent's).
    """
    n = len(out)
    num = {c: np.full(n, np.nan) for c in ("spc_mean", "spc_lpl", "spc_upl")}
    obj = {c: np.full(n, None, dtype=object) for c in ("spc_rule", "spc_point_type", "spc_variation",
                                                       "spc_assurance", "spc_phase_start", "spc_note")}
    ints = {c: np.full(n, -1) for c in ("spc_points", "spc_baseline", "spc_missing")}
    trial = np.full(n, None, dtype=object)
    positions = pd.Series(np.arange(n), index=out.index)
    months = out[out["period_kind"] == "month"]
    for ind_id, c in cat.items():
        if ind_id not in flows:
            rows = months[months["indicator_id"] == ind_id]
            note = NOT_CHARTED.get(c.data_period, "not charted")
            obj["spc_note"][positions[rows.index].to_numpy()] = note
    series = months[months["indicator_id"].isin(flows)].sort_values("period_start")
    for (ind_id, _area, _band), part in series.groupby(["indicator_id", "area_code", "age_band"], sort=False):
        c = cat[ind_id]
        pos = positions[part.index].to_numpy()
        y = part["value"].to_numpy(float)
        first = np.flatnonzero(~np.isnan(y))
        why = stats.spc_eligibility(y, options)
        if why is not None:
            obj["spc_note"][pos] = why
            continue
        y, pos, starts = y[first[0]:], pos[first[0]:], part["period_start"].iloc[first[0]:]
        target = part["target"].iloc[-1] if c.polarity in ("H", "L") else None
        points, summary = stats.xmr(y, _improvement(c.polarity), target, options=options,
                                    phase_starts=_rebase_positions(starts, c.spc_rebase))
        phase_start = starts.groupby(points["phase"].to_numpy()).transform("min")
        num["spc_mean"][pos] = points["mean"].to_numpy()
        num["spc_lpl"][pos] = points["lpl"].to_numpy()
        num["spc_upl"][pos] = points["upl"].to_numpy()
        obj["spc_rule"][pos] = points["rule"].to_numpy()
        obj["spc_point_type"][pos] = points["point_type"].to_numpy()
        obj["spc_variation"][pos] = summary.variation
        obj["spc_assurance"][pos] = summary.assurance
        obj["spc_phase_start"][pos] = [f"{d:%Y-%m}" for d in phase_start]
        per_phase = points.groupby("phase")["value"].transform("count").to_numpy()
        ints["spc_points"][pos] = per_phase
        ints["spc_baseline"][pos] = [min(k, options.baseline_points or k) for k in per_phase]
        ints["spc_missing"][pos] = summary.missing
        trial[pos] = per_phase < options.trial_below
        if summary.missing:
            obj["spc_note"][pos] = (f"{summary.missing} withheld months left as gaps: no moving range, run or trend "
                                    "spans them" if summary.missing != 1 else
                                    "1 withheld month left as a gap: no moving range, run or trend spans it")
    for col, arr in {**num, **obj}.items():
        out[col] = arr
    for col, arr in ints.items():
        out[col] = pd.array(np.where(arr < 0, None, arr), dtype="Int64")
    out["spc_trial"] = pd.array(trial, dtype="boolean")
