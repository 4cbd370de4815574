"""The EHPS scorecard's thematic sections (seed 001:115): Children's Centres, Youth Justice, NEETs,
school attendance and exclusions, and the wider picture of children in need, child protection,
children looked after, teenage conceptions and injuries.

Each section is made of what exists for it: figures from the case-system extract for Kent and each
district (published results, suppressed like every other), and real public figures for Kent beside
England and Kent's statistical neighbours at the latest year published by the end of
the paper's period, each with its source and the release of the file held. What no data held here
supports is said in plain words, never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..geography import KENT_CODE
from ..indicators import stats
from ..indicators.catalogue import Indicator
from .benchmarks import Benchmark, benchmark, district_values, not_available_words, source_line
from .blocks import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _cell_notes,
    _e,
    _html_table,
    _notes_html,
    format_value,
    rag_badge,
    rag_text,
)
from .breakdowns import areas
from .scorecard_data import ScorecardData, _get, _row, _unit_label, not_in_extract
from .sections import note_text


@dataclass(frozen=True)
class Theme:
    """A thematic section: what the extract gives by area, what public data give for Kent, and
    the measures the council named for which no data are held."""

    id: str
    heading: str
    intro: str
    case: tuple[str, ...] = ()
    public: tuple[str, ...] = ()
    public_by_district: tuple[str, ...] = ()
    not_held: tuple[str, ...] = ()


THEMES: dict[str, Theme] = {t.id: t for t in (
    Theme("childrens_centres", "Children's Centres",
          "How many of the youngest children notified to Early Help were already registered with a Children's "
          "Centre, from the extract's registration dates (e-Start). The council reported 552 of 789 children "
          "with notifications (70.0%) registered or worked with (seed 001:76-81).",
          case=("cc_reach_ehn_0_4",), not_held=("cc_ofsted_good_pct", "cc_poverty_registered_pct",
                                                "cc_priority_sustained_pct")),
    Theme("youth_justice", "Youth Justice",
          "First-time entrants, re-offending, custody and the caseload of the Youth Offending Service, from its "
          "records in the extract.",
          case=("yj_first_time_entrants", "cypf_first_time_entrants", "yj_reoffending_pct", "yj_custody_pct",
                "yj_caseload", "yj_cic_caseload")),
    Theme("neet", "Young people not in education, employment or training (NEET)",
          "From the Department for Education's NEET and participation scorecard for 16-17 year olds. The "
          "council's own monthly NEET report (16-18 year olds) is not held here.",
          public=("neet_pct", "cypf_neet_not_known"), not_held=("neet_vulnerable_count",)),
    Theme("attendance_exclusions", "School attendance and exclusions",
          "Exclusions notified to the PRU, Inclusion and Attendance Service (the extract), and the persistent "
          "absence of pupils who are children in need, on a plan or looked after (Department for Education).",
          case=("excl_fixed_primary", "excl_permanent_primary", "excl_fixed_secondary", "excl_permanent_secondary"),
          public=("pa_social_care_pupils",), not_held=("pa_primary_plan", "pa_secondary_plan", "cme_offered_30d_pct")),
    Theme("social_care", "Children in need, child protection and children in care",
          "Referrals to children's social care and the rates of children in need, on a child protection plan and "
          "looked after, from the Department for Education's annual statistics (years ending 31 March).",
          public=("scs_referrals", "scs_rereferral_pct", "cin_rate", "cypf_cp_rate", "cypf_cla_rate")),
    Theme("conceptions", "Teenage conceptions",
          "Conceptions to women under 18 per 1,000 women aged 15-17 (Office for National Statistics), for Kent, "
          "each district and England.",
          public=("cypf_teenage_conceptions",), public_by_district=("cypf_teenage_conceptions",)),
    Theme("injuries", "Hospital admissions for injuries",
          "Emergency admissions of children aged 0-14 caused by unintentional and deliberate injuries, per "
          "10,000 (Office for Health Improvement and Disparities).",
          public=("injury_admissions_0_14",)),
)}


# -- case data: Kent and the districts ----------------------------------------------------------------
def case_rows(data: ScorecardData, indicator_ids: tuple[str, ...]) -> pd.DataFrame:
    """Kent and the districts (rows) by indicator (columns), as printed, for the period (pure data)."""
    out = []
    for code, name in areas(data.period.end):
        rec = {"area_code": code, "area": name}
        for i in indicator_ids:
            rec[i] = data.cell(i, data.period, area_code=code)
            rec[f"{i}__rag"] = _get(_row(data, i, data.period, code), "rag")
        out.append(rec)
    return pd.DataFrame(out)


def case_table(data: ScorecardData, theme: Theme) -> Block:
    """The theme's case-data indicators for Kent and each district, with Kent's RAG beside each rated one."""
    inds = [data.catalogue[i] for i in theme.case if i in data.catalogue]
    frame = case_rows(data, tuple(i.id for i in inds))
    columns = ["Area"] + [f"{i.title} ({_unit_label(i)})" for i in inds]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs, shown = [], []
    for rec in frame.to_dict("records"):
        html = []
        for i in inds:
            value = rec[i.id]
            rated = i.has_target and (i.target_scope == "all" or rec["area_code"] == KENT_CODE)
            rag = rec[f"{i.id}__rag"] if rated else None
            html.append(f"<td>{_e(value)}" + (f" {rag_badge(rag)}" if rag else "") + "</td>")
            shown.append(value)
        trs.append(f'<tr><th scope="row">{_e(rec["area"])}</th>{"".join(html)}</tr>')
    caption = f"{theme.heading}, {data.period.title}: Kent and each district (from the case-system extract)"
    notes = [f"{i.title}: {note_text(i)}" for i in inds if i.notes]
    notes += [f"{i.title}: not available, because {why}." for i in inds if (why := not_in_extract(data, i))]
    notes += [n for n in _cell_notes(shown) if n.startswith((SUPPRESSED, NOT_AVAILABLE))]
    notes.append("Sources: " + "; ".join(sorted({i.source for i in inds})) + ".")
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-theme-case")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


# -- public data: Kent beside England and its statistical neighbours -----------------------------------
PUBLIC_COLUMNS = ["Indicator", "Year", "Kent", "England", "Statistical neighbours (mean)",
                  "Kent's rank among its neighbours", "Change since the year before", "RAG"]


def _subgroups(public: pd.DataFrame, indicator_id: str) -> list[str]:
    return sorted(public.loc[public["indicator_id"] == indicator_id, "subgroup"].fillna("").unique())


def public_rows(data: ScorecardData, public: pd.DataFrame, indicator_ids: tuple[str, ...]) -> list[tuple[
        Indicator, Benchmark]]:
    """The benchmark of each public indicator (and each of its subgroups) at the latest year up to
    the end of the period."""
    out = []
    for i in indicator_ids:
        ind = data.catalogue[i]
        for sub in _subgroups(public, i) or [""]:
            out.append((ind, benchmark(public, i, data.period.end, sub)))
    return out


def _rank_words(b: Benchmark, ind: Indicator) -> str:
    if b.rank is None:
        return NOT_APPLICABLE
    order = {"H": "highest = 1", "L": "lowest = 1"}.get(ind.polarity, "highest = 1, no judgement")
    return f"{stats.rank_label(b.rank, b.rank_of)} ({order})"


def _change_words(b: Benchmark, ind: Indicator) -> str:
    if b.previous_year is None:
        return NOT_APPLICABLE
    arrow = {"improved": "↑ improved", "worse": "↓ worse", "no change": "→ no change", "higher": "▲ higher",
             "lower": "▼ lower"}.get(b.direction, "")
    return f"{arrow} (from {format_value(b.previous, ind.unit)} in {b.previous_year})".strip()


def public_table(data: ScorecardData, public: pd.DataFrame, theme: Theme) -> Block:
    """The theme's public indicators: Kent, England, the statistical neighbours' mean, Kent's rank
    among them and the change since the year before, at the latest year published for a time up
    to the end of the period; a plain statement where the file holds no such year."""
    rows = public_rows(data, public, theme.public)
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in PUBLIC_COLUMNS) + "</tr>"
    trs, notes = [], []
    for ind, b in rows:
        label = ind.title + (f": {b.subgroup.lower()}" if b.subgroup else "")
        if not b.available:
            # the reason under the row's name (which stays in view on a phone), not in a cell spanning the row
            words = not_available_words(b, data.period)
            trs.append(f'<tr><th scope="row">{_e(label)}<span class="ehps-cypf-statement">{_e(words)}</span></th>'
                       + f"<td>{_e(NOT_APPLICABLE)}</td>" * (len(PUBLIC_COLUMNS) - 1) + "</tr>")
            continue
        nb = (format_value(b.neighbours_mean, ind.unit) + f" ({b.neighbours_n})" if b.neighbours_n
              else NOT_APPLICABLE)
        if ind.unit == "count":
            nb = NOT_APPLICABLE  # a count depends on the size of the council
        cells = [str(b.year), format_value(b.kent, ind.unit), format_value(b.england, ind.unit), nb,
                 _rank_words(b, ind), _change_words(b, ind)]
        trs.append(f'<tr><th scope="row">{_e(label)}</th>' + "".join(f"<td>{_e(c)}</td>" for c in cells)
                   + f"<td>{rag_badge(b.rag) if b.rag else _e(NOT_APPLICABLE)}</td></tr>")
        if b.published_comparison:
            notes.append(f"{ind.title}: the publisher compares Kent with England as {b.published_comparison} "
                         f"({b.year}, 95% confidence intervals).")
    for ind in {i.id: i for i, _ in rows}.values():
        notes.append(f"{ind.title}. {source_line(ind)}" + (f" {note_text(ind)}" if ind.notes else ""))
    notes.append(f"{NOT_APPLICABLE}: not published for this year or this kind of figure (counts are not compared "
                 "across councils); the number of statistical neighbours with a figure is in brackets.")
    caption = (f"{theme.heading}: Kent beside England and its statistical neighbours (DfE 2025 model), latest "
               f"year published by {data.period.end:%d %B %Y}")
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-theme-public")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def public_district_table(data: ScorecardData, public: pd.DataFrame, indicator_id: str) -> Block:
    """A public indicator published by district: each district's figure, rank and comparison with
    Kent at the latest year up to the end of the period."""
    ind = data.catalogue[indicator_id]
    b = benchmark(public, indicator_id, data.period.end)
    if not b.available:
        words = f"{ind.title}: {not_available_words(b, data.period)}"
        return Block(html=f"<p>{_e(words)}</p>", text=words)
    frame = district_values(public, indicator_id, b.year)
    columns = ["District", ind.title, "Rank amongst districts", "Compared with Kent", "RAG", "Reliability"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs = []
    n_ranked = int(frame["rank"].notna().sum())
    for code, name in areas(data.period.end)[1:]:
        rec = frame[frame["area_code"] == code].iloc[0]
        rank = stats.rank_label(rec["rank"], n_ranked) if pd.notna(rec["rank"]) else NOT_APPLICABLE
        rag = rec["rag"] if isinstance(rec["rag"], str) else None
        flag = "low (3 to 19 conceptions)" if rec.get("flag") == "u" else ""
        cells = [format_value(rec["value"], ind.unit), rank, str(rec["compared_with_kent"]).capitalize(),
                 rag_text(rag), flag]
        trs.append(f'<tr><th scope="row">{_e(name)}</th><td>{_e(cells[0])}</td><td>{_e(rank)}</td>'
                   f"<td>{_e(cells[2])}</td><td>{rag_badge(rag)}</td><td>{_e(flag)}</td></tr>")
    caption = f"{ind.title} by district, {b.year} (Kent {format_value(b.kent, ind.unit)})"
    notes = [source_line(ind), "Rank 1 is the lowest rate; the comparison with Kent uses the district's 95% "
             "confidence interval (Byar's method)."]
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-theme-districts")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def not_held_block(data: ScorecardData, theme: Theme) -> Block | None:
    """The measures the council named for the theme that no data held here support, and why."""
    inds = [data.catalogue[i] for i in theme.not_held if i in data.catalogue]
    if not inds:
        return None
    items = [f"{i.title}: {note_text(i)}" for i in inds]
    html = ('<div class="ehps-theme-not-held"><p>Named by the council, no data held here:</p><ul>'
            + "".join(f"<li>{_e(t)}</li>" for t in items) + "</ul></div>")
    return Block(html=html, text="Measures with no data held")


def theme_section(data: ScorecardData, public: pd.DataFrame, theme_id: str, heading_level: int = 3) -> Block:
    """One thematic section: heading, what it shows, the case-data table, the public table (and the
    district table where published), and the measures with no data held."""
    theme = THEMES[theme_id]
    parts = [f'<h{heading_level} id="theme-{theme.id}">{_e(theme.heading)}</h{heading_level}>',
             f"<p>{_e(theme.intro)}</p>"]
    blocks = []
    if theme.case:
        blocks.append(case_table(data, theme))
    if theme.public:
        blocks.append(public_table(data, public, theme))
    for i in theme.public_by_district:
        blocks.append(public_district_table(data, public, i))
    held = not_held_block(data, theme)
    if held is not None:
        blocks.append(held)
    for b in blocks:
        parts.append(b.html)
    return Block(html=f'<section class="ehps-theme">{"".join(parts)}</section>', text=theme.heading)


def theme_sections(data: ScorecardData, public: pd.DataFrame, heading_level: int = 3) -> Block:
    """Every thematic section, in the council's order (Children's Centres, Youth Justice, NEETs,
    attendance and exclusions), then the wider picture."""
    blocks = [theme_section(data, public, t, heading_level) for t in THEMES]
    return Block(html="".join(b.html for b in blocks), text="Thematic sections")


__all__ = ["THEMES", "Theme", "case_rows", "case_table", "not_held_block", "public_district_table",
           "public_rows", "public_table", "theme_section", "theme_sections"]
