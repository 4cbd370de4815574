"""Built-in render engine on a small hand-made executed notebook: HTML page and PDF."""

from __future__ import annotations

import io as bytes_io
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from pypdf import PdfReader

from ehps_lib.papers import blocks
from ehps_lib.publish import render

BANNER = "Synthetic data: not real children"  # the apostrophe may be escaped or not
PROVENANCE = {"period": "2016-17 Q2", "extract_date": "2016-10-31", "ehps_lib_version": "9.9.9",
              "git_commit": "abc123def456", "inputs": {"cases.csv": "f" * 64}}


def _html_output(html: str, count: int) -> dict:
    return new_output("execute_result", data={"text/html": html, "text/plain": "block"},
                      execution_count=count)


def executed_notebook(*, synthetic: bool = True, rows: int = 80,
                      error: bool = False) -> nbformat.NotebookNode:
    """What papermill leaves behind for one area: front matter, parameters, code and outputs."""
    title = ('<h1 class="ehps-title">Canterbury: Early Help and Preventative Services scorecard</h1>'
             + (blocks.synthetic_banner_html() if synthetic else ""))
    body_rows = "".join(f'<tr><th scope="row">Month {i}</th><td>{i * 7:,}</td></tr>' for i in range(rows))
    table = (f'<table><caption>Long table</caption><thead><tr><th scope="col">Month</th>'
             f'<th scope="col">Notifications</th></tr></thead><tbody>{body_rows}</tbody></table>')
    cells = [
        new_raw_cell('---\ntitle: "EHPS scorecard"\nformat:\n  html: default\necho: false\n---'),
        new_code_cell('area_code = "E10000016"\nperiod = "latest"', metadata={"tags": ["parameters"]}),
        new_code_cell('# Parameters\narea_code = "E07000106"\nperiod = "2016-17 Q2"',
                      metadata={"tags": ["injected-parameters"]}),
        new_code_cell("from ehps_lib.papers import scorecard as paper",
                      outputs=[new_output("stream", name="stderr", text="DeprecationWarning: noise\n")]),
        new_code_cell("paper.title_block(scorecard)", outputs=[_html_output(title, 4)]),
        new_markdown_cell("## Summary\n\nEach indicator, this period."),
        new_code_cell("report.summary_table(scorecard)", outputs=[_html_output(table, 5)]),
    ]
    if error:
        cells.append(new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError",
                                                              evalue="division by zero", traceback=[])]))
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"random-{i}-{'x' * i}"  # papermill gives the injected cell a random id
    return nb


@pytest.fixture
def notebook_path(tmp_path):
    path = tmp_path / "scorecard.ipynb"
    nbformat.write(executed_notebook(), path)
    return path


@pytest.fixture
def page(notebook_path, monkeypatch) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1477872000")  # 2016-10-31T00:00:00Z
    return render.render_html(notebook_path, title="Canterbury: EHPS scorecard, 2016-17 Q2",
                              subtitle="July to September 2016 (2016-17 Q2)", synthetic=True,
                              classification="OFFICIAL", provenance=PROVENANCE,
                              links=[("This paper as PDF", "scorecard.pdf")],
                              nav=[("All papers", "../../index.html")])


class TestRenderHtml:
    def test_page_skeleton(self, page):
        assert page.startswith("<!DOCTYPE html>\n<html lang=\"en-GB\">")
        assert "<title>Canterbury: EHPS scorecard, 2016-17 Q2</title>" in page
        assert '<a class="ehps-skip-link" href="#main">Skip to main content</a>' in page
        assert '<main id="main"' in page and "<header" in page and "<footer" in page
        assert page.count("<h1") == 1  # the notebook's own title; the template adds none
        # One small script adds the "scroll sideways" cue above a table wider than the screen;
        # nothing else needs JavaScript (the sticky first column and edge shadows are CSS).
        assert page.count("<script") == 1 and "ehps-scroll-cue" in page.split("<script", 1)[1]

    def test_synthetic_banner_once_at_the_top(self, page):
        assert page.count(BANNER) == 1
        assert page.index(BANNER) < page.index("<h2")
        assert 'content: "SYNTHETIC DATA"' in page  # the PDF page header

    def test_no_input_code_front_matter_or_warnings(self, page):
        for text in ("from ehps_lib.papers import scorecard as paper", "area_code", "paper.title_block", "title: ",
                     "DeprecationWarning", "In&nbsp;[", "Out["):
            assert text not in page
        assert "¶" not in page  # no heading anchor links
        assert '<h2 id="Summary">Summary</h2>' in page

    def test_provenance_footer(self, page):
        for text in ("<dt>ehps_lib version</dt><dd>9.9.9</dd>", "<dt>Git commit</dt><dd>abc123def456</dd>",
                     "<dt>Extract date</dt><dd>2016-10-31</dd>", "<dt>Period</dt><dd>2016-17 Q2</dd>",
                     "<dt>Built</dt><dd>2016-10-31T00:00:00Z</dd>", "cases.csv ffffffffffff"):
            assert text in page

    def test_deterministic(self, page, notebook_path):
        again = render.render_html(notebook_path, title="Canterbury: EHPS scorecard, 2016-17 Q2",
                                   subtitle="July to September 2016 (2016-17 Q2)", synthetic=True,
                                   classification="OFFICIAL", provenance=PROVENANCE,
                                   links=[("This paper as PDF", "scorecard.pdf")],
                                   nav=[("All papers", "../../index.html")])
        assert again == page

    def test_real_data_has_no_banner(self, tmp_path):
        path = tmp_path / "real.ipynb"
        nbformat.write(executed_notebook(synthetic=False), path)
        page = render.render_html(path, title="t", synthetic=False, classification="OFFICIAL", provenance={})
        assert 'class="ehps-synthetic-banner"' not in page and BANNER not in page
        assert "SYNTHETIC DATA" not in page

    def test_page_banner_added_when_the_body_lacks_one(self):
        page = render.render_page("<p>Index</p>", title="Index", subtitle="All papers", synthetic=True,
                                  classification="OFFICIAL", provenance={})
        assert page.count(BANNER) == 1 and "<h1 class=\"ehps-title\">Index</h1>" in page

    def test_a_notebook_with_an_error_is_not_rendered(self, tmp_path):
        path = tmp_path / "failed.ipynb"
        nbformat.write(executed_notebook(error=True), path)
        with pytest.raises(render.RenderError, match="ZeroDivisionError"):
            render.render_html(path, title="t", synthetic=True, classification="OFFICIAL", provenance={})


class TestWritePdf:
    def test_every_page_has_classification_synthetic_mark_and_page_number(self, page, tmp_path):
        pdf = render.write_pdf(page, tmp_path / "paper.pdf", base_url=tmp_path)
        reader = PdfReader(pdf)
        n = len(reader.pages)
        assert n >= 2  # the long table runs over pages
        for i, p in enumerate(reader.pages, start=1):
            text = p.extract_text()
            assert "SYNTHETIC DATA" in text and "OFFICIAL" in text
            assert f"Page {i} of {n}" in text

    def test_pdf_ua_tagged_with_language_and_title(self, page):
        reader = PdfReader(bytes_io.BytesIO(render.pdf_bytes(page)))
        root = reader.trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
        assert root["/Lang"] == "en-GB"
        xmp = root["/Metadata"].get_object().get_data().decode()
        # PDF/UA-1 identification (an attribute from WeasyPrint, an element from Typst: both are XMP)
        assert re.search(r'pdfuaid:part(="1"|>1<)', xmp)
        assert reader.metadata.title == "Canterbury: EHPS scorecard, 2016-17 Q2"


class TestRenderNotebook:
    def test_writes_html_and_pdf(self, notebook_path, tmp_path):
        out = tmp_path / "out"
        html, pdf = render.render_notebook(notebook_path, out / "p.html", out / "p.pdf", title="t",
                                           synthetic=True, classification="OFFICIAL", provenance={})
        assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert pdf.read_bytes().startswith(b"%PDF-")


class TestEngines:
    def test_auto_falls_back_to_builtin(self, monkeypatch):
        monkeypatch.setattr(render.shutil, "which", lambda _name: None)
        assert render.choose_engine("auto") == "builtin"
        assert render.engine_choice("auto")[1] == ("Renderer: built-in, chosen by --engine auto (Quarto is not "
                                                   "installed).")
        with pytest.raises(ValueError, match="needs the `quarto` command"):
            render.choose_engine("quarto")
        with pytest.raises(ValueError, match="Unknown render engine"):
            render.choose_engine("latex")

    def test_auto_says_it_picks_quarto_and_which(self, monkeypatch):
        monkeypatch.setattr(render.shutil, "which", lambda _name: "/opt/quarto/bin/quarto")
        monkeypatch.setattr(render, "quarto_version", lambda _q: (1, 10, 4))
        engine, note = render.engine_choice("auto")
        assert engine == "quarto"
        assert note == ("Renderer: Quarto 1.10.4 (/opt/quarto/bin/quarto), chosen by --engine auto because it is "
                        "installed; use --engine builtin for the built-in renderer.")

    def test_an_older_quarto_is_not_used(self, monkeypatch):
        monkeypatch.setattr(render.shutil, "which", lambda _name: "/usr/bin/quarto")
        monkeypatch.setattr(render, "quarto_version", lambda _q: (1, 9, 20))
        assert render.engine_choice("auto") == (
            "builtin", "Renderer: built-in, chosen by --engine auto (Quarto 1.9.20 at /usr/bin/quarto is older "
                       "than 1.10).")
        with pytest.raises(ValueError, match=r"needs Quarto 1.10 or later; /usr/bin/quarto is 1.9.20"):
            render.choose_engine("quarto")

    @pytest.mark.slow
    @pytest.mark.skipif(not render.quarto_available(), reason="Quarto is not installed on this machine")
    def test_quarto_renders_the_executed_notebook(self, notebook_path, tmp_path):
        """With a real Quarto: the page and the PDF, in the project's scratch copy."""
        page = render.render_with_quarto(notebook_path, tmp_path / "q.html", tmp_path / "q.pdf",
                                         edition={"title": "Canterbury: EHPS scorecard, 2016-17 Q2",
                                                  "classification": "OFFICIAL", "synthetic": True})
        text = page.html.read_text(encoding="utf-8")
        assert "Canterbury: Early Help and Preventative Services scorecard" in text
        assert "<title>Canterbury: EHPS scorecard, 2016-17 Q2" in text and text.count("<h1") == 1
        assert not re.search(r'<script[^>]+src="https?:', text)
        reader = PdfReader(str(page.pdf))
        assert reader.metadata.title == "Canterbury: EHPS scorecard, 2016-17 Q2"
        pages = [p.extract_text() for p in reader.pages]
        assert all("OFFICIAL" in t and "SYNTHETIC DATA" in t and f"Page {n} of {len(pages)}" in t
                   for n, t in enumerate(pages, start=1))


class TestQuartoNotebook:
    def test_outputs_carry_both_forms_in_markdown_and_no_html(self, notebook_path):
        nb = nbformat.read(str(notebook_path), as_version=4)
        edition, files = render.quarto_notebook(nb, title="Canterbury: EHPS scorecard, 2016-17 Q2",
                                                classification="OFFICIAL", synthetic=True,
                                                provenance=PROVENANCE, links=[("This paper as PDF", "s.pdf")],
                                                table_prefix="scorecard-E07000106-2016-17-Q2",
                                                listing={"ehps-area": "Canterbury"}, resources=["s.csv"])
        outputs = [o for c in edition.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        assert outputs and all("text/html" not in o.get("data", {}) for o in outputs)
        assert not [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
        md = "".join(outputs[1]["data"]["text/markdown"])
        # the HTML for web pages, the Markdown (here made from the HTML) for the PDF
        assert md.startswith("```{=html}\n<table>")
        assert re.search(r'\n:{4,} \{\.content-hidden when-format="html"\}\n', md)
        assert "| Month 3 | 21 |" in md and "Download this table as CSV" in md
        assert list(files) == ["scorecard-E07000106-2016-17-Q2-table-01.csv"]
        front = render.read_front_matter(edition)
        assert front["title"] == front["pagetitle"] == "Canterbury: EHPS scorecard, 2016-17 Q2"
        assert front["format"] == {"html": "default"} and front["ehps-area"] == "Canterbury"
        assert front["resources"] == ["s.csv", "scorecard-E07000106-2016-17-Q2-table-01.csv"]
        top, bottom = edition.cells[1].source, edition.cells[-1].source
        assert '#metadata((classification: "OFFICIAL", synthetic: true)) <ehps-marks>' in top
        assert "Security classification: </span>OFFICIAL" in top and ".ehps-rag" in top
        assert '<a href="s.pdf">This paper as PDF</a>' in bottom
        assert "**Git commit:** abc123def456" in bottom and "Built from synthetic data" in bottom
        assert render.is_quarto_notebook(edition) and not render.is_quarto_notebook(nb)

    def test_tables_are_numbered_as_the_built_in_page_numbers_them(self, notebook_path):
        nb = nbformat.read(str(notebook_path), as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell("x", outputs=[_html_output(
            "<table><caption>Second</caption><tr><th>A</th><th>B</th></tr><tr><th>x</th><td>1</td></tr></table>",
            9)]))
        _, files = render.quarto_notebook(nb, classification="OFFICIAL", table_prefix="p")
        _, builtin = render.tables_as_csv(render.notebook_body(nb), "p")
        assert files == builtin and len(files) == 2

    def test_a_notebook_with_an_error_is_refused(self):
        with pytest.raises(render.RenderError, match="ZeroDivisionError"):
            render.quarto_notebook(executed_notebook(error=True), classification="OFFICIAL")

    def test_component_styles_leave_the_page_to_quarto(self):
        css = render.component_css()
        assert ".ehps-rag" in css and ".ehps-visually-hidden" in css and ".ehps-synthetic-banner" in css
        import tinycss2

        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        rules += [r for m in rules if m.type == "at-rule" and m.content
                  for r in tinycss2.parse_rule_list(m.content, skip_comments=True, skip_whitespace=True)]
        selectors = [sel.strip() for r in rules if r.type == "qualified-rule"
                     for sel in tinycss2.serialize(r.prelude).split(",")]
        assert selectors and all(sel.startswith(".") for sel in selectors)
        assert "@page" not in css

    def test_search_index_keeps_other_pages(self):
        old = [{"href": "2016-17-Q1/E10000016/scorecard.html#summary", "text": "old"},
               {"href": "2016-17-Q1/E07000106/scorecard.html", "text": "other"}]
        new = [{"href": "2016-17-Q1/E10000016/scorecard.html", "text": "new"}]
        merged = render.merge_search_index(old, new, ["2016-17-Q1/E10000016/scorecard.html"])
        assert [e["text"] for e in merged] == ["other", "new"]


def test_every_table_gets_a_csv_and_a_link():
    body = ('<h2>Summary</h2><div class="ehps-table-wrap"><table><caption>Notifications by age</caption>'
            '<thead><tr><th scope="col">Age band</th><th scope="col">Notifications</th></tr></thead>'
            '<tbody><tr><th scope="row">Aged 0-4</th><td>1,234</td></tr><tr><th scope="row">Aged 5-10</th>'
            "<td>c</td></tr></tbody></table></div><table><tr><td>x</td></tr></table>")
    new, files = render.tables_as_csv(body, "scorecard-E07000106-2016-17-Q4")
    assert list(files) == ["scorecard-E07000106-2016-17-Q4-table-01.csv", "scorecard-E07000106-2016-17-Q4-table-02.csv"]
    # numbers as numbers, the withheld count in a status column beside them
    assert files["scorecard-E07000106-2016-17-Q4-table-01.csv"] == (
        "Age band,Notifications,Notifications: status\nAged 0-4,1234,\nAged 5-10,,c\n")
    # the link follows the table's wrapper, and names the table for screen readers
    assert ('</div><p class="ehps-table-download"><a href="scorecard-E07000106-2016-17-Q4-table-01.csv">'
            'Download this table as CSV<span class="ehps-visually-hidden">: Notifications by age</span></a></p>'
            in new)


def test_a_heading_over_several_columns_labels_each_in_one_header_row():
    body = ('<table><thead><tr><th scope="col" rowspan="2">Indicator</th><th colspan="2" scope="colgroup">'
            "1 month ago</th></tr><tr><th>Result</th><th>DoT</th></tr></thead>"
            '<tbody><tr><th>A</th><td>5.0%</td><td><span aria-hidden="true">↑</span> Improved</td></tr></tbody>'
            "</table>")
    _, files = render.tables_as_csv(body, "p")
    assert files["p-table-01.csv"].splitlines() == [
        "Indicator,1 month ago: Result (%),1 month ago: Result: status,1 month ago: DoT", "A,5.0,,Improved"]


def test_groups_ratings_ranges_ranks_and_mixed_units_become_their_own_columns():
    body = ('<table><caption>T</caption><thead><tr><th>ID</th><th>Indicator</th><th>Result and RAG</th>'
            "<th>Interval</th><th>Rank</th><th>Change</th></tr></thead>"
            '<tbody><tr class="s"><th colspan="6">Demand</th></tr>'
            '<tr><td>1.</td><th scope="row">Rate</th><td>30.1</td><td>26.0 to 34.9</td><td>3 of 12</td>'
            "<td>+19</td></tr>"
            '<tr><td>2.</td><th scope="row">Share</th><td>79.7% <span class="ehps-rag"><span aria-hidden="true">'
            "▲</span> Amber</span></td><td>n/a</td><td>n/a</td><td>-1,022</td></tr></tbody></table>")
    _, files = render.tables_as_csv(body, "p", figures_name="p.csv")
    assert files["p-table-01.csv"].splitlines() == [
        "Group,ID,Indicator,Result and RAG,Result and RAG: unit,Result and RAG: RAG,Result and RAG: status,"
        "Interval: lower,Interval: upper,Interval: status,Rank,Rank: out of,Rank: status,Change,Change: status",
        "Demand,1.,Rate,30.1,,,,26.0,34.9,,3,12,,19,",
        "Demand,2.,Share,79.7,%,Amber,,,,n/a,,,n/a,-1022,"]
    figures = files["p.csv"].splitlines()
    assert figures[0] == "table,caption,group,row,column,value,unit,status"
    assert "1,T,Demand,Share,Result and RAG,79.7,%," in figures
    assert "1,T,Demand,Rate,Rank,3,," in figures and "1,T,Demand,Share,Interval,,,n/a" in figures


def test_a_table_printed_with_its_months_across_is_written_one_month_a_line():
    body = ("<table><thead><tr><th>Month end</th><th>Dec 2016</th><th>Jan 2017</th></tr></thead><tbody>"
            "<tr><th>KCC result</th><td>1,125</td><td>c</td></tr><tr><th>RAG rating</th><td>Red</td><td>Red</td></tr>"
            "</tbody></table>")
    _, files = render.tables_as_csv(body, "p")
    assert files["p-table-01.csv"].splitlines() == [
        "Month end,KCC result,KCC result: status,RAG rating", "Dec 2016,1125,,Red", "Jan 2017,,c,Red"]
