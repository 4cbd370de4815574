"""Stage functions that chain the library: processed extract → results for a period.

Each is callable alone (from the CLI, a notebook or a test) and does one stage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from . import __version__, io
from .indicators import compute_results
from .periods import Period, latest_complete_quarter


def resolve_period(label: str, extract_date: dt.date) -> Period:
    """``"latest"`` → the latest complete financial quarter of the extract; else parse the label.

    Raises
    ------
    ValueError
        When the period ends after the extract date.
    """
    if str(label).strip().lower() == "latest":
        return latest_complete_quarter(extract_date)
    period = Period.parse(label)
    if period.end > extract_date:
        raise ValueError(
            f"{period.label} ends on {period.end:%d %B %Y}, after the extract date {extract_date:%d %B %Y}; "
            f"the latest complete quarter is {latest_complete_quarter(extract_date).label}"
        )
    return period


def extract_date_of(manifest: dict) -> dt.date:
    return dt.date.fromisoformat(str(manifest["extract_date"])[:10])


def compute_and_write_results(period_label: str, base: Path | None = None
                              ) -> tuple[Period, pd.DataFrame, dict, Path]:
    """Compute every indicator up to ``period_label`` and write them to ``data/results/<period>``.

    Returns the period, the results, their metadata and the folder written.
    """
    tables, manifest = io.read_processed(base)
    extract_date = extract_date_of(manifest)
    period = resolve_period(period_label, extract_date)
    results = compute_results(tables, extract_date, up_to=period, include_scs_areas=True)
    meta = {
        "period": period.label,
        "period_kind": period.kind,
        "synthetic": bool(manifest.get("synthetic", False)),
        "extract_date": extract_date.isoformat(),
        "ehps_lib_version": __version__,
        "sources": manifest.get("sources", []),
        "rows": len(results),
    }
    folder = io.write_results(results, meta, period.slug, base)
    return period, results, meta, folder
