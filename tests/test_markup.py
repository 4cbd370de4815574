"""The Markdown form of the papers' HTML (ehps_lib.papers.markup): what Quarto's Typst PDF reads."""

from __future__ import annotations

import json
import subprocess

import pytest
import quarto_mimic as qm

from ehps_lib.papers import blocks, markup
from ehps_lib.papers.blocks import Block


def ast(md: str) -> dict:
    return qm.pandoc_ast(md)


def plain(md: str) -> str:
    done = subprocess.run([qm.pandoc_path(), "-f", "markdown", "-t", "plain", "--wrap=none"], input=md, text=True,
                          capture_output=True, check=True)
    return done.stdout.strip()


SCS_LIKE = (
    '<table><caption>Scorecard | for Kent</caption>'
    "<colgroup><col><col></colgroup><colgroup><col><col><col></colgroup>"
    '<thead><tr><th scope="col" rowspan="2">ID</th><th scope="col" rowspan="2">Indicator</th>'
    '<th scope="colgroup" colspan="3">Latest result: March 2017</th></tr>'
    '<tr><th scope="col">Result</th><th scope="col">Numerator</th><th scope="col">Target</th></tr></thead>'
    '<tbody><tr><th scope="rowgroup" colspan="5">Demand</th></tr>'
    '<tr><td>1.</td><th scope="row">Notifications <span class="ehps-unit">(number)</span></th>'
    '<td><span class="ehps-sc-value">9,444</span> <span class="ehps-rag"><span aria-hidden="true">✖</span> Red'
    "</span></td><td>-</td><td>c</td></tr></tbody></table>")


class TestTables:
    def test_every_column_with_its_group_heading(self):
        md = markup.html_to_markdown(SCS_LIKE)
        [table] = [b for b in ast(md)["blocks"] if b["t"] == "Table"]
        assert len(table["c"][2]) == 5  # ID, Indicator and the three under "Latest result"
        header = next(line for line in md.splitlines() if line.startswith("| ID"))
        assert header == ("| ID | Indicator | Latest result: March 2017: Result | Latest result: March 2017: Numerator "
                          "| Latest result: March 2017: Target |")
        assert "| 1\\. | Notifications (number) | 9,444 ✖ Red | \\- | c |" in md
        # the section row's heading is bold in the column of row headings
        assert "|  | **Demand** |  |  |  |" in md
        assert "\n\n: Scorecard \\| for Kent" in md

    def test_widths_follow_the_text_and_the_row_headings_get_the_most(self):
        md = markup.html_to_markdown(SCS_LIKE)
        [table] = [b for b in ast(md)["blocks"] if b["t"] == "Table"]
        widths = [spec[1]["c"] for spec in table["c"][2]]
        assert abs(sum(widths) - 1) < 1e-6 and max(widths) == widths[1]

    def test_wide_tables_get_smaller_type_in_a_scope_of_their_own(self):
        md = markup.html_to_markdown(f'<div class="ehps-table-wrap ehps-sc-landscape">{SCS_LIKE}</div>')
        assert md.startswith("```{=typst}\n#[\n#set text(size: 6.5pt)\n#set table(inset: 3pt)\n```")
        assert md.endswith("```{=typst}\n]\n```")
        assert "#set page" not in md  # not allowed inside the block Quarto puts each output in

    def test_hidden_context_is_kept_in_tables_only(self):
        html = ('<p>Download<span class="ehps-visually-hidden">: the table</span></p>'
                '<table><tr><th>Area</th><th>Cases</th></tr><tr><th>Dartford'
                '<span class="ehps-visually-hidden"> (North Kent)</span></th><td>5</td></tr></table>')
        md = markup.html_to_markdown(html)
        assert md.startswith("Download\n") and "| Dartford (North Kent) | 5 |" in md


class TestText:
    @pytest.mark.parametrize("text", [
        "Children's *rate* | 5 $ (c) @x", "1. Not a list", "- not a bullet", "# not a heading", "a -- b ... c",
        'He said "no" [1] <tag> & more', "100% of 12,345 ✖ Red ↑ Improved", "back\\slash `code` ~sub~ ^sup^"])
    def test_text_comes_back_as_it_was(self, text):
        assert plain(markup.md_escape(text)) == text
        assert plain(markup.html_to_markdown(f"<p>{markup_escape_html(text)}</p>")) == text

    def test_title_heading_is_left_to_the_front_matter_and_other_headings_kept(self):
        md = markup.html_to_markdown(
            '<h1 class="ehps-title">Kent: scorecard</h1><h2>Summary</h2><h3>Notes</h3>'
            '<dl><dt>Subject:</dt><dd><h1 class="committee-subject">Performance</h1></dd></dl>')
        assert md == "## Summary\n\n### Notes\n\n**Subject:**\n\n**PERFORMANCE**"

    def test_lists_links_and_definitions(self):
        md = markup.html_to_markdown('<ul><li>One</li><li>Two <a href="x.pdf">PDF</a></li></ul>'
                                     "<dl><dt>Target</dt><dd>1,490</dd><dt>Tolerance:</dt><dd>Higher</dd></dl>")
        assert md == "- One\n- Two [PDF](<x.pdf>)\n\n**Target:** 1,490\n\n**Tolerance:** Higher"


def markup_escape_html(text: str) -> str:
    import html

    return html.escape(text, quote=False)


class TestCalloutsAndFigures:
    def test_synthetic_banner_is_a_warning_callout_titled_by_its_bold_line(self):
        md = markup.html_to_markdown(blocks.synthetic_banner_html())
        assert md.startswith('::: {.callout-warning title="Synthetic data: not real children\'s records"}\n'
                             "Every figure here comes from a synthetic extract")
        assert md.endswith("\n:::")

    def test_commentary_missing_and_a_heading_naming_the_callout(self):
        html = ('<h4>Commentary</h4><div class="ehps-sc-commentary"><p>Rising.</p></div>'
                '<p class="ehps-sc-missing"><strong>Commentary missing.</strong> None for 2016-17 Q4.</p>'
                '<h4>Data notes</h4><dl class="ehps-sc-data-notes"><div><dt>Target:</dt><dd>1,490</dd></div></dl>')
        md = markup.html_to_markdown(html)
        assert md == ('::: {.callout-note title="Commentary"}\nRising.\n:::\n\n'
                      '::: {.callout-warning title="Commentary missing"}\nNone for 2016-17 Q4.\n:::\n\n'
                      '::: {.callout-note title="Data notes"}\n**Target:** 1,490\n:::')

    def test_figure_keeps_alt_text_caption_and_its_data_table(self):
        html = ('<h3>Rate</h3><figure class="ehps-figure"><img src="data:image/svg+xml;base64,PHN2Zy8+" '
                'alt="Line chart rising from 1 to 2 &quot;fast&quot;" width="420" height="190">'
                "<figcaption>Rate, <strong>Kent</strong> by month</figcaption>"
                '<details class="ehps-chart-data"><summary>Show the chart data as a table</summary>'
                "<table><caption>Rate by month</caption><tr><th>Month</th><th>Kent</th></tr>"
                "<tr><th>Jan 2016</th><td>1.0</td></tr></table></details></figure>")
        doc = ast(markup.html_to_markdown(html))
        kinds = [b["t"] for b in doc["blocks"] if b["t"] != "RawBlock"]
        assert kinds == ["Header", "Figure", "Table"]
        figure = doc["blocks"][1]
        image = figure["c"][2][0]["c"][0]
        assert dict(image["c"][0][2])["fig-alt"] == 'Line chart rising from 1 to 2 "fast"'
        assert dict(image["c"][0][2])["width"] == "52%"
        assert image["c"][2][0].startswith("data:image/svg+xml")
        assert "Show the chart data" not in json.dumps(doc)


class TestBlock:
    def test_markdown_is_made_from_the_html_unless_given(self):
        made = Block(html="<p>Hello <em>you</em></p>", text="Hello")
        assert made.markdown == "Hello *you*" and made._repr_markdown_() == "Hello *you*"
        given = Block(html="<p>x</p>", markdown="y")
        assert given.markdown == "y"
        assert Block("<p>positional</p>").markdown == "positional"
