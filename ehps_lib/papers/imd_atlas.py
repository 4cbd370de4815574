"""Paper: the deprivation and Early Help needs atlas (``notebooks/imd_atlas.ipynb``), Kent.

The maps, profile and gradient it shares with the district dashboards are in
:mod:`ehps_lib.papers.needs`.

:func:`load_atlas` reads what a paper may read: the published indicator results, the
published deprivation gradient (``deprivation.parquet``, see :mod:`ehps_lib.indicators.deprivation`)
and public reference data (the IMD edition and ONS populations published by the end of the period, LSOA 2011
boundaries). Every other
function is pure and returns a :class:`ehps_lib.papers.blocks.Block`.

Each map and chart is an accessible ``<figure>``: the image with generated alt text saying
what it shows, a caption naming the measure, period and vintages, the attribution the
reference data require, and the same figures as a table inside ``<details>``.

Typical notebook use::

    from ehps_lib.papers import imd_atlas as paper
    needs = paper.load_atlas("E10000016", "latest")
    paper.imd_map(needs)
    paper.gradient_chart(needs, "ehn_rate")

For a district the maps zoom to the district and the gradient is by national quintile,
beside Kent's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import load_settings
from ..data import reference
from ..geography import DISTRICTS, KENT_CODE, area_name, districts_in
from ..indicators import deprivation as dep
from ..indicators.catalogue import ALL_AGES, Indicator
from . import maps
from .blocks import NOT_AVAILABLE, SUPPRESSED, Block, _table_html, format_value, heading_block
from .needs import (
    NEED_INDICATOR,
    NO_LSOAS,
    AtlasData,
    _area_phrase,
    _e,
    _figure,
    _focus,
    _gradient_sentence,
    _imd_attribution,
    _indicator,
    _layers,
    _names_counts,
    _scroll_region,
    _subject,
    _unavailable_text,
    _unit_heading,
    _value_text,
    _vintage,
    _window_words,
    from_scorecard,
    gradient_chart,
    gradient_rows,
    imd_label,
    imd_map,
    inequality_row,
    profile_table,
)
from .scorecard_data import load_scorecard

ATLAS_TITLE = "Deprivation and Early Help needs atlas"

ATTRIBUTION_CASES = "Early Help Module (LiquidLogic EHM) extract, Kent County Council."


def load_atlas(area_code: str, period: str) -> AtlasData:
    """Read the results of ``period`` (``"latest"`` or a label), the published gradient and the
    public deprivation data, for Kent, a district or an SCS area.

    Raises
    ------
    ScorecardError
        For an unknown area or period, or an area the results do not hold.
    FileNotFoundError
        When the results or the reference data are missing (the message says what to run).
    """
    return from_scorecard(load_scorecard(area_code, period))


# -- title and introduction ------------------------------------------------------------------------------
def title_block(a: AtlasData, title: str = ATLAS_TITLE) -> Block:
    """The paper's heading: area and title, period, extract date and the synthetic-data banner."""
    return heading_block(a.area_name, title, a.period.title, a.meta.get("extract_date"), a.synthetic)


def key_facts(a: AtlasData) -> Block:
    """A short list of what the atlas finds, generated from the data (deprivation and gradient)."""
    prof = a.profile.set_index("area_code")
    facts = []
    here = prof.loc[a.area_code] if a.area_code in prof.index else None
    if here is not None:
        n1, n = int(here["lsoas_quintile_1"]), int(here["lsoas"])
        facts.append(f"{n1:,} of {_area_phrase(a)} {n:,} neighbourhoods {'is' if n1 == 1 else 'are'} among the 20% "
                     f"most deprived in England; {format_value(here['pct_children_quintile_1'], '%')} of its "
                     "children aged 0-17 live in them.")
        if a.is_kent:
            worst = prof.drop(index=KENT_CODE).sort_values("rank_in_kent").head(3)
            facts.append("The most deprived districts, by population-weighted average rank, are "
                         + _join([a.district_name(c) for c in worst.index]) + ".")
        elif a.area_code in DISTRICTS:
            facts.append(f"{a.area_name} ranks {int(here['rank_in_kent'])} of Kent's 12 districts for deprivation "
                         "(1 = most deprived, by population-weighted average rank).")
    sentence = _gradient_sentence(a, NEED_INDICATOR)
    if sentence:
        facts.append(sentence)
    if not facts:
        facts.append(f"Key facts are given for Kent and each district; see the papers of {a.area_name}'s districts.")
    items = "".join(f"<li>{_e(f)}</li>" for f in facts)
    return Block(html=f'<ul class="ehps-atlas-facts">{items}</ul>', text="\n".join(facts))


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def about(a: AtlasData) -> Block:
    """What the Indices of Deprivation are and how this atlas uses them (vintages stated)."""
    paras = [
        f"The English Indices of Deprivation {imd_label(a).removeprefix('IMD ')} rank every small neighbourhood "
        "in England (Lower layer "
        "Super Output Areas, LSOAs, of about 1,500 residents) from the most deprived (rank 1) to the least "
        "deprived (rank 32,844), combining income, employment, education, health, crime, barriers to housing "
        "and services, and the living environment. A decile is a tenth of England's neighbourhoods: decile 1 "
        "holds the most deprived 10%. A quintile is a fifth: quintile 1 is the most deprived 20%.",
        f"Every map here uses {_vintage(a)}: the two are never mixed. Deciles are national, so a Kent "
        "neighbourhood in decile 1 is among the most deprived 10% in England, not in Kent.",
        "The Income Deprivation Affecting Children Index (IDACI) is the share of children aged 0 to 15 living "
        "in income-deprived families.",
    ]
    if a.gradient is not None:
        w = _window_words(a)
        k = load_settings().suppression_threshold
        paras.append(f"The deprivation gradient counts Early Help records over the 12 months to the end of the "
                     f"period ({w}) by the deprivation of the child's home neighbourhood. Counts from 1 to {k}, "
                     "and any figure from which one could be worked out, are withheld and shown as c.")
    html_ = "".join(f"<p>{_e(p)}</p>" for p in paras)
    return Block(html=f'<div class="ehps-atlas-about">{html_}</div>', text="\n".join(paras))


# -- IDACI map -----------------------------------------------------------------------------------------
def idaci_counts(a: AtlasData) -> pd.DataFrame:
    """Neighbourhoods in each IDACI band (highest first), by district of the area and the area."""
    rows = []
    codes = list(a.districts) + ([a.area_code] if len(a.districts) > 1 else [])
    for code in codes:
        part = a.lsoas[a.lsoas["district_code"].isin(districts_in(code))]
        cls = pd.Series(maps.idaci_class(part["idaci_score"])).value_counts()
        rows.append({"area_code": code, "area_name": area_name(code, a.on),
                     **{f"b{i}": int(cls.get(i, 0)) for i in range(1, len(maps.IDACI_CLASS_LABELS) + 1)},
                     "lsoas": len(part)})
    return pd.DataFrame(rows)


def idaci_map(a: AtlasData) -> Block:
    """Choropleth of IDACI by neighbourhood (share of children in income-deprived families); a
    note instead when the IMD edition of the period does not hold IDACI."""
    if a.lsoas["idaci_score"].isna().all():
        text = (f"No map: the income deprivation of children (IDACI) of {imd_label(a)}, the edition published by "
                f"{a.on.day} {a.on:%B %Y}, is not held in the reference data, and the IDACI of a later edition is "
                "not used for this period.")
        return Block(html=f'<p class="ehps-atlas-note">{_e(text)}</p>', markdown=text, text=text)
    layer, districts = _layers(a)
    focus = _focus(a)
    bounds = layer[layer["district_code"].isin(a.districts)].total_bounds
    fig = maps.choropleth_figure(layer, maps.idaci_class(layer["idaci_score"]), maps.IDACI_CLASS_LABELS, districts,
                                 legend_title="Children in income-deprived\nfamilies (IDACI 2019)", focus=focus,
                                 figsize=maps.figure_size_for(bounds, below=1.1))
    counts = idaci_counts(a)
    total = counts[counts["area_code"] == a.area_code].iloc[0]
    high = int(total["b1"]) + int(total["b2"])
    alt = (f"Map of {_area_phrase(a)} {int(total['lsoas']):,} neighbourhoods (LSOA 2011) shaded by the share of "
           "children aged 0-15 in income-deprived families (IDACI 2019), in five bands from under 10% (lightest) "
           f"to 40% or more (darkest). In {high:,} neighbourhoods 30% or more of children are income-deprived; "
           f"in {int(total[f'b{len(maps.IDACI_CLASS_LABELS)}']):,} fewer than 10% are.")
    others = counts[counts["area_code"] != a.area_code]
    if len(others) > 1:
        top = others.assign(high=others["b1"] + others["b2"]).sort_values(["high", "area_name"],
                                                                          ascending=[False, True]).head(3)
        alt += " Neighbourhoods with 30% or more are most numerous in " + _names_counts(
            list(zip(top["area_name"], top["high"], strict=True))) + "."
    columns = ["Area", *maps.IDACI_CLASS_LABELS, "All neighbourhoods"]
    rows = [(_e(r.area_name), [f"{getattr(r, f'b{i}'):,}" for i in range(1, len(maps.IDACI_CLASS_LABELS) + 1)]
             + [f"{r.lsoas:,}"]) for r in counts.itertuples(index=False)]
    table = _table_html(f"Neighbourhoods by share of children in income-deprived families (IDACI 2019), "
                        f"{a.area_name}", columns, rows)
    caption = (f"Children in income-deprived families by neighbourhood, {a.area_name}: IDACI score "
               f"({_vintage(a)}).")
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=_imd_attribution(a), table=table, raster=True)
    return Block(html=body, text=alt, svg=svg)


# -- need by district ------------------------------------------------------------------------------------
def need_rows(a: AtlasData, indicator_id: str = NEED_INDICATOR) -> pd.DataFrame:
    """The indicator (all ages) for each of the 12 districts and Kent in the period, from the
    published results: ``area_code, area_name, numerator, value, ci_lower, ci_upper,
    suppressed, rank, compared_with_kent``."""
    ind = _indicator(a, indicator_id)
    r = a.scorecard.results
    sel = r[(r["indicator_id"] == ind.id) & (r["period"] == a.period.label) & (r["age_band"] == ALL_AGES)
            & r["area_code"].isin([*DISTRICTS, KENT_CODE])]
    cols = ["area_code", "numerator", "value", "ci_lower", "ci_upper", "suppressed", "rank", "compared_with_kent"]
    sel = sel[[c for c in cols if c in sel.columns]].set_index("area_code").reindex([*DISTRICTS, KENT_CODE])
    for c in cols[1:]:
        if c not in sel.columns:
            sel[c] = np.nan
    sel["suppressed"] = sel["suppressed"].astype("boolean").fillna(False).astype(bool)
    sel.insert(0, "area_name", [area_name(c, a.on) for c in sel.index])
    return sel.rename_axis("area_code").reset_index()


def need_map(a: AtlasData, indicator_id: str = NEED_INDICATOR) -> Block:
    """The indicator for each district in the period as a map, each district labelled with its value."""
    ind = _indicator(a, indicator_id)
    rows = need_rows(a, indicator_id)
    districts_rows = rows[rows["area_code"] != KENT_CODE].reset_index(drop=True)
    _, districts = _layers(a)
    districts = districts.merge(districts_rows[["area_code", "value", "suppressed"]], left_on="district_code",
                                right_on="area_code", how="left")
    values = districts["value"].where(~districts["suppressed"].astype(bool))
    classes, ranges = maps.value_classes(values.to_numpy(float), k=4)
    labels = {c: f"{maps.SHORT_LINES.get(n, n)}\n{_value_text(v, s, ind.unit)}"
              for c, n, v, s in zip(districts["district_code"], districts["name"], districts["value"],
                                    districts["suppressed"].astype(bool), strict=True)}
    own = set() if a.is_kent else set(a.districts)
    fig = maps.district_value_figure(districts, classes, ranges, labels, legend_title=_legend_title(ind),
                                     value_format=lambda v: format_value(v, ind.unit), highlight=own,
                                     figsize=maps.figure_size_for(districts.total_bounds, below=0.9))
    kent = rows[rows["area_code"] == KENT_CODE].iloc[0]
    known = districts_rows[~districts_rows["suppressed"] & districts_rows["value"].notna()]
    alt = (f"Map of Kent's 12 districts shaded by {_subject(ind)}, {a.period.title}, in {len(ranges)} groups from "
           "lightest (lowest) to darkest (highest), each district labelled with its value"
           + ("." if not own else f"; {a.area_name} has a heavy outline."))
    if len(known):
        hi = known.sort_values(["value", "area_name"], ascending=[False, True]).head(3)
        lo = known.sort_values(["value", "area_name"], ascending=[True, True]).head(3)
        fmt = lambda df: _join([f"{n} ({format_value(v, ind.unit)})" for n, v in  # noqa: E731
                                zip(df["area_name"], df["value"], strict=True)])
        alt += f" Highest: {fmt(hi)}. Lowest: {fmt(lo)}."
    alt += f" Kent: {_value_text(kent['value'], bool(kent['suppressed']), ind.unit)}."
    columns = ["Area", _unit_heading(ind), "Count", "95% confidence interval"]
    table_rows = []
    for r in rows.itertuples(index=False):
        ci = (f"{format_value(r.ci_lower, ind.unit)} to {format_value(r.ci_upper, ind.unit)}"
              if not r.suppressed and pd.notna(r.ci_lower) else (SUPPRESSED if r.suppressed else NOT_AVAILABLE))
        count = SUPPRESSED if r.suppressed else format_value(r.numerator, "count")
        table_rows.append((_e(r.area_name), [_value_text(r.value, r.suppressed, ind.unit), count, ci]))
    table = _table_html(f"{ind.title} by district, {a.period.title}", columns, table_rows)
    caption = f"{ind.title}, by district, {a.period.title}. Source: {ind.source}."
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=[reference.ATTRIBUTION["boundaries"]],
                        table=table, raster=True)
    return Block(html=body, text=alt, svg=svg)


def _legend_title(ind: Indicator) -> str:
    if ind.is_rate:
        return f"{ind.unit[0].upper()}{ind.unit[1:]}".replace(" aged", "\naged")
    return ind.title


def gradient_summary(a: AtlasData, indicator_id: str = NEED_INDICATOR) -> Block:
    """One or two sentences comparing the most and least deprived groups (a paragraph)."""
    sentence = _gradient_sentence(a, indicator_id) or _unavailable_text(a)
    return Block(html=f'<p class="ehps-atlas-summary">{_e(sentence)}</p>', text=sentence)


def district_gradient_table(a: AtlasData, indicator_id: str = NEED_INDICATOR) -> Block:
    """The indicator by national quintile for every district (rows) and Kent: the gradient
    inside each district, side by side."""
    ind = _indicator(a, indicator_id)
    columns = (["Area"] + [dep.group_label(dep.QUINTILE, q).replace("Quintile ", "Q") for q in range(1, 6)]
               + ["SII (95% CI)", "RII (95% CI)"])
    rows_out = []
    any_sup = any_none = any_sii = False
    if a.gradient is None:
        text = _unavailable_text(a)
        return Block(html=f'<p class="ehps-atlas-note">{_e(text)}</p>', text=text)
    for code in [*DISTRICTS, KENT_CODE]:
        r = gradient_rows(a, indicator_id, code, dep.QUINTILE).set_index("group")
        cells = []
        for q in range(1, 6):
            if q not in r.index:
                cells.append(NOT_AVAILABLE)
                continue
            rec = r.loc[q]
            if rec["lsoas"] == 0:
                cells.append(NO_LSOAS)
                any_none = True
            else:
                cells.append(_value_text(rec["value"], bool(rec["suppressed"]), ind.unit))
                any_sup = any_sup or bool(rec["suppressed"])
        ineq = inequality_row(a, indicator_id, code, dep.QUINTILE)
        if ineq is None or pd.isna(ineq["sii"]):
            cells += [NOT_AVAILABLE, NOT_AVAILABLE]
        else:
            any_sii = True
            cells += [f"{ineq['sii']:,.1f} ({ineq['sii_lower']:,.1f} to {ineq['sii_upper']:,.1f})",
                      f"{ineq['rii']:,.2f} ({ineq['rii_lower']:,.2f} to {ineq['rii_upper']:,.2f})"]
        rows_out.append((_e(area_name(code, a.on)), cells))
    caption = (f"{ind.title} by national {imd_label(a)} quintile of the child's home neighbourhood (Q1 = most deprived "
               f"20% in England), each district and Kent, {_window_words(a)}")
    notes = [f"Unit: {ind.unit}."]
    if any_sup:
        notes.append(f"{SUPPRESSED}: withheld to protect confidentiality (a small number, or a figure from which "
                     "one could be worked out).")
    if any_none:
        notes.append(f"{NO_LSOAS}: the district has no neighbourhood in that quintile.")
    notes.append("SII: slope index of inequality, the modelled gap between the most and least deprived ends (most "
                 "minus least deprived, in the indicator's unit); RII: relative index, their ratio. As "
                 "PHEindicatormethods' phe_sii, from the published quintiles only, with 95% confidence intervals "
                 f"from simulation. {NOT_AVAILABLE}: not calculated, because a quintile is withheld or empty."
                 if any_sii or a.inequality is not None else
                 f"SII and RII: {NOT_AVAILABLE}, not published with this period's results.")
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, columns, rows_out)
    return Block(html=f'{_scroll_region(caption)}{table}{note}</div>', text=caption)


# -- sources ---------------------------------------------------------------------------------------------
def sources(a: AtlasData) -> Block:
    """The attribution every map and rate must print, and the vintages used."""
    items = [
        ("Indices of Deprivation", _imd_attribution(a)[0]),
        ("Boundaries", reference.ATTRIBUTION["boundaries"]),
        ("Population", reference.ATTRIBUTION["population"]),
        ("Early Help records", ATTRIBUTION_CASES + (" Synthetic extract: not real children's records."
                                                    if a.synthetic else "")),
        ("Vintages", f"{_vintage(a)}; district names as at {a.on.day} {a.on:%B %Y}."),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return Block(html=f'<dl class="ehps-atlas-sources">{dl}</dl>', text="Sources and attribution")


__all__ = [
    "gradient_chart", "imd_map", "profile_table", "load_atlas", "title_block", "key_facts", "about", "idaci_map",
    "idaci_counts", "need_map", "need_rows", "gradient_summary", "district_gradient_table", "sources", "ATLAS_TITLE"
]
