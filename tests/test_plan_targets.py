"""The EHPS one-year plan's targets in the catalogue (seed 000, Table 8), and the public figures
that rate them, checked against the seed and against the reference files read directly."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ehps_lib.geography import KENT_CODE
from ehps_lib.indicators import catalogue, public, stats

REF = Path(__file__).resolve().parent.parent / "data" / "reference"

#: Table 8 transcribed by hand from seed 000 lines 1585-1623: line -> (Kent 2014, National 2014,
#: Target 2015); None for "TBA" or blank.
TABLE_8 = {
    1585: (19741, None, 16779), 1586: (26.6, None, 25), 1587: (1145, None, 1490), 1588: (600, None, 450),
    1589: (86, None, 103), 1590: (132, None, 154), 1591: (117, None, 136), 1592: (48, None, 57),
    1593: (66, None, 83), 1594: (1107, None, 1000), 1595: (26, None, 23), 1596: (3.1, None, 2.8),
    1597: (6783, None, 5625), 1598: (76, None, 39), 1599: (6.7, None, 5.5), 1600: (84, None, 95),
    1601: (30, None, 70), 1602: (5.9, None, 2.4), 1603: (1142, None, 890), 1604: (25, 26, 23),
    1605: (72, None, 75), 1606: (79, None, 83), 1607: (85, None, 86), 1608: (61, None, 80),
    1609: (698, None, 628), 1610: (33.4, 35.3, 31), 1611: (4.3, None, 3.5), 1612: (52, None, 47),
    1613: (None, None, None), 1614: (None, None, None), 1615: (48, 36, 50), 1616: (50, None, 60),
    1617: (36, None, 40), 1618: (10, 13.1, 11.8), 1619: (173, None, 200), 1620: (56, None, 70),
    1621: (618, None, 700), 1622: (8949, None, 8000), 1623: (484, None, 350),
}


def _plan_rows() -> dict[int, catalogue.Indicator]:
    out = {}
    for ind in catalogue.load_catalogue().values():
        if ind.is_group_breakdown:
            continue
        for ref in re.split(r"[;,]\s*", ind.seed_ref):
            if ref.startswith("000:") and int(ref[4:]) in TABLE_8:
                assert int(ref[4:]) not in out, f"two indicators claim Table 8 line {ref}"
                out[int(ref[4:])] = ind
    return out


class TestTable8:
    def test_every_row_is_in_the_catalogue(self):
        rows = _plan_rows()
        assert sorted(rows) == sorted(TABLE_8)

    @pytest.mark.parametrize("line", sorted(TABLE_8))
    def test_baseline_and_target_as_printed(self, line):
        ind = _plan_rows()[line]
        kent, national, target = TABLE_8[line]
        assert ind.baseline == kent and ind.target == target and ind.national_baseline == national
        if target is not None:
            assert ind.baseline_period in ("2014", "May 2014") and ind.target_period == "2015"
            # the baseline is the minimum standard, except where it is already better than the target
            better = (kent > target) if ind.polarity == "H" else (kent < target)
            assert ind.floor == (None if better else kent)
            assert "{target}" in ind.notes

    def test_notes_never_print_the_numbers(self):
        for ind in _plan_rows().values():
            for value in (ind.target, ind.floor):
                if value is not None:
                    shown = f"{value:g}"
                    assert not re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d.])", ind.notes), (ind.id, shown)

    def test_rated_before_and_after(self):
        # before issue 15, 3 of the plan's rows could be rated; now every row with a target whose data
        # we hold is computed (case data) or read (public data)
        rows = _plan_rows()
        with_target = [i for i in rows.values() if i.has_target]
        ratable = sorted(i.id for i in with_target if i.has_data or i.is_public)
        assert len(with_target) == 37
        assert ratable == sorted([
            "scs_referrals", "scs_rereferral_pct", "step_downs_r12m", "step_ups_r12m", "eha_rate_0_4",
            "eha_rate_5_10", "eha_rate_11_15", "eha_rate_16_19", "closed_positive_pct", "excl_fixed_primary",
            "excl_permanent_primary", "excl_fixed_secondary", "excl_permanent_secondary", "neet_pct",
            "cypf_teenage_conceptions", "yj_first_time_entrants", "yj_reoffending_pct", "yj_custody_pct",
            "yj_cic_caseload"])


@pytest.fixture(scope="module")
def pub():
    return public.public_results()


def _one(pub, ind, area, period, subgroup=""):
    row = pub[(pub.indicator_id == ind) & (pub.area_code == area) & (pub.period == period)
              & (pub.subgroup == subgroup)]
    assert len(row) == 1
    return row.iloc[0]


class TestPublicFigures:
    def test_referrals_and_rereferrals_from_the_dfe_file(self, pub):
        c1 = pd.read_csv(REF / "indicators_county/dfe_cin_referrals_c1_2013_2025.csv")
        kent = c1[(c1.la_name == "Kent") & (c1.time_period == 2015)].iloc[0]
        assert (int(kent.referral_count), float(kent.rereferral_percent)) == (16529, 28.4)
        ref = _one(pub, "scs_referrals", KENT_CODE, "2015")
        assert ref["value"] == 16529 and ref["rag"] == "Green"  # target 16,779
        again = _one(pub, "scs_rereferral_pct", KENT_CODE, "2015")
        assert again["value"] == 28.4 and again["rag"] == "Red"  # worse than the 26.6 floor
        assert _one(pub, "scs_rereferral_pct", KENT_CODE, "2014")["rag"] == "Amber"  # 26.5: between
        # rank among Kent and its 10 neighbours: lower is better; worked from the file's 2015 rows
        year = c1[(c1.time_period == 2015) & c1.kent_or_sn.isin(["Kent", "statistical_neighbour"])]
        values = sorted(pd.to_numeric(year.rereferral_percent, errors="coerce").dropna())
        assert again["rank_neighbours"] == values.index(28.4) + 1 and again["rank_neighbours_of"] == len(values)
        assert pd.isna(ref["rank_neighbours"])  # a count is not ranked

    def test_children_in_need_rate(self, pub):
        b1 = pd.read_csv(REF / "indicators_county/dfe_children_in_need_b1_2013_2025.csv")
        pop = pd.read_csv(REF / "indicators_county/dfe_ons_population_0_17_2012_2024.csv")
        cin = int(b1[(b1.la_name == "Kent") & (b1.time_period == 2017)].At31_episodes.iloc[0])
        children = int(pop[(pop.la_name == "Kent") & (pop.time_period == 2016)].population_estimate.iloc[0])
        assert _one(pub, "cin_rate", KENT_CODE, "2017")["value"] == pytest.approx(cin / children * 10000)

    def test_teenage_conceptions_rated_against_the_plan(self, pub):
        row = _one(pub, "cypf_teenage_conceptions", KENT_CODE, "2015")
        assert row["value"] == 20.6 and row["rag"] == "Green"
        assert _one(pub, "cypf_teenage_conceptions", "E07000114", "2015")["rag"] == "Red"  # Thanet 35.6 > 25
        assert _one(pub, "cypf_teenage_conceptions", "E07000111", "2015")["rag"] == "Green"  # Sevenoaks 10.3
        assert pd.isna(_one(pub, "cypf_teenage_conceptions", "E92000001", "2015")["rag"])  # England: not rated

    def test_injury_admissions_and_ohids_comparison(self, pub):
        row = _one(pub, "injury_admissions_0_14", KENT_CODE, "2016/17")
        assert (row["numerator"], row["denominator"]) == (2665, 272792)
        assert row["value"] == pytest.approx(2665 / 272792 * 10000, rel=1e-6)
        assert row["published_comparison"] == "better"
        assert row["period_end"] == pd.Timestamp("2017-03-31")
        assert _one(pub, "injury_admissions_0_14", "E92000001", "2016/17")["value"] == pytest.approx(102.43376)

    def test_absence_of_children_in_need(self, pub):
        row = _one(pub, "pa_social_care_pupils", KENT_CODE, "2018/19", "Children in need at 31 March")
        assert row["value"] == 35.1 and row["period_end"] == pd.Timestamp("2019-08-31")

    def test_neet_percent_is_rated_but_never_before_its_first_year(self, pub):
        neet = pd.read_csv(REF / "indicators_county/dfe_neet_participation_16_17_2021_2025.csv")
        kent = neet[(neet.la_name == "Kent") & (neet.time_period == 2021)].iloc[0]
        row = _one(pub, "neet_pct", KENT_CODE, "2021")
        assert row["value"] == float(kent.NEET_percent)
        assert row["rag"] == stats.rag_status(float(kent.NEET_percent), 2.4, 5.9, "L")
        assert public.latest_on_or_before(pub, "neet_pct", KENT_CODE, pd.Timestamp("2017-03-31").date()) is None
