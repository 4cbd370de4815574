"""Working days in England: the timescales of children's social care are counted in them.

An assessment is due within 45 working days of its start, an initial child protection
conference within 15 working days of the section 47 enquiry starting, an initial health
assessment referral within 5 working days of becoming looked after, a return interview
within 3 working days. Working days are Monday to Friday except the bank holidays of
England and Wales (:func:`bank_holidays`, with substitute days when a holiday falls at a
weekend). numpy's business-day functions do the counting, vectorised.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd
from dateutil.easter import easter as easter_sunday  # Gregorian Easter Sunday


def _monday_on_or_before(d: dt.date) -> dt.date:
    return d - dt.timedelta(days=d.weekday())


def _next_weekday(d: dt.date, taken: set[dt.date]) -> dt.date:
    while d.weekday() >= 5 or d in taken:
        d += dt.timedelta(days=1)
    return d


#: One-off changes to England and Wales's bank holidays (gov.uk/bank-holidays, Royal Proclamations):
#: the early May and spring holidays moved, by year, and extra holidays.
MOVED_EARLY_MAY = {1995: dt.date(1995, 5, 8), 2020: dt.date(2020, 5, 8)}  # VE Day anniversaries
MOVED_SPRING = {2002: dt.date(2002, 6, 4), 2012: dt.date(2012, 6, 4), 2022: dt.date(2022, 6, 2)}  # jubilees
EXTRA_HOLIDAYS = (dt.date(1999, 12, 31), dt.date(2002, 6, 3), dt.date(2011, 4, 29), dt.date(2012, 6, 5),
                  dt.date(2022, 6, 3), dt.date(2022, 9, 19), dt.date(2023, 5, 8))


@lru_cache(maxsize=8)
def bank_holidays(first_year: int, last_year: int) -> tuple[dt.date, ...]:
    """Bank holidays of England and Wales from ``first_year`` to ``last_year``, with substitute
    days (a holiday at a weekend moves to the next free weekday) and the one-off changes
    (jubilees, royal weddings and funerals, the VE Day anniversaries: :data:`EXTRA_HOLIDAYS`).

    Examples
    --------
    >>> [d.isoformat() for d in bank_holidays(2016, 2016)]  # doctest: +NORMALIZE_WHITESPACE
    ['2016-01-01', '2016-03-25', '2016-03-28', '2016-05-02', '2016-05-30', '2016-08-29',
     '2016-12-26', '2016-12-27']
    """
    out: list[dt.date] = []
    for y in range(first_year, last_year + 1):
        easter = easter_sunday(y)
        may1 = dt.date(y, 5, 1)
        fixed = [easter - dt.timedelta(days=2), easter + dt.timedelta(days=1),
                 MOVED_EARLY_MAY.get(y, may1 + dt.timedelta(days=(7 - may1.weekday()) % 7)),
                 MOVED_SPRING.get(y, _monday_on_or_before(dt.date(y, 5, 31))),
                 _monday_on_or_before(dt.date(y, 8, 31))]
        fixed += [d for d in EXTRA_HOLIDAYS if d.year == y]
        taken = set(fixed)
        for d in (dt.date(y, 1, 1), dt.date(y, 12, 25), dt.date(y, 12, 26)):
            moved = _next_weekday(d, taken)
            taken.add(moved)
            fixed.append(moved)
        out += fixed
    return tuple(sorted(out))


def _holidays(dates: np.ndarray) -> np.ndarray:
    years = pd.DatetimeIndex(dates[~np.isnat(dates)]).year if len(dates) else pd.Index([2016])
    lo, hi = (int(years.min()) - 1, int(years.max()) + 2) if len(years) else (2015, 2017)
    return np.array(bank_holidays(lo, hi), dtype="datetime64[D]")


def _days(values) -> np.ndarray:
    return np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(), dtype="datetime64[D]")


def add_working_days(dates, n) -> pd.Series:
    """The date ``n`` working days after each date (a weekend or holiday start rolls forward first).

    Examples
    --------
    >>> add_working_days(["2016-08-26"], 1).dt.strftime("%Y-%m-%d").tolist()  # Friday; Monday is a bank holiday
    ['2016-08-30']
    """
    d = _days(dates)
    out = np.full(len(d), np.datetime64("NaT"), dtype="datetime64[D]")
    ok = ~np.isnat(d)
    if ok.any():
        n = np.broadcast_to(np.asarray(n, dtype="int64"), d.shape)[ok]
        out[ok] = np.busday_offset(d[ok], n, roll="forward", holidays=_holidays(d[ok]))
    return pd.Series(out.astype("datetime64[ns]"))


def working_days_between(start, end) -> pd.Series:
    """Working days after ``start`` up to and including ``end`` (0 when the same day; NaN when
    either is missing). An enquiry started on Monday with its conference the next Monday took 5.

    Examples
    --------
    >>> working_days_between(["2016-08-22"], ["2016-08-30"]).tolist()  # 29 August 2016 was a bank holiday
    [5.0]
    """
    a, b = _days(start), _days(end)
    out = np.full(len(a), np.nan)
    ok = ~np.isnat(a) & ~np.isnat(b)
    if ok.any():
        hol = _holidays(np.concatenate([a[ok], b[ok]]))
        out[ok] = np.busday_count(a[ok] + np.timedelta64(1, "D"), b[ok] + np.timedelta64(1, "D"), holidays=hol)
    return pd.Series(out)


__all__ = ["bank_holidays", "add_working_days", "working_days_between"]
