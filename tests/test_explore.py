"""The analyst's API (ehps_lib.explore): numbers a council analyst can chart and send to Excel.

Checked against the published results file and the extract read directly with pandas, against
the reference data read from their CSVs, and against hand-worked intervals; never against
the API's own output.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ehps_lib import explore as ex
from ehps_lib.config import ConfigError
from ehps_lib.data import io
from ehps_lib.geography import DISTRICTS
from ehps_lib.indicators.catalogue import load_catalogue
from ehps_lib.papers import styles
from ehps_lib.papers.blocks import Block
from ehps_lib.papers.scorecard_data import scorecard_from_results

ROOT = Path(__file__).resolve().parent.parent
CAN = "E07000106"
FIXTURE_QUARTER = "2016-17 Q1"  # the fixture extract ends in June 2016


@pytest.fixture
def data(synthetic_data_dir, monkeypatch):
    monkeypatch.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
    return synthetic_data_dir


class TestResults:
    def test_every_way_of_writing_the_period_gives_the_same_table(self, data):
        frames = [ex.results(p) for p in ("2016-17 Q1", "2016-17-Q1", "2016/17 q1", "Q1 2016-17", "latest")]
        for f in frames[1:]:
            pd.testing.assert_frame_equal(f, frames[0])

    def test_numbers_are_numbers_and_equal_the_published_file(self, data):
        table = ex.results(FIXTURE_QUARTER, age_band=None)
        for col in ("numerator", "denominator", "value", "ci_lower", "ci_upper"):
            assert pd.api.types.is_float_dtype(table[col]), col
        published = pd.read_parquet(data / "results" / "2016-17-Q1" / "indicators.parquet")
        assert len(table) == len(published)
        key = ["indicator_id", "area_code", "period", "age_band"]
        merged = table.merge(published, on=key, suffixes=("", "_file"))
        assert len(merged) == len(published)
        np.testing.assert_array_equal(merged["value"].to_numpy(), merged["value_file"].to_numpy())
        # a withheld value is empty and says c; a shown one says nothing
        withheld = merged["suppressed"].astype(bool)
        assert withheld.any()
        assert (merged.loc[withheld, "status"] == "c").all() and merged.loc[withheld, "value"].isna().all()
        assert (merged.loc[~withheld & merged["value"].notna(), "status"] == "").all()

    def test_filters_by_indicator_area_name_and_kind(self, data):
        table = ex.results(FIXTURE_QUARTER, indicator="ehn_received", area="canterbury", kind="quarter")
        assert set(table["area_code"]) == {CAN} and set(table["indicator_id"]) == {"ehn_received"}
        assert set(table["period_kind"]) == {"quarter"} and set(table["age_band"]) == {"all"}
        assert table["title"].iloc[0] == "Early Help Notifications received"

    def test_a_misspelt_indicator_or_area_names_the_nearest(self, data):
        with pytest.raises(KeyError, match="Did you mean 'ehn_received'"):
            ex.results(FIXTURE_QUARTER, indicator="ehn_recieved")
        with pytest.raises(ValueError, match="Did you mean Canterbury"):
            ex.results(FIXTURE_QUARTER, area="Canterbery")


class TestSeries:
    def test_a_districts_monthly_notification_rate_is_its_count_over_its_children(self, data):
        s = ex.series("ehn_rate", "Canterbury", FIXTURE_QUARTER)
        assert list(s["period_start"]) == sorted(s["period_start"])
        assert set(s["period"].str.len()) == {7}  # months only: "2016-06"
        # recount June 2016 from the extract itself
        tables, _ = io.read_processed(data)
        n, children = tables["notifications"], tables["children"]
        june = n[(pd.to_datetime(n["date_received"]).dt.strftime("%Y-%m") == "2016-06")]
        june = june.merge(children[["child_id"]], on="child_id")
        count = int((june["district_code"] == CAN).sum())
        row = s[s["period"] == "2016-06"].iloc[0]
        assert row["numerator"] == count
        assert row["value"] == pytest.approx(count / row["denominator"] * 10_000)


class TestLeagueTable:
    def test_twelve_districts_ranked_best_first_by_polarity(self, data):
        table = ex.league_table("closed_positive_pct", FIXTURE_QUARTER)  # H: higher is better
        assert set(table["area_code"]) == set(DISTRICTS) and len(table) == 12
        ranked = table.dropna(subset=["rank"])
        assert list(ranked["value"]) == sorted(ranked["value"], reverse=True)
        # competition ranking: a district's rank is 1 + the number strictly better
        for _, row in ranked.iterrows():
            assert row["rank"] == 1 + (ranked["value"] > row["value"]).sum()
        assert table.loc[table["status"] == "c", "rank"].isna().all()
        assert table.attrs["order"] == "higher is better"

    def test_lower_is_better_orders_the_other_way(self, data):
        table = ex.league_table("ehn_rereferral_pct", FIXTURE_QUARTER).dropna(subset=["rank"])
        assert list(table["value"]) == sorted(table["value"])


class TestCatalogue:
    def test_one_row_per_indicator_in_catalogue_order(self):
        frame = ex.catalogue()
        assert list(frame["indicator_id"]) == list(load_catalogue())
        row = frame.set_index("indicator_id").loc["step_downs_r12m"]
        assert row["target"] == 1490 and row["floor"] == 1145 and row["polarity"] == "H"


TRIAL = """
id: ehn_from_health_pct
title: Notifications from health services
definition: Share of notifications received from health organisations.
numerator: Notifications with source_org_type HEALTH.
denominator: All notifications received.
unit: "%"
polarity: N
data_period: month
source: Early Help Module
method: event_share
params: {table: notifications, date: date_received, where: {source_org_type: [HEALTH]}}
"""


class TestTrialIndicator:
    def test_computed_like_a_real_indicator_and_checked_against_the_extract(self, data):
        trial = ex.trial_indicator(TRIAL, FIXTURE_QUARTER)
        tables, _ = io.read_processed(data)
        n = tables["notifications"]
        in_quarter = n[pd.to_datetime(n["date_received"]).between("2016-04-01", "2016-06-30")]
        kent = trial[(trial["area_code"] == "E10000016") & (trial["period"] == FIXTURE_QUARTER)].iloc[0]
        assert kent["numerator"] == (in_quarter["source_org_type"] == "HEALTH").sum()
        assert kent["denominator"] == len(in_quarter)
        assert kent["value"] == pytest.approx(100 * kent["numerator"] / kent["denominator"])
        assert {"ci_lower", "ci_upper", "status"} <= set(trial.columns)
        # suppression applies: no published count from 1 to the threshold
        shown = trial["numerator"].dropna()
        assert not ((shown > 0) & (shown <= 4)).any()

    def test_a_misspelt_code_fails_before_anything_runs_naming_the_nearest(self, data):
        with pytest.raises(ConfigError, match=r"'HELTH' is not a code of notifications.source_org_type\. "
                                              r"Did you mean 'HEALTH'\?"):
            ex.trial_indicator(TRIAL.replace("[HEALTH]", "[HELTH]"), FIXTURE_QUARTER)

    def test_an_id_already_in_the_catalogue_is_refused(self, data):
        with pytest.raises(ConfigError, match="already in the catalogue"):
            ex.trial_indicator(TRIAL.replace("ehn_from_health_pct", "ehn_received"), FIXTURE_QUARTER)


def test_wilson_interval_matches_the_hand_worked_value():
    # 37 of 120, z = 1.959964: centre (p + z²/2n)/(1 + z²/n) = 0.314265, half-width 0.081565
    value, lo, hi = ex.wilson_interval(37, 120)
    assert value == pytest.approx(30.8333, abs=1e-4)
    assert lo == pytest.approx(23.2727, abs=1e-3) and hi == pytest.approx(39.5830, abs=1e-3)


class TestDeprivation:
    def test_imd_deciles_of_a_district_equal_the_published_file(self):
        classes, labels = ex.deprivation_classes("imd", "decile")
        raw = pd.read_csv(ROOT / "data" / "reference" / "imd" / "kent_imd2019_file1_imd_rank_decile.csv")
        decile_col = [c for c in raw.columns if "Decile" in c][0]
        code_col = [c for c in raw.columns if "LSOA code" in c][0]
        merged = classes.merge(raw, left_on="lsoa11_code", right_on=code_col)
        assert len(merged) == 902
        assert (merged["group"] == merged[decile_col]).all()
        assert len(labels) == 10 and labels[0].startswith("Most deprived 10%")

    def test_quintiles_pair_the_deciles(self):
        deciles, _ = ex.deprivation_classes("imd", "decile")
        quintiles, labels = ex.deprivation_classes("imd", "quintile")
        assert ((deciles["group"] + 1) // 2 == quintiles["group"]).all() and len(labels) == 5

    def test_idaci_groups_are_kents_own_tenths_most_deprived_first(self):
        classes, labels = ex.deprivation_classes("idaci", "decile")
        counts = classes["group"].value_counts()
        # 902 neighbourhoods in tenths (scores are published to 3 decimals, so ties move a few)
        assert counts.sum() == 902 and counts.min() >= 85 and counts.max() <= 95 and len(counts) == 10
        raw = pd.read_csv(ROOT / "data" / "reference" / "imd" / "kent_imd2019_income_idaci_idaopi_scores.csv")
        scores = dict(zip(raw["LSOA Code (2011)"], raw["IDACI Score"], strict=True))
        s = classes.assign(score=classes["lsoa11_code"].map(scores))
        assert s.loc[s["group"] == 1, "score"].min() > s.loc[s["group"] == 10, "score"].max()
        assert labels[0] == "Kent's most deprived tenth"

    def test_a_decile_map_of_one_district_is_described(self):
        block = ex.deprivation_map("Swale", index="imd", groups="decile")
        assert isinstance(block, Block)
        assert 'alt="Map of Swale' in block.html and block.html.count("<tr>") >= 11  # head + 10 groups
        assert "English Indices of Deprivation 2019" in block.html

    def test_an_unknown_index_names_the_nearest(self):
        with pytest.raises(ValueError, match="Did you mean 'idaci'"):
            ex.deprivation_classes("idacci")


class TestExcel:
    def test_tables_round_trip_as_numbers(self, tmp_path):
        frame = pd.DataFrame({"area": ["Kent", "Swale"], "value": [1.5, math.nan], "count": [10, 3]})
        path = ex.to_excel({"a sheet name longer than thirty-one characters": frame, "second": frame},
                           tmp_path / "out.xlsx")
        book = pd.read_excel(path, sheet_name=None)
        assert list(book) == ["a sheet name longer than thirty", "second"]
        back = book["second"]
        assert back["count"].tolist() == [10, 3] and back["value"].iloc[0] == 1.5 and math.isnan(back["value"].iloc[1])

    def test_only_xlsx(self, tmp_path):
        with pytest.raises(ValueError, match=r"must end in \.xlsx"):
            ex.to_excel(pd.DataFrame({"a": [1]}), tmp_path / "out.csv")


class TestLabStyles:
    def test_in_a_kernel_a_block_brings_its_styles_scoped_to_itself(self, monkeypatch):
        monkeypatch.setenv("EHPS_INLINE_STYLES", "1")
        html = Block(html='<span class="ehps-rag ehps-rag-red">Red</span>')._repr_html_()
        assert html.startswith('<div class="ehps-lab"><style data-ehps-lab-styles="">')
        css = styles.lab_css()
        assert ".ehps-lab .ehps-rag-red" in css and ".ehps-lab table" in css
        # nothing unscoped: every rule starts with the wrapper (or is an @media around scoped rules)
        for line in css.splitlines():
            assert line.startswith((".ehps-lab", "@media", "}")), line
        assert styles.strip_lab_styles(html) == '<span class="ehps-rag ehps-rag-red">Red</span>'

    def test_in_a_build_a_block_is_plain(self, monkeypatch):
        monkeypatch.setenv("EHPS_INLINE_STYLES", "0")
        assert Block(html="<p>x</p>")._repr_html_() == "<p>x</p>"

    def test_published_pages_never_hold_the_lab_styles(self, monkeypatch):
        import nbformat

        from ehps_lib.publish import render

        monkeypatch.setenv("EHPS_INLINE_STYLES", "1")
        nb = nbformat.v4.new_notebook()
        out = nbformat.v4.new_output("display_data", data={"text/html": Block(html="<p>seen</p>")._repr_html_(),
                                                           "text/plain": "seen"})
        nb.cells = [nbformat.v4.new_code_cell("x", outputs=[out])]
        body = render.notebook_body(nb)
        assert "seen" in body and "ehps-lab" not in body and "<style" not in body


def test_a_scorecard_prints_in_one_line(tiny_results, tiny_meta):
    sc = scorecard_from_results(tiny_results, tiny_meta, CAN, "2016-17 Q2")
    text = repr(sc)
    assert "\n" not in text and len(text) < 300 and "Canterbury" in text and "2016-17 Q2" in text
