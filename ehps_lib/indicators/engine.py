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
import json
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..config import ConfigError, load_settings
from ..data import reference
from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from ..periods import Period
from .catalogue import ALL_AGES, RESULT_COLUMNS, UNKNOWN_AGE, CountRule, Indicator, load_catalogue


# -- registry of methods ---------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    """What every method needs besides the tables: the month range and the age bands."""

    first_month: int  # month index: year * 12 + month - 1
    last_month: int
    age_bands: tuple = ()
    #: The places results are made for (the ``district_code`` of the records): the 12 districts,
    #: or for an officers' drill-down the Early Help Units (see :func:`compute_unit_results`).
    places: tuple = tuple(DISTRICTS)


Method = Callable[[dict[str, pd.DataFrame], dict, Context, bool], pd.DataFrame]
METHODS: dict[str, Method] = {}
#: What each method's numerator and denominator count, as :class:`CountRule` s of its params.
COUNTS: dict[str, Callable[[dict], dict[str, CountRule | None]]] = {}


def value_of(numerator, denominator, ind: Indicator) -> np.ndarray:
    """An indicator's value from its numerator and denominator: for a percentage (times 100) or an
    average, their ratio where the denominator is above 0 (else NaN); for a count, the numerator.
    (Rates per population are worked out against the ONS estimates, in :func:`compute_indicator`.)"""
    numerator = np.asarray(numerator, dtype=float)
    if not (ind.is_percentage or ind.is_average):
        return numerator
    denominator = np.asarray(denominator, dtype=float)
    scale = 100.0 if ind.is_percentage else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator * scale, np.nan)


def register(name: str, counts: Callable[[dict], dict[str, CountRule | None]] | None = None
             ) -> Callable[[Method], Method]:
    """Register a method: ``f(tables, params, context, by_age) -> monthly counts``.

    The returned frame has columns ``district_code``, ``month`` (month index),
    ``age_band`` and ``numerator`` (and ``denominator`` for shares). ``counts(params)`` says
    what the numerator and denominator count (``{"numerator": CountRule | None,
    "denominator": CountRule | None}``; None when it is not a count of records, such as a total
    of weeks or a population), so that the same count in two indicators is recognised as one.
    """

    def wrap(fn: Method) -> Method:
        METHODS[name] = fn
        if counts is not None:
            COUNTS[name] = counts
        return fn

    return wrap


#: Parameters that narrow the records any method counts (population groups, ages, a method's
#: ``within``, other start and end columns): part of what a count is, so that two indicators are
#: one count only when they count the same records.
_SCOPE_KEYS = ("child_where", "ages", "within", "start", "end")


def _scope(params: dict) -> tuple[str, ...]:
    return tuple(f"{key}={json.dumps(params[key], sort_keys=True, default=str)}"
                 for key in _SCOPE_KEYS if params.get(key) is not None)


def _records(params: dict, *extra: str, where: bool = True) -> CountRule:
    return CountRule.of(params["table"], f"date:{params['date']}", params.get("where") if where else None,
                        (*extra, *_scope(params)))


def _open(params: dict, *extra: str, where: bool = True) -> CountRule:
    return CountRule.of(params["table"], "open", params.get("where") if where else None, (*extra, *_scope(params)))


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


def _ages_at(df: pd.DataFrame, date_col: str, children: pd.DataFrame) -> pd.Series:
    """Whole years from the first day of each record's child's birth month to ``date_col``
    (the way the age bands count age); missing where the child or the date is unknown."""
    births = children.set_index("child_id")["birth_month"]
    return (_month_index(df[date_col]) - _month_index(df["child_id"].map(births))) // 12


def missing_input(ind: Indicator, tables: dict[str, pd.DataFrame]) -> str | None:
    """What an indicator needs that the extract did not hold (an optional table, or an optional
    column of the children table), in words; None when it has everything. Such an indicator is
    not computed at all: counting it from nothing would print zeros (and rate them) for what was
    never measured.

    Examples
    --------
    >>> from ehps_lib.indicators.catalogue import load_catalogue
    >>> cat = load_catalogue()
    >>> missing_input(cat["yj_first_time_entrants"], {"children": pd.DataFrame(columns=["child_id"])})
    'the extract has no youth_justice table'
    >>> missing_input(cat["cc_reach_ehn_0_4"], {"children": pd.DataFrame(columns=["child_id"]),
    ...                                         "notifications": pd.DataFrame()})
    "the extract's children table has no cc_registered_date column"
    """
    table = ind.params.get("table")
    if table and table not in tables:
        return f"the extract has no {table} table"
    children = tables.get("children")
    wanted = [*(ind.params.get("child_where") or {}), *([ind.params["child_date"]] if ind.params.get("child_date")
                                                          else [])]
    for column in wanted:
        if children is not None and column not in children.columns:
            return f"the extract's children table has no {column} column"
    return None


def _prefilter(tables: dict[str, pd.DataFrame], params: dict) -> dict[str, pd.DataFrame]:
    """Apply the parameters every method shares before the method runs: ``child_where`` (records
    about children whose attributes match, e.g. a population group) and ``ages`` (records about
    children of those ages on ``params.date``)."""
    name = params["table"]
    df = tables[name]
    if params.get("child_where"):
        children = _filter(tables["children"], params["child_where"])
        df = df[df["child_id"].isin(children["child_id"])]
    if params.get("ages"):
        lo, hi = params["ages"]
        age = _ages_at(df, params["date"], tables["children"])
        df = df[((age >= lo) & (age <= hi)).fillna(False).to_numpy(dtype=bool)]
    if df is tables[name]:
        return tables
    return {**tables, name: df}


def _filter(df: pd.DataFrame, where: dict | None) -> pd.DataFrame:
    for col, allowed in (where or {}).items():
        if col not in df.columns:
            raise ConfigError(f"catalogue params: 'where' names unknown column {col!r}")
        df = df[df[col].isin(allowed)]
    return df


def _count_by_month(df: pd.DataFrame, date_col: str, tables, ctx: Context, by_age: bool,
                    name: str = "numerator", weights: str | None = None) -> pd.DataFrame:
    """Records by district and month of ``date_col`` (and by age band on that date): their
    number, or the sum of their ``weights`` column."""
    df = df[df[date_col].notna()]
    month = _month_index(df[date_col])
    df = df.assign(month=month)[(month >= ctx.first_month) & (month <= ctx.last_month)]
    keys = ["district_code", "month"]

    def total(frame: pd.DataFrame, by: list[str]) -> pd.Series:
        return frame.groupby(by).size() if weights is None else frame.groupby(by)[weights].sum()

    frames = [total(df, keys).rename(name).reset_index().assign(age_band=ALL_AGES)]
    if by_age:
        # Records whose age is outside every band (or unknown) form their own band, so that
        # all ages = the sum of the bands exactly and suppression can protect every cell.
        banded = _with_age_band(df, date_col, tables["children"], ctx)
        banded = banded.assign(age_band=banded["age_band"].fillna(UNKNOWN_AGE))
        frames.append(total(banded, [*keys, "age_band"]).rename(name).reset_index())
    return pd.concat(frames, ignore_index=True)


def _open_by_month(df: pd.DataFrame, ctx: Context, start_col: str = "start_date", end_col: str = "end_date"
                   ) -> pd.DataFrame:
    """One row per record and month end at which it is open (started on or before the month's
    end and not ended by then): columns ``pos`` (the record's position in ``df``) and ``month``."""
    start = _month_index(df[start_col]).to_numpy(dtype="float")
    end = _month_index(df[end_col]).to_numpy(dtype="float")
    lo = np.maximum(start, ctx.first_month)
    hi = np.where(np.isnan(end), ctx.last_month, np.minimum(end - 1, ctx.last_month))
    ok = ~np.isnan(start) & (hi >= lo)
    lo, hi = lo[ok].astype(np.int64), hi[ok].astype(np.int64)
    counts = hi - lo + 1
    pos = np.repeat(np.flatnonzero(ok), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return pd.DataFrame({"pos": pos, "month": np.repeat(lo, counts) + offset})


def _snapshot_counts(df: pd.DataFrame, open_rows: pd.DataFrame, tables, ctx: Context, by_age: bool,
                     columns: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Open records by district and month end (and age band at the month end). ``columns``: extra
    per-row values (aligned with ``open_rows``) summed as well, e.g. a numerator."""
    frame = open_rows.assign(district_code=df["district_code"].to_numpy()[open_rows["pos"].to_numpy()],
                             **(columns or {}))
    value_cols = list(columns or {})
    keys = ["district_code", "month"]

    def total(f: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        g = f.groupby(by)
        out = g.size().rename("_n").to_frame()
        for c in value_cols:
            out[c] = g[c].sum()
        return out.reset_index()

    frames = [total(frame, keys).assign(age_band=ALL_AGES)]
    if by_age:
        births = df["child_id"].map(tables["children"].set_index("child_id")["birth_month"])
        birth_idx = _month_index(births).to_numpy(dtype="float")[open_rows["pos"].to_numpy()]
        age = pd.Series((open_rows["month"].to_numpy() - birth_idx) // 12, index=frame.index)
        band = _age_band_of(age, ctx.age_bands).fillna(UNKNOWN_AGE)
        frames.append(total(frame.assign(age_band=band.to_numpy()), [*keys, "age_band"]))
    return pd.concat(frames, ignore_index=True)


@register("event_count", counts=lambda p: {"numerator": _records(p), "denominator": None})
def event_count(tables, params, ctx, by_age):
    """Records whose ``params.date`` falls in the month (optionally filtered by ``where``)."""
    df = _filter(tables[params["table"]], params.get("where"))
    return _count_by_month(df, params["date"], tables, ctx, by_age)


@register("event_rate", counts=lambda p: {"numerator": _records(p), "denominator": None})
def event_rate(tables, params, ctx, by_age):
    """As :func:`event_count`; the engine divides by the population of the area and age band."""
    return event_count(tables, params, ctx, by_age)


@register("event_share", counts=lambda p: {"numerator": _records(p), "denominator": _records(p, where=False)})
def event_share(tables, params, ctx, by_age):
    """Share of records dated in the month that meet ``where`` (numerator) of all (denominator);
    with ``within``, the denominator is only the records that meet it (and so is the numerator)."""
    table = _filter(tables[params["table"]], params.get("within"))
    den = _count_by_month(table, params["date"], tables, ctx, by_age, name="denominator")
    num = _count_by_month(_filter(table, params.get("where")), params["date"], tables, ctx, by_age)
    keys = ["district_code", "month", "age_band"]
    out = den.merge(num, on=keys, how="left")
    return out.assign(numerator=out["numerator"].fillna(0))


@register("open_at_end", counts=lambda p: {"numerator": _open(p), "denominator": None})
def open_at_end(tables, params, ctx, by_age):
    """Records open at the end of each month: started on or before it, not ended by then (by the
    child's age at the month end). ``start`` and ``end`` name the columns (default ``start_date``
    and ``end_date``); ``where`` keeps only the matching records."""
    df = _filter(tables[params["table"]], params.get("where")).reset_index(drop=True)
    rows = _open_by_month(df, ctx, params.get("start", "start_date"), params.get("end", "end_date"))
    out = _snapshot_counts(df, rows, tables, ctx, by_age)
    return out.rename(columns={"_n": "numerator"})


@register("repeat_within_days_share", counts=lambda p: {
    "numerator": _records(p, f"another record of the same {p.get('subject', 'child_id')} within "
                             f"{p['days']} days before"),
    "denominator": _records(p, where=False)})
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


@register("followed_within_days_share", counts=lambda p: {
    "numerator": _records(p, f"first of its {p.get('subject', 'child_id')} in the month",
                          f"followed within {p['days']} days", "counted when the follow-up ends", where=False),
    "denominator": _records(p, f"first of its {p.get('subject', 'child_id')} in the month",
                            "counted when the follow-up ends", where=False)})
def followed_within_days_share(tables, params, ctx, by_age):
    """Of records (the first of each subject in a month), the share followed by a later record of
    the same subject within ``params.days`` days (e.g. re-offending within a year).

    A record is counted in the month its follow-up ends (its month plus ``ceil(days / 30.44)``
    months), when the answer is known: the figure for a period is about records a follow-up
    earlier, and no record is counted before its follow-up is complete.
    """
    df = tables[params["table"]]
    date, subject, days = params["date"], params.get("subject", "child_id"), int(params["days"])
    df = df[df[date].notna()]
    visits = df[[subject, date]].drop_duplicates().sort_values([subject, date])
    visits = visits.assign(_next=visits.groupby(subject)[date].shift(-1))
    first = df.assign(_m=_month_index(df[date])).sort_values(date).drop_duplicates([subject, "_m"])
    first = first.merge(visits, on=[subject, date], how="left")
    gap = (first["_next"] - first[date]).dt.days
    lag = int(np.ceil(days / 30.44))
    first = first.assign(_due=first[date] + pd.DateOffset(months=lag),
                         _followed=(gap >= 1) & (gap <= days))
    den = _count_by_month(first, "_due", tables, ctx, by_age, name="denominator")
    num = _count_by_month(first[first["_followed"].to_numpy(dtype=bool)], "_due", tables, ctx, by_age)
    out = den.merge(num, on=["district_code", "month", "age_band"], how="left")
    return out.assign(numerator=out["numerator"].fillna(0))


@register("open_within_weeks_share", counts=lambda p: {
    "numerator": _open(p, f"open for {p['weeks']} weeks or less", where=False), "denominator": _open(p, where=False)})
def open_within_weeks_share(tables, params, ctx, by_age):
    """Of records open at each month end, the share open for no more than ``params.weeks``
    (by the child's age at the month end)."""
    df = tables[params["table"]].reset_index(drop=True)
    weeks = int(params["weeks"])
    rows = _open_by_month(df, ctx)
    m = rows["month"].to_numpy()
    month_end = (pd.to_datetime(pd.DataFrame({"year": m // 12, "month": m % 12 + 1, "day": 1}))
                 + pd.offsets.MonthEnd(0)).to_numpy()
    start = df["start_date"].to_numpy(dtype="datetime64[ns]")[rows["pos"].to_numpy()]
    young = ((month_end - start) <= np.timedelta64(weeks * 7, "D")).astype(float)
    out = _snapshot_counts(df, rows, tables, ctx, by_age, {"numerator": young})
    return out.rename(columns={"_n": "denominator"})


@register("interval_within_days_share", counts=lambda p: {
    "numerator": _records(p, f"linked to {p['linked_table']} by {p['link_column']}",
                          f"within {p['days']} days of its {p['from_date']}"),
    "denominator": _records(p, f"linked to {p['linked_table']} by {p['link_column']}")})
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


@register("duration_average", counts=lambda p: {
    "numerator": None, "denominator": CountRule.of(p["table"], "date:end_date", None, _scope(p))})
def duration_average(tables, params, ctx, by_age):
    """Mean duration (in ``params.unit``: days or weeks) of records ending in the month:
    numerator = total duration, denominator = number of records (by age at the end)."""
    df = tables[params["table"]]
    df = df[df["end_date"].notna()]
    days = (df["end_date"] - df["start_date"]).dt.days
    scale = 7.0 if params.get("unit", "weeks") == "weeks" else 1.0
    df = df.assign(_dur=days / scale)
    den = _count_by_month(df, "end_date", tables, ctx, by_age, name="denominator")
    num = _count_by_month(df, "end_date", tables, ctx, by_age, weights="_dur")
    return den.merge(num, on=["district_code", "month", "age_band"], how="left")


@register("child_date_share", counts=lambda p: {
    "numerator": _records(p, f"the child's {p['child_date']} on or before its {p['date']}"),
    "denominator": _records(p, where=False)})
def child_date_share(tables, params, ctx, by_age):
    """Share of records dated in the month whose child's ``params.child_date`` (a date on the
    children table, e.g. Children's Centre registration) is on or before the record's date."""
    df = tables[params["table"]]
    child_day = df["child_id"].map(tables["children"].set_index("child_id")[params["child_date"]])
    met = child_day.notna() & (child_day <= df[params["date"]])
    den = _count_by_month(df, params["date"], tables, ctx, by_age, name="denominator")
    num = _count_by_month(df[met.to_numpy(dtype=bool)], params["date"], tables, ctx, by_age)
    out = den.merge(num, on=["district_code", "month", "age_band"], how="left")
    return out.assign(numerator=out["numerator"].fillna(0))


# -- the engine -----------------------------------------------------------------------------------
def _complete_grid(counts: pd.DataFrame, ctx: Context, bands: list[str]) -> pd.DataFrame:
    """Every district × month × band, zero where nothing happened (zero is a true zero)."""
    grid = pd.MultiIndex.from_product(
        [list(ctx.places), range(ctx.first_month, ctx.last_month + 1), bands],
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


def _age_populations(years, ages: list[int], include_scs_areas: bool,
                     as_of: dt.date | None = None) -> pd.DataFrame:
    """Long table ``area_code, age_band, year, population`` of the children aged ``ages[0]`` to
    ``ages[1]`` (all ages band only), from the estimates published by ``as_of`` (none published
    then: an empty table, as :func:`_populations`)."""
    frames = []
    for year in years:
        try:
            pop = reference.population_ages(int(year), *ages, as_of=as_of).set_index("area_code")["population"]
        except reference.VintageError:
            continue
        if include_scs_areas:
            pop = pd.concat([pop, pd.Series({code: pop.loc[list(districts_in(code))].sum()
                                             for code in SCS_AREA_CODES})])
        frames.append(pd.DataFrame({"area_code": pop.index, "age_band": ALL_AGES, "year": int(year),
                                    "population": pop.to_numpy(dtype=float)}))
    if not frames:
        return pd.DataFrame({"area_code": pd.Series(dtype=object), "age_band": pd.Series(dtype=object),
                             "year": pd.Series(dtype=int), "population": pd.Series(dtype=float)})
    return pd.concat(frames, ignore_index=True)


def district_breakdown_month(results: pd.DataFrame, ind: Indicator) -> pd.Series:
    """Rows a district's single month would split: an age band, or a population group's count.

    These are not computed, so never published: districts' age bands and population groups are
    made for quarters and longer windows only (Kent and the SCS areas keep them monthly). A
    district's month split four ways, or by a flag a few children carry, is mostly counts from 1
    to the threshold; withheld, they and their complements, through the months of a quarter, the
    districts of an area and the bands of all ages, tie tens of thousands of cells into one system
    that suppression cannot prove protected in reasonable time, while publishing almost nothing.
    Reducing detail before suppressing is what ONS and the Duck Book advise for sparse tables.
    """
    district = results["area_code"].isin(list(DISTRICTS))
    month = results["period_kind"] == "month"
    breakdown = (results["age_band"] != ALL_AGES) if not ind.population_group else pd.Series(True, results.index)
    return district & month & breakdown


def compute_indicator(ind: Indicator, tables: dict[str, pd.DataFrame], ctx: Context,
                      include_scs_areas: bool = False, as_of: dt.date | None = None) -> pd.DataFrame:
    """The long results of one indicator for every area, month and quarter in ``ctx``; rates
    use the population estimates published by ``as_of`` (default: any held)."""
    by_age = ind.age_bands
    monthly = METHODS[ind.method](_prefilter(tables, ind.params), ind.params, ctx, by_age)
    bands = [ALL_AGES] + ([b.id for b in ctx.age_bands] + [UNKNOWN_AGE] if by_age else [])
    monthly = _complete_grid(monthly, ctx, bands)
    by_district = _aggregate(monthly, ind, ctx)
    out = _add_areas(by_district, include_scs_areas)
    if ind.areas == "county":
        # Published for Kent only (catalogue `areas: county`): a district's rolling 12 months,
        # differenced month to month, would give away its small monthly counts.
        out = out[out["area_code"] == KENT_CODE].reset_index(drop=True)
    if ind.age_band_areas == "county":
        # Age bands for Kent only (catalogue `age_band_areas: county`): a district's monthly count
        # split four ways is mostly counts from 1 to the threshold.
        out = out[(out["age_band"] == ALL_AGES) | (out["area_code"] == KENT_CODE)].reset_index(drop=True)
    out = out[~district_breakdown_month(out, ind)].reset_index(drop=True)
    if "denominator" not in out.columns:
        out["denominator"] = np.nan
    out["numerator"] = out["numerator"].astype(float)
    out["denominator"] = out["denominator"].astype(float)
    if out.empty:  # e.g. a rolling 12 months on an extract shorter than a year
        return pd.DataFrame(columns=RESULT_COLUMNS)
    if ind.is_rate:
        # Mid-year estimates are for 30 June: use the calendar year in which the period starts,
        # rounded to the nearest year for which an estimate was published by ``as_of``.
        years = out["period_start"].dt.year.unique()
        pops = (_age_populations(years, ind.params["ages"], include_scs_areas, as_of) if ind.params.get("ages")
                else _populations(years, include_scs_areas, as_of))
        key = pd.DataFrame({"area_code": out["area_code"], "age_band": out["age_band"],
                            "year": out["period_start"].dt.year})
        out["denominator"] = key.merge(pops, on=["area_code", "age_band", "year"], how="left")["population"].to_numpy()
        out["value"] = out["numerator"] / out["denominator"] * ind.per
    else:
        out["value"] = value_of(out["numerator"], out["denominator"], ind)
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
    from ..data.contract import complete_tables  # pandera is slow to import; only computing needs it

    catalogue = catalogue or load_catalogue()
    held = tables
    tables = complete_tables(tables)
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
    # an indicator whose optional table or column the extract lacks has no results (not zeros)
    frames = [compute_indicator(catalogue[i], tables, ctx, include_scs_areas, as_of) for i in ids
              if missing_input(catalogue[i], held) is None]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    order = {code: i for i, code in enumerate([KENT_CODE, *DISTRICTS, *SCS_AREA_CODES])}
    out = out.assign(_a=out["area_code"].map(order), _i=out["indicator_id"].map({k: i for i, k in enumerate(ids)}))
    out = out.sort_values(["_i", "_a", "period_start", "period_kind", "age_band"]).drop(columns=["_a", "_i"])
    return out.reset_index(drop=True)


def window_months_results(tables: dict[str, pd.DataFrame], extract_date: dt.date, *, up_to: Period | None = None,
                          include_scs_areas: bool = False, as_of: dt.date | None = None,
                          catalogue: dict[str, Indicator] | None = None) -> pd.DataFrame:
    """The single months of every indicator published only as whole windows (rolling 12 months,
    year to date) that counts records: the same measure, month by month, for the same areas.
    Never published: the protection needs them as the unknowns its windows add up from
    (:func:`ehps_lib.indicators.suppression.cells_of_months`).

    Returns results rows (:data:`RESULT_COLUMNS`) with ``period_kind == "month"``, all ages.
    """
    catalogue = catalogue or load_catalogue()
    windowed = {i: replace(ind, data_period="month", age_bands=False) for i, ind in catalogue.items()
                if ind.data_period in ("R12M", "YTD") and ind.has_data and ind.method
                and any(ind.counts.values())}
    if not windowed:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    out = compute_results(tables, extract_date, up_to=up_to, indicator_ids=sorted(windowed),
                          include_scs_areas=include_scs_areas, catalogue={**catalogue, **windowed}, as_of=as_of)
    return out[(out["period_kind"] == "month") & (out["age_band"] == ALL_AGES)].reset_index(drop=True)


#: What an officers' drill-down shows for each Early Help Unit: measures of the cases table.
UNIT_INDICATORS = ("cases_open", "cases_closed", "closed_positive_pct", "cases_open_20wk_pct", "step_ups",
                   "step_downs", "case_duration_weeks", "case_allocated_15d_pct")


def unit_of_district(cases: pd.DataFrame) -> pd.Series:
    """Each Early Help Unit's district: the district most of its cases are in (``unit_id`` index)."""
    pairs = cases[["unit_id", "district_code"]].dropna()
    if pairs.empty:
        return pd.Series(dtype="string", name="district_code")
    counts = pairs.groupby(["unit_id", "district_code"]).size().rename("n").reset_index()
    top = counts.sort_values(["unit_id", "n", "district_code"], ascending=[True, False, True])
    return top.drop_duplicates("unit_id").set_index("unit_id")["district_code"]


def compute_unit_results(tables: dict[str, pd.DataFrame], extract_date: dt.date, *, up_to: Period | None = None,
                         indicator_ids: tuple[str, ...] = UNIT_INDICATORS,
                         catalogue: dict[str, Indicator] | None = None) -> pd.DataFrame:
    """The case measures for every Early Help Unit, month and quarter, by the same engine: the
    records' place is their unit instead of their district. Unsuppressed: for officers' internal
    drill-down (county → area → district → unit, seed 004:2639-2641), never for publication.

    Returns the long results table (columns :data:`RESULT_COLUMNS`, ``area_code`` = the unit id,
    ``area_name`` = the unit id) plus ``district_code`` of each unit.
    """
    from ..data.contract import complete_tables

    catalogue = catalogue or load_catalogue()
    tables = complete_tables(tables)
    cases = tables["cases"]
    if cases["unit_id"].isna().all():
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "district_code"])
    home = unit_of_district(cases)
    first_m, last_m = month_range(tables, extract_date)
    if up_to is not None:
        last_m = min(last_m, up_to.end.year * 12 + up_to.end.month - 1)
    by_unit = {**tables, "cases": cases.assign(district_code=cases["unit_id"])}
    ctx = Context(first_m, last_m, load_settings().age_bands, places=tuple(sorted(home.index)))
    frames = []
    for ind_id in indicator_ids:
        ind = catalogue[ind_id]
        if ind.params.get("table") != "cases":
            raise ValueError(f"{ind_id}: only measures of the cases table can be made by unit")
        monthly = METHODS[ind.method](_prefilter(by_unit, ind.params), ind.params, ctx, False)
        monthly = _complete_grid(monthly, ctx, [ALL_AGES])
        out = _aggregate(monthly, ind, ctx)
        if out.empty:
            continue
        if "denominator" not in out.columns:
            out["denominator"] = np.nan
        out = out.astype({"numerator": float, "denominator": float})
        out["value"] = value_of(out["numerator"], out["denominator"], ind)
        frames.append(out.rename(columns={"district_code": "area_code"}).assign(
            indicator_id=ind_id, area_name=lambda d: d["area_code"]))
    if not frames:
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "district_code"])
    out = pd.concat(frames, ignore_index=True)
    out["district_code"] = out["area_code"].map(home)
    return out[[*RESULT_COLUMNS, "district_code"]].sort_values(
        ["indicator_id", "area_code", "period_start", "period_kind"]).reset_index(drop=True)
