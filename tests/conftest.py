"""Shared fixtures: a tiny hand-made results table for the display and render tests.

The synthetic-extract fixture used by the build test and by nbval lives in the root
``conftest.py``, because ``pytest --nbval-lax notebooks/`` does not load this file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ehps_lib.indicators.catalogue import RESULT_COLUMNS

KENT, CAN = "E10000016", "E07000106"
NAMES = {KENT: "Kent", CAN: "Canterbury"}

#: Monthly notifications per 10,000 children, October 2015 to September 2016.
CAN_MONTHLY_RATE = [21.3, 22.0, 20.5, 23.1, 24.0, 25.2, 24.8, 26.0, 25.5, 27.0, 26.4, 27.9]
KENT_MONTHLY_RATE = [20.1, 20.4, 19.8, 21.0, 21.9, 22.5, 22.4, 23.3, 23.9, 24.2, 24.6, 25.0]

QUARTER_STARTS = {"2016-17 Q2": "2016-07-01", "2016-17 Q1": "2016-04-01", "2015-16 Q2": "2015-07-01",
                  "2015-16 Q3": "2015-10-01", "2015-16 Q4": "2016-01-01"}


def _row(ind, area, period, num, den=None, value=None, band="all", kind="quarter", start=None):
    start = start or QUARTER_STARTS[period]
    return {"indicator_id": ind, "area_code": area, "area_name": NAMES[area], "period": period,
            "period_kind": kind, "period_start": pd.Timestamp(start), "age_band": band,
            "numerator": float(num), "denominator": float("nan") if den is None else float(den),
            "value": float(num if value is None else value)}


def tiny_results_rows() -> list[dict]:
    """Results for Canterbury and Kent, worked by hand (see test_report.py for the sums)."""
    rows = [
        # notifications received: Canterbury 1,234 this quarter, 1,100 last, 980 a year ago
        _row("ehn_received", CAN, "2016-17 Q2", 1234),
        _row("ehn_received", CAN, "2016-17 Q1", 1100),
        _row("ehn_received", CAN, "2015-16 Q2", 980),
        _row("ehn_received", KENT, "2016-17 Q2", 14567),
        _row("ehn_received", KENT, "2016-17 Q1", 13990),
        _row("ehn_received", KENT, "2015-16 Q2", 12001),
        # by age: 300 + 400 + 350 + 150 = 1,200 of 1,234; 34 with no band
        _row("ehn_received", CAN, "2016-17 Q2", 300, band="0-4"),
        _row("ehn_received", CAN, "2016-17 Q2", 400, band="5-10"),
        _row("ehn_received", CAN, "2016-17 Q2", 350, band="11-15"),
        _row("ehn_received", CAN, "2016-17 Q2", 150, band="16+"),
        _row("ehn_received", CAN, "2016-17 Q2", 34, band="unknown"),  # the engine's band for no age
        # rates per 10,000: 1234/30000, 300/7000, 400/9000, 350/8000, 150/3500
        _row("ehn_rate", CAN, "2016-17 Q2", 1234, 30000, 1234 / 30000 * 1e4),
        _row("ehn_rate", CAN, "2016-17 Q2", 300, 7000, 300 / 7000 * 1e4, band="0-4"),
        _row("ehn_rate", CAN, "2016-17 Q2", 400, 9000, 400 / 9000 * 1e4, band="5-10"),
        _row("ehn_rate", CAN, "2016-17 Q2", 350, 8000, 350 / 8000 * 1e4, band="11-15"),
        _row("ehn_rate", CAN, "2016-17 Q2", 150, 3500, 150 / 3500 * 1e4, band="16+"),
        _row("ehn_rate", CAN, "2016-17 Q1", 1100, 30000, 1100 / 30000 * 1e4),
        _row("ehn_rate", KENT, "2016-17 Q2", 14567, 330000, 14567 / 330000 * 1e4),
        # closed with a positive outcome: 45 of 60 this quarter; none closed last quarter;
        # no row a year ago (before the extract)
        _row("closed_positive_pct", CAN, "2016-17 Q2", 45, 60, 75.0),
        _row("closed_positive_pct", CAN, "2016-17 Q1", 0, 0, float("nan")),
        _row("closed_positive_pct", KENT, "2016-17 Q2", 600, 900, 600 / 900 * 100),
    ]
    months = pd.date_range("2015-10-01", "2016-09-01", freq="MS")
    for area, values in ((CAN, CAN_MONTHLY_RATE), (KENT, KENT_MONTHLY_RATE)):
        for month, value in zip(months, values, strict=True):
            rows.append(_row("ehn_rate", area, f"{month:%Y-%m}", value, 10000, value, kind="month",
                             start=month))
    return rows


@pytest.fixture
def tiny_results() -> pd.DataFrame:
    return pd.DataFrame(tiny_results_rows())[RESULT_COLUMNS]


@pytest.fixture
def tiny_meta() -> dict:
    return {"period": "2016-17 Q2", "synthetic": True, "extract_date": "2016-10-31",
            "ehps_lib_version": "0.1.0", "sources": []}
