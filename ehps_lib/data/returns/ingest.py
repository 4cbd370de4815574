"""Ingest the statutory returns and the supplement: read, type, validate, quarantine, publish.

``ehps ingest-returns PATH...`` calls :func:`ingest_returns`, with the same guarantees as the
Early Help extract's ingest (:mod:`ehps_lib.data.ingest`):

1. **Read.** Folders become the files inside them. An ``.xml`` file is a CIN census or an
   SSDA903, told apart by its root element; it is parsed with the line of every element
   (:mod:`ehps_lib.data.returns.xml`) and checked against the return's schema: an unknown,
   missing or repeated element is a ``schema`` problem naming the element's path and line,
   and stops publication. CSV, Excel and Parquet files are tables of the SSDA903 (named as
   the DfE and Data to Insight name them: ``Header``, ``Episodes``, ``UASC``, ``Reviews``,
   ``OC2``, ``OC3``, ``AD1``, ``PlacedAdoption``, ``Missing``, ``PrevPerm``, or recognised by
   their exact columns) or of the supplement (``teams``, ``allocations``, ...), or of the
   CIN census in the validators' flat form (``cin_details`` ...).
2. **Structure and types.** A missing required column rejects the file's rows; unknown
   columns are warnings. Values are typed (dates in ``YYYY-MM-DD`` or ``DD/MM/YYYY``,
   booleans, whole numbers); codes are compared in capitals.
3. **Extract date**: the argument, else the CIN header's ``ReferenceDate``, else
   ``extract.json``, else the latest date in the data (a warning).
4. **Contract and rules.** The pandera contract (:func:`~ehps_lib.data.returns.contract.table_schema`:
   codes, formats, dates not after the extract date), the key columns' uniqueness, then every
   rule of :mod:`ehps_lib.data.returns.rules` (the DfE's rule numbers), all found at once.
5. **Cascade.** A rejected row rejects the rows that belong to it (its CIN episode's
   assessments, a child's episodes ...), each naming the row it depended on.
6. **Decide and write.** Rejected rows and their reasons go to
   ``DATA_DIR/returns/quarantine/<table>.csv`` and every problem to ``problems.csv``. When
   every required table is there, every file could be read and met the schema, and no table
   rejects more than ``max_reject_share`` of its rows, the valid tables and ``_manifest.json``
   are built in a staging folder and swapped in as ``DATA_DIR/returns/processed`` in one step;
   otherwise nothing is published and the previous folder stays as it was.

Every problem names the file, the row (the CSV row, or the XML line) and, for XML, the
element, the column, the rule and the value.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from ... import __version__
from .. import io
from ..ingest import IngestResult, find_duplicates, parse_column
from . import rules
from . import xml as rxml
from .contract import REQUIRED_TABLES, RETURN_NAMES, TABLES, empty_table, table_schema

PROBLEM_COLUMNS = ["file", "table", "row", "element", "column", "rule", "severity", "value", "message"]
ERROR, WARNING = rules.ERROR, rules.WARNING
BLOCKING_RULES = ("missing_table", "unreadable", "schema", "not_a_return")
SUFFIXES = {**io.SUPPORTED_SUFFIXES, ".xml": "xml"}

#: File and sheet names of the SSDA903 tables as the DfE and Data to Insight's validator name them.
ALIASES = {"header": "ssda903_header", "episodes": "ssda903_episodes", "uasc": "ssda903_uasc",
           "reviews": "ssda903_reviews", "oc2": "ssda903_oc2", "oc3": "ssda903_oc3", "ad1": "ssda903_ad1",
           "placedadoption": "ssda903_placed_adoption", "placed_for_adoption": "ssda903_placed_adoption",
           "missing": "ssda903_missing", "prevperm": "ssda903_prev_perm", "previous_permanence": "ssda903_prev_perm"}

TYPE_MESSAGES = {"date": "not a valid date (use YYYY-MM-DD or DD/MM/YYYY)", "month": "not a valid month (YYYY-MM)",
                 "bool": "not a true/false value (true/false, 1/0, Y/N)", "int": "not a whole number",
                 "number": "not a number"}


# -- result -----------------------------------------------------------------------------------------------
@dataclass
class ReturnsIngestResult(IngestResult):
    """What :func:`ingest_returns` found and did: the extract's :class:`ehps_lib.data.ingest.IngestResult`,
    with ``element`` in every problem and the rules applied."""

    rules_applied: list[str] = field(default_factory=list)

    def summary(self, limit: int = 15) -> str:
        """Counts per table, every problem by file (``limit`` lines per file and rule), the decision."""
        head = "Returns ingest (CIN census, SSDA903, supplement)"
        if self.extract_date is not None:
            head += f", extract date {self.extract_date:%Y-%m-%d}"
        if self.synthetic:
            head += " (SYNTHETIC data)"
        lines = [head]
        for name, c in self.counts.items():
            if not c["read"]:
                continue
            share = c["rejected"] / c["read"]
            lines.append(f"{name}: {c['read']:,} read, {c['valid']:,} valid, {c['rejected']:,} rejected ({share:.2%})")
        rows = sum(c["read"] for c in self.counts.values())
        lines.append(f"{rows:,} rows validated against {len(self.rules_applied)} rules: "
                     f"{', '.join(self.rules_applied)}")
        for severity, title in ((ERROR, "Errors"), (WARNING, "Warnings")):
            part = self.problems[self.problems["severity"] == severity]
            if len(part):
                lines += ["", f"{title} ({len(part):,}):"]
                by_file = part.assign(file=part["file"].fillna("(whole extract)")).groupby("file", sort=False)
                for file, in_file in by_file:
                    lines.append(f"  {file}")
                    for rule, of_rule in in_file.groupby("rule", sort=False):
                        lines += ["    " + describe(p) for p in of_rule.head(limit).itertuples(index=False)]
                        if len(of_rule) > limit:
                            lines.append(f"    ... and {len(of_rule) - limit:,} more [{rule}], see "
                                         "returns/quarantine/problems.csv")
        lines += ["", self.decision]
        if self.data_dir is not None:
            lines.append(f"Rejected rows and their reasons: {io.returns_dir(self.data_dir) / 'quarantine'}")
        return "\n".join(lines)


def describe(p) -> str:
    """One problem as a line: ``line 412, Child[3]/CINdetails[1], CINclosureDate = '2016-01-01' [8630]: ...``."""
    where = []
    if not pd.isna(p.row):
        where.append(f"{'line' if not pd.isna(p.element) else 'row'} {int(p.row)}")
    if not pd.isna(p.element):
        where.append(str(p.element))
    if not pd.isna(p.column):
        where.append(f"{p.column}" + ("" if pd.isna(p.value) else f" = '{p.value}'"))
    return (", ".join(where) + " " if where else "") + f"[{p.rule}]: {p.message}"


# -- reading -------------------------------------------------------------------------------------------------
def _file_problem(file, table, rule, message, severity=ERROR, element=None, row=None, column=None) -> pd.DataFrame:
    return pd.DataFrame({"file": [file], "table": [table], "pos": pd.array([pd.NA], dtype="Int64"),
                         "row": pd.array([row], dtype="Int64"), "element": [element], "column": [column],
                         "rule": [rule], "severity": [severity], "value": [None], "message": [message]})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ["pos", *PROBLEM_COLUMNS]})
    return pd.concat(frames, ignore_index=True)


def expand(paths: list[Path]) -> list[Path]:
    """Files to read: folders become the supported files inside them (sorted), each file once."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES
                            and not p.name.startswith((".", "~$")))
        else:
            files.append(path)
    seen, out = set(), []
    for f in files:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            out.append(f)
    return out


def assign_table(name: str, columns: list[str]) -> str | None:
    """The table a CSV file or sheet holds: by its name (contract names and the DfE's 903 names),
    else by having exactly the columns of a table.

    Examples
    --------
    >>> assign_table("Episodes", []), assign_table("kent_903_header_2016", [])
    ('ssda903_episodes', 'ssda903_header')
    >>> assign_table("export", ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"])
    'ssda903_missing'
    """
    low = name.lower().replace("-", "_").replace(" ", "_")
    for table in sorted(TABLES, key=len, reverse=True):
        if table in low:
            return table
    for alias in sorted(ALIASES, key=len, reverse=True):
        if low == alias or low.endswith("_" + alias) or low.startswith(alias + "_") or f"_{alias}_" in low:
            return ALIASES[alias]
    for table, spec in TABLES.items():
        if set(columns) == set(spec.column_names) or set(columns) == {c.name for c in spec.columns if c.required}:
            return table
    return None


def _read(files: list[Path], labels: dict[Path, str]) -> tuple[dict[str, list[pd.DataFrame]], list[pd.DataFrame]]:
    parts: dict[str, list[pd.DataFrame]] = {n: [] for n in TABLES}
    problems: list[pd.DataFrame] = []
    for path in files:
        label = labels[path]
        kind = SUFFIXES.get(path.suffix.lower())
        if kind is None:
            problems.append(_file_problem(label, None, "unreadable", f"unsupported file type {path.suffix!r}: use the "
                                          "DfE XML, CSV, Excel or Parquet"))
            continue
        if kind == "xml":
            try:
                root = rxml.parse(io.read_bytes(path), label)
            except (OSError, rxml.XmlReturnError) as exc:
                problems.append(_file_problem(label, None, "unreadable", str(exc)))
                continue
            which = rxml.kind_of(root)
            if which is None:
                problems.append(_file_problem(label, None, "not_a_return", f"root element <{rxml._local(root.tag)}> is "
                                              "neither a CIN census (Message with Header and Children) nor an "
                                              f"SSDA903 ({', '.join(rxml.SSDA903_ROOTS)} of CHILD elements)",
                                              row=root.sourceline, element=rxml._local(root.tag)))
                continue
            schema = rxml.CIN_SCHEMA if which == "cin" else rxml.SSDA903_SCHEMA
            for sp in rxml.check_structure(root, schema):
                problems.append(_file_problem(label, None, "schema", f"{RETURN_NAMES[which]} schema: {sp.message}",
                                              element=sp.path, row=sp.line))
            frames = rxml.cin_tables(root) if which == "cin" else rxml.ssda903_tables(root)
            for table, frame in frames.items():
                if len(frame):
                    parts[table].append(frame.assign(_file=label))
            continue
        try:
            frames = read_tables(path)
        except io.ExtractFileError as exc:
            problems.append(_file_problem(label, None, "unreadable", str(exc)))
            continue
        for name, frame in frames.items():
            sheet_label = f"{label}[{name}]" if kind == "excel" else label
            table = assign_table(name if kind == "excel" and len(frames) > 1 else path.stem, list(frame.columns))
            if table is None:
                if frame.empty:
                    continue
                problems.append(_file_problem(sheet_label, None, "unknown_table", "cannot tell which table this holds: "
                                              "name it after a table of the returns contract (see `ehps "
                                              "dictionary --returns`) or give it exactly that table's columns"))
                continue
            parts[table].append(frame.assign(_file=sheet_label, _row=frame.index.to_numpy(), _element=pd.NA))
    return parts, problems


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read a CSV, Parquet or Excel file of a return's tables as text, keeping every value as
    written (stripped, blanks missing), whatever its encoding (:func:`ehps_lib.data.io.read_grid`).

    Returns a mapping from a name (the file stem; for Excel each sheet's name) to a DataFrame of
    strings under the file's first non-blank row, its header. The index is the row number as a
    person sees it in the file (the header on row 1: the first record is row 2; for Parquet the
    first record is row 1); blank rows are skipped.

    Raises
    ------
    ExtractFileError
        When the file cannot be read, or a column header appears more than once (naming the file).
    """
    out = {}
    for grid in io.read_grid(path):
        cells = grid.cells
        filled = cells.notna().any(axis=1)
        if not filled.any():
            out[grid.name] = pd.DataFrame(index=pd.Index([], name="row"), dtype="string")
            continue
        header_row = cells.index[filled][0]
        header = cells.loc[header_row]
        body = cells[(cells.index > header_row) & filled]
        keep = [c for c in cells.columns if pd.notna(header[c]) or body[c].notna().any()]
        names = [str(header[c]).strip() if pd.notna(header[c]) else f"(column {c + 1}, no name)" for c in keep]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise io.ExtractFileError(f"{path}: column header(s) {repeated} appear more than once")
        frame = body[keep].astype("string")
        frame.columns = names
        out[grid.name] = frame
    return out


def _stack(name: str, frames: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Stack a table's files: the text (contract columns, ``_file``, ``_row``, ``_element``), the
    reason a row's whole file was rejected (missing required column), and the column problems."""
    spec = TABLES[name]
    problems, texts, structural = [], [], []
    for frame in frames:
        label = frame["_file"].iloc[0] if len(frame) else "?"
        present = [c for c in frame.columns if not c.startswith("_")]
        missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
        for c in missing:
            problems.append(_file_problem(label, name, "missing_column", f"required column '{c}' is missing: all "
                                          f"{len(frame):,} rows of this file are rejected", column=c))
        for c in present:
            if c not in spec.column_names:
                problems.append(_file_problem(label, name, "unknown_column", f"column '{c}' is not in the {name} "
                                              "contract: ignored", WARNING, column=c))
        for c in spec.columns:
            if c.name not in frame.columns:
                frame = frame.assign(**{c.name: pd.Series(pd.NA, index=frame.index, dtype="string")})
        texts.append(frame[[*spec.column_names, "_file", "_row", "_element"]])
        reason = f"required column(s) {', '.join(missing)} missing from the file" if missing else pd.NA
        structural.append(pd.Series(reason, index=frame.index, dtype="string"))
    if texts:
        text = pd.concat(texts, ignore_index=True)
        reasons = pd.concat(structural, ignore_index=True)
    else:
        text = pd.DataFrame({c: pd.Series(dtype="string") for c in [*spec.column_names, "_file", "_element"]})
        text["_row"] = pd.Series(dtype="Int64")
        reasons = pd.Series(dtype="string")
    for c in spec.column_names:  # values are stripped, blanks missing, as read_tables and xml leave them
        text[c] = text[c].astype("string")
        if spec.column(c).kind == "code":
            text[c] = text[c].str.upper()
    return text, reasons, _concat(problems)


def parse_value(text: pd.Series, kind: str) -> pd.Series:
    """Text to the contract type; what cannot be read becomes null.

    Examples
    --------
    >>> parse_value(pd.Series(["3", "2.0", "x", None], dtype="string"), "int").tolist()
    [3, 2, <NA>, <NA>]
    >>> parse_value(pd.Series(["12.5", "n/a"], dtype="string"), "number").tolist()
    [12.5, <NA>]
    """
    if kind in ("int", "number"):
        numbers = pd.to_numeric(text, errors="coerce")
        if kind == "int":
            whole = numbers.notna() & (numbers == np.floor(numbers))
            return numbers.where(whole).astype("Int64")
        return numbers.astype("Float64")
    out = parse_column(text, kind)
    return out.astype("datetime64[ns]") if kind in ("date", "month") else out


def _row_problems(table: str, pos, column, rule, message, severity=ERROR) -> pd.DataFrame:
    return rules.problems(table, pos, column, rule, message, severity)


def _types(name: str, text: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    typed, problems = {}, []
    for c in TABLES[name].columns:
        value = parse_value(text[c.name], c.kind)
        typed[c.name] = value
        bad = text[c.name].notna() & value.isna()
        if bad.any():
            problems.append(_row_problems(name, text.index[bad], c.name, "type", TYPE_MESSAGES.get(c.kind, "invalid")))
    frame = pd.DataFrame(typed, index=text.index)
    return frame, _concat(problems)


def _schema(name: str, typed: pd.DataFrame, known: set[tuple[int, str]], stamp) -> pd.DataFrame:
    if typed.empty:
        return _concat([])
    schema = table_schema(name, stamp)
    try:
        schema.validate(typed, lazy=True)
        return _concat([])
    except pandera.errors.SchemaErrors as err:
        fc = err.failure_cases
    fc = fc[(fc["schema_context"] == "Column") & (fc["check"].astype(str) != "field_uniqueness")]
    index = pd.to_numeric(fc["index"], errors="coerce")
    fc = fc[index.notna()].assign(pos=index[index.notna()].astype("int64"))
    out = []
    for (column, check, number), group in fc.groupby(["column", fc["check"].astype(str),
                                                      fc["check_number"].astype(str)], sort=False):
        if check == "not_nullable":
            pos = [p for p in group["pos"] if (p, column) not in known]
            out.append(_row_problems(name, pos, column, "not_null", "a value is required"))
            continue
        chk = schema.columns[column].checks[int(float(number))] if number not in ("None", "nan") else None
        rule = {"isin": "code", "str_matches": "format", "greater_than_or_equal_to": "range",
                "less_than_or_equal_to": "date_after_extract"}.get(getattr(chk, "name", ""), check)
        if rule == "range" and TABLES[name].column(column).kind in ("date", "month"):
            rule = "date_range"
        out.append(_row_problems(name, group["pos"], column, rule, getattr(chk, "error", None) or check))
    return _concat(out)


def join_keys(frame: pd.DataFrame, keys) -> pd.Series:
    """The key columns of each row joined with ``|`` (vectorised; blank for a missing value).

    Examples
    --------
    >>> join_keys(pd.DataFrame({"a": ["x", None], "b": ["1", "2"]}), ["a", "b"]).tolist()
    ['x|1', '|2']
    """
    keys = list(keys)
    out = frame[keys[0]].astype("string").fillna("")
    for k in keys[1:]:
        out = out + "|" + frame[k].astype("string").fillna("")
    return out


def _unique(name: str, text: pd.DataFrame, structural: pd.Series) -> pd.DataFrame:
    keys = TABLES[name].keys
    if not keys or not len(text):
        return _concat([])
    joined = join_keys(text, keys)
    joined = joined.where(text[list(keys)].notna().all(axis=1))
    first = find_duplicates(joined)
    first = first[structural.reindex(first.index).isna()]
    where = text.loc[first.to_numpy(), ["_row", "_file"]].astype("string")
    message = ("repeats the " + "+".join(keys) + " of row " + where["_row"].to_numpy() + " of "
               + where["_file"].to_numpy())
    rule = "8510" if name == "cin_child" else "unique"
    return _row_problems(name, first.index, keys[-1], rule, pd.Series(message, dtype="string"))


def _extract_date(given, typed, manifests) -> tuple[dt.date | None, list[pd.DataFrame]]:
    if given is not None:
        return given, []
    ref = typed["cin_header"]["ReferenceDate"].dropna() if "cin_header" in typed else pd.Series(dtype="datetime64[ns]")
    if len(ref):
        if ref.nunique() > 1:
            return max(ref).date(), [_file_problem(None, "cin_header", "extract_date", "the CIN headers give different "
                                                   "reference dates; the latest is used", WARNING)]
        return ref.iloc[0].date(), []
    dates = [dt.date.fromisoformat(str(m["extract_date"])) for m in manifests if m.get("extract_date")]
    if dates:
        return max(dates), []
    latest = [f[c].max() for f in typed.values() for c in f.columns if pd.api.types.is_datetime64_any_dtype(f[c])]
    latest = [d for d in latest if pd.notna(d)]
    if not latest:
        return None, []
    date = max(latest).date()
    return date, [_file_problem(None, None, "extract_date", f"no extract date (argument, CIN ReferenceDate or "
                                f"extract.json): using the latest date in the data, {date:%Y-%m-%d}", WARNING)]


def _manifests(paths, files) -> list[dict]:
    folders = {p if p.is_dir() else p.parent for p in map(Path, paths)} | {f.parent for f in files}
    out = []
    for folder in sorted(folders):
        path = folder / io.EXTRACT_MANIFEST
        if path.is_file():
            try:
                out.append(io.read_json(path))
            except ValueError:
                continue
    return out


# -- cascade -------------------------------------------------------------------------------------------------
def _cascade(typed, valid, text) -> list[pd.DataFrame]:
    """Reject rows whose parent row is not valid, until nothing changes."""
    found = []
    changed = True
    while changed:
        changed = False
        for name, spec in TABLES.items():
            if spec.parent is None or not valid[name].any():
                continue
            parent, keys = spec.parent
            ok_parent = typed[parent][valid[parent]]
            have = pd.MultiIndex.from_frame(ok_parent[list(keys)].astype("string"))
            rows = typed[name][valid[name]]
            mine = pd.MultiIndex.from_frame(rows[list(keys)].astype("string"))
            orphan = ~mine.isin(have)
            if not orphan.any():
                continue
            gone = text[parent][~valid[parent]]
            where = gone.assign(_k=join_keys(gone, keys)).drop_duplicates("_k").set_index("_k")
            ks = join_keys(rows, keys)[orphan]
            hit = where.reindex(ks.to_numpy())
            rejected_text = ("its " + parent + " row (" + "+".join(keys) + " " + ks.to_numpy() + ") was rejected: "
                             + np.where(hit["_element"].notna(), "line " + hit["_row"].astype("string").fillna("?")
                                        .to_numpy() + " " + hit["_element"].astype("string").fillna("").to_numpy(),
                                        "row " + hit["_row"].astype("string").fillna("?").to_numpy()) + " of "
                             + hit["_file"].astype("string").fillna("?").to_numpy())
            message = np.where(hit["_file"].notna().to_numpy(), rejected_text,
                               "no " + parent + " row with " + "+".join(keys) + " " + ks.to_numpy())
            p = _row_problems(name, rows.index[orphan], keys[0], "parent", pd.Series(message, dtype="string"))
            found.append(p)
            valid[name].loc[rows.index[orphan]] = False
            changed = True
    return found


# -- the whole flow ---------------------------------------------------------------------------------------------
def ingest_returns(paths: list[Path], *, data_dir: Path, max_reject_share: float = 0.05,
                   extract_date: dt.date | None = None) -> ReturnsIngestResult:
    """Validate the returns and the supplement, quarantine what is wrong, publish the rest if little is.

    Parameters
    ----------
    paths
        Files (XML, CSV, Excel, Parquet) and/or folders of them.
    data_dir
        The data folder: ``returns/quarantine`` and ``returns/processed`` are written in it.
    max_reject_share
        Publish only when no table rejects more than this share of its rows.
    extract_date
        The date the extract was taken; default the CIN header's ``ReferenceDate``.

    Returns
    -------
    ReturnsIngestResult
    """
    data_dir = Path(data_dir)
    files = expand(list(paths))
    names = pd.Series([f.name for f in files])
    clash = set(names[names.duplicated(keep=False)])
    labels = {f: str(f) if f.name in clash else f.name for f in files}
    parts, problems = _read(files, labels)

    text, structural, typed = {}, {}, {}
    for name in TABLES:
        text[name], structural[name], found = _stack(name, parts[name])
        problems.append(found)
        typed[name], found = _types(name, text[name])
        problems.append(found)
        if name in REQUIRED_TABLES and not parts[name]:
            problems.append(_file_problem(None, name, "missing_table", f"no file holds the {name} table "
                                          f"({TABLES[name].description})"))

    manifests = _manifests(paths, files)
    extract_date, found = _extract_date(extract_date, typed, manifests)
    problems += found
    stamp = pd.Timestamp(extract_date) if extract_date else None
    synthetic = any(str(m.get("synthetic")).lower() in ("true", "1", "yes") for m in manifests) or any(
        t[c].astype("string").str.startswith("SYN").any() for t in text.values() for c in ("LAchildID", "CHILD")
        if c in t and len(t))

    # contract and uniqueness, per table
    for name in TABLES:
        so_far = _concat(problems)
        mine = so_far[(so_far["table"] == name) & so_far["pos"].notna()]
        known = set(zip(mine["pos"].astype("int64"), mine["column"].astype(str), strict=True))
        problems.append(_schema(name, typed[name], known, stamp))
        problems.append(_unique(name, text[name], structural[name]))

    def valid_now() -> dict[str, pd.Series]:
        so_far = _concat(problems)
        errors = so_far[(so_far["severity"] == ERROR) & so_far["pos"].notna()]
        out = {}
        for name in TABLES:
            v = pd.Series(structural[name].isna().to_numpy(), index=text[name].index)
            v.loc[errors.loc[errors["table"] == name, "pos"].astype("int64").unique()] = False
            out[name] = v
        return out

    valid = valid_now()
    valid_typed = {n: typed[n][valid[n]] for n in TABLES}
    ctx = rules.Context(extract_date=stamp if stamp is not None else pd.Timestamp.today().normalize())
    applied = []
    for rule in rules.RULES:
        if not any(len(text[t]) for t in rule.tables):
            continue
        applied.append(rule.code)
        problems.append(rule.check(valid_typed, ctx))
    valid = valid_now()
    problems += _cascade(typed, valid, text)

    problems_df = _finish(_concat(problems), text)
    tables, rejected, counts = {}, {}, {}
    for name in TABLES:
        keep = valid[name]
        frame = typed[name][keep.reindex(typed[name].index, fill_value=False)].reset_index(drop=True)
        tables[name] = frame if len(frame) else empty_table(name)
        rejected[name] = _rejected(text[name], ~keep, structural[name], problems_df, name)
        counts[name] = {"read": len(text[name]), "valid": int(keep.sum()), "rejected": int((~keep).sum())}

    blockers = _blockers(problems_df, counts, max_reject_share)
    quarantine = io.returns_dir(data_dir) / "quarantine"
    for name in TABLES:
        if counts[name]["read"]:
            io.write_csv(rejected[name], quarantine / f"{name}.csv")
    io.write_csv(problems_df, quarantine / "problems.csv")
    processed = io.returns_processed_dir(data_dir)
    manifest = None
    if not blockers:
        manifest = {"synthetic": bool(synthetic), "extract_date": extract_date.isoformat() if extract_date else None,
                    "ingested_at": _now(), "ehps_lib_version": __version__, "rules_applied": applied,
                    "sources": [{"path": str(f), "sha256": io.sha256_file(f), "table_files": labels[f]} for f in files],
                    "tables": {n: {"rows": len(t)} for n, t in tables.items()},
                    "counts": counts}
        _publish(tables, manifest, processed)
        decision = f"Published to {processed}"
    else:
        kept = f"{processed} left as it was" if processed.exists() else "nothing was written"
        decision = f"NOT published: {'; '.join(blockers)} ({kept})"
    return ReturnsIngestResult(tables=tables, problems=problems_df, rejected=rejected, counts=counts,
                               published=not blockers, synthetic=synthetic, extract_date=extract_date,
                               decision=decision, data_dir=data_dir, manifest=manifest, rules_applied=applied)


def _now() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.isoformat(timespec="seconds")


def _finish(problems: pd.DataFrame, text: dict[str, pd.DataFrame]) -> pd.DataFrame:
    out = problems.reset_index(drop=True).copy()
    for col in ("file", "element", "value", "row"):
        if col not in out:
            out[col] = None
        out[col] = out[col].astype("object")
    for name, frame in text.items():
        mask = (out["table"] == name) & out["pos"].notna()
        if not mask.any():
            continue
        pos = out.loc[mask, "pos"].astype("int64").to_numpy()
        out.loc[mask, "file"] = frame["_file"].to_numpy()[pos]
        out.loc[mask, "row"] = frame["_row"].astype("Int64").to_numpy()[pos]
        out.loc[mask, "element"] = frame["_element"].to_numpy()[pos]
        for column in out.loc[mask, "column"].dropna().unique():
            m = mask & (out["column"] == column)
            if column in frame:
                out.loc[m, "value"] = frame[column].to_numpy()[out.loc[m, "pos"].astype("int64").to_numpy()]
    order = {t: i for i, t in enumerate(TABLES)}
    out["_t"] = out["table"].map(order).fillna(-1)
    out["_seq"] = np.arange(len(out))
    out = out.sort_values(["_t", "file", "row", "_seq"], na_position="first", kind="stable")
    out = out[PROBLEM_COLUMNS].reset_index(drop=True)
    out["row"] = pd.array(out["row"].tolist(), dtype="Int64")
    for col in ("file", "table", "element", "column", "rule", "severity", "value", "message"):
        out[col] = out[col].astype("string")
    return out


def _rejected(text, rejected, structural, problems, table) -> pd.DataFrame:
    rows = text[rejected.reindex(text.index, fill_value=False)]
    if rows.empty:
        return rows.assign(_reasons=pd.Series(dtype="string"))
    mine = problems[(problems["table"] == table) & problems["row"].notna() & (problems["severity"] == ERROR)]
    reason = (mine["column"].fillna("") + (" = '" + mine["value"] + "'").fillna("") + " [" + mine["rule"] + "]: "
              + mine["message"])
    by_row = reason.groupby([mine["file"], mine["row"]], sort=False).agg("; ".join)
    where = pd.MultiIndex.from_arrays([rows["_file"].astype(str), rows["_row"].astype("Int64")])
    row_reasons = pd.Series(by_row.reindex(where).to_numpy(), index=rows.index, dtype="string")
    reasons = structural.reindex(rows.index).astype("string").fillna(row_reasons)
    return rows.assign(_reasons=reasons).reset_index(drop=True)


def _blockers(problems: pd.DataFrame, counts, limit: float) -> list[str]:
    out = []
    blocking = problems[(problems["severity"] == ERROR) & problems["rule"].isin(BLOCKING_RULES)]
    for rule, group in blocking.groupby("rule", sort=False):
        if rule == "missing_table":
            out.append("no file for " + ", ".join(group["table"]))
        elif rule == "schema":
            out.append(f"{len(group)} schema violation(s) in {', '.join(dict.fromkeys(group['file']))}")
        else:
            out.append(f"{len(group)} file(s) could not be read as a return ({', '.join(group['file'])})")
    for name, c in counts.items():
        share = c["rejected"] / c["read"] if c["read"] else 0.0
        if share > limit:
            out.append(f"{share:.1%} of {name} rejected, above the limit of {limit:.1%}")
    return out


def _publish(tables: dict[str, pd.DataFrame], manifest: dict, processed: Path) -> None:
    staging = io.staging_dir(processed)
    try:
        for name, frame in tables.items():
            io.write_parquet(frame, staging / f"{name}.parquet")
        io.write_json(manifest, staging / io.PROCESSED_MANIFEST)
        io.replace_dir(staging, processed)
    except BaseException:
        io.remove_tree(staging)
        raise


__all__ = ["ReturnsIngestResult", "ingest_returns", "assign_table", "parse_value", "expand", "describe",
           "PROBLEM_COLUMNS"]
