"""Reference data by the period's date: a paper uses only what had been published by the end of its
period (IMD 2015 for 2016-17 papers, the population estimates out by then, district names as they
were), and says which edition it used."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ehps_lib.data import io, reference
from ehps_lib.indicators import public, results
from ehps_lib.papers.district_dashboard import public_year
from ehps_lib.periods import Period

ROOT = Path(__file__).resolve().parent.parent
KENT = "E10000016"
END_2016_17 = dt.date(2017, 3, 31)


class TestEditions:
    def test_a_2016_17_paper_gets_imd_2015_and_the_mid_2014_population(self):
        assert reference.edition("imd", None, END_2016_17).label == "IMD 2015"
        assert reference.nearest_population_year(2016, END_2016_17) == 2014
        with pytest.raises(reference.VintageError, match="published by 31 March 2017"):
            reference.lsoa_population(2016, END_2016_17)

    def test_later_periods_get_later_editions(self):
        assert reference.edition("imd", None, dt.date(2020, 3, 31)).label == "IMD 2019"
        assert reference.nearest_population_year(2019, dt.date(2020, 9, 30)) == 2019
        assert int(reference.lsoa_population(2019, dt.date(2021, 3, 31))["year"].iloc[0]) == 2019

    def test_imd_2015_is_read_from_its_own_file(self):
        table, label = reference.imd(END_2016_17)
        raw = pd.read_csv(ROOT / "data" / "reference" / "imd" / "kent_imd2015_lsoa11.csv")
        assert label == "IMD 2015" and len(table) == 902
        first = raw.iloc[0]
        row = table.set_index("lsoa11_code").loc[first["lsoa11_code"]]
        assert (row["imd_rank"], row["imd_decile"]) == (first["IMD_rank"], first["IMD_decile"])
        assert table["idaci_score"].isna().all()  # IDACI 2015 is not held; 2019's is never borrowed

    def test_public_figures_are_those_published_by_the_end_of_the_period(self):
        pub = pd.DataFrame({"indicator_id": "cypf_teenage_conceptions", "area_code": "A",
                            "period": ["2014", "2015", "2016", "2017"], "value": 1.0})
        # conceptions in 2016 were first published in March 2018
        assert public_year(pub, "cypf_teenage_conceptions", "A", Period.parse("2016-17 Q4")) == "2015"
        assert public.first_published("cypf_cp_rate", 2016) == dt.date(2016, 11, 30)


def test_results_use_the_population_published_by_the_end_of_the_period(synthetic_data_dir):
    """The fixture's 2016-17 Q1 (to June 2016): rates over the ONS mid-2014 estimate, the latest out by then."""
    published, meta = io.read_results("2016-17-Q1", synthetic_data_dir)
    assert meta["reference"]["population"].startswith("ONS mid-2014")
    assert meta["reference"]["imd"] == "IMD 2015"
    bands = pd.read_csv(ROOT / "data" / "reference" / "population" / "kent_population_agebands_derived.csv")
    kent_2014 = float(bands[(bands["year"] == 2014) & (bands["area_code"] == KENT)]["age_0_17"].iloc[0])
    rows = published[(published["indicator_id"] == "ehn_rate") & (published["area_code"] == KENT)
                     & (published["age_band"] == "all") & published["denominator"].notna()]
    assert len(rows) and (rows["denominator"] == kent_2014).all()


def test_every_edition_a_paper_names_was_out_by_the_end_of_its_period(synthetic_data_dir):
    _, meta = io.read_results("2016-17-Q1", synthetic_data_dir)
    end = Period.parse(meta["period"]).end
    by_label = {e.label: e for e in reference.EDITIONS}
    named = [v for v in meta["reference"].values() if not v.startswith("none")]
    assert named and all(by_label[v].published <= end for v in named)
    assert results.reference_vintages(Period.parse("2016-17 Q1"))["lsoa_population"].startswith("none published")


@pytest.mark.slow
def test_no_page_of_a_2016_17_pack_names_later_reference_data(built_site):
    later = ("IMD 2019", "IDACI 2019", "Indices of Deprivation 2019", "mid-2017", "mid-2019", "Folkestone and Hythe")
    found = {}
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        hits = [w for w in later if w in text]
        if hits:
            found[str(page.relative_to(built_site))] = hits
    assert found == {}
