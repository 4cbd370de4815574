"""Builds under faults (issue 10): failures injected at named steps, never by timing luck.

``EHPS_FAULT=ACTION@STEP`` (:func:`ehps_lib.data.io.fault_point`) kills the build (SIGKILL),
raises, or pauses it at a named step of publishing; each test checks that the site a reader
sees is the whole old site or the whole new one, that the cache never publishes a damaged or
edited entry, that concurrent builds take turns and lose nothing, and that what the user reads
is one clear message.

A small project of our own: a quick template (its title block only, so a paper takes a few
seconds), in temporary folders, on the session's synthetic fixture data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ehps_lib import cli
from ehps_lib.data import io
from ehps_lib.publish import build, cache

KENT, CAN, DOV = "E10000016", "E07000106", "E07000108"
ROOT = Path(__file__).resolve().parent.parent
PERIOD, EARLIER = "2016-17 Q1", "2015-16 Q4"


def _notebook(cells: list[str]) -> dict:
    body = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
             "source": src} for i, src in enumerate(cells)]
    body[0]["metadata"] = {"tags": ["parameters"]}
    return {"cells": body, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                        "name": "python3"}, "language_info": {"name": "python"}}}


PARAMS = 'area_code = "E10000016"\nperiod = "latest"'
IMPORT = "from ehps_lib.papers import scorecard as paper"
TITLE = "paper.title_block(paper.load_scorecard(area_code, period))"
TEMPLATES = {
    "quick": [PARAMS, IMPORT, TITLE],
    "other": [PARAMS, IMPORT, TITLE],
    # fails for the area named by EHPS_TEST_FAIL (set by a test), else the same as quick
    "flaky": [PARAMS, "import os", IMPORT, 'assert os.environ.get("EHPS_TEST_FAIL") != area_code, "planted"', TITLE],
}


@pytest.fixture(scope="module")
def project(synthetic_data_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
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
    monkeypatch.delenv("EHPS_FAULT", raising=False)
    return root, data


def _build(root, site, areas, templates=("quick",), period="latest", **kw):
    lines: list[str] = []
    outcome = build.build(period=period, areas=list(areas), templates=list(templates), workers=2, engine="builtin",
                          site_dir=site, reports_dir=root / "reports", log=lines.append, progress=False, **kw)
    return outcome, lines


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cli(args: list[str], extra_env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "ehps_lib.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600, **kw)


def _leftovers(site: Path) -> list[str]:
    builds = build.builds_dir(site)
    found = [p.name for p in site.parent.glob(f".{site.name}.link.*")]
    if builds.is_dir():
        found += [p.name for p in builds.iterdir() if p.name.startswith(".")]
    return found


def _is_whole_new_site(site: Path, new_codes: list[str]) -> bool:
    index = (site / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((site / "2016-17-Q1" / "manifest.json").read_text(encoding="utf-8"))
    listed = {r["area_code"] for r in manifest["runs"]}
    return all(f"2016-17-Q1/{c}/quick.html" in index and (site / "2016-17-Q1" / c / "quick.pdf").is_file()
               for c in new_codes) and set(new_codes) <= listed


# -- a kill at any step of publishing -----------------------------------------------------------------
PUBLISH_STEPS = ["publish.start", "publish.copied_old", "publish.papers_copied", "publish.index_written",
                 "publish.manifest_written", "publish.build_written", "publish.build_complete", "publish.swap",
                 "point_link.created", "publish.swapped", "publish.reports", "publish.pruned"]


@pytest.fixture(scope="module")
def warm(project, tmp_path_factory):
    """The cache holds Kent's and Canterbury's quick papers, so a build only publishes."""
    root, data = project
    mp = pytest.MonkeyPatch()
    for k, v in {"EHPS_PROJECT_ROOT": str(root), "EHPS_DATA_DIR": str(data),
                 "EHPS_REFERENCE_DIR": str(ROOT / "data" / "reference"), "SOURCE_DATE_EPOCH": "1467331200"}.items():
        mp.setenv(k, v)
    try:
        outcome, _ = _build(root, tmp_path_factory.mktemp("scratch") / "site", [KENT, CAN])
    finally:
        mp.undo()
    assert outcome.ok


@pytest.mark.slow
class TestKillWhilePublishing:
    @pytest.mark.parametrize("step", PUBLISH_STEPS)
    def test_the_site_is_the_whole_old_one_or_the_whole_new_one(self, env, warm, tmp_path, step):
        root, _ = env
        site = tmp_path / "site"
        first, _ = _build(root, site, [KENT])
        assert first.ok and first.published
        old = _tree(site)
        proc = _cli(["build", "--templates", "quick", "--areas", KENT, CAN, "--site", str(site), "--no-progress",
                     "--engine", "builtin"], {"EHPS_FAULT": f"kill@{step}"})
        assert proc.returncode == -9, proc.stdout + proc.stderr  # killed at the step, as planned
        now = _tree(site)
        swapped = PUBLISH_STEPS.index(step) >= PUBLISH_STEPS.index("publish.swapped")
        if swapped:
            assert _is_whole_new_site(site, [KENT, CAN])
        else:
            assert now == old  # byte for byte: readers never saw anything else
        # the next build clears what the killed one left and publishes (or finds nothing to do)
        again, lines = _build(root, site, [KENT, CAN])
        assert again.ok, [f.describe() for f in again.failures]
        assert _is_whole_new_site(site, [KENT, CAN])
        assert _leftovers(site) == []
        assert len(build.complete_builds(site)) <= build.KEEP_BUILDS
        assert (root / "reports" / "2016-17-Q1" / CAN / "quick.ipynb").is_file()

    def test_a_site_from_before_sites_were_links_is_adopted(self, env, warm, tmp_path):
        root, _ = env
        site = tmp_path / "site"
        io.write_text("<!DOCTYPE html><title>the old site</title>", site / "2015-16-Q4" / "old.html")
        proc = _cli(["build", "--templates", "quick", "--areas", KENT, "--site", str(site), "--no-progress",
                     "--engine", "builtin"], {"EHPS_FAULT": "kill@publish.adopted"})
        assert proc.returncode == -9
        assert site.is_symlink() and (site / "2015-16-Q4" / "old.html").is_file()  # the old site, kept whole
        outcome, _ = _build(root, site, [KENT])
        assert outcome.ok and site.is_symlink()
        assert (site / "2015-16-Q4" / "old.html").read_text() == "<!DOCTYPE html><title>the old site</title>"
        assert (site / "2016-17-Q1" / KENT / "quick.html").is_file()


# -- failures that raise ---------------------------------------------------------------------------------
@pytest.mark.slow
class TestFailuresWhilePublishing:
    def test_a_full_disk_while_publishing_keeps_the_old_site_and_says_so(self, env, tmp_path, monkeypatch, capsys):
        root, _ = env
        site = tmp_path / "site"
        assert _build(root, site, [KENT])[0].ok
        old = _tree(site)
        monkeypatch.setenv("EHPS_FAULT", "enospc@publish.papers_copied")
        code = cli.main(["build", "--templates", "quick", "--areas", KENT, CAN, "--site", str(site), "--no-progress",
                         "--engine", "builtin"])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err
        assert err.strip().splitlines()[-1] == (
            "ehps build: publishing failed: the disk is full (No space left on device) writing <fault injected at "
            "publish.papers_copied>: free some space and run again. Nothing was published: the site is as it was.")
        assert _tree(site) == old and _leftovers(site) == []

    def test_debug_shows_the_traceback(self, env, tmp_path, monkeypatch, capsys):
        root, _ = env
        monkeypatch.setenv("EHPS_FAULT", "enospc@publish.start")
        code = cli.main(["build", "--debug", "--templates", "quick", "--areas", KENT, "--site", str(tmp_path / "s"),
                         "--no-progress", "--engine", "builtin"])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback (most recent call last)" in err and "BuildError" in err

    def test_a_read_only_site_folder_is_one_clear_message(self, env, tmp_path, monkeypatch, capsys):
        root, _ = env
        monkeypatch.setenv("EHPS_FAULT", "erofs@build.writable.site")
        code = cli.main(["build", "--templates", "quick", "--site", str(tmp_path / "site"), "--no-progress"])
        err = capsys.readouterr().err
        assert code == 1 and "Traceback" not in err
        assert err.strip() == (f"ehps build: cannot build: {tmp_path} cannot be written (Read-only file system); "
                               "choose a folder you can write with --site PATH. Nothing was run and the site is as "
                               "it was.")

    def test_a_failed_run_never_touches_a_published_papers_notebook(self, env, tmp_path, monkeypatch):
        root, _ = env
        site = tmp_path / "site"
        assert _build(root, site, [KENT], templates=["flaky"])[0].ok
        published = root / "reports" / "2016-17-Q1" / KENT / "flaky.ipynb"
        before, old_site = published.read_bytes(), _tree(site)
        monkeypatch.setenv("EHPS_TEST_FAIL", KENT)
        outcome, _ = _build(root, site, [KENT], templates=["flaky"], use_cache=False)
        assert not outcome.ok
        [failure] = outcome.failures
        assert failure.notebook == root / "reports" / "2016-17-Q1" / KENT / "flaky.failed.ipynb"
        assert json.loads(failure.notebook.read_text())["cells"]  # whole, valid JSON
        assert published.read_bytes() == before and _tree(site) == old_site
        # fixed, the paper publishes and its failed notebook goes
        monkeypatch.delenv("EHPS_TEST_FAIL")
        assert _build(root, site, [KENT], templates=["flaky"], use_cache=False)[0].ok
        assert not failure.notebook.exists()


# -- the cache -----------------------------------------------------------------------------------------------
@pytest.mark.slow
class TestCache:
    def entry(self, data: Path, template: str, code: str) -> Path:
        for e in (data / "cache" / "runs").iterdir():
            rec = e / "run.json"
            if rec.is_file():
                r = json.loads(rec.read_text())
                if r["template"] == template and r["area_code"] == code:
                    return e
        raise AssertionError("no entry")

    def test_a_tampered_entry_is_never_published(self, env, tmp_path):
        root, data = env
        site = tmp_path / "site"
        assert _build(root, site, [CAN])[0].ok
        entry = self.entry(data, "quick", CAN)
        page = entry / "quick.html"
        page.write_text(page.read_text().replace("</main>", "<p>Child SYN0000001, born 2009-05</p></main>"))
        (entry / "quick.pdf").write_bytes(b"%PDF-garbage")
        outcome, lines = _build(root, site, [CAN])
        assert outcome.ok and outcome.executed == 1 and not outcome.up_to_date
        assert any("The cache entry of quick/E07000106" in line and "quick.html has changed since it was made" in line
                   and "quick.pdf has changed" in line for line in lines)
        assert "SYN0000001" not in (site / "2016-17-Q1" / CAN / "quick.html").read_text()
        assert (site / "2016-17-Q1" / CAN / "quick.pdf").read_bytes().startswith(b"%PDF-1")

    def test_an_entry_changed_after_it_was_checked_stops_the_publish(self, env, tmp_path, monkeypatch):
        root, data = env
        site = tmp_path / "site"
        assert _build(root, site, [KENT])[0].ok
        old = _tree(site)
        entry = self.entry(data, "quick", KENT)
        (entry / "quick.html").write_text("<p>truncated")
        # the check at the start is skipped, as if the file changed between the check and the copy
        monkeypatch.setattr(cache.RunCache, "get",
                            lambda self, key, label="": io.read_json(self.entry(key) / "run.json"))
        with pytest.raises(build.BuildError, match="changed while it was being published"):
            _build(root, site, [KENT, CAN])
        assert _tree(site) == old and not entry.exists()

    def test_no_cache_replaces_entries_and_site_files_are_copies(self, env, tmp_path):
        root, data = env
        site = tmp_path / "site"
        assert _build(root, site, [DOV])[0].ok
        entry = self.entry(data, "quick", DOV)
        page = site / "2016-17-Q1" / DOV / "quick.html"
        assert os.stat(page).st_nlink == 1 and not os.path.samefile(page, entry / "quick.html")
        # an edit that keeps run.json consistent (so the hash check passes): --no-cache still makes it afresh
        record = json.loads((entry / "run.json").read_text())
        (entry / "quick.html").write_text("<p>stale</p>")
        record["sha256"]["quick.html"] = io.sha256_file(entry / "quick.html")
        (entry / "run.json").write_text(json.dumps(record))
        outcome, _ = _build(root, site, [DOV], use_cache=False)
        assert outcome.ok and outcome.executed == 1
        assert "stale" not in (entry / "quick.html").read_text()
        assert "stale" not in page.read_text()

    def test_a_site_file_edited_in_place_is_republished(self, env, tmp_path):
        root, _ = env
        site = tmp_path / "site"
        assert _build(root, site, [KENT])[0].ok
        page = site / "2016-17-Q1" / KENT / "quick.html"
        good = page.read_bytes()
        page.write_text("<p>defaced</p>")
        outcome, lines = _build(root, site, [KENT])
        assert outcome.ok and not outcome.up_to_date and outcome.executed == 0  # from the cache, not "nothing to do"
        assert page.read_bytes() == good

    def test_the_gate_reads_again_a_live_file_edited_since_it_was_found_clean(self, env, tmp_path):
        """The gate keeps a memo of the files it found clean; another area's page edited in the
        live site is not that file any more: it is read, and the build refuses to publish it."""
        root, data = env
        site = tmp_path / "site"
        assert _build(root, site, [KENT])[0].ok
        assert (data / "cache" / build.SCAN_MEMO).is_file() and (data / "cache" / build.AUDIT_MEMO).is_file()
        page = site / "2016-17-Q1" / KENT / "quick.html"
        page.write_text(page.read_text().replace("</main>", "<p>Child SYN0000001 was referred.</p></main>"))
        outcome, lines = _build(root, site, [CAN])
        assert not outcome.ok
        assert any(f"2016-17-Q1/{KENT}/quick.html" in str(f) and f.rule == "child_identifier"
                   for f in outcome.findings)
        assert "SYN0000001" in page.read_text()  # the live site is as it was: nothing was published


# -- the manifest ----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_partial_build_merges_the_manifest(env, tmp_path):
    root, _ = env
    site = tmp_path / "site"
    first, _ = _build(root, site, [KENT, CAN])
    second, _ = _build(root, site, [DOV])
    third, _ = _build(root, site, [KENT], templates=["other"])
    assert first.ok and second.ok and third.ok
    top = json.loads((site / "manifest.json").read_text())
    period = json.loads((site / "2016-17-Q1" / "manifest.json").read_text())
    for manifest in (top, period):
        assert sorted((r["template"], r["area_code"]) for r in manifest["runs"]) == [
            ("other", KENT), ("quick", CAN), ("quick", DOV), ("quick", KENT)]
        assert len(manifest["builds"]) == 3 and manifest["build_id"] in manifest["builds"]
        assert {r["build_id"] for r in manifest["runs"]} == set(manifest["builds"])


# -- concurrent builds -------------------------------------------------------------------------------------------
def _wait_for(predicate, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.mark.slow
class TestConcurrentBuilds:
    def test_a_second_build_waits_and_no_update_is_lost(self, env, tmp_path):
        root, _ = env
        site, gate = tmp_path / "site", tmp_path / "gate"
        gate.mkdir()
        args = ["--templates", "quick", "--areas", KENT, "--site", str(site), "--no-progress", "--engine", "builtin"]
        env_a = {**os.environ, "EHPS_FAULT": "pause@publish.swap", "EHPS_FAULT_DIR": str(gate)}
        a = subprocess.Popen([sys.executable, "-m", "ehps_lib.cli", "build", "--period", PERIOD, *args], env=env_a,
                             stdout=open(tmp_path / "a.out", "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
        try:
            _wait_for(lambda: (gate / "publish.swap.reached").exists(), "build A to reach its swap")
            # A holds the lock, half-way through publishing: a build that will not wait is told so
            busy = _cli(["build", "--period", EARLIER, "--no-wait", *args])
            assert busy.returncode == 1 and "Traceback" not in busy.stderr
            assert busy.stderr.startswith("ehps build: The workspace is busy: ehps build --period '2016-17 Q1' "
                                          f"(process {a.pid}, started ")
            b = subprocess.Popen([sys.executable, "-m", "ehps_lib.cli", "build", "--period", EARLIER, *args],
                                 env=dict(os.environ), stdout=open(tmp_path / "b.out", "w"),  # noqa: SIM115
                                 stderr=subprocess.STDOUT)
            _wait_for(lambda: "Waiting for it to finish" in (tmp_path / "b.out").read_text(), "build B to wait")
        finally:
            (gate / "publish.swap.release").touch()
        assert a.wait(timeout=600) == 0 and b.wait(timeout=600) == 0
        out_a, out_b = (tmp_path / "a.out").read_text(), (tmp_path / "b.out").read_text()
        assert "Published." in out_a and "Published." in out_b
        index = (site / "index.html").read_text()
        assert "2016-17-Q1/E10000016/quick.html" in index and "2015-16-Q4/E10000016/quick.html" in index
        assert (site / "2016-17-Q1" / "manifest.json").is_file() and (site / "2015-16-Q4" / "manifest.json").is_file()
        assert {r["period"] for r in json.loads((site / "manifest.json").read_text())["runs"]} == {PERIOD, EARLIER}
