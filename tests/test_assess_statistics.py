"""The statistics of the published results (issue 11): SPC only on monthly flows, assurance only
against the area's own target, rolling three months for percentage flows only, comparison of
no-judgement indicators, 99.8% intervals and the recent trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ehps_lib.config import StatisticsSettings
from ehps_lib.geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, districts_in
from ehps_lib.indicators import assess, catalogue

CODES = list(DISTRICTS)
MONTHS = [f"{y}-{m:02d}" for y in (2015, 2016) for m in range(1, 13)]


def _raw() -> pd.DataFrame:
    """24 months of six indicators for every district (large counts: nothing is withheld), with
    Kent and the SCS areas as sums. The same count is the same in every indicator that shows it
    (the cases open are the denominator of the share open 20 weeks or less), and a rolling 12
    months is the sum of its months where they are all here, as in real results (the protected
    count table refuses results that disagree)."""
    rng = np.random.default_rng(5)
    rows = []
    specs = {  # indicator: (numerator mean, denominator mean or None)
        "ehn_rate": (120, 30000), "step_downs": (60, None), "step_downs_r12m": (720, None),
        "cases_open": (250, None), "closed_positive_pct": (80, 100), "cases_open_20wk_pct": (150, 250),
    }
    drawn: dict[tuple[str, str], dict[str, float]] = {}
    for ind, (num_mean, den_mean) in specs.items():
        for i, period in enumerate(MONTHS):
            nums = {c: float(rng.poisson(num_mean)) for c in CODES}
            dens = {c: float(den_mean if ind == "ehn_rate" else rng.poisson(den_mean)) for c in CODES} \
                if den_mean else {c: np.nan for c in CODES}
            if ind == "step_downs_r12m" and i >= 11:
                nums = {c: sum(drawn[("step_downs", m)][c] for m in MONTHS[i - 11:i + 1]) for c in CODES}
            if ind == "cases_open_20wk_pct":
                dens = drawn[("cases_open", period)]
            if den_mean and ind != "ehn_rate":
                nums = {c: min(nums[c], dens[c] - 10) for c in CODES}
            drawn[(ind, period)] = nums
            areas = {c: [c] for c in CODES} | {KENT_CODE: CODES} | {a: list(districts_in(a)) for a in SCS_AREA_CODES}
            for area, members in areas.items():
                num = sum(nums[m] for m in members)
                den = sum(dens[m] for m in members) if den_mean else np.nan
                value = num / den * (10000 if ind == "ehn_rate" else 100) if den_mean else num
                rows.append({"indicator_id": ind, "area_code": area, "area_name": area, "period": period,
                             "period_kind": "month", "period_start": pd.Timestamp(period + "-01"), "age_band": "all",
                             "numerator": num, "denominator": den, "value": value})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def published():
    pub, _ = assess.assess(_raw(), catalogue.load_catalogue(), settings=StatisticsSettings())
    return pub


class TestSpcOnMonthlyFlowsOnly:
    def test_no_spc_on_snapshots_or_rolling_12_months(self, published):
        overlapping = published[published["indicator_id"].isin(["cases_open", "cases_open_20wk_pct",
                                                                  "step_downs_r12m"])]
        assert overlapping["spc_mean"].isna().all() and overlapping["spc_point_type"].isna().all()
        assert overlapping["spc_note"].str.startswith("not charted:").all()
        assert overlapping.loc[overlapping["indicator_id"] == "step_downs_r12m", "spc_note"].str.contains(
            "rolling 12 months").all()
        assert overlapping.loc[overlapping["indicator_id"] == "cases_open", "spc_note"].str.contains("snapshot").all()

    def test_spc_on_every_monthly_flow_series(self, published):
        flows = published[published["indicator_id"].isin(["ehn_rate", "step_downs", "closed_positive_pct"])]
        assert flows["spc_mean"].notna().all() and flows["spc_point_type"].notna().all()
        assert (flows["spc_points"] == 24).all() and (flows["spc_baseline"] == 24).all()
        assert (flows["spc_phase_start"] == "2015-01").all() and not flows["spc_trial"].any()

    def test_assurance_only_against_the_areas_own_target(self, published):
        assured = published[published["spc_assurance"].notna()]
        assert len(assured) and assured["target"].notna().all()
        # closed_positive_pct's target (83%) is every area's: districts are assured against it
        assert set(assured["indicator_id"]) == {"closed_positive_pct"}
        assert assured["area_code"].isin(CODES).any()
        # step_downs_r12m's 1,490 is Kent's only: no district row carries it or an assurance
        r12 = published[(published["indicator_id"] == "step_downs_r12m") & (published["area_code"] != KENT_CODE)]
        assert r12["target"].isna().all() and r12["spc_assurance"].isna().all()


class TestOtherStatistics:
    def test_rolling_three_months_for_percentage_flows_only(self, published):
        snap = published[published["indicator_id"] == "cases_open_20wk_pct"]
        assert snap["rolling3_value"].isna().all() and snap["rolling3_rag"].isna().all()
        flow = published[(published["indicator_id"] == "closed_positive_pct") & (published["period"] == "2016-12")]
        assert flow["rolling3_value"].notna().all()

    def test_no_judgement_rates_are_compared_with_kent(self, published):
        rate = published[(published["indicator_id"] == "ehn_rate") & published["area_code"].isin(CODES)]
        assert set(rate["compared_with_kent"]) <= {"higher", "similar", "lower"}
        assert "similar" in set(rate["compared_with_kent"])

    def test_99_8_interval_contains_the_95_interval(self, published):
        rows = published[published["ci_lower"].notna()]
        assert (rows["ci998_lower"] <= rows["ci_lower"]).all() and (rows["ci998_upper"] >= rows["ci_upper"]).all()

    def test_99_8_intervals_can_be_left_unpublished_and_used_for_comparison(self):
        raw = _raw()
        cat = catalogue.load_catalogue()
        only95, _ = assess.assess(raw, cat, settings=StatisticsSettings(published_intervals=(95.0,)))
        assert only95["ci998_lower"].isna().all()
        both, _ = assess.assess(raw, cat, settings=StatisticsSettings(comparison_levels=(95.0, 99.8)))
        labels = set(both["compared_with_kent"])
        assert labels <= {"higher", "similar", "lower", "higher (99.8%)", "lower (99.8%)", "better", "worse",
                          "better (99.8%)", "worse (99.8%)", "not compared"}

    def test_recent_trend_on_each_series_latest_row(self, published):
        flows = published[published["indicator_id"].isin(["ehn_rate", "step_downs", "closed_positive_pct"])]
        latest = flows[flows["period"] == "2016-12"]
        assert latest["trend"].notna().all()
        assert set(latest["trend"]) <= {"increasing", "decreasing", "no significant change"}
        assert flows.loc[flows["period"] != "2016-12", "trend"].isna().all()
        assert published.loc[published["indicator_id"] == "cases_open", "trend"].isna().all()
