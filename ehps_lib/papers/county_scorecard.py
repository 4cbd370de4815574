"""Paper: the county performance scorecard (``notebooks/county_scorecard.ipynb``), Kent.

The scorecard in the council's SCS format; its blocks live in :mod:`ehps_lib.papers.scs`,
shared with the Cabinet Committee paper, whose Appendix 1 is this scorecard.

Typical notebook use::

    from ehps_lib.papers import county_scorecard as paper
    sc = paper.load_scorecard("E10000016", "2016-17 Q4")
    notes = paper.load_commentary(sc.period)
    paper.scs_table(sc)
    paper.exception_reports(sc, notes)
"""

from __future__ import annotations

from . import scs
from .commentary import load_commentary
from .scorecard_data import load_scorecard
from .scs import (
    DIRECTION_CAVEAT,
    PART_HEADINGS,
    about_scorecard,
    activity_areas,
    activity_rows,
    activity_table,
    amber_commentary,
    county_title,
    data_notes,
    data_period_text,
    exception_report,
    exception_reports,
    rag_counts,
    rag_sentence,
    rag_summary,
    red_indicators,
    scorecard_legend,
    scorecard_parts,
    scs_rows,
    scs_table,
    spc_chart,
    spc_indicator,
    spc_series,
    trend_rows,
)
from .sections import definitions, rag_bands_text


def release_gaps(area_code: str, period: str) -> list[str]:
    """What a release of this paper for ``area_code`` and ``period`` would need (commentary for
    each Red indicator, owners, nothing illustrative); an empty list when it is ready."""
    sc = load_scorecard(area_code, period)
    return scs.release_gaps(sc, load_commentary(sc.period))


__all__ = [
    "load_scorecard", "definitions", "load_commentary", "county_title", "about_scorecard", "scs_rows", "scs_table",
    "scorecard_legend", "rag_counts", "rag_sentence", "rag_summary", "activity_areas", "activity_rows",
    "activity_table", "red_indicators", "rag_bands_text", "data_period_text", "data_notes", "spc_series", "spc_chart",
    "spc_indicator", "trend_rows", "exception_report", "exception_reports", "amber_commentary", "scorecard_parts",
    "PART_HEADINGS", "DIRECTION_CAVEAT", "release_gaps",
]
