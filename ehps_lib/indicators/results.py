"""Stage functions that chain the library: processed extract → results for a period.

Each is callable alone (from the CLI, a notebook or a test) and does one stage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from .. import __version__
from ..config import load_settings
from ..data import digests, io
from ..periods import Period, latest_complete_quarter


def reference_vintages(period: Period) -> dict[str, str]:
    """What each paper of ``period`` says it uses: the reference data published by its end
    (``population``, ``lsoa_population``, ``imd``), or why there is none."""
    from ..data import reference

    out = {}
    for kind in ("population", "lsoa_population", "imd"):
        try:
            out[kind] = reference.edition(kind, period.end.year, period.end).label
        except reference.VintageError:
            out[kind] = f"none published by {period.end:%d %B %Y} is held"
    return out


def resolve_period(label: str, extract_date: dt.date, data_from: dt.date | None = None) -> Period:
    """``"latest"`` → the latest complete financial quarter of the extract; else parse the label.

    Parameters
    ----------
    label
        ``latest``, a month, a quarter or a financial year.
    extract_date
        The date the extract was taken: no period may end after it.
    data_from
        The extract's first notification, when known: no period may end before it.

    Raises
    ------
    ValueError
        When the period ends after the extract date, or before the extract's first notification;
        the message names the periods that can be asked for.

    Examples
    --------
    >>> import datetime as dt
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     resolve_period("2010-11 Q1", dt.date(2017, 3, 31), dt.date(2014, 4, 2))
    ... except ValueError as exc:
    ...     print(exc)
    2010-11 Q1 ends on 30 June 2010, before the extract's first notification (2 April 2014): choose a period from
    2014-15 Q1 to 2016-17 Q4
    """
    latest = latest_complete_quarter(extract_date)
    if str(label).strip().lower() == "latest":
        return latest
    period = Period.parse(label)
    if period.end > extract_date:
        raise ValueError(
            f"{period.label} ends on {period.end:%d %B %Y}, after the extract date {extract_date:%d %B %Y}; "
            f"the latest complete quarter is {latest.label}"
        )
    if data_from is not None and period.end < data_from:
        first = Period.quarter_of(data_from)
        raise ValueError(
            f"{period.label} ends on {period.end:%d %B %Y}, before the extract's first notification "
            f"({data_from.day} {data_from:%B %Y}): choose a period from {first.label} to {latest.label}"
        )
    return period


def extract_date_of(manifest: dict) -> dt.date:
    return dt.date.fromisoformat(str(manifest["extract_date"])[:10])


def data_from_of(manifest: dict, base: Path | None = None) -> dt.date | None:
    """The extract's first notification: from the manifest (``data_from``), else from the
    table (a manifest written before ``data_from`` was recorded)."""
    if manifest.get("data_from"):
        return dt.date.fromisoformat(str(manifest["data_from"])[:10])
    received = io.read_processed(base)[0]["notifications"]["date_received"]
    return received.min().date() if received.notna().any() else None


def results_inputs_key(period: Period, base: Path | None = None) -> str:
    """What a period's results are computed from: the validated extract's files, the
    library, the reference data and the period. Same key, same results."""
    processed = io.processed_dir(base)
    files = sorted(processed.glob("*.parquet")) + [processed / io.PROCESSED_MANIFEST]
    return digests.digest_json({"period": period.label, "processed": {p.name: io.sha256_file(p) for p in files},
                              "library": digests.library_digest(), "reference": digests.reference_digest()})


def ensure_results(period_label: str, base: Path | None = None, *, force: bool = False
                   ) -> tuple[Period, dict, Path, bool]:
    """The period's results, computed only if their inputs changed since they were written.

    Returns the period, the results' metadata, their folder and whether they were computed.
    """
    manifest = io.read_processed_manifest(base)
    period = resolve_period(period_label, extract_date_of(manifest), data_from_of(manifest, base))
    key = results_inputs_key(period, base)
    folder = io.results_dir(period.slug, base)
    meta_path = folder / io.RESULTS_META
    # Reused only when made from the same inputs and every file is as it was written (a damaged
    # results file is computed again, not read).
    if not force and io.results_intact(period.slug, base):
        meta = io.read_json(meta_path)
        if meta.get("inputs_key") == key:
            return period, meta, folder, False
    period, _published, meta, folder = compute_and_write_results(period.label, base, inputs_key=key)
    return period, meta, folder, True


def compute_and_write_results(period_label: str, base: Path | None = None, *, inputs_key: str | None = None
                              ) -> tuple[Period, pd.DataFrame, dict, Path]:
    """Compute every indicator up to ``period_label``, suppress, assess, and write.

    ``data/results/<period>/indicators.parquet`` (and ``.csv``) hold the *published*,
    suppressed results, the only ones templates read; ``public.parquet`` the CYPF
    indicators from public data (:mod:`ehps_lib.indicators.public`); ``deprivation.parquet`` the
    suppressed deprivation gradient (:mod:`ehps_lib.indicators.deprivation`) and
    ``inequality.parquet`` its slope and relative index of inequality, computed from the
    published gradient only. The counts of the results and the gradient are protected together,
    as one protected count table, honouring the ledger of every decision made for earlier periods
    (``data/results/protected_counts.parquet``, updated here). The unsuppressed results and the
    suppression audit go to ``data/results/<period>/internal/`` for analysts' quality
    assurance; they are never copied into the site.

    Returns the period, the published results, their metadata and the folder written.
    """
    # Imported here so that checking whether results are up to date stays fast.
    from .assess import assess
    from .catalogue import load_catalogue
    from .deprivation import AUDIT_COLUMNS as DEPRIVATION_AUDIT_COLUMNS
    from .deprivation import GRADIENT_COLUMNS, DeprivationError, gradient_counts, inequality_indices, publish_gradient
    from .deprivation import gradient_audit as deprivation_audit
    from .engine import compute_results, compute_unit_results, window_months_results
    from .public import public_results
    from .suppression import ledger_of, protect_results

    tables, manifest = io.read_processed(base)
    extract_date = extract_date_of(manifest)
    period = resolve_period(period_label, extract_date, data_from_of(manifest, base))
    # Reference data as they were at the end of the period: the population estimates published by then.
    raw = compute_results(tables, extract_date, up_to=period, include_scs_areas=True, as_of=period.end)
    threshold = load_settings().suppression_threshold
    catalogue = load_catalogue()
    try:
        gradient_raw = gradient_counts(tables, period, extract_date)
        gradient_note = ""
    except DeprivationError as exc:  # before the extract's first complete financial year
        gradient_raw = pd.DataFrame(columns=GRADIENT_COLUMNS)
        gradient_note = str(exc)
    # One protected count table for the results and the gradient, honouring every decision made
    # for earlier periods (the ledger), so that no period published later unlocks an earlier one.
    ledger = io.read_ledger(base)
    # the months of windows published only whole: unknowns the windows add up from
    months = window_months_results(tables, extract_date, up_to=period, include_scs_areas=True, as_of=period.end)
    audit, flags, protection = protect_results(raw, catalogue, threshold=threshold, gradient=gradient_raw,
                                               ledger=ledger, period=period.label,
                                               rule=load_settings().suppression_interval, months=months)
    published, _ = assess(raw, catalogue, threshold=threshold, protected=(audit, flags))
    if len(gradient_raw):
        gradient = publish_gradient(gradient_raw, protection.gradient_flags, catalogue)
        gradient_audit = deprivation_audit(protection, gradient_raw, protection.gradient_cells)
    else:
        gradient, gradient_audit = gradient_raw, pd.DataFrame(columns=DEPRIVATION_AUDIT_COLUMNS)
    meta = {
        "period": period.label,
        "period_kind": period.kind,
        "synthetic": bool(manifest.get("synthetic", False)),
        "extract_date": extract_date.isoformat(),
        "ehps_lib_version": __version__,
        "sources": manifest.get("sources", []),
        "rows": len(published),
        "inputs_key": inputs_key or results_inputs_key(period, base),
        "suppression": {"threshold": threshold, "interval": protection.rule, "cells_suppressed": len(audit),
                        "by_reason": audit["reason"].value_counts().sort_index().to_dict(),
                        "cells": int((~protection.table.cells["derived"]).sum()),
                        "cells_decided_before": 0 if ledger is None else int(len(ledger)),
                        "revised_cells_kept_as_published": protection.revised,
                        "proof_rounds": protection.rounds, "integer_programmes": protection.solver_calls},
        "gradient": gradient_note or "financial year " + (
            f"{pd.Timestamp(gradient_raw['window_start'].iloc[0]):%B %Y} to "
            f"{pd.Timestamp(gradient_raw['window_end'].iloc[0]):%B %Y}" if len(gradient_raw) else ""),
    }
    public = public_results()
    meta["public_indicators"] = sorted(public["indicator_id"].unique())
    # which tables and columns the extract held, so papers can tell "not in this extract" from zero
    meta["extract_tables"] = {name: list(frame.columns) for name, frame in tables.items()}
    meta["reference"] = reference_vintages(period)
    stat_settings = load_settings().statistics
    # from the published (protected) gradient only
    inequality = inequality_indices(gradient, repetitions=stat_settings.sii_repetitions, seed=stat_settings.sii_seed)
    # Early Help Units, unsuppressed: for the officers' internal drill-down only (never published)
    units = compute_unit_results(tables, extract_date, up_to=period)
    folder = io.write_results(published, meta, period.slug, base,
                              extra={"public": public, "deprivation": gradient, "inequality": inequality},
                              internal={"unsuppressed": raw, "suppression_audit": audit,
                                        "deprivation_audit": gradient_audit, "units": units})
    io.write_ledger(ledger_of(protection, period.label, ledger), base)
    return period, published, meta, folder
