"""Ingest a case-system extract: read, type, validate, quarantine and publish it.

``ehps ingest PATH...`` calls :func:`ingest`. The flow, one step at a time:

1. **Find and read.** Folders are expanded to the supported files inside them (sorted);
   each file, or each sheet of an Excel workbook, is read as text by
   :func:`ehps_lib.data.io.read_tabular`. A file that cannot be read is a problem, not a crash.
2. **Assign.** Each file or sheet is given to a table by its name (``children``,
   ``notifications`` or ``cases``), else by the most specific key column it holds. Several
   files for one table are stacked; every row keeps its file and row number.
3. **Structure.** A missing *required* column rejects the whole file (reported once); a
   missing *optional* column is a warning and is filled with its default; unknown
   columns are a warning and are ignored.
4. **Types.** Text becomes dates, months and booleans (:func:`parse_column`). A value that
   cannot be read is a ``type`` problem naming file, row, column and value.
5. **Extract date.** From the argument, else ``extract.json`` beside the inputs, else the
   latest date in the data.
6. **Per-table rules.** Duplicate ids are rejected after their first occurrence
   (:func:`find_duplicates`), then the pandera contract
   (:func:`ehps_lib.data.contract.table_schema`) is checked lazily, so every failure is found at
   once (:func:`schema_problems`).
7. **Cross-table rules.** Kent LSOA, foreign keys, district of the child's home LSOA and
   notification after birth (:func:`check_kent_lsoa`, :func:`check_references`,
   :func:`check_district`, :func:`check_birth_order`), repeated until nothing changes, so
   a rejected child rejects its notifications and those reject their cases.
8. **Decide and write.** Rejected rows (with all their original text and their reasons)
   go to ``DATA_DIR/quarantine/<table>.csv`` and every problem to
   ``DATA_DIR/quarantine/problems.csv``. When no table is missing, every file could be
   read and no table rejects more than ``max_reject_share`` of its rows, the valid typed
   tables and ``_manifest.json`` are built in a staging folder and swapped in as
   ``DATA_DIR/processed`` in one step; otherwise nothing is published and the previous
   ``processed`` folder stays as it was.

The check functions are pure (frames in, a frame of problems out); only
:mod:`ehps_lib.data.io` writes to disk.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa

from .. import __version__
from ..geography import DISTRICTS
from . import io, reference
from .contract import TABLES, TableSpec, empty_table, table_schema

#: Columns of the problems table (and of ``quarantine/problems.csv``).
PROBLEM_COLUMNS = ["file", "table", "row", "column", "rule", "severity", "value", "message"]
ERROR, WARNING = "error", "warning"

#: Columns added to each quarantined row.
QUARANTINE_COLUMNS = ["_file", "_row", "_reasons"]

#: File-level errors that stop publication whatever the share of rejected rows.
BLOCKING_RULES = ("missing_table", "unreadable", "schema")

#: How a record of each table is called in messages ("child SYN0000012 was rejected").
NOUNS = {"children": "child", "notifications": "notification", "cases": "case"}

#: Tables in the order their key columns are tried when a file's name does not tell:
#: ``cases`` also holds ``notification_id`` and ``child_id``, so the most specific key wins.
KEY_ORDER = ("cases", "notifications", "children")

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
        Per table: ``{"read": n, "valid": n, "rejected": n}``.
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
            lines.append(f"{name}: {c['read']:,} read, {c['valid']:,} valid, "
                         f"{c['rejected']:,} rejected ({share:.2%})")
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


# -- step 1-2: files ------------------------------------------------------------------------------
@dataclass
class _Part:
    """One file, or one sheet of a workbook, as read."""

    path: Path
    sheet: str | None
    label: str
    frame: pd.DataFrame
    table: str | None = None


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


def assign_table(names: list[str], columns: list[str]) -> str | None:
    """The table a file or sheet holds.

    Parameters
    ----------
    names
        Names to try in order (a sheet's name, then its file's stem); the first that
        contains exactly one table name (case-insensitive) decides.
    columns
        The file's column names, used when no name decides: the most specific key column
        present wins (``case_id``, then ``notification_id``, then ``child_id``).

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
    >>> assign_table(["lookup"], ["unit_id"]) is None
    True
    """
    for name in names:
        found = [t for t in TABLES if t in name.lower()]
        if len(found) == 1:
            return found[0]
    for table in KEY_ORDER:
        if TABLES[table].key in columns:
            return table
    return None


def _read_parts(files: list[Path]) -> tuple[list[_Part], list[pd.DataFrame]]:
    labels = _labels(files)
    parts: list[_Part] = []
    problems: list[pd.DataFrame] = []
    for path in files:
        try:
            frames = io.read_tabular(path)
        except io.ExtractFileError as exc:
            problems.append(_file_problem(labels[path], None, None, "unreadable", str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a file the reader trips over is a problem, not a crash
            problems.append(_file_problem(labels[path], None, None, "unreadable",
                                          f"{path}: could not be read ({type(exc).__name__}: {exc})"))
            continue
        excel = io.SUPPORTED_SUFFIXES.get(path.suffix.lower()) == "excel"
        for name, frame in frames.items():
            label = f"{labels[path]}[{name}]" if excel else labels[path]
            # A workbook's name decides only when it has a single sheet: a second sheet
            # ("Notes") must not be taken for a table because of the workbook's name.
            names = [name, path.stem] if excel and len(frames) == 1 else [name]
            part = _Part(path, name if excel else None, label, frame,
                         assign_table(names, list(frame.columns)))
            if part.table is None:
                if excel and frame.empty:
                    continue  # an empty extra sheet is not worth a word
                problems.append(_file_problem(
                    label, None, None, "unknown_table",
                    "cannot tell which table this holds: its name contains none of children, "
                    "notifications, cases and it has none of the key columns case_id, notification_id, "
                    "child_id; it was not read"))
                continue
            parts.append(part)
    return parts, problems


# -- step 3: structure ----------------------------------------------------------------------------
def check_structure(frame: pd.DataFrame, spec: TableSpec, label: str) -> tuple[pd.DataFrame | None,
                                                                                 pd.DataFrame]:
    """Check a file's columns against the contract.

    Parameters
    ----------
    frame
        The file as text (:func:`ehps_lib.data.io.read_tabular`).
    spec
        The contract of the table it holds.
    label
        The file's name in problems.

    Returns
    -------
    filled : DataFrame or None
        The contract's columns, in order, with missing optional columns filled with their
        default (as text); None when a required column is missing.
    problems : DataFrame
        One problem per missing or unknown column.
    """
    present = set(frame.columns)
    problems: list[pd.DataFrame] = []
    doubled = sorted(set(frame.columns[frame.columns.duplicated()]))
    for name in doubled:
        problems.append(_file_problem(label, spec.name, name, "duplicate_column",
                                      f"column '{name}' appears more than once: all {len(frame):,} rows "
                                      "of this file are rejected"))
    missing_required = [c.name for c in spec.columns if c.required and c.name not in present]
    for name in missing_required:
        problems.append(_file_problem(label, spec.name, name, "missing_column",
                                      f"required column '{name}' is missing: all {len(frame):,} rows "
                                      "of this file are rejected"))
    fill = {}
    for c in spec.columns:
        if not c.required and c.name not in present:
            fill[c.name] = c.default
            default = "left blank" if c.default is None else f"filled with '{c.default}'"
            problems.append(_file_problem(label, spec.name, c.name, "missing_optional_column",
                                          f"optional column '{c.name}' is missing: {default}", WARNING))
    for name in frame.columns:
        if name not in spec.column_names:
            problems.append(_file_problem(label, spec.name, name, "unknown_column",
                                          f"column '{name}' is not in the {spec.name} contract: ignored",
                                          WARNING))
    if missing_required or doubled:
        return None, _concat(problems)
    filled = frame.assign(**{k: pd.Series(v, index=frame.index, dtype="string") for k, v in fill.items()})
    return filled[spec.column_names], _concat(problems)


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
        true/false, 1/0 in any case. Other kinds are text and pass through.

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
    return text


def _parse_table(filled: pd.DataFrame, spec: TableSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed table and its ``type`` problems (positions are ``filled``'s index)."""
    typed = {}
    problems = []
    for c in spec.columns:
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


def check_birth_order(notifications: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    """Notifications received before the child's birth month (rule ``date_order``)."""
    born = notifications["child_id"].map(children.set_index("child_id")["birth_month"])
    bad = born.notna() & notifications["date_received"].notna() & (notifications["date_received"] < born)
    message = "received before the child's birth month " + born[bad].dt.strftime("%Y-%m")
    return _row_problems("notifications", notifications.index[bad], "date_received", "date_order", message)


def _cross_checks(typed: dict[str, pd.DataFrame], valid: dict[str, pd.Series], text: dict[str, pd.DataFrame],
                  lookup: pd.DataFrame) -> list[pd.DataFrame]:
    """Apply the cross-table rules until no more rows are rejected; update ``valid``."""
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
        changed = reject(check_kent_lsoa(ok("children"), lookup))
        for name in ("notifications", "cases"):
            for c in TABLES[name].columns:
                if c.references:
                    target, key = c.references.split(".")
                    target_text = text[target]
                    gone = target_text[~valid[target]]
                    gone = gone[gone[key].notna()].drop_duplicates(key).set_index(key)[["_file", "_row"]]
                    p = check_references(name, ok(name), c.name, target, pd.Index(ok(target)[key]), gone)
                    changed |= reject(p)
            changed |= reject(check_district(name, ok(name), ok("children"), lookup))
        changed |= reject(check_birth_order(ok("notifications"), ok("children")))
    return found


# -- step 5: extract date and synthetic flag --------------------------------------------------------
def _extract_manifests(paths: list[Path], files: list[Path]) -> tuple[list[dict], list[pd.DataFrame]]:
    """``extract.json`` files beside the inputs, read."""
    folders = {p if p.is_dir() else p.parent for p in map(Path, paths)} | {f.parent for f in files}
    found, problems = [], []
    for folder in sorted(folders):
        path = folder / io.EXTRACT_MANIFEST
        if path.is_file():
            try:
                found.append({**io.read_json(path), "_path": str(path)})
            except ValueError as exc:
                problems.append(_file_problem(str(path), None, None, "extract_manifest",
                                              f"not valid JSON, ignored: {exc}", WARNING))
    return found, problems


def _truthy(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "y", "1")


def _extract_date(given: dt.date | None, manifests: list[dict],
                  typed: dict[str, pd.DataFrame]) -> tuple[dt.date | None, list[pd.DataFrame]]:
    if given is not None:
        return given, []
    problems = []
    dates = set()
    for m in manifests:
        if "extract_date" in m:
            try:
                dates.add(dt.date.fromisoformat(str(m["extract_date"])))
            except ValueError:
                problems.append(_file_problem(m["_path"], None, "extract_date", "extract_manifest",
                                              f"'{m['extract_date']}' is not a date (YYYY-MM-DD), ignored",
                                              WARNING))
    if dates:
        if len(dates) > 1:
            problems.append(_file_problem(None, None, "extract_date", "extract_manifest",
                                          "the extract.json files give different extract dates "
                                          f"({', '.join(sorted(map(str, dates)))}); the latest is used",
                                          WARNING))
        return max(dates), problems
    latest = [frame[c.name].max() for name, frame in typed.items()
              for c in TABLES[name].columns if c.kind in ("date", "month")]
    latest = [d for d in latest if pd.notna(d)]
    if not latest:
        return None, problems
    date = max(latest).date()
    problems.append(_file_problem(None, None, "extract_date", "extract_date",
                                  f"no extract date given (argument or extract.json): using the latest "
                                  f"date in the data, {date:%Y-%m-%d}", WARNING))
    return date, problems


def _ingested_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.isoformat(timespec="seconds")


# -- steps 3-4 and 6 for one table ----------------------------------------------------------------

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
        For rows of files that lack a required column, the reason; else null.
    problems : DataFrame
        Missing table, missing and unknown columns.
    """
    problems: list[pd.DataFrame] = []
    if not parts:
        problems.append(_file_problem(None, spec.name, None, "missing_table",
                                      f"no file for the {spec.name} table was given (expected a file or "
                                      f"sheet named {spec.name}, or one with the column {spec.key})"))
    stacked, reasons, filled = [], [], []
    offset = 0
    for part in parts:
        frame, found = check_structure(part.frame, spec, part.label)
        problems.append(found)
        index = pd.RangeIndex(offset, offset + len(part.frame))
        offset += len(part.frame)
        stacked.append(part.frame.set_axis(index).assign(_file=part.label, _row=part.frame.index.to_numpy()))
        if frame is None:
            errors = found[found["severity"] == ERROR]
            why = _reason_text(errors["column"], errors["value"], errors["rule"], errors["message"])
            reasons.append(pd.Series("; ".join(why), index=index, dtype="string"))
        else:
            filled.append(frame.set_axis(index))
    extra = sorted({c for p in parts for c in p.frame.columns} - set(spec.column_names))
    columns = [*spec.column_names, *extra, "_file", "_row"]
    text = (pd.concat(stacked) if stacked else pd.DataFrame(columns=columns)).reindex(columns=columns)
    structural = (pd.concat(reasons) if reasons else pd.Series(dtype="string")).reindex(text.index)
    filled_text = (pd.concat(filled) if filled
                   else pd.DataFrame({c: pd.Series(dtype="string") for c in spec.column_names}))
    return text, filled_text.astype("string"), structural, _concat(problems)


def _table_rules(name: str, text: pd.DataFrame, typed: pd.DataFrame, structural: pd.Series,
                 earlier: pd.DataFrame, extract_date: pd.Timestamp | None) -> pd.DataFrame:
    """Uniqueness and the pandera contract for one table (``earlier``: problems so far)."""
    found: list[pd.DataFrame] = []
    for c in TABLES[name].columns:
        if c.unique and c.name in text:
            first = find_duplicates(text[c.name])
            first = first[structural.reindex(first.index).isna()]
            where = text.loc[first.to_numpy(), ["_row", "_file"]].astype("string")
            message = "duplicates row " + where["_row"].to_numpy() + " of " + where["_file"].to_numpy()
            found.append(_row_problems(name, first.index, c.name, "unique",
                                       pd.Series(message, dtype="string")))
    so_far = _concat([earlier, *found])
    known = _column_errors(so_far[so_far["table"] == name])
    schema = table_schema(name, extract_date)
    try:
        schema.validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as err:
        files = ", ".join(dict.fromkeys(text.loc[typed.index, "_file"].astype(str)))
        found.append(schema_problems(err.failure_cases, schema, name, text, known, files))
    return _concat(found)


# -- the whole flow --------------------------------------------------------------------------------
def ingest(paths: list[Path], *, data_dir: Path, max_reject_share: float = 0.05,
           extract_date: dt.date | None = None) -> IngestResult:
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
        The date the extract was taken; default from ``extract.json`` beside the inputs,
        else the latest date in the data. Dates after it are rejected.

    Returns
    -------
    IngestResult
        Valid tables, every problem, rejected rows, counts and whether it was published.

    Notes
    -----
    ``DATA_DIR/quarantine/`` (``<table>.csv`` for each table and ``problems.csv``) is
    written on every run. ``DATA_DIR/processed/`` is replaced as a whole, or not at all.
    """
    data_dir = Path(data_dir)
    files, problems = _expand(list(paths))
    parts, read_problems = _read_parts(files)
    problems += read_problems

    # -- structure and types, per table
    text: dict[str, pd.DataFrame] = {}
    structural: dict[str, pd.Series] = {}
    typed: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        text[name], filled, structural[name], found = _stack(spec, [p for p in parts if p.table == name])
        problems.append(found)
        typed[name], found = _parse_table(filled, spec)
        problems.append(found)

    # -- extract date and synthetic flag
    manifests, found = _extract_manifests(list(paths), files)
    problems += found
    extract_date, found = _extract_date(extract_date, manifests, typed)
    problems += found
    synthetic = any(_truthy(m.get("synthetic")) for m in manifests) or any(
        frame["child_id"].astype("string").str.startswith("SYN").any()
        for frame in text.values() if "child_id" in frame)

    # -- per-table rules: uniqueness (ours, naming the first row), then the pandera contract
    stamp = pd.Timestamp(extract_date) if extract_date is not None else None
    for name in TABLES:
        problems.append(_table_rules(name, text[name], typed[name], structural[name], _concat(problems),
                                     stamp))

    # -- cross-table rules
    problems_so_far = _concat(problems)
    errors = problems_so_far[(problems_so_far["severity"] == ERROR) & problems_so_far["pos"].notna()]
    valid = {}
    for name in TABLES:
        v = pd.Series(structural[name].isna().to_numpy(), index=text[name].index)
        bad = errors.loc[errors["table"] == name, "pos"].astype("int64").unique()
        v.loc[bad] = False
        valid[name] = v
    problems.append(_concat(_cross_checks(typed, valid, text, reference.lsoa_lookup())))

    # -- assemble problems (file, row and value from the text), outcomes, decision
    problems_df = _finish_problems(_concat(problems), text, [p.label for p in parts])
    tables, rejected, counts = {}, {}, {}
    for name in TABLES:
        frame = text[name]
        keep = valid[name]
        tables[name] = typed[name][keep.reindex(typed[name].index)].reset_index(drop=True)
        if not len(tables[name]):
            tables[name] = empty_table(name)
        table_schema(name, stamp).validate(tables[name])  # the contract holds for what we publish
        rejected[name] = _rejected_rows(frame, ~keep, structural[name], problems_df, name)
        counts[name] = {"read": len(frame), "valid": int(keep.sum()), "rejected": int((~keep).sum())}

    decision_reasons = _blockers(problems_df, counts, max_reject_share)
    processed = io.processed_dir(data_dir)
    published = not decision_reasons

    quarantine = data_dir / "quarantine"
    for name in TABLES:
        io.write_csv(rejected[name], quarantine / f"{name}.csv")
    io.write_csv(problems_df, quarantine / "problems.csv")

    manifest = None
    if published:
        manifest = _manifest(parts, tables, valid, text, synthetic, extract_date)
        _publish(tables, manifest, processed)
        decision = f"Published to {_display(processed)}"
    else:
        kept = f"{_display(processed)} left as it was" if processed.exists() else "nothing was written"
        decision = f"NOT published: {'; '.join(decision_reasons)} ({kept})"
    return IngestResult(tables=tables, problems=problems_df, rejected=rejected, counts=counts,
                        published=published, synthetic=synthetic, extract_date=extract_date,
                        decision=decision, data_dir=data_dir, manifest=manifest)


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


def _rejected_rows(text: pd.DataFrame, rejected: pd.Series, structural: pd.Series, problems: pd.DataFrame,
                   table: str) -> pd.DataFrame:
    """Rejected rows with their original text, ``_file``, ``_row`` and ``_reasons``."""
    rows = text[rejected.reindex(text.index, fill_value=False)]
    mine = problems[(problems["table"] == table) & problems["row"].notna() & (problems["severity"] == ERROR)]
    reason = _reason_text(mine["column"], mine["value"], mine["rule"], mine["message"])
    by_row = reason.groupby([mine["file"], mine["row"]], sort=False).agg("; ".join)
    where = pd.MultiIndex.from_arrays([rows["_file"].astype(str), rows["_row"].astype("int64")])
    row_reasons = pd.Series(by_row.reindex(where).to_numpy(), index=rows.index, dtype="string")
    file_reasons = structural.reindex(rows.index).astype("string")
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
    for rule, group in blocking.groupby("rule", sort=False):
        if rule == "missing_table":
            out.append("no file for " + ", ".join(group["table"]))
        elif rule == "unreadable":
            out.append(f"{len(group)} file(s) could not be read ({', '.join(group['file'])})")
        else:
            out.append(f"{len(group)} whole-column contract failure(s)")
    for name, c in counts.items():
        share = c["rejected"] / c["read"] if c["read"] else 0.0
        if share > limit:
            digits = 1 if f"{share:.1%}" != f"{limit:.1%}" else 3
            out.append(f"{share:.{digits}%} of {name} rejected, above the limit of {limit:.{digits}%}")
    return out


def _manifest(parts: list[_Part], tables: dict[str, pd.DataFrame], valid: dict[str, pd.Series],
              text: dict[str, pd.DataFrame], synthetic: bool, extract_date: dt.date | None) -> dict:
    """The content of ``processed/_manifest.json``."""
    sources = []
    hashes: dict[Path, str] = {}
    for part in parts:
        frame = text[part.table]
        mine = frame["_file"] == part.label
        n_valid = int(valid[part.table][mine].sum())
        if part.path not in hashes:
            hashes[part.path] = io.sha256_file(part.path)
        sources.append({"path": str(part.path), "sheet": part.sheet, "sha256": hashes[part.path],
                        "table": part.table, "rows_read": int(mine.sum()), "rows_valid": n_valid,
                        "rows_rejected": int(mine.sum()) - n_valid})
    return {
        "synthetic": bool(synthetic),
        "extract_date": extract_date.isoformat() if extract_date else None,
        "ingested_at": _ingested_at(),
        "ehps_lib_version": __version__,
        "sources": sources,
        "tables": {name: {"rows": int(len(df))} for name, df in tables.items()},
    }


def _publish(tables: dict[str, pd.DataFrame], manifest: dict, processed: Path) -> None:
    """Write the tables and manifest to a staging folder, then swap it in as ``processed``."""
    staging = io.staging_dir(processed)
    try:
        for name, frame in tables.items():
            io.write_parquet(frame, staging / f"{name}.parquet")
        io.write_json(manifest, staging / io.PROCESSED_MANIFEST)
        io.replace_dir(staging, processed)
    except BaseException:
        # Only the half-built staging folder is removed; the published one is untouched.
        io.remove_tree(staging)
        raise


__all__ = [
    "IngestResult", "PROBLEM_COLUMNS", "assign_table", "check_birth_order", "check_district", "check_kent_lsoa",
    "check_references", "check_structure", "find_duplicates", "ingest", "parse_column", "schema_problems"
]
