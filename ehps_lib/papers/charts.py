"""Chart style and figure output shared by the papers.

Charts use the Analysis Function colour-blind-safe palette together with different line styles
and markers, so colour is never the only cue; figures are written as deterministic SVG.
"""

from __future__ import annotations

import base64
import io as _bytes_io
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


def _img(svg: str, alt: str, width: int, height: int) -> str:
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img src="{uri}" alt="{_e(alt)}" width="{width}" height="{height}">'


__all__ = ['figure_to_svg', 'too_few_points', 'too_few_text']
