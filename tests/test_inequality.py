"""Slope and relative index of inequality (PHEindicatormethods ``phe_sii``) and Fingertips'
recent trend: against its documented example and worked example (fixture), closed-form
weighted regression and hand-worked chi-squared values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ehps_lib.indicators import deprivation, stats

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "pheindicatormethods" / "phe_sii_example.json")
                     .read_text(encoding="utf-8"))


def _weighted_fit(y, pop):
    """SII and RII by the weighted least squares of y on the relative rank, weights the population
    shares, written out as weighted means (an independent route to phe_sii's regression)."""
    a = np.asarray(pop, float) / np.sum(pop)
    cum = np.cumsum(a)
    b = cum - a / 2
    yb, bb = np.sum(a * y), np.sum(a * b)
    beta = np.sum(a * (b - bb) * (y - yb)) / np.sum(a * (b - bb) ** 2)
    alpha = yb - beta * bb
    return beta, (alpha + beta) / alpha, a, b


class TestSlopeIndex:
    def test_relative_rank_worked_example(self):
        ex = FIXTURE["relative_rank_worked_example"]
        assert stats.relative_ranks(ex["population_shares"])[:2].tolist() == pytest.approx(ex["expected"])

    @pytest.mark.parametrize("area", ["Area1", "Area2"])
    def test_sii_and_rii_match_the_weighted_regression(self, area):
        d = FIXTURE["areas"][area]
        beta, rii, _, _ = _weighted_fit(np.array(d["value"]), d["population"])
        got = stats.slope_index(d["value"], d["population"], se=d["StandardError"], repetitions=20_000)
        assert got.sii == pytest.approx(beta, rel=1e-10)
        assert got.rii == pytest.approx(rii, rel=1e-10)

    @pytest.mark.parametrize("area", ["Area1", "Area2"])
    def test_simulated_interval_matches_the_exact_one_for_normal_values(self, area):
        # for value_type 0 the SII is linear in the values: its standard error is exact,
        # sqrt(sum(c_i^2 se_i^2)) with c the weights of the fit; the simulation must agree
        d = FIXTURE["areas"][area]
        y, se = np.array(d["value"]), np.array(d["StandardError"])
        beta, _, a, b = _weighted_fit(y, d["population"])
        bb = np.sum(a * b)
        c = a * (b - bb) / np.sum(a * (b - bb) ** 2)
        half = 1.959963984540054 * np.sqrt(np.sum(c ** 2 * se ** 2))
        got = stats.slope_index(y, d["population"], se=se, repetitions=100_000, seed=3)
        assert got.sii_lower == pytest.approx(beta - half, abs=0.02 * half)
        assert got.sii_upper == pytest.approx(beta + half, abs=0.02 * half)

    def test_limits_from_the_95_interval_as_from_the_standard_error(self):
        # phe_sii's examples: "supplying the standard error instead of the 95% confidence limits gives the same result"
        d = FIXTURE["areas"]["Area1"]
        by_se = stats.slope_index(d["value"], d["population"], se=d["StandardError"], seed=1)
        by_cl = stats.slope_index(d["value"], d["population"], lower=d["lowerCL"], upper=d["upperCL"], seed=1)
        assert by_cl.sii_lower == pytest.approx(by_se.sii_lower, abs=0.3)
        assert by_cl.sii_upper == pytest.approx(by_se.sii_upper, abs=0.3)

    def test_negative_multiplier_turns_the_sii_and_inverts_the_rii(self):
        d = FIXTURE["areas"]["Area2"]
        up = stats.slope_index(d["value"], d["population"], se=d["StandardError"], seed=2)
        down = stats.slope_index(d["value"], d["population"], se=d["StandardError"], seed=2, multiplier=-1)
        assert down.sii == pytest.approx(-up.sii)
        # the limits are order statistics at rounded positions of the sorted simulations, as in phe_sii:
        # turned round, they are the neighbouring simulated values, not exactly the same ones
        assert (down.sii_lower, down.sii_upper) == pytest.approx((-up.sii_upper, -up.sii_lower), rel=1e-4)
        assert down.rii == pytest.approx(1 / up.rii)
        assert (down.rii_lower, down.rii_upper) == pytest.approx((1 / up.rii_upper, 1 / up.rii_lower), rel=1e-4)

    def test_reproducible_and_refuses_what_phe_sii_refuses(self):
        d = FIXTURE["areas"]["Area1"]
        one = stats.slope_index(d["value"], d["population"], se=d["StandardError"], seed=9)
        assert one == stats.slope_index(d["value"], d["population"], se=d["StandardError"], seed=9)
        with pytest.raises(ValueError, match="population"):
            stats.slope_index(d["value"], [0] + d["population"][1:], se=d["StandardError"])
        with pytest.raises(ValueError, match="5 and 100"):
            stats.slope_index(d["value"][:4], d["population"][:4], se=d["StandardError"][:4])
        with pytest.raises(ValueError, match="between 0 and 1"):
            stats.slope_index([0.0, 0.2, 0.3, 0.4, 0.5], [1, 1, 1, 1, 1], se=[0.1] * 5, value_type="proportion")


class TestInequalityOfTheGradient:
    def _gradient(self, suppress_group=None):
        rows = []
        for g, (num, pop) in enumerate([(600, 10000), (500, 11000), (420, 12000), (300, 10000), (260, 12000)],
                                       start=1):
            lo, hi, _ = stats.byar_ci(num, pop, per=10000)
            sup = g == suppress_group
            rows.append({"indicator_id": "ehn_rate", "area_code": "E07000106", "area_name": "Canterbury",
                         "grouping": "imd_quintile", "group": g, "lsoas": 10, "period": "2016-17 Q4",
                         "window_start": pd.Timestamp("2016-04-01"), "window_end": pd.Timestamp("2017-03-31"),
                         "numerator": np.nan if sup else num, "denominator": pop,
                         "value": np.nan if sup else num / pop * 10000, "suppressed": sup,
                         "ci_lower": np.nan if sup else float(lo), "ci_upper": np.nan if sup else float(hi),
                         "imd_vintage": "IMD 2019", "lsoa_vintage": "LSOA 2011"})
        return pd.DataFrame(rows)

    def test_most_minus_least_deprived_from_published_values(self):
        out = deprivation.inequality_indices(self._gradient(), repetitions=20_000)
        row = out.iloc[0]
        g = self._gradient()
        beta, rii, _, _ = _weighted_fit(g["value"].to_numpy(), g["denominator"].to_numpy())
        assert row["sii"] == pytest.approx(-beta) and row["sii"] > 0  # more contacts where more deprived
        assert row["rii"] == pytest.approx(1 / rii)
        assert row["sii_lower"] < row["sii"] < row["sii_upper"] and row["note"] is None

    def test_a_withheld_group_means_no_sii(self):
        out = deprivation.inequality_indices(self._gradient(suppress_group=3), repetitions=2_000)
        row = out.iloc[0]
        assert np.isnan(row["sii"]) and "withheld" in row["note"]


class TestRecentTrend:
    def test_proportions_hand_worked(self):
        # N = 5000, X = 700, sum x t = 2300, sum n t = 15000, sum n t^2 = 55000:
        # chi2 = 5000 (5000 x 2300 - 700 x 15000)^2 / (700 x 4300 x (5000 x 55000 - 15000^2)) = 5e15 / 1.505e14
        trend, chi2 = stats.recent_trend([10, 12, 14, 16, 18], numerators=[100, 120, 140, 160, 180],
                                         denominators=[1000] * 5)
        assert chi2 == pytest.approx(5e15 / 1.505e14)
        assert trend == "increasing"

    def test_weighted_regression_hand_worked(self):
        # SE 1 everywhere (interval y -/+ 1.96): b = (5 x 190 - 15 x 60) / (5 x 55 - 15^2) = 1,
        # SE(b) = sqrt(5 / 50), chi2 = 10 > 9.5495
        y = np.array([10.0, 11, 12, 13, 14])
        z = 1.959963984540054
        trend, chi2 = stats.recent_trend(y, lower=y - z, upper=y + z)
        assert chi2 == pytest.approx(10.0) and trend == "increasing"
        # a slope of 0.9 gives chi2 8.1: below the 99.8% point, no significant change
        trend, chi2 = stats.recent_trend(10 + 0.9 * np.arange(5), lower=y - z, upper=y + z)
        assert chi2 == pytest.approx(8.1) and trend == "no significant change"

    def test_robustness_drop_one_point(self):
        # a big rise carried by one point: chi2 is large, but dropping the last point reverses the slope
        trend, chi2 = stats.recent_trend([20, 19, 18, 17, 40], numerators=[200, 190, 180, 170, 400],
                                         denominators=[1000] * 5)
        assert chi2 > 9.5495 and trend == "no significant change"

    def test_cannot_calculate(self):
        assert stats.recent_trend([1.0, 2, 3, 4])[0] == "cannot be calculated"
        assert stats.recent_trend([1.0, 2, np.nan, 4, 5], numerators=[1, 2, np.nan, 4, 5],
                                  denominators=[10] * 5)[0] == "cannot be calculated"
        assert stats.trend_words("decreasing", "H") == "Decreasing and getting worse"
