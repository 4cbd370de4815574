"""The ``ehps`` command: every stage of the workspace from the command line.

Examples::

    ehps synth --report                 # make the built-in synthetic extract and check it
    ehps synth-returns --report         # the synthetic CIN census, SSDA903 and supplement (SCS dashboard)
    ehps ingest-returns returns/        # validate a council's statutory returns into data/returns/processed
    ehps ingest extract/*.csv           # validate a real extract into data/processed
    ehps indicators --period "2016-17 Q2"
    ehps build --period "2016-17 Q2"    # the quarter's pack, HTML and PDF, and site/index.html
    ehps check-disclosure site/         # scan a published site for disclosive content

Run ``ehps COMMAND --help`` for each command's options.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import traceback
from pathlib import Path

from . import __version__

_STARTED = (time.perf_counter(), time.process_time())  # for the build's profile (start-up)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        why = f": {exc}" if "range" in str(exc) else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not a date{why} (use YYYY-MM-DD)") from exc


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1, e.g. 0.05 for 5%")
    return value


def build_parser() -> argparse.ArgumentParser:
    from .config import load_settings

    settings = load_settings()
    parser = argparse.ArgumentParser(
        prog="ehps",
        description="Kent EHPS reporting workspace: from a case-system extract to the papers Members read.",
        epilog=__doc__.split("Examples::", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ehps_lib {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an error, show the Python traceback as well as the message")
    # --debug is accepted after the command too; SUPPRESS keeps it from undoing one given before.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an error, show the Python traceback as well as the message")
    waiting = argparse.ArgumentParser(add_help=False)
    waiting.add_argument("--no-wait", action="store_true",
                         help="if another build or ingest is running in this workspace, exit at once (status 1) "
                              "instead of waiting for it to finish")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "synth", formatter_class=_Formatter, parents=[common, waiting],
        help="generate the built-in synthetic extract (and ingest it)",
        description="Generate a deterministic, realistic synthetic case-system extract calibrated to the "
        "figures the council published, write it as CSV, and ingest it into data/processed.",
        epilog="example:\n  ehps synth --seed 7 --end 2019-03-31 --report",
    )
    p.add_argument("--seed", type=int, default=settings.synth_seed, help="random seed")
    p.add_argument("--start", type=_date, default=_date(settings.synth_start), help="first day of the extract")
    p.add_argument("--end", type=_date, default=_date(settings.synth_end), help="last day (the extract date)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the extract CSVs (default: DATA_DIR/extract/synthetic)")
    p.add_argument("--no-ingest", action="store_true", help="only write the CSVs; do not ingest them")
    p.add_argument("--report", action="store_true",
                   help="print each published figure beside the synthetic value and whether it is within tolerance")

    from .data import returns as returns_synth  # its defaults, without importing pandas

    p = sub.add_parser(
        "synth-returns", formatter_class=_Formatter, parents=[common, waiting],
        help="generate the built-in synthetic statutory returns (and ingest them)",
        description="Generate deterministic synthetic statutory returns (the CIN census as the DfE's XML, the "
        "SSDA903 tables as CSV) and the local supplement (teams, allocations, visits, audits, staffing), calibrated "
        "to what Kent published for August 2016 (seed 004), write them and ingest them into DATA_DIR/returns. "
        "The SCS performance dashboard is built from them. Everything made is marked synthetic.",
        epilog="example:\n  ehps synth-returns --report",
    )
    p.add_argument("--seed", type=int, default=returns_synth.DEFAULT_SEED, help="random seed")
    p.add_argument("--start", type=_date, default=returns_synth.DEFAULT_START,
                   help="first day of the returns' window (at most 2014-09-01: the rolling and two-year figures "
                   "of August 2016 need two years of history)")
    p.add_argument("--end", type=_date, default=returns_synth.DEFAULT_END,
                   help="the extract date (at least 2016-08-31, the month the returns are calibrated to)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for the return files (default: DATA_DIR/extract/returns)")
    p.add_argument("--no-ingest", action="store_true", help="only write the files; do not ingest them")
    p.add_argument("--report", action="store_true",
                   help="print every figure seed 004 publishes for August 2016 beside the synthetic value, with "
                   "its tolerance; exit 1 if a rating of Kent's scorecard or the RAG count differs")

    p = sub.add_parser(
        "ingest-returns", formatter_class=_Formatter, parents=[common, waiting],
        help="validate statutory returns (CIN census, SSDA903) and the supplement into DATA_DIR/returns",
        description="Read the CIN census (the DfE's XML, or its tables as CSV), the SSDA903 (XML, or its tables as "
        "CSV/Excel named Header, Episodes, UASC, ...) and the local supplement's tables; check the XML against the "
        "returns' schemas and every table against its contract and the DfE's validation rules (by rule number); "
        "report every problem at once (file, XML element and line or CSV row, column, rule); quarantine rejected "
        "rows with their reasons in DATA_DIR/returns/quarantine; publish the valid tables to "
        "DATA_DIR/returns/processed in one step, or nothing.",
        epilog="examples:\n  ehps ingest-returns returns/2016-08/\n"
               "  ehps ingest-returns cin_census.xml 903/*.csv supplement.xlsx --extract-date 2016-08-31",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="return files (or folders of them)")
    p.add_argument("--max-reject-share", type=_share, default=settings.max_reject_share,
                   help="stop, publishing nothing, when a table rejects more than this share of its rows")
    p.add_argument("--extract-date", type=_date, default=None,
                   help="the date the returns were extracted (default: the CIN census header's ReferenceDate)")

    p = sub.add_parser(
        "ingest", formatter_class=_Formatter, parents=[common, waiting],
        help="validate an extract into data/processed",
        description="Read the extract files (CSV, Parquet or Excel), validate every table against the data "
        "contract, report every problem at once (file, row, column, rule), write valid rows to "
        "data/processed as Parquet and rejected rows with their reasons to data/quarantine.",
        epilog="example:\n  ehps ingest extract/children.csv extract/notifications.csv extract/cases.xlsx",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="extract files (or a folder of them)")
    p.add_argument("--max-reject-share", type=_share, default=settings.max_reject_share,
                   help="stop, publishing nothing, when a table rejects more than this share of its rows")
    p.add_argument("--extract-date", type=_date, default=None,
                   help="the date the extract was taken (default: from extract.json beside the files; one of the "
                   "two is required: it is never taken from the rows)")

    p = sub.add_parser(
        "indicators", formatter_class=_Formatter, parents=[common, waiting],
        help="compute the indicator results for a period",
        description="Compute every indicator for Kent and each district for a month or quarter and write "
        "data/results/<period>/indicators.parquet and .csv.",
        epilog='example:\n  ehps indicators --period "2016-17 Q2"',
    )
    p.add_argument("--period", default="latest", help="'2016-17 Q2', '2016-08' or 'latest' (latest complete quarter; "
                   "with --source returns, the returns' latest complete month)")
    p.add_argument("--source", choices=["extract", "returns"], default="extract",
                   help="extract: the Early Help indicators of catalogue.yml, from the case-system extract; returns: "
                   "the SCS dashboard's (scs_catalogue.yml), monthly, from the statutory returns")

    p = sub.add_parser(
        "build", formatter_class=_Formatter, parents=[common, waiting],
        help="build a period's pack of papers (HTML, PDF, CSV, index) and publish it",
        description="Compute the period's results if their inputs changed; run every paper template (scorecards, "
        "district dashboards, county scorecard, committee paper, needs atlas, the EHPS scorecard by age and "
        "district with the monthly edition of a quarter's last month, the CYPF dashboard, the six-monthly CYPF "
        "progress report in March and September, the officers' drill-down) with papermill for its areas in "
        "parallel, skipping papers whose inputs have not changed; render each to HTML and PDF; scan everything "
        "for disclosive content; and publish site/ only when every paper succeeded (the previous site stays "
        "otherwise). Internal papers (the drill-down) go to internal/<period>/ beside the site, never into it.",
        epilog='examples:\n  ehps build --period "2016-17 Q2"\n'
               '  ehps build --period latest --templates district_dashboard --areas Canterbury Swale\n'
               '  ehps build --period 2017-02 --templates monthly_scorecard   (one month\'s edition)',
    )
    p.add_argument("--period", default="latest",
                   help="a quarter ('2016-17 Q2', '2016-17-Q2', 'Q2 2016-17'), a month ('2017-02', 'February 2017') "
                   "or 'latest' (the latest complete quarter)")
    p.add_argument("--areas", nargs="*", default=None, metavar="AREA",
                   help="areas to build, by name or code (Canterbury, E07000106, Shepway, East Kent); "
                   "default: Kent and all 12 districts")
    p.add_argument("--templates", "--template", nargs="+", default=None, metavar="NAME", dest="templates",
                   help="paper templates (notebooks/NAME.ipynb) to build (default: every registered template: "
                   + ", ".join(t.id for t in settings.templates) + ")")
    p.add_argument("--workers", type=int, default=settings.build_workers, help="parallel runs")
    p.add_argument("--engine", choices=["auto", "builtin", "quarto"], default="auto",
                   help="renderer: quarto when on PATH (auto), or the built-in engine")
    p.add_argument("--site", type=Path, default=None, help="output folder for the site (default: ROOT/site)")
    p.add_argument("--no-cache", action="store_true",
                   help="run every paper again even if nothing it is made from has changed, replacing its cache "
                   "entry")
    p.add_argument("--no-progress", action="store_true", help="print a line per paper instead of a progress bar")
    p.add_argument("--profile", action="store_true",
                   help="print the time each stage took (wall clock and CPU, summed over the workers); it is "
                   "always written to DATA_DIR/cache/profile.json")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--release", dest="release", action="store_true", default=None,
                      help="refuse to publish while any paper has a gap a Member must not see (a Red indicator "
                      "without commentary, illustrative names, no meeting date or contacts), naming each "
                      "(default for a real extract)")
    mode.add_argument("--draft", dest="release", action="store_false",
                      help="publish even with such gaps, and list what a release would need (default for the "
                      "synthetic extract)")

    p = sub.add_parser(
        "check-disclosure", formatter_class=_Formatter, parents=[common],
        help="scan a published site for small counts, child identifiers and birth dates",
        description="Read every HTML page, PDF and CSV under SITE and report any unsuppressed count from 1 to "
        "the suppression threshold and any child identifier, pseudonym or birth date from the validated "
        "extract in DATA_DIR/processed. Exits 1 on any finding. `ehps build` runs the same scan before "
        "publishing.",
        epilog="example:\n  ehps check-disclosure site/",
    )
    p.add_argument("site", type=Path, metavar="SITE", help="the published site folder")
    p.add_argument("--threshold", type=int, default=settings.suppression_threshold,
                   help="counts from 1 to this are disclosive")
    p = sub.add_parser(
        "dictionary", formatter_class=_Formatter, parents=[common],
        help="print the extract's data dictionary (Markdown), generated from the pandera contract",
        description="Print the data dictionary of the case-system extract (or, with --returns, of the statutory "
        "returns and the supplement). data/README.md holds a copy of each, kept in step by a test.",
        epilog="example:\n  ehps dictionary > /tmp/dictionary.md\n  ehps dictionary --returns",
    )
    p.add_argument("--returns", action="store_true",
                   help="the statutory returns' dictionary (CIN census, SSDA903, supplement)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``ehps`` command; return its exit status.

    Every error a user can cause (a bad period, a damaged file, a full disk, a folder that
    cannot be written, a busy workspace, ...) is one message naming the file, key or row and
    what to do, with status 1 and no traceback; ``--debug`` (or ``EHPS_DEBUG=1``) adds the
    traceback. An error that is a fault of ehps itself says so.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "build":
        from .publish import fastpath, profile

        profile.STARTUP = (time.perf_counter() - _STARTED[0], time.process_time() - _STARTED[1])

        nothing = fastpath.try_noop(args)
        if nothing:
            print(nothing, flush=True)
            return EXIT_OK
    from . import commands

    debug = getattr(args, "debug", False) or os.environ.get("EHPS_DEBUG", "") not in ("", "0")
    try:
        return getattr(commands, f"run_{args.command.replace('-', '_')}")(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place every error becomes a message
        if debug:
            traceback.print_exc()
        print(f"ehps {args.command}: {commands.error_message(exc, debug=debug)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
