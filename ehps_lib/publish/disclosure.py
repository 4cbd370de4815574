"""Disclosure and privacy scan of a published site: the last check before anything is published.

``ehps check-disclosure site/`` reads every published HTML page, PDF, CSV and search index
(Quarto's ``search.json``) and reports:

* **small counts** (rule ``small_count``): a count from 1 to the threshold (4) that was not
  suppressed. In HTML tables a cell is a count when its column header or its row header says
  it counts something (notifications, cases, children, "number", "num", ...) and neither
  says it is a rate, percentage, average, rank, change, decile or period. In prose, a small
  number directly before a counted noun ("3 notifications"). In CSV files, the ``numerator``
  and ``denominator`` columns and any column named as a count. A PDF's counts are checked
  through the HTML page it is rendered from (same name, same folder: its text runs table
  cells together, so it cannot be read as a table), and a PDF without one is reported (rule
  ``pdf_without_html``);
* **child identifiers** (rule ``child_identifier``): any token equal to a child, notification
  or case identifier (pseudonym) of the extract, anywhere, including alt text and links;
* **birth dates** (rule ``birth_date``): a column about birth, or a child's birth month that
  lies before the first month any paper reports on (no paper has a reason to print one).

Findings name the file and where in it (table caption, row and column; page; line).
The build runs the scan on the staged site and refuses to publish on any finding.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

COUNT_WORDS = re.compile(
    r"\b(number|count|counts|num|denom|numerator|denominator|notifications?|cases?|children|child|"
    r"referrals?|closures?|closed|open|step[- ]?ups?|step[- ]?downs?|episodes|young people|families|"
    r"conceptions|contacts|assessments)\b", re.IGNORECASE)
NOT_COUNT_WORDS = re.compile(
    r"(%|\bper\b|rate|percentage|percent|share|proportion|average|mean|weeks|days|rank|change|decile|"
    r"\bid\b|page|lsoa|neighbourhood|target|floor|interval|limit|ratio|"
    r"polarity|rag|direction|movement|comparison|value|result)", re.IGNORECASE)
PROSE_COUNT = re.compile(
    r"(?<![\d.,£-])\b([1-9])\s+(notifications?|cases?|children|child|referrals?|closures?|step-ups?|"
    r"step-downs?|young people|families|episodes)\b", re.IGNORECASE)
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,}")
MONTH_TOKEN = re.compile(r"\b(19|20)\d{2}-(0[1-9]|1[0-2])\b")
BIRTH_WORDS = re.compile(r"\b(birth|dob|born)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    file: str
    where: str
    rule: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: [{self.rule}] {self.message} ({self.value!r})"


@dataclass
class Secrets:
    """What must never appear: identifiers and birth months of the extract's children."""

    identifiers: frozenset[str] = frozenset()
    birth_months: frozenset[str] = frozenset()
    first_reported_month: str = "0000-00"

    @classmethod
    def from_tables(cls, tables: dict, first_reported_month: str) -> Secrets:
        ids: set[str] = set()
        for name, column in (("children", "child_id"), ("notifications", "notification_id"), ("cases", "case_id")):
            if name in tables and column in tables[name]:
                ids.update(str(v) for v in tables[name][column].dropna().unique())
        months = set()
        if "children" in tables and "birth_month" in tables["children"]:
            births = tables["children"]["birth_month"].dropna()
            months = {f"{d:%Y-%m}" for d in births.drop_duplicates()}
        return cls(frozenset(ids), frozenset(months), first_reported_month)

    @classmethod
    def from_returns(cls, tables: dict, first_reported_month: str) -> Secrets:
        """The statutory returns' secrets: child identifiers (CIN census, SSDA903, supplement), UPNs
        and birth months (``first_reported_month``: the first month an SCS paper reports)."""
        ids: set[str] = set()
        for name, column in (("cin_child", "LAchildID"), ("cin_child", "UPN"), ("cin_child", "FormerUPN"),
                             ("ssda903_header", "CHILD"), ("ssda903_header", "UPN"), ("allocations", "child_id"),
                             ("private_fostering", "arrangement_id")):
            if name in tables and column in tables[name]:
                ids.update(str(v) for v in tables[name][column].dropna().unique())
        months: set[str] = set()
        for name, column in (("cin_child", "PersonBirthDate"), ("ssda903_header", "DOB")):
            if name in tables and column in tables[name]:
                months |= {f"{d:%Y-%m}" for d in tables[name][column].dropna().drop_duplicates()}
        return cls(frozenset(ids), frozenset(months), first_reported_month)

    @classmethod
    def combine(cls, parts: list[Secrets]) -> Secrets:
        """Everything any part must keep secret; the earliest first reported month."""
        if not parts:
            return cls()
        return cls(frozenset().union(*(p.identifiers for p in parts)),
                   frozenset().union(*(p.birth_months for p in parts)),
                   min(p.first_reported_month for p in parts))


def _small(text: str, threshold: int) -> bool:
    t = text.strip().replace(",", "")
    return t.isdigit() and 1 <= int(t) <= threshold


def _is_count_label(label: str) -> bool:
    return bool(COUNT_WORDS.search(label)) and not NOT_COUNT_WORDS.search(label)


def _secret_findings(file: str, where: str, text: str, secrets: Secrets) -> list[Finding]:
    out = []
    if secrets.identifiers:
        for token in set(TOKEN.findall(text)):
            if token in secrets.identifiers:
                out.append(Finding(file, where, "child_identifier", token,
                                   "a child, notification or case identifier from the extract"))
    for m in {x.group(0) for x in MONTH_TOKEN.finditer(text)}:
        if m in secrets.birth_months and m < secrets.first_reported_month:
            out.append(Finding(file, where, "birth_date", m, "a child's birth month from the extract"))
    return out


def _prose_findings(file: str, where: str, text: str, threshold: int) -> list[Finding]:
    return [Finding(file, where, "small_count", m.group(0), f"a count from 1 to {threshold} in text")
            for m in PROSE_COUNT.finditer(text) if int(m.group(1)) <= threshold]


# -- HTML -------------------------------------------------------------------------------------------
def scan_html(path: Path, secrets: Secrets, threshold: int = 4, name: str | None = None) -> list[Finding]:
    from bs4 import BeautifulSoup

    file = name or str(path)
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    findings: list[Finding] = []
    for t_index, table in enumerate(soup.find_all("table"), start=1):
        caption = table.find("caption")
        label = f"table {t_index}" + (f" '{caption.get_text(' ', strip=True)[:60]}'" if caption else "")
        rows = table.find_all("tr")
        header_cells = rows[0].find_all(["th", "td"]) if rows else []
        headers = [c.get_text(" ", strip=True) for c in header_cells]
        for r_index, row in enumerate(rows[1:], start=2):
            cells = row.find_all(["th", "td"])
            row_head = cells[0].get_text(" ", strip=True) if cells else ""
            for c_index, cell in enumerate(cells):
                text = cell.get_text(" ", strip=True)
                marked = cell.has_attr("data-ehps-count")
                col_head = headers[c_index] if c_index < len(headers) else ""
                if c_index == 0 and cell.name == "th":
                    continue
                counted = marked or (
                    (_is_count_label(col_head) or _is_count_label(row_head))
                    and not NOT_COUNT_WORDS.search(col_head) and not NOT_COUNT_WORDS.search(row_head))
                first = text.split(" ")[0] if text else ""
                if counted and _small(first, threshold):
                    findings.append(Finding(file, f"{label}, row {r_index} '{row_head[:40]}', column "
                                            f"'{col_head[:40]}'", "small_count", text,
                                            f"an unsuppressed count from 1 to {threshold}"))
        table.decompose()  # its text is scanned below without the table cells
    text = soup.get_text(" ", strip=True)
    findings += _prose_findings(file, "text", text, threshold)
    attrs = " ".join(str(v) for tag in soup.find_all(True) for k, v in tag.attrs.items()
                     if k in ("alt", "title", "aria-label", "href", "src") and not str(v).startswith("data:"))
    findings += _secret_findings(file, "text", text + " " + attrs, secrets)
    return findings


# -- CSV --------------------------------------------------------------------------------------------
PERIOD_COLUMN = re.compile(r"period|month|date|start|year", re.IGNORECASE)


def scan_csv(path: Path, secrets: Secrets, threshold: int = 4, name: str | None = None) -> list[Finding]:
    file = name or str(path)
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    findings: list[Finding] = []
    for h in header:
        if BIRTH_WORDS.search(h.replace("_", " ")):
            findings.append(Finding(file, f"column '{h}'", "birth_date", h, "a column about birth"))
    count_cols = [i for i, h in enumerate(header)
                  if h.lower() in ("numerator", "denominator", "count") or _is_count_label(h.replace("_", " "))]
    # Populations are never this small, so a small value in these columns is a count.
    for r_index, row in enumerate(body, start=2):
        for i in count_cols:
            if i < len(row) and _small_number(row[i], threshold):
                findings.append(Finding(file, f"row {r_index}, column '{header[i]}'", "small_count", row[i],
                                        f"an unsuppressed count from 1 to {threshold}"))
    # A paper's figures file (one number a line): judged by its row and column headings, as in HTML.
    if {"row", "column", "value"} <= set(header):
        ri, ci, vi = header.index("row"), header.index("column"), header.index("value")
        for r_index, row in enumerate(body, start=2):
            if max(ri, ci, vi) >= len(row):
                continue
            col, head = row[ci], row[ri]
            counted = ((_is_count_label(col) or _is_count_label(head))
                       and not NOT_COUNT_WORDS.search(col) and not NOT_COUNT_WORDS.search(head))
            if counted and _small_number(row[vi], threshold):
                findings.append(Finding(file, f"row {r_index} '{head[:40]}', column '{col[:40]}'", "small_count",
                                        row[vi], f"an unsuppressed count from 1 to {threshold}"))
    # Identifiers anywhere; birth months outside the columns that hold reporting periods.
    if secrets.identifiers and set(TOKEN.findall(text)) & secrets.identifiers:
        for r_index, row in enumerate(body, start=2):
            findings += [f for f in _secret_findings(file, f"row {r_index}", " ".join(row), secrets)
                         if f.rule == "child_identifier"]
    free_cols = [i for i, h in enumerate(header) if not PERIOD_COLUMN.search(h)]
    for r_index, row in enumerate(body, start=2):
        free = " ".join(row[i] for i in free_cols if i < len(row))
        if MONTH_TOKEN.search(free):
            findings += [f for f in _secret_findings(file, f"row {r_index}", free, Secrets(
                frozenset(), secrets.birth_months, secrets.first_reported_month))]
    return findings


def _small_number(text: str, threshold: int) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return number.is_integer() and 1 <= number <= threshold


# -- PDF --------------------------------------------------------------------------------------------
def scan_pdf(path: Path, secrets: Secrets, threshold: int = 4, name: str | None = None) -> list[Finding]:
    file = name or str(path)
    findings: list[Finding] = []
    if not path.with_suffix(".html").is_file():
        findings.append(Finding(file, "file", "pdf_without_html", path.name,
                                "a PDF with no HTML page of the same name, whose tables cannot be checked"))
    # A PDF's text runs table cells together ("3 Notifications received ..."), so its counts are
    # checked in the HTML page it is rendered from; identifiers and birth dates are checked here.
    for p_index, text in enumerate(pdf_pages_text(path), start=1):
        findings += _secret_findings(file, f"page {p_index}", text, secrets)
    return findings


def pdf_pages_text(path: Path) -> list[str]:
    """The text of each page: poppler's ``pdftotext`` when installed (fast), else pypdf."""
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
        pages = done.stdout.decode("utf-8", errors="replace").split("\f")
        return pages[:-1] if pages and not pages[-1].strip() else pages
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


# -- search index -------------------------------------------------------------------------------------
def scan_search_index(path: Path, secrets: Secrets, threshold: int = 4, name: str | None = None) -> list[Finding]:
    """A Quarto website's search index (``search.json``: every page's text, section by section),
    read as prose: it holds no tables, so small counts are caught where a counted noun follows
    them, and identifiers and birth months anywhere. Other JSON files (the build's manifest and
    papers catalogue) are not published text and are left alone."""
    import json

    file = name or str(path)
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return [Finding(file, "file", "unreadable", path.name, "a JSON file that could not be read")]
    if not (isinstance(entries, list) and all(isinstance(e, dict) for e in entries)
            and any("text" in e for e in entries)):
        return []
    findings: list[Finding] = []
    for i, entry in enumerate(entries, start=1):
        where = f"entry {i} ({str(entry.get('href', ''))[:80]})"
        text = " ".join(str(entry.get(k, "")) for k in ("title", "section", "text", "crumbs"))
        findings += _prose_findings(file, where, text, threshold)
        findings += _secret_findings(file, where, text + " " + str(entry.get("href", "")), secrets)
    return findings


SCANNERS = {".html": scan_html, ".htm": scan_html, ".csv": scan_csv, ".pdf": scan_pdf, ".json": scan_search_index}


def published_files(site: Path) -> Iterable[Path]:
    for path in sorted(Path(site).rglob("*")):
        if path.is_file() and path.suffix.lower() in SCANNERS:
            yield path


def scan_file(path: Path, secrets: Secrets, threshold: int = 4, root: Path | None = None) -> list[Finding]:
    name = str(path.relative_to(root)) if root else str(path)
    return SCANNERS[path.suffix.lower()](path, secrets, threshold, name)


def scan_site(site: Path, secrets: Secrets, threshold: int = 4) -> list[Finding]:
    """Every finding in every published HTML, PDF and CSV under ``site``."""
    site = Path(site)
    findings: list[Finding] = []
    for path in published_files(site):
        findings += scan_file(path, secrets, threshold, root=site)
    return findings


def format_findings(findings: list[Finding], limit: int = 50) -> str:
    if not findings:
        return "No disclosure findings."
    lines = [f"{len(findings)} disclosure finding(s):"]
    lines += [f"  {f}" for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"  ... and {len(findings) - limit} more")
    return "\n".join(lines)
