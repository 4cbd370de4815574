"""Engine: age bands of every throughput and outcome measure, age-range rates, youth justice,
Children's Centre registration and population groups, worked out by hand on a tiny extract."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from ehps_lib.config import ConfigError
from ehps_lib.geography import KENT_CODE
from ehps_lib.indicators import catalogue, engine

CAN, SEV = "E07000106", "E07000111"
#: Their SCS areas (Canterbury is in East Kent, Sevenoaks in North Kent): districts' age bands are
#: made for quarters only, the areas' monthly too; with records in no other district of either
#: area, an area's figure is its district's.
EAST, NORTH = "KENT-EAST", "KENT-NORTH"
ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def _typed(rows: list[dict], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:
        if c in dates:
            df[c] = pd.to_datetime(df[c])
        elif df[c].dtype == bool or c in ("in_care", "first_time", "looked_after", "supervised",
                                          "stepped_down_from_scs"):
            df[c] = df[c].astype("boolean")
        else:
            df[c] = df[c].astype("string")
    return df


def tables(registered: str | None = "2013-01-10") -> dict[str, pd.DataFrame]:
    """Six children; ages in mid-2015: A 3, B 7, C 13-14, D 17, E 15, F 15."""
    children = _typed([
        {"child_id": "A", "birth_month": "2012-05-01", "lsoa11_code": "E01024042", "in_care": False,
         "cc_registered_date": registered},
        {"child_id": "B", "birth_month": "2008-01-01", "lsoa11_code": "E01024042", "in_care": False,
         "cc_registered_date": None},
        {"child_id": "C", "birth_month": "2001-06-01", "lsoa11_code": "E01024413", "in_care": True,
         "cc_registered_date": None},
        {"child_id": "D", "birth_month": "1998-03-01", "lsoa11_code": "E01024413", "in_care": False,
         "cc_registered_date": None},
        {"child_id": "E", "birth_month": "2000-02-01", "lsoa11_code": "E01024042", "in_care": False,
         "cc_registered_date": None},
        {"child_id": "F", "birth_month": "1999-09-01", "lsoa11_code": "E01024413", "in_care": True,
         "cc_registered_date": None},
    ], dates=("birth_month", "cc_registered_date"))
    notifications = _typed([
        {"notification_id": "N1", "child_id": "A", "date_received": "2015-04-02", "district_code": CAN},
        {"notification_id": "N2", "child_id": "B", "date_received": "2015-04-20", "district_code": CAN},
        {"notification_id": "N3", "child_id": "C", "date_received": "2015-05-11", "district_code": SEV},
        {"notification_id": "N4", "child_id": "D", "date_received": "2015-06-30", "district_code": SEV},
    ], dates=("date_received",)).assign(source_org_type="SCHOOL", primary_reason="BEHAVIOUR",
                                        triage_outcome="EH_UNIT")
    cases = _typed([
        {"case_id": "K1", "child_id": "A", "district_code": CAN, "start_date": "2014-11-03",
         "end_date": "2015-05-20", "closure_reason": "POSITIVE", "stepped_down_from_scs": False},
        {"case_id": "K2", "child_id": "B", "district_code": CAN, "start_date": "2015-04-25",
         "end_date": "2015-06-10", "closure_reason": "STEP_UP_SCS", "stepped_down_from_scs": False},
        {"case_id": "K3", "child_id": "C", "district_code": SEV, "start_date": "2015-05-15",
         "end_date": None, "closure_reason": None, "stepped_down_from_scs": True},
        {"case_id": "K4", "child_id": "D", "district_code": SEV, "start_date": "2015-06-01",
         "end_date": "2015-06-30", "closure_reason": "POSITIVE", "stepped_down_from_scs": False},
        {"case_id": "K5", "child_id": "A", "district_code": CAN, "start_date": "2015-06-15",
         "end_date": None, "closure_reason": None, "stepped_down_from_scs": False},
    ], dates=("start_date", "end_date"))
    youth_justice = _typed([
        {"outcome_id": "Y1", "child_id": "E", "district_code": CAN, "outcome_date": "2015-04-10",
         "outcome_type": "YOUTH_CAUTION", "first_time": True, "looked_after": False, "supervised": False,
         "supervision_end_date": None},
        {"outcome_id": "Y2", "child_id": "E", "district_code": CAN, "outcome_date": "2015-05-20",
         "outcome_type": "REFERRAL_ORDER", "first_time": False, "looked_after": True, "supervised": True,
         "supervision_end_date": "2015-06-15"},
        {"outcome_id": "Y3", "child_id": "F", "district_code": SEV, "outcome_date": "2015-06-02",
         "outcome_type": "CUSTODY", "first_time": False, "looked_after": True, "supervised": True,
         "supervision_end_date": None},
        {"outcome_id": "Y4", "child_id": "F", "district_code": SEV, "outcome_date": "2014-12-01",
         "outcome_type": "DISCHARGE_OR_FINE", "first_time": True, "looked_after": False, "supervised": False,
         "supervision_end_date": None},
    ], dates=("outcome_date", "supervision_end_date"))
    return {"children": children, "notifications": notifications, "cases": cases, "youth_justice": youth_justice}


EXTRACT = dt.date(2015, 6, 30)


def _value(res, ind, area, period, band="all"):
    row = res[(res.indicator_id == ind) & (res.area_code == area) & (res.period == period) & (res.age_band == band)]
    assert len(row) == 1, (ind, area, period, band, len(row))
    return row["value"].iloc[0]


def _trial(**entry) -> dict:
    base = {"id": "trial", "title": "Trial", "definition": "d", "numerator": "n", "unit": "count", "polarity": "N",
            "data_period": "month", "source": "s"}
    return {**catalogue.load_catalogue(), **catalogue.parse_catalogue({"indicators": [{**base, **entry}]})}


@pytest.fixture(scope="module")
def res():
    return engine.compute_results(tables(), EXTRACT, include_scs_areas=True, indicator_ids=[
        "cases_open", "cases_closed", "closed_positive_pct", "cases_open_20wk_pct", "case_duration_weeks",
        "step_ups", "yj_cic_caseload", "yj_caseload",
        "ehn_received__in_care", "cases_open__in_care"])


class TestAgeBands:
    def test_open_cases_by_age_at_the_month_end(self, res):
        # end of April: K1 (A, 35 months old = 2) and K2 (B, 87 months = 7) open in Canterbury
        assert _value(res, "cases_open", EAST, "2015-04", "0-4") == 1
        assert _value(res, "cases_open", EAST, "2015-04", "5-10") == 1
        assert _value(res, "cases_open", CAN, "2015-04") == 2
        # end of May: K1 closed on the 20th; K3 (C, 167 months = 13) opened in Sevenoaks
        assert _value(res, "cases_open", EAST, "2015-05", "0-4") == 0
        assert _value(res, "cases_open", NORTH, "2015-05", "11-15") == 1
        # end of June: K2 closed on the 10th, K4 closed on the 30th (closed by the month's end),
        # K5 (A again, aged 3) opened on the 15th
        assert _value(res, "cases_open", EAST, "2015-06", "0-4") == 1
        assert _value(res, "cases_open", NORTH, "2015-06", "16+") == 0
        assert _value(res, "cases_open", KENT_CODE, "2015-06") == 2  # K3 and K5

    def test_closures_and_outcomes_by_age_at_closure(self, res):
        assert _value(res, "cases_closed", EAST, "2015-05", "0-4") == 1  # K1, A aged 3
        assert _value(res, "cases_closed", NORTH, "2015-06", "16+") == 1  # K4, D aged 17 (207 months)
        assert _value(res, "step_ups", EAST, "2015-06", "5-10") == 1  # K2
        # quarter: K1 positive (0-4), K2 stepped up (5-10), K4 positive (16+): 2 of 3
        assert _value(res, "closed_positive_pct", KENT_CODE, "2015-16 Q1") == pytest.approx(200 / 3)
        assert _value(res, "closed_positive_pct", KENT_CODE, "2015-16 Q1", "5-10") == 0.0
        assert _value(res, "closed_positive_pct", KENT_CODE, "2015-16 Q1", "16+") == 100.0

    def test_twenty_week_standard_and_duration_by_age(self, res):
        # end of May, Sevenoaks: K3 open 16 days (aged 13)
        assert _value(res, "cases_open_20wk_pct", NORTH, "2015-05", "11-15") == 100.0
        # end of April, Canterbury: K1 open 178 days (over 20 weeks, aged 2), K2 5 days (aged 7)
        assert _value(res, "cases_open_20wk_pct", EAST, "2015-04", "0-4") == 0.0
        assert _value(res, "cases_open_20wk_pct", EAST, "2015-04", "5-10") == 100.0
        # K1 lasted 3 November to 20 May: 27 + 31 + 31 + 28 + 31 + 30 + 20 = 198 days
        assert _value(res, "case_duration_weeks", KENT_CODE, "2015-16 Q1", "0-4") == pytest.approx(198 / 7)

    def test_districts_bands_are_for_quarters_only(self, res):
        # the quarter, Canterbury: K1 (A, 0-4) and K2 (B, 5-10) closed; Sevenoaks: K4 (D, 16+)
        assert _value(res, "cases_closed", CAN, "2015-16 Q1", "0-4") == 1
        assert _value(res, "cases_closed", CAN, "2015-16 Q1", "5-10") == 1
        assert _value(res, "cases_closed", SEV, "2015-16 Q1", "16+") == 1
        months = res[res.area_code.isin([CAN, SEV]) & (res.period_kind == "month")]
        assert len(months) and (months.age_band == "all").all()
        assert not months.indicator_id.str.contains("__").any()  # nor a population group's month
        assert _value(res, "cases_open", CAN, "2015-05") == 1  # a district's month in total stays

    def test_all_ages_is_the_sum_of_the_bands(self, res):
        part = res[(res.indicator_id == "cases_open") & res.period.isin(["2015-05", "2015-16 Q1"])]
        for area, g in part[part.age_band != "all"].groupby(["area_code", "period"]):
            g = part[(part.area_code == area[0]) & (part.period == area[1])]
            bands = g[g.age_band != "all"]["numerator"].sum()
            assert bands == g[g.age_band == "all"]["numerator"].iloc[0], area


class TestAgeRangeRates:
    def test_rate_over_the_population_of_those_ages(self):
        cat = _trial(id="eha_trial", unit="rate per 10,000 aged 0-4", per=10000, method="event_rate",
                     params={"table": "cases", "date": "start_date", "ages": [0, 4]})
        res = engine.compute_results(tables(), EXTRACT, indicator_ids=["eha_trial"], catalogue=cat)
        # June: K5 (A, aged 3) opened in Canterbury; K4 (D, 17) in Sevenoaks is outside the ages.
        # Population: Canterbury aged 0-4 in the mid-2014 estimate (the nearest to 2015), read here
        # from the ONS file itself.
        mye = pd.read_csv(ROOT / "data/reference/population/kent_mye2_mid2014_lad_syoa.csv")
        can = mye[(mye["CODE"] == CAN) & (mye["SEX"] == "persons")]
        pop = sum(int(can[str(a)].iloc[0]) for a in range(5))
        assert pop == 7676  # = age_0_4 of the derived band file for 2014
        assert _value(res, "eha_trial", CAN, "2015-06") == pytest.approx(1 / pop * 10000)
        assert _value(res, "eha_trial", SEV, "2015-06") == 0.0
        # April: K2 is B, aged 7
        assert _value(res, "eha_trial", CAN, "2015-04") == 0.0


class TestYouthJustice:
    def test_first_time_entrants(self):
        cat = _trial(id="fte_trial", method="event_count",
                     params={"table": "youth_justice", "date": "outcome_date", "where": {"first_time": [True]}})
        res = engine.compute_results(tables(), EXTRACT, indicator_ids=["fte_trial"], catalogue=cat)
        assert _value(res, "fte_trial", CAN, "2015-04") == 1  # Y1; Y4 is before the extract
        assert _value(res, "fte_trial", KENT_CODE, "2015-16 Q1") == 1

    def test_custody_as_a_share_of_court_disposals(self):
        # the catalogue's definition over a quarter instead of 12 months (the extract has three months)
        params = catalogue.load_catalogue()["yj_custody_pct"].params
        cat = _trial(id="custody_trial", unit="%", method="event_share", params=params)
        res = engine.compute_results(tables(), EXTRACT, indicator_ids=["custody_trial"], catalogue=cat)
        # Q1 court disposals: Y2 (referral order) and Y3 (custody); Y1 is a caution, not a court disposal
        assert _value(res, "custody_trial", KENT_CODE, "2015-16 Q1") == 50.0
        assert _value(res, "custody_trial", CAN, "2015-04") != _value(res, "custody_trial", CAN, "2015-04")  # none

    def test_caseload_snapshots(self, res):
        assert _value(res, "yj_caseload", CAN, "2015-04") == 0  # Y1 was not supervised
        assert _value(res, "yj_cic_caseload", CAN, "2015-05") == 1  # Y2 until 15 June
        assert _value(res, "yj_cic_caseload", CAN, "2015-06") == 0
        assert _value(res, "yj_cic_caseload", SEV, "2015-06") == 1  # Y3, still in custody

    @pytest.mark.parametrize("days, month, num, den", [
        # 30 days: counted a month later; Y1 (10 April) is followed by Y2 after 40 days: not within 30
        (30, "2015-05", 0, 1),
        # 45 days: counted two months later (June), and followed within 45
        (45, "2015-06", 1, 1),
    ])
    def test_followed_within_days(self, days, month, num, den):
        cat = _trial(id="re_trial", unit="%", method="followed_within_days_share",
                     params={"table": "youth_justice", "date": "outcome_date", "days": days})
        res = engine.compute_results(tables(), EXTRACT, indicator_ids=["re_trial"], catalogue=cat)
        row = res[(res.indicator_id == "re_trial") & (res.area_code == CAN) & (res.period == month)
                  & (res.age_band == "all")].iloc[0]
        assert (row["numerator"], row["denominator"]) == (num, den)


class TestChildrensCentresAndGroups:
    @staticmethod
    def _monthly_reach(t):
        # the catalogue's definition by month instead of over 12 months (the extract has three)
        params = catalogue.load_catalogue()["cc_reach_ehn_0_4"].params
        cat = _trial(id="reach_trial", unit="%", method="child_date_share", params=params)
        return engine.compute_results(t, EXTRACT, indicator_ids=["reach_trial"], catalogue=cat)

    def test_registered_before_the_notification(self):
        # April, Canterbury: N1 is about A (aged 2), registered in 2013; N2 (B, aged 7) is outside 0-4
        assert _value(self._monthly_reach(tables()), "reach_trial", CAN, "2015-04") == 100.0

    def test_registered_after_the_notification_does_not_count(self):
        res = self._monthly_reach(tables(registered="2015-05-01"))
        assert _value(res, "reach_trial", CAN, "2015-04") == 0.0

    def test_population_group_breakdown(self, res):
        # C is flagged in care: N3 (May, Sevenoaks) and K3 (open at the ends of May and June)
        assert _value(res, "ehn_received__in_care", NORTH, "2015-05") == 1
        assert _value(res, "ehn_received__in_care", SEV, "2015-16 Q1") == 1
        assert _value(res, "ehn_received__in_care", EAST, "2015-04") == 0
        assert _value(res, "ehn_received__in_care", CAN, "2015-16 Q1") == 0
        assert _value(res, "cases_open__in_care", NORTH, "2015-06") == 1
        assert _value(res, "cases_open__in_care", SEV, "2015-16 Q1") == 1  # open at the quarter's end
        assert _value(res, "cases_open__in_care", KENT_CODE, "2015-06") == 1

    def test_an_extract_without_the_flags_or_tables_leaves_their_measures_out(self):
        # issue 15 changed this from zeros: a measure never exported is not counted from nothing
        # (a zero would be rated, e.g. no first-time entrants: Green); the papers say what was missing
        bare = tables()
        bare["children"] = bare["children"].drop(columns=["in_care", "cc_registered_date"])
        del bare["youth_justice"]
        res = engine.compute_results(bare, EXTRACT, indicator_ids=["ehn_received__in_care", "yj_caseload",
                                                                   "ehn_received"])
        assert set(res["indicator_id"]) == {"ehn_received"}
        none = engine.compute_results(bare, EXTRACT, indicator_ids=["ehn_received__in_care", "yj_caseload"])
        assert none.empty and list(none.columns) == list(catalogue.RESULT_COLUMNS)


class TestCatalogueRules:
    def test_group_breakdowns_are_indicators_of_their_own(self):
        cat = catalogue.load_catalogue()
        ind = cat["closed_positive_pct__in_care"]
        assert ind.base_id == "closed_positive_pct" and ind.population_group == "in_care"
        assert ind.params["child_where"] == {"in_care": [True]} and ind.target is None and not ind.age_bands

    @pytest.mark.parametrize("entry, message", [
        ({"polarity": "H", "target": 10, "floor": 12}, r"the floor \(minimum standard\) 12 is above the target 10"),
        ({"polarity": "L", "target": 10, "floor": 8}, r"the floor \(minimum standard\) 8 is below the target 10"),
        ({"method": "event_count", "params": {"table": "cases", "date": "start_date", "ages": [5]}},
         r"'ages' must be \[youngest, oldest\]"),
        ({"method": "event_count", "params": {"table": "cases", "date": "start_date"}, "groups": ["in_carre"]},
         r"'in_carre' is not a population group\. Did you mean 'in_care'\?"),
        ({"method": "event_count", "params": {"table": "cases", "date": "start_date",
                                              "child_where": {"in_care": ["Y"]}}},
         "children.in_care is true or false"),
        ({"method": "child_date_share", "params": {"table": "cases", "date": "start_date",
                                                   "child_date": "birth_montth"}},
         "'child_date' must name a date column of the children table"),
        ({"id": "x__y", "method": "event_count", "params": {"table": "cases", "date": "start_date"}},
         "an id may not contain '__'"),
    ])
    def test_refused_with_a_reason(self, entry, message):
        base = {"id": "x", "title": "X", "definition": "d", "numerator": "n", "unit": "count", "polarity": "N",
                "data_period": "month", "source": "s", "status": "no data source yet"}
        if "method" in entry:
            base.pop("status")
        with pytest.raises(ConfigError, match=message):
            catalogue.parse_catalogue({"indicators": [{**base, **entry}]})
