"""All file reading and writing of the workspace happens here.

Other modules are pure: they take and return DataFrames. Writes are atomic (write to a
temporary file in the same folder, then rename), so a crash never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import config

EXTRACT_MANIFEST = "extract.json"
PROCESSED_MANIFEST = "_manifest.json"
TABLE_NAMES = ("children", "notifications", "cases")

SUPPORTED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
                      ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel"}


class ExtractFileError(ValueError):
    """A file that cannot be read as a table at all."""


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
    return json.loads(Path(path).read_text(encoding="utf-8"))


def replace_dir(staging: Path, target: Path) -> None:
    """Swap a fully written ``staging`` folder into place as ``target``.

    The old ``target`` is moved aside first and removed only once the new one is in place.
    """
    target = Path(target)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)


def staging_dir(target: str | Path) -> Path:
    """A new empty folder beside ``target`` for building its replacement."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging.", dir=target.parent))


# -- extract files ------------------------------------------------------------------------------
def read_tabular(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a CSV, Parquet or Excel file as text, keeping every value as written.

    Returns a mapping from a name (the file stem; for Excel each sheet's name) to a
    DataFrame of strings (blank cells are ``<NA>``). The index is the row number as a
    person sees it in the file: the header is row 1, so the first record is row 2 (for
    Parquet, the first record is row 1).
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
            frames = {path.stem: pd.read_csv(path, dtype="string", keep_default_na=False,
                                             na_values=[""], encoding="utf-8-sig")}
            first_row = 2
        elif kind == "parquet":
            frames = {path.stem: pd.read_parquet(path).astype("string")}
            first_row = 1
        else:
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, na_values=[""])
            frames = {name: df.astype("string") for name, df in sheets.items()}
            first_row = 2
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ExtractFileError(f"{path}: could not be read as {kind}: {exc}") from exc
    out = {}
    for name, df in frames.items():
        df = df.copy()
        df.columns = [str(c).strip() for c in df.columns]
        repeated = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
        if repeated:
            raise ExtractFileError(f"{path}: column header(s) {repeated} appear more than once")
        for col in df.columns:
            df[col] = df[col].str.strip().replace("", pd.NA)
        df.index = pd.RangeIndex(first_row, first_row + len(df), name="row")
        out[name] = df
    return out


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
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLE_NAMES}
    return tables, manifest


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
        (stage / RESULTS_META).write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n",
                                          encoding="utf-8")
        replace_dir(stage, target)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    return target


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
    return pd.read_parquet(path)


def read_results_table(period_slug: str, name: str, base: Path | None = None, kind: str | None = None) -> pd.DataFrame:
    """Another published table of a period's results (e.g. ``public`` or ``deprivation``)."""
    path = results_dir(period_slug, base, kind) / f"{name}.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"No {name} results for {period_slug} in {path.parent}. "
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
    path = folder / PROCESSED_MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"No validated extract in {folder}. Run `ehps synth` for the built-in synthetic "
            "extract, or `ehps ingest PATH...` for a real one."
        )
    return read_json(path)


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


def write_bytes(data: bytes, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def copy_file(source: str | Path, target: str | Path) -> Path:
    """Copy a file atomically (the target appears whole or not at all)."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)


def remove_tree(path: str | Path) -> None:
    """Remove a folder and everything in it, if it exists."""
    if Path(path).exists():
        shutil.rmtree(path)


def make_public(path: str | Path) -> None:
    """Make a published folder (or file) readable by everyone: folders 755, files 644.

    Atomic writes and staging folders are created private (``mkstemp``/``mkdtemp`` use 600
    and 700); a site is meant to be served, so it is opened up once it is complete.
    """
    path = Path(path)
    targets = [path, *path.rglob("*")] if path.is_dir() else [path]
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


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a file (e.g. a return's XML, parsed by :mod:`ehps_lib.data.returns.xml`)."""
    return Path(path).read_bytes()


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
