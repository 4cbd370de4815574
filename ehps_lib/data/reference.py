"""Loaders for the public reference data: boundaries, IMD 2019 and population.

Files are looked up in the reference-data folder (:func:`ehps_lib.config.reference_dir`).
Every loader returns tidy, GSS-coded tables with snake_case columns, and records the
vintage of what it loaded so that maps and rates can print it.

Attribution text to print with maps and rates is in :data:`ATTRIBUTION`
(from ``SOURCES.md`` of the reference data).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .. import config
from ..geography import DISTRICTS, KENT_CODE
from . import io

FILES = {
    "lsoa_boundaries": "boundaries/kent_lsoa11_bgc.geojson",
    "district_boundaries": "boundaries/kent_lad_from_lsoa11_bgc_dissolve.geojson",
    "imd2019": "imd/kent_imd2019_lsoa11_combined.csv",
    "population_bands": "population/kent_population_agebands_derived.csv",
    "lsoa_population": {
        2017: "population/kent_sape_mid2017_lsoa11_syoa_persons.csv",
        2019: "population/kent_sape_mid2019_lsoa11_syoa_persons.csv",
        2020: "population/kent_sape_mid2020_lsoa11_syoa_persons.csv",
    },
    #: Single years of age by district (and Kent): MYE2 for 2014, 2019 and 2020; 2017 from the LSOA file.
    "district_population_syoa": {
        2014: "population/kent_mye2_mid2014_lad_syoa.csv",
        2019: "population/kent_mye2_mid2019_lad_syoa_persons.csv",
        2020: "population/kent_mye2_mid2020_lad_syoa_persons.csv",
    },
}

ATTRIBUTION = {
    "boundaries": (
        "Contains National Statistics data © Crown copyright and database right 2014. Contains OS data "
        "© Crown copyright and database right 2014. Boundaries: ONS (Open Government Licence v3.0), "
        "GeoJSON by Martin Chorley, github.com/martinjc/UK-GeoJSON (CC BY 4.0)."
    ),
    "imd2019": (
        "English Indices of Deprivation 2019: Ministry of Housing, Communities and Local Government (2019). "
        "Contains public sector information licensed under the Open Government Licence v3.0."
    ),
    "population": (
        "Source: Office for National Statistics, mid-year population estimates, licensed under the "
        "Open Government Licence v3.0."
    ),
    "imd_score": "Composite UK IMD, mySociety, CC BY 4.0",
}

VINTAGE = {"lsoa": "LSOA 2011", "imd": "IMD 2019", "boundaries": "ONS December 2011 generalised (20 m) clipped"}


def _cache_key() -> str:
    return str(config.reference_dir())


@lru_cache(maxsize=4)
def _imd2019(key: str) -> pd.DataFrame:
    raw = io.read_reference_csv(FILES["imd2019"])
    out = raw.rename(columns={"lsoa11cd": "lsoa11_code", "lsoa11nm": "lsoa11_name", "lad19cd": "district_code"})
    return out.drop(columns=["lad19nm"])


def imd2019() -> pd.DataFrame:
    """IMD 2019 for Kent's 902 LSOAs (2011): ranks, deciles (1 = most deprived 10 % in England),
    domain ranks and deciles, IDACI score, and the district each LSOA lies in."""
    return _imd2019(_cache_key()).copy()


@lru_cache(maxsize=4)
def _population_bands(key: str) -> pd.DataFrame:
    return io.read_reference_csv(FILES["population_bands"])


def population_years() -> list[int]:
    """Mid-year estimate years available for the district age-band populations."""
    return sorted(_population_bands(_cache_key())["year"].unique().tolist())


def nearest_population_year(year: int) -> int:
    """The available mid-year estimate nearest to ``year`` (ties go to the earlier year).

    Examples
    --------
    >>> nearest_population_year(2015), nearest_population_year(2016), nearest_population_year(2030)
    (2014, 2017, 2020)
    """
    years = population_years()
    return min(years, key=lambda y: (abs(y - year), y))


def population(year: int) -> pd.DataFrame:
    """District and Kent population by age band for the mid-year estimate nearest ``year``.

    Returns one row per area with ``area_code``, ``year`` (the estimate used), ``source``
    and the band columns ``age_0_4``, ``age_5_10``, ``age_11_15``, ``age_16_17``,
    ``age_0_17`` (and others).
    """
    used = nearest_population_year(year)
    df = _population_bands(_cache_key())
    out = df[df["year"] == used].drop(columns=["area_name"]).reset_index(drop=True)
    missing = set([KENT_CODE, *DISTRICTS]) - set(out["area_code"])
    if missing:
        raise ValueError(f"Population file lacks areas {sorted(missing)} for {used}")
    return out


@lru_cache(maxsize=8)
def _district_syoa(key: str, year: int) -> pd.DataFrame:
    """Population by single year of age (columns "0" .. "89"), one row per district and Kent."""
    if year in FILES["district_population_syoa"]:
        raw = io.read_reference_csv(FILES["district_population_syoa"][year], dtype={"CODE": str})
        if "SEX" in raw.columns:
            raw = raw[raw["SEX"].str.lower() == "persons"].rename(columns={"CODE": "area_code"})
        ages = [str(a) for a in range(90)]
        return raw.set_index("area_code")[ages].astype(float)
    raw = io.read_reference_csv(FILES["lsoa_population"][year])
    ages = [str(a) for a in range(90)]
    by_lsoa = raw.set_index("lsoa11_code")[ages].astype(float)
    district = imd2019().set_index("lsoa11_code")["district_code"]
    out = by_lsoa.groupby(district.reindex(by_lsoa.index)).sum()
    out.loc[KENT_CODE] = out.loc[list(DISTRICTS)].sum()
    return out


def population_ages(year: int, youngest: int, oldest: int) -> pd.DataFrame:
    """Population aged ``youngest`` to ``oldest`` (whole years, inclusive) of Kent and each district,
    from the mid-year estimate nearest ``year`` (as :func:`population`).

    Returns ``area_code``, ``year`` (the estimate used) and ``population``.

    Examples
    --------
    >>> pop = population_ages(2014, 10, 17).set_index("area_code")
    >>> int(pop.loc["E10000016", "population"]), int(pop.loc["E10000016", "year"])
    (144803, 2014)
    """
    if not 0 <= youngest <= oldest <= 89:
        raise ValueError(f"ages must satisfy 0 <= youngest <= oldest <= 89, got {youngest} to {oldest}")
    used = nearest_population_year(year)
    syoa = _district_syoa(_cache_key(), used)
    total = syoa[[str(a) for a in range(youngest, oldest + 1)]].sum(axis=1)
    missing = set([KENT_CODE, *DISTRICTS]) - set(total.index)
    if missing:
        raise ValueError(f"Single-year population for {used} lacks areas {sorted(missing)}")
    return pd.DataFrame({"area_code": total.index, "year": used, "population": total.to_numpy()})


@lru_cache(maxsize=8)
def _lsoa_population(key: str, year: int) -> pd.DataFrame:
    raw = io.read_reference_csv(FILES["lsoa_population"][year])
    ages = [str(a) for a in range(18)]
    return pd.DataFrame({
        "lsoa11_code": raw["lsoa11_code"],
        "pop_0_17": raw[ages].sum(axis=1),
        **{f"age_{a}": raw[a] for a in ages},
    })


def lsoa_population(year: int = 2017) -> pd.DataFrame:
    """LSOA population aged 0-17 (and by single year of age) from ONS small-area estimates.

    ``year`` is rounded to the nearest available estimate (2017, 2019 or 2020).
    """
    available = sorted(FILES["lsoa_population"])
    used = min(available, key=lambda y: (abs(y - year), y))
    return _lsoa_population(_cache_key(), used).assign(year=used)


def lsoa_lookup() -> pd.DataFrame:
    """Kent LSOA 2011 codes with their district, IMD 2019 decile and IDACI score."""
    return imd2019()[["lsoa11_code", "lsoa11_name", "district_code", "imd_rank", "imd_decile",
                      "idaci_score"]]


@lru_cache(maxsize=4)
def _boundaries(key: str, which: str):
    gdf = io.read_reference_geojson(FILES[which])
    if which == "lsoa_boundaries":
        gdf = gdf.rename(columns={"LSOA11CD": "lsoa11_code", "LSOA11NM": "lsoa11_name",
                                  "LAD_file_code": "district_code"})
    else:
        gdf = gdf.rename(columns={"LAD19CD": "district_code", "LAD19NM": "district_name"})
    return gdf


def lsoa_boundaries():
    """Kent LSOA 2011 boundaries (GeoDataFrame, EPSG:4326)."""
    return _boundaries(_cache_key(), "lsoa_boundaries").copy()


def district_boundaries():
    """Kent district boundaries dissolved from the LSOA 2011 layer (edges coincide exactly)."""
    return _boundaries(_cache_key(), "district_boundaries").copy()


def clear_cache() -> None:
    """Forget loaded reference data (after changing EHPS_REFERENCE_DIR)."""
    for fn in (_imd2019, _population_bands, _lsoa_population, _district_syoa, _boundaries):
        fn.cache_clear()


# -- integrity -------------------------------------------------------------------------------------
CHECKSUMS = "SHA256SUMS"


def checksum_problems(folder=None) -> list[str]:
    """Every way the reference folder differs from its ``SHA256SUMS``: a file missing, changed,
    or present but not listed. An empty list means the folder is whole.

    ``folder`` defaults to :func:`ehps_lib.config.reference_dir`. A folder without
    ``SHA256SUMS`` (an analyst's own copy) is one problem saying so.
    """
    from pathlib import Path

    root = Path(folder) if folder is not None else config.reference_dir()
    sums = root / CHECKSUMS
    if not sums.is_file():
        return [f"{sums} is missing: the reference files cannot be checked"]
    expected: dict[str, str] = {}
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            return [f"{sums}, line {n}: not '<sha256>  <file>'"]
        expected[name.strip()] = digest
    problems = []
    for name, digest in sorted(expected.items()):
        path = root / name
        if not path.is_file():
            problems.append(f"{name}: listed in {CHECKSUMS} but missing")
        elif io.sha256_file(path) != digest:
            problems.append(f"{name}: changed (its SHA-256 differs from {CHECKSUMS})")
    listed = set(expected) | {CHECKSUMS, "SOURCES.md"}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel not in listed:
            problems.append(f"{rel}: not listed in {CHECKSUMS}")
    return problems
