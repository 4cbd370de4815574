"""CYPF and EHPS-plan indicators from public data: the annual series the reference data hold.

Seed 004 lists 17 CYPF indicators for the District and County Dashboards. Four can be
built from the public files in the reference-data folder, as published:

* indicator 17, teenage conceptions: ONS, per 1,000 women aged 15-17, **by district**
  (calendar years 1998-2017), with Kent, the South East and England;
* indicator 1, children on a child protection plan at 31 March per 10,000 children: DfE
  counts over ONS 0-17 populations (Kent, South East, England, statistical neighbours);
* indicator 2, children looked after at 31 March per 10,000 children: DfE (2021-2025);
* indicator 13, 16-17 year olds NEET or whose activity is not known: DfE NEET scorecard.

and, for the EHPS one-year plan and the scorecard's thematic sections:

* referrals to children's social care and re-referrals within 12 months (DfE table C1;
  plan rows 1 and 2), children in need per 10,000 (DfE table B1);
* 16-17 year olds NEET (DfE NEET scorecard; plan row 18);
* persistent absence of pupils in social care groups (DfE; the closest to CYPF 14 held);
* hospital admissions for injuries to children aged 0-14 (OHID 90284; the closest to CYPF 8).

The result is one long table in the same shape as the case-data results, with
``period_kind = "year"``, the day each figure refers to in ``period_end`` (31 March for a DfE
reporting year or a financial year, 31 August for an academic year, 31 December for a calendar
year, the end of February for the DfE NEET December-to-February average), published suppression
symbols kept in ``flag``, and the target, floor and RAG of indicators with a published target
(Kent, and districts when the target applies to them). Values are never invented: a year or
area that is not in a file is simply absent.
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
    "referrals": "indicators_county/dfe_cin_referrals_c1_2013_2025.csv",
    "cin": "indicators_county/dfe_children_in_need_b1_2013_2025.csv",
    "absence": "indicators_county/dfe_absence_cin_cpp_cla_201819_202425.csv",
    "injuries": "indicators_county/ohid_fingertips_90284_injury_admissions_0_14.csv",
}

#: What each file is, as papers print it beside a figure: publisher, title and the vintage held.
SOURCES = {
    "conceptions": "ONS, Conceptions in England and Wales 2017, Table 6 (published 2019)",
    "cpp": "DfE, Characteristics of children in need, table D5 (2013-2025 series)",
    "population": "DfE (ONS mid-year estimates of children aged 0-17, 2012-2024)",
    "cla": "DfE, Children looked after in England, number and rate per 10,000 (2021-2025 series)",
    "neet": "DfE, NEET and participation local authority scorecard (2021-2025 files)",
    "referrals": "DfE, Characteristics of children in need, table C1 (2013-2025 series)",
    "cin": "DfE, Characteristics of children in need, table B1 (2013-2025 series)",
    "absence": "DfE, Outcomes for children in need including children looked after: absence (2018/19-2024/25)",
    "injuries": "OHID, Fingertips indicator 90284 (2010/11-2023/24 export)",
}


def _dfe_cin(year: int) -> dt.date:
    return dt.date(year, 11, 30)


def _neet_scorecard(year: int) -> dt.date:
    return dt.date(year, 6, 30)


#: When each year's figures were first published, by indicator, as a function of the year the
#: figures end in (the publishers' usual release month; the last day of that month): ONS
#: conceptions for year Y in March of Y + 2; DfE figures at 31 March of year Y (children in need
#: B1, referrals C1, CP plans D5) in November of Y, children looked after in September of Y; the
#: NEET scorecard for the winter ending in Y in June of Y; absence of children in need in the
#: academic year ending in Y in March of Y + 1 (DfE, Outcomes for children in need); OHID's injury
#: admissions for the financial year ending in Y in March of Y + 1 (Fingertips' annual update).
FIRST_PUBLISHED = {
    "cypf_teenage_conceptions": lambda year: dt.date(year + 2, 3, 31),
    "cypf_cp_rate": _dfe_cin,
    "cypf_cla_rate": lambda year: dt.date(year, 9, 30),
    "cypf_neet_not_known": _neet_scorecard,
    "neet_pct": _neet_scorecard,
    "scs_referrals": _dfe_cin,
    "scs_rereferral_pct": _dfe_cin,
    "cin_rate": _dfe_cin,
    "pa_social_care_pupils": lambda year: dt.date(year + 1, 3, 31),
    "injury_admissions_0_14": lambda year: dt.date(year + 1, 3, 31),
}
#: The edition each public file is taken from, as printed beside its figures.
EDITION = {
    "cypf_teenage_conceptions": "ONS, Conceptions in England and Wales 2017 (published 2019)",
    "cypf_cp_rate": "DfE, Characteristics of children in need 2024-25 time series",
    "cypf_cla_rate": "DfE, Children looked after 2024-25 time series",
    "cypf_neet_not_known": "DfE, NEET and participation local authority scorecards 2021-2025",
}


def _end_year(year: int | str) -> int:
    """The year a period label ends in: ``2016`` -> 2016, ``"2016/17"`` -> 2017."""
    text = str(year)
    return int(text[:4]) + 1 if "/" in text else int(text[:4])


def first_published(indicator_id: str, year: int | str) -> dt.date:
    """The day by which ``year``'s figures of a public indicator were first published (``year``:
    the period's label or the year it ends in; an indicator without a rule: the end of the next
    year).

    Examples
    --------
    >>> first_published("cypf_teenage_conceptions", 2015)
    datetime.date(2017, 3, 31)
    >>> first_published("injury_admissions_0_14", "2015/16")
    datetime.date(2017, 3, 31)
    """
    rule = FIRST_PUBLISHED.get(indicator_id)
    end = _end_year(year)
    return rule(end) if rule else dt.date(end + 1, 12, 31)


COLUMNS = ["indicator_id", "area_code", "area_name", "area_type", "period", "period_kind", "period_end",
           "numerator", "denominator", "value", "flag"]


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
        "period_end": pd.to_datetime(wide["year"].astype(int).astype(str) + "-12-31"),
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
        "period_end": _march(df["time_period"]),
        "numerator": count, "denominator": den, "value": count / den * 10000,
        "flag": np.where(count.isna(), df[count_column].astype(str), None),
    })


def _march(years: pd.Series) -> pd.Series:
    """31 March of a DfE reporting year (the year ending 31 March)."""
    return pd.to_datetime(years.astype(int).astype(str) + "-03-31").reset_index(drop=True).set_axis(years.index)


def referrals(c1: pd.DataFrame) -> pd.DataFrame:
    """EHPS plan rows 1 and 2: referrals to children's social care in the year ending 31 March,
    and the percentage that were re-referrals within 12 months (DfE table C1, as published)."""
    c1 = _dfe_areas(c1)
    count = _number(c1["referral_count"])
    again = _number(c1["rereferral_count"])
    pct = _number(c1["rereferral_percent"])
    common = {"area_code": c1["area_code"], "area_name": c1["area_name"], "area_type": c1["area_type"],
              "period": c1["time_period"].astype(str), "period_kind": "year", "period_end": _march(c1["time_period"])}
    return pd.concat([
        pd.DataFrame({"indicator_id": "scs_referrals", **common, "numerator": count, "denominator": np.nan,
                      "value": count, "flag": np.where(count.isna(), c1["referral_count"].astype(str), None)}),
        pd.DataFrame({"indicator_id": "scs_rereferral_pct", **common, "numerator": again, "denominator": count,
                      "value": pct, "flag": np.where(pct.isna(), c1["rereferral_percent"].astype(str), None)}),
    ], ignore_index=True)


def children_in_need_rate(b1: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Children in need at 31 March per 10,000 aged 0-17 (DfE table B1 over the ONS population of
    the year before, as for child protection plans)."""
    b1 = _dfe_areas(b1)
    pop = _dfe_areas(population)[["area_code", "time_period", "population_estimate"]]
    pop = pop.assign(time_period=pop["time_period"] + 1)
    df = b1.merge(pop, on=["area_code", "time_period"], how="inner")
    return _rate_per_10000(df, "cin_rate", "At31_episodes", "population_estimate")


def persistent_absence_social_care(absence: pd.DataFrame) -> pd.DataFrame:
    """Persistent absence (10% or more of sessions) of pupils in each social care group, all
    state-funded schools ("Total" phase), by academic year; one indicator with the group in
    ``subgroup``."""
    df = _dfe_areas(absence[absence["phase_type_grouping"] == "Total"])
    pct = _number(df["pt_pupils_pa_10_exact"])
    year = df["time_period"].astype(int)
    label = (year // 100).astype(str) + "/" + (year % 100).map("{:02d}".format)
    return pd.DataFrame({
        "indicator_id": "pa_social_care_pupils", "area_code": df["area_code"], "area_name": df["area_name"],
        "area_type": df["area_type"], "period": label, "period_kind": "year",
        "period_end": pd.to_datetime((year // 100 + 1).astype(str) + "-08-31"),
        "numerator": _number(df["t_pupils_pa_10_exact"]), "denominator": _number(df["t_pupils"]), "value": pct,
        "flag": np.where(pct.isna(), df["pt_pupils_pa_10_exact"].astype(str), None),
        "subgroup": df["social_care_group"].map(ABSENCE_GROUPS).fillna(df["social_care_group"]),
    })


#: The DfE's social care groups, in words.
ABSENCE_GROUPS = {"CINO at 31 March": "Children in need at 31 March",
                  "CPPO at 31 March": "On a child protection plan at 31 March",
                  "CLA 12 months at 31 March": "Looked after for 12 months at 31 March"}


def injury_admissions(oh: pd.DataFrame) -> pd.DataFrame:
    """Hospital admissions for injuries, children aged 0-14, per 10,000 (OHID 90284, persons,
    Kent and England), with OHID's own comparison with England."""
    df = oh[oh["Category Type"].isna() & (oh["Sex"] == "Persons")]
    df = df[(df["Area Name"] == "Kent") | ((df["Area Name"] == "England")
                                           & (df["Compared to England value or percentiles"] == "Not compared"))]
    df = df.drop_duplicates(["Area Code", "Time period"])
    end_year = df["Time period"].str[:4].astype(int) + 1
    return pd.DataFrame({
        "indicator_id": "injury_admissions_0_14", "area_code": df["Area Code"].to_numpy(),
        "area_name": df["Area Name"].to_numpy(),
        "area_type": np.where(df["Area Name"] == "England", "england", "county"),
        "period": df["Time period"].to_numpy(), "period_kind": "year",
        "period_end": pd.to_datetime(end_year.astype(str) + "-03-31").to_numpy(),
        "numerator": df["Count"].to_numpy(dtype=float), "denominator": df["Denominator"].to_numpy(dtype=float),
        "value": df["Value"].to_numpy(dtype=float), "flag": None,
        "published_comparison": np.where(df["Area Name"] == "Kent",
                                         df["Compared to England value or percentiles"].str.lower(), None),
    })


def neet_not_known(neet: pd.DataFrame) -> pd.DataFrame:
    """CYPF 13: 16-17 year olds NEET or activity not known, December to February average (DfE)."""
    neet = _dfe_areas(neet)
    cohort = _number(neet["Cohort_DJFavg"])
    end = pd.to_datetime(neet["time_period"].astype(int).astype(str) + "-02-28")
    frames = []
    for ind, column in (("cypf_neet_not_known", "NEET_not_known_percent"), ("neet_pct", "NEET_percent")):
        pct = _number(neet[column])
        frames.append(pd.DataFrame({
            "indicator_id": ind, "area_code": neet["area_code"], "area_name": neet["area_name"],
            "area_type": neet["area_type"], "period": neet["time_period"].astype(str), "period_kind": "year",
            "period_end": end, "numerator": np.nan, "denominator": cohort, "value": pct,
            "flag": np.where(pct.isna(), neet[column].astype(str), None),
        }))
    return pd.concat(frames, ignore_index=True)


#: Extra columns of some indicators: the group a row is about (absence by social care group) and
#: the publisher's own comparison with England (OHID).
EXTRA_COLUMNS = ["subgroup", "published_comparison"]


def public_results(polarity: dict[str, str] | None = None, catalogue: dict | None = None) -> pd.DataFrame:
    """Every indicator the public reference data support, with direction of travel against the
    previous year; for districts, rank among the 12 and comparison with Kent; for Kent, rank
    among Kent and its statistical neighbours; and, where the council published a target, the
    target, floor and RAG.

    ``polarity`` maps indicator ids to H/L/N (default: the catalogue's).
    """
    if catalogue is None:
        from .catalogue import load_catalogue

        catalogue = load_catalogue()
    if polarity is None:
        polarity = {i: c.polarity for i, c in catalogue.items()}
    frames = [
        teenage_conceptions(io.read_reference_csv(FILES["conceptions"])),
        child_protection_rate(io.read_reference_csv(FILES["cpp"]), io.read_reference_csv(FILES["population"])),
        children_looked_after_rate(io.read_reference_csv(FILES["cla"])),
        neet_not_known(io.read_reference_csv(FILES["neet"])),
        referrals(io.read_reference_csv(FILES["referrals"])),
        children_in_need_rate(io.read_reference_csv(FILES["cin"]), io.read_reference_csv(FILES["population"])),
        persistent_absence_social_care(io.read_reference_csv(FILES["absence"])),
        injury_admissions(io.read_reference_csv(FILES["injuries"])),
    ]
    out = pd.concat([f.reindex(columns=COLUMNS + EXTRA_COLUMNS) for f in frames], ignore_index=True)
    out["area_name"] = out["area_name"].replace({"ENGLAND": "England", "SOUTH EAST": "South East"})
    out["subgroup"] = out["subgroup"].fillna("")
    out["period_end"] = pd.to_datetime(out["period_end"])
    out["published"] = pd.to_datetime([first_published(i, p) for i, p in zip(out["indicator_id"], out["period"],
                                                                              strict=True)])
    out = out.sort_values(["indicator_id", "subgroup", "area_type", "area_code", "period"]).reset_index(drop=True)
    prev = out.groupby(["indicator_id", "subgroup", "area_code"])["value"].shift(1)
    out["previous_value"] = prev
    out["direction_previous"] = [stats.direction_of_travel(v, p, polarity.get(i, "N"))
                                 for i, v, p in zip(out["indicator_id"], out["value"], prev, strict=True)]
    # districts: rank (lowest rate first) and comparison with Kent using Byar's interval
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["compared_with_kent"] = stats.NOT_COMPARED
    districts = out[out["area_type"] == "district"]
    kent = out[(out["area_code"] == KENT_CODE) & (out["subgroup"] == "")].set_index(["indicator_id", "period"])["value"]
    for (ind, _period), part in districts.groupby(["indicator_id", "period"]):
        out.loc[part.index, "rank"] = stats.rank_areas(part["value"], polarity.get(ind, "N"))
    lo, hi, _ = stats.byar_ci(districts["numerator"], districts["denominator"], per=1000)
    out.loc[districts.index, "compared_with_kent"] = [
        stats.compare_with_benchmark(v, lo_, hi_, kent.get((i, p)), polarity.get(i, "N"))
        for i, p, v, lo_, hi_ in zip(districts["indicator_id"], districts["period"], districts["value"], lo, hi,
                                     strict=True)]
    # Kent among its statistical neighbours (rank 1 best; for no-judgement indicators, highest first)
    out["rank_neighbours"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["rank_neighbours_of"] = pd.array([pd.NA] * len(out), dtype="Int64")
    peers = out[out["area_type"].isin(["county", "statistical_neighbour"]) & out["value"].notna()]
    for (ind, _sub, _period), part in peers.groupby(["indicator_id", "subgroup", "period"]):
        # counts depend on the size of the council: only rates and percentages are ranked
        if (part["area_type"] == "statistical_neighbour").any() and getattr(catalogue.get(ind), "unit", "") != "count":
            ranks = stats.rank_areas(part["value"], polarity.get(ind, "N"))
            out.loc[part.index, "rank_neighbours"] = ranks
            out.loc[part.index, "rank_neighbours_of"] = len(part)
    # targets and RAG: Kent always; districts when the target applies to every area
    out["target"], out["floor"], out["rag"] = np.nan, np.nan, None
    for ind_id, part in out.groupby("indicator_id"):
        ind = catalogue.get(ind_id)
        if ind is None or not ind.has_target:
            continue
        areas = [KENT_CODE] + (list(DISTRICTS) if ind.target_scope == "all" else [])
        rows = part.index[part["area_code"].isin(areas)]
        out.loc[rows, "target"] = float(ind.target)
        out.loc[rows, "floor"] = np.nan if ind.floor is None else float(ind.floor)
        out.loc[rows, "rag"] = [stats.rag_status(v, ind.target, ind.floor, ind.polarity)
                                for v in out.loc[rows, "value"]]
    return out


def period_end_of(label: str) -> pd.Timestamp:
    """The day a public figure refers to, from its period label alone (for tables made without
    ``period_end``): a calendar year ends on 31 December, a split year ("2016/17") on 31 March.

    Examples
    --------
    >>> str(period_end_of("2016").date()), str(period_end_of("2016/17").date())
    ('2016-12-31', '2017-03-31')
    """
    text = str(label)
    if "/" in text:
        return pd.Timestamp(f"{int(text[:4]) + 1}-03-31")
    return pd.Timestamp(f"{int(text[:4])}-12-31")


def with_defaults(public: pd.DataFrame) -> pd.DataFrame:
    """``public`` with every column papers read, for tables made by hand with fewer: ``subgroup``
    (""), ``period_end`` (from the labels), ``published`` (:func:`first_published`), ``area_type``
    (from the codes) and the assessed columns (missing: not ranked, not rated, not compared)."""
    out = public
    if "subgroup" not in out.columns:
        out = out.assign(subgroup="")
    if "period_end" not in out.columns:
        out = out.assign(period_end=[period_end_of(x) for x in out["period"]])
    if "published" not in out.columns:
        out = out.assign(published=pd.to_datetime([first_published(i, p) for i, p in
                                                   zip(out["indicator_id"], out["period"], strict=True)]))
    if "area_type" not in out.columns:
        kinds = {KENT_CODE: "county", ENGLAND_CODE: "england", SOUTH_EAST_CODE: "region"}
        out = out.assign(area_type=[kinds.get(c, "district" if c in DISTRICTS else "statistical_neighbour")
                                    for c in out["area_code"]])
    defaults = {"rank_neighbours": pd.NA, "rank_neighbours_of": pd.NA, "rag": None, "published_comparison": None,
                "direction_previous": stats.NOT_COMPARED, "flag": None}
    missing = {k: v for k, v in defaults.items() if k not in out.columns}
    return out.assign(**missing) if missing else out


def latest_on_or_before(public: pd.DataFrame, indicator_id: str, area_code: str, day: dt.date,
                        subgroup: str = "") -> pd.Series | None:
    """The row of ``indicator_id`` for ``area_code`` with the latest ``period_end`` among the
    figures with a value first published on or before ``day`` (a paper never shows a figure
    released after its own period: :func:`first_published`); None when there is none.

    Examples
    --------
    >>> pub = pd.DataFrame({"indicator_id": ["cypf_cp_rate"] * 3, "area_code": ["A"] * 3, "subgroup": [""] * 3,
    ...                     "period": ["2015", "2016", "2017"], "value": [1.0, 2.0, 3.0],
    ...                     "period_end": pd.to_datetime(["2015-03-31", "2016-03-31", "2017-03-31"])})
    >>> latest_on_or_before(pub, "cypf_cp_rate", "A", dt.date(2017, 3, 31))["period"]
    '2016'
    >>> latest_on_or_before(pub, "cypf_cp_rate", "A", dt.date(2015, 10, 31)) is None
    True
    """
    public = with_defaults(public)
    sel = public[(public["indicator_id"] == indicator_id) & (public["area_code"] == area_code)
                 & (public["subgroup"].fillna("") == subgroup) & public["value"].notna()
                 & (public["published"] <= pd.Timestamp(day))]
    if sel.empty:
        return None
    return sel.sort_values("period_end").iloc[-1]
