"""The synthetic statutory returns: the calendar and scheduling they rest on, their marking as
synthetic, determinism, and the calibration against what seed 004 publishes for August 2016.

Published figures are the seed's own (:mod:`ehps_lib.data.returns.published`, every value with
its line); the calibration test reads the unsuppressed results the fixture computed from the
synthetic returns (``synthetic_returns_dir``).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from ehps_lib.data import io
from ehps_lib.data.returns import published
from ehps_lib.data.returns import synth as S  # noqa: N812 - short, as the tests use it throughout
from ehps_lib.data.returns.calendar import add_working_days, bank_holidays, working_days_between
from ehps_lib.data.returns.schedule import Months, largest_remainder, open_at, schedule
from ehps_lib.indicators import scs_calibration
from ehps_lib.indicators.catalogue import load_scs_catalogue


# -- calendar ---------------------------------------------------------------------------------------------
def test_bank_holidays_of_england_2016_and_2020():
    # gov.uk/bank-holidays: 2016 (Easter 25-28 March, Boxing Day substitute 27 December) and 2020
    # (the early May holiday moved to Friday 8 May for VE Day)
    assert [d.isoformat() for d in bank_holidays(2016, 2016)] == [
        "2016-01-01", "2016-03-25", "2016-03-28", "2016-05-02", "2016-05-30", "2016-08-29", "2016-12-26",
        "2016-12-27"]
    assert dt.date(2020, 5, 8) in bank_holidays(2020, 2020) and dt.date(2020, 5, 4) not in bank_holidays(2020, 2020)


def test_working_days_count_the_days_after_the_start_and_skip_bank_holidays():
    # Monday 22 August 2016 to Tuesday 30 August: 23, 24, 25, 26, 30 (the 29th a bank holiday)
    assert working_days_between(["2016-08-22"], ["2016-08-30"]).tolist() == [5.0]
    assert working_days_between(["2016-08-22"], ["2016-08-22"]).tolist() == [0.0]
    assert add_working_days(["2016-08-22"], 5).dt.strftime("%Y-%m-%d").tolist() == ["2016-08-30"]
    # 45 working days from Friday 18 March 2016: 7 in March (Good Friday the 25th and Easter Monday the
    # 28th off), 21 in April, then 3-6, 9-13, 16-20 and 23-25 May (2 May off) = 7 + 21 + 17
    assert add_working_days(["2016-03-18"], 45).dt.strftime("%Y-%m-%d").tolist() == ["2016-05-25"]


# -- scheduling -------------------------------------------------------------------------------------------------
def test_largest_remainder_keeps_the_total():
    assert largest_remainder(10, np.array([1.0, 1.0, 1.0])).tolist() == [4, 3, 3]
    assert largest_remainder(1145, np.array([194.0, 379, 339, 219, 14])).sum() == 1145


def test_schedule_meets_every_team_stock_and_start():
    months = Months(pd.period_range("2016-01", "2016-06", freq="M"))
    stock0 = np.array([20, 10])
    stock = np.array([[22, 24, 21, 20, 25, 26], [9, 12, 12, 15, 14, 13]])
    starts = np.array([[5, 6, 3, 4, 8, 5], [2, 5, 3, 6, 2, 1]])

    def durations(rng, teams):
        return rng.integers(30, 200, len(teams))

    out = schedule(np.random.default_rng(1), months, stock0, stock, starts, durations)
    assert not out.shortfalls
    for m in range(len(months)):
        assert open_at(out.spells, out.segments, int(months.last_day[m]), 2).tolist() == stock[:, m].tolist()
    opened = out.spells[out.spells["start"] >= months.first_day[0]]
    month_of = np.searchsorted(months.first_day, opened["start"].to_numpy(), side="right") - 1
    per_month = np.bincount(month_of, minlength=len(months))
    added = out.added if out.added is not None else np.zeros(len(months), dtype=int)
    # every start asked for, and more only where a stock rises faster than its starts
    assert per_month.tolist() == (starts.sum(axis=0) + added).tolist()


# -- the published figures ------------------------------------------------------------------------------------
def test_published_figures_are_the_seeds():
    sc = published.scorecard()
    assert (sc[2].latest, sc[2].rag, sc[2].numerator, sc[2].denominator) == (89.9, "Amber", 15127, 16833)
    assert (sc[9].latest, sc[9].rolling3, sc[9].rolling3_rag) == (67.7, 73.9, "Red")
    assert published.activity()["Kent"]["Caseloads - This month"] == 9444
    assert published.activity()["Kent"]["UASC LAC - This month"] == 798


def test_rate_path_runs_through_the_published_points():
    months = pd.period_range("2015-08", "2016-08", freq="M")
    snap = S.rate_path(months, 80.0, 82.9, 81.0, snapshot=True)  # ID 6: 1 year ago, 1 month ago, latest
    assert (snap[0], snap[-2], snap[-1]) == (pytest.approx(0.80), pytest.approx(0.829), pytest.approx(0.81))
    rolling = S.rate_path(pd.period_range("2015-09", "2016-08", freq="M"), 55.0, 66.8, 67.7, 73.9)  # ID 9
    assert rolling.mean() == pytest.approx(0.677, abs=0.005)  # the 12 months average to the latest value
    assert rolling[-3:] == pytest.approx([0.739] * 3)  # the last three are the rolling three months


# -- marking and determinism --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated():
    return S.generate_returns()


def test_everything_generated_is_marked_synthetic(generated, tmp_path):
    tables, _notes = generated
    assert tables["cin_child"]["LAchildID"].str.match(r"^SYNS\d{6}$").all()
    assert tables["ssda903_header"]["CHILD"].str.match(r"^SYNS\d{6}$").all()
    assert tables["cin_child"]["UPN"].dropna().str[1:4].eq("999").all()  # LA 999: no council has it
    assert tables["cin_header"]["SoftwareCode"].iloc[0].startswith("SYNTHETIC")
    paths = S.write_returns(tables, tmp_path, seed=S.DEFAULT_SEED, start=S.DEFAULT_START, end=S.DEFAULT_END)
    manifest = json.loads((tmp_path / io.EXTRACT_MANIFEST).read_text())
    assert manifest["synthetic"] is True and manifest["calibrated_to"] == "seed 004, Kent, 2016-08"
    assert {p.name for p in paths} >= {"cin_census.xml", "ssda903_Episodes.csv", "supplement_teams.csv"}
    assert b"SYNTHETIC" in (tmp_path / "cin_census.xml").read_bytes()[:2000]


def test_the_same_seed_gives_the_same_returns(generated):
    again, _ = S.generate_returns()
    tables, _ = generated
    for name in ("cin_details", "cin_assessment", "ssda903_episodes", "activities", "staffing"):
        pd.testing.assert_frame_equal(tables[name], again[name], check_exact=True)


def test_the_returns_reproduce_the_published_stocks_exactly(generated):
    tables, _ = generated
    end = pd.Timestamp("2016-08-31")
    cpp = tables["cin_cpp"]
    on_plan = (cpp["CPPstartDate"] <= end) & (cpp["CPPendDate"].isna() | (cpp["CPPendDate"] > end))
    assert int(on_plan.sum()) == 1145  # 004:3038
    uasc = set(tables["ssda903_uasc"]["CHILD"])
    e = tables["ssda903_episodes"]
    open_ = e[(e["DECOM"] <= end) & (e["DEC"].isna() | (e["DEC"] > end))]
    assert open_["CHILD"].nunique() == 2246 and open_["CHILD"].isin(uasc).sum() == 798  # 004:3038


def test_a_window_without_august_2016_is_refused():
    with pytest.raises(ValueError, match="calibrated to August 2016"):
        S.generate_returns(end=dt.date(2016, 7, 31))
    with pytest.raises(ValueError, match="must start by 1 September 2014"):
        S.generate_returns(start=dt.date(2015, 1, 1))


# -- calibration ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def calibration(synthetic_returns_dir):
    raw = pd.read_parquet(io.results_dir("2016-08", synthetic_returns_dir, kind="scs") / "internal"
                          / "unsuppressed.parquet")
    return scs_calibration.calibration_report(raw, load_scs_catalogue())


def test_the_calibration_report_shows_every_published_figure(calibration):
    sections = calibration.groupby("section", sort=False).size().to_dict()
    # the activity table (28 rows x 21 columns), the 45 rows' figures, the RAG count, the UASC page
    assert sections["SCS Activity"] == 28 * 21
    assert sections["RAG count"] == 3
    assert set(calibration.loc[calibration["section"] == "Scorecard - Kent", "figure"].str.split(".").str[0]
               .astype(int)) == set(range(1, 46))
    assert calibration["published"].notna().all()
    text = scs_calibration.format_report(calibration)
    assert text.startswith("SYNTHETIC RETURNS") and "of 3 within tolerance" in text


def test_the_synthetic_ratings_are_the_published_ones(calibration):
    # every Kent rating of August 2016 and the RAG count (22 Green, 20 Amber, 3 Red) are reproduced
    assert scs_calibration.ratings_differ(calibration) == []


def test_most_published_figures_are_within_tolerance(calibration):
    share = calibration["within"].mean()
    assert share >= 0.85, f"{share:.1%} within tolerance"
    activity = calibration[calibration["section"] == "SCS Activity"]
    assert activity["within"].mean() >= 0.95


def test_the_months_results_record_every_decision_for_the_next_months_to_honour(synthetic_returns_dir):
    from ehps_lib.indicators import scs_results

    ledger = io.read_ledger(synthetic_returns_dir, kind="scs")
    assert ledger is not None and list(ledger.columns) == scs_results.LEDGER_COLUMNS
    assert set(ledger["decided_for"]) == {"2016-08"} and not ledger.duplicated(scs_results.LEDGER_KEY).any()
    rows, meta = io.read_results("2016-08", synthetic_returns_dir, kind="scs")
    # every published numerator is recorded as published with its value; every withheld one as withheld
    key = ["indicator_id", "area_code", "period"]
    # the published rows do not name their window: compare the indicators published for one window only
    one = ledger.groupby("indicator_id")["window"].nunique().eq(1)
    led = ledger[(ledger["count"] == "numerator") & ledger["indicator_id"].map(one)]
    led = led.rename(columns={"value": "decided_value"}).set_index(key)
    both = rows.set_index(key).join(led[["decided_value", "status"]], how="inner")
    assert len(both) > 1000
    shown = both[both["status"] == "published"]
    assert len(shown) and (shown["numerator"] == shown["decided_value"]).all()
    assert both.loc[both["status"] == "withheld", "numerator"].isna().all()
    assert meta["suppression"]["cells_decided_before"] == 0
