"""The reference data committed with the workspace: whole, unchanged, with their provenance."""

from __future__ import annotations

import shutil
from pathlib import Path

from ehps_lib import config
from ehps_lib.data import reference

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "data" / "reference"


def test_the_committed_reference_data_match_their_checksums():
    assert reference.checksum_problems(COMMITTED) == []
    listed = (COMMITTED / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(listed) == 37  # the 37 data files SOURCES.md describes
    assert (COMMITTED / "SOURCES.md").is_file()


def test_a_changed_missing_or_unlisted_file_is_named(tmp_path):
    copy = tmp_path / "reference"
    shutil.copytree(COMMITTED, copy)
    (copy / "imd" / "kent_imd2015_lsoa11.csv").write_text("lsoa11cd\nE01000001\n", encoding="utf-8")
    (copy / "population" / "kent_mye2_mid2014_lad_syoa.csv").unlink()
    (copy / "extra.csv").write_text("x\n1\n", encoding="utf-8")
    problems = reference.checksum_problems(copy)
    assert problems == ["imd/kent_imd2015_lsoa11.csv: changed (its SHA-256 differs from SHA256SUMS)",
                        "population/kent_mye2_mid2014_lad_syoa.csv: listed in SHA256SUMS but missing",
                        "extra.csv: not listed in SHA256SUMS"]


def test_a_clone_finds_its_own_reference_data(monkeypatch):
    monkeypatch.delenv("EHPS_REFERENCE_DIR", raising=False)
    monkeypatch.setenv("EHPS_PROJECT_ROOT", str(ROOT))
    assert config.reference_dir() == COMMITTED.resolve()
    assert all("shared" not in str(path) for _, path in config.reference_candidates())


def test_missing_reference_data_says_where_it_looked_and_how_to_restore(monkeypatch, tmp_path):
    monkeypatch.setenv("EHPS_REFERENCE_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("EHPS_PROJECT_ROOT", str(tmp_path))
    try:
        config.reference_dir()
    except config.ReferenceDataNotFoundError as exc:
        text = str(exc)
    else:
        raise AssertionError("no error")
    assert "$EHPS_REFERENCE_DIR" in text and "data/reference" in text and "git checkout -- data/reference" in text
    assert "ehps data fetch" not in text
