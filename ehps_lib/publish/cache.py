"""The build cache: completed runs by key, each verified by hash whenever it is used.

A paper is rebuilt only when something it is made from has changed. Its cache key is the
SHA-256 of:

* the template notebook's bytes and the run's parameters (area, period);
* the digest of the published data the paper reads: for a district paper its own rows and
  Kent's (its comparisons); for a county paper every row; plus the CYPF public table, and
  the commentary and paper-details files of the period;
* the library's digest (every source, template, style sheet and settings file in
  ``ehps_lib``, so any code change rebuilds) and the reference data's digest
  (:mod:`ehps_lib.data.digests`);
* the renderer and the classification printed on the page.

The git commit is not part of it: the library digest changes with the code, and an edit
elsewhere in the workspace should not rebuild every paper. Each paper prints the commit it
was built at; the site's manifest records the commit of the build that published it.

A changed district therefore re-executes that district's papers (and those that show it,
such as Kent's), and nothing else. Entries are folders under ``<data>/cache/runs/<key>/``,
written whole or not at all (built aside, then swapped in), so an interrupted build leaves
only complete entries and the next build resumes from them.

Every entry's ``run.json`` records the SHA-256 of each of its files. An entry is used only
when every file still has that digest (:meth:`RunCache.get`), and its files are copied into
the site only if the bytes copied still have it (:func:`ehps_lib.data.io.copy_verified`): a
truncated page, a damaged PDF or a hand edit in the cache is never published; the damaged
entry is removed and its run executed again. A run executed again (``ehps build
--no-cache``) replaces its entry.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..data import io

RECORD = "run.json"


def entry_problems(entry: Path) -> list[str]:
    """Why a cache entry cannot be used (empty when it can): ``run.json`` missing or damaged,
    a file missing, or a file whose SHA-256 is not the one recorded when it was made."""
    record_path = entry / RECORD
    if not record_path.is_file():
        return [f"{RECORD} is missing"]
    try:
        record = io.read_json(record_path)
    except io.DamagedFileError:
        return [f"{RECORD} is not valid JSON"]
    except OSError as exc:
        return [f"{RECORD} cannot be read ({exc.strerror})"]
    hashes = record.get("sha256") if isinstance(record, dict) else None
    if not isinstance(hashes, dict) or not hashes:
        return [f"{RECORD} records no SHA-256 for its files (made by an earlier version)"]
    problems = []
    for name, digest in hashes.items():
        path = entry / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif io.sha256_file(path) != digest:
            problems.append(f"{name} has changed since it was made")
    return problems


class RunCache:
    """Completed runs, by key: ``<root>/<key>/`` with ``run.json`` and the paper's files.

    ``damaged`` collects a line for every entry found damaged (and removed) by :meth:`get`.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.damaged: list[str] = []

    def entry(self, key: str) -> Path:
        return self.root / key

    def get(self, key: str, label: str = "") -> dict | None:
        """The record of a usable entry, or None.

        An entry that exists but fails :func:`entry_problems` is removed, so its run is
        executed again, and a line saying why (naming ``label``, the run) goes to
        :attr:`damaged`.
        """
        entry = self.entry(key)
        if not entry.exists():
            return None
        problems = entry_problems(entry)
        if problems:
            self.damaged.append(f"The cache entry of {label or key[:12]} ({entry}) is damaged: {'; '.join(problems)}. "
                                "It was removed; the paper is made again.")
            self.discard(key)
            return None
        return io.read_json(entry / RECORD)

    def discard(self, key: str) -> None:
        """Remove an entry (moved aside first, so a half-removed entry is never seen whole)."""
        entry = self.entry(key)
        if not entry.exists():
            return
        aside = self.root / f".{key}.discarded.{os.getpid()}"
        os.replace(entry, aside)
        io.remove_tree(aside)

    def stage(self, key: str) -> Path:
        return io.staging_dir(self.entry(key))

    def commit(self, key: str, staged: Path) -> Path:
        """Put a completed run in the cache, replacing any entry of the same key in one step."""
        target = self.entry(key)
        io.fault_point("cache.commit")
        if target.exists():
            io.replace_dir(staged, target)
        else:
            os.replace(staged, target)
        return target

    def clean(self) -> None:
        """Remove what interrupted builds left: half-written and half-removed entries."""
        if not self.root.is_dir():
            return
        for leftover in self.root.iterdir():
            if leftover.name.startswith(".") and leftover.is_dir():
                io.remove_tree(leftover)


class Memo:
    """What a check found good, so that the same thing is not checked twice: entries by name, kept
    in a JSON file under the ``fingerprint`` of everything else a verdict depends on (the check's
    code, its settings). A memo written under another fingerprint, or one that cannot be read, is
    an empty one: it only means checking everything again. :meth:`save` keeps the entries met since
    the memo was read (all of them when none was), so what is no longer checked is forgotten.
    Subclasses: :class:`~ehps_lib.publish.disclosure.ScanMemo`, :class:`~ehps_lib.publish.audit.AuditMemo`.
    """

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        self.path, self.fingerprint = (Path(path) if path else None), fingerprint
        self.entries: dict[str, object] = {}
        #: anything else the check keeps beside its entries
        self.extra: dict[str, object] = {}
        self._seen: set[str] = set()
        try:
            stored = io.read_json_or(self.path, None) if self.path is not None else None
        except Exception:  # noqa: BLE001 - a damaged memo only means checking everything again
            stored = None
        if isinstance(stored, dict) and stored.get("fingerprint") == fingerprint and \
                isinstance(stored.get("entries"), dict):
            self.entries = stored["entries"]
            self.extra = stored.get("extra") if isinstance(stored.get("extra"), dict) else {}

    def get(self, name: str):
        self._seen.add(name)
        return self.entries.get(name)

    def put(self, name: str, value) -> None:
        self._seen.add(name)
        self.entries[name] = value

    def __len__(self) -> int:
        return len(self.entries)

    def save(self) -> None:
        if self.path is not None:
            kept = {k: v for k, v in sorted(self.entries.items()) if k in self._seen or not self._seen}
            io.write_json({"fingerprint": self.fingerprint, "entries": kept, "extra": self.extra}, self.path)
