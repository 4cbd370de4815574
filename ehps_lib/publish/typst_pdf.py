"""The built-in engine's PDF writer: the published HTML page, laid out by Typst.

A paper's PDF is made from the very page the site publishes (:func:`ehps_lib.publish.render.render_page`),
so the two can never say different things: this module reads that HTML and writes Typst markup for
it, following the print rules of the project's style sheets (``templates/ehps.css`` and
``templates/css/``): A4 with the classification and "SYNTHETIC DATA" at the top of every page and
"Page N of M" at the foot; the scorecard's wide tables on landscape pages; each exception report and
the appendices from a new page; table headings repeated on every page a table runs onto; the
page's navigation, download links and CSV links left out.

Typst (PyPI ``typst``, the engine ``_quarto.yml`` names) writes tagged PDF/UA-1: the document's
title and language, headings, lists, tables with their heading rows, and every chart and map as a
figure with its alternative text; it refuses to write a PDF/UA file that breaks the standard (an
image without alternative text, say), and so does this writer. It lays out a ten-page district
dashboard in a few hundredths of a second, where WeasyPrint took about two seconds (issue 17).

Rendering is deterministic: the same page gives the same bytes (``SOURCE_DATE_EPOCH`` or the
page's build time is the PDF's date).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
import subprocess
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import html as lxml_html

from . import TYPST_INHERITED

#: PDF standard written (``typst.compile(pdf_standards=...)``).
PDF_STANDARD = "ua-1"
#: Text colours and fills of the style sheets (WCAG 2.2 AA contrast, as on the web page).
COLOURS = {
    "text": "#0b0c0c", "muted": "#484949", "blue": "#12436d", "rule": "#b1b4b6", "stripe": "#f3f2f1",
    "section": "#e8f0f7", "yellow": "#ffdd00", "green": "#00703c", "red": "#d4351c", "grey": "#505a5f",
    "dark-green": "#005a30", "dark-red": "#942514", "link": "#1d5b96",
}
RAG_STYLE = {  # class → (fill, text colour, bold)
    "ehps-rag-green": ("green", "#ffffff", True), "ehps-rag-amber": ("yellow", "text", True),
    "ehps-rag-red": ("red", "#ffffff", True), "ehps-rag-none": ("#ffffff", "grey", False),
}
TEXT_STYLE = {  # class → (colour or None, bold)
    "ehps-dot-improved": ("dark-green", False), "ehps-dot-worse": ("dark-red", False),
    "ehps-cmp-better": ("dark-green", True), "ehps-cmp-worse": ("dark-red", True),
    "ehps-cmp-higher": (None, True), "ehps-cmp-lower": (None, True), "ehps-sc-value": (None, True),
    "ehps-atlas-this": (None, True), "ehps-org-name": (None, True), "ehps-sc-exc-title": (None, False),
}
#: Spans shown as a line of their own (``display: block``) and the text style of each.
LINE_STYLES = {"ehps-cypf-measure": f'fill: rgb("{COLOURS["muted"]}"), size: 0.88em',
               "ehps-cypf-statement": 'style: "italic", size: 0.88em',
               "ehps-attribution": f'fill: rgb("{COLOURS["muted"]}"), size: 7.5pt',
               "ehps-atlas-caption": ""}
#: Not printed (the print rules' ``display: none``, and what only a screen or screen reader uses).
HIDDEN_CLASSES = {"ehps-skip-link", "ehps-nav", "ehps-downloads", "ehps-related", "ehps-table-download",
                  "ehps-scroll-cue", "ehps-visually-hidden"}
HIDDEN_TAGS = {"script", "style", "source", "template", "noscript", "head", "meta", "link", "title", "nav"}
INLINE_TAGS = {"a", "abbr", "b", "br", "cite", "code", "data", "em", "i", "kbd", "label", "mark", "q", "s",
               "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr", "picture", "img"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
#: Wrappers with a style of their own (written by ``_Writer._block``, never looked through).
STYLED_CLASSES = {"ehps-synthetic-banner", "ehps-sc-note", "ehps-internal-notice", "ehps-draft", "ehps-sc-warning",
                  "ehps-atlas-note", "ehps-definitions", "ehps-definition", "ehps-sc-sparks", "ehps-sc-rag-body",
                  "ehps-sc-legend", "ehps-sc-missing"}
#: Sections printed on landscape pages (scorecard.css: ``page: ehps-landscape``).
LANDSCAPE_IDS = {"Scorecard", "scorecard"}
LANDSCAPE_LABELLED_BY = {"committee-appendix-1-3"}
#: Tables with more columns than this share the width out equally (the SCS activity table's 22).
WIDE_TABLE_COLUMNS = 14
#: Text width of an A4 page with the print margins (15 mm each side), portrait and landscape, in pt.
WIDTH_PT = {False: (210 - 30) * 72 / 25.4, True: (297 - 30) * 72 / 25.4}
MM = 72 / 25.4

_SPECIAL = re.compile(r"([\\*_#\[\]<>@~/$`\-+='\".:{}()])")
_SPACES = re.compile(r"[ \t\r\n\f]+")
_NUMBERISH = re.compile(r"^[\s\-+−–£$]*[\d.,]+\s*(%|pp|p)?[\s\S]{0,3}$|^c$|^[-–—]$|^n/?a$", re.IGNORECASE)


def _natural_size(kind: str, data: bytes) -> tuple[float, float]:
    """An image's size in points as a browser shows it (CSS pixels, 96 to the inch), from its
    own header: a PNG's pixels, an SVG's width and height; (0, 0) when it does not say.

    >>> _natural_size("png", bytes(16) + (640).to_bytes(4, "big") + (480).to_bytes(4, "big"))
    (480.0, 360.0)
    >>> _natural_size("svg+xml", b'<svg width="288pt" height="144pt" xmlns="http://www.w3.org/2000/svg"/>')
    (288.0, 144.0)
    """
    if kind == "png" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big") * 0.75, int.from_bytes(data[20:24], "big") * 0.75
    if kind == "svg+xml":
        head = data[:2000].decode("utf-8", errors="replace")
        size = {}
        for name in ("width", "height"):
            m = re.search(rf'<svg[^>]*\s{name}="([\d.]+)(pt|px)?"', head)
            if m:
                size[name] = float(m.group(1)) * (1.0 if m.group(2) == "pt" else 0.75)
        if len(size) == 2:
            return size["width"], size["height"]
    return 0.0, 0.0


class TypstPdfError(RuntimeError):
    """The page could not be laid out as a PDF; the message says why."""


def escape(text: str) -> str:
    """Text as Typst markup shows it, character for character.

    >>> escape("2.5% of *all* #1 [x] a--b")
    '2\\\\.5% of \\\\*all\\\\* \\\\#1 \\\\[x\\\\] a\\\\-\\\\-b'
    """
    return _SPECIAL.sub(r"\\\1", text)


def string(text: str) -> str:
    """A Typst string literal.

    >>> string('say "hi" \\\\ bye')
    '"say \\\\"hi\\\\" \\\\\\\\ bye"'
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _colour(name: str) -> str:
    return f'rgb("{COLOURS.get(name, name)}")'


@dataclass
class _Context:
    landscape: bool = False
    width_pt: float = WIDTH_PT[False]
    in_table: bool = False
    in_definitions: bool = False
    max_height_mm: float | None = None


@dataclass
class _Document:
    title: str = ""
    lang: str = "en"
    region: str | None = "GB"
    top_left: str = ""
    top_right: str = ""
    files: dict[str, bytes] = field(default_factory=dict)


class _Writer:
    def __init__(self, doc: _Document, last_level: int = 0) -> None:
        self.doc = doc
        self.last_level = last_level  # the level of the last heading written (for PDF/UA-1's order)

    # -- inline content ---------------------------------------------------------------------------
    def inline(self, el, ctx: _Context) -> str:
        """The markup of an element's children, as a run of text (blocks inside become text too)."""
        parts = [escape(_SPACES.sub(" ", el.text))] if el.text else []
        for child in el:
            if isinstance(child.tag, str):
                parts.append(self.inline_element(child, ctx))
            if child.tail:
                parts.append(escape(_SPACES.sub(" ", child.tail)))
        return "".join(parts)

    def inline_element(self, el, ctx: _Context) -> str:
        tag, cls = el.tag, _classes(el)
        if tag in HIDDEN_TAGS or cls & HIDDEN_CLASSES:
            return ""
        if tag == "br":
            return "#linebreak()"
        if tag == "wbr":
            return ""
        if tag in ("img", "picture"):
            return self.image(el if tag == "img" else el.find(".//img"), ctx)
        if tag not in INLINE_TAGS:
            inner = self.blocks(el, ctx)
            return f"#block[{inner}]" if inner.strip() else ""
        body = self.inline(el, ctx)
        if not body.strip() and tag != "span":
            return body
        if tag in ("strong", "b"):
            return f"#strong[{body}]"
        if tag in ("em", "i", "cite"):
            return f"#emph[{body}]"
        if tag in ("code", "kbd", "samp"):
            return f"#raw({string(el.text_content())})"
        if tag == "sup":
            return f"#super[{body}]"
        if tag == "sub":
            return f"#sub[{body}]"
        if tag == "a":
            href = (el.get("href") or "").strip()
            if not href or href.startswith("#"):
                return body
            return f"#link({string(href)})[{body}]"
        for name, (fill, colour, bold) in RAG_STYLE.items():
            if name in cls:
                stroke = _colour("grey") if name == "ehps-rag-none" else _colour("text")
                weight = ', weight: "bold"' if bold else ""
                return (f"#box(fill: {_colour(fill)}, stroke: 0.5pt + {stroke}, inset: (x: 0.3em, y: 0pt), "
                        f"outset: (y: 0.18em), radius: 0.15em)[#text(fill: {_colour(colour)}{weight})[{body}]]")
        for name, (colour, bold) in TEXT_STYLE.items():
            if name in cls:
                args = [f"fill: {_colour(colour)}"] if colour else []
                if bold:
                    args.append('weight: "bold"')
                return f"#text({', '.join(args)})[{body}]"
        if "ehps-unit" in cls:
            return f'#text(fill: {_colour("muted")}, size: 0.9em)[{body}]'
        if cls & {"committee-nowrap", "ehps-dot"}:
            return f"#box[{body}]"
        line = next((name for name in LINE_STYLES if name in cls), None)
        if line is not None:  # shown as a line of its own (display: block), in its own style
            style = LINE_STYLES[line]
            return f"#linebreak()#text({style})[{body}]" if style else f"#linebreak(){body}"
        if "ehps-tag" in cls:
            return (f'#box(fill: {_colour("yellow")}, stroke: 1pt + {_colour("text")}, inset: (x: 0.25em, y: 0pt), '
                    f'outset: (y: 0.15em))[#strong[{body}]]')
        return body

    # -- images -----------------------------------------------------------------------------------
    def image(self, img, ctx: _Context, fill: bool = False) -> str:
        if img is None:
            return ""
        src = img.get("src") or ""
        alt = (img.get("alt") or "").strip()
        match = re.match(r"data:image/(png|jpeg|jpg|gif|webp|svg\+xml)(;base64)?,(.*)", src, re.DOTALL)
        if not match:
            raise TypstPdfError(f"an image that is not inline (src {src[:60]!r}): every image of a paper must "
                                "be embedded in its page (show it from the notebook, e.g. with IPython.display.Image, "
                                "or remove it)")
        kind, is_b64, payload = match.groups()
        data = base64.b64decode(payload) if is_b64 else urllib.parse.unquote(payload).encode("utf-8")
        name = f"image-{len(self.doc.files) + 1}.{'svg' if kind == 'svg+xml' else kind}"
        self.doc.files[name] = data
        size = ""
        if fill:
            size = "width: 100%"
        else:
            try:
                w, h = float(img.get("width")) * 0.75, float(img.get("height")) * 0.75
            except (TypeError, ValueError):
                w, h = _natural_size(kind, data)  # an image shown from a notebook, without a size
            if not w or not h:
                size = "width: 100%"
            else:
                scale = min(1.0, ctx.width_pt / w)
                if ctx.max_height_mm:
                    scale = min(scale, ctx.max_height_mm * MM / h)
                size = f"width: {w * scale:.1f}pt"
        if not alt:
            raise TypstPdfError(f"an image without alternative text ({name}): a PDF/UA file needs it for every image")
        return f"#image({string(name)}, alt: {string(alt)}, {size})"

    # -- blocks -----------------------------------------------------------------------------------
    def blocks(self, el, ctx: _Context) -> str:
        """The markup of an element's children as blocks: runs of text and inline elements become
        paragraphs; block elements are written by :meth:`block`; wrappers with no style of their own
        (the notebook's cell and output ``div``s, plain sections) are looked through, so that
        consecutive landscape sections share landscape pages whatever cell they came from."""
        out: list[str] = []
        run: list[str] = []
        landscape: list[str] = []

        def flush_run() -> None:
            text = "".join(run).strip()
            run.clear()
            if text:
                out.append(text)

        def flush_landscape() -> None:
            if landscape:
                out.append("#page(flipped: true)[\n" + "\n\n".join(landscape) + "\n]")
                landscape.clear()

        heading_last = False  # the last block written is a heading (it goes with what it heads)
        for item in self._stream(el):
            if item is None:
                flush_run()
            elif isinstance(item, str):
                run.append(escape(_SPACES.sub(" ", item)))
                heading_last = heading_last and not item.strip()
            elif item.tag in INLINE_TAGS and item.tag not in ("picture", "img"):
                run.append(self.inline_element(item, ctx))
                heading_last = False
            else:
                flush_run()
                heading_last = heading_last and item.tag not in INLINE_TAGS  # an image comes between
                if self._landscape(item) and not ctx.landscape and not ctx.in_table:
                    inner = self.block(item, _Context(landscape=True, width_pt=WIDTH_PT[True]))
                    if inner.strip():
                        if not landscape and heading_last and out:
                            landscape.append(out.pop())
                        landscape.append(inner)
                    continue
                text = self.block(item, ctx)
                if text.strip():
                    flush_landscape()
                    out.append(text)
                    heading_last = item.tag in HEADINGS
        flush_run()
        flush_landscape()
        return "\n\n".join(out)

    def _stream(self, el):
        """The children of ``el`` (text, elements; ``None`` where a wrapper starts or ends)."""
        if el.text:
            yield el.text
        for child in el:
            if isinstance(child.tag, str):
                if child.tag in HIDDEN_TAGS or _classes(child) & HIDDEN_CLASSES:
                    pass
                elif self._transparent(child):
                    yield None
                    yield from self._stream(child)
                    yield None
                else:
                    yield child
            if child.tail:
                yield child.tail

    def _transparent(self, el) -> bool:
        return (el.tag in ("div", "section", "main", "article") and not _classes(el) & STYLED_CLASSES
                and not self._landscape(el) and not self._breaks_before(el))

    @staticmethod
    def _breaks_before(el) -> bool:
        cls = _classes(el)
        if cls & {"ehps-appendix-heading", "committee-appendices"} or el.get("id") in ("Exception-reports",
                                                                                     "exception-reports"):
            return True
        parent, previous = el.getparent(), el.getprevious()
        return ("ehps-exception" in cls and parent is not None and "ehps-exceptions" in _classes(parent)
                and previous is not None and "ehps-exception" in _classes(previous))

    @staticmethod
    def _landscape(el) -> bool:
        return ("ehps-sc-landscape" in _classes(el) or el.get("id") in LANDSCAPE_IDS
                or el.get("aria-labelledby") in LANDSCAPE_LABELLED_BY)

    def block(self, el, ctx: _Context) -> str:
        tag, cls = el.tag, _classes(el)
        if tag in HIDDEN_TAGS or cls & HIDDEN_CLASSES:
            return ""
        before = "#pagebreak(weak: true)\n" if self._breaks_before(el) else ""
        return before + self._block(el, tag, cls, ctx)

    def _block(self, el, tag: str, cls: set[str], ctx: _Context) -> str:  # noqa: C901 - one case per element
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            level = int(tag[1])
            # PDF/UA-1 never skips a heading level (h1 then h3): the tag steps down one at a time,
            # the size stays that of the page's heading
            tagged = min(level, self.last_level + 1)
            self.last_level = tagged
            body = self.inline(el, ctx).strip()
            if "committee-subject" in cls:
                body = f"#upper[{body}]"
            sizes = {1: "20pt", 2: "14.5pt", 3: "11.5pt", 4: "10.5pt", 5: "10pt", 6: "10pt"}
            if ctx.in_definitions:
                sizes = dict.fromkeys(sizes, "9pt")
            size = "11pt" if "committee-subject" in cls else sizes[level]
            rule = level == 2 and not cls & {"ehps-footer-heading"} and not ctx.in_definitions
            return f"#heading(level: {tagged}, rule: {'true' if rule else 'false'}, size: {size})[{body}]"
        if tag == "p":
            return self.paragraph(el, cls, ctx)
        if tag in ("ul", "ol"):
            items = [self.blocks(li, ctx) for li in el if isinstance(li.tag, str) and li.tag == "li"]
            if "committee-lines" in cls:
                return "#linebreak()".join(f"{i}" for i in items)
            fn = "enum" if tag == "ol" else "list"
            return f"#{fn}(" + ", ".join(f"[{i}]" for i in items) + ")"
        if tag == "dl":
            return self.definition_list(el, cls, ctx)
        if tag == "table":
            return self.table(el, ctx)
        if tag == "figure":
            return self.figure(el, cls, ctx)
        if tag in ("img", "picture"):
            img = el if tag == "img" else el.find(".//img")
            return self.image(img, ctx) if img is not None else ""
        if tag == "pre":
            return f"#raw(block: true, {string(el.text_content())})"
        if tag == "hr":
            return f'#line(length: 100%, stroke: 0.5pt + {_colour("rule")})'
        if tag == "details":
            if "ehps-chart-data" in cls and el.xpath("ancestor::figure[contains(@class, 'ehps-sc-spark')]"):
                return ""  # the sparklines' monthly figures: on the web page and in the CSV files
            summary = el.find("summary")
            head = "" if summary is None or "ehps-chart-data" in cls else \
                f"#strong[{self.inline(summary, ctx).strip()}]\n\n"
            return head + self.blocks(el, ctx)
        if tag == "summary":
            return ""
        if tag == "header" and "ehps-header" in cls:
            return self.page_header(el, ctx)
        if tag == "footer" and "ehps-footer" in cls:
            inner = self.blocks(el, ctx)
            return (f"#block(breakable: false, above: 6mm, width: 100%, stroke: (top: 2pt + {_colour('blue')}), "
                    f"inset: (top: 4pt))[#set text(size: 8pt)\n{inner}]")
        if "ehps-synthetic-banner" in cls:
            return (f"#block(breakable: false, width: 100%, fill: {_colour('yellow')}, stroke: 2pt + "
                    f"{_colour('text')}, inset: 7pt, above: 6pt, below: 10pt)[{self.blocks(el, ctx)}]")
        if cls & {"ehps-sc-note", "ehps-internal-notice"}:
            return (f"#block(width: 100%, stroke: 1.2pt + {_colour('text')}, inset: 6pt, below: 8pt)"
                    f"[{self.blocks(el, ctx)}]")
        if cls & {"ehps-draft", "ehps-sc-warning", "ehps-atlas-note"}:
            colour = "blue" if "ehps-atlas-note" in cls else "dark-red"
            return (f"#block(width: 100%, stroke: (left: 3pt + {_colour(colour)}), inset: (left: 8pt, y: 3pt))"
                    f"[{self.blocks(el, ctx)}]")
        if "ehps-definitions" in cls:
            sub = _Context(**{**ctx.__dict__, "in_definitions": True})
            return f"#[#set text(size: 8pt)\n#set par(leading: 0.45em)\n{self.blocks(el, sub)}]"
        if "ehps-definition" in cls:
            return f"#block(breakable: false, below: 2.5mm)[{self.blocks(el, ctx)}]"
        if "ehps-sc-sparks" in cls:
            cells = [self.figure(f, _classes(f), _Context(width_pt=ctx.width_pt / 2 - 9), fill=True)
                     for f in el if isinstance(f.tag, str)]
            return "#grid(columns: (1fr, 1fr), column-gutter: 6mm, row-gutter: 3mm, " + \
                ", ".join(f"[{c}]" for c in cells) + ")"
        if "ehps-sc-rag-body" in cls:
            parts = [self.blocks(c, _Context(width_pt=100 * MM)) if isinstance(c.tag, str) else "" for c in el]
            parts = [p for p in parts if p.strip()]
            return "#grid(columns: (100mm, 1fr), column-gutter: 8mm, " + ", ".join(f"[{p}]" for p in parts) + ")"
        if "ehps-sc-legend" in cls:
            parts = [self.block(c, _Context(width_pt=ctx.width_pt / 2)) for c in el if isinstance(c.tag, str)]
            parts = [p for p in parts if p.strip()]
            return ("#[#set text(size: 8.5pt)\n#grid(columns: (1fr, 1fr), column-gutter: 6mm, row-gutter: 2mm, "
                    + ", ".join(f"[{p}]" for p in parts) + ")]")
        if "ehps-sc-missing" in cls:
            return (f"#block(width: 100%, fill: {_colour('stripe')}, stroke: (left: 3pt + {_colour('grey')}), "
                    f"inset: 6pt)[{self.inline(el, ctx).strip()}]")
        return self.blocks(el, ctx)  # any other element: its content

    def paragraph(self, el, cls: set[str], ctx: _Context) -> str:
        number = el.find("span[@class='committee-para-number']") if "committee-para" in cls else None
        if number is not None:
            rest = copy.deepcopy(el)
            span = rest.find("span[@class='committee-para-number']")
            previous = span.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + (span.tail or "")
            else:
                rest.text = (rest.text or "") + (span.tail or "")
            rest.remove(span)  # (with its tail, kept above)
            return (f"#grid(columns: (32pt, 1fr), [#strong[{escape(number.text_content().strip())}]], "
                    f"[{self.inline(rest, ctx).strip()}])")
        body = self.inline(el, ctx).strip()
        if not body:
            return ""
        if "ehps-period" in cls:
            return f"#text(size: 12.5pt)[{body}]"
        if cls & {"ehps-extract", "ehps-table-note", "ehps-definitions-vintage"}:
            size = "8.5pt" if "ehps-table-note" in cls else "1em"
            return f"#text(fill: {_colour('muted')}, size: {size})[{body}]"
        if "ehps-sc-rag-sentence" in cls:
            return f"#text(size: 11pt, weight: \"bold\")[{body}]"
        if "ehps-sc-missing-inline" in cls:
            return f"#text(fill: {_colour('grey')}, style: \"italic\")[{body}]"
        if "ehps-sc-missing" in cls:
            return (f"#block(width: 100%, fill: {_colour('stripe')}, stroke: (left: 3pt + {_colour('grey')}), "
                    f"inset: 6pt)[{body}]")
        if "ehps-atlas-note" in cls:
            return f"#block(stroke: (left: 3pt + {_colour('blue')}), inset: (left: 8pt, y: 3pt))[{body}]"
        if "ehps-classification" in cls:
            return f"#box(stroke: 1pt + {_colour('text')}, inset: (x: 4pt, y: 2pt))[#strong[{body}]]"
        return body

    def page_header(self, el, ctx: _Context) -> str:
        org = el.find(".//p[@class='ehps-org']")
        classification = el.find(".//p[@class='ehps-classification']")
        left = self.inline(org, ctx).strip() if org is not None else ""
        right = self.paragraph(classification, {"ehps-classification"}, ctx) if classification is not None else ""
        return (f"#block(width: 100%, stroke: (bottom: 2pt + {_colour('blue')}), inset: (bottom: 4pt), below: 8pt)"
                f"[#text(size: 10.5pt)[{left}] #h(1fr) {right}]")

    def definition_list(self, el, cls: set[str], ctx: _Context) -> str:
        pairs: list[tuple[list, list]] = []
        for item in el.iter():
            if item.tag == "dt":
                pairs.append(([item], []))
            elif item.tag == "dd":
                if not pairs:
                    pairs.append(([], []))
                pairs[-1][1].append(item)
        if ctx.in_definitions or "ehps-sc-data-notes" in cls:
            lines = []
            for dts, dds in pairs:
                term = " ".join(self.inline(d, ctx).strip() for d in dts)
                desc = " ".join(self.blocks(d, ctx).strip() for d in dds)
                lines.append(f"#strong[{term}]: {desc}" if term else desc)
            return "\n\n".join(lines)
        if "committee-contacts" in cls:
            return "\n\n".join(f"#block(breakable: false)[#strong[{' '.join(self.inline(d, ctx).strip() for d in dts)}]"
                               f"#linebreak(){'#linebreak()'.join(self.blocks(d, ctx) for d in dds)}]"
                               for dts, dds in pairs)
        label = "50mm" if "committee-header" in cls else ("30mm" if "ehps-provenance" in cls else "auto")
        cells = []
        for dts, dds in pairs:
            cells.append(f"[#strong[{' '.join(self.inline(d, ctx).strip() for d in dts)}]]")
            cells.append("[" + "\n\n".join(self.blocks(d, ctx) for d in dds) + "]")
        if "committee-header" in cls:
            top = f"if y == 0 {{ 1.5pt + {_colour('blue')} }} else {{ none }}"
            return (f"#table(columns: ({label}, 1fr), stroke: (x, y) => (top: {top}, "
                    f"bottom: 0.5pt + {_colour('rule')}), inset: (x: 0pt, y: 4pt), column-gutter: 8pt, "
                    + ", ".join(cells) + ")")
        return (f"#grid(columns: ({label}, 1fr), column-gutter: 10pt, row-gutter: 4pt, " + ", ".join(cells) + ")")

    def figure(self, el, cls: set[str], ctx: _Context, fill: bool = False) -> str:
        sub = _Context(**ctx.__dict__)
        if el.xpath("ancestor::section[contains(@class, 'ehps-exception')]"):
            sub.max_height_mm = 72
        elif "ehps-atlas-chart" in cls:
            sub.max_height_mm = 85
        elif "ehps-atlas-figure" in cls:
            sub.max_height_mm = 160
        parts, rest = [], []
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if child.tag in ("img", "picture"):
                parts.append(self.image(child if child.tag == "img" else child.find(".//img"), sub, fill=fill))
            elif child.tag != "figcaption" and child.tag != "details" and child.find(".//table") is None:
                parts.append(self.block(child, sub))
            elif child.tag == "figcaption":
                parts.append(f"#block(above: 3pt, below: 6pt)[#text(size: 9pt)[{self.blocks(child, sub)}]]")
            else:
                rest.append(self.block(child, sub))
        head = "#block(breakable: false, below: 8pt)[" + "\n\n".join(parts) + "]" if parts else ""
        return "\n\n".join(p for p in (head, *rest) if p.strip())

    # -- tables -----------------------------------------------------------------------------------
    def table(self, el, ctx: _Context) -> str:
        cls = _classes(el)
        caption = el.find("caption")
        header_rows, body_rows = [], []
        for section in el:
            if not isinstance(section.tag, str):
                continue
            if section.tag == "thead":
                header_rows += [r for r in section if r.tag == "tr"]
            elif section.tag in ("tbody", "tfoot"):
                body_rows += [r for r in section if r.tag == "tr"]
            elif section.tag == "tr":
                body_rows.append(section)
        columns = self._column_count(header_rows + body_rows)
        if columns == 0:
            return ""
        sub = _Context(**{**ctx.__dict__, "in_table": True})
        size = self._font_size(cls, columns, ctx)
        left_table = bool(cls & {"ehps-sc-table", "ehps-index"})
        head_size = self._header_size(header_rows, columns, float(size.rstrip("pt")), ctx.width_pt)
        header = [self._row(r, sub, header=True, left=left_table, cls=cls, text_size=head_size) for r in header_rows]
        body = [self._row(r, sub, header=False, left=left_table, cls=cls) for r in body_rows]
        nh = len(header_rows)
        stroke = (f"(x, y) => (bottom: if y + 1 == {nh} {{ 1pt + {_colour('text')} }} else "
                  f"{{ 0.5pt + {_colour('rule')} }})")
        head = f"table.header({', '.join(c for r in header for c in r)}), " if header else ""
        cells = ", ".join(c for r in body for c in r)
        pad = "(x: 2pt, y: 1.5pt)" if columns > 12 else "(x: 3pt, y: 2.5pt)"
        # a wide table shares the page's width out equally (its first column, the row headings, a
        # little more), as the style sheet's fixed layout does; a narrower one sizes its columns to fit
        if columns > WIDE_TABLE_COLUMNS:
            widths = f"(1.6fr, {', '.join(['1fr'] * (columns - 1))})"
        else:
            widths = self._widths(header_rows, body_rows, columns, float(size.rstrip("pt")), ctx.width_pt)
        table = (f"#table(columns: {widths}, stroke: {stroke}, inset: {pad}, align: left + top, "
                 f"{head}{cells})")
        out = [f"#text(size: {size})[{table}]"]
        if caption is not None:
            text = self.inline(caption, sub).strip()
            if text:
                out.insert(0, f"#block(sticky: true, below: 3pt, above: 8pt)[#text(size: 9.5pt)[#strong[{text}]]]")
        return "\n".join(out)

    @staticmethod
    def _cells(rows):
        """``(row, first column, colspan, text)`` of every cell, placed as a browser places them."""
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(rows):
            c = 0
            for cell in row:
                if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                    continue
                while (r, c) in taken:
                    c += 1
                span, down = int(cell.get("colspan") or 1), int(cell.get("rowspan") or 1)
                taken.update((r + dr, c + dc) for dr in range(down) for dc in range(span))
                yield r, c, span, " ".join(cell.text_content().split())
                c += span

    def _widths(self, header_rows, body_rows, columns: int, size_pt: float, room_pt: float) -> str:
        """Column widths as the browser's automatic table layout would choose them, roughly: when
        every column's longest line fits the page, each is as wide as its content (``auto``);
        otherwise columns of figures keep the width of their longest figure (or heading word)
        and the columns of words share the rest, in proportion to how much they hold, wrapping."""
        char = 0.5 * size_pt  # an average character of Arial or Liberation Sans
        body_len = [0] * columns
        numeric = [[0, 0] for _ in range(columns)]
        for _r, c, span, text in self._cells(body_rows):
            if span == 1 and text:
                body_len[c] = max(body_len[c], len(text))
                numeric[c][0] += bool(_NUMBERISH.match(text))
                numeric[c][1] += 1
        head_len, head_word = [0] * columns, [0] * columns
        for _r, c, span, text in self._cells(header_rows):
            if span == 1 and text:
                head_len[c] = max(head_len[c], len(text))
                head_word[c] = max(head_word[c], max(len(w) for w in text.split()))
        natural = sum(max(b, h) * char + 8 for b, h in zip(body_len, head_len, strict=True))
        if natural <= room_pt:
            return str(columns)
        widths = []
        for c in range(columns):
            figures = numeric[c][1] and numeric[c][0] >= 0.7 * numeric[c][1] or body_len[c] <= 12
            if figures and c > 0:
                widths.append(f"{max(body_len[c], head_word[c]) * char + 8:.0f}pt")
            else:
                widths.append(f"{max(body_len[c], head_len[c], 10) ** 0.5:.2f}fr")
        return "(" + ", ".join(widths) + ")"

    def _column_count(self, rows) -> int:
        return max((c + span for _r, c, span, _text in self._cells(rows)), default=0)

    @staticmethod
    def _font_size(cls: set[str], columns: int, ctx: _Context) -> str:
        if "ehps-scs-act" in cls or "ehps-scs-activity" in cls:
            return "6pt"
        if "ehps-sc-table" in cls:
            return "7.5pt"
        if "ehps-sc-activity" in cls or "ehps-sc-spc-table" in cls:
            return "7.5pt"
        if "ehps-sc-dashboard" in cls:
            return "8.5pt"
        limits = (4, 9), (7, 8.5), (10, 8), (13, 7.5), (16, 7), (20, 6.5)
        base = next((s for n, s in limits if columns <= n), 6)
        if ctx.landscape and columns > 7:
            base = min(9, base + 1)
        return f"{base}pt"

    def _header_size(self, header_rows, columns: int, size_pt: float, room_pt: float) -> float | None:
        """For a wide table (its columns share the width equally), the size of its headings' text at
        which the longest word of each heading fits its column (bold Arial: about 0.6 em a
        character); None when the table's own size fits, or for a narrower table."""
        if columns <= WIDE_TABLE_COLUMNS:
            return None
        column = room_pt / (columns + 0.6) - 4  # 1.6fr for the first, 1fr each other; minus the insets
        longest = max((max(len(w) for w in text.split()) for _r, c, span, text in self._cells(header_rows)
                       if span == 1 and c > 0 and text), default=0)
        if not longest or longest * 0.6 * size_pt <= column:
            return None
        return max(4.5, round(column / (longest * 0.6), 1))

    def _row(self, row, ctx: _Context, *, header: bool, left: bool, cls: set[str],
             text_size: float | None = None) -> list[str]:
        rcls = _classes(row)
        fill, bold = None, False
        if rcls & {"ehps-sc-section", "ehps-dd-county", "ehps-dd-area"}:
            fill, bold = "section", True
        elif rcls & {"ehps-sc-level1", "ehps-index-group"}:
            fill, bold = "stripe", True
        elif rcls & {"ehps-sc-level0", "ehps-bd-kent", "ehps-dd-district"}:
            bold = True
        cells = []
        index = 0
        for cell in row:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                continue
            index += 1
            body = self.blocks(cell, ctx).strip()
            text = cell.text_content().strip()
            span, down = int(cell.get("colspan") or 1), int(cell.get("rowspan") or 1)
            words = bool(text) and not _NUMBERISH.match(text)
            if header:
                if cell.get("scope") == "colgroup":
                    align = "center"
                else:
                    align = "left" if index == 1 or left or (words and "ehps-sc-dashboard" in cls) else "right"
                align += " + bottom"
                if body:
                    body = f"#strong[{body}]"
                if body and text_size:
                    body = f"#text(size: {text_size}pt)[{body}]"
            elif cell.tag == "th":
                align = "left"
                # a row's heading in bold in a bold row, or when it spans the whole row (a group's heading)
                if body and (bold or (span > 1 and index == 1 and cell.getnext() is None)):
                    body = f"#strong[{body}]"
            else:
                figure = not words and "ehps-sc-table" not in cls and "ehps-sc-text" not in _classes(cell)
                align = "right" if figure else "left"
                if bold and body:
                    body = f"#strong[{body}]"
            args = [f"align: {align}"]
            if span > 1:
                args.append(f"colspan: {span}")
            if down > 1:
                args.append(f"rowspan: {down}")
            if fill:
                args.append(f"fill: {_colour(fill)}")
            cells.append(f"table.cell({', '.join(args)})[{body}]")
        return cells


# -- the document --------------------------------------------------------------------------------------
_MARGIN_CONTENT = re.compile(r"@(top-left|top-right)\s*\{\s*content:\s*\"((?:[^\"\\]|\\.)*)\"")

PREAMBLE = """#set document(title: {title}, author: "Kent County Council"{date})
#set text(font: ("Arial", "Liberation Sans", "DejaVu Sans"), size: 10pt, hyphenate: false,
  lang: {lang}{region}, fill: {text})
#set par(leading: 0.55em, spacing: 0.9em)
#set page(paper: "a4", margin: (top: 22mm, bottom: 20mm, x: 15mm),
  header: [#set text(size: 9pt, weight: "bold"); {top_left} #h(1fr) {top_right}],
  footer: context [#set text(size: 9pt); #h(1fr) Page #counter(page).display() of #counter(page).final().first()])
#set list(indent: 0.6em)
#set enum(indent: 0.6em)
#set table(fill: none)
#show link: set text(fill: {text})
"""


#: Headings carry their own size and rule (a line above level-2 headings, as on the web page):
#: ``#heading(level: n, rule: .., size: ..)[..]`` is written as a styled heading.
HEADINGS_TYPST = """#let heading(level: 1, rule: false, size: 10pt, body) = {
  let inner = std.heading(level: level, body)
  if rule {
    block(above: 1.4em, below: 0.55em, sticky: true, width: 100%, stroke: (top: 1.5pt + rgb("#12436d")),
      inset: (top: 4pt))[#set text(size: size); #inner]
  } else {
    let below = if level == 1 { 8pt } else { 0.5em }
    block(above: 1.1em, below: below, sticky: true, width: 100%)[#set text(size: size); #inner]
  }
}
#show std.heading: set text(size: 1em, weight: "bold")
#show std.heading: set block(above: 0pt, below: 0pt)
"""


def typst_source(page_html: str) -> tuple[str, dict[str, bytes]]:
    """The Typst source of a page made by :func:`ehps_lib.publish.render.render_page`, and the
    files it reads (its images), by name."""
    try:
        root = lxml_html.document_fromstring(page_html)
    except Exception as exc:  # noqa: BLE001 - any parse failure is the page's
        raise TypstPdfError(f"the page's HTML cannot be read: {exc}") from exc
    doc = _Document()
    title = root.find(".//title")
    doc.title = title.text_content().strip() if title is not None else "EHPS paper"
    lang = (root.get("lang") or "en-GB").split("-")
    doc.lang, doc.region = lang[0].lower(), (lang[1].upper() if len(lang) > 1 else None)
    for style in root.iter("style"):
        for where, content in _MARGIN_CONTENT.findall(style.text or ""):
            content = content.replace('\\"', '"').replace("\\\\", "\\")
            if where == "top-left":
                doc.top_left = content
            else:
                doc.top_right = content
    created = root.find(".//meta[@name='dcterms.created']")
    date = ""
    if created is not None:
        try:
            when = dt.datetime.fromisoformat(created.get("content").replace("Z", "+00:00"))
            date = f", date: datetime(year: {when.year}, month: {when.month}, day: {when.day}, " \
                   f"hour: {when.hour}, minute: {when.minute}, second: {when.second})"
        except (TypeError, ValueError):
            date = ""
    body = root.find("body")
    has_title = body is not None and body.find(".//h1") is not None
    writer = _Writer(doc, last_level=0 if has_title else 1)
    content = writer.blocks(body if body is not None else root, _Context())
    if not has_title:
        # PDF/UA-1 documents open with a level-1 heading: a page without one is headed by its title
        content = f"#heading(level: 1, rule: false, size: 20pt)[{escape(doc.title)}]\n\n" + content
    preamble = PREAMBLE.format(
        title=string(doc.title), date=date, lang=string(doc.lang),
        region=f", region: {string(doc.region)}" if doc.region else "", text=_colour("text"),
        top_left=escape(doc.top_left), top_right=escape(doc.top_right))
    return preamble + HEADINGS_TYPST + "\n" + content + "\n", doc.files


@lru_cache(maxsize=1)
def _font_paths() -> tuple[str, ...]:
    """Folders of the fonts a page uses (Liberation Sans for Arial, DejaVu Sans for symbols),
    so that Typst reads only these, not every font on the machine."""
    found = []
    for folder in ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
                   "/usr/share/fonts/truetype/dejavu"):
        if Path(folder).is_dir():
            found.append(folder)
    return tuple(found)


#: Compiles one page in a fresh Python process: ``python -c SCRIPT FOLDER FONT_DIR...``.
_SUBPROCESS_SCRIPT = """
import sys, typst
folder, fonts = sys.argv[1], sys.argv[2:]
try:
    pdf = typst.compile(folder + "/page.typ", root=folder, font_paths=fonts, ignore_system_fonts=bool(fonts),
                        pdf_standards=[STANDARD])
except Exception as exc:
    sys.stderr.write(str(exc)[:2000])
    sys.exit(2)
open(folder + "/page.pdf", "wb").write(pdf)
""".replace("STANDARD", repr(PDF_STANDARD))


def pdf_bytes(page_html: str) -> bytes:
    """The tagged PDF/UA-1 of a page made by :func:`ehps_lib.publish.render.render_page`.

    Typst runs in this process, unless this process was forked from one that had already loaded
    it: Typst's worker threads do not survive a fork, and the copy would wait for them for ever,
    so such a process (a build's worker forked from a test session, say) runs Typst in a fresh
    Python process instead (about a tenth of a second more). A build's own workers never need to:
    the build itself never loads Typst before it forks them.
    """
    source, files = typst_source(page_html)
    fonts = list(_font_paths())
    with tempfile.TemporaryDirectory(prefix="ehps-typst-") as tmp:
        folder = Path(tmp)
        (folder / "page.typ").write_text(source, encoding="utf-8")
        for name, data in files.items():
            (folder / name).write_bytes(data)
        if TYPST_INHERITED[0]:
            done = subprocess.run([sys.executable, "-c", _SUBPROCESS_SCRIPT, str(folder), *fonts],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise TypstPdfError(f"Typst could not lay out the page: {done.stderr.strip()[:600]}")
            return (folder / "page.pdf").read_bytes()
        import typst

        try:
            return typst.compile(str(folder / "page.typ"), root=str(folder), font_paths=fonts,
                                 ignore_system_fonts=bool(fonts), pdf_standards=[PDF_STANDARD])
        except Exception as exc:  # noqa: BLE001 - Typst's errors name the line of the source
            raise TypstPdfError(f"Typst could not lay out the page: {str(exc)[:600]}") from exc


__all__ = ["pdf_bytes", "typst_source", "escape", "string", "TypstPdfError", "PDF_STANDARD"]
