"""The validation rules applied to the returns: the DfE's rules that the SCS indicators depend
on, and the supplement's own.

Each rule is a pure function of the valid typed tables (their index is each row's position in
the stacked table, so problems can name its file and row or element) and returns a problems
frame: ``table, pos, column, rule, severity, message``. Rule names are the DfE's numbers where
the DfE has one (the CIN census's ``8630``, the SSDA903's ``148`` ...; "Q" rules are the DfE's
queries and are warnings), else a short name. :data:`RULES` lists every rule with the
published wording it checks; ``ehps ingest-returns`` reports the ones it applied.

Dates are compared as dates; a blank date never fails a rule that compares it (the contract's
"a value is required" catches a missing one where it is required).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

ERROR, WARNING = "error", "warning"
PROBLEM_FIELDS = ["table", "pos", "column", "rule", "severity", "message"]


@dataclass(frozen=True)
class Context:
    """What rules need besides the tables: the extract date (the CIN ``ReferenceDate``)."""

    extract_date: pd.Timestamp


def problems(table: str, pos, column: str | None, rule: str, message, severity: str = ERROR) -> pd.DataFrame:
    """A problems frame for rows at positions ``pos`` of ``table`` (``message``: text or a Series)."""
    pos = pd.Index(pos)
    if isinstance(message, pd.Series | pd.Index):
        message = np.asarray(message, dtype=object)
    return pd.DataFrame({"table": table, "pos": pd.array(np.asarray(pos, dtype="int64"), dtype="Int64"),
                         "column": column, "rule": rule, "severity": severity, "message": message},
                        index=pd.RangeIndex(len(pos)))


def empty_problems() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in PROBLEM_FIELDS})


def _fmt(d: pd.Series) -> pd.Series:
    return d.dt.strftime("%Y-%m-%d").fillna("blank")


def _bad(table: str, frame: pd.DataFrame, mask, column: str, rule: str, text: str, quote: tuple[str, ...] = (),
         severity: str = ERROR) -> pd.DataFrame:
    """Problems for the rows of ``frame`` where ``mask`` holds, quoting ``quote`` columns."""
    mask = pd.array(np.asarray(mask, dtype=object), dtype="boolean").fillna(False).to_numpy(dtype=bool)
    rows = frame[mask]
    message = pd.Series(text, index=rows.index, dtype=object)
    for q in quote:
        is_date = pd.api.types.is_datetime64_any_dtype(rows[q])
        value = _fmt(rows[q]) if is_date else rows[q].astype("string").fillna("blank")
        message = message + f"; {q} " + value.astype(str)
    return problems(table, rows.index, column, rule, message, severity)


# -- CIN census -----------------------------------------------------------------------------------------
def rule_8525(t, ctx):
    c = t["cin_child"]
    return _bad("cin_child", c, c["PersonBirthDate"].isna() & c["ExpectedPersonBirthDate"].isna(), "PersonBirthDate",
                "8525", "Either Date of Birth or Expected Date of Birth must be provided")


def rule_8535q(t, ctx):
    c = t["cin_child"]
    return _bad("cin_child", c, c["PersonDeathDate"] < c["PersonBirthDate"], "PersonDeathDate", "8535Q",
                "Please check: child's date of death should not be before the date of birth",
                ("PersonBirthDate",), WARNING)


def rule_8630(t, ctx):
    d = t["cin_details"]
    return _bad("cin_details", d, d["CINclosureDate"] < d["CINreferralDate"], "CINclosureDate", "8630",
                "CIN Closure Date is before CIN Referral Date for the same CIN episode", ("CINreferralDate",))


def rule_8810(t, ctx):
    d = t["cin_details"]
    return _bad("cin_details", d, d["ReasonForClosure"].notna() & d["CINclosureDate"].isna(), "ReasonForClosure",
                "8810", "A CIN case cannot have a Reason for Closure without a CIN Closure Date")


def rule_8610(t, ctx):
    d = t["cin_details"]
    further = d["ReferralNFA"].fillna(False).astype(bool) == False  # noqa: E712 - nullable boolean
    return _bad("cin_details", d, further & d["PrimaryNeedCode"].isna(), "PrimaryNeedCode", "8610",
                "Primary Need code is missing for a referral which led to further action")


def rule_8606(t, ctx):
    d, c = t["cin_details"], t["cin_child"]
    born = c.set_index("LAchildID")
    dob = d["LAchildID"].map(born["PersonBirthDate"]).fillna(d["LAchildID"].map(born["ExpectedPersonBirthDate"]))
    dob = pd.to_datetime(dob)
    return _bad("cin_details", d, (dob - d["CINreferralDate"]).dt.days > 280, "CINreferralDate", "8606",
                "Child referral date is more than 40 weeks before DOB or expected DOB")


def rule_8608(t, ctx):
    a = t["cin_assessment"]
    return _bad("cin_assessment", a, a["AssessmentActualStartDate"] > a["AssessmentAuthorisationDate"],
                "AssessmentActualStartDate", "8608", "Assessment Start Date cannot be later than its End Date",
                ("AssessmentAuthorisationDate",))


def rule_8614(t, ctx):
    f, a = t["cin_assessment_factor"], t["cin_assessment"]
    key = ["LAchildID", "CINdetailsID", "AssessmentID"]
    done = a.set_index(key)["AssessmentAuthorisationDate"]
    when = pd.Series(pd.MultiIndex.from_frame(f[key]).map(done.to_dict()), index=f.index) if len(f) else pd.Series(
        dtype="datetime64[ns]")
    return _bad("cin_assessment_factor", f, when.isna() & pd.Series(len(f) > 0, index=f.index), "AssessmentFactors",
                "8614", "Factors at assessment should only be recorded for a completed assessment", (), WARNING)


def _closure(t, frame):
    d = t["cin_details"].set_index(["LAchildID", "CINdetailsID"])["CINclosureDate"]
    if not len(frame):
        return pd.Series(dtype="datetime64[ns]")
    keys = pd.MultiIndex.from_frame(frame[["LAchildID", "CINdetailsID"]])
    return pd.Series(d.reindex(keys).to_numpy(), index=frame.index)


def rule_8565(t, ctx):
    out = []
    for table, cols in (("cin_assessment", ("AssessmentActualStartDate", "AssessmentAuthorisationDate")),
                        ("cin_plan", ("CINPlanStartDate", "CINPlanEndDate")),
                        ("cin_s47", ("S47ActualStartDate", "DateOfInitialCPC")),
                        ("cin_cpp", ("CPPstartDate", "CPPendDate"))):
        frame = t[table]
        closed = _closure(t, frame)
        for col in cols:
            out.append(_bad(table, frame.assign(CINclosureDate=closed), frame[col] > closed, col, "8565",
                            f"Activity shown after a case has been closed: {col} is after the episode's closure",
                            ("CINclosureDate",)))
    return pd.concat(out, ignore_index=True)


def rule_8615(t, ctx):
    s = t["cin_s47"]
    mask = s["S47ActualStartDate"].isna() | (s["S47ActualStartDate"] > s["DateOfInitialCPC"])
    return _bad("cin_s47", s, mask, "S47ActualStartDate", "8615", "Section 47 Enquiry Start Date must be present and "
                "cannot be later than the date of the initial Child Protection Conference", ("DateOfInitialCPC",))


def rule_2885(t, ctx):
    p, s, d = t["cin_cpp"], t["cin_s47"], t["cin_details"]
    key = ["LAchildID", "CINdetailsID"]
    icpc = pd.concat([s[key + ["DateOfInitialCPC"]], d[key + ["DateOfInitialCPC"]]]).dropna()
    ok = p[key + ["CPPstartDate"]].reset_index().merge(
        icpc.rename(columns={"DateOfInitialCPC": "CPPstartDate"}).drop_duplicates(), on=key + ["CPPstartDate"])
    in_year = p["CPPstartDate"] > ctx.extract_date - pd.DateOffset(years=1)
    mask = in_year & ~p.index.isin(ok["index"])
    return _bad("cin_cpp", p, mask, "CPPstartDate", "2885", "Child protection plan shown as starting a different day "
                "to the initial child protection conference")


def rule_cpp_dates(t, ctx):
    p = t["cin_cpp"]
    return _bad("cin_cpp", p, p["CPPendDate"] < p["CPPstartDate"], "CPPendDate", "cpp_dates",
                "Child protection plan end date is before its start date", ("CPPstartDate",))


def rule_cpp_review_dates(t, ctx):
    r, p = t["cin_cpp_review"], t["cin_cpp"]
    key = ["LAchildID", "CINdetailsID", "CPPID"]
    plans = p.set_index(key)
    if not len(r):
        return empty_problems()
    idx = pd.MultiIndex.from_frame(r[key])
    start = pd.Series(plans["CPPstartDate"].reindex(idx).to_numpy(), index=r.index)
    end = pd.Series(plans["CPPendDate"].reindex(idx).to_numpy(), index=r.index)
    mask = (r["CPPreviewDate"] < start) | (r["CPPreviewDate"] > end)
    return _bad("cin_cpp_review", r.assign(CPPstartDate=start, CPPendDate=end), mask, "CPPreviewDate",
                "cpp_review_dates", "Child protection review is not within its plan", ("CPPstartDate", "CPPendDate"))


def rule_cin_plan_dates(t, ctx):
    p = t["cin_plan"]
    return _bad("cin_plan", p, p["CINPlanEndDate"] < p["CINPlanStartDate"], "CINPlanEndDate", "cin_plan_dates",
                "CIN plan end date is before its start date", ("CINPlanStartDate",))


def rule_8863q(t, ctx):
    a = t["cin_assessment"].sort_values(["LAchildID", "AssessmentActualStartDate"])
    prev_end = a.groupby("LAchildID")["AssessmentAuthorisationDate"].shift()
    prev_start = a.groupby("LAchildID")["AssessmentActualStartDate"].shift()
    mask = prev_start.notna() & (prev_end.isna() | (a["AssessmentActualStartDate"] < prev_end))
    return _bad("cin_assessment", a, mask, "AssessmentActualStartDate", "8863Q",
                "An Assessment is shown as starting when there is another Assessment ongoing", (), WARNING)


# -- SSDA903 -----------------------------------------------------------------------------------------------
def rule_148(t, ctx):
    e = t["ssda903_episodes"]
    return _bad("ssda903_episodes", e, e["DEC"].isna() != e["REC"].isna(), "REC", "148",
                "Date episode ceased and reason episode ceased must both be coded, or both left blank", ("DEC",))


def rule_dec_after_decom(t, ctx):
    e = t["ssda903_episodes"]
    return _bad("ssda903_episodes", e, e["DEC"] < e["DECOM"], "DEC", "dec_after_decom",
                "Date episode ceased is before the date the episode began", ("DECOM",))


def _ordered_episodes(t) -> pd.DataFrame:
    e = t["ssda903_episodes"].sort_values(["CHILD", "DECOM"])
    return e.assign(_next=e.groupby("CHILD")["DECOM"].shift(-1))


def rule_142(t, ctx):
    e = _ordered_episodes(t)
    return _bad("ssda903_episodes", e, e["_next"].notna() & (e["DEC"].isna() | e["REC"].isna()), "DEC", "142",
                "A new episode has started, but the previous episode has not ended")


def rule_388(t, ctx):
    e = _ordered_episodes(t)
    x1 = e["REC"] == "X1"
    same_day = e["_next"].notna() & (e["DEC"] == e["_next"])
    mask = (x1 & ~same_day) | (~x1 & e["REC"].notna() & same_day)
    return _bad("ssda903_episodes", e, mask, "REC", "388", "Reason episode ceased is coded new episode begins, but "
                "there is no continuation episode (or a continuation episode follows another reason)", ("DEC",))


def rule_episodes_overlap(t, ctx):
    e = _ordered_episodes(t)
    return _bad("ssda903_episodes", e, e["_next"].notna() & (e["DEC"] > e["_next"]), "DEC", "episodes_overlap",
                "The episode ends after the child's next episode began", ("DEC",))


def rule_213(t, ctx):
    e = t["ssda903_episodes"]
    mask = e["PLACE"].isin(["T0", "T1", "T2", "T3", "T4", "Z1"]) & e["PLACE_PROVIDER"].notna()
    return _bad("ssda903_episodes", e, mask, "PLACE_PROVIDER", "213", "Placement provider information not required",
                ("PLACE",))


def rule_119(t, ctx):
    p = t["ssda903_placed_adoption"]
    return _bad("ssda903_placed_adoption", p, p["DATE_PLACED_CEASED"].isna() != p["REASON_PLACED_CEASED"].isna(),
                "REASON_PLACED_CEASED", "119", "If the decision is made that a child should no longer be placed for "
                "adoption, then the date of this decision and the reason why this decision was made must be "
                "completed")


def rule_571(t, ctx):
    m = t["ssda903_missing"]
    return _bad("ssda903_missing", m, m["MIS_END"] < m["MIS_START"], "MIS_END", "571", "The date that the child "
                "ceased to be missing or away from placement without authorisation is before it started",
                ("MIS_START",))


def rule_ad1_match(t, ctx):
    a = t["ssda903_ad1"]
    return _bad("ssda903_ad1", a, a["DATE_MATCH"] < a["DATE_INT"], "DATE_MATCH", "ad1_dates",
                "Date matched with adopters is before the decision that the child should be placed for adoption",
                ("DATE_INT",), WARNING)


def _in_care(e: pd.DataFrame, children: pd.Series, dates: pd.Series, ctx) -> np.ndarray:
    """For each (child, date) pair: whether the child was looked after on that date."""
    probe = pd.DataFrame({"CHILD": children.to_numpy(), "d": dates.to_numpy(), "i": np.arange(len(dates))})
    spans = e[["CHILD", "DECOM", "DEC"]].assign(DEC=e["DEC"].fillna(ctx.extract_date))
    hit = probe.merge(spans, on="CHILD")
    hit = hit[(hit["d"] >= hit["DECOM"]) & (hit["d"] <= hit["DEC"])]
    out = np.zeros(len(dates), dtype=bool)
    out[hit["i"].unique()] = True
    return out


def rule_review_in_care(t, ctx):
    r = t["ssda903_reviews"]
    ok = _in_care(t["ssda903_episodes"], r["CHILD"], r["REVIEW"], ctx)
    return _bad("ssda903_reviews", r, ~ok & r["REVIEW"].notna(), "REVIEW", "review_in_care",
                "Review held on a day the child was not looked after", (), WARNING)


# -- supplement --------------------------------------------------------------------------------------------
def rule_allocation_dates(t, ctx):
    a = t["allocations"]
    return _bad("allocations", a, a["end_date"] < a["start_date"], "end_date", "allocation_dates",
                "end_date is before start_date", ("start_date",))


def rule_allocation_overlap(t, ctx):
    a = t["allocations"].sort_values(["child_id", "start_date"])
    prev_end = a.groupby("child_id")["end_date"].shift()
    has_prev = a.groupby("child_id").cumcount() > 0
    mask = has_prev & (prev_end.isna() | (a["start_date"] <= prev_end))
    return _bad("allocations", a, mask, "start_date", "allocation_overlap",
                "the child's previous allocation had not ended", ())


def rule_team_known(t, ctx):
    teams = set(t["teams"]["team_id"])
    out = []
    for table in ("allocations", "private_fostering", "qa_audits", "staffing"):
        f = t[table]
        out.append(_bad(table, f, ~f["team_id"].isin(teams), "team_id", "foreign_key",
                        "team is not in the teams table"))
    return pd.concat(out, ignore_index=True)


RELATED = ("ASSESSMENT_SEEN", "S47_SEEN", "IHA_REFERRAL", "RETURN_INTERVIEW")


def rule_activity_dates(t, ctx):
    a = t["activities"]
    none = a["activity_date"].isna() & a["due_date"].isna()
    related = a["activity_type"].isin(RELATED) & a["related_date"].isna()
    return pd.concat([
        _bad("activities", a, none, "activity_date", "activity_dates", "an activity needs an activity_date or a "
             "due_date"),
        _bad("activities", a, related, "related_date", "activity_related", "this activity type needs the start date "
             "of the event it belongs to (related_date)", ("activity_type",))], ignore_index=True)


def rule_audit_grade(t, ctx):
    q = t["qa_audits"]
    return _bad("qa_audits", q, q["completed_date"].isna() != q["grade"].isna(), "grade", "audit_grade",
                "a grade is given if and only if the audit was completed", ("completed_date",))


def rule_staffing_posts(t, ctx):
    s = t["staffing"]
    filled = s["permanent_qsw_fte"].fillna(0) + s["agency_fte"].fillna(0)
    return _bad("staffing", s, filled > s["posts_fte"] + 0.05, "posts_fte", "staffing_posts",
                "permanent and agency staff fill more posts than there are", ("permanent_qsw_fte", "agency_fte"))


def rule_pf_dates(t, ctx):
    p = t["private_fostering"]
    return _bad("private_fostering", p, p["end_date"] < p["start_date"], "end_date", "pf_dates",
                "end_date is before start_date", ("start_date",))


def rule_child_known(t, ctx):
    known = set(t["cin_child"]["LAchildID"]) | set(t["ssda903_header"]["CHILD"])
    out = []
    for table in ("allocations", "activities", "care_leaver_contacts", "private_fostering", "placements"):
        f = t[table]
        out.append(_bad(table, f, ~f["child_id"].isin(known), "child_id", "child_not_in_returns",
                        "the child is in neither the CIN census nor the SSDA903 extract (kept: the supplement "
                        "may hold care leavers and privately fostered children the returns do not)", (), WARNING))
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class Rule:
    code: str
    tables: tuple[str, ...]
    check: Callable
    text: str


RULES: tuple[Rule, ...] = (
    Rule("8525", ("cin_child",), rule_8525, "Either Date of Birth or Expected Date of Birth must be provided"),
    Rule("8535Q", ("cin_child",), rule_8535q, "Date of death should not be before the date of birth (query)"),
    Rule("8630", ("cin_details",), rule_8630, "CIN Closure Date is before CIN Referral Date"),
    Rule("8810", ("cin_details",), rule_8810, "A Reason for Closure needs a CIN Closure Date"),
    Rule("8610", ("cin_details",), rule_8610,
         "Primary Need code is missing for a referral which led to further action"),
    Rule("8606", ("cin_details", "cin_child"), rule_8606, "Referral date more than 40 weeks before DOB"),
    Rule("8608", ("cin_assessment",), rule_8608, "Assessment Start Date cannot be later than its End Date"),
    Rule("8614", ("cin_assessment_factor", "cin_assessment"), rule_8614,
         "Factors only for a completed assessment (warning)"),
    Rule("8565", ("cin_details", "cin_assessment", "cin_plan", "cin_s47", "cin_cpp"), rule_8565,
         "Activity shown after a case has been closed"),
    Rule("8615", ("cin_s47",), rule_8615, "Section 47 start present and not after the initial conference"),
    Rule("2885", ("cin_cpp", "cin_s47", "cin_details"), rule_2885,
         "CP plan starts on the day of an initial child protection conference (plans of the last 12 months)"),
    Rule("cpp_dates", ("cin_cpp",), rule_cpp_dates, "CP plan end date not before its start"),
    Rule("cpp_review_dates", ("cin_cpp_review", "cin_cpp"), rule_cpp_review_dates, "CP review within its plan"),
    Rule("cin_plan_dates", ("cin_plan",), rule_cin_plan_dates, "CIN plan end date not before its start"),
    Rule("8863Q", ("cin_assessment",), rule_8863q, "Assessment starting while another is ongoing (query)"),
    Rule("148", ("ssda903_episodes",), rule_148, "DEC and REC both coded or both blank"),
    Rule("dec_after_decom", ("ssda903_episodes",), rule_dec_after_decom, "DEC not before DECOM"),
    Rule("142", ("ssda903_episodes",), rule_142, "A new episode has started, but the previous episode has not ended"),
    Rule("388", ("ssda903_episodes",), rule_388, "X1 is followed by a continuation episode, and only X1 is"),
    Rule("episodes_overlap", ("ssda903_episodes",), rule_episodes_overlap, "A child's episodes do not overlap"),
    Rule("213", ("ssda903_episodes",), rule_213, "Placement provider information not required"),
    Rule("119", ("ssda903_placed_adoption",), rule_119, "Reversal date and reason both or neither"),
    Rule("571", ("ssda903_missing",), rule_571, "Missing episode ends before it started"),
    Rule("ad1_dates", ("ssda903_ad1",), rule_ad1_match, "Match not before the decision to place (warning)"),
    Rule("review_in_care", ("ssda903_reviews", "ssda903_episodes"), rule_review_in_care,
         "Review held while looked after (warning)"),
    Rule("allocation_dates", ("allocations",), rule_allocation_dates, "Allocation end not before start"),
    Rule("allocation_overlap", ("allocations",), rule_allocation_overlap, "A child's allocations do not overlap"),
    Rule("foreign_key", ("teams", "allocations", "private_fostering", "qa_audits", "staffing"), rule_team_known,
         "Teams referred to are in the teams table"),
    Rule("activity_dates", ("activities",), rule_activity_dates, "Activities are dated and related where needed"),
    Rule("audit_grade", ("qa_audits",), rule_audit_grade, "Grade if and only if completed"),
    Rule("staffing_posts", ("staffing",), rule_staffing_posts, "Filled posts do not exceed posts"),
    Rule("pf_dates", ("private_fostering",), rule_pf_dates, "Arrangement end not before start"),
    Rule("child_not_in_returns", ("cin_child", "ssda903_header", "allocations", "activities", "care_leaver_contacts",
                                  "private_fostering", "placements"), rule_child_known,
         "Supplement children are in a return (warning)"),
)
