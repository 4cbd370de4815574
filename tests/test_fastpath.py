"""The no-op fast path of ``ehps build`` (ehps_lib.publish.fastpath): it says "nothing to do"
only when nothing the build depends on has changed since the build that left the site
current, and any change at all (an input, a template, the library, the commentary, the
settings, the environment, the published site, the request) sends the build down the full
path. Correctness only; the time it takes is measured in bench/bench_build.py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ehps_lib.publish import build, fastpath, profile

ROOT = Path(__file__).resolve().parent.parent
KENT = "E10000016"


@pytest.fixture(scope="module")
def workspace(synthetic_data_dir, tmp_path_factory):
    """A project with the scorecard template, a private copy of the fixture data and of the
    reference data, and a site built for Kent's scorecard."""
    root = tmp_path_factory.mktemp("fast-project")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "scorecard.ipynb", root / "notebooks")
    (root / "_quarto.yml").write_text("project: {type: website}\n", encoding="utf-8")
    data = tmp_path_factory.mktemp("fast-data")
    shutil.copytree(synthetic_data_dir, data, dirs_exist_ok=True)
    shutil.rmtree(data / "cache", ignore_errors=True)
    reference = tmp_path_factory.mktemp("fast-reference")
    shutil.copytree(ROOT / "data" / "reference", reference, dirs_exist_ok=True)
    site = tmp_path_factory.mktemp("fast-site") / "site"
    env = {"EHPS_PROJECT_ROOT": str(root), "EHPS_DATA_DIR": str(data), "EHPS_REFERENCE_DIR": str(reference),
           "SOURCE_DATE_EPOCH": "1467331200"}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    try:
        outcome = build.build(**_asked(site), workers=1, log=lambda _m: None, progress=False)
    finally:
        mp.undo()
    assert outcome.ok and outcome.published, [f.describe() for f in outcome.failures]
    outcome.written_profile = json.loads((data / "cache" / profile.PROFILE_FILE).read_text(encoding="utf-8"))
    try:
        mp.setenv("EHPS_PROJECT_ROOT", str(root))
        for k, v in env.items():
            mp.setenv(k, v)
        recorded_by_the_build = current(root, data, site)
    finally:
        mp.undo()
    return root, data, reference, site, env, recorded_by_the_build, outcome


def _asked(site: Path) -> dict:
    """The request as ``ehps build --templates scorecard --areas E10000016 --engine builtin --site SITE``
    makes it."""
    return {"period": "latest", "areas": [KENT], "templates": ["scorecard"], "engine": "builtin", "site_dir": site}


def _snapshot(*folders: Path) -> dict[Path, dict[Path, bytes]]:
    return {f: {p: p.read_bytes() for p in f.rglob("*") if p.is_file()} for f in folders}


def _restore(snapshot: dict[Path, dict[Path, bytes]]) -> None:
    for folder, files in snapshot.items():
        for p in [p for p in folder.rglob("*") if p.is_file() and p not in files]:
            p.unlink()
        for p, data in files.items():
            if not p.is_file() or p.read_bytes() != data:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)


@pytest.fixture
def ws(workspace, monkeypatch):
    """The workspace, recorded as it is; every file a test changes is put back afterwards."""
    root, data, reference, site, env, _recorded, _outcome = workspace
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    saved = _snapshot(root, site.resolve().parent)
    remember(root, data, site)  # the workspace as it is now is the recorded one
    yield root, data, reference, site
    _restore(saved)


def _req(root: Path, site: Path, **changes) -> dict:
    asked = {"period": "latest", "areas": [KENT], "templates": ["scorecard"], "engine": "builtin",
             "release": None, **changes}
    return fastpath.request(**asked, site=site, reports=root / "reports")


def remember(root: Path, data: Path, site: Path) -> None:
    before = fastpath.input_state(root, data, root / "reports")
    assert fastpath.remember(_req(root, site), root=root, data=data, site=site, reports=root / "reports",
                             before=before, papers=1, period="2016-17 Q1")


def current(root: Path, data: Path, site: Path, **changes) -> bool:
    return fastpath.check(_req(root, site, **changes), root=root, data=data, site=site,
                          reports=root / "reports") is not None


def _append(path: Path, text: str = "\n") -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


class TestWhatIsRecorded:
    def test_a_full_build_leaves_a_record_that_matches(self, workspace):
        assert workspace[5], "the build that published the site left no matching record"

    def test_the_notebooks_a_build_mirrors_into_reports_are_not_edits_during_the_build(self):
        before = {"results": {}, "reports": {"commentary/2016-17-Q4.yml": [1, 2, 3, 4]}, "mirror": None}
        after = {"results": {"x": [1]}, "mirror": None,
                 "reports": {"commentary/2016-17-Q4.yml": [1, 2, 3, 4], "2016-17-Q4/E10000016/scorecard.ipynb": [5]}}
        assert fastpath._unchanged_except_results(before, after)
        edited = {**after, "reports": {**after["reports"], "commentary/2016-17-Q4.yml": [1, 2, 9, 4]}}
        assert not fastpath._unchanged_except_results(before, edited)

    def test_every_input_folder_is_covered(self, ws):
        root, data, reference, site = ws
        state = fastpath.input_state(root, data, root / "reports")
        assert "publish/fastpath.py" in state["library"] and "config.yml" in state["library"]
        assert "indicators/catalogue.yml" in state["library"]
        assert "scorecard.ipynb" in state["notebooks"]
        assert any(name.endswith(".parquet") for name in state["processed"])
        assert any(name.endswith("indicators.parquet") for name in state["results"])
        assert state["reference"]["folder"] == str(reference.resolve()) and state["reference"]["files"]
        assert any(name.endswith("scorecard.ipynb") for name in state["reports"])  # the mirrored notebooks

    def test_a_file_rewritten_with_its_old_size_and_time_is_still_a_change(self, tmp_path):
        path = tmp_path / "a.txt"
        path.write_text("abc", encoding="utf-8")
        before = fastpath.tree_state(tmp_path)
        stat = path.stat()
        path.write_text("xyz", encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the modification time set back
        after = fastpath.tree_state(tmp_path)
        assert after["a.txt"][:2] == before["a.txt"][:2]  # same size, same modification time
        assert after != before  # but the status-change time moved

    def test_byte_code_and_checkpoints_are_not_inputs(self, tmp_path):
        (tmp_path / "m.py").write_text("x = 1\n", encoding="utf-8")
        before = fastpath.tree_state(tmp_path)
        (tmp_path / "__pycache__").mkdir()
        (tmp_path / "__pycache__" / "m.cpython-312.pyc").write_bytes(b"\0")
        (tmp_path / ".ipynb_checkpoints").mkdir()
        (tmp_path / ".ipynb_checkpoints" / "x.ipynb").write_text("{}", encoding="utf-8")
        assert fastpath.tree_state(tmp_path) == before
        (tmp_path / "n.py").write_text("", encoding="utf-8")
        assert set(fastpath.tree_state(tmp_path)) == {"m.py", "n.py"}


CHANGES = {
    "template edited": lambda root, data, ref, site: _append(root / "notebooks" / "scorecard.ipynb"),
    "template added": lambda root, data, ref, site: shutil.copy(root / "notebooks" / "scorecard.ipynb",
                                                                 root / "notebooks" / "extra.ipynb"),
    "commentary written": lambda root, data, ref, site: (
        (root / "reports" / "commentary").mkdir(parents=True, exist_ok=True),
        (root / "reports" / "commentary" / "2016-17-Q1.yml").write_text("commentary: {}\n", encoding="utf-8")),
    "paper details written": lambda root, data, ref, site: (
        (root / "reports" / "papers").mkdir(parents=True, exist_ok=True),
        (root / "reports" / "papers" / "default.yml").write_text("meeting: {}\n", encoding="utf-8")),
    "project file edited": lambda root, data, ref, site: _append(root / "_quarto.yml", "# edited\n"),
    "extract rewritten": lambda root, data, ref, site: [
        p.write_bytes(p.read_bytes()) for p in sorted((data / "processed").glob("*.parquet"))[:1]],
    "results rewritten": lambda root, data, ref, site: [
        p.write_bytes(p.read_bytes()) for p in sorted((data / "results").rglob("indicators.parquet"))[:1]],
    "reference data edited": lambda root, data, ref, site: [
        p.write_bytes(p.read_bytes()) for p in sorted(ref.rglob("*.csv"))[:1]],
    "published page edited": lambda root, data, ref, site: _append(
        next(site.resolve().rglob("scorecard.html")), "<!-- edited -->"),
    "published PDF deleted": lambda root, data, ref, site: next(site.resolve().rglob("scorecard.pdf")).unlink(),
    "site index deleted": lambda root, data, ref, site: (site.resolve() / "index.html").unlink(),
    "mirrored notebook deleted": lambda root, data, ref, site: next(
        (root / "reports").rglob("scorecard.ipynb")).unlink(),
}


@pytest.mark.slow
class TestAnyChangeRunsTheFullBuild:
    @pytest.mark.parametrize("change", list(CHANGES))
    def test_change(self, ws, change):
        root, data, reference, site = ws
        assert current(root, data, site)
        CHANGES[change](root, data, reference, site)
        assert not current(root, data, site), f"{change}: the fast path still said nothing to do"

    def test_a_library_file_is_an_input(self, ws, tmp_path, monkeypatch):
        root, data, _reference, site = ws
        library = tmp_path / "ehps_lib"
        shutil.copytree(Path(fastpath.config.__file__).parent, library,
                        ignore=shutil.ignore_patterns("__pycache__"))
        monkeypatch.setattr(fastpath, "_library_dir", lambda: library)
        remember(root, data, site)
        assert current(root, data, site)
        _append(library / "papers" / "charts.py", "# a change to the code\n")
        assert not current(root, data, site)

    def test_the_site_pointed_at_another_build(self, ws, tmp_path):
        root, data, _reference, site = ws
        live = site.resolve().parent
        other = live.parent / "other-build"
        shutil.copytree(live, other)
        target = os.readlink(site)
        try:
            os.remove(site)
            os.symlink(other / "site", site)
            assert not current(root, data, site)
        finally:
            os.remove(site)
            os.symlink(target, site)
            shutil.rmtree(other)

    @pytest.mark.parametrize("name,value", [("SOURCE_DATE_EPOCH", "1500000000"), ("EHPS_INLINE_STYLES", "1")])
    def test_an_environment_variable_that_changes_the_papers(self, ws, monkeypatch, name, value):
        root, data, _reference, site = ws
        monkeypatch.setenv(name, value)
        assert not current(root, data, site)

    @pytest.mark.parametrize("changes", [{"areas": [KENT, "E07000106"]}, {"templates": None},
                                         {"period": "2016-17 Q1"}, {"engine": "auto"}, {"release": False}])
    def test_another_request(self, ws, changes):
        root, data, _reference, site = ws
        assert not current(root, data, site, **changes)

    def test_another_build_holding_the_workspace(self, ws):
        root, data, _reference, site = ws
        code = ("import sys, time, fcntl\n"
                f"fh = open({str(data / fastpath.LOCK_FILE)!r}, 'a+')\n"
                "fcntl.lockf(fh, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(60)\n")
        holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            assert not current(root, data, site)
        finally:
            holder.kill()
            holder.wait()
        assert current(root, data, site)

    def test_what_an_interrupted_build_left(self, ws):
        root, data, _reference, site = ws
        half = data / "cache" / "runs" / ".0123abcd.staging"
        half.mkdir(parents=True)
        try:
            assert not current(root, data, site)  # the full build runs, and clears it
        finally:
            half.rmdir()
        assert current(root, data, site)
        staging = site.resolve().parent.parent / ".staging-x"
        staging.mkdir()
        try:
            assert not current(root, data, site)
        finally:
            staging.rmdir()

    def test_a_write_just_after_the_record_in_the_same_clock_tick(self, ws):
        root, data, _reference, site = ws
        notes = root / "reports" / "commentary" / "notes.yml"
        notes.parent.mkdir(parents=True, exist_ok=True)
        notes.write_text("a: 1\n", encoding="utf-8")
        remember(root, data, site)  # taken at once after that write
        notes.write_text("a: 2\n", encoding="utf-8")  # same size, written straight after the record
        assert not current(root, data, site)

    def test_a_damaged_record(self, ws):
        root, data, _reference, site = ws
        fastpath.record_path(_req(root, site), data).write_text("{not json", encoding="utf-8")
        assert not current(root, data, site)

    def test_no_record_is_kept_when_an_input_changed_during_the_build(self, ws):
        root, data, _reference, site = ws
        before = fastpath.input_state(root, data, root / "reports")
        _append(root / "notebooks" / "scorecard.ipynb")  # edited while the build ran
        assert not fastpath.remember(_req(root, site), root=root, data=data, site=site, reports=root / "reports",
                                     before=before, papers=1, period="2016-17 Q1")
        assert not fastpath.record_path(_req(root, site), data).exists()
        assert not current(root, data, site)


@pytest.mark.slow
class TestCommandLine:
    def _ehps(self, env: dict, site: Path, *extra: str) -> subprocess.CompletedProcess:
        code = ("import sys\nfrom ehps_lib.cli import main\n"
                "rc = main(sys.argv[1:])\n"
                "print('IMPORTED', sorted(m for m in ('pandas', 'matplotlib', 'pandera', 'weasyprint') "
                "if m in sys.modules))\nsys.exit(rc)\n")
        return subprocess.run([sys.executable, "-c", code, "build", "--templates", "scorecard", "--areas", KENT,
                               "--engine", "builtin", "--site", str(site), "--no-progress", *extra],
                              env={**os.environ, **env}, cwd=env["EHPS_PROJECT_ROOT"], capture_output=True,
                              text=True, timeout=600)

    def test_nothing_changed_answers_without_importing_pandas(self, ws, workspace):
        _root, _data, _reference, site = ws
        env = workspace[4]
        done = self._ehps(env, site)
        assert done.returncode == 0, done.stderr
        assert "Nothing to do: the site already holds these 1 paper(s) for 2016-17 Q1" in done.stdout
        assert "IMPORTED []" in done.stdout

    def test_no_cache_takes_the_full_path(self, ws, workspace):
        root, data, _reference, site = ws
        args = type("Args", (), {"no_cache": True})()
        assert fastpath.request_from_args(args) is None
        record = json.loads(fastpath.record_path(_req(root, site), data).read_text(encoding="utf-8"))
        assert record["papers"] == 1 and record["period"] == "2016-17 Q1"

    def test_after_a_change_the_full_build_runs_then_records_again(self, ws, workspace):
        root, _data, _reference, site = ws
        env = workspace[4]
        _append(root / "_quarto.yml", "# touched\n")  # not a paper input: the full check finds nothing to do
        done = self._ehps(env, site)
        assert done.returncode == 0, done.stderr
        assert "'pandas'" in done.stdout.split("IMPORTED", 1)[1] and "Nothing to do" in done.stdout
        again = self._ehps(env, site)
        assert "IMPORTED []" in again.stdout and "Nothing to do" in again.stdout


class TestProfile:
    def test_the_build_times_every_stage_of_its_one_paper(self, workspace):
        outcome = workspace[6]
        stages = outcome.profile
        for name in ("results", "plan", "imports", "secrets", "execute", "figures", "html", "pdf", "edition", "scan",
                     "cache", "publish", "gate"):
            assert name in stages, name
        for name in ("execute", "html", "pdf", "edition", "scan", "cache"):
            assert stages[name]["count"] == 1, name  # one paper, from the worker's profile
        assert stages["figures"]["count"] >= 1  # the scorecard draws charts
        assert all(s["wall"] >= 0 and s["cpu"] >= 0 for s in stages.values())
        written = outcome.written_profile  # DATA_DIR/cache/profile.json, read just after the build
        assert written["stages"] == stages and written["executed"] == 1

    def test_nested_stages_are_not_counted_twice_in_the_total(self):
        p = profile.Profile()
        p.add("execute", 3.0, 2.0)
        p.add("figures", 1.0, 1.0)
        p.add("pdf", 2.0, 1.5)
        p.merge({"pdf": {"wall": 1.0, "cpu": 0.5, "count": 1}})
        text = profile.table(p.as_dict(), elapsed=4.0)
        assert p.as_dict()["pdf"] == {"wall": 3.0, "cpu": 2.0, "count": 2}
        assert text.splitlines()[-2].split() == ["all", "6.00", "4.00"]  # execute + pdf, figures inside execute
        assert "  figures" in text and "the build took 4.00 s" in text
        assert list(p.as_dict()) == ["execute", "figures", "pdf"]  # pipeline order
        read_back = dict(sorted(p.as_dict().items()))  # as JSON with sorted keys gives it back
        assert [line.split()[0] for line in profile.table(read_back).splitlines()[1:4]] == ["execute", "figures",
                                                                                            "pdf"]
