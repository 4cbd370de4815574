"""Tests of ehps_lib.indicators.deprivation: the deprivation profile and the suppressed deprivation gradient.

Expected values are worked out by hand in the comments from six made-up neighbourhoods:

    LSOA  district    IMD decile  quintile  children 0-17
    A     Canterbury   1          1         1,000
    B     Canterbury   2          1         2,000
    C     Canterbury   5          3         1,500
    D     Canterbury  10          5           500
    E     Thanet       1          1         1,000
    F     Thanet       6          3         2,000

The other ten districts have no neighbourhoods here, so all their groups are "structural"
(no neighbourhoods: their zero is known to everyone and is never withheld to protect another).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ehps_lib.indicators import deprivation as dep
from ehps_lib.periods import Period

KENT, CAN, THA = "E10000016", "E07000106", "E07000114"
PERIOD = Period.parse("2016-17 Q4")  # window: April 2016 to March 2017
EXTRACT_DATE = dt.date(2017, 3, 31)


def tiny_lsoas() -> pd.DataFrame:
    rows = [("A", CAN, 1, 1000), ("B", CAN, 2, 2000), ("C", CAN, 5, 1500), ("D", CAN, 10, 500),
            ("E", THA, 1, 1000), ("F", THA, 6, 2000)]
    df = pd.DataFrame(rows, columns=["lsoa11_code", "district_code", "imd_decile", "pop_0_17"])
    return df.assign(imd_quintile=(df["imd_decile"] + 1) // 2, population_year=2017)


def tiny_tables(notifications_per_lsoa: dict[str, int], closures: dict[str, tuple[int, int]]) -> dict:
    """One child per LSOA; ``closures`` maps LSOA to (cases closed, of which positive)."""
    lsoas = tiny_lsoas()
    children = pd.DataFrame({"child_id": [f"C{x}" for x in lsoas["lsoa11_code"]],
                             "lsoa11_code": lsoas["lsoa11_code"], "birth_month": pd.Timestamp("2008-01-01")})
    district = dict(zip(lsoas["lsoa11_code"], lsoas["district_code"], strict=True))
    notes = []
    for lsoa, n in notifications_per_lsoa.items():
        notes += [{"child_id": f"C{lsoa}", "date_received": pd.Timestamp("2016-06-15"),
                   "district_code": district[lsoa], "primary_reason": "BEHAVIOUR"}] * n
    # outside the window: March 2016 (also makes the extract start in March 2016)
    notes.append({"child_id": "CA", "date_received": pd.Timestamp("2016-03-31"), "district_code": CAN,
                  "primary_reason": "BEHAVIOUR"})
    cases = []
    for lsoa, (closed, positive) in closures.items():
        for i in range(closed):
            cases.append({"child_id": f"C{lsoa}", "district_code": district[lsoa],
                          "start_date": pd.Timestamp("2016-01-10"), "end_date": pd.Timestamp("2016-09-30"),
                          "closure_reason": "POSITIVE" if i < positive else "OTHER"})
    # closed before the window, and still open: neither counts
    cases.append({"child_id": "CA", "district_code": CAN, "start_date": pd.Timestamp("2015-01-10"),
                  "end_date": pd.Timestamp("2016-02-01"), "closure_reason": "POSITIVE"})
    cases.append({"child_id": "CA", "district_code": CAN, "start_date": pd.Timestamp("2016-05-10"),
                  "end_date": pd.NaT, "closure_reason": None})
    return {"children": children, "notifications": pd.DataFrame(notes), "cases": pd.DataFrame(cases)}


NOTIFICATIONS = {"A": 30, "B": 10, "C": 6, "D": 0, "E": 20, "F": 3}
CLOSURES = {"A": (10, 8), "B": (10, 9), "C": (20, 15), "E": (12, 6)}


def _raw(indicators=("ehn_rate",)) -> pd.DataFrame:
    return dep.gradient_counts(tiny_tables(NOTIFICATIONS, CLOSURES), PERIOD, EXTRACT_DATE, lsoas=tiny_lsoas(),
                               indicator_ids=indicators)


def _cell(df: pd.DataFrame, area: str, grouping: str, group: int, ind: str = "ehn_rate") -> pd.Series:
    sel = df[(df["indicator_id"] == ind) & (df["area_code"] == area) & (df["grouping"] == grouping)
             & (df["group"] == group)]
    assert len(sel) == 1
    return sel.iloc[0]


class TestGradientCounts:
    def test_counts_only_the_window_and_divides_by_children(self):
        raw = _raw()
        # Canterbury quintile 1 = A + B = 30 + 10 = 40 notifications (the March 2016 one is outside
        # the window) over 1,000 + 2,000 children: 40 / 3,000 x 10,000 = 133.33 per 10,000
        q1 = _cell(raw, CAN, dep.QUINTILE, 1)
        assert q1["numerator"] == 40 and q1["denominator"] == 3000 and q1["lsoas"] == 2
        assert q1["value"] == pytest.approx(133.3333, abs=1e-3)
        # Kent decile 1 = A + E = 50 over 2,000 children = 250 per 10,000
        d1 = _cell(raw, KENT, dep.DECILE, 1)
        assert (d1["numerator"], d1["denominator"], d1["value"]) == (50, 2000, pytest.approx(250.0))
        # Canterbury quintile 5 = D: no notifications, 500 children: a true zero
        q5 = _cell(raw, CAN, dep.QUINTILE, 5)
        assert (q5["numerator"], q5["value"], q5["lsoas"]) == (0, 0.0, 1)
        # Canterbury has no neighbourhood in quintile 2: no children, no value
        q2 = _cell(raw, CAN, dep.QUINTILE, 2)
        assert q2["lsoas"] == 0 and np.isnan(q2["value"])

    def test_every_group_of_every_area_is_listed_once(self):
        raw = _raw()
        # Kent: 10 deciles + 5 quintiles; each of the 12 districts: 5 quintiles
        assert len(raw) == 10 + 5 + 12 * 5
        assert not raw.duplicated(["indicator_id", "area_code", "grouping", "group"]).any()
        assert set(raw["months"]) == {12}
        assert raw["window_start"].iloc[0] == pd.Timestamp("2016-04-01")
        assert set(raw["imd_vintage"]) == {"IMD 2019"} and set(raw["lsoa_vintage"]) == {"LSOA 2011"}

    def test_share_counts_closures_in_the_window_by_outcome(self):
        raw = _raw(("closed_positive_pct",))
        # Canterbury quintile 1: A 8 of 10 + B 9 of 10 = 17 of 20 = 85%; the case closed in February
        # 2016 and the open case are not counted
        q1 = _cell(raw, CAN, dep.QUINTILE, 1, "closed_positive_pct")
        assert (q1["numerator"], q1["denominator"], q1["value"]) == (17, 20, pytest.approx(85.0))
        # Thanet quintile 3 (F): no cases closed, so no percentage
        assert np.isnan(_cell(raw, THA, dep.QUINTILE, 3, "closed_positive_pct")["value"])

    def test_the_window_is_the_latest_complete_financial_year(self):
        # Issue 9: windows of 12 months to each quarter's end overlapped from pack to pack (and the
        # first year's were shorter), so differencing two packs gave quarterly counts by group.
        # Financial years never overlap: every quarter of 2016-17 up to Q3 shows April 2015 to March 2016.
        for label in ("2016-17 Q1", "2016-17 Q2", "2016-17 Q3"):
            w = dep.gradient_window(Period.parse(label))
            assert (w.start, w.end, w.months) == (dt.date(2015, 4, 1), dt.date(2016, 3, 31), 12)
        w = dep.gradient_window(PERIOD)
        assert (w.start, w.end) == (dt.date(2016, 4, 1), dt.date(2017, 3, 31))

    def test_no_gradient_before_the_first_complete_financial_year(self):
        # the extract starts in November 2016: no complete April-to-March year by March 2017 (the old
        # code published November to March, and then the growing windows of the next packs)
        with pytest.raises(dep.DeprivationError, match="No complete financial year"):
            dep.gradient_window(PERIOD, first_month=2016 * 12 + 10)

    def test_unknown_indicator_and_unsupported_method_are_errors(self):
        tables = tiny_tables(NOTIFICATIONS, CLOSURES)
        with pytest.raises(dep.DeprivationError, match="Unknown indicator"):
            dep.gradient_counts(tables, PERIOD, EXTRACT_DATE, lsoas=tiny_lsoas(), indicator_ids=("nope",))
        with pytest.raises(dep.DeprivationError, match="cannot be split by neighbourhood"):
            dep.gradient_counts(tables, PERIOD, EXTRACT_DATE, lsoas=tiny_lsoas(), indicator_ids=("cases_open",))

    def test_a_child_outside_the_reference_lsoas_is_an_error(self):
        tables = tiny_tables(NOTIFICATIONS, CLOSURES)
        tables["children"].loc[0, "lsoa11_code"] = "Z"
        with pytest.raises(dep.DeprivationError, match="outside Kent's reference data"):
            dep.gradient_counts(tables, PERIOD, EXTRACT_DATE, lsoas=tiny_lsoas(), indicator_ids=("ehn_rate",))


def _withheld(published: pd.DataFrame, ind: str) -> set[tuple[str, str, int]]:
    sel = published[(published["indicator_id"] == ind) & published["suppressed"]]
    return set(zip(sel["area_code"], sel["grouping"], sel["group"], strict=True))


class TestSuppression:
    def test_small_counts_and_the_cells_that_would_reveal_them(self):
        published, audit = dep.suppress_gradient(_raw(), threshold=4)
        # Primary: Thanet quintile 3 (F) = 3 and Kent decile 6 (F) = 3.
        # Secondary, smallest relations first (sizes 3, 5, 10, 13), repeated until stable:
        #  - Kent quintile 3 = decile 5 + decile 6 (9 = 6 + 3): decile 6 alone withheld, so decile 5 (6) too;
        #  - Thanet's quintiles add up to its published total: quintile 3 alone withheld, and the
        #    others are structural except quintile 1 (20): withheld;
        #  - Kent quintile 1 = the districts' quintile 1 (60 = 40 + 20): Thanet's alone withheld,
        #    the smaller of Kent (60) and Canterbury (40) is withheld: Canterbury quintile 1;
        #  - Kent quintile 3 = districts' (9 = 6 + 3): the smaller of Kent (9) and Canterbury (6): Canterbury;
        #  - then every relation has 0 or at least 2 withheld cells.
        expected = {(THA, dep.QUINTILE, 3), (KENT, dep.DECILE, 6), (KENT, dep.DECILE, 5),
                    (THA, dep.QUINTILE, 1), (CAN, dep.QUINTILE, 1), (CAN, dep.QUINTILE, 3)}
        assert _withheld(published, "ehn_rate") == expected
        reasons = dict(zip(zip(audit["area_code"], audit["grouping"], audit["group"], strict=True), audit["reason"],
                           strict=True))
        assert reasons[(THA, dep.QUINTILE, 3)] == "primary" and reasons[(KENT, dep.DECILE, 6)] == "primary"
        assert reasons[(CAN, dep.QUINTILE, 1)] == "secondary"
        # Kent quintile 1 (60) stays published: it is the sum of two withheld cells
        assert _cell(published, KENT, dep.QUINTILE, 1)["numerator"] == 60

    def test_withheld_rows_carry_no_figures_and_populations_stay(self):
        published, _ = dep.suppress_gradient(_raw(), threshold=4)
        row = _cell(published, THA, dep.QUINTILE, 3)
        assert row["suppressed"] and np.isnan(row["numerator"]) and np.isnan(row["value"])
        assert np.isnan(row["ci_lower"]) and np.isnan(row["ci_upper"]) and row["ci_method"] is None
        assert row["denominator"] == 2000  # a population (public), not a count of records

    def test_published_rates_have_byar_intervals(self):
        published, _ = dep.suppress_gradient(_raw(), threshold=4)
        d1 = _cell(published, KENT, dep.DECILE, 1)
        # Byar for x = 50: lower 50 (1 - 1/450 - 1.96/(3 sqrt 50))^3 = 37.108, upper
        # 51 (1 - 1/459 + 1.96/(3 sqrt 51))^3 = 65.920; over 2,000 children x 10,000: 185.54 to 329.60
        assert d1["ci_lower"] == pytest.approx(185.54, abs=0.01)
        assert d1["ci_upper"] == pytest.approx(329.60, abs=0.01)
        assert d1["ci_method"] == "Byars"

    def test_percentages_use_the_complement_rule(self):
        published, audit = dep.suppress_gradient(_raw(("closed_positive_pct",)), threshold=4)
        # Complement: Canterbury quintile 1 is 17 of 20 (3 not positive) and Kent decile 2 (B) 9 of 10
        # (1 not positive): their numerators are withheld.
        # Secondary (numerators), first pass: Kent q1 = d1 + d2 (23 = 14 + 9) -> d1 (14, smaller than 23);
        # Canterbury (q1 17 withheld; q3 15, q5 0) -> q3 (non-zero first); Kent q1 = CAN + THA
        # (23 = 17 + 6) -> Thanet q1 (6); Kent q3 = CAN + THA (15 = 15 + 0) -> Kent q3 (15; non-zero first).
        # Second pass: Kent q3 = d5 + d6 (15 = 15 + 0) -> d5; Thanet (q1 withheld, q3 = 0 with one
        # neighbourhood) -> q3; Kent's quintiles (q3 withheld; q1 23, q5 0) -> q1. Third pass: stable.
        expected = {(CAN, dep.QUINTILE, 1), (KENT, dep.DECILE, 2), (KENT, dep.DECILE, 1), (CAN, dep.QUINTILE, 3),
                    (THA, dep.QUINTILE, 1), (KENT, dep.QUINTILE, 3), (KENT, dep.DECILE, 5), (THA, dep.QUINTILE, 3),
                    (KENT, dep.QUINTILE, 1)}
        assert _withheld(published, "closed_positive_pct") == expected
        complement = audit[audit["reason"] == "complement"]
        assert set(zip(complement["area_code"], complement["group"], strict=True)) == {(CAN, 1), (KENT, 2)}
        # denominators (cases closed) are all published: none is small
        assert not (audit["count"] == "denominator").any()
        assert _cell(published, CAN, dep.QUINTILE, 1, "closed_positive_pct")["denominator"] == 20

    def test_wilson_interval_on_a_published_percentage(self):
        raw = _raw(("closed_positive_pct",))
        # withhold nothing (threshold 0) to check the interval: Thanet quintile 1 is 6 of 12 = 50%;
        # Wilson: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)) = 25.38% to 74.62%
        published, audit = dep.suppress_gradient(raw, threshold=0)
        assert audit.empty
        row = _cell(published, THA, dep.QUINTILE, 1, "closed_positive_pct")
        assert row["value"] == pytest.approx(50.0)
        assert (row["ci_lower"], row["ci_upper"]) == (pytest.approx(25.378, abs=1e-3), pytest.approx(74.622, abs=1e-3))

    def test_no_withheld_count_can_be_narrowed(self, tmp_path):
        # The invariant, on larger made-up tables (random counts per neighbourhood, so every relation
        # holds), checked by the independent intruder audit on the published CSV: every withheld
        # count's feasible range reaches 0 and 5, or lies above 4. (Each district's total, which the
        # results publish, is kept above 4 by B and F: a small total could not be protected here.)
        from ehps_lib.publish import audit

        for seed in range(4):
            rng = np.random.default_rng(seed)
            notes = {lsoa: int(rng.integers(0, 12)) + (6 if lsoa in "BF" else 0) for lsoa in "ABCDEF"}
            raw = dep.gradient_counts(tiny_tables(notes, CLOSURES), PERIOD, EXTRACT_DATE, lsoas=tiny_lsoas(),
                                      indicator_ids=("ehn_rate", "closed_positive_pct"))
            published, _ = dep.suppress_gradient(raw, threshold=4)
            folder = tmp_path / str(seed)
            folder.mkdir()
            published.to_csv(folder / "deprivation.csv", index=False)
            report = audit.audit_site(folder, 4)
            assert report.files == 1 and report.withheld > 0
            assert report.ok, report.format()

    def test_inconsistent_counts_are_an_error_not_a_guess(self):
        raw = _raw()
        raw.loc[(raw["area_code"] == KENT) & (raw["grouping"] == dep.DECILE) & (raw["group"] == 1), "numerator"] += 7
        with pytest.raises(Exception, match="do not add up"):
            dep.suppress_gradient(raw, threshold=4)


class TestProfile:
    def lsoas(self) -> pd.DataFrame:
        df = tiny_lsoas()
        # national IMD rank, residents (mid-2015), children 0-15 (mid-2015), IDACI score
        extra = {"A": (1000, 1500, 300, 0.30), "B": (5000, 1500, 300, 0.10), "C": (15000, 2000, 400, 0.05),
                 "D": (32000, 1000, 200, 0.02), "E": (500, 2000, 500, 0.40), "F": (18000, 2000, 500, 0.10)}
        cols = ["imd_rank", "pop_total_mid2015", "pop_0_15_mid2015", "idaci_score"]
        return df.join(pd.DataFrame([extra[c] for c in df["lsoa11_code"]], columns=cols))

    def test_district_and_kent_profiles(self):
        prof = dep.district_profile(self.lsoas()).set_index("area_code")
        can, tha, kent = prof.loc[CAN], prof.loc[THA], prof.loc[KENT]
        # Canterbury: 4 neighbourhoods, A and B in quintile 1 (A in decile 1): 2 of 4 = 50%;
        # children 5,000, of whom 3,000 (A, B) in quintile 1 = 60%;
        # IDACI = (0.30 x 300 + 0.10 x 300 + 0.05 x 400 + 0.02 x 200) / 1,200 = 144 / 1,200 = 12%;
        # average rank = (1,000 x 1,500 + 5,000 x 1,500 + 15,000 x 2,000 + 32,000 x 1,000) / 6,000 = 11,833.3
        assert (can["lsoas"], can["lsoas_decile_1"], can["lsoas_quintile_1"]) == (4, 1, 2)
        assert can["pct_lsoas_quintile_1"] == pytest.approx(50.0)
        assert (can["children"], can["children_quintile_1"]) == (5000, 3000)
        assert can["pct_children_quintile_1"] == pytest.approx(60.0)
        assert can["idaci_pct"] == pytest.approx(12.0)
        assert can["average_rank"] == pytest.approx(11833.33, abs=0.01)
        # Thanet: IDACI (0.40 x 500 + 0.10 x 500) / 1,000 = 25%; rank (500 x 2,000 + 18,000 x 2,000) / 4,000 = 9,250
        assert tha["idaci_pct"] == pytest.approx(25.0) and tha["average_rank"] == pytest.approx(9250.0)
        # Thanet is more deprived (lower average rank): 1 in Kent, Canterbury 2; districts without
        # neighbourhoods are not ranked; Kent is not ranked
        assert (tha["rank_in_kent"], can["rank_in_kent"]) == (1, 2)
        assert pd.isna(kent["rank_in_kent"]) and pd.isna(prof.loc["E07000105", "rank_in_kent"])
        # Kent: IDACI (144 + 250) / 2,200 = 17.909%; rank (71,000,000 + 37,000,000) / 10,000 = 10,800
        assert kent["idaci_pct"] == pytest.approx(17.909, abs=1e-3)
        assert kent["average_rank"] == pytest.approx(10800.0)
        assert (kent["lsoas"], kent["lsoas_quintile_1"], kent["children_quintile_1"]) == (6, 3, 4000)

    def test_names_follow_the_date(self):
        prof = dep.district_profile(self.lsoas(), dt.date(2016, 6, 30)).set_index("area_code")
        assert prof.loc["E07000112", "area_name"] == "Shepway"


class TestReferenceData:
    def test_kent_neighbourhoods_match_the_published_counts(self):
        lsoas = dep.lsoa_deprivation()
        # SOURCES.md: 902 Kent LSOAs; 51 in decile 1 and 81 in decile 2, so 132 in quintile 1
        assert len(lsoas) == 902
        assert (lsoas["imd_decile"] == 1).sum() == 51
        assert (lsoas["imd_quintile"] == 1).sum() == 132
        assert set(lsoas["population_year"]) == {2017}
        assert lsoas["pop_0_17"].gt(0).all()

    def test_missing_population_is_an_error(self):
        lsoas = dep.lsoa_deprivation()
        population = lsoas[["lsoa11_code", "pop_0_17"]].iloc[1:]
        with pytest.raises(dep.DeprivationError, match="No child population"):
            dep.lsoa_deprivation(population=population)
