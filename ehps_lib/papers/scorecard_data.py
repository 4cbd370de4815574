"""The published results a paper reads: :class:`ScorecardData` and :func:`load_scorecard`.

:func:`load_scorecard` reads the indicator results of a period through :mod:`ehps_lib.data.io`;
everything else here is pure lookup over that table (a value, whether it is withheld, a row).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ..data import io
from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_codes, area_name
from ..indicators.catalogue import ALL_AGES, Indicator, load_catalogue
from ..periods import Period, PeriodError
from .blocks import SUPPRESSED, format_value


class ScorecardError(ValueError):
    """The scorecard cannot be made for this area or period; the message says why."""


# -- the data behind one scorecard -----------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ScorecardData:
    """Everything a scorecard shows: the area, the period and the long results table.

    ``results`` holds every area (so districts can be compared with Kent) and every month and
    quarter up to ``period``; ``meta`` is the results metadata (``synthetic``,
    ``extract_date``, ``ehps_lib_version``, ...).
    """

    area_code: str
    area_name: str
    period: Period
    results: pd.DataFrame
    meta: dict = field(default_factory=dict)
    catalogue: dict[str, Indicator] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line, not the whole results table (``.results`` holds it)."""
        kinds = self.results["period_kind"].value_counts().to_dict() if "period_kind" in self.results else {}
        return (f"<ScorecardData {self.area_name} ({self.area_code}), {self.period.label}: "
                f"{len(self.indicators)} indicators, {len(self.results):,} result rows "
                f"({', '.join(f'{v:,} {k}' for k, v in sorted(kinds.items()))})"
                f"{', synthetic data' if self.synthetic else ''}>")

    def _repr_html_(self) -> str:
        from html import escape

        return f"<p><code>{escape(repr(self))}</code></p>"

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))

    @property
    def is_kent(self) -> bool:
        return self.area_code == KENT_CODE

    @property
    def indicators(self) -> list[Indicator]:
        """The catalogue indicators present in the results, in catalogue order (population-group
        breakdowns, which papers show in their own tables, are in :attr:`group_indicators`)."""
        present = set(self.results["indicator_id"])
        return [ind for ind_id, ind in self.catalogue.items() if ind_id in present and not ind.is_group_breakdown]

    @property
    def group_indicators(self) -> list[Indicator]:
        """The population-group breakdowns present in the results, in catalogue order."""
        present = set(self.results["indicator_id"])
        return [ind for ind_id, ind in self.catalogue.items() if ind_id in present and ind.is_group_breakdown]

    @cached_property
    def _lookup(self) -> dict[tuple[str, str, str, str], tuple[float, bool]]:
        r = self.results
        if "suppressed" in r.columns:
            suppressed = r["suppressed"].fillna(False).astype(bool)
        else:
            suppressed = pd.Series(False, index=r.index)
        keys = zip(r["indicator_id"], r["area_code"], r["period"], r["age_band"], strict=True)
        return {k: (float(v) if pd.notna(v) else math.nan, bool(sup))
                for k, v, sup in zip(keys, r["value"], suppressed, strict=True)}

    def value(self, indicator_id: str, period: Period | str | None = None, *, area_code: str | None = None,
              age_band: str = ALL_AGES) -> float:
        """One result value (NaN when it is missing, suppressed, or not in the results)."""
        return self._get(indicator_id, period, area_code, age_band)[0]

    def is_suppressed(self, indicator_id: str, period: Period | str | None = None, *,
                      area_code: str | None = None, age_band: str = ALL_AGES) -> bool:
        """Whether the result was withheld by small-number suppression."""
        return self._get(indicator_id, period, area_code, age_band)[1]

    def cell(self, indicator_id: str, period: Period | str | None = None, *, area_code: str | None = None,
             age_band: str = ALL_AGES, unit: str | None = None) -> str:
        """A result as printed: formatted by unit, ``c`` when suppressed, ``n/a`` when missing."""
        value, suppressed = self._get(indicator_id, period, area_code, age_band)
        if suppressed:
            return SUPPRESSED
        return format_value(value, unit or self.catalogue[indicator_id].unit)

    def _get(self, indicator_id, period, area_code, age_band) -> tuple[float, bool]:
        label = (period or self.period).label if not isinstance(period, str) else period
        key = (indicator_id, area_code or self.area_code, label, age_band)
        return self._lookup.get(key, (math.nan, False))


def known_area_codes() -> list[str]:
    """Area codes a scorecard can be made for: Kent, the 12 districts and the 4 SCS areas."""
    return area_codes(include_scs_areas=True)


def _check_area(area_code: str) -> None:
    if area_code not in known_area_codes():
        choices = ", ".join(f"{c} ({n})" for c, n in DISTRICTS.items())
        raise ScorecardError(
            f"Unknown area code {area_code!r}. Use {KENT_CODE} for Kent, a district code ({choices}) "
            f"or an SCS area ({', '.join(SCS_AREA_CODES)})."
        )


def scorecard_from_results(results: pd.DataFrame, meta: dict, area_code: str, period: str | Period,
                           catalogue: dict[str, Indicator] | None = None) -> ScorecardData:
    """Build :class:`ScorecardData` from a results table already in memory (pure).

    Raises
    ------
    ScorecardError
        For an unknown area code, or when the results hold nothing for the area and period.
    """
    _check_area(area_code)
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise ScorecardError(str(exc)) from exc
    have = results[(results["area_code"] == area_code) & (results["period"] == p.label)]
    if have.empty:
        raise ScorecardError(
            f"The indicator results hold nothing for {area_code} in {p.label}. "
            f"Periods in them run from {results['period_start'].min():%B %Y} to "
            f"{results['period_start'].max():%B %Y}; run `ehps indicators --period \"{p.label}\"`."
        )
    return ScorecardData(area_code=area_code, area_name=area_name(area_code, p.end), period=p,
                         results=results, meta=dict(meta), catalogue=catalogue or load_catalogue())


def load_scorecard(area_code: str, period: str) -> ScorecardData:
    """Read the results for ``period`` and select ``area_code``.

    ``period`` is a label such as ``"2016-17 Q2"`` or ``"latest"`` (the latest complete
    quarter of the validated extract, from its manifest).

    Raises
    ------
    ScorecardError
        For an unknown area code or period label, or an area missing from the results.
    FileNotFoundError
        When no extract has been ingested (for ``"latest"``) or the results for the period
        have not been computed; the message says which command makes them.
    """
    from ..indicators.results import extract_date_of, resolve_period

    _check_area(area_code)
    if str(period).strip().lower() == "latest":
        p = resolve_period("latest", extract_date_of(io.read_processed_manifest()))
    else:
        try:
            p = Period.parse(period)
        except PeriodError as exc:
            raise ScorecardError(str(exc)) from exc
    results, meta = io.read_results(io.results_slug_for(p))
    return scorecard_from_results(results, meta, area_code, p)


# -- trend chart -----------------------------------------------------------------------------------
def _indicator(data: ScorecardData, indicator_id: str) -> Indicator:
    if indicator_id not in data.catalogue:
        known = ", ".join(sorted(data.catalogue))
        raise ScorecardError(f"Unknown indicator {indicator_id!r}; known: {known}")
    return data.catalogue[indicator_id]


# -- periods ---------------------------------------------------------------------------------------
def latest_month(period: Period | str) -> Period:
    """The month the scorecard shows as "latest result": the last month of a quarter.

    Examples
    --------
    >>> latest_month("2016-17 Q4").label
    '2017-03'
    >>> latest_month("2016-08").label
    '2016-08'
    """
    p = Period.parse(period)
    last = p.month_starts()[-1]
    return Period.month(last.year, last.month)


def edition_month(period: Period | str) -> Period:
    """The month an edition is named after: the month after its data end (seed 001:112, "The latest
    July EHPS scorecard, including data up to June 2015").

    Examples
    --------
    >>> edition_month("2015-06").label, edition_month("2016-17 Q4").label
    ('2015-07', '2017-04')
    """
    return latest_month(period).shift(1)


def edition_words(period: Period | str) -> str:
    """The edition line of a scorecard: "July 2015 edition: data to the end of June 2015"; a quarter's
    edition also names its months.

    Examples
    --------
    >>> edition_words("2015-06")
    'July 2015 edition: data to the end of June 2015'
    >>> edition_words("2016-17 Q4")
    'April 2017 edition (2016-17 Q4): January to March 2017, data to the end of March 2017'
    """
    p = Period.parse(period)
    edition = f"{edition_month(p).start:%B %Y} edition"
    end = f"data to the end of {latest_month(p).start:%B %Y}"
    if p.kind == "month":
        return f"{edition}: {end}"
    return f"{edition} ({p.label}): {_months_span(p)}, {end}"


def _month_name(p: Period, short: bool = False) -> str:
    return f"{p.start:%b %Y}" if short else f"{p.start:%B %Y}"


def _months_span(p: Period) -> str:
    """'January to March 2017' for a quarter (its months), 'March 2017' for a month."""
    if p.months == 1:
        return _month_name(p)
    first = f"{p.start:%B}" if p.start.year == p.end.year else f"{p.start:%B %Y}"
    return f"{first} to {p.end:%B %Y}"


# -- looking results up ----------------------------------------------------------------------------
_ROWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class RowLookup:
    """Rows of a results table by the values of ``key`` columns: each row is made a dict (as
    ``DataFrame.to_dict("records")`` would make it) only when it is first looked up, since a paper
    reads a few hundred of the tens of thousands of rows (making them all took a second a paper).

    >>> rows = RowLookup(pd.DataFrame({"a": ["x", "y"], "b": [1.5, 2.0]}), ["a"])
    >>> rows.get(("y",)), rows.get(("z",), {})
    ({'a': 'y', 'b': 2.0}, {})
    """

    def __init__(self, frame: pd.DataFrame, key: list[str]) -> None:
        self._columns = list(frame.columns)
        self._values = [frame[c].to_numpy(dtype=object) for c in self._columns]
        self._position = {k: i for i, k in enumerate(zip(*(frame[c] for c in key), strict=True))}
        self._made: dict[int, dict] = {}

    def get(self, key: tuple[str, str, str], default=None):
        i = self._position.get(key)
        if i is None:
            return default
        row = self._made.get(i)
        if row is None:
            row = self._made[i] = {c: v[i] for c, v in zip(self._columns, self._values, strict=True)}
        return row


def _rows(data: ScorecardData) -> RowLookup:
    """Published rows (all ages) by (indicator, area, period label), made once per data."""
    if data not in _ROWS:
        r = data.results
        _ROWS[data] = RowLookup(r[r["age_band"] == ALL_AGES], ["indicator_id", "area_code", "period"])
    return _ROWS[data]


def _row(data: ScorecardData, indicator_id: str, period: Period, area_code: str | None = None) -> dict:
    return _rows(data).get((indicator_id, area_code or data.area_code, period.label), {})


def _get(row: dict, column: str, default=None):
    v = row.get(column, default)
    if v is None or v is pd.NA:
        return default
    if isinstance(v, float) and math.isnan(v):
        return default
    return v


def _case_indicators(data: ScorecardData) -> list[Indicator]:
    """Case-data indicators present in the results, in catalogue order."""
    return [ind for ind in data.indicators if ind.has_data]


def not_in_extract(data: ScorecardData, ind: Indicator) -> str | None:
    """Why ``ind`` has no results at all: the extract lacked its optional table or column (from
    ``meta['extract_tables']``, in words, e.g. "the extract has no youth_justice table"); None when
    the extract held what it needs, or the results predate that record."""
    from ..indicators.engine import missing_input

    held = data.meta.get("extract_tables")
    if not held:
        return None
    return missing_input(ind, {name: pd.DataFrame(columns=list(cols)) for name, cols in held.items()})


def _unit_label(ind: Indicator) -> str:
    if ind.unit == "count":
        return "number"
    if ind.unit == "%":
        return "percentage"
    if ind.is_average and ind.measure:
        return f"average, {ind.measure}"
    return ind.unit


__all__ = [
    "ScorecardData", "ScorecardError", "load_scorecard", "scorecard_from_results", "known_area_codes", "latest_month",
    "edition_month", "edition_words", "not_in_extract"
]
