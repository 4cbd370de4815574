"""Statistical methods, checked against values worked out by hand (working in comments)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ehps_lib.indicators import stats

Z = stats.Z95


class TestWilsonCi:
    def test_small_count(self):
        # x=5, n=10: (2x + z^2 -/+ z*sqrt(z^2 + 4x(1-x/n))) / (2(n+z^2))
        # = (13.8415 -/+ 1.96*sqrt(13.8415)) / 27.683 = (13.8415 -/+ 7.2920) / 27.683
        lo, hi = stats.wilson_ci(5, 10)
        assert lo == pytest.approx(0.23659, abs=1e-4)
        assert hi == pytest.approx(0.76341, abs=1e-4)

    def test_zero_count(self):
        # x=0: lower 0, upper z^2/(n+z^2) = 3.8415/13.8415
        lo, hi = stats.wilson_ci(0, 10)
        assert lo == 0
        assert hi == pytest.approx(3.841459 / 13.841459, rel=1e-6)

    def test_large_count_close_to_normal_approximation(self):
        # SCS ID 1: 3543/15921 = 0.222536; normal approx half-width 1.96*sqrt(p(1-p)/n) = 0.006461.
        # Wilson's centre is (x + z^2/2)/(n + z^2) = 0.222609, pulled 0.00007 towards 1/2.
        lo, hi = stats.wilson_ci(3543, 15921)
        assert lo == pytest.approx(0.222609 - 0.006461, abs=2e-5)
        assert hi == pytest.approx(0.222609 + 0.006461, abs=2e-5)

    def test_zero_denominator_gives_nan(self):
        lo, hi = stats.wilson_ci(np.array([0]), np.array([0]))
        assert np.isnan(lo[0]) and np.isnan(hi[0])


class TestByarCi:
    def test_exact_under_ten(self):
        # x=3: chi2(0.025, 6)/2 = 1.2373/2; chi2(0.975, 8)/2 = 17.5345/2
        lo, hi, method = stats.byar_ci(3, 1, per=1)
        assert lo == pytest.approx(0.61867, abs=1e-4)
        assert hi == pytest.approx(8.76727, abs=1e-4)
        assert method == "Exact"

    def test_exact_zero(self):
        # x=0: lower 0, upper chi2(0.975, 2)/2 = 7.3778/2
        lo, hi, _ = stats.byar_ci(0, 10000, per=10000)
        assert lo == 0
        assert hi == pytest.approx(3.68888, abs=1e-4)

    def test_byar_at_ten(self):
        # x=10: 10*(1 - 1/90 - z/(3*sqrt(10)))^3 = 10*0.782292^3 = 4.78745
        #       11*(1 - 1/99 + z/(3*sqrt(11)))^3 = 11*1.186884^3 = 18.3915
        lo, hi, method = stats.byar_ci(10, 10000, per=10000)
        assert lo == pytest.approx(4.78745, abs=2e-3)
        assert hi == pytest.approx(18.3915, abs=2e-3)
        assert method == "Byars"

    def test_large_rate_per_10000(self):
        # 749 notifications over 327,800 children: rate 22.849 per 10,000; Byar's interval
        # is close to rate -/+ 1.96*sqrt(749)/327800*10000 = -/+ 1.6365
        lo, hi, _ = stats.byar_ci(749, 327800, per=10000)
        assert lo == pytest.approx(22.849 - 1.6365, abs=0.03)
        assert hi == pytest.approx(22.849 + 1.6365 + 0.03, abs=0.04)  # Byar's upper is a little further


class TestRagStatus:
    @pytest.mark.parametrize("value, expected", [
        (90.0, "Green"),    # exactly at target: green (target met)
        (95.0, "Green"),
        (89.999, "Amber"),
        (80.0, "Amber"),    # exactly at the floor: not below it, so amber
        (79.999, "Red"),
    ])
    def test_higher_is_better(self, value, expected):
        assert stats.rag_status(value, 90, 80, "H") == expected

    @pytest.mark.parametrize("value, expected", [
        (10.0, "Green"),    # exactly at target
        (9.0, "Green"),
        (10.001, "Amber"),
        (12.999, "Amber"),
        (13.0, "Red"),      # seed 004:3257 "13% and above = Red"
    ])
    def test_lower_is_better(self, value, expected):
        assert stats.rag_status(value, 10, 13, "L") == expected

    @pytest.mark.parametrize("value, expected", [
        (15.0, "Green"), (17.5, "Green"), (20.0, "Green"),   # inside target range, ends included
        (20.01, "Amber"), (25.0, "Amber"), (12.0, "Amber"),  # inside floor range, ends included
        (25.01, "Red"), (11.99, "Red"),
    ])
    def test_nearest_to_target(self, value, expected):
        assert stats.rag_status(value, [15, 20], [12, 25], "T") == expected

    def test_no_floor_means_no_amber(self):
        assert stats.rag_status(89.0, 90, None, "H") == "Red"
        assert stats.rag_status(11.0, 10, None, "L") == "Red"

    def test_not_rated(self):
        assert stats.rag_status(50.0, 90, 80, "N") is None
        assert stats.rag_status(float("nan"), 90, 80, "H") is None
        assert stats.rag_status(50.0, None, None, "H") is None

    def test_west_kent_and_kent_placement_stability_from_unrounded_values(self):
        # Seed 004:3189 and 3101: both print "13.0%", West Kent Amber, Kent Red.
        assert stats.rag_status(47 / 362 * 100, 10, 13, "L") == "Amber"   # 12.983%
        assert stats.rag_status(293 / 2246 * 100, 10, 13, "L") == "Red"   # 13.045%


class TestDirectionOfTravel:
    @pytest.mark.parametrize("cur, prev, pol, expected", [
        (22.3, 22.1, "L", "worse"), (22.3, 24.6, "L", "improved"),
        (89.9, 89.3, "H", "improved"), (89.0, 89.6, "H", "worse"),
        (98.5, 98.5, "H", "no change"),
        (5.0, 4.0, "N", "higher"), (4.0, 5.0, "N", "lower"),
        (float("nan"), 4.0, "H", "not compared"),
    ])
    def test_by_polarity(self, cur, prev, pol, expected):
        assert stats.direction_of_travel(cur, prev, pol) == expected

    def test_target_polarity_uses_distance(self):
        assert stats.direction_of_travel(21.6, 21.2, "T", target=17.5) == "worse"
        assert stats.direction_of_travel(18.0, 21.2, "T", target=17.5) == "improved"
        assert stats.direction_of_travel(17.0, 18.0, "T", target=17.5) == "no change"  # both 0.5 away


class TestCompareWithBenchmark:
    def test_similar_when_interval_contains_benchmark(self):
        assert stats.compare_with_benchmark(30, 25, 35, 35, "H") == "similar"  # on the edge counts

    def test_better_and_worse_by_polarity(self):
        assert stats.compare_with_benchmark(30, 29, 31, 28, "H") == "better"
        assert stats.compare_with_benchmark(30, 29, 31, 28, "L") == "worse"
        assert stats.compare_with_benchmark(26, 25, 27, 28, "L") == "better"

    def test_no_judgement_is_higher_or_lower(self):
        # Fingertips compares indicators with no better direction too, in blue: higher / similar / lower
        assert stats.compare_with_benchmark(30, 29, 31, 28, "N") == "higher"
        assert stats.compare_with_benchmark(26, 25, 27, 28, "N") == "lower"
        assert stats.compare_with_benchmark(30, 25, 31, 28, "N") == "similar"

    def test_not_compared(self):
        assert stats.compare_with_benchmark(30, float("nan"), 31, 28, "H") == "not compared"
        assert stats.compare_with_benchmark(30, 29, 31, float("nan"), "N") == "not compared"

    def test_two_levels(self):
        # benchmark 28: outside the 95% interval (29, 31) and the 99.8% one (28.5, 31.5) -> 99.8% level
        assert stats.compare_two_levels(30, (29, 31), (28.5, 31.5), 28, "L") == "worse (99.8%)"
        assert stats.compare_two_levels(30, (29, 31), (27.5, 32.5), 28, "L") == "worse"
        assert stats.compare_two_levels(30, (27, 31), (26.5, 32.5), 28, "L") == "similar"


class TestRankAreas:
    def test_competition_ranking_with_ties(self):
        v = pd.Series([10.0, 12.0, 12.0, 15.0])
        assert stats.rank_areas(v, "L").tolist() == [1, 2, 2, 4]
        assert stats.rank_areas(v, "H").tolist() == [4, 2, 2, 1]

    def test_missing_values_are_not_ranked(self):
        r = stats.rank_areas(pd.Series([5.0, np.nan, 7.0]), "H")
        assert r.tolist()[0] == 2 and pd.isna(r.tolist()[1]) and r.tolist()[2] == 1
        assert stats.rank_label(r.iloc[1], 2) == "n/a"
        assert stats.rank_label(r.iloc[0], 2) == "2 of 2"

    def test_target_polarity_ranks_by_distance(self):
        # target 17.5: distances 0.5, 4.5, 1.0 -> ranks 1, 3, 2
        assert stats.rank_areas(pd.Series([18.0, 13.0, 16.5]), "T", target=17.5).tolist() == [1, 3, 2]


#: The hand-worked examples below compute limits over every point, without screening.
ALL_POINTS = stats.SpcOptions(baseline_points=None, screen_outliers=False)


class TestXmr:
    def test_beyond_limit_fires_alone(self):
        # mean = 160/13 = 12.3077; moving ranges 11 x 8 and 26 -> mean MR 114/12 = 9.5
        # UPL = 12.3077 + 2.66*9.5 = 37.5777 < 40
        points, summary = stats.xmr([6, 14] * 6 + [40], options=ALL_POINTS)
        assert summary.upl == pytest.approx(160 / 13 + 2.66 * 9.5)
        assert points["rule"].tolist() == [None] * 12 + ["beyond_limit"]
        assert summary.variation == "improvement_high"

    def test_beyond_limit_is_a_concern_when_lower_is_better(self):
        _, summary = stats.xmr([6, 14] * 6 + [40], improvement="decrease", options=ALL_POINTS)
        assert summary.variation == "concern_high"

    def test_trend_fires_on_seven_rising_points(self):
        # 5, 10, 11, ..., 16 (indices 3-10) rise 8 times in a row: every point in the run is flagged
        points, _ = stats.xmr([20, 5, 20, 5, 10, 11, 12, 13, 14, 15, 16, 5, 20], options=ALL_POINTS)
        assert points["rule"].tolist() == [None] * 3 + ["trend"] * 8 + [None] * 2

    def test_trend_does_not_fire_on_six(self):
        points, _ = stats.xmr([20, 5, 20, 5, 20, 11, 12, 13, 14, 15, 16, 5, 20], options=ALL_POINTS)
        assert not points["special_cause"].any()

    def test_two_in_three_near_the_limit(self):
        # mean = 194.5/13 = 14.9615; mean MR = 30.5/12 = 2.5417; near UPL = mean + 1.7733*2.5417 = 19.469
        # points 10 and 12 (19.5) are between near UPL and UPL (21.72); 10-12 all above the mean
        points, _ = stats.xmr([13, 15] * 5 + [19.5, 15.5, 19.5], options=ALL_POINTS)
        assert points["near_upl"].iloc[0] == pytest.approx(194.5 / 13 + (2 / 3) * 2.66 * 30.5 / 12)
        assert points["rule"].tolist() == [None] * 10 + ["two_in_three", None, "two_in_three"]

    def test_two_in_three_not_when_apart(self):
        points, _ = stats.xmr([13, 15, 13, 15, 13, 15, 19.5, 13, 13, 19.5, 15, 13, 15], options=ALL_POINTS)
        assert not points["special_cause"].any()

    def test_shift_of_seven(self):
        # mean 14.2692: indices 3-9 (15, 14.5 ... 15.0) are seven points above it; 14.5..15.0 is only a
        # six-point rise, so no trend
        points, _ = stats.xmr([13, 15, 13, 15, 14.5, 14.6, 14.7, 14.8, 14.9, 15.0, 13, 15, 13], options=ALL_POINTS)
        assert points["rule"].tolist() == [None] * 3 + ["shift"] * 7 + [None] * 3

    def test_rule_order_trend_before_shift(self):
        # eight points above the mean (shift) of which the last seven also rise (trend)
        points, _ = stats.xmr([13, 15, 13, 15, 14.5, 14.6, 14.7, 14.8, 14.9, 15.0, 15.1, 13, 15], options=ALL_POINTS)
        assert points["rule"].tolist()[3:11] == ["shift"] + ["trend"] * 7

    def test_point_on_the_mean_breaks_a_shift(self):
        # 7 points above (3, then one exactly on the mean, then 4) and 7 below: sum 90 + 10 + 50 = 150,
        # mean exactly 10. Mean MR 32/14: near limits 10 -/+ 4.053, so no point is "near".
        base = [12, 14, 12, 10, 14, 12, 14, 12, 8, 6, 8, 6, 8, 6, 8]
        assert np.mean(base) == 10
        points, _ = stats.xmr(base, options=ALL_POINTS)
        assert points["rule"].tolist()[:8] == [None] * 8
        assert points["rule"].tolist()[8:] == ["shift"] * 7

    def test_assurance_and_trial_limits(self):
        _, s = stats.xmr([6, 14] * 6 + [40], target=50, options=ALL_POINTS)  # target above UPL, higher is better
        assert s.assurance == "consistent_fail"
        _, s = stats.xmr([6, 14] * 6 + [40], target=-20, options=ALL_POINTS)  # below LPL (-12.96)
        assert s.assurance == "consistent_pass"
        _, s = stats.xmr([6, 14] * 6 + [40], target=20, options=ALL_POINTS)
        assert s.assurance == "hit_and_miss"
        assert not s.trial_limits
        _, s = stats.xmr([1, 2, 3], target=2, options=ALL_POINTS)
        assert s.trial_limits and "3 points" in s.warning

    def test_withheld_months_stay_gaps(self):
        # a withheld month breaks the run of seven above the mean: 3 + gap + 4 is no shift
        points, s = stats.xmr([13, 15, 13, 15, 15, 15, math.nan, 15, 15, 15, 15, 13, 15, 13], options=ALL_POINTS)
        assert not points["special_cause"].any() and s.missing == 1
        assert points["point_type"].iloc[6] is None
        # no moving range spans the gap: only |12 - 10| and |102 - 100|, mean MR 2 (not (2 + 88 + 2) / 3);
        # mean 224 / 4 = 56
        _, s = stats.xmr([10, 12, math.nan, 100, 102], options=ALL_POINTS)
        assert s.upl == pytest.approx(56 + 2.66 * 2)

    def test_too_few_points_refused(self):
        with pytest.raises(ValueError, match="at least two"):
            stats.xmr([1.0, math.nan], options=ALL_POINTS)


def test_missing_target_from_a_table_is_not_rated():
    # a catalogue without a target arrives as NaN once it has been through a DataFrame
    assert stats.rag_status(30.0, float("nan"), float("nan"), "L") is None
    assert stats.rag_status(30.0, 40.0, float("nan"), "H") == "Red"  # target but no floor: no amber band
