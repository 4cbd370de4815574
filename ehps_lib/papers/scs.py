"""Blocks of the council's performance scorecard in the SCS format, shared by the county
scorecard paper and the Cabinet Committee paper (whose Appendix 1 is that scorecard).

The council's Specialist Children's Services scorecard format (seed 004 lines 3017-3290,
``seeds-spec.md`` §1.4) adapted to Early Help. The pack is quarterly but the council's
scorecard is monthly, so the *latest result* is the last month of the quarter, beside
"1 month ago", "1 year ago" and "Rolling 3 months" (the quarter's three months together).
Then the "Latest performance RAG rating" summary, an activity table by area and district,
and an exception report for every indicator rated Red, with the analysts' commentary
(:mod:`ehps_lib.papers.commentary`).

Every function is pure: it takes a :class:`~ehps_lib.papers.scorecard_data.ScorecardData`
(and a :class:`~ehps_lib.papers.commentary.Commentary`) and returns a
:class:`~ehps_lib.papers.blocks.Block` or a DataFrame.
"""

from __future__ import annotations

import datetime as dt

import matplotlib
import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..geography import KENT_CODE, KENT_NAME, SCS_AREA_CODES, SCS_AREAS, area_name
from ..indicators import stats
from ..indicators.catalogue import ALL_AGES, DATA_PERIODS, POLARITIES, Indicator
from ..periods import Period
from .blocks import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _cell_notes,
    _e,
    _html_table,
    _notes_html,
    _subject,
    direction_badge,
    format_value,
    rag_badge,
    rag_text,
    signed_change,
)
from .charts import CHART_STYLE, responsive_img
from .commentary import (
    Commentary,
    _commentary_html,
    _note_html,
    _owner_html,
    commentary_gaps,
    load_commentary,
)
from .scorecard_data import (
    ScorecardData,
    _case_indicators,
    _get,
    _month_name,
    _months_span,
    _row,
    latest_month,
    load_scorecard,
)
from .sections import (
    definitions,
    note_text,
    rag_bands_text,
    title_block,
)

NOT_RATED = "Not rated"
RAG_ORDER = (stats.GREEN, stats.AMBER, stats.RED, NOT_RATED)
#: Bar colours of the RAG summary chart: the badges' colours (badges.css).
RAG_COLOURS = {stats.GREEN: "#00703c", stats.AMBER: "#ffdd00", stats.RED: "#d4351c", NOT_RATED: "#ffffff"}
#: Data period codes as the council prints them (``month`` is ours: a calendar month's flow).
PERIOD_CODES = {"month": "M", "SS": "SS", "R12M": "R12M", "YTD": "YTD"}
TOLERANCE = {"H": "Higher values are better", "L": "Lower values are better",
             "T": "Values nearest the target are better", "N": "No judgement: neither higher nor lower is better"}
#: Points an XmR chart needs before its limits are more than trial limits (stats.xmr).
SPC_MIN_POINTS = 13

#: NHS Making Data Count colours, each with its own marker shape (never colour alone).
SPC_STYLE = {
    "common_cause": ("#a6a6a6", "o", "Common cause variation"),
    "improvement": ("#00b0f0", "D", "Special cause: improvement"),
    "concern": ("#e46c0a", "X", "Special cause: concern"),
    "neutral": ("#490092", "s", "Special cause: no judgement"),
}
SPC_TARGET_COLOUR = "#de1b1b"
#: The caption of every direction-of-travel arrow: a two-point change, not a test.
DIRECTION_CAVEAT = ("Direction of travel compares two figures only, without a statistical test: a change may be "
                    "chance. Where a change is tested, the paper says so (SPC, or the recent trend).")
SPC_RULE_WORDS = {
    "beyond_limit": "a point beyond a process limit",
    "trend": "7 points in a row rising or falling",
    "two_in_three": "2 of 3 points close to a process limit",
    "shift": "7 points in a row on one side of the mean",
}


def _target_cell(target, unit: str) -> str:
    if target is None or (not isinstance(target, list | tuple) and pd.isna(target)):
        return NOT_APPLICABLE
    if isinstance(target, list | tuple):
        return f"{format_value(float(target[0]), unit)} to {format_value(float(target[1]), unit)}"
    return format_value(float(target), unit)


def _num_cell(row: dict, column: str, ind: Indicator) -> str:
    """Numerator or denominator as printed: '-' for counts, 'c' when withheld."""
    if ind.unit == "count":
        return NOT_APPLICABLE
    v = _get(row, column)
    if v is None:
        return SUPPRESSED if row.get("suppressed") else NOT_AVAILABLE
    v = float(v)
    return f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"


# == county scorecard (SCS format) =================================================================
def county_title(data: ScorecardData) -> Block:
    """The county scorecard's heading, with the month shown as latest and the quarter."""
    m = latest_month(data.period)
    if data.period.kind == "month":
        line = f"{_month_name(m)} (monthly edition)"
    else:
        line = f"{_month_name(m)}, the last month of {data.period.title}"
    return title_block(data, "Early Help and Preventative Services performance scorecard", line)


def about_scorecard(data: ScorecardData) -> Block:
    """What the scorecard's columns mean for this period, in plain words."""
    m = latest_month(data.period)
    q = data.period
    three = Period(m.shift(-2).start, 3, "quarter")  # the three months to the latest month
    if q.kind == "month":
        first = (f"This is the monthly edition for {_month_name(m)}: the latest result is for {_month_name(m)}. "
                 f"“1 month ago” is {_month_name(m.previous())} and “1 year ago” is {_month_name(m.year_ago())}.")
        rolling = f"“Rolling 3 months” is {_months_span(three)}, the three months to {_month_name(m)} taken together."
    else:
        first = (f"This pack covers {q.title}. Like the council's performance scorecards, the scorecard is "
                 f"monthly: the latest result is for {_month_name(m)}, the last month of the quarter. "
                 f"“1 month ago” is {_month_name(m.previous())} and “1 year ago” is {_month_name(m.year_ago())}.")
        rolling = f"“Rolling 3 months” is {_months_span(q)}, the quarter's three months taken together."
    text = [
        first,
        f"{rolling} It is shown for percentages of monthly activity only; the other indicators show "
        f"“{NOT_APPLICABLE}”, as the "
        "council does for snapshot measures.",
        "Each result with a target is rated Green, Amber or Red against its target and minimum standard; "
        "indicators without a published target are not rated. In the direction of travel the arrow shows "
        "whether the result went up (▲) or down (▼) and the words whether that is better (improved) or worse; "
        "it compares two figures without a statistical "
        "test, so a small change may be chance. The SPC charts of the exception reports show which changes are "
        "more than common cause variation.",
    ]
    html = "".join(f"<p>{_e(t)}</p>" for t in text)
    return Block(html=f'<div class="ehps-sc-about">{html}</div>', text=text[0])


def _dot_cell(direction: str | None, polarity: str | None = None, now: str | None = None,
              before: str | None = None) -> str:
    return direction_badge(direction or stats.NOT_COMPARED, polarity, now, before)


def _rolling_cell(data: ScorecardData, ind: Indicator, row: dict, month: Period) -> tuple[str, str]:
    """(text, html) of the rolling three months: percentages only."""
    if not ind.is_percentage:
        return NOT_APPLICABLE, NOT_APPLICABLE
    value = _get(row, "rolling3_value")
    if value is None:
        months = [month.shift(-i) for i in range(3)]
        if any(data.is_suppressed(ind.id, m) for m in months):
            return SUPPRESSED, SUPPRESSED
        return NOT_AVAILABLE, NOT_AVAILABLE
    text = format_value(float(value), ind.unit)
    rag = _get(row, "rolling3_rag")
    return (f"{text} {rag_text(rag)}" if rag else text,
            f'<span class="ehps-sc-value">{_e(text)}</span> {rag_badge(rag)}' if rag else _e(text))


def scs_rows(data: ScorecardData) -> pd.DataFrame:
    """One row per case-data indicator in the council's SCS scorecard format (pure data).

    Columns: ``id`` (1..n in catalogue order), ``indicator_id``, ``group``, ``title``,
    ``polarity``, ``data_period`` (code), ``result`` (formatted), ``rag`` (Green/Amber/Red
    or None), ``numerator``, ``denominator``, ``target``, ``month_ago``,
    ``direction_month_ago``, ``year_ago``, ``direction_year_ago``, ``rolling3`` and
    ``rolling3_rag``; plus ``*_html`` twins of the cells that carry badges.
    """
    m = latest_month(data.period)
    out = []
    for n, ind in enumerate(_case_indicators(data), start=1):
        row = _row(data, ind.id, m)
        result = data.cell(ind.id, m)
        rag = _get(row, "rag")
        d_month = _get(row, "direction_previous", stats.NOT_COMPARED)
        d_year = _get(row, "direction_year_ago", stats.NOT_COMPARED)
        roll_text, roll_html = _rolling_cell(data, ind, row, m)
        target = _get(row, "target") if row else (
            ind.target if data.is_kent or ind.target_scope != "county" else None)
        out.append({
            "id": n, "indicator_id": ind.id, "group": ind.group, "title": ind.title,
            "polarity": ind.polarity, "data_period": PERIOD_CODES.get(ind.data_period, ind.data_period),
            "result": result, "rag": rag,
            "result_text": f"{result} {rag_text(rag)}" if rag else result,
            "result_html": (f'<span class="ehps-sc-value">{_e(result)}</span> {rag_badge(rag)}' if rag
                            else _e(result)),
            "numerator": _num_cell(row, "numerator", ind), "denominator": _num_cell(row, "denominator", ind),
            "target": _target_cell(target, ind.unit),
            "month_ago": data.cell(ind.id, m.previous()), "direction_month_ago": d_month,
            "year_ago": data.cell(ind.id, m.year_ago()), "direction_year_ago": d_year,
            "rolling3": roll_text, "rolling3_html": roll_html, "rolling3_rag": _get(row, "rolling3_rag"),
        })
    return pd.DataFrame(out)


def scs_table(data: ScorecardData) -> Block:
    """The scorecard table in the council's SCS format, with section rows by indicator group.

    Two header rows, as the council prints them: the latest month (result and RAG,
    numerator, denominator, target), 1 month ago and 1 year ago (result, direction of
    travel), and the rolling three months with its RAG.
    """
    rows = scs_rows(data)
    m = latest_month(data.period)
    latest = f"Latest result: {_month_name(m)}"
    month_ago = f"1 month ago: {_month_name(m.previous())}"
    year_ago = f"1 year ago: {_month_name(m.year_ago())}"
    q = data.period
    rolling = (f"Rolling 3 months and RAG: {q.start:%b} to {q.end:%b %Y}" if q.months > 1
               else f"Rolling 3 months and RAG: {m.shift(-2).start:%b} to {m.end:%b %Y}")
    head1 = ('<tr><th scope="col" rowspan="2">ID</th><th scope="col" rowspan="2">Indicator</th>'
             '<th scope="col" rowspan="2">Polarity</th><th scope="col" rowspan="2">Data period</th>'
             f'<th scope="colgroup" colspan="4">{_e(latest)}</th>'
             f'<th scope="colgroup" colspan="2">{_e(month_ago)}</th>'
             f'<th scope="colgroup" colspan="2">{_e(year_ago)}</th>'
             f'<th scope="col" rowspan="2">{_e(rolling)}</th></tr>')
    head2 = ('<tr><th scope="col">Result and RAG</th><th scope="col">Numerator</th>'
             '<th scope="col">Denominator</th><th scope="col">Target</th>'
             '<th scope="col">Result</th><th scope="col">Direction of travel</th>'
             '<th scope="col">Result</th><th scope="col">Direction of travel</th></tr>')
    # One <col> per column: a <colgroup span="4"> without <col> elements counts as one column to
    # Pandoc's HTML reader (which Quarto uses on HTML tables), and the table lost 8 of its 13 columns.
    colgroups = ("<colgroup><col></colgroup>" * 4 + "<colgroup>" + "<col>" * 4 + "</colgroup>"
                 + ("<colgroup>" + "<col>" * 2 + "</colgroup>") * 2 + "<colgroup><col></colgroup>")
    bodies = []
    for group, part in rows.groupby("group", sort=False):
        trs = [f'<tr class="ehps-sc-section"><th scope="rowgroup" colspan="13">{_e(group)}</th></tr>']
        for r in part.itertuples(index=False):
            cells = [r.polarity, r.data_period, r.result_html, _e(r.numerator), _e(r.denominator), _e(r.target),
                     _e(r.month_ago), _dot_cell(r.direction_month_ago, r.polarity, r.result, r.month_ago),
                     _e(r.year_ago), _dot_cell(r.direction_year_ago, r.polarity, r.result, r.year_ago),
                     r.rolling3_html]
            # "3." not "3": the site's disclosure scan reads PDF text as prose, where an ID before a
            # title such as "Notifications ..." would look like a small count ("3 Notifications").
            trs.append(f'<tr><td class="ehps-sc-id">{r.id}.</td><th scope="row">{_e(r.title)}</th>'
                       + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        bodies.append(f"<tbody>{''.join(trs)}</tbody>")
    caption = (f"Scorecard for {data.area_name}, {_month_name(m)} (the last month of {data.period.label}): "
               "each Early Help indicator's latest result and RAG rating, a month and a year earlier, "
               "and the rolling three months")
    return scorecard_block(caption, [head1, head2], bodies, colgroups, rows)


def scorecard_block(caption: str, heads: list[str], bodies: list[str], colgroups: str, rows: pd.DataFrame) -> Block:
    """A scorecard's table (the landscape layout) with the notes on its cells (``rows``: the
    rows of :func:`scs_rows` it shows), as one block."""
    table = _html_table(caption, heads, "".join(bodies), "ehps-table ehps-sc-table", colgroups)
    notes = _cell_notes([*rows["result"], *rows["month_ago"], *rows["year_ago"], *rows["rolling3"],
                         *rows["numerator"], *rows["denominator"]])
    return Block(html=f'<div class="ehps-table-wrap ehps-sc-landscape">{table}{_notes_html(notes)}</div>',
                 text=caption)


def scorecard_legend(data: ScorecardData, level: int = 3) -> Block:
    """The key to the scorecard: polarity and data period codes, RAG rules and arrows (each
    under a heading of ``level``)."""
    present = {ind.polarity for ind in _case_indicators(data)} | {"H", "L"}
    polarity = [(code, words) for code, words in POLARITIES.items() if code in present]
    periods = [(PERIOD_CODES[k], v) for k, v in DATA_PERIODS.items()]
    period_words = {"M": "Calendar month: the activity in the month",
                    "SS": "Snapshot: taken at the end of the month",
                    "R12M": "Rolling 12 months: the 12 months to the end of the month",
                    "YTD": "Year to date: from April to the end of the month"}
    rag = [(rag_badge(stats.GREEN), "Target achieved or exceeded"),
           (rag_badge(stats.AMBER), "Below target but at or above the minimum standard"),
           (rag_badge(stats.RED), "Below the minimum standard"),
           (rag_badge(None), "No target has been published, or there is no result to rate")]
    arrows = [(direction_badge(d, pol), w) for d, pol, w in (
        (stats.IMPROVED, "H", "The result went up, and higher is better"),
        (stats.IMPROVED, "L", "The result went down, and lower is better"),
        (stats.WORSE, "L", "The result went up, and lower is better"),
        (stats.WORSE, "H", "The result went down, and higher is better"),
        (stats.NO_CHANGE, None, "The same result as printed"),
        (stats.HIGHER, None, "Went up, where neither direction is better"))]

    def dl(title: str, items: list[tuple[str, str]], raw: bool = False) -> str:
        body = "".join(f"<dt>{k if raw else _e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
        return f'<div class="ehps-sc-key"><h{level}>{_e(title)}</h{level}><dl>{body}</dl></div>'

    html = (dl("Polarity", polarity)
            + dl("Data period", [(code, period_words.get(code, words)) for code, words in periods])
            + dl("RAG rating", rag, raw=True) + dl("Direction of travel", arrows, raw=True)
            + f'<p class="ehps-sc-key-note">{_e(DIRECTION_CAVEAT)}</p>')
    return Block(html=f'<div class="ehps-sc-legend">{html}</div>', text="Key to the scorecard")


# -- RAG summary ------------------------------------------------------------------------------------
def rag_counts(data: ScorecardData) -> dict[str, int]:
    """How many case-data indicators are Green, Amber, Red and not rated in the latest month."""
    counts = dict.fromkeys(RAG_ORDER, 0)
    for rag in scs_rows(data)["rag"] if _case_indicators(data) else []:
        counts[rag if rag in counts else NOT_RATED] += 1
    return counts


def rag_sentence(counts: dict[str, int]) -> str:
    """The summary sentence under the RAG chart.

    Examples
    --------
    >>> rag_sentence({"Green": 0, "Amber": 2, "Red": 1, "Not rated": 13})
    'Of the 3 rated indicators, 0 are Green, 2 Amber and 1 Red. Exception reports follow for the Red indicator.'
    >>> rag_sentence({"Green": 1, "Amber": 0, "Red": 0, "Not rated": 0}).split(". ")  # doctest: +NORMALIZE_WHITESPACE
    ['Of the 1 rated indicator, 1 is Green, 0 Amber and 0 Red',
     'No indicator is rated Red, so there are no exception reports.']
    """
    g, a, r = (counts.get(k, 0) for k in (stats.GREEN, stats.AMBER, stats.RED))
    rated = g + a + r
    if rated == 0:
        return "No indicator is rated: none has a target and a result. There are no exception reports."
    text = (f"Of the {rated} rated indicator{'s' if rated != 1 else ''}, {g} {'is' if g == 1 else 'are'} Green, "
            f"{a} Amber and {r} Red.")
    if r == 0:
        return text + " No indicator is rated Red, so there are no exception reports."
    if r == 1:
        return text + " Exception reports follow for the Red indicator."
    return text + f" Exception reports follow for the {r} Red indicators."


def rag_alt_text(data: ScorecardData, counts: dict[str, int]) -> str:
    m = latest_month(data.period)
    return (f"Bar chart of the latest performance RAG ratings for {data.area_name}, {_month_name(m)}: "
            f"{counts[stats.GREEN]} Green, {counts[stats.AMBER]} Amber, {counts[stats.RED]} Red and "
            f"{counts[NOT_RATED]} not rated.")


def rag_figure(counts: dict[str, int]) -> Figure:
    """Horizontal bars of the RAG counts: each bar labelled with its word and its number."""
    labels = list(RAG_ORDER)
    values = [counts[k] for k in labels]
    with matplotlib.rc_context({**CHART_STYLE, "axes.grid": False}):
        fig = Figure(figsize=(6.4, 2.2), layout="constrained")
        ax = fig.add_subplot()
        y = list(range(len(labels)))[::-1]
        ax.barh(y, values, color=[RAG_COLOURS[k] for k in labels], edgecolor="#0b0c0c", linewidth=1,
                hatch=[None, None, None, "//"], height=0.7)
        ax.set_yticks(y, [f"{k}" for k in labels])
        top = max(values + [1])
        for yi, v in zip(y, values, strict=True):
            ax.text(v + top * 0.02, yi, f"{v}", va="center", ha="left", fontsize=11, fontweight="bold",
                    color="#0b0c0c")
        ax.set_xlim(0, top * 1.15)
        ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        ax.set_xlabel("Number of indicators")
    return fig


def rag_summary(data: ScorecardData) -> Block:
    """The "Latest performance RAG rating": a bar chart (with alt text), the counts as a table,
    and a sentence saying how many are rated and what follows."""
    counts = rag_counts(data)
    m = latest_month(data.period)
    sentence = rag_sentence(counts)
    alt = rag_alt_text(data, counts)
    picture, svg = responsive_img(rag_figure(counts), alt, 640, 220)
    caption = f"Latest performance RAG rating, {data.area_name}, {_month_name(m)}"
    rows = "".join(f'<tr><th scope="row">{rag_badge(k if k != NOT_RATED else None)}</th><td>{counts[k]}</td></tr>'
                   for k in RAG_ORDER)
    table = _html_table(caption, ['<tr><th scope="col">RAG rating</th><th scope="col">Indicators</th></tr>'],
                        f"<tbody>{rows}</tbody>", "ehps-table ehps-sc-rag-table")
    html = (f'<div class="ehps-sc-rag-summary"><p class="ehps-sc-rag-sentence">{_e(sentence)}</p>'
            f'<figure class="ehps-figure ehps-sc-rag-figure"><div class="ehps-sc-rag-body">'
            f'<div class="ehps-sc-rag-chart">{picture}</div>'
            f'<div class="ehps-sc-rag-tablecol"><div class="ehps-table-wrap">{table}</div></div></div>'
            f"<figcaption>{_e(caption)}: number of indicators by rating, as a chart and as a table.</figcaption>"
            "</figure></div>")
    return Block(html=html, text=sentence)


# -- activity table ----------------------------------------------------------------------------------
ACTIVITY_COLUMNS = ("cases_open", "cases_open_last_month", "cases_open_change", "notifications", "cases_closed",
                    "step_ups", "step_downs")
_ACTIVITY_SOURCES = {"notifications": "ehn_received", "cases_closed": "cases_closed", "step_ups": "step_ups",
                     "step_downs": "step_downs"}


def activity_areas(on: dt.date | None = None) -> list[tuple[str, str, int]]:
    """(code, name, level) in the order of the council's activity table: Kent (level 0), then
    each SCS area (1) followed by its districts (2)."""
    out = [(KENT_CODE, KENT_NAME, 0)]
    for code, name in SCS_AREA_CODES.items():
        out.append((code, name, 1))
        out += [(d, area_name(d, on), 2) for d in SCS_AREAS[name]]
    return out


def activity_rows(data: ScorecardData) -> pd.DataFrame:
    """The activity table as printed (pure data): one row per area, cells as text.

    Columns: ``area_code``, ``area``, ``level`` and :data:`ACTIVITY_COLUMNS`: cases open at
    the end of the latest month and of the month before, the signed change, and the
    notifications, closures, step-ups and step-downs in the latest month. Withheld counts
    are ``c``, and so is a change that involves one.
    """
    m = latest_month(data.period)
    prev = m.previous()
    out = []
    for code, name, level in activity_areas(m.end):
        rec = {"area_code": code, "area": name, "level": level}
        now_v, prev_v = (data.value("cases_open", p, area_code=code) for p in (m, prev))
        now_s, prev_s = (data.is_suppressed("cases_open", p, area_code=code) for p in (m, prev))
        rec["cases_open"] = data.cell("cases_open", m, area_code=code)
        rec["cases_open_last_month"] = data.cell("cases_open", prev, area_code=code)
        rec["cases_open_change"] = signed_change(now_v, prev_v, now_suppressed=now_s, before_suppressed=prev_s)
        for column, ind in _ACTIVITY_SOURCES.items():
            rec[column] = data.cell(ind, m, area_code=code) if ind in data.catalogue else NOT_AVAILABLE
        out.append(rec)
    return pd.DataFrame(out)


def activity_table(data: ScorecardData) -> Block:
    """Early Help activity by SCS area and district, adapted from the council's SCS Activity table."""
    frame = activity_rows(data)
    m = latest_month(data.period)
    this_m, last_m = _month_name(m), _month_name(m.previous())
    # One header row (the council's "Caseloads - This month | - Last month | - Change" written out),
    # so that every column has its own header in the page and in the table's CSV download.
    heads = ["Area", f"Cases open: this month (end of {this_m})", f"Cases open: last month (end of {last_m})",
             "Change in cases open", f"Notifications received in {this_m}", f"Cases closed in {this_m}",
             f"Cases stepped up to SCS in {this_m}", f"Cases stepped down from SCS in {this_m}"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr>"
    parent = ""
    trs = []
    for r in frame.itertuples(index=False):
        if r.level == 1:
            parent = r.area
        hidden = f'<span class="ehps-visually-hidden"> ({_e(parent)})</span>' if r.level == 2 else ""
        cells = "".join(f"<td>{_e(getattr(r, c))}</td>" for c in ACTIVITY_COLUMNS)
        trs.append(f'<tr class="ehps-sc-level{r.level}"><th scope="row">{_e(r.area)}{hidden}</th>{cells}</tr>')
    caption = (f"Early Help activity by area and district, {this_m}: cases open this month and last month, "
               "and the month's notifications, closures, step-ups and step-downs")
    table = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-sc-activity")
    cells = [getattr(r, c) for r in frame.itertuples(index=False) for c in ACTIVITY_COLUMNS]
    notes = ["SCS: Specialist Children's Services. North Kent is Dartford, Gravesham and Sevenoaks; East Kent "
             "Canterbury, Swale and Thanet; South Kent Ashford, Dover and "
             f"{area_name('E07000112', data.period.end)}; West Kent Maidstone, Tonbridge and Malling and "
             "Tunbridge Wells (district names as at the end of the period)."]
    notes += [n for n in _cell_notes(cells) if not n.startswith(NOT_APPLICABLE)]
    if SUPPRESSED in cells:
        notes.append("A change is withheld (c) when either month's count is withheld.")
    return Block(html=f'<div class="ehps-table-wrap">{table}{_notes_html(notes)}</div>', text=caption)


# -- exception reports ---------------------------------------------------------------------------------
def rated(data: ScorecardData, rag: str) -> list[Indicator]:
    """Case-data indicators whose latest-month RAG (for the scorecard's area) is ``rag``."""
    m = latest_month(data.period)
    return [ind for ind in _case_indicators(data) if _get(_row(data, ind.id, m), "rag") == rag]


def red_indicators(data: ScorecardData) -> list[Indicator]:
    """The indicators that need an exception report: rated Red in the latest month."""
    return rated(data, stats.RED)


def data_period_text(ind: Indicator, month: Period) -> str:
    """The council's "Data:" note for an indicator's data period, for the month shown.

    Examples
    --------
    >>> from ehps_lib.indicators.catalogue import load_catalogue
    >>> text = data_period_text(load_catalogue()["step_downs_r12m"], Period.parse("2017-03"))
    >>> text.split(". ")  # doctest: +NORMALIZE_WHITESPACE
    ['Figures shown are based on a rolling 12 month period',
     'The result for March 2017 for example shows performance for April 2016 to March 2017.']
    """
    m = _month_name(month)
    if ind.data_period == "R12M":
        first = month.shift(-11)
        return (f"Figures shown are based on a rolling 12 month period. The result for {m} for example shows "
                f"performance for {_month_name(first)} to {m}.")
    if ind.data_period == "SS":
        return "Figures shown are based on a snapshot taken at the end of each calendar month."
    if ind.data_period == "YTD":
        fy = Period.parse(f"FY{month.financial_year_label}")
        return (f"Figures shown are year to date (from April). The result for {m} for example shows performance "
                f"for {_month_name(Period.month(fy.start.year, fy.start.month))} to {m}.")
    return f"Figures shown are for each calendar month. The result for {m} shows the activity in {m}."


def data_notes(ind: Indicator, month: Period, trend: str | None = None) -> list[tuple[str, str]]:
    """The exception report's data notes as (label, text): target and bands, tolerance,
    data period, source, the recent trend (when given: the results' ``trend`` of the month) and
    the catalogue's notes."""
    target_line = rag_bands_text(ind)
    notes = [("Target", target_line.removeprefix("Target: ")),
             ("Tolerance", TOLERANCE[ind.polarity]),
             ("Data", data_period_text(ind, month)),
             ("Data source", ind.source)]
    if trend is not None:
        notes.append(("Recent trend", f"{stats.trend_words(trend, ind.polarity)} over the last five months "
                      "(Fingertips' chi-squared test for trend at 99.8%)" if trend != stats.CANNOT_CALCULATE else
                      "Cannot be calculated (fewer than five consecutive published months, or no interval)"))
    if ind.notes:
        notes.append(("Notes", note_text(ind)))
    return notes


def spc_indicator(data: ScorecardData, indicator_id: str) -> Indicator | None:
    """The indicator whose monthly values the SPC chart of ``indicator_id`` shows: itself for a
    monthly flow, its ``spc_from`` flow for a rolling indicator, None for a snapshot (no chart)."""
    ind = data.catalogue[indicator_id]
    if ind.data_period == "month":
        return ind
    if ind.spc_from and ind.spc_from in data.catalogue:
        return data.catalogue[ind.spc_from]
    return None


def spc_series(data: ScorecardData, indicator_id: str, area_code: str | None = None) -> pd.DataFrame:
    """The published monthly series of an indicator up to the latest month, with its XmR
    columns (``month``, ``value``, ``suppressed``, ``spc_mean``, ``spc_lpl``, ``spc_upl``,
    ``spc_point_type``, ``spc_rule``, ``spc_variation``, ``spc_assurance``, ``spc_points``,
    ``spc_baseline``, ``spc_phase_start``, ``spc_trial``, ``spc_missing``, ``spc_note``,
    ``target``, ``floor``).

    Withheld months stay in the series with no value: the chart leaves a gap there, and the
    limits in the results were computed without them (no moving range spans a gap)."""
    m = latest_month(data.period)
    r = data.results
    sel = r[(r["indicator_id"] == indicator_id) & (r["area_code"] == (area_code or data.area_code))
            & (r["period_kind"] == "month") & (r["age_band"] == ALL_AGES)
            & (r["period_start"] <= pd.Timestamp(m.start))]
    sel = sel.sort_values("period_start")
    present = sel["value"].notna() | sel.get("suppressed", pd.Series(False, index=sel.index)).fillna(False).astype(bool)
    if present.any():
        sel = sel.loc[present.idxmax():]  # from the first month with a figure (published or withheld)
    cols = ["period_start", "value", "suppressed", "spc_mean", "spc_lpl", "spc_upl", "spc_point_type", "spc_rule",
            "spc_variation", "spc_assurance", "spc_points", "spc_baseline", "spc_phase_start", "spc_trial",
            "spc_missing", "spc_note", "target", "floor"]
    for c in cols:
        if c not in sel.columns:
            sel = sel.assign(**{c: None})
    return sel[cols].rename(columns={"period_start": "month"}).reset_index(drop=True)


def _spc_kind(point_type: str | None) -> str:
    if not point_type or point_type == "common_cause":
        return "common_cause"
    return point_type.split("_")[0]


def _last(series: pd.DataFrame, column: str):
    return _get(series.iloc[-1].to_dict(), column) if len(series) else None


def _charted(series: pd.DataFrame) -> bool:
    return len(series) >= 2 and series["spc_mean"].notna().any() and pd.notna(series["spc_mean"].iloc[-1])


def spc_not_charted(data: ScorecardData, ind: Indicator, series: pd.DataFrame | None) -> str:
    """Why there is no SPC chart, in a sentence."""
    who = data.area_name
    if series is None:
        note = NOT_CHARTED_SNAPSHOT
        return f"No SPC chart of {_subject(ind)} in {who}: {note}."
    note = _last(series, "spc_note") if len(series) else None
    if not note:
        note = "fewer than two published months"
    return f"No SPC chart of {_subject(ind)} in {who}: {str(note).removeprefix('not charted: ')}."


#: Why a snapshot measure has no SPC chart (the results' ``spc_note`` in words).
NOT_CHARTED_SNAPSHOT = ("it is a snapshot at the end of each month, and consecutive snapshots share most of their "
                        "cases, so runs and shifts in them would not signal a change")


def _baseline_words(series: pd.DataFrame) -> str:
    phase = _last(series, "spc_phase_start")
    n_base = _last(series, "spc_baseline")
    n_points = _last(series, "spc_points")
    start = pd.Timestamp(f"{phase}-01") if phase else series["month"].iloc[0]
    if n_base and n_points and int(n_base) < int(n_points):
        words = f"limits from the first {int(n_base)} published months from {start:%B %Y}, fixed afterwards"
    elif n_base:
        words = f"limits from all {int(n_base)} published months from {start:%B %Y}"
    else:
        words = "limits from every published month"
    if phase and pd.Timestamp(f"{phase}-01") > series["month"].iloc[0]:
        words += f" (rebased in {start:%B %Y} at a known change)"
    return words


def spc_alt_text(data: ScorecardData, ind: Indicator, series: pd.DataFrame) -> str:
    """Alt text of the SPC chart: measure, area, months, limits and their baseline, target,
    variation and assurance, withheld months and the trial-limits warning."""
    who = data.area_name
    if not _charted(series):
        return spc_not_charted(data, ind, series)
    u = ind.unit
    shown = series[series["value"].notna()]
    span = f"{series['month'].iloc[0]:%B %Y} to {series['month'].iloc[-1]:%B %Y}"
    n = int(_last(series, "spc_points") or len(shown))
    text = (f"XmR (SPC) chart of monthly {_subject(ind)} in {who}, {span} ({len(shown)} published months): mean "
            f"{format_value(_last(series, 'spc_mean'), u)}, process limits "
            f"{format_value(_last(series, 'spc_lpl'), u)} to {format_value(_last(series, 'spc_upl'), u)}, "
            f"{_baseline_words(series)}")
    target = _last(series, "target")
    if target is not None and ind.polarity in ("H", "L"):
        text += f"; target {format_value(target, u)}"
        floor = _last(series, "floor")
        if floor is not None:
            text += f", minimum standard {format_value(floor, u)}"
    text += f". Latest point, {series['month'].iloc[-1]:%B %Y}, {format_value(series['value'].iloc[-1], u)}."
    variation = _last(series, "spc_variation")
    if variation in stats.VARIATION_TEXT:
        text += f" {stats.VARIATION_TEXT[variation]}."
    assurance = _last(series, "spc_assurance")
    if assurance in stats.ASSURANCE_TEXT:
        text += f" Assurance: {stats.ASSURANCE_TEXT[assurance]}."
    special = int((shown["spc_point_type"].fillna("common_cause") != "common_cause").sum())
    text += f" {special} of the {len(shown)} points show special cause variation."
    missing = int(series["value"].isna().sum())
    if missing:
        text += (f" {missing} month{'s are' if missing != 1 else ' is'} withheld to protect confidentiality and "
                 "left as a gap.")
    if n < SPC_MIN_POINTS:
        text += f" {spc_warning(n)}."
    return text


def spc_warning(n_points: int) -> str:
    """The trial-limits warning, in the words of :func:`ehps_lib.indicators.stats.xmr`."""
    return f"Trial limits: only {n_points} points ({SPC_MIN_POINTS} or more are needed for reliable limits)"


def spc_figure(data: ScorecardData, ind: Indicator, series: pd.DataFrame) -> Figure:
    """An XmR chart: the series (with gaps at withheld months), mean and process limits of each
    phase, the end of the baseline, target and minimum standard; special cause points in the
    Making Data Count colours, each kind with its own marker shape."""
    u = ind.unit
    with matplotlib.rc_context(CHART_STYLE):
        fig = Figure(figsize=(8, 3.8), layout="constrained")
        ax = fig.add_subplot()
        x = series["month"]
        ax.plot(x, series["value"], color="#505a5f", linewidth=1.2, zorder=2)
        handles = []
        shown = series[series["value"].notna()]
        kinds = shown["spc_point_type"].map(_spc_kind)
        for kind, (colour, marker, label) in SPC_STYLE.items():
            pts = shown[kinds == kind]
            if len(pts):
                ax.scatter(pts["month"], pts["value"], color=colour, marker=marker, s=46 if kind != "common_cause"
                           else 26, edgecolors="#0b0c0c", linewidths=0.7, zorder=3)
                handles.append(Line2D([], [], color=colour, marker=marker, linestyle="", markeredgecolor="#0b0c0c",
                                      markersize=7, label=label))
        phases = series["spc_phase_start"].fillna("").to_numpy()
        for key in dict.fromkeys(phases):
            part = series[phases == key]
            for col, colour, style in (("spc_mean", "#0b0c0c", "-"), ("spc_lpl", "#505a5f", "--"),
                                       ("spc_upl", "#505a5f", "--")):
                ax.plot(part["month"], part[col].astype(float), color=colour, linestyle=style, linewidth=1.4,
                        drawstyle="steps-mid", zorder=1)
        handles.append(Line2D([], [], color="#0b0c0c", linestyle="-", linewidth=1.4, label="Mean"))
        handles.append(Line2D([], [], color="#505a5f", linestyle="--", linewidth=1.4, label="Process limits"))
        n_base = _last(series, "spc_baseline")
        latest_phase = series[phases == phases[-1]]
        published = latest_phase[latest_phase["value"].notna()]
        if n_base and len(published) > int(n_base):
            end = published["month"].iloc[int(n_base) - 1]
            ax.axvline(end + pd.Timedelta(days=15), color="#505a5f", linestyle=":", linewidth=1.2, zorder=1)
            handles.append(Line2D([], [], color="#505a5f", linestyle=":", linewidth=1.2,
                                  label="End of baseline: limits fixed after"))
        lines = []
        target, floor = _last(series, "target"), _last(series, "floor")
        if target is not None and ind.polarity in ("H", "L"):
            lines.append((target, SPC_TARGET_COLOUR, (0, (6, 2, 1, 2)), f"Target ({format_value(target, u)})"))
            if floor is not None:
                lines.append((floor, SPC_TARGET_COLOUR, ":", f"Minimum standard ({format_value(floor, u)})"))
        for y, colour, style, label in lines:
            ax.axhline(y, color=colour, linestyle=style, linewidth=1.4, zorder=1)
            handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=1.4, label=label))
        ys = [float(v) for v in [*shown["value"], *series["spc_lpl"], *series["spc_upl"], *(y for y, *_ in lines)]
              if v is not None and pd.notna(v)]
        lo, hi = min(ys), max(ys)
        pad = (hi - lo) * 0.08 or abs(hi) * 0.05 or 1
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_xlabel("Month")
        ax.set_ylabel({"count": "Number", "%": "Percentage"}.get(u, u[0].upper() + u[1:]))
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(
            lambda v, _: f"{v:,.0f}%" if u == "%" else f"{v:,.0f}"))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncol=3, frameon=False, fontsize=8.5)
    return fig


SPC_POINT_WORDS = {
    "common_cause": "Common cause", "improvement_high": "Improvement (higher)",
    "improvement_low": "Improvement (lower)", "concern_high": "Concern (higher)", "concern_low": "Concern (lower)",
    "neutral_high": "Higher (no judgement)", "neutral_low": "Lower (no judgement)",
}


def _spc_parts(data: ScorecardData, indicator_id: str) -> tuple[str, str, str | None]:
    """(figure HTML, alt text, SVG) of the SPC chart, its data table inside the figure. Without
    a chart (a snapshot, too many withheld months, fewer than two) the HTML says why and there
    is no SVG. A rolling indicator is charted by its monthly flow (``spc_from``)."""
    own = data.catalogue[indicator_id]
    ind = spc_indicator(data, indicator_id)
    if ind is None:
        text = spc_not_charted(data, own, None)
        return f'<p class="ehps-sc-missing">{_e(text)}</p>', text, None
    s = spc_series(data, ind.id)
    alt = spc_alt_text(data, ind, s)
    if not _charted(s):
        return f'<p class="ehps-sc-missing">{_e(alt)}</p>', alt, None
    picture, svg = responsive_img(spc_figure(data, ind, s), alt, 800, 380)
    n = int(_last(s, "spc_points") or s["value"].notna().sum())
    span = f"{s['month'].iloc[0]:%B %Y} to {s['month'].iloc[-1]:%B %Y}"
    caption = (f"SPC (XmR) chart of {ind.title}, {data.area_name}, by month, {span}. Process limits are the mean "
               f"plus or minus 2.66 times the average moving range, {_baseline_words(s)}. Points are classed by "
               "the Making Data Count rules (NHSRplotthedots 0.2): beyond a limit, 7 rising or falling (by the "
               "direction of the trend), 2 of 3 near a limit, 7 on one side of the mean.")
    if own.id != ind.id:
        caption = (f"{own.title} is a rolling 12 months, used for its RAG rating; its consecutive figures share 11 "
                   f"months, so it is not charted. This chart shows the monthly figures it adds up. " + caption)
    missing = int(s["value"].isna().sum())
    if missing:
        caption += (f" {missing} withheld month{'s are' if missing != 1 else ' is'} left as "
                    f"{'gaps' if missing != 1 else 'a gap'}: no moving range, run or trend spans "
                    f"{'them' if missing != 1 else 'it'}.")
    if own.target is not None and own.polarity in ("H", "L") and _last(s, "spc_assurance") is None:
        caption += (" No assurance icon: the target is not for this area" if own.target_scope == "county"
                    and not data.is_kent else " No assurance icon: the target is not set on these monthly figures")
        caption += "."
    caption += f" Source: {ind.source}."
    warning = (f'<p class="ehps-sc-warning"><strong>Warning:</strong> {_e(spc_warning(n))}.</p>'
               if n < SPC_MIN_POINTS else "")
    rows = []
    for rec in s.itertuples(index=False):
        if pd.isna(rec.value):
            cell = SUPPRESSED if rec.suppressed else NOT_AVAILABLE
            rows.append(f'<tr><th scope="row">{rec.month:%b %Y}</th><td>{_e(cell)}</td>'
                        '<td class="ehps-sc-text">Withheld: not charted (a gap)</td></tr>')
            continue
        kind = rec.spc_point_type or "common_cause"
        words = SPC_POINT_WORDS.get(kind, kind)
        if isinstance(rec.spc_rule, str) and rec.spc_rule in SPC_RULE_WORDS:
            words += f": {SPC_RULE_WORDS[rec.spc_rule]}"
        rows.append(f'<tr><th scope="row">{rec.month:%b %Y}</th><td>{_e(format_value(rec.value, ind.unit))}</td>'
                    f'<td class="ehps-sc-text">{_e(words)}</td></tr>')
    table = _html_table(f"{ind.title}, {data.area_name}, by month, with each point's SPC reading",
                        ['<tr><th scope="col">Month</th><th scope="col">Result</th>'
                         '<th scope="col">SPC reading</th></tr>'], f"<tbody>{''.join(rows)}</tbody>",
                        "ehps-table ehps-sc-spc-table")
    limits = (f"Mean {format_value(_last(s, 'spc_mean'), ind.unit)}; process limits "
              f"{format_value(_last(s, 'spc_lpl'), ind.unit)} to {format_value(_last(s, 'spc_upl'), ind.unit)}.")
    details = ('<details class="ehps-chart-data ehps-sc-spc-data"><summary>Show the SPC chart data as a table'
               f'</summary><p class="ehps-table-note">{_e(limits)}</p>{table}</details>')
    figure = (f'<figure class="ehps-figure ehps-sc-spc">{picture}'
              f"<figcaption>{_e(caption)}</figcaption>{warning}{details}</figure>")
    return figure, alt, svg


def spc_chart(data: ScorecardData, indicator_id: str) -> Block:
    """The SPC (XmR) chart of an indicator's monthly series as an accessible figure: alt text
    with the variation and assurance in words, a caption, the trial-limits warning when the
    series is short, and the points as a table."""
    figure, alt, svg = _spc_parts(data, indicator_id)
    return Block(html=figure, text=alt, svg=svg)


def trend_rows(data: ScorecardData, indicator_id: str, months: int = 4) -> pd.DataFrame:
    """The exception report's "Trend data – month end": the last ``months`` months' result,
    target and RAG (pure data; ``result`` and ``target`` formatted, ``rag`` a word or None)."""
    ind = data.catalogue[indicator_id]
    m = latest_month(data.period)
    out = []
    for i in range(months - 1, -1, -1):
        p = m.shift(-i)
        row = _row(data, indicator_id, p)
        out.append({"month": _month_name(p, short=True), "result": data.cell(indicator_id, p),
                    "target": _target_cell(_get(row, "target"), ind.unit), "rag": _get(row, "rag")})
    return pd.DataFrame(out)


def exception_report(data: ScorecardData, indicator_id: str, commentary: Commentary, level: int = 3) -> Block:
    """One exception report, in the council's layout: heading with the RAG, owners, trend data
    for the last four months, the SPC chart, commentary and data notes."""
    ind = data.catalogue[indicator_id]
    m = latest_month(data.period)
    rag = _get(_row(data, indicator_id, m), "rag")
    trend = trend_rows(data, indicator_id)
    head = '<tr><th scope="col">Month end</th>' + "".join(f'<th scope="col">{_e(x)}</th>' for x in trend["month"])
    body = ('<tbody><tr><th scope="row">KCC result</th>' + "".join(f"<td>{_e(x)}</td>" for x in trend["result"])
            + '</tr><tr><th scope="row">Target</th>' + "".join(f"<td>{_e(x)}</td>" for x in trend["target"])
            + '</tr><tr><th scope="row">RAG rating</th>' + "".join(f"<td>{rag_badge(x)}</td>" for x in trend["rag"])
            + "</tr></tbody>")
    table = _html_table(f"Trend data – month end: {ind.title}, {data.area_name}", [head + "</tr>"], body,
                        "ehps-table ehps-sc-trend")
    trend = _get(_row(data, indicator_id, m), "trend")
    notes = "".join(f"<div><dt>{_e(k)}:</dt><dd>{_e(v)}</dd></div>" for k, v in data_notes(ind, m, trend))
    anchor = f"exception-{indicator_id}"
    figure, _alt, _svg = _spc_parts(data, indicator_id)
    html = (f'<section class="ehps-exception" aria-labelledby="{anchor}">'
            f'<h{level} id="{anchor}"><span class="ehps-sc-exc-title">{_e(ind.title)}</span> '
            f'<span aria-hidden="true">—</span> {rag_badge(rag)}</h{level}>'
            f"{_owner_html(commentary)}"
            f'<div class="ehps-table-wrap">{table}</div>'
            f"{figure}"
            f"<h{level + 1}>Commentary</h{level + 1}>{_commentary_html(commentary, indicator_id)}"
            f'<h{level + 1}>Data notes</h{level + 1}><dl class="ehps-sc-data-notes">{notes}</dl></section>')
    text = f"Exception report: {ind.title} — {rag_text(rag)}"
    return Block(html=html, text=text)


def exception_reports(data: ScorecardData, commentary: Commentary, level: int = 3) -> Block:
    """An exception report for every indicator rated Red in the latest month, each starting
    on a new page in print; or a sentence saying there are none."""
    reds = red_indicators(data)
    m = latest_month(data.period)
    if not reds:
        text = f"No indicator is rated Red for {_month_name(m)}, so there are no exception reports."
        return Block(html=f'<p class="ehps-sc-none">{_e(text)}</p>', text=text)
    names = ", ".join(ind.title for ind in reds)
    intro = (f"{len(reds)} indicator{' is' if len(reds) == 1 else 's are'} rated Red for {_month_name(m)}: "
             f"{names}. {'Its exception report follows' if len(reds) == 1 else 'An exception report for each follows'}"
             + (f", with the analysts' commentary from {commentary.path}." if commentary.found else
                f". No commentary file has been provided for {commentary.period.label} (expected: {commentary.path})."))
    parts = [f'<p class="ehps-sc-exceptions-intro">{_e(intro)}</p>', _note_html(commentary)]
    parts += [exception_report(data, ind.id, commentary, level).html for ind in reds]
    return Block(html=f'<div class="ehps-exceptions">{"".join(parts)}</div>', text=intro)


def amber_commentary(data: ScorecardData, commentary: Commentary, level: int = 3) -> Block:
    """The analysts' commentary on each indicator rated Amber (a watch list), or a note that
    it is missing."""
    ambers = rated(data, stats.AMBER)
    m = latest_month(data.period)
    if not ambers:
        text = f"No indicator is rated Amber for {_month_name(m)}."
        return Block(html=f'<p class="ehps-sc-none">{_e(text)}</p>', text=text)
    parts = [_note_html(commentary)]
    for ind in ambers:
        parts.append(f'<section class="ehps-sc-amber"><h{level}>{_e(ind.title)} <span aria-hidden="true">—</span> '
                     f"{rag_badge(stats.AMBER)}</h{level}>{_commentary_html(commentary, ind.id)}</section>")
    return Block(html=f'<div class="ehps-sc-ambers">{"".join(parts)}</div>',
                 text=f"Commentary on {len(ambers)} Amber indicator(s)")


def release_gaps(data: ScorecardData, commentary: Commentary) -> list[str]:
    """What a release of the scorecard would need (pure): a commentary for each Red indicator,
    the owners on its exception reports, and no illustrative text among the commentaries it
    prints (Red and Amber); see :func:`ehps_lib.papers.commentary.commentary_gaps`."""
    red = red_indicators(data)
    return commentary_gaps(commentary, red, red + rated(data, stats.AMBER))


#: The parts of the scorecard, in order, as (heading, block) pairs: see :func:`scorecard_parts`.
PART_HEADINGS = ("About this scorecard", "Latest performance RAG rating", "Scorecard", "Activity by area and district",
                 "Commentary on Amber indicators", "Exception reports", "Definitions")


def scorecard_parts(data: ScorecardData, commentary: Commentary, level: int = 2) -> list[tuple[str, Block]]:
    """The whole scorecard as (heading, block) pairs in the order the council prints it, the
    blocks' own headings one level below ``level``: what the county scorecard paper shows
    under its headings, and what the Cabinet Committee paper prints as its Appendix 1."""
    inner = level + 1
    scorecard = scs_table(data)
    legend = scorecard_legend(data, inner)
    both = Block(html=scorecard.html + legend.html,
                 text=scorecard.text)
    blocks = [about_scorecard(data), rag_summary(data), both, activity_table(data),
              amber_commentary(data, commentary, inner), exception_reports(data, commentary, inner),
              definitions(data, inner)]
    return list(zip(PART_HEADINGS, blocks, strict=True))


__all__ = [
    "scorecard_parts", "PART_HEADINGS", "release_gaps",
    "load_scorecard", "definitions", "load_commentary", "county_title", "about_scorecard", "scs_rows", "scs_table",
    "scorecard_legend", "rag_counts", "rag_sentence", "rag_summary", "activity_areas", "activity_rows",
    "activity_table", "red_indicators", "rag_bands_text", "data_period_text", "data_notes", "spc_series", "spc_chart",
    "spc_indicator",
    "trend_rows", "exception_report", "exception_reports", "amber_commentary"
]
