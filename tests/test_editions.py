"""Monthly editions, six-monthly papers and internal papers: how a build plans, where it writes,
and how each page is marked."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ehps_lib import config
from ehps_lib.data import io
from ehps_lib.periods import Period
from ehps_lib.publish import build

ROOT = Path(__file__).resolve().parent.parent
KENT = "E10000016"


class TestTemplateSettings:
    def _parse(self, template: dict):
        raw = json.loads(json.dumps(config.yaml.safe_load(
            (ROOT / "ehps_lib" / "config.yml").read_text(encoding="utf-8"))))
        raw["templates"] = [template]
        return config.parse_settings(raw).templates[0]

    def test_defaults_leave_a_template_as_it_was(self):
        spec = self._parse({"id": "x", "title": "X", "areas": "all"})
        assert (spec.editions, spec.period_ends, spec.audience, spec.classification) == (("period",), (), "public",
                                                                                         None)
        assert spec.builds_for(6) and spec.builds_for(3)

    def test_six_monthly_and_internal(self):
        spec = self._parse({"id": "x", "title": "X", "areas": "county", "period_ends": ["March", "september"],
                            "audience": "internal", "classification": "OFFICIAL-SENSITIVE"})
        assert spec.period_ends == (3, 9) and spec.builds_for(9) and not spec.builds_for(6)

    @pytest.mark.parametrize("template, message", [
        ({"editions": ["weekly"]}, "'templates\\[0\\].editions' may list period, month"),
        ({"period_ends": ["Marhc"]}, "must list month names .* Did you mean 'march'"),
        ({"audience": "internal"}, "'templates\\[0\\].classification' is required for an internal paper"),
        ({"audience": "members"}, "'templates\\[0\\].audience' must be public or internal"),
        # a paper from the statutory returns is made for the returns' month: no monthly edition of a
        # quarter, no six-monthly schedule, no districts' commentary
        ({"data": "returns", "editions": ["period", "month"]}, "leave out 'editions' and 'period_ends'"),
        ({"data": "returns", "period_ends": ["March"]}, "leave out 'editions' and 'period_ends'"),
        ({"data": "returns", "reads": ["all_district_commentary"]}, "reads no district commentary"),
    ])
    def test_refused_with_a_reason(self, template, message):
        with pytest.raises(config.ConfigError, match=message):
            self._parse({"id": "x", "title": "X", "areas": "county", **template})

    def test_the_registered_templates(self):
        s = config.load_settings()
        assert s.template("monthly_scorecard").editions == ("period", "month")
        assert s.template("cypf_progress_report").period_ends == (3, 9)
        drill = s.template("drilldown")
        assert drill.audience == "internal" and drill.classification == "OFFICIAL-SENSITIVE"


class TestResultsForAMonth:
    def test_a_months_results_are_its_quarters_when_it_ends_one(self, tmp_path):
        folder = io.results_dir("2016-17-Q4", tmp_path)
        folder.mkdir(parents=True)
        (folder / io.RESULTS_FILE).write_bytes(b"x")
        assert io.results_slug_for("2017-03", tmp_path) == "2016-17-Q4"
        assert io.results_slug_for("March 2017", tmp_path) == "2016-17-Q4"
        assert io.results_slug_for("2017-02", tmp_path) == "2017-02"  # not the end of a quarter
        own = io.results_dir("2017-03", tmp_path)
        own.mkdir(parents=True)
        (own / io.RESULTS_FILE).write_bytes(b"y")
        assert io.results_slug_for("2017-03", tmp_path) == "2017-03"  # its own come first

    def test_editions_of_a_quarter_and_of_a_month(self):
        spec = config.load_settings().template("monthly_scorecard")
        assert [e.label for e in build.editions_of(spec, Period.parse("2016-17 Q1"))] == ["2016-17 Q1", "2016-06"]
        assert [e.label for e in build.editions_of(spec, Period.parse("2016-05"))] == ["2016-05"]


def _pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


@pytest.mark.slow
class TestBuild:
    @pytest.fixture(scope="class")
    def built(self, synthetic_data_dir, tmp_path_factory):
        data = tmp_path_factory.mktemp("editions-data")
        shutil.copytree(synthetic_data_dir, data, dirs_exist_ok=True)
        shutil.rmtree(data / "cache", ignore_errors=True)
        out = tmp_path_factory.mktemp("editions-out")
        mp = pytest.MonkeyPatch()
        mp.setenv("EHPS_DATA_DIR", str(data))
        lines: list[str] = []
        try:
            outcome = build.build(period="latest", areas=[KENT], workers=2, engine="builtin", site_dir=out / "site",
                                  reports_dir=out / "reports", log=lines.append, progress=False,
                                  templates=["monthly_scorecard", "drilldown", "cypf_progress_report"])
        finally:
            mp.undo()
        assert outcome.ok, [f.describe() for f in outcome.failures]
        return out, outcome, lines

    def test_the_quarter_and_its_last_month(self, built):
        out, outcome, _ = built
        site = out / "site"
        for slug in ("2016-17-Q1", "2016-06"):
            assert (site / slug / KENT / "monthly_scorecard.html").is_file()
        html = (site / "2016-06" / KENT / "monthly_scorecard.html").read_text(encoding="utf-8")
        assert "July 2016 edition: data to the end of June 2016" in html
        index = (site / "index.html").read_text(encoding="utf-8")
        assert "2016-06/E10000016/monthly_scorecard.html" in index and "June 2016" in index

    def test_six_monthly_paper_is_not_made_for_a_june_quarter(self, built):
        out, outcome, lines = built
        assert not list((out / "site").rglob("cypf_progress_report.html"))
        assert any("made only for periods ending in March, September" in line for line in lines)

    def test_internal_paper_never_reaches_the_site_and_is_marked_on_every_page(self, built):
        out, outcome, _ = built
        site = out / "site"
        assert not list(site.rglob("drilldown*"))
        index = re.sub(r"<style>.*?</style>", "", (site / "index.html").read_text(encoding="utf-8"), flags=re.S)
        assert "drilldown" not in index and "drill-down" not in index.lower()  # no link, no listing
        manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
        assert all(r["template"] != "drilldown" for r in manifest["runs"])
        folder = out / "internal" / "2016-17-Q1" / KENT
        html = (folder / "drilldown.html").read_text(encoding="utf-8")
        assert '<p class="ehps-classification"><span class="ehps-visually-hidden">Security classification: ' \
               '</span>OFFICIAL-SENSITIVE</p>' in html
        # no link to the site (or to an index the internal folder does not have): every link is a file beside it
        hrefs = re.findall(r'<a [^>]*href="([^"#]+)', html)
        assert hrefs and all((folder / h).is_file() for h in hrefs), hrefs
        pages = _pdf_pages(folder / "drilldown.pdf")
        assert len(pages) >= 2
        for n, page in enumerate(pages, start=1):
            assert "OFFICIAL-SENSITIVE" in page, f"page {n} lacks the handling classification"
        assert json.loads((out / "internal" / "2016-17-Q1" / build.INTERNAL_MANIFEST).read_text())["papers"][0][
            "classification"] == "OFFICIAL-SENSITIVE"
