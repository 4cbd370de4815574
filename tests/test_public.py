"""CYPF indicators from public data, checked against the published figures."""

from __future__ import annotations

import pytest

from ehps_lib.geography import KENT_CODE
from ehps_lib.indicators import public


@pytest.fixture(scope="module")
def results():
    return public.public_results()


def _row(results, ind, area, period):
    row = results[(results.indicator_id == ind) & (results.area_code == area) & (results.period == period)]
    assert len(row) == 1
    return row.iloc[0]


def test_teenage_conceptions_thanet_2017(results):
    # SOURCES.md check: "Thanet 2017: 65 conceptions, 29.1 per 1,000"; the highest of the 12 districts
    row = _row(results, "cypf_teenage_conceptions", "E07000114", "2017")
    assert row["numerator"] == 65 and row["value"] == pytest.approx(29.1)
    assert row["rank"] == 12  # lower is better: highest rate ranks last
    assert row["compared_with_kent"] == "worse"  # Kent 16.1 lies below Thanet's interval


def test_children_looked_after_kent_2025(results):
    # DfE: 1,896 children looked after at 31 March 2025, population 355,390, published rate 53
    row = _row(results, "cypf_cla_rate", KENT_CODE, "2025")
    assert row["value"] == pytest.approx(1896 / 355390 * 10000)
    assert round(row["value"]) == 53


def test_child_protection_rate_uses_previous_years_population(results):
    # 1,150 plans at 31 March 2025 over the mid-2024 population of 355,390
    row = _row(results, "cypf_cp_rate", KENT_CODE, "2025")
    assert row["value"] == pytest.approx(1150 / 355390 * 10000)
    assert row["direction_previous"] == "lower"  # no judgement (N): 34.6 in 2024 -> 32.4


def test_neet_kent(results):
    # SOURCES.md: Kent NEET + not known 7.5, 5.1, 5.8, 5.3, 8.1 % (2021-2025)
    got = [_row(results, "cypf_neet_not_known", KENT_CODE, str(y))["value"] for y in range(2021, 2026)]
    assert got == [7.5, 5.1, 5.8, 5.3, 8.1]
