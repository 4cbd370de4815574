"""The `ehps` command: help for every subcommand, with an example; clear usage errors."""

from __future__ import annotations

import shutil

import pytest

from ehps_lib import cli, commands
from ehps_lib.data import io

COMMANDS = ["synth", "ingest", "indicators", "build", "check-disclosure", "dictionary"]


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert all(c in out for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_explains_itself_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "example" in out and f"ehps {command}" in out


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "usage: ehps" in capsys.readouterr().out


def test_bad_period_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EHPS_DATA_DIR", str(tmp_path))
    assert cli.main(["indicators", "--period", "2016-17 Q2"]) == 1
    assert "No validated extract" in capsys.readouterr().err


# -- issue 10: every error a user can cause is one message, status 1, no traceback --------------------------
def _run(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.strip()


def test_a_period_before_the_data(capsys, synthetic_data_dir, monkeypatch):
    monkeypatch.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
    code, err = _run(capsys, "indicators", "--period", "2010-11 Q1")
    assert code == 1
    assert err == ("ehps indicators: 2010-11 Q1 ends on 30 June 2010, before the extract's first notification "
                   "(1 January 2015): choose a period from 2014-15 Q4 to 2016-17 Q1")


def test_a_financial_year_is_not_a_pack_and_the_advice_is_not_circular(capsys):
    code, err = _run(capsys, "build", "--period", "FY2015-16")
    assert code == 1
    assert err == ("ehps build: FY2015-16 is a financial year, and `ehps build` makes a quarter's or a month's pack: "
                   "build its last quarter, --period \"2015-16 Q4\", whose papers show the year to date (`ehps "
                   "indicators --period FY2015-16` computes the year's figures)")


def test_a_damaged_parquet_file_names_itself_and_the_fix(capsys, synthetic_data_dir, tmp_path, monkeypatch):
    data = shutil.copytree(synthetic_data_dir, tmp_path / "data")
    (data / "processed" / "cases.parquet").write_bytes(b"PAR1 this is not Parquet")
    monkeypatch.setenv("EHPS_DATA_DIR", str(data))
    code, err = _run(capsys, "indicators", "--period", "latest")
    assert code == 1
    assert err.startswith(f"ehps indicators: {data / 'processed' / 'cases.parquet'} cannot be read as Parquet, it is "
                          "damaged (")
    assert err.endswith("ingest the extract again (`ehps ingest PATH...`, or `ehps synth` for the built-in synthetic "
                        "extract) to rewrite it")


def test_damaged_results_are_computed_again_not_read(synthetic_data_dir, tmp_path):
    from ehps_lib.indicators import results

    data = shutil.copytree(synthetic_data_dir, tmp_path / "data")
    results.ensure_results("latest", base=data)
    period, _, folder, computed = results.ensure_results("latest", base=data)
    assert not computed  # whole: reused
    (folder / io.RESULTS_FILE).write_bytes((folder / io.RESULTS_FILE).read_bytes()[:100])
    assert results.ensure_results("latest", base=data)[3]  # truncated: made again
    assert io.results_intact(period.slug, data)


def test_a_fault_of_ehps_says_so_and_debug_shows_where(capsys, monkeypatch):
    def broken(args):
        return 1 / 0

    monkeypatch.setattr(commands, "run_dictionary", broken)
    code, err = _run(capsys, "dictionary")
    assert code == 1
    assert err == ("ehps dictionary: unexpected error, a fault in ehps rather than in your data: ZeroDivisionError: "
                   "division by zero (run again with --debug to see where). Please report it.")
    assert cli.main(["dictionary", "--debug"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_an_impossible_extract_date_on_the_command_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        cli.main(["ingest", str(tmp_path), "--extract-date", "2017-06-31"])
    assert info.value.code == 2
    assert "'2017-06-31' is not a date: day is out of range for month (use YYYY-MM-DD)" in capsys.readouterr().err
