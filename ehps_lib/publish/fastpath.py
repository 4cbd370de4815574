"""The no-op fast path of ``ehps build``: "nothing to do" decided from file metadata alone.

A rebuild with nothing changed must answer in well under a second, but the full check
(:func:`ehps_lib.publish.build.build`) imports pandas, reads the results and the
commentary, and hashes every cache entry and site file: seconds of work to conclude that
nothing is to be done. So every build that leaves the site current for a request (a
successful publish, or the full check finding nothing to do) writes a **build record** of
everything the outcome depends on, and the next ``ehps build`` with the same request first
compares that record with the workspace as it is, importing nothing but the standard
library and :mod:`ehps_lib.config`:

* the **request**: period, areas, templates, renderer, release or draft, site and reports
  folders as given on the command line, the environment variables ``EHPS_*`` and
  ``SOURCE_DATE_EPOCH``, whether ``quarto`` is on the path, the Python and ehps versions;
* the **inputs**, every file of: the installed library (code, templates, styles, settings,
  catalogue), ``notebooks/``, ``reports/`` (commentary, paper details, and the executed
  notebooks mirrored there), ``_quarto.yml`` and ``index.qmd``, the processed extract,
  the statutory returns (``returns/``), the results, and the reference data;
* the **published site**: where ``site`` points, and every file of that build (pages, PDFs,
  CSVs, manifests, notebooks).

Each file is recorded by its size, modification time, status-change time and inode (what
``git status`` trusts, for the same reason): any write to a file changes its status-change
time, which no program can set back, so a file with the same four values has not been
written since (file times come from a coarse clock, so the record is taken only once its
newest change is a clock tick old: a later write always gets a later time). A file added,
removed or renamed changes the listing. When every value matches, the build stops with
"nothing to do"; on any difference at all, or when the record is missing or unreadable, or
another build holds the workspace, or an interrupted build left something to clear, the
full build runs, exactly as without this module. A build run with ``--no-cache`` never
takes the fast path (it is asked to run everything again).

The record is written only if the inputs (other than what the build itself writes: the
results and the executed notebooks it mirrors into ``reports/``) are the same at the end of
the build as at its start: an edit made while a build runs is picked up by the next one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

from .. import __version__, config

#: Build records, one per request, under ``<data>/cache/``.
RECORDS = Path("cache") / "noop"
#: Files ignored wherever they are: Python's byte code and editors' checkpoints.
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}
#: Environment variables that change what a build makes.
_ENV_PREFIXES = ("EHPS_",)
_ENV_NAMES = ("SOURCE_DATE_EPOCH",)
LOCK_FILE = ".ehps-workspace.lock"  # as ehps_lib.data.io.LOCK_FILE (that module imports pandas)
#: Longer than the file system's clock tick: a record is taken at least this long after the
#: newest change it records, so that any later write gets a later status-change time.
RACY_NS = 25_000_000


def request(*, period: str, areas, templates, engine: str, site: Path, reports: Path,
            release: bool | None) -> dict:
    """What a build was asked for, with what else decides its outcome besides the files.

    Values are kept as given (``"latest"``, area names): two requests that differ only in
    spelling have different records, which costs at most one full check.
    """
    env = {k: v for k, v in sorted(os.environ.items())
           if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES}
    return {"period": str(period), "areas": list(areas) if areas else None,
            "templates": list(templates) if templates else None, "engine": engine,
            "site": str(Path(site).absolute()), "reports": str(Path(reports).absolute()), "release": release,
            "env": env, "quarto": shutil.which("quarto"), "python": sys.version, "ehps_lib": __version__}


def record_path(req: dict, data: Path) -> Path:
    """Where the build record of ``req`` is kept."""
    name = hashlib.sha256(json.dumps(req, sort_keys=True).encode()).hexdigest()[:32]
    return Path(data) / RECORDS / f"{name}.json"


def _stat(path: str) -> list[int] | None:
    try:
        s = os.stat(path)
    except OSError:
        return None
    return [s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino]


def tree_state(folder: Path) -> dict[str, list[int]]:
    """``{relative path: [size, mtime_ns, ctime_ns, inode]}`` of every file under ``folder``
    (links followed; byte code and checkpoints left out); empty when it does not exist."""
    out: dict[str, list[int]] = {}
    folder = str(folder)
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for e in entries:
            if e.name in _SKIP_DIRS:
                continue
            try:
                if e.is_dir():
                    stack.append(e.path)
                    continue
                s = e.stat()
            except OSError:
                continue
            out[os.path.relpath(e.path, folder)] = [s.st_size, s.st_mtime_ns, s.st_ctime_ns, s.st_ino]
    return out


def _library_dir() -> Path:
    return Path(config.__file__).resolve().parent


def input_state(root: Path, data: Path, reports: Path) -> dict:
    """The metadata of every input file of a build (see the module docstring)."""
    try:
        reference = config.reference_dir()
    except Exception:  # noqa: BLE001 - no reference data: the full build says what to do
        reference = None
    return {
        "library": tree_state(_library_dir()),
        "notebooks": tree_state(root / "notebooks"),
        "reports": tree_state(root / "reports"),
        "mirror": tree_state(reports) if Path(reports).absolute() != (root / "reports").absolute() else None,
        "project": {name: _stat(str(root / name)) for name in ("_quarto.yml", "index.qmd")},
        "processed": tree_state(Path(data) / "processed"),
        "returns": tree_state(Path(data) / "returns"),
        "results": tree_state(Path(data) / "results"),
        "reference": {"folder": str(reference), "files": tree_state(reference) if reference else {}},
    }


def site_state(site: Path) -> dict:
    """Where ``site`` points and the metadata of every file of that build."""
    site = Path(site)
    try:
        target = os.readlink(site)
    except OSError:
        target = None
    if target is None:  # a site from before sites were links, or none: always the full check
        return {"target": None}
    build = (site.parent / target).resolve().parent
    return {"target": target, "build": tree_state(build)}


def _written_by_the_build(name: str) -> bool:
    """Whether a file of ``reports/`` is one a build writes there: the executed notebooks it
    mirrors into ``<period>/<area>/`` (period folders start with the year: ``2016-17-Q4``,
    ``2017-02``), as opposed to what people write (``commentary/``, ``papers/``)."""
    return name[:1].isdigit()


def _people_inputs(state: dict) -> dict:
    """The parts of an :func:`input_state` that no build writes: all but the results and the
    notebooks the build mirrors into ``reports/``."""
    out = {k: v for k, v in state.items() if k not in ("results", "reports", "mirror")}
    for k in ("reports", "mirror"):
        out[k] = {n: v for n, v in (state.get(k) or {}).items() if not _written_by_the_build(n)}
    return out


def _unchanged_except_results(before: dict, after: dict) -> bool:
    return _people_inputs(before) == _people_inputs(after)


def remember(req: dict, *, root: Path, data: Path, site: Path, reports: Path, before: dict, papers: int,
             period: str) -> bool:
    """Write the build record of ``req`` after a build that left the site current for it.

    ``before`` is :func:`input_state` taken when the build started (under its lock). Returns
    whether the record was written: not when an input changed during the build (then any
    earlier record of ``req`` is removed, so the next build checks in full).
    """
    path = record_path(req, data)
    after, published = input_state(root, data, reports), site_state(site)
    # File times come from a coarse clock: two writes within one tick can share a status-change
    # time. Record only once the newest recorded change is more than a tick old, so that a write
    # after the record cannot look like the one recorded (git's "racy clean" problem).
    wait = _newest_change(after, published) + RACY_NS - time.time_ns()
    if wait > 0:
        time.sleep(wait / 1e9)
        after, published = input_state(root, data, reports), site_state(site)
    if not _unchanged_except_results(before, after):
        forget(req, data)
        return False
    record = {"request": req, "inputs": after, "site": published, "papers": papers, "period": period}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return True


def _newest_change(*states: dict) -> int:
    """The newest status-change time (ns) of any file in ``states``."""
    newest = 0
    stack: list = list(states)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list) and len(item) == 4 and all(isinstance(v, int) for v in item):
            newest = max(newest, item[2])
    return newest


def leftovers(site: Path, data: Path) -> bool:
    """Whether an interrupted build left something the full build clears (a half-written cache
    entry, a staging folder, a half-made link): then the full build runs, and clears it."""
    site = Path(site).absolute()
    folders = [Path(data) / "cache" / "runs", site.with_name(f"{site.name}.builds")]
    for folder in folders:
        try:
            if any(e.name.startswith(".") for e in os.scandir(folder)):
                return True
        except OSError:
            continue
    try:
        return any(e.name.startswith((f".{site.name}.link.", ".site.staging.")) for e in os.scandir(site.parent))
    except OSError:
        return True


def forget(req: dict, data: Path) -> None:
    """Remove the build record of ``req`` (the next build checks in full). A record that cannot
    be removed is left: it no longer matches the site, so it is never taken for current."""
    with contextlib.suppress(OSError):
        record_path(req, data).unlink()


def _workspace_free(folders: list[Path]) -> bool:
    """Whether no build or ingest holds the lock of any of ``folders`` (checked, then released)."""
    import fcntl

    for folder in dict.fromkeys(folders):
        path = Path(folder) / LOCK_FILE
        if not path.is_file():
            continue
        try:
            with open(path, "a+", encoding="utf-8") as fh:
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(fh, fcntl.LOCK_UN)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return False
            return False
    return True


def check(req: dict, *, root: Path, data: Path, site: Path, reports: Path) -> dict | None:
    """The build record of ``req`` when the workspace is exactly as it records (nothing to do),
    else None (run the full build)."""
    path = record_path(req, data)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("request") != json.loads(json.dumps(req)):
        return None
    if sys.platform == "win32" or not _workspace_free([Path(data), Path(site).absolute().parent]):
        return None
    if leftovers(site, data):
        return None
    if record.get("site") != json.loads(json.dumps(site_state(site))) or record["site"].get("target") is None:
        return None
    if record.get("inputs") != json.loads(json.dumps(input_state(root, data, reports))):
        return None
    return record


def request_from_args(args) -> tuple[dict, Path, Path, Path, Path] | None:
    """The request of an ``ehps build`` command line with the folders it uses, or None when it
    cannot take the fast path (``--no-cache``)."""
    if getattr(args, "no_cache", False):
        return None
    root = config.project_root()
    site = Path(args.site).absolute() if args.site else root / "site"
    reports = root / "reports"
    req = request(period=args.period, areas=args.areas, templates=args.templates, engine=args.engine,
                  site=site, reports=reports, release=args.release)
    return req, root, config.data_dir(), site, reports


def try_noop(args) -> str | None:
    """For ``ehps build``: the message to print when nothing is to be done, or None."""
    try:
        found = request_from_args(args)
        if found is None:
            return None
        req, root, data, site, reports = found
        record = check(req, root=root, data=data, site=site, reports=reports)
    except Exception:  # noqa: BLE001 - anything unexpected: the full build checks, and says what is wrong
        return None
    if record is None:
        return None
    return (f"Nothing to do: the site already holds these {record['papers']} paper(s) for {record['period']}, and "
            "no input has changed (checked against the last build's record).")
