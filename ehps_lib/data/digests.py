"""Content digests: files, JSON-able objects, tables, the library's own sources and the reference data.

Used by the results stage (are the period's results up to date?) and by the build's cache keys.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from . import io


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
