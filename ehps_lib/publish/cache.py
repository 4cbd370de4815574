"""The build cache: completed runs by key.

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
written whole or not at all (built aside, then renamed), so an interrupted build leaves
only complete entries and the next build resumes from them.
"""

from __future__ import annotations

from pathlib import Path

from ..data import io


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
