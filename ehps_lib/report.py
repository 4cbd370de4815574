"""Display helpers for the scorecard notebooks: title, tables, charts and definitions.

Each helper takes a :class:`ScorecardData` (from :func:`load_scorecard`) and returns a
:class:`Block`, an object the notebook displays as HTML (and, for tables, Markdown, so a
Quarto Typst render keeps them). Nothing here writes files: :func:`load_scorecard` reads
the indicator results through :mod:`ehps_lib.io`, and every other function is pure.

Accessibility (WCAG 2.2 AA) is built in rather than left to the notebook: tables have a
``<caption>`` and scoped header cells; charts use the Analysis Function palette together
with different line styles and markers (so colour is never the only cue), and carry
generated alt text, a caption and the same figures as a table.

Typical notebook use::

    from ehps_lib import report
    scorecard = report.load_scorecard("E07000106", "2016-17 Q2")
    report.summary_table(scorecard)
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io as _bytes_io
import math
import sys
from dataclasses import dataclass, field
from functools import cached_property

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.figure import Figure

from . import io
from .config import load_settings
from .geography import KENT_CODE, KENT_NAME, SCS_AREA_CODES, area_codes, area_name
from .indicators import ALL_AGES, Indicator, load_catalogue
from .periods import Period, PeriodError

#: Analysis Function colour-blind-safe categorical palette: dark blue, orange.
AREA_COLOUR = "#12436D"
KENT_COLOUR = "#F46A25"
#: Months shown in trend charts.
TREND_MONTHS = 24
NOT_AVAILABLE = "n/a"
#: Row label for notifications whose age falls in no band.
UNKNOWN_AGE = "Age not known or outside 0-17"
UNKNOWN_BAND = "unknown"  # ehps_lib.indicators.UNKNOWN_AGE: the band id in the results
#: Printed in place of a value withheld by small-number suppression.
SUPPRESSED = "c"
SYNTHETIC_BANNER_TEXT = "Synthetic data: not real children's records"
#: Attribute marking the synthetic-data banner, so a page template can tell it is there.
SYNTHETIC_BANNER_ATTR = "data-ehps-synthetic-banner"
#: Catalogue indicator used for the age-band table (a count and a rate, both by age band).
AGE_BAND_COUNT, AGE_BAND_RATE = "ehn_received", "ehn_rate"


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

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))

    @property
    def is_kent(self) -> bool:
        return self.area_code == KENT_CODE

    @property
    def indicators(self) -> list[Indicator]:
        """The catalogue indicators present in the results, in catalogue order."""
        present = set(self.results["indicator_id"])
        return [ind for ind_id, ind in self.catalogue.items() if ind_id in present]

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
        from .geography import DISTRICTS

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
    from .pipeline import extract_date_of, resolve_period

    _check_area(area_code)
    if str(period).strip().lower() == "latest":
        p = resolve_period("latest", extract_date_of(io.read_processed_manifest()))
    else:
        try:
            p = Period.parse(period)
        except PeriodError as exc:
            raise ScorecardError(str(exc)) from exc
    results, meta = io.read_results(p.slug)
    return scorecard_from_results(results, meta, area_code, p)


# -- what a helper returns -------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A piece of a paper: HTML for browsers and the built-in renderer, Markdown for Quarto's
    PDF formats (when there is one), an SVG image for charts, and plain text."""

    html: str
    markdown: str | None = None
    text: str = ""
    svg: str | None = None

    def _repr_html_(self) -> str:
        return self.html

    def _repr_markdown_(self) -> str | None:
        return self.markdown

    def _repr_svg_(self) -> str | None:
        return self.svg

    def __repr__(self) -> str:
        return self.text or self.html

    def __str__(self) -> str:
        return self.html


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- formatting ------------------------------------------------------------------------------------
def format_value(value: float | None, unit: str) -> str:
    """Format a value for print by its unit: counts with thousands separators, percentages and
    rates to one decimal place; missing values as ``"n/a"``.

    Examples
    --------
    >>> format_value(12345.0, "count"), format_value(49.25, "%"), format_value(21.349, "rate per 10,000")
    ('12,345', '49.2%', '21.3')
    >>> format_value(float("nan"), "%")
    'n/a'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "%":
        return f"{value:,.1f}%"
    return f"{value:,.1f}"


def _unit_words(ind: Indicator) -> str:
    if ind.unit == "count":
        return "Number"
    if ind.unit == "%":
        return "Percentage"
    return ind.unit[0].upper() + ind.unit[1:]


def _period_short(p: Period) -> str:
    return f"{p.start:%B %Y}" if p.kind == "month" else p.label


def _month_words(ts: pd.Timestamp | dt.date) -> str:
    return f"{ts:%B %Y}"


def _table_html(caption: str, columns: list[str], rows: list[tuple[str, list[str]]],
                css_class: str = "ehps-table") -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in columns)
    body = "".join(
        f'<tr><th scope="row">{row_head}</th>' + "".join(f"<td>{_e(v)}</td>" for v in values) + "</tr>"
        for row_head, values in rows
    )
    return (f'<table class="{css_class}"><caption>{_e(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _table_markdown(caption: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in columns) + " |",
             "|" + "|".join([":---"] + ["---:"] * (len(columns) - 1)) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in [head, *values]) + " |" for head, values in rows]
    return "\n".join(lines) + f"\n\n: {cell(caption)}\n"


# -- badges: colour is never the only cue ----------------------------------------------------------
#: RAG status as word + symbol (+ colour from the style sheet), for HTML and text.
RAG_SYMBOL = {"Green": "✔", "Amber": "▲", "Red": "✖"}
#: Direction of travel as printed (the council's arrows: ↑ improved, ↓ worse, → no change).
DIRECTION_SYMBOL = {"improved": "↑", "worse": "↓", "no change": "→", "higher": "▲", "lower": "▼",
                    "not compared": ""}
DIRECTION_WORDS = {"improved": "Improved", "worse": "Worse", "no change": "No change",
                   "higher": "Higher (no judgement)", "lower": "Lower (no judgement)", "not compared": "Not compared"}
COMPARISON_WORDS = {"better": "Better than Kent", "similar": "Similar to Kent", "worse": "Worse than Kent",
                    "not compared": "Not compared"}


def rag_badge(rag: str | None) -> str:
    """HTML for a RAG status: symbol and word in a coloured box (``Not rated`` when None).

    Examples
    --------
    >>> rag_badge("Red")
    '<span class="ehps-rag ehps-rag-red"><span aria-hidden="true">✖</span> Red</span>'
    >>> rag_badge(None)
    '<span class="ehps-rag ehps-rag-none">Not rated</span>'
    """
    if not rag or rag not in RAG_SYMBOL:
        return '<span class="ehps-rag ehps-rag-none">Not rated</span>'
    return (f'<span class="ehps-rag ehps-rag-{rag.lower()}"><span aria-hidden="true">{RAG_SYMBOL[rag]}</span> '
            f"{rag}</span>")


def rag_text(rag: str | None) -> str:
    """Plain text for a RAG status: ``"✖ Red"``; ``"Not rated"`` when None."""
    return f"{RAG_SYMBOL[rag]} {rag}" if rag in RAG_SYMBOL else "Not rated"


def direction_badge(direction: str | None) -> str:
    """HTML for a direction of travel: arrow (hidden from screen readers) and words."""
    if not direction or direction not in DIRECTION_WORDS:
        direction = "not compared"
    symbol = DIRECTION_SYMBOL[direction]
    arrow = f'<span aria-hidden="true">{symbol}</span> ' if symbol else ""
    return (f'<span class="ehps-dot ehps-dot-{direction.replace(" ", "-")}">{arrow}'
            f"{DIRECTION_WORDS[direction]}</span>")


def comparison_badge(comparison: str | None) -> str:
    """HTML for a comparison with Kent, in words."""
    key = comparison if comparison in COMPARISON_WORDS else "not compared"
    return f'<span class="ehps-cmp ehps-cmp-{key.replace(" ", "-")}">{COMPARISON_WORDS[key]}</span>'


# -- title -----------------------------------------------------------------------------------------
def synthetic_banner_html() -> str:
    """The banner every page built from synthetic data carries (role ``note``)."""
    return (f'<div class="ehps-synthetic-banner" role="note" {SYNTHETIC_BANNER_ATTR}="">'
            f"<p><strong>{_e(SYNTHETIC_BANNER_TEXT)}</strong></p>"
            "<p>Every figure here comes from a synthetic extract made by the workspace's generator "
            "for testing and demonstration. It describes no real child, family or service.</p>"
            "</div>")


PRODUCT = "Early Help and Preventative Services scorecard"


def heading_block(area_name: str, product: str, period_line: str, extract_date: object, synthetic: bool) -> Block:
    """A paper's heading, shared by every template: "<area>: <product>", the period line, the
    extract date, and the synthetic-data banner when the data are synthetic."""
    title = f"{area_name}: {product}"
    parts = [f'<h1 class="ehps-title">{_e(title)}</h1>', f'<p class="ehps-period">{_e(period_line)}</p>']
    if extract_date:
        parts.append(f'<p class="ehps-extract">Data extracted on {_e(_long_date(extract_date))}.</p>')
    md = [f"# {title}", "", period_line]
    if synthetic:
        parts.append(synthetic_banner_html())
        md += ["", f"> **{SYNTHETIC_BANNER_TEXT}.** Every figure comes from a synthetic extract."]
    text = f"{title}\n{period_line}" + (f"\n{SYNTHETIC_BANNER_TEXT}" if synthetic else "")
    return Block(html=f'<div class="ehps-title-block">{"".join(parts)}</div>', markdown="\n".join(md),
                 text=text)


def title_block(data: ScorecardData, product: str = PRODUCT, period_line: str | None = None) -> Block:
    """The paper's heading: area and product, the period, and the synthetic-data banner if any."""
    return heading_block(data.area_name, product, period_line or data.period.title,
                         data.meta.get("extract_date"), data.synthetic)


def _long_date(value: object) -> str:
    d = dt.date.fromisoformat(str(value)[:10])
    return f"{d.day} {d:%B %Y}"


# -- summary table ---------------------------------------------------------------------------------
def _comparison_periods(p: Period) -> list[tuple[str, Period]]:
    word = {"month": "month", "quarter": "quarter", "year": "year"}[p.kind]
    return [(f"{_period_short(p)} (this {word})", p),
            (f"{_period_short(p.previous())} (previous {word})", p.previous()),
            (f"{_period_short(p.year_ago())} (a year earlier)", p.year_ago())]


def summary_table(data: ScorecardData) -> Block:
    """Each indicator (all ages) this period, the previous period, a year earlier, and Kent.

    The Kent column appears for districts and SCS areas only. Missing values show as
    ``n/a``, explained in a note under the table.
    """
    periods = _comparison_periods(data.period)
    columns = ["Indicator"] + [label for label, _ in periods]
    if not data.is_kent:
        columns.append(f"Kent, {_period_short(data.period)}")
    rows_html, rows_md, missing, suppressed = [], [], False, False
    for ind in data.indicators:
        shown = [data.cell(ind.id, p) for _, p in periods]
        if not data.is_kent:
            shown.append(data.cell(ind.id, data.period, area_code=KENT_CODE))
        missing = missing or NOT_AVAILABLE in shown
        suppressed = suppressed or SUPPRESSED in shown
        head = f'{_e(ind.title)} <span class="ehps-unit">({_e(_unit_words(ind).lower())})</span>'
        rows_html.append((head, shown))
        rows_md.append((f"{ind.title} ({_unit_words(ind).lower()})", shown))
    caption = (f"Scorecard summary for {data.area_name}, {data.period.title}: each indicator for all ages, "
               "with the previous period and the same period a year earlier"
               + ("" if data.is_kent else ", and Kent for comparison"))
    notes = _notes(missing, suppressed)
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, columns, rows_html)
    md = _table_markdown(caption, columns, rows_md) + "".join(f"\n{n}\n" for n in notes)
    return Block(html=f'<div class="ehps-table-wrap">{table}{note}</div>', markdown=md, text=caption)


def _notes(missing: bool, suppressed: bool) -> list[str]:
    notes = []
    if missing:
        notes.append(f"{NOT_AVAILABLE}: not available, because the period is before the start of the extract "
                     "or there were no cases to base a percentage on.")
    if suppressed:
        notes.append(f"{SUPPRESSED}: withheld to protect confidentiality (a small number, or a figure from "
                     "which one could be worked out).")
    return notes


# -- age bands -------------------------------------------------------------------------------------
def age_band_rows(data: ScorecardData) -> pd.DataFrame:
    """Notifications, rate per 10,000 and share of all notifications by age band (pure data).

    Returns one row per age band, then ``"Age not known or outside 0-17"`` when some
    notifications fall in no band (the engine's "unknown" band, suppressed like the others),
    then ``"All ages"``; columns ``age_band``, ``count``, ``rate``, ``share`` (percentage of
    all notifications) and ``suppressed``. A suppressed count has NaN count, rate and share.
    """
    r = data.results
    here = r[(r["area_code"] == data.area_code) & (r["period"] == data.period.label)
             & (r["indicator_id"] == AGE_BAND_COUNT)]
    order = [b.id for b in load_settings().age_bands]
    present = set(here["age_band"])
    bands = [b for b in order if b in present] + sorted(present - set(order) - {ALL_AGES, UNKNOWN_BAND})
    rows = []
    # The engine counts records with no band in their own "unknown" band, suppressed like any
    # other; it is shown only when it holds records (or is withheld).
    shown_unknown = UNKNOWN_BAND in present and (
        data.is_suppressed(AGE_BAND_COUNT, age_band=UNKNOWN_BAND)
        or (data.value(AGE_BAND_COUNT, age_band=UNKNOWN_BAND) or 0) > 0)
    for band in [*bands, *([UNKNOWN_BAND] if shown_unknown else []), ALL_AGES]:
        sup = (data.is_suppressed(AGE_BAND_COUNT, age_band=band)
               or (band != UNKNOWN_BAND and data.is_suppressed(AGE_BAND_RATE, age_band=band)))
        count = data.value(AGE_BAND_COUNT, age_band=band)
        rate = math.nan if band == UNKNOWN_BAND else data.value(AGE_BAND_RATE, age_band=band)
        label = "All ages" if band == ALL_AGES else UNKNOWN_AGE if band == UNKNOWN_BAND else band
        rows.append((label, count, rate, sup))
    out = pd.DataFrame(rows, columns=["age_band", "count", "rate", "suppressed"])
    total = out["count"].iloc[-1]
    share = out["count"] / total * 100 if pd.notna(total) and total > 0 else math.nan
    return out.assign(share=share)[["age_band", "count", "rate", "share", "suppressed"]]


def age_band_table(data: ScorecardData) -> Block:
    """Early Help Notifications by age band in the period: count, rate per 10,000 and share."""
    frame = age_band_rows(data)
    rate_unit = data.catalogue[AGE_BAND_RATE].per if AGE_BAND_RATE in data.catalogue else 10000
    columns = ["Age band", "Notifications", f"Per {rate_unit:,} children of that age",
               "Share of notifications"]
    rows = []
    for rec in frame.itertuples(index=False):
        label = f"Aged {rec.age_band}" if rec.age_band[0].isdigit() else rec.age_band
        if rec.suppressed:
            cells = [SUPPRESSED] * 3
        else:
            cells = [format_value(rec.count, "count"), format_value(rec.rate, "rate"),
                     format_value(rec.share, "%")]
        rows.append((label, cells))
    caption = f"Early Help Notifications received by age band, {data.area_name}, {data.period.title}"
    shown = [c for _, cells in rows for c in cells]
    notes = ["The 16+ rate is per 10,000 young people aged 16 and 17."]
    if NOT_AVAILABLE in shown:
        notes.append(f"{NOT_AVAILABLE}: not available (no population figure applies, or no notifications).")
    if SUPPRESSED in shown:
        notes.append(_notes(False, True)[0])
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, columns, [(_e(h), v) for h, v in rows])
    return Block(html=f'<div class="ehps-table-wrap">{table}{note}</div>',
                 markdown=_table_markdown(caption, columns, rows) + "".join(f"\n{n}\n" for n in notes),
                 text=caption)


# -- trend chart -----------------------------------------------------------------------------------
def _indicator(data: ScorecardData, indicator_id: str) -> Indicator:
    if indicator_id not in data.catalogue:
        known = ", ".join(sorted(data.catalogue))
        raise ScorecardError(f"Unknown indicator {indicator_id!r}; known: {known}")
    return data.catalogue[indicator_id]


def trend_series(data: ScorecardData, indicator_id: str, months: int = TREND_MONTHS) -> pd.DataFrame:
    """Monthly values (all ages) for the last ``months`` months to the end of the period.

    Returns columns ``month`` (Timestamp of the first day), the area's name and, for areas
    other than Kent, ``"Kent"``.
    """
    _indicator(data, indicator_id)
    r = data.results
    last = pd.Timestamp(data.period.month_starts()[-1])
    first = last - pd.DateOffset(months=months - 1)
    sel = r[(r["indicator_id"] == indicator_id) & (r["period_kind"] == "month") & (r["age_band"] == ALL_AGES)
            & (r["period_start"] >= first) & (r["period_start"] <= last)]
    codes = [data.area_code] + ([KENT_CODE] if compares_with_kent(data, indicator_id) else [])
    names = {data.area_code: data.area_name, KENT_CODE: KENT_NAME}
    wide = (sel[sel["area_code"].isin(codes)]
            .pivot_table(index="period_start", columns="area_code", values="value", aggfunc="first",
                         dropna=False)
            .reindex(columns=codes))
    wide.columns = [names[c] for c in wide.columns]
    return wide.rename_axis("month").reset_index().sort_values("month", ignore_index=True)


def compares_with_kent(data: ScorecardData, indicator_id: str) -> bool:
    """Whether a chart of ``indicator_id`` for this area shows Kent too: for districts and SCS
    areas, when the unit is a rate or a percentage. A count is not drawn beside Kent's,
    because the county's total, about ten times a district's, would flatten the area's line."""
    return not data.is_kent and data.catalogue[indicator_id].unit != "count"


def _describe(values: pd.Series, unit: str) -> str:
    known = values.dropna()
    if known.empty:
        return "with no values available"
    a, b = known.iloc[0], known.iloc[-1]
    fa, fb = format_value(a, unit), format_value(b, unit)
    if fa == fb:
        return f"unchanged at {fb}"
    return f"{'rising' if b > a else 'falling'} from {fa} to {fb}"


def _subject(ind: Indicator) -> str:
    """The indicator title as it reads inside a sentence."""
    t = ind.title
    return t if t.startswith("Early Help") else t[0].lower() + t[1:]


def trend_alt_text(data: ScorecardData, indicator_id: str, series: pd.DataFrame | None = None) -> str:
    """Alt text stating what the trend chart shows: measure, area, months and movement."""
    ind = _indicator(data, indicator_id)
    s = trend_series(data, indicator_id) if series is None else series
    if s.empty:
        return f"Line chart of monthly {_subject(ind)} in {data.area_name}: no monthly values available."
    span = f"{_month_words(s['month'].iloc[0])} to {_month_words(s['month'].iloc[-1])}"
    text = (f"Line chart of monthly {_subject(ind)} in {data.area_name}, {span}, "
            f"{_describe(s[data.area_name], ind.unit)}")
    if KENT_NAME in s.columns and data.area_code != KENT_CODE:
        text += f"; Kent {_describe(s[KENT_NAME], ind.unit)}"
    return text + "."


#: A clean, light grid style (like seaborn's "whitegrid") without importing seaborn, which
#: would add more than a second to every notebook's start.
CHART_STYLE = {
    "font.size": 10, "axes.edgecolor": "#b1b4b6", "axes.linewidth": 0.8, "axes.grid": True,
    "axes.axisbelow": True, "grid.color": "#dddddd", "grid.linewidth": 0.8, "axes.labelcolor": "#0b0c0c",
    "xtick.color": "#0b0c0c", "ytick.color": "#0b0c0c", "axes.spines.top": False, "axes.spines.right": False,
}


def trend_figure(data: ScorecardData, indicator_id: str, series: pd.DataFrame | None = None) -> Figure:
    """The trend chart as a matplotlib Figure (not attached to pyplot).

    The area is a dark blue solid line with circles; Kent an orange dashed line with
    squares, so that colour is never the only cue.
    """
    ind = _indicator(data, indicator_id)
    s = trend_series(data, indicator_id) if series is None else series
    styles = [(data.area_name, AREA_COLOUR, "-", "o")]
    if KENT_NAME in s.columns and data.area_code != KENT_CODE:
        styles.append((KENT_NAME, KENT_COLOUR, "--", "s"))
    with matplotlib.rc_context(CHART_STYLE):
        fig = Figure(figsize=(8, 3.6), layout="constrained")
        ax = fig.add_subplot()
        for name, colour, line, marker in styles:
            ax.plot(s["month"], s[name], color=colour, linestyle=line, marker=marker, markersize=5,
                    linewidth=2, label=name)
        ax.set_xlabel("Month")
        ax.set_ylabel(_unit_words(ind))
        ax.set_ylim(bottom=0, top=100 if ind.is_percentage else None)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncol=len(styles), frameon=False)
    return fig


def figure_to_svg(fig: Figure) -> str:
    """SVG text of a figure, deterministic (fixed ids, no date), then close the figure."""
    buf = _bytes_io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "ehps", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    _close(fig)
    return buf.getvalue().decode("utf-8")


def _close(fig: Figure) -> None:
    """Close ``fig`` in pyplot if pyplot manages it (figures from :func:`trend_figure` are not
    registered there, so this frees nothing more than dropping them, but callers may pass any)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def trend_chart(data: ScorecardData, indicator_id: str, heading_level: int | None = 3) -> Block:
    """A line chart of the last 24 months as an accessible ``<figure>``.

    The figure holds the chart as an SVG ``<img>`` with generated alt text, a
    ``<figcaption>`` and, inside ``<details>``, the same figures as a table. It is preceded
    by a heading with the indicator's title (level ``heading_level``; ``None`` for none), so
    that the notebook never repeats catalogue text.
    """
    ind = _indicator(data, indicator_id)
    s = trend_series(data, indicator_id)
    alt = trend_alt_text(data, indicator_id, s)
    svg = figure_to_svg(trend_figure(data, indicator_id, s))
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    names = [c for c in s.columns if c != "month"]
    span = f"{_month_words(s['month'].iloc[0])} to {_month_words(s['month'].iloc[-1])}" if len(s) else ""
    who = " and ".join(names)
    caption = f"{ind.title}, {who}, by month, {span}. Source: {ind.source}."
    rows = [(_e(_month_words(rec["month"])), [format_value(rec[n], ind.unit) for n in names])
            for _, rec in s.iterrows()]
    table = _table_html(f"{ind.title} by month, {who}, {span}", ["Month", *names], rows)
    heading = f"<h{heading_level}>{_e(ind.title)}</h{heading_level}>" if heading_level else ""
    body = (f'{heading}<figure class="ehps-figure"><img src="{uri}" alt="{_e(alt)}" width="800" height="360">'
            f"<figcaption>{_e(caption)}</figcaption>"
            '<details class="ehps-chart-data"><summary>Show the chart data as a table</summary>'
            f"{table}</details></figure>")
    return Block(html=body, text=alt, svg=svg)


# -- definitions -----------------------------------------------------------------------------------
def definitions(data: ScorecardData) -> Block:
    """The catalogue definitions of the indicators shown (title, definition, unit, data period,
    source and notes)."""
    from .indicators import DATA_PERIODS, POLARITIES

    parts, md = [], []
    for ind in data.indicators:
        fields = [("Definition", ind.definition), ("Unit", ind.unit),
                  ("Data period", DATA_PERIODS.get(ind.data_period, ind.data_period)),
                  ("Polarity", POLARITIES.get(ind.polarity, ind.polarity)),
                  ("Source", ind.source)]
        if ind.notes:
            fields.append(("Notes", ind.notes))
        items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in fields)
        parts.append(f'<section class="ehps-definition"><h3>{_e(ind.title)}</h3><dl>{items}</dl></section>')
        md += [f"### {ind.title}", ""] + [f"- **{k}:** {v}" for k, v in fields] + [""]
    return Block(html=f'<div class="ehps-definitions">{"".join(parts)}</div>', markdown="\n".join(md),
                 text="Indicator definitions")


__all__ = ["ScorecardData", "ScorecardError", "Block", "load_scorecard", "scorecard_from_results",
           "title_block", "summary_table", "age_band_table", "age_band_rows", "trend_chart", "trend_series",
           "trend_alt_text", "trend_figure", "figure_to_svg", "definitions", "format_value",
           "known_area_codes"]
