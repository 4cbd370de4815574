"""Reporting periods: calendar months and UK financial-year quarters.

Labels:

* a month is ``"2016-08"``;
* a quarter is ``"2016-17 Q2"`` (Q1 = April to June, ..., Q4 = January to March);
* a financial year is ``"FY2016-17"`` (April to March; the prefix keeps ``"2011-12"``
  unambiguous as December 2011).

``Period`` objects are immutable and ordered; ``previous()`` and ``year_ago()`` give the
comparison periods used for direction of travel.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

_MONTH_RE = re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$")
#: "2016-17 Q2", the slug "2016-17-Q2", "2016/17 Q2", "2016-2017 Q2"; or "Q2 2016-17".
_QUARTER_RE = re.compile(r"^(?P<fy>\d{4})\s*[-/]\s*(?P<fy2>\d{2}|\d{4})\s*[-\s]?\s*Q(?P<q>[1-4])$", re.IGNORECASE)
_QUARTER_FIRST_RE = re.compile(r"^Q(?P<q>[1-4])\s*[-\s]?\s*(?P<fy>\d{4})\s*[-/]\s*(?P<fy2>\d{2}|\d{4})$", re.IGNORECASE)
#: "FY2016-17", "FY 2016/17", "2016/17" (the slash makes it a year, never a month).
_FY_RE = re.compile(r"^(?:FY\s*(?P<fy>\d{4})\s*[-/]\s*(?P<fy2>\d{2}|\d{4})|(?P<fy_b>\d{4})/(?P<fy2_b>\d{2}))$",
                    re.IGNORECASE)
#: "August 2016", "Aug 2016", "aug-2016".
_MONTH_WORDS_RE = re.compile(r"^(?P<name>[A-Za-z]{3,9})[\s-]+(?P<y>\d{4})$")
_MONTH_NAMES = {dt.date(2000, m, 1).strftime("%B").lower(): m for m in range(1, 13)}
_MONTH_NAMES.update({name[:3]: m for name, m in list(_MONTH_NAMES.items())})
_MONTH_NAMES["sept"] = 9


class PeriodError(ValueError):
    """A period label that cannot be understood."""


@dataclass(frozen=True, order=True)
class Period:
    """A reporting period: ``kind`` is ``"month"``, ``"quarter"`` or ``"year"``.

    ``start`` is the first day; ``months`` the number of calendar months covered.
    """

    start: dt.date
    months: int
    kind: str

    # -- construction -------------------------------------------------------------------
    @classmethod
    def parse(cls, label: str | Period) -> Period:
        """Parse a period in any of the forms people write.

        Months: ``"2016-08"``, ``"2016/8"``, ``"August 2016"``, ``"Aug 2016"``. Quarters:
        ``"2016-17 Q2"``, the file-name form ``"2016-17-Q2"``, ``"2016/17 Q2"``,
        ``"2016-2017 Q2"``, ``"Q2 2016-17"``. Financial years: ``"FY2016-17"``,
        ``"FY 2016/17"``, ``"2016/17"``.

        Examples
        --------
        >>> Period.parse("2016-17 Q2").label
        '2016-17 Q2'
        >>> Period.parse("2016-17 Q2").start
        datetime.date(2016, 7, 1)
        >>> Period.parse("2017-01").label
        '2017-01'
        >>> [Period.parse(s).label for s in ("2016-17-Q4", "2016/17 q4", "Q4 2016-17", "March 2017", "2016/17")]
        ['2016-17 Q4', '2016-17 Q4', '2016-17 Q4', '2017-03', 'FY2016-17']
        """
        if isinstance(label, Period):
            return label
        text = " ".join(str(label).split())
        m = _QUARTER_RE.match(text) or _QUARTER_FIRST_RE.match(text)
        if m:
            fy = int(m["fy"])
            _check_fy(fy, m["fy2"], text)
            q = int(m["q"])
            month = 4 + 3 * (q - 1)
            year = fy + (month - 1) // 12
            month = (month - 1) % 12 + 1
            return cls(dt.date(year, month, 1), 3, "quarter")
        fy_match = _FY_RE.match(text)
        if fy_match and fy_match["fy_b"] and int(fy_match["fy2_b"]) == (int(fy_match["fy_b"]) + 1) % 100:
            return cls(dt.date(int(fy_match["fy_b"]), 4, 1), 12, "year")  # "2016/17": a year, not a month
        if m := _MONTH_RE.match(text):
            y, mo = int(m["y"]), int(m["m"])
            if not 1 <= mo <= 12:
                raise PeriodError(f"{text!r}: the month must be 01 to 12 (a month is written like '2016-08')")
            return cls(dt.date(y, mo, 1), 1, "month")
        if m := _MONTH_WORDS_RE.match(text):
            mo = _MONTH_NAMES.get(m["name"].lower())
            if mo is None:
                raise PeriodError(f"{text!r}: {m['name']!r} is not a month name (e.g. 'August 2016' or 'Aug 2016')")
            return cls(dt.date(int(m["y"]), mo, 1), 1, "month")
        if m := _FY_RE.match(text):
            fy = int(m["fy"] or m["fy_b"])
            _check_fy(fy, m["fy2"] or m["fy2_b"], text)
            return cls(dt.date(fy, 4, 1), 12, "year")
        raise PeriodError(
            f"{text!r} is not a period. Write a month like '2016-08' or 'August 2016', a quarter like "
            "'2016-17 Q2' (Q1 = April to June) or a financial year like 'FY2016-17'."
        )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(dt.date(year, month, 1), 1, "month")

    @classmethod
    def quarter_of(cls, day: dt.date) -> Period:
        """The financial quarter containing ``day``."""
        offset = (day.month - 4) % 12
        start_month_index = day.year * 12 + day.month - 1 - (offset % 3)
        return cls(dt.date(start_month_index // 12, start_month_index % 12 + 1, 1), 3, "quarter")

    # -- properties ---------------------------------------------------------------------
    @property
    def end(self) -> dt.date:
        """Last day of the period."""
        idx = self.start.year * 12 + self.start.month - 1 + self.months
        return dt.date(idx // 12, idx % 12 + 1, 1) - dt.timedelta(days=1)

    @property
    def financial_year(self) -> int:
        """The calendar year in which the period's financial year starts."""
        return self.start.year if self.start.month >= 4 else self.start.year - 1

    @property
    def financial_year_label(self) -> str:
        fy = self.financial_year
        return f"{fy}-{(fy + 1) % 100:02d}"

    @property
    def quarter_number(self) -> int:
        return (self.start.month - 4) % 12 // 3 + 1

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.financial_year_label} Q{self.quarter_number}"
        return f"FY{self.financial_year_label}"

    @property
    def slug(self) -> str:
        """A file-system friendly label: ``2016-17-Q2``."""
        return self.label.replace(" ", "-")

    @property
    def title(self) -> str:
        """Words for papers: 'July to September 2016 (2016-17 Q2)'."""
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        first = f"{self.start:%B}"
        last = f"{self.end:%B %Y}"
        return f"{first} to {last} ({self.label})"

    def month_starts(self) -> list[dt.date]:
        """First day of every month in the period."""
        out = []
        idx = self.start.year * 12 + self.start.month - 1
        for i in range(self.months):
            out.append(dt.date((idx + i) // 12, (idx + i) % 12 + 1, 1))
        return out

    def month_labels(self) -> list[str]:
        return [f"{d:%Y-%m}" for d in self.month_starts()]

    # -- navigation ---------------------------------------------------------------------
    def shift(self, n: int) -> Period:
        """The period ``n`` steps of the same kind later (negative: earlier)."""
        idx = self.start.year * 12 + self.start.month - 1 + n * self.months
        return Period(dt.date(idx // 12, idx % 12 + 1, 1), self.months, self.kind)

    def previous(self) -> Period:
        return self.shift(-1)

    def year_ago(self) -> Period:
        return self.shift(-(12 // self.months))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def _check_fy(fy: int, fy2: str, text: str) -> None:
    second = int(fy2)
    if (len(fy2) == 4 and second != fy + 1) or (len(fy2) == 2 and (fy + 1) % 100 != second):
        raise PeriodError(f"{text!r}: a financial year runs over two consecutive years, e.g. "
                          f"'{fy}-{(fy + 1) % 100:02d}'")


def month_index(dates: pd.Series) -> pd.Series:
    """Integer month index (year*12 + month-1) of a datetime Series; NaT gives <NA>."""
    d = pd.to_datetime(dates)
    return (d.dt.year * 12 + d.dt.month - 1).astype("Int64")


def latest_complete_quarter(last_day_of_data: dt.date) -> Period:
    """The latest financial quarter that ends on or before ``last_day_of_data``.

    Examples
    --------
    >>> import datetime as dt
    >>> latest_complete_quarter(dt.date(2017, 3, 31)).label
    '2016-17 Q4'
    >>> latest_complete_quarter(dt.date(2017, 3, 30)).label
    '2016-17 Q3'
    """
    q = Period.quarter_of(last_day_of_data)
    return q if q.end <= last_day_of_data else q.previous()


def quarters_between(first: Period, last: Period) -> list[Period]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    out, p = [], Period.quarter_of(first.start)
    while p.start <= last.start:
        out.append(p)
        p = p.shift(1)
    return out
