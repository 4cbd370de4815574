"""Quarto publishes what the built-in engine publishes: tested without Quarto.

Each paper of the built site (built-in engine) is rendered again from the notebook ``ehps build``
keeps for Quarto (``reports/<period>/<area>/<template>.ipynb``) by the stand-in of
``quarto render`` in :mod:`quarto_mimic` (Quarto's notebook-to-Markdown rules, then the same
Pandoc and Typst Quarto drives). Per paper kind the two must give the same table shapes (every
column of every table, in the web page and in the PDF), the same figures with the same alt text
and captions, the classification, "SYNTHETIC DATA" and "Page N of M" on every PDF page, and the
paper's own title (area and period) in ``<title>`` and the PDF's title.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import quarto_mimic as qm
import yaml
from bs4 import BeautifulSoup
from pdf_tools import pdf_alt_texts
from pypdf import PdfReader

from ehps_lib.config import load_settings
from ehps_lib.papers import markup
from ehps_lib.publish import render

ROOT = Path(__file__).resolve().parent.parent
KENT, CAN = "E10000016", "E07000106"
CLASSIFICATION = load_settings().classification
PAPERS = [("scorecard", KENT), ("scorecard", CAN), ("county_scorecard", KENT), ("district_dashboard", CAN),
          ("imd_atlas", KENT), ("committee_paper", KENT)]
IDS = [f"{t}-{a}" for t, a in PAPERS]


# -- what a page or a PDF holds ----------------------------------------------------------------------
def html_tables(html: str) -> list[tuple[str, int]]:
    """(caption, number of columns) of every table of a page's content, in order."""
    soup = BeautifulSoup(html, "html.parser")
    out = []
    for table in soup.find_all("table"):
        caption, grid, _ = markup.table_grid(table)
        out.append((caption, max((len(r) for r in grid), default=0)))
    return out


def _stringify(inlines) -> str:
    words = []
    for node in inlines:
        t, c = node["t"], node.get("c")
        if t == "Str":
            words.append(c)
        elif t in ("Space", "SoftBreak", "LineBreak"):
            words.append(" ")
        elif t in ("Emph", "Strong", "Span", "Quoted", "SmallCaps", "Strikeout", "Underline"):
            words.append(_stringify(c[-1] if t in ("Span", "Quoted") else c))
        elif t == "Code":
            words.append(c[1])
    return " ".join("".join(words).split())


def _walk(node, found: list):
    if isinstance(node, dict):
        if node.get("t") in ("Table", "Figure"):
            found.append(node)
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)


def _caption_text(caption) -> str:
    blocks = caption[1]
    return " ".join(_stringify(b["c"]) for b in blocks if b["t"] in ("Plain", "Para"))


def ast_tables(ast: dict) -> list[tuple[str, int]]:
    """(caption, number of columns) of every table Pandoc reads in the Markdown for the PDF."""
    found: list = []
    _walk(ast["blocks"], found)
    return [(_caption_text(n["c"][1]), len(n["c"][2])) for n in found if n["t"] == "Table"]


def ast_figures(ast: dict) -> list[tuple[str, str]]:
    """(alt text, caption) of every figure Pandoc reads in the Markdown for the PDF."""
    found: list = []
    _walk(ast["blocks"], found)
    out = []
    for fig in (n for n in found if n["t"] == "Figure"):
        images = _images(fig["c"][2])
        attrs = dict(images[0]["c"][0][2]) if images else {}
        out.append((attrs.get("fig-alt", ""), _caption_text(fig["c"][1])))
    return out


def _images(node) -> list[dict]:
    if isinstance(node, dict):
        return ([node] if node.get("t") == "Image" else []) + [i for v in node.values() for i in _images(v)]
    if isinstance(node, list):
        return [i for v in node for i in _images(v)]
    return []


def html_figures(html: str) -> list[tuple[str, str]]:
    """(alt text, caption) of every figure of a page."""
    soup = BeautifulSoup(html, "html.parser")
    out = []
    for fig in soup.find_all("figure"):
        img = fig.find("img")
        caption = fig.find("figcaption")
        out.append((img.get("alt", "") if img else "", " ".join(caption.get_text(" ").split()) if caption else ""))
    return out


def pdf_pages(path: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(path)).pages]


def marks_missing(path: Path, synthetic: bool = True) -> list[str]:
    """Pages of a PDF without the classification, the synthetic-data mark or "Page N of M"."""
    pages = pdf_pages(path)
    missing = []
    for n, text in enumerate(pages, start=1):
        need = [CLASSIFICATION, f"Page {n} of {len(pages)}"] + (["SYNTHETIC DATA"] if synthetic else [])
        missing += [f"page {n}: {m}" for m in need if m not in text]
    return missing


# -- the papers, both ways ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def papers(built_pack, tmp_path_factory) -> dict:
    """Per paper: the built-in page and PDF, the notebook kept for Quarto and its stand-in renders."""
    site, reports = built_pack
    out = {}
    for template, area in PAPERS:
        [notebook] = sorted(reports.glob(f"*/{area}/{template}.ipynb"))
        folder = tmp_path_factory.mktemp(f"quarto-{template}-{area}")
        html = qm.render(notebook, "html", folder, ROOT)
        pdf = qm.render(notebook, "typst", folder, ROOT)
        builtin = site / notebook.parent.parent.name / area / f"{template}.html"
        out[(template, area)] = {"notebook": notebook, "html": html, "pdf": pdf, "builtin_html": builtin,
                                 "builtin_pdf": builtin.with_suffix(".pdf"),
                                 "ast": qm.pandoc_ast(pdf.markdown)}
    return out


@pytest.fixture(params=PAPERS, ids=IDS)
def paper(papers, request) -> dict:
    return papers[request.param]


@pytest.mark.slow
class TestSameContent:
    def test_web_page_tables_keep_every_column(self, paper):
        builtin = html_tables(paper["builtin_html"].read_text(encoding="utf-8"))
        quarto = html_tables(paper["html"].output.read_text(encoding="utf-8"))
        assert builtin and quarto == builtin
        # Quarto's HTML table processing reads tables with Pandoc: it must see every column too
        soup = BeautifulSoup(paper["builtin_html"].read_text(encoding="utf-8"), "html.parser")
        assert [qm.html_table_columns(str(t)) for t in soup.find_all("table")] == [n for _, n in builtin]

    def test_pdf_tables_keep_every_column(self, paper):
        builtin = html_tables(paper["builtin_html"].read_text(encoding="utf-8"))
        assert ast_tables(paper["ast"]) == builtin

    def test_pdf_figures_have_alt_text_and_captions(self, paper):
        builtin = html_figures(paper["builtin_html"].read_text(encoding="utf-8"))
        assert ast_figures(paper["ast"]) == builtin
        assert all(alt and caption for alt, caption in builtin)
        # in the PDF itself: one tagged figure per chart or map, with its alt text
        assert sorted(pdf_alt_texts(paper["pdf"].output)) == sorted(alt for alt, _ in builtin)
        text = " ".join(pdf_pages(paper["pdf"].output))
        for _, caption in builtin:
            assert " ".join(caption.split()[:8]) in text

    def test_classification_synthetic_mark_and_page_numbers_on_every_pdf_page(self, paper):
        assert marks_missing(paper["pdf"].output) == []
        assert marks_missing(paper["builtin_pdf"]) == []

    def test_titles_name_area_and_period(self, paper):
        front, _ = qm.front_matter(nbformat.read(str(paper["notebook"]), as_version=4))
        title = front["title"]
        area, period = front["ehps-area"], front["ehps-period"]
        assert area in title and period in title
        page = BeautifulSoup(paper["html"].output.read_text(encoding="utf-8"), "html.parser")
        assert page.title.get_text() == title
        assert len(page.find_all("h1")) == 1
        assert PdfReader(str(paper["pdf"].output)).metadata.title == title
        builtin = BeautifulSoup(paper["builtin_html"].read_text(encoding="utf-8"), "html.parser")
        assert builtin.title.get_text() == title and len(builtin.find_all("h1")) == 1
        assert PdfReader(str(paper["builtin_pdf"])).metadata.title == title

    def test_no_script_from_the_internet(self, paper):
        nb = nbformat.read(str(paper["notebook"]), as_version=4)
        assert not qm.uses_cdn_scripts(nb)
        assert not re.search(r'<script[^>]+src="https?:', paper["html"].output.read_text(encoding="utf-8"))

    def test_every_output_has_a_pdf_form(self, paper):
        nb = nbformat.read(str(paper["notebook"]), as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                if out.get("output_type") in ("display_data", "execute_result"):
                    assert qm.mime_for(out["data"], "typst") == "text/markdown"
        # nothing falls back to a code block of plain text in the PDF
        assert "```" not in re.sub(r"```\{=(html|typst)\}.*?```", "", paper["pdf"].markdown, flags=re.DOTALL)

    def test_provenance_and_downloads(self, paper):
        text = " ".join(pdf_pages(paper["pdf"].output))
        assert "About this paper" in text and "Git commit" in text and "Built from synthetic data" in text
        page = paper["html"].output.read_text(encoding="utf-8")
        assert f'href="{paper["builtin_pdf"].name}"' in page and "Download this table as CSV" in page


@pytest.mark.slow
def test_county_scorecard_pdf_has_the_whole_scorecard_commentary_and_exception_reports(papers):
    paper = papers[("county_scorecard", KENT)]
    [scorecard] = [t for t in ast_tables(paper["ast"]) if t[0].startswith("Scorecard for Kent")]
    assert scorecard[1] == 13
    pages = pdf_pages(paper["pdf"].output)
    text = " ".join(pages)
    # every indicator of the 13-column scorecard is in the PDF, with its rolling three months
    soup = BeautifulSoup(paper["builtin_html"].read_text(encoding="utf-8"), "html.parser")
    table = soup.find("table", class_="ehps-sc-table")
    titles = [th.get_text(" ", strip=True) for th in table.select('tbody th[scope="row"]')]
    assert len(titles) >= 12
    squashed = re.sub(r"[\s\u00ad-]+", "", text)
    assert [t for t in titles if re.sub(r"[\s-]+", "", t) not in squashed] == []
    assert "Rolling 3 months" in text
    for words in ("Commentary missing", "Data notes", "Trend data – month end", "Exception reports",
                  "Commentary on Amber indicators"):
        assert words in text, words
    assert "Commentary on 1 Amber" not in text and "Commentary on 2 Amber" not in text


@pytest.mark.slow
def test_district_dashboard_pdf_has_every_sparkline_with_its_table(papers):
    paper = papers[("district_dashboard", CAN)]
    builtin = html_figures(paper["builtin_html"].read_text(encoding="utf-8"))
    sparks = [f for f in builtin if f[0].startswith("Small line chart")]
    # every rate and percentage is a small chart, or (too few published months: issue 13) says why not
    not_drawn = paper["builtin_html"].read_text(encoding="utf-8").count("ehps-sc-spark-none")
    assert len(sparks) + not_drawn >= 7 and len(sparks) >= 5
    assert len(pdf_alt_texts(paper["pdf"].output)) == len(builtin)


@pytest.mark.slow
def test_measurements_for_the_report(papers, capsys):
    """Not an assertion of its own: prints, per paper, the columns of every table for both engines,
    the figures with alt text and the marks per PDF page (the numbers in the issue's report)."""
    lines = []
    for (template, area), p in papers.items():
        builtin = html_tables(p["builtin_html"].read_text(encoding="utf-8"))
        pdf = ast_tables(p["ast"])
        web = html_tables(p["html"].output.read_text(encoding="utf-8"))
        figures = html_figures(p["builtin_html"].read_text(encoding="utf-8"))
        pages_q, pages_b = pdf_pages(p["pdf"].output), pdf_pages(p["builtin_pdf"])
        alts = sum(1 for a, _ in figures if a)
        lines.append(f"{template} {area}: columns built-in {[n for _, n in builtin]} | Quarto web "
                     f"{[n for _, n in web]} | Quarto PDF {[n for _, n in pdf]}; figures with alt: built-in {alts}, "
                     f"Quarto PDF tagged {len(pdf_alt_texts(p['pdf'].output))}, built-in PDF tagged "
                     f"{len(pdf_alt_texts(p['builtin_pdf']))}; pages with all marks: Quarto "
                     f"{len(pages_q) - len({m.split(':')[0] for m in marks_missing(p['pdf'].output)})}/{len(pages_q)}, "
                     f"built-in {len(pages_b) - len({m.split(':')[0] for m in marks_missing(p['builtin_pdf'])})}"
                     f"/{len(pages_b)}")
        assert builtin == web == pdf
    with capsys.disabled():
        print("\n" + "\n".join(lines))


# -- the notebook kept for Quarto ----------------------------------------------------------------------
@pytest.mark.slow
def test_front_matter_holds_the_title_and_the_index_fields(built_pack):
    _site, reports = built_pack
    for notebook in sorted(reports.glob("*/*/*.ipynb")):
        nb = nbformat.read(str(notebook), as_version=4)
        front, index = qm.front_matter(nb)
        assert index == 0 and front["pagetitle"] == front["title"]
        assert set(render.LISTING_FIELDS) <= set(front), notebook
        assert all((notebook.parent / name).is_file() for name in front["resources"]), front["resources"]


# -- quarto render of the project -------------------------------------------------------------------
class TestProject:
    def test_quarto_yml_renders_the_reports_into_a_website_with_a_navbar(self):
        cfg = yaml.safe_load((ROOT / "_quarto.yml").read_text(encoding="utf-8"))
        assert cfg["project"]["type"] == "website" and cfg["execute"]["enabled"] is False
        assert "index.qmd" in cfg["project"]["render"] and "reports/*/*/*.ipynb" in cfg["project"]["render"]
        assert cfg["website"]["navbar"]["left"][0]["href"] == "index.qmd"
        html, typst = cfg["format"]["html"], cfg["format"]["typst"]
        assert cfg["lang"] == "en-GB" and typst["papersize"] == "a4"
        assert html["title-block-style"] == "none" and cfg["html-table-processing"] == "none"
        assert html["notebook-links"] is False and html["format-links"] is False
        assert (ROOT / typst["include-in-header"]).is_file()
        listing = yaml.safe_load((ROOT / "index.qmd").read_text(encoding="utf-8").split("---")[1])["listing"]
        assert (ROOT / listing["template"]).is_file()

    def test_quarto_render_changes_no_tracked_file(self):
        # Quarto rewrites .gitignore unless it has the line "/.quarto/" (quarto-cli
        # src/project/project-gitignore.ts); everything it writes is ignored.
        lines = [line.strip() for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()]
        assert "/.quarto/" in lines
        if shutil.which("git") is None:
            pytest.skip("git is not installed")
        written = ["_site/index.html", ".quarto/idx/index.qmd.json", "index_files/libs/x.js",
                   "reports/2016-17-Q4/E10000016/scorecard_files/mediabag/x.svg",
                   "reports/2016-17-Q4/E10000016/scorecard.html", "reports/2016-17-Q4/E10000016/scorecard.pdf",
                   "reports/2016-17-Q4/E10000016/scorecard.ipynb"]
        done = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True, text=True)
        assert sorted(done.stdout.split()) == sorted(written)

    @pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "node_modules" / "lodash").is_dir(),
                        reason="node and lodash (npm install) are needed to run the listing template")
    def test_site_index_lists_every_paper_by_period_then_area(self, tmp_path):
        items = [
            {"path": "reports/2016-17-Q1/E07000106/scorecard.html", "title": "Canterbury: EHPS scorecard, 2016-17 Q1",
             "ehps-period": "2016-17 Q1", "ehps-period-title": "April to June 2016 (2016-17 Q1)",
             "ehps-period-start": "2016-04-01", "ehps-area": "Canterbury", "ehps-area-order": 1,
             "ehps-paper": "EHPS scorecard", "ehps-synthetic": True},
            {"path": "reports/2016-17-Q1/E10000016/scorecard.html", "title": "Kent: EHPS scorecard, 2016-17 Q1",
             "ehps-period": "2016-17 Q1", "ehps-period-title": "April to June 2016 (2016-17 Q1)",
             "ehps-period-start": "2016-04-01", "ehps-area": "Kent", "ehps-area-order": 0,
             "ehps-paper": "EHPS scorecard", "ehps-synthetic": True},
            {"path": "reports/2016-17-Q2/E10000016/scorecard.html", "title": "Kent: EHPS scorecard, 2016-17 Q2",
             "ehps-period": "2016-17 Q2", "ehps-period-title": "July to September 2016 (2016-17 Q2)",
             "ehps-period-start": "2016-07-01", "ehps-area": "Kent", "ehps-area-order": 0,
             "ehps-paper": "EHPS scorecard", "ehps-synthetic": False},
            {"path": "about.html", "title": "Not a paper"},
        ]
        html = listing_html(ROOT / "ehps_lib" / "templates" / "quarto" / "papers.ejs.md", items, tmp_path)
        soup = BeautifulSoup(html, "html.parser")
        assert [h.get_text() for h in soup.find_all("h2")] == ["July to September 2016 (2016-17 Q2)",
                                                               "April to June 2016 (2016-17 Q1)"]
        rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])] for tr in soup.select("tbody tr")]
        assert [r[0] for r in rows] == ["Kent", "Kent", "Canterbury"]
        links = [a["href"] for a in soup.find_all("a")]
        assert "reports/2016-17-Q1/E07000106/scorecard.pdf" in links and "about.html" not in links


def listing_html(template: Path, items: list[dict], folder: Path) -> str:
    """A listing template rendered as Quarto renders it: lodash's ``template`` with a ``partial``
    helper and empty lines dropped (quarto-cli ``src/core/ejs.ts``), then Pandoc for the Markdown."""
    script = folder / "render.js"
    script.write_text(
        "const ld = require('lodash'); const fs = require('fs');\n"
        "const text = '<% const partial = (file, data) => print(include(file, data)); %>\\n' + "
        "fs.readFileSync(process.argv[2], 'utf8');\n"
        "const t = ld.template(text, {imports: {include: () => ''}});\n"
        "const items = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));\n"
        "process.stdout.write(t({items}).trimStart().split(/\\r?\\n/).filter(l => l.trim().length > 0).join('\\n'));\n",
        encoding="utf-8")
    data = folder / "items.json"
    data.write_text(json.dumps(items), encoding="utf-8")
    done = subprocess.run(["node", str(script), str(template), str(data)], capture_output=True, text=True, check=True,
                          env={"NODE_PATH": str(ROOT / "node_modules"), "PATH": "/usr/bin:/bin"})
    conv = subprocess.run([qm.pandoc_path(), "-f", "markdown", "-t", "html5"], input=done.stdout, text=True,
                          capture_output=True, check=True)
    return conv.stdout


# -- ehps build --engine quarto ------------------------------------------------------------------------
FAKE_QUARTO = Path(__file__).resolve().parent / "fake_quarto"


@pytest.mark.slow
def test_build_with_quarto_publishes_what_the_builtin_engine_publishes(synthetic_data_dir, tmp_path, monkeypatch):
    """`ehps build --engine auto` with Quarto on PATH (a stand-in, tests/fake_quarto) says it uses
    Quarto, renders each paper with the project's _quarto.yml, and publishes the page (moved up
    from reports/, its links to Quarto's site libraries and the index still working), the PDF,
    the same CSV files, Quarto's libraries and search index, through the disclosure gate."""
    import os
    import sys

    from ehps_lib.publish import build

    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / "scorecard.ipynb", root / "notebooks")
    for name in ("_quarto.yml", "index.qmd"):
        shutil.copy(ROOT / name, root / name)
    data = tmp_path / "data"
    shutil.copytree(synthetic_data_dir, data)
    shutil.rmtree(data / "cache", ignore_errors=True)
    monkeypatch.setenv("EHPS_PROJECT_ROOT", str(root))
    monkeypatch.setenv("EHPS_DATA_DIR", str(data))
    monkeypatch.setenv("EHPS_REFERENCE_DIR", str(ROOT / "data" / "reference"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1467331200")
    monkeypatch.setenv("PATH", os.pathsep.join([str(FAKE_QUARTO), str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    sites = {}
    for engine in ("auto", "builtin"):
        lines: list[str] = []
        site = tmp_path / f"site-{engine}"
        outcome = build.build(period="latest", areas=[KENT, CAN], templates=["scorecard"], workers=2, engine=engine,
                              site_dir=site, reports_dir=root / "reports", log=lines.append, progress=False)
        assert outcome.ok, [f.describe() for f in outcome.failures]
        sites[engine] = (site, lines)
    site, lines = sites["auto"]
    assert any(line.startswith("Renderer: Quarto 1.10.0") and "--engine auto" in line for line in lines), lines
    builtin_site = sites["builtin"][0]
    published = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    builtin = sorted(p.relative_to(builtin_site).as_posix() for p in builtin_site.rglob("*") if p.is_file())
    quarto_only = {"search.json", "site_libs/quarto-html/quarto.js"}
    assert set(published) - set(builtin) == quarto_only and set(builtin) <= set(published)
    for name in builtin:
        if name.endswith(".csv"):
            assert (site / name).read_bytes() == (builtin_site / name).read_bytes(), name
    for area in (KENT, CAN):
        page = (site / "2016-17-Q1" / area / "scorecard.html").read_text(encoding="utf-8")
        assert "../../site_libs/quarto-html/quarto.js" in page and 'href="../../index.html"' in page
        assert "../../../" not in page
        builtin_page = (builtin_site / "2016-17-Q1" / area / "scorecard.html").read_text(encoding="utf-8")
        assert html_tables(page) == html_tables(builtin_page)
        assert marks_missing(site / "2016-17-Q1" / area / "scorecard.pdf") == []
    search = json.loads((site / "search.json").read_text(encoding="utf-8"))
    assert sorted(e["href"] for e in search) == ["2016-17-Q1/E07000106/scorecard.html",
                                                 "2016-17-Q1/E10000016/scorecard.html"]
    notebook = nbformat.read(str(root / "reports" / "2016-17-Q1" / CAN / "scorecard.ipynb"), as_version=4)
    assert render.is_quarto_notebook(notebook) and not qm.uses_cdn_scripts(notebook)
