"""Paper: the officers' drill-down, county → area → district → Early Help Unit
(``notebooks/drilldown.ipynb``). INTERNAL: never published in the site.

"The outcome tracker populates a comprehensive dashboard of all Early Help casework across the
county and can be populated and scrutinised at a county level through to area, district, unit and
practitioner level" (seed 004:2639-2641). This paper is that view for officers: the case measures
of Kent, each area, each district and each of its Early Help Units, computed by the same engine as
every other figure (the units by :func:`ehps_lib.indicators.engine.compute_unit_results`).

It shows unsuppressed counts, as a unit leader needs them, so it is registered in ``config.yml`` as
``audience: internal`` with its handling classification (OFFICIAL-SENSITIVE): the build writes it
to ``internal/<period>/``, never into ``site/``, and every page carries the classification. The
extract holds no practitioner identifier, so the drill-down stops at the unit, and says so.

Typical notebook use::

    from ehps_lib.papers import drilldown as paper
    dd = paper.load_drilldown("E10000016", "2016-17 Q4")
    paper.area_tables(dd)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ..config import load_settings
from ..data import io
from ..geography import KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from ..indicators import stats
from ..indicators.catalogue import ALL_AGES, Indicator, load_catalogue
from ..indicators.engine import UNIT_INDICATORS
from ..periods import Period
from .blocks import NOT_AVAILABLE, Block, _e, _html_table, _notes_html, format_value, heading_block
from .scorecard_data import ScorecardError

PRODUCT = "Early Help casework drill-down (officers only)"
#: The measures shown, in order (cases table measures: they exist by unit).
MEASURES = ("cases_open", "cases_open_20wk_pct", "cases_closed", "closed_positive_pct", "step_ups", "step_downs",
            "case_duration_weeks", "case_allocated_15d_pct")


@dataclass(frozen=True, eq=False)
class DrilldownData:
    """The period, the unsuppressed results of Kent, the areas and districts, and the units'."""

    period: Period
    results: pd.DataFrame  # unsuppressed, all ages
    units: pd.DataFrame
    meta: dict = field(default_factory=dict)
    catalogue: dict[str, Indicator] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return bool(self.meta.get("synthetic", False))


def drilldown_from(results: pd.DataFrame, units: pd.DataFrame, meta: dict, period: Period | str,
                   catalogue: dict[str, Indicator] | None = None) -> DrilldownData:
    """Build :class:`DrilldownData` from tables in memory (pure)."""
    p = Period.parse(period)
    res = results[(results["age_band"] == ALL_AGES) & results["indicator_id"].isin(MEASURES)]
    return DrilldownData(p, res.reset_index(drop=True), units[units["indicator_id"].isin(MEASURES)].reset_index(
        drop=True), dict(meta), catalogue or load_catalogue())


def load_drilldown(area_code: str, period: str) -> DrilldownData:
    """Read the period's unsuppressed results and units (``data/results/<period>/internal/``).

    Raises
    ------
    ScorecardError
        For an area other than Kent (the drill-down starts at the county).
    """
    from ..indicators.results import extract_date_of, resolve_period

    if area_code != KENT_CODE:
        raise ScorecardError(f"The drill-down starts at the county: make it for Kent ({KENT_CODE}).")
    p = (resolve_period("latest", extract_date_of(io.read_processed_manifest())) if str(period).lower() == "latest"
         else Period.parse(period))
    slug = io.results_slug_for(p)
    _published, meta = io.read_results(slug)
    return drilldown_from(io.read_internal_table(slug, "unsuppressed"), io.read_internal_table(slug, "units"), meta, p)


def classification() -> str:
    """The drill-down's handling classification, from its registration in ``config.yml``."""
    spec = load_settings().template("drilldown")
    return spec.classification or load_settings().classification


def drilldown_title(dd: DrilldownData) -> Block:
    """The heading, the handling notice (classification, officers only) and the synthetic banner."""
    marking = classification()
    head = heading_block("Kent", PRODUCT, dd.period.title, dd.meta.get("extract_date"), dd.synthetic)
    notice = (f"{marking}: for officers of Kent County Council managing Early Help casework. It shows figures "
              "that are not protected for publication (small counts, single units): do not publish, forward or "
              "copy it outside the service.")
    html = (f'<div class="ehps-internal-notice" role="note"><p><strong>{_e(marking)}</strong></p>'
            f"<p>{_e(notice)}</p></div>")
    return Block(html=head.html + html, text=f"{head.text}\n{marking}")


def _value(frame: pd.DataFrame, indicator_id: str, code: str, period: Period) -> float:
    sel = frame[(frame["indicator_id"] == indicator_id) & (frame["area_code"] == code)
                & (frame["period"] == period.label)]
    return float(sel["value"].iloc[0]) if len(sel) and pd.notna(sel["value"].iloc[0]) else math.nan


def _cell(dd: DrilldownData, frame: pd.DataFrame, indicator_id: str, code: str) -> str:
    return format_value(_value(frame, indicator_id, code, dd.period), dd.catalogue[indicator_id].unit)


def hierarchy_rows(dd: DrilldownData) -> pd.DataFrame:
    """Every level in order (pure data): Kent; then each area, its districts and each district's
    units. Columns: ``level`` (county, area, district, unit), ``code``, ``name``, ``parent`` and one
    printed value per measure, plus ``positive_rag`` (the units' and areas' RAG on the plan target)."""
    p = dd.period
    units = dd.units
    home = units.drop_duplicates("area_code").set_index("area_code")["district_code"]
    target = dd.catalogue["closed_positive_pct"]
    rows = []

    def add(level, code, name, parent, frame):
        rec = {"level": level, "code": code, "name": name, "parent": parent}
        for m in MEASURES:
            rec[m] = _cell(dd, frame, m, code)
        value = _value(frame, "closed_positive_pct", code, p)
        rec["positive_rag"] = stats.rag_status(value, target.target, target.floor, target.polarity)
        rows.append(rec)

    add("county", KENT_CODE, "Kent", "", dd.results)
    for area in SCS_AREA_CODES:
        add("area", area, area_name(area), KENT_CODE, dd.results)
        for district in districts_in(area):
            add("district", district, area_name(district, p.end), area, dd.results)
            for unit in sorted(home[home == district].index):
                add("unit", unit, unit, district, units)
    return pd.DataFrame(rows)


def _heading(ind: Indicator) -> str:
    return ind.title


def _table(dd: DrilldownData, frame: pd.DataFrame, caption: str) -> Block:
    columns = ["Area, district or unit", *(_heading(dd.catalogue[m]) for m in MEASURES), "Positive outcomes: RAG"]
    head = "<tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in columns) + "</tr>"
    trs = []
    for r in frame.to_dict("records"):
        indent = {"county": "", "area": "", "district": "↳ ", "unit": "  ↳ "}[r["level"]]
        label = f"{indent}{r['name']}"
        cells = [r[m] for m in MEASURES] + [r["positive_rag"] or "Not rated"]
        trs.append(f'<tr class="ehps-dd-{r["level"]}"><th scope="row">{_e(label)}</th>'
                   + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    notes = [f"Unsuppressed figures for officers; {NOT_AVAILABLE}: no cases to base a figure on.",
             "Units are placed in the district most of their cases are in; an area's and a district's figures count "
             "all their cases (a unit may hold a few from a neighbouring district)."]
    html = _html_table(caption, [head], f"<tbody>{''.join(trs)}</tbody>", "ehps-table ehps-dd-table")
    return Block(html=f'<div class="ehps-table-wrap">{html}{_notes_html(notes)}</div>',
                 text=caption)


def county_table(dd: DrilldownData) -> Block:
    """Kent and its four areas."""
    frame = hierarchy_rows(dd)
    return _table(dd, frame[frame["level"].isin(["county", "area"])],
                  f"Early Help casework, Kent and its areas, {dd.period.title}")


def area_tables(dd: DrilldownData) -> Block:
    """One table per area: the area, its districts and each district's Early Help Units."""
    frame = hierarchy_rows(dd)
    blocks = []
    for area in SCS_AREA_CODES:
        members = [area, *districts_in(area)]
        part = frame[(frame["code"] == area) | frame["parent"].isin(members) & (frame["level"] != "area")]
        blocks.append((area_name(area), _table(dd, part, f"{area_name(area)}: districts and Early Help Units, "
                                                         f"{dd.period.title}")))
    html = "".join(f'<h3 id="area-{_e(a.split()[0].lower())}">{_e(a)}</h3>{b.html}' for a, b in blocks)
    return Block(html=html, text="Areas, districts and units")


def attention(dd: DrilldownData) -> Block:
    """The units rated Red on cases closed with a positive outcome (below the plan's minimum standard),
    and those with the lowest share of open cases within the 20-week standard."""
    frame = hierarchy_rows(dd)
    units = frame[frame["level"] == "unit"]
    red = units[units["positive_rag"] == stats.RED]
    weeks = dd.units[(dd.units["indicator_id"] == "cases_open_20wk_pct") & (dd.units["period"] == dd.period.label)]
    low = weeks.dropna(subset=["value"]).nsmallest(5, "value")
    items_red = [f"{r['name']} ({area_name(r['parent'], dd.period.end)}): {r['closed_positive_pct']}"
                 for r in red.to_dict("records")]
    items_low = [f"{r.area_code} ({area_name(r.district_code, dd.period.end)}): {format_value(r.value, '%')}"
                 for r in low.itertuples()]
    target = dd.catalogue["closed_positive_pct"]
    parts = [f"<p>Units below the minimum standard for cases closed with a positive outcome "
             f"({format_value(target.floor, '%')}):</p>",
             "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items_red) + "</ul>" if items_red else "<p>None.</p>",
             "<p>The five units with the lowest share of open cases within the 20-week service standard:</p>",
             "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items_low) + "</ul>" if items_low else "<p>None.</p>"]
    return Block(html="".join(parts), text="Units to look at")


def practitioner_note(dd: DrilldownData) -> Block:
    text = ("The council's outcome tracker goes down to each practitioner (seed 004:2641). The extract holds no "
            "practitioner identifier, so this drill-down stops at the Early Help Unit.")
    return Block(html=f"<p>{_e(text)}</p>", text=text)


__all__ = ["DrilldownData", "MEASURES", "UNIT_INDICATORS", "area_tables", "attention", "classification",
           "county_table", "drilldown_from", "drilldown_title", "hierarchy_rows", "load_drilldown",
           "practitioner_note"]
