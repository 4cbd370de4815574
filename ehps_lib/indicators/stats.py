"""Statistical methods for indicators: intervals, RAG, direction of travel, comparison with
a benchmark, ranking and statistical process control (XmR).

Every function is pure and vectorised where it matters. Methods follow the public
references named in each docstring (``peers-and-methods.md`` §3):

* proportions: Wilson score interval (PHE ``phe_proportion``);
* rates: Byar's method, or the exact Poisson interval under 10 events (PHE ``phe_rate``);
* comparison with a benchmark: Fingertips "CI contains benchmark" (district vs Kent);
* RAG: the council's rule (Green target met, Red below the minimum standard, Amber between);
* ranking: competition ("min") ranking on unrounded values;
* SPC: XmR as in NHS England Making Data Count / NHSRplotthedots (rules in order: beyond a
  limit, 7-point trend, 2 of 3 near a limit, 7-point shift).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
Z998 = 3.090232306167813

GREEN, AMBER, RED = "Green", "Amber", "Red"
RAG_LETTER = {GREEN: "G", AMBER: "A", RED: "R"}


# -- confidence intervals ----------------------------------------------------------------------------
def wilson_ci(x, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion ``x / n`` (as a fraction, 0 to 1).

    NaN where ``n`` is 0 or missing.

    Examples
    --------
    >>> lo, hi = wilson_ci(5, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2366, 0.7634)
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = 2 * x + z**2
        spread = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        lower = (centre - spread) / (2 * (n + z**2))
        upper = (centre + spread) / (2 * (n + z**2))
    bad = ~(n > 0) | np.isnan(x)
    lower = np.where(bad, np.nan, np.clip(lower, 0, 1))
    upper = np.where(bad, np.nan, np.clip(upper, 0, 1))
    return lower, upper


def byar_ci(x, n, per: float = 1.0, z: float = Z95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval for a rate ``x / n * per``: Byar's method, exact Poisson when ``x < 10``.

    Returns ``(lower, upper, method)`` with method ``"Byars"`` or ``"Exact"`` per row.

    Examples
    --------
    >>> lo, hi, how = byar_ci(3, 1000, per=1000)
    >>> round(float(lo), 3), round(float(hi), 3), str(how)
    (0.619, 8.767, 'Exact')
    """
    from scipy import stats as _sp  # imported here: scipy is slow to import and only intervals need it

    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 2 * (1 - _sp.norm.cdf(z))
    with np.errstate(divide="ignore", invalid="ignore"):
        byar_lo = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        byar_hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
        exact_lo = np.where(x > 0, _sp.chi2.ppf(alpha / 2, 2 * x) / 2, 0.0)
        exact_hi = _sp.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
        small = x < 10
        lo = np.where(small, exact_lo, byar_lo) / n * per
        hi = np.where(small, exact_hi, byar_hi) / n * per
    bad = ~(n > 0) | np.isnan(x)
    method = np.where(small, "Exact", "Byars").astype(object)
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi), np.where(bad, None, method)


# -- RAG -----------------------------------------------------------------------------------------------
def _as_range(v) -> tuple[float, float] | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, list | tuple):
        lo, hi = float(v[0]), float(v[1])
        if lo > hi:
            raise ValueError(f"range {v!r} must be [low, high]")
        return lo, hi
    return float(v), float(v)


def _missing(v) -> bool:
    return v is None or (not isinstance(v, list | tuple) and bool(pd.isna(v)))


def rag_status(value: float, target, floor, polarity: str) -> str | None:
    """RAG of one unrounded value, the council's way (seed 004:2974-2977).

    * ``H``: Green if value ≥ target; Red if value < floor; Amber between.
    * ``L``: Green if value ≤ target; Red if value ≥ floor; Amber between.
      (Seed 004:3257: "13% and above = Red, 10% to 13% = Amber, 10% and below = Green".)
    * ``T``: ``target`` and ``floor`` are ``[low, high]`` ranges (a single number is a
      one-point range): Green inside the target range, Red outside the floor range,
      Amber between.
    * ``N``, a missing value or a missing target: ``None`` (not rated).

    Without a floor there is no Amber band: a value that misses the target is Red.

    Examples
    --------
    >>> rag_status(90.0, 90, 80, "H"), rag_status(80.0, 90, 80, "H"), rag_status(79.9, 90, 80, "H")
    ('Green', 'Amber', 'Red')
    >>> rag_status(13.0, 10, 13, "L"), rag_status(12.98, 10, 13, "L")
    ('Red', 'Amber')
    """
    if polarity == "N" or value is None or pd.isna(value) or _missing(target):
        return None
    if _missing(floor):
        floor = None
    if polarity == "H":
        t = float(target)
        f = t if floor is None else float(floor)
        return GREEN if value >= t else RED if value < f else AMBER
    if polarity == "L":
        t = float(target)
        f = None if floor is None else float(floor)
        if value <= t:
            return GREEN
        return RED if f is None or value >= f else AMBER
    if polarity == "T":
        t_lo, t_hi = _as_range(target)
        f = _as_range(floor)
        if t_lo <= value <= t_hi:
            return GREEN
        if f is None or value < f[0] or value > f[1]:
            return RED
        return AMBER
    raise ValueError(f"unknown polarity {polarity!r}")


def rag_series(values: pd.Series, target, floor, polarity: str) -> pd.Series:
    """:func:`rag_status` over a Series."""
    return pd.Series([rag_status(v, target, floor, polarity) for v in values], index=values.index, dtype=object)


# -- direction of travel ---------------------------------------------------------------------------------
IMPROVED, WORSE, NO_CHANGE, HIGHER, LOWER, NOT_COMPARED = (
    "improved", "worse", "no change", "higher", "lower", "not compared")
ARROWS = {IMPROVED: "↑", WORSE: "↓", NO_CHANGE: "→", HIGHER: "▲", LOWER: "▼", NOT_COMPARED: ""}


def _distance_to(value: float, target) -> float:
    lo, hi = _as_range(target)
    return max(lo - value, 0.0, value - hi)


def direction_of_travel(current: float, previous: float, polarity: str, target=None) -> str:
    """Direction of travel judged by polarity, on unrounded values.

    ``improved`` / ``worse`` / ``no change`` for H, L and T (T: nearer the target is better);
    for N, which has no better direction, ``higher`` / ``lower`` / ``no change``. Missing
    values give ``not compared``. The council prints ↑ improved, ↓ worse, → unchanged
    (seed 004:3078), whatever the numeric direction.

    Examples
    --------
    >>> direction_of_travel(22.3, 22.1, "L"), direction_of_travel(22.3, 24.6, "L")
    ('worse', 'improved')
    >>> direction_of_travel(21.6, 21.2, "T", target=17.5)
    'worse'
    """
    if current is None or previous is None or pd.isna(current) or pd.isna(previous):
        return NOT_COMPARED
    if current == previous:
        return NO_CHANGE
    if polarity == "N":
        return HIGHER if current > previous else LOWER
    if polarity == "H":
        return IMPROVED if current > previous else WORSE
    if polarity == "L":
        return IMPROVED if current < previous else WORSE
    if polarity == "T":
        if _missing(target):
            return NOT_COMPARED
        d_now, d_then = _distance_to(current, target), _distance_to(previous, target)
        return NO_CHANGE if d_now == d_then else IMPROVED if d_now < d_then else WORSE
    raise ValueError(f"unknown polarity {polarity!r}")


# -- comparison with a benchmark -------------------------------------------------------------------------
BETTER, SIMILAR = "better", "similar"


def compare_with_benchmark(value: float, lower: float, upper: float, benchmark: float, polarity: str,
                           target=None) -> str:
    """District against Kent, Fingertips' "CI contains benchmark" method.

    Similar when the benchmark lies inside [lower, upper]; otherwise better or worse by
    polarity (T: nearer the target is better). ``not compared`` for N, or when anything is
    missing. The benchmark's own interval is ignored (a district is part of Kent, so the two
    are not independent; overlapping-CI tests would be wrong here).

    Examples
    --------
    >>> compare_with_benchmark(30.0, 25.0, 35.0, 28.0, "H")
    'similar'
    >>> compare_with_benchmark(30.0, 29.0, 31.0, 28.0, "L")
    'worse'
    """
    if polarity == "N" or any(v is None or pd.isna(v) for v in (value, lower, upper, benchmark)):
        return NOT_COMPARED
    if lower <= benchmark <= upper:
        return SIMILAR
    if polarity == "H":
        return BETTER if value > benchmark else WORSE
    if polarity == "L":
        return BETTER if value < benchmark else WORSE
    if polarity == "T":
        if target is None:
            return NOT_COMPARED
        return BETTER if _distance_to(value, target) < _distance_to(benchmark, target) else WORSE
    raise ValueError(f"unknown polarity {polarity!r}")


# -- ranking -------------------------------------------------------------------------------------------
def rank_areas(values: pd.Series, polarity: str, target=None) -> pd.Series:
    """Competition ("min") rank, 1 = best, on unrounded values; missing values are not ranked.

    H: highest first; L: lowest first; T: nearest the target first; N (no judgement):
    highest value first. Ties share the best rank: 10, 12, 12, 15 (L) rank 1, 2, 2, 4.

    Examples
    --------
    >>> rank_areas(pd.Series([10.0, 12.0, 12.0, 15.0]), "L").tolist()
    [1, 2, 2, 4]
    """
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if polarity in ("H", "N"):
        key, ascending = v, False
    elif polarity == "L":
        key, ascending = v, True
    elif polarity == "T":
        if target is None:
            raise ValueError("polarity T needs a target to rank against")
        key, ascending = v.map(lambda x: np.nan if pd.isna(x) else _distance_to(x, target)), True
    else:
        raise ValueError(f"unknown polarity {polarity!r}")
    return key.rank(method="min", ascending=ascending, na_option="keep").astype("Int64")


def rank_label(rank, n_ranked: int) -> str:
    """``"3 of 12"``; ``"n/a"`` when not ranked."""
    return "n/a" if rank is None or pd.isna(rank) else f"{int(rank)} of {n_ranked}"


# -- SPC (XmR) ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpcSummary:
    """What an XmR chart says about the latest point and the target."""

    mean: float
    lpl: float
    upl: float
    n_points: int
    variation: str  # common_cause | improvement_high | improvement_low | concern_high | concern_low | neutral_*
    assurance: str | None  # consistent_pass | consistent_fail | hit_and_miss | None
    trial_limits: bool
    warning: str | None


VARIATION_TEXT = {
    "common_cause": "Common cause variation: no significant change",
    "improvement_high": "Special cause variation: improvement (higher)",
    "improvement_low": "Special cause variation: improvement (lower)",
    "concern_high": "Special cause variation: concern (higher)",
    "concern_low": "Special cause variation: concern (lower)",
    "neutral_high": "Special cause variation: higher (no judgement)",
    "neutral_low": "Special cause variation: lower (no judgement)",
}
ASSURANCE_TEXT = {
    "consistent_pass": "The target will consistently be met",
    "consistent_fail": "The target will consistently be missed unless something changes",
    "hit_and_miss": "The target will be met and missed at random (hit and miss)",
}


def _runs_flag(ok: np.ndarray, length: int) -> np.ndarray:
    """Flag every point in a run of ``length`` consecutive True-windows ending at each index."""
    flags = np.zeros(len(ok), dtype=bool)
    for i in np.flatnonzero(ok):
        flags[max(0, i - length + 1): i + 1] = True
    return flags


def xmr(values: Sequence[float], improvement: str = "increase", target=None, *,
        trend_run: int = 7, shift_run: int = 7, screen_outliers: bool = False) -> tuple[pd.DataFrame, SpcSummary]:
    """XmR chart with Making Data Count rules (NHSRplotthedots defaults).

    Limits are mean ± 2.66 × mean moving range; "near" limits are at ± 2/3 of that. Rules,
    in order: (1) a point beyond a limit; (2) ``trend_run`` points all increasing or all
    decreasing; (3) two of three consecutive points on the same side of the mean lying
    between the near limit and the limit; (4) ``shift_run`` consecutive points on one side
    of the mean (a point on the mean breaks the run). A special-cause point is an
    improvement or a concern by which side of the mean it lies on (``improvement`` is
    ``"increase"``, ``"decrease"`` or ``"neutral"``).

    Parameters
    ----------
    values
        The series in time order (missing values are not allowed: suppress first, then
        chart only the published points).
    target
        Optional target for the assurance icon.

    Returns
    -------
    points, summary
        One row per point (``value, mean, lpl, upl, near_lpl, near_upl, rule,
        special_cause, point_type``) and an :class:`SpcSummary`.
    """
    y = np.asarray(values, dtype=float)
    if np.isnan(y).any():
        raise ValueError("xmr() needs a complete series; drop or suppress missing points first")
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError("improvement must be 'increase', 'decrease' or 'neutral'")
    n = len(y)
    if n < 2:
        raise ValueError("an XmR chart needs at least two points")
    mean = float(y.mean())
    mr = np.abs(np.diff(y))
    amr = float(mr.mean())
    if screen_outliers:
        kept = mr[mr < 3.267 * amr]
        amr = float(kept.mean()) if len(kept) else amr
    upl, lpl = mean + 2.66 * amr, mean - 2.66 * amr
    near_upl, near_lpl = mean + (2 / 3) * 2.66 * amr, mean - (2 / 3) * 2.66 * amr

    outside = (y > upl) | (y < lpl)
    side = np.sign(y - mean)
    close = ~outside & ((y > near_upl) | (y < near_lpl))

    trend = np.zeros(n, dtype=bool)
    if n >= trend_run:
        d = np.sign(np.diff(y))
        w = trend_run - 1
        ends = [i for i in range(w, n) if abs(d[i - w:i].sum()) == w]
        ok = np.zeros(n, dtype=bool)
        ok[ends] = True
        trend = _runs_flag(ok, trend_run)

    two3 = np.zeros(n, dtype=bool)
    for i in range(n - 2):
        win = slice(i, i + 3)
        if close[win].sum() >= 2 and abs(side[win].sum()) == 3:
            two3[win] |= close[win]

    shift = np.zeros(n, dtype=bool)
    if n >= shift_run:
        ends = [i for i in range(shift_run - 1, n)
                if side[i] != 0 and (side[i - shift_run + 1: i + 1] == side[i]).all()]
        ok = np.zeros(n, dtype=bool)
        ok[ends] = True
        shift = _runs_flag(ok, shift_run)

    rule = np.full(n, None, dtype=object)
    for flags, name in ((shift, "shift"), (two3, "two_in_three"), (trend, "trend"), (outside, "beyond_limit")):
        rule[flags] = name  # later assignments win: the first rule in MDC order is kept
    special = rule != None  # noqa: E711 - element-wise comparison on an object array
    direction = {"increase": 1, "decrease": -1, "neutral": 0}[improvement]
    point_type = np.full(n, "common_cause", dtype=object)
    for i in np.flatnonzero(special):
        high = side[i] >= 0
        if direction == 0:
            point_type[i] = "neutral_high" if high else "neutral_low"
        elif (1 if high else -1) == direction:
            point_type[i] = "improvement_high" if high else "improvement_low"
        else:
            point_type[i] = "concern_high" if high else "concern_low"

    assurance = None
    if target is not None and direction != 0:
        t = float(target)
        if direction == 1:
            assurance = "consistent_fail" if t > upl else "consistent_pass" if t < lpl else "hit_and_miss"
        else:
            assurance = "consistent_fail" if t < lpl else "consistent_pass" if t > upl else "hit_and_miss"
    trial = n < 13
    points = pd.DataFrame({
        "value": y, "mean": mean, "lpl": lpl, "upl": upl, "near_lpl": near_lpl, "near_upl": near_upl,
        "rule": rule, "special_cause": special, "point_type": point_type,
    })
    summary = SpcSummary(
        mean=mean, lpl=lpl, upl=upl, n_points=n, variation=str(point_type[-1]), assurance=assurance,
        trial_limits=trial,
        warning=(f"Trial limits: only {n} points (13 or more are needed for reliable limits)" if trial else None),
    )
    return points, summary
