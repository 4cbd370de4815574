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

import math
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
#: Fingertips' two-level comparison: outside the 99.8 % interval as well as the 95 % one.
BETTER_998, WORSE_998, HIGHER_998, LOWER_998 = ("better (99.8%)", "worse (99.8%)", "higher (99.8%)",
                                                  "lower (99.8%)")
COMPARISONS = (BETTER, SIMILAR, WORSE, HIGHER, LOWER, BETTER_998, WORSE_998, HIGHER_998, LOWER_998, NOT_COMPARED)


def compare_with_benchmark(value: float, lower: float, upper: float, benchmark: float, polarity: str,
                           target=None) -> str:
    """District against Kent, Fingertips' "CI contains benchmark" method.

    Similar when the benchmark lies inside [lower, upper]; otherwise better or worse by
    polarity (T: nearer the target is better), or, for an indicator with no judgement (N),
    higher or lower (Fingertips' blue "higher/lower" comparison, ``BlueOrangeBlue``).
    ``not compared`` when anything is missing. The benchmark's own interval is ignored (a
    district is part of Kent, so the two are not independent; overlapping-CI tests would be
    wrong here).

    Examples
    --------
    >>> compare_with_benchmark(30.0, 25.0, 35.0, 28.0, "H")
    'similar'
    >>> compare_with_benchmark(30.0, 29.0, 31.0, 28.0, "L")
    'worse'
    >>> compare_with_benchmark(30.0, 29.0, 31.0, 28.0, "N")
    'higher'
    """
    if any(v is None or pd.isna(v) for v in (value, lower, upper, benchmark)):
        return NOT_COMPARED
    if lower <= benchmark <= upper:
        return SIMILAR
    if polarity == "N":
        return HIGHER if value > benchmark else LOWER
    if polarity == "H":
        return BETTER if value > benchmark else WORSE
    if polarity == "L":
        return BETTER if value < benchmark else WORSE
    if polarity == "T":
        if target is None or _missing(target):
            return NOT_COMPARED
        return BETTER if _distance_to(value, target) < _distance_to(benchmark, target) else WORSE
    raise ValueError(f"unknown polarity {polarity!r}")


def compare_two_levels(value: float, ci95: tuple[float, float], ci998: tuple[float, float], benchmark: float,
                       polarity: str, target=None) -> str:
    """Fingertips' comparison at two levels (``SingleOverlappingCIsForTwoCiLevels``).

    Similar when the benchmark is inside the 95 % interval; better/worse (higher/lower) when
    it is outside the 95 % but inside the 99.8 % interval; ``better (99.8%)`` and so on when it
    is outside the 99.8 % interval too.

    Examples
    --------
    >>> compare_two_levels(30.0, (29.0, 31.0), (28.5, 31.5), 28.0, "H")
    'better (99.8%)'
    >>> compare_two_levels(30.0, (29.0, 31.0), (27.5, 32.5), 28.0, "N")
    'higher'
    """
    first = compare_with_benchmark(value, ci95[0], ci95[1], benchmark, polarity, target)
    if first in (SIMILAR, NOT_COMPARED):
        return first
    second = compare_with_benchmark(value, ci998[0], ci998[1], benchmark, polarity, target)
    if second in (SIMILAR, NOT_COMPARED):
        return first
    return {BETTER: BETTER_998, WORSE: WORSE_998, HIGHER: HIGHER_998, LOWER: LOWER_998}[first]


# -- recent trend (Fingertips) -----------------------------------------------------------------------------
#: The 99.8 % point of chi-squared with one degree of freedom (Fingertips uses 9.5495).
TREND_POINTS = 5
TREND_INCREASING, TREND_DECREASING = "increasing", "decreasing"
NO_SIGNIFICANT_CHANGE, CANNOT_CALCULATE = "no significant change", "cannot be calculated"


def _trend_chi2(t: np.ndarray, y=None, se=None, x=None, n=None) -> tuple[float, float]:
    """(slope sign carrier, chi-squared) of the Fingertips trend test for one set of points."""
    if x is not None:  # proportions: chi-squared test for trend in proportions
        big_n, big_x = n.sum(), x.sum()
        num = big_n * (big_n * (x * t).sum() - big_x * (n * t).sum()) ** 2
        den = big_x * (big_n - big_x) * (big_n * (n * t * t).sum() - (n * t).sum() ** 2)
        slope = big_n * (x * t).sum() - big_x * (n * t).sum()
        return float(slope), float(num / den) if den > 0 else float("nan")
    w = 1 / se ** 2
    s1, s2, s3, s4, s5 = w.sum(), (w * y * t).sum(), (w * t).sum(), (w * y).sum(), (w * t * t).sum()
    d = s1 * s5 - s3 ** 2
    if d <= 0:
        return float("nan"), float("nan")
    b = (s1 * s2 - s3 * s4) / d
    se_b = np.sqrt(s1 / d)
    return float(b), float((b / se_b) ** 2)


def recent_trend(values, *, lower=None, upper=None, numerators=None, denominators=None,
                 points: int = TREND_POINTS, level: float = 0.998) -> tuple[str, float | None]:
    """Fingertips' recent trend over the last ``points`` consecutive published points.

    Proportions (``numerators`` and ``denominators`` given) use the chi-squared test for
    trend in proportions; other values a weighted regression whose weights are 1/SE², the SE
    from the 95 % interval ((upper - lower)/3.92). The trend is significant when chi-squared
    exceeds the ``level`` point of chi-squared on 1 degree of freedom (``scipy.stats.chi2``;
    9.5495 at 99.8 %) **and** the slope keeps its sign when each point in turn is left out
    (``TrendMarkerCalculator.cs``). Returns ``(increasing | decreasing | no significant change
    | cannot be calculated, chi-squared)``; cannot be calculated when any of the last points
    is missing or has no interval, or when the series is shorter.

    Examples
    --------
    >>> recent_trend([10.0, 12, 14, 16, 18], numerators=[100, 120, 140, 160, 180],
    ...              denominators=[1000] * 5)[0]
    'increasing'
    >>> recent_trend([10.0, 10.2, 9.9, 10.1, 10.0], numerators=[100, 102, 99, 101, 100],
    ...              denominators=[1000] * 5)[0]
    'no significant change'
    """
    from scipy import stats as _sp  # imported here: scipy is slow to import

    y = np.asarray(values, dtype=float)
    if len(y) < points:
        return CANNOT_CALCULATE, None
    sl = slice(len(y) - points, len(y))
    t = np.arange(1, points + 1, dtype=float)
    if numerators is not None and denominators is not None:
        x = np.asarray(numerators, dtype=float)[sl]
        n = np.asarray(denominators, dtype=float)[sl]
        if np.isnan(x).any() or np.isnan(n).any() or (n <= 0).any():
            return CANNOT_CALCULATE, None
        fits = [_trend_chi2(t, x=x, n=n)] + [_trend_chi2(np.delete(t, i), x=np.delete(x, i), n=np.delete(n, i))
                                              for i in range(points)]
    else:
        if lower is None or upper is None:
            return CANNOT_CALCULATE, None
        yy = y[sl]
        se = (np.asarray(upper, dtype=float)[sl] - np.asarray(lower, dtype=float)[sl]) / (2 * Z95)
        if np.isnan(yy).any() or np.isnan(se).any() or (se <= 0).any():
            return CANNOT_CALCULATE, None
        fits = [_trend_chi2(t, y=yy, se=se)] + [_trend_chi2(np.delete(t, i), y=np.delete(yy, i), se=np.delete(se, i))
                                                 for i in range(points)]
    slope, chi2 = fits[0]
    if np.isnan(chi2):
        return CANNOT_CALCULATE, None
    critical = float(_sp.chi2.ppf(level, 1))
    signs = {np.sign(s) for s, _ in fits}
    if chi2 > critical and len(signs) == 1 and slope != 0:
        return (TREND_INCREASING if slope > 0 else TREND_DECREASING), chi2
    return NO_SIGNIFICANT_CHANGE, chi2


def trend_words(trend: str | None, polarity: str) -> str:
    """A recent trend in Fingertips' words, judged by polarity.

    Examples
    --------
    >>> trend_words("increasing", "L"), trend_words("decreasing", "N")
    ('Increasing and getting worse', 'Decreasing')
    """
    if trend not in (TREND_INCREASING, TREND_DECREASING):
        return (trend or CANNOT_CALCULATE).capitalize()
    word = trend.capitalize()
    if polarity in ("H", "L"):
        better = (trend == TREND_INCREASING) == (polarity == "H")
        return f"{word} and getting {'better' if better else 'worse'}"
    return word


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
#: Width of the process limits in average moving ranges (NHSRplotthedots ``ptd_spc_standard``).
SPC_LIMIT = 2.66
#: Moving ranges at or above this many average moving ranges are screened out (Nelson 1982).
SPC_SCREEN = 3.267


@dataclass(frozen=True)
class SpcOptions:
    """How XmR charts are drawn (``config.yml`` ``statistics.spc``; defaults are Making Data Count's).

    ``baseline_points``: the limits of each phase come from its first ``baseline_points``
    published points and are fixed afterwards (NHSRplotthedots ``fix_after_n_points``); None
    uses every point. ``screen_outliers``: drop moving ranges of 3.267 average moving ranges
    or more before the limits (NHSRplotthedots' default; the MDC Excel tool does not).
    ``trend_run`` and ``shift_run``: run lengths of the trend and shift rules (7 and 7).
    ``trial_below``: a phase with fewer published points has trial limits. ``max_missing_share``:
    no chart when more than this share of a series' months is withheld.
    """

    baseline_points: int | None = None
    screen_outliers: bool = True
    trend_run: int = 7
    shift_run: int = 7
    trial_below: int = 13
    max_missing_share: float = 0.2


@dataclass(frozen=True)
class SpcSummary:
    """What an XmR chart says about the latest point and the target."""

    mean: float
    lpl: float
    upl: float
    n_points: int  # published points in the latest phase
    variation: str  # common_cause | improvement_high | improvement_low | concern_high | concern_low | neutral_*
    assurance: str | None  # consistent_pass | consistent_fail | hit_and_miss | None
    trial_limits: bool
    warning: str | None
    baseline_points: int = 0  # points the latest phase's limits were computed from
    missing: int = 0  # withheld (missing) months in the series


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
#: NHSRplotthedots' names of the rules (``special_cause_type``), by our rule codes.
RULE_NAMES = {"beyond_limit": ("Above UCL", "Below LCL"), "trend": ("7 Point Trend (Increasing)",
              "7 Point Trend (Decreasing)"), "two_in_three": ("2 in 3 Above CL", "2 in 3 Below CL"),
              "shift": ("7 Points Above CL", "7 Points Below CL")}


def run_one_side(side: np.ndarray, run: int = 7) -> np.ndarray:
    """1 where point ``i`` ends ``run`` points on one side of the mean (a point on the mean,
    side 0, breaks the run); NHSRplotthedots ``ptd_seven_point_one_side_mean``.

    Examples
    --------
    >>> run_one_side(np.array([1] * 8 + [-1])).tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 0]
    """
    side = np.asarray(side)
    out = np.zeros(len(side), dtype=int)
    for i in range(run - 1, len(side)):
        window = side[i - run + 1: i + 1]
        out[i] = int(side[i] != 0 and bool((window == side[i]).all()))
    return out


def trend_ends(y: np.ndarray, run: int = 7) -> np.ndarray:
    """+1 (-1) where point ``i`` ends ``run`` points each higher (lower) than the one before;
    a repeated value breaks the trend. NHSRplotthedots ``ptd_seven_point_trend``.

    Examples
    --------
    >>> trend_ends(np.array([2, 1, 2, 3, 4, 5, 6, 7, 3.0])).tolist()
    [0, 0, 0, 0, 0, 0, 0, 1, 0]
    """
    y = np.asarray(y, dtype=float)
    out = np.zeros(len(y), dtype=int)
    d = np.sign(np.diff(y))
    for i in range(run - 1, len(y)):
        window = d[i - run + 1: i]
        if (window == 1).all():
            out[i] = 1
        elif (window == -1).all():
            out[i] = -1
    return out


def part_of_run(ends: np.ndarray, run: int = 7) -> np.ndarray:
    """1 for every point of a run whose last point is marked non-zero in ``ends``;
    NHSRplotthedots ``ptd_part_of_seven_trend``.

    Examples
    --------
    >>> part_of_run(np.array([0] * 7 + [-1, 0])).tolist()
    [0, 1, 1, 1, 1, 1, 1, 1, 0]
    """
    ends = np.asarray(ends)
    out = np.zeros(len(ends), dtype=int)
    for i in np.flatnonzero(ends):
        out[max(0, i - run + 1): i + 1] = 1
    return out


def two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """1 for every point in a window of three consecutive points, all on one side of the
    mean, of which at least two are close to a limit; NHSRplotthedots ``ptd_two_in_three``.
    (Only the close points of such a window are special cause: see :func:`xmr`.)

    Examples
    --------
    >>> two_in_three(np.array([0, 0, 1, 1, 0, 0, 0]), np.ones(7)).tolist()
    [0, 1, 1, 1, 1, 0, 0]
    """
    close = np.asarray(close, dtype=int)
    side = np.asarray(side)
    n = len(close)
    out = np.zeros(n, dtype=int)
    for start in range(n - 2):
        w = slice(start, start + 3)
        if close[w].sum() >= 2 and abs(side[w].sum()) == 3:
            out[w] = 1
    return out


def _segments(present: np.ndarray) -> list[np.ndarray]:
    """Positions of each run of consecutive published points."""
    idx = np.flatnonzero(present)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1) + 1
    return np.split(idx, breaks)


def _phase_limits(y: np.ndarray, options: SpcOptions) -> tuple[float, float, int]:
    """(mean, average moving range, points used) of one phase from its baseline.

    Moving ranges are taken only between consecutive months that are both published: a
    withheld month is never bridged.
    """
    present = np.flatnonzero(~np.isnan(y))
    if options.baseline_points is not None:
        present = present[: options.baseline_points]
    base = np.full(len(y), np.nan)
    base[present] = y[present]
    # means as exactly rounded sums (math.fsum), as R's mean() all but is: a point exactly on the
    # mean must come out on it, not a rounding error to one side
    mean = math.fsum(y[present]) / len(present)
    mr = np.abs(np.diff(base))
    mr = mr[~np.isnan(mr)]
    if not len(mr):
        return mean, float("nan"), len(present)
    amr = math.fsum(mr) / len(mr)
    if options.screen_outliers:
        mr = mr[mr < SPC_SCREEN * amr]
        amr = math.fsum(mr) / len(mr) if len(mr) else float("nan")
    return mean, amr, len(present)


def _assurance(target, lpl: float, upl: float, direction: int) -> str | None:
    """NHSRplotthedots ``ptd_calculate_assurance_type`` (its ``inconsistent`` is our ``hit_and_miss``)."""
    if target is None or direction == 0 or _missing(target) or isinstance(target, list | tuple):
        return None
    t = float(target)
    if t > upl:
        return "consistent_fail" if direction == 1 else "consistent_pass"
    if t < lpl:
        return "consistent_pass" if direction == 1 else "consistent_fail"
    return "hit_and_miss"


def xmr(values: Sequence[float], improvement: str = "increase", target=None, *,
        options: SpcOptions | None = None, phase_starts: Sequence[int] = ()) -> tuple[pd.DataFrame, SpcSummary]:
    """XmR chart as NHSRplotthedots 0.2.x draws it (the Making Data Count rules).

    For each phase (a new phase starts at each position in ``phase_starts``: a rebase at a
    known change), the mean and the average moving range come from the phase's baseline (its
    first ``options.baseline_points`` published points) and are fixed afterwards; process
    limits are the mean ± 2.66 average moving ranges, "near" limits two thirds of the way.
    Each point is then classed by the first rule that fires, in this order:

    1. beyond a process limit: improvement or concern by its side of the mean;
    2. part of ``trend_run`` points each higher (or lower) than the one before: classed by
       the **direction of the trend**, not by its side of the mean (NHSRplotthedots #171/#180);
    3. two of three consecutive points on one side of the mean close to a limit: the close
       points, by their side;
    4. part of ``shift_run`` points on one side of the mean: by its side.

    A point type is ``common_cause`` or, as NHSRplotthedots names its icons,
    ``improvement_high``/``improvement_low`` (an improvement where higher, or lower, is
    better), ``concern_low``/``concern_high`` (a concern where higher, or lower, is better)
    or ``neutral_high``/``neutral_low`` when no direction is better. The variation icon is
    the latest point's type; the assurance icon compares ``target`` with the latest phase's
    limits (none without a target or a direction).

    Missing values (withheld months) stay in place: they are never charted, no moving range
    spans them, and no run, trend or two-in-three window crosses them. The caller decides
    beforehand whether too many are missing to chart at all (:func:`spc_eligibility`).

    Returns
    -------
    points, summary
        One row per input value (``value, phase, mean, lpl, upl, near_lpl, near_upl, rule,
        special_cause_type, special_cause, point_type``; withheld months have no type) and an
        :class:`SpcSummary` of the latest published point.
    """
    options = options or SpcOptions()
    y = np.asarray(values, dtype=float)
    if improvement not in ("increase", "decrease", "neutral"):
        raise ValueError("improvement must be 'increase', 'decrease' or 'neutral'")
    n = len(y)
    present = ~np.isnan(y)
    if present.sum() < 2:
        raise ValueError("an XmR chart needs at least two published points")
    direction = {"increase": 1, "decrease": -1, "neutral": 0}[improvement]
    starts = sorted({0, *[int(s) for s in phase_starts if 0 < int(s) < n]})
    phase = np.zeros(n, dtype=int)
    for k, s in enumerate(starts):
        phase[s:] = k

    mean = np.full(n, np.nan)
    amr = np.full(n, np.nan)
    used = np.zeros(n, dtype=int)
    for k in range(len(starts)):
        sel = phase == k
        m, a, u = _phase_limits(y[sel], options)
        mean[sel], amr[sel], used[sel] = m, a, u
    upl, lpl = mean + SPC_LIMIT * amr, mean - SPC_LIMIT * amr
    near_upl, near_lpl = mean + 2 * SPC_LIMIT / 3 * amr, mean - 2 * SPC_LIMIT / 3 * amr

    with np.errstate(invalid="ignore"):
        outside = present & ((y > upl) | (y < lpl))
        side = np.where(present, np.sign(y - mean), 0).astype(int)
        close = present & ~outside & ((y < near_lpl) | (y > near_upl))

    rule = np.full(n, None, dtype=object)
    sense = np.zeros(n, dtype=int)  # +1 above the mean or increasing, -1 below or decreasing
    for k in range(len(starts)):
        for seg in _segments(present & (phase == k)):
            ys, sides = y[seg], side[seg]
            trend = part_of_run(trend_ends(ys, options.trend_run), options.trend_run)
            two3 = two_in_three(close[seg], sides) * close[seg]
            shift = part_of_run(run_one_side(sides, options.shift_run), options.shift_run)
            rule[seg], sense[seg] = special_cause_rules(ys, sides, outside[seg], trend, two3, shift)
    special = np.array([r is not None for r in rule])
    cause_type = np.array([None if not present[i] else "Common Cause" if r is None
                           else RULE_NAMES[r][0 if sense[i] > 0 else 1] for i, r in enumerate(rule)], dtype=object)
    point_type = np.full(n, None, dtype=object)
    for i in np.flatnonzero(present):
        point_type[i] = _point_type(int(sense[i]) if special[i] else 0, direction)

    last = int(np.flatnonzero(present)[-1])
    lk = phase == phase[last]
    n_phase = int((present & lk).sum())
    trial = n_phase < options.trial_below
    points = pd.DataFrame({
        "value": y, "phase": phase, "mean": mean, "lpl": lpl, "upl": upl, "near_lpl": near_lpl,
        "near_upl": near_upl, "rule": rule, "special_cause_type": cause_type, "special_cause": special,
        "point_type": point_type,
    })
    summary = SpcSummary(
        mean=float(mean[last]), lpl=float(lpl[last]), upl=float(upl[last]), n_points=n_phase,
        variation=str(point_type[last]), assurance=_assurance(target, float(lpl[last]), float(upl[last]), direction),
        trial_limits=trial,
        warning=(f"Trial limits: only {n_phase} points ({options.trial_below} or more are needed for reliable limits)"
                 if trial else None),
        baseline_points=int(used[last]), missing=int((~present).sum()),
    )
    return points, summary


def special_cause_rules(y, side, outside, trend, two_three, shift) -> tuple[np.ndarray, np.ndarray]:
    """The rule that classes each point, and its sense, from the rule flags of one run of
    consecutive points (NHSRplotthedots ``ptd_special_cause_type``).

    In order: beyond a limit (sense: its side of the mean), part of a trend (sense: the
    trend's direction, the step to the next point when that point is in the trend too, else
    the step from the previous one), two in three (its side), shift (its side). Returns
    ``(rule, sense)``: rule codes (None for common cause) and +1 (above the mean, or rising)
    or -1.

    Examples
    --------
    >>> rule, sense = special_cause_rules([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 1, -1, -1, -1, -1],
    ...                                   [0, 0, 0, 0, 0, 1, 1, 0], [1, 1, 0, 0, 0, 0, 0, 0],
    ...                                   [0, 0, 0, 0, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0, 0])
    >>> names = [None if r is None else RULE_NAMES[r][0 if s > 0 else 1] for r, s in zip(rule, sense, strict=True)]
    >>> names[:4]
    ['7 Point Trend (Increasing)', '7 Point Trend (Increasing)', '7 Points Above CL', '7 Points Above CL']
    >>> names[4:]
    ['2 in 3 Below CL', 'Below LCL', 'Below LCL', None]
    """
    y = np.asarray(y, dtype=float)
    side, outside = np.asarray(side), np.asarray(outside)
    trend, two_three, shift = (np.asarray(v) != 0 for v in (trend, two_three, shift))
    n = len(y)
    d = np.sign(np.diff(y)).astype(int)
    right = np.append(d, d[-1] if len(d) else 0)
    left = np.insert(d, 0, 0)
    nxt = np.append(trend[1:], False)
    trend_dir = np.where(nxt & trend, right, left)
    rule = np.full(n, None, dtype=object)
    sense = np.zeros(n, dtype=int)
    for i in range(n):
        if outside[i]:
            rule[i], sense[i] = "beyond_limit", 1 if side[i] == 1 else -1
        elif trend[i]:
            rule[i], sense[i] = "trend", 1 if trend_dir[i] == 1 else -1
        elif two_three[i]:
            rule[i], sense[i] = "two_in_three", 1 if side[i] > 0 else -1
        elif shift[i]:
            rule[i], sense[i] = "shift", 1 if side[i] > 0 else -1
    return rule, sense


def _point_type(sense: int, direction: int) -> str:
    """NHSRplotthedots ``ptd_point_type`` with its icon names (``ptd_get_icons``).

    Examples
    --------
    >>> _point_type(-1, 1), _point_type(-1, -1), _point_type(1, 0), _point_type(0, 1)
    ('concern_low', 'improvement_low', 'neutral_high', 'common_cause')
    """
    if sense == 0:
        return "common_cause"
    if direction == 0:
        return "neutral_high" if sense > 0 else "neutral_low"
    if sense * direction > 0:
        return "improvement_high" if direction == 1 else "improvement_low"
    return "concern_low" if direction == 1 else "concern_high"


def spc_eligibility(values: Sequence[float], options: SpcOptions | None = None) -> str | None:
    """Why a monthly series cannot be charted, in words; None when it can.

    Not charted: fewer than two published months; the latest month withheld; more than
    ``options.max_missing_share`` of the months (from the first published one) withheld.

    Examples
    --------
    >>> spc_eligibility([1.0, 2.0, float("nan"), 3.0, 4.0, 5.0]) is None
    True
    >>> spc_eligibility([1.0, float("nan"), float("nan"), 3.0])
    'not charted: 2 of the 4 months are withheld (more than 20%)'
    """
    options = options or SpcOptions()
    y = np.asarray(values, dtype=float)
    present = np.flatnonzero(~np.isnan(y))
    if len(present) < 2:
        return "not charted: fewer than two published months"
    y = y[present[0]:]
    if np.isnan(y[-1]):
        return "not charted: the latest month is withheld"
    missing = int(np.isnan(y).sum())
    if missing > options.max_missing_share * len(y):
        return (f"not charted: {missing} of the {len(y)} months are withheld "
                f"(more than {options.max_missing_share:.0%})")
    return None


# -- slope and relative index of inequality (PHEindicatormethods phe_sii) ------------------------------------
@dataclass(frozen=True)
class Inequality:
    """SII and RII of one area with their confidence limits (see :func:`slope_index`)."""

    sii: float
    sii_lower: float
    sii_upper: float
    rii: float
    rii_lower: float
    rii_upper: float
    confidence: float
    repetitions: int


def relative_ranks(population) -> np.ndarray:
    """Mid-point of each quantile's share of the cumulative population (PHEindicatormethods
    ``FindXValues``); quantiles ordered from most to least deprived.

    Examples
    --------
    >>> relative_ranks([12, 10, 78]).round(3).tolist()
    [0.06, 0.17, 0.61]
    """
    p = np.asarray(population, dtype=float)
    share = p / p.sum()
    return np.cumsum(share) - share / 2


def slope_index(values, population, *, lower=None, upper=None, se=None, value_type: str = "normal",
                multiplier: float = 1.0, confidence: float = 0.95, repetitions: int = 100_000,
                seed: int = 0) -> Inequality:
    """Slope and relative index of inequality, as PHEindicatormethods ``phe_sii`` computes them.

    The quantiles (most deprived first) are weighted by their share ``a`` of the population
    and placed at their relative rank ``b`` (:func:`relative_ranks`); the regression
    ``y·√a = α·√a + β·b√a`` (no intercept; Low & Low 2004) gives the SII β (the modelled
    difference between the least and the most deprived end) and the RII (α + β)/α. The
    confidence limits come from ``repetitions`` simulations of each quantile's value from a
    normal distribution on the transformed scale (log for ``value_type="rate"``, logit for
    ``"proportion"``, given as a fraction) with the standard error from ``se`` or from the
    95 % interval (``(upper - lower)/3.92`` after transformation), refitted each time; the
    limits are the simulated values at positions ``round(repetitions × (1 ∓ confidence)/2)``.

    A negative ``multiplier`` turns the SII round (most minus least deprived) and inverts the
    RII (most over least deprived), as ``phe_sii`` does. ``seed`` makes the simulation
    reproducible (numpy's generator, not R's: limits agree with R's to simulation error).

    Raises
    ------
    ValueError
        For fewer than 5 quantiles, a missing or non-positive population, a missing value or
        standard error, or a proportion outside (0, 1).
    """
    y = np.asarray(values, dtype=float)
    pop = np.asarray(population, dtype=float)
    k = len(y)
    if k < 5 or len(pop) != k:
        raise ValueError("phe_sii needs between 5 and 100 quantiles, each with a value and a population")
    if np.isnan(pop).any() or (pop <= 0).any():
        raise ValueError("some groups have a zero, negative or missing population")
    if np.isnan(y).any():
        raise ValueError("some groups have no value (withheld or missing)")
    transform, back = {
        "normal": (lambda v: v, lambda v: v),
        "rate": (np.log, np.exp),
        "proportion": (lambda v: np.log(v / (1 - v)), lambda v: np.exp(v) / (1 + np.exp(v))),
    }[value_type]
    if value_type == "proportion" and ((y <= 0) | (y >= 1)).any():
        raise ValueError("proportions must lie strictly between 0 and 1")
    if value_type == "rate" and (y <= 0).any():
        raise ValueError("rates must be positive")
    if se is None:
        if lower is None or upper is None:
            raise ValueError("give the standard errors or the 95% confidence limits")
        with np.errstate(divide="ignore", invalid="ignore"):
            se = (transform(np.asarray(upper, dtype=float)) - transform(np.asarray(lower, dtype=float))) / Z95 / 2
    se = np.asarray(se, dtype=float)
    if np.isnan(se).any() or (se < 0).any() or np.isinf(se).any():
        raise ValueError("negative or missing standard errors")
    sqrt_a = np.sqrt(pop / pop.sum())
    x = np.column_stack([sqrt_a, relative_ranks(pop) * sqrt_a])
    solve = np.linalg.solve(x.T @ x, x.T)  # (X'X)^-1 X': least squares for every simulated column at once
    alpha, beta = solve @ (sqrt_a * y)
    rng = np.random.default_rng(seed)
    sims = back(rng.normal(transform(y)[:, None], se[:, None], size=(k, repetitions)))
    params = solve @ (sims * sqrt_a[:, None])
    sii_sim = np.sort(multiplier * params[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        rii_sim = (params[1] + params[0]) / params[0]
        rii_sim = np.sort(1 / rii_sim if multiplier < 0 else rii_sim)
    upper_q = confidence + (1 - confidence) / 2
    lo_pos = max(int(round(repetitions * (1 - upper_q))), 1) - 1
    hi_pos = min(int(round(repetitions * upper_q)), repetitions) - 1
    rii = (alpha + beta) / alpha
    return Inequality(
        sii=float(multiplier * beta), sii_lower=float(sii_sim[lo_pos]), sii_upper=float(sii_sim[hi_pos]),
        rii=float(1 / rii if multiplier < 0 else rii), rii_lower=float(rii_sim[lo_pos]),
        rii_upper=float(rii_sim[hi_pos]), confidence=confidence, repetitions=repetitions,
    )
