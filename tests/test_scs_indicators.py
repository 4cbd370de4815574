"""The SCS indicator engine on small returns worked by hand, and the protection of its results.

Each test builds a few rows of the returns' tables (the contract's typed tables), computes one
method for August 2016 and checks the counts against the working shown in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ehps_lib.data.returns.contract import TABLES, empty_table
from ehps_lib.geography import KENT_CODE
from ehps_lib.indicators import scs, scs_results
from ehps_lib.indicators.catalogue import load_scs_catalogue

AUG = pd.Period("2016-08", "M")
TEAMS = pd.DataFrame({"team_id": ["T-N", "T-E", "T-C"], "team_name": ["North team", "East team", "County team"],
                      "team_type": ["CSWT", "CSWT", "SUASC"], "area": ["NORTH", "EAST", "COUNTY"],
                      "service": [None, None, None], "listed": [True, True, True], "sort_order": [1, 2, 3]})


def returns(**given: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every table of the contract, empty unless given; dates typed."""
    out = {}
    for name, spec in TABLES.items():
        if name not in given:
            out[name] = empty_table(name)
            continue
        frame = given[name].copy()
        for col in spec.columns:
            if col.name not in frame:
                frame[col.name] = None
            if col.kind == "date":
                frame[col.name] = pd.to_datetime(frame[col.name])
        out[name] = frame
    out["teams"] = given.get("teams", TEAMS)
    return out


def alloc(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["child_id", "team_id", "worker_id", "start_date", "end_date"]).assign(
        start_date=lambda f: pd.to_datetime(f["start_date"]), end_date=lambda f: pd.to_datetime(f["end_date"]))


def run(method: str, tables: dict, params: dict | None = None, first: pd.Period = AUG) -> pd.DataFrame:
    ctx = scs.ScsContext(tables, first, AUG, pd.Timestamp("2016-08-31"))
    out = scs.METHODS[method](ctx, params or {})
    return out[out["month"] == AUG].set_index("team_id")


def test_assessments_in_time_count_working_days_from_the_start():
    a = pd.DataFrame({
        "LAchildID": ["A", "B", "C"], "CINdetailsID": [1, 1, 1], "AssessmentID": [1, 1, 1],
        # A: 1 July to 31 August 2016 = 20 working days in July, 22 in August (29 August a holiday): 42, in time
        # B: 1 June to 10 August = 21 + 21 + 8 = 50, late; C: not authorised yet, not counted
        "AssessmentActualStartDate": ["2016-07-01", "2016-06-01", "2016-08-01"],
        "AssessmentAuthorisationDate": ["2016-08-31", "2016-08-10", None]})
    t = returns(cin_assessment=a, allocations=alloc(("A", "T-N", "W1", "2016-06-01", None),
                                                   ("B", "T-N", "W1", "2016-05-01", None),
                                                   ("C", "T-E", "W2", "2016-08-01", None)))
    out = run("assessment_timely_share", t)
    assert (out.loc["T-N", "numerator"], out.loc["T-N", "denominator"]) == (1.0, 2.0)
    assert "T-E" not in out.index


def test_icpc_within_15_working_days_of_the_enquiry():
    s = pd.DataFrame({"LAchildID": ["A", "B"], "CINdetailsID": [1, 1],
                      # from Monday 1 August: 2-5, 8-12, 15-19 and 22 August are 15 working days; the 23rd is 16
                      "S47ActualStartDate": ["2016-08-01", "2016-08-01"],
                      "DateOfInitialCPC": ["2016-08-22", "2016-08-23"], "ICPCnotRequired": [False, False]})
    t = returns(cin_s47=s, allocations=alloc(("A", "T-N", "W1", "2016-07-01", None),
                                             ("B", "T-E", "W2", "2016-07-01", None)))
    out = run("icpc_timely_share", t)
    assert out.loc["T-N", ["numerator", "denominator"]].tolist() == [1.0, 1.0]
    assert out.loc["T-E", ["numerator", "denominator"]].tolist() == [0.0, 1.0]


def episodes(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC"])


def test_three_or_more_placements_in_the_last_12_months():
    e = episodes(
        # A: in a placement since 2015 (1), moved in January and May 2016 (2 more): 3 placements in the year
        ("A", "2015-01-01", "S", "C2", "N1", "U4", "PR1", "2016-01-10", "X1"),
        ("A", "2016-01-10", "P", "C2", "N1", "U4", "PR4", "2016-05-05", "X1"),
        ("A", "2016-05-05", "P", "C2", "N1", "U1", "PR1", None, None),
        # B: started in February 2016, a legal-status change (L) in June is not a new placement: 1
        ("B", "2016-02-01", "S", "V2", "N1", "U4", "PR1", "2016-06-01", "X1"),
        ("B", "2016-06-01", "L", "C2", "N1", "U4", "PR1", None, None),
        # C: left care in July: not counted
        ("C", "2016-03-01", "S", "V2", "N1", "U4", "PR1", "2016-07-01", "E4A"))
    t = returns(ssda903_episodes=e, allocations=alloc(("A", "T-N", "W1", "2015-01-01", None),
                                                      ("B", "T-N", "W2", "2016-02-01", None),
                                                      ("C", "T-N", "W2", "2016-03-01", "2016-07-01")))
    out = run("cla_placements_3plus_share", t)
    assert out.loc["T-N", ["numerator", "denominator"]].tolist() == [1.0, 2.0]


def test_staffing_shares_add_up_full_time_equivalents():
    st = pd.DataFrame({"month": pd.PeriodIndex(["2016-08", "2016-08"], freq="M").to_timestamp(),
                       "team_id": ["T-N", "T-E"], "posts_fte": [10.0, 5.0], "permanent_qsw_fte": [8.0, 3.5],
                       "agency_fte": [1.5, 0.5], "social_worker_fte": [9.0, 4.0], "fostering_households": [None, None]})
    t = returns(staffing=st)
    ctx = scs.ScsContext(t, AUG, AUG, pd.Timestamp("2016-08-31"))
    ind = load_scs_catalogue()["scs_posts_agency"]
    raw = scs.compute_indicator(ind, ctx, scs.units(TEAMS))
    kent = raw[(raw["area_code"] == KENT_CODE) & (raw["window"] == "main")].iloc[0]
    # (1.5 + 0.5) / (10 + 5) = 13.3%
    assert (kent["numerator"], kent["denominator"]) == (2.0, 15.0)
    assert kent["value"] == pytest.approx(100 * 2 / 15)
    north = raw[(raw["area_code"] == scs.AREA_CODES["NORTH"]) & (raw["window"] == "main")].iloc[0]
    assert north["value"] == pytest.approx(15.0)


def test_a_rolling_12_months_adds_up_its_months_and_the_areas_add_up_to_kent():
    cat = load_scs_catalogue()
    ind = cat["scs_rereferrals"]
    months = pd.period_range("2015-07", "2016-08", freq="M")
    monthly = pd.DataFrame({"team_id": np.tile(["T-N", "T-E", "T-C"], len(months)),
                            "month": np.repeat(months, 3), "numerator": 1.0, "denominator": 4.0})
    ctx = scs.ScsContext(returns(), months[0], AUG, pd.Timestamp("2016-08-31"))
    out = scs._windows(monthly, ind, ctx, scs.units(TEAMS))
    aug = out[out["period"] == "2016-08"].set_index(["area_code", "window"])
    assert aug.loc[(KENT_CODE, "main"), "denominator"] == 3 * 12 * 4.0
    assert aug.loc[(KENT_CODE, "R3M"), "denominator"] == 3 * 3 * 4.0
    assert aug.loc[(scs.AREA_CODES["NORTH"], "main"), "denominator"] == 12 * 4.0
    assert aug.loc[(KENT_CODE, "main"), "value"] == pytest.approx(25.0)
    # months whose 12 months are not all in the data are not computed
    assert out[out["window"] == "main"]["period"].min() == "2016-06"


def test_team_at_uses_the_allocation_of_the_day_then_the_next_within_90_days():
    t = returns(allocations=alloc(("A", "T-N", "W1", "2016-01-01", "2016-03-31"),
                                  ("A", "T-E", "W2", "2016-04-01", None),
                                  ("B", "T-C", "W3", "2016-06-01", None)))
    ctx = scs.ScsContext(t, AUG, AUG, pd.Timestamp("2016-08-31"))
    kids = pd.Series(["A", "A", "B", "B", "Z"])
    days = pd.Series(pd.to_datetime(["2016-02-01", "2016-05-01", "2016-04-01", "2016-01-01", "2016-05-01"]))
    assert scs.team_at(ctx, kids, days).tolist() == ["T-N", "T-E", "T-C", scs.UNKNOWN, scs.UNKNOWN]


def test_the_latest_month_is_the_extract_dates_if_it_ends_there():
    assert scs_results.latest_month(pd.Timestamp("2016-08-31").date()).label == "2016-08"
    assert scs_results.latest_month(pd.Timestamp("2016-09-14").date()).label == "2016-08"
    with pytest.raises(ValueError, match="ends after the returns' extract date"):
        scs_results.resolve_month("2016-09", pd.Timestamp("2016-09-14").date())


# -- protection ------------------------------------------------------------------------------------------------
def raw_rows(ind: str, values: dict[str, tuple[float, float]], window: str = "main") -> pd.DataFrame:
    rows = [{"indicator_id": ind, "area_code": code, "area_name": code, "period": "2016-08", "period_kind": "month",
             "period_start": pd.Timestamp("2016-08-01"), "age_band": "all", "window": window,
             "numerator": n, "denominator": d, "value": (100 * n / d) if d else np.nan}
            for code, (n, d) in values.items()]
    return pd.DataFrame(rows)


def test_protection_withholds_small_counts_and_what_would_reveal_them():
    cat = load_scs_catalogue()
    north, east, south, west = (scs.AREA_CODES[a] for a in ("NORTH", "EAST", "SOUTH", "WEST"))
    # Kent 100 of 200; North 3 of 40 (a small numerator); the rest of Kent is what the areas leave
    raw = raw_rows("scs_cin_plan", {KENT_CODE: (100, 200), north: (3, 40), east: (30, 60), south: (40, 60),
                                    west: (27, 40)})
    rows, audit = scs_results.protect(raw, cat, TEAMS)
    by = rows.set_index("area_code")
    assert by.loc[north, "suppressed"] and pd.isna(by.loc[north, "numerator"])
    # North's 3 could be worked out from Kent and the other areas: at least one of them is withheld too
    assert by.loc[[east, south, west, KENT_CODE], "suppressed"].any()
    assert set(audit["reason"]) >= {"primary", "secondary"}


def test_two_small_counts_do_not_protect_each_other():
    """Relation by relation, two small counts in one relation look protected (two unknowns), but
    their sum is known: North 3 + East 1 = Kent 100 - South 40 - West 56 = 4, so an intruder
    knows North is at most 4 (and East at most 4). The proof sees it and withholds a third."""
    cat = load_scs_catalogue()
    north, east, south, west = (scs.AREA_CODES[a] for a in ("NORTH", "EAST", "SOUTH", "WEST"))
    raw = raw_rows("scs_cin_plan", {KENT_CODE: (100, 220), north: (3, 40), east: (1, 40), south: (40, 60),
                                    west: (56, 80)})
    # relation by relation (the old rule): North and East are both withheld, nothing else is
    values = np.array([100, 3, 1, 40, 56], dtype=float)
    suppressed = (values >= 1) & (values <= 4)
    assert scs_results.secondary(values, suppressed, [[0, 1, 2, 3, 4]]) == []
    rows, audit = scs_results.protect(raw, cat, TEAMS)
    by = rows.set_index("area_code")
    assert by.loc[[north, east], "suppressed"].all()
    shown = by[~by["suppressed"]]
    # the most North can be, given what is published (the rest of Kent, 0 here, is never published)
    if KENT_CODE in shown.index:
        most = shown.loc[KENT_CODE, "numerator"] - shown.drop(index=KENT_CODE)["numerator"].sum()
        assert most >= 5, f"North is at most {most}"
    partners = audit[(audit["reason"] == "secondary") & (audit["count"] == "numerator")]
    assert set(partners["area_code"]) & {south, west, KENT_CODE}
    assert audit.attrs["proof"]["rounds"] >= 2


def test_excluding_uasc_cannot_be_subtracted_to_reveal_the_uasc_children():
    cat = load_scs_catalogue()
    # Kent including UASC 50 of 100, excluding 48 of 97: the UASC children alone, 2 of 3, are small
    raw = pd.concat([raw_rows("scs_cla_3plus", {KENT_CODE: (50, 100)}),
                     raw_rows("scs_cla_3plus_exc_uasc", {KENT_CODE: (48, 97)})], ignore_index=True)
    rows, _audit = scs_results.protect(raw, cat, TEAMS)
    shown = rows[~rows["suppressed"]]
    both = set(shown["indicator_id"]) >= {"scs_cla_3plus", "scs_cla_3plus_exc_uasc"}
    assert not both, "both cohorts published: 50 - 48 = 2 UASC children could be worked out"


def test_a_partner_withheld_for_one_month_stays_withheld_in_the_next_months_results():
    """Each month's results hold every month of the returns: deciding the older months afresh
    publishes counts an earlier dashboard withheld as partners, so that two dashboards together
    hold less protection than either (the ledger stops it). Here the rest of Kent outside the
    four areas (0, never published) is an unknown too, so August withholds North's 3 with two
    partners; decided afresh after a revision, September publishes one of them."""
    cat = load_scs_catalogue()
    north, east, south, west = (scs.AREA_CODES[a] for a in ("NORTH", "EAST", "SOUTH", "WEST"))
    august = raw_rows("scs_cin_plan", {KENT_CODE: (100, 200), north: (3, 40), east: (30, 60), south: (40, 60),
                                       west: (27, 40)})
    first, _audit, ledger = scs_results.protect_with_ledger(august, cat, TEAMS, month="2016-08")
    first = first.set_index("area_code")
    withheld = set(first.index[first["suppressed"]])
    assert north in withheld and len(withheld) >= 2 and KENT_CODE not in withheld
    assert set(ledger["status"]) == {"published", "withheld"} and set(ledger["decided_for"]) == {"2016-08"}
    # September's run: South's August return revised to 20 of 60 (Kent 80)
    revised = raw_rows("scs_cin_plan", {KENT_CODE: (80, 200), north: (3, 40), east: (30, 60), south: (20, 60),
                                        west: (27, 40)})
    afresh, _ = scs_results.protect(revised, cat, TEAMS)
    afresh = afresh.set_index("area_code")
    released = {a for a in withheld - {south} if not afresh.loc[a, "suppressed"]}
    assert released, "decided afresh, a partner withheld in August is published in September"
    kept, audit, after = scs_results.protect_with_ledger(revised, cat, TEAMS, ledger=ledger, month="2016-09")
    kept = kept.set_index("area_code")
    assert kept.loc[sorted(withheld), "suppressed"].all() and kept.loc[sorted(released), "numerator"].isna().all()
    assert "withheld when first published (results for 2016-08)" in set(audit["detail"])
    assert audit.attrs["revised_cells"] == 2  # Kent's and South's numerators
    assert len(after) == len(ledger)  # the same cells; the revised ones now recorded with their new values
    assert after.set_index(["area_code", "count"]).loc[(south, "numerator"), "value"] == 20


def test_a_count_published_before_that_a_revision_makes_small_is_withheld():
    cat = load_scs_catalogue()
    north, east, south, west = (scs.AREA_CODES[a] for a in ("NORTH", "EAST", "SOUTH", "WEST"))
    august = raw_rows("scs_cin_plan", {KENT_CODE: (100, 200), north: (10, 40), east: (30, 60), south: (40, 60),
                                       west: (20, 40)})
    first, _audit, ledger = scs_results.protect_with_ledger(august, cat, TEAMS, month="2016-08")
    assert not first["suppressed"].any()
    revised = raw_rows("scs_cin_plan", {KENT_CODE: (92, 200), north: (2, 40), east: (30, 60), south: (40, 60),
                                        west: (20, 40)})
    kept, _audit, after = scs_results.protect_with_ledger(revised, cat, TEAMS, ledger=ledger, month="2016-09")
    kept = kept.set_index("area_code")
    assert kept.loc[north, "suppressed"]
    # ... and a partner beside it: Kent, revised too (92, never published), as the areas' counts are known
    assert kept.loc[KENT_CODE, "suppressed"] and not kept.loc[[east, south, west], "suppressed"].any()
    # October: both stay withheld, although their values no longer differ from the ledger's
    again, _audit, _ = scs_results.protect_with_ledger(revised, cat, TEAMS, ledger=after, month="2016-10")
    assert again.set_index("area_code").loc[[north, KENT_CODE], "suppressed"].all()
