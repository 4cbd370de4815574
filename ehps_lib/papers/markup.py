"""The Markdown form of a paper's HTML: what Quarto's Typst PDF is made from.

Quarto renders an executed notebook by turning each output into Pandoc Markdown and handing
that to Pandoc (https://quarto.org/docs/tools/jupyter-lab.html). For HTML pages it takes an
output's ``text/html``; for Typst PDFs it takes ``text/markdown`` first, then an image, and
otherwise falls back to ``text/plain`` (quarto-cli ``src/core/jupyter/display-data.ts``), which
is how commentary became a grey code block and charts vanished from the PDFs. So every
:class:`~ehps_lib.papers.blocks.Block` carries a Markdown twin of its HTML, made here from the
same HTML so that the two can never say different things:

* every table becomes a pipe table with **every** column (a heading over several columns
  labels each of them; a section row spanning the table is a bold first cell), its caption,
  and column widths set by the lengths of the separator dashes (Pandoc gives a pipe table
  relative widths when a line is longer than 72 characters, https://pandoc.org/MANUAL.html#tables),
  so the indicator column is not squeezed;
* every figure becomes an image (the same data URI) with its caption and its alt text as
  ``fig-alt`` (Quarto's figure alt text, https://quarto.org/docs/authoring/figures.html) and
  ``alt``; the figure's data table follows it, as it does in print;
* the synthetic-data banner, commentary, notes and warnings become Quarto callouts
  (https://quarto.org/docs/authoring/callouts.html);
* what Markdown cannot say is raw Typst (``{=typst}`` blocks, which every other format
  ignores): smaller type and tighter cells for wide tables, the smallest for the 13-column
  scorecard. Not a landscape page or a page break: Quarto puts every cell output in a Typst
  ``#block[...]`` (Pandoc writes a div so), where Typst allows no page settings ("page
  configuration is not allowed inside of containers"), and a rotated table could not break
  across pages; so the PDF's wide tables are portrait, with columns sized to their content;
* text is escaped, so that nothing in it is read as Markdown (``*``, ``|``, ``$``, ``@`` ...),
  and straight quotes stay straight.

Only the paper's title (``<h1 class="ehps-title">``) is left out: in a Quarto PDF the title
comes from the front matter, with the area and the period (:mod:`ehps_lib.publish.render`).
Text hidden from sight (``ehps-visually-hidden``) is left out, as it is in print.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Callouts: the class of the HTML element, Quarto's callout type and its title when the
#: element does not start with a bold title of its own.
CALLOUTS = {
    "ehps-synthetic-banner": ("warning", "Synthetic data"),
    "ehps-sc-missing": ("warning", "Commentary missing"),
    "ehps-sc-warning": ("warning", "Warning"),
    "ehps-sc-note": ("note", "Note on the commentary"),
    "ehps-sc-commentary": ("note", "Commentary"),
    "ehps-sc-data-notes": ("note", "Data notes"),
}
#: Wrappers of the widest tables (landscape in the built-in print): the smallest type in the PDF.
WIDE_CLASSES = {"ehps-sc-landscape"}
#: Text hidden from sight in print (and so from the PDF).
HIDDEN_CLASSES = {"ehps-visually-hidden"}
#: Shown in capitals by the style sheet, so in capitals in the PDF too.
UPPER_CLASSES = {"committee-subject"}
#: The paper's title: in a Quarto PDF it comes from the front matter.
TITLE_CLASSES = {"ehps-title"}

#: Type size of tables in the PDF by number of columns (the body is 10pt).
TABLE_TYPE_SIZES = ((11, "7pt"), (8, "8pt"), (0, "9pt"))
#: Type size of the widest tables (:data:`WIDE_CLASSES`).
WIDE_TYPE_SIZE = "6.5pt"
#: Total dashes of a pipe table's separator line: more than Pandoc's 72 columns, so the dashes
#: set the columns' relative widths (a table with a caption always has a line that long).
WIDTH_DASHES = 160
#: Longest cell text that still widens a column: a column of row headings, any other column.
WIDTH_CAP_HEADINGS, WIDTH_CAP = 40, 16
#: Width of a figure in the HTML (CSS pixels) that fills the PDF's text width.
FULL_WIDTH_PX = 800

_BLOCK_TAGS = {"p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "figure",
               "table", "ul", "ol", "dl", "details", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
               "hr", "img", "svg", "dt", "dd", "li", "figcaption", "summary", "caption"}
_SKIP_TAGS = {"script", "style", "template", "colgroup", "col", "summary", "title", "head", "meta", "link"}
_ESCAPE = re.compile(r"([\\`*_{}\[\]<>#|$@~^&\"'])")
_LINE_START = re.compile(r"^([-+:=]|\d+[.)])(?=\s|$)")
_NUMERIC = re.compile(r"^[\s\d,.%+\-–−c]*$|^n/a$|^c$|^-$|^[\d,.%]+ to [\d,.%]+$")


# -- text ---------------------------------------------------------------------------------------------
def md_escape(text: object) -> str:
    """``text`` as literal Pandoc Markdown on one line: every character that Markdown reads as
    markup is escaped, and so are ``--`` and ``...`` (which would become dashes and ellipses),
    straight quotes (which would become curly) and a line start that would begin a list.

    Examples
    --------
    >>> md_escape("Children's *rate* | 5 $ (c) @x")
    "Children\\\\'s \\\\*rate\\\\* \\\\| 5 \\\\$ (c) \\\\@x"
    >>> md_escape("1. First -- and more...")
    '1\\\\. First -\\\\- and more..\\\\.'
    """
    s = " ".join(str(text).split())
    s = _ESCAPE.sub(r"\\\1", s)
    s = s.replace("--", "-\\-").replace("...", "..\\.")
    m = _LINE_START.match(s)
    if m:
        token = m.group(1)
        s = (token[:-1] + "\\" + token[-1] if token[-1] in ".)" else "\\" + token) + s[len(token):]
    return s


def attr_value(text: object) -> str:
    """A value for a Pandoc attribute (``key="value"``): one line, quotes and backslashes escaped."""
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"', '\\"')


def raw_typst(code: str) -> str:
    """A raw Typst block: passed to Typst as it is, ignored by every other format."""
    return f"```{{=typst}}\n{code.strip()}\n```"


def raw_html(code: str) -> str:
    """A raw HTML block: passed to HTML formats as it is, ignored by every other format.

    The fence is longer than any run of backticks in ``code``.
    """
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{=html}}\n{code.strip()}\n{fence}"


def callout(kind: str, body: str, title: str | None = None) -> str:
    """A Quarto callout block (``::: {.callout-note title="..."}``) around Markdown ``body``."""
    fence = ":" * max(3, _longest_fence(body) + 1)
    head = f'{fence} {{.callout-{kind}' + (f' title="{attr_value(title)}"' if title else "") + "}"
    return f"{head}\n{body.strip()}\n{fence}"


def _longest_fence(md: str) -> int:
    return max((len(m) for m in re.findall(r"^(:{3,})", md, flags=re.MULTILINE)), default=0)


def figure(src: str, *, alt: str, caption: str, width: str = "100%") -> str:
    """An image paragraph that Pandoc reads as a figure: ``![caption](src){fig-alt="..." alt="..."}``.

    ``fig-alt`` is Quarto's alt text for a figure; ``alt`` is Pandoc's, for converters that
    read the image alone.
    """
    return (f"![{md_escape(caption)}](<{src}>){{fig-alt=\"{attr_value(alt)}\" alt=\"{attr_value(alt)}\" "
            f'width="{width}"}}')


# -- tables -------------------------------------------------------------------------------------------
def table(caption: str, columns: list[str], rows: list[list[str]], *, align: list[str] | None = None,
          widths: list[float] | None = None, section_rows: Iterable[int] = (), type_size: str | None = None,
          wide: bool = False, heading_column: int = 0) -> str:
    """A pipe table with every column, its caption and relative column widths.

    ``rows`` hold plain text; a row whose index is in ``section_rows`` is a heading that spans
    the table (its text is set in bold in the ``heading_column``, the column of row headings).
    ``align`` holds ``"left"`` or ``"right"`` per column (default: the first left, the others
    right when every cell is a figure); ``widths`` relative weights (default: from the lengths
    of the texts, the column of row headings allowed the widest).
    ``type_size`` (Typst, e.g. ``"8pt"``; default by the number of columns) and ``wide`` (the
    smallest type, tighter cells) set the table's type in raw Typst, in a scope that ends with it.
    """
    n = len(columns)
    sections = set(section_rows)
    body = [list(r) + [""] * (n - len(r)) for r in rows]
    align = align or _default_align(columns, [r for i, r in enumerate(body) if i not in sections])
    weights = widths or _weights(columns, [r for i, r in enumerate(body) if i not in sections], heading_column)
    lines = ["| " + " | ".join(md_escape(c) or " " for c in columns) + " |"]
    for i, row in enumerate(body):
        cells = [md_escape(c) for c in row]
        if i in sections:
            label = next((c for c in cells if c), "")
            cells = [""] * n
            cells[min(heading_column, n - 1)] = f"**{label}**" if label else ""
        lines.append("| " + " | ".join(cells) + " |")
    total = sum(weights) or 1.0
    dashes = [max(3, round(w / total * WIDTH_DASHES)) for w in weights]
    sep = "|" + "|".join((":" + "-" * d if a == "left" else "-" * d + ":")
                         for a, d in zip(align, dashes, strict=True)) + "|"
    out = "\n".join([lines[0], sep, *lines[1:]]) + (f"\n\n: {md_escape(caption)}" if caption else "")
    if wide:
        type_size = type_size or WIDE_TYPE_SIZE
    if type_size is None:
        type_size = next((size for cols, size in TABLE_TYPE_SIZES if n >= cols), None)
    if type_size:
        inset = "\n#set table(inset: 3pt)" if wide else ""
        out = raw_typst(f"#[\n#set text(size: {type_size}){inset}") + "\n\n" + out + "\n\n" + raw_typst("]")
    return out


def _default_align(columns: list[str], rows: list[list[str]]) -> list[str]:
    out = []
    for j in range(len(columns)):
        cells = [r[j] for r in rows if j < len(r) and r[j].strip()]
        numeric = bool(cells) and all(_NUMERIC.match(c.strip()) for c in cells)
        out.append("right" if j > 0 and numeric else "left")
    return out


def _weights(columns: list[str], rows: list[list[str]], heading_column: int = 0) -> list[float]:
    out = []
    for j, head in enumerate(columns):
        cap = WIDTH_CAP_HEADINGS if j == heading_column else WIDTH_CAP
        # a heading's longest word must fit (or it is hyphenated); long cell texts may wrap
        longest_word = max((len(w) for w in head.split()), default=1) + 1
        cells = [len(r[j]) + 1 for r in rows if j < len(r)]
        out.append(float(max(4, longest_word, min(cap, max(cells, default=0)))))
    return out


# -- HTML to Markdown ---------------------------------------------------------------------------------
def html_to_markdown(fragment: str) -> str:
    """The Markdown form of an HTML fragment made by the papers (see the module docstring).

    Any element not named here is read for its text, so nothing is lost.

    Examples
    --------
    >>> print(html_to_markdown('<h3>Rates</h3><p>One <strong>two</strong>.</p>'))
    ### Rates
    <BLANKLINE>
    One **two**.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment or "", "html.parser")
    return _join(_blocks(soup.contents))


def _join(parts: list[str]) -> str:
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip())


def _classes(el) -> set[str]:
    return set(el.get("class") or []) if getattr(el, "name", None) else set()


def _is_block(el) -> bool:
    if not getattr(el, "name", None):
        return False
    if el.name in _BLOCK_TAGS:
        return True
    return any(_is_block(c) for c in getattr(el, "contents", []))


def _blocks(nodes) -> list[str]:
    """Markdown blocks of a list of sibling nodes; runs of inline content become paragraphs."""
    out: list[str] = []
    run: list = []

    def flush():
        text = _inline_of(run).strip()
        if text:
            out.append(_paragraph(text))
        run.clear()

    items = [n for n in nodes if getattr(n, "name", None) not in _SKIP_TAGS]
    for i, node in enumerate(items):
        name = getattr(node, "name", None)
        if name is None:
            if type(node).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration"):
                continue
            run.append(node)
            continue
        if _classes(node) & HIDDEN_CLASSES:
            continue
        if not _is_block(node):
            run.append(node)
            continue
        flush()
        # a minor heading that only names the callout after it ("Commentary", "Data notes") is its
        # title; section headings (h2, h3) stay, as they structure the paper
        if name in ("h4", "h5", "h6"):
            nxt = _next_element(items, i)
            if nxt is not None and _callout_title(nxt) == _text(node):
                continue
        out.extend(_block(node))
    flush()
    return out


def _next_element(items, i):
    for node in items[i + 1:]:
        if getattr(node, "name", None):
            return node
        if str(node).strip():
            return None
    return None


def _callout_of(el) -> tuple[str, str] | None:
    for cls in _classes(el):
        if cls in CALLOUTS:
            return CALLOUTS[cls]
    return None


def _callout_title(el) -> str | None:
    found = _callout_of(el)
    if found is None:
        return None
    title, _ = _own_title(el)
    return title or found[1]


def _own_title(el):
    """A callout's bold opening (``<p><strong>Title</strong></p>`` or ``<strong>Title.</strong> text``)
    as its title; returns (title, node to drop or None)."""
    first = next((c for c in el.contents if getattr(c, "name", None) or str(c).strip()), None)
    if getattr(first, "name", None) in ("strong", "b"):
        return _text(first).rstrip(".:"), first
    if getattr(first, "name", None) == "p":
        inner = [c for c in first.contents if getattr(c, "name", None) or str(c).strip()]
        if len(inner) == 1 and getattr(inner[0], "name", None) in ("strong", "b"):
            return _text(inner[0]).rstrip(".:"), first
    return None, None


def _block(el) -> list[str]:
    name = el.name
    cls = _classes(el)
    found = _callout_of(el)
    if found is not None:
        kind, default = found
        title, drop = _own_title(el)
        children = [c for c in el.contents if c is not drop]
        if name == "p":
            body = _paragraph(_inline_of(children).strip())
        elif name == "dl":
            body = _join(_definition_list(el))
        else:
            body = _join(_blocks(children))
        return [callout(kind, body, title or default)]
    if cls & WIDE_CLASSES:
        return [_table_or_blocks(el, wide=True)]
    if name == "h1":
        if cls & TITLE_CLASSES:
            return []
        return [_paragraph(f"**{_inline(el).strip()}**")]
    if name in ("h2", "h3", "h4", "h5", "h6"):
        return ["#" * int(name[1]) + " " + _inline(el).strip()]
    if name == "p":
        text = _inline(el).strip()
        return [_paragraph(text)] if text else []
    if name == "table":
        return [_table(el)]
    if name == "figure":
        return _figure(el)
    if name == "img":
        return [_image(el, caption="")]
    if name in ("ul", "ol"):
        return [_list(el)]
    if name == "dl":
        return _definition_list(el)
    if name == "hr":
        return ["---"]
    if name == "pre":
        text = el.get_text()
        fence = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
        return [f"{fence}\n{text.rstrip()}\n{fence}"]
    if name == "blockquote":
        inner = _join(_blocks(el.contents))
        return ["\n".join("> " + line if line else ">" for line in inner.splitlines())]
    return _blocks(el.contents)


def _table_or_blocks(el, *, wide: bool) -> str:
    """An element whose tables are the widest; its other content as usual."""
    tables = el.find_all("table")
    parts = []
    for node in el.contents:
        if getattr(node, "name", None) == "table":
            parts.append(_table(node, wide=wide))
        elif getattr(node, "name", None) and node.find("table") is not None:
            parts.append(_table_or_blocks(node, wide=wide))
        else:
            parts.extend(_blocks([node]))
    return _join(parts) if tables else _join(_blocks(el.contents))


def _paragraph(text: str) -> str:
    """A paragraph: no line may start like a list item, a quote or a caption."""
    return "\n".join(_at_line_start(line) for line in text.split("\n"))


def _list(el) -> str:
    ordered = el.name == "ol"
    lines = []
    for n, li in enumerate(el.find_all("li", recursive=False), start=1):
        marker = f"{n}." if ordered else "-"
        inner = _join(_blocks(li.contents)) if _is_block_content(li) else _inline(li).strip()
        first, *rest = (inner or " ").splitlines() or [" "]
        lines.append(f"{marker} {first}")
        lines += [("    " + line) if line else "" for line in rest]
    return "\n".join(lines)


def _is_block_content(el) -> bool:
    return any(_is_block(c) for c in el.contents)


def _definition_list(el) -> list[str]:
    """``<dt>Label</dt><dd>text</dd>`` pairs as ``**Label:** text`` paragraphs (the council's style)."""
    out = []
    pairs: list[tuple] = []
    for node in el.find_all(["dt", "dd"]):
        if node.find_parent("dl") is not el:
            continue
        if node.name == "dt":
            pairs.append((node, []))
        elif pairs:
            pairs[-1][1].append(node)
        else:
            pairs.append((None, [node]))
    for dt_node, dds in pairs:
        label = _inline(dt_node).strip() if dt_node is not None else ""
        if label and not label.endswith((":", "\\:")):
            label += ":"
        inline = all(not _is_block_content(dd) for dd in dds)
        if inline:
            text = "; ".join(t for t in (_inline(dd).strip() for dd in dds) if t)
            out.append(_paragraph(f"**{label}** {text}".strip() if label else text))
        else:
            if label:
                out.append(_paragraph(f"**{label}**"))
            for dd in dds:
                out.extend(_blocks(dd.contents))
    return out


# -- inline -------------------------------------------------------------------------------------------
def _inline_of(nodes) -> str:
    return "".join(_inline(n) for n in nodes)


def _inline(node) -> str:
    name = getattr(node, "name", None)
    if name is None:
        text = str(node)
        if type(node).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration"):
            return ""
        collapsed = re.sub(r"\s+", " ", text)
        return _escape_keep_spaces(collapsed)
    cls = _classes(node)
    if name in _SKIP_TAGS or cls & HIDDEN_CLASSES:
        return ""
    inner = _inline_of(node.contents)
    if cls & UPPER_CLASSES:
        inner = _escape_keep_spaces(re.sub(r"\s+", " ", node.get_text()).upper())
    if name in ("strong", "b"):
        return _wrap(inner, "**")
    if name in ("em", "i"):
        return _wrap(inner, "*")
    if name == "code":
        text = node.get_text()
        ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
        return f"{ticks}{text}{ticks}"
    if name == "br":
        return "\\\n"
    if name == "a" and node.get("href"):
        return f"[{inner.strip()}](<{node['href']}>)"
    if name == "img":
        return _image(node, caption="")
    return inner


def _wrap(inner: str, mark: str) -> str:
    stripped = inner.strip()
    if not stripped:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()):]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _escape_keep_spaces(text: str) -> str:
    """Escape text that may begin or end with a space (kept, as it separates words)."""
    if not text.strip():
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    escaped = _ESCAPE.sub(r"\\\1", text.strip()).replace("--", "-\\-").replace("...", "..\\.")
    return f"{lead}{escaped}{trail}"


def _text(node, *, hidden: bool = False) -> str:
    """The visible text of an element (with ``hidden``, also the text hidden from sight), on one line."""
    parts = []
    for s in node.find_all(string=True):
        if any((not hidden and _classes(p) & HIDDEN_CLASSES) or getattr(p, "name", None) in _SKIP_TAGS
               for p in s.parents):
            continue
        parts.append(str(s))
    # pieces are joined by a space, as the table CSVs are (render.tables_as_csv): adjacent
    # elements such as a caption and its attribution are separate phrases
    return " ".join(" ".join(parts).split())


def _at_line_start(text: str) -> str:
    m = _LINE_START.match(text)
    if not m:
        return text
    token = m.group(1)
    return (token[:-1] + "\\" + token[-1] if token[-1] in ".)" else "\\" + token) + text[len(token):]


# -- figures ------------------------------------------------------------------------------------------
def _figure(el) -> list[str]:
    """The figure's image(s) with its caption and alt text, then the rest of it (the chart's data
    table, warnings) in order, as in print."""
    import copy

    imgs = el.find_all("img")
    caption_el = el.find("figcaption")
    caption = _text(caption_el) if caption_el is not None else ""
    out = [_image(img, caption=caption if k == 0 else "") for k, img in enumerate(imgs)]
    if not imgs and caption:
        out.append(md_escape(caption))
    rest = copy.copy(el)
    for node in rest.find_all(["img", "figcaption"]):
        node.decompose()
    return out + _blocks(rest.contents)


def _image(img, *, caption: str) -> str:
    src = img.get("src", "")
    alt = img.get("alt", "")
    try:
        px = float(img.get("width") or FULL_WIDTH_PX)
    except ValueError:
        px = FULL_WIDTH_PX
    width = f"{min(100, round(px / FULL_WIDTH_PX * 100))}%"
    if caption:
        return figure(src, alt=alt, caption=caption, width=width)
    return f'![](<{src}>){{fig-alt="{attr_value(alt)}" alt="{attr_value(alt)}" width="{width}"}}'


# -- tables -------------------------------------------------------------------------------------------
def table_grid(el) -> tuple[str, list[list[tuple[str, bool, int]]], int]:
    """(caption, rows, header row count) of an HTML table; each row a list of (text, is header
    cell, column span) with row spans filled in, so every row has every column."""
    caption_el = el.find("caption")
    caption = _text(caption_el) if caption_el is not None else ""
    rows = [tr for tr in el.find_all("tr") if tr.find_parent("table") is el]
    head_count = sum(1 for tr in rows if tr.find_parent("thead") is not None
                     and tr.find_parent("thead").find_parent("table") is el)
    grid: list[list[tuple[str, bool, int]]] = []
    pending: dict[int, tuple[int, tuple[str, bool, int]]] = {}  # column -> (rows left, covered cell)
    for tr in rows:
        row: list[tuple[str, bool, int]] = []
        cells = tr.find_all(["th", "td"], recursive=False)
        k = 0
        while k < len(cells) or len(row) in pending:
            col = len(row)
            if col in pending:  # covered by a cell spanning rows above
                left, covered = pending.pop(col)
                if left > 1:
                    pending[col] = (left - 1, covered)
                row.append(covered)
                continue
            cell = cells[k]
            k += 1
            span = max(1, int(cell.get("colspan", 1) or 1))
            rowspan = max(1, int(cell.get("rowspan", 1) or 1))
            header = cell.name == "th"
            for j in range(span):
                row.append((_cell_text(cell), header, span) if j == 0 else ("", header, 0))
                if rowspan > 1:
                    pending[col + j] = (rowspan - 1, ("", header, -1))
        grid.append(row)
    return caption, grid, head_count


def _cell_text(cell) -> str:
    """The text of a table cell, as plain text (its Markdown is made by :func:`table`). Text hidden
    from sight is kept: in a table it is context a reader of the PDF needs too ("Dartford (North
    Kent)"), as the table's CSV download has it."""
    return _text(cell, hidden=True)


def _table(el, *, wide: bool = False) -> str:
    caption, grid, head_count = table_grid(el)
    if not grid:
        return ""
    n = max(len(r) for r in grid)
    grid = [r + [("", False, 1)] * (n - len(r)) for r in grid]
    if head_count == 0:
        head_count = 1 if all(c[1] for c in grid[0]) else 0
    if head_count:
        columns = []
        for j in range(n):
            labels = []
            for r in grid[:head_count]:
                text = r[j][0] if r[j][2] != -1 else ""
                if r[j][2] == 0:  # covered by a heading over several columns: repeat it
                    k = j
                    while k > 0 and r[k][2] == 0:
                        k -= 1
                    text = r[k][0]
                if text and text not in labels:
                    labels.append(text)
            columns.append(": ".join(labels))
        body = grid[head_count:]
    else:
        columns = [""] * n
        body = grid
    rows, sections = [], []
    for i, r in enumerate(body):
        spans_all = r[0][2] >= n and n > 1
        if spans_all:
            sections.append(i)
        rows.append([c[0] for c in r])
    # the column of row headings (<th scope="row">): the first with headings in every row
    plain = [r for i, r in enumerate(body) if i not in sections]
    heading_column = next((j for j in range(n) if plain and all(r[j][1] and r[j][2] > 0 for r in plain)), 0)
    return table(caption, columns, rows, section_rows=sections, wide=wide, heading_column=heading_column)


__all__ = ["html_to_markdown", "md_escape", "table", "figure", "callout", "raw_typst", "raw_html", "table_grid"]
