"""Build a period's pack: results → papers executed in parallel → HTML and PDF → one atomic publish.

Command line: ``ehps build --period "2016-17 Q2" [--templates ...] [--areas CODE ...] [--workers 2]``.

Steps:

1. **Results**: computed once for the period, and only if the extract, the library or the
   reference data changed since (:func:`ehps_lib.indicators.results.ensure_results`).
2. **Plan**: one run per (template, area): every registered template (``config.yml``
   ``templates:``) for its areas (all, districts or county), or those asked for.
3. **Cache**: each run's key covers the template, its parameters, the published data it
   reads and the library (:mod:`ehps_lib.publish.cache`); a run whose key is in the cache is not
   executed again. If every run is cached and the site already holds them, the build stops
   there: nothing to do.
4. **Execute and render** the other runs in parallel in long-lived worker processes that
   import the library once and run notebooks with papermill's in-process engine
   (:mod:`ehps_lib.publish.runner`), rendering HTML and PDF in the same process; each completed
   run's executed notebook (the audit trail, also copied to ``reports/<period>/<area>/``),
   paper and CSV go into the cache at once, so an interrupted build resumes from there.
   One failing run never stops the others.
5. **Publish** only if every run succeeded: the new site is assembled beside the old one
   (hard links, cheap), its index and ``manifest.json`` (every input with its SHA-256, the
   library version, git commit, parameters and per-run timings) are written, the disclosure
   scan (:mod:`ehps_lib.publish.disclosure`) must find nothing, and only then is it swapped in for
   the old ``site/``. On any failure or finding the old site stays as it was.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__, config
from ..data import digests, io
from ..geography import DISTRICTS, KENT_CODE, area_codes, area_name, resolve_area
from ..periods import Period
from ..sitemap import INDEX_FILE, MANIFEST_FILE, paper_files
from . import cache, render
from .site import update_site_index

_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
STAGING_PREFIX = ".site.staging."
#: Quarto's search index of the site (and of one paper, in a run's cache entry).
SEARCH_FILE = "search.json"
#: Quarto's JavaScript and style sheets, shared by every page it renders.
SITE_LIBS = "site_libs"


# -- outcome ---------------------------------------------------------------------------------------
@dataclass
class Paper:
    """One paper of the build (paths in the published site)."""

    area_code: str
    area_name: str
    period: str
    template: str
    html: str
    pdf: str | None
    csv: str | None
    synthetic: bool
    seconds: float
    cached: bool = False
    key: str = ""

    def entry(self, *, period_title: str, period_start: str, built: str, extract_date: str,
              template_title: str) -> dict:
        return {"period": self.period, "period_title": period_title, "period_start": period_start,
                "area_code": self.area_code, "area_name": self.area_name, "template": self.template,
                "template_title": template_title, "html": self.html, "pdf": self.pdf, "csv": self.csv,
                "synthetic": self.synthetic, "built": built, "extract_date": extract_date}


@dataclass
class Failure:
    """A run that did not produce its paper, and why."""

    area_code: str
    area_name: str
    stage: str  # "execute", "render", "worker" or "disclosure"
    message: str
    cell: int | None = None
    ename: str | None = None
    evalue: str | None = None
    notebook: Path | None = None
    template: str = ""

    def describe(self) -> str:
        where = f", cell [{self.cell}]" if self.cell is not None else ""
        what = f"{self.ename}: {self.evalue}" if self.ename else self.message
        return f"{self.template} for {self.area_name} ({self.area_code}): {self.stage}{where}: {what}"


@dataclass
class BuildOutcome:
    ok: bool
    period: str
    papers: list[Paper] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    findings: list = field(default_factory=list)
    site_dir: Path | None = None
    index: Path | None = None
    seconds: float = 0.0
    executed: int = 0
    cached: int = 0
    published: bool = False
    up_to_date: bool = False


# -- one run (in a worker process) -------------------------------------------------------------------
@dataclass(frozen=True)
class RunJob:
    key: str
    template: str
    template_title: str
    area_code: str
    area_name: str
    period: str
    period_slug: str
    template_path: str
    project_root: str
    reports_dir: str
    cache_dir: str
    data_dir: str
    engine: str
    synthetic: bool
    classification: str
    provenance: dict
    source: str = "extract"  # what the paper is built from: extract or returns (config.TemplateSpec.data)

    @property
    def results_kind(self) -> str | None:
        """The results folder's kind (:func:`ehps_lib.data.io.results_dir`): None or ``scs``."""
        return "scs" if self.source == "returns" else None

    @property
    def label(self) -> str:
        return f"{self.template}/{self.area_code}"


#: Set in each worker by :func:`_init_worker`: what the disclosure scan looks for.
_SECRETS = None


def _init_worker(secrets, data_dir: str) -> None:
    global _SECRETS
    os.environ["EHPS_DATA_DIR"] = data_dir
    os.environ.setdefault("MPLBACKEND", "Agg")
    from . import runner

    runner.warm_up()
    _SECRETS = secrets


def run_job(job: RunJob) -> dict:
    """Execute, render and scan one run into the cache. Never raises: returns a plain dict."""
    start = time.perf_counter()
    out: dict = {"key": job.key, "ok": False, "seconds": 0.0}
    if not _SAFE_CODE.match(job.area_code):
        return {**out, "stage": "execute", "message": f"{job.area_code!r} is not a valid area code"}
    runs = cache.RunCache(Path(job.cache_dir))
    stage = runs.stage(job.key)
    names = paper_files(job.template, job.area_code, job.period_slug)
    notebook = stage / "notebook.ipynb"
    try:
        try:
            _execute(job, notebook)
        except Exception as exc:  # noqa: BLE001 - reported, never stops the build
            # kept for the analyst, beside the paper's last good notebook, which `quarto render` renders
            failed = Path(job.reports_dir) / job.period_slug / job.area_code / f"{job.template}.failed.ipynb"
            if notebook.is_file():
                failed.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(notebook, failed)
            return {**out, **_execution_error(exc), "stage": "execute", "notebook": str(failed),
                    "seconds": time.perf_counter() - start}
        executed = time.perf_counter() - start
        try:
            _render(job, notebook, stage, names)
        except Exception as exc:  # noqa: BLE001
            return {**out, "stage": "render", "message": f"{type(exc).__name__}: {exc}", "ename": type(exc).__name__,
                    "evalue": str(exc), "seconds": time.perf_counter() - start}
        rendered = time.perf_counter() - start - executed
        scanned = [*names.values(), *(p.name for p in stage.glob("*-table-*.csv"))]
        if (stage / SEARCH_FILE).is_file():
            scanned.append(SEARCH_FILE)
        findings = _scan(stage, scanned)
        if findings:
            return {**out, "stage": "disclosure", "message": "; ".join(str(f) for f in findings[:5]),
                    "findings": [str(f) for f in findings], "seconds": time.perf_counter() - start}
        tables = sorted(p.name for p in stage.glob(f"{job.template}-*-table-*.csv"))
        record = {"key": job.key, "template": job.template, "area_code": job.area_code, "period": job.period,
                  "files": {**names, "notebook": "notebook.ipynb"}, "tables": tables, "engine": job.engine,
                  "search": SEARCH_FILE if (stage / SEARCH_FILE).is_file() else None,
                  "site_libs": SITE_LIBS if (stage / SITE_LIBS).is_dir() else None,
                  "execute_seconds": round(executed, 3),
                  "render_seconds": round(rendered, 3)}
        io.write_json(record, stage / "run.json")
        entry = runs.commit(job.key, stage)
        _copy_audit_notebook(job, entry, [names["csv"], *tables])
        return {**out, "ok": True, "execute_seconds": executed, "render_seconds": rendered,
                "seconds": time.perf_counter() - start}
    finally:
        io.remove_tree(stage)


def _execute(job: RunJob, notebook: Path) -> None:
    import papermill

    from . import runner

    os.environ["EHPS_DATA_DIR"] = job.data_dir
    engine = runner.register() if job.engine != "kernel" else None
    kwargs = {"engine_name": engine} if engine else {}
    papermill.execute_notebook(job.template_path, str(notebook),
                               parameters={"area_code": job.area_code, "period": job.period},
                               kernel_name="python3", cwd=job.project_root, progress_bar=False, log_output=False,
                               **kwargs)


def _execution_error(exc: Exception) -> dict:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return {"cell": exc.exec_count, "ename": exc.ename, "evalue": exc.evalue,
                "message": f"{exc.ename}: {exc.evalue}"}
    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    return {"ename": type(exc).__name__, "evalue": str(exc), "message": detail}


def _render(job: RunJob, notebook: Path, stage: Path, names: dict[str, str]) -> None:
    """Render the paper with the job's engine into ``stage``, and replace the executed notebook
    there by the notebook as Quarto renders it (:func:`render.quarto_notebook`), which is what
    ``reports/`` keeps for ``quarto render``."""
    results, _ = io.read_results(job.period_slug, Path(job.data_dir), kind=job.results_kind)
    if job.source == "returns":  # Kent's paper shows Kent, its areas and teams: its CSV holds them all
        io.write_csv(results, stage / names["csv"])
    else:
        io.write_csv(results[results["area_code"] == job.area_code], stage / names["csv"])
    period = Period.parse(job.period)
    title = f"{job.area_name}: {job.template_title}, {job.period}"
    links = [(f"This paper as PDF ({job.area_name}, {job.period})", names["pdf"]),
             (f"The figures for {job.area_name} as CSV (every month and quarter to {job.period})", names["csv"])]
    prefix = f"{job.template}-{job.area_code}-{job.period_slug}"
    kw = dict(title=title, subtitle=period.title, synthetic=job.synthetic,
              classification=job.classification, provenance=job.provenance, links=links,
              nav=[("All papers", f"../../{INDEX_FILE}")])
    edition, tables = render.quarto_notebook(
        io.read_notebook(notebook), title=title, classification=job.classification, synthetic=job.synthetic,
        provenance={"build_time": render.build_time(), **job.provenance}, links=links, table_prefix=prefix,
        resources=[names["csv"]], listing=_listing_fields(job, period))
    if job.engine != "quarto":
        render.render_notebook(notebook, stage / names["html"], stage / names["pdf"], table_prefix=prefix, **kw)
    io.write_notebook(edition, notebook)
    if job.engine == "quarto":
        page = render.render_with_quarto(
            notebook, stage / names["html"], stage / names["pdf"],
            files={names["csv"]: io.read_text(stage / names["csv"]), **tables},
            relative=f"{render.QUARTO_REPORTS}/{job.period_slug}/{job.area_code}/{job.template}.ipynb",
            root=job.project_root)
        for name, text in tables.items():
            io.write_text(text, stage / name)
        io.write_json(page.search, stage / SEARCH_FILE)


def _listing_fields(job: RunJob, period: Period) -> dict:
    """The fields of the site index that ``quarto render`` makes (``index.qmd``)."""
    order = 0 if job.area_code == KENT_CODE else 1 if job.area_code in DISTRICTS else 2
    return {"ehps-period": job.period, "ehps-period-title": period.title,
            "ehps-period-start": period.start.isoformat(), "ehps-area": job.area_name,
            "ehps-area-code": job.area_code, "ehps-area-order": order, "ehps-paper": job.template_title,
            "ehps-synthetic": job.synthetic}


def _scan(stage: Path, names: list[str]) -> list:
    from . import disclosure

    if _SECRETS is None:
        return []
    found = []
    for name in names:
        found += disclosure.scan_file(stage / name, _SECRETS, root=stage)
    return found


def _copy_audit_notebook(job: RunJob, entry: Path, csvs: list[str]) -> None:
    """Keep the notebook in ``reports/<period>/<area>/`` (as Quarto renders it), with the CSV files
    it links, for ``quarto render`` of the project; drop a failed run's notebook it replaces."""
    folder = Path(job.reports_dir) / job.period_slug / job.area_code
    io.copy_file(entry / "notebook.ipynb", folder / f"{job.template}.ipynb")
    for name in csvs:
        if (entry / name).is_file():
            io.copy_file(entry / name, folder / name)
    stale = folder / f"{job.template}.failed.ipynb"
    if stale.is_file():
        stale.unlink()


# -- planning ----------------------------------------------------------------------------------------
def _safe_area_name(code: str, on) -> str:
    try:
        return area_name(code, on)
    except KeyError:
        return code


def _template_spec(template: str) -> config.TemplateSpec:
    try:
        return config.load_settings().template(template)
    except config.ConfigError:
        # An unregistered notebook in notebooks/ (e.g. an analyst's new paper): every area.
        return config.TemplateSpec(template, template.replace("_", " ").capitalize(), "all")


def _areas_for(spec: config.TemplateSpec, wanted: list[str] | None) -> list[str]:
    base = {"all": area_codes(), "districts": list(DISTRICTS), "county": [KENT_CODE]}[spec.areas]
    if not wanted:
        return base
    if spec.areas == "all":
        return list(dict.fromkeys(wanted))  # any code, so a wrong one fails as its own run
    return [c for c in dict.fromkeys(wanted) if c in base or c not in area_codes()]


def _data_digests(period: Period, data: Path, root: Path, kind: str | None = None) -> dict[str, str]:
    """Digest of what a paper of each kind reads: ``county`` (everything) and one per area
    (``kind``: the results' kind, ``scs`` for the SCS dashboard's)."""
    import pandas as pd

    folder = io.results_dir(period.slug, data, kind=kind)
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    meta = io.read_json(folder / io.RESULTS_META)
    shared = {"meta": {k: meta.get(k) for k in ("period", "synthetic", "extract_date", "sources")},
              "reference": digests.reference_digest()}
    # Hash every row once, then add up the hashes of the rows each paper reads.
    hashes = {n: digests.row_hashes(t) for n, t in tables.items()}
    whole = {n: digests.hashes_digest(hashes[n], list(t.columns)) for n, t in tables.items()}
    out = {"county": digests.digest_json({**shared, **whole})}
    for code in area_codes():
        parts = dict(whole)
        for n, t in tables.items():
            if "area_code" in t.columns:
                rows = t["area_code"].isin([code, KENT_CODE]).to_numpy()
                parts[n] = digests.hashes_digest(hashes[n][rows], list(t.columns))
        out[code] = digests.digest_json({**shared, **parts})
    return out


def _written_inputs(period: Period, root: Path, source: str = "extract") -> dict:
    """Digests of what people write, as each kind of paper reads it (see ``reads:`` in
    ``config.yml``): the commentary's county part, each district's entry, the paper details.
    A paper built from the returns (``source``) reads the SCS dashboard's commentary
    (``reports/commentary/scs/``) and paper details (``reports/papers/scs/``).

    The commentary file is parsed here, so a mistake in it stops the build before any paper
    runs, naming the file, the line and the key.
    """
    from ..papers.commentary import COMMENTARY_FOLDER, SCS_COMMENTARY_FOLDER, load_commentary

    papers = root / "reports" / "papers"
    if source == "returns":
        from ..indicators.catalogue import load_scs_catalogue

        notes = load_commentary(period, root, folder=SCS_COMMENTARY_FOLDER, catalogue=load_scs_catalogue())
        papers = papers / "scs"
    else:
        notes = load_commentary(period, root, folder=COMMENTARY_FOLDER)
    return {"commentary": digests.digest_json(notes.county_part()),
            "district_commentary": {code: digests.digest_json(notes.district(code)) for code in DISTRICTS},
            "paper_details": digests.digest_json({
                name: io.sha256_file(papers / name)
                for name in ("default.yml", f"{period.slug}.yml") if (papers / name).is_file()})}


def _inputs_digest(spec: config.TemplateSpec, code: str, written: dict) -> dict:
    out = {}
    for what in spec.reads:
        value = written[what]
        out[what] = value.get(code, "") if isinstance(value, dict) else value
    return out


def _stale_staging(site: Path) -> None:
    """Remove what an interrupted build left beside the site; restore a site lost mid-swap."""
    old = site.with_name(f".{site.name}.old")
    if not site.exists() and old.exists():
        os.replace(old, site)
    for leftover in site.parent.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


# -- the build -------------------------------------------------------------------------------------
def _say(msg: str) -> None:
    print(msg, flush=True)


def build(period: str = "latest", areas: list[str] | None = None, template: str | None = None,
          workers: int = 2, engine: str = "auto", site_dir: str | Path | None = None, *,
          templates: list[str] | None = None, reports_dir: str | Path | None = None, use_cache: bool = True,
          scan: bool = True, log: Callable[[str], None] = _say, progress: bool | None = None) -> BuildOutcome:
    """Build the pack for ``period`` and publish it in ``site_dir`` (default ``ROOT/site``).

    ``templates`` (or a single ``template``) chooses the papers (default: every registered
    template); ``areas`` restricts the areas. See the module docstring for the steps.

    Raises
    ------
    FileNotFoundError
        When a template or the validated extract is missing (or the validated returns, when a
        template built from them is asked for by name).
    ValueError
        For a bad period, a non-positive worker count or an unavailable renderer.
    """
    started = time.perf_counter()
    root = config.project_root()
    settings = config.load_settings()
    # Areas may be written as names or codes ("Canterbury", "E07000106"); a wrong one stops the
    # build here, before any paper runs, naming the nearest area.
    areas = [resolve_area(a) for a in areas] if areas else areas
    asked = templates or ([template] if template else None)
    if asked:
        specs = [_template_spec(t) for t in asked]
        for spec in specs:
            if not (root / "notebooks" / f"{spec.id}.ipynb").is_file():
                raise FileNotFoundError(f"No notebook template notebooks/{spec.id}.ipynb in {root}")
    else:
        specs = [t for t in settings.templates if (root / "notebooks" / f"{t.id}.ipynb").is_file()]
        for t in settings.templates:
            if t not in specs:
                log(f"Template {t.id!r} is registered in config.yml but notebooks/{t.id}.ipynb is missing: skipped")
    if workers < 1:
        raise ValueError("--workers must be 1 or more")
    engine_used, engine_note = render.engine_choice(engine)
    log(engine_note)
    site = Path(site_dir) if site_dir else root / "site"
    reports = Path(reports_dir) if reports_dir else root / "reports"
    data = config.data_dir()
    _stale_staging(site)

    editions = _editions(specs, period, data, root, log, explicit=bool(asked))
    synthetic = any(bool(e.meta.get("synthetic")) for e in editions)
    note = " (SYNTHETIC DATA)" if synthetic else ""
    built = render.build_time()
    commit = render.git_commit(root)
    # The git commit is printed on each paper and recorded in the manifest, but it is not part of
    # the key: the library's own digest already changes with any change to the code, and an edit
    # elsewhere in the workspace (a README) must not rebuild every paper.
    common = {"library": digests.library_digest(), "engine": engine_used, "classification": settings.classification,
              "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH")}
    jobs: list[RunJob] = []
    for ed in editions:
        p, meta = ed.period, ed.meta
        ed.provenance = {"period": p.label, "extract_date": meta.get("extract_date"),
                         "ehps_lib_version": meta.get("ehps_lib_version", __version__), "git_commit": commit,
                         "inputs": render.describe_inputs(meta.get("sources")), "build_time": built}
        data_keys = _data_digests(p, data, root, kind="scs" if ed.source == "returns" else None)
        written = _written_inputs(p, root, ed.source)
        for spec in ed.specs:
            template_path = root / "notebooks" / f"{spec.id}.ipynb"
            template_digest = io.sha256_file(template_path)
            for code in _areas_for(spec, areas):
                data_digest = (data_keys["county"] if spec.areas == "county"
                               else data_keys.get(code, data_keys["county"]))
                key = digests.digest_json({**common, "template": template_digest, "area": code, "period": p.label,
                                         "data": data_digest, "inputs": _inputs_digest(spec, code, written)})
                jobs.append(RunJob(key=key, template=spec.id, template_title=spec.title, area_code=code,
                                   area_name=_safe_area_name(code, p.start), period=p.label, period_slug=p.slug,
                                   template_path=str(template_path), project_root=str(root),
                                   reports_dir=str(reports), cache_dir=str(data / "cache" / "runs"),
                                   data_dir=str(data), engine=engine_used, synthetic=bool(meta.get("synthetic")),
                                   classification=settings.classification,
                                   provenance={**ed.provenance, "template": spec.id, "area_code": code},
                                   source=ed.source))
    label = ", ".join(e.period.label for e in editions)
    if not jobs:
        raise ValueError("Nothing to build: no template applies to the areas asked for")
    runs = cache.RunCache(data / "cache" / "runs")
    cached = {j.key for j in jobs if use_cache and runs.get(j.key) is not None}
    outcome = BuildOutcome(ok=True, period=label, site_dir=site)
    if len(cached) == len(jobs) and all(_site_has(site, e.period, [j for j in jobs if j.period == e.period.label])
                                        for e in editions):
        outcome.up_to_date, outcome.cached = True, len(jobs)
        outcome.index = site / INDEX_FILE
        outcome.seconds = time.perf_counter() - started
        log(f"Nothing to do: the site already holds these {len(jobs)} paper(s) for {label}, and no input "
            f"has changed ({outcome.seconds:.1f} s).")
        return outcome

    todo = [j for j in jobs if j.key not in cached]
    log(f"Building {len(jobs)} paper(s) for {label}{note}: {len(cached)} cached, {len(todo)} to run, "
        f"with {min(workers, max(len(todo), 1))} worker(s) and the {engine_used} renderer")
    results = _run_all(todo, workers, data, scan, log, progress, total=len(jobs), cached=len(cached))

    for j in jobs:
        res = results.get(j.key, {"ok": True, "seconds": 0.0, "cached": True})
        if res["ok"]:
            files = paper_files(j.template, j.area_code, j.period_slug)
            rel = f"{j.period_slug}/{j.area_code}/"
            outcome.papers.append(Paper(j.area_code, j.area_name, j.period, j.template, rel + files["html"],
                                        rel + files["pdf"], rel + files["csv"], j.synthetic, res["seconds"],
                                        cached=j.key in cached, key=j.key))
        else:
            outcome.failures.append(Failure(j.area_code, j.area_name, res["stage"], res.get("message", ""),
                                            res.get("cell"), res.get("ename"), res.get("evalue"),
                                            Path(res["notebook"]) if res.get("notebook") else None, j.template))
    outcome.executed, outcome.cached = len(todo), len(cached)
    if outcome.failures:
        outcome.ok = False
        outcome.seconds = time.perf_counter() - started
        log(summary(outcome, synthetic=synthetic))
        log("Nothing was published: the site is as it was. Completed papers are cached; fix the failures and "
            "build again.")
        return outcome

    outcome = _publish(outcome, jobs, runs, site, editions, settings, results, scan, data, started)
    log(summary(outcome, synthetic=synthetic))
    return outcome


@dataclass
class _Edition:
    """The papers of one period from one source: the Early Help extract's quarter (or month) or the
    statutory returns' month. A build has one of each at most."""

    source: str
    period: Period
    meta: dict
    specs: list
    provenance: dict = field(default_factory=dict)


def _editions(specs: list, period: str, data: Path, root: Path, log, *, explicit: bool) -> list[_Edition]:
    """Resolve each source's period and make sure its results are current.

    Templates built from the returns are skipped, with a message, when no returns are ingested or
    the period asked for ends after them, unless they were asked for by name (then it is an error).
    """
    from ..indicators.results import ensure_results

    out = []
    by_source = {src: [s for s in specs if s.data == src] for src in config.TEMPLATE_DATA}
    if by_source["extract"]:
        p, meta, _folder, computed = ensure_results(period, base=data)
        note = " (SYNTHETIC DATA)" if meta.get("synthetic") else ""
        log(f"Results for {p.label}{note}: {'computed' if computed else 'unchanged, reused'}")
        out.append(_Edition("extract", p, meta, by_source["extract"]))
    if by_source["returns"]:
        from ..indicators import scs_results

        names = ", ".join(s.id for s in by_source["returns"])
        try:
            p, meta, _folder, computed = scs_results.ensure(period, base=data)
        except (FileNotFoundError, ValueError) as exc:
            if explicit:
                raise
            log(f"Skipped {names}: {exc}")
        else:
            note = " (SYNTHETIC DATA)" if meta.get("synthetic") else ""
            log(f"SCS dashboard results for {p.label} from the statutory returns{note}: "
                f"{'computed' if computed else 'unchanged, reused'}")
            out.append(_Edition("returns", p, meta, by_source["returns"]))
    if not out:
        raise ValueError("Nothing to build: no template's data are available")
    return out


def _site_has(site: Path, period: Period, jobs: list[RunJob]) -> bool:
    manifest = site / period.slug / MANIFEST_FILE
    if not manifest.is_file() or not (site / INDEX_FILE).is_file():
        return False
    keys = {r["key"] for r in io.read_json(manifest).get("runs", [])}
    return {j.key for j in jobs} <= keys


def _run_all(todo: list[RunJob], workers: int, data: Path, scan: bool, log, progress, *, total: int,
             cached: int) -> dict[str, dict]:
    """Execute ``todo`` in worker processes with a progress bar; return results by key."""
    if not todo:
        return {}
    secrets = _secrets(data) if scan else None
    bar = _progress(total, cached, progress)
    out: dict[str, dict] = {}
    failed = 0
    context = multiprocessing.get_context("fork") if sys.platform != "win32" else multiprocessing.get_context()
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context,
                             initializer=_init_worker, initargs=(secrets, str(data))) as pool:
        futures = {pool.submit(run_job, job): job for job in todo}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker fails its run only
                res = {"key": job.key, "ok": False, "stage": "worker", "seconds": 0.0,
                       "message": f"{type(exc).__name__}: {exc}"}
            out[job.key] = res
            failed += not res["ok"]
            status = "ok" if res["ok"] else f"FAILED ({res['stage']}: {_short(res.get('message', ''))})"
            line = f"{job.template} {job.area_name} {status} {res['seconds']:.1f} s"
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"cached {cached}, failed {failed}")
                if not res["ok"]:
                    bar.write(line)
            else:
                log(f"[{len(out) + cached}/{total}] {line}")
    if bar is not None:
        bar.close()
    return out


def _progress(total: int, cached: int, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, initial=cached, unit="paper", desc="Building", file=sys.stderr, dynamic_ncols=True)
    bar.set_postfix_str(f"cached {cached}, failed 0")
    return bar


def _secrets(data: Path):
    """What the disclosure scan looks for: the extract's identifiers and birth months, and the
    statutory returns' (child identifiers, UPNs, birth months) when they are ingested."""
    import pandas as pd

    from . import disclosure

    found = []
    if (io.processed_dir(data) / io.PROCESSED_MANIFEST).is_file() or not io.returns_processed_dir(data).is_dir():
        tables, _manifest = io.read_processed(data)
        first = f"{tables['notifications']['date_received'].min():%Y-%m}"  # no paper reports an earlier month
        found.append(disclosure.Secrets.from_tables(tables, first))
    if (io.returns_processed_dir(data) / io.PROCESSED_MANIFEST).is_file():
        from ..indicators.scs import month_range

        returns, manifest = io.read_returns(data)
        first, _last = month_range(returns, pd.Timestamp(manifest["extract_date"]))
        found.append(disclosure.Secrets.from_returns(returns, str(first)))
    return disclosure.Secrets.combine(found)


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _copy_tree(src: Path, dst: Path) -> None:
    for path in src.rglob("*"):
        if path.is_file():
            _link_or_copy(path, dst / path.relative_to(src))


def _publish(outcome: BuildOutcome, jobs: list[RunJob], runs: cache.RunCache, site: Path, editions: list[_Edition],
             settings, results: dict, scan: bool, data: Path, started: float) -> BuildOutcome:
    stage = _new_stage(site)
    by_period = {e.period.label: e for e in editions}
    try:
        if site.is_dir():
            _copy_tree(site, stage)
        records: dict[str, list[dict]] = {e.period.label: [] for e in editions}
        search = io.read_json_or(stage / SEARCH_FILE, None)
        for j in jobs:
            entry = runs.entry(j.key)
            record = io.read_json(entry / "run.json")
            for name in [record["files"][kind] for kind in ("html", "pdf", "csv")] + record.get("tables", []):
                _link_or_copy(entry / name, stage / j.period_slug / j.area_code / name)
            if record.get("site_libs"):  # Quarto's scripts and styles, shared by its pages
                _copy_tree(entry / record["site_libs"], stage / SITE_LIBS)
            if record.get("search"):
                search = render.merge_search_index(search or [], io.read_json(entry / record["search"]),
                                                   [f"{j.period_slug}/{j.area_code}/{record['files']['html']}"])
            res = results.get(j.key)
            records[j.period].append({"key": j.key, "template": j.template, "area_code": j.area_code,
                                      "parameters": {"area_code": j.area_code, "period": j.period},
                                      "cached": res is None,
                                      "execute_seconds": record.get("execute_seconds"),
                                      "render_seconds": record.get("render_seconds"),
                                      "seconds": round(res["seconds"], 3) if res else 0.0})
        first = editions[0]
        built = first.provenance["build_time"]
        entries = []
        for paper in outcome.papers:
            ed = by_period[paper.period]
            entries.append(paper.entry(period_title=ed.period.title, period_start=ed.period.start.isoformat(),
                                       built=built, extract_date=str(ed.meta.get("extract_date", "")),
                                       template_title=_template_spec(paper.template).title))
        index = update_site_index(stage, entries, classification=settings.classification,
                                  provenance={"ehps_lib_version": first.provenance["ehps_lib_version"],
                                              "git_commit": first.provenance["git_commit"], "build_time": built})
        for ed in editions:
            manifest = _manifest(ed.period, ed.meta, ed.provenance, records[ed.period.label], data, started,
                                 source=ed.source)
            io.write_json(manifest, stage / ed.period.slug / MANIFEST_FILE)
            if ed is first:  # the site's manifest: the first edition's (the Early Help pack's when built)
                top = manifest
        if len(editions) > 1:
            top = {**top, "editions": {e.period.label: f"{e.period.slug}/{MANIFEST_FILE}" for e in editions}}
        io.write_json(top, stage / MANIFEST_FILE)
        gated = [index]
        if search is not None:
            gated.append(io.write_json(search, stage / SEARCH_FILE))
        if scan:
            from . import disclosure

            secrets = _secrets(data)
            findings = [f for path in gated for f in disclosure.scan_file(path, secrets, root=stage)]
            if findings:
                outcome.ok, outcome.findings = False, findings
                outcome.failures.append(Failure("-", "site index and search index", "disclosure",
                                                disclosure.format_findings(findings)))
                return outcome
        io.make_public(stage)
        io.replace_dir(stage, site)
        outcome.published = True
        outcome.index = site / INDEX_FILE
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _new_stage(site: Path) -> Path:
    import tempfile

    site.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=site.parent))


def _manifest(p: Period, meta: dict, provenance: dict, records: list[dict], data: Path, started: float, *,
              source: str = "extract") -> dict:
    root = config.project_root()
    processed = io.returns_processed_dir(data) if source == "returns" else io.processed_dir(data)
    kind = "scs" if source == "returns" else None
    inputs = {"returns" if source == "returns" else "processed":
              {f.name: io.sha256_file(f) for f in sorted(processed.glob("*")) if f.is_file()},
              "extract": {Path(s.get("path", "")).name: s.get("sha256") for s in meta.get("sources", [])},
              "results": {f.name: io.sha256_file(f) for f in sorted(io.results_dir(p.slug, data, kind=kind).glob("*"))
                          if f.is_file()},
              "templates": {f.name: io.sha256_file(f) for f in sorted((root / "notebooks").glob("*.ipynb"))},
              "reference": {str(f.relative_to(config.reference_dir())): io.sha256_file(f)
                            for f in sorted(config.reference_dir().rglob("*"))
                            if f.is_file() and f.suffix in (".csv", ".geojson")},
              "reports": digests.files_digest(sorted((root / "reports").glob("*/*.yml"))
                                              + sorted((root / "reports").glob("*/scs/*.yml")))}
    return {"period": p.label, "synthetic": bool(meta.get("synthetic")), "extract_date": meta.get("extract_date"),
            "ehps_lib_version": provenance["ehps_lib_version"], "library_digest": digests.library_digest(),
            "git_commit": provenance["git_commit"], "build_time": provenance["build_time"],
            "source": source, "parameters": {"period": p.label}, "inputs": inputs, "runs": records,
            "total_seconds": round(time.perf_counter() - started, 3)}


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary(outcome: BuildOutcome, *, synthetic: bool = False) -> str:
    """The lines printed at the end of a build."""
    total = len(outcome.papers) + len(outcome.failures)
    note = " (SYNTHETIC DATA)" if synthetic else ""
    lines = [f"Built {len(outcome.papers)} of {total} paper(s) for {outcome.period}{note} in {outcome.seconds:.1f} s "
             f"({outcome.executed} run, {outcome.cached} from the cache, {len(outcome.failures)} failed)."]
    for f in outcome.failures:
        lines.append(f"  FAILED {f.describe()}")
        if f.notebook is not None and f.stage == "execute":
            lines.append(f"         executed notebook with the error: {f.notebook}")
    if outcome.published and outcome.index is not None:
        lines.append(f"Published. Site index: {outcome.index}")
    return "\n".join(lines)


__all__ = ['build', 'BuildOutcome', 'Paper', 'Failure', 'run_job', 'summary']
