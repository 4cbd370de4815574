"""Blocks of the Specialist Children's Services performance dashboard, built from the statutory
returns: shared by the dashboard (``notebooks/scs_dashboard.ipynb``,
:mod:`ehps_lib.papers.scs_dashboard`) and its covering Cabinet Committee paper
(:mod:`ehps_lib.papers.scs_committee_paper`), whose Appendix A it is.

The council's monthly "Performance Management Scorecard" for Specialist Children's Services
(seed 004, Appendix A of the Cabinet Committee paper, lines 2994-3290; ``seeds-spec.md`` §1.4,
§2E, §2F), built from the statutory returns (CIN census, SSDA903) and the local supplement
(:mod:`ehps_lib.data.returns`) by :mod:`ehps_lib.indicators.scs_results`:

1. the cover ("Social Care, Health and Wellbeing / Specialist Children's Services /
   Performance Management Scorecard");
2. the SCS Activity table: caseloads, referrals, assessments, child protection plans, children
   looked after (and of them UASC), private fostering, for Kent, its four SCS areas, the
   Disability Service and the teams;
3. the latest performance RAG rating (the count of Green, Amber and Red);
4. "Scorecard - Kent": the 45 indicators with the council's wording, polarity, data period,
   latest result and RAG, numerator, denominator, 2016/17 target, 1 month ago and 1 year ago
   with the direction of travel, and the rolling three months with its RAG;
5. "Scorecard - Impact of UASC": the indicators the council published with and without
   unaccompanied asylum-seeking children, for Kent and the four areas, and the variance;
6. an exception report for each indicator rated Red (trend data, SPC chart of the monthly
   values, the analysts' commentary, data notes), and the commentary on Amber indicators;
7. the definitions.

The blocks of the council's scorecard format are shared with the county scorecard
(:mod:`ehps_lib.papers.scs`); what is particular to this dashboard is here. Every figure is
from the published (suppressed) results: a withheld count shows as ``c``, and so does any
change, variance or rolling figure that would reveal one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..data import io
from ..geography import KENT_CODE, KENT_NAME, SCS_AREA_CODES
from ..indicators import stats
from ..indicators.catalogue import Indicator, load_scs_catalogue
from ..periods import Period, PeriodError
from . import narrative, scs
from .blocks import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    SYNTHETIC_BANNER_TEXT,
    Block,
    _cell_notes,
    _e,
    _html_table,
    _notes_html,
    format_value,
    rag_badge,
    rag_text,
    signed_change,
    synthetic_banner_html,
)
from .commentary import SCS_COMMENTARY_FOLDER, Commentary
from .commentary import load_commentary as _load_commentary
from .scorecard_data import ScorecardData, ScorecardError, _get, _month_name, _row, latest_month
from .sections import definitions as _definitions

RESULTS_KIND = "scs"  # the results folder's kind (ehps_lib.indicators.scs_results.RESULTS_KIND)
PRODUCT = "Specialist Children's Services performance dashboard"
DIRECTORATE = "Social Care, Health and Wellbeing"
SERVICE = "Specialist Children's Services"
DOCUMENT = "Performance Management Scorecard"
#: The areas of the activity table and the UASC page, in the council's order.
AREA_ORDER = (KENT_CODE, *SCS_AREA_CODES)


# -- the data ----------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Dashboard:
    """What the dashboard shows: ``data`` holds the 45 scorecard indicators (in the council's
    order) and ``full`` every indicator of the SCS catalogue (activity counts, the excluding-UASC
    cohorts and the monthly values the SPC charts are drawn from), both over the same published
    results of Kent, its areas, services and teams."""

    data: ScorecardData
    full: ScorecardData

    @property
    def period(self) -> Period:
        return self.data.period

    @property
    def synthetic(self) -> bool:
        return self.data.synthetic

    @property
    def catalogue(self) -> dict[str, Indicator]:
        return self.full.catalogue

    def __repr__(self) -> str:
        return (f"<Dashboard {self.data.area_name}, {self.period.label}: {len(self.data.catalogue)} scorecard "
                f"indicators, {len(self.full.results):,} result rows{', synthetic data' if self.synthetic else ''}>")


def dashboard_from_results(results: pd.DataFrame, meta: dict, period: str | Period,
                           catalogue: dict[str, Indicator] | None = None) -> Dashboard:
    """Build the :class:`Dashboard` from published SCS results in memory (pure).

    Raises
    ------
    ScorecardError
        When the results hold nothing for Kent in the month.
    """
    catalogue = catalogue or load_scs_catalogue()
    try:
        p = Period.parse(period)
    except PeriodError as exc:
        raise ScorecardError(str(exc)) from exc
    if results[(results["area_code"] == KENT_CODE) & (results["period"] == p.label)].empty:
        raise ScorecardError(f"The SCS results hold nothing for Kent in {p.label}; run "
                             f"`ehps indicators --source returns --period {p.label}`.")
    rows = dict(sorted(((i, c) for i, c in catalogue.items() if c.number is not None), key=lambda kv: kv[1].number))
    data = ScorecardData(KENT_CODE, KENT_NAME, p, results, dict(meta), rows)
    full = ScorecardData(KENT_CODE, KENT_NAME, p, results, dict(meta), dict(catalogue))
    return Dashboard(data, full)


def load_dashboard(area_code: str = KENT_CODE, period: str = "latest") -> Dashboard:
    """Read the published SCS results of ``period`` (a month, or ``latest``: the returns' latest
    complete month).

    Raises
    ------
    ScorecardError
        For an area other than Kent (the dashboard is the county's) or a bad period.
    FileNotFoundError
        When no returns have been ingested, or the month's results have not been computed; the
        message says which command makes them.
    """
    from ..indicators.scs_results import extract_date_of, resolve_month

    if area_code != KENT_CODE:
        raise ScorecardError(f"The SCS performance dashboard is Kent's ({KENT_CODE}), with its areas and teams "
                             f"inside it; got {area_code!r}.")
    try:
        p = resolve_month(period, extract_date_of(io.read_returns_manifest()))
    except PeriodError as exc:
        raise ScorecardError(str(exc)) from exc
    results, meta = io.read_results(p.slug, kind=RESULTS_KIND)
    return dashboard_from_results(results, meta, p)


def load_commentary(d: Dashboard, root=None) -> Commentary:
    """The analysts' commentary for the month (``reports/commentary/scs/<month>.yml``)."""
    return _load_commentary(d.period, root, folder=SCS_COMMENTARY_FOLDER, catalogue=d.catalogue)


# -- cover and guidance --------------------------------------------------------------------------------
def cover(d: Dashboard, publication: dt.date | None = None) -> Block:
    """The cover, as the council prints it: directorate, service, "Performance Management
    Scorecard", the month the data run to, and the synthetic-data banner."""
    m = latest_month(d.period)
    lines = [DIRECTORATE, SERVICE]
    when = f"Data to the end of {_month_name(m)}"
    extract = d.data.meta.get("extract_date")
    parts = ['<div class="ehps-title-block ehps-scs-cover">',
             f'<p class="ehps-scs-cover-line">{_e(lines[0])}</p>',
             f'<p class="ehps-scs-cover-line">{_e(lines[1])}</p>',
             f'<h1 class="ehps-title">{_e(DOCUMENT)}</h1>',
             f'<p class="ehps-period">Kent: {_e(when)}</p>']
    if publication is not None:
        parts.append(f'<p class="ehps-scs-cover-line">{publication.day} {publication:%b %Y}</p>')
    if extract:
        d_ = dt.date.fromisoformat(str(extract)[:10])
        parts.append(f'<p class="ehps-extract">Computed from the statutory returns (CIN census, SSDA903) and the '
                     f'local supplement extracted on {d_.day} {d_:%B %Y}.</p>')
    if d.synthetic:
        parts.append(synthetic_banner_html())
    parts.append("</div>")
    text = f"{DIRECTORATE}\n{SERVICE}\n{DOCUMENT}\nKent: {when}" + (f"\n{SYNTHETIC_BANNER_TEXT}" if d.synthetic
                                                                     else "")
    return Block(html="".join(parts), text=text)


def about(d: Dashboard) -> Block:
    """How to read the dashboard: the month, the data periods, the RAG alerts, the direction of
    travel, the UASC page and withheld figures (the covering paper's paragraphs 2.2-2.8)."""
    m = latest_month(d.period)
    text = [
        f"The dashboard's latest results are for {_month_name(m)}. “1 month ago” is {_month_name(m.previous())} "
        f"and “1 year ago” is {_month_name(m.year_ago())}.",
        "Results are snapshot figures (SS: taken at the end of the month) or a rolling 12 months (R12M: the 12 "
        f"months to the end of the month; for {_month_name(m)}, {_month_name(m.shift(-11))} to {_month_name(m)}). "
        "“Rolling 3 months” is the short-term performance of a rolling indicator: its three months to the end "
        "of the month taken together; snapshots show “-”.",
        "Performance results are assigned an alert on the following basis: Green, the current target is achieved "
        "or exceeded; Amber, performance is below the current target but above the minimum standard; Red, "
        "performance is below the minimum standard.",
        "In the direction of travel the arrow shows whether the result went up (▲) or down (▼) and the words "
        "whether that is better (improved) or worse; it compares two figures without a statistical test. The "
        "exception reports' SPC charts show which monthly changes are more than common cause variation.",
        "The Impact of UASC page shows the indicators most affected by unaccompanied asylum-seeking children "
        "(UASC) with and without them, for Kent and its four areas.",
        f"A figure shown as “{SUPPRESSED}” is withheld to protect confidentiality: a count of 1 to 4, or a figure "
        "from which one could be worked out (for example from a total and the other figures of the table).",
    ]
    html = "".join(f"<p>{_e(t)}</p>" for t in text)
    return Block(html=f'<div class="ehps-sc-about">{html}</div>', text=text[0])


# -- SCS activity ------------------------------------------------------------------------------------------
#: The activity table's measures: (heading, indicator, a stock shown this month, last month and change?).
ACTIVITY = (
    ("Caseloads", "scs_act_caseload", True), ("Referrals in last month", "scs_act_referrals", False),
    ("CF Assessments in last month", "scs_act_assessments", False), ("CP Plans", "scs_act_cp", True),
    ("CP Starts in last month", "scs_act_cp_starts", False), ("CP Ends in last month", "scs_act_cp_ends", False),
    ("Total LAC", "scs_act_lac", True), ("UASC LAC", "scs_act_uasc", True),
    ("LAC Starts in last month", "scs_act_lac_starts", False), ("LAC Ends in last month", "scs_act_lac_ends", False),
    ("PF Cases", "scs_act_pf", True),
)
STOCK_PARTS = ("This month", "Last month", "Change")


def activity_units(d: Dashboard) -> list[tuple[str, str, int]]:
    """(code, name, level) of the activity table's rows, in the council's order: Kent (0), the four
    areas (1), the services (1), then the teams (2) in the supplement's order."""
    r = d.full.results
    act = r[(r["indicator_id"] == "scs_act_caseload") & (r["period"] == d.period.label)]
    names = dict(zip(act["area_code"], act["area_name"], strict=True))
    out = [(c, names.get(c, KENT_NAME if c == KENT_CODE else SCS_AREA_CODES.get(c, c)), 0 if c == KENT_CODE else 1)
           for c in AREA_ORDER if c in names]
    out += [(c, names[c], 1) for c in act["area_code"] if c.startswith("SVC-")]
    shown = {c for c, _n, _l in out}
    out += [(c, names[c], 2) for c in act["area_code"] if c not in shown]
    return out


def activity_rows(d: Dashboard) -> pd.DataFrame:
    """The SCS Activity table as printed (pure data): one row per unit, cells as text; a withheld
    count is ``c``, and so is a change that involves one."""
    m = latest_month(d.period)
    prev = m.previous()
    full = d.full
    out = []
    for code, name, level in activity_units(d):
        rec = {"area_code": code, "area": name, "level": level}
        for heading, ind, stock in ACTIVITY:
            if stock:
                now_v, prev_v = (full.value(ind, p, area_code=code) for p in (m, prev))
                now_s, prev_s = (full.is_suppressed(ind, p, area_code=code) for p in (m, prev))
                rec[f"{heading} - This month"] = full.cell(ind, m, area_code=code)
                rec[f"{heading} - Last month"] = full.cell(ind, prev, area_code=code)
                rec[f"{heading} - Change"] = signed_change(now_v, prev_v, now_suppressed=now_s,
                                                           before_suppressed=prev_s)
            else:
                rec[heading] = full.cell(ind, m, area_code=code)
        out.append(rec)
    return pd.DataFrame(out)


def activity_columns() -> list[str]:
    """The activity table's 21 columns, in order (the council's headings)."""
    cols = []
    for heading, _ind, stock in ACTIVITY:
        cols += [f"{heading} - {part}" for part in STOCK_PARTS] if stock else [heading]
    return cols


def activity_table(d: Dashboard) -> Block:
    """The SCS Activity table: Kent, its areas, services and teams; stocks this month and last
    month with the change, and the month's flows."""
    frame = activity_rows(d)
    m = latest_month(d.period)
    this_m, last_m = _month_name(m), _month_name(m.previous())
    # One header row (the council's "Caseloads - This month | - Last month | - Change" written out), so
    # that every column has its own header in the page and in the table's CSV download; "(number)"
    # marks the counts for the disclosure scan.
    heads = ["Team or area"]
    for heading, _ind, stock in ACTIVITY:
        if stock:
            heads += [f"{heading} (number): this month (end of {this_m})",
                      f"{heading} (number): last month (end of {last_m})", f"{heading}: change"]
        else:
            heads.append(f"{heading} (number, {this_m})")
    head1 = "<tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in heads) + "</tr>"
    cols = activity_columns()
    trs = []
    for r in frame.to_dict("records"):
        cells = "".join(f"<td{'' if c.endswith('Change') else ' data-ehps-count'}>{_e(r[c])}</td>" for c in cols)
        trs.append(f'<tr class="ehps-sc-level{r["level"]}"><th scope="row">{_e(r["area"])}</th>{cells}</tr>')
    caption = (f"SCS Activity, {_month_name(m)}: caseloads, child protection plans, children looked after (and "
               "of them unaccompanied asylum-seeking children) and private fostering at the end of the month and "
               "the month before, and the month's referrals, assessments, starts and ends, for Kent, its areas, "
               "services and teams")
    table = _html_table(caption, [head1], f"<tbody>{''.join(trs)}</tbody>",
                        "ehps-table ehps-sc-activity ehps-scs-activity")
    cells = [r[c] for r in frame.to_dict("records") for c in cols]
    notes = ["Caseloads: children allocated to the team or area at the end of the month (with or without a "
             "worker). LAC: looked after children; UASC: unaccompanied asylum-seeking children; PF: private "
             "fostering. A team's figures count the children it held on the day (a snapshot) or when the event "
             "happened (starts, ends, referrals, assessments); Kent also counts children held by teams not listed."]
    notes += [n for n in _cell_notes(cells) if not n.startswith(NOT_APPLICABLE)]
    if SUPPRESSED in cells:
        notes.append("A change is withheld (c) when either month's count is withheld.")
    return Block(html=f'<div class="ehps-table-wrap ehps-sc-landscape">{table}{_notes_html(notes)}</div>',
                 text=caption)


# -- the scorecard -------------------------------------------------------------------------------------------
def rag_summary(d: Dashboard) -> Block:
    """The latest performance RAG rating of the 45 indicators: chart, table and sentence."""
    return scs.rag_summary(d.data)


def rag_counts(d: Dashboard) -> dict[str, int]:
    """Green, Amber, Red and not rated among the 45 indicators in the latest month."""
    return scs.rag_counts(d.data)


def scorecard_rows(d: Dashboard) -> pd.DataFrame:
    """"Scorecard - Kent" as printed (pure data): :func:`ehps_lib.papers.scs.scs_rows` with the
    council's IDs, and "-" for the rolling three months of a snapshot."""
    rows = scs.scs_rows(d.data)
    cat = d.data.catalogue
    rows["id"] = [cat[i].number for i in rows["indicator_id"]]
    snap = (rows["data_period"] == "SS").to_numpy()
    rows.loc[snap, "rolling3"] = NOT_APPLICABLE
    rows.loc[snap, "rolling3_html"] = NOT_APPLICABLE
    return rows


def scorecard_table(d: Dashboard) -> Block:
    """"Scorecard - Kent": the 45 indicators in the council's layout, in its sections."""
    rows = scorecard_rows(d)
    m = latest_month(d.period)
    head1 = ('<tr><th scope="col" rowspan="2">ID</th><th scope="col" rowspan="2">Indicators</th>'
             '<th scope="col" rowspan="2">Polarity</th><th scope="col" rowspan="2">Data Period</th>'
             f'<th scope="colgroup" colspan="4">Latest Result: {_e(_month_name(m))}</th>'
             f'<th scope="colgroup" colspan="2">1 month ago: {_e(_month_name(m.previous()))}</th>'
             f'<th scope="colgroup" colspan="2">1 year ago: {_e(_month_name(m.year_ago()))}</th>'
             '<th scope="col" rowspan="2">Short Term Performance: Rolling 3 months and RAG Status</th></tr>')
    fy = Period.parse(f"FY{m.financial_year_label}")
    target_head = f"Target for {fy.start:%y}/{fy.end:%y}"
    head2 = ('<tr><th scope="col">Latest Result and RAG Status</th><th scope="col">Num</th>'
             f'<th scope="col">Denom</th><th scope="col">{_e(target_head)}</th>'
             '<th scope="col">Result</th><th scope="col">DoT</th>'
             '<th scope="col">Result</th><th scope="col">DoT</th></tr>')
    colgroups = ("<colgroup><col></colgroup>" * 4 + "<colgroup>" + "<col>" * 4 + "</colgroup>"
                 + ("<colgroup>" + "<col>" * 2 + "</colgroup>") * 2 + "<colgroup><col></colgroup>")
    bodies = []
    for group, part in rows.groupby("group", sort=False):
        trs = [f'<tr class="ehps-sc-section"><th scope="rowgroup" colspan="13">{_e(group)}</th></tr>']
        for r in part.itertuples(index=False):
            cells = [_e(r.polarity), _e(r.data_period), r.result_html,
                     f'<td data-ehps-count>{_e(r.numerator)}</td>', f'<td data-ehps-count>{_e(r.denominator)}</td>',
                     _e(r.target), _e(r.month_ago),
                     scs._dot_cell(r.direction_month_ago, r.polarity, r.result, r.month_ago), _e(r.year_ago),
                     scs._dot_cell(r.direction_year_ago, r.polarity, r.result, r.year_ago), r.rolling3_html]
            tds = "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in cells)
            trs.append(f'<tr><td class="ehps-sc-id">{r.id}.</td><th scope="row">{_e(r.title)}</th>{tds}</tr>')
        bodies.append(f"<tbody>{''.join(trs)}</tbody>")
    caption = (f"Scorecard - Kent, {_month_name(m)}: the 45 indicators' latest result and RAG rating, numerator, "
               "denominator and target, a month and a year earlier with the direction of travel, and the rolling "
               "three months")
    return scs.scorecard_block(caption, [head1, head2], bodies, colgroups, rows)


def scorecard_legend(d: Dashboard) -> Block:
    """The key: polarity and data period codes, RAG alerts, direction of travel arrows."""
    return scs.scorecard_legend(d.data)


# -- impact of UASC ------------------------------------------------------------------------------------------------
def uasc_indicators(d: Dashboard) -> list[tuple[Indicator, Indicator]]:
    """(indicator, its excluding-UASC cohort) for every scorecard row that has one, in order."""
    out = []
    for ind in d.data.catalogue.values():
        variant = next((c for c in d.catalogue.values() if c.variant_of == ind.id and c.data_period ==
                        ind.data_period and c.params.get("cohort") == "exc_uasc"), None)
        if variant is not None:
            out.append((ind, variant))
    return out


def _result(full: ScorecardData, ind: Indicator, m: Period, code: str) -> tuple[str, str, str | None]:
    """(text, html, rag) of a result cell with its RAG."""
    text = full.cell(ind.id, m, area_code=code)
    rag = _get(_row(full, ind.id, m, code), "rag")
    if rag and text not in (SUPPRESSED, NOT_AVAILABLE):
        return f"{text} {rag_text(rag)}", f'<span class="ehps-sc-value">{_e(text)}</span> {rag_badge(rag)}', rag
    return text, _e(text), None


def _has_cases(full: ScorecardData, ind: Indicator, m: Period, code: str) -> bool:
    """Whether an area has any case for the indicator (a withheld figure counts as some)."""
    row = _row(full, ind.id, m, code)
    if not row or bool(row.get("suppressed")):
        return bool(row)
    den = _get(row, "denominator")
    return ind.unit == "count" or (den is not None and float(den) > 0)


def _count(full: ScorecardData, ind: Indicator, m: Period, code: str, column: str) -> str:
    row = _row(full, ind.id, m, code)
    return scs._num_cell(row, column, ind)


def variance(with_uasc: float, without: float, unit: str, *, suppressed: bool = False) -> str:
    """The council's "Variance with UASC excluded": the result without UASC less the result with
    them, signed (points for a percentage).

    Examples
    --------
    >>> variance(13.05, 12.85, "%"), variance(71.18, 71.20, "%"), variance(35.0, 30.0, "count")
    ('-0.2%', '+0.0%', '-5')
    >>> variance(1.0, 2.0, "%", suppressed=True)
    'c'
    """
    if suppressed:
        return SUPPRESSED
    if with_uasc is None or without is None or pd.isna(with_uasc) or pd.isna(without):
        return NOT_AVAILABLE
    diff = float(without) - float(with_uasc)
    if unit == "%":
        return f"{diff:+.1f}%"
    if unit == "count":
        return f"{diff:+,.0f}"
    return f"{diff:+,.1f}"


def uasc_rows(d: Dashboard) -> pd.DataFrame:
    """The Impact of UASC page as printed (pure data): one row per indicator and area."""
    m = latest_month(d.period)
    full = d.full
    out = []
    for code in AREA_ORDER:
        name = KENT_NAME if code == KENT_CODE else SCS_AREA_CODES[code]
        for ind, exc in uasc_indicators(d):
            if code != KENT_CODE and not _has_cases(full, ind, m, code):
                continue  # e.g. care leavers, held by a county-wide service: no area has any
            inc_text, inc_html, inc_rag = _result(full, ind, m, code)
            exc_text, exc_html, exc_rag = _result(full, exc, m, code)
            sup = full.is_suppressed(ind.id, m, area_code=code) or full.is_suppressed(exc.id, m, area_code=code)
            out.append({
                "area_code": code, "area": name, "group": ind.group, "indicator_id": ind.id, "number": ind.number,
                "title": ind.title, "polarity": ind.polarity,
                "data_period": scs.PERIOD_CODES.get(ind.data_period, ind.data_period),
                "including": inc_text, "including_html": inc_html, "including_rag": inc_rag,
                "including_num": _count(full, ind, m, code, "numerator"),
                "including_den": _count(full, ind, m, code, "denominator"),
                "target": scs._target_cell(ind.target, ind.unit),
                "excluding": exc_text, "excluding_html": exc_html, "excluding_rag": exc_rag,
                "excluding_num": _count(full, exc, m, code, "numerator"),
                "excluding_den": _count(full, exc, m, code, "denominator"),
                "variance": variance(full.value(ind.id, m, area_code=code), full.value(exc.id, m, area_code=code),
                                     ind.unit, suppressed=sup),
            })
    return pd.DataFrame(out)


def uasc_table(d: Dashboard) -> Block:
    """"Scorecard - Impact of UASC": each indicator with and without UASC, by area, in sections
    ("CHILDREN IN CARE - KENT", ...), with the variance."""
    frame = uasc_rows(d)
    m = latest_month(d.period)
    fy = Period.parse(f"FY{m.financial_year_label}")
    head1 = ('<tr><th scope="col" rowspan="2">Indicators</th><th scope="col" rowspan="2">Polarity</th>'
             '<th scope="col" rowspan="2">Data Period</th><th scope="colgroup" colspan="4">INCLUDING UASC</th>'
             '<th scope="colgroup" colspan="3">EXCLUDING UASC</th>'
             '<th scope="col" rowspan="2">Variance with UASC excluded</th></tr>')
    head2 = ('<tr><th scope="col">Latest Result and RAG Status</th><th scope="col">Num</th>'
             f'<th scope="col">Denom</th><th scope="col">Target for {fy.start:%y}/{fy.end:%y}</th>'
             '<th scope="col">Latest Result and RAG Status</th><th scope="col">Num</th>'
             '<th scope="col">Denom</th></tr>')
    colgroups = ("<colgroup><col></colgroup>" * 3 + "<colgroup>" + "<col>" * 4 + "</colgroup>"
                 + "<colgroup>" + "<col>" * 3 + "</colgroup><colgroup><col></colgroup>")
    bodies = []
    for (area, group), part in frame.groupby(["area", "group"], sort=False):
        trs = [f'<tr class="ehps-sc-section"><th scope="rowgroup" colspan="11">{_e(group)} - '
               f'{_e(area.upper())}</th></tr>']
        for r in part.to_dict("records"):
            cells = (f"<td>{_e(r['polarity'])}</td><td>{_e(r['data_period'])}</td><td>{r['including_html']}</td>"
                     f"<td data-ehps-count>{_e(r['including_num'])}</td>"
                     f"<td data-ehps-count>{_e(r['including_den'])}</td><td>{_e(r['target'])}</td>"
                     f"<td>{r['excluding_html']}</td><td data-ehps-count>{_e(r['excluding_num'])}</td>"
                     f"<td data-ehps-count>{_e(r['excluding_den'])}</td><td>{_e(r['variance'])}</td>")
            trs.append(f'<tr><th scope="row">{_e(r["title"])}<span class="ehps-visually-hidden"> ({_e(area)})'
                       f"</span></th>{cells}</tr>")
        bodies.append(f"<tbody>{''.join(trs)}</tbody>")
    caption = (f"Scorecard - Impact of UASC, {_month_name(m)}: the indicators most affected by unaccompanied "
               "asylum-seeking children, including and excluding them, for Kent and its four areas")
    table = _html_table(caption, [head1, head2], "".join(bodies), "ehps-table ehps-sc-table ehps-scs-uasc",
                        colgroups)
    cells = [*frame["including"], *frame["excluding"], *frame["including_num"], *frame["including_den"],
             *frame["excluding_num"], *frame["excluding_den"], *frame["variance"]]
    notes = ["UASC: unaccompanied asylum-seeking children, the children recorded in the SSDA903 UASC table. The "
             "variance is the result excluding them less the result including them (percentage points for a "
             "percentage). Areas are rated against Kent's target."]
    notes += _cell_notes(cells)
    if SUPPRESSED in frame["variance"].tolist():
        notes.append("A variance is withheld (c) when either result is withheld.")
    return Block(html=f'<div class="ehps-table-wrap ehps-sc-landscape">{table}{_notes_html(notes)}</div>',
                 text=caption)


# -- exception reports and commentary ---------------------------------------------------------------------------
def red_indicators(d: Dashboard) -> list[Indicator]:
    """The scorecard's indicators rated Red in the latest month: each has an exception report."""
    return scs.red_indicators(d.data)


def exception_report(d: Dashboard, indicator_id: str, commentary: Commentary) -> Block:
    """One exception report in the council's layout (trend data, SPC chart of the monthly values,
    commentary, data notes)."""
    return scs.exception_report(d.full, indicator_id, commentary)


def exception_reports(d: Dashboard, commentary: Commentary) -> Block:
    """An exception report for each indicator rated Red, or a sentence saying there are none."""
    reds = red_indicators(d)
    m = latest_month(d.period)
    if not reds:
        text = f"No indicator is rated Red for {_month_name(m)}, so there are no exception reports."
        return Block(html=f'<p class="ehps-sc-none">{_e(text)}</p>', text=text)
    names = "; ".join(f"{ind.number}. {ind.title}" for ind in reds)
    where = (f", with the analysts' commentary from {commentary.path}" if commentary.found else
             f". No commentary file has been provided for {commentary.period.label} (expected: {commentary.path})")
    intro = (f"{len(reds)} indicator{' is' if len(reds) == 1 else 's are'} rated Red for {_month_name(m)}: {names}. "
             f"{'Its exception report follows' if len(reds) == 1 else 'An exception report for each follows'}"
             f"{where}.")
    parts = [f'<p class="ehps-sc-exceptions-intro">{_e(intro)}</p>', scs._note_html(commentary)]
    parts += [exception_report(d, ind.id, commentary).html for ind in reds]
    return Block(html=f'<div class="ehps-exceptions">{"".join(parts)}</div>', text=intro)


def amber_commentary(d: Dashboard, commentary: Commentary) -> Block:
    """The analysts' commentary on each indicator rated Amber, or a note that it is missing."""
    return scs.amber_commentary(d.data, commentary)


def definitions(d: Dashboard) -> Block:
    """The 45 indicators' definitions: wording, unit, data period, polarity, source, target and
    RAG bands, and notes (how each floor not printed by the council was chosen)."""
    return _definitions(d.data)


def headline(d: Dashboard) -> dict:
    """The figures the covering paper states (pure): the month, the number of measures and the
    RAG count of the latest month, and the Red indicators."""
    counts = rag_counts(d)
    m = latest_month(d.period)
    return {"month": _month_name(m), "measures": len(d.data.catalogue), "green": counts[stats.GREEN],
            "amber": counts[stats.AMBER], "red": counts[stats.RED], "not_rated": counts[scs.NOT_RATED],
            "red_indicators": [f"{i.number}. {i.title}" for i in red_indicators(d)]}


def value_text(d: Dashboard, indicator_id: str, area_code: str = KENT_CODE) -> str:
    """A published result as printed (``c`` when withheld)."""
    m = latest_month(d.period)
    ind = d.catalogue[indicator_id]
    return format_value(d.full.value(indicator_id, m, area_code=area_code), ind.unit) \
        if not d.full.is_suppressed(indicator_id, m, area_code=area_code) else SUPPRESSED


# -- paragraphs of the covering paper -------------------------------------------------------------------------
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def count_words(n: int) -> str:
    """A count as the council writes it in prose: words to nine, then figures.

    Examples
    --------
    >>> count_words(3), count_words(22), count_words(0)
    ('three', '22', 'none')
    """
    return "none" if n == 0 else NUMBER_WORDS.get(n, f"{n:,}")


class _Words:
    """A statement built piece by piece; every figure arrives with its claim
    (:class:`ehps_lib.papers.narrative.Claim`), as in the Early Help narrative."""

    def __init__(self, topic: str):
        self.topic, self.parts, self.claims, self.length = topic, [], [], 0

    def say(self, words: str) -> _Words:
        self.parts.append(words)
        self.length += len(words)
        return self

    def claim(self, text: str, **kw) -> _Words:
        start = self.length
        self.say(text)
        self.claims.append(narrative.Claim(text=text, start=start, end=self.length, **kw))
        return self

    def statement(self) -> narrative.Statement:
        return narrative.Statement(self.topic, "".join(self.parts), tuple(self.claims))


def _rag_sources(d: Dashboard, indicators: list[Indicator]) -> tuple:
    m = latest_month(d.period)
    return tuple(narrative.Source(i.id, KENT_CODE, m.label, field="rag") for i in indicators)


def paragraph_latest_results(d: Dashboard) -> narrative.Statement:
    """"The Specialist Children's Services performance dashboard includes latest available results
    which are for August 2016." (the covering paper's 2.2)"""
    m = latest_month(d.period)
    w = _Words("latest_results").say("The Specialist Children's Services performance dashboard includes latest "
                                     "available results which are for ")
    return w.claim(_month_name(m), kind="label", rule="period", ref=m.label).say(".").statement()


def paragraph_measures(d: Dashboard) -> narrative.Statement:
    """How many measures the scorecard holds, and its sections."""
    inds = list(d.data.catalogue.values())
    groups = list(dict.fromkeys(i.group for i in inds))
    w = _Words("measures").say("The SCS Scorecard holds ")
    w.claim(count_words(len(inds)), kind="derived", rule="count", value=len(inds), operation="count",
            ref="scorecard measures")
    w.say(" performance measures in ").claim(count_words(len(groups)), kind="derived", rule="count",
                                              value=len(groups), operation="count", ref="sections")
    return w.say(" sections: " + ", ".join(g.lower() for g in groups) + ".").statement()


def paragraph_rag_count(d: Dashboard) -> narrative.Statement:
    """"Performance for August 2016 shows 22 of the measures rated as Green, 20 as Amber and three as
    Red. Exception reporting against the three measures with a Red RAG rating is included within
    the Report attached as Appendix A." (3.2), from the published ratings."""
    m = latest_month(d.period)
    rows = scorecard_rows(d)
    by = {k: [d.data.catalogue[i] for i, r in zip(rows["indicator_id"], rows["rag"], strict=True)
              if (r or scs.NOT_RATED) == k] for k in scs.RAG_ORDER}
    w = _Words("rag_count").say("Performance for ").claim(_month_name(m), kind="label", rule="period", ref=m.label)
    w.say(" shows ")
    for colour, tail in ((stats.GREEN, " of the measures rated as Green, "),
                         (stats.AMBER, " as Amber and "), (stats.RED, " as Red.")):
        items = by[colour]
        w.claim(count_words(len(items)), kind="derived", rule="count", value=len(items), operation="rag_count",
                inputs=_rag_sources(d, items), ref=colour)
        w.say(tail)
    unrated = by[scs.NOT_RATED]
    if unrated:
        words = count_words(len(unrated))
        w.say(" ").claim(words[0].upper() + words[1:], kind="derived", rule="count", value=len(unrated),
                         operation="rag_count", inputs=_rag_sources(d, unrated), ref=scs.NOT_RATED)
        withheld = all(d.data.is_suppressed(i.id, m) for i in unrated)
        why = "withheld to protect confidentiality" if withheld else "withheld or not available"
        w.say(f" measure{'s are' if len(unrated) != 1 else ' is'} not rated: "
              f"{'their figures are' if len(unrated) != 1 else 'its figure is'} {why}.")
    reds = by[stats.RED]
    if reds:
        w.say(" Exception reporting against the ").claim(count_words(len(reds)), kind="derived", rule="count",
                                                         value=len(reds), operation="rag_count",
                                                         inputs=_rag_sources(d, reds), ref=stats.RED)
        w.say(f" measure{'s' if len(reds) != 1 else ''} with a Red RAG rating is included within the Report "
              "attached as Appendix A.")
    else:
        w.say(" No measure is rated Red, so there is no exception report.")
    return w.statement()


def paragraph_red_measures(d: Dashboard) -> narrative.Statement:
    """The measures rated Red, by ID and title."""
    reds = red_indicators(d)
    if not reds:
        return narrative.Statement("red_measures", "")
    w = _Words("red_measures").say(f"The measure{'s' if len(reds) != 1 else ''} rated Red "
                                   f"{'are' if len(reds) != 1 else 'is'}: ")
    for k, ind in enumerate(reds):
        if k:
            w.say("; " if k < len(reds) - 1 else "; and ")
        w.claim(f"{ind.number}. {ind.title}", kind="label", rule="title", ref=ind.id)
    return w.say(".").statement()


def paragraph_uasc_impact(d: Dashboard) -> narrative.Statement:
    """The "Impact of UASC" page in a sentence: how many of its measures change rating for Kent when
    unaccompanied asylum-seeking children are left out."""
    m = latest_month(d.period)
    pairs = uasc_indicators(d)
    if not pairs:
        return narrative.Statement("uasc_impact", "")
    changed = []
    for ind, exc in pairs:
        a = _get(_row(d.full, ind.id, m, KENT_CODE), "rag")
        b = _get(_row(d.full, exc.id, m, KENT_CODE), "rag")
        if a and b and a != b:
            changed.append(ind)
    w = _Words("uasc_impact").say("An additional page shows the impact on performance of the cohort of "
                                  "Unaccompanied Asylum Seeking Children (UASC): for Kent, leaving them out changes "
                                  "the rating of ")
    w.claim(count_words(len(changed)), kind="derived", rule="count", value=len(changed), operation="rag_changes",
            inputs=_rag_sources(d, changed), ref="UASC")
    w.say(" of the ").claim(count_words(len(pairs)), kind="derived", rule="count", value=len(pairs),
                            operation="count", ref="UASC page measures")
    return w.say(" measures shown.").statement()


#: The paragraphs the covering paper can generate (its details name them under ``generated:``).
PARAGRAPHS: dict[str, Callable[[Dashboard], narrative.Statement]] = {
    "latest_results": paragraph_latest_results, "measures": paragraph_measures, "rag_count": paragraph_rag_count,
    "red_measures": paragraph_red_measures, "uasc_impact": paragraph_uasc_impact,
}


def paragraph(d: Dashboard, name: str) -> narrative.Statement:
    """A generated paragraph of the covering paper by name (:data:`PARAGRAPHS`)."""
    return PARAGRAPHS[name](d)


# -- Appendix A: the dashboard in the covering paper ------------------------------------------------------------
def release_gaps(d: Dashboard, commentary: Commentary) -> list[str]:
    """What a release of the dashboard would need (pure): a commentary for each Red indicator, the
    owners on its exception reports, and no illustrative text among the commentaries it prints
    (:func:`ehps_lib.papers.scs.release_gaps`, over the 45 scorecard indicators)."""
    return scs.release_gaps(d.data, commentary)


PART_HEADINGS = ("SCS Activity", "Latest performance RAG rating", "Scorecard - Kent", "Key to the scorecard",
                 "Scorecard - Impact of UASC", "Commentary on Amber indicators", "Exception reports")


def dashboard_parts(d: Dashboard, commentary: Commentary) -> list[tuple[str, Block]]:
    """The dashboard's parts after its cover, as (heading, block), for the covering paper's Appendix A."""
    blocks = (activity_table(d), rag_summary(d), scorecard_table(d), scorecard_legend(d), uasc_table(d),
              amber_commentary(d, commentary), exception_reports(d, commentary))
    return list(zip(PART_HEADINGS, blocks, strict=True))


__all__ = ["Dashboard", "load_dashboard", "dashboard_from_results", "load_commentary", "cover", "about",
           "activity_units", "activity_rows", "activity_columns", "activity_table", "rag_summary", "rag_counts",
           "scorecard_rows", "scorecard_table", "scorecard_legend", "uasc_indicators", "uasc_rows", "uasc_table",
           "variance", "red_indicators", "exception_report", "exception_reports", "amber_commentary", "definitions",
           "headline", "value_text", "PRODUCT", "PARAGRAPHS", "paragraph", "count_words", "dashboard_parts",
           "PART_HEADINGS", "release_gaps"]
