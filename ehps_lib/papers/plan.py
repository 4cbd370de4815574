"""The EHPS one-year plan (seed 000, Appendix 6, Table 8): every target beside Kent's latest figure.

Table 8 prints ``Indicator | Kent 2014 | National 2014 | Target 2015`` for 39 indicators. The
catalogue holds every row (``seed_ref`` 000:1585 to 000:1623) with its baseline, target and floor;
this table adds Kent's latest figure up to the end of the paper's period (case data from the
period's results, public data from the latest year published by then) and its RAG, or says why a
row cannot be rated. Pure: the results and the public table are passed in.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from ..geography import KENT_CODE
from ..indicators.catalogue import Indicator
from .benchmarks import benchmark
from .blocks import (
    NOT_APPLICABLE,
    Block,
    _e,
    _html_table,
    _notes_html,
    format_value,
    rag_badge,
)
from .scorecard_data import ScorecardData, _get, _row, not_in_extract
from .sections import compact_number

#: Table 8's rows are lines 1585 to 1623 of seed 000.
PLAN_SEED, PLAN_FIRST_LINE, PLAN_LAST_LINE = "000", 1585, 1623
PLAN_SOURCE = "EHPS one-year plan, Table 8 (EHPS Commissioning Analyse Phase report, July 2015, Appendix 6)"


def plan_line(ind: Indicator) -> int | None:
    """The Table 8 line an indicator stands for (from its ``seed_ref``), or None."""
    for ref in re.split(r"[;,]\s*", ind.seed_ref or ""):
        seed, _, line = ref.partition(":")
        if seed == PLAN_SEED and line.isdigit() and PLAN_FIRST_LINE <= int(line) <= PLAN_LAST_LINE:
            return int(line)
    return None


def plan_indicators(catalogue: dict[str, Indicator]) -> list[Indicator]:
    """Every Table 8 row's indicator, in the table's order (population-group breakdowns left out)."""
    found = [(plan_line(i), i) for i in catalogue.values() if not i.is_group_breakdown and plan_line(i)]
    return [i for _, i in sorted(found, key=lambda t: t[0])]


def _number(value, ind: Indicator) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_APPLICABLE
    return compact_number(value, ind.unit)


def _latest(data: ScorecardData, public: pd.DataFrame, ind: Indicator) -> tuple[str, str, str | None, str]:
    """(value as printed, when, RAG, why not rated) of Kent's latest figure."""
    if ind.has_data:
        row = _row(data, ind.id, data.period, KENT_CODE)
        if not row:
            return NOT_APPLICABLE, "", None, (not_in_extract(data, ind)
                                              or "not in this period's results (too early in the extract)")
        return (data.cell(ind.id, data.period, area_code=KENT_CODE), data.period.title, _get(row, "rag"),
                "" if _get(row, "rag") else "not available for the period")
    if ind.is_public:
        b = benchmark(public, ind.id, data.period.end)
        if not b.available:
            return (NOT_APPLICABLE, "", None,
                    f"no figure by {data.period.end:%B %Y} (the file held covers {b.first_year} to {b.last_year})")
        return format_value(b.kent, ind.unit), str(b.year), b.rag, ""
    return NOT_APPLICABLE, "", None, "no data source held"


def plan_rows(data: ScorecardData, public: pd.DataFrame) -> pd.DataFrame:
    """One row per Table 8 indicator: ``line``, ``indicator_id``, ``title``, ``baseline``,
    ``national``, ``target``, ``latest``, ``when``, ``rag``, ``status`` (pure data)."""
    out = []
    for ind in plan_indicators(data.catalogue):
        latest, when, rag, why = _latest(data, public, ind)
        if not ind.has_target:
            status = "No target published (TBA)"
        elif rag:
            status = "Rated"
        else:
            status = f"Not rated: {why}"
        out.append({"line": plan_line(ind), "indicator_id": ind.id, "title": ind.title,
                    "baseline": _number(ind.baseline, ind), "baseline_period": ind.baseline_period,
                    "national": _number(ind.national_baseline, ind), "target": _number(ind.target, ind),
                    "latest": latest, "when": when, "rag": rag, "status": status})
    return pd.DataFrame(out)


def plan_table(data: ScorecardData, public: pd.DataFrame) -> Block:
    """Table 8 as the council printed it (Kent 2014, National 2014, Target 2015), with Kent's latest
    figure to the end of the period and its RAG, or why the row cannot be rated."""
    frame = plan_rows(data, public)
    # the figure and the time it is for in columns of their own, so that each figure is a number in the CSV
    columns = ["Indicator", "Kent 2014 (baseline)", "National 2014", "Target 2015", "Kent latest",
               "Kent latest: figure for", "RAG", "Not rated because"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs = []
    for r in frame.to_dict("records"):
        when = r["when"] if r["rag"] else ""
        latest = r["latest"] if r["rag"] else NOT_APPLICABLE
        why = "" if r["rag"] else (r["status"].removeprefix("Not rated: ").capitalize()
                                   if r["status"].startswith("Not rated: ") else r["status"])
        cells = [r["baseline"], r["national"], r["target"], latest, when]
        trs.append(f'<tr><th scope="row">{_e(r["title"])}</th>' + "".join(f"<td>{_e(c)}</td>" for c in cells)
                   + f"<td>{rag_badge(r['rag'])}</td><td>{_e(why)}</td></tr>")
    rated = int((frame["status"] == "Rated").sum())
    with_target = int((frame["target"] != NOT_APPLICABLE).sum())
    caption = (f"EHPS one-year plan targets and Kent's latest figures to {data.period.end:%d %B %Y}: "
               f"{rated} of the {with_target} rows with a target rated")
    notes = [f"Source of the baselines and targets: {PLAN_SOURCE}. The minimum standard (Red beyond it) is the "
             "2014 baseline. Case-data figures are for the paper's period (in brackets); public figures for the "
             "latest year published by its end (the year in brackets).",
             f"{NOT_APPLICABLE}: not printed in the plan."]
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-plan-table")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


__all__ = ["plan_indicators", "plan_line", "plan_rows", "plan_table", "PLAN_SOURCE"]
