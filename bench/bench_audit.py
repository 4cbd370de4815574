"""Benchmark: the intruder audit (``ehps check-disclosure --audit``) over four quarterly packs.

Run with ``make bench-audit`` (or ``.venv/bin/python bench/bench_audit.py``). By default it
generates the synthetic extract (April 2014 to March 2017; ``--sample 0.1`` keeps a 10 % sample
of the children, a sparse extract), computes and protects the results of the four quarters of
2016-17 in turn (each honouring the ledger of the ones before, as the build does), puts each
pack's open data (``<period>/data/indicators.csv`` and ``deprivation.csv``, what the audit reads)
into one site folder, and times :func:`ehps_lib.publish.audit.audit_site` over the whole site,
``--repeat`` times. With ``--site`` it times the audit of a site already built instead
(``ehps build`` over several quarters). It prints the time of each run, the median, and what
the audit read and proved (withheld counts, relations, integer programmes, the narrowest
feasible range). The time of protecting each quarter is printed too: the build pays it once
per quarter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

QUARTERS = ["2016-17 Q1", "2016-17 Q2", "2016-17 Q3", "2016-17 Q4"]


def _make_site(folder: Path, sample: float | None) -> Path:
    from ehps_lib.config import load_settings
    from ehps_lib.data import ingest, synth

    data = folder / "data"
    seed = load_settings().synth_seed
    start, end = dt.date(2014, 4, 1), dt.date(2017, 3, 31)
    t0 = time.perf_counter()
    tables = synth.generate_extract(seed, start, end)
    if sample is not None:
        tables = synth.sample_extract(tables, sample, seed=seed)
    synth.write_extract(tables, data / "extract", seed=seed, start=start, end=end, sample=sample)
    if not ingest.ingest([data / "extract"], data_dir=data, max_reject_share=1.0).published:
        raise SystemExit("the synthetic extract could not be ingested")
    print(f"synthetic extract{'' if sample is None else f' ({sample:.0%} sample)'}: "
          f"{len(tables['notifications']):,} notifications, {len(tables['cases']):,} cases "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    os.environ["EHPS_DATA_DIR"] = str(data)
    from ehps_lib.indicators.results import compute_and_write_results

    site = folder / "site"
    for q in QUARTERS:
        t0 = time.perf_counter()
        period, _published, meta, results = compute_and_write_results(q, base=data)
        for name in ("indicators", "deprivation"):
            if (results / f"{name}.csv").is_file():
                (site / period.slug / "data").mkdir(parents=True, exist_ok=True)
                shutil.copy(results / f"{name}.csv", site / period.slug / "data" / f"{name}.csv")
        s = meta["suppression"]
        print(f"{q}: results computed and protected in {time.perf_counter() - t0:.1f} s ({s['cells']:,} cells, "
              f"{s['cells_suppressed']:,} withheld rows, {s['integer_programmes']:,} integer programmes)", flush=True)
    return site


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the audit")
    parser.add_argument("--sample", type=float, default=None, help="a sparse extract: keep this share of children")
    parser.add_argument("--site", type=Path, default=None, help="audit this built site instead of making one")
    args = parser.parse_args(argv)

    from ehps_lib.config import load_settings
    from ehps_lib.publish.audit import audit_site

    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="ehps-bench-audit-") as tmp:
        site = args.site if args.site is not None else _make_site(Path(tmp), args.sample)
        times, report = [], None
        for i in range(args.repeat):
            t0 = time.perf_counter()
            report = audit_site(site, settings.suppression_threshold, rule=settings.suppression_interval)
            times.append(time.perf_counter() - t0)
            print(f"run {i + 1}: audit {times[-1]:.2f} s", flush=True)
        print(report.format(5))
        print(f"median {statistics.median(times):.2f} s over {len(report.periods)} period(s): {report.withheld:,} "
              f"withheld and {report.derived:,} derived counts, {report.relations:,} relations, "
              f"{report.solver_calls:,} integer programmes; {'passed' if report.ok else 'FAILED'}")
    return 0 if report is not None and report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
