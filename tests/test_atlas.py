"""Tests of ehps_lib.papers.imd_atlas: the blocks of the needs atlas and of the district papers' deprivation parts.

The neighbourhoods are the real public IMD 2019 data (SOURCES.md: 902 Kent LSOAs, 51 in decile 1
and 81 in decile 2; Canterbury 90). The indicator results are the hand-made ``tiny_results``
(Canterbury and Kent, 2016-17 Q2) and the gradient a hand-made table.
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from ehps_lib.data import io
from ehps_lib.indicators import deprivation as dep
from ehps_lib.indicators import results
from ehps_lib.papers import blocks, imd_atlas, needs, scorecard_data

KENT, CAN = "E10000016", "E07000106"


@pytest.fixture(scope="module")
def lsoas() -> pd.DataFrame:
    return dep.lsoa_deprivation()


def gradient_rows(area: str, values: list[float | None], lsoas: list[int], ind: str = "ehn_rate") -> list[dict]:
    """Quintile rows; ``None`` is a withheld value. Intervals are value -/+ 10% (made up)."""
    rows = []
    for q, (v, n) in enumerate(zip(values, lsoas, strict=True), start=1):
        rows.append({"indicator_id": ind, "area_code": area, "area_name": "x", "grouping": dep.QUINTILE, "group": q,
                     "group_label": dep.group_label(dep.QUINTILE, q), "lsoas": n, "period": "2016-17 Q2",
                     "window_start": pd.Timestamp("2015-10-01"), "window_end": pd.Timestamp("2016-09-30"),
                     "months": 12, "population_year": 2017, "numerator": np.nan if v is None else 100.0,
                     "denominator": 5000.0, "value": np.nan if v is None else v, "suppressed": v is None,
                     "ci_lower": np.nan if v is None else v * 0.9, "ci_upper": np.nan if v is None else v * 1.1,
                     "ci_method": None if v is None else "Byars", "imd_vintage": dep.IMD_VINTAGE,
                     "lsoa_vintage": dep.LSOA_VINTAGE})
    return rows


@pytest.fixture
def gradient() -> pd.DataFrame:
    rows = gradient_rows(CAN, [582.8, None, 442.1, 346.5, 278.6], [13, 10, 22, 26, 19])
    rows += gradient_rows(KENT, [505.4, 386.1, 313.0, 247.0, 192.3], [132, 160, 231, 209, 170])
    return pd.DataFrame(rows)[dep.GRADIENT_COLUMNS]


@pytest.fixture
def can_atlas(tiny_results, tiny_meta, lsoas, gradient) -> needs.AtlasData:
    sc = scorecard_data.scorecard_from_results(tiny_results, tiny_meta, CAN, "2016-17 Q2")
    return needs.atlas_from(sc, lsoas, gradient)


@pytest.fixture
def kent_atlas(tiny_results, tiny_meta, lsoas) -> needs.AtlasData:
    sc = scorecard_data.scorecard_from_results(tiny_results, tiny_meta, KENT, "2016-17 Q2")
    return needs.atlas_from(sc, lsoas, None)


def _alt(block_html: str) -> str:
    return html.unescape(re.search(r'<img [^>]*alt="([^"]*)"', block_html).group(1))


class TestGradient:
    def test_ratio_uses_the_outer_groups_with_values(self, can_atlas):
        rows = needs.gradient_rows(can_atlas, "ehn_rate")
        # quintile 1: 582.8, quintile 5: 278.6; 582.8 / 278.6 = 2.0919
        g1, g5, ratio = needs.gradient_ratio(rows)
        assert (g1, g5) == (1, 5) and ratio == pytest.approx(2.0919, abs=1e-4)

    def test_summary_sentence(self, can_atlas):
        text = imd_atlas.gradient_summary(can_atlas).text
        assert "October 2015 to September 2016" in text
        assert "582.8 for children in Canterbury" in text and "most deprived 20% in England (quintile 1)" in text
        assert "2.1 times the rate of 278.6" in text and "least deprived 20% (quintile 5)" in text

    def test_alt_text_gives_every_value_and_explains_c(self, can_atlas):
        alt = needs.gradient_alt_text(can_atlas, "ehn_rate")
        assert alt.startswith("Bar chart of Early Help Notifications per 10,000 children in Canterbury")
        assert "Values by quintile: 1: 582.8; 2: c; 3: 442.1; 4: 346.5; 5: 278.6." in alt
        assert "Kent's value in each quintile" in alt and "c means withheld" in alt

    def test_table_equivalent(self, can_atlas):
        table = needs.gradient_table(can_atlas, "ehn_rate")
        assert "<caption>Early Help Notifications per 10,000 children by deprivation" in table
        assert '<th scope="col">Kent, rate per 10,000 aged 0-17</th>' in table
        # quintile 2 is withheld: count, rate and interval are c; Kent's 386.1 is shown beside it
        row2 = re.search(r"<tr><th scope=\"row\">Quintile 2 \(21-40% most deprived\)</th>(.*?)</tr>", table).group(1)
        assert re.findall(r"<td>(.*?)</td>", row2) == ["10", "5,000", "c", "c", "c", "386.1"]
        # quintile 1: 582.8 with interval 524.5 to 641.1 (582.8 -/+ 10%)
        assert "<td>582.8</td><td>524.5 to 641.1</td><td>505.4</td>" in table

    def test_chart_is_an_accessible_figure_under_a_heading(self, can_atlas):
        block = needs.gradient_chart(can_atlas, "ehn_rate")
        assert block.html.startswith("<h3>Early Help Notifications per 10,000 children</h3>")
        assert _alt(block.html) == needs.gradient_alt_text(can_atlas, "ehn_rate")
        assert "<figcaption>" in block.html and "English Indices of Deprivation 2019" in block.html
        assert '<details class="ehps-chart-data">' in block.html and block.svg.startswith("<?xml")

    def test_missing_gradient_says_so(self, kent_atlas):
        block = needs.gradient_chart(kent_atlas, "ehn_rate")
        assert "not available for 2016-17 Q2" in block.text and "<img" not in block.html
        assert "not available" in imd_atlas.district_gradient_table(kent_atlas).text

    def test_scs_area_is_pointed_to_its_districts(self, tiny_results, tiny_meta, lsoas, gradient):
        results = pd.concat([tiny_results, tiny_results[tiny_results["area_code"] == CAN].assign(
            area_code="KENT-EAST")], ignore_index=True)
        sc = scorecard_data.scorecard_from_results(results, tiny_meta, "KENT-EAST", "2016-17 Q2")
        a = needs.atlas_from(sc, lsoas, gradient)
        assert "published for Kent and each district, not for East Kent" in needs.gradient_chart(a).text
        assert a.districts == ("E07000106", "E07000113", "E07000114")
        assert "see the papers of East Kent's districts" in imd_atlas.key_facts(a).text

    def test_district_table_marks_withheld_and_empty_groups(self, can_atlas):
        g = can_atlas.gradient.copy()
        g.loc[(g["area_code"] == CAN) & (g["group"] == 4), ["lsoas", "value"]] = [0, np.nan]
        a = needs.atlas_from(can_atlas.scorecard, can_atlas.lsoas, g)
        block = imd_atlas.district_gradient_table(a)
        row = re.search(r'<th scope="row">Canterbury</th>(.*?)</tr>', block.html).group(1)
        assert re.findall(r"<td>(.*?)</td>", row) == ["582.8", "c", "442.1", "none", "278.6", "n/a", "n/a"]
        # districts absent from the gradient table show n/a
        row = re.search(r'<th scope="row">Dover</th>(.*?)</tr>', block.html).group(1)
        assert re.findall(r"<td>(.*?)</td>", row) == ["n/a"] * 7  # 5 quintiles, SII, RII
        assert "none: the district has no neighbourhood in that quintile." in block.html


class TestDeprivation:
    def test_profile_compact_for_a_district(self, can_atlas):
        block = needs.profile_table(can_atlas)
        rows = re.findall(r'<th scope="row">(.*?)</th>', block.html)
        assert rows == ['Canterbury <span class="ehps-atlas-this">(this area)</span>', "Kent"]
        # Kent: 902 neighbourhoods, 51 + 81 = 132 in the most deprived 20%: 132 / 902 = 14.6%
        assert "<td>902</td><td>132 (14.6%)</td>" in block.html
        assert "<td>90</td>" in block.html  # Canterbury's 90 neighbourhoods

    def test_profile_full_for_kent(self, kent_atlas):
        rows = re.findall(r'<th scope="row">(.*?)</th>', needs.profile_table(kent_atlas).html)
        assert len(rows) == 13 and rows[-1] == "Kent"
        # names as at the end of the period: Shepway in 2016
        assert "Shepway" in rows and "Folkestone and Hythe" not in rows

    def test_kent_map_alt_text(self, kent_atlas):
        alt = needs.imd_alt_text(kent_atlas)
        assert alt.startswith("Map of Kent's 902 neighbourhoods (LSOA 2011) shaded by national IMD 2019 quintile")
        assert "132 neighbourhoods are in the most deprived 20%, 51 of them in the most deprived 10% (hatched)" in alt
        assert "Most of the most deprived neighbourhoods are in Thanet (29), Swale (22) and Shepway (15)" in alt

    def test_district_map_is_an_accessible_figure_with_attribution(self, can_atlas):
        block = needs.imd_map(can_atlas)
        assert block.html.startswith('<figure class="ehps-figure ehps-atlas-figure">')
        assert '<img src="data:image/png;base64,' in block.html
        assert _alt(block.html).startswith("Map of Canterbury's 90 neighbourhoods (LSOA 2011)")
        caption = re.search(r"<figcaption>(.*?)</figcaption>", block.html).group(1)
        assert "IMD 2019 on LSOA 2011 boundaries" in caption
        assert "Contains OS data © Crown copyright and database right 2014" in html.unescape(caption)
        assert "Ministry of Housing, Communities and Local Government (2019)" in caption
        assert "<caption>Neighbourhoods (LSOA 2011) by national IMD 2019 quintile, Canterbury</caption>" in block.html
        # the table equivalent has one row, the district (no area total for a single district)
        assert len(re.findall(r'<th scope="row">', block.html)) == 1

    def test_need_map_table_and_alt_text(self, can_atlas):
        block = imd_atlas.need_map(can_atlas, "ehn_rate")
        alt = _alt(block.html)
        assert "Canterbury has a heavy outline." in alt
        # tiny results: Canterbury 1,234 / 30,000 x 10,000 = 411.3; Kent 14,567 / 330,000 x 10,000 = 441.4;
        # the other districts have no result
        assert "Highest: Canterbury (411.3)" in alt and "Kent: 441.4." in alt
        assert '<th scope="row">Canterbury</th><td>411.3</td><td>1,234</td>' in block.html
        assert '<th scope="row">Dover</th><td>n/a</td>' in block.html

    def test_title_and_sources(self, can_atlas):
        title = imd_atlas.title_block(can_atlas)
        assert "<h1 class=\"ehps-title\">Canterbury: Deprivation and Early Help needs atlas</h1>" in title.html
        assert blocks.SYNTHETIC_BANNER_ATTR in title.html  # tiny_meta is synthetic
        # config.yml: suppression threshold 4; the gradient window of the hand-made table
        about = imd_atlas.about(can_atlas).text
        assert "Counts from 1 to 4" in about and "(October 2015 to September 2016)" in about
        src = imd_atlas.sources(can_atlas).html
        assert "GeoJSON by Martin Chorley" in src and "Open Government Licence v3.0" in src

    def test_unknown_indicator(self, can_atlas):
        with pytest.raises(scorecard_data.ScorecardError, match="Unknown indicator"):
            imd_atlas.need_map(can_atlas, "nope")


def test_published_gradient_end_to_end(synthetic_data_dir, monkeypatch):
    """The gradient computed from the fixture extract, published beside its results, read back."""
    from ehps_lib.papers import imd_atlas, needs, scorecard_data

    monkeypatch.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
    tables, manifest = io.read_processed(synthetic_data_dir)
    period = results.resolve_period("latest", results.extract_date_of(manifest))
    table, audit = dep.deprivation_results(tables, period, results.extract_date_of(manifest), threshold=4)
    # nothing from 1 to 4 is published, and every withheld row has no value
    counts = pd.concat([table["numerator"], table.loc[table["indicator_id"] == "closed_positive_pct",
                                                      "denominator"]])
    assert not counts.between(1, 4).any()
    assert table.loc[table["suppressed"], "value"].isna().all()
    assert set(audit["reason"]) <= {"primary", "complement", "secondary"}
    folder = io.results_dir(period.slug, synthetic_data_dir)
    written = io.write_parquet(table, folder / f"{needs.GRADIENT_TABLE}.parquet")
    try:
        a = imd_atlas.load_atlas(KENT, "latest")
        assert a.gradient is not None and len(needs.gradient_rows(a, "ehn_rate")) == 10
        # 2016-17 Q1 ends in June 2016: IMD 2015, and no children by neighbourhood had been published
        # (the earliest held, mid-2017, came out in 2018), so the rate has no chart but its counts...
        assert set(a.gradient["imd_vintage"]) == {"IMD 2015"} and a.gradient["population_year"].isna().all()
        rate = needs.gradient_chart(a, "ehn_rate").html
        assert "<img" not in rate and "published in October 2018" in rate and "<table" in rate
        # ... and a percentage, which needs no population, is drawn
        assert "<img" in needs.gradient_chart(a, "closed_positive_pct").html
        d = needs.from_scorecard(scorecard_data.load_scorecard(CAN, "latest"))
        assert len(needs.gradient_rows(d, "ehn_rate")) == 5
    finally:
        written.unlink()
