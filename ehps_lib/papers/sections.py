"""Sections shared by the papers of an area: the heading, the summary table and the definitions."""

from __future__ import annotations

import re

from ..geography import KENT_CODE
from ..indicators import stats
from ..indicators.catalogue import Indicator
from ..periods import Period
from .blocks import (
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _e,
    _notes,
    _period_short,
    _table_html,
    _unit_words,
    compact_number,
    heading_block,
)
from .scorecard_data import ScorecardData

PRODUCT = "Early Help and Preventative Services scorecard"


def title_block(data: ScorecardData, product: str = PRODUCT, period_line: str | None = None) -> Block:
    """The paper's heading: area and product, the period, and the synthetic-data banner if any."""
    return heading_block(data.area_name, product, period_line or data.period.title,
                         data.meta.get("extract_date"), data.synthetic)


# -- definitions -----------------------------------------------------------------------------------
def definitions(data: ScorecardData, level: int = 3) -> Block:
    """The catalogue definitions of the indicators shown (title, definition, unit, data period,
    source and notes), each under a heading of ``level``."""
    from ..indicators.catalogue import DATA_PERIODS, POLARITIES

    parts = []
    population = (data.meta.get("reference") or {}).get("population")
    if population and any(ind.is_rate for ind in data.indicators):
        note = (f"Rates per 10,000 children use the {population}: the latest estimate published by the end of "
                "the period." if not population.startswith("none") else
                f"No population estimate published by the end of the period is held ({population}), so rates "
                "are not available.")
        parts.append(f'<p class="ehps-definitions-vintage">{_e(note)}</p>')
    for ind in data.indicators:
        fields = [("Definition", ind.definition), ("Unit", ind.unit),
                  ("Data period", DATA_PERIODS.get(ind.data_period, ind.data_period)),
                  ("Polarity", POLARITIES.get(ind.polarity, ind.polarity)),
                  ("Source", ind.source)]
        if ind.has_data and ind.polarity in ("H", "L", "T"):
            fields.append(("Target", rag_bands_text(ind).removeprefix("Target: ")))
        if ind.notes:
            fields.append(("Notes", note_text(ind)))
        items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in fields)
        parts.append(f'<section class="ehps-definition"><h{level}>{_e(ind.title)}</h{level}><dl>{items}</dl></section>')
    return Block(html=f'<div class="ehps-definitions">{"".join(parts)}</div>',
                 text="Indicator definitions")




def rag_bands_text(ind: Indicator, target=None, floor=None) -> str:
    """The target and its RAG bands in words, as the council's data notes put them.

    Examples
    --------
    >>> from ehps_lib.indicators.catalogue import load_catalogue
    >>> rag_bands_text(load_catalogue()["step_downs_r12m"])
    'Target: 1,490 (RAG bandings: below 1,145 = Red, 1,145 to 1,490 = Amber, 1,490 and above = Green)'
    """
    t = ind.target if target is None else target
    f = ind.floor if floor is None else floor
    if t is None or ind.polarity == "N":
        return "Target: none published; the indicator is not rated."
    u = ind.unit
    if ind.polarity == "T":
        t_lo, t_hi = stats._as_range(t)
        green = f"{compact_number(t_lo, u)} to {compact_number(t_hi, u)} = Green"
        if f is None:
            return f"Target: {compact_number(t_lo, u)} to {compact_number(t_hi, u)} (RAG bandings: {green}, " \
                   "anything else = Red)"
        f_lo, f_hi = stats._as_range(f)
        return (f"Target: {compact_number(t_lo, u)} to {compact_number(t_hi, u)} (RAG bandings: below "
                f"{compact_number(f_lo, u)} or above {compact_number(f_hi, u)} = Red, {compact_number(f_lo, u)} to "
                f"{compact_number(t_lo, u)} or {compact_number(t_hi, u)} to {compact_number(f_hi, u)} = Amber, "
                f"{green})")
    tt = compact_number(t, u)
    if ind.polarity == "H":
        if f is None:
            return f"Target: {tt} (RAG bandings: below {tt} = Red, {tt} and above = Green)"
        ff = compact_number(f, u)
        return f"Target: {tt} (RAG bandings: below {ff} = Red, {ff} to {tt} = Amber, {tt} and above = Green)"
    if f is None:
        return f"Target: {tt} (RAG bandings: above {tt} = Red, {tt} and below = Green)"
    ff = compact_number(f, u)
    return f"Target: {tt} (RAG bandings: {ff} and above = Red, {tt} to {ff} = Amber, {tt} and below = Green)"


def note_text(ind: Indicator) -> str:
    """The indicator's notes with ``{target}`` and ``{floor}`` filled in from the catalogue.

    Examples
    --------
    >>> from ehps_lib.indicators.catalogue import load_catalogue
    >>> "the target is 1,490 and the minimum standard (the baseline) 1,145" in note_text(
    ...     load_catalogue()["step_downs_r12m"])
    True
    """
    def value(name: str) -> str:
        v = getattr(ind, name)
        if isinstance(v, list | tuple):
            return f"{compact_number(v[0], ind.unit)} to {compact_number(v[1], ind.unit)}"
        return compact_number(v, ind.unit)

    return re.sub(r"\{(target|floor)\}", lambda m: value(m.group(1)), ind.notes or "")


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
    rows_html, missing, suppressed = [], False, False
    for ind in data.indicators:
        shown = [data.cell(ind.id, p) for _, p in periods]
        if not data.is_kent:
            shown.append(data.cell(ind.id, data.period, area_code=KENT_CODE))
        missing = missing or NOT_AVAILABLE in shown
        suppressed = suppressed or SUPPRESSED in shown
        head = f'{_e(ind.title)} <span class="ehps-unit">({_e(_unit_words(ind).lower())})</span>'
        rows_html.append((head, shown))
    caption = (f"Scorecard summary for {data.area_name}, {data.period.title}: each indicator for all ages, "
               "with the previous period and the same period a year earlier"
               + ("" if data.is_kent else ", and Kent for comparison"))
    notes = _notes(missing, suppressed)
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, columns, rows_html)
    return Block(html=f'<div class="ehps-table-wrap">{table}{note}</div>', text=caption)


__all__ = ['title_block', 'summary_table', 'definitions', 'rag_bands_text', 'note_text']
