"""Paper: the Specialist Children's Services performance dashboard (``notebooks/scs_dashboard.ipynb``).

The council's monthly "Performance Management Scorecard" for Specialist Children's Services,
built from the statutory returns; its blocks live in :mod:`ehps_lib.papers.scs_returns`, shared
with the covering Cabinet Committee paper (:mod:`ehps_lib.papers.scs_committee_paper`).

Typical notebook use::

    from ehps_lib.papers import scs_dashboard as paper
    d = paper.load_dashboard("E10000016", "latest")
    notes = paper.load_commentary(d)
    paper.cover(d)
    paper.scorecard_table(d)
    paper.exception_reports(d, notes)
"""

from __future__ import annotations

from .scs_returns import (
    Dashboard,
    about,
    activity_rows,
    activity_table,
    amber_commentary,
    cover,
    dashboard_from_results,
    definitions,
    exception_report,
    exception_reports,
    headline,
    load_commentary,
    load_dashboard,
    rag_counts,
    rag_summary,
    red_indicators,
    scorecard_legend,
    scorecard_rows,
    scorecard_table,
    uasc_rows,
    uasc_table,
)
from .scs_returns import release_gaps as _release_gaps


def release_gaps(area_code: str, period: str) -> list[str]:
    """What a release of the dashboard for ``period`` would need (commentary for each Red
    indicator in ``reports/commentary/scs/<month>.yml``, owners, nothing illustrative); an empty
    list when it is ready. ``area_code`` is Kent's: the dashboard is the county's."""
    d = load_dashboard(area_code, period)
    return _release_gaps(d, load_commentary(d))

__all__ = ["Dashboard", "load_dashboard", "dashboard_from_results", "load_commentary", "cover", "about",
           "activity_rows", "activity_table", "rag_summary", "rag_counts", "scorecard_rows", "scorecard_table",
           "scorecard_legend", "uasc_rows", "uasc_table", "red_indicators", "exception_report", "exception_reports",
           "amber_commentary", "definitions", "headline", "release_gaps"]
