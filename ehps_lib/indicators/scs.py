"""The Specialist Children's Services engine: the 45 scorecard indicators and the activity table
from the statutory returns and the supplement, by team, SCS area and Kent, for every month.

Each indicator is defined once, in ``scs_catalogue.yml``; its ``method`` names a function
registered here with :func:`register` (the same pattern as the Early Help engine,
:mod:`ehps_lib.indicators.engine`, with its own registry, so neither engine can pick up the
other's indicators). A method turns the validated returns into **monthly numerators and
denominators by team**: one row per team and month (events dated in the month, or a snapshot
at the month's end). The engine then, the same way for every indicator:

1. sums months into the indicator's data period (SS: the month's snapshot; R12M: the 12
   months to the month's end) and, for R12M indicators, into the rolling 3 months the
   council prints beside them;
2. adds teams into their SCS area and service (teams table of the supplement), and every
   record into Kent, including records that no team holds (``UNKNOWN``);
3. computes the value (percentage, average or count).

Which team a record belongs to: the team the child's case was allocated to on the record's
date (supplement allocations); failing that, the next allocation starting within 90 days
(a referral before the case is allocated) or the last one ended within 90 days. Cohorts:
``exc_uasc`` leaves out children in the SSDA903 UASC table (ever).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.returns.calendar import add_working_days, working_days_between
from ..geography import KENT_CODE, KENT_NAME, SCS_AREA_CODES
from .catalogue import Indicator
from .engine import value_of

UNKNOWN = "UNKNOWN"
#: The window of a rolling indicator's single months, computed for the suppression only.
MONTH_PIECE = "M1"
AREA_CODES = {"NORTH": "KENT-NORTH", "EAST": "KENT-EAST", "SOUTH": "KENT-SOUTH", "WEST": "KENT-WEST"}
PLACEMENT_RNE = ("S", "P", "T", "B")
ADOPTED = ("E11", "E12")
FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")
EET = ("F1", "P1", "F2", "P2", "F3", "P3")
RAW_COLUMNS = ["indicator_id", "area_code", "area_name", "period", "period_kind", "period_start", "age_band",
               "window", "numerator", "denominator", "value"]


# -- context -------------------------------------------------------------------------------------------
@dataclass
class ScsContext:
    """The returns, the months to compute and derived tables built once and shared by the methods."""

    tables: dict[str, pd.DataFrame]
    first_month: pd.Period
    last_month: pd.Period
    extract_date: pd.Timestamp
    cache: dict = field(default_factory=dict)

    @property
    def months(self) -> pd.PeriodIndex:
        return pd.period_range(self.first_month, self.last_month, freq="M")

    @property
    def month_ends(self) -> list[pd.Timestamp]:
        return [m.end_time.normalize() for m in self.months]

    def derived(self, name: str, build: Callable[[], object]):
        if name not in self.cache:
            self.cache[name] = build()
        return self.cache[name]


Method = Callable[[ScsContext, dict], pd.DataFrame]
METHODS: dict[str, Method] = {}


def register(name: str) -> Callable[[Method], Method]:
    """Register a method: ``f(ctx, params) -> frame(team_id, month, numerator[, denominator])``."""

    def wrap(fn: Method) -> Method:
        METHODS[name] = fn
        return fn

    return wrap


# -- shared lookups ---------------------------------------------------------------------------------------
def _allocations(ctx: ScsContext) -> pd.DataFrame:
    def build():
        a = ctx.tables["allocations"].copy()
        a["child_id"] = a["child_id"].astype(str).astype(object)
        a["team_id"] = a["team_id"].astype(str).astype(object)
        a["end_date"] = a["end_date"].fillna(pd.Timestamp("2262-01-01"))
        return a.sort_values(["start_date"]).reset_index(drop=True)
    return ctx.derived("allocations", build)


def team_at(ctx: ScsContext, children: pd.Series, dates: pd.Series, window_days: int = 90) -> pd.Series:
    """The team holding each child's case on each date (see the module docstring), ``UNKNOWN``
    when none did; same index as ``children``."""
    if not len(children):
        return pd.Series(dtype="string")
    a = _allocations(ctx)
    probe = pd.DataFrame({"child_id": children.astype(str).to_numpy(dtype=object),
                          "date": pd.to_datetime(dates).to_numpy(), "_i": np.arange(len(children))})
    ok = probe["date"].notna()
    out = pd.Series(UNKNOWN, index=np.arange(len(children)), dtype="object")
    p = probe[ok].sort_values("date")
    back = pd.merge_asof(p, a[["child_id", "team_id", "start_date", "end_date"]], left_on="date",
                         right_on="start_date", by="child_id", direction="backward")
    covered = back["end_date"].notna() & (back["date"] <= back["end_date"])
    out.loc[back.loc[covered, "_i"].to_numpy()] = back.loc[covered, "team_id"].to_numpy()
    rest = back[~covered]
    if len(rest):
        fwd = pd.merge_asof(rest[["child_id", "date", "_i"]], a[["child_id", "team_id", "start_date"]],
                            left_on="date", right_on="start_date", by="child_id", direction="forward",
                            tolerance=pd.Timedelta(days=window_days))
        got = fwd["team_id"].notna()
        out.loc[fwd.loc[got, "_i"].to_numpy()] = fwd.loc[got, "team_id"].to_numpy()
        late = rest[~rest["_i"].isin(fwd.loc[got, "_i"])]
        late = late[late["end_date"].notna() & (late["date"] - late["end_date"] <= pd.Timedelta(days=window_days))]
        out.loc[late["_i"].to_numpy()] = late["team_id"].to_numpy()
    return pd.Series(out.to_numpy(), index=children.index)


def _uasc_children(ctx: ScsContext) -> set:
    return ctx.derived("uasc", lambda: set(ctx.tables["ssda903_uasc"]["CHILD"].astype(str)))


def _uasc_at(ctx: ScsContext, children: pd.Series, dates: pd.Series) -> pd.Series:
    u = ctx.tables["ssda903_uasc"].drop_duplicates("CHILD").set_index("CHILD")["DUC"]
    duc = children.map(u)
    return children.isin(u.index) & (duc.isna() | (duc > dates))


def _cohort(ctx: ScsContext, frame: pd.DataFrame, params: dict, child: str = "child_id") -> pd.DataFrame:
    cohort = params.get("cohort", "all")
    if cohort == "exc_uasc":
        return frame[~frame[child].astype(str).isin(_uasc_children(ctx))]
    return frame


def _births(ctx: ScsContext) -> pd.Series:
    def build():
        cin = ctx.tables["cin_child"].set_index("LAchildID")["PersonBirthDate"]
        s903 = ctx.tables["ssda903_header"].set_index("CHILD")["DOB"]
        out = pd.concat([s903, cin])
        return out[~out.index.duplicated()]
    return ctx.derived("births", build)


def age_on(ctx: ScsContext, children: pd.Series, dates: pd.Series) -> pd.Series:
    """Age in whole years on each date (NaN when the date of birth is unknown)."""
    dob = pd.to_datetime(children.map(_births(ctx)))
    d = pd.to_datetime(dates)
    years = d.dt.year - dob.dt.year - ((d.dt.month < dob.dt.month) | ((d.dt.month == dob.dt.month)
                                                                       & (d.dt.day < dob.dt.day))).astype(int)
    return years.astype("Float64")


def periods_of_care(ctx: ScsContext) -> pd.DataFrame:
    """Episodes with their period of care: ``period_id``, ``period_start``, ``period_end`` (NaT while
    open) and ``period_rec`` (why it ended). A period starts with the child's first episode or one
    after an episode that did not end X1, and runs through X1 continuations."""
    def build():
        e = ctx.tables["ssda903_episodes"].sort_values(["CHILD", "DECOM"]).reset_index(drop=True)
        prev_rec = e.groupby("CHILD")["REC"].shift()
        new = prev_rec.isna() | (prev_rec != "X1")
        e["period_id"] = new.cumsum()
        g = e.groupby("period_id")
        e["period_start"] = g["DECOM"].transform("min")
        last = g.tail(1).set_index("period_id")
        e["period_end"] = e["period_id"].map(last["DEC"])
        e["period_rec"] = e["period_id"].map(last["REC"])
        e["placement_start"] = e["DECOM"].where(e["RNE"].isin(PLACEMENT_RNE))
        e["placement_start"] = e.groupby("period_id")["placement_start"].ffill().fillna(e["period_start"])
        return e
    return ctx.derived("periods", build)


def cla_at(ctx: ScsContext, day: pd.Timestamp) -> pd.DataFrame:
    """The episode of each child looked after at the end of ``day`` (one row per child), with
    ``child_id`` and the period columns of :func:`periods_of_care`."""
    e = periods_of_care(ctx)
    open_ = e[(e["DECOM"] <= day) & (e["DEC"].isna() | (e["DEC"] > day))]
    open_ = open_.sort_values("DECOM").drop_duplicates("CHILD", keep="last")
    return open_.assign(child_id=open_["CHILD"].astype(str))


def _month_of(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period("M")


def _events(ctx: ScsContext, frame: pd.DataFrame, date_col: str, num: pd.Series | None = None, *,
            team: pd.Series | None = None, den: pd.Series | None = None, child: str = "child_id") -> pd.DataFrame:
    """Monthly numerators (and denominators) of dated records, by team."""
    frame = frame[frame[date_col].notna()]
    months = _month_of(frame[date_col])
    keep = (months >= ctx.first_month) & (months <= ctx.last_month)
    frame = frame[keep]
    team = team_at(ctx, frame[child].astype(str), frame[date_col]) if team is None else team.reindex(frame.index)
    out = pd.DataFrame({"team_id": team.fillna(UNKNOWN).to_numpy(), "month": months[keep].to_numpy(),
                        "numerator": (num.reindex(frame.index).fillna(False).astype(float).to_numpy()
                                      if num is not None else 1.0)})
    if den is not None:
        out["denominator"] = den.reindex(frame.index).astype(float).to_numpy()
    elif num is not None:
        out["denominator"] = 1.0
    return out.groupby(["team_id", "month"], as_index=False).sum()


def _snapshots(ctx: ScsContext, fn: Callable[[pd.Timestamp], pd.DataFrame]) -> pd.DataFrame:
    """Run ``fn(month_end)`` for every month: it returns rows with ``team_id`` and ``numerator``
    (and ``denominator``); they are summed by team for the month."""
    frames = []
    for month, day in zip(ctx.months, ctx.month_ends, strict=True):
        rows = fn(day)
        if rows is None or not len(rows):
            continue
        cols = [c for c in ("numerator", "denominator") if c in rows]
        g = rows.assign(team_id=rows["team_id"].fillna(UNKNOWN)).groupby("team_id", as_index=False)[cols].sum()
        frames.append(g.assign(month=month))
    if not frames:
        return pd.DataFrame(columns=["team_id", "month", "numerator", "denominator"])
    return pd.concat(frames, ignore_index=True)


def _share_rows(team: pd.Series, flag: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"team_id": team.to_numpy(), "numerator": flag.astype(float).to_numpy(), "denominator": 1.0})


# -- referrals and assessments ---------------------------------------------------------------------------------
def _details(ctx: ScsContext) -> pd.DataFrame:
    return ctx.tables["cin_details"].assign(child_id=lambda d: d["LAchildID"].astype(str))


@register("referral_repeat_share")
def referral_repeat_share(ctx, params):
    d = _details(ctx).sort_values(["child_id", "CINreferralDate"])
    gap = d.groupby("child_id")["CINreferralDate"].diff().dt.days
    d = _cohort(ctx, d, params)
    return _events(ctx, d, "CINreferralDate", (gap.reindex(d.index) <= 365) & (gap.reindex(d.index) >= 0))


def _assessments(ctx: ScsContext) -> pd.DataFrame:
    return ctx.tables["cin_assessment"].assign(child_id=lambda a: a["LAchildID"].astype(str))


@register("assessment_timely_share")
def assessment_timely_share(ctx, params):
    a = _cohort(ctx, _assessments(ctx), params)
    a = a[a["AssessmentAuthorisationDate"].notna()]
    days = working_days_between(a["AssessmentActualStartDate"], a["AssessmentAuthorisationDate"])
    return _events(ctx, a, "AssessmentAuthorisationDate", pd.Series((days <= 45).to_numpy(), index=a.index))


@register("assessment_overdue_count")
def assessment_overdue_count(ctx, params):
    a = _cohort(ctx, _assessments(ctx), params)

    def at(day):
        open_ = a[(a["AssessmentActualStartDate"] <= day) & (a["AssessmentAuthorisationDate"].isna()
                                                             | (a["AssessmentAuthorisationDate"] > day))]
        due = add_working_days(open_["AssessmentActualStartDate"], 45)
        late = open_[(due < day).to_numpy()]
        return pd.DataFrame({"team_id": team_at(ctx, late["child_id"], pd.Series(day, index=late.index)).to_numpy(),
                             "numerator": 1.0})
    return _snapshots(ctx, at)


def _activity(ctx: ScsContext, kind: str) -> pd.DataFrame:
    a = ctx.tables["activities"]
    return a[a["activity_type"] == kind].assign(child_id=lambda f: f["child_id"].astype(str))


def _has_related(frame: pd.DataFrame, child: str, date_col: str, acts: pd.DataFrame) -> pd.Series:
    """Whether each record has an activity (with a date) whose ``related_date`` is the record's date."""
    done = acts[acts["activity_date"].notna()]
    keys = pd.MultiIndex.from_arrays([done["child_id"], done["related_date"]])
    mine = pd.MultiIndex.from_arrays([frame[child].astype(str), frame[date_col]])
    return pd.Series(mine.isin(keys), index=frame.index)


@register("assessment_seen_share")
def assessment_seen_share(ctx, params):
    a = _cohort(ctx, _assessments(ctx), params)
    a = a[a["AssessmentAuthorisationDate"].notna()]
    born = pd.to_datetime(a["child_id"].map(_births(ctx)))
    a = a[born.notna() & (born <= a["AssessmentActualStartDate"])]
    seen = _has_related(a, "child_id", "AssessmentActualStartDate", _activity(ctx, "ASSESSMENT_SEEN"))
    return _events(ctx, a, "AssessmentAuthorisationDate", seen)


# -- children in need ------------------------------------------------------------------------------------------
def _open_cin_only(ctx: ScsContext, day: pd.Timestamp) -> pd.DataFrame:
    """CIN episodes open at ``day`` whose child is neither on a CP plan nor looked after then."""
    return ctx.derived(("cin_only", day), lambda: _build_open_cin_only(ctx, day))


def _build_open_cin_only(ctx: ScsContext, day: pd.Timestamp) -> pd.DataFrame:
    d = _details(ctx)
    d = d[(d["CINreferralDate"] <= day) & (d["CINclosureDate"].isna() | (d["CINclosureDate"] > day))]
    p = ctx.tables["cin_cpp"]
    on_plan = set(p.loc[(p["CPPstartDate"] <= day) & (p["CPPendDate"].isna() | (p["CPPendDate"] > day)),
                        "LAchildID"].astype(str))
    looked_after = set(cla_at(ctx, day)["child_id"])
    return d[~d["child_id"].isin(on_plan | looked_after)]


def _cin_assessed(ctx: ScsContext, day: pd.Timestamp, params: dict) -> pd.DataFrame:
    def build():
        d = _open_cin_only(ctx, day)
        a = ctx.tables["cin_assessment"]
        cutoff = add_working_days([day], -10).iloc[0]
        done = a[a["AssessmentAuthorisationDate"].notna() & (a["AssessmentAuthorisationDate"] <= cutoff)]
        keys = pd.MultiIndex.from_frame(done[["LAchildID", "CINdetailsID"]].astype("string"))
        mine = pd.MultiIndex.from_frame(d[["LAchildID", "CINdetailsID"]].astype("string"))
        out = d[mine.isin(keys)]
        return out.assign(team_id=team_at(ctx, out["child_id"], pd.Series(day, index=out.index)))
    out = _cohort(ctx, ctx.derived(("cin_assessed", day), build), params)
    excluded = params.get("exclude_team_types")
    if excluded:
        teams = _teams(ctx)
        out = out[~out["team_id"].isin(set(teams.loc[teams["team_type"].isin(excluded), "team_id"]))]
    return out


def _current_plans(ctx: ScsContext, day: pd.Timestamp) -> pd.DataFrame:
    p = ctx.tables["cin_plan"]
    return p[(p["CINPlanStartDate"] <= day) & (p["CINPlanEndDate"].isna() | (p["CINPlanEndDate"] > day))]


@register("cin_plan_share")
def cin_plan_share(ctx, params):
    def at(day):
        d = _cin_assessed(ctx, day, params)
        plans = _current_plans(ctx, day)
        keys = pd.MultiIndex.from_frame(plans[["LAchildID", "CINdetailsID"]].astype("string"))
        has = pd.MultiIndex.from_frame(d[["LAchildID", "CINdetailsID"]].astype("string")).isin(keys)
        return _share_rows(d["team_id"], pd.Series(has))
    return _snapshots(ctx, at)


@register("cin_seen_share")
def cin_seen_share(ctx, params):
    visits = _activity(ctx, "CIN_VISIT")

    def at(day):
        d = _cin_assessed(ctx, day, params)
        plans = _current_plans(ctx, day)
        plans = plans[plans["CINPlanStartDate"] <= day - pd.Timedelta(days=28)]
        keys = pd.MultiIndex.from_frame(plans[["LAchildID", "CINdetailsID"]].astype("string"))
        d = d[pd.MultiIndex.from_frame(d[["LAchildID", "CINdetailsID"]].astype("string")).isin(keys)]
        recent = visits[(visits["activity_date"] <= day) & (visits["activity_date"] > day - pd.Timedelta(days=28))]
        seen = d["child_id"].isin(set(recent["child_id"]))
        return _share_rows(d["team_id"], seen)
    return _snapshots(ctx, at)


@register("unallocated_count")
def unallocated_count(ctx, params):
    a = _allocations(ctx)

    def at(day):
        cur = a[(a["start_date"] <= day) & (a["end_date"] >= day) & a["worker_id"].isna()]
        cur = _cohort(ctx, cur.assign(child_id=cur["child_id"].astype(str)), params)
        return pd.DataFrame({"team_id": cur["team_id"].to_numpy(), "numerator": 1.0})
    return _snapshots(ctx, at)


@register("pf_visit_share")
def pf_visit_share(ctx, params):
    pf = ctx.tables["private_fostering"].assign(child_id=lambda f: f["child_id"].astype(str))
    visits = _activity(ctx, "PF_VISIT")

    def at(day):
        cur = pf[(pf["start_date"] <= day) & (pf["end_date"].isna() | (pf["end_date"] > day))]
        v = visits.merge(cur[["child_id", "team_id", "start_date"]], on="child_id")
        v = v[(v["due_date"] <= day) & (v["due_date"] >= v["start_date"])]
        held = v["activity_date"].notna() & (v["activity_date"] <= v["due_date"])
        return _share_rows(v["team_id"], held)
    return _snapshots(ctx, at)


# -- missing children ---------------------------------------------------------------------------------------------
@register("return_interview_share")
def return_interview_share(ctx, params):
    m = _cohort(ctx, ctx.tables["ssda903_missing"].assign(child_id=lambda f: f["CHILD"].astype(str)), params)
    ri = _activity(ctx, "RETURN_INTERVIEW")
    ri = ri[ri["activity_date"].notna()].drop_duplicates(["child_id", "related_date"])
    j = m.reset_index().merge(ri[["child_id", "related_date", "activity_date"]], left_on=["child_id", "MIS_START"],
                              right_on=["child_id", "related_date"], how="left").set_index("index")
    back = j["MIS_END"].fillna(j["MIS_START"])
    ok = j["activity_date"].notna() & (working_days_between(back, j["activity_date"]).to_numpy() <= 3)
    return _events(ctx, m, "MIS_START", pd.Series(ok.to_numpy(), index=j.index).reindex(m.index))


# -- child protection -----------------------------------------------------------------------------------------------
def _plans(ctx: ScsContext) -> pd.DataFrame:
    return ctx.tables["cin_cpp"].assign(child_id=lambda p: p["LAchildID"].astype(str))


def _current_cp(ctx: ScsContext, day: pd.Timestamp) -> pd.DataFrame:
    p = _plans(ctx)
    return p[(p["CPPstartDate"] <= day) & (p["CPPendDate"].isna() | (p["CPPendDate"] > day))]


@register("cpp_long_share")
def cpp_long_share(ctx, params):
    def at(day):
        p = _cohort(ctx, _current_cp(ctx, day), params)
        return _share_rows(team_at(ctx, p["child_id"], pd.Series(day, index=p.index)),
                           p["CPPstartDate"] <= day - pd.DateOffset(months=18))
    return _snapshots(ctx, at)


@register("cp_visit_share")
def cp_visit_share(ctx, params):
    def build():
        visits = _activity(ctx, "CP_VISIT")
        p = _plans(ctx)
        v = visits.merge(p[["child_id", "CPPstartDate", "CPPendDate"]], on="child_id")
        v = v[(v["due_date"] >= v["CPPstartDate"]) & (v["CPPendDate"].isna() | (v["due_date"] <= v["CPPendDate"]))]
        return v.assign(held=v["activity_date"].notna() & (v["activity_date"] <= v["due_date"]))
    v_all = _cohort(ctx, ctx.derived("cp_visits", build), params)

    def at(day):
        v = v_all[(v_all["CPPstartDate"] <= day) & (v_all["CPPendDate"].isna() | (v_all["CPPendDate"] > day))
                  & (v_all["due_date"] <= day)]
        return _share_rows(team_at(ctx, v["child_id"], pd.Series(day, index=v.index)), v["held"])
    return _snapshots(ctx, at)


def _review_chain(reviews: pd.DataFrame, key: str, held: str, first_due: pd.Series, gap_months) -> pd.DataFrame:
    """Each review with the date it was due (from the one before, or the first due date) and the
    date the next is due: ``key``, ``held``, ``due``, ``next_due``, ``late``."""
    r = reviews[[key, held]].rename(columns={held: "held"}).sort_values([key, "held"], kind="stable")
    n = r.groupby(key).cumcount()
    prev = r.groupby(key)["held"].shift()
    first = r[key].map(first_due)
    months = np.asarray([gap_months(int(k)) for k in n + 1]) if len(r) else np.empty(0, dtype=int)
    due_from_prev = [p + pd.DateOffset(months=int(m)) for p, m in zip(prev, np.asarray([gap_months(int(k))
                                                                                         for k in n]), strict=True)] \
        if len(r) else []
    r["due"] = np.where(n == 0, first, pd.to_datetime(pd.Series(due_from_prev, index=r.index, dtype="object")))
    r["due"] = pd.to_datetime(r["due"])
    r["next_due"] = [h + pd.DateOffset(months=int(m)) for h, m in zip(r["held"], months, strict=True)]
    r["next_due"] = pd.to_datetime(r["next_due"])
    r["late"] = r["held"] > r["due"]
    return r


def _in_time_at(chain: pd.DataFrame, key: str, keys: pd.Series, first_due: pd.Series, day) -> np.ndarray:
    """The engine's rule at ``day`` (see :func:`reviews_in_time`), for each of ``keys``, vectorised."""
    r = chain[chain["held"] <= day]
    last = r.groupby(key)["next_due"].last()
    late = set(r.loc[r["late"] & (r["held"] > day - pd.DateOffset(years=1)), key])
    next_due = keys.map(last).fillna(keys.map(first_due))
    return ((pd.to_datetime(next_due) >= day) & ~keys.isin(late)).to_numpy()


@register("cp_review_share")
def cp_review_share(ctx, params):
    p_all = _plans(ctx).assign(_key=lambda f: join_plan_keys(f))
    first_due = pd.Series((p_all["CPPstartDate"] + pd.DateOffset(months=3)).to_numpy(), index=p_all["_key"])
    r = ctx.tables["cin_cpp_review"].assign(_key=lambda f: join_plan_keys(f))
    chain = ctx.derived("cp_chain", lambda: _review_chain(r, "_key", "CPPreviewDate", first_due, lambda n: 6))

    def at(day):
        p = _cohort(ctx, _current_cp(ctx, day), params)
        p = p[p["CPPstartDate"] + pd.DateOffset(months=3) <= day]
        keys = join_plan_keys(p)
        ok = _in_time_at(chain, "_key", keys, first_due, day)
        return _share_rows(team_at(ctx, p["child_id"], pd.Series(day, index=p.index)), pd.Series(ok, index=p.index))
    return _snapshots(ctx, at)


def join_plan_keys(frame: pd.DataFrame) -> pd.Series:
    return (frame["LAchildID"].astype(str) + "|" + frame["CINdetailsID"].astype(str) + "|"
            + frame["CPPID"].astype(str))


@register("cpp_repeat_share")
def cpp_repeat_share(ctx, params):
    p = _cohort(ctx, _plans(ctx), params)
    return _events(ctx, p, "CPPstartDate", p["NumberOfPreviousCPP"].fillna(0) >= 1)


@register("cpp_ended_long_share")
def cpp_ended_long_share(ctx, params):
    p = _cohort(ctx, _plans(ctx), params)
    p = p[p["CPPendDate"].notna()]
    return _events(ctx, p, "CPPendDate", p["CPPendDate"] >= p["CPPstartDate"] + pd.DateOffset(years=2))


def _s47(ctx: ScsContext) -> pd.DataFrame:
    return ctx.tables["cin_s47"].assign(child_id=lambda s: s["LAchildID"].astype(str))


@register("s47_seen_share")
def s47_seen_share(ctx, params):
    s = _cohort(ctx, _s47(ctx), params)
    s = s[s["S47ActualStartDate"].notna()]
    return _events(ctx, s, "S47ActualStartDate", _has_related(s, "child_id", "S47ActualStartDate",
                                                               _activity(ctx, "S47_SEEN")))


@register("icpc_timely_share")
def icpc_timely_share(ctx, params):
    s = _cohort(ctx, _s47(ctx), params)
    s = s[s["DateOfInitialCPC"].notna()]
    days = working_days_between(s["S47ActualStartDate"], s["DateOfInitialCPC"])
    return _events(ctx, s, "DateOfInitialCPC", pd.Series((days <= 15).to_numpy(), index=s.index))


# -- children in care --------------------------------------------------------------------------------------------------
def _cla(ctx: ScsContext, day: pd.Timestamp, params: dict) -> pd.DataFrame:
    def build():
        c = cla_at(ctx, day)
        return c.assign(team_id=team_at(ctx, c["child_id"], pd.Series(day, index=c.index)))
    return _cohort(ctx, ctx.derived(("cla", day), build), params)


@register("cla_placements_3plus_share")
def cla_placements_3plus_share(ctx, params):
    e = periods_of_care(ctx)

    def at(day):
        c = _cla(ctx, day, params)
        start = day - pd.DateOffset(years=1)
        mine = e[e["CHILD"].astype(str).isin(c["child_id"]) & (e["DECOM"] <= day)]
        new = mine[mine["RNE"].isin(PLACEMENT_RNE) & (mine["DECOM"] > start)]
        count = new.groupby(mine["CHILD"].astype(str))["DECOM"].size()
        before = mine[(mine["DECOM"] <= start) & (mine["DEC"].isna() | (mine["DEC"] > start))]
        n = c["child_id"].map(count).fillna(0) + c["child_id"].isin(set(before["CHILD"].astype(str))).astype(int)
        return _share_rows(c["team_id"], n >= 3)
    return _snapshots(ctx, at)


@register("cla_stable_2y_share")
def cla_stable_2y_share(ctx, params):
    def at(day):
        c = _cla(ctx, day, params)
        c = c[(c["period_start"] <= day - pd.DateOffset(months=30))
              & (age_on(ctx, c["child_id"], pd.Series(day, index=c.index)) < 16).fillna(False).to_numpy()]
        return _share_rows(c["team_id"], c["placement_start"] <= day - pd.DateOffset(years=2))
    return _snapshots(ctx, at)


@register("cla_foster_own_share")
def cla_foster_own_share(ctx, params):
    def at(day):
        c = _cla(ctx, day, params)
        c = c[c["PLACE"].isin(FOSTER)]
        return _share_rows(c["team_id"], (c["PLACE_PROVIDER"] == "PR1") | c["PLACE"].isin(("U1", "U2", "U3")))
    return _snapshots(ctx, at)


@register("cla_distance_share")
def cla_distance_share(ctx, params):
    pl = ctx.tables["placements"].assign(child_id=lambda f: f["child_id"].astype(str))
    dist = pl.dropna(subset=["distance_miles"]).set_index(["child_id", "DECOM"])["distance_miles"]
    miles = float(params.get("miles", 20))

    def at(day):
        c = _cla(ctx, day, params)
        key = pd.MultiIndex.from_arrays([c["child_id"], c["placement_start"]])
        d = pd.Series(dist.reindex(key).to_numpy(), index=c.index)
        c, d = c[d.notna()], d[d.notna()]
        return _share_rows(c["team_id"], d <= miles)
    return _snapshots(ctx, at)


@register("review_participation_share")
def review_participation_share(ctx, params):
    r = _cohort(ctx, ctx.tables["ssda903_reviews"].assign(child_id=lambda f: f["CHILD"].astype(str)), params)
    r = r[r["REVIEW_CODE"].notna() & (r["REVIEW_CODE"] != "PN0")]
    return _events(ctx, r, "REVIEW", r["REVIEW_CODE"].isin(("PN1", "PN2", "PN3", "PN4", "PN5", "PN6")))


@register("cla_review_timely_share")
def cla_review_timely_share(ctx, params):
    def build():
        r = ctx.tables["ssda903_reviews"]
        e = periods_of_care(ctx)
        spans = e.drop_duplicates("period_id")[["CHILD", "period_id", "period_start", "period_end"]]
        rr = r.merge(spans, on="CHILD")
        rr = rr[(rr["REVIEW"] >= rr["period_start"]) & (rr["period_end"].isna() | (rr["REVIEW"] <= rr["period_end"]))]
        first = spans.set_index("period_id")["period_start"]
        first = pd.Series(add_working_days(first, 20).to_numpy(), index=first.index)
        return _review_chain(rr, "period_id", "REVIEW", first, lambda n: 3 if n == 1 else 6), first
    chain, first_due = ctx.derived("cla_chain", build)

    def at(day):
        c = _cla(ctx, day, params)
        due = c["period_id"].map(first_due)
        c = c[(due <= day).to_numpy()]
        ok = _in_time_at(chain, "period_id", c["period_id"], first_due, day)
        return _share_rows(c["team_id"], pd.Series(ok, index=c.index))
    return _snapshots(ctx, at)


@register("cla_check_share")
def cla_check_share(ctx, params):
    checks = _activity(ctx, params["activity"])
    checks = checks[checks["activity_date"].notna()].sort_values("activity_date")
    health = params["activity"] == "HEALTH_ASSESSMENT"

    def at(day):
        c = _cla(ctx, day, params)
        c = c[c["period_start"] <= day - pd.DateOffset(months=3)]
        done = checks[checks["activity_date"] <= day]
        last = done.drop_duplicates("child_id", keep="last").set_index("child_id")["activity_date"]
        when = c["child_id"].map(last)
        young = (age_on(ctx, c["child_id"], pd.Series(day, index=c.index)) < 5).fillna(False).to_numpy()
        limit = np.where(young & health, (day - pd.DateOffset(months=6)).to_datetime64(),
                         (day - pd.DateOffset(months=12)).to_datetime64())
        ok = when.notna() & (when >= c["period_start"]) & (when > pd.Series(limit, index=c.index))
        return _share_rows(c["team_id"], ok)
    return _snapshots(ctx, at)


@register("iha_timely_share")
def iha_timely_share(ctx, params):
    e = periods_of_care(ctx)
    starts = e.drop_duplicates("period_id").assign(child_id=lambda f: f["CHILD"].astype(str))
    starts = _cohort(ctx, starts, params)
    iha = _activity(ctx, "IHA_REFERRAL")
    iha = iha[iha["activity_date"].notna()].drop_duplicates(["child_id", "related_date"])
    j = starts.reset_index().merge(iha[["child_id", "related_date", "activity_date"]],
                                   left_on=["child_id", "period_start"], right_on=["child_id", "related_date"],
                                   how="left").set_index("index")
    ok = j["activity_date"].notna() & (working_days_between(j["period_start"], j["activity_date"]).to_numpy() <= 5)
    return _events(ctx, starts, "period_start", pd.Series(ok.to_numpy(), index=j.index).reindex(starts.index))


@register("pep_share")
def pep_share(ctx, params):
    pep = _activity(ctx, "PEP")
    pep = pep[pep["activity_date"].notna()]

    def at(day):
        c = _cla(ctx, day, params)
        age = age_on(ctx, c["child_id"], pd.Series(day, index=c.index))
        c = c[((age >= 5) & (age <= 16)).fillna(False).to_numpy()
              & (add_working_days(c["period_start"], 20) <= day).to_numpy()]
        recent = pep[(pep["activity_date"] <= day) & (pep["activity_date"] > day - pd.DateOffset(months=6))]
        return _share_rows(c["team_id"], c["child_id"].isin(set(recent["child_id"])))
    return _snapshots(ctx, at)


@register("same_worker_share")
def same_worker_share(ctx, params):
    a = _allocations(ctx).assign(child_id=lambda f: f["child_id"].astype(str))

    def at(day):
        c = _cla(ctx, day, params)
        c = c[c["period_start"] <= day - pd.DateOffset(months=18)]
        start = day - pd.DateOffset(years=1)
        mine = a[a["child_id"].isin(c["child_id"]) & (a["start_date"] <= day) & (a["end_date"] >= start)]
        g = mine.groupby("child_id")
        single = (g["worker_id"].nunique() == 1) & (g["worker_id"].count() == g.size())
        covered = g["start_date"].min() <= start
        ok = (single & covered)
        same = c["child_id"].isin(ok.index[ok.to_numpy()])
        return _share_rows(c["team_id"], same)
    return _snapshots(ctx, at)


# -- adoption ----------------------------------------------------------------------------------------------------
@register("adoption_decision_timely_share")
def adoption_decision_timely_share(ctx, params):
    pa = ctx.tables["ssda903_placed_adoption"].assign(child_id=lambda f: f["CHILD"].astype(str))
    pa = _cohort(ctx, pa, params)
    e = periods_of_care(ctx).drop_duplicates("period_id")
    probe = pa[["child_id", "DATE_PLACED"]].reset_index().sort_values("DATE_PLACED")
    starts = pd.DataFrame({"child_id": e["CHILD"].astype(str).to_numpy(dtype=object),
                           "period_start": e["period_start"].to_numpy()}).sort_values("period_start")
    probe["child_id"] = probe["child_id"].astype(object)
    m = pd.merge_asof(probe, starts, left_on="DATE_PLACED", right_on="period_start", by="child_id",
                      direction="backward").set_index("index")
    ok = m["period_start"].notna() & (m["DATE_PLACED"] <= m["period_start"] + pd.DateOffset(months=4))
    return _events(ctx, pa, "DATE_PLACED", ok.reindex(pa.index))


def _adopted(ctx: ScsContext, params: dict) -> pd.DataFrame:
    e = periods_of_care(ctx)
    last = e[e["period_rec"].isin(ADOPTED) & e["DEC"].notna() & (e["DEC"] == e["period_end"])]
    return _cohort(ctx, last.assign(child_id=last["CHILD"].astype(str)), params)


@register("adoption_days_average")
def adoption_days_average(ctx, params):
    e = periods_of_care(ctx)
    adopted = _adopted(ctx, params)
    adoptive = e[e["PLACE"].isin(("A3", "A4", "A5", "A6", "U2", "U5")) & e["period_id"].isin(adopted["period_id"])]
    moved = adoptive.groupby("period_id")["DECOM"].min()
    days = (adopted["period_id"].map(moved) - adopted["period_start"]).dt.days
    adopted = adopted[days.notna()]
    return _events(ctx, adopted, "DEC", days.reindex(adopted.index), den=pd.Series(1.0, index=adopted.index))


@register("match_days_average")
def match_days_average(ctx, params):
    e = periods_of_care(ctx)
    adopted = _adopted(ctx, params)
    po = e[(e["LS"] == "E1") & e["period_id"].isin(adopted["period_id"])].groupby("period_id")["DECOM"].min()
    ad1 = ctx.tables["ssda903_ad1"].drop_duplicates("CHILD").set_index(ctx.tables["ssda903_ad1"].drop_duplicates(
        "CHILD")["CHILD"].astype(str))["DATE_MATCH"]
    days = (adopted["child_id"].map(ad1) - adopted["period_id"].map(po)).dt.days
    adopted = adopted[days.notna()]
    return _events(ctx, adopted, "DEC", days.reindex(adopted.index), den=pd.Series(1.0, index=adopted.index))


@register("adopted_share_of_leavers")
def adopted_share_of_leavers(ctx, params):
    e = periods_of_care(ctx)
    ended = e[e["DEC"].notna() & (e["DEC"] == e["period_end"]) & (e["REC"] != "X1")]
    ended = _cohort(ctx, ended.assign(child_id=ended["CHILD"].astype(str)), params)
    return _events(ctx, ended, "DEC", ended["REC"].isin(ADOPTED))


# -- care leavers --------------------------------------------------------------------------------------------------
@register("care_leaver_share")
def care_leaver_share(ctx, params):
    c = _cohort(ctx, ctx.tables["care_leaver_contacts"].assign(child_id=lambda f: f["child_id"].astype(str)), params)
    measure = params["measure"]
    if measure == "in_touch":
        return _events(ctx, c, "contact_date", c["IN_TOUCH"] == "YES")
    c = c[c["IN_TOUCH"].isin(("YES", "NREQ"))]
    if measure == "accommodation":
        return _events(ctx, c, "contact_date", c["ACCOM"].astype(str).str.endswith("1"))
    return _events(ctx, c, "contact_date", c["ACTIV"].isin(EET))


def _teams(ctx: ScsContext) -> pd.DataFrame:
    return ctx.tables["teams"]


@register("pathway_plan_share")
def pathway_plan_share(ctx, params):
    a = _allocations(ctx)
    cl_teams = set(_teams(ctx).loc[_teams(ctx)["team_type"] == "CARE_LEAVERS", "team_id"])
    plans = _activity(ctx, "PATHWAY_PLAN")
    plans = plans[plans["activity_date"].notna()]

    def at(day):
        cur = a[(a["start_date"] <= day) & (a["end_date"] >= day) & a["team_id"].isin(cl_teams)]
        cur = _cohort(ctx, cur.assign(child_id=cur["child_id"].astype(str)), params)
        recent = plans[(plans["activity_date"] <= day) & (plans["activity_date"] > day - pd.DateOffset(months=6))]
        return _share_rows(cur["team_id"], cur["child_id"].isin(set(recent["child_id"])))
    return _snapshots(ctx, at)


# -- quality assurance and staffing --------------------------------------------------------------------------------
@register("audit_share")
def audit_share(ctx, params):
    q = ctx.tables["qa_audits"]
    q = q[q["audit_type"] == params["audit_type"]]
    measure = params["measure"]
    if measure == "completed":
        return _events(ctx, q, "due_date", q["completed_date"].notna(), team=q["team_id"])
    q = q[q["completed_date"].notna()]
    flag = q["grade"].isin(("GOOD", "OUTSTANDING")) if measure == "good" else q["grade"] == "INADEQUATE"
    return _events(ctx, q, "due_date", flag, team=q["team_id"])


def _staffing(ctx: ScsContext) -> pd.DataFrame:
    s = ctx.tables["staffing"]
    return s.assign(month=_month_of(s["month"]))


@register("staffing_share")
def staffing_share(ctx, params):
    s = _staffing(ctx)
    s = s[(s["month"] >= ctx.first_month) & (s["month"] <= ctx.last_month)]
    return pd.DataFrame({"team_id": s["team_id"].to_numpy(), "month": s["month"].to_numpy(),
                         "numerator": s[params["measure"]].astype(float).to_numpy(),
                         "denominator": s["posts_fte"].astype(float).to_numpy()})


@register("caseload_average")
def caseload_average(ctx, params):
    teams = _teams(ctx)
    mine = set(teams.loc[teams["team_type"] == params["team_type"], "team_id"])
    s = _staffing(ctx)
    s = s[s["team_id"].isin(mine) & (s["month"] >= ctx.first_month) & (s["month"] <= ctx.last_month)]
    den = pd.DataFrame({"team_id": s["team_id"].to_numpy(), "month": s["month"].to_numpy(),
                        "denominator": s["social_worker_fte"].astype(float).to_numpy()})
    if params["team_type"] == "FOSTERING":
        num = pd.DataFrame({"team_id": s["team_id"].to_numpy(), "month": s["month"].to_numpy(),
                            "numerator": s["fostering_households"].astype(float).to_numpy()})
    else:
        num = caseload_count(ctx, {})
        num = num[num["team_id"].isin(mine)]
    return den.merge(num, on=["team_id", "month"], how="outer").fillna({"numerator": 0.0, "denominator": 0.0})


# -- the activity table ---------------------------------------------------------------------------------------------
@register("caseload_count")
def caseload_count(ctx, params):
    a = _allocations(ctx)

    def at(day):
        cur = a[(a["start_date"] <= day) & (a["end_date"] >= day)]
        return pd.DataFrame({"team_id": cur["team_id"].to_numpy(), "numerator": 1.0})
    return _snapshots(ctx, at)


@register("referral_count")
def referral_count(ctx, params):
    return _events(ctx, _details(ctx), "CINreferralDate")


@register("assessment_count")
def assessment_count(ctx, params):
    a = _assessments(ctx)
    return _events(ctx, a[a["AssessmentAuthorisationDate"].notna()], "AssessmentAuthorisationDate")


@register("cp_count")
def cp_count(ctx, params):
    def at(day):
        p = _current_cp(ctx, day)
        return pd.DataFrame({"team_id": team_at(ctx, p["child_id"], pd.Series(day, index=p.index)).to_numpy(),
                             "numerator": 1.0})
    return _snapshots(ctx, at)


@register("cp_start_count")
def cp_start_count(ctx, params):
    return _events(ctx, _plans(ctx), "CPPstartDate")


@register("cp_end_count")
def cp_end_count(ctx, params):
    p = _plans(ctx)
    return _events(ctx, p[p["CPPendDate"].notna()], "CPPendDate")


@register("lac_count")
def lac_count(ctx, params):
    def at(day):
        c = _cla(ctx, day, {})
        if params.get("cohort") == "uasc":
            c = c[_uasc_at(ctx, c["child_id"], pd.Series(day, index=c.index)).to_numpy()]
        return pd.DataFrame({"team_id": c["team_id"].to_numpy(), "numerator": 1.0})
    return _snapshots(ctx, at)


@register("lac_start_count")
def lac_start_count(ctx, params):
    e = periods_of_care(ctx).drop_duplicates("period_id")
    return _events(ctx, e.assign(child_id=e["CHILD"].astype(str)), "period_start")


@register("lac_end_count")
def lac_end_count(ctx, params):
    e = periods_of_care(ctx)
    ended = e[e["DEC"].notna() & (e["DEC"] == e["period_end"]) & (e["REC"] != "X1")]
    return _events(ctx, ended.assign(child_id=ended["CHILD"].astype(str)), "DEC")


@register("pf_count")
def pf_count(ctx, params):
    pf = ctx.tables["private_fostering"]

    def at(day):
        cur = pf[(pf["start_date"] <= day) & (pf["end_date"].isna() | (pf["end_date"] > day))]
        return pd.DataFrame({"team_id": cur["team_id"].to_numpy(), "numerator": 1.0})
    return _snapshots(ctx, at)


# -- geography and windows -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Unit:
    """A row of the results: Kent, an SCS area, a service or a team."""

    code: str
    name: str
    level: int  # 0 Kent, 1 area or service, 2 team
    members: tuple[str, ...]  # team ids it adds up
    listed: bool = True


def units(teams: pd.DataFrame) -> list[Unit]:
    """Kent, the four SCS areas, the services (e.g. Disability Service) and every team, with the
    teams each adds up. Kent also holds the records no team holds (``UNKNOWN``)."""
    t = teams.sort_values("sort_order", kind="stable")
    out = [Unit(KENT_CODE, KENT_NAME, 0, (*t["team_id"], UNKNOWN))]
    for area, code in AREA_CODES.items():
        out.append(Unit(code, SCS_AREA_CODES[code], 1, tuple(t.loc[t["area"] == area, "team_id"])))
    for service in t["service"].dropna().unique():
        out.append(Unit(service_code(service), service, 1, tuple(t.loc[t["service"] == service, "team_id"])))
    for rec in t.itertuples(index=False):
        out.append(Unit(rec.team_id, rec.team_name, 2, (rec.team_id,), bool(rec.listed)))
    return out


def service_code(name: str) -> str:
    """The area code of a service: ``SVC-`` and its name in capitals with hyphens.

    Examples
    --------
    >>> service_code("Disability Service")
    'SVC-DISABILITY-SERVICE'
    """
    return "SVC-" + "-".join(name.upper().replace("&", "AND").split())


def _windows(monthly: pd.DataFrame, ind: Indicator, ctx: ScsContext, all_units: list[Unit]) -> pd.DataFrame:
    """Sum team-months into units and windows: the main window of the data period and, for R12M,
    the rolling 3 months (and, with no monthly variant, the single months: :data:`MONTH_PIECE`);
    only months whose whole window lies inside the data."""
    months = ctx.months
    n_m = len(months)
    if "denominator" not in monthly:
        monthly = monthly.assign(denominator=np.nan)
    has_den = bool(monthly["denominator"].notna().any())
    teams = sorted({t for u in all_units for t in u.members} | set(monthly["team_id"]))
    t_pos = {t: i for i, t in enumerate(teams)}
    m_pos = pd.Series(np.arange(n_m), index=months)
    mm = monthly[monthly["month"].isin(months)]
    ti = mm["team_id"].map(t_pos).to_numpy()
    mi = m_pos.reindex(mm["month"]).to_numpy()
    grids = {}
    for c in ("numerator", "denominator"):
        g = np.zeros((len(teams), n_m))
        np.add.at(g, (ti, mi), mm[c].fillna(0).to_numpy(dtype=float))
        grids[c] = g
    member = np.zeros((len(all_units), len(teams)))
    for r, u in enumerate(all_units):
        member[r, [t_pos[t] for t in u.members if t in t_pos]] = 1.0
    sums = {c: member @ grids[c] for c in grids}
    spans = {"main": 12 if ind.data_period == "R12M" else 1}
    if ind.data_period == "R12M":
        spans["R3M"] = 3
        if not ind.spc_from:
            # the months the windows add up (never published: the suppression's hidden cells, as an
            # outsider can difference the windows); a rolling indicator with a monthly variant has them
            spans[MONTH_PIECE] = 1
    frames = []
    for window, span in spans.items():
        if n_m < span:
            continue
        out = {}
        for c, v in sums.items():
            cs = np.concatenate([np.zeros((len(all_units), 1)), np.cumsum(v, axis=1)], axis=1)
            out[c] = (cs[:, span:] - cs[:, :-span]).ravel()
        n_w = n_m - span + 1
        frames.append(pd.DataFrame({
            "area_code": np.repeat([u.code for u in all_units], n_w),
            "area_name": np.repeat([u.name for u in all_units], n_w),
            "month": np.tile(np.asarray(months[span - 1:]), len(all_units)),
            "window": window, "numerator": out["numerator"],
            "denominator": out["denominator"] if has_den else np.nan}))
    out = pd.concat(frames, ignore_index=True)
    out["value"] = value_of(out["numerator"], out["denominator"], ind)
    if not (ind.is_percentage or ind.is_average):
        out["denominator"] = np.nan
    out["indicator_id"] = ind.id
    out["period"] = pd.PeriodIndex(out["month"], freq="M").strftime("%Y-%m")
    out["period_kind"] = "month"
    out["period_start"] = pd.PeriodIndex(out["month"], freq="M").to_timestamp()
    out["age_band"] = "all"
    return out[RAW_COLUMNS]


def compute_indicator(ind: Indicator, ctx: ScsContext, all_units: list[Unit] | None = None) -> pd.DataFrame:
    """One indicator for every unit, month and window.

    A method's team-month counts are computed once per context for the same method and
    parameters (a monthly variant and its rolling indicator share them)."""
    key = ("method", ind.method, repr(sorted(ind.params.items())))
    monthly = ctx.derived(key, lambda: METHODS[ind.method](ctx, ind.params))
    if not len(monthly):
        monthly = pd.DataFrame({"team_id": [UNKNOWN], "month": [ctx.last_month], "numerator": [0.0],
                                "denominator": [0.0 if (ind.is_percentage or ind.is_average) else np.nan]})
    return _windows(monthly, ind, ctx, all_units or units(ctx.tables["teams"]))


def month_range(tables: dict[str, pd.DataFrame], extract_date: pd.Timestamp) -> tuple[pd.Period, pd.Period]:
    """First and last complete month of the returns.

    The last is the extract date's month if the extract date is its last day, else the month
    before. The first is where the data begin: the start of the run of months, up to the last,
    whose referrals all reach 85% of the median of the last 12 months' (a returns extract also
    holds cases opened long before its window, so the earliest referral says nothing of where
    the window starts).
    """
    last = extract_date.to_period("M")
    if (extract_date + pd.Timedelta(days=1)).day != 1:
        last -= 1
    ref = tables["cin_details"]["CINreferralDate"].dropna().dt.to_period("M")
    counts = ref[ref <= last].value_counts().sort_index()
    if not len(counts):
        return last, last
    full = counts.reindex(pd.period_range(counts.index.min(), last, freq="M"), fill_value=0)
    low = (full < 0.85 * full.iloc[-12:].median()).to_numpy()
    first = int(np.flatnonzero(low)[-1]) + 1 if low.any() else 0
    return full.index[min(first, len(full) - 1)], last


def compute_results(tables: dict[str, pd.DataFrame], extract_date, catalogue: dict[str, Indicator], *,
                    up_to: pd.Period | None = None, months: int | None = None) -> pd.DataFrame:
    """Every SCS catalogue indicator for Kent, the areas, services and teams, for every month
    (raw, before suppression), sorted by indicator, unit and month."""
    stamp = pd.Timestamp(extract_date)
    first, last = month_range(tables, stamp)
    if up_to is not None:
        if up_to > last:
            raise ValueError(f"{up_to} ends after the returns' last complete month ({last})")
        last = up_to
    if months is not None:
        first = max(first, last - months + 1)
    ctx = ScsContext(tables, first, last, stamp)
    all_units = units(tables["teams"])
    frames = [compute_indicator(ind, ctx, all_units) for ind in catalogue.values()]
    out = pd.concat(frames, ignore_index=True)
    order = {u.code: i for i, u in enumerate(all_units)}
    ids = {k: i for i, k in enumerate(catalogue)}
    out = out.assign(_i=out["indicator_id"].map(ids), _a=out["area_code"].map(order))
    return out.sort_values(["_i", "_a", "window", "period_start"]).drop(columns=["_i", "_a"]).reset_index(drop=True)


__all__ = ["METHODS", "register", "ScsContext", "Unit", "units", "service_code", "team_at", "periods_of_care",
           "cla_at", "compute_indicator", "compute_results", "month_range", "UNKNOWN", "AREA_CODES", "RAW_COLUMNS"]
