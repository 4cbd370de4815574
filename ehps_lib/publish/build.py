"""Build a period's pack: results → papers executed in parallel → HTML and PDF → one atomic publish.

Command line: ``ehps build --period "2016-17 Q2" [--templates ...] [--areas CODE ...] [--workers 2]``.

Steps:

0. **Lock**: one build (or ingest) per workspace at a time (:func:`ehps_lib.data.io.workspace_lock`
   on the data folder and the site's folder); a second waits, saying who it waits for, or
   with ``--no-wait`` exits with that message. Under the lock, what an interrupted build
   left (staging folders, half-written cache entries) is cleared, and every folder the
   build writes is checked to be writable before anything runs.
1. **Results**: computed once for the period, and only if the extract, the library or the
   reference data changed since (:func:`ehps_lib.indicators.results.ensure_results`); and for
   the templates built from the statutory returns (``data: returns``), the returns' latest
   complete month (skipped, with a message, when no returns are ingested). Each source's period
   is an edition of the build (:class:`_Edition`) with its own release gaps and manifest.
2. **Plan**: one run per (template, edition, area), within each source's edition: every
   registered template (``config.yml`` ``templates:``) for its areas (all, districts or county),
   or those asked for. A template whose
   ``editions`` list ``month`` is also made for the last month of the period (a quarter's build
   makes the latest monthly edition from the quarter's results); one with ``period_ends`` only
   for periods ending in those months (six-monthly papers); an ``internal`` one (officers only)
   goes to its own folder (``internal/<period>/<area>/``, beside the site), never into the site
   or ``reports/``, each page marked with its handling classification.
3. **Cache**: each run's key covers the template, its parameters, the published data it
   reads and the library (:mod:`ehps_lib.publish.cache`); a run whose key is in the cache,
   with every file still as it was made (verified by hash), is not executed again; a
   damaged entry is removed and run again. If every run is cached and the site already
   holds exactly those files, the build stops there: nothing to do. (``ehps build`` asks
   :mod:`ehps_lib.publish.fastpath` first: when the request, every input and every published
   file are as the last build that left the site current recorded them, it says so before
   importing anything heavy.)
4. **Execute and render** the other runs in parallel in long-lived worker processes that
   import the library once and run notebooks with papermill's in-process engine
   (:mod:`ehps_lib.publish.runner`), rendering HTML and PDF in the same process; each completed
   run's executed notebook (the audit trail), paper and CSV go into the cache at once, so an
   interrupted build resumes from there. One failing run never stops the others; its
   executed notebook goes beside it as ``<template>.failed.ipynb``, never over a published paper's.
5. **Publish** only if every run succeeded. A new build folder ``<site>.builds/<id>/`` is
   assembled beside the live one: the live site copied, then every paper's files copied
   from the cache (copies, never links, each checked against its recorded hash), the index,
   the period's open data (``<period>/data/``), and the manifests merged with the earlier
   builds' (a one-paper build keeps the others' records); the executed notebooks of the
   published papers are kept in the same build folder (``notebooks/``). The publish gate
   (:func:`_publish_gate`) must pass: the disclosure scan (:mod:`ehps_lib.publish.disclosure`)
   finds nothing in any file of the whole assembled site (every period already published as
   well as the new one, cached files as well as fresh), and the intruder audit
   (:mod:`ehps_lib.publish.audit`) finds no withheld count that everything ever published
   narrows below the protection interval. Then ``site``, a symbolic link to
   ``<site>.builds/<id>/site``, is pointed at the new build in one rename, so a reader (or a
   kill at any moment) sees the whole old site or the whole new one.
   ``reports/<period>/<area>/`` then mirrors the published notebooks, and builds older than
   the previous one are removed. On any failure or finding the old site stays as it was, and
   the failure names the file (scan) or the cell and the relations that pin it (audit).
"""

from __future__ import annotations

import datetime as dt
import errno
import multiprocessing
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__, config
from ..data import digests, io
from ..geography import DISTRICTS, KENT_CODE, area_codes, area_name, resolve_area
from ..periods import Period
from ..sitemap import CATALOGUE_FILE, INDEX_FILE, MANIFEST_FILE, OPEN_DATA_DIR, paper_files
from . import cache, fastpath, profile, render
from .site import update_site_index

_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
STAGING_PREFIX = ".staging-"
#: Quarto's search index of the site (and of one paper, in a run's cache entry).
SEARCH_FILE = "search.json"
#: Quarto's JavaScript and style sheets, shared by every page it renders.
SITE_LIBS = "site_libs"
#: Disclosure findings that stop an internal paper too: a child's identifier or birth month.
IDENTITY_RULES = ("child_identifier", "birth_date")
#: Where internal papers go: a folder of this name beside the site (never inside it).
INTERNAL_DIR = "internal"
INTERNAL_MANIFEST = "internal-manifest.json"
#: In a build folder: the published tree, the executed notebooks, and the record written last.
BUILD_SITE, BUILD_NOTEBOOKS, BUILD_RECORD = "site", "notebooks", "BUILD.json"
#: Builds kept: the live one and the one before it (a reader mid-swap still finds its pages).
KEEP_BUILDS = 2


class BuildError(RuntimeError):
    """A build that cannot start or publish for a reason the user can fix; the message says
    what, where, and what to do."""


def builds_dir(site: Path) -> Path:
    """Where the builds of ``site`` are kept: ``<site>.builds`` beside it."""
    return site.with_name(f"{site.name}.builds")


def describe_os_error(exc: OSError) -> str:
    """An operating-system error as a sentence naming the file and what to do.

    Examples
    --------
    >>> import errno
    >>> describe_os_error(OSError(errno.ENOSPC, "No space left on device", "/srv/site/x.pdf"))
    'the disk is full (No space left on device) writing /srv/site/x.pdf: free some space and run again'
    >>> describe_os_error(OSError(errno.EROFS, "Read-only file system", "/srv/site"))
    'no permission to change /srv/site (Read-only file system): make it writable, or choose another folder \
(--site PATH for the site, EHPS_DATA_DIR for data)'
    """
    name = exc.filename
    if exc.errno == errno.ENOSPC:
        where = f" writing {name}" if name else ""
        return f"the disk is full (No space left on device){where}: free some space and run again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"no permission to change {name or 'a file'} ({exc.strerror}): make it writable, or choose another "
                "folder (--site PATH for the site, EHPS_DATA_DIR for data)")
    if exc.errno == errno.ENOENT and name:
        return f"{name}: not found"
    return f"{exc.strerror or exc}" + (f": {name}" if name else "")


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
    audience: str = "public"

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
    release: bool = False
    release_gaps: list[str] = field(default_factory=list)
    #: the intruder audit of the published site (:class:`ehps_lib.publish.audit.AuditReport`)
    audit: object | None = None
    profile: dict = field(default_factory=dict)


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
    #: ``internal`` papers are never published in the site (see :data:`ehps_lib.config.AUDIENCES`).
    audience: str = "public"
    related: tuple[tuple[str, str], ...] = ()
    source: str = "extract"  # what the paper is built from: extract or returns (config.TemplateSpec.data)

    @property
    def results_kind(self) -> str | None:
        """The results folder's kind (:func:`ehps_lib.data.io.results_dir`): None or ``scs``."""
        return "scs" if self.source == "returns" else None

    @property
    def label(self) -> str:
        return f"{self.template}/{self.area_code}"


#: The publish gate's memo of files it need not read again (in the data folder's ``cache/``).
SCAN_MEMO = "scan-memo.json"
#: The intruder audit's memo of linked figures already proved protected (same folder).
AUDIT_MEMO = "audit-memo.json"
#: Set in each worker by :func:`_init_worker`: what the disclosure scan looks for, and the largest
#: count it treats as small (the settings' suppression threshold, as the publish gate's scan).
_SECRETS = None
_THRESHOLD: int | None = None


def _init_worker(secrets, data_dir: str, threshold: int) -> None:
    global _SECRETS, _THRESHOLD
    os.environ["EHPS_DATA_DIR"] = data_dir
    os.environ.setdefault("MPLBACKEND", "Agg")
    from . import runner

    profile.PROFILE.reset()
    with profile.stage("imports"):
        runner.warm_up()
        profile.install_figure_timer()
    _SECRETS, _THRESHOLD = secrets, threshold


def failed_notebook(reports_dir: str | Path, period_slug: str, area_code: str, template: str) -> Path:
    """Where a failed run's executed notebook goes: ``reports/<period>/<area>/<template>.failed.ipynb``,
    kept for the analyst beside the published paper's notebook, never over it (and never
    rendered by ``quarto render``: ``_quarto.yml`` leaves ``*.failed.ipynb`` out)."""
    return Path(reports_dir) / period_slug / area_code / f"{template}.failed.ipynb"


def run_job(job: RunJob) -> dict:
    """Execute, render and scan one run into the cache. Never raises: returns a plain dict."""
    start = time.perf_counter()
    out: dict = {"key": job.key, "ok": False, "seconds": 0.0}
    if not _SAFE_CODE.match(job.area_code):
        return {**out, "stage": "execute", "message": f"{job.area_code!r} is not a valid area code"}
    runs = cache.RunCache(Path(job.cache_dir))
    stage = None
    try:
        stage = runs.stage(job.key)
        names = paper_files(job.template, job.area_code, job.period_slug)
        notebook = stage / "notebook.ipynb"
        try:
            with profile.stage("execute"):
                _execute(job, notebook)
        except Exception as exc:  # noqa: BLE001 - reported, never stops the build
            failed: Path | None = failed_notebook(job.reports_dir, job.period_slug, job.area_code, job.template)
            try:
                io.copy_file(notebook, failed)
            except OSError:  # no notebook (it failed before the first cell), or no room for it
                failed = None
            return {**out, **_execution_error(exc), "stage": "execute", "notebook": str(failed) if failed else None,
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
        with profile.stage("scan"):
            findings = _scan(stage, scanned)
        if job.audience == "internal":
            # officers' papers show small counts by design (they are never published); identifiers
            # and birth months must still never appear in them
            findings = [f for f in findings if getattr(f, "rule", "") in IDENTITY_RULES]
        if findings:
            return {**out, "stage": "disclosure", "message": "; ".join(str(f) for f in findings[:5]),
                    "findings": [str(f) for f in findings], "seconds": time.perf_counter() - start}
        if job.audience == "public" and _SECRETS is not None:
            # what the publish gate need not read again (it checks the same bytes and page beside them)
            from .disclosure import ScanMemo

            out["scanned_clean"] = {name: ScanMemo.file_key(stage / name) for name in scanned}
        tables = sorted(p.name for p in stage.glob(f"{job.template}-*-table-*.csv"))
        files = {**names, "notebook": "notebook.ipynb"}
        search = SEARCH_FILE if (stage / SEARCH_FILE).is_file() else None
        site_libs = SITE_LIBS if (stage / SITE_LIBS).is_dir() else None
        libs = sorted(p.relative_to(stage).as_posix() for p in (stage / SITE_LIBS).rglob("*") if p.is_file()) \
            if site_libs else []
        made = [*files.values(), *tables, *([search] if search else []), *libs]
        caching = profile.start("cache")
        record = {"key": job.key, "template": job.template, "area_code": job.area_code, "period": job.period,
                  "files": files, "tables": tables, "engine": job.engine, "search": search, "site_libs": site_libs,
                  "sha256": {name: io.sha256_file(stage / name) for name in made},
                  "execute_seconds": round(executed, 3),
                  "render_seconds": round(rendered, 3)}
        io.write_json(record, stage / cache.RECORD)
        runs.commit(job.key, stage)
        caching.stop()
        return {**out, "ok": True, "execute_seconds": executed, "render_seconds": rendered,
                "seconds": time.perf_counter() - start, "profile": profile.PROFILE.reset()}
    except OSError as exc:  # a full disk, a folder that cannot be written: this run fails, clearly
        return {**out, "stage": "cache", "message": describe_os_error(exc), "seconds": time.perf_counter() - start}
    finally:
        if stage is not None:
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
    period = Period.parse(job.period)
    title = f"{job.area_name}: {job.template_title}, {job.period}"
    links = [(f"This paper as PDF ({job.area_name}, {job.period})", names["pdf"]),
             (f"Every figure of this paper as CSV, one per line ({job.area_name}, {job.period})", names["csv"])]
    prefix = f"{job.template}-{job.area_code}-{job.period_slug}"
    kw = dict(title=title, subtitle=period.title, synthetic=job.synthetic,
              classification=job.classification, provenance=job.provenance, links=links,
              # an internal paper is not in the site, so it links to none of it (its folder has no index)
              nav=[("All papers", f"../../{INDEX_FILE}")] if job.audience == "public" else [],
              related=list(job.related))
    edition_time = profile.start("edition")
    edition, tables = render.quarto_notebook(
        io.read_notebook(notebook), title=title, classification=job.classification, synthetic=job.synthetic,
        provenance={"build_time": render.build_time(), **job.provenance}, links=links, table_prefix=prefix,
        resources=[names["csv"]], listing=_listing_fields(job, period))
    edition_time.stop()
    if job.engine != "quarto":
        # the paper's figures file: every number of its tables, one a line (render.tables_as_csv)
        render.render_notebook(notebook, stage / names["html"], stage / names["pdf"], table_prefix=prefix,
                               figures_name=names["csv"], **kw)
    else:
        # the same figures file as the built-in engine's, from the same tables
        files: dict[str, str] = {}
        render.render_html(notebook, tables=files, table_prefix=prefix, figures_name=names["csv"], **kw)
        io.write_text(files[names["csv"]], stage / names["csv"])
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
    # one context for the paper's files: its page is read once, not again for each table's CSV and the PDF
    return disclosure.scan_files([stage / name for name in names], _SECRETS, _THRESHOLD, root=stage)


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


def editions_of(spec: config.TemplateSpec, period: Period) -> list[Period]:
    """The periods a template is made for in a build of ``period``: the period itself, and with
    ``editions: [period, month]`` its last month too (once, when the period is a month).

    Examples
    --------
    >>> spec = config.TemplateSpec("x", "X", "county", editions=("period", "month"))
    >>> [e.label for e in editions_of(spec, Period.parse("2016-17 Q4"))]
    ['2016-17 Q4', '2017-03']
    >>> [e.label for e in editions_of(spec, Period.parse("2017-02"))]
    ['2017-02']
    """
    out = []
    if "period" in spec.editions:
        out.append(period)
    if "month" in spec.editions:
        last = period.month_starts()[-1]
        month = Period.month(last.year, last.month)
        if month not in out:
            out.append(month)
    return out


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
            "all_district_commentary": digests.digest_json({code: notes.district(code) for code in DISTRICTS}),
            "paper_details": digests.digest_json({
                name: io.sha256_file(papers / name)
                for name in ("default.yml", f"{period.slug}.yml") if (papers / name).is_file()})}


def _inputs_digest(spec: config.TemplateSpec, code: str, written: dict) -> dict:
    out = {}
    for what in spec.reads:
        value = written[what]
        out[what] = value.get(code, "") if isinstance(value, dict) else value
    return out


# -- the site and its builds -----------------------------------------------------------------------
def live_site(site: Path) -> Path | None:
    """The folder readers see at ``site``: the build it links to (or, for a site made before
    sites were links, the folder itself); None when there is none."""
    if site.is_symlink():
        target = io.link_target(site)
        return target if target is not None and target.is_dir() else None
    return site if site.is_dir() else None


def complete_builds(site: Path) -> list[Path]:
    """The complete builds of ``site`` (those with their record), oldest first."""
    folder = builds_dir(site)
    if not folder.is_dir():
        return []
    found = []
    for b in folder.iterdir():
        if b.name.startswith(".") or not (b / BUILD_RECORD).is_file():
            continue
        try:
            when = float(io.read_json(b / BUILD_RECORD).get("published_at", 0))
        except (io.DamagedFileError, OSError, TypeError, ValueError):
            when = 0.0
        found.append((when, b.name, b))
    return [b for _, _, b in sorted(found)]


def _recover(site: Path, runs: cache.RunCache, log: Callable[[str], None]) -> None:
    """Clear what an interrupted build left (under the lock, so no other build's folders),
    and give back a site lost between two steps of an interrupted publish."""
    io.recover_dir(site)  # a site from before sites were links, moved aside by an old build
    for leftover in site.parent.glob(f".{site.name}.link.*"):
        leftover.unlink()
    for leftover in site.parent.glob(".site.staging.*"):  # the staging folders of earlier versions
        io.remove_tree(leftover)
    folder = builds_dir(site)
    target = io.link_target(site)
    if folder.is_dir():
        for leftover in folder.iterdir():
            incomplete = leftover.name.startswith(".") or not (leftover / BUILD_RECORD).is_file()
            in_use = target is not None and (leftover.resolve() == target or leftover.resolve() in target.parents)
            if incomplete and not in_use:
                io.remove_tree(leftover)
    if live_site(site) is None:
        builds = complete_builds(site)
        if builds:
            io.remove_link(site)
            io.point_link(site, builds[-1] / BUILD_SITE)
            log(f"Restored {site} (an earlier build was interrupted while publishing): it shows build "
                f"{builds[-1].name}.")
    runs.clean()


def _new_build_id() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"


def _check_writable(data: Path, site: Path, reports: Path) -> None:
    for folder, role, fix in ((data, "data", "set EHPS_DATA_DIR to a folder you can write"),
                              (site.parent, "site", "choose a folder you can write with --site PATH"),
                              (builds_dir(site), "site", "choose a folder you can write with --site PATH"),
                              (reports, "reports", "make it writable (or pass reports_dir)")):
        try:
            io.check_writable(folder, f"build.writable.{role}")
        except OSError as exc:
            raise BuildError(f"cannot build: {folder} cannot be written ({exc.strerror or exc}); {fix}. Nothing "
                             "was run and the site is as it was.") from exc


# -- the build -------------------------------------------------------------------------------------
def _say(msg: str) -> None:
    print(msg, flush=True)


def build(period: str = "latest", areas: list[str] | None = None, template: str | None = None,
          workers: int = 2, engine: str = "auto", site_dir: str | Path | None = None, *,
          templates: list[str] | None = None, reports_dir: str | Path | None = None, use_cache: bool = True,
          scan: bool = True, log: Callable[[str], None] = _say, progress: bool | None = None,
          wait: bool = True, release: bool | None = None,
          internal_dir: str | Path | None = None) -> BuildOutcome:
    """Build the pack for ``period`` and publish it in ``site_dir`` (default ``ROOT/site``).

    ``templates`` (or a single ``template``) chooses the papers (default: every registered
    template); ``areas`` restricts the areas. ``use_cache=False`` runs every paper again and
    replaces its cache entry. ``wait=False`` gives up at once, with a
    :class:`~ehps_lib.data.io.WorkspaceBusyError`, when another build holds the workspace.
    Internal papers go to ``internal_dir`` (default: the folder ``internal`` beside the site,
    ``ROOT/internal``), never into the site. See the module docstring for the steps.

    ``release`` (default: True for a real extract, False for a synthetic one): a release
    refuses to publish, before running anything, while any paper has a gap a Member must not
    see (:func:`release_gaps`: a Red indicator without commentary, illustrative names, no
    meeting date or contacts), naming each; a draft publishes and lists them.

    Raises
    ------
    FileNotFoundError
        When a template or the validated extract is missing (or the validated returns, when a
        template built from them is asked for by name).
    ValueError
        For a bad period, a non-positive worker count or an unavailable renderer.
    BuildError
        When a folder cannot be written, or publishing fails (the site is then as it was).
    """
    started = time.perf_counter()
    profile.begin()
    asked_for = {"period": period, "areas": areas, "templates": templates or ([template] if template else None),
                 "engine": engine, "release": release}
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
    _check_period_kind(period)
    engine_used, engine_note = render.engine_choice(engine)
    log(engine_note)
    site = Path(site_dir).absolute() if site_dir else root / "site"
    # internal papers sit beside the site (ROOT/internal by default), never inside it
    internal = Path(internal_dir).absolute() if internal_dir else site.parent / INTERNAL_DIR
    if internal.resolve() == site.resolve() or site.resolve() in internal.resolve().parents:
        raise ValueError(f"The internal papers' folder {internal} must not be inside the site {site}")
    reports = Path(reports_dir) if reports_dir else root / "reports"
    data = config.data_dir()
    _check_writable(data, site, reports)
    with ExitStack() as locks:
        for folder in dict.fromkeys([data, site.parent]):
            locks.enter_context(io.workspace_lock(folder, f"ehps build --period {period!r}", wait=wait, on_wait=log))
        io.fault_point("build.locked")
        runs = cache.RunCache(data / "cache" / "runs")
        _recover(site, runs, log)
        # what the next build's fast no-op check compares with (.fastpath): the request and inputs as they are now
        req = fastpath.request(**asked_for, site=site, reports=reports)
        before = fastpath.input_state(root, data, reports) if scan else None
        outcome = _build(specs, areas, workers, engine_used, site, reports, data, root, settings, period, use_cache,
                         scan, log, progress, runs, started, release, internal, explicit=bool(asked))
        if before is not None and outcome.ok and (outcome.published or outcome.up_to_date):
            _remember(req, outcome, root, data, site, reports, before, log)
        outcome.profile = profile.PROFILE.as_dict()
        with suppress(OSError):  # only the record of timings would be lost
            io.write_json({"seconds": round(time.perf_counter() - started, 3), "period": outcome.period,
                           "executed": outcome.executed, "cached": outcome.cached, "stages": outcome.profile},
                          data / "cache" / profile.PROFILE_FILE)
        return outcome


def _remember(req: dict, outcome: BuildOutcome, root: Path, data: Path, site: Path, reports: Path,
              before: dict, log: Callable[[str], None]) -> None:
    """Write the record the next build's fast no-op check compares with (:mod:`.fastpath`)."""
    try:
        fastpath.remember(req, root=root, data=data, site=site, reports=reports, before=before,
                          papers=max(len(outcome.papers), outcome.cached), period=outcome.period)
    except OSError as exc:  # the site is published; only the next no-op is slower
        fastpath.forget(req, data)
        log(f"Note: the build record for a fast no-op check could not be written ({describe_os_error(exc)}).")


def _check_period_kind(label: str) -> None:
    """A pack is a quarter's (or a month's): a financial year is refused, naming its last quarter."""
    if str(label).strip().lower() == "latest":
        return
    p = Period.parse(label)
    if p.kind == "year":
        last = Period.quarter_of(p.end)
        raise ValueError(f"{p.label} is a financial year, and `ehps build` makes a quarter's or a month's pack: build "
                         f"its last quarter, --period \"{last.label}\", whose papers show the year to date "
                         f"(`ehps indicators --period {p.label}` computes the year's figures)")


def _build(specs, areas, workers, engine_used, site, reports, data, root, settings, period, use_cache, scan, log,
           progress, runs, started, release, internal: Path, *, explicit: bool = False) -> BuildOutcome:
    with profile.stage("results"):
        editions = _editions(specs, period, data, log, explicit=explicit)
    planning = profile.start("plan")
    synthetic = any(bool(e.meta.get("synthetic")) for e in editions)
    note = " (SYNTHETIC DATA)" if synthetic else ""
    label = ", ".join(e.period.label for e in editions)
    outcome_release = (not synthetic) if release is None else bool(release)
    for ed in editions:
        # the papers this edition makes (six-monthly ones only in their months)
        ed.made = [spec for spec in ed.specs if spec.builds_for(ed.period.end.month)]
        for spec in ed.specs:
            if spec not in ed.made:
                log(f"Template {spec.id!r} is made only for periods ending in "
                    f"{', '.join(f'{dt.date(2000, m, 1):%B}' for m in spec.period_ends)}: not for {ed.period.label}")
        ed.gaps = release_gaps([(spec.id, code, _safe_area_name(code, ed.period.start)) for spec in ed.made
                                for code in _areas_for(spec, areas)], ed.period.label)
    gaps = [g for ed in editions for g in ed.gaps]
    if outcome_release and gaps:
        planning.stop()
        log(f"Release refused: {len(gaps)} gap(s) must be filled before the {label} pack is published "
            "(or build a draft with --draft):")
        for g in gaps:
            log(f"  - {g}")
        refused = BuildOutcome(ok=False, period=label, site_dir=site, release=True, release_gaps=gaps,
                               failures=[Failure("-", "release", "release", g) for g in gaps])
        refused.seconds = time.perf_counter() - started
        log("Nothing was published: the site is as it was.")
        return refused
    if gaps:
        log(f"Draft build{note}: a release would need {len(gaps)} more thing(s):")
        for g in gaps:
            log(f"  - {g}")
    built = render.build_time()
    commit = render.git_commit(root)
    # The git commit is printed on each paper and recorded in the manifest, but it is not part of
    # the key: the library's own digest already changes with any change to the code, and an edit
    # elsewhere in the workspace (a README) must not rebuild every paper.
    common = {"library": digests.library_digest(), "engine": engine_used, "classification": settings.classification,
              "pdf_writer": render.pdf_writer() if engine_used == "builtin" else None,
              "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH")}
    catalogue = io.read_json_or(site / CATALOGUE_FILE, {"papers": []}).get("papers", [])
    jobs: list[RunJob] = []
    for ed in editions:
        p, meta = ed.period, ed.meta
        ed.provenance = {"period": p.label, "extract_date": meta.get("extract_date"),
                         "ehps_lib_version": meta.get("ehps_lib_version", __version__), "git_commit": commit,
                         "inputs": render.describe_inputs(meta.get("sources")), "build_time": built}
        data_keys = _data_digests(p, data, root, kind="scs" if ed.source == "returns" else None)
        written = _written_inputs(p, root, ed.source)
        # what a public paper may link to: the other public papers of this edition (never an internal one)
        planned = [(spec, code) for spec in ed.made if spec.audience == "public" for code in _areas_for(spec, areas)]
        for spec in ed.made:
            template_path = root / "notebooks" / f"{spec.id}.ipynb"
            template_digest = io.sha256_file(template_path)
            classification = spec.classification or settings.classification
            # an internal paper's failed notebooks stay with it, never in reports/ (which Quarto renders)
            job_reports = reports if spec.audience == "public" else internal / "notebooks"
            for edition in editions_of(spec, p):
                for code in _areas_for(spec, areas):
                    data_digest = (data_keys["county"] if spec.areas == "county"
                                   else data_keys.get(code, data_keys["county"]))
                    # Links to the area's other public papers of the edition and its previous edition (internal
                    # papers link to nothing: they are not in the site, and the site never links to them).
                    related = (_related(spec, code, edition,
                                        [(o, c) for o, c in planned if edition in editions_of(o, p)], catalogue, site)
                               if spec.audience == "public" else [])
                    # The template's name and title are in the key as well as its bytes: two templates with the
                    # same cells still make different papers (file names, titles). Links to related papers too.
                    key = digests.digest_json({**common, "classification": classification,
                                               "template": template_digest, "template_id": spec.id,
                                               "template_title": spec.title, "area": code, "period": edition.label,
                                               "data": data_digest, "inputs": _inputs_digest(spec, code, written),
                                               "related": related})
                    job = RunJob(key=key, template=spec.id, template_title=spec.title, area_code=code,
                                 area_name=_safe_area_name(code, edition.start), period=edition.label,
                                 period_slug=edition.slug, template_path=str(template_path), project_root=str(root),
                                 reports_dir=str(job_reports), cache_dir=str(runs.root), data_dir=str(data),
                                 engine=engine_used, synthetic=bool(meta.get("synthetic")),
                                 classification=classification,
                                 provenance={**ed.provenance, "period": edition.label, "template": spec.id,
                                             "area_code": code},
                                 audience=spec.audience, related=tuple(tuple(x) for x in related),
                                 source=ed.source)
                    ed.jobs.append(job)
                    jobs.append(job)
    if not jobs:
        raise ValueError("Nothing to build: no template applies to the areas asked for")
    # Every cache entry used is verified by hash here (a damaged one is removed and run again),
    # and its files again as they are copied into the site.
    records = {j.key: runs.get(j.key, j.label) for j in jobs} if use_cache else {}
    for line in runs.damaged:
        log(line)
    cached = {k for k, r in records.items() if r is not None}
    planning.stop()
    outcome = BuildOutcome(ok=True, period=label, site_dir=site, release=outcome_release, release_gaps=gaps)
    public_jobs = [j for j in jobs if j.audience == "public"]
    internal_jobs = [j for j in jobs if j.audience != "public"]
    if len(cached) == len(jobs) and all(
            _site_current(site, e.period, [j for j in e.jobs if j.audience == "public"], records)
            and _site_gaps(site, e.period) == _period_gaps(editions, e.period) for e in editions) \
            and _internal_has(internal, internal_jobs, records):
        outcome.up_to_date, outcome.cached = True, len(jobs)
        outcome.index = site / INDEX_FILE
        restored = _mirror_reports(site, reports)
        outcome.seconds = time.perf_counter() - started
        log(f"Nothing to do: the site already holds these {len(jobs)} paper(s) for {label}, and no input "
            f"has changed ({outcome.seconds:.1f} s)." + (f" Restored {restored} executed notebook(s) in {reports}."
                                                       if restored else ""))
        return outcome

    todo = [j for j in jobs if j.key not in cached]
    log(f"Building {len(jobs)} paper(s) for {label}{note}: {len(cached)} cached, {len(todo)} to run, "
        f"with {min(workers, max(len(todo), 1))} worker(s) and the {engine_used} renderer")
    ahead = AuditAhead.start(site, editions, data, settings) if scan and public_jobs else None
    try:
        results = _run_all(todo, workers, data, scan, log, progress, total=len(jobs), cached=len(cached),
                           threshold=settings.suppression_threshold)
        return _finish(outcome, jobs, todo, cached, results, records, runs, public_jobs, internal_jobs, internal,
                       site, reports, editions, settings, scan, data, started, synthetic, log, ahead)
    finally:
        if ahead is not None:
            ahead.close()


def _finish(outcome, jobs, todo, cached, results, records, runs, public_jobs, internal_jobs, internal, site, reports,
            editions, settings, scan, data, started, synthetic, log, ahead) -> BuildOutcome:
    """The build after its papers ran: the outcome of each, then publishing (or not)."""
    for j in jobs:
        res = results.get(j.key, {"ok": True, "seconds": 0.0, "cached": True})
        if res["ok"]:
            files = paper_files(j.template, j.area_code, j.period_slug)
            rel = f"{j.period_slug}/{j.area_code}/"
            outcome.papers.append(Paper(j.area_code, j.area_name, j.period, j.template, rel + files["html"],
                                        rel + files["pdf"], rel + files["csv"], j.synthetic, res["seconds"],
                                        cached=j.key in cached, key=j.key, audience=j.audience))
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

    for j in todo:  # just made: read their records (their files are verified as they are copied)
        records[j.key] = io.read_json(runs.entry(j.key) / cache.RECORD)
    with profile.stage("publish"):
        outcome = _publish(outcome, public_jobs, runs, records, site, reports, editions, settings, results, scan,
                           data, started, log, ahead=ahead)
    if outcome.published and internal_jobs:
        try:
            made_from = next(e.period for e in editions if any(j.audience != "public" for j in e.jobs))
            _publish_internal(internal_jobs, runs, records, internal, made_from)
            log(f"Internal papers (for officers, never published in the site): {internal}")
        except (OSError, io.DamagedFileError) as exc:
            outcome.ok = False
            outcome.failures.append(Failure("-", "internal papers", "after publishing", str(exc)))
    log(summary(outcome, synthetic=synthetic))
    return outcome


def _internal_has(folder: Path, jobs: list[RunJob], records: dict[str, dict | None]) -> bool:
    """Whether ``folder`` already holds every internal paper of ``jobs`` (by key), its files as made."""
    for slug in {j.period_slug for j in jobs}:
        manifest = folder / slug / INTERNAL_MANIFEST
        try:
            keys = set(io.read_json(manifest).get("keys", [])) if manifest.is_file() else set()
        except (OSError, io.DamagedFileError, AttributeError):
            return False
        mine = [j for j in jobs if j.period_slug == slug]
        if not {j.key for j in mine} <= keys:
            return False
        for j in mine:
            record = records.get(j.key)
            if record is None:
                return False
            for name in _site_names(record):
                path = folder / slug / j.area_code / name
                if not path.is_file() or io.sha256_file(path) != record["sha256"][name]:
                    return False
    return True


def _publish_internal(jobs: list[RunJob], runs: cache.RunCache, records: dict[str, dict], folder: Path,
                      period: Period) -> list[Path]:
    """Copy the internal papers into ``folder/<period>/<area>/`` (verified by hash), each period's
    folder built beside it and swapped in whole, with a manifest of what they are and how they
    must be handled; owner-only, never made public, never in ``reports/``."""
    written = []
    for slug in sorted({j.period_slug for j in jobs}):
        mine = [j for j in jobs if j.period_slug == slug]
        target = folder / slug
        stage = io.staging_dir(target)
        try:
            for j in mine:
                record, entry = records[j.key], runs.entry(j.key)
                for name in _site_names(record):
                    io.copy_verified(entry / name, stage / j.area_code / name, record["sha256"][name])
            io.write_json({"period": slug, "build_period": period.label, "keys": sorted(j.key for j in mine),
                           "papers": [{"template": j.template, "area_code": j.area_code, "period": j.period,
                                       "classification": j.classification} for j in mine],
                           "note": "Internal papers for officers: not for publication. Each page carries its "
                                   "handling classification."}, stage / INTERNAL_MANIFEST)
            io.replace_dir(stage, target)
            written.append(target)
        finally:
            if stage.exists():
                io.remove_tree(stage)
    return written
@dataclass
class _Edition:
    """The papers of one period from one source: the Early Help extract's quarter (or month) or the
    statutory returns' month. A build has one of each at most."""

    source: str
    period: Period
    meta: dict
    specs: list
    provenance: dict = field(default_factory=dict)
    gaps: list = field(default_factory=list)
    #: the templates made for this period (six-monthly ones only in their months), and their runs
    #: (one per edition of each template: a quarter's monthly edition is the extract edition's too)
    made: list = field(default_factory=list)
    jobs: list = field(default_factory=list)


def _period_gaps(editions: list[_Edition], period: Period) -> list[str]:
    """The release gaps of the editions of ``period`` (two editions may share a month)."""
    return [g for e in editions if e.period.label == period.label for g in e.gaps]


def _editions(specs: list, period: str, data: Path, log, *, explicit: bool) -> list[_Edition]:
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
            p, meta, _folder, computed = scs_results.ensure(period, base=data, log=log)
        except (FileNotFoundError, ValueError) as exc:
            if explicit or not by_source["extract"]:
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


def _site_current(site: Path, period: Period, jobs: list[RunJob], records: dict[str, dict | None]) -> bool:
    """Whether the live site lists every one of ``jobs`` and holds its files exactly as the
    (verified) cache entries have them."""
    live = live_site(site)
    if live is None or not (live / INDEX_FILE).is_file():
        return False
    try:
        listed = {r["key"] for r in io.read_json(live / period.slug / MANIFEST_FILE).get("runs", [])}
    except (OSError, io.DamagedFileError, KeyError, TypeError, AttributeError):
        return False
    if not {j.key for j in jobs} <= listed:
        return False
    for j in jobs:
        record = records[j.key]
        folder = live / j.period_slug / j.area_code
        for name in _site_names(record):
            path = folder / name
            if not path.is_file() or io.sha256_file(path) != record["sha256"][name]:
                return False
    return True


def _site_names(record: dict) -> list[str]:
    """The files a cache entry publishes in its paper's folder."""
    return [record["files"][kind] for kind in ("html", "pdf", "csv")] + list(record.get("tables", []))


def _related(spec: config.TemplateSpec, code: str, p: Period, planned: list, catalogue: list[dict],
             site: Path) -> list[list[str]]:
    """Links from a paper to its area's other papers of the period (this build's and those already
    published) and to its previous edition (the same paper of the previous period, when the site
    holds it): ``[[text, relative href], ...]``."""
    name = _safe_area_name(code, p.start)
    out: list[list[str]] = []
    seen = {spec.id}
    for other, c in planned:
        if c == code and other.id not in seen:
            seen.add(other.id)
            out.append([f"{other.title}, {name}, {p.label}", paper_files(other.id, code, p.slug)["html"]])
    for e in catalogue:
        if e.get("period") == p.label and e.get("area_code") == code and e.get("template") not in seen \
                and (site / e["html"]).is_file():
            seen.add(e["template"])
            out.append([f"{e.get('template_title') or e['template']}, {name}, {p.label}",
                        e["html"].rsplit("/", 1)[-1]])
    before = p.previous()
    for e in catalogue:
        if (e.get("period"), e.get("area_code"), e.get("template")) == (before.label, code, spec.id) \
                and (site / e["html"]).is_file():
            out.append([f"Previous edition: {spec.title}, {e.get('area_name', name)}, {before.label}",
                        f"../../{e['html']}"])
    return out


def _site_gaps(site: Path, period: Period) -> list[str] | None:
    """The release gaps recorded in the live site's manifest of ``period`` (None when it has none)."""
    try:
        return io.read_json(site / period.slug / MANIFEST_FILE).get("release", {}).get("gaps", [])
    except (OSError, io.DamagedFileError, AttributeError):
        return None


def release_gaps(papers: list[tuple[str, str, str]], period: str) -> list[str]:
    """Every gap that stops a release of ``papers`` (template, area code, area name) for
    ``period``, each prefixed with its paper: what each paper module's ``release_gaps(area_code,
    period)`` reports (papers without one have none). A check that cannot run is a gap too."""
    import importlib

    out = []
    for template, code, name in papers:
        try:
            module = importlib.import_module(f"ehps_lib.papers.{template}")
        except ImportError:
            continue
        check = getattr(module, "release_gaps", None)
        if check is None:
            continue
        try:
            found = check(code, period)
        except Exception as exc:  # noqa: BLE001 - reported as a gap, never hidden
            found = [f"the release check could not run: {type(exc).__name__}: {exc}"]
        out += [f"{_template_spec(template).title} for {name}: {g}" for g in found]
    return out


def _run_all(todo: list[RunJob], workers: int, data: Path, scan: bool, log, progress, *, total: int,
             cached: int, threshold: int) -> dict[str, dict]:
    """Execute ``todo`` in worker processes with a progress bar; return results by key."""
    if not todo:
        return {}
    with profile.stage("secrets"):
        secrets = _secrets(data) if scan else None
    bar = _progress(total, cached, progress)
    out: dict[str, dict] = {}
    failed = 0
    context = multiprocessing.get_context("fork") if sys.platform != "win32" else multiprocessing.get_context()
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context,
                             initializer=_init_worker, initargs=(secrets, str(data), threshold)) as pool:
        futures = {pool.submit(run_job, job): job for job in todo}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - a dead worker fails its run only
                res = {"key": job.key, "ok": False, "stage": "worker", "seconds": 0.0,
                       "message": f"{type(exc).__name__}: {exc}"}
            profile.PROFILE.merge(res.pop("profile", None))
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


def _publish(outcome: BuildOutcome, jobs: list[RunJob], runs: cache.RunCache, records: dict[str, dict], site: Path,
             reports: Path, editions: list[_Edition], settings, results: dict, scan: bool, data: Path,
             started: float, log: Callable[[str], None], ahead: AuditAhead | None = None) -> BuildOutcome:
    """Assemble a new build folder beside the live one, pass the gate, and swap ``site`` to it.

    ``editions``: the build's periods and sources (the Early Help pack's quarter, the statutory
    returns' month); each period gets its own manifest, the site's the first edition's."""
    first = editions[0]
    provenance = first.provenance
    edition_of = {j.key: e for e in editions for j in e.jobs}  # a monthly edition's papers: the quarter's
    builds = builds_dir(site)
    stage = io.new_folder(builds, STAGING_PREFIX)
    build_id = _new_build_id()
    try:
        live = live_site(site)
        stage_site, stage_notebooks = stage / BUILD_SITE, stage / BUILD_NOTEBOOKS
        io.fault_point("publish.start")
        if live is not None:
            io.copy_tree(live, stage_site)
            old_notebooks = live.parent / BUILD_NOTEBOOKS
            if live.name == BUILD_SITE and old_notebooks.is_dir():
                io.copy_tree(old_notebooks, stage_notebooks)
        io.fault_point("publish.copied_old")
        run_records = []
        search = io.read_json_or(stage_site / SEARCH_FILE, None)
        for j in jobs:
            record, entry = records[j.key], runs.entry(j.key)
            try:
                for name in _site_names(record):
                    io.copy_verified(entry / name, stage_site / j.period_slug / j.area_code / name,
                                     record["sha256"][name])
                # the executed notebook (as Quarto renders it) with the CSV files it links: for reports/
                notebooks = stage_notebooks / j.period_slug / j.area_code
                io.copy_verified(entry / record["files"]["notebook"], notebooks / f"{j.template}.ipynb",
                                 record["sha256"][record["files"]["notebook"]])
                for name in [record["files"]["csv"], *record.get("tables", [])]:
                    io.copy_verified(entry / name, notebooks / name, record["sha256"][name])
                if record.get("site_libs"):  # Quarto's scripts and styles, shared by its pages
                    for name in (n for n in record["sha256"] if n.startswith(f"{record['site_libs']}/")):
                        io.copy_verified(entry / name, stage_site / SITE_LIBS / name.split("/", 1)[1],
                                         record["sha256"][name])
                if record.get("search"):
                    own = io.read_json_verified(entry / record["search"], record["sha256"][record["search"]])
                    search = render.merge_search_index(search or [], own,
                                                       [f"{j.period_slug}/{j.area_code}/{record['files']['html']}"])
            except (io.DamagedFileError, KeyError) as exc:
                runs.discard(j.key)
                raise BuildError(f"the cache entry of {j.template} for {j.area_name} changed while it was being "
                                 f"published ({exc}): it was removed. Nothing was published; build again to make "
                                 "that paper afresh.") from exc
            res = results.get(j.key)
            run_records.append({"key": j.key, "template": j.template, "area_code": j.area_code, "period": j.period,
                                "parameters": {"area_code": j.area_code, "period": j.period},
                                "cached": res is None, "build_id": build_id, "build_time": provenance["build_time"],
                                "execute_seconds": record.get("execute_seconds"),
                                "render_seconds": record.get("render_seconds"),
                                "seconds": round(res["seconds"], 3) if res else 0.0})
        io.fault_point("publish.papers_copied")
        built = provenance["build_time"]
        entries = []
        for paper in (x for x in outcome.papers if x.audience == "public"):
            ed = edition_of[paper.key]
            shown = Period.parse(paper.period)  # a monthly edition is listed under its own month
            entries.append(paper.entry(period_title=shown.title, period_start=shown.start.isoformat(),
                                       built=built, extract_date=str(ed.meta.get("extract_date", "")),
                                       template_title=_template_spec(paper.template).title))
        draft_gaps = {e.period.label: _period_gaps(editions, e.period) for e in editions
                      if _period_gaps(editions, e.period)}
        try:
            index = update_site_index(stage_site, entries, classification=settings.classification,
                                      provenance={"ehps_lib_version": provenance["ehps_lib_version"],
                                                  "git_commit": provenance["git_commit"], "build_time": built},
                                      draft_gaps=draft_gaps or None)
        except io.DamagedFileError as exc:
            raise BuildError(f"the live site's catalogue is damaged ({exc}). Restore papers.json from the previous "
                             f"build in {builds}, or move the site away to publish afresh. Nothing was "
                             "published.") from exc
        io.fault_point("publish.index_written")
        # The last edition written gives the site's manifest its top level: write the first (the
        # Early Help pack's, when it is built) last. Each period's manifest keeps its own gaps.
        mode = "release" if outcome.release else "draft"
        for ed in reversed(editions):
            this = _manifest(ed.period, ed.meta, ed.provenance, build_id, data, started, source=ed.source)
            own = [r for r in run_records if edition_of[r["key"]] is ed]
            merged = _merged_manifests(stage_site, ed.period, this, own, log)
            for path, manifest in merged.items():
                if path == stage_site / MANIFEST_FILE:
                    gaps = outcome.release_gaps
                elif path == stage_site / ed.period.slug / MANIFEST_FILE:
                    gaps = _period_gaps(editions, ed.period)
                else:  # another edition made from this one's results (a quarter's monthly edition)
                    gaps = list(dict.fromkeys(ed.gaps + [g for e in editions if e.period.slug == path.parent.name
                                                         for g in e.gaps]))
                extra = ({"editions": {e.period.label: f"{e.period.slug}/{MANIFEST_FILE}" for e in editions}}
                         if path == stage_site / MANIFEST_FILE and len(editions) > 1 else {})
                io.write_json({**manifest, **extra, "release": {"mode": mode, "gaps": gaps}}, path)
        io.fault_point("publish.manifest_written")
        gated = [index]
        if search is not None:
            gated.append(io.write_json(search, stage_site / SEARCH_FILE))
        for ed in editions:  # each period's open data (a period without results has none)
            _copy_open_data(stage_site, ed.period, data)
        # files this build's workers scanned and found clean (the same bytes, copied and verified)
        fresh = {f"{j.period_slug}/{j.area_code}/{name}": key for j in jobs if results.get(j.key)
                 for name, key in (results[j.key].get("scanned_clean") or {}).items()}
        if not _publish_gate(outcome, stage_site, gated, data, scan, settings, fresh=fresh, ahead=ahead):
            io.remove_tree(stage)
            return outcome
        io.make_public(stage_site)
        io.make_public(stage, tree=False)  # a web server must pass through the build folder to the site
        io.write_json({"id": build_id, "published_at": time.time(), "period": outcome.period, "build_time": built,
                       "git_commit": provenance["git_commit"], "papers": len(jobs)}, stage / BUILD_RECORD)
        io.fault_point("publish.build_written")
        target = builds / build_id
        os.replace(stage, target)  # the build is complete
        io.fault_point("publish.build_complete")
        if site.exists() and not site.is_symlink():  # a site from before sites were links: kept as a build
            legacy = builds / f"{build_id}-legacy"
            io.adopt_dir_as_link(site, legacy / BUILD_SITE)
            io.write_json({"id": legacy.name, "published_at": 0, "legacy": True}, legacy / BUILD_RECORD)
            io.fault_point("publish.adopted")
        io.fault_point("publish.swap")
        io.point_link(site, target / BUILD_SITE)
        io.fault_point("publish.swapped")
    except OSError as exc:
        io.remove_tree(stage)
        raise BuildError(f"publishing failed: {describe_os_error(exc)}. Nothing was published: the site is as it "
                         "was.") from exc
    except BaseException:
        io.remove_tree(stage)
        raise
    outcome.published = True
    outcome.index = site / INDEX_FILE
    # After the swap: the audit trail in reports/, and old builds pruned. A failure here does not
    # unpublish anything; it is reported.
    try:
        _mirror_reports(site, reports)
        for j in jobs:
            failed = failed_notebook(reports, j.period_slug, j.area_code, j.template)
            if failed.is_file():
                failed.unlink()
        io.fault_point("publish.reports")
        _prune(site)
        io.fault_point("publish.pruned")
    except OSError as exc:
        outcome.ok = False
        outcome.failures.append(Failure("-", "reports", "after publishing", describe_os_error(exc)))
    outcome.seconds = time.perf_counter() - started
    return outcome


def _copy_open_data(stage_site: Path, p: Period, data: Path) -> None:
    """The period's published tables as open data, ``<period>/data/indicators.csv`` (every area,
    month and quarter) and ``deprivation.csv`` (the gradient): what every paper shows is a view
    of these, and the intruder audit reads them."""
    folder = io.results_dir(p.slug, data)
    for name in ("indicators", "deprivation"):
        source = folder / f"{name}.csv"
        if source.is_file():
            # figures to at most 3 decimals, as the papers' CSVs (counts stay whole)
            io.write_csv(io.read_csv_rounded(source), stage_site / p.slug / OPEN_DATA_DIR / f"{name}.csv")


def _publish_gate(outcome: BuildOutcome, stage_site: Path, gated: list[Path], data: Path, scan: bool,
                  settings, fresh: dict[str, str] | None = None, ahead: AuditAhead | None = None) -> bool:
    """The publish gate: what must hold of the assembled site before it is swapped in.

    Each paper's files were scanned by the worker that made them and verified by hash as
    they were copied from the cache; here every file of the assembled site is scanned again
    (the index and Quarto's search index this build wrote, ``gated``, among them), every period
    already published as well as the new one, cached files as well as fresh, so nothing reaches
    the site unread. Then the intruder audit (:func:`ehps_lib.publish.audit.audit_site`) reads the
    site's published figures, every period of them, and must find no withheld count narrowed
    below the protection interval. Returns False (with the outcome's failures and findings set,
    naming the file, or the cell and the relations that pin it) when the site may not be
    published. This is the one place where the whole new site is checked before it goes live.

    The audit proves afresh every linked set of figures not proved before exactly as it stands
    (:class:`~ehps_lib.publish.audit.AuditMemo`): a correction, a new period or a newly withheld
    count changes the sets it touches, and those are proved again. A file is not read again when
    it is byte for byte one already found clean with the same
    secrets, threshold and scanner, beside the same page (:class:`~ehps_lib.publish.disclosure.ScanMemo`,
    kept in the data folder's cache): one a worker of this build scanned (``fresh``: its name in
    the site and key), or one an earlier gate scanned. Anything else is read.
    """
    if not scan:
        return True
    from . import disclosure

    threshold = settings.suppression_threshold
    with profile.stage("gate"):
        secrets = _secrets(data)
        memo = disclosure.ScanMemo(data / "cache" / SCAN_MEMO, disclosure.scan_fingerprint(secrets, threshold))
        for name, key in (fresh or {}).items():
            memo.add(name, key)
        findings = disclosure.scan_site(stage_site, secrets, threshold, memo=memo)
        memo.save()
    if findings:
        outcome.ok, outcome.findings = False, findings
        outcome.failures.append(Failure("-", "the site", "disclosure", disclosure.format_findings(findings),
                                        template="publish"))
        return False
    if ahead is not None:
        ahead.wait()  # its proofs are in the memo: the audit below takes what it proved of the same figures
    with profile.stage("audit"):
        report = _audited(stage_site, data, threshold, settings.suppression_interval)
    outcome.audit = report
    if not report.ok:
        outcome.ok = False
        outcome.failures.append(Failure("-", "the site", "intruder audit", report.format(), template="publish"))
        return False
    return True


class AuditAhead:
    """The intruder audit of the figures the new site will hold, started in a process of its own
    while the papers run, since those figures (every period's open data) are known before any
    paper is made.

    It audits a copy of them laid out as in the site (the live site's figures files, with this
    build's open data over its periods' own) and leaves its proofs in the audit memo
    (:class:`~ehps_lib.publish.audit.AuditMemo`). The publish gate still audits the assembled site
    itself: when its figures are byte for byte those audited ahead, it takes the result from the
    memo; when they are not (a paper that publishes figures of its own), it proves what differs.
    Nothing is trusted that the gate does not check again by digest. The process's time is the
    profile's ``audit`` stage.
    """

    def __init__(self, process, folder: Path, timing: Path) -> None:
        self.process, self.folder, self.timing = process, folder, timing
        self._done = False

    @classmethod
    def start(cls, site: Path, editions: list[_Edition], data: Path, settings) -> AuditAhead | None:
        from . import audit

        try:
            folder = io.new_folder(data / "cache", ".audit-ahead-")
            live = live_site(site)
            if live is not None:
                for path, _kind, _cols in audit.figures_files(live):
                    io.copy_file(path, folder / "site" / path.relative_to(live))
            for ed in editions:
                _copy_open_data(folder / "site", ed.period, data)
        except (OSError, io.DamagedFileError):
            return None  # the gate audits everything itself
        timing = folder / "timing.json"
        context = multiprocessing.get_context("fork") if sys.platform != "win32" else multiprocessing.get_context()
        process = context.Process(target=_audit_ahead, name="ehps-audit-ahead", daemon=True,
                                  args=(folder / "site", data, settings.suppression_threshold,
                                        settings.suppression_interval, timing))
        process.start()
        return cls(process, folder, timing)

    def wait(self) -> None:
        """Wait for the audit to finish; add its time to the build's profile."""
        if self._done:
            return
        self.process.join()
        self._done = True
        try:
            t = io.read_json(self.timing)
            profile.PROFILE.add("audit", float(t["wall"]), float(t["cpu"]))
        except (OSError, io.DamagedFileError, KeyError, TypeError, ValueError):
            pass  # it failed or was stopped: the gate's audit proves everything itself

    def close(self) -> None:
        """Stop it if it is still running (a build that failed before publishing) and remove its files."""
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        io.remove_tree(self.folder)


def _audited(site: Path, data: Path, threshold: int, rule: str):
    """The intruder audit of ``site`` with the workspace's memo (:data:`AUDIT_MEMO`), which it updates."""
    from . import audit

    memo = audit.AuditMemo(data / "cache" / AUDIT_MEMO)
    report = audit.audit_site(site, threshold, rule=rule, memo=memo)
    memo.save()
    return report


def _audit_ahead(site: Path, data: Path, threshold: int, rule: str, timing: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    _audited(site, data, threshold, rule)
    io.write_json({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}, timing)


def _mirror_reports(site: Path, reports: Path) -> int:
    """Make ``reports/<period>/<area>/<template>.ipynb`` the executed notebooks of the papers
    the live site shows, with the CSV files they link (for ``quarto render`` of the project),
    copied from its build folder; return how many files were written."""
    live = live_site(site)
    if live is None or live.name != BUILD_SITE:
        return 0
    notebooks = live.parent / BUILD_NOTEBOOKS
    written = 0
    for path in sorted(p for p in notebooks.rglob("*") if p.is_file()) if notebooks.is_dir() else []:
        dest = reports / path.relative_to(notebooks)
        if not dest.is_file() or io.sha256_file(dest) != io.sha256_file(path):
            io.copy_file(path, dest)
            written += 1
    return written


def _prune(site: Path) -> None:
    """Remove builds older than the last :data:`KEEP_BUILDS` (never the live one)."""
    live = live_site(site)
    keep = {b.resolve() for b in complete_builds(site)[-KEEP_BUILDS:]}
    if live is not None:
        keep.add(live.parent.resolve())
    for b in complete_builds(site):
        if b.resolve() not in keep:
            io.remove_tree(b)


def _run_key(r: dict, default_period: str | None) -> tuple:
    return (r.get("period", default_period), r.get("template"), r.get("area_code"))


def _merged_manifests(stage_site: Path, p: Period, this: dict, new_runs: list[dict],
                      log: Callable[[str], None]) -> dict[Path, dict]:
    """The manifests to write: the period's and the site's, each keeping the records of the
    papers earlier builds published that this build did not replace (so a one-paper build
    never drops the other papers' records).

    Each manifest: this build's record at the top level (``build_id``, ``inputs``, ...),
    ``runs`` (every paper it covers, each with the ``build_id`` that published it) and
    ``builds`` (the record of each of those builds).
    """
    this_build = {k: v for k, v in this.items() if k != "runs"}
    runs: dict[tuple, dict] = {}
    builds: dict[str, dict] = {}
    for path in sorted(stage_site.glob(f"*/{MANIFEST_FILE}")):
        try:
            old = io.read_json(path)
        except (io.DamagedFileError, OSError) as exc:
            log(f"Warning: {exc}; the records of that period's earlier papers are dropped from the manifest")
            continue
        old_id = old.get("build_id") or f"earlier-{old.get('build_time', 'unknown')}"
        builds.update(old.get("builds", {}))
        builds.setdefault(old_id, {k: v for k, v in old.items() if k not in ("runs", "builds")})
        for r in old.get("runs", []):
            record = {**r, "period": r.get("period", old.get("period")), "build_id": r.get("build_id", old_id)}
            runs[_run_key(record, None)] = record
    for r in new_runs:
        runs[_run_key(r, None)] = r
    builds[this["build_id"]] = this_build

    def present(r: dict) -> bool:
        slug = Period.parse(r["period"]).slug if r.get("period") else ""
        names = paper_files(r["template"], r["area_code"], slug)
        return (stage_site / slug / r["area_code"] / names["html"]).is_file()

    kept = [r for r in runs.values() if present(r)]

    def manifest(rows: list[dict]) -> dict:
        used = {r["build_id"] for r in rows} | {this["build_id"]}
        return {**this_build, "runs": rows, "builds": {k: v for k, v in builds.items() if k in used}}

    # the period's manifest: its papers, and the other editions this build made (a quarter's monthly edition)
    made = {_run_key(r, None) for r in new_runs}
    mine = [r for r in kept if r.get("period") == p.label or _run_key(r, None) in made]
    out = {stage_site / p.slug / MANIFEST_FILE: manifest(mine), stage_site / MANIFEST_FILE: manifest(kept)}
    # each other edition's folder has its own build record too (the index links every period's)
    for label in sorted({r["period"] for r in new_runs if r.get("period") and r["period"] != p.label}):
        slug = Period.parse(label).slug
        out[stage_site / slug / MANIFEST_FILE] = manifest([r for r in kept if r.get("period") == label])
    return out


def _manifest(p: Period, meta: dict, provenance: dict, build_id: str, data: Path, started: float, *,
              source: str = "extract") -> dict:
    """This build's record: every input with its SHA-256, the library, the commit, the time
    (``source``: the papers' data, the Early Help extract or the statutory returns)."""
    root = config.project_root()
    processed = io.returns_processed_dir(data) if source == "returns" else io.processed_dir(data)
    kind = "scs" if source == "returns" else None
    inputs = {"returns" if source == "returns" else "processed":
              {f.name: io.sha256_file(f) for f in sorted(processed.glob("*")) if f.is_file()},
              "extract": {Path(s.get("path", "")).name: s.get("sha256") for s in meta.get("sources", [])},
              "results": {f.name: io.sha256_file(f)
                          for f in sorted(io.results_dir(p.slug, data, kind=kind).glob("*")) if f.is_file()},
              "templates": {f.name: io.sha256_file(f) for f in sorted((root / "notebooks").glob("*.ipynb"))},
              "reference": {str(f.relative_to(config.reference_dir())): io.sha256_file(f)
                            for f in sorted(config.reference_dir().rglob("*"))
                            if f.is_file() and f.suffix in (".csv", ".geojson")},
              "reports": digests.files_digest(sorted((root / "reports").glob("*/*.yml"))
                                              + sorted((root / "reports").glob("*/scs/*.yml")))}
    return {"build_id": build_id, "period": p.label, "source": source, "synthetic": bool(meta.get("synthetic")),
            "extract_date": meta.get("extract_date"),
            "ehps_lib_version": provenance["ehps_lib_version"], "library_digest": digests.library_digest(),
            "git_commit": provenance["git_commit"], "build_time": provenance["build_time"],
            "parameters": {"period": p.label}, "inputs": inputs,
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


__all__ = ['build', 'builds_dir', 'BuildError', 'BuildOutcome', 'complete_builds', 'describe_os_error',
           'failed_notebook', 'live_site', 'Paper', 'Failure', 'run_job', 'summary', 'release_gaps']
