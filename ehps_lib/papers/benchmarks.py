"""Public figures beside Kent's: England, the South East, Kent's statistical neighbours, the districts.

Pure lookups over the published public table (``public.parquet``, made by
:mod:`ehps_lib.indicators.public`), shared by every paper that shows public data. A paper never
shows a figure released after its own period: every lookup takes the last day of the paper's
period and uses the latest figure first published on or before it
(:func:`ehps_lib.indicators.public.first_published`, the ``published`` column).

Each figure is printed with where it came from and which release of the file was used
(:func:`source_line`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from ..data import io
from ..geography import DISTRICTS, KENT_CODE
from ..indicators import public as public_data
from ..indicators.catalogue import Indicator
from ..periods import Period

ENGLAND = public_data.ENGLAND_CODE
SOUTH_EAST = public_data.SOUTH_EAST_CODE

#: The public file each public indicator comes from (keys of :data:`ehps_lib.indicators.public.FILES`).
DATASET_OF = {
    "cypf_teenage_conceptions": "conceptions", "cypf_cp_rate": "cpp", "cypf_cla_rate": "cla",
    "cypf_neet_not_known": "neet", "neet_pct": "neet", "scs_referrals": "referrals",
    "scs_rereferral_pct": "referrals", "cin_rate": "cin", "pa_social_care_pupils": "absence",
    "injury_admissions_0_14": "injuries",
}


def load_public(period: Period | str) -> pd.DataFrame:
    """The published public table of the results that hold ``period`` (a monthly edition reads its
    quarter's)."""
    return io.read_results_table(io.results_slug_for(period), "public")


@dataclass(frozen=True)
class Benchmark:
    """One public indicator at the latest year published by a day: Kent beside its comparators."""

    indicator_id: str
    subgroup: str
    year: str | None  # the period label ("2016", "2016/17"); None when no figure exists by then
    period_end: pd.Timestamp | None
    kent: float
    england: float
    south_east: float
    neighbours_mean: float
    neighbours_n: int
    rank: int | None
    rank_of: int | None
    rag: str | None
    previous_year: str | None
    previous: float
    direction: str
    published_comparison: str | None
    first_year: str | None  # what the file holds, for "no figure by then" statements
    last_year: str | None

    @property
    def available(self) -> bool:
        return self.year is not None


def _value(rows: pd.DataFrame, code: str) -> float:
    sel = rows[rows["area_code"] == code]
    return float(sel["value"].iloc[0]) if len(sel) and pd.notna(sel["value"].iloc[0]) else math.nan


def benchmark(public: pd.DataFrame, indicator_id: str, day: dt.date, subgroup: str = "",
              area_code: str = KENT_CODE) -> Benchmark:
    """Kent (or ``area_code``), England, the South East and the statistical neighbours' mean for
    ``indicator_id`` at the latest year whose figure was first published on or before ``day``.

    The neighbours' mean is the plain mean of the neighbours with a published value (DfE's own
    comparator is not in the files); its count is kept so papers can say how many there were.
    """
    public = public_data.with_defaults(public)
    mine = public[(public["indicator_id"] == indicator_id) & (public["subgroup"].fillna("") == subgroup)]
    held = sorted(mine["period"].unique())
    row = public_data.latest_on_or_before(public, indicator_id, area_code, day, subgroup)
    empty = Benchmark(indicator_id, subgroup, None, None, math.nan, math.nan, math.nan, math.nan, 0, None, None,
                      None, None, math.nan, "not compared", None, held[0] if held else None,
                      held[-1] if held else None)
    if row is None:
        return empty
    year = row["period"]
    same = mine[mine["period"] == year]
    sn = same[(same["area_type"] == "statistical_neighbour") & same["value"].notna()]
    prev_rows = mine[(mine["area_code"] == area_code) & (mine["period"] < year) & mine["value"].notna()]
    prev = prev_rows.sort_values("period").iloc[-1] if len(prev_rows) else None
    rank = row.get("rank_neighbours")
    rank_of = row.get("rank_neighbours_of")
    comparison = row.get("published_comparison")
    return Benchmark(
        indicator_id, subgroup, year, row["period_end"], float(row["value"]), _value(same, ENGLAND),
        _value(same, SOUTH_EAST), float(sn["value"].mean()) if len(sn) else math.nan, len(sn),
        None if pd.isna(rank) else int(rank), None if pd.isna(rank_of) else int(rank_of),
        row.get("rag") if isinstance(row.get("rag"), str) else None,
        None if prev is None else prev["period"], math.nan if prev is None else float(prev["value"]),
        str(row.get("direction_previous") or "not compared"),
        comparison if isinstance(comparison, str) else None, held[0] if held else None, held[-1] if held else None)


def trend(public: pd.DataFrame, indicator_id: str, day: dt.date, years: int = 5, subgroup: str = "",
          areas: tuple[str, ...] = (KENT_CODE, ENGLAND)) -> pd.DataFrame:
    """The last ``years`` years published by ``day``, wide:
    ``period`` then one column per area code (and ``neighbours``: their mean, when there are any)."""
    public = public_data.with_defaults(public)
    mine = public[(public["indicator_id"] == indicator_id) & (public["subgroup"].fillna("") == subgroup)
                  & (public["published"] <= pd.Timestamp(day))]
    periods = sorted(mine["period"].unique())[-years:]
    mine = mine[mine["period"].isin(periods)]
    wide = (mine[mine["area_code"].isin(areas)]
            .pivot_table(index="period", columns="area_code", values="value", aggfunc="first")
            .reindex(index=periods, columns=list(areas)))
    sn = mine[mine["area_type"] == "statistical_neighbour"].groupby("period")["value"].mean()
    if len(sn):
        wide["neighbours"] = sn.reindex(periods)
    return wide.rename_axis("period").reset_index()


def district_values(public: pd.DataFrame, indicator_id: str, year: str) -> pd.DataFrame:
    """The 12 districts' rows of ``indicator_id`` in ``year`` (value, rank, comparison, RAG, flag)."""
    public = public_data.with_defaults(public)
    sel = public[(public["indicator_id"] == indicator_id) & (public["period"] == year)
                 & public["area_code"].isin(DISTRICTS)]
    return sel.set_index("area_code").reindex(list(DISTRICTS)).reset_index()


def file_held(ind: Indicator) -> str | None:
    """Which release of the public file a public indicator's figures are read from (publisher,
    title and the years it covers), or None for an indicator from the extract."""
    dataset = DATASET_OF.get(ind.id)
    return public_data.SOURCES.get(dataset) if dataset else None


def source_line(ind: Indicator) -> str:
    """Where a public figure comes from and which release of the file: "Source: ... (file held: ...)."."""
    dataset = DATASET_OF.get(ind.id)
    held = public_data.SOURCES.get(dataset, "") if dataset else ""
    return f"Source: {ind.source}." + (f" File held: {held}." if held else "")


def not_available_words(b: Benchmark, period: Period) -> str:
    """Why no figure is shown: no year the file holds had been published by the end of the paper's period."""
    if b.first_year is None:
        return "No figure is held."
    return (f"No figure published by {period.end:%d %B %Y}: the file held covers {b.first_year} to "
            f"{b.last_year}, first published from "
            f"{public_data.first_published(b.indicator_id, b.first_year):%B %Y}.")


__all__ = ["Benchmark", "benchmark", "district_values", "file_held", "load_public", "not_available_words",
           "source_line", "trend"]
