"""Render executed notebooks to accessible HTML and PDF.

Two engines publish the same pages:

* ``builtin`` (needs no Quarto): nbconvert turns the executed notebook into HTML (code
  hidden, outputs only); the project's page template ``templates/page.html.j2`` and style
  sheet ``templates/ehps.css`` wrap it; Typst lays that same page out as the PDF
  (:mod:`ehps_lib.publish.typst_pdf`; PDF/UA-1, tagged, with the classification and a
  "SYNTHETIC DATA" mark in the page header and "Page N of M" in the footer), or WeasyPrint
  from the page's print style sheet with ``EHPS_PDF_WRITER=weasyprint``.
* ``quarto``: shells out to ``quarto render`` for analysts who have Quarto installed.

``auto`` picks Quarto when it is on ``PATH``, else the built-in engine.

Rendering never executes a notebook: papermill did that. Files are written only through
:mod:`ehps_lib.data.io`. The HTML is deterministic: the same notebook, arguments and
``SOURCE_DATE_EPOCH`` give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape as _escape_html
from importlib import resources
from pathlib import Path

from .. import __version__
from ..data import io
from ..papers import markup
from ..papers.blocks import SYNTHETIC_BANNER_ATTR, synthetic_banner_html
from ..papers.styles import strip_lab_styles, workspace_css

ENGINES = ("auto", "builtin", "quarto")
#: WeasyPrint PDF variant: PDF/UA-1 (universal accessibility), with tagged structure.
PDF_VARIANT = "pdf/ua-1"

#: Labels of the provenance footer, in order; keys of the ``provenance`` mapping.
PROVENANCE_LABELS = (
    ("period", "Period"),
    ("extract_date", "Extract date"),
    ("ehps_lib_version", "ehps_lib version"),
    ("git_commit", "Git commit"),
    ("inputs", "Input files (SHA-256)"),
    ("build_time", "Built"),
)


class RenderError(RuntimeError):
    """A notebook could not be rendered; the message names the engine and the file."""


# -- time and provenance ---------------------------------------------------------------------------
def build_time() -> str:
    """The build time as ISO 8601 UTC; from ``SOURCE_DATE_EPOCH`` when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch
              else dt.datetime.now(dt.UTC).replace(microsecond=0))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def git_commit(folder: str | Path | None = None) -> str:
    """The workspace's git commit (with ``-dirty`` when there are uncommitted changes), or ``"unknown"``."""
    from ..config import project_root

    cwd = Path(folder or project_root())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=cwd, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


def _provenance_rows(provenance: dict) -> list[tuple[str, str]]:
    rows = []
    for key, label in PROVENANCE_LABELS:
        value = provenance.get(key)
        if key == "ehps_lib_version" and not value:
            value = __version__
        if not value:
            continue
        if isinstance(value, (list, tuple)):
            value = "; ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = "; ".join(f"{k} {str(v)[:12]}" for k, v in sorted(value.items()))
        rows.append((label, str(value)))
    return rows


def describe_inputs(sources: list | None) -> dict[str, str]:
    """``{file name: sha256}`` from the ``sources`` list of an extract manifest (best effort)."""
    out: dict[str, str] = {}
    for src in sources or []:
        if isinstance(src, dict):
            name = src.get("file") or src.get("path") or src.get("name") or src.get("table")
            digest = src.get("sha256") or src.get("hash")
            if name and digest:
                out[Path(str(name)).name] = str(digest)
    return out


# -- templates -------------------------------------------------------------------------------------
def _template_text(name: str) -> str:
    return resources.files("ehps_lib").joinpath("templates", name).read_text(encoding="utf-8")


def page_css() -> str:
    """The page's style sheet (:func:`ehps_lib.papers.styles.workspace_css`)."""
    return workspace_css()


def _css_string(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


@lru_cache(maxsize=1)
def _page_template():
    import jinja2

    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["css_string"] = _css_string
    return env.from_string(_template_text("page.html.j2"))


def render_page(body: str, *, title: str, subtitle: str = "", synthetic: bool, classification: str,
                provenance: dict, links: list[tuple[str, str]] | None = None,
                nav: list[tuple[str, str]] | None = None, description: str = "",
                is_index: bool = False, related: list[tuple[str, str]] | None = None) -> str:
    """Wrap an HTML ``body`` in the project page (also used for the site index).

    The synthetic-data banner is placed at the top of the page unless the body already
    carries it (the scorecard's title block does).
    """
    body_has_banner = SYNTHETIC_BANNER_ATTR in body
    body = prepare_tables(body)
    return _page_template().render(
        title=title, subtitle=subtitle, description=description, css=page_css(),
        classification=classification, synthetic=synthetic, show_banner=synthetic and not body_has_banner,
        banner=synthetic_banner_html(), body=body, body_has_title="<h1" in body, links=links or [],
        nav=nav or [], related=related or [], provenance=provenance, provenance_rows=_provenance_rows(provenance),
        is_index=is_index,
    )


# -- notebook → HTML -------------------------------------------------------------------------------
def _paper_cells(nb):
    """The notebook reduced to what a reader sees: no raw cells (front matter), no warnings
    written to stderr, no code cells without output; cell ids made stable."""
    nb = nb.copy()
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "raw":
            continue
        if cell.cell_type == "code":
            outputs = [_without_lab_styles(o) for o in cell.get("outputs", [])
                       if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            if not outputs:
                continue
            cell = cell.copy()
            cell["outputs"] = outputs
        cells.append(cell)
    for i, cell in enumerate(cells, start=1):
        cell["id"] = f"c{i}"
    nb.cells = cells
    return nb


def _without_lab_styles(output):
    """An output as published: a block shown with JupyterLab's scoped styles (a notebook run by
    a kernel rather than the build's runner) keeps only its own HTML."""
    data = output.get("data") or {}
    html = data.get("text/html")
    if html is None:
        return output
    text = html if isinstance(html, str) else "".join(html)
    stripped = strip_lab_styles(text)
    if stripped == text:
        return output
    output = output.copy()
    output["data"] = {**data, "text/html": stripped}
    return output


_ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="#[^"]*">[^<]*</a>')


def notebook_body(nb) -> str:
    """The HTML of a notebook's outputs and Markdown (nbconvert ``basic`` template, no input,
    no prompts, no heading anchor links)."""
    body, _ = _exporter().from_notebook_node(_paper_cells(nb))
    return _ANCHOR_LINK.sub("", body)


@lru_cache(maxsize=1)
def _exporter():
    """One exporter per process: building it compiles nbconvert's templates."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, exclude_raw=True)


# -- tables on every screen -------------------------------------------------------------------------
#: Class of the scrolling wrapper every table sits in.
TABLE_WRAP = "ehps-table-wrap"


def _grid_cells(table) -> list[tuple[object, int, int, int]]:
    """``(cell, row, first grid column, columns spanned)`` of every cell of ``table``, with
    row and column spans resolved (a cell below a ``rowspan`` starts further right)."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, tr in enumerate(table.find_all("tr")):
        c = 0
        for cell in tr.find_all(["th", "td"], recursive=False):
            while (r, c) in taken:
                c += 1
            rows = max(int(cell.get("rowspan", 1) or 1), 1)
            cols = max(int(cell.get("colspan", 1) or 1), 1)
            taken.update((r + i, c + j) for i in range(rows) for j in range(cols))
            out.append((cell, r, c, cols))
            c += cols
    return out


def _add_class(tag, name: str) -> None:
    classes = tag.get("class") or []
    if name not in classes:
        tag["class"] = [*classes, name]


def prepare_tables(body: str) -> str:
    """Mark each ``h2`` that opens an appendix (``ehps-appendix-heading``: a new page in print)
    and make every table of ``body`` usable on any screen: each sits in a scrolling region
    (``div.ehps-table-wrap``, a labelled region that takes keyboard focus) that holds the
    table's visually hidden text too, with the number of columns for the scroll cue; the cells
    of the first column (and the second, when the first is only an ID beside row headers) are
    marked so that the style sheet keeps them in view while the rest scrolls; a cell that
    spans the whole row keeps its text in view too.

    Returns the new HTML. Idempotent: a table already prepared is left as it is.
    """
    from bs4 import BeautifulSoup

    if "<table" not in body and "<h2" not in body:
        return body
    soup = BeautifulSoup(body, "html.parser")
    for h2 in soup.find_all("h2"):
        if h2.get_text(" ", strip=True).lower().startswith(("appendix", "appendices")):
            _add_class(h2, "ehps-appendix-heading")  # in print, an appendix starts a new page
    for table in soup.find_all("table"):
        cells = _grid_cells(table)
        width = max((c + n for _, _, c, n in cells), default=0)
        first_is_id = any(cell.name == "td" for cell, _, c, n in cells if c == 0 and n == 1) and any(
            cell.name == "th" and cell.get("scope") == "row" for cell, _, c, n in cells if c == 1)
        for cell, _, c, n in cells:
            if n >= width and width > 1:
                _add_class(cell, "ehps-span-all")
                if not cell.find(class_="ehps-keep-left"):
                    inner = soup.new_tag("span", attrs={"class": "ehps-keep-left"})
                    for child in list(cell.contents):
                        inner.append(child.extract())
                    cell.append(inner)
            elif c == 0:
                _add_class(cell, "ehps-col1")
            elif c == 1 and first_is_id:
                _add_class(cell, "ehps-col2")
        if first_is_id:
            _add_class(table, "ehps-sticky2")
        wrap = table.parent
        if wrap is None or TABLE_WRAP not in (wrap.get("class") or []):
            wrap = soup.new_tag("div", attrs={"class": TABLE_WRAP})
            table.wrap(wrap)
        caption = table.find("caption")
        label = " ".join(caption.get_text(" ", strip=True).split()) if caption else "Table"
        wrap["role"] = "region"
        wrap["tabindex"] = "0"
        wrap.attrs.setdefault("aria-label", label)
        wrap["data-columns"] = str(width)
    return str(soup)


# -- tables as tidy CSV ------------------------------------------------------------------------------
#: What a cell may hold instead of a number: withheld (``c``), not available (``n/a``), does not
#: apply (``-``), no neighbourhood in the group (``none``); the CSV puts it in a status column.
STATUS_TOKENS = ("c", "n/a", "-", "none")
_NUM = r"([+\-−]?)(\d[\d,]*(?:\.\d+)?)(%?)"
_NUMBER = re.compile(rf"^{_NUM}$")
_NUMBER_RAG = re.compile(rf"^{_NUM}\s+(Green|Amber|Red)$")
_RANGE = re.compile(rf"^{_NUM} to {_NUM}$")
_RANK = re.compile(r"^(\d+) of (\d+)$")
_NUMBER_SHARE = re.compile(rf"^{_NUM} \({_NUM}\)$")


def _cell_text(cell) -> str:
    """A cell's text as read aloud: symbols hidden from screen readers left out."""
    from bs4 import NavigableString

    parts = []
    for node in cell.descendants:
        if isinstance(node, NavigableString) and not any(
                getattr(p, "get", lambda *_: None)("aria-hidden") == "true" for p in node.parents):
            parts.append(str(node))
    return " ".join(" ".join(parts).split())


def _number(sign: str, digits: str) -> str:
    """A printed number as CSV text: no thousands separators, the sign kept, nothing rounded."""
    text = digits.replace(",", "")
    return f"-{text}" if sign in ("-", "−") and float(text) != 0 else text


def value_shown(text: str) -> bool:
    """Whether a cell shows a value (not empty, not a status token such as ``c``)."""
    return bool(text) and text not in STATUS_TOKENS


def _kind(values: list[str]) -> str | None:
    """The kind of a column's cells (ignoring status tokens): number, number_rag, range, rank, or None (text)."""
    seen = [v for v in values if v and v not in STATUS_TOKENS]
    if not seen:
        return None
    for kind, pattern in (("number", _NUMBER), ("number_rag", _NUMBER_RAG), ("range", _RANGE), ("rank", _RANK),
                          ("number_share", _NUMBER_SHARE)):
        if all(pattern.match(v) for v in seen):
            return kind
    if all(_NUMBER.match(v) or _NUMBER_RAG.match(v) for v in seen):
        return "number_rag"
    return None


def table_records(table) -> tuple[list[str], list[list[str]], list[dict]]:
    """A table as tidy CSV (pure): one header row, then one line per data row.

    Header rows over several columns are joined into each column's name ("1 month ago:
    February 2017: Result"); a row that spans the whole table (a group heading) becomes a
    ``Group`` column; a column of numbers is written as numbers as printed (no thousands
    separators or % sign: the unit goes into the column's name) with a ``status`` column beside
    it holding ``c`` (withheld), ``n/a``, ``-`` or ``none`` where the page shows that instead; a
    number with its RAG rating gives a value and a ``RAG`` column; a range ("1.2 to 3.4") a
    lower and an upper column; a rank ("3 of 12") the rank and ``out of``.

    Returns the header, the rows, and the figures (one dict per number shown: ``group``,
    ``row``, ``column``, ``value``, ``unit``, ``status``).
    """
    cells = _grid_cells(table)
    width = max((c + n for _, _, c, n in cells), default=0)
    rows = table.find_all("tr")
    head_rows = {i for i, tr in enumerate(rows) if tr.find_parent("thead") is not None}
    if not head_rows and rows and all(c.name == "th" for c in rows[0].find_all(["th", "td"], recursive=False)):
        head_rows = {0}
    names = [[] for _ in range(width)]
    grid: dict[int, list[str]] = {}
    labels: dict[int, str] = {}  # each row's heading: its first header cell
    for cell, r, c, n in cells:
        text = _cell_text(cell)
        if r in head_rows:
            for j in range(c, c + n):
                if text and text not in names[j]:
                    names[j].append(text)
        else:
            row = grid.setdefault(r, [""] * width)
            if cell.name == "th" and r not in labels:
                labels[r] = text
            for j in range(c, c + n):
                row[j] = text if j == c else row[j]
            if n >= width and width > 1:
                row[:] = ["\x00group", text] + [""] * (width - 2)
    header = [": ".join(parts) or f"Column {j + 1}" for j, parts in enumerate(names)]
    body, group, has_group = [], "", False
    for r in sorted(grid):
        row = grid[r]
        if row[0] == "\x00group":
            group, has_group = row[1], True
            continue
        body.append((group, row, labels.get(r, row[0])))
    if not has_group and body and width > 2 and not any(_kind([row[j] for _, row, _ in body])
                                                        for j in range(1, width)) \
            and any(_kind(row[1:]) for _, row, _ in body):
        # a table printed with its periods across (the council's trend data): one line per column
        header, body = ([header[0]] + [row[0] for _, row, _ in body],
                        [("", [header[j]] + [row[j] for _, row, _ in body], header[j]) for j in range(1, width)])
        width = len(header)
    columns = list(zip(*[row for _, row, _ in body], strict=True)) if body else [[] for _ in range(width)]
    out_header = (["Group"] if has_group else [])
    plans = []
    for j in range(width):
        kind = _kind(list(columns[j])) if j > 0 else None
        numbers = [v for v in columns[j] if v and v not in STATUS_TOKENS]
        percent = [("%" in v) for v in numbers]
        unit = "%" if kind and percent and all(percent) else "mixed" if kind and any(percent) else ""
        name = header[j] + (" (%)" if unit == "%" and not header[j].endswith("%") else "")
        plans.append((kind, unit, name))
        extra = [f"{header[j]}: unit"] if unit == "mixed" else []
        if kind == "number":
            out_header += [name, *extra, f"{header[j]}: status"]
        elif kind == "number_rag":
            out_header += [name, *extra, f"{header[j]}: RAG", f"{header[j]}: status"]
        elif kind == "range":
            out_header += [f"{name}: lower", f"{name}: upper", *extra, f"{header[j]}: status"]
        elif kind == "rank":
            out_header += [name, f"{header[j]}: out of", f"{header[j]}: status"]
        elif kind == "number_share":
            out_header += [header[j], f"{header[j]}: share (%)", f"{header[j]}: status"]
        else:
            out_header.append(name)
    out_rows, figures = [], []
    for group, row, label in body:
        line = [group] if has_group else []
        for j, (kind, unit, name) in enumerate(plans):
            v = row[j]
            status = v if v in STATUS_TOKENS else ""
            if kind is None:
                line.append(v)
                continue
            cell_unit = ("%" if "%" in v else "") if value_shown(v) else ""
            extra = [cell_unit] if unit == "mixed" else []
            if kind == "number":
                m = _NUMBER.match(v)
                value = _number(m.group(1), m.group(2)) if m else ""
                line += [value, *extra, status]
            elif kind == "number_rag":
                m = _NUMBER_RAG.match(v) or _NUMBER.match(v)
                value = _number(m.group(1), m.group(2)) if m else ""
                rag = m.group(4) if m and m.re is _NUMBER_RAG else ""
                line += [value, *extra, rag, status]
            elif kind == "range":
                m = _RANGE.match(v)
                value = _number(m.group(1), m.group(2)) if m else ""
                line += [value, _number(m.group(4), m.group(5)) if m else "", *extra, status]
            elif kind == "number_share":
                m = _NUMBER_SHARE.match(v)
                value = _number(m.group(1), m.group(2)) if m else ""
                line += [value, _number(m.group(4), m.group(5)) if m else "", status]
            else:
                m = _RANK.match(v)
                value = m.group(1) if m else ""
                line += [value, m.group(2) if m else "", status]
            figures.append({"group": group, "row": label, "column": name, "value": value,
                            "unit": cell_unit if unit == "mixed" else unit, "status": status})
        out_rows.append(line)
    return out_header, out_rows, figures


FIGURE_COLUMNS = ["table", "caption", "group", "row", "column", "value", "unit", "status"]


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    import csv
    import io as _io

    buffer = _io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def tables_as_csv(body: str, prefix: str, figures_name: str | None = None, start: int = 1
                  ) -> tuple[str, dict[str, str]]:
    """Give every table of ``body`` a tidy CSV file (:func:`table_records`) and a download link
    under it; with ``figures_name``, also the paper's figures file: every number of every
    table, one per line (``table, caption, group, row, column, value, unit, status``).

    Returns the new body and ``{file name: CSV text}``; table files are named
    ``<prefix>-table-01.csv`` ... in page order.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    files: dict[str, str] = {}
    figures: list[list[str]] = []
    for n, table in enumerate(soup.find_all("table"), start=start):
        header, rows, found = table_records(table)
        name = f"{prefix}-table-{n:02d}.csv"
        files[name] = _csv_text(header, rows)
        caption = table.find("caption")
        what = " ".join(caption.get_text(" ", strip=True).split()) if caption else f"table {n}"
        figures += [[str(n), what, f["group"], f["row"], f["column"], f["value"], f["unit"], f["status"]]
                    for f in found]
        link = soup.new_tag("p", attrs={"class": "ehps-table-download"})
        anchor = soup.new_tag("a", href=name)
        anchor.string = "Download this table as CSV"
        hidden = soup.new_tag("span", attrs={"class": "ehps-visually-hidden"})
        hidden.string = f": {what}"
        anchor.append(hidden)
        link.append(anchor)
        wrapper = table.parent if table.parent is not None and "ehps-table-wrap" in (table.parent.get("class") or []) \
            else table
        wrapper.insert_after(link)
    if figures_name:
        files[figures_name] = _csv_text(FIGURE_COLUMNS, figures)
    return str(soup), files


def render_html(executed_nb_path: str | Path, *, title: str, subtitle: str = "", synthetic: bool,
                classification: str, provenance: dict, links: list[tuple[str, str]] | None = None,
                nav: list[tuple[str, str]] | None = None, tables: dict[str, str] | None = None,
                table_prefix: str = "paper", related: list[tuple[str, str]] | None = None,
                figures_name: str | None = None) -> str:
    """An executed notebook as a complete, accessible HTML page (returned, not written).

    ``provenance`` holds ``period``, ``extract_date``, ``ehps_lib_version``, ``git_commit``,
    ``inputs`` and ``build_time`` (computed from ``SOURCE_DATE_EPOCH`` or the clock when absent).
    ``links`` (text, href) are listed under "Downloads"; ``nav`` (text, href) in the header;
    ``related`` (text, href), the area's other papers and the previous edition, under "More papers".
    """
    nb = io.read_notebook(executed_nb_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if errors:
        raise RenderError(f"{executed_nb_path}: the notebook holds an error ({errors[0].get('ename')}: "
                          f"{errors[0].get('evalue')}); it is not published")
    provenance = {"build_time": build_time(), **provenance}
    body = notebook_body(nb)
    if tables is not None:
        body, files = tables_as_csv(body, table_prefix, figures_name)
        tables.update(files)
    return render_page(body, title=title, subtitle=subtitle, synthetic=synthetic,
                       classification=classification, provenance=provenance, links=links, nav=nav,
                       description=subtitle, related=related)


# -- HTML → PDF ------------------------------------------------------------------------------------
#: The PDF writers of the built-in engine: Typst (the default: :mod:`ehps_lib.publish.typst_pdf`, the
#: page's HTML laid out by Typst, tagged PDF/UA-1, a few hundredths of a second a page) and WeasyPrint
#: (the page's print style sheet, tagged PDF/UA-1, about two seconds for a district dashboard).
PDF_WRITERS = ("typst", "weasyprint")
#: Environment variable that chooses the writer (``EHPS_PDF_WRITER=weasyprint``).
PDF_WRITER_ENV = "EHPS_PDF_WRITER"


def pdf_writer(writer: str | None = None) -> str:
    """The PDF writer to use: ``writer``, else ``$EHPS_PDF_WRITER``, else Typst."""
    chosen = (writer or os.environ.get(PDF_WRITER_ENV) or "typst").strip().lower()
    if chosen not in PDF_WRITERS:
        raise RenderError(f"unknown PDF writer {chosen!r} (from {PDF_WRITER_ENV} or the call): "
                          f"choose one of {', '.join(PDF_WRITERS)}")
    return chosen


def pdf_bytes(html: str, *, base_url: str | Path | None = None, writer: str | None = None) -> bytes:
    """The PDF (PDF/UA-1, tagged) of a page made by :func:`render_page`, by ``writer``
    (:func:`pdf_writer`). Every image of a paper's page is inline, so ``base_url`` (where relative
    links would be read from) matters only to WeasyPrint."""
    if pdf_writer(writer) == "typst":
        from .typst_pdf import TypstPdfError
        from .typst_pdf import pdf_bytes as typst_pdf_bytes

        try:
            return typst_pdf_bytes(html)
        except TypstPdfError as exc:
            raise RenderError(f"the PDF could not be made: {exc}") from exc
    import weasyprint

    doc = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None, media_type="print")
    return doc.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)


def write_pdf(html: str, pdf_path: str | Path, *, base_url: str | Path | None = None) -> Path:
    """Write the PDF of ``html`` to ``pdf_path`` atomically (see :func:`pdf_bytes`)."""
    return io.write_bytes(pdf_bytes(html, base_url=base_url), pdf_path)


def render_notebook(executed_nb: str | Path, html_out: str | Path, pdf_out: str | Path | None = None,
                    **kw) -> tuple[Path, Path | None]:
    """Render one executed notebook with the built-in engine to ``html_out`` (and ``pdf_out``).

    Keyword arguments are those of :func:`render_html`; with ``table_prefix`` every table
    is also written as a CSV file beside the HTML, linked under the table.
    """
    from .profile import stage

    tables: dict[str, str] | None = {} if "table_prefix" in kw else None
    with stage("html"):
        html = render_html(executed_nb, tables=tables, **kw)
        io.write_text(html, html_out)
        for name, text in (tables or {}).items():
            io.write_text(text, Path(html_out).parent / name)
    if pdf_out is not None:
        # No base URL: every image and style is inline, and links stay relative, as they are on the site.
        with stage("pdf"):
            write_pdf(html, pdf_out)
    return Path(html_out), (Path(pdf_out) if pdf_out is not None else None)


# -- Quarto ----------------------------------------------------------------------------------------
#: The oldest Quarto the Quarto engine is used with: the one this workspace's Quarto support was
#: written and checked against (Typst PDFs with data-URI images, alt text and callouts).
QUARTO_MIN_VERSION = (1, 10)
#: What a Quarto render reads from the workspace beside the notebook: the project file, the index
#: page and the Typst and listing templates it names (copied into each render's scratch project).
QUARTO_PROJECT_FILES = ("_quarto.yml", "index.qmd")
#: Folder of the Quarto templates, inside the package and (by the same path) in the project.
QUARTO_TEMPLATES = "ehps_lib/templates/quarto"
#: Where the notebooks Quarto renders live in the project (``project.render`` in ``_quarto.yml``).
QUARTO_REPORTS = "reports"
#: Front-matter fields the site index (``index.qmd``'s listing template) reads from each paper.
LISTING_FIELDS = ("ehps-period", "ehps-period-title", "ehps-period-start", "ehps-area", "ehps-area-code",
                  "ehps-area-order", "ehps-paper", "ehps-synthetic")
#: Marks a notebook already rearranged for Quarto by :func:`quarto_notebook`.
EDITION_KEY = "ehps_quarto_edition"


def quarto_available() -> bool:
    """Whether the ``quarto`` command is on ``PATH``."""
    return shutil.which("quarto") is not None


def quarto_version(quarto: str = "quarto") -> tuple[int, ...] | None:
    """The version of ``quarto`` (``quarto --version``) as numbers, or None when it cannot be run."""
    try:
        done = subprocess.run([quarto, "--version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"(\d+(?:\.\d+)+)", done.stdout)
    return tuple(int(x) for x in m.group(1).split(".")) if m else None


def _version_text(version: tuple[int, ...] | None) -> str:
    return ".".join(str(x) for x in version) if version else "unknown"


def choose_engine(engine: str) -> str:
    """``"auto"`` → ``"quarto"`` when Quarto (1.10 or later) is installed, else ``"builtin"``.

    Raises
    ------
    ValueError
        For an unknown engine, or ``"quarto"`` when Quarto is not installed or too old.
    """
    return engine_choice(engine)[0]


def engine_choice(engine: str) -> tuple[str, str]:
    """The engine to use for ``engine`` and a sentence saying which and why (printed by the build,
    so that ``--engine auto`` never picks a renderer silently)."""
    if engine not in ENGINES:
        raise ValueError(f"Unknown render engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "builtin":
        writer = "WeasyPrint" if pdf_writer() == "weasyprint" else "Typst"
        return "builtin", f"Renderer: built-in (HTML from the project's template, PDF from {writer})."
    found = shutil.which("quarto")
    version = quarto_version(found) if found else None
    recent = version is not None and version >= QUARTO_MIN_VERSION
    need = _version_text(QUARTO_MIN_VERSION)
    if engine == "auto":
        if found and recent:
            return "quarto", (f"Renderer: Quarto {_version_text(version)} ({found}), chosen by --engine auto because "
                              "it is installed; use --engine builtin for the built-in renderer.")
        why = (f"Quarto {_version_text(version)} at {found} is older than {need}" if found
               else "Quarto is not installed")
        return "builtin", f"Renderer: built-in, chosen by --engine auto ({why})."
    if not found:
        raise ValueError("The quarto engine needs the `quarto` command on PATH; use --engine builtin "
                         "(or auto) on machines without Quarto.")
    if not recent:
        raise ValueError(f"The quarto engine needs Quarto {need} or later; {found} is "
                         f"{_version_text(version)}. Update Quarto, or use --engine builtin.")
    return "quarto", f"Renderer: Quarto {_version_text(version)} ({found})."


# -- the notebook as Quarto renders it ---------------------------------------------------------------
def component_css() -> str:
    """The page style sheet's rules for the papers' own components (class selectors: badges,
    banners, tables' notes, figures, the scorecard's layout), without the rules for the built-in
    page (``html``, ``body``, ``main``, headings, ``@page``), which would fight Quarto's theme."""
    import tinycss2

    def keep(rule) -> bool:
        if rule.type != "qualified-rule":
            return False
        selectors = tinycss2.serialize(rule.prelude).split(",")
        return all(sel.strip().startswith(".") for sel in selectors if sel.strip())

    out = []
    for rule in tinycss2.parse_stylesheet(page_css(), skip_comments=True, skip_whitespace=True):
        if rule.type == "at-rule" and rule.at_keyword == "media" and rule.content is not None:
            inner = [r for r in tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
                     if keep(r)]
            if inner:
                out.append(f"@media {tinycss2.serialize(rule.prelude).strip()} {{"
                           + "".join(tinycss2.serialize([r]) for r in inner) + "}")
        elif keep(rule):
            out.append(tinycss2.serialize([rule]))
    return "\n".join(out)


def compose_markdown(html_form: str, markdown_form: str) -> str:
    """One ``text/markdown`` output that carries both forms: the HTML as a raw block (web pages)
    and the Markdown inside a div hidden from HTML formats (the PDF), using Quarto's conditional
    content (https://quarto.org/docs/authoring/conditional.html)."""
    parts = [markup.raw_html(html_form)] if html_form.strip() else []
    if markdown_form.strip():
        fence = ":" * max(4, markup._longest_fence(markdown_form) + 1)
        parts.append(f'{fence} {{.content-hidden when-format="html"}}\n{markdown_form.strip()}\n{fence}')
    return "\n\n".join(parts) + "\n"


def _front_matter_cell(nb):
    for cell in nb.cells:
        if cell.cell_type in ("raw", "markdown") and str(cell.source).lstrip().startswith("---"):
            return cell
    return None


def read_front_matter(nb) -> dict:
    """The YAML front matter of a notebook (its first raw cell between ``---`` lines), or {}."""
    import yaml

    cell = _front_matter_cell(nb)
    if cell is None:
        return {}
    m = re.match(r"\s*---\s*\n(.*?)\n---\s*$", str(cell.source), flags=re.DOTALL)
    return (yaml.safe_load(m.group(1)) or {}) if m else {}


def quarto_front_matter(nb, fields: dict) -> None:
    """Set ``fields`` in the notebook's front matter (adding a front-matter cell if it has none)."""
    import nbformat
    import yaml

    matter = {**read_front_matter(nb), **fields}
    text = "---\n" + yaml.safe_dump(matter, sort_keys=False, allow_unicode=True, width=1000) + "---"
    cell = _front_matter_cell(nb)
    if cell is None:
        nb.cells.insert(0, nbformat.v4.new_raw_cell(text))
    else:
        cell.cell_type = "raw"
        cell.source = text


def quarto_notebook(nb, *, title: str | None = None, classification: str | None = None,
                    synthetic: bool | None = None, provenance: dict | None = None,
                    links: list[tuple[str, str]] | None = None, table_prefix: str | None = None,
                    listing: dict | None = None, resources: list[str] | None = None):
    """An executed notebook rearranged for Quarto: the notebook ``quarto render`` reads.

    Returns ``(notebook, {file name: CSV text})``. Nothing is executed and no output is
    changed in content; what changes is how the outputs offer themselves to Quarto:

    * the front matter holds the paper's own title (area and period: the HTML ``<title>`` and
      the PDF's title) and the fields of the site index (``listing``);
    * each output that has HTML becomes one ``text/markdown`` output holding the HTML as a raw
      block and the Markdown form for the PDF (:func:`compose_markdown`); an HTML output with no
      Markdown form gets one made from its HTML (:func:`ehps_lib.papers.markup.html_to_markdown`).
      No ``text/html`` is left: Quarto adds require.js and jQuery from a CDN to every page whose
      notebook has one (quarto-cli ``src/core/jupyter/widgets.ts``);
    * warnings written to stderr are dropped (``warning: false``);
    * with ``table_prefix``, every table gets a CSV file and a download link under it, named as
      the built-in engine names them (:func:`tables_as_csv`);
    * a first cell carries the components' styles and the classification for the web page, and
      the marks the PDF's running header reads (``templates/quarto/page.typ``); a last cell the
      downloads (web page only) and the provenance ("About this paper").

    Missing arguments are read from the notebook (title) or the settings (classification).

    Raises
    ------
    RenderError
        When the notebook holds an error output.
    """
    import copy

    import nbformat

    nb = copy.deepcopy(nb)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if errors:
        raise RenderError(f"the notebook holds an error ({errors[0].get('ename')}: {errors[0].get('evalue')}); "
                          "it is not published")
    if classification is None:
        from ..config import load_settings

        classification = load_settings().classification
    htmls = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
             if "text/html" in o.get("data", {})]
    if synthetic is None:
        synthetic = any(SYNTHETIC_BANNER_ATTR in _joined(h) for h in htmls)
    files: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue
            data = out.get("data")
            if out.get("output_type") in ("display_data", "execute_result") and data and "text/html" in data:
                html_form = strip_lab_styles(_joined(data["text/html"]))  # as published: no JupyterLab styles
                md_form = _joined(data["text/markdown"]) if "text/markdown" in data else None
                if md_form is None:
                    md_form = markup.html_to_markdown(html_form)
                if table_prefix and "<table" in html_form:
                    html_form, found = tables_as_csv(html_form, table_prefix, start=len(files) + 1)
                    files.update(found)
                new = {"text/markdown": compose_markdown(html_form, md_form)}
                if "text/plain" in data:
                    new["text/plain"] = data["text/plain"]
                out = copy.deepcopy(out)
                out["data"] = new
                for meta_key in ("text/html", "text/markdown"):
                    out.get("metadata", {}).pop(meta_key, None)
            outputs.append(out)
        cell["outputs"] = outputs
    provenance = {"build_time": build_time(), **(provenance or {})}
    from .typst_pdf import string as typst_string

    marks = ("#metadata((classification: " + typst_string(str(classification)) + ", synthetic: "
             + ("true" if synthetic else "false") + ")) <ehps-marks>")
    top = (markup.raw_html(f"<style>\n{component_css()}\n</style>\n"
                           '<p class="ehps-classification"><span class="ehps-visually-hidden">Security '
                           f"classification: </span>{_escape_html(classification)}</p>")
           + "\n\n" + markup.raw_typst(marks))
    bottom = []
    if links:
        items = "".join(f'<li><a href="{_escape_html(href)}">{_escape_html(text)}</a></li>' for text, href in links)
        bottom.append(markup.raw_html('<section class="ehps-downloads" aria-labelledby="downloads-heading">'
                                      f'<h2 id="downloads-heading">Downloads</h2><ul>{items}</ul></section>'))
    rows = _provenance_rows(provenance)
    bottom.append("## About this paper\n\n" + "\n\n".join(f"**{markup.md_escape(k)}:** {markup.md_escape(v)}"
                                                          for k, v in rows))
    if synthetic:
        bottom.append("**Built from synthetic data.** No real child\\'s record was used.")
    front = _front_matter_cell(nb)
    at = nb.cells.index(front) + 1 if front is not None else 0
    nb.cells.insert(at, nbformat.v4.new_markdown_cell(top))
    nb.cells.append(nbformat.v4.new_markdown_cell("\n\n".join(bottom)))
    fields = dict(listing or {})
    if title is None:
        title = read_front_matter(nb).get("title")
    if title:
        fields.update(title=title, pagetitle=title)
    if resources or files:
        fields["resources"] = sorted({*(resources or []), *files})
    quarto_front_matter(nb, fields)
    for i, cell in enumerate(nb.cells, start=1):
        cell["id"] = f"c{i}"
    nb.metadata[EDITION_KEY] = True
    return nb, files


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def is_quarto_notebook(nb) -> bool:
    """Whether ``nb`` was made by :func:`quarto_notebook`."""
    return bool(nb.metadata.get(EDITION_KEY))


# -- rendering with Quarto ---------------------------------------------------------------------------
@dataclass
class QuartoPage:
    """What one ``quarto render`` of a paper gave: its web page and PDF (written where asked),
    Quarto's site libraries (folder) and the page's entries of the site's search index."""

    html: Path
    pdf: Path | None
    site_libs: Path | None
    search: list[dict] = field(default_factory=list)


def quarto_scratch_project(folder: str | Path, root: str | Path | None = None) -> Path:
    """Copy what a Quarto render reads from the workspace (``_quarto.yml``, ``index.qmd`` and
    the Quarto templates) into ``folder``, so that a paper renders there exactly as in the
    project, without touching the project's ``_site`` or ``.quarto`` (and with several renders
    at once)."""
    from ..config import project_root

    root = Path(root or project_root())
    folder = Path(folder)
    for name in QUARTO_PROJECT_FILES:
        if (root / name).is_file():
            io.copy_file(root / name, folder / name)
    templates = resources.files("ehps_lib").joinpath("templates", "quarto")
    for item in templates.iterdir():
        if item.is_file():
            io.write_bytes(item.read_bytes(), folder / QUARTO_TEMPLATES / item.name)
    return folder


def relocate_page(text: str, depth: int = 3, levels: int = 1) -> str:
    """An HTML page ``depth`` folders below the site root moved ``levels`` folders nearer it: every
    relative link that climbs to the root (``../../../site_libs`` from depth 3) climbs ``levels``
    fewer; links within the page's own folder are unchanged.

    Quarto renders ``reports/<period>/<area>/x.ipynb`` to ``_site/reports/<period>/<area>/x.html``;
    the site publishes it as ``<period>/<area>/x.html``, like every other paper.

    Examples
    --------
    >>> relocate_page('<link href="../../../site_libs/q.css"><a href="x.pdf">', depth=3, levels=1)
    '<link href="../../site_libs/q.css"><a href="x.pdf">'
    """
    climb = re.compile(r"(?<![./\w])((?:\.\./){" + str(depth) + r"})")
    return climb.sub("../" * (depth - levels), text)


def render_with_quarto(executed_nb: str | Path, html_out: str | Path, pdf_out: str | Path | None = None,
                       *, relative: str | None = None, edition: dict | None = None,
                       files: dict[str, str] | None = None, quarto: str = "quarto",
                       timeout: int = 1200, root: str | Path | None = None) -> QuartoPage:
    """Render an executed notebook with ``quarto render`` (never executing it again), as
    ``quarto render`` of the project would, and write its web page and PDF.

    The notebook is rearranged for Quarto (:func:`quarto_notebook`, with ``edition`` as its
    arguments) unless it already is, and rendered in a scratch copy of the project
    (:func:`quarto_scratch_project`) at ``relative`` (default
    ``reports/paper/paper/<name>.ipynb``), with ``files`` (CSV) beside it. The page is moved up
    from ``reports/`` (:func:`relocate_page`).

    Raises
    ------
    RenderError
        When Quarto fails or does not write the page or the PDF.
    """
    executed_nb = Path(executed_nb)
    nb = io.read_notebook(executed_nb)
    files = dict(files or {})
    if not is_quarto_notebook(nb):
        nb, tables = quarto_notebook(nb, **(edition or {}))
        files.update(tables)
    relative = relative or f"{QUARTO_REPORTS}/paper/paper/{Path(html_out).stem}.ipynb"
    with tempfile.TemporaryDirectory(prefix="ehps-quarto-") as scratch_dir:
        scratch = quarto_scratch_project(scratch_dir, root)
        target = scratch / relative
        io.write_notebook(nb, target)
        for name, text in files.items():
            io.write_text(text, target.parent / name)
        cmd = [quarto, "render", relative, "--no-execute"]
        try:
            done = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            raise RenderError(f"quarto render {executed_nb} could not run: {exc}") from exc
        site = scratch / "_site"
        page = site / Path(relative).with_suffix(".html")
        pdf = site / Path(relative).with_suffix(".pdf")
        missing = [p.name for p in ([page] + ([pdf] if pdf_out is not None else [])) if not p.is_file()]
        if done.returncode != 0 or missing:
            raise RenderError(f"quarto render {executed_nb} failed (exit {done.returncode}"
                              + (f"; no {', '.join(missing)}" if missing else "") + f"):\n{done.stderr[-3000:]}")
        depth = len(Path(relative).parts) - 1  # reports/<period>/<area>/x.ipynb: 3 folders down
        levels = 1 if Path(relative).parts[0] == QUARTO_REPORTS else 0  # published without reports/
        io.write_text(relocate_page(io.read_text(page), depth, levels), html_out)
        if pdf_out is not None:
            io.copy_file(pdf, pdf_out)
        libs = None
        if (site / "site_libs").is_dir():
            libs = Path(html_out).parent / "site_libs"
            io.copy_tree(site / "site_libs", libs)
        href = Path(relative).with_suffix(".html").as_posix()
        moved = href.split("/", 1)[1] if href.startswith(QUARTO_REPORTS + "/") else href
        search = [{**e, "href": moved + e["href"][len(href):]}
                  for e in io.read_json_or(site / "search.json", [])
                  if isinstance(e, dict) and str(e.get("href", "")).startswith(href)]
    return QuartoPage(Path(html_out), Path(pdf_out) if pdf_out is not None else None, libs, search)


def merge_search_index(old: list[dict], new: list[dict], hrefs: list[str]) -> list[dict]:
    """The site's search index after a build: entries of the pages in ``hrefs`` replaced by
    ``new``, every other entry kept."""
    pages = set(hrefs)
    kept = [e for e in old if str(e.get("href", "")).split("#")[0] not in pages]
    return kept + list(new)


__all__ = [
    "render_html", "render_page", "write_pdf", "pdf_bytes", "pdf_writer", "PDF_WRITERS", "render_notebook",
    "quarto_available", "choose_engine",
    "engine_choice", "quarto_version", "quarto_notebook", "quarto_front_matter", "read_front_matter",
    "compose_markdown", "component_css", "render_with_quarto", "relocate_page", "merge_search_index",
    "quarto_scratch_project", "QuartoPage", "build_time", "git_commit", "notebook_body", "tables_as_csv",
    "RenderError"
]
