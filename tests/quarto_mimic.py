"""A stand-in for ``quarto render`` of an executed notebook, for machines without Quarto.

Quarto cannot be installed here, so the tests drive the converters Quarto drives: Pandoc
(``pypandoc-binary``) and Typst (``typst``). This module does what Quarto does around them,
closely enough that what survives here survives in Quarto; each step names where Quarto does it
(quarto-cli source paths are from its GitHub repository, docs from https://quarto.org):

1. **Notebook to Markdown** (``src/core/jupyter/jupyter.ts``, ``jupyterToMarkdown``): the first
   raw cell is the YAML front matter; Markdown cells are copied; code cells give only their
   outputs (``echo: false``), each inside ``::: {.cell}`` and ``::: {.cell-output ...}`` divs;
   warnings on stderr are dropped (``warning: false``); ``execute: enabled: false`` means the
   outputs are those papermill left.
2. **One MIME type per output** (``src/core/jupyter/display-data.ts``, ``displayDataMimeType``):
   for HTML formats ``application/javascript``, ``text/html``, ``text/markdown``, SVG, PNG, JPEG,
   ``text/plain``; for Typst ``text/markdown``, SVG, PNG, JPEG, then ``text/html`` only if it holds
   a table, then ``text/plain``. ``text/markdown`` is copied as it is, ``text/html`` becomes a
   ``{=html}`` raw block, an image a file and ``![](file)``, text a code block.
3. **CDN scripts** (``src/core/jupyter/widgets.ts``): any ``text/html`` or
   ``application/javascript`` output makes Quarto load require.js and jQuery from cdnjs;
   :attr:`Rendered.cdn_scripts` says whether this notebook would.
4. **Project and document options**: ``_quarto.yml`` then the front matter; ``lang``,
   ``title``/``pagetitle`` (with ``title-block-style: none`` the HTML has no title block, only
   ``<title>``), Typst's ``papersize``, ``margin``, ``fontsize`` and ``include-in-header``.
   Quarto shifts headings up one level in Typst when there is no level-1 heading
   (``src/format/typst/format-typst.ts``). ``html-table-processing: none`` means raw HTML
   tables pass untouched, as Pandoc passes them here.
5. **Quarto's filters**, in ``tests/quarto_mimic.lua``: conditional content, callouts, data-URI
   images written to files (``modules/mediabag.lua``) and Typst ``image(alt: ...)`` from
   ``fig-alt``; HTML tables in raw HTML blocks read into tables in every format unless
   ``html-table-processing: none`` (https://quarto.org/docs/authoring/tables.html).
6. Pandoc writes HTML5 or Typst with its default templates (Quarto's Typst template has the same
   structure: definitions, header includes, then the document), and Typst compiles the PDF.

Not mimicked: Quarto's website chrome (navbar, search, site_libs) and Bootstrap theme.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

LUA_FILTER = Path(__file__).with_name("quarto_mimic.lua")

HTML_PRIORITY = ("application/vnd.jupyter.widget-state+json", "application/vnd.jupyter.widget-view+json",
                 "application/javascript", "text/html", "text/markdown", "image/svg+xml", "image/png",
                 "image/jpeg", "text/plain")
OTHER_PRIORITY = ("text/markdown", "image/svg+xml", "image/png", "image/jpeg")
IMAGE_EXT = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}


def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


@dataclass
class Rendered:
    """The stand-in's output for one notebook in one format."""

    markdown: str
    output: Path
    source: str  # the HTML page or the Typst source
    cdn_scripts: bool
    metadata: dict


def _joined(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def front_matter(nb) -> tuple[dict, int | None]:
    """(YAML front matter, index of its cell) of a notebook: its first raw or Markdown cell that
    starts with ``---`` (``fixupFrontMatter`` in ``src/core/jupyter/jupyter-fixups.ts``)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type in ("raw", "markdown"):
            m = re.match(r"\s*---\s*\n(.*?)\n---\s*$", _joined(cell.source), flags=re.DOTALL)
            if m:
                return yaml.safe_load(m.group(1)) or {}, i
    return {}, None


def has_html_table(data: dict) -> bool:
    html = _joined(data.get("text/html", "")).lower()
    return "<table" in html and "</table" in html


def mime_for(data: dict, to: str) -> str | None:
    """The MIME type Quarto takes from an output's data for format ``to``."""
    if to == "html":
        order = list(HTML_PRIORITY)
    else:
        order = list(OTHER_PRIORITY) + (["text/html"] if has_html_table(data) else []) + ["text/plain"]
    return next((m for m in order if m in data), None)


def uses_cdn_scripts(nb) -> bool:
    """Whether Quarto would load require.js and jQuery from a CDN for this notebook's HTML page."""
    return any(m in out.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for out in c.get("outputs", []) for m in ("text/html", "application/javascript"))


def _fenced(text: str, info: str = "") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


def notebook_markdown(nb, to: str, assets: Path) -> str:
    """The Markdown Quarto makes of an executed notebook for format ``to`` (``html`` or ``typst``)."""
    _, fm_index = front_matter(nb)
    parts = []
    for i, cell in enumerate(nb.cells):
        if i == fm_index:
            continue
        if cell.cell_type in ("markdown", "raw"):
            parts.append(_joined(cell.source))
            continue
        outs = []
        for k, out in enumerate(cell.get("outputs", [])):
            kind = out.get("output_type")
            if kind == "stream":
                if out.get("name") == "stderr":
                    continue
                outs.append("::: {.cell-output .cell-output-stdout}\n" + _fenced(_joined(out.get("text", "")))
                            + "\n:::")
                continue
            if kind == "error":
                outs.append("::: {.cell-output .cell-output-error}\n"
                            + _fenced(f"{out.get('ename')}: {out.get('evalue')}") + "\n:::")
                continue
            data = out.get("data", {})
            mime = mime_for(data, to)
            if mime is None:
                continue
            value = _joined(data[mime])
            if mime == "text/markdown":
                body, cls = value, " .cell-output-markdown"
            elif mime == "text/html":
                body, cls = _fenced(value, "{=html}"), ""
            elif mime in IMAGE_EXT:
                assets.mkdir(parents=True, exist_ok=True)
                name = assets / f"cell-{i}-output-{k + 1}.{IMAGE_EXT[mime]}"
                if mime == "image/svg+xml":
                    name.write_text(value, encoding="utf-8")
                else:
                    name.write_bytes(base64.b64decode(value))
                body, cls = f"![]({name.as_posix()})", ""
            else:
                body, cls = _fenced(value), ""
            outs.append(f"::: {{.cell-output .cell-output-display{cls}}}\n{body.strip()}\n:::")
        if outs:
            parts.append("::: {.cell}\n" + "\n\n".join(outs) + "\n:::")
    return "\n\n".join(p.strip() for p in parts if p.strip()) + "\n"


def project_config(root: Path) -> dict:
    path = Path(root) / "_quarto.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.is_file() else {}


def _options(root: Path, nb, to: str) -> dict:
    project = project_config(root)
    fm, _ = front_matter(nb)
    fmt = (project.get("format") or {}).get(to) or {}
    doc_fmt = ((fm.get("format") or {}).get(to)) if isinstance(fm.get("format"), dict) else None
    return {**{k: v for k, v in project.items() if k not in ("project", "website", "format")},
            **fmt, **(doc_fmt if isinstance(doc_fmt, dict) else {}),
            **{k: v for k, v in fm.items() if k != "format"}}


def render(notebook: str | Path, to: str, out_dir: str | Path, root: str | Path) -> Rendered:
    """Render an executed notebook to ``to`` (``html`` or ``typst``: a PDF) in ``out_dir``, as
    ``quarto render`` of the project at ``root`` would (see the module docstring)."""
    notebook, out_dir, root = Path(notebook).resolve(), Path(out_dir).resolve(), Path(root).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(str(notebook), as_version=4)
    opts = _options(root, nb, to)
    md = notebook_markdown(nb, to, out_dir / f"{notebook.stem}_files")
    meta: dict = {"lang": opts.get("lang", "en"),
                  "html-table-processing": str(opts.get("html-table-processing", "default"))}
    args = [pandoc_path(), "-f", "markdown", "--lua-filter", str(LUA_FILTER), "--wrap=none", "-s"]
    stem = out_dir / notebook.stem
    if to == "html":
        title = opts.get("pagetitle") or opts.get("title")
        if opts.get("title-block-style") == "none":
            meta["pagetitle"] = title
        else:
            meta["title"] = opts.get("title")
            meta["pagetitle"] = title
        target = stem.with_suffix(".html")
        args += ["-t", "html5", "-o", str(target)]
    else:
        for key in ("title", "subtitle", "papersize", "margin", "fontsize"):
            if opts.get(key) is not None:
                meta[key] = opts[key]
        target = stem.with_suffix(".typ")
        args += ["-t", "typst", "-o", str(target)]
        header = opts.get("include-in-header")
        for item in ([header] if isinstance(header, str) else header or []):
            args += ["-H", str(root / item)]
        if not re.search(r"(?m)^#\s", md):
            args += ["--shift-heading-level-by=-1"]
    meta_file = stem.with_suffix(f".{to}.meta.json")
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    args += ["--metadata-file", str(meta_file)]
    done = subprocess.run(args, input=md, text=True, capture_output=True, cwd=out_dir)
    if done.returncode != 0:
        raise RuntimeError(f"pandoc failed for {notebook} ({to}):\n{done.stderr}")
    source = target.read_text(encoding="utf-8")
    if to != "html":
        import typst

        pdf = stem.with_suffix(".pdf")
        typst.compile(str(target), output=str(pdf), root=str(out_dir))
        target = pdf
    return Rendered(markdown=md, output=target, source=source, cdn_scripts=uses_cdn_scripts(nb), metadata=opts)


def pandoc_ast(markdown: str) -> dict:
    """Pandoc's JSON AST of Markdown (before Quarto's filters: tables and figures are still
    Table and Figure nodes; the HTML parts are raw blocks that Typst ignores)."""
    done = subprocess.run([pandoc_path(), "-f", "markdown", "-t", "json"], input=markdown, text=True,
                          capture_output=True, check=True)
    return json.loads(done.stdout)


def html_table_columns(table_html: str) -> int:
    """How many columns Pandoc's HTML reader (which Quarto's HTML table processing uses) sees in
    a table."""
    done = subprocess.run([pandoc_path(), "-f", "html", "-t", "json"], input=table_html, text=True,
                          capture_output=True, check=True)
    blocks = json.loads(done.stdout)["blocks"]
    tables = [b for b in blocks if b["t"] == "Table"]
    return len(tables[0]["c"][2]) if tables else 0
