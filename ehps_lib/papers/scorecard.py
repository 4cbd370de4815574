"""Paper: the EHPS scorecard (``notebooks/scorecard.ipynb``), for Kent and each district.

Every indicator this period beside the previous period and a year ago (and Kent for a
district), notifications by age band, and two-year trend charts with alt text and a table.

Typical notebook use::

    from ehps_lib.papers import scorecard as paper
    sc = paper.load_scorecard("E07000106", "2016-17 Q2")
    paper.summary_table(sc)
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.figure import Figure

from ..config import load_settings
from ..geography import KENT_CODE, KENT_NAME
from ..indicators.catalogue import ALL_AGES
from .blocks import (
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _e,
    _month_words,
    _notes,
    _subject,
    _table_html,
    _unit_words,
    format_value,
)
from .charts import AREA_COLOUR, CHART_STYLE, KENT_COLOUR, responsive_img, too_few_points, too_few_text
from .scorecard_data import (
    ScorecardData,
    _indicator,
    load_scorecard,
)
from .sections import definitions, summary_table, title_block

#: Months shown in trend charts.
TREND_MONTHS = 24
#: Row label for notifications whose age falls in no band.
UNKNOWN_AGE = "Age not known or outside 0-17"
UNKNOWN_BAND = "unknown"  # ehps_lib.indicators.catalogue.UNKNOWN_AGE: the band id in the results
#: Catalogue indicator used for the age-band table (a count and a rate, both by age band).
AGE_BAND_COUNT, AGE_BAND_RATE = "ehn_received", "ehn_rate"






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
    return Block(html=f'<div class="ehps-table-wrap">{table}{note}</div>', text=caption)


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
    if len(known) == 1:
        return f"with one month published ({format_value(known.iloc[0], unit)})"
    a, b = known.iloc[0], known.iloc[-1]
    fa, fb = format_value(a, unit), format_value(b, unit)
    if fa == fb:
        return f"unchanged at {fb}"
    return f"{'rising' if b > a else 'falling'} from {fa} to {fb}"


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
    known = int(s[data.area_name].notna().sum()) if data.area_name in s.columns else 0
    if too_few_points(known, max(len(s), 1)):
        names = [c for c in s.columns if c != "month"]
        rows = [(_e(_month_words(rec["month"])), [format_value(rec[n], ind.unit) for n in names])
                for _, rec in s.iterrows()]
        heading = f"<h{heading_level}>{_e(ind.title)}</h{heading_level}>" if heading_level else ""
        text = too_few_text(data.area_name, known, len(s))
        table = _table_html(f"{ind.title} by month, {' and '.join(names)}", ["Month", *names], rows) if rows else ""
        return Block(html=f'{heading}<p class="ehps-sc-missing">{_e(text)}</p>'
                          f'<div class="ehps-table-wrap">{table}</div>', markdown=text, text=text)
    picture, svg = responsive_img(trend_figure(data, indicator_id, s), alt, 800, 360)
    names = [c for c in s.columns if c != "month"]
    span = f"{_month_words(s['month'].iloc[0])} to {_month_words(s['month'].iloc[-1])}" if len(s) else ""
    who = " and ".join(names)
    caption = f"{ind.title}, {who}, by month, {span}. Source: {ind.source}."
    rows = [(_e(_month_words(rec["month"])), [format_value(rec[n], ind.unit) for n in names])
            for _, rec in s.iterrows()]
    table = _table_html(f"{ind.title} by month, {who}, {span}", ["Month", *names], rows)
    heading = f"<h{heading_level}>{_e(ind.title)}</h{heading_level}>" if heading_level else ""
    body = (f'{heading}<figure class="ehps-figure">{picture}'
            f"<figcaption>{_e(caption)}</figcaption>"
            '<details class="ehps-chart-data"><summary>Show the chart data as a table</summary>'
            f"{table}</details></figure>")
    return Block(html=body, text=alt, svg=svg)


__all__ = [
    "load_scorecard", "definitions", "summary_table", "title_block", "age_band_table", "age_band_rows", "trend_chart",
    "trend_series", "trend_alt_text", "trend_figure"
]
