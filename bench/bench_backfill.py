"""Benchmark: a backfill of 12 consecutive quarters and 12 monthly editions into one site.

Run with ``make bench-backfill`` (or ``.venv/bin/python bench/bench_backfill.py``). In a
temporary workspace (as ``bench_build.py`` makes it, with a synthetic extract from April 2014
to March 2019, so that every period is after the first deprivation edition the reference data
hold, IMD 2015) it builds, oldest first, each of the 12 quarters 2016-17 Q1 … 2018-19 Q4 and
then each of the 12 monthly editions April 2018 … March 2019, every one into the same site,
so the site grows by a period's papers each time. For each build it reports the wall-clock
and CPU time (user + system), the papers it made, the time per paper, and the two stages
whose work could grow with the site: ``publish`` (the new build folder is assembled from the
live site, and the catalogue and manifests are merged) and ``results``.

Time per paper must stay flat as periods accumulate: the script prints the mean time per
paper of the first and of the last quarter of the builds, their ratio (target: at most
1.25), and the least-squares slope of time per paper against the number of periods already
published. A full pack per period (28 papers) makes this take hours on 2 cores, so by
default each period's pack is Kent's and one district's scorecards and the district's
dashboard (``--templates``, ``--areas`` to change it).

Figures go to ``bench/results/backfill.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import BIN, ROOT, _run, environment, project_copy  # noqa: E402

FLAT = 1.25


def periods(quarters: int, months: int, end: dt.date) -> list[str]:
    """The last ``quarters`` quarters and ``months`` months to ``end``, oldest first."""
    from ehps_lib.periods import Period

    q = [Period.quarter_of(end)]
    while len(q) < quarters:
        q.append(q[-1].previous())
    m = [Period.parse(f"{end:%Y-%m}")]
    while len(m) < months:
        m.append(m[-1].previous())
    return [p.label for p in reversed(q)] + [p.label for p in reversed(m)]


def slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quarters", type=int, default=12)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--templates", nargs="+", default=["scorecard", "district_dashboard"])
    parser.add_argument("--areas", nargs="+", default=["Kent", "Dover"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2019, 3, 31),
                        help="the extract's last day, the end of the last quarter and month built")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ehps-bench-backfill-"))
    project = project_copy(work)
    env = environment(work, project)
    os.environ.update({k: env[k] for k in ("EHPS_DATA_DIR", "EHPS_PROJECT_ROOT", "EHPS_REFERENCE_DIR")})
    print(f"Working in {work}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    _run([str(BIN / "ehps"), "synth", "--end", args.end.isoformat()], env, project)
    site = work / "site"
    rows = []
    print(f"{'#':>3} {'period':<12} {'papers':>6} {'wall s':>8} {'cpu s':>8} {'s/paper':>8} {'publish s':>9} "
          f"{'results s':>9} {'site MB':>8}")
    for n, label in enumerate(periods(args.quarters, args.months, args.end)):
        cmd = [str(BIN / "ehps"), "build", "--period", label, "--site", str(site), "--workers", str(args.workers),
               "--no-progress", "--templates", *args.templates, "--areas", *args.areas]
        wall, cpu, _out = _run(cmd, env, project)
        profile = json.loads((work / "data" / "cache" / "profile.json").read_text(encoding="utf-8"))
        stages = profile["stages"]
        papers = profile["executed"] + profile["cached"]
        size = sum(p.stat().st_size for p in site.resolve().rglob("*") if p.is_file()) / 1e6
        row = {"n": n, "period": label, "papers": papers, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
               "per_paper_s": round(wall / max(papers, 1), 2), "per_paper_cpu_s": round(cpu / max(papers, 1), 2),
               "publish_s": round(stages.get("publish", {}).get("wall", 0.0), 2),
               "results_s": round(stages.get("results", {}).get("wall", 0.0), 2), "site_mb": round(size, 1)}
        rows.append(row)
        print(f"{n:3d} {label:<12} {papers:6d} {wall:8.1f} {cpu:8.1f} {row['per_paper_s']:8.2f} "
              f"{row['publish_s']:9.2f} {row['results_s']:9.2f} {size:8.1f}", flush=True)

    k = max(len(rows) // 4, 1)
    first = sum(r["per_paper_s"] for r in rows[:k]) / k
    last = sum(r["per_paper_s"] for r in rows[-k:]) / k
    first_cpu = sum(r["per_paper_cpu_s"] for r in rows[:k]) / k
    last_cpu = sum(r["per_paper_cpu_s"] for r in rows[-k:]) / k
    grow = slope([r["n"] for r in rows], [r["per_paper_s"] for r in rows])
    grow_publish = slope([r["n"] for r in rows], [r["publish_s"] for r in rows])
    print(f"time per paper, first {k} builds: {first:.2f} s wall ({first_cpu:.2f} s CPU); last {k}: {last:.2f} s wall "
          f"({last_cpu:.2f} s CPU); ratio {last / first:.2f} wall, {last_cpu / first_cpu:.2f} CPU "
          f"(target: at most {FLAT})")
    print(f"slope: {grow:+.3f} s per paper for each period already published; publish stage {grow_publish:+.3f} s")
    out = {"date": dt.date.today().isoformat(), "cores": os.cpu_count(), "templates": args.templates,
           "areas": args.areas, "builds": rows,
           "first_per_paper_s": round(first, 2), "last_per_paper_s": round(last, 2),
           "first_per_paper_cpu_s": round(first_cpu, 2), "last_per_paper_cpu_s": round(last_cpu, 2),
           "ratio": round(last / first, 2), "ratio_cpu": round(last_cpu / first_cpu, 2),
           "slope_s_per_period": round(grow, 3), "publish_slope_s_per_period": round(grow_publish, 3)}
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "backfill.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    flat = last_cpu / first_cpu <= FLAT
    print("time per paper flat" if flat else "time per paper NOT flat")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
