"""Paper: the six-monthly CYPF progress report (``notebooks/cypf_progress_report.ipynb``).

"Every six months, the 0-25 HWB will oversee the production of a CYPF Progress Report ... The
Progress Report will identify progress made in each outcome and include a summary of movement in
each of the CYPF Indicators. LCPGs will have opportunity to contribute updates from their respective
districts" (seed 004:1851-1852). Thematic reviews by population group are named too (004:1859-1862).

The report covers the six months to the end of its period (built for periods ending in March and
September, ``period_ends`` in ``config.yml``):

1. progress in each outcome: how many of its indicators improved, got worse, did not change, moved
   where no direction is judged better, or could not be compared;
2. the movement of each indicator since the last report (case data: this period against the one
   six months earlier; annual public data: the latest year published by each report);
3. district contributions: each district's movement on the indicators that exist by district, and
   its Local Children's Partnership Group's update from the period's commentary file;
4. the population groups the extract flags.

Typical notebook use::

    from ehps_lib.papers import cypf_progress_report as paper
    sc = paper.load_scorecard("E10000016", "2016-17 Q4")
    paper.outcome_progress(sc, paper.load_public(sc.period))
"""

from __future__ import annotations

import pandas as pd

from ..geography import DISTRICTS, KENT_CODE, area_name
from ..indicators import stats
from .benchmarks import file_held, load_public
from .blocks import Block, _e, _html_table, _notes_html, direction_badge
from .breakdowns import group_area_table, group_table
from .commentary import DISTRICT_SUMMARY, Commentary, _paragraphs, is_illustrative, load_commentary
from .cypf import CASE, MOVEMENT_GROUPS, NONE, OUTCOMES, last_report_period, outcome_summary, progress_rows
from .scorecard_data import ScorecardData, ScorecardError, load_scorecard
from .sections import title_block

PRODUCT = "Children and Young People's Framework progress report"


def _check_kent(data: ScorecardData) -> None:
    if not data.is_kent:
        raise ScorecardError("The CYPF progress report is Kent's, with every district's contribution in it: "
                             "make it for E10000016.")


def _six_months(data: ScorecardData) -> str:
    end = data.period.end
    start = data.period.month_starts()[-1]
    first = pd.Timestamp(start) - pd.DateOffset(months=5)
    return f"{first:%B %Y} to {end:%B %Y}"


def report_title(data: ScorecardData) -> Block:
    _check_kent(data)
    return title_block(data, PRODUCT, f"Six months to {data.period.end:%B %Y} ({_six_months(data)})")


def report_intro(data: ScorecardData) -> Block:
    _check_kent(data)
    last = last_report_period(data.period)
    text = [
        f"This report sets out progress on the Children and Young People's Framework's four outcomes over the six "
        f"months to {data.period.end:%B %Y}, and the movement of each of its 17 indicators since the last report.",
        f"Figures from Kent's own systems compare {data.period.title} with {last.title}, the period of the last "
        "report. Annual public figures compare the latest year published by the end of each report's period; "
        "where no new year has been published since the last report, the indicator shows no change and says so.",
        "Movement is judged by whether higher or lower is better; for indicators to be safely minimised rather "
        "than simply reduced (children on a plan, in care, notifications) it is shown as higher or lower without "
        "judgement.",
    ]
    return Block(html="".join(f"<p>{_e(t)}</p>" for t in text), text=text[0])


def _count_words(row: dict) -> str:
    parts = [f"{row[g]} {g}" for g in MOVEMENT_GROUPS if row[g]]
    return ", ".join(parts) if parts else "no indicator could be compared"


def outcome_progress(data: ScorecardData, public: pd.DataFrame) -> Block:
    """Progress in each outcome: its indicators counted by their movement since the last report."""
    _check_kent(data)
    summary = outcome_summary(progress_rows(data, public))
    # counts of indicators, not of people: the movement is in every column heading
    columns = ["Outcome (its number of indicators)", "Movement: improved", "Movement: worse", "Movement: no change",
               "Movement: higher or lower (no judgement)", "Movement: not compared"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs, sentences = [], []
    for r in summary.to_dict("records"):
        label = f"{r['outcome']}. {OUTCOMES[r['outcome']]} ({r['indicators']} indicators)"
        cells = [str(r[g]) for g in MOVEMENT_GROUPS]
        trs.append(f'<tr><th scope="row">{_e(label)}</th>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        # "Outcome 1 (...): of its 5 indicators, 2 improved": counts of indicators, said before the numbers
        sentences.append(f"Outcome {r['outcome']} ({OUTCOMES[r['outcome']].lower()}): of its {r['indicators']} "
                         f"indicators, {_count_words(r)}.")
    caption = f"Progress in each CYPF outcome since the last report, Kent, six months to {data.period.end:%B %Y}"
    notes = ["Not compared: no data held, no figure published by the end of either report's period, or a figure "
             "withheld to protect confidentiality."]
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-cypf-progress")
    body = "".join(f"<p>{_e(s)}</p>" for s in sentences)
    return Block(html=f'{body}<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


#: The figure and the time it is for in columns of their own, so that each figure is a number in the CSV.
MOVEMENT_COLUMNS = ["Indicator", "Last report", "Last report: figure for", "This report", "This report: figure for",
                    "Movement"]


def _sources(data: ScorecardData, rows: pd.DataFrame) -> str:
    """Where the figures of ``rows`` come from: the extract's systems and each public file held."""
    inds = [data.catalogue[i] for i in dict.fromkeys(rows.loc[rows["kind"] != NONE, "indicator_id"])]
    return "Sources: " + "; ".join(dict.fromkeys(
        f"{i.source}" + (f" (file held: {file_held(i)})" if file_held(i) else "") for i in inds)) + "."


def _movement_table(rows: pd.DataFrame, caption: str, group: bool = True, sources: str = "") -> Block:
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in MOVEMENT_COLUMNS) + "</tr>"
    bodies = []
    for outcome, part in rows.groupby("outcome", sort=True):
        trs = []
        if group:
            label = f"Outcome {outcome}: {OUTCOMES[outcome]}"
            trs.append(f'<tr class="ehps-sc-section"><th scope="rowgroup" colspan="{len(MOVEMENT_COLUMNS)}">'
                       f"{_e(label)}</th></tr>")
        for r in part.to_dict("records"):
            name = f"{r['number']}. {r['name']}"
            note = f'<span class="ehps-cypf-statement">{_e(r["statement"])}</span>' if r["statement"] else ""
            cells = [r["then"], r["then_when"], r["now"], r["now_when"]]
            trs.append(f'<tr><th scope="row">{_e(name)}<span class="ehps-cypf-measure">{_e(r["measure"])}</span>'
                       f"{note}</th>" + "".join(f"<td>{_e(c)}</td>" for c in cells)
                       + f"<td>{direction_badge(r['movement'])}</td></tr>")
        bodies.append(f"<tbody>{''.join(trs)}</tbody>")
    html = _html_table(caption, [head], "".join(bodies), "ehps-table ehps-cypf-table")
    notes = ["c: withheld to protect confidentiality; n/a: not available."] + ([sources] if sources else [])
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def movement_table(data: ScorecardData, public: pd.DataFrame) -> Block:
    """Each CYPF indicator's figure in the last report and now, and its movement, under its outcome."""
    _check_kent(data)
    rows = progress_rows(data, public)
    return _movement_table(rows, f"Movement of each CYPF indicator since the last report, Kent, six months to "
                                 f"{data.period.end:%B %Y}", sources=_sources(data, rows))


def district_rows(data: ScorecardData, public: pd.DataFrame, district: str) -> pd.DataFrame:
    """The CYPF indicators that exist for a district, then and now (pure data)."""
    rows = progress_rows(data, public, area_code=district)
    kent = progress_rows(data, public)
    # only indicators with district figures: case data, or public data published by district
    return rows[(rows["kind"] == CASE) | ((rows["kind"] != NONE) & (rows["now"] != "n/a")
                                          & (kent["kind"] != NONE))].reset_index(drop=True)


def district_contributions(data: ScorecardData, public: pd.DataFrame, commentary: Commentary) -> Block:
    """For each district: its movement on the CYPF indicators that exist by district, and its Local
    Children's Partnership Group's update (the ``districts:`` entry of the period's commentary file),
    or a line saying none was contributed."""
    _check_kent(data)
    parts = []
    for code in DISTRICTS:
        name = area_name(code, data.period.end)
        parts.append(f'<section class="ehps-cypf-district"><h3 id="district-{code}">{_e(name)}</h3>')
        written = commentary.district(code).get(DISTRICT_SUMMARY)
        if written:
            parts.append(f'<div class="ehps-sc-commentary"><p><strong>Update from the {_e(name)} Local Children\'s '
                         f"Partnership Group:</strong></p>{_paragraphs(written)}</div>")
        else:
            line = (f"No update was contributed by the {name} Local Children's Partnership Group for this report "
                    f"(the district's summary in {commentary.path}).")
            parts.append(f'<p class="ehps-sc-missing-inline">{_e(line)}</p>')
        rows = district_rows(data, public, code)
        table = _movement_table(rows, f"{name}: movement since the last report on the CYPF indicators published by "
                                      "district", group=False, sources=_sources(data, rows))
        parts.append(table.html + "</section>")
    return Block(html="".join(parts), text="District contributions")


def population_groups(data: ScorecardData) -> Block:
    """The population groups the extract flags: Kent's measures for each, and open cases by district."""
    _check_kent(data)
    a, b = group_table(data), group_area_table(data, "cases_open")
    return Block(html=a.html + b.html, text=a.text)


def improved_and_worse(data: ScorecardData, public: pd.DataFrame) -> Block:
    """Two lists: the indicators that improved and those that got worse since the last report."""
    _check_kent(data)
    rows = progress_rows(data, public)
    out = []
    for word, key in (("Improved", stats.IMPROVED), ("Got worse", stats.WORSE)):
        names = [f"{r['number']}. {r['name']}" for r in rows.to_dict("records") if r["movement"] == key]
        text = ", ".join(names) if names else "none"
        out.append(f"<p><strong>{word} since the last report:</strong> {_e(text)}.</p>")
    return Block(html="".join(out), text="Indicators that improved or got worse since the last report")


def update_gaps(commentary: Commentary, period_end) -> list[str]:
    """What a release of the report would need of the districts' updates it prints (pure): none
    may be illustrative. A district without an update is not a gap (the report says none was
    contributed), since LCPGs contribute when they choose (seed 004:1852)."""
    gaps = []
    for code in DISTRICTS:
        name = area_name(code, period_end)
        if is_illustrative(commentary.district(code).get(DISTRICT_SUMMARY)):
            gaps.append(f"The update from the {name} Local Children's Partnership Group is illustrative: replace "
                        f"districts: {name}: {DISTRICT_SUMMARY} in {commentary.path}")
    return gaps


def release_gaps(area_code: str, period: str) -> list[str]:
    """What a release of this report for ``area_code`` and ``period`` would need: real updates
    from the districts (:func:`update_gaps`); an empty list when it is ready."""
    sc = load_scorecard(area_code, period)
    return update_gaps(load_commentary(sc.period), sc.period.end)


__all__ = ["district_contributions", "district_rows", "improved_and_worse", "load_commentary", "load_public",
           "load_scorecard", "movement_table", "outcome_progress", "population_groups", "report_intro",
           "report_title", "release_gaps", "update_gaps", "KENT_CODE"]
