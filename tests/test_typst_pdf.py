"""The built-in engine's PDF writer (Typst): the printed paper says what the page says.

Each check reads the PDF as a reader or a screen reader would (its text with poppler's
``pdftotext`` or pypdf, its page sizes, its structure tree), never the Typst source.
"""

from __future__ import annotations

import base64
import io as bytes_io
import re
import shutil
import subprocess
from html import escape

import pytest
from pdf_tools import pdf_alt_texts
from pypdf import PdfReader

from ehps_lib.publish import render, typst_pdf

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" viewBox="0 0 200 100">'
       '<rect x="10" y="10" width="80" height="60" fill="#12436d"/></svg>')
SVG_URI = "data:image/svg+xml;base64," + base64.b64encode(SVG.encode()).decode()
SPECIAL = "Symbols: a*b_c #d [e] $5 <f> @g ~h //i \\j `k` = + - 1. 'l' \"m\" 50% -- a--b"
ROWS = 70


def _long_table() -> str:
    rows = "".join(f'<tr><th scope="row">Team {i}</th><td>{i * 7}</td><td>c</td></tr>' for i in range(1, ROWS + 1))
    return ('<div class="ehps-table-wrap"><table class="ehps-table"><caption>Caseloads by team</caption>'
            '<thead><tr><th scope="col">Team name</th><th scope="col">Open cases</th><th scope="col">Closed cases</th>'
            f'</tr></thead><tbody>{rows}</tbody></table></div>'
            '<p class="ehps-table-download"><a href="t.csv">Download this table as CSV</a></p>')


BODY = f"""
<h1 class="ehps-title">Swale: test paper</h1>
<p class="ehps-period">January to March 2017</p>
<p>{escape(SPECIAL, quote=False)}</p>
<p>First paragraph with <strong>bold words</strong>, <em>slanted words</em> and a
<a href="other.html">link to another paper</a><span class="ehps-visually-hidden"> hidden words here</span>.</p>
<p class="committee-para"><span class="committee-para-number">2.3</span> Numbered paragraph text follows the number.</p>
<ul><li>First bullet item</li><li>Second bullet item</li></ul>
<dl class="ehps-sc-owner"><div><dt>Owner</dt><dd>Head of Early Help</dd></div>
<div><dt>Polarity</dt><dd>Higher is better</dd></div></dl>
<div class="ehps-table-wrap"><table class="ehps-table"><caption>Spanning headings</caption>
<thead><tr><th scope="col" rowspan="2">Area</th><th scope="colgroup" colspan="2">Latest quarter</th></tr>
<tr><th scope="col">Result</th><th scope="col">RAG</th></tr></thead>
<tbody><tr><th scope="row">Kent</th><td>82.5%</td>
<td><span class="ehps-rag ehps-rag-amber">Amber</span></td></tr></tbody>
</table></div>
<figure class="ehps-figure"><img src="{SVG_URI}" alt="A blue rectangle standing for a chart" width="200" height="100">
<figcaption>Figure caption words</figcaption></figure>
{_long_table()}
<h2 id="Scorecard">Scorecard</h2>
<div class="ehps-table-wrap ehps-sc-landscape"><table class="ehps-table ehps-sc-table">
<caption>Landscape table caption</caption>
<thead><tr>{''.join(f'<th scope="col">Column {i}</th>' for i in range(1, 14))}</tr></thead>
<tbody><tr>{''.join(f'<td>{i}.5</td>' for i in range(1, 14))}</tr></tbody></table></div>
<h2 class="ehps-appendix-heading">Appendix: definitions</h2>
<div class="ehps-definitions"><section class="ehps-definition"><h3>Step-ups</h3>
<dl><dt>Definition</dt><dd>Cases stepped up to SCS.</dd></dl></section></div>
"""


@pytest.fixture(scope="module")
def page() -> str:
    return render.render_page(BODY, title="Swale: test paper, 2016-17 Q4", subtitle="January to March 2017",
                              synthetic=True, classification="OFFICIAL-SENSITIVE",
                              provenance={"period": "2016-17 Q4", "build_time": "2017-04-05T10:00:00Z"},
                              links=[("Download this paper as PDF", "p.pdf")])


@pytest.fixture(scope="module")
def pdf(page) -> bytes:
    return render.pdf_bytes(page, writer="typst")


def _pages(pdf: bytes) -> list[str]:
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
        pages = done.stdout.decode("utf-8").split("\f")
        return [" ".join(p.split()) for p in (pages[:-1] if not pages[-1].strip() else pages)]
    return [" ".join((p.extract_text() or "").split()) for p in PdfReader(bytes_io.BytesIO(pdf)).pages]


def test_every_word_of_the_printed_page_is_in_the_pdf(pdf):
    text = " ".join(_pages(pdf))
    for words in ("First paragraph with bold words, slanted words and a link to another paper.",
                  "Numbered paragraph text follows the number.", "First bullet item", "Second bullet item",
                  "Head of Early Help", "Higher is better", "Spanning headings", "Latest quarter", "82.5%", "Amber",
                  "Figure caption words", "Caseloads by team", "Landscape table caption", "Cases stepped up to SCS.",
                  "Build record", "Built from synthetic data."):
        assert words in text, words
    assert "2.3" in text and "Team 70 490" in text


def test_special_characters_are_printed_as_they_are(pdf):
    assert SPECIAL in " ".join(_pages(pdf))


def test_what_a_printed_page_leaves_out_is_left_out(pdf):
    text = " ".join(_pages(pdf))
    for absent in ("hidden words here", "Download this table as CSV", "Skip to main content", "Download this paper"):
        assert absent not in text, absent


def test_every_page_has_classification_synthetic_mark_and_page_number(pdf):
    pages = _pages(pdf)
    assert len(pages) >= 4
    for i, text in enumerate(pages, start=1):
        assert "OFFICIAL-SENSITIVE" in text and "SYNTHETIC DATA" in text
        assert f"Page {i} of {len(pages)}" in text


def test_a_long_table_repeats_its_headings_on_every_page(pdf):
    pages = [p for p in _pages(pdf) if re.search(r"Team \d+ \d+ c", p)]
    assert len(pages) >= 2
    for text in pages:
        assert "Team name Open cases Closed cases" in text


def test_the_scorecard_is_on_a_landscape_page_with_its_heading(pdf):
    reader = PdfReader(bytes_io.BytesIO(pdf))
    texts = _pages(pdf)
    landscape = [i for i, p in enumerate(reader.pages) if float(p.mediabox.width) > float(p.mediabox.height)]
    assert landscape, "no landscape page"
    assert all("Landscape table caption" not in texts[i] for i in range(len(texts)) if i not in landscape)
    first = texts[landscape[0]]
    assert "Scorecard" in first and "Landscape table caption" in first and "13.5" in first
    # the pages before and after are portrait A4
    assert float(reader.pages[0].mediabox.width) < float(reader.pages[0].mediabox.height)


def test_the_appendix_starts_a_new_page(pdf):
    texts = _pages(pdf)
    start = next(i for i, p in enumerate(texts) if "Appendix: definitions" in p)
    body = texts[start].split("SYNTHETIC DATA", 1)[1].strip()
    assert body.startswith("Appendix: definitions")


def test_tagged_pdf_ua_with_title_language_and_figure_alt_text(pdf):
    reader = PdfReader(bytes_io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "Swale: test paper, 2016-17 Q4"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert re.search(r'pdfuaid:part(="1"|>1<)', xmp)
    alts = pdf_alt_texts(pdf)
    assert alts == ["A blue rectangle standing for a chart"]


def test_the_same_page_gives_the_same_bytes(page, pdf):
    assert render.pdf_bytes(page, writer="typst") == pdf


def test_an_image_without_alternative_text_is_refused(page):
    bad = page.replace('alt="A blue rectangle standing for a chart"', 'alt=""')
    with pytest.raises(render.RenderError, match="alternative text"):
        render.pdf_bytes(bad, writer="typst")


def test_an_image_that_is_not_inline_is_refused(page):
    bad = page.replace(SVG_URI, "chart.png")
    with pytest.raises(render.RenderError, match="not inline"):
        render.pdf_bytes(bad, writer="typst")


def test_the_writer_is_chosen_by_name_or_environment(monkeypatch):
    assert render.pdf_writer() == "typst"
    monkeypatch.setenv(render.PDF_WRITER_ENV, "WeasyPrint")
    assert render.pdf_writer() == "weasyprint"
    monkeypatch.setenv(render.PDF_WRITER_ENV, "latex")
    with pytest.raises(render.RenderError, match="unknown PDF writer 'latex'.*typst, weasyprint"):
        render.pdf_writer()


def test_typst_markup_escapes_every_special_character():
    source, files = typst_pdf.typst_source(render.render_page(
        "<p>#set page(width: 1cm) $x$ //comment</p>", title="t", synthetic=False, classification="OFFICIAL",
        provenance={}))
    assert "\\#set page\\(width\\: 1cm\\) \\$x\\$ \\/\\/comment" in source and files == {}


def test_a_process_forked_after_typst_ran_still_makes_the_pdf(page, pdf):
    """Typst's threads do not survive a fork: a forked copy of a process that ran Typst (a build's
    worker forked from a test session) must not wait for them for ever."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        result = pool.apply_async(render.pdf_bytes, (page,), {"writer": "typst"})
        assert result.get(timeout=120) == pdf


def test_a_page_without_a_title_heading_or_with_skipped_levels_still_prints():
    """PDF/UA-1 opens with a level-1 heading and never skips a level; an analyst's notebook may do
    both (Markdown ``###`` straight after the title): the PDF is headed by the page's title and
    its headings step down one level at a time, in the same order and words."""
    page = render.render_page("<p>Intro words</p><h3>Deep heading</h3><p>Text</p><h5>Deeper heading</h5>",
                              title="Analyst's page", synthetic=False, classification="OFFICIAL", provenance={})
    text = " ".join(_pages(render.pdf_bytes(page, writer="typst")))
    assert text.index("Analyst's page") < text.index("Intro words") < text.index("Deep heading") \
        < text.index("Deeper heading")


def test_an_analysts_notebook_prints_with_its_plots_code_and_frames(tmp_path):
    """What an analyst's own notebook shows (a plot displayed without a size, a code block, a
    DataFrame, printed output, a skipped heading level) prints as the page shows it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import nbformat
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot([1, 2, 3], [3, 1, 2])
    png = bytes_io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    plt.close(fig)
    frame = pd.DataFrame({"District": ["Dover", "Swale"], "Cases": [230, 187]})
    nb = new_notebook(cells=[
        new_markdown_cell("# My exploration\n\n### Notes\n\n```python\nx = 1  # not a heading\n```"),
        new_code_cell("plot", outputs=[new_output("display_data", data={
            "image/png": base64.b64encode(png.getvalue()).decode(), "text/plain": "<Figure>"})]),
        new_code_cell("frame", outputs=[new_output("execute_result", execution_count=1,
                                                   data={"text/html": frame.to_html(), "text/plain": "frame"})]),
        new_code_cell("print", outputs=[new_output("stream", name="stdout", text="total: 417 cases #done\n")]),
    ])
    nbformat.write(nb, tmp_path / "mine.ipynb")
    _html, pdf = render.render_notebook(tmp_path / "mine.ipynb", tmp_path / "mine.html", tmp_path / "mine.pdf",
                                        title="My exploration", synthetic=True, classification="OFFICIAL",
                                        provenance={})
    text = " ".join(_pages(pdf.read_bytes()))
    for words in ("My exploration", "Notes", "x = 1 # not a heading", "Dover 230", "Swale 187",
                  "total: 417 cases #done"):
        assert words in text, words
    # the plot at the size the page shows it (400 by 250 pixels), not stretched across the page
    source, files = typst_pdf.typst_source((tmp_path / "mine.html").read_text(encoding="utf-8"))
    assert len(files) == 1 and "width: 300.0pt" in source


def test_a_process_forked_after_typst_was_called_directly_still_makes_the_pdf(tmp_path):
    """The Quarto path and its tests call Typst themselves, not through the writer: a fork of such
    a process must not wait for Typst's threads either (in a fresh interpreter, so that only the
    direct call has run Typst before the fork)."""
    import sys

    script = (
        "import multiprocessing, typst\n"
        "from ehps_lib.publish import render\n"
        "typst.compile(b'#set document(title: [t])\\n= Hello', pdf_standards=['ua-1'])\n"
        "page = render.render_page('<h1>Forked</h1><p>Words</p>', title='t', synthetic=False,\n"
        "                          classification='OFFICIAL', provenance={})\n"
        "with multiprocessing.get_context('fork').Pool(1) as pool:\n"
        "    pdf = pool.apply_async(render.pdf_bytes, (page,), {'writer': 'typst'}).get(timeout=60)\n"
        "print(pdf[:5].decode())\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "%PDF-"
