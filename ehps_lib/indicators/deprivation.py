"""Deprivation: IMD 2019 for Kent's neighbourhoods, district profiles and the deprivation gradient.

Two kinds of table come from here, both pure (DataFrames in, DataFrames out):

* **Public context** (reference data only, nothing confidential): every Kent LSOA (2011)
  with its English Indices of Deprivation 2019 rank, national decile and quintile, IDACI
  score and child population (:func:`lsoa_deprivation`), and each district's deprivation
  profile (:func:`district_profile`): how many of its neighbourhoods and children are in
  England's most deprived 10 % and 20 %, the share of children in income-deprived families
  (IDACI), and the district's rank among Kent's 12 by population-weighted average LSOA rank
  (``peers-and-methods.md`` §3.10).
* **The deprivation gradient** (:func:`deprivation_results`), computed from the case-level
  extract by ``ehps indicators`` and published beside the indicator results as
  ``deprivation.parquet``: selected catalogue indicators over the 12 months to the end of
  the period, by the national IMD decile (Kent) and quintile (Kent and each district) of
  the child's home LSOA. It is suppressed before it is published, with an audit.

How the gradient is suppressed (the rules of :mod:`ehps_lib.indicators.suppression`, applied to this
table's own margins):

1. **Primary**: a count from 1 to ``threshold`` is withheld (``c``); zero is published.
2. **Complement**: for a percentage, a numerator whose denominator minus numerator is from 1
   to ``threshold`` is withheld.
3. **Secondary**: the cells of one area across its deciles (or quintiles) add up to the
   area's total over the same 12 months, which the indicator results publish (as monthly
   counts); Kent's quintile is the sum of its two deciles; Kent's quintile is the sum of
   the 12 districts' same quintile. While any of these relations has exactly one withheld
   cell, its smallest other cell (preferring a non-zero one, never a group with no
   neighbourhoods, whose zero everyone knows) is withheld too. The margin published
   elsewhere is always treated as known, which is the cautious choice.

Everything derived from a withheld count (value, interval) is withheld with it. A
consecutive period's table is a different 12-month window; differencing two windows gives
the difference of two quarters, not a count, so no rule across periods is applied.

IMD and LSOA vintages are never mixed: every row records ``imd_vintage`` (IMD 2019) and
``lsoa_vintage`` (LSOA 2011).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import reference
from ..geography import DISTRICTS, KENT_CODE, area_name
from ..periods import Period
from .catalogue import Indicator, load_catalogue
from .engine import month_range
from .suppression import primary_and_complement, secondary

IMD_VINTAGE = "IMD 2019"
LSOA_VINTAGE = "LSOA 2011"
#: Catalogue indicators published by deprivation: a rate of contacts and an outcome.
GRADIENT_INDICATORS = ("ehn_rate", "closed_positive_pct")
#: Length of the window that ends with the paper's period (an annual view: steadier, fewer
#: small counts than a quarter).
GRADIENT_MONTHS = 12
#: Groupings published: Kent by decile and by quintile, each district by quintile (a
#: district's deciles would be mostly small counts).
DECILE, QUINTILE = "imd_decile", "imd_quintile"
GROUPINGS_KENT = (DECILE, QUINTILE)
GROUPINGS_DISTRICT = (QUINTILE,)
GROUP_COUNT = {DECILE: 10, QUINTILE: 5}
#: Methods of the catalogue that can be split by the child's home neighbourhood.
SUPPORTED_METHODS = ("event_count", "event_rate", "event_share")

GRADIENT_COLUMNS = [
    "indicator_id", "area_code", "area_name", "grouping", "group", "group_label", "lsoas", "period",
    "window_start", "window_end", "months", "population_year", "numerator", "denominator", "value",
    "suppressed", "ci_lower", "ci_upper", "ci_method", "imd_vintage", "lsoa_vintage",
]
AUDIT_COLUMNS = ["indicator_id", "count", "area_code", "grouping", "group", "value", "reason", "detail"]


class DeprivationError(ValueError):
    """The deprivation gradient cannot be computed as asked; the message says why."""


# -- neighbourhoods -----------------------------------------------------------------------------------
def quintile_of(decile):
    """National quintile (1 = most deprived 20 % of England) of a national decile.

    Examples
    --------
    >>> [int(quintile_of(d)) for d in (1, 2, 3, 9, 10)]
    [1, 1, 2, 5, 5]
    """
    return (np.asarray(decile) + 1) // 2


def share_label(grouping: str, group: int) -> str:
    """Which share of England's neighbourhoods a decile or quintile is.

    Examples
    --------
    >>> share_label("imd_decile", 1), share_label("imd_quintile", 5), share_label("imd_decile", 4)
    ('most deprived 10%', 'least deprived 20%', '31-40% most deprived')
    """
    n = GROUP_COUNT[grouping]
    width = 100 // n
    if group == 1:
        return f"most deprived {width}%"
    if group == n:
        return f"least deprived {width}%"
    return f"{(group - 1) * width + 1}-{group * width}% most deprived"


def group_label(grouping: str, group: int) -> str:
    """Label of a decile or quintile as printed in tables.

    Examples
    --------
    >>> group_label("imd_decile", 1)
    'Decile 1 (most deprived 10%)'
    >>> group_label("imd_quintile", 3)
    'Quintile 3 (41-60% most deprived)'
    """
    word = "Decile" if grouping == DECILE else "Quintile"
    return f"{word} {group} ({share_label(grouping, group)})"


def lsoa_deprivation(imd: pd.DataFrame | None = None, population: pd.DataFrame | None = None,
                     as_of: dt.date | None = None) -> pd.DataFrame:
    """Kent's LSOAs (2011) with IMD rank, decile and quintile, IDACI and child population.

    With ``as_of`` (the end of a paper's period), the IMD edition and the small-area population
    are those published by then (:func:`ehps_lib.data.reference.edition`): IMD 2015 for 2016-17,
    with no IDACI and, before October 2018, no child population by neighbourhood (left empty,
    never filled from a later edition). The edition is in the ``imd_vintage`` column.

    Parameters
    ----------
    imd
        The IMD table of :func:`ehps_lib.data.reference.imd2019` (default: loaded).
    population
        LSOA population with ``lsoa11_code`` and ``pop_0_17`` (default: the ONS small-area
        estimate for mid-2017, :func:`ehps_lib.data.reference.lsoa_population`).

    Returns
    -------
    DataFrame
        One row per LSOA: ``lsoa11_code, lsoa11_name, district_code, imd_rank, imd_decile,
        imd_quintile, idaci_score, pop_total_mid2015, pop_0_15_mid2015, pop_0_17`` (and
        ``population_year``, the estimate's year, when the population says), sorted by code.
    """
    vintage = IMD_VINTAGE
    if imd is None:
        imd, vintage = reference.imd(as_of) if as_of is not None else (reference.imd2019(), IMD_VINTAGE)
    if population is None:
        try:
            population = reference.lsoa_population(as_of.year if as_of else 2017, as_of)
        except reference.VintageError:
            population = pd.DataFrame({"lsoa11_code": imd["lsoa11_code"], "pop_0_17": np.nan})
    cols = ["lsoa11_code", "lsoa11_name", "district_code", "imd_rank", "imd_decile", "idaci_score",
            "pop_total_mid2015", "pop_0_15_mid2015"]
    keep = ["lsoa11_code", "pop_0_17"] + (["year"] if "year" in population.columns else [])
    out = imd[[c for c in cols if c in imd.columns]].merge(population[keep].rename(columns={"year": "population_year"}),
                                                            on="lsoa11_code", how="left")
    if out["pop_0_17"].isna().any() and out["pop_0_17"].notna().any():
        missing = out.loc[out["pop_0_17"].isna(), "lsoa11_code"].head(5).tolist()
        raise DeprivationError(f"No child population for LSOA(s) {missing} ...; the IMD and population "
                               "files must cover the same LSOA 2011 codes")
    out["imd_quintile"] = quintile_of(out["imd_decile"].astype(int))
    out["imd_vintage"] = vintage
    return out.sort_values("lsoa11_code").reset_index(drop=True)


def district_profile(lsoas: pd.DataFrame, on: dt.date | None = None) -> pd.DataFrame:
    """Each district's deprivation profile (and Kent's, last), from public data only.

    ``lsoas`` is :func:`lsoa_deprivation`. Columns:

    * ``lsoas``: neighbourhoods (LSOA 2011) in the area;
    * ``lsoas_decile_1``, ``lsoas_quintile_1``: how many are among England's most deprived
      10 % and 20 % (IMD 2019), and ``pct_lsoas_quintile_1``, their share;
    * ``children``, ``children_quintile_1``, ``pct_children_quintile_1``: children aged 0-17
      (ONS small-area estimate), how many live in those most deprived 20 %, and the share;
    * ``idaci_pct``: percentage of children aged 0-15 in income-deprived families (IDACI
      2019): sum over LSOAs of IDACI score x children 0-15 (mid-2015, IoD File 6), over the
      sum of children 0-15;
    * ``average_rank``: the population-weighted mean of the LSOAs' national IMD ranks (lower
      is more deprived) and ``rank_in_kent``: its rank among the 12 districts, 1 = most
      deprived (empty for Kent). ``area_name`` uses the district's name on ``on``.
    """
    df = lsoas.assign(q1=lsoas["imd_quintile"] == 1, d1=lsoas["imd_decile"] == 1)
    df = df.assign(child_q1=df["pop_0_17"] * df["q1"], income_deprived=df["idaci_score"] * df["pop_0_15_mid2015"],
                   rank_x_pop=df["imd_rank"] * df["pop_total_mid2015"])
    sums = ["d1", "q1", "pop_0_17", "child_q1", "income_deprived", "pop_0_15_mid2015", "rank_x_pop",
            "pop_total_mid2015"]
    # min_count: a figure the reference edition does not hold stays empty, never zero
    by = df.groupby("district_code")[sums].sum(min_count=1)
    by["lsoas"] = df.groupby("district_code").size()
    by = by.reindex(list(DISTRICTS), fill_value=0)
    kent = by.sum(min_count=1).to_frame(KENT_CODE).T
    both = pd.concat([by, kent])
    out = pd.DataFrame({
        "area_code": both.index,
        "area_name": [area_name(c, on) for c in both.index],
        "lsoas": both["lsoas"].astype(int).to_numpy(),
        "lsoas_decile_1": both["d1"].astype(int).to_numpy(),
        "lsoas_quintile_1": both["q1"].astype(int).to_numpy(),
        "pct_lsoas_quintile_1": (both["q1"] / both["lsoas"] * 100).to_numpy(),
        "children": both["pop_0_17"].round().astype("Int64").to_numpy(),
        "children_quintile_1": both["child_q1"].round().astype("Int64").to_numpy(),
        "pct_children_quintile_1": (both["child_q1"] / both["pop_0_17"] * 100).to_numpy(),
        "idaci_pct": (both["income_deprived"] / both["pop_0_15_mid2015"] * 100).to_numpy(),
        "average_rank": (both["rank_x_pop"] / both["pop_total_mid2015"]).to_numpy(),
    })
    if lsoas["pop_total_mid2015"].isna().all():
        # no population weights in this IMD edition: the plain mean of the neighbourhoods' ranks
        plain = lsoas.groupby("district_code")["imd_rank"].mean().reindex(list(DISTRICTS))
        out["average_rank"] = [*plain.to_numpy(), float(lsoas["imd_rank"].mean())]
    is_district = out["area_code"] != KENT_CODE
    ranks = out.loc[is_district, "average_rank"].rank(method="min", ascending=True).astype("Int64")
    out["rank_in_kent"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out.loc[is_district, "rank_in_kent"] = ranks
    return out.reset_index(drop=True)


def lsoa_counts_by_group(lsoas: pd.DataFrame, area_code: str, grouping: str) -> pd.DataFrame:
    """Neighbourhoods and children in each decile or quintile of one area (Kent or a district).

    Returns ``group, lsoas, children`` with every group 1..n, zero where the area has none.
    """
    part = lsoas if area_code == KENT_CODE else lsoas[lsoas["district_code"] == area_code]
    col = "imd_decile" if grouping == DECILE else "imd_quintile"
    g = part.groupby(col).agg(lsoas=("lsoa11_code", "size"), children=("pop_0_17", lambda x: x.sum(min_count=1)))
    g = g.reindex(range(1, GROUP_COUNT[grouping] + 1), fill_value=0)
    return g.rename_axis("group").reset_index()


# -- the gradient window ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The months a gradient covers: up to :data:`GRADIENT_MONTHS`, ending with the period."""

    start: dt.date
    end: dt.date
    months: int

    @property
    def words(self) -> str:
        """``"April 2016 to March 2017"``."""
        return f"{self.start:%B %Y} to {self.end:%B %Y}"

    @property
    def population_year(self) -> int:
        """Calendar year holding the window's middle (mid-year estimates are for 30 June)."""
        first = self.start.year * 12 + self.start.month - 1
        mid = first + (self.months - 1) // 2
        return mid // 12 if self.months > 1 else self.start.year


def gradient_window(period: Period, first_month: int | None = None, months: int = GRADIENT_MONTHS) -> Window:
    """The ``months`` months ending with ``period`` (fewer if the extract starts later).

    ``first_month`` is the extract's first month as a month index (``year * 12 + month - 1``).

    Examples
    --------
    >>> w = gradient_window(Period.parse("2016-17 Q4"))
    >>> w.words, w.months, w.population_year
    ('April 2016 to March 2017', 12, 2016)
    >>> gradient_window(Period.parse("2016-17 Q4"), first_month=2016 * 12 + 9).words
    'October 2016 to March 2017'
    """
    end_idx = period.end.year * 12 + period.end.month - 1
    start_idx = end_idx - months + 1
    if first_month is not None:
        start_idx = max(start_idx, first_month)
    if start_idx > end_idx:
        raise DeprivationError(f"The extract starts after {period.label}; no months to compute a gradient over")
    start = dt.date(start_idx // 12, start_idx % 12 + 1, 1)
    return Window(start=start, end=period.end, months=end_idx - start_idx + 1)


# -- counting by neighbourhood ------------------------------------------------------------------------
def _dated_in(df: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    d = pd.to_datetime(df[column])
    return df[(d >= pd.Timestamp(window.start)) & (d <= pd.Timestamp(window.end))]


def _where(df: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    for col, allowed in (where or {}).items():
        if col not in df.columns:
            raise DeprivationError(f"catalogue params: 'where' names unknown column {col!r}")
        df = df[df[col].isin(allowed)]
    return df


def counts_by_lsoa(tables: dict[str, pd.DataFrame], ind: Indicator, window: Window) -> pd.DataFrame:
    """Records of one catalogue indicator dated in ``window``, counted by the child's home LSOA.

    Uses the indicator's own ``params`` (table, date, where), so the gradient counts exactly
    what the indicator counts. Returns ``lsoa11_code, numerator`` and, for a share
    (``event_share``), ``denominator`` (all records dated in the window).
    """
    if ind.method not in SUPPORTED_METHODS:
        raise DeprivationError(f"{ind.id}: method {ind.method!r} cannot be split by neighbourhood; "
                               f"supported: {', '.join(SUPPORTED_METHODS)}")
    table = tables[ind.params["table"]]
    home = tables["children"].set_index("child_id")["lsoa11_code"]
    dated = _dated_in(table[table[ind.params["date"]].notna()], ind.params["date"], window)
    dated = dated.assign(lsoa11_code=dated["child_id"].map(home).astype("string"))
    if dated["lsoa11_code"].isna().any():
        raise DeprivationError(f"{ind.id}: {int(dated['lsoa11_code'].isna().sum())} record(s) whose child has "
                               "no home LSOA; ingest should have rejected them")
    num = _where(dated, ind.params.get("where")).groupby("lsoa11_code").size().rename("numerator")
    frames = [num]
    if ind.method == "event_share":
        frames.append(dated.groupby("lsoa11_code").size().rename("denominator"))
    out = pd.concat(frames, axis=1).fillna(0).rename_axis("lsoa11_code").reset_index()
    return out.astype({c: float for c in out.columns if c != "lsoa11_code"})


def _by_group(per_lsoa: pd.DataFrame, lsoas: pd.DataFrame, ind: Indicator) -> pd.DataFrame:
    """Counts per LSOA → one row per area × grouping × group (all groups, zero-filled)."""
    df = lsoas[["lsoa11_code", "district_code", "imd_decile", "imd_quintile", "pop_0_17"]].merge(
        per_lsoa, on="lsoa11_code", how="left")
    unknown = set(per_lsoa["lsoa11_code"]) - set(lsoas["lsoa11_code"])
    if unknown:
        raise DeprivationError(f"{ind.id}: records in LSOA(s) outside Kent's reference data: {sorted(unknown)[:5]}")
    count_cols = ["numerator"] + (["denominator"] if ind.method == "event_share" else [])
    df[count_cols] = df[count_cols].fillna(0.0)
    frames = []
    specs = [(KENT_CODE, g) for g in GROUPINGS_KENT] + [(d, g) for d in DISTRICTS for g in GROUPINGS_DISTRICT]
    for area, grouping in specs:
        part = df if area == KENT_CODE else df[df["district_code"] == area]
        col = "imd_decile" if grouping == DECILE else "imd_quintile"
        g = part.groupby(col).agg(lsoas=("lsoa11_code", "size"),
                                  population=("pop_0_17", lambda x: x.sum(min_count=1)),
                                  **{c: (c, "sum") for c in count_cols})
        g = g.reindex(range(1, GROUP_COUNT[grouping] + 1), fill_value=0).rename_axis("group").reset_index()
        frames.append(g.assign(area_code=area, grouping=grouping))
    return pd.concat(frames, ignore_index=True)


def gradient_counts(tables: dict[str, pd.DataFrame], period: Period, extract_date: dt.date,
                    lsoas: pd.DataFrame | None = None, catalogue: dict[str, Indicator] | None = None,
                    indicator_ids: tuple[str, ...] = GRADIENT_INDICATORS) -> pd.DataFrame:
    """The unsuppressed gradient: counts, denominators and values by area and deprivation group.

    ``lsoas`` defaults to :func:`lsoa_deprivation` with the ONS small-area child population
    nearest the window's middle (rate denominators). Columns are :data:`GRADIENT_COLUMNS`
    (``suppressed`` all False, no intervals yet).
    """
    catalogue = catalogue or load_catalogue()
    first_month, last_month = month_range(tables, extract_date)
    if period.end.year * 12 + period.end.month - 1 > last_month:
        raise DeprivationError(f"{period.label} ends after the extract's last complete month")
    window = gradient_window(period, first_month)
    if lsoas is None:
        lsoas = lsoa_deprivation(as_of=period.end)
    years = lsoas["population_year"].dropna() if "population_year" in lsoas else pd.Series(dtype=float)
    # None: no estimate of children by neighbourhood had been published by then, so rates are n/a
    known = int(years.iloc[0]) if len(years) else window.population_year
    pop_year = None if lsoas["pop_0_17"].isna().all() else known
    frames = []
    for ind_id in indicator_ids:
        if ind_id not in catalogue:
            raise DeprivationError(f"Unknown indicator {ind_id!r}; known: {sorted(catalogue)}")
        ind = catalogue[ind_id]
        grouped = _by_group(counts_by_lsoa(tables, ind, window), lsoas, ind)
        if ind.is_rate:
            grouped["denominator"] = grouped["population"].astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(grouped["denominator"] > 0, grouped["numerator"] / grouped["denominator"] * ind.per,
                                 np.nan)
        elif ind.is_percentage:
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(grouped["denominator"] > 0,
                                 grouped["numerator"] / grouped["denominator"] * 100, np.nan)
        else:
            grouped["denominator"] = np.nan
            value = grouped["numerator"].to_numpy(float)
        frames.append(grouped.assign(indicator_id=ind_id, value=value))
    out = pd.concat(frames, ignore_index=True)
    out = out.assign(
        area_name=[area_name(c, period.end) for c in out["area_code"]],
        group_label=[group_label(g, n) for g, n in zip(out["grouping"], out["group"], strict=True)],
        period=period.label, window_start=pd.Timestamp(window.start), window_end=pd.Timestamp(window.end),
        months=window.months, population_year=pop_year, suppressed=False, ci_lower=np.nan, ci_upper=np.nan,
        ci_method=None, imd_vintage=str(lsoas["imd_vintage"].iloc[0]) if "imd_vintage" in lsoas else IMD_VINTAGE,
        lsoa_vintage=LSOA_VINTAGE,
    )
    out["group"] = out["group"].astype(int)
    out["lsoas"] = out["lsoas"].astype(int)
    return out[GRADIENT_COLUMNS]


# -- suppression ----------------------------------------------------------------------------------------
def _cells(raw: pd.DataFrame, count_denominators: set[str]) -> pd.DataFrame:
    keys = ["indicator_id", "area_code", "grouping", "group", "lsoas"]
    frames = [raw[keys + ["numerator"]].rename(columns={"numerator": "value"}).assign(count="numerator")]
    dens = raw[raw["indicator_id"].isin(count_denominators)]
    if len(dens):
        frames.append(dens[keys + ["denominator"]].rename(columns={"denominator": "value"}).assign(count="denominator"))
    return pd.concat(frames, ignore_index=True)


def _relations(cells: pd.DataFrame) -> list[list[int]]:
    """Groups of cell positions that add up to something published (or to each other)."""
    idx = {k: i for i, k in enumerate(zip(cells["indicator_id"], cells["count"], cells["area_code"],
                                          cells["grouping"], cells["group"], strict=True))}
    groups: list[list[int]] = []
    # an area's groups add up to its total, which the indicator results publish
    for _, part in cells.groupby(["indicator_id", "count", "area_code", "grouping"], sort=True):
        groups.append(part.index.tolist())
    for ind, count in cells[["indicator_id", "count"]].drop_duplicates().itertuples(index=False):
        for q in range(1, GROUP_COUNT[QUINTILE] + 1):
            kent_q = idx.get((ind, count, KENT_CODE, QUINTILE, q))
            deciles = [idx.get((ind, count, KENT_CODE, DECILE, d)) for d in (2 * q - 1, 2 * q)]
            if kent_q is not None and all(d is not None for d in deciles):
                groups.append([kent_q, *deciles])
            districts = [idx.get((ind, count, d, QUINTILE, q)) for d in DISTRICTS]
            if kent_q is not None and all(d is not None for d in districts):
                groups.append([kent_q, *districts])
    return groups


def suppress_gradient(raw: pd.DataFrame, threshold: int = 4,
                      catalogue: dict[str, Indicator] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Withhold small counts, and every count they could be recovered from, then add intervals.

    Returns the published table (withheld rows have NaN numerator, denominator (when it is a
    count), value and interval, and ``suppressed`` True) and the audit (one row per withheld
    count: ``primary``, ``complement`` or ``secondary``, with a detail).
    """
    catalogue = catalogue or load_catalogue()
    shares = {i for i in raw["indicator_id"].unique() if catalogue[i].is_percentage}
    cells = _cells(raw, shares)
    values = cells["value"].to_numpy(float)
    structural = (cells["lsoas"] == 0).to_numpy()
    suppressed, reason, detail = primary_and_complement(cells, raw, threshold, shares,
                                                        ["indicator_id", "area_code", "grouping", "group"])

    groups = sorted(_relations(cells), key=len)
    for pick, protected in secondary(values, suppressed, groups, prefer_members=False, blocked=structural):
        reason[pick] = "secondary"
        detail[pick] = (f"protects {cells.at[protected, 'area_code']} {cells.at[protected, 'grouping']} "
                        f"{cells.at[protected, 'group']} ({cells.at[protected, 'count']}) from recovery "
                        "by subtraction")

    cells = cells.assign(suppressed=suppressed, reason=reason, detail=detail)
    key = ["indicator_id", "area_code", "grouping", "group"]
    out = raw.copy()
    for which in ("numerator", "denominator"):
        part = cells[cells["count"] == which][key + ["suppressed"]].rename(columns={"suppressed": f"_{which}"})
        out = out.merge(part, on=key, how="left")
        out[f"_{which}"] = out[f"_{which}"].astype("boolean").fillna(False).astype(bool)
    out["suppressed"] = out["_numerator"] | out["_denominator"]
    out.loc[out["suppressed"], ["numerator", "value"]] = np.nan
    out.loc[out["_denominator"], "denominator"] = np.nan
    out = out.drop(columns=["_numerator", "_denominator"])
    out = _with_intervals(out, catalogue)
    audit = cells[cells["suppressed"]][AUDIT_COLUMNS]
    return out[GRADIENT_COLUMNS], audit.reset_index(drop=True)


def _with_intervals(df: pd.DataFrame, catalogue: dict[str, Indicator]) -> pd.DataFrame:
    from . import stats  # imported here: scipy is slow to import and papers never need it

    out = df.copy()
    for ind_id, part in out.groupby("indicator_id"):
        ind = catalogue[ind_id]
        idx = part.index
        if ind.is_rate:
            lo, hi, how = stats.byar_ci(part["numerator"], part["denominator"], per=ind.per)
        elif ind.is_percentage:
            lo, hi = stats.wilson_ci(part["numerator"], part["denominator"])
            lo, hi = lo * 100, hi * 100
            how = np.where(np.isnan(lo), None, "Wilson").astype(object)
        else:
            continue
        out.loc[idx, "ci_lower"] = lo
        out.loc[idx, "ci_upper"] = hi
        out.loc[idx, "ci_method"] = how
    out["ci_method"] = out["ci_method"].astype(object).where(out["ci_lower"].notna(), None)
    return out


def deprivation_results(tables: dict[str, pd.DataFrame], period: Period, extract_date: dt.date, *,
                        threshold: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published deprivation gradient of ``period`` and its suppression audit.

    This is the stage ``ehps indicators`` runs after the indicator results: the first
    table is written as ``results/<period>/deprivation.parquet`` (published), the second to
    ``internal/`` for quality assurance.
    """
    raw = gradient_counts(tables, period, extract_date)
    return suppress_gradient(raw, threshold=threshold)


# -- slope and relative index of inequality ------------------------------------------------------------
INEQUALITY_COLUMNS = [
    "indicator_id", "area_code", "area_name", "grouping", "groups", "period", "window_start", "window_end",
    "sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper", "confidence", "method", "note",
    "imd_vintage", "lsoa_vintage",
]


def inequality_indices(gradient: pd.DataFrame, catalogue: dict[str, Indicator] | None = None, *,
                       repetitions: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """Slope and relative index of inequality of the **published** gradient, with 95 % limits.

    For each indicator, area and grouping (Kent by decile and quintile, each district by
    quintile) whose groups are all published, as PHEindicatormethods ``phe_sii`` computes them
    (:func:`ehps_lib.indicators.stats.slope_index`): groups ordered from most to least deprived,
    weighted by their population (children for a rate, the denominator for a percentage),
    rates log-transformed and percentages logit-transformed for the simulated limits; with
    ``multiplier = -1`` so that the SII is the modelled gap *most minus least deprived* (in the
    indicator's unit) and the RII their ratio (most over least deprived).

    Nothing here reads an unpublished number: the inputs are the gradient's published values,
    intervals and denominators (a rate's denominator is the public child population). An area
    with a withheld group, a group with no neighbourhoods, or a value of 0 (or 100 %) gets no
    SII, and ``note`` says why: the counts do not allow it.
    """
    from . import stats  # imported here: scipy is slow to import and papers never need it

    catalogue = catalogue or load_catalogue()
    rows = []
    for (ind_id, area, grouping), part in gradient.groupby(["indicator_id", "area_code", "grouping"], sort=False):
        ind = catalogue[ind_id]
        part = part.sort_values("group")
        base = {"indicator_id": ind_id, "area_code": area, "area_name": part["area_name"].iloc[0],
                "grouping": grouping, "groups": len(part), "period": part["period"].iloc[0],
                "window_start": part["window_start"].iloc[0], "window_end": part["window_end"].iloc[0],
                "confidence": 0.95, "imd_vintage": part["imd_vintage"].iloc[0],
                "lsoa_vintage": part["lsoa_vintage"].iloc[0]}
        blank = dict.fromkeys(("sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper"), np.nan)
        note = None
        if (part["lsoas"] == 0).any():
            note = "not calculated: a deprivation group has no neighbourhoods in this area"
        elif part["suppressed"].astype(bool).any():
            note = "not calculated: a group's figure is withheld to protect confidentiality"
        elif not (ind.is_rate or ind.is_percentage):
            note = "not calculated: the indicator is neither a rate nor a percentage"
        elif part["value"].isna().any():
            note = ("not calculated: a group has no figure (for a rate, no child population by neighbourhood had "
                    "been published by the end of the period)")
        elif (part["value"] <= 0).any() or (ind.is_percentage and (part["value"] >= 100).any()):
            note = "not calculated: a group's value is 0 (or 100%), which the method cannot transform"
        if note is not None:
            rows.append({**base, **blank, "method": None, "note": note})
            continue
        scale = 100.0 if ind.is_percentage else 1.0
        result = stats.slope_index(
            part["value"].to_numpy(float) / scale, part["denominator"].to_numpy(float),
            lower=part["ci_lower"].to_numpy(float) / scale, upper=part["ci_upper"].to_numpy(float) / scale,
            value_type="rate" if ind.is_rate else "proportion", multiplier=-1.0, repetitions=repetitions,
            seed=seed)
        rows.append({**base, "sii": result.sii * scale, "sii_lower": result.sii_lower * scale,
                     "sii_upper": result.sii_upper * scale, "rii": result.rii, "rii_lower": result.rii_lower,
                     "rii_upper": result.rii_upper, "method": f"phe_sii, simulation of {repetitions:,} repetitions",
                     "note": None})
    out = pd.DataFrame(rows, columns=INEQUALITY_COLUMNS)
    return out


__all__ = [
    "inequality_indices", "INEQUALITY_COLUMNS",
    "lsoa_deprivation", "district_profile", "lsoa_counts_by_group", "gradient_window", "Window", "counts_by_lsoa",
    "gradient_counts", "suppress_gradient", "deprivation_results", "quintile_of", "group_label", "share_label",
    "DeprivationError", "IMD_VINTAGE", "LSOA_VINTAGE", "GRADIENT_INDICATORS"
]
