"""Paper: the district dashboard (``notebooks/district_dashboard.ipynb``), each of the 12 districts.

The CYPF District Dashboard columns (seed 004 lines 1791-1794, ``seeds-spec.md`` §1.3):
District figure | Kent figure | Comparison to Kent | Rank amongst districts | Movement since
last period, for the Early Help indicators and the CYPF indicators from public data; twelve-month
sparklines beside Kent; and the district's deprivation profile, gradient and map
(:mod:`ehps_lib.papers.needs`).

Every function except :func:`load_public` is pure.

Typical notebook use::

    from ehps_lib.papers import district_dashboard as paper
    sc = paper.load_scorecard("E07000106", "2016-17 Q4")
    paper.district_table(sc)
"""

from __future__ import annotations

import math

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.figure import Figure

from ..data import io
from ..geography import DISTRICTS, KENT_CODE, KENT_NAME
from ..indicators import stats
from ..indicators.catalogue import Indicator
from ..periods import Period
from . import cypf
from .blocks import (
    COMPARISON_WORDS,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _cell_notes,
    _dot_words,
    _e,
    _html_table,
    _notes_html,
    _subject,
    comparison_badge,
    direction_badge,
    format_value,
)
from .charts import (
    AREA_COLOUR,
    CHART_STYLE,
    KENT_COLOUR,
    _img,
    figure_to_svg,
    text_scale,
    too_few_points,
    too_few_text,
)
from .commentary import DISTRICT_SUMMARY, Commentary, _paragraphs, load_commentary
from .needs import from_scorecard, gradient_chart, imd_map, profile_table
from .scorecard_data import (
    ScorecardData,
    ScorecardError,
    _case_indicators,
    _get,
    _row,
    _unit_label,
    latest_month,
    load_scorecard,
)
from .sections import (
    definitions,
    title_block,
)

#: Months in the district dashboard's sparklines.
SPARKLINE_MONTHS = 12


# == district dashboard ============================================================================
def dashboard_title(data: ScorecardData) -> Block:
    """The district dashboard's heading."""
    return title_block(data, "Early Help district dashboard", data.period.title)


def dashboard_intro(data: ScorecardData) -> Block:
    """What the dashboard's columns mean, in plain words."""
    text = [
        f"For each indicator, the dashboard shows {data.area_name}'s figure for {data.period.title} beside "
        "Kent's, how it compares with Kent, its rank amongst the 12 Kent districts and its movement since "
        f"the last period (the previous {_kind_word(data.period)}; for annual public figures, the previous year).",
        "Comparison to Kent uses the 95% confidence interval of the district's figure: similar when the "
        "interval contains Kent's figure. Rank 1 is the best (for indicators where neither direction is "
        "better, the highest). Counts are neither compared nor ranked, because they depend on the size of "
        "the district.",
    ]
    return Block(html="".join(f"<p>{_e(t)}</p>" for t in text), text=text[0])


def _kind_word(p: Period) -> str:
    return {"month": "month", "quarter": "quarter", "year": "year"}[p.kind]


def _check_dashboard_area(data: ScorecardData) -> None:
    if data.is_kent:
        raise ScorecardError("The district dashboard compares an area with Kent: choose a district (e.g. "
                             "E07000106 for Canterbury) or an SCS area, not Kent itself.")


def _kent_comparison(row: dict, ind: Indicator) -> tuple[str, str]:
    """(words, html) of the published comparison with Kent: better, similar or worse for a
    judged indicator; higher, similar or lower (no judgement) where neither direction is better,
    as Fingertips compares them (Kent's value against the district's interval)."""
    published = _get(row, "compared_with_kent", stats.NOT_COMPARED)
    key = published if published in COMPARISON_WORDS else stats.NOT_COMPARED
    return COMPARISON_WORDS[key], comparison_badge(key)


def _rank_cell(row: dict, ind: Indicator) -> tuple[str, str | None]:
    """(text, reason when not ranked)."""
    rank, of = _get(row, "rank"), _get(row, "rank_of")
    if rank is not None and of is not None:
        return stats.rank_label(rank, int(of)), None
    if ind.unit == "count":
        return NOT_AVAILABLE, "count"
    if ind.is_average:
        return NOT_AVAILABLE, "average"
    return NOT_AVAILABLE, "missing"


_RANK_REASONS = {
    "count": "counts are not ranked, because they depend on the size of the district",
    "average": "averages are not ranked",
    "missing": "a figure that is withheld or not available is not ranked",
}


def district_rows(data: ScorecardData) -> pd.DataFrame:
    """The case-data rows of the district dashboard for the quarter (pure data): ``group``,
    ``indicator_id``, ``title``, ``district``, ``kent``, ``comparison``, ``rank``,
    ``rank_reason``, ``movement`` (direction since the previous quarter) and ``*_html`` twins."""
    _check_dashboard_area(data)
    out = []
    for ind in _case_indicators(data):
        row = _row(data, ind.id, data.period)
        cmp_text, cmp_html = _kent_comparison(row, ind)
        rank, reason = _rank_cell(row, ind)
        movement = _get(row, "direction_previous", stats.NOT_COMPARED)
        now, before = data.cell(ind.id), data.cell(ind.id, data.period.previous())
        out.append({"group": ind.group, "indicator_id": ind.id, "title": ind.title, "unit": _unit_label(ind),
                    "district": now, "kent": data.cell(ind.id, area_code=KENT_CODE),
                    "comparison": cmp_text, "comparison_html": cmp_html, "rank": rank, "rank_reason": reason,
                    "movement": movement, "movement_words": _dot_words(movement, ind.polarity, now, before),
                    "movement_html": direction_badge(movement, ind.polarity, now, before)})
    return pd.DataFrame(out)


_DASH_COLUMNS = ["Indicator", "District figure", "Kent figure", "Comparison to Kent", "Rank amongst districts",
                 "Movement since last period"]


def _dashboard_table(caption: str, frame: pd.DataFrame, group_label) -> str:
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in _DASH_COLUMNS) + "</tr>"
    bodies = []
    for group, part in frame.groupby("group", sort=False):
        trs = [f'<tr class="ehps-sc-section"><th scope="rowgroup" colspan="6">{_e(group_label(group))}</th></tr>']
        for r in part.itertuples(index=False):
            trs.append(f'<tr><th scope="row">{_e(r.title)} <span class="ehps-unit">({_e(r.unit)})</span></th>'
                       f"<td>{_e(r.district)}</td><td>{_e(r.kent)}</td><td>{r.comparison_html}</td>"
                       f"<td>{_e(r.rank)}</td><td>{r.movement_html}</td></tr>")
        bodies.append(f"<tbody>{''.join(trs)}</tbody>")
    return _html_table(caption, [head], "".join(bodies), "ehps-table ehps-sc-dashboard")


def district_table(data: ScorecardData) -> Block:
    """The CYPF District Dashboard columns for the Early Help indicators, by group, for the period."""
    frame = district_rows(data)
    caption = (f"{data.area_name} dashboard, {data.period.title}: each Early Help indicator beside Kent, with "
               f"the comparison, the rank amongst the 12 districts and the movement since the previous "
               f"{_kind_word(data.period)}")
    html = _dashboard_table(caption, frame, lambda g: g)
    notes = [f"{NOT_AVAILABLE} in the rank column: " + "; ".join(
        _RANK_REASONS[r] for r in ("count", "average", "missing") if r in set(frame["rank_reason"])) + "."]
    notes += [n for n in _cell_notes([*frame["district"], *frame["kent"]]) if not n.startswith(NOT_APPLICABLE)]
    if data.period.kind == "month":
        notes.append("Month figures: counts and rates are for the month; snapshots are at the month end; rolling "
                     "12 months to the month end.")
    else:
        notes.append("Quarter figures: counts and rates are for the three months together; snapshots are at the "
                     "quarter end; rolling 12 months to the quarter end.")
    notes.append(trend_note(data))
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>', text=caption)


def trend_note(data: ScorecardData) -> str:
    """The caption of the movement column: an untested two-point change; and which indicators
    changed significantly over the last five quarters (or months, for a monthly edition;
    Fingertips' recent trend)."""
    tested = []
    for ind in _case_indicators(data):
        trend = _get(_row(data, ind.id, data.period), "trend")
        if trend in (stats.TREND_INCREASING, stats.TREND_DECREASING):
            tested.append(f"{ind.title}: {stats.trend_words(trend, ind.polarity).lower()}")
    word = _kind_word(data.period)
    text = (f"Movement compares two {word}s only, without a statistical test: a change may be chance. Tested over "
            f"the last five {word}s (Fingertips' chi-squared test for trend at 99.8%, robust to leaving out any "
            f"one {word}): ")
    if tested:
        return text + "; ".join(tested) + ". The other indicators show no significant change or cannot be tested."
    return text + f"no indicator shows a significant change (or there are too few published {word}s to test)."


def load_public(data: ScorecardData) -> pd.DataFrame:
    """The published CYPF indicators from public data for the scorecard's period
    (``public.parquet`` beside the results)."""
    return io.read_results_table(io.results_slug_for(data.period), "public")


def public_year(public: pd.DataFrame, indicator_id: str, area_code: str, period: Period) -> str | None:
    """The latest year of ``indicator_id`` for ``area_code`` whose figures had been published by
    the end of ``period`` (:func:`ehps_lib.indicators.public.first_published`: a paper never shows
    figures released after its own period); None when there is none.

    Examples
    --------
    >>> pub = pd.DataFrame({"indicator_id": ["cypf_teenage_conceptions"] * 3, "area_code": ["A"] * 3,
    ...                     "period": ["2014", "2015", "2016"], "value": [1.0, 2.0, 3.0]})
    >>> [public_year(pub, "cypf_teenage_conceptions", "A", Period.parse(p)) for p in ("2016-17 Q4", "2016-17 Q3")]
    ['2015', '2014']
    """
    from ..indicators.public import first_published

    sel = public[(public["indicator_id"] == indicator_id) & (public["area_code"] == area_code)
                 & public["value"].notna()]
    years = sorted(int(y) for y in sel["period"]
                   if str(y).isdigit() and first_published(indicator_id, int(y)) <= period.end)
    return str(years[-1]) if years else None


def cypf_rows(data: ScorecardData, public: pd.DataFrame) -> pd.DataFrame:
    """Public CYPF indicators that have district figures, for the district, in the latest year
    that ended by the end of the period (pure data; same columns as :func:`district_rows`
    plus ``year``)."""
    _check_dashboard_area(data)
    out = []
    for ind in (c for c in data.catalogue.values() if c.is_public):
        year = public_year(public, ind.id, data.area_code, data.period)
        if year is None:
            continue
        pub = public[(public["indicator_id"] == ind.id) & (public["period"] == year)]
        here = pub[pub["area_code"] == data.area_code].iloc[0].to_dict()
        kent = pub[pub["area_code"] == KENT_CODE]
        ranked = pub[pub["area_code"].isin(DISTRICTS) & pub["rank"].notna()]
        rank = _get(here, "rank")
        cmp = _get(here, "compared_with_kent", stats.NOT_COMPARED)
        movement = _get(here, "direction_previous", stats.NOT_COMPARED)
        out.append({"group": ind.group, "indicator_id": ind.id, "title": f"{ind.title}, {year}", "year": year,
                    "unit": _unit_label(ind), "district": format_value(_get(here, "value", math.nan), ind.unit),
                    "kent": format_value(float(kent["value"].iloc[0]) if len(kent) else math.nan, ind.unit),
                    "comparison": COMPARISON_WORDS.get(cmp, COMPARISON_WORDS[stats.NOT_COMPARED]),
                    "comparison_html": comparison_badge(cmp),
                    "rank": stats.rank_label(rank, len(ranked)) if rank is not None else NOT_AVAILABLE,
                    "rank_reason": None if rank is not None else "missing",
                    "movement": movement, "movement_words": _dot_words(movement, ind.polarity),
                    "movement_html": direction_badge(movement, ind.polarity)})
    return pd.DataFrame(out, columns=["group", "indicator_id", "title", "year", "unit", "district", "kent",
                                      "comparison", "comparison_html", "rank", "rank_reason", "movement",
                                      "movement_words", "movement_html"])


def _outcome_label(group: str) -> str:
    return f"CYPF outcome: {group.removeprefix('CYPF: ')}" if group.startswith("CYPF: ") else group


def cypf_table(data: ScorecardData, public: pd.DataFrame) -> Block:
    """The CYPF indicators from public data with district figures (annual; the year is in each
    row), in the same columns, then the CYPF indicators that are Kent-only or have no data
    source yet."""
    frame = cypf_rows(data, public)
    parts = []
    if len(frame):
        caption = (f"{data.area_name}: Children and Young People's Framework (CYPF) indicators from public data, "
                   "latest calendar year ended by the end of the period, with the movement since the year before")
        html = _dashboard_table(caption, frame, _outcome_label)
        from ..indicators.public import EDITION, first_published

        notes = ["Sources: " + "; ".join(sorted({data.catalogue[i].source for i in frame["indicator_id"]})) + "."]
        notes += [f"{data.catalogue[i].title}: {y}, the latest year published by the end of the period (first "
                  f"published by {first_published(i, int(y)):%B %Y}); figures as in {EDITION.get(i, 'the source')}, "
                  "which may include later revisions." for i, y in zip(frame["indicator_id"], frame["year"],
                                                                        strict=True)]
        parts.append(f'<div class="ehps-table-wrap ehps-sc-cypf">{html}{_notes_html(notes)}</div>')
    else:
        parts.append("<p>No CYPF indicator from public data has a figure for this district up to this period.</p>")
    levels = cypf.district_rows(data, public, data.area_code)
    kent_only = levels[levels["level"] == "Kent only"]
    if len(kent_only):
        heading = "Published for Kent only, not by district"
        columns = ["CYPF indicator", "Measure", "Figure for", "Kent"]
        head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
        trs = "".join(f'<tr><th scope="row">{r.number}. {_e(r.name)}</th><td>{_e(r.measure)}</td>'
                      f"<td>{_e(r.when)}</td><td>{_e(r.kent)}</td></tr>" for r in kent_only.itertuples())
        caption = (f"CYPF indicators published for Kent only: Kent's latest figure published by "
                   f"{data.period.end:%d %B %Y}")
        notes = ["No district figure is published for these; the Kent figure is shown for context.",
                 "Sources: " + "; ".join(sorted({data.catalogue[i].source for i in kent_only["indicator_id"]})) + "."]
        parts.append(f"<h3>{_e(heading)}</h3>" + '<div class="ehps-table-wrap">'
                     + _html_table(caption, [head], f"<tbody>{trs}</tbody>", "ehps-table ehps-cypf-kent-only")
                     + _notes_html(notes)
                     + "</div>")
    no_figure = levels[levels["level"] == "none"]
    if len(no_figure):
        heading = "CYPF indicators with no data source yet, or no figure for this period"
        lis = "".join(f"<li><strong>{r.number}. {_e(r.name)}</strong> ({_e(r.measure)}): {_e(r.statement)}</li>"
                      for r in no_figure.itertuples())
        parts.append(f'<h3>{_e(heading)}</h3><ul class="ehps-sc-list">{lis}</ul>')
    return Block(html="".join(parts), text="CYPF indicators")


# -- commentary ----------------------------------------------------------------------------------
def district_commentary(data: ScorecardData, commentary: Commentary) -> Block | None:
    """What the analysts wrote for this district under ``districts:`` in the period's commentary
    file: a general summary, then one paragraph group per indicator, in catalogue order.

    Optional: None (nothing shown, no heading) when nothing was written for the district.
    """
    _check_dashboard_area(data)
    written = commentary.district(data.area_code)
    if not written:
        return None
    parts = ['<h2 id="district-commentary">Commentary</h2>']
    if DISTRICT_SUMMARY in written:
        parts.append(f'<div class="ehps-sc-commentary">{_paragraphs(written[DISTRICT_SUMMARY])}</div>')
    for ind_id, ind in data.catalogue.items():
        if ind_id in written:
            parts.append(f"<h3>{_e(ind.title)}</h3>"
                         f'<div class="ehps-sc-commentary">{_paragraphs(written[ind_id])}</div>')
    return Block(html=f'<section class="ehps-district-commentary">{"".join(parts)}</section>',
                 text=f"Commentary on {data.area_name}")


# -- sparklines -------------------------------------------------------------------------------------
def sparkline_indicators(data: ScorecardData) -> list[Indicator]:
    """Rates and percentages from case data: the ones drawn beside Kent."""
    return [ind for ind in _case_indicators(data) if ind.is_rate or ind.is_percentage]


def sparkline_series(data: ScorecardData, indicator_id: str, months: int = SPARKLINE_MONTHS) -> pd.DataFrame:
    """The last ``months`` months to the end of the period for the area and Kent: ``month``,
    ``area``, ``kent`` (values, NaN when withheld or missing) and ``area_cell``, ``kent_cell``
    (as printed)."""
    m = latest_month(data.period)
    out = []
    for i in range(months - 1, -1, -1):
        p = m.shift(-i)
        out.append({"month": pd.Timestamp(p.start),
                    "area": data.value(indicator_id, p), "kent": data.value(indicator_id, p, area_code=KENT_CODE),
                    "area_cell": data.cell(indicator_id, p), "kent_cell": data.cell(indicator_id, p,
                                                                                    area_code=KENT_CODE)})
    return pd.DataFrame(out)


def _movement_words(values: pd.Series, unit: str) -> str:
    known = values.dropna()
    if known.empty:
        return "no values available"
    if len(known) == 1:
        return f"one month published ({format_value(known.iloc[0], unit)})"
    a, b = format_value(known.iloc[0], unit), format_value(known.iloc[-1], unit)
    return f"unchanged at {b}" if a == b else f"{'rising' if known.iloc[-1] > known.iloc[0] else 'falling'} " \
                                              f"from {a} to {b}"


def sparkline_alt_text(data: ScorecardData, ind: Indicator, s: pd.DataFrame) -> str:
    span = f"{s['month'].iloc[0]:%B %Y} to {s['month'].iloc[-1]:%B %Y}"
    text = (f"Small line chart of monthly {_subject(ind)}, {span}: {data.area_name} "
            f"{_movement_words(s['area'], ind.unit)}; Kent {_movement_words(s['kent'], ind.unit)}.")
    withheld = int((s["area_cell"] == SUPPRESSED).sum())
    if withheld:
        text += f" {withheld} month{'s are' if withheld != 1 else ' is'} withheld for {data.area_name} (gaps)."
    return text


def _tick_format(ax, suffix: str):
    """A tick label function with as many decimals (0 to 2) as the ticks need to be told apart."""
    def fmt(v, _pos):
        ticks = ax.yaxis.get_majorticklocs()
        decimals = next((d for d in (0, 1) if all(abs(t - round(t, d)) < 1e-9 for t in ticks)), 2)
        return f"{v:,.{decimals}f}{suffix}"
    return fmt


def sparkline_figure(data: ScorecardData, ind: Indicator, s: pd.DataFrame) -> Figure:
    """One small multiple: the area (dark blue, solid, circles) and Kent (orange, dashed, squares)."""
    with matplotlib.rc_context({**CHART_STYLE, "font.size": 9}):
        # Fixed margins rather than constrained layout: twelve small multiples a paper, and the
        # labels (at most "100.0%") always fit.
        fig = Figure(figsize=(4.2, 1.9))
        fig.subplots_adjust(left=0.15, right=0.98, bottom=0.17, top=0.80)
        ax = fig.add_subplot()
        ax.plot(s["month"], s["area"], color=AREA_COLOUR, linestyle="-", marker="o", markersize=3.5, linewidth=1.8,
                label=data.area_name)
        ax.plot(s["month"], s["kent"], color=KENT_COLOUR, linestyle="--", marker="s", markersize=3.5,
                linewidth=1.6, label=KENT_NAME)
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %y"))
        ax.yaxis.set_major_locator(mticker.MaxNLocator(4))
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(_tick_format(ax, "%" if ind.is_percentage else "")))
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize=9,
                  handlelength=2.5)
    return fig


def sparklines(data: ScorecardData, months: int = SPARKLINE_MONTHS) -> Block:
    """Small multiples: the last ``months`` months of each rate and percentage for the area
    (dark blue, solid, circles) and Kent (orange, dashed, squares), each with alt text, a
    caption and its figures as a table."""
    figures = []
    for ind in sparkline_indicators(data):
        s = sparkline_series(data, ind.id, months)
        alt = sparkline_alt_text(data, ind, s)
        known = int(s["area"].notna().sum())
        rows = "".join(f'<tr><th scope="row">{rec.month:%b %Y}</th><td>{_e(rec.area_cell)}</td>'
                       f"<td>{_e(rec.kent_cell)}</td></tr>" for rec in s.itertuples(index=False))
        table = _html_table(f"{ind.title} by month, {data.area_name} and Kent",
                            [f'<tr><th scope="col">Month</th><th scope="col">{_e(data.area_name)}</th>'
                             '<th scope="col">Kent</th></tr>'], f"<tbody>{rows}</tbody>")
        if too_few_points(known, len(s)):
            figures.append(f'<div class="ehps-sc-spark ehps-sc-spark-none"><p><strong>{_e(ind.title)}</strong> '
                           f"({_e(_unit_label(ind))}). {_e(too_few_text(data.area_name, known, len(s)))}</p>"
                           f'<div class="ehps-table-wrap">{table}</div></div>')
            continue
        fig = sparkline_figure(data, ind, s)
        scale = text_scale(fig)
        svg = figure_to_svg(fig)
        figures.append(f'<figure class="ehps-figure ehps-sc-spark">{_img(svg, alt, 420, 190, scale)}'
                       f"<figcaption><strong>{_e(ind.title)}</strong> ({_e(_unit_label(ind))}), "
                       f"{s['month'].iloc[0]:%b %Y} to {s['month'].iloc[-1]:%b %Y}</figcaption>"
                       '<details class="ehps-chart-data"><summary>Show the figures as a table</summary>'
                       f"{table}</details></figure>")
    key = (f"Each small chart shows {data.area_name} as a dark blue solid line with circles and Kent as an "
           "orange dashed line with squares; a gap is a month withheld to protect confidentiality. Each chart's "
           "monthly figures are in the table with it (on the web page) and in the CSV files.")
    cells = [c for ind in sparkline_indicators(data) for c in sparkline_series(data, ind.id, months)["area_cell"]]
    notes = [n for n in _cell_notes(cells) if not n.startswith(NOT_APPLICABLE)]
    html = (f'<p class="ehps-sc-spark-key">{_e(key)}</p><div class="ehps-sc-sparks">{"".join(figures)}</div>'
            f"{_notes_html(notes)}")
    return Block(html=html, text=key)


__all__ = [
    "district_commentary", "load_commentary",
    "load_scorecard", "definitions", "from_scorecard", "gradient_chart", "imd_map", "profile_table",
    "dashboard_title", "dashboard_intro", "district_rows", "district_table", "load_public", "public_year",
    "cypf_rows", "cypf_table", "sparkline_series", "sparklines"
]
