"""End to end: a small synthetic extract → papermill for two areas and a planted failure →
HTML, PDF, CSV and the site index, in temporary folders."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ehps_lib import build, io
from ehps_lib.build import index_body, merge_entries, sort_entries

KENT, CAN, BAD = "E10000016", "E07000106", "E09999999"


def _entry(period, start, code, name, synthetic=True):
    slug = period.replace(" ", "-")
    return {"period": period, "period_title": period, "period_start": start, "area_code": code,
            "area_name": name, "template": "scorecard", "html": f"{slug}/{code}/scorecard.html",
            "pdf": f"{slug}/{code}/scorecard.pdf", "csv": None, "synthetic": synthetic,
            "built": "2016-01-01T00:00:00Z", "extract_date": "2015-12-31"}


class TestCatalogue:
    def test_newest_period_first_then_kent_then_districts_a_to_z(self):
        entries = [_entry("2015-16 Q4", "2016-01-01", "E07000116", "Tunbridge Wells"),
                   _entry("2016-17 Q1", "2016-04-01", "E07000112", "Shepway"),
                   _entry("2016-17 Q1", "2016-04-01", "E07000105", "Ashford"),
                   _entry("2016-17 Q1", "2016-04-01", KENT, "Kent")]
        assert [(e["period"], e["area_name"]) for e in sort_entries(entries)] == [
            ("2016-17 Q1", "Kent"), ("2016-17 Q1", "Ashford"), ("2016-17 Q1", "Shepway"),
            ("2015-16 Q4", "Tunbridge Wells")]

    def test_merge_replaces_same_paper_and_drops_missing_files(self, tmp_path):
        kept = _entry("2015-16 Q4", "2016-01-01", KENT, "Kent")
        gone = _entry("2015-16 Q3", "2015-10-01", KENT, "Kent")
        io.write_text("old", tmp_path / kept["html"])
        new = dict(_entry("2015-16 Q4", "2016-01-01", KENT, "Kent"), built="2016-02-01T00:00:00Z")
        merged = merge_entries([kept, gone], [new], tmp_path)
        assert merged == [new]

    def test_index_marks_synthetic_papers_and_names_links_in_context(self, tmp_path):
        html = index_body([_entry("2016-17 Q1", "2016-04-01", KENT, "Kent")], tmp_path)
        assert '<span class="ehps-tag">Synthetic data</span>' in html
        assert '<caption>Papers for 2016-17 Q1</caption>' in html
        assert re.search(r'<a href="2016-17-Q1/E10000016/scorecard.pdf">PDF'
                         r'<span class="ehps-visually-hidden">, Kent, 2016-17 Q1</span></a>', html)


@pytest.fixture(scope="module")
def built(synthetic_data_dir, tmp_path_factory):
    """One build of Kent, Canterbury and an unknown area code, into a site that already
    lists a paper of an earlier period."""
    mp = pytest.MonkeyPatch()
    mp.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
    mp.setenv("SOURCE_DATE_EPOCH", "1467331200")  # 2016-07-01
    site = tmp_path_factory.mktemp("site")
    reports = tmp_path_factory.mktemp("reports")
    old = _entry("2015-16 Q4", "2016-01-01", KENT, "Kent")
    io.write_text("<!DOCTYPE html><title>old</title>", site / old["html"])
    io.write_json({"papers": [old]}, site / "papers.json")
    lines: list[str] = []
    try:
        outcome = build.build(period="latest", areas=[KENT, CAN, BAD], workers=2, engine="builtin",
                              site_dir=site, reports_dir=reports, log=lines.append)
    finally:
        mp.undo()
    return outcome, site, reports, lines


@pytest.mark.slow
class TestBuild:
    def test_the_failing_area_fails_alone(self, built):
        outcome, *_ = built
        assert outcome.ok is False
        assert outcome.period == "2016-17 Q1"
        assert [p.area_code for p in outcome.papers] == [KENT, CAN]
        [failure] = outcome.failures
        assert (failure.area_code, failure.stage, failure.ename) == (BAD, "execute", "ScorecardError")
        assert "Unknown area code 'E09999999'" in failure.evalue

    def test_html_pdf_csv_and_executed_notebooks(self, built):
        outcome, site, reports, _ = built
        for paper, name in zip(outcome.papers, ("Kent", "Canterbury"), strict=True):
            folder = site / "2016-17-Q1" / paper.area_code
            html = (folder / "scorecard.html").read_text(encoding="utf-8")
            title = f"{name}: Early Help and Preventative Services scorecard"
            assert f'<h1 class="ehps-title">{title}</h1>' in html
            assert "Synthetic data: not real children" in html and '<html lang="en-GB">' in html
            assert "report.load_scorecard" not in html
            assert (folder / "scorecard.pdf").read_bytes().startswith(b"%PDF-")
            data = pd.read_csv(paper.csv)
            assert set(data["area_code"]) == {paper.area_code}
            assert (reports / "2016-17-Q1" / paper.area_code / "scorecard.ipynb").is_file()
        # the failed run's notebook is kept, with its error, for reading; nothing is published for it
        assert (reports / "2016-17-Q1" / BAD / "scorecard.ipynb").is_file()
        assert not (site / "2016-17-Q1" / BAD).exists()

    def test_index_lists_new_and_earlier_papers(self, built):
        _, site, _, _ = built
        index = (site / "index.html").read_text(encoding="utf-8")
        links = re.findall(r'<a href="([^"]+scorecard\.html)"', index)
        assert links == ["2016-17-Q1/E10000016/scorecard.html", "2016-17-Q1/E07000106/scorecard.html",
                         "2015-16-Q4/E10000016/scorecard.html"]
        assert index.count('href="2016-17-Q1/E10000016/scorecard.pdf"') == 1
        assert "Synthetic data" in index
        catalogue = io.read_json(site / "papers.json")["papers"]
        assert [(e["period"], e["area_code"]) for e in catalogue] == [
            ("2016-17 Q1", KENT), ("2016-17 Q1", CAN), ("2015-16 Q4", KENT)]

    def test_progress_and_summary_lines(self, built):
        *_, lines = built
        progress = [line for line in lines if line.startswith("[")]
        assert sorted(line[:5] for line in progress) == ["[1/3]", "[2/3]", "[3/3]"]
        assert any(re.match(r"\[\d/3\] Canterbury ok \d+\.\d s$", line) for line in progress)
        failed = r"\[\d/3\] E09999999 FAILED \(execute: ScorecardError"
        assert any(re.match(failed, line) for line in progress)
        assert "Built 2 of 3 paper(s) for 2016-17 Q1 (SYNTHETIC DATA)" in lines[-1]
