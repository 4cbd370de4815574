"""Paper: the CYPF Kent (county) dashboard (``notebooks/cypf_dashboard.ipynb``).

"The indicators identified in the CYPF have been collected into a set of CYPF Dashboards (12
District Dashboards and a County Dashboard) which will be used by the 0-25 HWB and LCPGs to plan
and monitor progress" (seed 004:1789); "the 0-25 HWB will review the Kent Dashboard each time it
meets" (004:1849). The CYPF's own pages benchmark Kent "against its statistical neighbours and
England" with a trend (004:1958, 004:1987, 004:2520, 004:2543).

For each of the 17 indicators, under its outcome: Kent's latest figure, England's, the mean of
Kent's statistical neighbours, Kent's rank among them, the movement since the figure before, a
trend chart (with its table) where there are figures to draw, and a plain statement where the
indicator has no data held (:mod:`ehps_lib.papers.cypf`). Then the population groups.

Typical notebook use::

    from ehps_lib.papers import cypf_dashboard as paper
    sc = paper.load_scorecard("E10000016", "2016-17 Q4")
    paper.dashboard_table(sc, paper.load_public(sc.period))
"""

from __future__ import annotations

import matplotlib
import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.figure import Figure

from .benchmarks import file_held, load_public
from .blocks import (
    NOT_AVAILABLE,
    Block,
    _e,
    _html_table,
    _notes_html,
    direction_badge,
    format_value,
)
from .breakdowns import group_table
from .charts import AREA_COLOUR, CHART_STYLE, KENT_COLOUR, responsive_img
from .cypf import CASE, CLOSEST, CYPF, NONE, OUTCOMES, PUBLIC, county_rows
from .scorecard_data import ScorecardData, ScorecardError, load_scorecard
from .sections import title_block

PRODUCT = "Children and Young People's Framework county dashboard"
#: Colour of the statistical neighbours' line (grey, dotted, triangles: never colour alone).
NEIGHBOURS_COLOUR = "#505a5f"


def _check_kent(data: ScorecardData) -> None:
    if not data.is_kent:
        raise ScorecardError("The CYPF county dashboard is Kent's: make it for E10000016. Each district's "
                             "CYPF figures are in its district dashboard.")


def dashboard_title(data: ScorecardData) -> Block:
    _check_kent(data)
    return title_block(data, PRODUCT, data.period.title)


def dashboard_intro(data: ScorecardData) -> Block:
    """What the dashboard shows and how each figure was chosen."""
    _check_kent(data)
    text = [
        "The Children and Young People's Framework 2016-2019 (Working Together to Improve Outcomes) measures "
        "progress on four outcomes with 17 indicators. For each, this dashboard shows Kent's latest figure "
        "beside England's and the mean of Kent's statistical neighbours (the Department for Education's 2025 "
        "model), Kent's rank among them (1 is best; for indicators to be safely minimised rather than simply "
        "reduced, 1 is the highest and no judgement is made), and how the figure has moved since the one before.",
        "Figures from Kent's own systems (Early Help Notifications, youth justice) are for this period and have "
        "no national comparison. Public figures are the latest published by the end of the "
        "period. Where an indicator itself is not held, the closest measure held is shown and named; where "
        "nothing is held, the dashboard says so.",
    ]
    return Block(html="".join(f"<p>{_e(t)}</p>" for t in text), text=text[0])


COLUMNS = ["Indicator", "Figure for", "Kent", "England", "Statistical neighbours (mean)", "Kent's rank among its "
           "neighbours", "Movement since the figure before"]


def _kind_words(kind: str) -> str:
    return {CASE: "Kent's own data", PUBLIC: "Public data", CLOSEST: "Closest measure held", NONE: "No data held"}[kind]


def dashboard_table(data: ScorecardData, public: pd.DataFrame) -> Block:
    """The 17 indicators under their outcomes: Kent, England, the neighbours' mean, Kent's rank and
    the movement since the figure before; each row says what kind of data it is, and why when none."""
    _check_kent(data)
    frame = county_rows(data, public)
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in COLUMNS) + "</tr>"
    bodies = []
    for outcome, part in frame.groupby("outcome", sort=True):
        label = f"Outcome {outcome}: {OUTCOMES[outcome]}"
        trs = [f'<tr class="ehps-sc-section"><th scope="rowgroup" colspan="{len(COLUMNS)}">{_e(label)}</th></tr>']
        for r in part.to_dict("records"):
            name = f"{r['number']}. {r['name']}"
            sub = f"{_kind_words(r['kind'])}: {r['measure']}"
            th = (f'<th scope="row">{_e(name)}<span class="ehps-cypf-measure">{_e(sub)}</span>'
                  + (f'<span class="ehps-cypf-statement">{_e(r["statement"])}</span>' if r["statement"] else "")
                  + "</th>")
            cells = [r["when"] or NOT_AVAILABLE, r["kent"], r["england"], r["neighbours"], r["rank"]]
            trs.append(f"<tr>{th}" + "".join(f"<td>{_e(c)}</td>" for c in cells)
                       + f"<td>{direction_badge(r['direction'])}</td></tr>")
        bodies.append(f"<tbody>{''.join(trs)}</tbody>")
    shown = int((frame["kent"] != NOT_AVAILABLE).sum())
    caption = (f"CYPF county dashboard, Kent, {data.period.title}: a Kent figure for {shown} of the 17 indicators "
               "(or their closest measure)")
    notes = [f"{NOT_AVAILABLE}: not available (no national or neighbour figure for Kent's own data; no figure "
             "published by the end of the period; or no data held).",
             "Sources: " + "; ".join(sorted({s.removeprefix("Source: ").split(" File held:")[0].rstrip(".")
                                              for s in frame["source"] if s})) + "."]
    html = _html_table(caption, [head], "".join(bodies), "ehps-table ehps-cypf-table")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


# -- trend charts --------------------------------------------------------------------------------------
def _series(trend: list) -> pd.DataFrame:
    return pd.DataFrame(trend, columns=["period", "Kent", "England", "Statistical neighbours (mean)"])


def trend_alt_text(rec: dict, s: pd.DataFrame) -> str:
    """What a trend chart shows, in words: the indicator, the periods and each line's first and last figure."""
    parts = []
    for col in ("Kent", "England", "Statistical neighbours (mean)"):
        known = s[["period", col]].dropna()
        if len(known):
            a, b = known.iloc[0], known.iloc[-1]
            parts.append(f"{col} {format_value(a[col], rec['unit'])} in {a['period']} to "
                         f"{format_value(b[col], rec['unit'])} in {b['period']}")
    span = f"{s['period'].iloc[0]} to {s['period'].iloc[-1]}"
    return f"Line chart of {rec['measure'][0].lower() + rec['measure'][1:]}, {span}: " + "; ".join(parts) + "."


def trend_figure(rec: dict, s: pd.DataFrame) -> Figure:
    """Kent (dark blue, solid, circles), England (orange, dashed, squares) and the neighbours' mean
    (grey, dotted, triangles)."""
    styles = [("Kent", AREA_COLOUR, "-", "o"), ("England", KENT_COLOUR, "--", "s"),
              ("Statistical neighbours (mean)", NEIGHBOURS_COLOUR, ":", "^")]
    with matplotlib.rc_context({**CHART_STYLE, "font.size": 8}):
        fig = Figure(figsize=(4.2, 2.1))
        fig.subplots_adjust(left=0.14, right=0.98, bottom=0.16, top=0.74)
        ax = fig.add_subplot()
        x = range(len(s))
        for col, colour, line, marker in styles:
            if s[col].notna().any():
                ax.plot(list(x), s[col], color=colour, linestyle=line, marker=marker, markersize=4, linewidth=1.8,
                        label="Neighbours (mean)" if col.startswith("Statistical") else col)
        ax.set_xticks(list(x), [str(p) for p in s["period"]])
        ax.yaxis.set_major_locator(mticker.MaxNLocator(4))
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=7.5, handlelength=2.5)
    return fig


def trend_charts(data: ScorecardData, public: pd.DataFrame) -> Block:
    """A small trend chart for every indicator with at least two figures to draw, each with alt text,
    a caption and its figures as a table."""
    _check_kent(data)
    figures = []
    for rec in county_rows(data, public).to_dict("records"):
        s = _series(rec["trend"])
        if s[["Kent", "England", "Statistical neighbours (mean)"]].notna().sum().max() < 2:
            continue
        alt = trend_alt_text(rec, s)
        # a <picture>: a phone version redrawn narrower, each image stating its smallest text
        picture, _svg = responsive_img(trend_figure(rec, s), alt, 420, 210)
        cols = [c for c in ("Kent", "England", "Statistical neighbours (mean)") if s[c].notna().any()]
        rows = "".join(f'<tr><th scope="row">{_e(r["period"])}</th>'
                       + "".join(f"<td>{_e(format_value(r[c], rec['unit']))}</td>" for c in cols) + "</tr>"
                       for r in s.to_dict("records"))
        table = _html_table(f"{rec['measure']} by period", [
            '<tr><th scope="col">Period</th>' + "".join(f'<th scope="col">{_e(c)}</th>' for c in cols) + "</tr>"],
            f"<tbody>{rows}</tbody>")
        figures.append(f'<figure class="ehps-figure ehps-sc-spark">{picture}'
                       f"<figcaption><strong>{rec['number']}. {_e(rec['name'])}</strong>: {_e(rec['measure'])}"
                       "</figcaption>"
                       '<details class="ehps-chart-data"><summary>Show the figures as a table</summary>'
                       f"{table}</details></figure>")
    key = ("Kent is a dark blue solid line with circles, England an orange dashed line with squares, and the mean "
           "of Kent's statistical neighbours a grey dotted line with triangles. Kent's own data are by period.")
    html = f'<p class="ehps-sc-spark-key">{_e(key)}</p><div class="ehps-sc-sparks">{"".join(figures)}</div>'
    return Block(html=html, text=key)


def population_groups(data: ScorecardData) -> Block:
    """Kent's Early Help measures for each population group the extract flags (seed 004:1817-1834)."""
    _check_kent(data)
    return group_table(data)


def measures_shown(data: ScorecardData) -> list:
    """The catalogue indicators the dashboard shows, for the definitions."""
    from .cypf import measure_for

    return [measure_for(item, data.catalogue)[0] for item in CYPF]


def definitions(data: ScorecardData) -> Block:
    """The definition, source and notes of each measure shown, in CYPF order."""
    from .sections import note_text

    parts = []
    for item, ind in zip(CYPF, measures_shown(data), strict=True):
        fields = [("Measure shown", ind.title), ("Definition", ind.definition), ("Unit", ind.unit),
                  ("Source", ind.source)]
        if file_held(ind):
            fields.append(("File held", f"{file_held(ind)}; a year's figures are shown only once published by "
                                        f"{data.period.end:%d %B %Y}"))
        if ind.notes:
            fields.append(("Notes", note_text(ind)))
        items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in fields)
        parts.append(f'<section class="ehps-definition"><h3>{item.number}. {_e(item.name)}</h3><dl>{items}</dl>'
                     "</section>")
    return Block(html=f'<div class="ehps-definitions">{"".join(parts)}</div>', text="Definitions")


def rank_sentence(data: ScorecardData, public: pd.DataFrame) -> Block:
    """One sentence: for how many indicators Kent can be ranked among its neighbours, and where."""
    _check_kent(data)
    frame = county_rows(data, public)
    ranked = frame[frame["rank"] != NOT_AVAILABLE]
    if ranked.empty:
        text = "No CYPF indicator has a neighbour comparison published by the end of this period."
    else:
        items = "; ".join(f"{r['name']} {r['rank']} ({r['when']})" for r in ranked.to_dict("records"))
        text = f"Kent's rank among its statistical neighbours: {items}."
    return Block(html=f"<p>{_e(text)}</p>", text=text)


__all__ = ["dashboard_intro", "dashboard_table", "dashboard_title", "definitions", "load_public", "load_scorecard",
           "population_groups", "rank_sentence", "trend_charts", "trend_figure", "trend_alt_text"]

