"""Paper: the EHPS scorecard as the council describes it (``notebooks/monthly_scorecard.ipynb``).

"Early Help and Preventative Services produce a monthly scorecard outlining performance against a
range of Key Indicators ... This includes a breakdown by age of reach and outputs for the County as
a whole and each district" (seed 001:112), with thematic sections on "Children's Centres, Youth
Justice, NEETs, school attendance and exclusions data" (001:115). One paper for Kent with the 12
districts side by side:

1. the edition (named after the month after its data, 001:112) and what it holds;
2. Kent's summary: each throughput and outcome measure this period, the previous period and a year
   earlier, with target, RAG and direction of travel;
3. each measure by age band (0-4, 5-10, 11-15, 16+, all ages) for Kent and every district;
4. the EHPS one-year plan's targets, rated where the data exist (:mod:`ehps_lib.papers.plan`);
5. the thematic sections (:mod:`ehps_lib.papers.thematic`);
6. the population groups the extract flags (:mod:`ehps_lib.papers.breakdowns`);
7. definitions.

A build makes the quarter's edition and, with ``editions: [period, month]`` in ``config.yml``, the
monthly edition of its last month from the same results.

Typical notebook use::

    from ehps_lib.papers import monthly_scorecard as paper
    sc = paper.load_scorecard("E10000016", "2017-03")
    paper.summary_table(sc)
"""

from __future__ import annotations

from ..geography import KENT_CODE
from ..indicators import stats
from ..periods import Period
from .benchmarks import load_public
from .blocks import (
    NOT_APPLICABLE,
    Block,
    _cell_notes,
    _e,
    _html_table,
    _notes_html,
    compact_number,
    direction_badge,
    rag_badge,
)
from .breakdowns import age_area_table, group_area_table, group_table, rated_count
from .plan import plan_table
from .scorecard_data import (
    ScorecardData,
    ScorecardError,
    _get,
    _row,
    _unit_label,
    edition_words,
    load_scorecard,
)
from .sections import definitions, title_block
from .thematic import theme_sections

PRODUCT = "Early Help and Preventative Services scorecard"

#: The throughput and outcome measures of the scorecard (seed 001:112), in the council's order:
#: notifications (and their rate: reach), open and closed cases, step-ups and step-downs,
#: timeliness, and cases closed with a positive outcome.
THROUGHPUT = ("ehn_received", "ehn_rate", "cases_open", "cases_closed", "step_ups", "step_downs",
              "case_allocated_15d_pct", "cases_open_20wk_pct", "case_duration_weeks", "closed_positive_pct")
#: Measures with a published target that the summary shows too (rolling 12 months).
TARGETED = ("step_downs_r12m", "step_ups_r12m", "eha_rate_0_4", "eha_rate_5_10", "eha_rate_11_15",
            "eha_rate_16_19")


def _check_kent(data: ScorecardData) -> None:
    if not data.is_kent:
        raise ScorecardError("The EHPS scorecard shows Kent with every district side by side: make it for Kent "
                             f"({KENT_CODE}); for one district's figures see its district dashboard.")


def scorecard_title(data: ScorecardData) -> Block:
    """The heading: the product, the edition (month after the data) and the synthetic-data banner."""
    _check_kent(data)
    return title_block(data, PRODUCT, edition_words(data.period))


def _kind(p: Period) -> str:
    return "month" if p.kind == "month" else "quarter"


def about(data: ScorecardData) -> Block:
    """What the scorecard holds and how to read it, in plain words."""
    k = _kind(data.period)
    text = [
        f"This scorecard gives Early Help and Preventative Services' key indicators for Kent and each of its 12 "
        f"districts for the {k} ({data.period.title}): notifications received, cases open and closed, cases "
        "stepped up to and down from Specialist Children's Services, timeliness, and cases closed with a "
        "positive outcome, each by age band (0-4, 5-10, 11-15 and 16 and over) and in total.",
        "Where the council published a target (the EHPS one-year plan), the figure is rated Green (target met), "
        "Amber (below target but not below the minimum standard, the 2014 baseline) or Red (below the minimum "
        "standard). Directions of travel are judged by whether higher or lower is better: ↑ improved, ↓ worse, "
        "→ no change; ▲ higher and ▼ lower where neither is better.",
        "The thematic sections add Children's Centres, Youth Justice, young people not in education, employment "
        "or training, school attendance and exclusions, and public figures on children in need, child "
        "protection, children in care, teenage conceptions and injuries, each with its source.",
        "Editions are named after the month after their data, as the council's are: data to the end of June are "
        "the July edition.",
        "Small numbers, and any figure from which one could be worked out, are withheld and shown as c. A "
        "district's figures by age band and by population group are published for quarters, not single months "
        "(split that way, a district's month is mostly small numbers): the monthly edition shows Kent and its "
        "four areas by age, and each district's total.",
    ]
    return Block(html="".join(f"<p>{_e(t)}</p>" for t in text), text=text[0])


SUMMARY_COLUMNS = ["Indicator", "Latest", "Target", "RAG", "Previous", "Direction since the previous",
                   "A year earlier", "Direction since a year earlier"]


def summary_rows(data: ScorecardData, indicator_ids: tuple[str, ...] = THROUGHPUT + TARGETED) -> list[dict]:
    """Kent's summary (pure data): per indicator, the latest value, target, RAG, the previous period
    and a year earlier with the direction of travel against each."""
    _check_kent(data)
    p = data.period
    out = []
    for i in indicator_ids:
        if i not in data.catalogue:
            continue
        ind = data.catalogue[i]
        row = _row(data, i, p, KENT_CODE)
        if not row:
            continue
        target = NOT_APPLICABLE if not ind.has_target else compact_number(ind.target, ind.unit)
        out.append({"indicator_id": i, "title": ind.title, "unit": _unit_label(ind),
                    "latest": data.cell(i, p), "target": target, "rag": _get(row, "rag"),
                    "previous": data.cell(i, p.previous()), "direction_previous": _get(row, "direction_previous",
                                                                                        stats.NOT_COMPARED),
                    "year_ago": data.cell(i, p.year_ago()),
                    "direction_year_ago": _get(row, "direction_year_ago", stats.NOT_COMPARED)})
    return out


def summary_table(data: ScorecardData) -> Block:
    """Kent's key indicators this period, with target, RAG and direction of travel against the
    previous period and a year earlier (the council's scorecard columns)."""
    rows = summary_rows(data)
    p = data.period
    # every column named once (a tidy CSV has one header row of unique names)
    columns = ["Indicator", f"{p.title}", "Target", "RAG", f"{p.previous().title}",
               f"Direction since {p.previous().title}", f"{p.year_ago().title}",
               f"Direction since {p.year_ago().title}"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs, shown = [], []
    for r in rows:
        shown += [r["latest"], r["previous"], r["year_ago"]]
        trs.append(f'<tr><th scope="row">{_e(r["title"])} <span class="ehps-unit">({_e(r["unit"])})</span></th>'
                   f"<td>{_e(r['latest'])}</td><td>{_e(r['target'])}</td><td>{rag_badge(r['rag'])}</td>"
                   f"<td>{_e(r['previous'])}</td><td>{direction_badge(r['direction_previous'])}</td>"
                   f"<td>{_e(r['year_ago'])}</td><td>{direction_badge(r['direction_year_ago'])}</td></tr>")
    counts = rated_count(data)
    caption = f"Kent summary, {p.title}: each indicator with the previous {_kind(p)} and a year earlier"
    notes = [f"Rated this {_kind(p)}: {counts[stats.GREEN]} Green, {counts[stats.AMBER]} Amber, "
             f"{counts[stats.RED]} Red (every indicator with a published target whose data are held; the plan "
             "table below lists the rest)."]
    notes += [n for n in _cell_notes(shown) if not n.startswith(NOT_APPLICABLE)]
    notes.append(f"{NOT_APPLICABLE} in the target column: the council published no target, so the indicator "
                 "is not rated.")
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-sc-table")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def by_age(data: ScorecardData, indicator_id: str) -> Block:
    """One throughput or outcome measure by age band for Kent and every district."""
    _check_kent(data)
    return age_area_table(data, indicator_id)


def throughput_by_age(data: ScorecardData) -> Block:
    """Every throughput and outcome measure by age band, Kent and every district, one table each."""
    _check_kent(data)
    blocks = [age_area_table(data, i) for i in THROUGHPUT if i in data.catalogue]
    return Block(html="".join(b.html for b in blocks), text="Throughput and outcomes by age and district")


def plan_targets(data: ScorecardData, public) -> Block:
    """The EHPS one-year plan's targets beside Kent's latest figures."""
    _check_kent(data)
    return plan_table(data, public)


def thematic(data: ScorecardData, public) -> Block:
    """The thematic sections."""
    _check_kent(data)
    return theme_sections(data, public)


def population_groups(data: ScorecardData) -> Block:
    """Kent's measures by population group, then notifications by group in each district."""
    _check_kent(data)
    a, b = group_table(data), group_area_table(data, "ehn_received")
    return Block(html=a.html + b.html, text=a.text)


__all__ = [
    "about", "by_age", "definitions", "load_public", "load_scorecard", "plan_targets", "population_groups",
    "scorecard_title", "summary_rows", "summary_table", "thematic", "throughput_by_age",
]
