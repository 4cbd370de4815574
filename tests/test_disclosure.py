"""The disclosure scan: planted small counts, pseudonyms and birth dates are caught; clean pages pass."""

from __future__ import annotations

import pandas as pd
import pytest

from ehps_lib import cli
from ehps_lib.publish import disclosure

SECRETS = disclosure.Secrets(identifiers=frozenset({"SYN0000123", "EHN00000042"}),
                             birth_months=frozenset({"2009-05", "2015-06"}), first_reported_month="2014-04")

PAGE = """<!DOCTYPE html><html lang="en-GB"><body><main>
<h1>Canterbury</h1><p>{prose}</p>
<table><caption>Early Help Notifications by age band</caption>
<thead><tr><th scope="col">Age band</th><th scope="col">Notifications</th><th scope="col">Per 10,000 children</th>
<th scope="col">Share of notifications</th></tr></thead>
<tbody><tr><th scope="row">Aged 0-4</th><td>{count}</td><td>3.1</td><td>2.0%</td></tr>
<tr><th scope="row">Aged 5-10</th><td>c</td><td>c</td><td>c</td></tr></tbody></table>
<table><caption>Summary</caption><thead><tr><th scope="col">Indicator</th><th scope="col">2016-17 Q4</th></tr></thead>
<tbody><tr><th scope="row">Cases closed (number)</th><td>{closed}</td></tr>
<tr><th scope="row">Cases closed with a positive outcome (percentage)</th><td>4.0%</td></tr>
<tr><th scope="row">Rank amongst districts</th><td>3 of 12</td></tr></tbody></table>
</main></body></html>"""


def _page(tmp_path, name="page.html", prose="Rates rose in 2016-17 Q4.", count="65", closed="120"):
    path = tmp_path / name
    path.write_text(PAGE.format(prose=prose, count=count, closed=closed), encoding="utf-8")
    return path


GROUPED = """<table><caption>Dashboard</caption><thead><tr><th scope="col">Indicator</th><th scope="col">Rank</th>
<th scope="col">Children</th></tr></thead><tbody>
<tr class="ehps-sc-section"><th scope="rowgroup" colspan="3">Outcome 1: Grow up in safe families</th></tr>
<tr><th scope="row">1. Children on a plan</th><td>3</td><td>{count}</td></tr></tbody></table>"""


class TestHtml:
    @pytest.mark.parametrize("count, found", [("120", []), ("4", ["4"])])
    def test_a_row_heading_a_group_is_not_the_column_heading(self, tmp_path, count, found):
        # the cells below "Outcome 1: ..." keep their own columns: a rank of 3 is a position, 4 children a count
        path = tmp_path / "grouped.html"
        path.write_text(f"<!DOCTYPE html><html><body><main>{GROUPED.format(count=count)}</main></body></html>",
                        encoding="utf-8")
        got = disclosure.scan_html(path, SECRETS)
        assert [f.value for f in got] == found
        assert all("Children" in f.where for f in got)

    def test_clean_page_passes(self, tmp_path):
        # 3.1 (a rate), 2.0% and 4.0% (shares), "3 of 12" (a rank), 2016-17 (a period) are not counts
        assert disclosure.scan_html(_page(tmp_path), SECRETS) == []

    def test_planted_count_of_three_in_a_table(self, tmp_path):
        [finding] = disclosure.scan_html(_page(tmp_path, count="3"), SECRETS)
        assert finding.rule == "small_count" and finding.value == "3"
        assert "Aged 0-4" in finding.where and "Notifications" in finding.where

    def test_count_named_by_its_row(self, tmp_path):
        [finding] = disclosure.scan_html(_page(tmp_path, closed="2"), SECRETS)
        assert finding.rule == "small_count" and "Cases closed (number)" in finding.where

    def test_small_count_in_prose(self, tmp_path):
        [finding] = disclosure.scan_html(_page(tmp_path, prose="Only 4 notifications came from Dover."), SECRETS)
        assert finding.rule == "small_count" and finding.value == "4 notifications"

    def test_planted_pseudonym_and_birth_month(self, tmp_path):
        prose = "The case of SYN0000123 (born 2009-05) was stepped up."
        found = {(f.rule, f.value) for f in disclosure.scan_html(_page(tmp_path, prose=prose), SECRETS)}
        assert found == {("child_identifier", "SYN0000123"), ("birth_date", "2009-05")}

    def test_birth_month_inside_the_reporting_window_is_a_period(self, tmp_path):
        # June 2015 is a month the papers report on; printing it is not a disclosure
        assert disclosure.scan_html(_page(tmp_path, prose="Figures for 2015-06."), SECRETS) == []


class TestCsvAndPdf:
    def test_csv_numerator_of_three_and_an_identifier(self, tmp_path):
        path = tmp_path / "figures.csv"
        pd.DataFrame({"indicator_id": ["a", "b", "c"], "period": ["2009-05", "2016-17 Q4", "2016-17 Q4"],
                      "numerator": [12.0, 3.0, None], "denominator": [30000, 30000, 40],
                      "note": ["", "", "see EHN00000042"]}).to_csv(path, index=False)
        found = [(f.rule, f.where) for f in disclosure.scan_csv(path, SECRETS)]
        # row 2's "2009-05" sits in a period column, so it is not read as a birth month
        assert found == [("small_count", "row 3, column 'numerator'"), ("child_identifier", "row 4")]

    def test_figures_file_small_count_is_found_by_its_row_and_column(self, tmp_path):
        path = tmp_path / "paper.csv"
        pd.DataFrame({"table": [1, 1, 1], "caption": ["t"] * 3, "group": [""] * 3,
                      "row": ["Dover", "Dover", "Kent"], "column": ["Cases closed in March 2017",
                                                                  "Rate per 10,000", "Cases closed in March 2017"],
                      "value": [3, 3, None], "unit": [""] * 3, "status": ["", "", "c"]}).to_csv(path, index=False)
        found = [(f.rule, f.value) for f in disclosure.scan_csv(path, SECRETS)]
        # the count of 3 is found; the rate of 3 and the withheld count are not
        assert found == [("small_count", "3.0")]  # pandas writes the column with a missing value as floats

    def test_figures_file_percentage_is_not_a_count(self, tmp_path):
        """A result of 4.0 with unit % (step-ups as a share of closures) is not a count of 4."""
        path = tmp_path / "paper.csv"
        pd.DataFrame({"table": [2, 2], "caption": ["Scorecard"] * 2, "group": ["Outcomes"] * 2,
                      "row": ["Closures stepped up to SCS"] * 2,
                      "column": ["Latest result: June 2016: Result and RAG", "Latest result: June 2016: Numerator"],
                      "value": [4.0, 4], "unit": ["%", ""], "status": ["", ""]}).to_csv(path, index=False)
        found = [(f.rule, f.where) for f in disclosure.scan_csv(path, SECRETS)]
        assert found == [("small_count", "row 3 'Closures stepped up to SCS', column 'Latest result: June 2016: "
                                         "Numerator'")]

    def test_open_data_statistic_is_not_a_count(self, tmp_path):
        """A trend's chi-square of 1.0 on a count's row is a statistic; the count's own figure is not."""
        path = tmp_path / "indicators.csv"
        pd.DataFrame({"indicator_id": ["cases_closed"], "numerator": [40], "value": [3.0],
                      "trend_chi2": [1.0]}).to_csv(path, index=False)
        found = [f.where for f in disclosure.scan_csv(path, SECRETS)]
        assert found == ["row 2, column 'value'"]

    def test_birth_column(self, tmp_path):
        path = tmp_path / "leak.csv"
        pd.DataFrame({"child": ["x"], "birth_month": ["2009-05"]}).to_csv(path, index=False)
        assert [f.rule for f in disclosure.scan_csv(path, SECRETS)] == ["birth_date"]

    def test_pdf_without_its_html_is_reported(self, tmp_path):
        from weasyprint import HTML

        pdf = tmp_path / "orphan.pdf"
        HTML(string="<p>Case SYN0000123: 3 notifications</p>").write_pdf(pdf)
        rules = sorted(f.rule for f in disclosure.scan_pdf(pdf, SECRETS))
        # PDF text is now read like any text (issue 9): the small count is reported as well, once
        assert rules == ["child_identifier", "pdf_without_html", "small_count"]


class TestSearchIndex:
    """Quarto's search.json holds every page's text: it is published, so it is scanned."""

    def test_small_count_and_identifier_in_the_search_index(self, tmp_path):
        import json

        path = tmp_path / "search.json"
        path.write_text(json.dumps([
            {"objectID": "a", "href": "2016-17-Q4/E07000106/scorecard.html", "title": "Canterbury",
             "section": "Summary", "text": "1,234 notifications this quarter"},
            {"objectID": "b", "href": "2016-17-Q4/E07000106/scorecard.html#x", "title": "Canterbury",
             "section": "Notes", "text": "Only 3 children were referred; case SYN0000123 was late."},
        ]), encoding="utf-8")
        found = [(f.rule, f.where.split(" (")[0]) for f in disclosure.scan_search_index(path, SECRETS)]
        assert found == [("small_count", "entry 2"), ("child_identifier", "entry 2")]
        # scan_site reads it too
        assert len(disclosure.scan_site(tmp_path, SECRETS)) == 2

    def test_other_json_is_read_as_text(self, tmp_path):
        import json

        path = tmp_path / "manifest.json"
        path.write_text(json.dumps({"runs": [{"key": "SYN0000123"}]}), encoding="utf-8")
        assert disclosure.scan_search_index(path, SECRETS) == []  # not a search index
        # but it is published, so the site scan reads it as text: an identifier in it is a finding
        assert [f.rule for f in disclosure.scan_site(tmp_path, SECRETS)] == ["child_identifier"]


class TestCommand:
    def test_check_disclosure_exit_codes(self, tmp_path, synthetic_data_dir, monkeypatch, capsys):
        monkeypatch.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
        site = tmp_path / "site"
        site.mkdir()
        _page(site)
        assert cli.main(["check-disclosure", str(site)]) == 0
        assert "No disclosure findings" in capsys.readouterr().out
        child = pd.read_parquet(synthetic_data_dir / "processed" / "children.parquet")["child_id"].iloc[0]
        _page(site, name="leak.html", prose=f"Notes on {child}.", count="3")
        assert cli.main(["check-disclosure", str(site)]) == 1
        out = capsys.readouterr().out
        assert "2 disclosure finding(s)" in out and child in out and "leak.html" in out


@pytest.mark.parametrize("label, counted", [("Notifications", True), ("Cases open this month", True),
                                            ("Per 10,000 children of that age", False), ("Change", False),
                                            ("Rank amongst districts", False), ("IMD decile", False)])
def test_count_labels(label, counted):
    assert disclosure._is_count_label(label) is counted


# -- every channel a reader sees (issue 9): a planted small count or identifier in each is caught --------
CHANNEL_PAGE = """<!DOCTYPE html><html lang="en-GB"><head><title>Swale</title></head><body><main>
<h1>Swale</h1><p>{prose}</p>
<figure><img alt="{alt}" src="{src}"><figcaption>Cases open by month</figcaption></figure>
<div aria-label="{aria}"><p>Profile</p></div>
<table><caption>Early Help Unit cases open at period end by month, Swale</caption>
<thead><tr><th scope="col">Month</th><th scope="col">Swale</th></tr></thead>
<tbody><tr><th scope="row">Apr 2016</th><td>{chart_cell}</td></tr>
<tr><th scope="row">May 2016</th><td>617</td></tr></tbody></table>
<table><caption>Notifications per 10,000 children by month, Swale</caption>
<thead><tr><th scope="col">Month</th><th scope="col">Swale</th></tr></thead>
<tbody><tr><th scope="row">Apr 2016</th><td>3.0</td></tr></tbody></table>
<table><caption>Scorecard for Kent</caption>
<thead><tr><th scope="col" rowspan="2">Indicator</th><th scope="col" colspan="3">Latest result: March 2017</th>
<th scope="col">Rank</th></tr>
<tr><th scope="col">Result and RAG</th><th scope="col">Numerator</th><th scope="col">Target</th>
<th scope="col">of 12</th></tr></thead>
<tbody><tr><th scope="row">Early Help Notifications received</th><td>{result}</td><td>-</td><td>-</td><td>3</td></tr>
<tr><th scope="row">Cases closed with a positive outcome</th><td>81.0%</td><td>{numerator}</td><td>83</td>
<td>2</td></tr></tbody></table>
</main></body></html>"""
CLEAN = {"prose": "Rates rose in 2016-17 Q4; one in five districts was Red.",
         "alt": "Line chart of cases open in Swale, April 2016 to March 2017, falling from 617 to 355.",
         "aria": "Deprivation profile of Swale: rank 2 of 12", "src": "data:image/png;base64,iVBORw0KGgo=",
         "chart_cell": "612", "result": "1,010", "numerator": "812"}


def _channel_site(tmp_path, **planted):
    """A one-page site (page, its table CSVs) with ``planted`` values in some channels."""
    from ehps_lib.publish.render import tables_as_csv

    folder = tmp_path / "site" / "2016-17-Q4" / "E07000113"
    folder.mkdir(parents=True)
    body = CHANNEL_PAGE.format(**{**CLEAN, **planted})
    html, tables = tables_as_csv(body, "scorecard-E07000113-2016-17-Q4")
    (folder / "scorecard.html").write_text(html, encoding="utf-8")
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path / "site", folder


def _scan(site):
    return disclosure.scan_site(site, SECRETS, threshold=5)


def _svg_uri(text: str) -> str:
    import base64

    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="1">{text}</text></svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


class TestChannels:
    def test_clean_page_and_its_table_csvs_pass(self, tmp_path):
        site, _ = _channel_site(tmp_path)
        assert _scan(site) == []

    @pytest.mark.parametrize("planted, where", [
        ({"prose": "In Swale 3 children were stepped up."}, "text"),
        ({"prose": "In Swale three children were stepped up."}, "text"),
        ({"prose": "Step-ups in Swale: 3."}, "text"),
        ({"prose": "A single child was stepped up."}, "text"),
        ({"alt": "Bar chart of step-ups by district. Swale: 3; Thanet: 12."}, "alt of <img>"),
        ({"alt": "Line chart of cases open, falling to 4 cases in March."}, "alt of <img>"),
        ({"aria": "Swale: five young people stepped up"}, "aria-label of <div>"),
        ({"src": _svg_uri("Swale 2 children")}, "text of image <img>"),
        ({"chart_cell": "4"}, "table 1"),             # a chart-data table: the caption says it counts cases
        ({"result": "3"}, "table 3"),                 # a count under "Result and RAG" (two heading rows)
        ({"numerator": "5"}, "table 3"),              # a numerator under a spanned heading
    ])
    def test_a_planted_small_count_is_caught(self, tmp_path, planted, where):
        site, _ = _channel_site(tmp_path, **planted)
        found = [f for f in _scan(site) if f.rule == "small_count"]
        assert found, planted
        assert any(f.file.endswith("scorecard.html") and where in f.where for f in found), found
        if "chart_cell" in planted or "result" in planted or "numerator" in planted:
            # ... and in the table's CSV too
            assert any(f.file.endswith(".csv") for f in found), found

    def test_table_csv_edited_after_rendering(self, tmp_path):
        site, folder = _channel_site(tmp_path)
        csv_path = folder / "scorecard-E07000113-2016-17-Q4-table-01.csv"
        csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("612", "3"), encoding="utf-8")
        rules = {(f.rule, f.value) for f in _scan(site) if f.file.endswith("table-01.csv")}
        assert ("small_count", "3") in rules
        assert any(rule == "table_csv_differs" for rule, _ in rules)

    def test_table_csv_without_its_page(self, tmp_path):
        site, folder = _channel_site(tmp_path)
        (folder / "scorecard.html").unlink()
        found = [f for f in _scan(site) if f.rule == "table_csv_differs"]
        assert found and "no page scorecard.html" in found[0].message

    def test_figure_csv_count_column(self, tmp_path):
        path = tmp_path / "figure.csv"
        path.write_text("district,count,rate\nSwale,3,1.2\nThanet,40,3.0\n", encoding="utf-8")
        found = disclosure.scan_csv(path, SECRETS)
        assert [(f.rule, f.where) for f in found] == [("small_count", "row 2, column 'count'")]

    def test_identifier_in_a_json_file_and_an_id_attribute(self, tmp_path):
        site, folder = _channel_site(tmp_path, aria="Profile of SYN0000123")
        (site / "papers.json").write_text('{"note": "child EHN00000042"}', encoding="utf-8")
        found = {(f.file, f.value) for f in _scan(site) if f.rule == "child_identifier"}
        assert ("papers.json", "EHN00000042") in found
        assert (str((folder / "scorecard.html").relative_to(site)), "SYN0000123") in found


class TestPdfText:
    def _pdf(self, path, text):
        from weasyprint import HTML

        HTML(string=text).write_pdf(path)
        return path

    def test_pdf_text_small_counts_words_and_labels(self, tmp_path):
        pdf = self._pdf(tmp_path / "leak.pdf", "<p>In Swale three children were stepped up.</p><p>Thanet: 4</p>")
        values = sorted(f.value for f in disclosure.scan_pdf(pdf, SECRETS) if f.rule == "small_count")
        assert values == ["Thanet: 4", "three children"]

    def test_pdf_figure_its_page_does_not_show(self, tmp_path):
        (tmp_path / "paper.html").write_text("<p>Cases open: 617 in April.</p>", encoding="utf-8")
        pdf = self._pdf(tmp_path / "paper.pdf", "<p>Cases open: 617 in April.</p><p>Cases closed 58.</p>")
        found = [(f.rule, f.value) for f in disclosure.scan_pdf(pdf, SECRETS)]
        assert found == [("pdf_differs", "58")]

    def test_pdf_caption_numbers_are_labels_but_figures_beside_them_are_not(self, tmp_path):
        # Typst (Quarto's PDF) numbers captions: "Table 2:" is a label the HTML page never shows
        (tmp_path / "paper.html").write_text("<p>Cases open: 617 in April.</p>", encoding="utf-8")
        pdf = self._pdf(tmp_path / "paper.pdf", "<p>Table 2: Cases open: 617 in April.</p>"
                                                "<p>Figure 3: Cases closed, 58 in April.</p>")
        found = [(f.rule, f.value) for f in disclosure.scan_pdf(pdf, SECRETS)]
        assert found == [("pdf_differs", "58")]

    def test_blocks_of_a_pdf_page_are_read_on_their_own(self, tmp_path):
        """A figure closing one table column and the heading of the next are two blocks of the
        page's text, not a phrase; within one block (even across a line break) a phrase is read."""
        import shutil

        if not shutil.which("pdftotext"):
            pytest.skip("pdftotext (poppler-utils) separates blocks with blank lines; pypdf does not")
        page = ("<p>Neighbourhoods</p><p>17</p><p>3</p><p style=\"margin-top: 25mm\">Children aged 0-17</p>"
                "<p>1,204</p><p>998</p>")
        (tmp_path / "paper.html").write_text(page, encoding="utf-8")
        pdf = self._pdf(tmp_path / "paper.pdf", page)
        assert "3\n\nChildren" in disclosure.pdf_pages_text(pdf)[0].replace("\f", "")
        assert disclosure.scan_pdf(pdf, SECRETS) == []
        leak = "<p>In Swale there were 3<br>children stepped up.</p>"
        (tmp_path / "leak.html").write_text(leak, encoding="utf-8")
        found = disclosure.scan_pdf(self._pdf(tmp_path / "leak.pdf", leak), SECRETS)
        assert [f.rule for f in found] == ["small_count"]

    def test_pypdf_reads_the_same_text(self, tmp_path):
        pdf = self._pdf(tmp_path / "p.pdf", "<p>Swale: 3 children</p>")
        [text] = disclosure.pdf_pages_text_pypdf(pdf.read_bytes())
        assert "Swale: 3 children" in " ".join(text.split())


class TestUnreadable:
    def test_damaged_pdf_is_a_finding_not_a_traceback(self, tmp_path):
        site = tmp_path / "site"
        site.mkdir()
        (site / "paper.html").write_text("<p>ok</p>", encoding="utf-8")
        (site / "paper.pdf").write_bytes(b"%PDF-1.7\n this is not a PDF body")
        (site / "broken.csv").write_bytes(b"a,b\n\xff\xfe,3\n")
        (site / "map.png").write_bytes(b"\x89PNG\r\n")
        found = {(f.file, f.rule) for f in _scan(site)}
        assert ("paper.pdf", "unreadable") in found
        assert ("broken.csv", "unreadable") in found
        assert ("map.png", "unscannable") in found

    def test_a_site_generators_libraries_are_published_and_scripts_read_for_identifiers(self, tmp_path):
        site = tmp_path / "site"
        libs = site / "site_libs" / "quarto-html"
        libs.mkdir(parents=True)
        (libs / "quarto.js").write_text("var a={x:3,y:4};", encoding="utf-8")  # code, not counts
        (libs / "icons.woff2").write_bytes(b"wOF2\x00")
        (libs / "theme.css").write_text(".ehps{margin:2px}", encoding="utf-8")
        (site / "chart.js").write_text("var child='SYN0000123';", encoding="utf-8")
        (site / "icons.woff2").write_bytes(b"wOF2\x00")  # not a generator's library: unscannable
        found = {(f.file, f.rule) for f in _scan(site)}
        assert found == {("chart.js", "child_identifier"), ("icons.woff2", "unscannable")}

    def test_command_reports_an_unreadable_file(self, tmp_path, synthetic_data_dir, monkeypatch, capsys):
        monkeypatch.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
        site = tmp_path / "site"
        site.mkdir()
        (site / "paper.pdf").write_bytes(b"not a pdf")
        (site / "paper.html").write_text("<p>ok</p>", encoding="utf-8")
        assert cli.main(["check-disclosure", str(site)]) == 1
        assert "[unreadable]" in capsys.readouterr().out


@pytest.mark.parametrize("text, found", [
    ("Values by decile: 1: 547.8; 2: 475.5.", []),              # decile labels and rates
    ("Rank: 3 of 12. Decile: 2. Page: 4", []),
    ("Latest result 81.0%; target 83%; 3.5 per 10,000", []),
    ("one in five districts; 2016-17 Q4; aged 0-4", []),
    ("Values by decile: 1: 12; 2: 3.", ["3"]),                  # a count chart's alt text
    ("Decile 2: 4", ["4"]),
    ("at 10:05 on 3 March", []),
    ("RAG ratings for Kent, June 2016: 1 Green, 2 Amber, 1 Red and 13 not rated.", []),  # indicators
    ("Step-ups for Kent, June 2016: 1, May: 12", ["1"]),
    ("not charted: 3 of the 9 months are withheld (more than 20%)", []),  # months, not children
    ("Target: 5 (RAG bandings: 5 and above = Red, 3 to 5 = Amber)", []),  # thresholds, not counts
    ("Target: 12. Swale: 4", ["4"]),
    ("Outcome 1 (grow up in safe families and communities): of its 5 indicators, 2 improved, 1 worse.", []),
    ("Outcome 1 (grow up in safe families and communities): 2 improved", ["2"]),  # said after: read as a count
])
def test_label_and_word_rules(text, found):
    got = [f.value.split(": ")[-1] for f in disclosure.text_findings("f", "text", text, SECRETS, 5)]
    assert got == found


class TestScanMemo:
    """The publish gate does not read a file again that it found clean before (same bytes, same page
    beside it, same secrets, threshold and scanner); anything else is read."""

    def _memo(self, tmp_path, secrets=SECRETS, threshold=5):
        return disclosure.ScanMemo(tmp_path / "memo.json", disclosure.scan_fingerprint(secrets, threshold))

    def _scanned(self, tmp_path):
        """A clean one-page site, scanned once and its memo saved."""
        site, folder = _channel_site(tmp_path)
        memo = self._memo(tmp_path)
        assert disclosure.scan_site(site, SECRETS, 5, memo=memo) == []
        memo.save()
        return site, folder

    def test_a_clean_file_is_read_once_then_skipped(self, tmp_path):
        site, _ = _channel_site(tmp_path)
        memo = self._memo(tmp_path)
        assert disclosure.scan_site(site, SECRETS, 5, memo=memo) == [] and memo.skipped == 0
        memo.save()
        again = self._memo(tmp_path)
        assert disclosure.scan_site(site, SECRETS, 5, memo=again) == []
        assert again.skipped == len(list(disclosure.published_files(site))) > 1

    def test_an_edited_file_is_read_again_and_caught(self, tmp_path):
        site, folder = self._scanned(tmp_path)
        csv_path = folder / "scorecard-E07000113-2016-17-Q4-table-01.csv"
        csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("612", "3"), encoding="utf-8")
        found = disclosure.scan_site(site, SECRETS, 5, memo=self._memo(tmp_path))
        assert ("small_count", "3") in {(f.rule, f.value) for f in found}

    def test_a_csv_is_read_again_when_its_page_changes(self, tmp_path):
        site, folder = self._scanned(tmp_path)
        page = folder / "scorecard.html"
        page.write_text(page.read_text(encoding="utf-8").replace("612", "613"), encoding="utf-8")
        again = self._memo(tmp_path)
        found = disclosure.scan_site(site, SECRETS, 5, memo=again)
        # the unchanged CSV now differs from its page's table: read again, and the difference found
        assert any(f.rule == "table_csv_differs" and f.file.endswith("table-01.csv") for f in found)
        assert again.skipped == 0  # the page and every table CSV made from it are read again

    @pytest.mark.parametrize("change", ["secrets", "threshold"])
    def test_new_secrets_or_threshold_read_everything_again(self, tmp_path, change):
        site, _ = self._scanned(tmp_path)
        secrets = disclosure.Secrets(SECRETS.identifiers | {"SYN0000999"}, SECRETS.birth_months, "2014-04") \
            if change == "secrets" else SECRETS
        again = self._memo(tmp_path, secrets, 5 if change == "secrets" else 10)
        disclosure.scan_site(site, secrets, 5 if change == "secrets" else 10, memo=again)
        assert again.skipped == 0

    def test_a_damaged_memo_is_an_empty_one(self, tmp_path):
        site, _ = _channel_site(tmp_path)
        (tmp_path / "memo.json").write_text("{not json", encoding="utf-8")
        memo = self._memo(tmp_path)
        assert len(memo) == 0 and disclosure.scan_site(site, SECRETS, 5, memo=memo) == []
