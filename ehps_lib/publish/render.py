"""Render executed notebooks to accessible HTML and PDF.

Two engines publish the same pages:

* ``builtin`` (needs no Quarto): nbconvert turns the executed notebook into HTML (code
  hidden, outputs only); the project's page template ``templates/page.html.j2`` and style
  sheet ``templates/ehps.css`` wrap it; WeasyPrint makes the PDF from that HTML (PDF/UA-1,
  tagged, with the classification and a "SYNTHETIC DATA" mark in the page header and
  "Page N of M" in the footer).
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
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .. import __version__
from ..data import io
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
                is_index: bool = False) -> str:
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
        nav=nav or [], provenance=provenance, provenance_rows=_provenance_rows(provenance), is_index=is_index,
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
    """Make every table of ``body`` usable on any screen: each sits in a scrolling region
    (``div.ehps-table-wrap``, a labelled region that takes keyboard focus) that holds the
    table's visually hidden text too, with the number of columns for the scroll cue; the cells
    of the first column (and the second, when the first is only an ID beside row headers) are
    marked so that the style sheet keeps them in view while the rest scrolls; a cell that
    spans the whole row keeps its text in view too.

    Returns the new HTML. Idempotent: a table already prepared is left as it is.
    """
    from bs4 import BeautifulSoup

    if "<table" not in body:
        return body
    soup = BeautifulSoup(body, "html.parser")
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


def tables_as_csv(body: str, prefix: str) -> tuple[str, dict[str, str]]:
    """Give every table of ``body`` a CSV file and a download link under it.

    Returns the new body and ``{file name: CSV text}``; files are named
    ``<prefix>-table-01.csv`` ... in page order. The CSV holds the table as printed
    (header row(s), then one line per row; suppressed cells stay ``c``).
    """
    import csv
    import io as _io

    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    files: dict[str, str] = {}
    for n, table in enumerate(soup.find_all("table"), start=1):
        buffer = _io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in table.find_all("tr"):
            cells = []
            for cell in row.find_all(["th", "td"]):
                text = " ".join(cell.get_text(" ", strip=True).split())
                span = int(cell.get("colspan", 1) or 1)
                cells += [text] * span  # a heading over several columns labels each of them
            writer.writerow(cells)
        name = f"{prefix}-table-{n:02d}.csv"
        files[name] = buffer.getvalue()
        caption = table.find("caption")
        what = caption.get_text(" ", strip=True) if caption else f"table {n}"
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
    return str(soup), files


def render_html(executed_nb_path: str | Path, *, title: str, subtitle: str = "", synthetic: bool,
                classification: str, provenance: dict, links: list[tuple[str, str]] | None = None,
                nav: list[tuple[str, str]] | None = None, tables: dict[str, str] | None = None,
                table_prefix: str = "paper") -> str:
    """An executed notebook as a complete, accessible HTML page (returned, not written).

    ``provenance`` holds ``period``, ``extract_date``, ``ehps_lib_version``, ``git_commit``,
    ``inputs`` and ``build_time`` (computed from ``SOURCE_DATE_EPOCH`` or the clock when absent).
    ``links`` (text, href) are listed under "Downloads"; ``nav`` (text, href) in the header.
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
        body, files = tables_as_csv(body, table_prefix)
        tables.update(files)
    return render_page(body, title=title, subtitle=subtitle, synthetic=synthetic,
                       classification=classification, provenance=provenance, links=links, nav=nav,
                       description=subtitle)


# -- HTML → PDF ------------------------------------------------------------------------------------
def pdf_bytes(html: str, *, base_url: str | Path | None = None) -> bytes:
    """The PDF (PDF/UA-1, tagged) of a page made by :func:`render_page`."""
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
    tables: dict[str, str] | None = {} if "table_prefix" in kw else None
    html = render_html(executed_nb, tables=tables, **kw)
    io.write_text(html, html_out)
    for name, text in (tables or {}).items():
        io.write_text(text, Path(html_out).parent / name)
    if pdf_out is not None:
        write_pdf(html, pdf_out, base_url=Path(html_out).parent)
    return Path(html_out), (Path(pdf_out) if pdf_out is not None else None)


# -- Quarto ----------------------------------------------------------------------------------------
def quarto_available() -> bool:
    """Whether the ``quarto`` command is on ``PATH``."""
    return shutil.which("quarto") is not None


def choose_engine(engine: str) -> str:
    """``"auto"`` → ``"quarto"`` when Quarto is installed, else ``"builtin"``.

    Raises
    ------
    ValueError
        For an unknown engine, or ``"quarto"`` when Quarto is not installed.
    """
    if engine not in ENGINES:
        raise ValueError(f"Unknown render engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "quarto" if quarto_available() else "builtin"
    if engine == "quarto" and not quarto_available():
        raise ValueError("The quarto engine needs the `quarto` command on PATH; use --engine builtin "
                         "(or auto) on machines without Quarto.")
    return engine


def render_with_quarto(executed_nb: str | Path, html_out: str | Path, pdf_out: str | Path | None = None,
                       *, quarto: str = "quarto", timeout: int = 600) -> tuple[Path, Path | None]:
    """Render an executed notebook with ``quarto render`` (never executing it again).

    The notebook is copied into a scratch folder outside the project, so that Quarto renders
    it as a single self-contained document (``embed-resources``) rather than as part of the
    website in ``_quarto.yml``; the HTML and the Typst PDF are then published to
    ``html_out`` and ``pdf_out``. To render the whole website instead, run ``quarto render``
    at the workspace root.
    """
    executed_nb = Path(executed_nb)
    with tempfile.TemporaryDirectory(prefix="ehps-quarto-") as scratch:
        work = Path(scratch) / executed_nb.name
        io.copy_file(executed_nb, work)
        targets = [("html", Path(html_out), work.with_suffix(".html"))]
        if pdf_out is not None:
            targets.append(("typst", Path(pdf_out), work.with_suffix(".pdf")))
        for fmt, out, produced in targets:
            cmd = [quarto, "render", work.name, "--to", fmt, "--no-execute", "-M", "echo:false"]
            if fmt == "html":
                cmd += ["-M", "embed-resources:true"]
            done = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0 or not produced.is_file():
                raise RenderError(f"quarto render {executed_nb} --to {fmt} failed:\n{done.stderr[-2000:]}")
            io.copy_file(produced, out)
    return Path(html_out), (Path(pdf_out) if pdf_out is not None else None)


__all__ = [
    "render_html", "render_page", "write_pdf", "pdf_bytes", "render_notebook", "quarto_available", "choose_engine",
    "render_with_quarto", "build_time", "git_commit", "notebook_body", "RenderError"
]
