"""Ingest a case-system extract: read, type, validate, reconcile, quarantine and publish it.

``ehps ingest PATH...`` calls :func:`ingest`. The flow, one step at a time:

1. **Find and read.** Folders are expanded to the supported files inside them (sorted);
   each file, or each sheet of an Excel workbook, is read as a grid of text by
   :func:`ehps_lib.data.io.read_grid`, whatever its encoding (UTF-8 with or without a
   byte-order mark, Windows-1252). A file that cannot be read is a problem, not a crash.
2. **Header.** The header is the first row that names the contract's columns
   (:func:`locate_header`); a header below a title row is found, named ("header found on
   row 3") and blocks publication. Blank rows are skipped and counted; a row with more or
   fewer values than the header, or with bytes of no known encoding, is rejected.
3. **Assign.** Each file or sheet is given to a table by its name (``children``,
   ``notifications`` or ``cases``), else by the most specific key column it holds, else by
   the columns it resembles. Several files for one table are stacked; every row keeps its
   file and row number.
4. **Structure.** A missing *required* column rejects the whole file and blocks
   publication, suggesting the column the file has instead ("did you mean
   district_code?"); a missing *optional* column is a warning and is filled with its
   default; unknown columns are a warning and are ignored.
5. **Types.** Text becomes dates, months and booleans (:func:`parse_column`); identifiers
   are compared and kept in upper case without surrounding spaces. A value that cannot be
   read is a ``type`` problem naming file, row, column and value.
6. **Extract date.** From the argument, else ``extract.json`` beside the inputs. It is
   required, and never taken from the rows themselves: a row dated after it is an error.
7. **Reconcile.** A record in two exports (overlapping split files) is taken from the newer
   export, by the date ``extract.json`` gives each file, else the file's modification time;
   the older copy is *superseded*, and every difference between the two is reported
   (:func:`reconcile`). Copies within one export are duplicates: the first is kept.
8. **Per-table rules.** The pandera contract (:func:`ehps_lib.data.contract.table_schema`)
   is checked lazily, so every failure is found at once (:func:`schema_problems`).
9. **Reference data** are checked whole (every file against ``SHA256SUMS``, Kent's 902
   LSOAs) before they judge a row; if they are not, no row is judged and nothing is published.
10. **Cross-table rules.** Kent LSOA, foreign keys, district of the child's home LSOA and
    date order against the child's birth (:func:`check_kent_lsoa`, :func:`check_references`,
    :func:`check_district`, :func:`check_birth_order`), repeated until nothing changes, so
    a rejected child rejects its notifications and those reject their cases.
11. **Decide and write.** Rejected and superseded rows (with all their original text and
    their reasons) go to ``DATA_DIR/quarantine/<table>.csv``, every problem to
    ``quarantine/problems.csv``, and the ingest record (every file: rows read = valid +
    quarantined) to ``quarantine/_ingest.json``. When every table and file could be read
    whole, the extract date and reference data are sound, and no table rejects more than
    ``max_reject_share`` of its rows, the valid typed tables and ``_manifest.json`` are built
    in a staging folder and swapped in as ``DATA_DIR/processed`` in one step; otherwise
    nothing is published and the previous ``processed`` folder stays as it was.

The check functions are pure (frames in, a frame of problems out); only
:mod:`ehps_lib.data.io` writes to disk.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .. import __version__, config
from ..geography import DISTRICTS
from . import io, reference
from .contract import TABLES, TableSpec, empty_table, table_schema

#: Columns of the problems table (and of ``quarantine/problems.csv``).
PROBLEM_COLUMNS = ["file", "table", "row", "column", "rule", "severity", "value", "message"]
ERROR, WARNING = "error", "warning"

#: Columns added to each quarantined row.
QUARANTINE_COLUMNS = ["_file", "_row", "_reasons"]

#: File-level errors that stop publication whatever the share of rejected rows: a table or
#: file that could not be read whole, no trustworthy extract date, reference data not whole.
STRUCTURE_RULES = ("missing_column", "duplicate_column", "header_row")
BLOCKING_RULES = ("missing_table", "unreadable", "schema", *STRUCTURE_RULES, "extract_date", "reference_data")

#: Kent's LSOA 2011 count: a lookup with fewer cannot judge home addresses.
KENT_LSOAS = 902

#: Rows looked at for the header (a title and notes above it are rarely longer).
HEADER_SEARCH_ROWS = 20

#: Every column name of the contract, and the key columns, to recognise a header row.
CONTRACT_COLUMNS = frozenset(c.name for t in TABLES.values() for c in t.columns)
KEY_COLUMNS = frozenset(t.key for t in TABLES.values())

#: How a record of each table is called in messages ("child SYN0000012 was rejected").
NOUNS = {"children": "child", "notifications": "notification", "cases": "case",
         "youth_justice": "youth justice outcome", "exclusions": "exclusion"}

#: Tables in the order their key columns are tried when a file's name does not tell:
#: ``cases`` also holds ``notification_id`` and ``child_id``, so the most specific key wins.
KEY_ORDER = ("cases", "youth_justice", "exclusions", "notifications", "children")

#: Rule names for the pandera column checks of :func:`ehps_lib.data.contract.table_schema`.
RULE_BY_CHECK = {
    "isin": "code",
    "str_matches": "pattern",
    "greater_than_or_equal_to": "date_range",
    "less_than_or_equal_to": "date_range",
}

#: For each table-wide pandera check: the column a problem is filed under, and the
#: columns whose values the message quotes (and whose own errors make it redundant).
TABLE_CHECK_COLUMNS = {
    "supervision_after_outcome": ("supervision_end_date", ("outcome_date", "supervision_end_date")),
    "supervision_end_iff_supervised": ("supervision_end_date", ("supervised", "supervision_end_date")),
    "end_after_start": ("end_date", ("start_date", "end_date")),
    "closure_reason_iff_closed": ("closure_reason", ("end_date", "closure_reason")),
}

TYPE_MESSAGES = {
    "date": "not a valid date (use YYYY-MM-DD or DD/MM/YYYY)",
    "month": "not a valid month (use YYYY-MM)",
    "bool": "not a yes/no value (use Y/N, Yes/No, true/false or 1/0)",
}

_BOOL_TEXT = {"y": True, "yes": True, "true": True, "1": True, "1.0": True,
              "n": False, "no": False, "false": False, "0": False, "0.0": False}
# An optional time is accepted (and dropped) because Excel date cells read as text come
# out as "2015-06-03 00:00:00".
_ISO_DATE = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_UK_DATE = r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$"
_ISO_MONTH = r"^(?P<y>\d{4})-(?P<m>\d{1,2})$"
_UK_MONTH = r"^(?P<m>\d{1,2})/(?P<y>\d{4})$"

# -- result ---------------------------------------------------------------------------------------
@dataclass
class IngestResult:
    """What :func:`ingest` found and did.

    Attributes
    ----------
    tables
        The valid rows of each table, typed as the contract says (published or not).
    problems
        Every problem, one row each, with columns :data:`PROBLEM_COLUMNS`. ``row`` is the
        row number as a person sees it in the file (blank for a problem with a whole file).
    rejected
        The rejected rows of each table: all their original text columns plus ``_file``,
        ``_row`` and ``_reasons``.
    counts
        Per table: ``{"read": n, "valid": n, "rejected": n, "superseded": n}``; read = valid +
        rejected + superseded, and rejected + superseded rows are the quarantined ones.
    published
        Whether ``DATA_DIR/processed`` was replaced by this extract.
    synthetic
        True when ``extract.json`` says so or any ``child_id`` starts with ``SYN``.
    extract_date
        The date the extract was taken (see :func:`ingest`).
    decision
        One line saying what was published, or why nothing was.
    data_dir
        The data folder written to.
    manifest
        The ``_manifest.json`` content when published, else None.
    files
        The ingest record of every file (or sheet): how it was read (encoding, header row,
        blank rows) and where each of its rows went (``rows_read`` = ``rows_valid`` +
        ``rows_quarantined``), or why it was not read.
    """

    tables: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    rejected: dict[str, pd.DataFrame]
    counts: dict[str, dict[str, int]]
    published: bool
    synthetic: bool
    extract_date: dt.date | None
    decision: str = ""
    data_dir: Path | None = None
    manifest: dict | None = None
    files: list[dict] = field(default_factory=list)

    def summary(self, limit: int = 20) -> str:
        """A report for a person: counts per table, every error by file, the decision.

        Parameters
        ----------
        limit
            At most this many lines per file and rule; the rest are counted and left to
            ``quarantine/problems.csv``.

        Returns
        -------
        str
            Several lines, without a trailing newline.
        """
        head = "Extract ingest"
        if self.extract_date is not None:
            head += f", extract date {self.extract_date:%Y-%m-%d}"
        if self.synthetic:
            head += " (SYNTHETIC data)"
        lines = [head]
        for name, c in self.counts.items():
            share = c["rejected"] / c["read"] if c["read"] else 0.0
            line = f"{name}: {c['read']:,} read, {c['valid']:,} valid, {c['rejected']:,} rejected ({share:.2%})"
            if c.get("superseded"):
                line += f", {c['superseded']:,} superseded by a newer export"
            lines.append(line)
        absent = [n for n, spec in TABLES.items() if not spec.required and n not in self.counts]
        if absent:
            lines.append(f"Optional tables not in this extract: {', '.join(absent)} (the indicators that read "
                         "them are empty)")
        if self.files:
            lines += ["", "Files (every row read is valid or quarantined):"]
            lines += ["  " + describe_file(f, published=self.published) for f in self.files]
        problems_csv = _display(self.data_dir / "quarantine" / "problems.csv") if self.data_dir else (
            "quarantine/problems.csv")
        for severity, title in ((ERROR, "Errors"), (WARNING, "Warnings")):
            part = self.problems[self.problems["severity"] == severity]
            if len(part):
                lines += ["", f"{title} ({len(part):,}):"]
                lines += _listing(part, limit, problems_csv)
        lines += ["", self.decision]
        if self.data_dir is not None:
            lines.append(f"Rejected rows and their reasons: {_display(self.data_dir / 'quarantine')}")
        return "\n".join(lines)


def describe_file(record: dict, *, published: bool = True) -> str:
    """One line of the ingest record for a person.

    Examples
    --------
    >>> describe_file({"file": "cases.csv", "encoding": "Windows-1252", "rows_read": 6, "rows_valid": 4,
    ...                "rows_quarantined": 2, "rows_rejected": 1, "rows_superseded": 1, "blank_rows": 0,
    ...                "status": "read"})
    'cases.csv (Windows-1252): 6 read = 4 published + 2 quarantined (1 rejected, 1 superseded)'
    """
    how = f" ({record['encoding']})" if record.get("encoding") else ""
    if record.get("status") != "read":
        return f"{record['file']}{how}: {record['status']}"
    valid = "published" if published else "valid, not published"
    line = (f"{record['file']}{how}: {record['rows_read']:,} read = {record['rows_valid']:,} {valid} + "
            f"{record['rows_quarantined']:,} quarantined")
    if record["rows_quarantined"]:
        line += f" ({record['rows_rejected']:,} rejected, {record['rows_superseded']:,} superseded)"
    extra = []
    if record.get("blank_rows"):
        extra.append(f"{record['blank_rows']:,} blank row(s) skipped")
    if record.get("header_row") not in (None, 0, 1):
        extra.append(f"header on row {record['header_row']}")
    return line + (f"; {', '.join(extra)}" if extra else "")


def _display(path: Path) -> str:
    """``path`` relative to the current folder when it lies inside it, else as is."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _listing(problems: pd.DataFrame, limit: int, problems_csv: str) -> list[str]:
    """Lines for :meth:`IngestResult.summary`: grouped by file, capped per file and rule."""
    problems = problems.assign(file=problems["file"].fillna("(whole extract)"))
    lines: list[str] = []
    for file, in_file in problems.groupby("file", sort=False):
        lines.append(f"  {file}")
        for rule, of_rule in in_file.groupby("rule", sort=False):
            for p in of_rule.head(limit).itertuples(index=False):
                lines.append("    " + _describe(p.row, p.column, p.value, p.rule, p.message))
            if len(of_rule) > limit:
                lines.append(f"    ... and {len(of_rule) - limit:,} more [{rule}], see {problems_csv}")
    return lines


def _describe(row, column, value, rule, message) -> str:
    """One problem as a line: ``row 4, lsoa11_code = 'E01999999' [unknown_lsoa]: ...``."""
    where = [] if pd.isna(row) else [f"row {int(row)}"]
    if not pd.isna(column):
        where.append(f"{column}" + ("" if pd.isna(value) else f" = '{value}'"))
    return ", ".join(where) + f" [{rule}]: {message}" if where else f"[{rule}]: {message}"


# -- problems frames -----------------------------------------------------------------------------
def _row_problems(table: str, pos, column: str | None, rule: str, message,
                  severity: str = ERROR) -> pd.DataFrame:
    """Problems with rows of ``table`` (``pos``: positions in its stacked text frame).

    ``file``, ``row`` and ``value`` are filled in later from the text frame.
    """
    pos = pd.Index(pos)
    message = message.to_numpy() if isinstance(message, pd.Series | pd.Index) else message
    return pd.DataFrame({"table": table, "pos": pd.array(np.asarray(pos, dtype="int64"), dtype="Int64"),
                         "column": column, "rule": rule, "severity": severity, "message": message},
                        index=pd.RangeIndex(len(pos)))


def _file_problem(file: str | None, table: str | None, column: str | None, rule: str, message: str,
                  severity: str = ERROR, value: str | None = None) -> pd.DataFrame:
    """One problem with a whole file (or the whole extract when ``file`` is None)."""
    return pd.DataFrame({"file": [file], "table": [table], "pos": pd.array([pd.NA], dtype="Int64"),
                         "column": [column], "rule": [rule], "severity": [severity], "value": [value],
                         "message": [message]})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ["table", "pos", *PROBLEM_COLUMNS[3:]]})
    return pd.concat(frames, ignore_index=True)


# -- steps 1-3: files, header, table ----------------------------------------------------------------
@dataclass
class _Part:
    """One file, or one sheet of a workbook, as read."""

    path: Path
    sheet: str | None
    label: str
    frame: pd.DataFrame
    table: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    blank_rows: int = 0
    problems: pd.DataFrame | None = None  # whole-file problems found while reading (header below a title)
    row_problems: pd.DataFrame | None = None  # columns row, column, rule, message
    exported: dt.date | None = None  # the export's date, from extract.json
    mtime: float = 0.0


def _expand(paths: list[Path]) -> tuple[list[Path], list[pd.DataFrame]]:
    """Files to read: folders become the supported files inside them, sorted."""
    files: list[Path] = []
    problems: list[pd.DataFrame] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in io.SUPPORTED_SUFFIXES
                            and not p.name.startswith((".", "~$")))
            if not inside:
                problems.append(_file_problem(str(path), None, None, "empty_folder",
                                              "folder holds no CSV, Parquet or Excel file", WARNING))
            files += inside
        else:
            files.append(path)
    unique: list[Path] = []
    seen: set[Path] = set()
    for f in files:  # a file named twice (e.g. as itself and inside its folder) is read once
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append(f)
    return unique, problems


def _labels(files: list[Path]) -> dict[Path, str]:
    """How each file is named in problems: its name, or its path when two share a name."""
    names = pd.Series([f.name for f in files])
    clash = set(names[names.duplicated(keep=False)])
    return {f: str(f) if f.name in clash else f.name for f in files}


def _norm_name(name: object) -> str:
    """A column name compared loosely: lower case, spaces and hyphens as underscores."""
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def assign_table(names: list[str], columns: list[str]) -> str | None:
    """The table a file or sheet holds.

    Parameters
    ----------
    names
        Names to try in order (a sheet's name, then its file's stem); the first that
        contains exactly one table name (case-insensitive) decides.
    columns
        The file's column names, used when no name decides: the most specific key column
        present wins (``case_id``, then ``notification_id``, then ``child_id``); failing
        that, the table whose columns the file's resemble, if it resembles one clearly
        (at least half its required columns, compared loosely), so that a legacy export
        with ``District`` and ``Case ID`` is checked as cases and told what to rename.

    Returns
    -------
    str or None
        ``children``, ``notifications``, ``cases``, or None when nothing tells.

    Examples
    --------
    >>> assign_table(["Cases_2016"], [])
    'cases'
    >>> assign_table(["extract_part2"], ["case_id", "child_id", "notification_id"])
    'cases'
    >>> assign_table(["export"], ["Notification ID", "Child ID", "Date received", "District"])
    'notifications'
    >>> assign_table(["lookup"], ["unit_id"]) is None
    True
    """
    for name in names:
        found = [t for t in TABLES if t in name.lower()]
        if len(found) == 1:
            return found[0]
    for table in KEY_ORDER[:-1]:  # child_id is in every table: it decides only when nothing else does
        if TABLES[table].key in columns:
            return table
    loose = {_norm_name(c) for c in columns}
    best, score = None, 0
    for table in KEY_ORDER:
        required = [c.name for c in TABLES[table].columns if c.required]
        hits = sum(1 for c in required if c in loose or difflib.get_close_matches(c, loose, n=1, cutoff=0.75))
        if hits >= max(2, (len(required) + 1) // 2) and hits > score:
            best, score = table, hits
    if best is None and TABLES["children"].key in columns:
        return "children"
    return best


def locate_header(cells: pd.DataFrame, look: int = HEADER_SEARCH_ROWS) -> int | None:
    """The row that holds a table's header: the first of the first ``look`` non-blank rows
    that names a key column or at least two of the contract's columns (in any case).

    Parameters
    ----------
    cells
        A grid of text (:attr:`ehps_lib.data.io.Grid.cells`), indexed by row number.

    Returns
    -------
    int or None
        The row number; None when no row looks like a header.

    Examples
    --------
    >>> grid = pd.DataFrame([["Early Help cases, March 2017", None], [None, None],
    ...                      ["case_id", "child_id"], ["EHC1", "SYN1"]], index=[1, 2, 3, 4])
    >>> locate_header(grid)
    3
    """
    rows = cells[cells.notna().any(axis=1)].head(look)
    for row, values in rows.iterrows():
        found = {str(v).strip().lower() for v in values.dropna()}
        hits = found & CONTRACT_COLUMNS
        if len(hits) >= 2 or hits & KEY_COLUMNS:
            return row
    return None


def _preview(values: pd.Series, limit: int = 60) -> str:
    text = ", ".join(str(v) for v in values.dropna())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def frame_from_grid(grid: io.Grid, label: str) -> tuple[pd.DataFrame, dict, pd.DataFrame, pd.DataFrame]:
    """Turn a grid of text into a table of records under its header.

    Parameters
    ----------
    grid
        The file or sheet as read (:func:`ehps_lib.data.io.read_grid`).
    label
        The file's name in problems.

    Returns
    -------
    frame : DataFrame
        The records (non-blank rows below the header), with the header's names as columns;
        indexed by row number. Columns without a name are dropped when empty, else named
        ``(column N, no name)`` (and reported as unknown).
    info : dict
        ``header_row`` and ``blank_rows`` (blank rows below the header, skipped).
    file_problems : DataFrame
        ``header_row`` when rows other than blank ones stand above the header.
    row_problems : DataFrame
        Columns ``row``, ``column``, ``rule``, ``message``: rows with more or fewer values
        than the header (``row_shape``), cells holding bytes of no known encoding
        (``encoding``).
    """
    cells = grid.cells
    filled = cells.notna().any(axis=1)
    nonblank = cells.index[filled]
    empty_rows = pd.DataFrame(columns=["row", "column", "rule", "message"])
    if not len(nonblank):
        return pd.DataFrame(index=pd.Index([], name="row")), {"header_row": None, "blank_rows": int((~filled).sum())}, \
            _concat([]), empty_rows
    first = nonblank[0]
    found = locate_header(cells.loc[nonblank])
    header_row = first if found is None else found
    header = cells.loc[header_row]
    below = cells.index > header_row
    body = cells[below & filled]
    width = int(grid.widths.loc[header_row]) if grid.widths is not None else cells.shape[1]
    keep, names = [], []
    for i in range(min(width, cells.shape[1])):
        name = header.iloc[i]
        if pd.isna(name):
            if not body[i].notna().any():
                continue  # an empty column without a name (trailing commas, a blank Excel column)
            name = f"(column {i + 1}, no name)"
        keep.append(i)
        names.append(str(name).strip())
    frame = body[keep].copy()
    frame.columns = names
    info = {"header_row": int(header_row), "blank_rows": int((below & ~filled).sum())}

    file_problems = []
    above = cells[(cells.index < header_row) & filled]
    if len(above):
        file_problems.append(_file_problem(
            label, None, None, "header_row",
            f"header found on row {header_row}, not row {first}: the {len(above)} row(s) above it (row {first}: "
            f"'{_preview(above.iloc[0])}') are not part of the table; delete them and ingest again. "
            f"All {len(frame):,} rows of this file are rejected"))

    rows = []
    if grid.widths is not None and len(body):
        w = grid.widths.loc[body.index]
        extra = body.loc[:, [c for c in body.columns if c >= width]]
        over = extra.notna().any(axis=1) if extra.shape[1] else pd.Series(False, index=body.index)
        under = w < width
        for row in body.index[over.to_numpy()]:
            rows.append((row, None, "row_shape", f"has {int(w[row])} values but the header (row {header_row}) has "
                         f"{width} columns: a value may hold an unquoted comma"))
        for row in body.index[under.to_numpy()]:
            rows.append((row, None, "row_shape", f"has only {int(w[row])} of the header's {width} values: the row "
                         "may be cut short"))
    if grid.replaced:
        for name in frame.columns:
            bad = frame[name].str.contains("\ufffd", regex=False, na=False)
            for row in frame.index[bad.to_numpy()]:
                rows.append((row, name, "encoding", "holds bytes that are neither UTF-8 nor Windows-1252 (shown as "
                             "\ufffd): save the file as UTF-8 and ingest again"))
    row_problems = pd.DataFrame(rows, columns=["row", "column", "rule", "message"]) if rows else empty_rows
    return frame, info, _concat(file_problems), row_problems


def _read_parts(files: list[Path]) -> tuple[list[_Part], list[pd.DataFrame], list[dict]]:
    """Read every file; return its parts, the problems, and the record of files not read."""
    labels = _labels(files)
    parts: list[_Part] = []
    problems: list[pd.DataFrame] = []
    unread: list[dict] = []
    for path in files:
        try:
            grids = io.read_grid(path)
        except io.ExtractFileError as exc:
            problems.append(_file_problem(labels[path], None, None, "unreadable", str(exc)))
            unread.append(_unread_record(path, None, labels[path], "not read: " + str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a file the reader trips over is a problem, not a crash
            message = f"{path}: could not be read ({type(exc).__name__}: {exc})"
            problems.append(_file_problem(labels[path], None, None, "unreadable", message))
            unread.append(_unread_record(path, None, labels[path], "not read: " + message))
            continue
        excel = io.SUPPORTED_SUFFIXES.get(path.suffix.lower()) == "excel"
        for grid in grids:
            label = f"{labels[path]}[{grid.name}]" if excel else labels[path]
            frame, info, file_problems, row_problems = frame_from_grid(grid, label)
            # A workbook's name decides only when it has a single sheet: a second sheet
            # ("Notes") must not be taken for a table because of the workbook's name.
            names = [grid.name, path.stem] if excel and len(grids) == 1 else [grid.name]
            part = _Part(path, grid.name if excel else None, label, frame, assign_table(names, list(frame.columns)),
                         grid.encoding, info["header_row"], info["blank_rows"], file_problems, row_problems,
                         mtime=path.stat().st_mtime)
            if part.table is None:
                if excel and frame.empty:
                    continue  # an empty extra sheet is not worth a word
                message = ("cannot tell which table this holds: its name contains none of children, "
                           "notifications, cases and it has none of the key columns case_id, notification_id, "
                           f"child_id; its {len(frame):,} rows were not read")
                problems.append(_file_problem(label, None, None, "unknown_table", message))
                unread.append(_unread_record(path, grid.name if excel else None, label,
                                             f"not read: not a table of the extract ({len(frame):,} rows)",
                                             grid.encoding))
                continue
            part.problems = part.problems.assign(table=part.table) if len(part.problems) else part.problems
            parts.append(part)
    return parts, problems, unread


def _unread_record(path: Path, sheet: str | None, label: str, status: str, encoding: str | None = None) -> dict:
    return {"file": label, "path": str(path), "sheet": sheet, "table": None, "encoding": encoding,
            "status": status, "rows_read": 0, "rows_valid": 0, "rows_quarantined": 0, "rows_rejected": 0,
            "rows_superseded": 0}


# -- step 4: structure ----------------------------------------------------------------------------
def suggest_column(missing: str, present: list[str]) -> str | None:
    """The column of a file that most likely stands for the contract column ``missing``.

    Examples
    --------
    >>> suggest_column("district_code", ["notification_id", "District", "triage_outcome"])
    'District'
    >>> suggest_column("start_date", ["case_id", "end_date"]) is None
    True
    """
    target = _norm_name(missing)
    loose = {_norm_name(c): c for c in present}
    if target in loose:
        return loose[target]
    for key, original in loose.items():  # "district" for "district_code", "case" for "case_id"
        if len(key) >= 4 and (target.startswith(key + "_") or key.startswith(target + "_")):
            return original
    close = difflib.get_close_matches(target, list(loose), n=1, cutoff=0.8)
    return loose[close[0]] if close else None


def check_structure(frame: pd.DataFrame, spec: TableSpec, label: str) -> tuple[pd.DataFrame | None,
                                                                                 pd.DataFrame]:
    """Check a file's columns against the contract.

    Parameters
    ----------
    frame
        The file's records as text (:func:`frame_from_grid`).
    spec
        The contract of the table it holds.
    label
        The file's name in problems.

    Returns
    -------
    filled : DataFrame or None
        The contract's columns, in order, with missing optional columns filled with their
        default (as text); None when a required column is missing or a column is named twice.
    problems : DataFrame
        One problem per missing, doubled or unknown column; a missing column names the
        file's column that probably stands for it ("did you mean district_code?").
    """
    present = set(frame.columns)
    problems: list[pd.DataFrame] = []
    doubled = sorted(set(frame.columns[frame.columns.duplicated()]))
    for name in doubled:
        problems.append(_file_problem(label, spec.name, name, "duplicate_column",
                                      f"column '{name}' appears more than once in the header: all {len(frame):,} "
                                      "rows of this file are rejected"))
    missing_required = [c.name for c in spec.columns if c.required and c.name not in present]
    unknown = [c for c in frame.columns if c not in spec.column_names]
    suggested: dict[str, str] = {}
    for name in missing_required:
        instead = suggest_column(name, unknown)
        hint = ""
        if instead is not None:
            suggested[instead] = name
            hint = f" (the file has '{instead}': did you mean {name}? rename the column)"
        problems.append(_file_problem(label, spec.name, name, "missing_column",
                                      f"required column '{name}' is missing{hint}: all {len(frame):,} rows "
                                      "of this file are rejected"))
    fill = {}
    for c in spec.columns:
        if c.if_present and c.name not in present:
            continue  # read only when present: left out, no warning
        if not c.required and c.name not in present:
            fill[c.name] = c.default
            default = "left blank" if c.default is None else f"filled with '{c.default}'"
            problems.append(_file_problem(label, spec.name, c.name, "missing_optional_column",
                                          f"optional column '{c.name}' is missing: {default}", WARNING))
    for name in unknown:
        hint = f": did you mean {suggested[name]}?" if name in suggested else ": ignored"
        problems.append(_file_problem(label, spec.name, name, "unknown_column",
                                      f"column '{name}' is not in the {spec.name} contract{hint}", WARNING))
    if missing_required or doubled:
        return None, _concat(problems)
    filled = frame.assign(**{k: pd.Series(v, index=frame.index, dtype="string") for k, v in fill.items()})
    return filled[[c for c in spec.column_names if c in filled.columns]], _concat(problems)


# -- step 4: types --------------------------------------------------------------------------------
def _dates_from(parts: pd.DataFrame) -> pd.Series:
    canon = parts["y"] + "-" + parts["m"].str.zfill(2) + "-" + parts["d"].str.zfill(2)
    return pd.to_datetime(canon, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")


def parse_column(text: pd.Series, kind: str) -> pd.Series:
    """Turn a column of text into its contract type; what cannot be read becomes null.

    Parameters
    ----------
    text
        Values as written (strings, ``<NA>`` for blank).
    kind
        A :class:`~ehps_lib.data.contract.ColumnSpec` kind. ``date``: ``YYYY-MM-DD`` or
        ``DD/MM/YYYY`` (a time after it, as Excel cells have, is dropped). ``month``:
        ``YYYY-MM``, ``MM/YYYY`` or any date (its month is kept). ``bool``: Y/N, Yes/No,
        true/false, 1/0 in any case. ``id``: upper case, so that identifiers that differ only
        in case are the same identifier. Other kinds are text and pass through.

    Returns
    -------
    Series
        ``datetime64[ns]``, ``boolean`` or ``string``, same index as ``text``.

    Examples
    --------
    >>> s = pd.Series(["2015-06-03", "03/06/2015", "2015-13-45", None], dtype="string")
    >>> parse_column(s, "date").dt.strftime("%Y-%m-%d").tolist()
    ['2015-06-03', '2015-06-03', nan, nan]
    >>> parse_column(pd.Series(["2009-05", "2009-05-17"], dtype="string"), "month").dt.day.tolist()
    [1, 1]
    >>> parse_column(pd.Series(["Y", "no", "TRUE", "maybe"], dtype="string"), "bool").tolist()
    [True, False, True, <NA>]
    >>> parse_column(pd.Series(["ehn00014932", "EHN00014932"], dtype="string"), "id").tolist()
    ['EHN00014932', 'EHN00014932']
    """
    text = text.astype("string")
    if kind in ("date", "month"):
        # Fast path for the usual form; only the rest goes through the regular expressions.
        usual = "%Y-%m-%d" if kind == "date" else "%Y-%m"
        out = pd.to_datetime(text, format=usual, errors="coerce").astype("datetime64[ns]")
        rest = text[text.notna() & out.isna()]
        if len(rest):
            parts = rest.str.extract(_ISO_DATE).fillna(rest.str.extract(_UK_DATE))
            if kind == "month":
                months = rest.str.extract(_ISO_MONTH).fillna(rest.str.extract(_UK_MONTH))
                parts = parts.fillna(months).assign(d="1")
            out[rest.index] = _dates_from(parts)
        return out
    if kind == "bool":
        return text.str.lower().map(_BOOL_TEXT).astype("boolean")
    if kind == "id":
        return text.str.strip().str.upper()
    return text


def _parse_table(filled: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed table and its ``type`` problems (positions are ``filled``'s index)."""
    typed = {}
    problems = []
    for c in spec.columns:
        if c.name not in filled.columns:  # a column read only when present, absent from every file
            continue
        parsed = parse_column(filled[c.name], c.kind)
        typed[c.name] = parsed
        bad = filled[c.name].notna() & parsed.isna()
        if bad.any():
            problems.append(_row_problems(spec.name, filled.index[bad], c.name, "type",
                                          TYPE_MESSAGES[c.kind]))
    return pd.DataFrame(typed, index=filled.index), _concat(problems)


# -- step 6: per-table rules -----------------------------------------------------------------------
def find_duplicates(ids: pd.Series) -> pd.Series:
    """For each repeated id after its first occurrence, the position of that first one.

    Parameters
    ----------
    ids
        Identifiers in file order; blanks are never duplicates.

    Returns
    -------
    Series
        Indexed like the repeated rows of ``ids``; values are the index labels of the
        first occurrence.

    Examples
    --------
    >>> find_duplicates(pd.Series(["a", "b", "a", None, None, "a"])).to_dict()
    {2: 0, 5: 0}
    """
    ids = ids.dropna()
    first = ids[~ids.duplicated(keep="first")]
    first_pos = pd.Series(first.index, index=first.to_numpy())
    repeated = ids[ids.duplicated(keep="first")]
    return pd.Series(repeated.map(first_pos).to_numpy(), index=repeated.index, dtype="int64")


RECONCILE_COLUMNS = ["outcome", "other", "differs"]


def reconcile(keys: pd.Series, files: pd.Series, order: pd.Series, content: pd.DataFrame) -> pd.DataFrame:
    """Decide every identifier that is on more than one row: which row is kept, and why not
    the others.

    The rule: the copy in the newest export wins (``order``: higher is newer). Copies in
    older exports are *superseded* (quarantined, not errors); copies within the winning
    export's own file are *duplicates* (rejected, the first kept); copies in other files of
    the same export date are superseded when they are identical, and when they differ no
    one can tell which is right, so every one of them is rejected (*conflict*).

    Parameters
    ----------
    keys
        Identifiers as compared (upper case, no surrounding spaces); index: row positions.
        Blank identifiers are never compared.
    files
        The file of each row (same index).
    order
        The rank of each row's export (same index): a higher number is a newer export.
    content
        The values compared between copies (same index).

    Returns
    -------
    DataFrame
        One row per row not kept, indexed by its position, with ``outcome``
        (``duplicate``, ``superseded`` or ``conflict``), ``other`` (the position of the row
        kept, or for a conflict the copy it clashes with) and ``differs`` (the columns whose
        values differ from that row, comma separated; empty when none).

    Examples
    --------
    >>> keys = pd.Series(["C1", "C2", "C1", "C3", "C3"])
    >>> files = pd.Series(["a.csv", "a.csv", "b.csv", "a.csv", "a.csv"])
    >>> order = pd.Series([1, 1, 2, 1, 1])
    >>> content = pd.DataFrame({"end_date": [None, "x", "2017-01-15", "y", "y"]})
    >>> reconcile(keys, files, order, content).to_dict("index")  # doctest: +NORMALIZE_WHITESPACE
    {0: {'outcome': 'superseded', 'other': 2, 'differs': 'end_date'},
     4: {'outcome': 'duplicate', 'other': 3, 'differs': ''}}
    """
    keys = keys.dropna()
    repeated = keys[keys.duplicated(keep=False)]
    empty = pd.DataFrame({"outcome": pd.Series(dtype="object"), "other": pd.Series(dtype="int64"),
                          "differs": pd.Series(dtype="object")}, index=pd.Index([], dtype="int64", name="pos"))
    if repeated.empty:
        return empty
    cmp = content.loc[repeated.index].astype("string").fillna("\x00")  # a blank equals only a blank
    values = {c: cmp[c].to_dict() for c in cmp.columns}
    file_of = files.loc[repeated.index].to_dict()
    rank = order.loc[repeated.index].to_dict()

    def differs(a: int, b: int) -> str:
        return ", ".join(c for c in cmp.columns if values[c][a] != values[c][b])

    rows: list[tuple[int, str, int, str]] = []
    for _, group in repeated.groupby(repeated, sort=False):
        pos = list(group.index)
        top = max(rank[q] for q in pos)
        newest = [q for q in pos if rank[q] == top]
        winner = newest[0]
        clash = [q for q in newest[1:] if file_of[q] != file_of[winner] and differs(q, winner)]
        if clash:
            for q in newest:
                other = clash[0] if q == winner else winner
                rows.append((q, "conflict", other, differs(q, other)))
        else:
            for q in newest[1:]:
                outcome = "duplicate" if file_of[q] == file_of[winner] else "superseded"
                rows.append((q, outcome, winner, differs(q, winner)))
        rows += [(q, "superseded", winner, differs(q, winner)) for q in pos if rank[q] < top]
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=["pos", *RECONCILE_COLUMNS]).set_index("pos").sort_index()
    out["other"] = out["other"].astype("int64")
    return out


def _column_errors(problems: pd.DataFrame) -> pd.MultiIndex:
    """(pos, column) of the cell-level errors found so far."""
    rows = problems[problems["pos"].notna() & problems["column"].notna()]
    return pd.MultiIndex.from_arrays([rows["pos"].astype("int64"), rows["column"].astype(str)])


def schema_problems(failure_cases: pd.DataFrame, schema: pa.DataFrameSchema, table: str, text: pd.DataFrame,
                    known: pd.MultiIndex, files: str) -> pd.DataFrame:
    """Turn pandera's ``failure_cases`` into problems, one per row and rule.

    Parameters
    ----------
    failure_cases
        ``SchemaErrors.failure_cases`` from a lazy validation of the typed table, whose
        index is the position of each row in ``text``.
    schema
        The schema that was validated (to name each check).
    table
        The table's name.
    text
        The table's values as written (for the messages of table-wide checks).
    known
        (pos, column) cells already reported (e.g. a ``type`` problem): pandera's
        "not null" for an unreadable value, and a table-wide check on a row with an error
        in one of the columns it compares, are consequences, not new problems, and are
        dropped.
    files
        The table's files, named on problems that have no row (such as a wrong dtype).

    Returns
    -------
    DataFrame
        Problems (with ``pos``; ``file`` set only on those without a row).

    Notes
    -----
    Uniqueness failures are dropped: :func:`find_duplicates` reports them, keeping the
    first occurrence and naming it.
    """
    fc = failure_cases[failure_cases["check"].astype(str) != "field_uniqueness"]
    index = pd.to_numeric(fc["index"], errors="coerce")
    out: list[pd.DataFrame] = []

    no_row = fc[index.isna()]
    for r in no_row.itertuples(index=False):  # a handful at most: whole-column failures
        out.append(_file_problem(files, table, None if pd.isna(r.column) else str(r.column), "schema",
                                 f"{r.check}: {r.failure_case}"))

    with_row = fc[index.notna()].assign(pos=index[index.notna()].astype("int64"))
    columns = with_row[with_row["schema_context"] == "Column"]
    for (column, check, number), group in columns.groupby(
            ["column", columns["check"].astype(str), columns["check_number"].astype(str)], sort=False):
        if check == "not_nullable":
            rule, message = "not_null", "a value is required"
        elif number not in ("None", "nan"):
            chk = schema.columns[column].checks[int(float(number))]
            rule, message = RULE_BY_CHECK.get(chk.name, chk.name), chk.error or chk.name
        else:
            rule, message = check, check
        pos = group["pos"]
        if rule == "not_null":  # a value that could not be read is null now: already reported
            pos = pos[~pd.MultiIndex.from_arrays([pos, [column] * len(pos)]).isin(known)]
        out.append(_row_problems(table, pos, column, rule, message))
    known = known.append(_column_errors(_concat(out)))

    whole = with_row[with_row["schema_context"] != "Column"].drop_duplicates(["pos", "check_number"])
    all_columns = tuple(text.columns.drop(["_file", "_row"], errors="ignore"))
    for number, group in whole.groupby(whole["check_number"].astype(str), sort=False):
        chk = schema.checks[int(float(number))]
        column, involved = TABLE_CHECK_COLUMNS.get(chk.name, (None, all_columns))
        pos = pd.Index(group["pos"])
        redundant = np.zeros(len(pos), dtype=bool)
        for c in involved:
            redundant |= pd.MultiIndex.from_arrays([pos, [c] * len(pos)]).isin(known)
        pos = pos[~redundant]
        message = pd.Series(chk.error or chk.name, index=pos, dtype="string")
        if chk.name in TABLE_CHECK_COLUMNS:
            quoted = [c + " " + text.loc[pos, c].astype("string").fillna("blank") for c in involved]
            joined = quoted[0]
            for q in quoted[1:]:
                joined = joined + ", " + q
            message = message + " (" + joined + ")"
        out.append(_row_problems(table, pos, column, chk.name, message))
    return _concat(out)


# -- step 7: cross-table rules ---------------------------------------------------------------------
def check_kent_lsoa(children: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    """Children whose home LSOA is not one of Kent's LSOA 2011 codes (rule ``unknown_lsoa``).

    Parameters
    ----------
    children
        Valid typed children (index: positions in the children text frame).
    lookup
        :func:`ehps_lib.data.reference.lsoa_lookup`.
    """
    bad = children["lsoa11_code"].notna() & ~children["lsoa11_code"].isin(lookup["lsoa11_code"])
    return _row_problems("children", children.index[bad], "lsoa11_code", "unknown_lsoa",
                         f"not one of Kent's {lookup['lsoa11_code'].nunique()} LSOA 2011 codes")


def check_references(table: str, rows: pd.DataFrame, column: str, target: str, valid_ids: pd.Index,
                     rejected: pd.DataFrame) -> pd.DataFrame:
    """Rows whose ``column`` names no valid record of ``target`` (rule ``foreign_key``).

    Parameters
    ----------
    table
        The table of ``rows``.
    rows
        Its currently valid typed rows.
    column
        The referring column (blank values are not checked).
    target
        The referenced table.
    valid_ids
        The key values of the valid rows of ``target``.
    rejected
        Rejected rows of ``target``: index the key value, columns ``_file`` and ``_row`` of
        its first occurrence, so the message can say where it went.

    Examples
    --------
    >>> rows = pd.DataFrame({"child_id": ["SYN1", "SYN2", "SYN3"]})
    >>> rej = pd.DataFrame({"_file": ["children.csv"], "_row": [14]}, index=["SYN2"])
    >>> check_references("cases", rows, "child_id", "children", pd.Index(["SYN1"]), rej)["message"].tolist()
    ['child SYN2 was rejected (row 14 of children.csv)', 'child SYN3 is not in children']
    """
    values = rows[column]
    missing = values.notna() & ~values.isin(valid_ids)
    ids = values[missing].astype("string")
    where = rejected.reindex(ids.to_numpy())
    noun = NOUNS.get(target, target)
    was_rejected = (noun + " " + ids.to_numpy() + " was rejected (row "
                    + where["_row"].astype("Int64").astype("string").to_numpy() + " of "
                    + where["_file"].astype("string").to_numpy() + ")")
    message = np.where(where["_file"].notna().to_numpy(), was_rejected,
                       noun + " " + ids.to_numpy() + f" is not in {target}")
    return _row_problems(table, ids.index, column, "foreign_key", pd.Series(message, dtype="string"))


def check_district(table: str, rows: pd.DataFrame, children: pd.DataFrame,
                   lookup: pd.DataFrame) -> pd.DataFrame:
    """Rows whose ``district_code`` is not the district of the child's home LSOA.

    Rule ``lsoa_not_in_district``. Rows whose child is not among ``children`` (valid
    children) are left to :func:`check_references`.
    """
    lsoa = rows["child_id"].map(children.set_index("child_id")["lsoa11_code"])
    home = lsoa.map(lookup.set_index("lsoa11_code")["district_code"]).astype("string")
    bad = home.notna() & rows["district_code"].notna() & (rows["district_code"] != home)
    names = pd.Series(DISTRICTS, dtype="string")
    home_b = home[bad]
    message = ("the child's home LSOA " + lsoa[bad].astype("string") + " is in " + home_b + " ("
               + home_b.map(names).fillna("?") + ")")
    return _row_problems(table, rows.index[bad], "district_code", "lsoa_not_in_district", message)


#: The dates of each table that must not come before the child's birth month.
AFTER_BIRTH = {"notifications": ("date_received", "received"), "cases": ("start_date", "opened"),
               "youth_justice": ("outcome_date", "given"), "exclusions": ("start_date", "started")}


def check_birth_order(rows: pd.DataFrame, children: pd.DataFrame, table: str = "notifications") -> pd.DataFrame:
    """Notifications received, or cases opened, before the child's birth month (rule
    ``date_order``). A case's closure before its opening is the contract's own rule
    (``end_after_start``), so every date of every table is in order.

    Parameters
    ----------
    rows
        Valid typed rows of ``table`` (``notifications`` or ``cases``).
    children
        Valid typed children.
    table
        Which table ``rows`` are: its date column is ``date_received`` or ``start_date``.

    Examples
    --------
    >>> kids = pd.DataFrame({"child_id": ["C1"], "birth_month": pd.to_datetime(["2010-05-01"])})
    >>> cases = pd.DataFrame({"child_id": ["C1", "C1"], "start_date": pd.to_datetime(["2009-12-01", "2010-05-20"])})
    >>> check_birth_order(cases, kids, "cases")["message"].tolist()
    ["opened before the child's birth month 2010-05"]
    """
    column, verb = AFTER_BIRTH[table]
    born = rows["child_id"].map(children.set_index("child_id")["birth_month"])
    bad = born.notna() & rows[column].notna() & (rows[column] < born)
    message = f"{verb} before the child's birth month " + born[bad].dt.strftime("%Y-%m")
    return _row_problems(table, rows.index[bad], column, "date_order", message)


def _cross_checks(typed: dict[str, pd.DataFrame], valid: dict[str, pd.Series], text: dict[str, pd.DataFrame],
                  lookup: pd.DataFrame | None, superseded: dict[str, pd.Series]) -> list[pd.DataFrame]:
    """Apply the cross-table rules until no more rows are rejected; update ``valid``.

    ``lookup`` None (reference data not whole) skips the rules that need it.
    """
    found: list[pd.DataFrame] = []

    def reject(p: pd.DataFrame) -> bool:
        if len(p):
            found.append(p)
            valid[p["table"].iloc[0]].loc[p["pos"].astype("int64").to_numpy()] = False
        return bool(len(p))

    def ok(name: str) -> pd.DataFrame:
        return typed[name][valid[name].reindex(typed[name].index, fill_value=False)]

    changed = True
    while changed:
        changed = reject(check_kent_lsoa(ok("children"), lookup)) if lookup is not None else False
        for name in (t for t in TABLES if t != "children"):
            for c in TABLES[name].columns:
                if c.references:
                    target, key = c.references.split(".")
                    target_text = text[target]
                    # where a rejected record was: the rejected copy, not an older one it superseded
                    gone = target_text[~valid[target] & ~superseded[target]]
                    gone = gone.assign(**{key: gone[key].astype("string").str.strip().str.upper()})
                    gone = gone[gone[key].notna()].drop_duplicates(key).set_index(key)[["_file", "_row"]]
                    p = check_references(name, ok(name), c.name, target, pd.Index(ok(target)[key]), gone)
                    changed |= reject(p)
            if lookup is not None:
                changed |= reject(check_district(name, ok(name), ok("children"), lookup))
            changed |= reject(check_birth_order(ok(name), ok("children"), name))
    return found


def reference_problems() -> tuple[list[str], pd.DataFrame | None]:
    """Whether the reference data can judge rows: every file as ``SHA256SUMS`` lists it,
    and Kent's 902 LSOAs in the lookup.

    Returns
    -------
    problems : list of str
        Empty when the reference data are whole.
    lookup : DataFrame or None
        :func:`ehps_lib.data.reference.lsoa_lookup`, or None when it cannot be trusted.
    """
    try:
        problems = reference.checksum_problems()
    except config.ReferenceDataNotFoundError as exc:
        return [str(exc)], None
    if problems:
        return problems, None
    try:
        lookup = reference.lsoa_lookup()
    except (OSError, ValueError, KeyError) as exc:
        return [f"the LSOA lookup ({reference.FILES['imd2019']}) cannot be read: {exc}"], None
    n = lookup["lsoa11_code"].nunique()
    if n != KENT_LSOAS:
        return [f"{reference.FILES['imd2019']} holds {n} LSOA codes; Kent has {KENT_LSOAS}"], None
    return [], lookup


# -- step 6: extract date, export dates and synthetic flag -------------------------------------------
#: How to give the extract date, for messages.
EXTRACT_DATE_HOW = ("give it with --extract-date YYYY-MM-DD, or in extract.json beside the files: "
                    '{"extract_date": "YYYY-MM-DD"}')


def _extract_manifests(paths: list[Path], files: list[Path]) -> tuple[dict[Path, dict], list[pd.DataFrame]]:
    """``extract.json`` files beside the inputs, read, by folder."""
    folders = {p if p.is_dir() else p.parent for p in map(Path, paths)} | {f.parent for f in files}
    found, problems = {}, []
    for folder in sorted(folders):
        path = folder / io.EXTRACT_MANIFEST
        if path.is_file():
            try:
                raw = io.read_json(path)
            except (ValueError, OSError) as exc:
                problems.append(_file_problem(str(path), None, None, "extract_manifest",
                                              f"not valid JSON, ignored: {exc}", WARNING))
                continue
            if not isinstance(raw, dict):
                problems.append(_file_problem(str(path), None, None, "extract_manifest",
                                              "not a JSON object ({...}), ignored", WARNING))
                continue
            found[folder.resolve()] = {**raw, "_path": str(path)}
    return found, problems


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "y", "1")


def _parse_date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _date_error(path: str, key: str, value: object) -> pd.DataFrame:
    why = ""
    try:
        dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        why = f" ({exc})" if "out of range" in str(exc) or "must be in" in str(exc) else ""
    return _file_problem(path, None, "extract_date", "extract_date",
                         f"{key} '{value}' is not a date{why}: use YYYY-MM-DD")


def _export_dates(parts: list[_Part], manifests: dict[Path, dict]) -> list[pd.DataFrame]:
    """Set each part's export date from ``extract.json``: its own entry under ``files``,
    else the folder's ``extract_date``."""
    problems = []
    for part in parts:
        m = manifests.get(part.path.parent.resolve())
        if not m:
            continue
        own = m.get("files", {}).get(part.path.name) if isinstance(m.get("files"), dict) else None
        value = own.get("extract_date") if isinstance(own, dict) else None
        if value is not None:
            part.exported = _parse_date(value)
            if part.exported is None:
                problems.append(_date_error(m["_path"], f"files.{part.path.name}.extract_date", value))
        else:  # the folder's date (an invalid one is reported once, as the extract date)
            part.exported = _parse_date(m.get("extract_date")) if m.get("extract_date") is not None else None
    return problems


def _extract_date(given: dt.date | None, manifests: dict[Path, dict], parts: list[_Part],
                  today: dt.date) -> tuple[dt.date | None, list[pd.DataFrame]]:
    """The extract date: the argument, else the latest date ``extract.json`` gives. Never
    taken from the rows: an extract without one is not published."""
    problems = []
    date = given
    if date is None:
        dates = set()
        for m in manifests.values():
            if "extract_date" in m:
                d = _parse_date(m["extract_date"])
                if d is None:
                    problems.append(_date_error(m["_path"], "extract_date", m["extract_date"]))
                else:
                    dates.add(d)
        dates |= {p.exported for p in parts if p.exported is not None}
        if len(dates) > 1:
            problems.append(_file_problem(None, None, "extract_date", "extract_manifest",
                                          "the extract.json files give different extract dates "
                                          f"({', '.join(sorted(map(str, dates)))}); the latest is the extract "
                                          "date, and each file's date orders overlapping exports", WARNING))
        date = max(dates) if dates else None
    if date is None and not problems:
        problems.append(_file_problem(None, None, "extract_date", "extract_date",
                                      "no extract date: it is never guessed from the rows (a row dated after the "
                                      "export would move it); " + EXTRACT_DATE_HOW))
    elif date is not None and date > today:
        problems.append(_file_problem(None, None, "extract_date", "extract_date",
                                      f"the extract date {date:%Y-%m-%d} is after today ({today:%Y-%m-%d}): "
                                      "check --extract-date or extract.json"))
    return date, problems


def export_order(parts: list[_Part]) -> tuple[dict[str, int], dict[str, str]]:
    """Rank the files of one table from oldest export (0) to newest, and say why.

    Files are ordered by the export date ``extract.json`` gives them, then by their
    modification time to the minute (two exports of the same date, e.g. split by year, are
    usually saved hours apart). Files of the same date and minute share a rank: neither is
    newer.

    Returns
    -------
    rank : dict
        File label to rank.
    basis : dict
        File label to words for messages ("exported 2017-03-31", "saved 2017-04-02 10:31").
    """
    key = {p.label: (p.exported or dt.date.min, int(p.mtime // 60)) for p in parts}
    distinct = sorted(set(key.values()))
    rank = {label: distinct.index(k) for label, k in key.items()}
    same_date = len({k[0] for k in key.values()}) < len(key)
    basis = {}
    for p in parts:
        words = []
        if p.exported is not None:
            words.append(f"exported {p.exported:%Y-%m-%d}")
        if p.exported is None or same_date:
            words.append(f"saved {dt.datetime.fromtimestamp(p.mtime):%Y-%m-%d %H:%M}")
        basis[p.label] = ", ".join(words)
    return rank, basis


def _ingested_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.isoformat(timespec="seconds")


# -- steps 3-8 for one table -----------------------------------------------------------------------

def _stack(spec: TableSpec, parts: list[_Part]) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.DataFrame]:
    """Stack the files of one table.

    Returns
    -------
    text : DataFrame
        Every row as written (the contract's columns, then any others), with ``_file``
        and ``_row``; its index (0, 1, ...) is the row's position used everywhere after.
    filled : DataFrame
        The rows of files that have every required column, as text, with missing
        optional columns filled; same positions as ``text``.
    structural : Series
        For rows of files that lack a required column, or whose header is not where it
        should be, the reason; else null.
    problems : DataFrame
        Missing table, missing and unknown columns, and the rows that do not fit the
        header (``row_shape``) or hold bytes of no known encoding (``encoding``).
    """
    problems: list[pd.DataFrame] = []
    if not parts and spec.required:
        problems.append(_file_problem(None, spec.name, None, "missing_table",
                                      f"no file for the {spec.name} table was given (expected a file or "
                                      f"sheet named {spec.name}, or one with the column {spec.key})"))
    stacked, reasons, filled = [], [], []
    offset = 0
    for part in parts:
        frame, found = check_structure(part.frame, spec, part.label)
        found = _concat([part.problems if part.problems is not None else _concat([]), found])
        problems.append(found)
        index = pd.RangeIndex(offset, offset + len(part.frame))
        offset += len(part.frame)
        stacked.append(_unique_columns(part.frame).set_axis(index)
                       .assign(_file=part.label, _row=part.frame.index.to_numpy()))
        errors = found[found["severity"] == ERROR]
        if frame is None or len(errors):
            why = _reason_text(errors["column"], errors["value"], errors["rule"], errors["message"])
            reasons.append(pd.Series("; ".join(why), index=index, dtype="string"))
        else:
            filled.append(frame.set_axis(index))
        rows = part.row_problems
        if rows is not None and len(rows):
            pos = index[part.frame.index.get_indexer(rows["row"])]
            for (column, rule), group in rows.assign(pos=pos).groupby(["column", "rule"], dropna=False, sort=False):
                problems.append(_row_problems(spec.name, group["pos"], None if pd.isna(column) else column, rule,
                                              pd.Series(group["message"].to_numpy(), dtype="string")))
    extra = list(dict.fromkeys(c for p in parts for c in _unique_columns(p.frame).columns
                               if c not in spec.column_names))
    given = {c for p in parts for c in _unique_columns(p.frame).columns}
    columns = [*(c.name for c in spec.columns if not c.if_present or c.name in given), *extra, "_file", "_row"]
    text = (pd.concat(stacked) if stacked else pd.DataFrame(columns=columns)).reindex(columns=columns)
    structural = (pd.concat(reasons) if reasons else pd.Series(dtype="string")).reindex(text.index)
    filled_text = (pd.concat(filled) if filled
                   else pd.DataFrame({c: pd.Series(dtype="string") for c in columns[:-2] if c in spec.column_names}))
    return text, filled_text.astype("string"), structural, _concat(problems)


def _unique_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a column named twice kept as ``name`` and ``name (2)`` (for the quarantine)."""
    if not frame.columns.duplicated().any():
        return frame
    seen: dict[str, int] = {}
    names = []
    for c in frame.columns:
        seen[c] = seen.get(c, 0) + 1
        names.append(c if seen[c] == 1 else f"{c} ({seen[c]})")
    return frame.set_axis(names, axis=1)


def _comparable(typed: pd.DataFrame, filled: pd.DataFrame) -> pd.DataFrame:
    """Values to compare copies of a record by: typed where they could be read (so
    ``03/06/2015`` equals ``2015-06-03``), else as written."""
    out = {}
    for c in typed.columns:
        col = typed[c]
        as_text = col.dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(col) else col.astype("string")
        out[c] = as_text.astype("string").fillna(filled[c])
    return pd.DataFrame(out, index=typed.index)


def _quote(value: object) -> str:
    return "blank" if pd.isna(value) else f"'{value}'"


def _reconcile_table(name: str, text: pd.DataFrame, typed: pd.DataFrame, filled: pd.DataFrame,
                     rank: dict[str, int], basis: dict[str, str]) -> tuple[list[pd.DataFrame], pd.Series]:
    """Apply :func:`reconcile` to one table: problems (duplicates, conflicts) and, for each
    superseded row, the reason it is quarantined."""
    spec = TABLES[name]
    noun = NOUNS[name]
    files = text.loc[typed.index, "_file"]
    outcome = reconcile(typed[spec.key], files, files.map(rank), _comparable(typed, filled))
    notes = pd.Series(pd.NA, index=text.index, dtype="string")
    found: list[pd.DataFrame] = []
    if outcome.empty:
        return found, notes
    file_, row_ = text["_file"].to_dict(), text["_row"].to_dict()
    key_text = text[spec.key].to_dict()
    same_text = " (identifiers are compared ignoring case and surrounding spaces)"
    dup_pos, dup_msg, con_pos, con_msg, new_pos, new_msg = [], [], [], [], [], []
    for pos, r in outcome.iterrows():
        other = int(r["other"])
        where = f"row {row_[other]} of {file_[other]}"
        changes = [f"{c} {_quote(text.at[pos, c])} there {_quote(text.at[other, c])}"
                   for c in filter(None, str(r["differs"]).split(", "))]
        case = same_text if key_text[pos] != key_text[other] else ""
        ident = str(typed.at[pos, spec.key])
        if r["outcome"] == "duplicate":
            dup_pos.append(pos)
            dup_msg.append(f"{noun} {ident} duplicates {where} ('{key_text[other]}'){case}: the first is kept")
        elif r["outcome"] == "conflict":
            con_pos.append(pos)
            con_msg.append(f"{noun} {ident} is also on {where}, with different values ({'; '.join(changes)}), and "
                           f"neither export is newer ({file_[pos]}: {basis[file_[pos]]}; {file_[other]}: "
                           f"{basis[file_[other]]}): neither copy is kept. Give each file its export date in "
                           f'extract.json: {{"files": {{"{Path(file_[pos]).name}": {{"extract_date": '
                           f'"YYYY-MM-DD"}}}}}}')
        else:
            newer = f"{where}, a newer export ({basis[file_[other]]})" if rank[file_[other]] > rank[file_[pos]] \
                else f"{where}, an identical copy"
            notes[pos] = f"[superseded]: replaced by {newer}"
            if changes:
                new_pos.append(pos)
                new_msg.append(f"older copy of {noun} {ident} ({basis[file_[pos]]}) differs from {newer}: "
                               f"{'; '.join(changes)}; the newer row is kept")
    for pos, msg, rule, severity in ((dup_pos, dup_msg, "unique", ERROR), (con_pos, con_msg, "conflict", ERROR),
                                     (new_pos, new_msg, "conflict", WARNING)):
        if pos:
            found.append(_row_problems(name, pos, spec.key, rule, pd.Series(msg, dtype="string"), severity))
    return found, notes


def _table_rules(name: str, text: pd.DataFrame, typed: pd.DataFrame, earlier: pd.DataFrame,
                 extract_date: pd.Timestamp | None) -> pd.DataFrame:
    """The pandera contract for one table (``earlier``: problems so far)."""
    found: list[pd.DataFrame] = []
    known = _column_errors(earlier[earlier["table"] == name])
    schema = table_schema(name, extract_date)
    try:
        schema.validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as err:
        files = ", ".join(dict.fromkeys(text.loc[typed.index, "_file"].astype(str)))
        found.append(schema_problems(err.failure_cases, schema, name, text, known, files))
    return _concat(found)


# -- the whole flow --------------------------------------------------------------------------------
def ingest(paths: list[Path], *, data_dir: Path, max_reject_share: float = 0.05,
           extract_date: dt.date | None = None, today: dt.date | None = None) -> IngestResult:
    """Validate an extract, quarantine what is wrong and publish the rest if little is.

    Parameters
    ----------
    paths
        Extract files (CSV, Parquet, Excel) and/or folders of them.
    data_dir
        Where ``quarantine/`` and ``processed/`` are written.
    max_reject_share
        Publish only when no table rejects more than this share of its rows.
    extract_date
        The date the extract was taken; default from ``extract.json`` beside the inputs.
        Required (one or the other): it is never taken from the rows. Dates after it are
        rejected.
    today
        The current date (default: the system's), after which no extract date may be.

    Returns
    -------
    IngestResult
        Valid tables, every problem, rejected rows, counts, the record of every file and
        whether it was published.

    Notes
    -----
    ``DATA_DIR/quarantine/`` (``<table>.csv`` for each table, ``problems.csv`` and the
    ingest record ``_ingest.json``) is written on every run. ``DATA_DIR/processed/`` is
    replaced as a whole, or not at all.
    """
    data_dir = Path(data_dir)
    files, problems = _expand(list(paths))
    parts, read_problems, unread = _read_parts(files)
    problems += read_problems

    # -- extract date, each file's export date, the synthetic flag
    manifests, found = _extract_manifests(list(paths), files)
    problems += found
    problems += _export_dates(parts, manifests)
    extract_date, found = _extract_date(extract_date, manifests, parts, today or dt.date.today())
    problems += found

    # -- structure and types, per table; overlapping exports reconciled
    text: dict[str, pd.DataFrame] = {}
    structural: dict[str, pd.Series] = {}
    typed: dict[str, pd.DataFrame] = {}
    notes: dict[str, pd.Series] = {}
    for name, spec in TABLES.items():
        mine = [p for p in parts if p.table == name]
        text[name], filled, structural[name], found = _stack(spec, mine)
        problems.append(found)
        typed[name], found = _parse_table(filled, spec)
        problems.append(found)
        rank, basis = export_order(mine)
        found, notes[name] = _reconcile_table(name, text[name], typed[name], filled, rank, basis)
        problems += found
    superseded = {name: notes[name].notna() for name in TABLES}
    synthetic = any(_truthy(m.get("synthetic")) for m in manifests.values()) or any(
        frame["child_id"].astype("string").str.strip().str.upper().str.startswith("SYN").any()
        for frame in text.values() if "child_id" in frame)

    # -- per-table rules: the pandera contract
    stamp = pd.Timestamp(extract_date) if extract_date is not None else None
    for name in TABLES:
        problems.append(_table_rules(name, text[name], typed[name], _concat(problems), stamp))

    # -- reference data, whole, before they judge a row; then the cross-table rules
    ref_issues, lookup = reference_problems()
    if ref_issues:
        problems.append(_file_problem(
            None, None, None, "reference_data",
            "the reference data are not whole, so no home address was judged against them: "
            + "; ".join(ref_issues[:5]) + (f"; and {len(ref_issues) - 5} more" if len(ref_issues) > 5 else "")
            + ". Restore them with `git checkout -- data/reference` (or point EHPS_REFERENCE_DIR at a whole "
              "copy, with its SHA256SUMS)"))
    problems_so_far = _concat(problems)
    errors = problems_so_far[(problems_so_far["severity"] == ERROR) & problems_so_far["pos"].notna()]
    valid = {}
    for name in TABLES:
        v = pd.Series(structural[name].isna().to_numpy(), index=text[name].index)
        bad = errors.loc[errors["table"] == name, "pos"].astype("int64").unique()
        v.loc[bad] = False
        v &= ~superseded[name]
        valid[name] = v
    problems.append(_concat(_cross_checks(typed, valid, text, lookup, superseded)))

    # -- assemble problems (file, row and value from the text), outcomes, decision
    problems_df = _finish_problems(_concat(problems), text, [p.label for p in parts])
    tables, rejected, counts = {}, {}, {}
    given = [n for n, spec in TABLES.items() if spec.required or any(p.table == n for p in parts)]
    for name in given:  # an optional table with no file is left out (and said so in the summary)
        frame = text[name]
        keep = valid[name]
        tables[name] = typed[name][keep.reindex(typed[name].index)].reset_index(drop=True)
        if not len(tables[name]):
            tables[name] = empty_table(name)
        table_schema(name, stamp).validate(tables[name])  # the contract holds for what we publish
        rejected[name] = _rejected_rows(frame, ~keep, structural[name], notes[name], problems_df, name)
        counts[name] = {"read": len(frame), "valid": int(keep.sum()),
                        "rejected": int((~keep & ~superseded[name]).sum()),
                        "superseded": int(superseded[name].sum())}
    records = _file_records(parts, text, valid, superseded) + unread

    decision_reasons = _blockers(problems_df, counts, max_reject_share)
    processed = io.processed_dir(data_dir)
    published = not decision_reasons

    quarantine = data_dir / "quarantine"
    for name in given:
        io.write_csv(rejected[name], quarantine / f"{name}.csv")
    io.write_csv(problems_df, quarantine / "problems.csv")

    record = {"ingested_at": _ingested_at(), "extract_date": extract_date.isoformat() if extract_date else None,
              "synthetic": bool(synthetic), "tables": counts, "files": records}
    manifest = None
    if published:
        manifest = _manifest(records, tables, synthetic, extract_date)
        # Written first as interrupted, so a record never claims a publication that did not finish.
        io.write_json({"published": False, "decision": f"interrupted while publishing to {processed}", **record},
                      quarantine / INGEST_RECORD)
        _publish(tables, manifest, processed)
        decision = f"Published to {_display(processed)}"
    else:
        kept = f"{_display(processed)} left as it was" if processed.exists() else "nothing was written"
        decision = f"NOT published: {'; '.join(decision_reasons)} ({kept})"
    io.write_json({"published": published, "decision": decision, **record}, quarantine / INGEST_RECORD)
    return IngestResult(tables=tables, problems=problems_df, rejected=rejected, counts=counts,
                        published=published, synthetic=synthetic, extract_date=extract_date,
                        decision=decision, data_dir=data_dir, manifest=manifest, files=records)


#: The record of the last ingest, in ``DATA_DIR/quarantine``: every file and where its rows went.
INGEST_RECORD = "_ingest.json"


def _file_records(parts: list[_Part], text: dict[str, pd.DataFrame], valid: dict[str, pd.Series],
                  superseded: dict[str, pd.Series]) -> list[dict]:
    """Per file (or sheet): how it was read and where every one of its rows went."""
    out = []
    for part in parts:
        mine = (text[part.table]["_file"] == part.label).to_numpy()
        read = int(mine.sum())
        n_valid = int(valid[part.table].to_numpy()[mine].sum())
        n_superseded = int(superseded[part.table].to_numpy()[mine].sum())
        n_rejected = read - n_valid - n_superseded
        if n_rejected < 0 or read != len(part.frame):
            raise RuntimeError(f"ingest lost count of the rows of {part.label}: {read} read, {len(part.frame)} in the "
                               f"file, {n_valid} valid, {n_superseded} superseded")
        out.append({"file": part.label, "path": str(part.path), "sheet": part.sheet, "table": part.table,
                    "encoding": part.encoding, "header_row": part.header_row, "blank_rows": part.blank_rows,
                    "exported": part.exported.isoformat() if part.exported else None, "status": "read",
                    "rows_read": read, "rows_valid": n_valid, "rows_quarantined": read - n_valid,
                    "rows_rejected": n_rejected, "rows_superseded": n_superseded})
    return out


def _finish_problems(problems: pd.DataFrame, text: dict[str, pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """Fill ``file``, ``row`` and ``value`` of row problems from the text, and sort them."""
    out = problems.reset_index(drop=True).copy()
    out["row"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for col in ("file", "value"):
        if col not in out:
            out[col] = None
        out[col] = out[col].astype("object")
    for name, frame in text.items():
        mask = (out["table"] == name) & out["pos"].notna()
        if not mask.any():
            continue
        pos = out.loc[mask, "pos"].astype("int64").to_numpy()
        out.loc[mask, "file"] = frame["_file"].to_numpy()[pos]
        out.loc[mask, "row"] = frame["_row"].to_numpy()[pos].astype("int64")
        for column in out.loc[mask, "column"].dropna().unique():
            m = mask & (out["column"] == column)
            if column in frame:
                out.loc[m, "value"] = frame[column].to_numpy()[out.loc[m, "pos"].astype("int64").to_numpy()]
    # Problems with the whole extract first, then table by table, file by file, row by row.
    out["_table"] = out["table"].map({t: i for i, t in enumerate(TABLES)}).fillna(-1)
    out["_file"] = out["file"].map({f: i for i, f in enumerate(dict.fromkeys(order))}).fillna(-1)
    out["_seq"] = np.arange(len(out))
    out = out.sort_values(["_table", "_file", "row", "_seq"], na_position="first", kind="stable")
    out = out[PROBLEM_COLUMNS].reset_index(drop=True)
    out["value"] = out["value"].astype("string")
    for col in ("file", "table", "column", "rule", "severity", "message"):
        out[col] = out[col].astype("string")
    return out


def _rejected_rows(text: pd.DataFrame, rejected: pd.Series, structural: pd.Series, notes: pd.Series,
                   problems: pd.DataFrame, table: str) -> pd.DataFrame:
    """Quarantined rows (rejected or superseded) with their original text, ``_file``, ``_row``
    and ``_reasons``."""
    rows = text[rejected.reindex(text.index, fill_value=False)]
    mine = problems[(problems["table"] == table) & problems["row"].notna() & (problems["severity"] == ERROR)]
    reason = _reason_text(mine["column"], mine["value"], mine["rule"], mine["message"])
    by_row = reason.groupby([mine["file"], mine["row"]], sort=False).agg("; ".join)
    where = pd.MultiIndex.from_arrays([rows["_file"].astype(str), rows["_row"].astype("int64")])
    row_reasons = pd.Series(by_row.reindex(where).to_numpy(), index=rows.index, dtype="string")
    file_reasons = structural.reindex(rows.index).astype("string")
    row_reasons = row_reasons.fillna(notes.reindex(rows.index).astype("string"))
    reasons = file_reasons.fillna(row_reasons)
    both = file_reasons.notna() & row_reasons.notna()
    reasons[both] = file_reasons[both] + "; " + row_reasons[both]
    out = rows.assign(_reasons=reasons)
    out["_row"] = out["_row"].astype("Int64")
    return out.reset_index(drop=True)


def _reason_text(column: pd.Series, value: pd.Series, rule: pd.Series, message: pd.Series) -> pd.Series:
    """``column = 'value' [rule]: message`` for each problem (the ``_reasons`` of a row)."""
    column, value = column.astype("string"), value.astype("string")
    quoted = (" = '" + value + "'").fillna("")
    prefix = (column + quoted + " ").fillna("")
    return prefix + "[" + rule.astype("string") + "]: " + message.astype("string")


def _blockers(problems: pd.DataFrame, counts: dict[str, dict[str, int]], limit: float) -> list[str]:
    """Why nothing may be published (empty when it may)."""
    out = []
    blocking = problems[(problems["severity"] == ERROR) & problems["rule"].isin(BLOCKING_RULES)]
    structure = blocking[blocking["rule"].isin(STRUCTURE_RULES)]
    if len(structure):
        files = list(dict.fromkeys(structure["file"]))
        out.append(f"{len(files)} file(s) could not be read whole ({', '.join(files)}: "
                   f"{'; '.join(dict.fromkeys(_short_rule(r) for r in structure['rule']))})")
    for rule, group in blocking[~blocking["rule"].isin(STRUCTURE_RULES)].groupby("rule", sort=False):
        if rule == "missing_table":
            out.append("no file for " + ", ".join(group["table"]))
        elif rule == "unreadable":
            out.append(f"{len(group)} file(s) could not be read ({', '.join(group['file'])})")
        elif rule == "extract_date":
            out.append("no valid extract date (" + group["message"].iloc[0].split(":")[0] + ")")
        elif rule == "reference_data":
            out.append("the reference data are not whole")
        else:
            out.append(f"{len(group)} whole-column contract failure(s)")
    for name, c in counts.items():
        share = c["rejected"] / c["read"] if c["read"] else 0.0
        if share > limit:
            digits = 1 if f"{share:.1%}" != f"{limit:.1%}" else 3
            out.append(f"{share:.{digits}%} of {name} rejected, above the limit of {limit:.{digits}%}")
    return out


def _short_rule(rule: str) -> str:
    return {"missing_column": "a required column missing", "duplicate_column": "a column named twice",
            "header_row": "the header is not on the first row"}.get(rule, rule)


def _manifest(records: list[dict], tables: dict[str, pd.DataFrame], synthetic: bool,
              extract_date: dt.date | None) -> dict:
    """The content of ``processed/_manifest.json``: ``sources`` is the ingest record of
    every file read, with its SHA-256."""
    sources = []
    hashes: dict[str, str] = {}
    for record in records:
        if record["status"] != "read":
            continue
        if record["path"] not in hashes:
            hashes[record["path"]] = io.sha256_file(record["path"])
        sources.append({**record, "sha256": hashes[record["path"]]})
    received = tables["notifications"]["date_received"]
    first = received.min() if received.notna().any() else None
    return {
        "synthetic": bool(synthetic),
        "extract_date": extract_date.isoformat() if extract_date else None,
        # the first notification: no period before it has anything to report
        "data_from": f"{first:%Y-%m-%d}" if first is not None else None,
        "ingested_at": _ingested_at(),
        "ehps_lib_version": __version__,
        "sources": sources,
        "tables": {name: {"rows": int(len(df))} for name, df in tables.items()},
    }


def _publish(tables: dict[str, pd.DataFrame], manifest: dict, processed: Path) -> None:
    """Write the tables and manifest to a staging folder, then swap it in as ``processed``.

    Staging folders an interrupted ingest left are removed first (``ehps ingest`` holds the
    workspace lock, so none belongs to another ingest)."""
    for leftover in processed.parent.glob(f".{processed.name}.staging.*"):
        io.remove_tree(leftover)
    staging = io.staging_dir(processed)
    try:
        for name, frame in tables.items():
            io.write_parquet(frame, staging / f"{name}.parquet")
            io.fault_point(f"ingest.wrote_{name}")
        io.write_json(manifest, staging / io.PROCESSED_MANIFEST)
        io.fault_point("ingest.staged")
        io.replace_dir(staging, processed)
        io.fault_point("ingest.published")
    except BaseException:
        # Only the half-built staging folder is removed; the published one is untouched.
        io.remove_tree(staging)
        raise


__all__ = [
    "IngestResult", "PROBLEM_COLUMNS", "assign_table", "check_birth_order", "check_district", "check_kent_lsoa",
    "check_references", "check_structure", "describe_file", "export_order", "find_duplicates", "frame_from_grid",
    "ingest", "locate_header", "parse_column", "reconcile", "reference_problems", "schema_problems",
    "suggest_column"
]
