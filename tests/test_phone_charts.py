"""Charts redrawn for a phone (ehps_lib.papers.charts.responsive_img): the figure drawn for a wide
page is drawn again 4 inches wide, and must still show its plot, a legend a phone can hold and x
labels that do not overlap."""

from __future__ import annotations

import base64
import re
import warnings

import pandas as pd
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ehps_lib.papers.charts import PHONE_WIDTH_IN, _one_column_legend, _thin_x_ticks, responsive_img

LABELS = ["Common cause variation", "Special cause: improvement", "Mean", "Process limits", "Target (90.0%)",
          "Minimum standard (80.0%)"]


def _spc_like() -> Figure:
    """As the SCS exception reports' XmR chart: 32 months, quarterly date ticks, and a legend of six
    entries in three columns above the plot."""
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.add_subplot()
    months = pd.date_range("2014-01-01", periods=32, freq="MS")
    ax.plot(months, range(32))
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlabel("Month")
    ax.set_ylabel("Percentage")
    ax.legend(handles=[Line2D([], [], label=t) for t in LABELS], loc="lower left", bbox_to_anchor=(0, 1.01), ncol=3,
              frameon=False, fontsize=8.5)
    return fig


def test_the_phone_drawing_keeps_its_plot():
    # before: the legend kept its three columns (5.7 inches) on a 4-inch figure and constrained
    # layout collapsed the axes to nothing (a warning, and a picture of a legend)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        html, _svg = responsive_img(_spc_like(), "An XmR chart", 800, 380)
    phone = base64.b64decode(re.search(r'srcset="data:image/svg\+xml;base64,([^"]+)"', html).group(1)).decode()
    assert "<svg" in phone


def test_the_legend_is_laid_out_again_in_one_column_where_it_was():
    fig = _spc_like()
    ax = fig.axes[0]
    before = ax.get_legend()
    extra = _one_column_legend(ax)
    after = ax.get_legend()
    assert after is not before and after._ncols == 1 and [t.get_text() for t in after.get_texts()] == LABELS
    assert after._loc == before._loc  # still above the plot, from its left edge
    assert 0.5 < extra < 1.0  # four more rows of 8.5-point text


def test_overlapping_date_labels_are_thinned_and_named_categories_are_not():
    fig = _spc_like()
    _one_column_legend(fig.axes[0])
    fig.set_size_inches(PHONE_WIDTH_IN, 4)
    assert len(fig.axes[0].get_xticks()) == 11
    _thin_x_ticks(fig)
    kept = fig.axes[0].get_xticks()
    assert 2 <= len(kept) < 11
    bars = Figure(figsize=(PHONE_WIDTH_IN, 3))
    ax = bars.add_subplot()
    names = ["Ashford", "Canterbury", "Dartford", "Dover", "Gravesham", "Maidstone", "Sevenoaks", "Swale"]
    ax.bar(names, range(8))
    _thin_x_ticks(bars)
    assert [t.get_text() for t in ax.get_xticklabels()] == names
