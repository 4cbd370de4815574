"""Chart style and figure output shared by the papers.

Charts use the Analysis Function colour-blind-safe palette together with different line styles
and markers, so colour is never the only cue; figures are written as deterministic SVG.
"""

from __future__ import annotations

import base64
import io as _bytes_io
import math
import sys

import matplotlib
from matplotlib.figure import Figure

from .blocks import _e

#: Analysis Function colour-blind-safe categorical palette: dark blue, orange.
AREA_COLOUR = "#12436D"
KENT_COLOUR = "#F46A25"


#: A clean, light grid style (like seaborn's "whitegrid") without importing seaborn, which
#: would add more than a second to every notebook's start.
CHART_STYLE = {
    "font.size": 10, "axes.edgecolor": "#b1b4b6", "axes.linewidth": 0.8, "axes.grid": True,
    "axes.axisbelow": True, "grid.color": "#dddddd", "grid.linewidth": 0.8, "axes.labelcolor": "#0b0c0c",
    "xtick.color": "#0b0c0c", "ytick.color": "#0b0c0c", "axes.spines.top": False, "axes.spines.right": False,
}


#: A line chart is drawn only from at least this share of its months (and never from fewer than 3):
#: fewer points show no trend, and a line through them would suggest one.
MIN_SHARE_OF_POINTS = 0.5
MIN_POINTS = 3


def too_few_points(known: int, months: int) -> bool:
    """Whether ``known`` published points of ``months`` are too few to draw a line.

    Examples
    --------
    >>> too_few_points(1, 12), too_few_points(6, 12), too_few_points(2, 3)
    (True, False, True)
    """
    return known < max(MIN_POINTS, round(months * MIN_SHARE_OF_POINTS))


def too_few_text(area: str, known: int, months: int) -> str:
    """Why a chart is not drawn: "Not drawn: only 1 of the 12 months can be published for ..."."""
    return (f"Not drawn: only {known} of the {months} months can be published for {area} (the others are "
            "withheld to protect confidentiality, or not available), too few to show a trend. The months that can "
            "be published are in the table.")


def figure_to_svg(fig: Figure) -> str:
    """SVG text of a figure, deterministic (fixed ids, no date), then close the figure."""
    buf = _bytes_io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "ehps", "svg.fonttype": "path"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    _close(fig)
    return buf.getvalue().decode("utf-8")


def _close(fig: Figure) -> None:
    """Close ``fig`` in pyplot if pyplot manages it (figures from :func:`trend_figure` are not
    registered there, so this frees nothing more than dropping them, but callers may pass any)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


def _img(svg: str, alt: str, width: int, height: int, text_scale: float | None = None) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    scale = f' data-text-scale="{text_scale:.4f}"' if text_scale else ""
    return f'<img src="{uri}" alt="{_e(alt)}" width="{width}" height="{height}"{scale}>'


#: Width of the phone version of a chart (inches): about the width of a 390 px screen's text column,
#: so that its text shows near its own size.
PHONE_WIDTH_IN = 4.0
#: Screens up to this width get the phone version.
PHONE_MEDIA = "(max-width: 40rem)"


def text_scale(fig: Figure) -> float:
    """The figure's smallest text as a share of its width (points over points): shown at W pixels
    wide, that text is ``W x text_scale`` pixels high."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return (min(sizes) if sizes else 10.0) / (fig.get_size_inches()[0] * 72)


def _one_column_legend(ax) -> float:
    """Lay ``ax``'s legend out again in one column, where it was, for a phone (a legend's columns
    are fixed when it is made: setting ``ncols`` afterwards does not lay it out again, and three
    columns wider than the phone's figure collapse the axes to nothing). Returns the height its
    added rows take, in inches."""
    legend = ax.get_legend()
    if legend is None or not legend.get_texts():
        return 0.0
    texts = legend.get_texts()
    columns = max(int(getattr(legend, "_ncols", 1)), 1)
    if columns == 1:
        return 0.0
    size = texts[0].get_fontsize()
    handles = getattr(legend, "legend_handles", None) or getattr(legend, "legendHandles", [])
    anchor = getattr(legend, "_bbox_to_anchor", None)  # a box and its transform, passed apart (given as
    # one transformed box, constrained layout loses the legend's place and collapses the axes)
    where = {} if anchor is None else {"bbox_to_anchor": anchor._bbox.bounds, "bbox_transform": anchor._transform}
    ax.legend(handles=list(handles), labels=[t.get_text() for t in texts], loc=getattr(legend, "_loc", 0),
              ncols=1, frameon=legend.get_frame_on(), fontsize=size, **where)
    return (len(texts) - math.ceil(len(texts) / columns)) * size * 1.5 / 72


def _thin_x_ticks(fig: Figure) -> None:
    """Keep every k-th tick of each x axis of dates or numbers, the fewest k whose labels fit side
    by side (a date axis of 11 quarters drawn for a wide page is unreadable on a phone: its labels
    overlap). Axes of named categories are left alone."""
    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter

    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    for ax in fig.axes:
        if isinstance(ax.xaxis.get_major_formatter(), (FixedFormatter, StrCategoryFormatter)):
            continue  # named categories (districts, groups): every one must stay labelled
        ticks = ax.get_xticks()
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        if len(labels) < 2 or len(labels) != len(ticks):
            continue
        need = sum(t.get_window_extent(renderer).width for t in labels) * 1.25
        have = ax.get_window_extent(renderer).width
        if need > have > 0:
            lim = ax.get_xlim()
            ax.set_xticks(ticks[::min(math.ceil(need / have), max(len(ticks) // 2, 1))])  # two at least
            ax.set_xlim(lim)


def responsive_img(fig: Figure, alt: str, width: int, height: int) -> tuple[str, str]:
    """A chart as ``<picture>``: the figure as drawn for wide screens and print, and for narrow
    screens the same figure redrawn :data:`PHONE_WIDTH_IN` inches wide (legends in one column,
    taller), so that its text stays legible on a phone. Each image states its smallest text as a
    share of its width (``data-text-scale``). Returns the HTML and the wide SVG (for the
    Markdown form). Closes the figure."""
    wide_scale = text_scale(fig)
    with matplotlib.rc_context({"svg.hashsalt": "ehps", "svg.fonttype": "path"}):
        buf = _bytes_io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
        wide = buf.getvalue().decode("utf-8")
        w, h = fig.get_size_inches()
        extra = 0.0  # inches the legends' added rows take
        for ax in fig.axes:
            extra += _one_column_legend(ax)
        fig.set_size_inches(PHONE_WIDTH_IN, max(h * PHONE_WIDTH_IN / w * 1.6, 2.6) + extra)
        _thin_x_ticks(fig)
        phone_scale = text_scale(fig)
        buf = _bytes_io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
        phone = buf.getvalue().decode("utf-8")
    _close(fig)
    uri = "data:image/svg+xml;base64," + base64.b64encode(phone.encode("utf-8")).decode("ascii")
    html = (f'<picture><source media="{PHONE_MEDIA}" srcset="{uri}" data-text-scale="{phone_scale:.4f}">'
            f"{_img(wide, alt, width, height, wide_scale)}</picture>")
    return html, wide


__all__ = ['figure_to_svg', 'too_few_points', 'too_few_text', 'responsive_img', 'text_scale']
