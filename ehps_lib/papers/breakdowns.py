"""A measure broken down: by age band for Kent and each district, and by population group.

The EHPS scorecard gives "a breakdown by age of reach and outputs for the County as a whole and
each district" (seed 001:112-113): :func:`age_area_table` is one measure, Kent and the 12
districts as rows, the age bands 0-4, 5-10, 11-15, 16+ and the total as columns, with the
total's RAG where the council set a target. Districts' age bands and population groups are
published for quarters and longer windows; a single month's table shows Kent and the four SCS
areas by age and each district's total. The CYPF names population groups (seed
004:1817-1834): :func:`group_table` shows the measures for each group the extract flags.

Every figure is a published result (:class:`~ehps_lib.papers.scorecard_data.ScorecardData`):
a withheld count is ``c`` here as everywhere; nothing is added up or derived in the paper.
"""

from __future__ import annotations

import pandas as pd

from ..config import load_settings
from ..data.contract import POPULATION_GROUPS
from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name
from ..indicators import stats
from ..indicators.catalogue import ALL_AGES, GROUP_SEPARATOR, UNKNOWN_AGE, Indicator
from ..periods import Period
from .blocks import (
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    _cell_notes,
    _e,
    _html_table,
    _notes_html,
    rag_badge,
    rag_text,
)
from .scorecard_data import ScorecardData, _get, _row, _unit_label
from .sections import rag_bands_text

#: Column heading of records whose age falls in no band.
UNKNOWN_AGE_HEADING = "Age not known"
NOT_RATED_COUNTY = "Not rated (Kent target)"

#: The measures shown for each population group.
GROUP_MEASURES = ("ehn_received", "cases_open", "cases_closed", "closed_positive_pct")


def areas(on) -> list[tuple[str, str]]:
    """Kent then the 12 districts, named as they were on ``on``."""
    return [(KENT_CODE, "Kent")] + [(code, area_name(code, on)) for code in DISTRICTS]


def breakdown_areas(p: Period) -> list[tuple[str, str]]:
    """The rows of a breakdown table: Kent and the districts; for a single month, the four SCS
    areas after Kent too, since districts' age bands and population groups are published for
    quarters only (:func:`ehps_lib.indicators.engine.district_breakdown_month`)."""
    rows = areas(p.end)
    if p.kind == "month":
        rows = rows[:1] + [(code, area_name(code, p.end)) for code in SCS_AREA_CODES] + rows[1:]
    return rows


def _quarters_only(p: Period, code: str) -> bool:
    """Whether a district's breakdown is not published for this period (a single month)."""
    return p.kind == "month" and code in DISTRICTS


#: Printed in a district's breakdown cells for a single month.
QUARTERS_ONLY = NOT_APPLICABLE
QUARTERS_ONLY_NOTE = (f"{QUARTERS_ONLY} in a district's row: a district's figures by {{what}} are published for "
                      "quarters, not single months (a month's count split this way is mostly small numbers that "
                      "would have to be withheld); see the quarter's edition. Kent's and the four areas' are "
                      "monthly.")


def band_ids() -> list[str]:
    """The configured age bands (``config.yml``), youngest first."""
    return [b.id for b in load_settings().age_bands]


def _band_heading(band: str) -> str:
    return f"Aged {band}" if band != ALL_AGES else "All ages"


def _rag_cell(data: ScorecardData, ind: Indicator, code: str, period: Period) -> tuple[str, str]:
    """(text, html) of the all-ages RAG of an area; Kent-only targets leave districts unrated."""
    if not ind.has_target:
        return "", ""
    if ind.target_scope == "county" and code != KENT_CODE:
        return NOT_RATED_COUNTY, f'<span class="ehps-rag ehps-rag-none">{_e(NOT_RATED_COUNTY)}</span>'
    rag = _get(_row(data, ind.id, period, code), "rag")
    return rag_text(rag), rag_badge(rag)


def age_area_rows(data: ScorecardData, indicator_id: str, period: Period | None = None) -> pd.DataFrame:
    """One row per area (Kent, then the districts; for a month, the SCS areas after Kent): the
    printed value for each age band, the records whose age is unknown, all ages, and the
    all-ages RAG (pure data). A district's age bands for a single month are
    :data:`QUARTERS_ONLY` (published for quarters only).

    Columns: ``area_code``, ``area``, one per band id, ``unknown``, ``all``, ``rag`` and
    ``rag_html``. Only indicators computed by age band have band columns.
    """
    p = period or data.period
    ind = data.catalogue[indicator_id]
    bands = band_ids() if ind.age_bands else []
    out = []
    for code, name in breakdown_areas(p):
        rec = {"area_code": code, "area": name}
        monthly_district = _quarters_only(p, code)
        for band in bands:
            rec[band] = QUARTERS_ONLY if monthly_district else data.cell(indicator_id, p, area_code=code,
                                                                         age_band=band)
        rec["unknown"] = (NOT_AVAILABLE if not ind.age_bands else QUARTERS_ONLY if monthly_district
                          else data.cell(indicator_id, p, area_code=code, age_band=UNKNOWN_AGE))
        rec[ALL_AGES] = data.cell(indicator_id, p, area_code=code)
        rec["rag"], rec["rag_html"] = _rag_cell(data, ind, code, p)
        out.append(rec)
    return pd.DataFrame(out)


def _show_unknown(frame: pd.DataFrame) -> bool:
    """The unknown-age column is shown when any area has such records (or they are withheld)."""
    return bool((~frame["unknown"].isin([NOT_AVAILABLE, QUARTERS_ONLY, "0", "0.0%"])).any())


def age_area_table(data: ScorecardData, indicator_id: str, period: Period | None = None,
                   heading_level: int | None = 3) -> Block:
    """One measure by age band (columns) for Kent and each district (rows), with the all-ages RAG
    where the council set a target; an accessible table with a caption, notes and its target."""
    p = period or data.period
    ind = data.catalogue[indicator_id]
    frame = age_area_rows(data, indicator_id, p)
    bands = band_ids() if ind.age_bands else []
    show_unknown = ind.age_bands and _show_unknown(frame)
    columns = ["Area", *(_band_heading(b) for b in bands), *([UNKNOWN_AGE_HEADING] if show_unknown else []),
               "All ages"] + (["RAG (all ages)"] if ind.has_target else [])
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs, shown = [], []
    for rec in frame.to_dict("records"):
        cells = [rec[b] for b in bands] + ([rec["unknown"]] if show_unknown else []) + [rec[ALL_AGES]]
        shown += cells
        cls = ' class="ehps-bd-kent"' if rec["area_code"] == KENT_CODE else ""
        rag_html = f"<td>{rec['rag_html']}</td>" if ind.has_target else ""
        trs.append(f'<tr{cls}><th scope="row">{_e(rec["area"])}</th>'
                   + "".join(f"<td>{_e(c)}</td>" for c in cells) + rag_html + "</tr>")
    unit = _unit_label(ind)
    # no unit repeated when the title already ends with it ("Average duration of closed cases (weeks)")
    title = ind.title if ind.title.endswith(")") else f"{ind.title} ({unit})"
    where = "Kent, its four areas and each district" if p.kind == "month" else "Kent and each district"
    caption = f"{title}, {p.title}: {where}" + (", by age" if ind.age_bands else "")
    notes = []
    if ind.age_bands:
        notes.append(f"Age on the day counted: {_age_basis(ind)}.")
        if p.kind == "month":
            notes.append(QUARTERS_ONLY_NOTE.format(what="age"))
    if ind.has_target:
        notes.append(rag_bands_text(ind) + ("; the target is Kent's, so districts are not rated against it."
                                            if ind.target_scope == "county" else "."))
    notes += [n for n in _cell_notes(shown) if not n.startswith("-")]
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-bd-table")
    title = f"<h{heading_level}>{_e(ind.title)}</h{heading_level}>" if heading_level else ""
    return Block(html=f'{title}<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def _age_basis(ind: Indicator) -> str:
    if ind.data_period == "SS":
        return "the last day of the period (snapshot)"
    method = ind.method or ""
    if method in ("open_within_weeks_share",):
        return "the last day of the period"
    date = ind.params.get("date", "end_date" if method == "duration_average" else "")
    words = {"date_received": "the day the notification was received", "start_date": "the day the case opened",
             "end_date": "the day the case closed"}
    return words.get(date, "the day of the record")


# -- population groups ---------------------------------------------------------------------------------
def group_available(data: ScorecardData, group: str) -> bool:
    """Whether the extract held the group's flag (``meta['extract_tables']``; older results: assumed)."""
    held = (data.meta.get("extract_tables") or {}).get("children")
    return held is None or group in held


def group_rows(data: ScorecardData, area_code: str = KENT_CODE, period: Period | None = None,
               measures: tuple[str, ...] = GROUP_MEASURES) -> pd.DataFrame:
    """For each population group (then all children): the printed value of each measure in the
    area and period (pure data). Columns: ``group``, ``label``, ``available`` and one per measure."""
    p = period or data.period
    rows = []
    for group, label in POPULATION_GROUPS.items():
        available = group_available(data, group)
        rec = {"group": group, "label": label, "available": available}
        for m in measures:
            rec[m] = (data.cell(f"{m}{GROUP_SEPARATOR}{group}", p, area_code=area_code) if available
                      else NOT_AVAILABLE)
        rows.append(rec)
    rows.append({"group": ALL_AGES, "label": "All children", "available": True,
                 **{m: data.cell(m, p, area_code=area_code) for m in measures}})
    return pd.DataFrame(rows)


def _measure_heading(ind: Indicator) -> str:
    return f"{ind.title} ({_unit_label(ind)})"


def group_table(data: ScorecardData, area_code: str = KENT_CODE, period: Period | None = None,
                measures: tuple[str, ...] = GROUP_MEASURES) -> Block:
    """The measures for each population group the extract flags (rows) in one area, beside all
    children; withheld counts are ``c``. Groups the extract does not flag are said so."""
    p = period or data.period
    frame = group_rows(data, area_code, p, measures)
    name = area_name(area_code, p.end)
    columns = ["Population group", *(_measure_heading(data.catalogue[m]) for m in measures)]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs, shown = [], []
    for rec in frame.to_dict("records"):
        cells = [rec[m] for m in measures]
        shown += cells
        trs.append(f'<tr><th scope="row">{_e(rec["label"])}</th>' + "".join(f"<td>{_e(c)}</td>" for c in cells)
                   + "</tr>")
    caption = f"Early Help measures by population group, {name}, {p.title}"
    missing = frame[~frame["available"]]["label"].tolist()
    notes = ["Groups as flagged on the child's record in the extract; a child can be in more than one group, so "
             "the groups do not add up to all children. Care leavers are a CYPF population group too, but the "
             "extract holds no care-leaver flag."]
    if missing:
        notes.append(f"{NOT_AVAILABLE} for {', '.join(missing)}: the extract does not flag this group.")
    notes += [n for n in _cell_notes(shown) if n.startswith(SUPPRESSED)]
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-bd-groups")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def group_area_table(data: ScorecardData, measure: str = "ehn_received", period: Period | None = None) -> Block:
    """One measure for each population group (columns) in Kent and each district (rows)."""
    p = period or data.period
    ind = data.catalogue[measure]
    groups = [g for g in POPULATION_GROUPS if group_available(data, g)]
    columns = ["Area", *(POPULATION_GROUPS[g] for g in groups), "All children"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs, shown = [], []
    for code, name in breakdown_areas(p):
        cells = [QUARTERS_ONLY if _quarters_only(p, code) else
                 data.cell(f"{measure}{GROUP_SEPARATOR}{g}", p, area_code=code) for g in groups]
        cells.append(data.cell(measure, p, area_code=code))
        shown += cells
        trs.append(f'<tr><th scope="row">{_e(name)}</th>' + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    where = "Kent, its four areas and each district" if p.kind == "month" else "Kent and each district"
    caption = f"{ind.title} by population group, {where}, {p.title}"
    notes = ["A child can be in more than one group."] + [n for n in _cell_notes(shown) if n.startswith(SUPPRESSED)]
    if p.kind == "month" and groups:
        notes.append(QUARTERS_ONLY_NOTE.format(what="population group"))
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-bd-groups")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def rated_count(data: ScorecardData, period: Period | None = None) -> dict[str, int]:
    """Kent's RAG count over the indicators with a published target computed for the period."""
    p = period or data.period
    out = {stats.GREEN: 0, stats.AMBER: 0, stats.RED: 0}
    for ind in data.indicators:
        rag = _get(_row(data, ind.id, p, KENT_CODE), "rag")
        if ind.has_target and rag in out:
            out[rag] += 1
    return out


__all__ = ["QUARTERS_ONLY", "age_area_rows", "age_area_table", "areas", "band_ids", "breakdown_areas",
           "group_area_table", "group_available", "group_rows", "group_table", "rated_count"]
