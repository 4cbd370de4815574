"""What each ``ehps`` subcommand does: parse nothing, print progress, return an exit code.

Argument parsing is in :mod:`ehps_lib.cli`; the work is in the library modules. Every command
that writes the data folder holds the workspace lock while it does
(:func:`ehps_lib.data.io.workspace_lock`), so a build never reads an extract being replaced;
:func:`error_message` turns any error into the one line the user sees.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path

from . import config
from .data import io

EXIT_OK, EXIT_FAILED = 0, 1


def _err(msg: str) -> None:
    print(f"ehps: {msg}", file=sys.stderr)


def error_message(exc: BaseException, *, debug: bool = False) -> str:
    """The message a user sees for an error that ended a command.

    Errors a user can cause carry their own message (naming the file, key or row and the
    fix); an operating-system error is described by what it means (a full disk, a folder
    that cannot be written) and the file it concerns; anything else is a fault of ehps, and
    says so.

    Examples
    --------
    >>> import errno
    >>> error_message(OSError(errno.ENOSPC, "No space left on device", "data/processed/cases.parquet"))
    'the disk is full (No space left on device) writing data/processed/cases.parquet: free some space and run again'
    >>> error_message(ValueError("'2016-17 Q5' is not a period"))
    "'2016-17 Q5' is not a period"
    """
    from .publish.build import describe_os_error

    if isinstance(exc, FileNotFoundError) and not exc.filename:
        return str(exc)  # the workspace's own "not found" errors carry their explanation
    if isinstance(exc, OSError) and not isinstance(exc, io.WorkspaceBusyError):
        return describe_os_error(exc)
    if isinstance(exc, ValueError | RuntimeError):
        return str(exc).strip() or type(exc).__name__
    hint = "" if debug else " (run again with --debug to see where)"
    return (f"unexpected error, a fault in ehps rather than in your data: {type(exc).__name__}: {exc}{hint}. "
            "Please report it.")


@contextmanager
def _workspace(args, what: str):
    """Hold the data folder's lock (waiting, unless ``--no-wait``) while a command writes it."""
    with io.workspace_lock(config.data_dir(), what, wait=not getattr(args, "no_wait", False),
                           on_wait=lambda m: print(m, flush=True)):
        yield


def run_synth(args) -> int:
    from .data import synth

    if args.end <= args.start:
        _err("--end must be after --start")
        return 2
    out = args.out or config.data_dir() / "extract" / "synthetic"
    with _workspace(args, "ehps synth"):
        print(f"Generating synthetic extract {args.start} to {args.end} (seed {args.seed}) ...", flush=True)
        tables = synth.generate_extract(args.seed, args.start, args.end)
        sample = getattr(args, "sample", None)
        if sample is not None:
            tables = synth.sample_extract(tables, sample, seed=args.seed)
            print(f"Keeping a {sample:.0%} sample of the children ({len(tables['children']):,}), with their "
                  "notifications and cases: a sparse extract", flush=True)
        paths = synth.write_extract(tables, Path(out), seed=args.seed, start=args.start, end=args.end,
                                    sample=sample)
        for p in paths:
            print(f"  wrote {p}")
        status = EXIT_OK
        if not args.no_ingest:
            from .data.ingest import ingest

            share = config.load_settings().max_reject_share
            result = ingest([Path(out)], data_dir=config.data_dir(), max_reject_share=share)
            print(result.summary())
            status = EXIT_OK if result.published else EXIT_FAILED
    if args.report and sample is None:
        report = synth.calibration_report(tables)
        print()
        print(synth.format_report(report))
        if not report["within"].all():
            status = EXIT_FAILED
    return status


def run_synth_returns(args) -> int:
    from .data.returns import synth

    try:
        synth.check_window(args.start, args.end)
    except ValueError as exc:
        _err(str(exc))
        return 2
    out = Path(args.out or config.data_dir() / "extract" / "returns")
    with _workspace(args, "ehps synth-returns"):
        print(f"Generating synthetic statutory returns {args.start} to {args.end} (seed {args.seed}) ...", flush=True)
        tables, notes = synth.generate_returns(args.seed, args.start, args.end)
        paths = synth.write_returns(tables, out, seed=args.seed, start=args.start, end=args.end)
        for p in paths:
            print(f"  wrote {p}")
        if notes:
            print(f"  {len(notes)} targets the model could not meet exactly (shown in the calibration report), e.g. "
                  f"{notes[0]}")
        status = EXIT_OK
        if not args.no_ingest:
            from .data.returns.ingest import ingest_returns

            share = config.load_settings().max_reject_share
            result = ingest_returns([out], data_dir=config.data_dir(), max_reject_share=share)
            print(result.summary())
            status = EXIT_OK if result.published else EXIT_FAILED
            if result.published:
                tables = result.tables  # the report is of what the dashboard is built from
    if args.report:
        from .indicators import scs_calibration

        print("\nComputing the August 2016 figures from the synthetic returns ...", flush=True)
        report = scs_calibration.calibration_report_from_tables(tables, args.end)
        print()
        print(scs_calibration.format_report(report))
        failed = scs_calibration.ratings_differ(report)
        if failed:
            _err("ratings differ from the published ones: " + "; ".join(failed))
            status = EXIT_FAILED
    return status


def run_ingest_returns(args) -> int:
    from .data.returns.ingest import ingest_returns

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        _err("not found: " + ", ".join(str(p) for p in missing))
        return 2
    with _workspace(args, "ehps ingest-returns"):
        result = ingest_returns(list(args.paths), data_dir=config.data_dir(),
                                max_reject_share=args.max_reject_share, extract_date=args.extract_date)
    print(result.summary())
    return EXIT_OK if result.published else EXIT_FAILED


def run_ingest(args) -> int:
    from .data.ingest import ingest

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        _err("not found: " + ", ".join(str(p) for p in missing))
        return 2
    with _workspace(args, "ehps ingest"):
        try:
            result = ingest(list(args.paths), data_dir=config.data_dir(), max_reject_share=args.max_reject_share,
                            extract_date=args.extract_date)
        except OSError as exc:
            from .publish.build import describe_os_error

            print(f"ehps ingest: {describe_os_error(exc)}. Nothing was published: {io.processed_dir()} is as it "
                  "was.", file=sys.stderr)
            return EXIT_FAILED
    print(result.summary())
    return EXIT_OK if result.published else EXIT_FAILED


def run_indicators(args) -> int:
    if getattr(args, "source", "extract") == "returns":
        return _run_scs_indicators(args)
    from .indicators.results import compute_and_write_results

    with _workspace(args, f"ehps indicators --period {args.period!r}"):
        period, results, meta, folder = compute_and_write_results(args.period)
    note = " (SYNTHETIC DATA)" if meta["synthetic"] else ""
    print(f"{period.label}{note}: {len(results):,} results for {results['indicator_id'].nunique()} indicators "
          f"and {results['area_code'].nunique()} areas written to {folder}")
    return EXIT_OK


def _run_scs_indicators(args) -> int:
    from .indicators import scs_results

    with _workspace(args, f"ehps indicators --source returns --period {args.period!r}"):
        period, published, meta, folder = scs_results.compute_and_write(
            args.period, log=lambda m: print(m, file=sys.stderr, flush=True))
    note = " (SYNTHETIC DATA)" if meta["synthetic"] else ""
    print(f"SCS dashboard, {period.label}{note}: {len(published):,} results for "
          f"{published['indicator_id'].nunique()} indicators and {published['area_code'].nunique()} teams and areas "
          f"written to {folder}; {meta['suppression']['cells_suppressed']:,} cells withheld")
    return EXIT_OK


def run_build(args) -> int:
    from .publish import build

    outcome = build.build(period=args.period, areas=args.areas, templates=args.templates,
                          workers=args.workers, engine=args.engine, site_dir=args.site,
                          use_cache=not args.no_cache, progress=False if args.no_progress else None,
                          wait=not args.no_wait, release=args.release)
    if getattr(args, "profile", False):
        from .publish.profile import table

        print(table(outcome.profile, outcome.seconds))
    return EXIT_OK if outcome.ok else EXIT_FAILED


def run_check_disclosure(args) -> int:
    from .publish import disclosure
    from .publish.build import _secrets

    if not Path(args.site).is_dir():
        _err(f"{args.site} is not a folder")
        return 2
    try:
        secrets = _secrets(config.data_dir())
    except FileNotFoundError as exc:
        _err(f"{exc}\nThe scan needs the validated extract to know which identifiers to look for.")
        return EXIT_FAILED
    findings = disclosure.scan_site(Path(args.site), secrets, threshold=args.threshold)
    print(disclosure.format_findings(findings))
    failed = bool(findings)
    if getattr(args, "audit", False):
        from .publish import audit

        report = audit.audit_site(Path(args.site), args.threshold, rule=config.load_settings().suppression_interval)
        print(report.format())
        failed = failed or not report.ok
    return EXIT_FAILED if failed else EXIT_OK


def run_dictionary(args) -> int:
    if getattr(args, "returns", False):
        from .data.returns.contract import data_dictionary_markdown
    else:
        from .data.contract import data_dictionary_markdown

    print(data_dictionary_markdown())
    return EXIT_OK


__all__ = ['error_message', 'run_check_disclosure', 'run_dictionary', 'run_synth', 'run_synth_returns', 'run_ingest',
           'run_ingest_returns', 'run_indicators', 'run_build', 'io']
