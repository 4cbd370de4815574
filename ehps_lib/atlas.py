"""The deprivation and Early Help needs atlas: blocks the ``imd_atlas`` and district papers display.

:func:`load_atlas` reads what a paper may read: the published indicator results, the
published deprivation gradient (``deprivation.parquet``, see :mod:`ehps_lib.deprivation`)
and public reference data (IMD 2019, LSOA 2011 boundaries, ONS populations). Every other
function is pure and returns a :class:`ehps_lib.report.Block`.

Each map and chart is an accessible ``<figure>``: the image with generated alt text saying
what it shows, a caption naming the measure, period and vintages, the attribution the
reference data require, and the same figures as a table inside ``<details>``.

Typical notebook use::

    from ehps_lib import atlas
    needs = atlas.load_atlas("E10000016", "latest")
    atlas.imd_map(needs)
    atlas.gradient_chart(needs, "ehn_rate")

For a district the maps zoom to the district and the gradient is by national quintile,
beside Kent's.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from . import deprivation as dep
from . import io, maps, reference
from .config import load_settings
from .geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from .indicators import ALL_AGES, Indicator
from .periods import Period
from .report import (
    NOT_AVAILABLE,
    SUPPRESSED,
    Block,
    ScorecardData,
    ScorecardError,
    _table_html,
    _table_markdown,
    figure_to_svg,
    format_value,
    heading_block,
    load_scorecard,
)

#: Published table of the deprivation gradient, beside ``indicators.parquet``.
GRADIENT_TABLE = "deprivation"
#: Default indicator mapped by district.
NEED_INDICATOR = "ehn_rate"
NO_LSOAS = "none"
ATLAS_TITLE = "Deprivation and Early Help needs atlas"

ATTRIBUTION_CASES = "Early Help Module (LiquidLogic EHM) extract, Kent County Council."


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- the data behind an atlas ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AtlasData:
    """Everything an atlas shows for one area and period.

    ``scorecard`` holds the area, the period, the published indicator results and their
    metadata; ``lsoas`` the neighbourhoods with IMD 2019 and child population
    (:func:`ehps_lib.deprivation.lsoa_deprivation`); ``gradient`` the published deprivation
    gradient, or None when the period's results were computed without it.
    """

    scorecard: ScorecardData
    lsoas: pd.DataFrame
    gradient: pd.DataFrame | None = None

    @property
    def area_code(self) -> str:
        return self.scorecard.area_code

    @property
    def area_name(self) -> str:
        return self.scorecard.area_name

    @property
    def period(self) -> Period:
        return self.scorecard.period

    @property
    def meta(self) -> dict:
        return self.scorecard.meta

    @property
    def synthetic(self) -> bool:
        return self.scorecard.synthetic

    @property
    def is_kent(self) -> bool:
        return self.area_code == KENT_CODE

    @property
    def districts(self) -> tuple[str, ...]:
        """District codes inside the area (all 12 for Kent)."""
        return districts_in(self.area_code)

    @property
    def on(self) -> dt.date:
        """The date names are given as of (the end of the period: Shepway before April 2018)."""
        return self.period.end

    def district_name(self, code: str) -> str:
        return area_name(code, self.on)

    @cached_property
    def area_lsoas(self) -> pd.DataFrame:
        """The neighbourhoods inside the area."""
        return self.lsoas[self.lsoas["district_code"].isin(self.districts)].reset_index(drop=True)

    @cached_property
    def profile(self) -> pd.DataFrame:
        """Deprivation profile of the 12 districts and Kent (:func:`deprivation.district_profile`)."""
        return dep.district_profile(self.lsoas, self.on)


def atlas_from(scorecard: ScorecardData, lsoas: pd.DataFrame, gradient: pd.DataFrame | None) -> AtlasData:
    """Build :class:`AtlasData` from tables already in memory (pure; used by tests)."""
    return AtlasData(scorecard=scorecard, lsoas=lsoas, gradient=gradient)


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


def from_scorecard(scorecard: ScorecardData) -> AtlasData:
    """The atlas data of a scorecard already loaded (:func:`ehps_lib.report.load_scorecard`):
    adds the period's published deprivation gradient (if any) and the public deprivation data.
    For papers that show the deprivation map and gradient among other things (the district
    dashboard)."""
    try:
        gradient = io.read_results_table(scorecard.period.slug, GRADIENT_TABLE)
    except FileNotFoundError:
        gradient = None
    return atlas_from(scorecard, dep.lsoa_deprivation(), gradient)


# -- shared pieces -------------------------------------------------------------------------------------
def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _png_svg(png: bytes, width: float, height: float) -> str:
    """A small SVG document showing a PNG (so Quarto's PDF formats, which use the SVG, get the map)."""
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}pt" height="{height:g}pt" '
            f'viewBox="0 0 {width:g} {height:g}"><image href="{uri}" width="{width:g}" height="{height:g}"/></svg>')


def _figure(fig, *, alt: str, caption: str, attribution: list[str], table: str, css: str = "",
            raster: bool = False) -> tuple[str, str]:
    """HTML of an accessible figure (image with alt text, caption with attribution, table
    equivalent in ``<details>``) and the SVG it shows. Maps (``raster``) are a quantised PNG."""
    w, h = fig.get_size_inches()
    if raster:
        png = maps.figure_to_png(fig)
        px_w, px_h = maps.png_size(png)
        w, h = px_w / maps.MAP_DPI, px_h / maps.MAP_DPI
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        svg = _png_svg(png, w * 72, h * 72)
    else:
        svg = figure_to_svg(fig)
        src = _svg_uri(svg)
    credits = "".join(f'<span class="ehps-attribution">{_e(a)}</span>' for a in attribution)
    body = (f'<figure class="ehps-figure ehps-atlas-figure{" " + css if css else ""}">'
            f'<img src="{src}" alt="{_e(alt)}" width="{round(w * 100)}" height="{round(h * 100)}">'
            f'<figcaption><span class="ehps-atlas-caption">{_e(caption)}</span>{credits}</figcaption>'
            '<details class="ehps-chart-data"><summary>Show the figures as a table</summary>'
            f"{table}</details></figure>")
    return body, svg


def _scroll_region(label: str, css: str = "") -> str:
    """Opening tag of a wide table's wrapper: it may scroll sideways on a narrow screen, so it is
    a labelled region that takes keyboard focus (WCAG 2.1.1; axe ``scrollable-region-focusable``)."""
    return (f'<div class="ehps-table-wrap{" " + css if css else ""}" role="region" tabindex="0" '
            f'aria-label="{_e(label)}">')


def _names_counts(pairs: list[tuple[str, int]]) -> str:
    """``"Thanet (29), Swale (22) and Shepway (15)"``."""
    parts = [f"{n} ({c:,})" for n, c in pairs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _imd_attribution() -> list[str]:
    return [reference.ATTRIBUTION["imd2019"], reference.ATTRIBUTION["boundaries"]]


def _vintage() -> str:
    return f"{dep.IMD_VINTAGE} on {dep.LSOA_VINTAGE} boundaries"


def _area_phrase(a: AtlasData) -> str:
    """"Kent's" / "Canterbury's"."""
    return f"{a.area_name}'s"


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
    return Block(html=f'<ul class="ehps-atlas-facts">{items}</ul>', markdown="\n".join(f"- {f}" for f in facts),
                 text="\n".join(facts))


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def about(a: AtlasData) -> Block:
    """What the Indices of Deprivation are and how this atlas uses them (vintages stated)."""
    paras = [
        "The English Indices of Deprivation 2019 rank every small neighbourhood in England (Lower layer "
        "Super Output Areas, LSOAs, of about 1,500 residents) from the most deprived (rank 1) to the least "
        "deprived (rank 32,844), combining income, employment, education, health, crime, barriers to housing "
        "and services, and the living environment. A decile is a tenth of England's neighbourhoods: decile 1 "
        "holds the most deprived 10%. A quintile is a fifth: quintile 1 is the most deprived 20%.",
        f"Every map here uses {_vintage()}: the two are never mixed. Deciles are national, so a Kent "
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
    return Block(html=f'<div class="ehps-atlas-about">{html_}</div>', markdown="\n\n".join(paras),
                 text="\n".join(paras))


def _window_words(a: AtlasData) -> str:
    g = a.gradient
    if g is None or g.empty:
        return ""
    start, end = pd.Timestamp(g["window_start"].iloc[0]), pd.Timestamp(g["window_end"].iloc[0])
    return f"{start:%B %Y} to {end:%B %Y}"


# -- IMD map -------------------------------------------------------------------------------------------
def _layers(a: AtlasData):
    layer = maps.lsoa_layer(a.lsoas, reference.lsoa_boundaries())
    names = {c: a.district_name(c) for c in DISTRICTS}
    districts = maps.district_layer(reference.district_boundaries(), names)
    return layer, districts


def _focus(a: AtlasData) -> set[str] | None:
    return None if a.is_kent else set(a.districts)


def imd_counts(a: AtlasData) -> pd.DataFrame:
    """Neighbourhoods (and children) by national quintile, for each district of the area and the area.

    Columns ``area_code, area_name, q1..q5`` (neighbourhoods in each quintile), ``d1``
    (neighbourhoods in decile 1), ``lsoas``, ``children_q1``.
    """
    rows = []
    codes = list(a.districts) + ([a.area_code] if len(a.districts) > 1 else [])
    for code in codes:
        members = districts_in(code)
        part = a.lsoas[a.lsoas["district_code"].isin(members)]
        q = part["imd_quintile"].value_counts().reindex(range(1, 6), fill_value=0)
        rows.append({"area_code": code, "area_name": area_name(code, a.on),
                     **{f"q{i}": int(q[i]) for i in range(1, 6)}, "d1": int((part["imd_decile"] == 1).sum()),
                     "lsoas": len(part), "children_q1": int(part.loc[part["imd_quintile"] == 1, "pop_0_17"].sum())})
    return pd.DataFrame(rows)


def imd_alt_text(a: AtlasData, counts: pd.DataFrame | None = None) -> str:
    """Alt text of the IMD map: what is shaded, how many neighbourhoods are most deprived, and where."""
    c = imd_counts(a) if counts is None else counts
    total = c[c["area_code"] == a.area_code].iloc[0]
    text = (f"Map of {_area_phrase(a)} {int(total['lsoas']):,} neighbourhoods (LSOA 2011) shaded by national "
            f"IMD 2019 quintile, from darkest (most deprived 20% in England) to lightest (least deprived 20%), "
            f"with district boundaries. {int(total['q1']):,} neighbourhoods are in the most deprived 20%, "
            f"{int(total['d1']):,} of them in the most deprived 10% (hatched); {int(total['q5']):,} are in the "
            "least deprived 20%.")
    districts = c[c["area_code"] != a.area_code] if len(c) > 1 else pd.DataFrame()
    if len(districts) > 1:
        most = districts.sort_values(["q1", "area_name"], ascending=[False, True]).head(3)
        least = districts.sort_values(["q1", "area_name"], ascending=[True, True]).head(3)
        text += (" Most of the most deprived neighbourhoods are in "
                 + _names_counts(list(zip(most["area_name"], most["q1"], strict=True)))
                 + "; fewest in " + _names_counts(list(zip(least["area_name"], least["q1"], strict=True))) + ".")
    return text


def imd_table(a: AtlasData, counts: pd.DataFrame | None = None) -> str:
    """HTML table equivalent of the IMD map: neighbourhoods by quintile for each district."""
    c = imd_counts(a) if counts is None else counts
    columns = ["Area", "Most deprived 20%", "21-40%", "41-60%", "61-80%", "Least deprived 20%",
               "Of which most deprived 10%", "All neighbourhoods"]
    rows = [(_e(r.area_name), [f"{getattr(r, f'q{i}'):,}" for i in range(1, 6)] + [f"{r.d1:,}", f"{r.lsoas:,}"])
            for r in c.itertuples(index=False)]
    return _table_html(f"Neighbourhoods (LSOA 2011) by national IMD 2019 quintile, {a.area_name}", columns, rows)


def imd_map(a: AtlasData) -> Block:
    """Choropleth of IMD 2019 by neighbourhood (national quintile; decile 1 hatched), with district
    outlines; for a district, zoomed to it with its neighbours in grey."""
    layer, districts = _layers(a)
    counts = imd_counts(a)
    focus = _focus(a)
    bounds = layer[layer["district_code"].isin(a.districts)].total_bounds
    fig = maps.choropleth_figure(layer, maps.imd_class(layer["imd_decile"]), maps.IMD_CLASS_LABELS, districts,
                                 legend_title="IMD 2019, national quintile", hatch=layer["imd_decile"] == 1,
                                 hatch_label=maps.DECILE_1_LABEL, focus=focus,
                                 figsize=maps.figure_size_for(bounds))
    alt = imd_alt_text(a, counts)
    caption = (f"Deprivation by neighbourhood, {a.area_name}: national quintile of the Index of Multiple "
               f"Deprivation ({_vintage()}).")
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=_imd_attribution(), table=imd_table(a, counts),
                        raster=True)
    return Block(html=body, text=alt, svg=svg)


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
    """Choropleth of IDACI 2019 by neighbourhood (share of children in income-deprived families)."""
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
               f"({_vintage()}).")
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=_imd_attribution(), table=table, raster=True)
    return Block(html=body, text=alt, svg=svg)


# -- district profile ------------------------------------------------------------------------------------
PROFILE_COLUMNS = ["Area", "Neighbourhoods", "In most deprived 20% in England", "Children aged 0-17",
                   "Children in most deprived 20%", "Children in income-deprived families (IDACI)",
                   "Deprivation rank in Kent (1 = most deprived)"]


def profile_rows(a: AtlasData, compact: bool | None = None) -> pd.DataFrame:
    """The profile rows shown: all 12 districts and Kent, or (compact, the default for a
    district) the area and Kent only."""
    compact = (not a.is_kent) if compact is None else compact
    prof = a.profile
    if compact:
        prof = prof[prof["area_code"].isin([*a.districts, KENT_CODE])]
    return prof.reset_index(drop=True)


def profile_table(a: AtlasData, compact: bool | None = None) -> Block:
    """Each district's deprivation profile (and Kent's) as a table, with a note on the method."""
    prof = profile_rows(a, compact)
    rows = []
    for r in prof.itertuples(index=False):
        name = _e(r.area_name) + (' <span class="ehps-atlas-this">(this area)</span>'
                                  if r.area_code == a.area_code and not a.is_kent else "")
        rank = NOT_AVAILABLE if pd.isna(r.rank_in_kent) else f"{int(r.rank_in_kent)} of 12"
        if r.area_code == KENT_CODE:
            rank = "Kent: all 12 districts"
        rows.append((name, [f"{r.lsoas:,}", f"{r.lsoas_quintile_1:,} ({format_value(r.pct_lsoas_quintile_1, '%')})",
                            f"{r.children:,}",
                            f"{r.children_quintile_1:,} ({format_value(r.pct_children_quintile_1, '%')})",
                            format_value(r.idaci_pct, "%"), rank]))
    caption = f"Deprivation profile of {'Kent and its districts' if len(prof) > 2 else a.area_name + ' and Kent'}"
    notes = [
        f"Neighbourhoods: LSOA 2011; deprivation: {dep.IMD_VINTAGE}, national quintiles. Children aged 0-17: ONS "
        f"small-area population estimate, mid-{_population_year(a)}.",
        "Income-deprived children: IDACI score of each neighbourhood weighted by its children aged 0-15 (mid-2015, "
        "the denominator of the Indices). Rank: population-weighted average of the neighbourhoods' national IMD "
        "ranks, ranked among Kent's 12 districts.",
    ]
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, PROFILE_COLUMNS, rows)
    md_rows = [(html.unescape(h.split(" <span")[0]), v) for h, v in rows]
    return Block(html=f'{_scroll_region(caption, "ehps-atlas-profile")}{table}{note}</div>',
                 markdown=_table_markdown(caption, PROFILE_COLUMNS, md_rows) + "".join(f"\n{n}\n" for n in notes),
                 text=caption)


def _population_year(a: AtlasData) -> str:
    years = a.lsoas["population_year"].dropna().unique() if "population_year" in a.lsoas else []
    return str(int(years[0])) if len(years) == 1 else "year not recorded"


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


def _indicator(a: AtlasData, indicator_id: str) -> Indicator:
    cat = a.scorecard.catalogue
    if indicator_id not in cat:
        raise ScorecardError(f"Unknown indicator {indicator_id!r}; known: {', '.join(sorted(cat))}")
    return cat[indicator_id]


def _value_text(value, suppressed: bool, unit: str) -> str:
    if suppressed:
        return SUPPRESSED
    return format_value(value, unit)


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


def _axis_label(ind: Indicator) -> str:
    """Short y-axis label: ``"Per 10,000 aged 0-17"``, ``"Percentage"``."""
    if ind.is_rate:
        return ind.unit.replace("rate per", "Per", 1).replace(" aged", "\naged")
    return _unit_heading(ind)


def _legend_title(ind: Indicator) -> str:
    if ind.is_rate:
        return f"{ind.unit[0].upper()}{ind.unit[1:]}".replace(" aged", "\naged")
    return ind.title


def _unit_heading(ind: Indicator) -> str:
    if ind.is_rate:
        return ind.unit[0].upper() + ind.unit[1:]
    if ind.is_percentage:
        return "Percentage"
    return "Number"


def _subject(ind: Indicator) -> str:
    t = ind.title
    return t if t.startswith("Early Help") else t[0].lower() + t[1:]


# -- the deprivation gradient --------------------------------------------------------------------------
def _gradient_grouping(a: AtlasData) -> str:
    return dep.DECILE if a.is_kent else dep.QUINTILE


def gradient_rows(a: AtlasData, indicator_id: str, area_code: str | None = None,
                  grouping: str | None = None) -> pd.DataFrame:
    """Published gradient rows of one indicator for an area (default: the atlas's), sorted by
    group (1 = most deprived). Empty when the gradient is not available."""
    if a.gradient is None:
        return pd.DataFrame(columns=dep.GRADIENT_COLUMNS)
    g = a.gradient
    sel = g[(g["indicator_id"] == indicator_id) & (g["area_code"] == (area_code or a.area_code))
            & (g["grouping"] == (grouping or _gradient_grouping(a)))]
    return sel.sort_values("group").reset_index(drop=True)


def gradient_ratio(rows: pd.DataFrame) -> tuple[int, int, float] | None:
    """(most deprived group, least deprived group, ratio of their values) using the most and
    least deprived groups that have neighbourhoods and a published, positive value; None if
    there are not two such groups.

    Examples
    --------
    >>> rows = pd.DataFrame({"group": [1, 2, 3], "lsoas": [3, 0, 4], "value": [30.0, 0.0, 10.0],
    ...                      "suppressed": [False, False, False]})
    >>> gradient_ratio(rows)
    (1, 3, 3.0)
    """
    ok = rows[(rows["lsoas"] > 0) & ~rows["suppressed"].astype(bool) & rows["value"].notna() & (rows["value"] > 0)]
    if len(ok) < 2:
        return None
    first, last = ok.iloc[0], ok.iloc[-1]
    return int(first["group"]), int(last["group"]), float(first["value"] / last["value"])


def _gradient_sentence(a: AtlasData, indicator_id: str) -> str:
    rows = gradient_rows(a, indicator_id)
    if rows.empty or indicator_id not in a.scorecard.catalogue:
        return ""
    ind = a.scorecard.catalogue[indicator_id]
    grouping = _gradient_grouping(a)
    word = "decile" if grouping == dep.DECILE else "quintile"
    ratio = gradient_ratio(rows)
    if ratio is None:
        return (f"In {_window_words(a)}, too few figures could be published to compare {_subject(ind)} across "
                f"deprivation {word}s in {a.area_name}.")
    g1, g2, r = ratio
    v1 = rows.loc[rows["group"] == g1, "value"].iloc[0]
    v2 = rows.loc[rows["group"] == g2, "value"].iloc[0]
    among = f"living in neighbourhoods among the {dep.share_label(grouping, g1)} in England ({word} {g1})"
    other = f"those in the {dep.share_label(grouping, g2)} ({word} {g2})"
    lead = f"From {_window_words(a)}, {_subject(ind)} were {format_value(v1, ind.unit)} for children in {a.area_name} "
    if ind.is_rate:
        return f"{lead}{among}: {r:,.1f} times the rate of {format_value(v2, ind.unit)} for {other}."
    return f"{lead}{among}, and {format_value(v2, ind.unit)} for {other}."


def gradient_summary(a: AtlasData, indicator_id: str = NEED_INDICATOR) -> Block:
    """One or two sentences comparing the most and least deprived groups (a paragraph)."""
    sentence = _gradient_sentence(a, indicator_id) or _unavailable_text(a)
    return Block(html=f'<p class="ehps-atlas-summary">{_e(sentence)}</p>', markdown=sentence, text=sentence)


def _unavailable_text(a: AtlasData) -> str:
    if a.area_code in SCS_AREA_CODES:
        return (f"The deprivation gradient is published for Kent and each district, not for {a.area_name}; "
                "see the papers of its districts.")
    return (f"The deprivation gradient is not available for {a.period.label}: it was not published with this "
            "period's results.")


def _group_row_label(grouping: str, group: int) -> str:
    return dep.group_label(grouping, group)


def gradient_table(a: AtlasData, indicator_id: str) -> str:
    """HTML table equivalent of the gradient chart (with Kent's values for a district)."""
    ind = _indicator(a, indicator_id)
    grouping = _gradient_grouping(a)
    rows = gradient_rows(a, indicator_id)
    kent = gradient_rows(a, indicator_id, KENT_CODE, grouping) if not a.is_kent else None
    if ind.is_rate:
        columns = ["Deprivation group", "Neighbourhoods", "Children aged 0-17", "Number",
                   _unit_heading(ind), "95% confidence interval"]
    else:
        columns = ["Deprivation group", "Neighbourhoods", "Records (denominator)", "Count (numerator)",
                   _unit_heading(ind), "95% confidence interval"]
    if kent is not None:
        columns.append(f"Kent, {_unit_heading(ind).lower()}")
    table_rows = []
    kent_values = {} if kent is None else {int(k.group): k for k in kent.itertuples(index=False)}
    for r in rows.itertuples(index=False):
        if r.lsoas == 0:
            cells = ["0", NO_LSOAS, NO_LSOAS, NO_LSOAS, NO_LSOAS]
        else:
            sup = bool(r.suppressed)
            den = (SUPPRESSED if pd.isna(r.denominator) and sup else format_value(r.denominator, "count"))
            num = SUPPRESSED if sup else format_value(r.numerator, "count")
            ci = (f"{format_value(r.ci_lower, ind.unit)} to {format_value(r.ci_upper, ind.unit)}"
                  if not sup and pd.notna(r.ci_lower) else (SUPPRESSED if sup else NOT_AVAILABLE))
            cells = [f"{int(r.lsoas):,}", den, num, _value_text(r.value, sup, ind.unit), ci]
        if kent is not None:
            k = kent_values.get(int(r.group))
            cells.append(NOT_AVAILABLE if k is None else _value_text(k.value, bool(k.suppressed), ind.unit))
        table_rows.append((_e(_group_row_label(grouping, int(r.group))), cells))
    caption = f"{ind.title} by deprivation of the child's home neighbourhood, {a.area_name}, {_window_words(a)}"
    return _table_html(caption, columns, table_rows)


def gradient_alt_text(a: AtlasData, indicator_id: str) -> str:
    """Alt text of the gradient chart: what is shown, and the values at both ends."""
    ind = _indicator(a, indicator_id)
    grouping = _gradient_grouping(a)
    word = "decile" if grouping == dep.DECILE else "quintile"
    rows = gradient_rows(a, indicator_id)
    text = (f"Bar chart of {_subject(ind)} in {a.area_name}, {_window_words(a)}, by the national IMD 2019 {word} "
            f"of the child's home neighbourhood, from {word} 1 (most deprived) to {word} {len(rows)} "
            "(least deprived), with 95% confidence intervals")
    text += "." if a.is_kent else ", and Kent's value in each quintile as a dashed line with diamonds."
    values = [(int(r.group), r) for r in rows.itertuples(index=False)]
    shown = [f"{g}: {_value_text(r.value, bool(r.suppressed), ind.unit) if r.lsoas else NO_LSOAS}"
             for g, r in values]
    if shown:
        text += f" Values by {word}: " + "; ".join(shown) + "."
    if any(r.suppressed and r.lsoas for _, r in values):
        text += " c means withheld to protect confidentiality."
    return text


def gradient_chart(a: AtlasData, indicator_id: str = NEED_INDICATOR, heading_level: int | None = 3) -> Block:
    """The indicator by deprivation group as an accessible bar chart (Kent: deciles; a district:
    quintiles, beside Kent's), preceded by a heading with the indicator's title."""
    ind = _indicator(a, indicator_id)
    heading = f"<h{heading_level}>{_e(ind.title)}</h{heading_level}>" if heading_level else ""
    rows = gradient_rows(a, indicator_id)
    if rows.empty:
        text = _unavailable_text(a)
        return Block(html=f'{heading}<p class="ehps-atlas-note">{_e(text)}</p>', markdown=text, text=text)
    grouping = _gradient_grouping(a)
    kent = None if a.is_kent else gradient_rows(a, indicator_id, KENT_CODE, grouping)
    fig = maps.gradient_figure(rows, area_label=a.area_name, y_label=_axis_label(ind),
                               kent=kent, percentage=ind.is_percentage,
                               group_word="decile" if grouping == dep.DECILE else "quintile")
    alt = gradient_alt_text(a, indicator_id)
    caption = (f"{ind.title} by deprivation of the child's home neighbourhood, {a.area_name}, "
               f"{_window_words(a)}. c: withheld to protect confidentiality. Source: {ind.source}.")
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=[reference.ATTRIBUTION["imd2019"],
                                                                     reference.ATTRIBUTION["population"]],
                        table=gradient_table(a, indicator_id), css="ehps-atlas-chart")
    summary = _gradient_sentence(a, indicator_id)
    para = f'<p class="ehps-atlas-summary">{_e(summary)}</p>' if summary else ""
    return Block(html=heading + para + body, text=alt, svg=svg)


def district_gradient_table(a: AtlasData, indicator_id: str = NEED_INDICATOR) -> Block:
    """The indicator by national quintile for every district (rows) and Kent: the gradient
    inside each district, side by side."""
    ind = _indicator(a, indicator_id)
    columns = ["Area"] + [dep.group_label(dep.QUINTILE, q).replace("Quintile ", "Q") for q in range(1, 6)]
    rows_out = []
    any_sup = any_none = False
    if a.gradient is None:
        text = _unavailable_text(a)
        return Block(html=f'<p class="ehps-atlas-note">{_e(text)}</p>', markdown=text, text=text)
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
        rows_out.append((_e(area_name(code, a.on)), cells))
    caption = (f"{ind.title} by national IMD 2019 quintile of the child's home neighbourhood (Q1 = most deprived "
               f"20% in England), each district and Kent, {_window_words(a)}")
    notes = [f"Unit: {ind.unit}."]
    if any_sup:
        notes.append(f"{SUPPRESSED}: withheld to protect confidentiality (a small number, or a figure from which "
                     "one could be worked out).")
    if any_none:
        notes.append(f"{NO_LSOAS}: the district has no neighbourhood in that quintile.")
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, columns, rows_out)
    md_rows = [(html.unescape(h), v) for h, v in rows_out]
    return Block(html=f'{_scroll_region(caption)}{table}{note}</div>',
                 markdown=_table_markdown(caption, columns, md_rows) + "".join(f"\n{n}\n" for n in notes),
                 text=caption)


# -- sources ---------------------------------------------------------------------------------------------
def sources(a: AtlasData) -> Block:
    """The attribution every map and rate must print, and the vintages used."""
    items = [
        ("Indices of Deprivation", reference.ATTRIBUTION["imd2019"]),
        ("Boundaries", reference.ATTRIBUTION["boundaries"]),
        ("Population", reference.ATTRIBUTION["population"]),
        ("Early Help records", ATTRIBUTION_CASES + (" Synthetic extract: not real children's records."
                                                    if a.synthetic else "")),
        ("Vintages", f"{_vintage()}; district names as at {a.on.day} {a.on:%B %Y}."),
    ]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return Block(html=f'<dl class="ehps-atlas-sources">{dl}</dl>',
                 markdown="\n".join(f"- **{k}:** {v}" for k, v in items), text="Sources and attribution")


__all__ = ["AtlasData", "load_atlas", "from_scorecard", "atlas_from", "title_block", "key_facts", "about",
           "imd_map", "imd_counts", "imd_alt_text", "imd_table", "idaci_map", "idaci_counts", "profile_table",
           "profile_rows", "need_map", "need_rows", "gradient_rows", "gradient_ratio", "gradient_summary",
           "gradient_table", "gradient_alt_text", "gradient_chart", "district_gradient_table", "sources",
           "ATLAS_TITLE"]
