"""Synthetic extract generator: determinism, the data contract, cross-table rules, calibration."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from ehps_lib import __version__
from ehps_lib.data import contract, reference, synth
from ehps_lib.geography import DISTRICT_SHORT, DISTRICTS

START, END, SEED = dt.date(2014, 4, 1), dt.date(2017, 3, 31), 20140401
CAN, SEV = "E07000106", "E07000111"


@pytest.fixture(scope="module")
def extract() -> dict[str, pd.DataFrame]:
    """The default extract, generated once for the module."""
    return synth.generate_extract(SEED, START, END)


@pytest.fixture(scope="module")
def report(extract) -> pd.DataFrame:
    return synth.calibration_report(extract)


def _typed_from_text(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Parse a table read back from CSV (all text) into the contract's types, by hand."""
    out = {}
    for col in contract.TABLES[name].columns:
        text = df[col.name]
        if col.kind == "date":
            out[col.name] = pd.to_datetime(text, format="%Y-%m-%d")
        elif col.kind == "month":
            out[col.name] = pd.to_datetime(text, format="%Y-%m")
        elif col.kind == "bool":
            out[col.name] = text.map({"Y": True, "N": False}).astype("boolean")
        else:
            out[col.name] = text.astype("string")
    return pd.DataFrame(out).astype(contract.empty_table(name).dtypes.to_dict())


# -- determinism ----------------------------------------------------------------------------------
def test_same_seed_and_dates_give_identical_tables(extract):
    again = synth.generate_extract(SEED, START, END)
    for name in ("children", "notifications", "cases"):
        pd.testing.assert_frame_equal(extract[name], again[name])


def test_another_seed_gives_other_tables(extract):
    other = synth.generate_extract(SEED + 1, START, END)
    assert not other["notifications"]["date_received"].equals(extract["notifications"]["date_received"])


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="after start"):
        synth.generate_extract(SEED, END, START)


# -- the data contract -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["children", "notifications", "cases"])
def test_tables_pass_the_contract(extract, name):
    contract.table_schema(name, pd.Timestamp(END)).validate(extract[name], lazy=True)


def test_children_were_born_when_the_model_says(extract):
    # every child is 0-17 when first seen, and the earliest record is a legacy case opened
    # at most 18 months before April 2014: nobody was born before October 1994
    births = extract["children"]["birth_month"]
    assert births.min() >= pd.Timestamp("1994-10-01")
    assert births.max() <= pd.Timestamp(END)


def test_columns_and_dtypes_are_the_contracts(extract):
    for name, df in extract.items():
        expected = contract.empty_table(name, if_present=True).dtypes  # the generator fills every column
        assert list(df.columns) == list(expected.index)
        assert df.dtypes.to_dict() == expected.to_dict()


def test_identifiers_have_the_agreed_form_and_tables_are_sorted_by_them(extract):
    assert extract["children"]["child_id"].str.fullmatch(r"SYN\d{7}").all()
    assert extract["notifications"]["notification_id"].str.fullmatch(r"EHN\d{8}").all()
    assert extract["cases"]["case_id"].str.fullmatch(r"EHC\d{8}").all()
    for name, key in (("children", "child_id"), ("notifications", "notification_id"), ("cases", "case_id")):
        assert extract[name][key].is_monotonic_increasing
        assert extract[name][key].is_unique


# -- cross-table rules -----------------------------------------------------------------------------
def _check_cross_table_rules(tables: dict[str, pd.DataFrame], start: dt.date, end: dt.date) -> None:
    ch, notes, cases = tables["children"], tables["notifications"], tables["cases"]
    end_ts = pd.Timestamp(end)
    assert notes["child_id"].isin(ch["child_id"]).all()
    assert cases["child_id"].isin(ch["child_id"]).all()
    assert cases["notification_id"].dropna().isin(notes["notification_id"]).all()
    district_of_lsoa = reference.lsoa_lookup().set_index("lsoa11_code")["district_code"]
    home = ch.set_index("child_id")["lsoa11_code"].map(district_of_lsoa)
    assert home.notna().all(), "every home is a Kent LSOA"
    assert (notes["district_code"] == notes["child_id"].map(home)).all()
    assert (cases["district_code"] == cases["child_id"].map(home)).all()
    assert (cases["end_date"].isna() | (cases["end_date"] >= cases["start_date"])).all()
    assert (cases["end_date"].isna() == cases["closure_reason"].isna()).all()
    for df, cols in ((notes, ["date_received"]), (cases, ["start_date", "end_date"]), (ch, ["birth_month"])):
        for col in cols:
            assert (df[col].dropna() <= end_ts).all(), f"{col} after the extract date"
    assert (notes["date_received"] >= pd.Timestamp(start)).all()
    birth = notes["child_id"].map(ch.set_index("child_id")["birth_month"])
    assert (notes["date_received"] >= birth).all()
    # the cases that point at a notification were opened after it, within three weeks
    linked = cases.dropna(subset=["notification_id"]).merge(notes, on="notification_id", suffixes=("", "_n"))
    delay = (linked["start_date"] - linked["date_received"]).dt.days
    assert delay.between(1, 23).all()
    assert (linked["triage_outcome"] == "EH_UNIT").all()
    assert (linked["child_id"] == linked["child_id_n"]).all()
    # step-downs have no notification
    assert cases.loc[cases["stepped_down_from_scs"], "notification_id"].isna().all()


def test_cross_table_rules_default_extract(extract):
    _check_cross_table_rules(extract, START, END)


@pytest.mark.parametrize(("seed", "start", "end"), [
    (SEED, START, dt.date(2019, 3, 31)),  # the 5-year benchmark extract
    (7, dt.date(2015, 4, 1), dt.date(2016, 3, 31)),  # starts after the model's epoch
    (7, dt.date(2013, 1, 1), dt.date(2014, 6, 30)),  # starts before it
])
def test_cross_table_rules_other_ranges(seed, start, end):
    tables = synth.generate_extract(seed, start, end)
    _check_cross_table_rules(tables, start, end)
    for name in ("notifications", "cases"):
        contract.table_schema(name, pd.Timestamp(end)).validate(tables[name], lazy=True)


def test_notification_ages_are_0_to_17(extract):
    notes, ch = extract["notifications"], extract["children"]
    birth = notes["child_id"].map(ch.set_index("child_id")["birth_month"])
    months = (notes["date_received"].dt.year * 12 + notes["date_received"].dt.month) - (
        birth.dt.year * 12 + birth.dt.month)
    assert (months // 12).between(0, 17).all()


def test_a_child_never_has_two_cases_open_at_once(extract):
    cases = extract["cases"].sort_values(["child_id", "start_date"])
    previous_end = cases.groupby("child_id")["end_date"].shift()
    has_previous = cases.groupby("child_id").cumcount() > 0
    overlapping = has_previous & (previous_end.isna() | (previous_end >= cases["start_date"]))
    assert not overlapping.any()


def test_some_children_are_notified_more_than_once(extract):
    notes = extract["notifications"]
    share = 1 - notes["child_id"].nunique() / len(notes)
    assert 0.12 <= share <= 0.25


def test_units_44_in_all_allocated_by_need_and_in_the_cases_district(extract):
    allocation = synth.unit_allocation()
    assert sum(allocation.values()) == 44
    assert set(allocation) == set(DISTRICTS) and min(allocation.values()) >= 2
    assert allocation[CAN] > allocation[SEV]
    cases = extract["cases"]
    short_to_code = {v: k for k, v in DISTRICT_SHORT.items()}
    assert cases["unit_id"].str.fullmatch(r"EHU-[A-Z]{3}-\d{2}").all()
    assert (cases["unit_id"].str[4:7].map(short_to_code) == cases["district_code"]).all()
    assert cases["unit_id"].nunique() == 44


def test_deprived_lsoas_have_higher_rates_within_districts(extract):
    lookup = reference.lsoa_lookup().set_index("lsoa11_code")
    pop = reference.lsoa_population(2017).set_index("lsoa11_code")["pop_0_17"]
    home = extract["notifications"]["child_id"].map(extract["children"].set_index("child_id")["lsoa11_code"])
    counts = home.value_counts().reindex(lookup.index, fill_value=0)
    by_decile = counts.groupby(lookup["imd_decile"]).sum() / pop.groupby(lookup["imd_decile"]).sum()
    assert 2.0 <= by_decile[1] / by_decile[10] <= 4.5


# -- writing -------------------------------------------------------------------------------------
def test_write_extract_text_format_and_manifest(extract, tmp_path):
    paths = synth.write_extract(extract, tmp_path, seed=SEED, start=START, end=END)
    assert [p.name for p in paths] == ["children.csv", "notifications.csv", "cases.csv", "youth_justice.csv",
                                       "exclusions.csv", "extract.json"]
    manifest = json.loads((tmp_path / "extract.json").read_text())
    assert manifest["synthetic"] is True
    assert manifest["generator"] == "ehps synth"
    assert (manifest["seed"], manifest["start"], manifest["end"]) == (SEED, "2014-04-01", "2017-03-31")
    assert manifest["extract_date"] == "2017-03-31"
    assert manifest["ehps_lib_version"] == __version__
    children = pd.read_csv(tmp_path / "children.csv", dtype=str, keep_default_na=False)
    assert children["birth_month"].str.fullmatch(r"\d{4}-\d{2}").all()
    cases = pd.read_csv(tmp_path / "cases.csv", dtype=str, keep_default_na=False)
    assert set(cases["stepped_down_from_scs"]) == {"Y", "N"}
    assert cases["start_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    open_cases = cases["end_date"] == ""
    assert open_cases.any() and (cases.loc[open_cases, "closure_reason"] == "").all()
    first_line = (tmp_path / "cases.csv").read_text().splitlines()[0]
    assert first_line == ",".join(contract.TABLES["cases"].column_names)


def test_extract_read_back_from_csv_equals_the_tables_and_calibrates_the_same(extract, report, tmp_path):
    synth.write_extract(extract, tmp_path, seed=SEED, start=START, end=END)
    back = {}
    for name in extract:  # every table the generator makes, the optional youth justice and exclusions too
        text = pd.read_csv(tmp_path / f"{name}.csv", dtype="string", keep_default_na=False, na_values=[""])
        back[name] = _typed_from_text(text, name)
        pd.testing.assert_frame_equal(back[name], extract[name])
    pd.testing.assert_frame_equal(synth.calibration_report(back), report)


# -- calibration -----------------------------------------------------------------------------------
def test_report_has_the_agreed_columns(report):
    assert list(report.columns) == ["figure", "source", "period", "published", "synthetic", "tolerance",
                                    "within"]
    assert report["within"].dtype == bool
    assert len(report) >= 20


def test_default_extract_is_within_every_tolerance(report):
    outside = report.loc[~report["within"], ["figure", "period", "published", "synthetic", "tolerance"]]
    assert outside.empty, "\n" + outside.to_string()


def test_report_covers_the_figures_of_the_brief(report):
    periods = set(zip(report["figure"], report["period"], strict=True))
    for figure, period in [
        ("Notifications received", "June 2015"),
        ("Notifications received", "Sep 2014 to Mar 2015"),
        ("Notifications aged 16+ (%)", "June 2015"),
        ("Notifications from schools (%)", "Sep 2014 to Mar 2015"),
        ("Notifications a month, lowest to highest", "Jan to Dec 2016"),
        ("Cases stepped down from SCS", "June 2015"),
        ("Cases open to Early Help Units", "31 July 2016"),
        ("Cases closed a month", "May and June 2015"),
        ("Mean length of cases closed (weeks)", "closed in 2015"),
        ("Largest change in the monthly mean length of closed cases (weeks)", "Apr 2014 to Mar 2017"),
        ("Cases closed", "July 2016"),
        ("Closures with a positive outcome (%)", "January 2015"),
        ("Closures with a positive outcome (%)", "July 2016"),
        ("Closures stepped up to SCS (%)", "Jan to Dec 2015"),
    ]:
        assert (figure, period) in periods
    assert report["figure"].str.contains("Canterbury / Sevenoaks").any()
    assert report["figure"].str.startswith("August notifications").any()


def test_another_seed_passes_most_figures():
    other = synth.calibration_report(synth.generate_extract(7, START, END))
    assert other["within"].mean() >= 0.85


def test_format_report_is_aligned_and_ends_with_the_count(report):
    text = synth.format_report(report)
    lines = text.splitlines()
    assert lines[-1] == f"{len(report)} of {len(report)} figures within tolerance"
    assert "SYNTHETIC" in lines[0]
    header, rule = lines[1], lines[2]
    assert header.startswith("Figure") and set(rule) <= {"-", " "}
    # every column starts at the same place on every row
    source_at = header.index("Source")
    for line in lines[3:3 + len(report)]:
        assert line[source_at - 2:source_at] == "  " and line[source_at] != " "


def _tiny_tables() -> dict[str, pd.DataFrame]:
    """Two children, three notifications and five cases, by hand."""
    children = pd.DataFrame({
        "child_id": ["SYN0000001", "SYN0000002"],
        "birth_month": pd.to_datetime(["2008-03-01", "2010-07-01"]),
        "sex": ["F", "M"],
        "lsoa11_code": ["E01024042", "E01024413"],
    })
    notifications = pd.DataFrame({
        "notification_id": ["EHN00000001", "EHN00000002", "EHN00000003"],
        "child_id": ["SYN0000001", "SYN0000002", "SYN0000001"],
        "date_received": pd.to_datetime(["2015-01-05", "2015-01-12", "2015-01-20"]),
        "source_org_type": ["SCHOOL", "HEALTH", "SCHOOL"],
        "primary_reason": ["BEHAVIOUR", "HOUSEHOLD_MH", "BEHAVIOUR"],
        "district_code": [CAN, SEV, CAN],
        "triage_outcome": ["EH_UNIT", "EH_UNIT", "NFA"],
    })
    cases = pd.DataFrame({
        "case_id": [f"EHC0000000{i}" for i in range(1, 6)],
        "child_id": ["SYN0000001", "SYN0000002", "SYN0000001", "SYN0000002", "SYN0000001"],
        "notification_id": [None, None, "EHN00000001", "EHN00000002", None],
        "unit_id": ["EHU-CAN-01", "EHU-SEV-01", "EHU-CAN-01", "EHU-SEV-01", "EHU-CAN-02"],
        "district_code": [CAN, SEV, CAN, SEV, CAN],
        "start_date": pd.to_datetime(["2014-10-01", "2014-11-03", "2015-01-08", "2015-01-14", "2014-06-02"]),
        "end_date": pd.to_datetime(["2015-01-09", "2015-01-16", "2015-01-22", "2015-01-30", "2015-02-02"]),
        "closure_reason": ["POSITIVE", "POSITIVE", "STEP_UP_SCS", "POSITIVE", "POSITIVE"],
        "stepped_down_from_scs": [False, True, False, False, False],
    })
    return {name: df.astype(contract.empty_table(name).dtypes.to_dict())
            for name, df in (("children", children), ("notifications", notifications), ("cases", cases))}


def test_positive_outcome_share_worked_by_hand():
    # January 2015 closures: 9th (positive), 16th (positive), 22nd (step-up), 30th (positive);
    # the case closed on 2 February is not in January. 3 positive of 4 closures = 75.0%.
    report = synth.calibration_report(_tiny_tables(), extract_date=dt.date(2015, 1, 31))
    row = report[(report["figure"] == "Closures with a positive outcome (%)")
                 & (report["period"] == "January 2015")]
    assert len(row) == 1
    assert row["synthetic"].iloc[0] == 75.0
    assert row["published"].iloc[0] == "49.2%"
    assert not row["within"].iloc[0]  # 75.0 is 25.8 points from 49.2


def test_report_leaves_out_periods_the_extract_does_not_cover():
    report = synth.calibration_report(_tiny_tables(), extract_date=dt.date(2015, 1, 31))
    assert not report["period"].str.contains("2016").any()
    assert not (report["period"] == "June 2015").any()


def test_open_cases_and_closures_worked_by_hand():
    # A case is open at the end of a day if it started on or before it and has not closed by then.
    cases = _tiny_tables()["cases"]
    # 31 Dec 2014: EHC1, EHC2, EHC5 (EHC3 and EHC4 start in January)
    assert synth._open_at(cases, "2014-12-31").sum() == 3
    # 9 Jan 2015: EHC1 closed that day; EHC2, EHC3 (started the 8th), EHC5; EHC4 starts on the 14th
    assert synth._open_at(cases, "2015-01-09").sum() == 3
    # 15 Jan 2015: EHC2, EHC3, EHC4, EHC5
    assert synth._open_at(cases, "2015-01-15").sum() == 4
    # closures in January 2015 (9th, 16th, 22nd, 30th): 4; the one on 2 February is not counted
    assert synth._in_month(cases["end_date"], "2015-01").sum() == 4


def test_canterbury_sevenoaks_ratio_worked_by_hand():
    # Jan-Mar 2016: Canterbury 6 notifications, Sevenoaks 2 (plus one escalated to SCS, left out).
    # Populations aged 0-17 (ONS mid-2017, the estimate nearest 2016): Canterbury 29,546,
    # Sevenoaks 26,631. Ratio = (6 / 29,546) / (2 / 26,631) = 3 x 26,631 / 29,546 = 2.704.
    pop = reference.population(2016).set_index("area_code")["age_0_17"]
    assert (pop[CAN], pop[SEV]) == (29546, 26631)
    n = 9
    notifications = pd.DataFrame({
        "notification_id": [f"EHN{i:08d}" for i in range(1, n + 1)],
        "child_id": ["SYN0000001"] * 6 + ["SYN0000002"] * 3,
        "date_received": pd.to_datetime(["2016-01-04", "2016-01-11", "2016-02-01", "2016-02-15", "2016-03-01",
                                         "2016-03-30", "2016-01-06", "2016-02-10", "2016-03-15"]),
        "source_org_type": ["SCHOOL"] * n,
        "primary_reason": ["BEHAVIOUR"] * n,
        "district_code": [CAN] * 6 + [SEV] * 3,
        "triage_outcome": ["EH_UNIT"] * 8 + ["ESCALATED_SCS"],
    })
    tables = _tiny_tables()
    tables["notifications"] = notifications.astype(contract.empty_table("notifications").dtypes.to_dict())
    report = synth.calibration_report(tables, extract_date=dt.date(2016, 3, 31))
    row = report[report["figure"].str.contains("Canterbury / Sevenoaks")]
    assert row["synthetic"].iloc[0] == 2.70
    assert not row["within"].iloc[0]  # above 2.6
