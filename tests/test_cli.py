"""The `ehps` command: help for every subcommand, with an example; clear usage errors."""

from __future__ import annotations

import pytest

from ehps_lib import cli

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
