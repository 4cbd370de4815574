"""Sections shared by the papers of an area: the heading, the summary table and the definitions."""

from __future__ import annotations

from ..geography import KENT_CODE
from ..periods import Period
from .blocks import (
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _e,
    _notes,
    _period_short,
    _table_html,
    _table_markdown,
    _unit_words,
    heading_block,
)
from .scorecard_data import ScorecardData

PRODUCT = "Early Help and Preventative Services scorecard"


def title_block(data: ScorecardData, product: str = PRODUCT, period_line: str | None = None) -> Block:
    """The paper's heading: area and product, the period, and the synthetic-data banner if any."""
    return heading_block(data.area_name, product, period_line or data.period.title,
                         data.meta.get("extract_date"), data.synthetic)


# -- definitions -----------------------------------------------------------------------------------
def definitions(data: ScorecardData) -> Block:
    """The catalogue definitions of the indicators shown (title, definition, unit, data period,
    source and notes)."""
    from ..indicators.catalogue import DATA_PERIODS, POLARITIES

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


__all__ = ['title_block', 'summary_table', 'definitions']
