"""The EHPS scorecard by age and district, its plan and thematic sections, the CYPF county dashboard
and progress report, population groups and the officers' drill-down: figures checked against the
extract and the reference files read directly, not against the papers' own code."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from ehps_lib.data import io
from ehps_lib.geography import DISTRICTS, KENT_CODE
from ehps_lib.indicators.catalogue import load_catalogue
from ehps_lib.papers import breakdowns, cypf, drilldown, plan, thematic
from ehps_lib.papers import cypf_dashboard as dashboard
from ehps_lib.papers import cypf_progress_report as progress
from ehps_lib.papers import monthly_scorecard as monthly
from ehps_lib.papers.benchmarks import benchmark
from ehps_lib.papers.scorecard_data import ScorecardError, edition_words, scorecard_from_results
from ehps_lib.periods import Period

REF = Path(__file__).resolve().parent.parent / "data" / "reference"
QUARTER, MONTH = "2016-17 Q1", "2016-06"  # the fixture extract ends on 30 June 2016
CAN = "E07000106"


@pytest.fixture(scope="module")
def fixture(synthetic_data_dir):
    results, meta = io.read_results("2016-17-Q1", synthetic_data_dir)
    public = io.read_results_table("2016-17-Q1", "public", synthetic_data_dir)
    tables, _ = io.read_processed(synthetic_data_dir)
    return results, meta, public, tables


@pytest.fixture(scope="module")
def month(fixture):
    results, meta, _, _ = fixture
    return scorecard_from_results(results, meta, KENT_CODE, MONTH)


@pytest.fixture(scope="module")
def quarter(fixture):
    results, meta, _, _ = fixture
    return scorecard_from_results(results, meta, KENT_CODE, QUARTER)


def _text(block) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block.html)).split())


class TestEditions:
    def test_edition_month_is_the_month_after_the_data(self):
        # seed 001:112: "The latest July EHPS scorecard, including data up to June 2015"
        assert edition_words("2015-06") == "July 2015 edition: data to the end of June 2015"
        assert edition_words(QUARTER).startswith("July 2016 edition (2016-17 Q1): April to June 2016")

    def test_scorecard_title_names_the_edition(self, month, quarter):
        assert "July 2016 edition: data to the end of June 2016" in monthly.scorecard_title(month).html
        assert "July 2016 edition (2016-17 Q1)" in monthly.scorecard_title(quarter).html

    def test_only_kent(self, fixture):
        results, meta, _, _ = fixture
        with pytest.raises(ScorecardError, match="every district side by side"):
            monthly.summary_table(scorecard_from_results(results, meta, CAN, MONTH))


def _notifications_by_age(tables, months: pd.PeriodIndex) -> pd.Series:
    """Notifications by district and age band in ``months``, worked from the validated extract
    itself: age in whole years from the first day of the birth month to the day received."""
    notes, children = tables["notifications"], tables["children"].set_index("child_id")
    notes = notes[notes["date_received"].dt.to_period("M").isin(months)]
    birth = notes["child_id"].map(children["birth_month"])
    age = (notes["date_received"].dt.year * 12 + notes["date_received"].dt.month
           - birth.dt.year * 12 - birth.dt.month) // 12
    band = pd.cut(age, [-1, 4, 10, 15, 17], labels=["0-4", "5-10", "11-15", "16+"])
    return notes.assign(band=band.astype(str)).groupby(["district_code", "band"]).size()


class TestByAgeAndDistrict:
    def test_district_notifications_by_age_match_the_extract(self, quarter, fixture):
        expected = _notifications_by_age(fixture[3], pd.period_range("2016-04", "2016-06", freq="M"))
        frame = breakdowns.age_area_rows(quarter, "ehn_received").set_index("area_code")
        checked = 0
        for code in DISTRICTS:
            for b in ("0-4", "5-10", "11-15", "16+"):
                shown = frame.loc[code, b]
                if shown != "c":
                    assert int(shown.replace(",", "")) == expected.get((code, b), 0), (code, b)
                    checked += 1
        assert checked >= 30  # most of the 48 district cells are published for a quarter

    def test_a_month_shows_the_areas_by_age_and_districts_totals_only(self, month, fixture):
        from ehps_lib.geography import SCS_AREA_CODES, districts_in

        expected = _notifications_by_age(fixture[3], pd.period_range(MONTH, MONTH, freq="M"))
        frame = breakdowns.age_area_rows(month, "ehn_received").set_index("area_code")
        assert frame.index.tolist() == [KENT_CODE, *SCS_AREA_CODES, *DISTRICTS]
        checked = 0
        for code in SCS_AREA_CODES:
            for b in ("0-4", "5-10", "11-15", "16+"):
                shown = frame.loc[code, b]
                if shown != "c":
                    assert int(shown.replace(",", "")) == sum(expected.get((d, b), 0) for d in districts_in(code))
                    checked += 1
        assert checked >= 8
        # a district's single month is not split by age: not computed, so never published
        assert (frame.loc[list(DISTRICTS), ["0-4", "5-10", "11-15", "16+", "unknown"]] == breakdowns.QUARTERS_ONLY
                ).all().all()
        notes = fixture[3]["notifications"]
        june = notes[notes["date_received"].dt.to_period("M") == pd.Period(MONTH, "M")]
        assert int(frame.loc[KENT_CODE, "all"].replace(",", "")) == len(june)
        for code in DISTRICTS:  # each district's total is still there (or c)
            assert frame.loc[code, "all"] in ("c", f"{(june['district_code'] == code).sum():,}")
        results = fixture[0]
        monthly_district = results[results["area_code"].isin(list(DISTRICTS)) & (results["period_kind"] == "month")]
        assert (monthly_district["age_band"] == "all").all()
        assert not monthly_district["indicator_id"].str.contains("__").any()

    def test_withheld_cells_are_c_and_said_so(self, month):
        block = breakdowns.age_area_table(month, "ehn_received")
        text = _text(block)
        assert "Kent, its four areas and each district, by age" in text and "Age on the day counted" in text
        assert "published for quarters, not single months" in text
        # the unknown-age column is shown for unknown ages, not for the districts' quarters-only mark
        frame = breakdowns.age_area_rows(month, "ehn_received")
        if frame["unknown"].isin(["n/a", "0", breakdowns.QUARTERS_ONLY]).all():
            assert breakdowns.UNKNOWN_AGE_HEADING not in text
        if " c " in text:
            assert "c: withheld to protect confidentiality" in text

    def test_rated_measure_has_its_rag_and_target_bands(self, quarter):
        frame = breakdowns.age_area_rows(quarter, "closed_positive_pct")
        assert frame.loc[frame.area_code == KENT_CODE, "rag"].iloc[0] in ("✔ Green", "▲ Amber", "✖ Red")
        text = _text(breakdowns.age_area_table(quarter, "closed_positive_pct"))
        assert "Target: 83% (RAG bandings: below 66% = Red, 66% to 83% = Amber, 83% and above = Green)" in text

    def test_kent_only_target_leaves_districts_unrated(self, quarter):
        frame = breakdowns.age_area_rows(quarter, "step_ups_r12m")
        assert (frame[frame.area_code != KENT_CODE]["rag"] == breakdowns.NOT_RATED_COUNTY).all()


class TestPlanTargets:
    def test_every_row_in_table_order(self, quarter, fixture):
        rows = plan.plan_rows(quarter, fixture[2])
        assert len(rows) == 39 and rows["line"].tolist() == sorted(rows["line"])
        assert (rows[rows.status == "Rated"]["rag"].notna()).all()

    def test_public_row_uses_the_latest_year_by_the_period_end(self, quarter, fixture):
        rows = plan.plan_rows(quarter, fixture[2]).set_index("indicator_id")
        # 30 June 2016: the DfE year to 31 March 2016 was published only in November 2016, so the
        # year to 31 March 2015 (file values: 16,529 referrals, target 16,779: Green; 28.4%
        # re-referrals, worse than the 26.6% minimum standard: Red)
        assert rows.loc["scs_referrals", ["latest", "when", "rag"]].tolist() == ["16,529", "2015", "Green"]
        assert rows.loc["scs_rereferral_pct", ["latest", "rag"]].tolist() == ["28.4%", "Red"]
        # teenage conceptions: calendar 2015 was published in March 2017; 2014's (Kent 22.2 per
        # 1,000) in March 2016
        assert rows.loc["cypf_teenage_conceptions", ["latest", "when"]].tolist() == ["22.2", "2014"]
        assert rows.loc["neet_pct", "status"].startswith("Not rated: no figure by June 2016")
        assert rows.loc["tf_identified_pct", "status"] == "Not rated: no data source held"
        assert rows.loc["cc_poverty_registered_pct", "status"] == "No target published (TBA)"


    def test_an_extract_without_youth_justice_rates_nothing_from_it(self, fixture):
        """Without the optional table the measures it feeds are not computed (no zeros rated
        Green) and the plan says why."""
        from ehps_lib.indicators.engine import compute_results

        results, meta, public, tables = fixture
        without = {k: v for k, v in tables.items() if k != "youth_justice"}
        raw = compute_results(without, pd.Timestamp(meta["extract_date"]).date(),
                              indicator_ids=["ehn_received", "yj_first_time_entrants"])
        assert set(raw["indicator_id"]) == {"ehn_received"}
        held = {k: v for k, v in meta["extract_tables"].items() if k != "youth_justice"}
        kept = results[results["indicator_id"] != "yj_first_time_entrants"]
        data = scorecard_from_results(kept, {**meta, "extract_tables": held}, KENT_CODE, QUARTER)
        rows = plan.plan_rows(data, public).set_index("indicator_id")
        assert rows.loc["yj_first_time_entrants", "status"] == "Not rated: the extract has no youth_justice table"
        text = _text(thematic.case_table(data, thematic.THEMES["youth_justice"]))
        assert "not available, because the extract has no youth_justice table." in text


class TestThematic:
    def test_social_care_beside_england_and_neighbours(self, quarter, fixture):
        d5 = pd.read_csv(REF / "indicators_county/dfe_cpp_at31march_duration_d5_2013_2025.csv")
        pop = pd.read_csv(REF / "indicators_county/dfe_ons_population_0_17_2012_2024.csv")

        def rate(frame):
            # at 30 June 2016 the latest published are the plans at 31 March 2015 (DfE, November 2015)
            plans = frame[frame.time_period == 2015].set_index("new_la_code")["CPP_At31"].astype(float)
            people = pop[(pop.time_period == 2014) & (pop.geographic_level == "Local authority")]
            people = people.set_index("new_la_code")["population_estimate"].astype(float)
            return plans / people.reindex(plans.index) * 10000

        rates = rate(d5[d5.geographic_level == "Local authority"])
        kent = rates["E10000016"]
        sn_codes = d5[(d5.kent_or_sn == "statistical_neighbour") & (d5.time_period == 2015)]["new_la_code"].unique()
        b = benchmark(fixture[2], "cypf_cp_rate", quarter.period.end)
        assert b.year == "2015" and b.kent == pytest.approx(kent)
        assert b.neighbours_mean == pytest.approx(rates[list(sn_codes)].mean())
        assert b.rank == int((rates[[*sn_codes, "E10000016"]] > kent).sum()) + 1  # no judgement: highest first
        text = _text(thematic.theme_section(quarter, fixture[2], "social_care"))
        assert f"{kent:.1f}" in text and "Children in care per 10,000 children" in text
        assert ("No figure published by 30 June 2016: the file held covers 2021 to 2025, first published from "
                "September 2021.") in text

    def test_case_sections_and_statements(self, quarter, fixture):
        text = _text(thematic.theme_sections(quarter, fixture[2]))
        for heading in ("Children's Centres", "Youth Justice", "School attendance and exclusions",
                        "Teenage conceptions", "Hospital admissions for injuries"):
            assert heading in text
        assert "Named by the council, no data held here:" in text
        assert "Source:" in text and "File held:" in text


class TestPopulationGroups:
    def test_groups_are_published_results_and_say_what_is_flagged(self, quarter, fixture):
        results = fixture[0]
        frame = breakdowns.group_rows(quarter).set_index("group")
        row = results[(results.indicator_id == "ehn_received__in_care") & (results.area_code == KENT_CODE)
                      & (results.period == QUARTER)].iloc[0]
        shown = frame.loc["in_care", "ehn_received"]
        assert shown == ("c" if row["suppressed"] else f"{row['value']:,.0f}")
        text = _text(breakdowns.group_table(quarter))
        assert "Care leavers are a CYPF population group too, but the extract holds no care-leaver flag." in text

    def test_group_counts_match_the_extract(self, quarter, fixture):
        tables = fixture[3]
        notes, children = tables["notifications"], tables["children"].set_index("child_id")
        q = notes[(notes["date_received"] >= "2016-04-01") & (notes["date_received"] <= "2016-06-30")]
        disabled = q["child_id"].map(children["disabled"]).fillna(False).astype(bool)
        shown = breakdowns.group_rows(quarter).set_index("group").loc["disabled", "ehn_received"]
        assert shown == "c" or int(shown.replace(",", "")) == int(disabled.sum())

    def test_a_month_shows_districts_groups_as_quarterly_only(self, month):
        block = breakdowns.group_area_table(month, "ehn_received")
        rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>(.*?)</tr>", block.html)
        assert len(rows) == 17  # Kent, four areas, 12 districts
        for name, cells in rows[5:]:
            values = re.findall(r"<td>([^<]*)</td>", cells)
            assert values[:-1] == [breakdowns.QUARTERS_ONLY] * (len(values) - 1), name
        assert "figures by population group are published for quarters" in _text(block)

    def test_an_extract_without_flags_says_so(self, fixture):
        results, meta, _, _ = fixture
        held = {**meta, "extract_tables": {"children": ["child_id", "birth_month", "sex", "lsoa11_code"]}}
        data = scorecard_from_results(results, held, KENT_CODE, QUARTER)
        text = _text(breakdowns.group_table(data))
        assert "n/a for Children in care, Disabled children" in text


class TestCypf:
    def test_seventeen_indicators_each_with_data_or_a_statement(self, quarter, fixture):
        rows = cypf.county_rows(quarter, fixture[2])
        assert rows["number"].tolist() == list(range(1, 18))
        for r in rows.to_dict("records"):
            assert r["kent"] != "n/a" or r["statement"], r["name"]
        cp = rows.set_index("number").loc[1]
        assert cp["when"] == "2015" and cp["kind"] == cypf.PUBLIC  # 2016's was published in November 2016
        assert rows.set_index("number").loc[8, "kind"] == cypf.CLOSEST  # injuries stand in for self-harm

    def test_dashboard_table_and_charts(self, quarter, fixture):
        text = _text(dashboard.dashboard_table(quarter, fixture[2]))
        assert "Outcome 1: Grow up in safe families and communities" in text
        charts = dashboard.trend_charts(quarter, fixture[2]).html
        alts = re.findall(r'alt="([^"]+)"', charts)
        assert alts and all(a.startswith("Line chart of") for a in alts)
        assert charts.count("<details") == len(alts)

    def test_progress_compares_with_six_months_earlier(self, quarter, fixture):
        assert cypf.last_report_period(quarter.period).label == "2015-16 Q3"
        rows = progress.district_rows(quarter, fixture[2], CAN).set_index("number")
        # the last report (to 31 December 2015) had 2013's conceptions (published March 2015); by
        # June 2016 2014's had been published (March 2016): a new figure
        con = rows.loc[17]
        assert (con["then_when"], con["now_when"], con["new_figure"]) == ("2013", "2014", True)
        # case data: this quarter's Canterbury notification rate against the quarter six months earlier
        ehn = rows.loc[4]
        assert ehn["then_when"] == "2015-16 Q3" and ehn["now_when"] == "2016-17 Q1"
        assert ehn["movement"] in ("higher", "lower", "no change")

    def test_lcpg_update_or_a_line_saying_none(self, quarter, fixture):
        from ehps_lib.papers.commentary import parse_commentary

        notes = parse_commentary('districts:\n  Canterbury: "Update from the LCPG."\n', QUARTER, source="test.yml")
        text = _text(progress.district_contributions(quarter, fixture[2], notes))
        assert "Update from the Canterbury Local Children's Partnership Group: Update from the LCPG." in text
        assert "No update was contributed by the Swale Local Children's Partnership Group" in text

    def test_an_illustrative_update_stops_a_release_and_a_missing_one_does_not(self, quarter):
        from ehps_lib.papers.commentary import parse_commentary

        notes = parse_commentary('districts:\n  Thanet: "Illustrative update on synthetic data."\n'
                                 '  Canterbury: "The LCPG reviewed its priorities."\n', QUARTER,
                                 source="reports/commentary/2016-17-Q1.yml")
        assert progress.update_gaps(notes, quarter.period.end) == [
            "The update from the Thanet Local Children's Partnership Group is illustrative: replace districts: "
            "Thanet: summary in reports/commentary/2016-17-Q1.yml"]


class TestDrilldown:
    def test_units_add_up_to_their_district(self, fixture, synthetic_data_dir):
        results, meta, _, _ = fixture
        units = io.read_internal_table("2016-17-Q1", "units", synthetic_data_dir)
        raw = io.read_internal_table("2016-17-Q1", "unsuppressed", synthetic_data_dir)
        dd = drilldown.drilldown_from(raw, units, meta, QUARTER)
        frame = drilldown.hierarchy_rows(dd)
        opened = units[(units.indicator_id == "cases_open") & (units.period == QUARTER)]
        # every case is in its unit's district in the synthetic extract, so units add up exactly
        by_district = opened.groupby("district_code")["value"].sum()
        for code in DISTRICTS:
            shown = frame[(frame.level == "district") & (frame.code == code)]["cases_open"].iloc[0]
            assert int(shown.replace(",", "")) == by_district[code]
        assert (frame.level == "unit").sum() == units["area_code"].nunique() == 44

    def test_marked_with_its_classification_and_refuses_a_district(self, fixture, synthetic_data_dir):
        results, meta, _, _ = fixture
        units = io.read_internal_table("2016-17-Q1", "units", synthetic_data_dir)
        raw = io.read_internal_table("2016-17-Q1", "unsuppressed", synthetic_data_dir)
        dd = drilldown.drilldown_from(raw, units, meta, QUARTER)
        assert "OFFICIAL-SENSITIVE" in drilldown.drilldown_title(dd).html
        with pytest.raises(ScorecardError, match="starts at the county"):
            drilldown.load_drilldown(CAN, QUARTER)


def test_catalogue_measures_exist():
    cat = load_catalogue()
    assert all(i in cat for i in monthly.THROUGHPUT + monthly.TARGETED)
    assert all(i in cat for t in thematic.THEMES.values() for i in t.case + t.public + t.not_held)
    assert Period.parse(MONTH).end.isoformat() == "2016-06-30"
