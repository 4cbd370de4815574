"""CYPF indicators from public data: the annual series the reference data hold.

Seed 004 lists 17 CYPF indicators for the District and County Dashboards. Four can be
built from the public files in the reference-data folder, as published:

* indicator 17, teenage conceptions: ONS, per 1,000 women aged 15-17, **by district**
  (calendar years 1998-2017), with Kent, the South East and England;
* indicator 1, children on a child protection plan at 31 March per 10,000 children: DfE
  counts over ONS 0-17 populations (Kent, South East, England, statistical neighbours);
* indicator 2, children looked after at 31 March per 10,000 children: DfE (2021-2025);
* indicator 13, 16-17 year olds NEET or whose activity is not known: DfE NEET scorecard.

The result is one long table in the same shape as the case-data results, with
``period_kind = "year"`` and published suppression symbols kept in ``flag``. Values are
never invented: a year or area that is not in a file is simply absent.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..data import io
from ..geography import DISTRICTS, KENT_CODE, district_name
from . import stats

ENGLAND_CODE, SOUTH_EAST_CODE = "E92000001", "E12000008"

FILES = {
    "conceptions": "indicators_district/ons_under18_conceptions_1998_2017_kent.csv",
    "cpp": "indicators_county/dfe_cpp_at31march_duration_d5_2013_2025.csv",
    "population": "indicators_county/dfe_ons_population_0_17_2012_2024.csv",
    "cla": "indicators_county/dfe_cla_number_rate_per_10k_2021_2025.csv",
    "neet": "indicators_county/dfe_neet_participation_16_17_2021_2025.csv",
}

#: When each year's figures were first published, by indicator (the publishers' usual release
#: month; the last day of that month): ONS conceptions for year Y in March of Y + 2; DfE figures at
#: 31 March of year Y in November (children in need, CP plans), September (children looked after)
#: of Y; the NEET scorecard for the winter ending in Y in June of Y.
FIRST_PUBLISHED = {
    "cypf_teenage_conceptions": lambda year: dt.date(year + 2, 3, 31),
    "cypf_cp_rate": lambda year: dt.date(year, 11, 30),
    "cypf_cla_rate": lambda year: dt.date(year, 9, 30),
    "cypf_neet_not_known": lambda year: dt.date(year, 6, 30),
}
#: The edition each public file is taken from, as printed beside its figures.
EDITION = {
    "cypf_teenage_conceptions": "ONS, Conceptions in England and Wales 2017 (published 2019)",
    "cypf_cp_rate": "DfE, Characteristics of children in need 2024-25 time series",
    "cypf_cla_rate": "DfE, Children looked after 2024-25 time series",
    "cypf_neet_not_known": "DfE, NEET and participation local authority scorecards 2021-2025",
}


def first_published(indicator_id: str, year: int) -> dt.date:
    """The day by which ``year``'s figures of a public indicator were first published.

    Examples
    --------
    >>> first_published("cypf_teenage_conceptions", 2015)
    datetime.date(2017, 3, 31)
    """
    rule = FIRST_PUBLISHED.get(indicator_id)
    return rule(int(year)) if rule else dt.date(int(year) + 1, 12, 31)


COLUMNS = ["indicator_id", "area_code", "area_name", "area_type", "period", "period_kind", "numerator",
           "denominator", "value", "flag"]


def _area_type(level: str, kent_or_sn: object) -> str:
    if level == "National":
        return "england"
    if level == "Regional":
        return "region"
    return "county" if kent_or_sn == "Kent" else "statistical_neighbour"


def _dfe_areas(df: pd.DataFrame) -> pd.DataFrame:
    code = np.where(df["geographic_level"] == "National", ENGLAND_CODE,
                    np.where(df["geographic_level"] == "Regional", SOUTH_EAST_CODE, df["new_la_code"]))
    name = np.where(df["geographic_level"] == "National", "England",
                    np.where(df["geographic_level"] == "Regional", "South East", df["la_name"]))
    kind = [_area_type(lv, k) for lv, k in zip(df["geographic_level"], df["kent_or_sn"], strict=True)]
    return df.assign(area_code=code, area_name=name, area_type=kind)


def _number(series: pd.Series) -> pd.Series:
    """Published text to numbers; suppression symbols (c, x, z, low) become missing."""
    return pd.to_numeric(series, errors="coerce")


def teenage_conceptions(raw: pd.DataFrame) -> pd.DataFrame:
    """CYPF 17: under-18 conceptions per 1,000 women aged 15-17 (ONS), by district."""
    wide = raw.pivot_table(index=["area_code", "area_name", "year"], columns="measure", values="value",
                           aggfunc="first").reset_index()
    flags = raw[raw["measure"] == "conception_rate_per_1000_women_15_17"].set_index(["area_code", "year"])["flag"]
    count = wide["conceptions_number"]
    rate = wide["conception_rate_per_1000_women_15_17"]
    area_type = np.select([wide["area_code"].isin(DISTRICTS), wide["area_code"] == KENT_CODE,
                           wide["area_code"] == ENGLAND_CODE], ["district", "county", "england"], "region")
    out = pd.DataFrame({
        "indicator_id": "cypf_teenage_conceptions", "area_code": wide["area_code"],
        "area_name": [district_name(c) if c in DISTRICTS else n for c, n in zip(wide["area_code"],
                                                                                 wide["area_name"], strict=True)],
        "area_type": area_type, "period": wide["year"].astype(int).astype(str), "period_kind": "year",
        "numerator": count, "denominator": count / rate * 1000, "value": rate,
        "flag": [flags.get((c, y)) for c, y in zip(wide["area_code"], wide["year"], strict=True)],
    })
    out["flag"] = out["flag"].where(out["flag"].notna(), None)
    return out


def child_protection_rate(cpp: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """CYPF 1: children on a CP plan at 31 March per 10,000 aged 0-17 (DfE; population from the
    mid-year estimate of the year before, as DfE does)."""
    cpp = _dfe_areas(cpp)
    pop = _dfe_areas(population)[["area_code", "time_period", "population_estimate"]]
    pop = pop.assign(time_period=pop["time_period"] + 1)  # mid-2024 population for 31 March 2025
    df = cpp.merge(pop, on=["area_code", "time_period"], how="inner")
    return _rate_per_10000(df, "cypf_cp_rate", "CPP_At31", "population_estimate")


def children_looked_after_rate(cla: pd.DataFrame) -> pd.DataFrame:
    """CYPF 2: children looked after at 31 March per 10,000 aged 0-17 (DfE, including UASC)."""
    cla = _dfe_areas(cla[cla["population_type"] == "Children looked after on 31 March each year"])
    return _rate_per_10000(cla, "cypf_cla_rate", "children_count", "population_estimate")


def _rate_per_10000(df: pd.DataFrame, indicator_id: str, count_column: str, population_column: str) -> pd.DataFrame:
    """A DfE count over its population, per 10,000 (a published symbol such as ``c`` is kept as the flag)."""
    count = _number(df[count_column])
    den = _number(df[population_column])
    return pd.DataFrame({
        "indicator_id": indicator_id, "area_code": df["area_code"], "area_name": df["area_name"],
        "area_type": df["area_type"], "period": df["time_period"].astype(str), "period_kind": "year",
        "numerator": count, "denominator": den, "value": count / den * 10000,
        "flag": np.where(count.isna(), df[count_column].astype(str), None),
    })


def neet_not_known(neet: pd.DataFrame) -> pd.DataFrame:
    """CYPF 13: 16-17 year olds NEET or activity not known, December to February average (DfE)."""
    neet = _dfe_areas(neet)
    pct = _number(neet["NEET_not_known_percent"])
    cohort = _number(neet["Cohort_DJFavg"])
    return pd.DataFrame({
        "indicator_id": "cypf_neet_not_known", "area_code": neet["area_code"], "area_name": neet["area_name"],
        "area_type": neet["area_type"], "period": neet["time_period"].astype(str), "period_kind": "year",
        "numerator": np.nan, "denominator": cohort, "value": pct,
        "flag": np.where(pct.isna(), neet["NEET_not_known_percent"].astype(str), None),
    })


def public_results(polarity: dict[str, str] | None = None) -> pd.DataFrame:
    """Every CYPF indicator the public reference data support, with direction of travel
    against the previous year and, for districts, rank among the 12 and comparison with Kent.

    ``polarity`` maps indicator ids to H/L/N (default: the catalogue's).
    """
    if polarity is None:
        from .catalogue import load_catalogue

        polarity = {i: c.polarity for i, c in load_catalogue().items()}
    frames = [
        teenage_conceptions(io.read_reference_csv(FILES["conceptions"])),
        child_protection_rate(io.read_reference_csv(FILES["cpp"]), io.read_reference_csv(FILES["population"])),
        children_looked_after_rate(io.read_reference_csv(FILES["cla"])),
        neet_not_known(io.read_reference_csv(FILES["neet"])),
    ]
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    out["area_name"] = out["area_name"].replace({"ENGLAND": "England", "SOUTH EAST": "South East"})
    out = out.sort_values(["indicator_id", "area_type", "area_code", "period"]).reset_index(drop=True)
    prev = out.groupby(["indicator_id", "area_code"])["value"].shift(1)
    out["previous_value"] = prev
    out["direction_previous"] = [stats.direction_of_travel(v, p, polarity.get(i, "N"))
                                 for i, v, p in zip(out["indicator_id"], out["value"], prev, strict=True)]
    # districts: rank (lowest rate first) and comparison with Kent using Byar's interval
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["compared_with_kent"] = stats.NOT_COMPARED
    districts = out[out["area_type"] == "district"]
    kent = out[out["area_code"] == KENT_CODE].set_index(["indicator_id", "period"])["value"]
    for (ind, _period), part in districts.groupby(["indicator_id", "period"]):
        out.loc[part.index, "rank"] = stats.rank_areas(part["value"], polarity.get(ind, "N"))
    lo, hi, _ = stats.byar_ci(districts["numerator"], districts["denominator"], per=1000)
    out.loc[districts.index, "compared_with_kent"] = [
        stats.compare_with_benchmark(v, lo_, hi_, kent.get((i, p)), polarity.get(i, "N"))
        for i, p, v, lo_, hi_ in zip(districts["indicator_id"], districts["period"], districts["value"], lo, hi,
                                     strict=True)]
    return out
