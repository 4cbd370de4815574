"""Content digests and the build cache.

A paper is rebuilt only when something it is made from has changed. Its cache key is the
SHA-256 of:

* the template notebook's bytes and the run's parameters (area, period);
* the digest of the published data the paper reads: for a district paper its own rows and
  Kent's (its comparisons); for a county paper every row; plus the CYPF public table, and
  the commentary and paper-details files of the period;
* the library's digest (every source, template, style sheet and settings file in
  ``ehps_lib``, so any code change rebuilds) and the reference data's digest;
* the renderer and the classification printed on the page.

The git commit is not part of it: the library digest changes with the code, and an edit
elsewhere in the workspace should not rebuild every paper. Each paper prints the commit it
was built at; the site's manifest records the commit of the build that published it.

A changed district therefore re-executes that district's papers (and those that show it,
such as Kent's), and nothing else. Entries are folders under ``<data>/cache/runs/<key>/``,
written whole or not at all (built aside, then renamed), so an interrupted build leaves
only complete entries and the next build resumes from them.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from . import config, io


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_json(obj: object) -> str:
    return sha256_bytes(json.dumps(obj, sort_keys=True, default=str).encode("utf-8"))


@lru_cache(maxsize=1)
def library_digest() -> str:
    """Digest of the installed library's files (code, templates, styles, settings, catalogue)."""
    h = hashlib.sha256()
    root = resources.files("ehps_lib")
    paths = sorted(p for p in Path(str(root)).rglob("*")
                   if p.is_file() and p.suffix in (".py", ".yml", ".j2", ".css") and "__pycache__" not in p.parts)
    for p in paths:
        h.update(p.relative_to(Path(str(root))).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def files_digest(paths: list[Path]) -> dict[str, str]:
    """``{path: sha256}`` for the files that exist."""
    return {str(p): io.sha256_file(p) for p in sorted(paths) if Path(p).is_file()}


@lru_cache(maxsize=4)
def _reference_digest(folder: str) -> str:
    files = [p for p in sorted(Path(folder).rglob("*")) if p.is_file() and p.suffix in (".csv", ".geojson")]
    return digest_json({str(p.relative_to(folder)): io.sha256_file(p) for p in files})


def reference_digest() -> str:
    """Digest of every reference-data file (boundaries, IMD, population, public indicators)."""
    return _reference_digest(str(config.reference_dir()))


def row_hashes(df: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of a table (columns in name order)."""
    if df is None or df.empty:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_pandas_object(df[sorted(df.columns)], index=False).to_numpy()


def hashes_digest(hashes: np.ndarray, columns: list[str]) -> str:
    """Order-independent digest of a set of row hashes (their sum and count, and the columns)."""
    total = int(hashes.sum(dtype=np.uint64)) if len(hashes) else 0
    return sha256_bytes(f"{total}:{len(hashes)}:{','.join(sorted(columns))}".encode())


def frame_digest(df: pd.DataFrame) -> str:
    """Order-independent digest of a table's content."""
    if df is None or df.empty:
        return sha256_bytes(b"empty")
    cols = sorted(df.columns)
    ordered = df[cols].sort_values(cols[:6] if len(cols) >= 6 else cols, kind="mergesort").reset_index(drop=True)
    hashed = pd.util.hash_pandas_object(ordered.astype(str), index=False).to_numpy()
    return sha256_bytes(hashed.tobytes() + ",".join(cols).encode())


class RunCache:
    """Completed runs, by key: ``<root>/<key>/`` with ``run.json`` and the paper's files."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def entry(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str) -> dict | None:
        record = self.entry(key) / "run.json"
        if not record.is_file():
            return None
        data = io.read_json(record)
        files = data.get("files", {})
        if not all((self.entry(key) / name).is_file() for name in files.values()):
            return None  # incomplete: treat as absent
        return data

    def stage(self, key: str) -> Path:
        return io.staging_dir(self.entry(key))

    def commit(self, key: str, staged: Path) -> Path:
        target = self.entry(key)
        if target.exists():
            io.remove_tree(staged)  # another worker finished the same run first
            return target
        staged.rename(target)
        return target
