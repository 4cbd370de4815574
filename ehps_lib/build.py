"""Build a period's papers: results → papermill runs in parallel → HTML and PDF → site index.

Command line: ``ehps build --period "2016-17 Q2" [--areas CODE ...] [--workers 2]``.

Steps:

1. compute the indicator results for the period once (:func:`pipeline.compute_and_write_results`);
2. run ``notebooks/<template>.ipynb`` with papermill for each area, in parallel processes;
   each executed notebook is kept as the audit trail in ``reports/<period>/<area>/``;
3. render each executed notebook to ``site/<period>/<area>/<template>.html`` and ``.pdf``
   beside the area's figures as CSV; each area's folder is built aside and swapped in
   whole, so a reader never sees half a paper;
4. update ``site/papers.json`` (every paper published so far, of any period) and write
   ``site/index.html`` from it.

One failing area never stops the others: its error (cell, exception and message) is
reported and the outcome is not ``ok``.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, config, io, render
from .geography import DISTRICTS, KENT_CODE, area_codes, area_name
from .periods import Period

CATALOGUE_FILE = "papers.json"
INDEX_FILE = "index.html"
INDEX_TITLE = "Early Help and Preventative Services scorecards"
SYNTHETIC_TAG = '<span class="ehps-tag">Synthetic data</span>'
_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


# -- outcome ---------------------------------------------------------------------------------------
@dataclass
class Paper:
    """One published paper (paths are absolute; ``entry()`` gives the site catalogue record)."""

    area_code: str
    area_name: str
    period: str
    template: str
    notebook: Path
    html: Path
    pdf: Path | None
    csv: Path | None
    synthetic: bool
    seconds: float

    def entry(self, site: Path, *, period_title: str, period_start: str, built: str,
              extract_date: str) -> dict:
        rel = lambda p: p.relative_to(site).as_posix() if p is not None else None  # noqa: E731
        return {"period": self.period, "period_title": period_title, "period_start": period_start,
                "area_code": self.area_code, "area_name": self.area_name, "template": self.template,
                "html": rel(self.html), "pdf": rel(self.pdf), "csv": rel(self.csv),
                "synthetic": self.synthetic, "built": built, "extract_date": extract_date}


@dataclass
class Failure:
    """An area that was not published, and why."""

    area_code: str
    area_name: str
    stage: str  # "execute", "render" or "worker"
    message: str
    cell: int | None = None
    ename: str | None = None
    evalue: str | None = None
    notebook: Path | None = None

    def describe(self) -> str:
        where = f", cell [{self.cell}]" if self.cell is not None else ""
        what = f"{self.ename}: {self.evalue}" if self.ename else self.message
        return f"{self.area_name} ({self.area_code}): {self.stage}{where}: {what}"


@dataclass
class BuildOutcome:
    ok: bool
    period: str
    papers: list[Paper] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    site_dir: Path | None = None
    index: Path | None = None
    seconds: float = 0.0


# -- one area (runs in a worker process) -----------------------------------------------------------
@dataclass(frozen=True)
class AreaJob:
    area_code: str
    area_name: str
    period: str
    period_slug: str
    template: str
    template_path: str
    project_root: str
    reports_dir: str
    site_dir: str
    data_dir: str
    engine: str
    synthetic: bool
    classification: str
    provenance: dict


def _safe_area_name(code: str, on) -> str:
    try:
        return area_name(code, on)
    except KeyError:
        return code


def run_area(job: AreaJob) -> dict:
    """Execute and render one area. Never raises: returns a plain dict (picklable) with
    ``ok``, ``seconds`` and either the paths written or the failure details."""
    start = time.perf_counter()
    out: dict = {"area_code": job.area_code, "ok": False}
    if not _SAFE_CODE.match(job.area_code):
        return {**out, "stage": "execute", "message": f"{job.area_code!r} is not a valid area code",
                "seconds": 0.0}
    # The kernel inherits this process's environment: make it read the data just computed.
    os.environ["EHPS_DATA_DIR"] = job.data_dir
    notebook = Path(job.reports_dir) / job.period_slug / job.area_code / f"{job.template}.ipynb"
    out["notebook"] = str(notebook)
    try:
        # The kernel's own chatter (transport warnings, shutdown messages) goes to a log beside
        # the executed notebook rather than the build's console.
        with io.stderr_to_file(notebook.with_name(f"{job.template}.kernel.log")):
            _execute(job, notebook)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the build
        return {**out, **_execution_error(exc), "stage": "execute", "seconds": time.perf_counter() - start}
    out["execute_seconds"] = time.perf_counter() - start
    try:
        out.update(_render_area(job, notebook))
    except Exception as exc:  # noqa: BLE001
        return {**out, "stage": "render", "message": f"{type(exc).__name__}: {exc}",
                "ename": type(exc).__name__, "evalue": str(exc), "seconds": time.perf_counter() - start}
    return {**out, "ok": True, "seconds": time.perf_counter() - start}


def _execute(job: AreaJob, notebook: Path) -> None:
    import papermill

    notebook.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        job.template_path, str(notebook),
        parameters={"area_code": job.area_code, "period": job.period},
        kernel_name="python3", cwd=job.project_root, progress_bar=False, log_output=False,
    )


def _execution_error(exc: Exception) -> dict:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue,
                "message": f"{exc.ename}: {exc.evalue}"}
    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return {"ename": type(exc).__name__, "evalue": str(exc), "message": detail}


def paper_files(template: str, area_code: str, period_slug: str) -> dict[str, str]:
    """File names of a paper inside ``site/<period>/<area>/``."""
    return {"html": f"{template}.html", "pdf": f"{template}.pdf",
            "csv": f"{template}-{area_code}-{period_slug}.csv"}


def _template_title(template: str) -> str:
    try:
        return config.load_settings().template(template).title
    except config.ConfigError:
        return template.replace("_", " ").capitalize()


def _render_area(job: AreaJob, notebook: Path) -> dict:
    target = Path(job.site_dir) / job.period_slug / job.area_code
    names = paper_files(job.template, job.area_code, job.period_slug)
    stage = io.staging_dir(target)
    try:
        results, _ = io.read_results(job.period_slug, Path(job.data_dir))
        io.write_csv(results[results["area_code"] == job.area_code], stage / names["csv"])
        title = f"{job.area_name}: {_template_title(job.template)}, {job.period}"
        kw = dict(title=title, subtitle=Period.parse(job.period).title, synthetic=job.synthetic,
                  classification=job.classification, provenance=job.provenance,
                  links=[(f"This paper as PDF ({job.area_name}, {job.period})", names["pdf"]),
                         (f"The figures for {job.area_name} as CSV (every month and quarter to {job.period})",
                          names["csv"])],
                  nav=[("All papers", f"../../{INDEX_FILE}")])
        if job.engine == "quarto":
            render.render_with_quarto(notebook, stage / names["html"], stage / names["pdf"])
        else:
            render.render_notebook(notebook, stage / names["html"], stage / names["pdf"], **kw)
        io.make_public(stage)
        # Other templates' papers share the area's folder: replace only this paper's files,
        # each atomically.
        target.mkdir(parents=True, exist_ok=True)
        io.make_public(target)
        for name in names.values():
            os.replace(stage / name, target / name)
    finally:
        io.remove_tree(stage)
    return {name: str(target / file) for name, file in names.items()}


# -- the build -------------------------------------------------------------------------------------
def _say(msg: str) -> None:
    print(msg, flush=True)


def build(period: str = "latest", areas: list[str] | None = None, template: str = "scorecard",
          workers: int = 2, engine: str = "auto", site_dir: str | Path | None = None, *,
          reports_dir: str | Path | None = None, log: Callable[[str], None] = _say) -> BuildOutcome:
    """Build the papers of ``template`` for ``period`` and ``areas`` (default: Kent and the 12
    districts), publish them in ``site_dir`` (default ``ROOT/site``) and update its index.

    Raises
    ------
    FileNotFoundError
        When the template or the validated extract is missing.
    ValueError
        For a bad period, a non-positive worker count or an unavailable engine.
    """
    started = time.perf_counter()
    from .pipeline import compute_and_write_results

    root = config.project_root()
    template_path = root / "notebooks" / f"{template}.ipynb"
    if not template_path.is_file():
        raise FileNotFoundError(f"No notebook template {template_path}; templates live in notebooks/")
    if workers < 1:
        raise ValueError("--workers must be 1 or more")
    engine_used = render.choose_engine(engine)
    codes = list(dict.fromkeys(areas)) if areas else area_codes()
    site = Path(site_dir) if site_dir else root / "site"
    reports = Path(reports_dir) if reports_dir else root / "reports"
    data = config.data_dir()

    p, results, meta, _ = compute_and_write_results(period, base=data)
    synthetic = bool(meta.get("synthetic"))
    built = render.build_time()
    provenance = {"period": p.label, "extract_date": meta.get("extract_date"),
                  "ehps_lib_version": meta.get("ehps_lib_version", __version__),
                  "git_commit": render.git_commit(root),
                  "inputs": render.describe_inputs(meta.get("sources")),
                  "build_time": built}
    settings = config.load_settings()
    jobs = [AreaJob(area_code=c, area_name=_safe_area_name(c, p.end), period=p.label, period_slug=p.slug,
                    template=template, template_path=str(template_path), project_root=str(root),
                    reports_dir=str(reports), site_dir=str(site), data_dir=str(data), engine=engine_used,
                    synthetic=synthetic, classification=settings.classification, provenance=provenance)
            for c in codes]
    note = " (SYNTHETIC DATA)" if synthetic else ""
    log(f"Building {len(jobs)} {template} paper(s) for {p.label}{note} with {min(workers, len(jobs))} "
        f"worker(s), {engine_used} renderer")

    by_code = {j.area_code: j for j in jobs}
    done: dict[str, dict] = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        futures = {pool.submit(run_area, job): job for job in jobs}
        for i, fut in enumerate(as_completed(futures), start=1):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker fails its area only
                res = {"area_code": job.area_code, "ok": False, "stage": "worker", "seconds": 0.0,
                       "message": f"{type(exc).__name__}: {exc}"}
            done[job.area_code] = res
            status = "ok" if res["ok"] else f"FAILED ({res['stage']}: {_short(res.get('message', ''))})"
            log(f"[{i}/{len(jobs)}] {job.area_name} {status} {res['seconds']:.1f} s")

    papers, failures = [], []
    for code in codes:
        res, job = done[code], by_code[code]
        if res["ok"]:
            papers.append(Paper(code, job.area_name, p.label, template, Path(res["notebook"]),
                                Path(res["html"]), Path(res["pdf"]), Path(res["csv"]), synthetic,
                                res["seconds"]))
        else:
            failures.append(Failure(code, job.area_name, res["stage"], res.get("message", ""),
                                    res.get("cell"), res.get("ename"), res.get("evalue"),
                                    Path(res["notebook"]) if res.get("notebook") else None))

    entries = [paper.entry(site, period_title=p.title, period_start=p.start.isoformat(), built=built,
                           extract_date=str(meta.get("extract_date", ""))) for paper in papers]
    index = update_site_index(site, entries, classification=settings.classification,
                              provenance={"ehps_lib_version": provenance["ehps_lib_version"],
                                          "git_commit": provenance["git_commit"], "build_time": built})
    outcome = BuildOutcome(ok=not failures, period=p.label, papers=papers, failures=failures, site_dir=site,
                           index=index, seconds=time.perf_counter() - started)
    log(summary(outcome, synthetic=synthetic))
    return outcome


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(outcome: BuildOutcome, *, synthetic: bool = False) -> str:
    """The lines printed at the end of a build."""
    total = len(outcome.papers) + len(outcome.failures)
    note = " (SYNTHETIC DATA)" if synthetic else ""
    lines = [f"Built {len(outcome.papers)} of {total} paper(s) for {outcome.period}{note} "
             f"in {outcome.seconds:.1f} s."]
    for f in outcome.failures:
        lines.append(f"  FAILED {f.describe()}")
        if f.notebook is not None and f.stage == "execute":
            lines.append(f"         executed notebook with the error: {f.notebook}")
    if outcome.index is not None:
        lines.append(f"Site index: {outcome.index}")
    return "\n".join(lines)


# -- site catalogue and index ----------------------------------------------------------------------
def _area_order(entry: dict) -> tuple:
    code = entry["area_code"]
    return (0 if code == KENT_CODE else 1 if code in DISTRICTS else 2, entry["area_name"].lower(),
            entry["template"])


def sort_entries(entries: list[dict]) -> list[dict]:
    """Newest period first; within a period Kent, then the districts A to Z, then other areas."""
    by_area = sorted(entries, key=_area_order)
    return sorted(by_area, key=lambda e: e["period_start"], reverse=True)


def merge_entries(old: list[dict], new: list[dict], site: Path) -> list[dict]:
    """The catalogue after a build: new entries replace old ones for the same period, area and
    template; entries whose HTML is gone from ``site`` are dropped."""
    key = lambda e: (e["period"], e["area_code"], e["template"])  # noqa: E731
    merged = {key(e): e for e in old if (site / e["html"]).is_file()}
    merged.update({key(e): e for e in new})
    return sort_entries(list(merged.values()))


def _size(site: Path, rel: str | None) -> str:
    if not rel or not (site / rel).is_file():
        return ""
    kb = io.file_size(site / rel) / 1024
    return f"{kb:,.0f} KB" if kb < 1024 else f"{kb / 1024:,.1f} MB"


def _download(rel: str | None, kind: str, context: str, site: Path) -> str:
    if not rel:
        return ""
    return f'<a href="{html.escape(rel)}">{kind}{context}</a> {html.escape(_size(site, rel))}'


def index_body(entries: list[dict], site: Path) -> str:
    """HTML of the site index: one table per period (newest first) with every paper."""
    e = html.escape
    parts = [f'<h1 class="ehps-title">{INDEX_TITLE}</h1>',
             '<p class="ehps-period">Papers for Kent and its 12 districts, newest period first. Each paper '
             "is a web page, a PDF and its figures as a CSV file.</p>"]
    if not entries:
        parts.append("<p>No papers have been published yet. Run <code>ehps build</code>.</p>")
    periods: dict[str, list[dict]] = {}
    for entry in sort_entries(entries):
        periods.setdefault(entry["period"], []).append(entry)
    for label, rows in periods.items():
        anchor = "period-" + re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")
        title = rows[0].get("period_title") or label
        body = []
        for r in rows:
            paper = r["template"].replace("_", " ").capitalize()
            context = f'<span class="ehps-visually-hidden">, {e(r["area_name"])}, {e(label)}</span>'
            pdf = _download(r.get("pdf"), "PDF", context, site)
            csv = _download(r.get("csv"), "CSV", context, site)
            status = SYNTHETIC_TAG if r.get("synthetic") else "Case-system extract"
            body.append(f'<tr><th scope="row">{e(r["area_name"])}</th>'
                        f'<td><a href="{e(r["html"])}">{e(paper)}{context}</a></td>'
                        f"<td>{pdf}</td><td>{csv}</td>"
                        f"<td>{status}</td><td>{e(str(r.get('extract_date', '')))}</td></tr>")
        parts.append(
            f'<section class="ehps-index-period" aria-labelledby="{anchor}"><h2 id="{anchor}">{e(title)}</h2>'
            f'<div class="ehps-table-wrap"><table class="ehps-index"><caption>Papers for {e(label)}</caption>'
            '<thead><tr><th scope="col">Area</th><th scope="col">Web page</th><th scope="col">PDF</th>'
            '<th scope="col">Figures (CSV)</th><th scope="col">Data</th><th scope="col">Extract date</th>'
            "</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div></section>")
    return "\n".join(parts)


def update_site_index(site: str | Path, new_entries: list[dict], *, classification: str,
                      provenance: dict) -> Path:
    """Merge ``new_entries`` into ``site/papers.json`` and rewrite ``site/index.html``."""
    site = Path(site)
    old = io.read_json_or(site / CATALOGUE_FILE, {"papers": []}).get("papers", [])
    entries = merge_entries(old, new_entries, site)
    io.write_json({"papers": entries}, site / CATALOGUE_FILE)
    page = render.render_page(index_body(entries, site), title=INDEX_TITLE,
                              synthetic=any(x.get("synthetic") for x in entries),
                              classification=classification, provenance=provenance,
                              description="Index of the EHPS scorecards", is_index=True)
    index = io.write_text(page, site / INDEX_FILE)
    io.make_public(site / CATALOGUE_FILE)
    io.make_public(index)
    return index


__all__ = ["build", "BuildOutcome", "Paper", "Failure", "run_area", "update_site_index", "index_body",
           "merge_entries", "sort_entries", "summary", "paper_files"]
