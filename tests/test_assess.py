"""Assessment: suppression first, then statistics from published values only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ehps_lib.geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, districts_in
from ehps_lib.indicators import assess, catalogue

CODES = list(DISTRICTS)
CAN = "E07000106"


def _raw(month_values: dict[str, dict[str, tuple[int, int]]]) -> pd.DataFrame:
    """closed_positive_pct rows: {period: {district: (positive, closed)}} plus Kent and SCS sums."""
    rows = []
    for period, values in month_values.items():
        areas = {c: [c] for c in CODES} | {KENT_CODE: CODES} | {a: list(districts_in(a)) for a in SCS_AREA_CODES}
        for area, members in areas.items():
            num = sum(values[m][0] for m in members)
            den = sum(values[m][1] for m in members)
            rows.append({"indicator_id": "closed_positive_pct", "area_code": area, "area_name": area,
                         "period": period, "period_kind": "month", "period_start": pd.Timestamp(period + "-01"),
                         "age_band": "all", "numerator": float(num), "denominator": float(den),
                         "value": num / den * 100})
    return pd.DataFrame(rows)


@pytest.fixture
def published():
    may = {c: (40, 50) for c in CODES}                    # 80% everywhere
    june = {c: (30 + i, 50) for i, c in enumerate(CODES)}  # 60%, 62%, ..., 82%
    june[CAN] = (3, 50)                                    # a small count: suppressed
    pub, audit = assess.assess(_raw({"2015-05": may, "2015-06": june}), catalogue.load_catalogue())
    return pub.set_index(["area_code", "period"]), audit


class TestAssess:
    def test_suppressed_row_has_no_value_and_is_audited(self, published):
        pub, audit = published
        row = pub.loc[(CAN, "2015-06")]
        assert row["suppressed"] and np.isnan(row["value"]) and np.isnan(row["numerator"])
        assert pd.isna(row["rank"]) and row["rag"] is None
        assert "primary" in set(audit["reason"])

    def test_no_count_from_one_to_four_is_published(self, published):
        pub, _ = published
        small = pub["numerator"].between(1, 4) | pub["denominator"].between(1, 4)
        assert not small.any()

    def test_rank_among_published_districts(self, published):
        pub, _ = published
        # June: districts 30+i of 50; Canterbury (i=1) suppressed, and East Kent needs a partner, so
        # Swale (i=8, 38) is withheld too (the smallest other member of East Kent). Highest is best:
        # Tunbridge Wells (i=11, 41 of 50) ranks 1 of 10.
        june = pub.xs("2015-06", level="period")
        assert june.loc["E07000116", "rank"] == 1
        assert june.loc["E07000116", "rank_of"] == 10
        assert june.loc["E07000105", "rank"] == 10  # Ashford, 30 of 50, lowest
        assert june.loc["E07000113", "suppressed"]

    def test_direction_and_rag_from_unrounded_values(self, published):
        pub, _ = published
        ash = pub.loc[("E07000105", "2015-06")]
        assert ash["previous_value"] == pytest.approx(80.0)
        assert ash["direction_previous"] == "worse"          # 60% after 80%, higher is better
        assert ash["rag"] == "Red"                            # 60% is below the 66% floor
        tw = pub.loc[("E07000116", "2015-06")]                # 41/50 = 82%: between 66 and 83
        assert tw["rag"] == "Amber"

    def test_wilson_interval_and_comparison_with_kent(self, published):
        pub, _ = published
        ash = pub.loc[("E07000105", "2015-06")]               # 30/50
        # Wilson for 30/50: (63.8415 -/+ 1.96*sqrt(3.8415 + 48)) / 107.683 = (63.8415 -/+ 14.112) / 107.683
        lo, hi = 46.18, 72.39
        assert ash["ci_lower"] == pytest.approx(lo, abs=0.01)
        assert ash["ci_upper"] == pytest.approx(hi, abs=0.01)
        # Kent June = (sum 30..41 minus Canterbury's 31 plus 3) / 600 = (426 - 31 + 3) / 600 = 66.33%,
        # inside Ashford's interval (46.2% to 72.4%): similar
        assert pub.loc[(KENT_CODE, "2015-06"), "value"] == pytest.approx(398 / 600 * 100)
        assert ash["compared_with_kent"] == "similar"
        assert pub.loc[(KENT_CODE, "2015-06"), "compared_with_kent"] == "not compared"
