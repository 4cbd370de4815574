"""Maps and charts of deprivation: each function takes prepared data and returns a Figure.

Nothing here reads or writes files, shows or saves a figure: :mod:`ehps_lib.papers.imd_atlas` loads the
data, calls these functions and turns the figures into accessible blocks (alt text, caption,
table equivalent, attribution).

Design (WCAG 2.2 AA; Analysis Function colour guidance):

* choropleths use the Analysis Function sequential blues, darkest = most deprived (or the
  highest value), with five classes at most in the papers, so neighbouring classes stay
  distinguishable; an analyst's decile map (ten classes) uses ten steps of cividis, a ramp
  designed to be read with every common colour-vision deficiency (:func:`palette`);
* colour is never the only cue: the most deprived 10 % of neighbourhoods in England are also
  hatched, each district is named on the map (with its value where one is mapped), withheld
  or missing values are hatched grey and labelled, and every map has a table equivalent;
* district outlines are drawn in black on a white halo, so they show on every fill;
* projection is the British National Grid (EPSG:27700), so Kent keeps its shape.

Maps are published as PNG at 200 dots per inch, quantised to an adaptive palette of 64
colours (:func:`figure_to_png`): as vector paths, or as a full-colour raster, the 902
neighbourhoods make each map 0.5 to 1.4 MB; quantised, about 180 KB.
"""

from __future__ import annotations

import io as _bytes_io
import math
import sys

import matplotlib
import matplotlib.patheffects as pe
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .charts import AREA_COLOUR, CHART_STYLE, KENT_COLOUR

#: Analysis Function sequential palette, darkest first (class 1 = most deprived / highest).
SEQUENTIAL = ("#092135", "#12436D", "#2073BC", "#6BACE6", "#ADD1F1")
#: Fill of neighbourhoods outside the area a map focuses on, and of withheld values.
OUTSIDE_FILL = "#e8e8e8"
MISSING_FILL = "#ffffff"
MISSING_HATCH = "xxx"
DEPRIVED_HATCH = "////"
TEXT = "#0b0c0c"
BNG = 27700
#: Resolution and palette size of published maps (see :func:`figure_to_png`).
MAP_DPI = 200
MAP_COLOURS = 64

#: IMD 2019 national quintiles, as classes 1 (most deprived) to 5.
IMD_CLASS_LABELS = (
    "Most deprived 20% (deciles 1-2)",
    "21-40% (deciles 3-4)",
    "41-60% (deciles 5-6)",
    "61-80% (deciles 7-8)",
    "Least deprived 20% (deciles 9-10)",
)
DECILE_1_LABEL = "Hatched: most deprived 10% in England (decile 1)"
#: IDACI score bands (share of children aged 0-15 in income-deprived families), highest first.
IDACI_BREAKS = (0.40, 0.30, 0.20, 0.10)
IDACI_CLASS_LABELS = ("40% or more", "30% to under 40%", "20% to under 30%", "10% to under 20%", "Under 10%")

#: Label positions nudged (in metres, BNG) where a district's name would sit on a neighbour's
#: or on the coast; keyed by district code.
LABEL_NUDGE = {
    "E07000107": (-1500, 2500),   # Dartford: up, off Gravesham
    "E07000109": (2500, 1500),    # Gravesham
    "E07000115": (0, -2500),      # Tonbridge and Malling: its centre is a thin waist
    "E07000114": (2500, 0),       # Thanet: toward the middle of the island
}
#: Long names broken over two lines on maps.
SHORT_LINES = {"Tonbridge and Malling": "Tonbridge\nand Malling", "Tunbridge Wells": "Tunbridge\nWells",
               "Folkestone and Hythe": "Folkestone\nand Hythe"}


# -- layers (pure: GeoDataFrames in, GeoDataFrames out) ------------------------------------------------
def palette(k: int) -> tuple[str, ...]:
    """``k`` fill colours, darkest first: the Analysis Function blues for up to five classes,
    else ``k`` evenly spaced steps of matplotlib's cividis (at most ten).

    Examples
    --------
    >>> palette(5) == SEQUENTIAL, len(palette(10)), palette(10)[0]
    (True, 10, '#00224e')
    """
    if k <= len(SEQUENTIAL):
        return SEQUENTIAL[:k]
    if k > 10:
        raise ValueError(f"{k} classes cannot be told apart on a map: use at most 10")
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["cividis"]
    return tuple(to_hex(cmap(i / (k - 1))) for i in range(k))


def lsoa_layer(lsoas: pd.DataFrame, boundaries) -> object:
    """LSOA boundaries joined to a table of LSOA attributes, in British National Grid.

    Raises
    ------
    ValueError
        When a boundary has no attributes or the other way round (LSOA vintages mixed).
    """
    a, b = set(lsoas["lsoa11_code"]), set(boundaries["lsoa11_code"])
    if a != b:
        raise ValueError(f"LSOA codes differ between attributes and boundaries ({len(a - b)} without a boundary, "
                         f"{len(b - a)} without attributes): never mix LSOA vintages in one map")
    geo = boundaries[["lsoa11_code", "geometry"]].merge(lsoas, on="lsoa11_code", how="inner")
    return geo.to_crs(BNG) if geo.crs is not None and geo.crs.to_epsg() != BNG else geo


def district_layer(boundaries, names: dict[str, str]) -> object:
    """District outlines in British National Grid with ``district_code`` and ``name`` (the name
    as of the paper's date, e.g. Shepway before April 2018)."""
    geo = boundaries[["district_code", "geometry"]].copy()
    geo["name"] = geo["district_code"].map(names)
    return geo.to_crs(BNG) if geo.crs is not None and geo.crs.to_epsg() != BNG else geo


def imd_class(decile) -> np.ndarray:
    """Map class (1 most deprived .. 5) of IMD national deciles: the national quintile."""
    return (np.asarray(decile, dtype=int) + 1) // 2


def idaci_class(score) -> np.ndarray:
    """Map class (1 = 40 % or more .. 5 = under 10 %) of IDACI scores (fractions 0-1).

    Examples
    --------
    >>> idaci_class([0.45, 0.40, 0.399, 0.2, 0.05]).tolist()
    [1, 1, 2, 3, 5]
    """
    s = np.asarray(score, dtype=float)
    out = np.full(s.shape, len(IDACI_BREAKS) + 1, dtype=int)
    for i, low in reversed(list(enumerate(IDACI_BREAKS, start=1))):
        out[s >= low] = i
    return out


def value_classes(values, k: int = 4) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Classes of district values for a map: ``k`` equal-count groups (quantiles), 1 = highest.

    Returns the class of each value (0 for a missing one) and the (low, high) range of each
    class, highest first. With few distinct values there are fewer classes.

    Examples
    --------
    >>> cls, ranges = value_classes([10, 20, 30, 40], k=2)
    >>> cls.tolist(), ranges
    ([2, 2, 1, 1], [(30.0, 40.0), (10.0, 20.0)])
    """
    v = np.asarray(values, dtype=float)
    known = v[~np.isnan(v)]
    cls = np.zeros(v.shape, dtype=int)
    if not len(known):
        return cls, []
    k = max(1, min(k, len(np.unique(known))))
    order = np.sort(known)[::-1]
    # split the values, highest first, into k groups as equal in size as possible
    sizes = [len(order) // k + (1 if i < len(order) % k else 0) for i in range(k)]
    ranges, start = [], 0
    for size in sizes:
        chunk = order[start:start + size]
        ranges.append((float(chunk.min()), float(chunk.max())))
        start += size
    for i, (lo, hi) in enumerate(ranges, start=1):
        cls[(~np.isnan(v)) & (v >= lo) & (v <= hi) & (cls == 0)] = i
    return cls, ranges


# -- drawing ------------------------------------------------------------------------------------------
def _label_points(districts) -> dict[str, tuple[float, float]]:
    pts = {}
    for code, geom in zip(districts["district_code"], districts.geometry, strict=True):
        p = geom.representative_point()
        dx, dy = LABEL_NUDGE.get(code, (0, 0))
        pts[code] = (p.x + dx, p.y + dy)
    return pts


def _halo(width: float = 2.5):
    return [pe.withStroke(linewidth=width, foreground="white")]


def _neighbour_points(districts, focus: set[str], view) -> dict[str, tuple[float, float]]:
    """Label points of the neighbours seen on a zoomed map: inside the part of each that the
    view shows, when that part is big enough to hold a name (3 % of the view)."""
    from shapely.geometry import box

    frame = box(*view)
    pts = {}
    for code, geom in zip(districts["district_code"], districts.geometry, strict=True):
        if code in focus:
            continue
        part = geom.intersection(frame.buffer(-0.04 * min(view[2] - view[0], view[3] - view[1])))
        if part.is_empty or part.area < 0.03 * frame.area:
            continue
        p = part.representative_point()
        pts[code] = (p.x, p.y)
    return pts


def _draw_districts(ax, districts, focus: set[str] | None, labels: dict[str, str] | None,
                    fontsize: float) -> None:
    """District outlines (black on a white halo) and names. Call after the view is set: a
    zoomed map names the neighbours it shows (the caption names the area itself)."""
    districts.boundary.plot(ax=ax, color="white", linewidth=2.6, rasterized=True)
    districts.boundary.plot(ax=ax, color=TEXT, linewidth=0.9, rasterized=True)
    if labels is None:
        return
    if focus:
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        points = _neighbour_points(districts, focus, (x0, y0, x1, y1))
    else:
        points = _label_points(districts)
    for code, text in labels.items():
        if code not in points:
            continue
        x, y = points[code]
        ax.annotate(text, (x, y), ha="center", va="center", fontsize=fontsize, color=TEXT,
                    weight="bold" if not focus else "normal", style="normal" if not focus else "italic",
                    path_effects=_halo(), annotation_clip=True)


def _frame(ax, layer, focus_layer, margin: float = 0.04) -> None:
    minx, miny, maxx, maxy = (focus_layer if focus_layer is not None else layer).total_bounds
    dx, dy = (maxx - minx) * margin, (maxy - miny) * margin
    ax.set_xlim(minx - dx, maxx + dx)
    ax.set_ylim(miny - dy, maxy + dy)
    ax.set_aspect("equal")
    ax.set_axis_off()


def choropleth_figure(layer, classes, class_labels: tuple[str, ...] | list[str], districts, *,
                      legend_title: str, hatch=None, hatch_label: str | None = None,
                      focus: set[str] | None = None, district_labels: dict[str, str] | None = None,
                      figsize: tuple[float, float] = (8.0, 6.2)) -> Figure:
    """A choropleth of small areas in up to ten classes (:func:`palette`), with district outlines and names.

    Parameters
    ----------
    layer
        GeoDataFrame of the areas (BNG), with ``district_code``.
    classes
        Class of each area, 1 (darkest) to ``len(class_labels)``; 0 = no value (hatched grey).
    districts
        District outlines (:func:`district_layer`).
    hatch
        Boolean mask of areas also hatched (e.g. the most deprived 10 %), with ``hatch_label``.
    focus
        District codes the map zooms to; areas elsewhere are drawn pale grey.
    district_labels
        Text to print in each district (default: its name).
    """
    classes = np.asarray(classes, dtype=int)
    colours = palette(len(class_labels))
    in_focus = np.ones(len(layer), dtype=bool) if not focus else layer["district_code"].isin(focus).to_numpy()
    labels = district_labels if district_labels is not None else dict(zip(
        districts["district_code"], [SHORT_LINES.get(n, n) for n in districts["name"]], strict=True))
    with matplotlib.rc_context({**CHART_STYLE, "hatch.linewidth": 0.6}):
        fig = Figure(figsize=figsize, dpi=MAP_DPI, layout="constrained")
        ax = fig.add_subplot()
        if (~in_focus).any():
            layer[~in_focus].plot(ax=ax, color=OUTSIDE_FILL, edgecolor="white", linewidth=0.25, rasterized=True)
        for k in range(1, len(class_labels) + 1):
            part = layer[in_focus & (classes == k)]
            if len(part):
                part.plot(ax=ax, color=colours[k - 1], edgecolor="white", linewidth=0.25, rasterized=True)
        missing = layer[in_focus & (classes == 0)]
        if len(missing):
            missing.plot(ax=ax, facecolor=MISSING_FILL, edgecolor="#6f777b", hatch=MISSING_HATCH, linewidth=0.3,
                         rasterized=True)
        if hatch is not None:
            marked = layer[in_focus & np.asarray(hatch, dtype=bool)]
            if len(marked):
                marked.plot(ax=ax, facecolor="none", edgecolor="white", hatch=DEPRIVED_HATCH, linewidth=0,
                            rasterized=True)
        _frame(ax, layer, layer[in_focus] if focus else None)
        _draw_districts(ax, districts, focus, labels, fontsize=8 if not focus else 9)
        handles = [Patch(facecolor=colours[i], edgecolor="#6f777b", linewidth=0.5, label=lab)
                   for i, lab in enumerate(class_labels)]
        if hatch is not None and hatch_label:
            handles.append(Patch(facecolor=colours[0], edgecolor="white", hatch=DEPRIVED_HATCH, linewidth=0,
                                 label=hatch_label))
        if len(missing):
            handles.append(Patch(facecolor=MISSING_FILL, edgecolor="#6f777b", hatch=MISSING_HATCH,
                                 label="No value"))
        if (~in_focus).any():
            handles.append(Patch(facecolor=OUTSIDE_FILL, edgecolor="#6f777b", linewidth=0.5,
                                 label="Outside the area"))
        _legend(ax, handles, legend_title)
    return fig


def _legend(ax, handles, title: str) -> None:
    """The legend, below the map in two columns (inside the frame it would hide neighbourhoods)."""
    leg = ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=2,
                    frameon=False, fontsize=9, title_fontsize=9.5, alignment="left", handlelength=2.2,
                    handleheight=1.5, borderpad=0.3, labelspacing=0.45, columnspacing=2.0)
    leg.get_title().set_fontweight("bold")


def district_value_figure(districts, classes, ranges: list[tuple[float, float]], labels: dict[str, str], *,
                          legend_title: str, value_format, missing_label: str = "Withheld or not available",
                          highlight: set[str] | None = None,
                          figsize: tuple[float, float] = (8.0, 6.0)) -> Figure:
    """A choropleth of one value per district, each district named with its value on the map.

    ``classes`` (1 = highest, 0 = missing) and ``ranges`` come from :func:`value_classes`;
    ``value_format`` formats a range end for the legend; districts in ``highlight`` (the
    paper's own) get a heavy outline, listed in the legend.
    """
    classes = np.asarray(classes, dtype=int)
    with matplotlib.rc_context({**CHART_STYLE, "hatch.linewidth": 0.6}):
        fig = Figure(figsize=figsize, dpi=MAP_DPI, layout="constrained")
        ax = fig.add_subplot()
        for k in range(1, len(ranges) + 1):
            part = districts[classes == k]
            if len(part):
                # the palette's darkest and lightest classes for 2-5 classes, evenly spread
                colour = SEQUENTIAL[_spread(len(ranges))[k - 1]]
                part.plot(ax=ax, color=colour, edgecolor="white", linewidth=0.5, rasterized=True)
        missing = districts[classes == 0]
        if len(missing):
            missing.plot(ax=ax, facecolor=MISSING_FILL, edgecolor="#6f777b", hatch=MISSING_HATCH, linewidth=0.3,
                         rasterized=True)
        _frame(ax, districts, None)
        _draw_districts(ax, districts, None, labels, fontsize=8)
        marked = districts[districts["district_code"].isin(highlight or set())]
        if len(marked):
            marked.boundary.plot(ax=ax, color="white", linewidth=5.0, rasterized=True)
            marked.boundary.plot(ax=ax, color=TEXT, linewidth=2.6, rasterized=True)
        handles = [Patch(facecolor=SEQUENTIAL[_spread(len(ranges))[i]], edgecolor="#6f777b", linewidth=0.5,
                         label=f"{value_format(lo)} to {value_format(hi)}")
                   for i, (lo, hi) in enumerate(ranges)]
        if len(missing):
            handles.append(Patch(facecolor=MISSING_FILL, edgecolor="#6f777b", hatch=MISSING_HATCH,
                                 label=missing_label))
        if len(marked):
            handles.append(Patch(facecolor="white", edgecolor=TEXT, linewidth=2.6,
                                 label="Heavy outline: " + _names(list(marked["name"]))))
        _legend(ax, handles, legend_title)
    return fig


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _spread(n: int) -> list[int]:
    """Indexes into :data:`SEQUENTIAL` for ``n`` classes, as far apart as the palette allows.

    Examples
    --------
    >>> _spread(2), _spread(3), _spread(4), _spread(5)
    ([0, 4], [0, 2, 4], [0, 1, 3, 4], [0, 1, 2, 3, 4])
    """
    if n <= 1:
        return [1]
    return [round(i * (len(SEQUENTIAL) - 1) / (n - 1)) for i in range(n)]


def gradient_figure(frame: pd.DataFrame, *, area_label: str, y_label: str, kent: pd.DataFrame | None = None,
                    percentage: bool = False, group_word: str = "quintile", imd_label: str = "IMD 2019",
                    figsize: tuple[float, float] = (8.0, 4.2)) -> Figure:
    """Bars of a value by deprivation group (1 = most deprived) with 95 % intervals.

    ``frame`` has ``group, value, ci_lower, ci_upper, suppressed, lsoas`` for the area;
    ``kent`` the same for Kent, drawn as orange diamonds joined by a dashed line. A withheld
    value is marked ``c`` and a group with no neighbourhoods ``none`` at the foot of its bar.
    """
    f = frame.sort_values("group").reset_index(drop=True)
    x = f["group"].to_numpy(int)
    n = int(x.max()) if len(x) else 5
    with matplotlib.rc_context(CHART_STYLE):
        fig = Figure(figsize=figsize, layout="constrained")
        ax = fig.add_subplot()
        values = f["value"].to_numpy(float)
        ax.bar(x, np.nan_to_num(values), width=0.62, color=AREA_COLOUR, label=area_label, zorder=2)
        lo, hi = f["ci_lower"].to_numpy(float), f["ci_upper"].to_numpy(float)
        ok = ~np.isnan(values) & ~np.isnan(lo) & ~np.isnan(hi)
        if ok.any():
            ax.errorbar(x[ok], values[ok], yerr=[values[ok] - lo[ok], hi[ok] - values[ok]], fmt="none",
                        ecolor=TEXT, elinewidth=1.1, capsize=4, zorder=3, label="95% confidence interval")
        if kent is not None and len(kent):
            k = kent.sort_values("group")
            ax.plot(k["group"], k["value"], color=KENT_COLOUR, linestyle="--", marker="D", markersize=6,
                    markeredgecolor=TEXT, markeredgewidth=0.6, linewidth=1.6, label="Kent", zorder=4)
        top = np.nanmax(np.concatenate([hi[ok], values[~np.isnan(values)],
                                        (kent["value"].to_numpy(float) if kent is not None and len(kent) else [])
                                        ])) if (ok.any() or (kent is not None and len(kent))) else 1.0
        top = 100.0 if percentage else (top if np.isfinite(top) and top > 0 else 1.0) * 1.12
        ax.set_ylim(0, top)
        for xi, rec in zip(x, f.itertuples(index=False), strict=True):
            note = "none" if rec.lsoas == 0 else ("c" if rec.suppressed or pd.isna(rec.value) else None)
            if note:
                ax.text(xi, top * 0.02, note, ha="center", va="bottom", fontsize=10, color=TEXT, weight="bold")
        ax.set_xticks(x, [_group_tick(g, n) for g in x])
        ax.set_xlabel(f"National {imd_label} {group_word} of the child's home neighbourhood")
        ax.set_ylabel(y_label)
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:,.0f}%" if percentage else f"{v:,.0f}"))
        ax.grid(axis="x", visible=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncol=3, frameon=False)
    return fig


def _group_tick(group: int, n: int) -> str:
    if group == 1:
        return "1\nmost deprived"
    if group == n:
        return f"{n}\nleast deprived"
    return str(group)


def figure_to_png(fig: Figure, dpi: int = MAP_DPI, colours: int = MAP_COLOURS) -> bytes:
    """PNG bytes of a map, cropped to what is drawn and quantised to an adaptive palette of
    ``colours`` (no dithering, so the classes' flat fills stay exact); the figure is then
    closed. Deterministic for a figure. :func:`png_size` gives its size."""
    from PIL import Image

    buf = _bytes_io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight", pad_inches=0.05)
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)
    image = Image.open(_bytes_io.BytesIO(buf.getvalue())).convert("RGB")
    small = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = _bytes_io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of PNG bytes (from the IHDR chunk)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def figure_size_for(bounds, width: float = 8.0, below: float = 1.25) -> tuple[float, float]:
    """A figure size whose map keeps the aspect of ``bounds`` (minx, miny, maxx, maxy), plus
    ``below`` inches under the map (for a legend there); the height stays within 3.5 to 7.2 inches
    (so a map and its caption fit on an A4 page)."""
    minx, miny, maxx, maxy = bounds
    aspect = (maxy - miny) / max(maxx - minx, 1.0)
    height = width * aspect * 1.08 + below
    return width, float(min(max(height, 3.5), 7.2)) if math.isfinite(height) else 6.0


__all__ = [
    "lsoa_layer", "district_layer", "imd_class", "idaci_class", "value_classes", "choropleth_figure",
    "district_value_figure", "gradient_figure", "figure_size_for", "figure_to_png", "png_size", "SEQUENTIAL",
    "IMD_CLASS_LABELS", "IDACI_CLASS_LABELS", "IDACI_BREAKS", "DECILE_1_LABEL"
]
