"""The Children and Young People's Framework (CYPF) 2016-2019: its 17 indicators under 4 outcomes
(seed 004:1874-1895), each with the best data held at the level it exists.

Shared by the CYPF county dashboard, the six-monthly progress report and the district dashboard.
For every indicator this module says which figure stands for it and at which level: case data
from the extract (Kent and every district), public data (Kent with England and its statistical
neighbours; districts where published), the closest public measure where the indicator itself is
not published (said so), or a plain statement that no data are held. Pure functions over the
period's published results and public table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..geography import DISTRICTS, KENT_CODE
from ..indicators import stats
from ..indicators.catalogue import Indicator
from ..periods import Period
from .benchmarks import benchmark, not_available_words, source_line, trend
from .blocks import NOT_AVAILABLE, SUPPRESSED, format_value
from .scorecard_data import ScorecardData, _get, _row

OUTCOMES = {
    1: "Grow up in safe families and communities",
    2: "Have good physical, mental and emotional health",
    3: "Learn and have opportunities to achieve throughout their lives",
    4: "Make safe and positive decisions",
}


@dataclass(frozen=True)
class CypfIndicator:
    """One of the 17: its number and name as the CYPF prints them, its outcome, the catalogue
    indicator that stands for it and, where that is not held, the closest measure that is."""

    number: int
    name: str
    outcome: int
    indicator_id: str
    closest_id: str | None = None
    seed_ref: str = ""


CYPF: tuple[CypfIndicator, ...] = (
    CypfIndicator(1, "Children on a Child Protection Plan", 1, "cypf_cp_rate", seed_ref="004:1938"),
    CypfIndicator(2, "Children in Care", 1, "cypf_cla_rate", seed_ref="004:1968"),
    CypfIndicator(3, "Missing Children", 1, "cypf_missing_children", seed_ref="004:2000"),
    CypfIndicator(4, "Early Help Notifications", 1, "ehn_rate", seed_ref="004:2035"),
    CypfIndicator(5, "Domestic Abuse Notifications", 1, "cypf_dan_rate", seed_ref="004:2059"),
    CypfIndicator(6, "Excess Weight", 2, "cypf_excess_weight", seed_ref="004:2129"),
    CypfIndicator(7, "Breastfeeding", 2, "cypf_breastfeeding", seed_ref="004:2157"),
    CypfIndicator(8, "Self-Harm Related Hospital Admissions", 2, "cypf_self_harm_admissions",
                  closest_id="injury_admissions_0_14", seed_ref="004:2194"),
    CypfIndicator(9, "Early Help Notifications about Mental Health", 2, "ehn_mh_rate", seed_ref="004:2220"),
    CypfIndicator(10, "Early Years Foundation Stage Profile", 3, "cypf_eyfs_gld", seed_ref="004:2283"),
    CypfIndicator(11, "Reading, Writing and Maths at Key Stage 2", 3, "cypf_ks2_rwm", seed_ref="004:2333"),
    CypfIndicator(12, "GCSEs (Attainment 8 / Progress 8)", 3, "cypf_gcse", seed_ref="004:2357"),
    CypfIndicator(13, "Young People NEET", 3, "cypf_neet_not_known", seed_ref="004:2381"),
    CypfIndicator(14, "Persistent School Absence", 3, "cypf_persistent_absence",
                  closest_id="pa_social_care_pupils", seed_ref="004:2413"),
    CypfIndicator(15, "Drug and Alcohol Related Hospital Admissions", 4, "cypf_drug_alcohol_admissions",
                  seed_ref="004:2475"),
    CypfIndicator(16, "First Time Entry to the Youth Justice System", 4, "cypf_first_time_entrants",
                  seed_ref="004:2502"),
    CypfIndicator(17, "Teenage Conception", 4, "cypf_teenage_conceptions", seed_ref="004:2533"),
)

#: What stands for an indicator, in words.
CASE, PUBLIC, CLOSEST, NONE = "case data", "public data", "closest public measure", "no data held"


def measure_for(item: CypfIndicator, catalogue: dict[str, Indicator]) -> tuple[Indicator, str]:
    """The indicator that stands for ``item`` and what kind it is (:data:`CASE`, :data:`PUBLIC`,
    :data:`CLOSEST` or :data:`NONE`)."""
    ind = catalogue[item.indicator_id]
    if ind.has_data:
        return ind, CASE
    if ind.is_public:
        return ind, PUBLIC
    if item.closest_id and item.closest_id in catalogue:
        return catalogue[item.closest_id], CLOSEST
    return ind, NONE


def _sub_words(sub: str) -> str:
    """" (children in need at 31 March)" for a subgroup, "" for none."""
    return f" ({sub[0].lower() + sub[1:]})" if sub else ""


def _no_data_words(ind: Indicator) -> str:
    source = ind.source.split(" (")[0]
    return f"No data are held here for this indicator (its source: {source})."


def _axis_label(p: Period) -> str:
    """A short label for a chart's axis: "16/17 Q1" for a quarter, "Mar 17" for a month.

    Examples
    --------
    >>> _axis_label(Period.parse("2016-17 Q1")), _axis_label(Period.parse("2017-03"))
    ('16/17 Q1', 'Mar 17')
    """
    if p.kind == "month":
        return f"{p.start:%b %y}"
    if p.kind == "quarter":
        fy = p.financial_year
        return f"{fy % 100:02d}/{(fy + 1) % 100:02d} Q{p.quarter_number}"
    return p.label


def _case_trend(data: ScorecardData, ind: Indicator, area_code: str, n: int = 4) -> list[tuple[str, float]]:
    p = data.period
    out = []
    for k in range(n - 1, -1, -1):
        q = p.shift(-k)
        out.append((_axis_label(q), data.value(ind.id, q, area_code=area_code)))
    return out


def _subgroup_for(public: pd.DataFrame, ind: Indicator) -> str:
    if "subgroup" not in public.columns:
        return ""
    subs = sorted(public.loc[public["indicator_id"] == ind.id, "subgroup"].fillna("").unique())
    # persistent absence of social-care pupils: children in need stand for all pupils' absence best
    return "Children in need at 31 March" if "Children in need at 31 March" in subs else (subs[0] if subs else "")


def county_rows(data: ScorecardData, public: pd.DataFrame) -> pd.DataFrame:
    """One row per CYPF indicator for the Kent dashboard (pure data): ``number``, ``name``,
    ``outcome``, ``indicator_id``, ``kind``, ``measure`` (what is shown), ``when``, ``kent``,
    ``england``, ``neighbours``, ``rank`` (Kent among its neighbours), ``direction`` (since the
    previous figure), ``trend`` (list of (label, Kent, England, neighbours)), ``source``, ``statement``."""
    out = []
    for item in CYPF:
        ind, kind = measure_for(item, data.catalogue)
        rec = {"number": item.number, "name": item.name, "outcome": item.outcome, "indicator_id": ind.id,
               "kind": kind, "measure": ind.title, "unit": ind.unit, "when": "", "kent": NOT_AVAILABLE,
               "england": NOT_AVAILABLE, "neighbours": NOT_AVAILABLE, "rank": NOT_AVAILABLE,
               "direction": stats.NOT_COMPARED, "trend": [], "source": "", "statement": "", "polarity": ind.polarity}
        if kind == CASE:
            row = _row(data, ind.id, data.period, KENT_CODE)
            rec.update(when=short_period(data.period), kent=data.cell(ind.id, area_code=KENT_CODE),
                       direction=_get(row, "direction_previous", stats.NOT_COMPARED), source=f"Source: {ind.source}.",
                       trend=[(label, v, math.nan, math.nan) for label, v in _case_trend(data, ind, KENT_CODE)],
                       statement="Kent's own systems: no national or statistical-neighbour figure exists.")
        elif kind in (PUBLIC, CLOSEST):
            sub = _subgroup_for(public, ind) if kind == CLOSEST else ""
            b = benchmark(public, ind.id, data.period.end, sub)
            rec["source"] = source_line(ind)
            if kind == CLOSEST:
                rec["statement"] = (f"The indicator itself is not published or held; the closest measure held is "
                                    f"shown: {ind.title}" + _sub_words(sub) + ".")
            if b.available:
                t = trend(public, ind.id, data.period.end, 5, sub)
                rec.update(when=str(b.year), kent=format_value(b.kent, ind.unit),
                           england=format_value(b.england, ind.unit),
                           neighbours=(format_value(b.neighbours_mean, ind.unit) if b.neighbours_n else NOT_AVAILABLE),
                           rank=(stats.rank_label(b.rank, b.rank_of) if b.rank is not None else NOT_AVAILABLE),
                           direction=b.direction,
                           trend=[(r["period"], r.get(KENT_CODE, math.nan), r.get("E92000001", math.nan),
                                   r.get("neighbours", math.nan)) for r in t.to_dict("records")])
            else:
                rec["statement"] = (rec["statement"] + " " + not_available_words(b, data.period)).strip()
        else:
            rec["statement"] = _no_data_words(ind)
        out.append(rec)
    return pd.DataFrame(out)


def district_rows(data: ScorecardData, public: pd.DataFrame, district: str) -> pd.DataFrame:
    """One row per CYPF indicator for a district (pure data): the district's figure where one exists
    (case data, or public data published by district), else Kent's with the level said, else a
    plain statement. Columns: ``number``, ``name``, ``outcome``, ``level`` (district / Kent only /
    none), ``measure``, ``when``, ``district``, ``kent``, ``statement``."""
    out = []
    for item in CYPF:
        ind, kind = measure_for(item, data.catalogue)
        rec = {"number": item.number, "name": item.name, "outcome": item.outcome, "measure": ind.title,
               "indicator_id": ind.id, "level": "none", "when": "", "district": NOT_AVAILABLE,
               "kent": NOT_AVAILABLE, "statement": ""}
        if kind == CASE:
            rec.update(level="district", when=short_period(data.period), district=data.cell(ind.id, area_code=district),
                       kent=data.cell(ind.id, area_code=KENT_CODE))
        elif kind in (PUBLIC, CLOSEST):
            sub = _subgroup_for(public, ind) if kind == CLOSEST else ""
            here = benchmark(public, ind.id, data.period.end, sub, area_code=district)
            kent = benchmark(public, ind.id, data.period.end, sub)
            if here.available:
                rec.update(level="district", when=str(here.year), district=format_value(here.kent, ind.unit),
                           kent=format_value(kent.kent, ind.unit) if kent.year == here.year else NOT_AVAILABLE)
            elif kent.available:
                rec.update(level="Kent only", when=str(kent.year), kent=format_value(kent.kent, ind.unit),
                           statement="Published for Kent only, not by district.")
            else:
                rec["statement"] = not_available_words(kent, data.period)
            if kind == CLOSEST:
                rec["statement"] = (f"Closest measure held: {ind.title}" + _sub_words(sub)
                                    + ". " + rec["statement"]).strip()
        else:
            rec["statement"] = _no_data_words(ind)
        out.append(rec)
    return pd.DataFrame(out)


# -- movement since the last report ------------------------------------------------------------------------
def short_period(p: Period) -> str:
    """A period as a table cell: "2016-17 Q2" for a quarter, "September 2016" for a month."""
    return f"{p.start:%B %Y}" if p.kind == "month" else p.label


def last_report_period(period: Period) -> Period:
    """The period the previous six-monthly report covered: the same kind of period, six months earlier.

    Examples
    --------
    >>> last_report_period(Period.parse("2016-17 Q4")).label, last_report_period(Period.parse("2017-03")).label
    ('2016-17 Q2', '2016-09')
    """
    return period.shift(-(6 // period.months))


def _movement(now: float, before: float, ind: Indicator) -> str:
    return stats.direction_of_travel(now, before, ind.polarity, ind.target)


def progress_rows(data: ScorecardData, public: pd.DataFrame, area_code: str = KENT_CODE) -> pd.DataFrame:
    """For each CYPF indicator (pure data): the figure in the last report and now, and the movement
    between them judged by polarity (no judgement for "safely minimise" indicators). Case data
    compare this period with the one six months earlier; annual public data the latest year
    published by the end of each report's period (``new_figure`` says whether one arrived since).
    """
    last = last_report_period(data.period)
    out = []
    for item in CYPF:
        ind, kind = measure_for(item, data.catalogue)
        rec = {"number": item.number, "name": item.name, "outcome": item.outcome, "indicator_id": ind.id,
               "kind": kind, "measure": ind.title, "then_when": "", "then": NOT_AVAILABLE, "now_when": "",
               "now": NOT_AVAILABLE, "movement": stats.NOT_COMPARED, "new_figure": False, "statement": ""}
        if kind == CASE:
            now, then = data.value(ind.id, area_code=area_code), data.value(ind.id, last, area_code=area_code)
            rec.update(then_when=short_period(last), now_when=short_period(data.period),
                       then=data.cell(ind.id, last, area_code=area_code), now=data.cell(ind.id, area_code=area_code),
                       movement=_movement(now, then, ind), new_figure=True)
            if SUPPRESSED in (rec["then"], rec["now"]):
                rec["statement"] = "A figure is withheld to protect confidentiality, so no movement is shown."
        elif kind in (PUBLIC, CLOSEST):
            sub = _subgroup_for(public, ind) if kind == CLOSEST else ""
            b_now = benchmark(public, ind.id, data.period.end, sub, area_code=area_code)
            b_then = benchmark(public, ind.id, last.end, sub, area_code=area_code)
            if b_now.available:
                rec.update(now_when=str(b_now.year), now=format_value(b_now.kent, ind.unit))
            if b_then.available:
                rec.update(then_when=str(b_then.year), then=format_value(b_then.kent, ind.unit))
            if b_now.available and b_then.available:
                rec["new_figure"] = b_now.year != b_then.year
                rec["movement"] = _movement(b_now.kent, b_then.kent, ind) if rec["new_figure"] else stats.NO_CHANGE
                if not rec["new_figure"]:
                    rec["statement"] = "No new figure has been published since the last report."
            elif not b_now.available:
                rec["statement"] = not_available_words(b_now, data.period)
            if kind == CLOSEST:
                rec["statement"] = (f"Closest measure held: {ind.title}" + _sub_words(sub)
                                    + ". " + rec["statement"]).strip()
        else:
            rec["statement"] = _no_data_words(ind)
        out.append(rec)
    return pd.DataFrame(out)


MOVEMENT_GROUPS = ("improved", "worse", "no change", "higher or lower (no judgement)", "not compared")


def outcome_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, how many indicators improved, got worse, did not change, moved where neither
    direction is better, or could not be compared (no data, no new figure, withheld)."""
    def group(m: str) -> str:
        if m in (stats.HIGHER, stats.LOWER):
            return "higher or lower (no judgement)"
        return m if m in MOVEMENT_GROUPS else "not compared"

    g = rows.assign(group=rows["movement"].map(group))
    table = g.groupby(["outcome", "group"]).size().unstack(fill_value=0).reindex(columns=list(MOVEMENT_GROUPS),
                                                                                 fill_value=0)
    table = table.reindex(list(OUTCOMES), fill_value=0)
    table.insert(0, "indicators", rows.groupby("outcome").size().reindex(list(OUTCOMES), fill_value=0))
    return table.reset_index()


def district_codes() -> list[str]:
    return list(DISTRICTS)


__all__ = ["CYPF", "CypfIndicator", "OUTCOMES", "county_rows", "district_rows", "last_report_period",
           "measure_for", "outcome_summary", "progress_rows"]
