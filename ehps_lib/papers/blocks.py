"""What a paper is made of: the :class:`Block` (HTML, Markdown and text forms), value
formatting, table helpers, badges and the synthetic-data banner. Shared by every paper.

Accessibility (WCAG 2.2 AA) is built in rather than left to the notebook: tables have a
``<caption>`` and scoped header cells; RAG ratings are a word and a symbol as well as a colour;
directions of travel are arrows with words.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from dataclasses import dataclass

import pandas as pd

from ..indicators.catalogue import Indicator
from ..periods import Period
from .markup import html_to_markdown
from .markup import table as markup_table
from .styles import for_lab

NOT_AVAILABLE = "n/a"
#: Printed in place of a value withheld by small-number suppression.
SUPPRESSED = "c"
SYNTHETIC_BANNER_TEXT = "Synthetic data: not real children's records"
#: Attribute marking the synthetic-data banner, so a page template can tell it is there.
SYNTHETIC_BANNER_ATTR = "data-ehps-synthetic-banner"


# -- what a helper returns -------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """A piece of a paper: HTML for browsers and the built-in renderer, Markdown for Quarto's
    Typst PDF, an SVG image for charts, and plain text.

    The Markdown form is made from the HTML (:func:`ehps_lib.papers.markup.html_to_markdown`:
    every table with every column, every figure with its alt text and caption, callouts for
    the banner and the commentary, raw Typst for landscape pages) unless one is given, so that
    the web page and the PDF say the same thing. Quarto reads ``text/html`` for web pages and
    ``text/markdown`` for PDFs (:mod:`ehps_lib.papers.markup`).
    """

    html: str
    markdown: str | None = None
    text: str = ""
    svg: str | None = None

    def __post_init__(self) -> None:
        if self.markdown is None and self.html:
            object.__setattr__(self, "markdown", html_to_markdown(self.html))

    def _repr_html_(self) -> str:
        # In JupyterLab the block brings the workspace's styles with it, scoped to itself.
        return for_lab(self.html)

    def _repr_markdown_(self) -> str | None:
        return self.markdown

    def _repr_svg_(self) -> str | None:
        # Only for a block with no other form: every reader (JupyterLab, the built-in engine,
        # Quarto's web page and PDF) takes the HTML or the Markdown first, which already hold
        # the chart, so the SVG would only double the notebook's size.
        return self.svg if not (self.html or self.markdown) else None

    def __repr__(self) -> str:
        # The plain-text form: the block's own text, else its words without markup (short).
        if self.text:
            return self.text
        words = " ".join(re.sub(r"<[^>]+>", " ", self.html).split())
        return words[:300] + ("..." if len(words) > 300 else "")

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
    """A pipe table from plain-text rows ``(row heading, values)``: :func:`ehps_lib.papers.markup.table`
    (every cell escaped, relative widths)."""
    return markup_table(caption, columns, [[head, *values] for head, values in rows])


# -- badges: colour is never the only cue ----------------------------------------------------------
#: RAG status as word + symbol (+ colour from the style sheet), for HTML and text.
RAG_SYMBOL = {"Green": "✔", "Amber": "▲", "Red": "✖"}
#: Direction of travel as printed (the council's arrows: ↑ improved, ↓ worse, → no change).
DIRECTION_SYMBOL = {"improved": "↑", "worse": "↓", "no change": "►", "higher": "▲", "lower": "▼",
                    "not compared": ""}
DIRECTION_WORDS = {"improved": "Improved", "worse": "Worse", "no change": "No change",
                   "higher": "Higher (no judgement)", "lower": "Lower (no judgement)", "not compared": "Not compared"}
COMPARISON_WORDS = {"better": "Better than Kent", "similar": "Similar to Kent", "worse": "Worse than Kent",
                    "higher": "Higher than Kent (no judgement)", "lower": "Lower than Kent (no judgement)",
                    "better (99.8%)": "Better than Kent (99.8%)", "worse (99.8%)": "Worse than Kent (99.8%)",
                    "higher (99.8%)": "Higher than Kent (99.8%, no judgement)",
                    "lower (99.8%)": "Lower than Kent (99.8%, no judgement)",
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


def _value_of(text: str | None) -> float | None:
    """The number a printed cell shows ("1,143", "79.7%"), or None (``c``, ``n/a``, words)."""
    if text is None:
        return None
    t = str(text).replace(",", "").replace("%", "").strip()
    try:
        return float(t)
    except ValueError:
        return None


def movement(direction: str | None, polarity: str | None = None, now: str | None = None,
             before: str | None = None) -> tuple[str, str, str]:
    """How a direction of travel is printed so that it never contradicts the values shown:
    ``(key, arrow, words)``. The arrow is the value's own movement (▲ higher, ▼ lower, ► no
    change) and the words say whether that is better: "Higher: improved", "Lower: worse",
    "Higher (no judgement)". ``now`` and ``before`` are the cells as printed: equal printed
    values are "No change" whatever the unrounded figures did.

    Examples
    --------
    >>> movement("improved", "L")
    ('improved', '▼', 'Lower: improved')
    >>> movement("improved", "H", "16.1%", "16.1%")
    ('no change', '►', 'No change')
    >>> movement("worse", "T", "21.6%", "19.1%")
    ('worse', '▲', 'Higher: worse')
    """
    d = direction if direction in DIRECTION_WORDS else "not compared"
    a, b = _value_of(now), _value_of(before)
    if a is not None and b is not None and now == before and d != "not compared":
        d = "no change"
    if d in ("no change", "not compared"):
        return d, DIRECTION_SYMBOL[d], DIRECTION_WORDS[d]
    up = None
    if a is not None and b is not None and a != b:
        up = a > b
    elif d in ("higher", "lower"):
        up = d == "higher"
    elif polarity in ("H", "L"):
        up = (d == "improved") == (polarity == "H")
    if up is None:
        return d, "", DIRECTION_WORDS[d]
    where = "Higher" if up else "Lower"
    words = f"{where}: {d}" if d in ("improved", "worse") else f"{where} (no judgement)"
    return d, "▲" if up else "▼", words


def direction_badge(direction: str | None, polarity: str | None = None, now: str | None = None,
                    before: str | None = None) -> str:
    """HTML for a direction of travel: the value's arrow (hidden from screen readers) and words
    that say whether the change is better (:func:`movement`)."""
    key, symbol, words = movement(direction, polarity, now, before)
    arrow = f'<span aria-hidden="true">{symbol}</span> ' if symbol else ""
    return f'<span class="ehps-dot ehps-dot-{key.replace(" ", "-")}">{arrow}{_e(words)}</span>'


def comparison_badge(comparison: str | None) -> str:
    """HTML for a comparison with Kent, in words."""
    key = comparison if comparison in COMPARISON_WORDS else "not compared"
    css = key.split(" (")[0].replace(" ", "-")
    return f'<span class="ehps-cmp ehps-cmp-{css}">{COMPARISON_WORDS[key]}</span>'


# -- title -----------------------------------------------------------------------------------------
def synthetic_banner_html() -> str:
    """The banner every page built from synthetic data carries (role ``note``)."""
    return (f'<div class="ehps-synthetic-banner" role="note" {SYNTHETIC_BANNER_ATTR}="">'
            f"<p><strong>{_e(SYNTHETIC_BANNER_TEXT)}</strong></p>"
            "<p>Every figure here comes from a synthetic extract made by the workspace's generator "
            "for testing and demonstration. It describes no real child, family or service.</p>"
            "</div>")


def heading_block(area_name: str, product: str, period_line: str, extract_date: object, synthetic: bool) -> Block:
    """A paper's heading, shared by every template: "<area>: <product>", the period line, the
    extract date, and the synthetic-data banner when the data are synthetic."""
    title = f"{area_name}: {product}"
    parts = [f'<h1 class="ehps-title">{_e(title)}</h1>', f'<p class="ehps-period">{_e(period_line)}</p>']
    if extract_date:
        parts.append(f'<p class="ehps-extract">Data extracted on {_e(_long_date(extract_date))}.</p>')
    if synthetic:
        parts.append(synthetic_banner_html())
    text = f"{title}\n{period_line}" + (f"\n{SYNTHETIC_BANNER_TEXT}" if synthetic else "")
    return Block(html=f'<div class="ehps-title-block">{"".join(parts)}</div>', text=text)


def _long_date(value: object) -> str:
    d = dt.date.fromisoformat(str(value)[:10])
    return f"{d.day} {d:%B %Y}"


def _notes(missing: bool, suppressed: bool) -> list[str]:
    notes = []
    if missing:
        notes.append(f"{NOT_AVAILABLE}: not available, because the period is before the start of the extract "
                     "or there were no cases to base a percentage on.")
    if suppressed:
        notes.append(f"{SUPPRESSED}: withheld to protect confidentiality (a small number, or a figure from "
                     "which one could be worked out).")
    return notes


def _subject(ind: Indicator) -> str:
    """The indicator title as it reads inside a sentence."""
    t = ind.title
    return t if t.startswith("Early Help") else t[0].lower() + t[1:]

#: Printed where a column does not apply (the council's "-").
NOT_APPLICABLE = "-"


# -- formatting ------------------------------------------------------------------------------------
def compact_number(value: float, unit: str) -> str:
    """A target or floor as the council writes it in data notes: no needless decimals.

    Examples
    --------
    >>> compact_number(1490.0, "count"), compact_number(90.0, "%"), compact_number(17.5, "%")
    ('1,490', '90%', '17.5%')
    """
    v = float(value)
    text = f"{v:,.0f}" if v == round(v) else f"{v:,.1f}"
    return text + ("%" if unit == "%" else "")


def signed_change(now: float | None, before: float | None, *, now_suppressed: bool = False,
                  before_suppressed: bool = False) -> str:
    """The change between two counts as the council prints it: ``+5``, ``-3``, ``0``.

    ``c`` when either count is withheld (the change would reveal it); ``n/a`` when either
    is missing.

    Examples
    --------
    >>> signed_change(9444, 9711), signed_change(1145, 1092), signed_change(3, 3)
    ('-267', '+53', '0')
    >>> signed_change(10, None, before_suppressed=True)
    'c'
    """
    if now_suppressed or before_suppressed:
        return SUPPRESSED
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return NOT_AVAILABLE
    d = round(float(now) - float(before))
    return f"+{d:,}" if d > 0 else f"-{abs(d):,}" if d < 0 else "0"


def _html_table(caption: str, head_rows: list[str], body: str, css_class: str = "ehps-table",
                colgroups: str = "") -> str:
    return (f'<table class="{css_class}"><caption>{_e(caption)}</caption>{colgroups}'
            f"<thead>{''.join(head_rows)}</thead>{body}</table>")


def _notes_html(notes: list[str]) -> str:
    return "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)


def _dot_words(direction: str, polarity: str | None = None, now: str | None = None,
               before: str | None = None) -> str:
    _key, symbol, words = movement(direction, polarity, now, before)
    return f"{symbol} {words}".strip()


def _cell_notes(cells: list[str]) -> list[str]:
    notes = []
    if NOT_APPLICABLE in cells:
        notes.append(f"{NOT_APPLICABLE}: does not apply (no numerator or denominator for a count; no rolling "
                     "three months except for percentages).")
    if NOT_AVAILABLE in cells:
        notes.append(f"{NOT_AVAILABLE}: not available, because the month is before the start of the extract "
                     "or there were no cases to base a figure on.")
    if SUPPRESSED in cells:
        notes.append(f"{SUPPRESSED}: withheld to protect confidentiality (a small number, or a figure from "
                     "which one could be worked out).")
    return notes


__all__ = ['Block', 'format_value', 'signed_change', 'compact_number']
