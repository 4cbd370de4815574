"""Validation before anything runs: periods and areas in every form people write, and the
catalogue's mistakes named by file, line and the nearest valid value."""

from __future__ import annotations

from importlib import resources

import pytest

from ehps_lib import config
from ehps_lib.config import ConfigError, read_yaml
from ehps_lib.geography import AreaError, resolve_area
from ehps_lib.indicators import catalogue
from ehps_lib.periods import Period, PeriodError

CATALOGUE_TEXT = resources.files("ehps_lib.indicators").joinpath("catalogue.yml").read_text(encoding="utf-8")


class TestPeriods:
    @pytest.mark.parametrize("text", ["2016-17 Q4", "2016-17-Q4", "2016/17 Q4", "2016/17 q4", "2016-2017 Q4",
                                      "Q4 2016-17", "q4 2016/17", " 2016-17  Q4 "])
    def test_quarters(self, text):
        p = Period.parse(text)
        assert (p.label, p.start.isoformat(), p.end.isoformat()) == ("2016-17 Q4", "2017-01-01", "2017-03-31")

    @pytest.mark.parametrize("text", ["2017-02", "2017-2", "2017/02", "February 2017", "Feb 2017", "feb-2017"])
    def test_months(self, text):
        assert Period.parse(text).label == "2017-02"

    @pytest.mark.parametrize("text", ["FY2016-17", "FY 2016/17", "fy2016-17", "2016/17"])
    def test_financial_years(self, text):
        p = Period.parse(text)
        assert (p.label, p.months) == ("FY2016-17", 12)

    def test_december_2011_is_still_a_month(self):
        assert Period.parse("2011-12").label == "2011-12"

    @pytest.mark.parametrize("text, words", [
        ("2016-18 Q4", "consecutive years, e.g. '2016-17'"),
        ("2016-13", "month must be 01 to 12"),
        ("Febuary 2017", "not a month name"),
        ("the last quarter", "Write a month like"),
    ])
    def test_mistakes_say_what_to_write(self, text, words):
        with pytest.raises(PeriodError, match=words.replace("(", r"\(").replace(")", r"\)")):
            Period.parse(text)


class TestAreas:
    @pytest.mark.parametrize("text, code", [
        ("Canterbury", "E07000106"), ("canterbury", "E07000106"), ("E07000106", "E07000106"),
        ("e07000106", "E07000106"), ("Folkestone & Hythe", "E07000112"), ("Shepway", "E07000112"),
        ("Tonbridge and Malling", "E07000115"), ("Kent", "E10000016"), ("East Kent", "KENT-EAST"),
        ("KENT-EAST", "KENT-EAST"), ("CAN", "E07000106"),
    ])
    def test_names_codes_and_old_names(self, text, code):
        assert resolve_area(text) == code

    def test_a_misspelt_area_suggests_the_nearest(self):
        with pytest.raises(AreaError, match=r"'Tunbridge Wels' is not a Kent area\. Did you mean Tunbridge Wells "
                                            r"\(E07000116\)\?"):
            resolve_area("Tunbridge Wels")

    def test_medway_is_not_kent(self):
        with pytest.raises(AreaError):
            resolve_area("Medway")


def _with(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _parse(text: str):
    doc = read_yaml(text, "catalogue.yml")
    return catalogue.parse_catalogue(doc.data, doc, "catalogue.yml")


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


class TestCatalogueValidation:
    def test_the_packaged_catalogue_is_valid(self):
        assert len(_parse(CATALOGUE_TEXT)) == len(catalogue.load_catalogue())

    def test_a_misspelt_code_names_file_line_indicator_and_the_code(self):
        bad = _with(CATALOGUE_TEXT, "where: {primary_reason: [CHILD_EMOTIONAL]}",
                    "where: {primary_reason: [CHILD_EMOTINAL]}")
        line = _line_of(bad, "CHILD_EMOTINAL")
        with pytest.raises(ConfigError) as exc:
            _parse(bad)
        text = str(exc.value)
        assert text.startswith(f"catalogue.yml, line {line}: ")
        assert "(ehn_mh_rate)" in text and "'CHILD_EMOTINAL' is not a code of notifications.primary_reason" in text
        assert "Did you mean 'CHILD_EMOTIONAL'?" in text

    def test_a_misspelt_column_or_table_or_key(self):
        with pytest.raises(ConfigError, match=r"'date_recieved' is not a column of the notifications table\. "
                                              r"Did you mean 'date_received'\?"):
            _parse(_with(CATALOGUE_TEXT, "params: {table: notifications, date: date_received}",
                         "params: {table: notifications, date: date_recieved}"))
        with pytest.raises(ConfigError, match=r"'table' must name a table of the extract, got 'notification'\. "
                                              r"Did you mean 'notifications'\?"):
            _parse(_with(CATALOGUE_TEXT, "params: {table: notifications, date: date_received}",
                         "params: {table: notification, date: date_received}"))
        with pytest.raises(ConfigError, match=r"unknown key 'targte'\. Did you mean 'target'\?"):
            _parse(_with(CATALOGUE_TEXT, "    target: 1490", "    targte: 1490"))

    def test_notes_may_name_only_the_targets_the_indicator_has(self):
        with pytest.raises(ConfigError, match=r"the notes name \{tagret\}.*Did you mean 'target'\?"):
            _parse(_with(CATALOGUE_TEXT, "the target is {target} and the minimum standard (the baseline) {floor}. "
                         "The target is for Kent; district figures are not rated against it.'\n    seed_ref",
                         "the target is {tagret}.'\n    seed_ref"))

    def test_a_yaml_syntax_error_is_one_sentence_with_line_and_column(self):
        bad = _with(CATALOGUE_TEXT, "  - id: ehn_rate\n", "  - id: ehn_rate\n   title: [unclosed\n")
        with pytest.raises(ConfigError) as exc:
            _parse(bad)
        text = str(exc.value)
        assert text.startswith("catalogue.yml, line ") and "column" in text and "not valid YAML" in text
        assert "\n" not in text and "Traceback" not in text


def test_did_you_mean_only_suggests_something_close():
    assert config.did_you_mean("SCHOOOL", ["SCHOOL", "HEALTH"]) == " Did you mean 'SCHOOL'?"
    assert config.did_you_mean("xyz", ["SCHOOL", "HEALTH"]) == ""
