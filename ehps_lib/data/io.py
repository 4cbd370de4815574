"""All file reading and writing of the workspace happens here.

Other modules are pure: they take and return DataFrames. Writes are atomic (write to a
temporary file in the same folder, then rename), so a crash never leaves half a file;
folders are replaced in one step (:func:`replace_dir`), and the published site is a
symbolic link swapped in one rename (:func:`point_link`).

Three things here exist for robustness rather than reading and writing as such:

* :func:`workspace_lock`, so that one build (or ingest) runs at a time in a workspace;
* :func:`copy_verified`, which copies a file only if its bytes still have the SHA-256
  recorded when it was made (a cache entry that was damaged or edited is never published);
* :func:`fault_point`, a named step where a test can make the process fail on purpose
  (``EHPS_FAULT``), so failures are tested at fixed points rather than by timing luck.
"""

from __future__ import annotations

import csv
import ctypes
import datetime as dt
import errno
import hashlib
import io as _io
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import config

EXTRACT_MANIFEST = "extract.json"
PROCESSED_MANIFEST = "_manifest.json"
TABLE_NAMES = ("children", "notifications", "cases")
#: Tables an extract may leave out (see :data:`ehps_lib.data.contract.TABLES`): read when present.
OPTIONAL_TABLE_NAMES = ("youth_justice", "exclusions")

SUPPORTED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
                      ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel"}


class ExtractFileError(ValueError):
    """A file that cannot be read as a table at all."""


class DamagedFileError(ValueError):
    """A file the workspace wrote earlier that can no longer be read (truncated, overwritten,
    edited by hand); the message names the file and how to make it again."""


class WorkspaceBusyError(RuntimeError):
    """Another build or ingest holds the workspace lock (see :func:`workspace_lock`)."""


# -- fault injection ---------------------------------------------------------------------------
FAULT_ENV = "EHPS_FAULT"
FAULT_DIR_ENV = "EHPS_FAULT_DIR"


class InjectedFaultError(OSError):
    """The failure :func:`fault_point` raises when a test asks for one."""


def fault_point(step: str, path: str | Path | None = None) -> None:
    """A named step of ingest or a build where a test can inject a failure.

    Does nothing unless the environment variable ``EHPS_FAULT`` names this step, as
    ``ACTION@STEP`` (several separated by commas). Actions:

    * ``kill``: the process ends at once (SIGKILL), as on a power cut;
    * ``raise``: :class:`InjectedFaultError` (an ``OSError``) is raised;
    * ``enospc``: ``OSError(ENOSPC)`` is raised, as when the disk is full;
    * ``erofs``: ``OSError(EROFS)`` is raised, as for a read-only folder (tests run as root,
      whom file permissions do not stop);
    * ``pause``: the process writes ``STEP.reached`` in the folder ``EHPS_FAULT_DIR`` and
      waits until ``STEP.release`` appears there (for tests of concurrent builds).

    Parameters
    ----------
    step
        The step's name, e.g. ``publish.swap``.
    path
        The file or folder the step writes, named by the errors raised.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    for item in spec.split(","):
        action, _, where = item.strip().partition("@")
        if where != step:
            continue
        if action == "kill":
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "raise":
            raise InjectedFaultError(f"fault injected at {step}")
        elif action in ("enospc", "erofs"):
            code = errno.ENOSPC if action == "enospc" else errno.EROFS
            raise OSError(code, os.strerror(code), str(path) if path else f"<fault injected at {step}>")
        elif action == "pause":
            folder = Path(os.environ.get(FAULT_DIR_ENV, tempfile.gettempdir()))
            (folder / f"{step}.reached").write_text(str(os.getpid()), encoding="utf-8")
            while not (folder / f"{step}.release").exists():
                time.sleep(0.05)


# -- hashing ------------------------------------------------------------------------------
def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- atomic writes ----------------------------------------------------------------------------
@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(obj: object, path: str | Path) -> Path:
    return write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def read_json(path: str | Path) -> dict:
    """A JSON file the workspace wrote.

    Raises
    ------
    DamagedFileError
        When the file is not valid JSON (a ``ValueError``), naming it.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedFileError(f"{path} is damaged: not valid JSON ({exc})") from exc


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where that
    is not available (another system, an old C library, a file system without it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _old_copy(target: Path) -> Path:
    return target.with_name(f".{target.name}.old")


def recover_dir(target: str | Path) -> None:
    """Put back a folder that an interrupted :func:`replace_dir` left moved aside.

    Only the fallback of :func:`replace_dir` (two renames, where one atomic exchange is not
    available) can leave ``target`` missing and ``.<target>.old`` present.
    """
    target = Path(target)
    old = _old_copy(target)
    if old.exists() and not target.exists():
        os.replace(old, target)
    elif old.exists():
        shutil.rmtree(old, ignore_errors=True)


def replace_dir(staging: Path, target: Path) -> None:
    """Swap a fully written ``staging`` folder into place as ``target``, in one step.

    On Linux the two folders are exchanged atomically and the old one removed, so there is
    no moment without ``target``. Elsewhere the old ``target`` is moved aside first and
    removed only once the new one is in place; :func:`recover_dir` restores it if the
    process dies between the two renames.
    """
    target = Path(target)
    recover_dir(target)
    if target.exists() and _exchange(staging, target):
        fault_point("replace_dir.exchanged")
        shutil.rmtree(staging)
        return
    old = _old_copy(target)
    if target.exists():
        os.replace(target, old)
    fault_point("replace_dir.moved_aside")
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)


def point_link(link: str | Path, target: str | Path) -> None:
    """Make ``link`` a symbolic link to the folder ``target``, replacing what it pointed to
    in one rename, so a reader sees the old folder or the new one, never neither.

    The link is relative, so the workspace can be moved. ``link`` must be a symbolic link
    or absent (see :func:`adopt_dir_as_link` for a real folder).
    """
    link, target = Path(link), Path(target)
    tmp = link.with_name(f".{link.name}.link.{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(target, link.parent), tmp, target_is_directory=True)
    fault_point("point_link.created")
    os.replace(tmp, link)


def adopt_dir_as_link(folder: str | Path, store: str | Path) -> Path:
    """Turn the real folder ``folder`` into a link to a copy of it kept in ``store``.

    Used once, when a site made before sites were links is first published over: the
    folder is moved into ``store`` and ``folder`` becomes a link to it. On Linux the swap
    is one atomic exchange; elsewhere there is a moment with no ``folder``, which
    :func:`point_link` on the next build repairs.
    """
    folder, store = Path(folder), Path(store)
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f".{folder.name}.link.{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(os.path.relpath(store, folder.parent), tmp, target_is_directory=True)
    if _exchange(tmp, folder):  # `folder` is now the link; the real folder sits at `tmp`
        os.replace(tmp, store)
    else:
        tmp.unlink()
        os.replace(folder, store)
        point_link(folder, store)
    return store


def is_link(path: str | Path) -> bool:
    return Path(path).is_symlink()


def link_target(path: str | Path) -> Path | None:
    """Where the symbolic link ``path`` points (absolute), or None when it is not a link."""
    path = Path(path)
    if not path.is_symlink():
        return None
    return (path.parent / os.readlink(path)).resolve()


def remove_link(path: str | Path) -> None:
    if Path(path).is_symlink():
        Path(path).unlink()


def staging_dir(target: str | Path) -> Path:
    """A new empty folder beside ``target`` for building its replacement."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.", dir=target.parent))


def new_folder(parent: str | Path, prefix: str) -> Path:
    """A new, empty, uniquely named folder ``parent/<prefix>...``."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))


def copy_verified(source: str | Path, target: str | Path, sha256: str) -> Path:
    """Copy ``source`` to ``target`` atomically, only if the bytes copied have the digest
    ``sha256`` (the one recorded when the file was made).

    Raises
    ------
    DamagedFileError
        When they do not (the source was damaged or edited since); nothing is written.
    """
    source = Path(source)
    h = hashlib.sha256()
    with atomic_path(target) as tmp:
        with open(source, "rb") as src, open(tmp, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                h.update(block)
                dst.write(block)
        if h.hexdigest() != sha256:
            raise DamagedFileError(f"{source} has changed since it was made (its SHA-256 is not the one recorded)")
    return Path(target)


def read_json_verified(path: str | Path, sha256: str):
    """A JSON file, only if its bytes have the digest ``sha256`` (see :func:`copy_verified`).

    Raises
    ------
    DamagedFileError
        When they do not, or the file is not JSON.
    """
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DamagedFileError(f"{path} has changed since it was made (its SHA-256 is not the one recorded)")
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedFileError(f"{path} is damaged: not valid JSON ({exc})") from exc


# -- the workspace lock -------------------------------------------------------------------------
LOCK_FILE = ".ehps-workspace.lock"
_HELD: dict[str, list] = {}  # lock path -> [open file, depth]: re-entrant within one process


def _try_lock(fh) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        # A POSIX record lock belongs to this process only: worker processes forked while it
        # is held do not hold it, and it goes when the process dies, however it dies.
        fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return text


@contextmanager
def workspace_lock(folder: str | Path, what: str, *, wait: bool = True,
                   on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the lock of a workspace folder while the block runs: one holder at a time.

    Parameters
    ----------
    folder
        The folder to lock (the data folder; the site's folder): the lock file
        ``.ehps-workspace.lock`` lives in it.
    what
        What the holder is doing, shown to anyone who has to wait ("ehps build 2016-17 Q2").
    wait
        Wait for the lock (default); if False, raise :class:`WorkspaceBusyError` at once.
    on_wait
        Called once with a message when the lock is held by someone else.

    Notes
    -----
    The lock is an operating-system lock on the file, so it is released when its holder
    ends in any way (even killed); a lock file left behind never blocks anyone. Taking the
    lock again inside the block, in the same process, is allowed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    key = str(path.resolve())
    if key in _HELD:
        _HELD[key][1] += 1
        try:
            yield path
        finally:
            _HELD[key][1] -= 1
        return
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole block
    try:
        if not _try_lock(fh):
            holder = _holder(path) or "another process"
            message = (f"The workspace is busy: {holder} holds {path}. ")
            if not wait:
                raise WorkspaceBusyError(message + "Run again when it has finished (without --no-wait, "
                                                   "ehps waits for it).")
            if on_wait is not None:
                on_wait(message + "Waiting for it to finish ...")
            while not _try_lock(fh):
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"{what} (process {os.getpid()}, started {dt.datetime.now():%Y-%m-%d %H:%M:%S})\n")
        fh.flush()
        _HELD[key] = [fh, 1]
        try:
            yield path
        finally:
            del _HELD[key]
    finally:
        fh.close()  # closing the file releases the lock


# -- extract files ------------------------------------------------------------------------------
@dataclass
class Grid:
    """A file, or one sheet of a workbook, as read: every cell as text, no header chosen yet.

    Attributes
    ----------
    name
        The file's stem, or the sheet's name.
    cells
        Every cell as text (``string`` dtype; blank cells and surrounding spaces removed, so
        blank is ``<NA>``); columns ``0, 1, ...``. The index is the row number as a person
        sees it: the first line of a CSV file, or the first row of a sheet, is row 1. For
        Parquet, whose column names are not a row, the names are row 0 and the first record
        is row 1.
    kind
        ``csv``, ``excel`` or ``parquet``.
    encoding
        How a text file's bytes were decoded (``UTF-8``, ``UTF-8 with BOM``,
        ``Windows-1252``, ``UTF-16``); None for other kinds.
    replaced
        True when some bytes fitted no encoding and were read as U+FFFD (the cells holding
        one are marked by ingest).
    widths
        For CSV, the number of values on each row (index as ``cells``), to find rows with
        more or fewer values than the header; None for other kinds.
    """

    name: str
    cells: pd.DataFrame
    kind: str
    encoding: str | None = None
    replaced: bool = False
    widths: pd.Series | None = None


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Decode a text file: UTF-8 (with or without a byte-order mark), UTF-16 with a
    byte-order mark, or Windows-1252 (what Excel on Windows writes as "CSV").

    Returns
    -------
    tuple
        The text, the encoding's name and whether any bytes fitted no encoding (they are
        replaced by U+FFFD; of UTF-8 and Windows-1252 the reading with fewer such bytes wins).

    Examples
    --------
    >>> decode_text("Café".encode("utf-8"))
    ('Café', 'UTF-8', False)
    >>> decode_text(b"\\xef\\xbb\\xbfid")
    ('id', 'UTF-8 with BOM', False)
    >>> decode_text("Café £5".encode("cp1252"))
    ('Café £5', 'Windows-1252', False)
    """
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        try:
            return body.decode("utf-8"), "UTF-8 with BOM", False
        except UnicodeDecodeError:
            return body.decode("utf-8", errors="replace"), "UTF-8 with BOM", True
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16", False
        except UnicodeDecodeError:
            return data.decode("utf-16", errors="replace"), "UTF-16", True
    try:
        return data.decode("utf-8"), "UTF-8", False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252", False
    except UnicodeDecodeError:
        as_utf8 = data.decode("utf-8", errors="replace")
        as_1252 = data.decode("cp1252", errors="replace")
        if as_1252.count("\ufffd") < as_utf8.count("\ufffd"):
            return as_1252, "Windows-1252", True
        return as_utf8, "UTF-8", True


def _delimiter(text: str) -> str:
    """Comma, unless the first non-blank line has none and has semicolons or tabs."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," in first:
        return ","
    for other in (";", "\t"):
        if other in first:
            return other
    return ","


def _as_cells(frame: pd.DataFrame, first_row: int) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = range(frame.shape[1])
    for col in frame.columns:
        frame[col] = frame[col].astype("string").str.strip().replace("", pd.NA)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame), name="row")
    return frame


def _read_csv_grid(path: Path) -> Grid:
    text, encoding, replaced = decode_text(path.read_bytes())
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ExtractFileError(f"{path}: line {line} holds a NUL byte: this is not a text (CSV) file, or it is "
                               "saved in an encoding without a byte-order mark; save it from Excel as "
                               "'CSV UTF-8 (Comma delimited)'")
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ExtractFileError(f"{path}: line {reader.line_num}: {exc}") from exc
    widths = pd.Series([len(r) for r in rows], index=pd.RangeIndex(1, len(rows) + 1, name="row"), dtype="int64")
    frame = pd.DataFrame(rows, dtype="object") if rows else pd.DataFrame()
    return Grid(path.stem, _as_cells(frame, 1), "csv", encoding, replaced, widths)


def read_grid(path: str | Path) -> list[Grid]:
    """Read a CSV, Parquet or Excel file as a grid of text: one per file, or per sheet.

    Nothing is interpreted here: which row is the header, and what each column holds, is
    decided by :mod:`ehps_lib.data.ingest`. Every value is kept as written.

    Raises
    ------
    ExtractFileError
        When the file is missing, of an unsupported type, or cannot be read at all; the
        message names the file (and the line, where there is one).
    """
    path = Path(path)
    if not path.is_file():
        raise ExtractFileError(f"{path}: file not found")
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ExtractFileError(
            f"{path}: unsupported file type {path.suffix!r}; use CSV, Parquet or Excel (.xlsx)"
        )
    try:
        if kind == "csv":
            return [_read_csv_grid(path)]
        if kind == "parquet":
            frame = pd.read_parquet(path)
            header = pd.DataFrame([[str(c) for c in frame.columns]], dtype="object")
            body = frame.astype("string").astype("object")
            body.columns = range(frame.shape[1])
            return [Grid(path.stem, _as_cells(pd.concat([header, body], ignore_index=True), 0), "parquet")]
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, keep_default_na=False,
                               na_values=[""])
        return [Grid(str(name), _as_cells(df, 1), "excel") for name, df in sheets.items()]
    except ExtractFileError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, KeyError, TypeError) as exc:
        what = {"csv": "CSV", "parquet": "Parquet", "excel": "an Excel workbook"}[kind]
        raise ExtractFileError(f"{path}: could not be read as {what}: {exc}") from exc


# -- processed data -----------------------------------------------------------------------------
def processed_dir(base: Path | None = None) -> Path:
    return (base or config.data_dir()) / "processed"


def read_processed(base: Path | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The validated tables and their manifest, from ``data/processed``.

    Raises
    ------
    FileNotFoundError
        If no extract has been ingested yet, saying how to make one.
    """
    manifest = read_processed_manifest(base)
    folder = processed_dir(base)
    tables = {name: read_parquet_checked(folder / f"{name}.parquet", REINGEST) for name in TABLE_NAMES}
    tables.update({name: read_parquet_checked(folder / f"{name}.parquet", REINGEST) for name in OPTIONAL_TABLE_NAMES
                   if (folder / f"{name}.parquet").is_file()})
    return tables, manifest


#: How to make the validated extract again, for messages about a damaged one.
REINGEST = ("ingest the extract again (`ehps ingest PATH...`, or `ehps synth` for the built-in synthetic "
            "extract) to rewrite it")


def read_parquet_checked(path: str | Path, fix: str) -> pd.DataFrame:
    """A Parquet file the workspace wrote; a missing or unreadable one is a clear error.

    Raises
    ------
    DamagedFileError
        Naming the file and ``fix`` (what to run to make it again).
    """
    path = Path(path)
    if not path.is_file():
        raise DamagedFileError(f"{path} is missing: {fix}")
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        raise DamagedFileError(f"{path} cannot be read as Parquet, it is damaged "
                               f"({type(exc).__name__}: {exc}): {fix}") from exc


# -- reference data -----------------------------------------------------------------------------
def read_reference_csv(relative: str, **kwargs) -> pd.DataFrame:
    """Read a CSV from the reference-data folder (see :func:`ehps_lib.config.reference_dir`)."""
    path = config.reference_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f"Reference file missing: {path}")
    return pd.read_csv(path, **kwargs)


def read_reference_geojson(relative: str):
    """Read a GeoJSON boundary file from the reference-data folder as a GeoDataFrame."""
    import geopandas as gpd  # imported here: geopandas is slow to import and only maps need it

    path = config.reference_dir() / relative
    if not path.is_file():
        raise FileNotFoundError(f"Reference file missing: {path}")
    return gpd.read_file(path)


def reference_file_hashes(relatives: list[str]) -> dict[str, str]:
    root = config.reference_dir()
    return {rel: sha256_file(root / rel) for rel in relatives}


# -- indicator results ----------------------------------------------------------------------------
RESULTS_FILE = "indicators.parquet"
RESULTS_CSV = "indicators.csv"
RESULTS_META = "_meta.json"


def period_slug(period: object) -> str:
    """The folder name of a period's results, from a period in any form people write
    (``"2016-17 Q4"``, ``"2016-17-Q4"``, ``"March 2017"``, a :class:`~ehps_lib.periods.Period`).

    Examples
    --------
    >>> period_slug("2016-17 Q4"), period_slug("2016-17-Q4"), period_slug("March 2017")
    ('2016-17-Q4', '2016-17-Q4', '2017-03')
    """
    from ..periods import Period, PeriodError

    try:
        return Period.parse(period).slug
    except PeriodError:
        return str(period)


def results_dir(period_slug_or_label: str, base: Path | None = None, kind: str | None = None) -> Path:
    """``<data>/results/<period slug>``; the period may be written in any form. With ``kind``
    (``scs``: the results computed from the statutory returns), ``<data>/results/<kind>/<period slug>``."""
    root = (base or config.data_dir()) / "results"
    return (root / kind if kind else root) / period_slug(period_slug_or_label)


def results_slug_for(period: object, base: Path | None = None) -> str:
    """The folder name of the results that hold ``period``: its own when they exist; for a month
    without results of its own, those of a quarter or financial year that ends with that month
    (results up to a period hold every month and quarter to its end, so they are the same).

    A quarter's build makes its last month's monthly editions from the quarter's results this way.
    Without any, the month's own slug (reading it then says which command makes them).
    """
    from ..periods import Period, PeriodError

    own = period_slug(period)
    if (results_dir(own, base) / RESULTS_FILE).is_file():
        return own
    try:
        p = Period.parse(period)
    except PeriodError:
        return own
    if p.kind == "month":
        quarter = Period.quarter_of(p.start)
        year = Period.parse(f"FY{p.financial_year_label}")
        for candidate in (quarter, year):
            if candidate.end == p.end and (results_dir(candidate.slug, base) / RESULTS_FILE).is_file():
                return candidate.slug
    return own


def write_results(results: pd.DataFrame, meta: dict, period_slug: str, base: Path | None = None,
                  internal: dict[str, pd.DataFrame] | None = None,
                  extra: dict[str, pd.DataFrame] | None = None, kind: str | None = None) -> Path:
    """Write a period's results (Parquet, CSV and metadata) into a fresh folder, atomically.

    ``extra`` tables (published too, e.g. ``public``) are written beside the results as
    ``<name>.parquet`` and ``<name>.csv``.

    ``internal`` tables (e.g. the unsuppressed results and the suppression audit) go to an
    ``internal/`` subfolder as Parquet and CSV: for quality assurance, never for publication.
    """
    target = results_dir(period_slug, base, kind)
    stage = staging_dir(target)
    try:
        results.to_parquet(stage / RESULTS_FILE, index=False)
        results.to_csv(stage / RESULTS_CSV, index=False, lineterminator="\n")
        for name, frame in (extra or {}).items():
            frame.to_parquet(stage / f"{name}.parquet", index=False)
            frame.to_csv(stage / f"{name}.csv", index=False, lineterminator="\n")
        if internal:
            (stage / "internal").mkdir()
            for name, frame in internal.items():
                frame.to_parquet(stage / "internal" / f"{name}.parquet", index=False)
                frame.to_csv(stage / "internal" / f"{name}.csv", index=False, lineterminator="\n")
        meta = {**meta, "files": {p.name: sha256_file(p) for p in sorted(stage.glob("*.parquet"))}}
        (stage / RESULTS_META).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n",
                                          encoding="utf-8")
        fault_point("results.staged")
        replace_dir(stage, target)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return target


#: Every count decision ever made for this data folder (confidential: it holds withheld values).
LEDGER_FILE = "protected_counts.parquet"


def ledger_path(base: Path | None = None, kind: str | None = None) -> Path:
    """``data/results/protected_counts.parquet``: the ledger of the protected count table (with
    ``kind``, that of the results of that kind: ``data/results/scs/protected_counts.parquet``)."""
    return results_dir("x", base, kind).parent / LEDGER_FILE


def read_ledger(base: Path | None = None, kind: str | None = None) -> pd.DataFrame | None:
    """Every count decision made so far (:mod:`ehps_lib.indicators.suppression`), or None."""
    path = ledger_path(base, kind)
    return pd.read_parquet(path) if path.is_file() else None


def write_ledger(ledger: pd.DataFrame, base: Path | None = None, kind: str | None = None) -> Path:
    """Write the ledger atomically (private: it holds the values of withheld counts)."""
    return write_parquet(ledger, ledger_path(base, kind))


def read_results(period_slug: str, base: Path | None = None, kind: str | None = None) -> tuple[pd.DataFrame, dict]:
    """A period's results table and metadata (see :func:`write_results`)."""
    folder = results_dir(period_slug, base, kind)
    if not (folder / RESULTS_FILE).is_file():
        label = folder.name.replace("-Q", " Q")
        source = " --source returns" if kind else ""
        raise FileNotFoundError(
            f"No indicator results for {label} in {folder}. Run `ehps indicators{source} --period \"{label}\"` first."
        )
    return _read_parquet_cached(folder / RESULTS_FILE), read_json(folder / RESULTS_META)


def results_intact(period_slug: str, base: Path | None = None) -> bool:
    """Whether a period's results can be reused: every table written with them (listed in
    ``_meta.json``) is there and readable as Parquet. A truncated or overwritten file is not,
    so the results are computed again rather than read. (A table edited by hand but still
    valid Parquet is used as it is: the build's manifest records what every paper was made
    from, with its SHA-256.)"""
    import pyarrow.parquet as pq

    folder = results_dir(period_slug, base)
    try:
        files = read_json(folder / RESULTS_META).get("files")
    except (OSError, DamagedFileError):
        return False
    if not files or RESULTS_FILE not in files:
        return False
    for name in files:
        try:
            pq.read_metadata(folder / name)
        except Exception:  # noqa: BLE001 - missing, truncated or not Parquet: not reusable
            return False
    return True


def _read_parquet_cached(path: Path) -> pd.DataFrame:
    """A published results table, read once per process while the file is unchanged.

    A build reads the same period's results for every paper it runs in a worker; the
    file's size and modification time are part of the key, so a rewritten file is read
    again. Callers get a copy, so nothing they do changes the cached table.
    """
    stat = Path(path).stat()
    return _parquet_by_stat(str(path), stat.st_mtime_ns, stat.st_size).copy()


@lru_cache(maxsize=8)
def _parquet_by_stat(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return read_parquet_checked(path, "compute the results again (`ehps indicators --period ...`)")


def read_results_table(period_slug: str, name: str, base: Path | None = None, kind: str | None = None) -> pd.DataFrame:
    """Another published table of a period's results (e.g. ``public`` or ``deprivation``)."""
    path = results_dir(period_slug, base, kind) / f"{name}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"No {name} results for {period_slug} in {path.parent}. "
                                "Run `ehps indicators --period ...` first.")
    return _read_parquet_cached(path)


def read_internal_table(period_slug: str, name: str, base: Path | None = None) -> pd.DataFrame:
    """A table of a period's results kept for officers and quality assurance only
    (``internal/<name>.parquet``: unsuppressed results, the suppression audit, Early Help Units)."""
    path = results_dir(period_slug, base) / "internal" / f"{name}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"No internal {name} table for {period_slug} in {path.parent}. "
                                "Run `ehps indicators --period ...` first.")
    return _read_parquet_cached(path)


# -- reports and site ------------------------------------------------------------------------------
def read_processed_manifest(base: Path | None = None) -> dict:
    """Only the manifest of the validated extract (``data/processed/_manifest.json``).

    Raises
    ------
    FileNotFoundError
        If no extract has been ingested yet, saying how to make one.
    """
    folder = processed_dir(base)
    recover_dir(folder)
    path = folder / PROCESSED_MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"No validated extract in {folder}. Run `ehps synth` for the built-in synthetic "
            "extract, or `ehps ingest PATH...` for a real one."
        )
    try:
        return read_json(path)
    except DamagedFileError as exc:
        raise DamagedFileError(f"{exc}: {REINGEST}") from exc


def read_notebook(path: str | Path):
    """An executed notebook (``nbformat`` version 4 node)."""
    import nbformat  # imported here: only rendering needs it

    with open(path, encoding="utf-8") as fh:
        return nbformat.read(fh, as_version=4)


def write_notebook(nb, path: str | Path) -> Path:
    """Write a notebook (``nbformat`` version 4 node) atomically."""
    import nbformat

    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        nbformat.write(nb, fh)
    return Path(path)


def copy_tree(source: str | Path, target: str | Path) -> Path:
    """Copy a folder's files into ``target`` (created; files already there are replaced)."""
    source, target = Path(source), Path(target)
    for path in sorted(source.rglob("*")):
        if path.is_file():
            copy_file(path, target / path.relative_to(source))
    return target


def read_json_or(path: str | Path, default):
    """``read_json(path)``, or ``default`` when the file does not exist."""
    return read_json(path) if Path(path).is_file() else default


def read_csv_header(path: str | Path) -> list[str]:
    """The column names of a CSV file (its first line)."""
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def read_csv_columns(path: str | Path, columns: list[str]) -> pd.DataFrame:
    """Some columns of a CSV file, as written (text; blank cells are empty strings)."""
    return pd.read_csv(path, usecols=columns, dtype=str, keep_default_na=False)


def read_csv_rounded(path: str | Path, decimals: int = 3) -> pd.DataFrame:
    """A CSV table with its numbers rounded to ``decimals`` places (text columns as written)."""
    table = pd.read_csv(path, keep_default_na=False, na_values=[""], low_memory=False)
    numbers = table.select_dtypes("number").columns
    table[numbers] = table[numbers].round(decimals)
    return table


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a file (the disclosure scan reads published files through this; a return's XML,
    parsed by :mod:`ehps_lib.data.returns.xml`)."""
    return Path(path).read_bytes()


def write_bytes(data: bytes, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def copy_file(source: str | Path, target: str | Path) -> Path:
    """Copy a file atomically (the target appears whole or not at all)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)


def check_writable(folder: str | Path, step: str = "check_writable") -> None:
    """Make ``folder`` if needed and write (then remove) a file in it (``step``: its name as a
    :func:`fault_point`).

    Raises
    ------
    OSError
        When the folder cannot be made or written, with the folder as its filename.
    """
    folder = Path(folder)
    fault_point(step, folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".ehps-write-check.", dir=folder)
    os.close(fd)
    os.unlink(probe)


def remove_tree(path: str | Path) -> None:
    """Remove a folder and everything in it, if it exists."""
    if Path(path).exists():
        shutil.rmtree(path)


def make_public(path: str | Path, *, tree: bool = True) -> None:
    """Make a published folder (or file) readable by everyone: folders 755, files 644.

    Atomic writes and staging folders are created private (``mkstemp``/``mkdtemp`` use 600
    and 700); a site is meant to be served, so it is opened up once it is complete.
    ``tree=False`` opens the folder itself only, not what it holds.
    """
    path = Path(path)
    targets = [path, *path.rglob("*")] if path.is_dir() and tree else [path]
    for p in targets:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def file_size(path: str | Path) -> int:
    return Path(path).stat().st_size


@contextmanager
def stderr_to_file(path: str | Path) -> Iterator[Path]:
    """Send this process's standard error (file descriptor 2, so child processes such as a
    Jupyter kernel too) to ``path`` while the block runs; restore it afterwards."""
    import sys

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield path
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


# -- committee paper details (ehps_lib.papers.committee_paper) ---------------------------------------------------
def paper_details_dir(root: Path | None = None) -> Path:
    """Folder of the committee papers' details files: ``<project root>/reports/papers``."""
    return (root or config.project_root()) / "reports" / "papers"


def read_paper_details_text(path: str | Path) -> str | None:
    """The text of a paper details file (YAML), or None when the file does not exist."""
    path = Path(path)
    return path.read_text(encoding="utf-8") if path.is_file() else None


# -- commentary files (ehps_lib.papers.county_scorecard) -----------------------------------------------------------
def read_text(path: str | Path) -> str:
    """A text file's content (UTF-8)."""
    return Path(path).read_text(encoding="utf-8")


def read_text_or_none(path: str | Path) -> str | None:
    """The text of a UTF-8 file, or None when it does not exist (e.g. a period's commentary)."""
    path = Path(path)
    return path.read_text(encoding="utf-8") if path.is_file() else None


# -- workbooks -----------------------------------------------------------------------------------
def write_excel(frames: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write tables to an ``.xlsx`` workbook, one sheet each, atomically.

    Sheet names are cut to Excel's 31 characters (a clash gets a number); headings are frozen
    and columns sized to their contents. Numbers are written as numbers.
    """
    from openpyxl.utils import get_column_letter

    used: set[str] = set()
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, frame in frames.items():
            sheet = "".join(ch for ch in str(name) if ch not in '[]:*?/\\')[:31] or "Sheet"
            base, n = sheet, 2
            while sheet in used:
                sheet = f"{base[:28]}_{n}"
                n += 1
            used.add(sheet)
            out = frame.copy()
            for col in out.columns:  # Excel has no time zones and no pandas NA
                if isinstance(out[col].dtype, pd.DatetimeTZDtype):
                    out[col] = out[col].dt.tz_localize(None)
            out.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for i, col in enumerate(out.columns, start=1):
                width = max([len(str(col))] + [len(str(v)) for v in out[col].head(200)])
                ws.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))
    return Path(path)


# -- statutory returns (ehps_lib.data.returns) -------------------------------------------------------------
RETURNS_FOLDER = "returns"


def returns_dir(base: Path | None = None) -> Path:
    """``DATA_DIR/returns``: the validated returns (``processed/``) and what was rejected (``quarantine/``)."""
    return (base or config.data_dir()) / RETURNS_FOLDER


def returns_processed_dir(base: Path | None = None) -> Path:
    return returns_dir(base) / "processed"


def read_returns_manifest(base: Path | None = None) -> dict:
    """The manifest of the validated returns (``DATA_DIR/returns/processed/_manifest.json``).

    Raises
    ------
    FileNotFoundError
        If no returns have been ingested yet, saying how to make them.
    """
    path = returns_processed_dir(base) / PROCESSED_MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"No validated returns in {path.parent}. Run `ehps synth-returns` for the built-in synthetic returns, "
            "or `ehps ingest-returns PATH...` for a council's CIN census, SSDA903 and supplement."
        )
    return read_json(path)


def read_returns(base: Path | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The validated returns' tables (every table of the contract) and their manifest."""
    manifest = read_returns_manifest(base)
    folder = returns_processed_dir(base)
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return tables, manifest
