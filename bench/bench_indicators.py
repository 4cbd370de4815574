"""Benchmark: the whole indicator catalogue for 13 areas × 36 months on a five-year extract.

Run with ``make bench-indicators`` (or ``.venv/bin/python bench/bench_indicators.py``).
It generates the five-year synthetic extract (April 2014 to March 2019) once, then times
computing every catalogue indicator for Kent and the 12 districts over the last 36 months
(months and quarters, all age bands), followed by suppression and the statistics (CI, RAG,
direction, rolling 3 months, comparison, rank, SPC). It prints the time of each of
``--repeat`` runs and the median. Target on the 2-core machines: under 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from ehps_lib.config import load_settings
from ehps_lib.data import synth
from ehps_lib.indicators import assess, engine
from ehps_lib.indicators.catalogue import load_catalogue

TARGET_SECONDS = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs")
    args = parser.parse_args(argv)

    start, end = dt.date(2014, 4, 1), dt.date(2019, 3, 31)
    t0 = time.perf_counter()
    tables = synth.generate_extract(load_settings().synth_seed, start, end)
    print(f"five-year synthetic extract: {len(tables['notifications']):,} notifications, "
          f"{len(tables['cases']):,} cases ({time.perf_counter() - t0:.1f} s to generate)")
    catalogue = load_catalogue()
    times = []
    for i in range(args.repeat):
        t0 = time.perf_counter()
        raw = engine.compute_results(tables, end, months=36)
        t1 = time.perf_counter()
        published, audit = assess.assess(raw, catalogue, threshold=load_settings().suppression_threshold)
        t2 = time.perf_counter()
        times.append(t2 - t0)
        print(f"run {i + 1}: compute {t1 - t0:.2f} s + suppress and assess {t2 - t1:.2f} s = {t2 - t0:.2f} s "
              f"({raw['indicator_id'].nunique()} indicators, {raw['area_code'].nunique()} areas, "
              f"{len(published):,} results, {len(audit):,} cells suppressed)")
    median = statistics.median(times)
    verdict = "met" if median < TARGET_SECONDS else "NOT met"
    print(f"median {median:.2f} s; target under {TARGET_SECONDS:.0f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
