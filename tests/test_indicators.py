"""Indicator engine: values worked out by hand on a tiny extract."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ehps_lib.config import ConfigError
from ehps_lib.geography import KENT_CODE
from ehps_lib.indicators import catalogue, engine

CAN, SEV, ASH = "E07000106", "E07000111", "E07000105"


def _typed(rows: list[dict], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c in dates:
            df[c] = pd.to_datetime(df[c])
        elif df[c].dtype == bool:
            df[c] = df[c].astype("boolean")
        else:
            df[c] = df[c].astype("string")
    return df


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Four children, five notifications and four cases, small enough to work out by hand."""
    children = _typed([
        {"child_id": "C1", "birth_month": "2012-05-01", "sex": "F", "lsoa11_code": "E01024042"},  # age 3 in 2015
        {"child_id": "C2", "birth_month": "2008-01-01", "sex": "M", "lsoa11_code": "E01024042"},  # age 7
        {"child_id": "C3", "birth_month": "2001-06-01", "sex": "M", "lsoa11_code": "E01024413"},  # age 14
        {"child_id": "C4", "birth_month": "1998-03-01", "sex": "F", "lsoa11_code": "E01024413"},  # age 17
    ], dates=("birth_month",))
    notifications = _typed([
        {"notification_id": "N1", "child_id": "C1", "date_received": "2015-04-02", "district_code": CAN},
        {"notification_id": "N2", "child_id": "C2", "date_received": "2015-04-20", "district_code": CAN},
        {"notification_id": "N3", "child_id": "C3", "date_received": "2015-05-11", "district_code": SEV},
        {"notification_id": "N4", "child_id": "C4", "date_received": "2015-06-30", "district_code": SEV},
        {"notification_id": "N5", "child_id": "C1", "date_received": "2015-07-01", "district_code": CAN},
    ], dates=("date_received",)).assign(source_org_type="SCHOOL", primary_reason="BEHAVIOUR",
                                        triage_outcome="EH_UNIT")
    cases = _typed([
        # opened before the extract, closed positively in May
        {"case_id": "K1", "child_id": "C1", "notification_id": None, "district_code": CAN, "start_date": "2014-11-03",
         "end_date": "2015-05-20", "closure_reason": "POSITIVE", "stepped_down_from_scs": False},
        # opened in April, stepped up in June
        {"case_id": "K2", "child_id": "C2", "notification_id": "N2", "district_code": CAN, "start_date": "2015-04-25",
         "end_date": "2015-06-10", "closure_reason": "STEP_UP_SCS", "stepped_down_from_scs": False},
        # step-down opened in May, still open
        {"case_id": "K3", "child_id": "C3", "notification_id": None, "district_code": SEV, "start_date": "2015-05-15",
         "end_date": None, "closure_reason": None, "stepped_down_from_scs": True},
        # opened and closed in June (positive), closes on the last day of the quarter
        {"case_id": "K4", "child_id": "C4", "notification_id": None, "district_code": SEV, "start_date": "2015-06-01",
         "end_date": "2015-06-30", "closure_reason": "POSITIVE", "stepped_down_from_scs": False},
    ], dates=("start_date", "end_date"))
    return {"children": children, "notifications": notifications, "cases": cases}


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return tiny_tables()


def _value(res, ind, area, period, band="all", col="value"):
    row = res[(res.indicator_id == ind) & (res.area_code == area) & (res.period == period)
              & (res.age_band == band)]
    assert len(row) == 1, (ind, area, period, band, len(row))
    return row.iloc[0][col]


class TestComputeResults:
    def test_notification_counts_by_month_quarter_and_band(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 7, 31))
        assert _value(res, "ehn_received", CAN, "2015-04") == 2
        assert _value(res, "ehn_received", SEV, "2015-05") == 1
        assert _value(res, "ehn_received", CAN, "2015-05") == 0  # true zero, not missing
        assert _value(res, "ehn_received", KENT_CODE, "2015-16 Q1") == 4
        assert _value(res, "ehn_received", KENT_CODE, "2015-16 Q1", "0-4") == 1
        assert _value(res, "ehn_received", KENT_CODE, "2015-16 Q1", "5-10") == 1
        assert _value(res, "ehn_received", KENT_CODE, "2015-16 Q1", "11-15") == 1
        assert _value(res, "ehn_received", KENT_CODE, "2015-16 Q1", "16+") == 1
        # July is a complete month, but its quarter is not over, so there is no Q2 row.
        assert _value(res, "ehn_received", CAN, "2015-07") == 1
        assert (res.period == "2015-16 Q2").sum() == 0

    def test_rate_per_10000_uses_band_population(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 6, 30))
        # Canterbury Q1 2015-16: 2 notifications. Population aged 0-17: nearest estimate to
        # 2015 is mid-2014, Canterbury 29,099 (population/kent_population_agebands_derived.csv).
        assert _value(res, "ehn_rate", CAN, "2015-16 Q1", col="denominator") == 29099
        assert _value(res, "ehn_rate", CAN, "2015-16 Q1") == pytest.approx(2 / 29099 * 10000)
        # 0-4 band: one notification over 7,676 children aged 0-4 in Canterbury mid-2014.
        assert _value(res, "ehn_rate", CAN, "2015-16 Q1", "0-4") == pytest.approx(1 / 7676 * 10000)

    def test_open_cases_snapshot(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 6, 30))
        # end of April: K1 (legacy) and K2 open in Canterbury
        assert _value(res, "cases_open", CAN, "2015-04") == 2
        # end of May: K1 closed on 20 May; K2 open; Sevenoaks K3 open
        assert _value(res, "cases_open", CAN, "2015-05") == 1
        assert _value(res, "cases_open", SEV, "2015-05") == 1
        # end of June: K2 closed 10 June, K4 closed 30 June; only K3 remains
        assert _value(res, "cases_open", KENT_CODE, "2015-06") == 1
        assert _value(res, "cases_open", KENT_CODE, "2015-16 Q1") == 1  # snapshot = quarter end

    def test_closures_positive_share_step_ups_and_downs(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 6, 30))
        assert _value(res, "cases_closed", KENT_CODE, "2015-16 Q1") == 3
        assert _value(res, "closed_positive_pct", KENT_CODE, "2015-16 Q1", col="numerator") == 2
        assert _value(res, "closed_positive_pct", KENT_CODE, "2015-16 Q1", col="denominator") == 3
        assert _value(res, "closed_positive_pct", KENT_CODE, "2015-16 Q1") == pytest.approx(200 / 3)
        assert _value(res, "closed_positive_pct", CAN, "2015-06") == 0.0  # 0 of 1
        assert pd.isna(_value(res, "closed_positive_pct", CAN, "2015-04"))  # no closures: no value
        assert _value(res, "step_ups", CAN, "2015-06") == 1
        assert _value(res, "step_downs", SEV, "2015-05") == 1
        # by age band for Kent only (catalogue `age_band_areas: county`, issue 9): a district's month
        # split four ways is mostly small counts
        assert _value(res, "step_downs", KENT_CODE, "2015-05", "11-15") == 1
        assert res[(res.indicator_id == "step_downs") & (res.area_code == SEV) & (res.age_band != "all")].empty

    def test_timeliness_and_repeat_measures(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 7, 31))
        # C1 was notified on 2 April and again on 1 July (90 days later): July is 1 of 1 repeats
        assert _value(res, "ehn_rereferral_pct", CAN, "2015-07") == 100.0
        assert _value(res, "ehn_rereferral_pct", KENT_CODE, "2015-16 Q1") == 0.0  # 0 of 4
        # K2 opened 25 April, 5 days after its notification (20 April): 1 of 1 within 15 days
        assert _value(res, "case_allocated_15d_pct", CAN, "2015-04") == 100.0
        # end of April, Canterbury: K1 open 178 days (over 20 weeks), K2 open 5 days -> 1 of 2
        assert _value(res, "cases_open_20wk_pct", CAN, "2015-04") == 50.0
        assert _value(res, "cases_open_20wk_pct", SEV, "2015-05") == 100.0
        # closures in Q1: 198 + 46 + 29 = 273 days = 39 weeks over 3 cases = 13.0 weeks
        assert _value(res, "case_duration_weeks", KENT_CODE, "2015-16 Q1") == pytest.approx(13.0)
        assert _value(res, "step_ups_pct", KENT_CODE, "2015-16 Q1") == pytest.approx(100 / 3)
        assert _value(res, "ehn_mh_rate", KENT_CODE, "2015-16 Q1") == 0.0

    def test_rolling_12_months_needs_a_year_of_data(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 7, 31))
        assert (res.indicator_id == "step_ups_r12m").sum() == 0

    def test_no_data_indicators_are_listed_but_not_computed(self, tables):
        cat = catalogue.load_catalogue()
        missing = [i for i, ind in cat.items() if not ind.has_data]
        # first-time entrants are computed from the youth justice table since issue 15
        assert "cypf_missing_children" in missing and "cypf_first_time_entrants" not in missing
        res = engine.compute_results(tables, dt.date(2015, 7, 31))
        assert not set(missing) & set(res.indicator_id)

    def test_every_area_present(self, tables):
        res = engine.compute_results(tables, dt.date(2015, 6, 30), include_scs_areas=True)
        assert res["area_code"].nunique() == 1 + 12 + 4
        assert _value(res, "ehn_received", "KENT-EAST", "2015-04") == 2  # Canterbury is in East Kent

    def test_period_after_extract_is_refused(self, tables):
        from ehps_lib.indicators import engine
        from ehps_lib.periods import Period

        with pytest.raises(ValueError, match="after the extract"):
            engine.compute_results(tables, dt.date(2015, 6, 30), up_to=Period.parse("2015-16 Q2"))


class TestCatalogue:
    def test_packaged_catalogue_loads(self):
        cat = catalogue.load_catalogue()
        assert {"ehn_received", "ehn_rate", "cases_open", "closed_positive_pct"} <= set(cat)

    def test_bad_polarity_names_the_entry_and_key(self):
        raw = {"indicators": [{"id": "x", "title": "X", "definition": "d", "numerator": "n", "unit": "count",
                               "polarity": "Z", "data_period": "month", "source": "s", "method": "event_count"}]}
        with pytest.raises(ConfigError, match=r"indicators\[0\] \(x\): 'polarity'"):
            catalogue.parse_catalogue(raw)

    def test_missing_key_is_named(self):
        raw = {"indicators": [{"id": "x", "title": "X"}]}
        with pytest.raises(ConfigError, match="missing key 'definition'"):
            catalogue.parse_catalogue(raw)
