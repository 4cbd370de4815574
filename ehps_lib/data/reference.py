"""Loaders for the public reference data: boundaries, IMD 2015 and 2019, and population.

Each edition held is listed in :data:`EDITIONS` with the day it was first published, so that a
paper uses only the reference data that existed at the end of its period (:func:`edition`).

Files are looked up in the reference-data folder (:func:`ehps_lib.config.reference_dir`).
Every loader returns tidy, GSS-coded tables with snake_case columns, and records the
vintage of what it loaded so that maps and rates can print it.

Attribution text to print with maps and rates is in :data:`ATTRIBUTION`
(from ``SOURCES.md`` of the reference data).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .. import config
from ..geography import DISTRICTS, KENT_CODE
from . import io

FILES = {
    "imd2015": "imd/kent_imd2015_lsoa11.csv",
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

ATTRIBUTION["imd2015"] = (
    "English Indices of Deprivation 2015: Department for Communities and Local Government (2015). "
    "Contains public sector information licensed under the Open Government Licence v3.0."
)

VINTAGE = {"lsoa": "LSOA 2011", "imd": "IMD 2019", "boundaries": "ONS December 2011 generalised (20 m) clipped"}


# -- editions: which reference data existed on a given day ----------------------------------------------
@dataclass(frozen=True)
class Edition:
    """One edition of a reference data set held in the folder: what it is, the year its
    figures are for, and when it was first published (a paper uses only what was published by
    the end of its period)."""

    kind: str
    label: str
    year: int
    published: dt.date


#: Every edition held in ``data/reference`` (see SOURCES.md), with its first publication. Dates are
#: the publishers' release dates; where only the month is known, the last day of that month.
EDITIONS: tuple[Edition, ...] = (
    Edition("imd", "IMD 2015", 2015, dt.date(2015, 9, 30)),
    Edition("imd", "IMD 2019", 2019, dt.date(2019, 9, 26)),
    Edition("population", "ONS mid-2014 population estimates (MYE2, published June 2015)", 2014,
            dt.date(2015, 6, 25)),
    Edition("population", "ONS mid-2017 small area population estimates summed to districts (SAPE20, published "
            "October 2018)", 2017, dt.date(2018, 10, 31)),
    Edition("population", "ONS mid-2019 population estimates (MYE2, published June 2020)", 2019, dt.date(2020, 6, 24)),
    Edition("population", "ONS mid-2020 population estimates (MYE2, published June 2021)", 2020, dt.date(2021, 6, 25)),
    Edition("lsoa_population", "ONS mid-2017 small area population estimates (SAPE20, published October 2018)", 2017,
            dt.date(2018, 10, 31)),
    Edition("lsoa_population", "ONS mid-2019 small area population estimates (SAPE22, published October 2020)",
            2019, dt.date(2020, 10, 31)),
    Edition("lsoa_population", "ONS mid-2020 small area population estimates (SAPE23, published September 2021)",
            2020, dt.date(2021, 9, 30)),
)


class VintageError(LookupError):
    """No edition of a reference data set was published by the day asked for."""


def editions(kind: str, as_of: dt.date | None = None) -> list[Edition]:
    """The editions of ``kind`` held in the reference folder, oldest first; with ``as_of``,
    only those published on or before it.

    Examples
    --------
    >>> import datetime as dt
    >>> [e.label for e in editions("imd", dt.date(2017, 3, 31))]
    ['IMD 2015']
    >>> editions("lsoa_population", dt.date(2017, 3, 31))
    []
    """
    out = sorted((e for e in EDITIONS if e.kind == kind), key=lambda e: (e.year, e.published))
    return [e for e in out if as_of is None or e.published <= as_of]


def edition(kind: str, year: int | None = None, as_of: dt.date | None = None) -> Edition:
    """The edition of ``kind`` to use: among those published by ``as_of`` (default: all), the
    one whose year is nearest ``year`` (ties to the earlier; default: the latest).

    Raises
    ------
    VintageError
        When none was published by ``as_of``, naming what is held and when it was published.
    """
    have = editions(kind, as_of)
    if not have:
        held = "; ".join(f"{e.label} ({e.published:%d %B %Y})" for e in editions(kind)) or "none"
        raise VintageError(f"No {kind.replace('_', ' ')} edition held in data/reference was published by "
                           f"{as_of:%d %B %Y}. Held: {held}. Add an earlier edition (see data/reference/SOURCES.md).")
    if year is None:
        return have[-1]
    return min(have, key=lambda e: (abs(e.year - year), e.year))



def _cache_key() -> str:
    return str(config.reference_dir())


@lru_cache(maxsize=4)
def _imd2015(key: str) -> pd.DataFrame:
    raw = io.read_reference_csv(FILES["imd2015"])
    return pd.DataFrame({"lsoa11_code": raw["lsoa11_code"], "lsoa11_name": raw["lsoa11_name"],
                         "district_code": raw["lad13_code"], "imd_rank": raw["IMD_rank"],
                         "imd_decile": raw["IMD_decile"], "imd_score": raw["IMD_score"]})


def imd(as_of: dt.date | None = None) -> tuple[pd.DataFrame, str]:
    """The Indices of Deprivation that existed on ``as_of`` (default: the latest held), for
    Kent's LSOAs (2011), with their label ("IMD 2015").

    IMD 2015 holds ranks, deciles and scores only (no IDACI, no population denominators): those
    columns are present and empty, so that nothing from a later edition is mixed in.

    Raises
    ------
    VintageError
        When no edition was published by ``as_of`` (IMD 2010 is on LSOA 2001 boundaries, which
        the folder does not hold).
    """
    used = edition("imd", None, as_of)
    if used.year == 2019:
        return imd2019(), used.label
    out = _imd2015(_cache_key()).copy()
    for col in ("idaci_score", "pop_total_mid2015", "pop_0_15_mid2015"):
        out[col] = np.nan
    return out, used.label


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


def nearest_population_year(year: int, as_of: dt.date | None = None) -> int:
    """The mid-year estimate nearest to ``year`` (ties go to the earlier year) among those
    published by ``as_of`` (default: any held).

    Examples
    --------
    >>> nearest_population_year(2015), nearest_population_year(2016), nearest_population_year(2030)
    (2014, 2017, 2020)
    >>> import datetime as dt
    >>> nearest_population_year(2016, as_of=dt.date(2017, 3, 31))
    2014
    """
    if as_of is not None:
        return edition("population", year, as_of).year
    years = population_years()
    return min(years, key=lambda y: (abs(y - year), y))


def population(year: int, as_of: dt.date | None = None) -> pd.DataFrame:
    """District and Kent population by age band for the mid-year estimate nearest ``year``
    (among those published by ``as_of``, when given: see :func:`edition`).

    Returns one row per area with ``area_code``, ``year`` (the estimate used), ``source``
    and the band columns ``age_0_4``, ``age_5_10``, ``age_11_15``, ``age_16_17``,
    ``age_0_17`` (and others).
    """
    used = nearest_population_year(year, as_of)
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


def population_ages(year: int, youngest: int, oldest: int, as_of: dt.date | None = None) -> pd.DataFrame:
    """Population aged ``youngest`` to ``oldest`` (whole years, inclusive) of Kent and each district,
    from the mid-year estimate nearest ``year`` among those published by ``as_of`` (as
    :func:`population`; :class:`VintageError` when none was).

    Returns ``area_code``, ``year`` (the estimate used) and ``population``.

    Examples
    --------
    >>> pop = population_ages(2014, 10, 17).set_index("area_code")
    >>> int(pop.loc["E10000016", "population"]), int(pop.loc["E10000016", "year"])
    (144803, 2014)
    """
    if not 0 <= youngest <= oldest <= 89:
        raise ValueError(f"ages must satisfy 0 <= youngest <= oldest <= 89, got {youngest} to {oldest}")
    used = nearest_population_year(year, as_of)
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


def lsoa_population(year: int = 2017, as_of: dt.date | None = None) -> pd.DataFrame:
    """LSOA population aged 0-17 (and by single year of age) from ONS small-area estimates.

    ``year`` is rounded to the nearest available estimate (2017, 2019 or 2020), among those
    published by ``as_of`` when given (:class:`VintageError` when none was).
    """
    if as_of is not None:
        return _lsoa_population(_cache_key(), edition("lsoa_population", year, as_of).year).assign(
            year=edition("lsoa_population", year, as_of).year)
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
    for fn in (_imd2015, _imd2019, _population_bands, _lsoa_population, _district_syoa,
               _boundaries):
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
