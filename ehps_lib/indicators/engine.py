"""Indicator engine: the registered methods and the long results table.

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
through :mod:`ehps_lib.data.io` and :mod:`ehps_lib.data.reference`.

Adding an indicator is a catalogue entry (and, if no existing method fits, one registered
function); notebooks never change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import ConfigError, load_settings
from ..data import reference
from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from ..periods import Period
from .catalogue import ALL_AGES, RESULT_COLUMNS, UNKNOWN_AGE, Indicator, load_catalogue


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
        # Records whose age is outside every band (or unknown) form their own band, so that
        # all ages = the sum of the bands exactly and suppression can protect every cell.
        banded = _with_age_band(df, date_col, tables["children"], ctx)
        banded = banded.assign(age_band=banded["age_band"].fillna(UNKNOWN_AGE))
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


@register("repeat_within_days_share")
def repeat_within_days_share(tables, params, ctx, by_age):
    """Share of records dated in the month whose subject had an earlier record within
    ``params.days`` days before (e.g. re-notifications within 12 months)."""
    df = tables[params["table"]]
    date, subject, days = params["date"], params.get("subject", "child_id"), int(params["days"])
    ordered = df[df[date].notna()].sort_values([subject, date])
    gap = ordered.groupby(subject)[date].diff().dt.days
    repeat = ordered[(gap >= 0) & (gap <= days)]
    den = _count_by_month(ordered, date, tables, ctx, by_age, name="denominator")
    num = _count_by_month(repeat, date, tables, ctx, by_age)
    out = den.merge(num, on=["district_code", "month", "age_band"], how="left")
    return out.assign(numerator=out["numerator"].fillna(0))


@register("open_within_weeks_share")
def open_within_weeks_share(tables, params, ctx, by_age):
    """Of records open at each month end, the share open for no more than ``params.weeks``."""
    df = tables[params["table"]]
    weeks = int(params["weeks"])
    months = np.arange(ctx.first_month, ctx.last_month + 1)
    month_end = pd.to_datetime([f"{m // 12}-{m % 12 + 1:02d}-01" for m in months]) + pd.offsets.MonthEnd(0)
    start = df["start_date"].to_numpy(dtype="datetime64[ns]")
    end = df["end_date"].to_numpy(dtype="datetime64[ns]")
    rows = []
    for m, day in zip(months, month_end.to_numpy(), strict=True):
        is_open = (start <= day) & ~(end <= day)  # NaT compares False, so open cases stay open
        young = is_open & ((day - start) <= np.timedelta64(weeks * 7, "D"))
        part = pd.DataFrame({"district_code": df["district_code"].to_numpy()[is_open], "young": young[is_open]})
        g = part.groupby("district_code")["young"].agg(["sum", "size"]).reset_index()
        rows.append(g.rename(columns={"sum": "numerator", "size": "denominator"}).assign(month=m))
    out = pd.concat(rows, ignore_index=True)
    return out.assign(age_band=ALL_AGES)


@register("interval_within_days_share")
def interval_within_days_share(tables, params, ctx, by_age):
    """Of records dated in the month that link to an earlier record, the share whose gap from
    it (``params.from_date`` of the linked table) is at most ``params.days`` days."""
    df = tables[params["table"]]
    linked = tables[params["linked_table"]].set_index(params["link"])[params["from_date"]]
    df = df[df[params["link_column"]].notna()]
    gap = (df[params["date"]] - df[params["link_column"]].map(linked)).dt.days
    den = _count_by_month(df, params["date"], tables, ctx, by_age, name="denominator")
    num = _count_by_month(df[gap <= int(params["days"])], params["date"], tables, ctx, by_age)
    out = den.merge(num, on=["district_code", "month", "age_band"], how="left")
    return out.assign(numerator=out["numerator"].fillna(0))


@register("duration_average")
def duration_average(tables, params, ctx, by_age):
    """Mean duration (in ``params.unit``: days or weeks) of records ending in the month:
    numerator = total duration, denominator = number of records."""
    df = tables[params["table"]]
    df = df[df["end_date"].notna()]
    days = (df["end_date"] - df["start_date"]).dt.days
    scale = 7.0 if params.get("unit", "weeks") == "weeks" else 1.0
    df = df.assign(_dur=days / scale, month=_month_index(df["end_date"]))
    df = df[(df["month"] >= ctx.first_month) & (df["month"] <= ctx.last_month)]
    g = df.groupby(["district_code", "month"])["_dur"].agg(["sum", "size"]).reset_index()
    out = g.rename(columns={"sum": "numerator", "size": "denominator"})
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
    """Sum monthly values over each period's window, for every district × band at once.

    Works on cumulative sums: the sum over months lo..hi is ``csum[hi + 1] - csum[lo]``.
    """
    cols = [c for c in ("numerator", "denominator") if c in monthly.columns]
    n_months = ctx.last_month - ctx.first_month + 1
    rows = monthly[["district_code", "age_band"]].drop_duplicates().sort_values(["district_code", "age_band"])
    row_index = pd.MultiIndex.from_frame(rows)
    periods, lo, hi = [], [], []
    for p in _periods(ctx):
        start_m = p.start.year * 12 + p.start.month - 1
        end_m = start_m + p.months - 1
        w_lo, w_hi = _window(ind.data_period, p.kind, end_m, start_m)
        if w_lo < ctx.first_month:
            continue
        periods.append(p)
        lo.append(w_lo - ctx.first_month)
        hi.append(w_hi - ctx.first_month)
    columns = ["district_code", "age_band", *cols, "period", "period_kind", "period_start"]
    if not periods:  # e.g. a rolling 12 months on an extract shorter than a year
        return pd.DataFrame(columns=columns)
    lo_a, hi_a = np.array(lo), np.array(hi)
    sums = {}
    for c in cols:
        wide = (monthly.pivot_table(index=["district_code", "age_band"], columns="month", values=c, aggfunc="sum")
                .reindex(index=row_index, columns=range(ctx.first_month, ctx.last_month + 1), fill_value=0)
                .fillna(0).to_numpy(dtype=float))
        csum = np.concatenate([np.zeros((len(wide), 1)), np.cumsum(wide, axis=1)], axis=1)
        sums[c] = (csum[:, hi_a + 1] - csum[:, lo_a]).ravel(order="F")  # period-major
    n_rows = len(rows)
    assert wide.shape[1] == n_months
    out = pd.DataFrame({
        "district_code": np.tile(rows["district_code"].to_numpy(), len(periods)),
        "age_band": np.tile(rows["age_band"].to_numpy(), len(periods)),
        **sums,
        "period": np.repeat([p.label for p in periods], n_rows),
        "period_kind": np.repeat([p.kind for p in periods], n_rows),
        "period_start": np.repeat(pd.to_datetime([p.start for p in periods]), n_rows),
    })
    return out[columns]


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


def _populations(years, include_scs_areas: bool, as_of: dt.date | None = None) -> pd.DataFrame:
    """Long table ``area_code, age_band, year, population`` for the given calendar years, from
    the estimates published by ``as_of`` (none published then: an empty table, so rates are
    not available rather than made from later data)."""
    settings = load_settings()
    band_column = {b.id: b.population_column for b in settings.age_bands}
    band_column[ALL_AGES] = settings.all_ages_population_column
    frames = []
    for year in years:
        try:
            pop = reference.population(int(year), as_of).set_index("area_code")
        except reference.VintageError:
            continue
        if include_scs_areas:
            extra = pd.DataFrame({code: pop.loc[list(districts_in(code))].sum(numeric_only=True)
                                  for code in SCS_AREA_CODES}).T
            pop = pd.concat([pop, extra])
        for band, column in band_column.items():
            frames.append(pd.DataFrame({"area_code": pop.index, "age_band": band, "year": int(year),
                                        "population": pop[column].astype(float).to_numpy()}))
    if not frames:
        return pd.DataFrame({"area_code": pd.Series(dtype=object), "age_band": pd.Series(dtype=object),
                             "year": pd.Series(dtype=int), "population": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def compute_indicator(ind: Indicator, tables: dict[str, pd.DataFrame], ctx: Context,
                      include_scs_areas: bool = False, as_of: dt.date | None = None) -> pd.DataFrame:
    """The long results of one indicator for every area, month and quarter in ``ctx``; rates
    use the population estimates published by ``as_of`` (default: any held)."""
    by_age = ind.age_bands
    monthly = METHODS[ind.method](tables, ind.params, ctx, by_age)
    bands = [ALL_AGES] + ([b.id for b in ctx.age_bands] + [UNKNOWN_AGE] if by_age else [])
    monthly = _complete_grid(monthly, ctx, bands)
    by_district = _aggregate(monthly, ind, ctx)
    out = _add_areas(by_district, include_scs_areas)
    if "denominator" not in out.columns:
        out["denominator"] = np.nan
    out["numerator"] = out["numerator"].astype(float)
    out["denominator"] = out["denominator"].astype(float)
    if ind.is_rate:
        # Mid-year estimates are for 30 June: use the calendar year in which the period starts,
        # rounded to the nearest year for which an estimate was published by ``as_of``.
        pops = _populations(out["period_start"].dt.year.unique(), include_scs_areas, as_of)
        key = pd.DataFrame({"area_code": out["area_code"], "age_band": out["age_band"],
                            "year": out["period_start"].dt.year})
        out["denominator"] = key.merge(pops, on=["area_code", "age_band", "year"], how="left")["population"].to_numpy()
        out["value"] = out["numerator"] / out["denominator"] * ind.per
    elif ind.is_percentage or ind.is_average:
        scale = 100 if ind.is_percentage else 1
        with np.errstate(divide="ignore", invalid="ignore"):
            out["value"] = np.where(out["denominator"] > 0, out["numerator"] / out["denominator"] * scale, np.nan)
    else:
        out["value"] = out["numerator"]
    out["indicator_id"] = ind.id
    names = out[["area_code", "period_start"]].drop_duplicates()
    pairs = zip(names["area_code"], names["period_start"], strict=True)
    names["area_name"] = [area_name(a, d.date()) for a, d in pairs]
    out = out.merge(names, on=["area_code", "period_start"], how="left")
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
                    include_scs_areas: bool = False, months: int | None = None,
                    catalogue: dict[str, Indicator] | None = None,
                    as_of: dt.date | None = None) -> pd.DataFrame:
    """Every catalogue indicator for Kent and the districts, for every month and quarter
    from the start of the extract (or the last ``months`` months) to ``up_to`` (default:
    the last complete month).

    ``catalogue`` defaults to the packaged one; pass another (e.g. with a trial indicator
    added) to compute indicators that are not in it.

    Returns the long results table (columns :data:`RESULT_COLUMNS`), sorted.
    """
    catalogue = catalogue or load_catalogue()
    first_m, last_m = month_range(tables, extract_date)
    if up_to is not None:
        end_m = up_to.end.year * 12 + up_to.end.month - 1
        if end_m < first_m:
            raise ValueError(f"{up_to.label} ends before the extract's first month "
                             f"({first_m // 12}-{first_m % 12 + 1:02d}); choose a later period")
        if end_m > last_m:
            raise ValueError(f"{up_to.label} ends after the extract's last complete month "
                             f"({last_m // 12}-{last_m % 12 + 1:02d}); choose an earlier period")
        last_m = end_m
    if months is not None:
        first_m = max(first_m, last_m - months + 1)
    ctx = Context(first_m, last_m, load_settings().age_bands)
    ids = indicator_ids or [i for i, ind in catalogue.items() if ind.has_data]
    unknown = set(ids) - set(catalogue)
    if unknown:
        raise KeyError(f"Unknown indicator(s) {sorted(unknown)}; known: {sorted(catalogue)}")
    frames = [compute_indicator(catalogue[i], tables, ctx, include_scs_areas, as_of) for i in ids]
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    order = {code: i for i, code in enumerate([KENT_CODE, *DISTRICTS, *SCS_AREA_CODES])}
    out = out.assign(_a=out["area_code"].map(order), _i=out["indicator_id"].map({k: i for i, k in enumerate(ids)}))
    out = out.sort_values(["_i", "_a", "period_start", "period_kind", "age_band"]).drop(columns=["_a", "_i"])
    return out.reset_index(drop=True)
