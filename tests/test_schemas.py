"""Data contract: the pandera schemas and the data dictionary generated from them."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from ehps_lib.data import contract

ROOT = Path(__file__).resolve().parent.parent


def _cases(**overrides) -> pd.DataFrame:
    row = {"case_id": "EHC00000001", "child_id": "SYN0000001", "notification_id": "EHN00000001",
           "unit_id": "EHU-CAN-01", "district_code": "E07000106", "start_date": "2015-06-01",
           "end_date": "2015-09-30", "closure_reason": "POSITIVE", "stepped_down_from_scs": False}
    row.update(overrides)
    df = pd.DataFrame([row])
    for c in ("start_date", "end_date"):
        df[c] = pd.to_datetime(df[c])
    for c in ("case_id", "child_id", "notification_id", "unit_id", "district_code", "closure_reason"):
        df[c] = df[c].astype("string")
    df["stepped_down_from_scs"] = df["stepped_down_from_scs"].astype("boolean")
    return df


class TestTableSchema:
    def test_valid_case_passes(self):
        contract.table_schema("cases").validate(_cases())

    @pytest.mark.parametrize("overrides, fragment", [
        ({"end_date": "2015-05-01"}, "end_date is before start_date"),
        ({"closure_reason": None}, "if and only if"),
        ({"closure_reason": "HAPPY"}, "code must be one of"),
        ({"district_code": "E06000035"}, "code must be one of"),  # Medway is not in Kent CC
        ({"case_id": "x"}, "must match"),
    ])
    def test_each_rule_fails_on_its_own(self, overrides, fragment):
        with pytest.raises(pandera.errors.SchemaErrors) as info:
            contract.table_schema("cases").validate(_cases(**overrides), lazy=True)
        assert fragment in str(info.value.failure_cases["check"].tolist())

    def test_future_date_fails_with_extract_date(self):
        with pytest.raises(pandera.errors.SchemaErrors, match="after the extract date"):
            contract.table_schema("cases", pd.Timestamp("2015-08-31")).validate(_cases(), lazy=True)


class TestDataDictionary:
    def test_readme_holds_the_generated_dictionary(self):
        text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
        block = re.search(r"<!-- BEGIN DATA DICTIONARY.*?-->\n(.*)<!-- END DATA DICTIONARY -->", text, re.S)
        assert block, "data/README.md lost its generated block"
        assert block.group(1) == contract.data_dictionary_markdown(), (
            "data/README.md is out of step with ehps_lib/data/contract.py: regenerate it with `ehps dictionary`"
        )

    def test_every_column_is_documented(self):
        md = contract.data_dictionary_markdown()
        for spec in contract.TABLES.values():
            for col in spec.columns:
                assert f"| `{col.name}` |" in md
