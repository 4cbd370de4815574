"""Deprivation and need blocks shared by the needs atlas and the district dashboards.

:class:`AtlasData` joins an area's published results with the LSOA deprivation table and the
published deprivation gradient; the blocks draw the IMD map, the deprivation profile table
and the gradient chart, each with alt text, caption, attribution and a table equivalent.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..data import io, reference
from ..geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, area_name, districts_in
from ..indicators import deprivation as dep
from ..indicators.catalogue import Indicator
from ..periods import Period
from . import maps
from .blocks import NOT_AVAILABLE, SUPPRESSED, Block, _table_html, format_value
from .charts import responsive_img, text_scale
from .scorecard_data import ScorecardData, ScorecardError

#: Published table of the deprivation gradient, beside ``indicators.parquet``.
GRADIENT_TABLE = "deprivation"
#: Published table of the gradient's slope and relative index of inequality.
INEQUALITY_TABLE = "inequality"
#: Default indicator mapped by district.
NEED_INDICATOR = "ehn_rate"
NO_LSOAS = "none"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- the data behind an atlas ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AtlasData:
    """Everything an atlas shows for one area and period.

    ``scorecard`` holds the area, the period, the published indicator results and their
    metadata; ``lsoas`` the neighbourhoods with the IMD edition published by the end of the period and child population
    (:func:`ehps_lib.indicators.deprivation.lsoa_deprivation`); ``gradient`` the published deprivation
    gradient, or None when the period's results were computed without it; ``inequality`` its
    slope and relative index of inequality (:func:`ehps_lib.indicators.deprivation.inequality_indices`),
    or None.
    """

    scorecard: ScorecardData
    lsoas: pd.DataFrame
    gradient: pd.DataFrame | None = None
    inequality: pd.DataFrame | None = None

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


def atlas_from(scorecard: ScorecardData, lsoas: pd.DataFrame, gradient: pd.DataFrame | None,
               inequality: pd.DataFrame | None = None) -> AtlasData:
    """Build :class:`AtlasData` from tables already in memory (pure; used by tests)."""
    return AtlasData(scorecard=scorecard, lsoas=lsoas, gradient=gradient, inequality=inequality)


def from_scorecard(scorecard: ScorecardData) -> AtlasData:
    """The atlas data of a scorecard already loaded (:func:`ehps_lib.papers.scorecard_data.load_scorecard`):
    adds the period's published deprivation gradient (if any) and the public deprivation data.
    For papers that show the deprivation map and gradient among other things (the district
    dashboard)."""
    try:
        gradient = io.read_results_table(scorecard.period.slug, GRADIENT_TABLE)
    except FileNotFoundError:
        gradient = None
    try:
        inequality = io.read_results_table(scorecard.period.slug, INEQUALITY_TABLE)
    except FileNotFoundError:
        inequality = None
    # the IMD edition and populations published by the end of the period (IMD 2015 for 2016-17)
    return atlas_from(scorecard, dep.lsoa_deprivation(as_of=scorecard.period.end), gradient, inequality)


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
        scale = text_scale(fig)
        png = maps.figure_to_png(fig)
        px_w, px_h = maps.png_size(png)
        w, h = px_w / maps.MAP_DPI, px_h / maps.MAP_DPI
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        svg = _png_svg(png, w * 72, h * 72)
        # on a phone the map keeps a legible size and scrolls sideways in its own region
        image = (f'<div class="ehps-map-scroll" role="region" tabindex="0" aria-label="Map: {_e(caption)} '
                 f'(scrolls sideways on a narrow screen)"><img src="{src}" alt="{_e(alt)}" width="{round(w * 100)}" '
                 f'height="{round(h * 100)}" data-text-scale="{scale:.4f}"></div>')
    else:
        image, svg = responsive_img(fig, alt, round(w * 100), round(h * 100))
    credits = "".join(f'<span class="ehps-attribution">{_e(a)}</span>' for a in attribution)
    body = (f'<figure class="ehps-figure ehps-atlas-figure{" " + css if css else ""}">{image}'
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


def imd_label(a: AtlasData | None = None) -> str:
    """The IMD edition the atlas data use ("IMD 2015"): the one published by the end of the period."""
    if a is not None and "imd_vintage" in a.lsoas.columns and len(a.lsoas):
        return str(a.lsoas["imd_vintage"].iloc[0])
    return dep.IMD_VINTAGE


def _imd_attribution(a: AtlasData | None = None) -> list[str]:
    key = "imd2015" if imd_label(a) == "IMD 2015" else "imd2019"
    return [reference.ATTRIBUTION[key], reference.ATTRIBUTION["boundaries"]]


def _vintage(a: AtlasData | None = None) -> str:
    return f"{imd_label(a)} on {dep.LSOA_VINTAGE} boundaries"


def _has_population(a: AtlasData) -> bool:
    return bool(a.lsoas["pop_0_17"].notna().any())


def no_population_text(a: AtlasData) -> str:
    """Why a figure needing children by neighbourhood is not shown for this period."""
    return (f"Not shown: no estimate of children by neighbourhood published by {a.on.day} {a.on:%B %Y} is held "
            "(the earliest held was published in October 2018), and a paper uses only what "
            "was published by the end of its period.")


def _area_phrase(a: AtlasData) -> str:
    """"Kent's" / "Canterbury's"."""
    return f"{a.area_name}'s"


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
            f"{imd_label(a)} quintile, from darkest (most deprived 20% in England) to lightest (least deprived 20%), "
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
    return _table_html(f"Neighbourhoods (LSOA 2011) by national {imd_label(a)} quintile, {a.area_name}", columns, rows)


def imd_map(a: AtlasData) -> Block:
    """Choropleth of IMD 2019 by neighbourhood (national quintile; decile 1 hatched), with district
    outlines; for a district, zoomed to it with its neighbours in grey."""
    layer, districts = _layers(a)
    counts = imd_counts(a)
    focus = _focus(a)
    bounds = layer[layer["district_code"].isin(a.districts)].total_bounds
    fig = maps.choropleth_figure(layer, maps.imd_class(layer["imd_decile"]), maps.IMD_CLASS_LABELS, districts,
                                 legend_title=f"{imd_label(a)}, national quintile", hatch=layer["imd_decile"] == 1,
                                 hatch_label=maps.DECILE_1_LABEL, focus=focus,
                                 figsize=maps.figure_size_for(bounds))
    alt = imd_alt_text(a, counts)
    caption = (f"Deprivation by neighbourhood, {a.area_name}: national quintile of the Index of Multiple "
               f"Deprivation ({_vintage(a)}).")
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=_imd_attribution(a), table=imd_table(a, counts),
                        raster=True)
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
            rank = "-"  # Kent is not ranked among its own districts (explained in the notes)
        rows.append((name, [f"{r.lsoas:,}", f"{r.lsoas_quintile_1:,} ({format_value(r.pct_lsoas_quintile_1, '%')})",
                            _count_text(r.children),
                            (f"{r.children_quintile_1:,} ({format_value(r.pct_children_quintile_1, '%')})"
                             if pd.notna(r.children_quintile_1) else NOT_AVAILABLE),
                            format_value(r.idaci_pct, "%"), rank]))
    caption = f"Deprivation profile of {'Kent and its districts' if len(prof) > 2 else a.area_name + ' and Kent'}"
    children = ("Rank -: Kent is not ranked among its districts. "
                f"Children aged 0-17: ONS small-area population estimate, mid-{_population_year(a)}."
                if _has_population(a) else "Rank -: Kent is not ranked among its districts. "
                f"Children aged 0-17, {NOT_AVAILABLE}: {no_population_text(a)}")
    notes = [f"Neighbourhoods: LSOA 2011; deprivation: {imd_label(a)}, national quintiles. {children}"]
    if a.lsoas["idaci_score"].notna().any():
        notes.append("Income-deprived children: IDACI score of each neighbourhood weighted by its children aged 0-15 "
                     "(mid-2015, the denominator of the Indices). Rank: population-weighted average of the "
                     "neighbourhoods' national IMD ranks, ranked among Kent's 12 districts.")
    else:
        notes.append(f"Income-deprived children, {NOT_AVAILABLE}: {imd_label(a)}'s IDACI is not held in the reference "
                     "data. Rank: average of the neighbourhoods' national IMD ranks (the edition holds no population "
                     "to weight them by), ranked among Kent's 12 districts.")
    note = "".join(f'<p class="ehps-table-note">{_e(n)}</p>' for n in notes)
    table = _table_html(caption, PROFILE_COLUMNS, rows)
    return Block(html=f'{_scroll_region(caption, "ehps-atlas-profile")}{table}{note}</div>', text=caption)


def _count_text(value) -> str:
    return NOT_AVAILABLE if value is None or pd.isna(value) else f"{int(value):,}"


def _population_year(a: AtlasData) -> str:
    years = a.lsoas["population_year"].dropna().unique() if "population_year" in a.lsoas else []
    return str(int(years[0])) if len(years) == 1 else "year not recorded"


def _indicator(a: AtlasData, indicator_id: str) -> Indicator:
    cat = a.scorecard.catalogue
    if indicator_id not in cat:
        raise ScorecardError(f"Unknown indicator {indicator_id!r}; known: {', '.join(sorted(cat))}")
    return cat[indicator_id]


def _value_text(value, suppressed: bool, unit: str) -> str:
    if suppressed:
        return SUPPRESSED
    return format_value(value, unit)


def _axis_label(ind: Indicator) -> str:
    """Short y-axis label: ``"Per 10,000 aged 0-17"``, ``"Percentage"``."""
    if ind.is_rate:
        return ind.unit.replace("rate per", "Per", 1).replace(" aged", "\naged")
    return _unit_heading(ind)


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
    text = (f"Bar chart of {_subject(ind)} in {a.area_name}, {_window_words(a)}, by the national {imd_label(a)} {word} "
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
        return Block(html=f'{heading}<p class="ehps-atlas-note">{_e(text)}</p>', text=text)
    shown = rows["value"].notna() & ~rows["suppressed"].astype(bool)
    if int(shown.sum()) < 2:
        # a chart needs at least two values to compare; say why there is none, and give the counts
        why = (no_population_text(a) if ind.is_rate and not _has_population(a)
               else "Not shown: fewer than two of the groups have a figure that can be published.")
        text = f"No chart of {_subject(ind)} by deprivation. {why}"
        return Block(html=f'{heading}<p class="ehps-atlas-note">{_e(text)}</p>'
                          f'<div class="ehps-table-wrap">{gradient_table(a, indicator_id)}</div>',
                     text=text)
    grouping = _gradient_grouping(a)
    kent = None if a.is_kent else gradient_rows(a, indicator_id, KENT_CODE, grouping)
    fig = maps.gradient_figure(rows, area_label=a.area_name, y_label=_axis_label(ind),
                               kent=kent, percentage=ind.is_percentage,
                               group_word="decile" if grouping == dep.DECILE else "quintile",
                               imd_label=imd_label(a))
    alt = gradient_alt_text(a, indicator_id)
    caption = (f"{ind.title} by deprivation of the child's home neighbourhood, {a.area_name}, "
               f"{_window_words(a)}. c: withheld to protect confidentiality. Source: {ind.source}.")
    body, svg = _figure(fig, alt=alt, caption=caption, attribution=[_imd_attribution(a)[0],
                                                                     reference.ATTRIBUTION["population"]],
                        table=gradient_table(a, indicator_id), css="ehps-atlas-chart")
    summary = _gradient_sentence(a, indicator_id)
    para = f'<p class="ehps-atlas-summary">{_e(summary)}</p>' if summary else ""
    return Block(html=heading + para + body + inequality_html(a, indicator_id), text=alt, svg=svg)


# -- slope and relative index of inequality --------------------------------------------------------------
def inequality_row(a: AtlasData, indicator_id: str, area_code: str | None = None,
                   grouping: str | None = None) -> dict | None:
    """The published SII/RII row of an indicator for an area and grouping, or None."""
    if a.inequality is None or a.inequality.empty:
        return None
    t = a.inequality
    sel = t[(t["indicator_id"] == indicator_id) & (t["area_code"] == (area_code or a.area_code))
            & (t["grouping"] == (grouping or _gradient_grouping(a)))]
    return None if sel.empty else sel.iloc[0].to_dict()


def _number(v: float, unit: str) -> str:
    return format_value(v, unit) if unit == "%" else f"{v:,.1f}"


def inequality_sentence(a: AtlasData, indicator_id: str, area_code: str | None = None,
                        grouping: str | None = None) -> str:
    """The slope and relative index of inequality in words, with their 95 % intervals; or why
    they are not given. Empty when the table was not published."""
    row = inequality_row(a, indicator_id, area_code, grouping)
    if row is None:
        return ""
    ind = _indicator(a, indicator_id)
    who = a.district_name(row["area_code"]) if row["area_code"] != KENT_CODE else "Kent"
    word = "deciles" if row["grouping"] == dep.DECILE else "quintiles"
    if pd.isna(row["sii"]):
        return (f"Slope and relative index of inequality, {who}: {str(row['note']).removeprefix('not calculated: ')}, "
                "so they are not calculated.")
    unit = "percentage points" if ind.is_percentage else ind.unit.replace("rate ", "")
    sii = f"{row['sii']:,.1f}" if not ind.is_percentage else f"{row['sii']:,.1f}"
    text = (f"Slope index of inequality (SII), {who}, by {word}: {sii} {unit} (95% confidence interval "
            f"{row['sii_lower']:,.1f} to {row['sii_upper']:,.1f}), the modelled gap between the most and the least "
            f"deprived ends of the area, most minus least deprived. Relative index (RII): {row['rii']:,.2f} "
            f"({row['rii_lower']:,.2f} to {row['rii_upper']:,.2f}), the most deprived end's modelled value over "
            "the least deprived end's.")
    if row["sii_lower"] <= 0 <= row["sii_upper"]:
        text += " The interval includes no gap (0): the gradient may be chance."
    return text


def inequality_html(a: AtlasData, indicator_id: str) -> str:
    """The SII/RII paragraph under a gradient chart, with a note on the method (empty when the
    inequality table was not published)."""
    sentence = inequality_sentence(a, indicator_id)
    if not sentence:
        return ""
    method = ("Calculated as PHEindicatormethods' phe_sii does (Low and Low 2004): a regression of the published "
              "values on each group's relative rank in the population, weighted by its population; the 95% "
              "intervals come from 100,000 simulations of the values within their own intervals. Only published "
              "figures are used: an area with a withheld group has no SII.")
    return (f'<div class="ehps-atlas-inequality"><p>{_e(sentence)}</p>'
            f'<p class="ehps-table-note">{_e(method)}</p></div>')


__all__ = [
    "AtlasData", "from_scorecard", "atlas_from", "imd_map", "imd_counts", "imd_alt_text", "imd_table",
    "profile_table", "profile_rows", "gradient_rows", "gradient_ratio", "gradient_table", "gradient_alt_text",
    "gradient_chart", "inequality_row", "inequality_sentence", "inequality_html"
]
