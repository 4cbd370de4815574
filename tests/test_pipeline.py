"""`ehps indicators` end to end: synthetic extract → ingest → published, suppressed results."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ehps_lib import cli
from ehps_lib.data import io, synth
from ehps_lib.data.ingest import ingest
from ehps_lib.geography import DISTRICTS, KENT_CODE


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("data")
    tables = synth.generate_extract(5, dt.date(2015, 4, 1), dt.date(2016, 9, 30))
    synth.write_extract(tables, base / "extract", seed=5, start=dt.date(2015, 4, 1), end=dt.date(2016, 9, 30))
    assert ingest([base / "extract"], data_dir=base, max_reject_share=0.0).published
    return base


def test_indicators_command_writes_suppressed_results(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("EHPS_DATA_DIR", str(data_dir))
    assert cli.main(["indicators", "--period", "2016-17 Q2"]) == 0
    assert "2016-17 Q2 (SYNTHETIC DATA)" in capsys.readouterr().out
    csv = pd.read_csv(io.results_dir("2016-17-Q2", data_dir) / io.RESULTS_CSV)
    quarter = csv[csv["period"] == "2016-17 Q2"]
    assert set(quarter["area_code"]) >= {KENT_CODE, *DISTRICTS}
    # no count from 1 to 4 anywhere in the published file, in any period
    for col in ("numerator", "denominator"):
        assert not csv[col].between(1, 4).any(), col
    # suppressed rows are marked and carry no value; some small counts were indeed withheld
    assert csv["suppressed"].any()
    assert csv.loc[csv["suppressed"], "value"].isna().all()
    # the unsuppressed figures stay inside data/, in internal/, for quality assurance
    internal = io.results_dir("2016-17-Q2", data_dir) / "internal"
    raw = pd.read_parquet(internal / "unsuppressed.parquet")
    assert raw["numerator"].between(1, 4).any()
    audit = pd.read_csv(internal / "suppression_audit.csv")
    assert {"primary", "secondary"} <= set(audit["reason"])


def test_period_after_the_extract_is_refused(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("EHPS_DATA_DIR", str(data_dir))
    assert cli.main(["indicators", "--period", "2016-17 Q3"]) == 1
    assert "after the extract date" in capsys.readouterr().err
