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


class TestHtml:
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

    def test_birth_column(self, tmp_path):
        path = tmp_path / "leak.csv"
        pd.DataFrame({"child": ["x"], "birth_month": ["2009-05"]}).to_csv(path, index=False)
        assert [f.rule for f in disclosure.scan_csv(path, SECRETS)] == ["birth_date"]

    def test_pdf_without_its_html_is_reported(self, tmp_path):
        from weasyprint import HTML

        pdf = tmp_path / "orphan.pdf"
        HTML(string="<p>Case SYN0000123: 3 notifications</p>").write_pdf(pdf)
        rules = sorted(f.rule for f in disclosure.scan_pdf(pdf, SECRETS))
        assert rules == ["child_identifier", "pdf_without_html"]


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

    def test_other_json_is_not_published_text(self, tmp_path):
        import json

        path = tmp_path / "manifest.json"
        path.write_text(json.dumps({"runs": [{"key": "SYN0000123"}]}), encoding="utf-8")
        assert disclosure.scan_search_index(path, SECRETS) == []


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
