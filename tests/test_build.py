"""Builds end to end on a small synthetic extract, in temporary folders: the site index,
failure isolation, the cache (no-op and one-district rebuilds), atomic publishing,
interrupted builds, reproducibility, the manifest and the disclosure gate."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ehps_lib import cli
from ehps_lib.data import io
from ehps_lib.publish import build
from ehps_lib.publish.site import index_body, merge_entries, sort_entries

KENT, CAN, DOV = "E10000016", "E07000106", "E07000108"
ROOT = Path(__file__).resolve().parent.parent


def _entry(period, start, code, name, synthetic=True):
    slug = period.replace(" ", "-")
    return {"period": period, "period_title": period, "period_start": start, "area_code": code,
            "area_name": name, "template": "scorecard", "html": f"{slug}/{code}/scorecard.html",
            "pdf": f"{slug}/{code}/scorecard.pdf", "csv": None, "synthetic": synthetic,
            "built": "2016-01-01T00:00:00Z", "extract_date": "2015-12-31"}


class TestIndex:
    def test_latest_period_by_area_with_a_finder_then_the_archive_newest_first(self, tmp_path):
        entries = [_entry("2015-16 Q4", "2016-01-01", KENT, "Kent"), _entry("2016-17 Q1", "2016-04-01", CAN,
                                                                             "Canterbury"),
                   _entry("2016-17 Q1", "2016-04-01", KENT, "Kent"), _entry("2015-16 Q3", "2015-10-01", KENT, "Kent")]
        html = index_body(entries, tmp_path)
        finder = re.search(r'<nav class="ehps-finder".*?</nav>', html).group(0)
        assert re.findall(r'<a href="#(area-[^"]+)">([^<]+)</a>', finder) == [
            ("area-E10000016", "Kent"), ("area-E07000106", "Canterbury")]
        assert re.findall(r'<h3 id="(area-[^"]+)">', html) == ["area-E10000016", "area-E07000106"]
        archive = html[html.index('id="archive"'):]
        assert re.findall(r"<summary>([^<]+)</summary>", archive) == ["2015-16 Q4", "2015-16 Q3"]
        for slug in ("2016-17-Q1", "2015-16-Q4", "2015-16-Q3"):
            assert f'href="{slug}/manifest.json"' in html

    def test_a_draft_lists_what_a_release_would_need(self, tmp_path):
        html = index_body([_entry("2016-17 Q1", "2016-04-01", KENT, "Kent")], tmp_path,
                          {"2016-17 Q1": ["Cabinet Committee paper for Kent: Meeting date missing"]})
        assert "<li>Cabinet Committee paper for Kent: Meeting date missing</li>" in html


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
        assert merge_entries([kept, gone], [new], tmp_path) == [new]

    def test_index_marks_synthetic_papers_and_names_links_in_context(self, tmp_path):
        html = index_body([_entry("2016-17 Q1", "2016-04-01", KENT, "Kent")], tmp_path)
        assert '<span class="ehps-tag">Synthetic data</span>' in html
        assert '<caption>Papers for Kent, 2016-17 Q1</caption>' in html
        assert '<a href="2016-17-Q1/manifest.json">manifest.json' in html
        assert re.search(r'<a href="2016-17-Q1/E10000016/scorecard.pdf">PDF'
                         r'<span class="ehps-visually-hidden">, Kent, 2016-17 Q1</span></a>', html)


# -- a small project of our own: real library, test templates -----------------------------------------
def _notebook(cells: list[str]) -> dict:
    body = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
             "source": src} for i, src in enumerate(cells)]
    body[0]["metadata"] = {"tags": ["parameters"]}
    return {"cells": body, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"}, "language_info": {"name": "python"}}}


PARAMS = 'area_code = "E10000016"\nperiod = "latest"'
IMPORT = "from ehps_lib.papers import scorecard as paper"
TEMPLATES = {
    # a planted failure: the paper for Canterbury fails in its third cell
    "planted": [PARAMS, IMPORT, 'assert area_code != "E07000106", "planted failure"',
                "paper.title_block(paper.load_scorecard(area_code, period))"],
    # a paper that leaks a child's pseudonym from the extract
    "leaky": [PARAMS, IMPORT, 'print("Case of child SYN0000001")',
              "paper.title_block(paper.load_scorecard(area_code, period))"],
    # a slow paper, to interrupt
    "slow": [PARAMS, "import time\ntime.sleep(1.5)", IMPORT,
             "paper.title_block(paper.load_scorecard(area_code, period))"],
}


@pytest.fixture(scope="module")
def project(synthetic_data_dir, tmp_path_factory):
    """A project folder (templates, reports, site) and a private copy of the fixture data."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "scorecard.ipynb", root / "notebooks")
    for name, cells in TEMPLATES.items():
        (root / "notebooks" / f"{name}.ipynb").write_text(json.dumps(_notebook(cells)), encoding="utf-8")
    (root / "_quarto.yml").write_text("project: {type: website}\n", encoding="utf-8")
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(synthetic_data_dir, data, dirs_exist_ok=True)
    shutil.rmtree(data / "cache", ignore_errors=True)
    return root, data


@pytest.fixture
def env(project, monkeypatch):
    root, data = project
    monkeypatch.setenv("EHPS_PROJECT_ROOT", str(root))
    monkeypatch.setenv("EHPS_DATA_DIR", str(data))
    monkeypatch.setenv("EHPS_REFERENCE_DIR", str(ROOT / "data" / "reference"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1467331200")  # 2016-07-01
    return root, data


def _build(root, site, templates, areas, **kw):
    lines: list[str] = []
    outcome = build.build(period="latest", areas=areas, templates=templates, workers=2, engine="builtin",
                          site_dir=site, reports_dir=root / "reports", log=lines.append, progress=False, **kw)
    return outcome, lines


def _tree_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
class TestBuild:
    def test_publish_then_noop_then_one_district_changed(self, env, tmp_path):
        root, data = env
        site = tmp_path / "site"
        first, _ = _build(root, site, ["scorecard"], [KENT, CAN, DOV])
        assert first.ok and first.published and first.executed == 3
        for code, name in ((KENT, "Kent"), (CAN, "Canterbury")):
            html = (site / "2016-17-Q1" / code / "scorecard.html").read_text(encoding="utf-8")
            assert f'<h1 class="ehps-title">{name}: Early Help and Preventative Services scorecard</h1>' in html
            assert "Synthetic data: not real children" in html and "report.load_scorecard" not in html
            assert (site / "2016-17-Q1" / code / "scorecard.pdf").read_bytes().startswith(b"%PDF-")
            assert (root / "reports" / "2016-17-Q1" / code / "scorecard.ipynb").is_file()
        index = (site / "index.html").read_text(encoding="utf-8")
        assert re.findall(r'<a href="([^"]+scorecard\.html)"', index) == [
            "2016-17-Q1/E10000016/scorecard.html", "2016-17-Q1/E07000106/scorecard.html",
            "2016-17-Q1/E07000108/scorecard.html"]

        # nothing changed: nothing runs, nothing is rewritten
        before = _tree_bytes(site)
        again, lines = _build(root, site, ["scorecard"], [KENT, CAN, DOV])
        assert again.ok and again.up_to_date and again.executed == 0
        assert any(line.startswith("Nothing to do") for line in lines)
        assert _tree_bytes(site) == before

        # a correction to Dover's published figures re-runs Dover's paper only
        results = io.results_dir("2016-17-Q1", data) / io.RESULTS_FILE
        table = pd.read_parquet(results)
        dover = (table.area_code == DOV) & (table.indicator_id == "ehn_received") & (table.period == "2016-17 Q1")
        table.loc[dover & (table.age_band == "all"), "value"] += 1
        table.to_parquet(results, index=False)
        third, _ = _build(root, site, ["scorecard"], [KENT, CAN, DOV])
        assert third.ok and third.executed == 1 and third.cached == 2, [f.describe() for f in third.failures]
        assert [p.area_code for p in third.papers if not p.cached] == [DOV]

    def test_planted_failure_keeps_old_site_and_names_district_and_cell(self, env, tmp_path, capsys):
        root, data = env
        site = tmp_path / "site"
        io.write_text("<!DOCTYPE html><title>the old site</title>", site / "index.html")
        before = _tree_bytes(site)
        code = cli.main(["build", "--templates", "planted", "--areas", KENT, CAN, DOV, "--site", str(site),
                         "--no-progress"])
        out = capsys.readouterr().out
        assert code == 1
        # execution count 4: the parameters cell, papermill's injected parameters, the import, the assert
        assert re.search(r"FAILED planted for Canterbury \(E07000106\): execute, cell \[4\]: AssertionError: "
                         r"planted failure", out)
        assert "Nothing was published" in out
        assert _tree_bytes(site) == before  # the old site is untouched
        # the other papers were built and wait in the cache: fixing nothing, a rebuild runs only Canterbury
        outcome, _ = _build(root, site, ["planted"], [KENT, CAN, DOV])
        assert outcome.executed == 1 and outcome.cached == 2 and not outcome.ok

    def test_disclosure_finding_refuses_to_publish(self, env, tmp_path):
        root, _ = env
        site = tmp_path / "site"
        outcome, _ = _build(root, site, ["leaky"], [KENT])
        assert not outcome.ok and not outcome.published and not site.exists()
        [failure] = outcome.failures
        assert failure.stage == "disclosure" and "SYN0000001" in failure.message

    def test_two_builds_give_identical_html_and_csv(self, env, tmp_path):
        root, _ = env
        sites = [tmp_path / "a", tmp_path / "b"]
        for site in sites:
            outcome, _ = _build(root, site, ["scorecard"], [KENT, CAN], use_cache=False)
            assert outcome.ok and outcome.executed == 2
        a, b = (_tree_bytes(s) for s in sites)
        compared = [k for k in a if k.endswith((".html", ".csv"))]
        # 2 papers, their figures as CSV, every table as CSV, and the index
        assert len([k for k in compared if k.endswith("scorecard.html")]) == 2 and len(compared) > 5
        assert all(a[k] == b[k] for k in compared), [k for k in compared if a[k] != b[k]]

    def test_manifest_hashes_match_the_inputs(self, env, tmp_path):
        root, data = env
        site = tmp_path / "site"
        outcome, _ = _build(root, site, ["scorecard"], [KENT])
        assert outcome.ok
        manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
        sha = lambda p: hashlib.sha256(Path(p).read_bytes()).hexdigest()  # noqa: E731
        assert manifest["inputs"]["processed"]["children.parquet"] == sha(data / "processed" / "children.parquet")
        assert manifest["inputs"]["results"]["indicators.parquet"] == sha(
            data / "results" / "2016-17-Q1" / "indicators.parquet")
        assert manifest["inputs"]["templates"]["scorecard.ipynb"] == sha(root / "notebooks" / "scorecard.ipynb")
        assert manifest["inputs"]["reference"]["imd/kent_imd2019_lsoa11_combined.csv"] == sha(
            ROOT / "data" / "reference" / "imd" / "kent_imd2019_lsoa11_combined.csv")
        [run] = manifest["runs"]
        assert run["parameters"] == {"area_code": KENT, "period": "2016-17 Q1"}
        assert run["execute_seconds"] > 0 and run["render_seconds"] > 0
        assert manifest["ehps_lib_version"] and manifest["git_commit"]

    def test_interrupted_build_publishes_nothing_and_resumes_from_cache(self, env, tmp_path):
        root, data = env
        site = tmp_path / "site"
        cache = data / "cache" / "runs"
        def complete() -> set[str]:  # finished entries (a run being written is a hidden staging folder)
            return {p.name for p in cache.glob("*") if not p.name.startswith(".")} if cache.exists() else set()

        before = complete()
        proc = subprocess.Popen([sys.executable, "-m", "ehps_lib.cli", "build", "--templates", "slow", "--areas",
                                 KENT, CAN, DOV, "E07000105", "--workers", "1", "--site", str(site),
                                 "--no-progress"], env=os.environ.copy(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(complete() - before) < 1:
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        done = complete() - before
        assert 1 <= len(done) < 4
        assert not site.exists()  # nothing half-built was published
        outcome, _ = _build(root, site, ["slow"], [KENT, CAN, DOV, "E07000105"])
        assert outcome.ok and outcome.published and outcome.cached == len(done)
        assert not list(site.parent.glob(".site.staging.*"))
