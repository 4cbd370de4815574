"""The intruder audit reads the SCS dashboard's open data (``scs_counts.csv`` and
``scs_teams.csv``) and finds what its relations give back: hand-made tables where a route
recovers a withheld count, and the same tables once a second count is withheld beside it."""

from __future__ import annotations

import pandas as pd
import pytest

from ehps_lib.geography import KENT_CODE
from ehps_lib.publish.audit import audit_site

T = 5
TEAMS = pd.DataFrame({"team_id": ["CSWT-A", "CSWT-B", "CSWT-C"], "team_name": ["Team A", "Team B", "Team C"],
                      "team_type": "CSWT", "area": "NORTH", "service": pd.NA, "listed": True,
                      "sort_order": [1, 2, 3]})


def _row(ind: str, area: str, period: str, num, den=None, window: str = "main", suppressed: bool = False) -> dict:
    names = dict(zip(TEAMS["team_id"], TEAMS["team_name"], strict=True)) | {"KENT-NORTH": "North", KENT_CODE: "Kent"}
    return {"indicator_id": ind, "area_code": area, "area_name": names[area], "period": period, "window": window,
            "numerator": None if suppressed else num, "denominator": den, "value": None, "suppressed": suppressed}


def _site(tmp_path, rows: list[dict], month: str = "2016-08"):
    folder = tmp_path / "site" / month / "data"
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "scs_counts.csv", index=False)
    TEAMS.to_csv(folder / "scs_teams.csv", index=False)
    return tmp_path / "site"


def _referrals(withheld: dict[str, int]) -> list[dict]:
    """Referrals this month (the activity table): the area, Kent, and the three teams."""
    values = {"CSWT-A": 40, "CSWT-B": 3, "CSWT-C": 25, "KENT-NORTH": 68}
    rows = [_row("scs_act_referrals", KENT_CODE, "2016-08", 300)]
    for unit, v in values.items():
        rows.append(_row("scs_act_referrals", unit, "2016-08", v, suppressed=unit in withheld))
    return rows


def test_a_team_withheld_alone_is_given_back_by_its_area_total(tmp_path):
    report = audit_site(_site(tmp_path, _referrals({"CSWT-B": 3})), T)
    assert not report.ok
    failure = report.failures[0]
    assert (failure.lo, failure.hi) == (3, 3)
    assert "Team B" in failure.cell
    assert any("North" in r and "its teams" in r for r in failure.relations), failure.relations


def test_a_team_withheld_with_a_partner_is_protected(tmp_path):
    report = audit_site(_site(tmp_path / "ok", _referrals({"CSWT-B": 3, "CSWT-C": 25})), T)
    assert report.ok, report.format()
    assert report.withheld == 2


def _rolling(withheld_months: set[str], rolling_withheld: set[str] = frozenset()) -> list[dict]:
    """An area's re-referrals: 13 monthly figures (the SPC chart's) and the rolling 12 months of
    the last two months."""
    months = [str(p) for p in pd.period_range("2015-08", "2016-08", freq="M")]
    nums = dict(zip(months, [9, 12, 8, 2, 11, 10, 14, 9, 13, 7, 12, 10, 11], strict=True))
    dens = dict(zip(months, [40 + i for i in range(13)], strict=True))
    rows = [_row("scs_rereferrals_month", "KENT-NORTH", m, nums[m], dens[m], suppressed=m in withheld_months)
            for m in months]
    for end in months[-2:]:
        window = months[months.index(end) - 11: months.index(end) + 1]
        rows.append(_row("scs_rereferrals", "KENT-NORTH", end, sum(nums[m] for m in window),
                         sum(dens[m] for m in window), suppressed=end in rolling_withheld))
    return rows


def test_a_withheld_month_is_given_back_by_the_rolling_12_months(tmp_path):
    report = audit_site(_site(tmp_path, _rolling({"2015-11"})), T)
    assert not report.ok
    got = {f.cell: (f.lo, f.hi) for f in report.failures}
    assert any("November 2015" in c and v == (2, 2) for c, v in got.items()), report.format()
    assert any("12 months" in r or "its 12 months" in r for f in report.failures for r in f.relations)


def test_a_withheld_month_with_a_partner_month_is_protected(tmp_path):
    # November (2) and March (9) withheld: the rolling 12 months give only their sum, 11
    report = audit_site(_site(tmp_path, _rolling({"2015-11", "2016-03"})), T)
    assert report.ok, report.format()
    assert report.withheld == 2


def test_the_rolling_12_months_withheld_too_still_leaves_the_later_window(tmp_path):
    # withholding July's rolling 12 months does not help: August's window still pins November
    report = audit_site(_site(tmp_path, _rolling({"2015-11"}, rolling_withheld={"2016-07"})), T)
    assert any("November 2015" in f.cell and (f.lo, f.hi) == (2, 2) for f in report.failures), report.format()


@pytest.mark.parametrize("bad", ["conflict"])
def test_the_same_count_published_twice_with_different_values_is_a_conflict(tmp_path, bad):
    rows = _referrals({})
    rows.append(_row("scs_act_referrals", "CSWT-A", "2016-08", 41))
    report = audit_site(_site(tmp_path, rows), T)
    assert report.conflicts and not report.ok
