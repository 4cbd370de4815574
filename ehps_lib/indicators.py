"""Indicator engine: the catalogue, the registered methods and the long results table.

Each indicator is defined once, in ``catalogue.yml``. Its ``method`` names a function
registered here with :func:`register`; the function turns the validated extract into
*monthly numerators* (and denominators) by district, month and age band. The engine then,
the same way for every indicator:

1. aggregates months into the indicator's data period (a month or quarter's flow, a
   snapshot at period end, rolling 12 months, or year to date);
2. adds districts up into Kent (and the SCS areas);
3. attaches population denominators for rates, and computes the value.

The result is one long table, one row per indicator × area × period × age band, with
``numerator``, ``denominator`` and ``value``. Nothing here reads or writes files except
through :mod:`ehps_lib.io` and :mod:`ehps_lib.reference`.

Adding an indicator is a catalogue entry (and, if no existing method fits, one registered
function); notebooks never change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from . import reference
from .config import ConfigError, load_settings
from .geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from .periods import Period

POLARITIES = {"H": "Higher is better", "L": "Lower is better", "T": "Nearest to target is better",
              "N": "No judgement"}
DATA_PERIODS = {"month": "In the period", "SS": "Snapshot at period end", "R12M": "Rolling 12 months",
                "YTD": "Year to date (from April)"}
UNITS = ("count", "%")
ALL_AGES = "all"

RESULT_COLUMNS = ["indicator_id", "area_code", "area_name", "period", "period_kind", "period_start",
                  "age_band", "numerator", "denominator", "value"]


# -- catalogue ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see ``catalogue.yml`` for the meaning of each field)."""

    id: str
    title: str
    definition: str
    numerator: str
    denominator: str | None
    unit: str
    polarity: str
    data_period: str
    age_bands: bool
    source: str
    notes: str
    method: str
    params: dict = field(default_factory=dict)
    per: int | None = None
    target: float | None = None
    floor: float | None = None

    @property
    def is_rate(self) -> bool:
        return self.unit.startswith("rate")

    @property
    def is_percentage(self) -> bool:
        return self.unit == "%"


_REQUIRED = ("id", "title", "definition", "numerator", "unit", "polarity", "data_period", "source", "method")


def parse_catalogue(raw: dict) -> dict[str, Indicator]:
    """Validate a catalogue mapping; raise :class:`ConfigError` naming the entry and key."""
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list):
        raise ConfigError("catalogue: top level must be a mapping with a list under 'indicators'")
    out: dict[str, Indicator] = {}
    for i, entry in enumerate(raw["indicators"]):
        where = f"catalogue indicators[{i}]" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a mapping")
        for key in _REQUIRED:
            if entry.get(key) in (None, ""):
                raise ConfigError(f"{where}: missing key '{key}'")
        unknown = set(entry) - set(Indicator.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
        if entry["polarity"] not in POLARITIES:
            raise ConfigError(f"{where}: 'polarity' must be one of {list(POLARITIES)}, got {entry['polarity']!r}")
        if entry["data_period"] not in DATA_PERIODS:
            raise ConfigError(f"{where}: 'data_period' must be one of {list(DATA_PERIODS)}")
        unit = str(entry["unit"])
        if unit not in UNITS and not unit.startswith("rate per "):
            raise ConfigError(f"{where}: 'unit' must be count, % or 'rate per N of <population>'")
        if unit.startswith("rate") and not isinstance(entry.get("per"), int):
            raise ConfigError(f"{where}: a rate needs an integer 'per' (e.g. 10000)")
        if entry["method"] not in METHODS:
            raise ConfigError(f"{where}: 'method' {entry['method']!r} is not registered; known: {sorted(METHODS)}")
        if entry["id"] in out:
            raise ConfigError(f"{where}: duplicate id {entry['id']!r}")
        ind = Indicator(**{**entry, "age_bands": bool(entry.get("age_bands", False)),
                           "params": dict(entry.get("params") or {}), "notes": entry.get("notes", "")})
        out[ind.id] = ind
    return out


def load_catalogue() -> dict[str, Indicator]:
    """The packaged indicator catalogue, validated."""
    text = resources.files("ehps_lib").joinpath("catalogue.yml").read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(text))


# -- registry of methods ---------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What every method needs besides the tables: the month range and the age bands."""

    first_month: int  # month index: year * 12 + month - 1
    last_month: int
    age_bands: tuple = ()


Method = Callable[[dict[str, pd.DataFrame], dict, Context, bool], pd.DataFrame]
METHODS: dict[str, Method] = {}


def register(name: str) -> Callable[[Method], Method]:
    """Register a method: ``f(tables, params, context, by_age) -> monthly counts``.

    The returned frame has columns ``district_code``, ``month`` (month index),
    ``age_band`` and ``numerator`` (and ``denominator`` for shares).
    """

    def wrap(fn: Method) -> Method:
        METHODS[name] = fn
        return fn

    return wrap


def _month_index(values: pd.Series) -> pd.Series:
    d = pd.to_datetime(values)
    return (d.dt.year * 12 + d.dt.month - 1).astype("Int64")


def _age_band_of(ages: pd.Series, bands) -> pd.Series:
    out = pd.Series(pd.NA, index=ages.index, dtype="string")
    for band in bands:
        out = out.mask((ages >= band.min_age) & (ages <= band.max_age), band.id)
    return out


def _with_age_band(df: pd.DataFrame, date_col: str, children: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    births = children.set_index("child_id")["birth_month"]
    birth_idx = _month_index(df["child_id"].map(births))
    age = (_month_index(df[date_col]) - birth_idx) // 12
    return df.assign(age_band=_age_band_of(age, ctx.age_bands))


def _filter(df: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    for col, allowed in (where or {}).items():
        if col not in df.columns:
            raise ConfigError(f"catalogue params: 'where' names unknown column {col!r}")
        df = df[df[col].isin(allowed)]
    return df


def _count_by_month(df: pd.DataFrame, date_col: str, tables, ctx: Context, by_age: bool,
                    name: str = "numerator") -> pd.DataFrame:
    df = df[df[date_col].notna()]
    month = _month_index(df[date_col])
    df = df.assign(month=month)[(month >= ctx.first_month) & (month <= ctx.last_month)]
    keys = ["district_code", "month"]
    frames = [df.groupby(keys).size().rename(name).reset_index().assign(age_band=ALL_AGES)]
    if by_age:
        banded = _with_age_band(df, date_col, tables["children"], ctx)
        banded = banded[banded["age_band"].notna()]
        frames.append(banded.groupby([*keys, "age_band"]).size().rename(name).reset_index())
    return pd.concat(frames, ignore_index=True)


@register("event_count")
def event_count(tables, params, ctx, by_age):
    """Records whose ``params.date`` falls in the month (optionally filtered by ``where``)."""
    df = _filter(tables[params["table"]], params.get("where"))
    return _count_by_month(df, params["date"], tables, ctx, by_age)


@register("event_rate")
def event_rate(tables, params, ctx, by_age):
    """As :func:`event_count`; the engine divides by the population of the area and age band."""
    return event_count(tables, params, ctx, by_age)


@register("event_share")
def event_share(tables, params, ctx, by_age):
    """Share of records dated in the month that meet ``where`` (numerator) of all (denominator)."""
    table = tables[params["table"]]
    den = _count_by_month(table, params["date"], tables, ctx, by_age, name="denominator")
    num = _count_by_month(_filter(table, params.get("where")), params["date"], tables, ctx, by_age)
    keys = ["district_code", "month", "age_band"]
    out = den.merge(num, on=keys, how="left")
    return out.assign(numerator=out["numerator"].fillna(0))


@register("open_at_end")
def open_at_end(tables, params, ctx, by_age):
    """Records open at the end of each month: started on or before it, not ended by then."""
    df = tables[params["table"]]
    start = _month_index(df["start_date"]).clip(lower=ctx.first_month)
    end = _month_index(df["end_date"]).fillna(ctx.last_month + 1).clip(lower=ctx.first_month)
    months = np.arange(ctx.first_month, ctx.last_month + 1)
    rows = []
    for district, idx in df.groupby("district_code").groups.items():
        s = np.bincount((start[idx] - ctx.first_month).astype(int), minlength=len(months) + 1)
        e = np.bincount((end[idx] - ctx.first_month).astype(int).clip(upper=len(months)),
                        minlength=len(months) + 1)
        open_counts = np.cumsum(s)[: len(months)] - np.cumsum(e)[: len(months)]
        rows.append(pd.DataFrame({"district_code": district, "month": months, "numerator": open_counts}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["district_code", "month", "numerator"])
    return out.assign(age_band=ALL_AGES)


# -- the engine -----------------------------------------------------------------------------------
def _complete_grid(counts: pd.DataFrame, ctx: Context, bands: list[str]) -> pd.DataFrame:
    """Every district × month × band, zero where nothing happened (zero is a true zero)."""
    grid = pd.MultiIndex.from_product(
        [list(DISTRICTS), range(ctx.first_month, ctx.last_month + 1), bands],
        names=["district_code", "month", "age_band"],
    )
    cols = [c for c in ("numerator", "denominator") if c in counts.columns]
    full = counts.groupby(["district_code", "month", "age_band"])[cols].sum().reindex(grid, fill_value=0)
    return full.reset_index()


def _window(data_period: str, kind: str, end_month: int, start_month: int) -> tuple[int, int] | None:
    """First and last month aggregated for a period ending ``end_month``; None if it cannot be."""
    if data_period == "SS":
        return end_month, end_month
    if data_period == "R12M":
        return end_month - 11, end_month
    if data_period == "YTD":
        return end_month - (end_month - 3) % 12, end_month  # April = month index % 12 == 3
    return start_month, end_month  # a flow over the period


def _periods(ctx: Context) -> list[Period]:
    out: list[Period] = []
    for m in range(ctx.first_month, ctx.last_month + 1):
        p = Period.month(m // 12, m % 12 + 1)
        out.append(p)
        if p.start.month in (3, 6, 9, 12):  # last month of a financial quarter
            q = Period.quarter_of(p.start)
            if q.start >= dt.date(ctx.first_month // 12, ctx.first_month % 12 + 1, 1):
                out.append(q)
    return out


def _aggregate(monthly: pd.DataFrame, ind: Indicator, ctx: Context) -> pd.DataFrame:
    cols = [c for c in ("numerator", "denominator") if c in monthly.columns]
    by_key = monthly.set_index(["district_code", "age_band", "month"])[cols].sort_index()
    wide = {c: by_key[c].unstack("month") for c in cols}  # rows: district × band; columns: months
    frames = []
    for p in _periods(ctx):
        start_m = p.start.year * 12 + p.start.month - 1
        end_m = start_m + p.months - 1
        lo, hi = _window(ind.data_period, p.kind, end_m, start_m)
        if lo < ctx.first_month:
            continue
        part = {c: wide[c].loc[:, lo:hi].sum(axis=1) for c in cols}
        frame = pd.DataFrame(part).reset_index()
        frames.append(frame.assign(period=p.label, period_kind=p.kind, period_start=pd.Timestamp(p.start)))
    return pd.concat(frames, ignore_index=True)


def _add_areas(by_district: pd.DataFrame, include_scs_areas: bool) -> pd.DataFrame:
    keys = ["age_band", "period", "period_kind", "period_start"]
    cols = [c for c in ("numerator", "denominator") if c in by_district.columns]
    areas = {KENT_CODE: tuple(DISTRICTS)}
    if include_scs_areas:
        areas.update({code: districts_in(code) for code in SCS_AREA_CODES})
    frames = [by_district.rename(columns={"district_code": "area_code"})]
    for code, members in areas.items():
        part = by_district[by_district["district_code"].isin(members)]
        frames.append(part.groupby(keys, as_index=False)[cols].sum().assign(area_code=code))
    return pd.concat(frames, ignore_index=True)


def _population_lookup(areas: list[str], include_scs_areas: bool) -> Callable[[str, str, int], float]:
    settings = load_settings()
    band_column = {b.id: b.population_column for b in settings.age_bands}
    band_column[ALL_AGES] = settings.all_ages_population_column
    cache: dict[int, pd.DataFrame] = {}

    def lookup(area: str, band: str, year: int) -> float:
        if year not in cache:
            pop = reference.population(year).set_index("area_code")
            if include_scs_areas:
                for code in SCS_AREA_CODES:
                    pop.loc[code] = pop.loc[list(districts_in(code))].sum(numeric_only=True)
            cache[year] = pop
        return float(cache[year].at[area, band_column[band]])

    return lookup


def compute_indicator(ind: Indicator, tables: dict[str, pd.DataFrame], ctx: Context,
                      include_scs_areas: bool = False) -> pd.DataFrame:
    """The long results of one indicator for every area, month and quarter in ``ctx``."""
    by_age = ind.age_bands
    monthly = METHODS[ind.method](tables, ind.params, ctx, by_age)
    bands = [ALL_AGES] + ([b.id for b in ctx.age_bands] if by_age else [])
    monthly = _complete_grid(monthly, ctx, bands)
    by_district = _aggregate(monthly, ind, ctx)
    out = _add_areas(by_district, include_scs_areas)
    if "denominator" not in out.columns:
        out["denominator"] = np.nan
    out["numerator"] = out["numerator"].astype(float)
    out["denominator"] = out["denominator"].astype(float)
    if ind.is_rate:
        lookup = _population_lookup(out["area_code"].unique().tolist(), include_scs_areas)
        # Mid-year estimates are for 30 June: use the calendar year in which the period starts,
        # rounded to the nearest year for which an estimate is available.
        year = out["period_start"].dt.year
        keys = zip(out["area_code"], out["age_band"], year, strict=True)
        out["denominator"] = [lookup(a, b, int(y)) for a, b, y in keys]
        out["value"] = out["numerator"] / out["denominator"] * ind.per
    elif ind.is_percentage:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value"] = np.where(out["denominator"] > 0, out["numerator"] / out["denominator"] * 100, np.nan)
    else:
        out["value"] = out["numerator"]
    out["indicator_id"] = ind.id
    out["area_name"] = [area_name(a, d.date()) for a, d in zip(out["area_code"], out["period_start"], strict=True)]
    return out[RESULT_COLUMNS]


def month_range(tables: dict[str, pd.DataFrame], extract_date: dt.date,
                first: dt.date | None = None) -> tuple[int, int]:
    """First and last complete month covered by the extract (the extract's month counts
    only if ``extract_date`` is its last day)."""
    if first is None:
        first = pd.to_datetime(tables["notifications"]["date_received"]).min().date()
    last_complete = extract_date if (extract_date + dt.timedelta(days=1)).day == 1 else \
        extract_date.replace(day=1) - dt.timedelta(days=1)
    return first.year * 12 + first.month - 1, last_complete.year * 12 + last_complete.month - 1


def compute_results(tables: dict[str, pd.DataFrame], extract_date: dt.date, *,
                    up_to: Period | None = None, indicator_ids: list[str] | None = None,
                    include_scs_areas: bool = False) -> pd.DataFrame:
    """Every catalogue indicator for Kent and the districts, for every month and quarter
    from the start of the extract to ``up_to`` (default: the last complete month).

    Returns the long results table (columns :data:`RESULT_COLUMNS`), sorted.
    """
    catalogue = load_catalogue()
    first_m, last_m = month_range(tables, extract_date)
    if up_to is not None:
        end_m = up_to.end.year * 12 + up_to.end.month - 1
        if end_m > last_m:
            raise ValueError(f"{up_to.label} ends after the extract's last complete month "
                             f"({last_m // 12}-{last_m % 12 + 1:02d}); choose an earlier period")
        last_m = end_m
    ctx = Context(first_m, last_m, load_settings().age_bands)
    ids = indicator_ids or list(catalogue)
    unknown = set(ids) - set(catalogue)
    if unknown:
        raise KeyError(f"Unknown indicator(s) {sorted(unknown)}; known: {sorted(catalogue)}")
    frames = [compute_indicator(catalogue[i], tables, ctx, include_scs_areas) for i in ids]
    out = pd.concat(frames, ignore_index=True)
    order = {code: i for i, code in enumerate([KENT_CODE, *DISTRICTS, *SCS_AREA_CODES])}
    out = out.assign(_a=out["area_code"].map(order), _i=out["indicator_id"].map({k: i for i, k in enumerate(ids)}))
    out = out.sort_values(["_i", "_a", "period_start", "period_kind", "age_band"]).drop(columns=["_a", "_i"])
    return out.reset_index(drop=True)
