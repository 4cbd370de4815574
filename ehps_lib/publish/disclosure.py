"""Disclosure and privacy scan of a published site: it reads every file the way a reader would.

``ehps check-disclosure site/`` (and the build, before anything is published) reads every
file under the site, including Quarto's search index (``search.json``), and reports:

* **small counts** (rule ``small_count``): a count from 1 to the threshold (default 5, the
  DfE children-in-need rule; ``config.yml`` ``suppression.threshold``) that was not withheld.
  It is looked for in every channel a reader (or a screen reader, or a program) sees:

  - **tables** in HTML pages, including the data tables beside charts, and every **table
    CSV**. A cell is a count when the most specific heading that says anything decides so:
    its column heading (bottom row first), else its row heading, else the table's caption.
    A heading counts something when it names notifications, cases, children, step-ups, a
    "number", "count", numerator or denominator ...; it does not when it says rate, per,
    percentage, share, average, rank, change, decile, target, interval ... A cell marked
    ``data-ehps-count`` is always a count. A table CSV is also checked against the table it
    was made from (same folder, the page named before the area code): a CSV that differs
    from its table is reported (rule ``table_csv_differs``);
  - **figure and data CSVs**: the ``numerator``, ``denominator`` and ``count`` columns and any
    column named as a count;
  - **text**: the page's prose, its ``alt`` texts, ``aria-label``/``aria-description``/``title``
    attributes, the text inside SVG images (inline or as ``data:`` URIs), scripts, JSON and
    text files, and the text of every **PDF page**. In text, a count is a small number before
    a counted noun ("3 children", "3 more step-ups"), the same as a word ("three
    children", "a single child"), or a small whole number after a label and a colon
    ("Swale: 3", "Decile 2: 4", but not "Rank: 3" or "Decile: 3");
  - **PDFs** are also compared with the HTML page they are rendered from: a number printed
    in the PDF that the page does not show is reported (rule ``pdf_differs``), and so is a
    PDF without its page (rule ``pdf_without_html``);
* **child identifiers** (rule ``child_identifier``): any token equal to a child, notification
  or case identifier (pseudonym) of the extract, anywhere (text, attributes, links, files);
* **birth dates** (rule ``birth_date``): a column about birth, or a child's birth month that
  lies before the first month any paper reports on (no paper has a reason to print one);
* **unreadable files** (rule ``unreadable``): a file that cannot be read (a damaged PDF, a
  CSV that is not UTF-8, ...) is a finding, never a traceback; so is a file of a kind the
  scan cannot read (rule ``unscannable``), because what cannot be checked is not published.

Findings name the file and where in it (table caption, row and column; page; attribute).
The build scans every file of the new site, cached or freshly built, and refuses to publish
on any finding.
"""

from __future__ import annotations

import base64
import csv
import io as _io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..data import io
from .cache import Memo

#: Default threshold: the DfE children-in-need rule (counts from 1 to 5 are withheld).
DEFAULT_THRESHOLD = 5

COUNT_WORDS = re.compile(
    r"\b(number|count|counts|num|denom|numerator|denominator|notifications?|cases?|children|child|"
    r"referrals?|re-?notifications?|closures?|closed|open|step[- ]?ups?|step[- ]?downs?|episodes|young people|"
    r"families|conceptions|contacts|assessments|records|ehn|received|escalated)\b", re.IGNORECASE)
NOT_COUNT_WORDS = re.compile(
    r"(%|\bper\b|rate|percentage|percent|\bpct\b|share|proportion|average|mean|weeks|days|rank|change|decile|"
    r"quintile|"
    r"\bid\b|page|lsoa|neighbourhood|target|floor|interval|limit|ratio|polarity|direction|movement|"
    r"comparison|compared|population|aged 0-17|spc|reading|chi2|chi-square|statistic)", re.IGNORECASE)
#: Headings that decide nothing either way (a result can be a count or a percentage).
_NOUNS = (r"notifications?|re-?notifications?|cases?|children|child|referrals?|closures?|step-ups?|step ups?|"
          r"step-downs?|step downs?|young people|young persons?|families|family|episodes|boys|girls|pupils|babies|"
          r"people|persons?|individuals?|households?")
_BETWEEN = r"(?:(?:more|other|further|additional|new|separate|different|of the|of these)\s+)?"
PROSE_COUNT = re.compile(rf"(?<![\d.,£$+-])\b(\d[\d,]*)\s+{_BETWEEN}({_NOUNS})\b", re.IGNORECASE)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "single": 1, "a single": 1, "a couple of": 2,
                "a pair of": 2}
WORD_COUNT = re.compile(
    rf"\b({'|'.join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))})\s+{_BETWEEN}({_NOUNS})\b",
    re.IGNORECASE)
#: "Swale: 3", "Decile 2: 4": a small whole number after a label and a colon (not "1:" of a list,
#: not a decimal or a percentage, not "3 of 12").
LABEL_COUNT = re.compile(r"([A-Za-z0-9][^:;|\n]{0,60}?)\s*:\s*(\d+)(?![\d:%/])(?![.,]\d)"
                         r"(?!\s*(?:of|to|and)\s+(?:the\s+)?\d)"
                         r"(?!\s*(?:%|per\b|weeks|days|months|years|points|places))", re.IGNORECASE)
_LABEL_NOT_COUNT = re.compile(r"(\brank|\bdecile$|\bquintile$|\bpage\b|\bversion\b|\bstep$|\bpriority\b|"
                              r"\bid\b|\btable\b|\bfigure\b|\bappendix\b|\bparagraph\b|\bsection\b|\bweek\b|"
                              r"\bmonth\b|\byear\b|\bquarter\b|\bpolarity\b|\bclassification\b|\bpoint\b|"
                              r"\btarget\b|\bbandings?\b|\bfloor\b|\bminimum standard\b)\s*$",
                              re.IGNORECASE)
#: After "Label: 3", words saying the number counts indicators by their rating, not records.
_RATED = re.compile(r"\s+(green|amber|red|not rated|rated|indicators?|measures?)\b", re.IGNORECASE)
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,}")
MONTH_TOKEN = re.compile(r"\b(19|20)\d{2}-(0[1-9]|1[0-2])\b")
BIRTH_WORDS = re.compile(r"\b(birth|dob|born)\b", re.IGNORECASE)
#: A number as printed: 1,234 or 12.5 or 12.5% (used to compare a PDF with its page).
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?")
PAGE_NUMBER = re.compile(r"\bPage\s+\d+\s+of\s+\d+\b", re.IGNORECASE)
#: A caption's number as Typst (Quarto's PDF) prints it ("Table 2:", "Figure 3:"): a label, not a figure.
CAPTION_NUMBER = re.compile(r"\b(?:Table|Figure)\s+\d+\s*:")
#: The first token of a table cell, when it is a whole number ("3", "1,234", "3 (25.9%)").
CELL_NUMBER = re.compile(r"^\s*(\d[\d,]*)(?:\s*$|\s+\(|\s+[A-Za-z✔▲✖↑↓→▼])")
TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "aria-description", "aria-roledescription", "summary",
                   "placeholder", "content", "label", "data-label", "data-value", "value")
#: A blank line in a PDF page's text (``pdftotext``): the end of one block of text and the start of another.
PDF_BLOCK = re.compile(r"\n[ \t\f]*\n")
TABLE_CSV = re.compile(r"^(?P<stem>.+)-table-(?P<n>\d+)\.csv$")


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


# -- deciding what is a count ----------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def _decide(label: str) -> bool | None:
    """True when ``label`` names a count, False when it names something else, None when it says neither."""
    label = label.replace("_", " ")
    if NOT_COUNT_WORDS.search(label):
        return False
    if COUNT_WORDS.search(label):
        return True
    return None


def _is_count_label(label: str) -> bool:
    """Whether a heading names a count (and nothing that is not one)."""
    return _decide(label) is True


def _small_int(text: str, threshold: int) -> bool:
    t = text.strip().replace(",", "")
    return t.isdigit() and 1 <= int(t) <= threshold


def _cell_count(text: str, threshold: int) -> str | None:
    """The small whole number a table cell starts with, or None."""
    m = CELL_NUMBER.match(text + " ") if text else None
    if m and _small_int(m.group(1), threshold):
        return m.group(1)
    return None


# -- text -----------------------------------------------------------------------------------------------
def _secret_findings(file: str, where: str, text: str, secrets: Secrets) -> list[Finding]:
    out = []
    if secrets.identifiers:
        for token in sorted(set(TOKEN.findall(text))):
            if token in secrets.identifiers:
                out.append(Finding(file, where, "child_identifier", token,
                                   "a child, notification or case identifier from the extract"))
    for m in sorted({x.group(0) for x in MONTH_TOKEN.finditer(text)}):
        if m in secrets.birth_months and m < secrets.first_reported_month:
            out.append(Finding(file, where, "birth_date", m, "a child's birth month from the extract"))
    return out


def _prose_findings(file: str, where: str, text: str, threshold: int) -> list[Finding]:
    """Small counts written in text: "3 children", "three children", "Swale: 3"."""
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(span: tuple[int, int], value: str, what: str) -> None:
        if any(a < span[1] and span[0] < b for a, b in taken):
            return  # the same number, already reported by another rule
        taken.append(span)
        found.append(Finding(file, where, "small_count", value, f"a count from 1 to {threshold} {what}"))

    for m in PROSE_COUNT.finditer(text):
        if _small_int(m.group(1), threshold):
            add(m.span(1), m.group(0), "in text")
    for m in WORD_COUNT.finditer(text):
        if NUMBER_WORDS[m.group(1).lower()] <= threshold:
            add(m.span(1), m.group(0), "written as a word")
    for m in LABEL_COUNT.finditer(text):
        label, number = m.group(1).strip(), m.group(2)
        if not _small_int(number, threshold) or _LABEL_NOT_COUNT.search(label):
            continue  # "Rank: 3", "Decile: 3", "Page: 3" name a position, not a count
        if _RATED.match(text, m.end(2)):
            continue  # "RAG ratings for Kent, June 2016: 1 Green, 2 Amber": indicators, not children
        if label[-1:].isdigit() and text[m.start(2) - 1:m.start(2)] == ":":
            continue  # "10:05", "1:3": a time or a ratio
        add(m.span(2), f"{label[-30:]}: {number}", "after a label")
    return found


def text_findings(file: str, where: str, text: str, secrets: Secrets, threshold: int) -> list[Finding]:
    """Every finding in a piece of text a reader sees: small counts, identifiers, birth months."""
    return _prose_findings(file, where, text, threshold) + _secret_findings(file, where, text, secrets)


# -- tables ---------------------------------------------------------------------------------------------
@dataclass
class TableGrid:
    """A table as laid out on the page (row and column spans expanded), with what each cell is.

    ``csv_rows`` is the table as its CSV file writes it (column spans repeated, row spans not):
    ``csv_rows[r][j]`` sits at column ``csv_columns[r][j]`` of the laid-out grid.
    """

    label: str
    caption: str
    cells: list[list[str | None]]
    header_rows: int
    row_heads: list[str]
    marked: set[tuple[int, int]] = field(default_factory=set)
    csv_rows: list[list[str]] = field(default_factory=list)
    csv_columns: list[list[int]] = field(default_factory=list)
    #: the table as its published CSV states it (:func:`ehps_lib.publish.render.table_records`)
    tidy: list[list[str]] = field(default_factory=list)

    def column_heads(self, col: int) -> list[str]:
        """The headings over column ``col``, most specific (lowest) first."""
        out = []
        for r in range(self.header_rows - 1, -1, -1):
            row = self.cells[r]
            if col < len(row) and row[col] and row[col] not in out:
                out.append(row[col])
        return out

    def is_count(self, row: int, col: int) -> bool:
        if (row, col) in self.marked:
            return True
        for head in self.column_heads(col):
            decided = _decide(head)
            if decided is not None:
                return decided
        for label in (self.row_heads[row] if row < len(self.row_heads) else "", self.caption):
            decided = _decide(label)
            if decided is not None:
                return decided
        return False

    def where(self, row: int, col: int) -> str:
        heads = self.column_heads(col)
        row_head = self.row_heads[row] if row < len(self.row_heads) else ""
        return f"{self.label}, row {row + 1} '{row_head[:40]}', column '{(heads[0] if heads else '')[:40]}'"


def table_grid(table, index: int) -> TableGrid:
    """Lay out a BeautifulSoup ``<table>``; see :class:`TableGrid`."""
    caption_tag = table.find("caption")
    caption = caption_tag.get_text(" ", strip=True) if caption_tag else ""
    label = f"table {index}" + (f" '{caption[:60]}'" if caption else "")
    rows = table.find_all("tr")
    grid: list[list[str | None]] = []
    pending: dict[tuple[int, int], str] = {}
    marked: set[tuple[int, int]] = set()
    csv_rows: list[list[str]] = []
    csv_columns: list[list[int]] = []
    row_heads: list[str] = []
    header_rows = 0
    in_header = True
    # with a <thead>, its rows are the headings; a row of <th> in a <tbody> heads a group of rows
    # ("Outcome 1: ...", colspan), not the columns
    has_thead = table.find("thead") is not None
    for r, tr in enumerate(rows):
        line: list[str | None] = []
        csv_line: list[str] = []
        csv_cols: list[int] = []
        heads: list[str] = []
        col = 0
        cells = tr.find_all(["th", "td"])
        is_header = (tr.find_parent("thead") is not None) or (not has_thead and bool(cells) and r == header_rows
                                                               and in_header and all(c.name == "th" for c in cells))
        for cell in cells:
            while (r, col) in pending:
                line.append(pending.pop((r, col)))
                col += 1
            text = " ".join(cell.get_text(" ", strip=True).split())
            span = max(int(cell.get("colspan", 1) or 1), 1)
            down = max(int(cell.get("rowspan", 1) or 1), 1)
            if cell.name == "th" and not is_header:
                heads.append(text)
            for k in range(span):
                line.append(text)
                csv_line.append(text)
                csv_cols.append(col + k)
                if cell.has_attr("data-ehps-count"):
                    marked.add((r, col + k))
                for d in range(1, down):
                    pending[(r + d, col + k)] = text
            col += span
        while (r, col) in pending:
            line.append(pending.pop((r, col)))
            col += 1
        if is_header and in_header:
            header_rows += 1
        else:
            in_header = False
        grid.append(line)
        csv_rows.append(csv_line)
        csv_columns.append(csv_cols)
        row_heads.append(" ".join(heads) if heads else (next((t for t in line if t), "") or ""))
    if header_rows == 0 and grid:
        header_rows = 1  # a table without <thead>: its first row is its heading
    from .render import table_records

    try:
        tidy_header, tidy_rows, _figures = table_records(table)
        tidy = [tidy_header, *tidy_rows]
    except Exception:  # noqa: BLE001 - a table the CSV writer cannot lay out: its CSV is compared as printed
        tidy = csv_rows
    return TableGrid(label, caption, grid, header_rows, row_heads, marked, csv_rows, csv_columns, tidy)


def _table_findings(file: str, grid: TableGrid, threshold: int) -> list[Finding]:
    out = []
    for r in range(grid.header_rows, len(grid.cells)):
        for c, text in enumerate(grid.cells[r]):
            if not text or (c == 0 and grid.row_heads[r] == text):
                continue
            value = _cell_count(text, threshold)
            if value is not None and grid.is_count(r, c):
                out.append(Finding(file, grid.where(r, c), "small_count", text,
                                   f"an unsuppressed count from 1 to {threshold}"))
    return out


# -- HTML -------------------------------------------------------------------------------------------------
@dataclass
class HtmlPage:
    """What the scan read from a page: its findings and its tables (for the table CSVs)."""

    findings: list[Finding]
    tables: list[TableGrid]
    text: str


_SVG_TEXT = re.compile(r"<(text|tspan|title|desc|metadata)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_SVG_ATTR = re.compile(r"\b(aria-label|aria-description|alt|title|data-label|data-value)\s*=\s*(\"[^\"]*\"|'[^']*')",
                       re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def _svg_text(svg: str) -> str:
    """The text an SVG image carries: its text, title and description elements and labels."""
    import html as _html

    parts = [_TAG.sub(" ", m.group(2)) for m in _SVG_TEXT.finditer(svg)]
    parts += [m.group(2)[1:-1] for m in _SVG_ATTR.finditer(svg)]
    return _html.unescape(" ".join(" ".join(p.split()) for p in parts if p.strip()))


def _data_uri_text(src: str) -> str | None:
    """The text inside an SVG ``data:`` URI (None for other images)."""
    head, _, payload = src.partition(",")
    if not head.startswith("data:image/svg"):
        return None
    if ";base64" in head:
        return _svg_text(base64.b64decode(payload).decode("utf-8", errors="replace"))
    from urllib.parse import unquote

    return _svg_text(unquote(payload))


def read_html(text: str, file: str, secrets: Secrets, threshold: int) -> HtmlPage:
    """Scan the HTML ``text`` of ``file`` (see the module docstring)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    findings: list[Finding] = []
    for tag in soup(["style"]):
        tag.decompose()
    scripts = " ".join(t.get_text(" ", strip=True) for t in soup(["script"]))
    for tag in soup(["script"]):
        tag.decompose()
    # attributes a reader meets: alt text, labels, titles; images' own text
    for n, tag in enumerate(soup.find_all(True)):
        for key in TEXT_ATTRIBUTES:
            if tag.has_attr(key) and not (key == "content" and tag.name != "meta"):
                value = str(tag[key])
                what = f"{key} of <{tag.name}> #{n}" + (f" ('{value[:40]}')" if key != "alt" else "")
                findings += text_findings(file, what, value, secrets, threshold)
        for key in ("href", "src", "id", "name", "class"):
            if tag.has_attr(key):
                value = " ".join(tag[key]) if isinstance(tag[key], list) else str(tag[key])
                inner = _data_uri_text(value) if key == "src" and value.startswith("data:") else None
                if inner:
                    findings += text_findings(file, f"text of image <{tag.name}> #{n}", inner, secrets, threshold)
                elif not value.startswith("data:"):
                    findings += _secret_findings(file, f"{key} of <{tag.name}> #{n}", value, secrets)
    tables = []
    for t_index, table in enumerate(soup.find_all("table"), start=1):
        grid = table_grid(table, t_index)
        tables.append(grid)
        findings += _table_findings(file, grid, threshold)
        for r, row in enumerate(grid.cells):
            for text_ in dict.fromkeys(x for x in row if x):
                findings += text_findings(file, f"{grid.label}, row {r + 1}", text_, secrets, threshold)
        table.decompose()  # its text is scanned above, cell by cell
    body = soup.get_text(" ", strip=True)
    findings += text_findings(file, "text", body, secrets, threshold)
    if scripts:
        findings += text_findings(file, "script", scripts, secrets, threshold)
    return HtmlPage(_dedupe(findings), tables, body)


def scan_html(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
              context: ScanContext | None = None) -> list[Finding]:
    file = name or str(path)
    page = (context or ScanContext()).page(Path(path), file, secrets, threshold)
    return page.findings if isinstance(page, HtmlPage) else page


# -- CSV --------------------------------------------------------------------------------------------
PERIOD_COLUMN = re.compile(r"period|month|date|start|year|window|built", re.IGNORECASE)


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(_io.StringIO(text)))


def _sibling_table(path: Path, context: ScanContext, secrets: Secrets, threshold: int
                   ) -> tuple[TableGrid | None, str | None]:
    """The page table a table CSV was made from: ``<page>-<area>-<period>-table-NN.csv`` beside
    ``<page>.html`` in the area's folder. Returns ``(grid, reason it is missing)``."""
    m = TABLE_CSV.match(path.name)
    if not m:
        return None, None
    n = int(m["n"])
    page_path = scan_dependency(path)
    page_name = page_path.stem
    if not page_path.is_file():
        return None, f"no page {page_name}.html beside it"
    page = context.page(page_path, None, secrets, threshold)
    if not isinstance(page, HtmlPage):
        return None, f"its page {page_name}.html cannot be read"
    if n > len(page.tables):
        return None, f"{page_name}.html has no table {n}"
    return page.tables[n - 1], None


def scan_dependency(path: Path) -> Path | None:
    """The other file a file's scan reads: a PDF's page (``<name>.html``), a table CSV's page
    (``<page>-<area>-<period>-table-NN.csv`` beside ``<page>.html``); None for any other file.

    >>> scan_dependency(Path("site/2016-17-Q4/E07000108/scorecard-E07000108-2016-17-Q4-table-02.csv")).name
    'scorecard.html'
    >>> scan_dependency(Path("a/paper.pdf")).name, scan_dependency(Path("a/paper.html"))
    ('paper.html', None)
    """
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        return path.with_suffix(".html")
    m = TABLE_CSV.match(path.name)
    if not m:
        return None
    stem, area = m["stem"], path.parent.name
    page_name = stem.split(f"-{area}-")[0] if f"-{area}-" in stem else stem.split("-")[0]
    return path.parent / f"{page_name}.html"


def scan_csv(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
             context: ScanContext | None = None) -> list[Finding]:
    file = name or str(path)
    context = context or ScanContext()
    text = io.read_bytes(path).decode("utf-8")
    rows = _csv_rows(text)
    findings: list[Finding] = []
    grid, missing = _sibling_table(Path(path), context, secrets, threshold)
    if grid is not None:
        findings += _table_csv_findings(file, rows, grid, threshold)
    else:
        if missing:
            findings.append(Finding(file, "file", "table_csv_differs", Path(path).name,
                                    f"a table CSV whose table cannot be found ({missing})"))
        findings += _data_csv_findings(file, rows, threshold)
    header = rows[0] if rows else []
    for h in header:
        if BIRTH_WORDS.search(h.replace("_", " ")):
            findings.append(Finding(file, f"column '{h}'", "birth_date", h, "a column about birth"))
    # A paper's figures file (one number a line): judged by its row and column headings, as in HTML.
    body = rows[1:]
    if {"row", "column", "value"} <= set(header):
        ri, ci, vi = header.index("row"), header.index("column"), header.index("value")
        ui = header.index("unit") if "unit" in header else None
        for r_index, row in enumerate(body, start=2):
            if max(ri, ci, vi) >= len(row):
                continue
            if ui is not None and ui < len(row) and row[ui].strip():
                continue  # a percentage, a rate, weeks: not a count
            col, head = row[ci], row[ri]
            counted = ((_is_count_label(col) or _is_count_label(head))
                       and not NOT_COUNT_WORDS.search(col) and not NOT_COUNT_WORDS.search(head))
            if counted and _small_number(row[vi], threshold):
                findings.append(Finding(file, f"row {r_index} '{head[:40]}', column '{col[:40]}'", "small_count",
                                        row[vi], f"an unsuppressed count from 1 to {threshold}"))
    # identifiers anywhere; birth months outside the columns that hold reporting periods; counts in words
    free_cols = [i for i, h in enumerate(header) if not PERIOD_COLUMN.search(h)]
    for r_index, row in enumerate(rows[1:], start=2):
        joined = " ".join(row)
        findings += [f for f in _secret_findings(file, f"row {r_index}", joined, secrets)
                     if f.rule == "child_identifier"]
        free = " ".join(row[i] for i in free_cols if i < len(row))
        findings += [f for f in _secret_findings(file, f"row {r_index}", free, Secrets(
            frozenset(), secrets.birth_months, secrets.first_reported_month)) if f.rule == "birth_date"]
        for i, cell in enumerate(row):
            if " " in cell.strip():  # free text in a cell: "3 children", "three step-ups"
                findings += _prose_findings(file, f"row {r_index}, column "
                                                  f"'{header[i] if i < len(header) else i + 1}'", cell, threshold)
    return _dedupe(findings)


#: Columns of a tidy table CSV that hold no figure of their own.
_TIDY_AUX = re.compile(r": (status|RAG|unit|out of|share \(%\))$")


def _table_csv_findings(file: str, rows: list[list[str]], grid: TableGrid, threshold: int) -> list[Finding]:
    """A table's CSV: it must state what its table on the page states (as the tidy CSV the
    build writes, :func:`ehps_lib.publish.render.table_records`, or cell for cell), and a small
    count in it is found the way it is in the table: by its column's headings (the most specific
    that decides), else its row's label, its group, the table's caption."""
    out = []
    norm = [list(map(_norm, r)) for r in rows]
    forms = [grid.tidy, grid.csv_rows] if grid.tidy else [grid.csv_rows]
    if all(norm != [list(map(_norm, r)) for r in expected] for expected in forms):
        expected = forms[0]
        first = next((i for i, (a, b) in enumerate(zip(rows, expected, strict=False)) if list(map(_norm, a)) !=
                      list(map(_norm, b))), min(len(rows), len(expected)))
        shown = ",".join(rows[first])[:60] if first < len(rows) else "(missing row)"
        out.append(Finding(file, f"row {first + 1}", "table_csv_differs", shown,
                           f"the CSV differs from {grid.label} on its page"))
    header = rows[0] if rows else []
    grouped = bool(header) and header[0] == "Group"
    label_col = 1 if grouped else 0
    for r, row in enumerate(rows[1:], start=2):
        for j, text in enumerate(row):
            if j == label_col or _cell_count(text, threshold) is None:
                continue
            head = header[j] if j < len(header) else ""
            if _TIDY_AUX.search(head):
                continue
            counted = None
            for part in reversed([h for h in head.split(": ") if h]):  # most specific heading first
                counted = _decide(part)
                if counted is not None:
                    break
            labels = [row[label_col] if label_col < len(row) else "", row[0] if grouped else "", grid.caption]
            for label in labels if counted is None else []:
                counted = _decide(label)
                if counted is not None:
                    break
            if counted:
                out.append(Finding(file, f"row {r}, column '{head[:40]}'", "small_count", text,
                                   f"an unsuppressed count from 1 to {threshold}"))
    return out


def _norm(text: str) -> str:
    return " ".join(str(text).split())


def _data_csv_findings(file: str, rows: list[list[str]], threshold: int) -> list[Finding]:
    """A CSV on its own (figures, open data): counts by column heading, else by the row's label."""
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    named = {i for i, h in enumerate(header) if h.lower() in ("numerator", "denominator", "count")}
    decided = {i: (True if i in named else _decide(h)) for i, h in enumerate(header)}
    out = []
    for r_index, row in enumerate(body, start=2):
        for i, cell in enumerate(row):
            if not cell or not cell[0].isdigit() or not _small_number(cell, threshold):
                continue
            counted = decided.get(i)
            if counted is None and i > 0:
                counted = bool(_decide(row[0]))
            if counted:
                out.append(Finding(file, f"row {r_index}, column '{header[i] if i < len(header) else i + 1}'",
                                   "small_count", cell, f"an unsuppressed count from 1 to {threshold}"))
    return out


def _small_number(text: str, threshold: int) -> bool:
    """A whole number from 1 to ``threshold`` as a CSV writes it ("3", "3.0", "3 (25%)")."""
    t = text.strip().replace(",", "")
    if re.fullmatch(r"\d+(\.0+)?", t):
        return 1 <= float(t) <= threshold
    return _cell_count(text, threshold) is not None


# -- PDF --------------------------------------------------------------------------------------------
def scan_pdf(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
             context: ScanContext | None = None) -> list[Finding]:
    """A PDF's text, page by page (see the module docstring), and its numbers against its page."""
    file = name or str(path)
    context = context or ScanContext()
    findings: list[Finding] = []
    pages = pdf_pages_text(path)
    html_path = Path(path).with_suffix(".html")
    page = None
    if not html_path.is_file():
        findings.append(Finding(file, "file", "pdf_without_html", Path(path).name,
                                "a PDF with no HTML page of the same name, whose figures cannot be checked"))
    else:
        page = context.page(html_path, None, secrets, threshold)
    shown = set(NUMBER.findall(page.text + " " + " ".join(
        " ".join(x or "" for x in row) for t in page.tables for row in t.cells))) if isinstance(page, HtmlPage) \
        else None
    for p_index, text in enumerate(pages, start=1):
        # each block of text on its own: a figure at the foot of one table column and the heading of the
        # next ("3" then, after a blank line, "Children aged 0-17") are not a phrase; the page's tables
        # are read cell by cell, with their headings, in its HTML
        for block in PDF_BLOCK.split(text):
            findings += text_findings(file, f"page {p_index}", block, secrets, threshold)
        if shown is not None:
            printed = CAPTION_NUMBER.sub(" ", PAGE_NUMBER.sub(" ", text))
            for number in sorted(set(NUMBER.findall(printed)) - shown):
                findings.append(Finding(file, f"page {p_index}", "pdf_differs", number,
                                        f"a figure in the PDF that its page {html_path.name} does not show"))
    return _dedupe(findings)


def pdf_pages_text(path: Path) -> list[str]:
    """The text of each page, read with pypdf (poppler's ``pdftotext`` when installed is faster and
    reads the same text); raises ``ValueError`` when the file is not a readable PDF."""
    import shutil
    import subprocess

    data = io.read_bytes(path)
    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF file (no %PDF- header)")
    if shutil.which("pdftotext"):
        done = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True)
        if done.returncode != 0:
            raise ValueError(f"pdftotext could not read it: {done.stderr.decode(errors='replace').strip()[:200]}")
        pages = done.stdout.decode("utf-8", errors="replace").split("\f")
        return pages[:-1] if pages and not pages[-1].strip() else pages
    return pdf_pages_text_pypdf(data)


def pdf_pages_text_pypdf(data: bytes) -> list[str]:
    """The text of each page of a PDF (bytes), with pypdf."""
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(_io.BytesIO(data), strict=False).pages]


# -- other text files --------------------------------------------------------------------------------
def scan_text(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
              context: ScanContext | None = None) -> list[Finding]:
    """JSON, SVG, Markdown and plain-text files: their text as a reader sees it."""
    file = name or str(path)
    text = io.read_bytes(path).decode("utf-8")
    if Path(path).suffix.lower() == ".svg":
        text = _svg_text(text) + " " + text
    return _dedupe(text_findings(file, "text", text, secrets, threshold))


def _search_entries(text: str) -> list[dict] | None:
    """The entries of a Quarto search index (``search.json``), or None for any other JSON."""
    import json

    entries = json.loads(text)
    if isinstance(entries, list) and entries and all(isinstance(e, dict) for e in entries) \
            and any("text" in e for e in entries):
        return entries
    return None


def scan_search_index(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
                      context: ScanContext | None = None) -> list[Finding]:
    """A Quarto website's search index (``search.json``: every page's text, section by section),
    entry by entry, as a reader sees it (counts in words, "Label: 3", identifiers and birth
    months anywhere); ``[]`` for JSON that is not a search index (see :func:`scan_json`)."""
    file = name or str(path)
    entries = _search_entries(io.read_bytes(path).decode("utf-8"))
    findings: list[Finding] = []
    for i, entry in enumerate(entries or [], start=1):
        where = f"entry {i} ({str(entry.get('href', ''))[:80]})"
        body = " ".join(str(entry.get(k, "")) for k in ("title", "section", "text", "crumbs"))
        findings += text_findings(file, where, body, secrets, threshold)
        findings += _secret_findings(file, where, str(entry.get("href", "")), secrets)
    return _dedupe(findings)


def scan_json(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
              context: ScanContext | None = None) -> list[Finding]:
    """A JSON file: a search index entry by entry (:func:`scan_search_index`); any other JSON (the
    build's manifest, the papers catalogue) is published too, so it is read as text. JSON that does
    not parse is unreadable (a finding)."""
    if _search_entries(io.read_bytes(path).decode("utf-8")) is None:
        return scan_text(path, secrets, threshold, name, context=context)
    return scan_search_index(path, secrets, threshold, name, context=context)


def scan_code(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, name: str | None = None,
              context: ScanContext | None = None) -> list[Finding]:
    """Script and style sheets (Quarto's ``site_libs``): read for identifiers and birth months.
    Their numbers are code ("a:3"), not prose, so small counts are not looked for: nothing this
    workspace writes is a script, and a script's data would carry the pseudonyms it is scanned for."""
    file = name or str(path)
    return _secret_findings(file, "code", io.read_bytes(path).decode("utf-8"), secrets)


SCANNERS = {".html": scan_html, ".htm": scan_html, ".csv": scan_csv, ".pdf": scan_pdf, ".json": scan_json,
            ".svg": scan_text, ".txt": scan_text, ".md": scan_text, ".xml": scan_text, ".js": scan_code,
            ".css": scan_code}
#: Fonts and theme images of a site generator's own libraries (Quarto's ``site_libs/``), published
#: as they come; anywhere else they are unscannable.
STATIC_ASSETS = frozenset({".woff", ".woff2", ".ttf", ".eot", ".otf", ".png", ".gif", ".ico", ".map"})


class ScanContext:
    """Pages already read in one scan (a page's tables are needed for its table CSVs and PDF).

    ``root`` is the site folder: files are named relative to it in findings.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else None
        self._pages: dict[Path, HtmlPage | list[Finding]] = {}

    def name(self, path: Path) -> str:
        if self.root is not None:
            try:
                return str(Path(path).relative_to(self.root))
            except ValueError:
                pass
        return str(path)

    def page(self, path: Path, file: str | None, secrets: Secrets, threshold: int) -> HtmlPage | list[Finding]:
        key = Path(path).resolve()
        if key not in self._pages:
            name = file if file is not None else self.name(path)
            try:
                self._pages[key] = read_html(io.read_bytes(path).decode("utf-8"), name, secrets, threshold)
            except Exception as exc:  # noqa: BLE001 - an unreadable page is a finding
                self._pages[key] = [_unreadable(name, exc)]
        return self._pages[key]


def _unreadable(file: str, exc: BaseException) -> Finding:
    return Finding(file, "file", "unreadable", type(exc).__name__,
                   f"the file cannot be read, so it cannot be checked: {str(exc)[:200]}")


def _dedupe(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def published_files(site: Path) -> Iterable[Path]:
    """Every file under ``site`` (all of them are published; hidden files included)."""
    for path in sorted(Path(site).rglob("*")):
        if path.is_file():
            yield path


def scan_file(path: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD, root: Path | None = None,
              context: ScanContext | None = None) -> list[Finding]:
    """Every finding in one file; a file that cannot be read, or read by the scan, is a finding."""
    name = str(Path(path).relative_to(root)) if root else str(path)
    scanner = SCANNERS.get(Path(path).suffix.lower())
    if scanner is None and "site_libs" in Path(name).parts and Path(path).suffix.lower() in STATIC_ASSETS:
        return []
    if scanner is None:
        return [Finding(name, "file", "unscannable", Path(path).suffix or Path(path).name,
                        "a file of a kind the disclosure scan cannot read; only HTML, PDF, CSV, JSON, SVG, "
                        "text, script and style files (and a site generator's fonts under site_libs/) may be "
                        "published")]
    try:
        return scanner(Path(path), secrets, threshold, name, context=context)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is a finding, never a traceback
        return [_unreadable(name, exc)]


def scan_files(paths: Iterable[Path], secrets: Secrets, threshold: int = DEFAULT_THRESHOLD,
               root: Path | None = None, memo: ScanMemo | None = None) -> list[Finding]:
    """Every finding in ``paths`` (sharing one :class:`ScanContext`). With a ``memo``, a file
    it holds as clean (same bytes, same page beside it) is not read again, and every file
    found clean is added to it."""
    context = ScanContext(root)
    findings: list[Finding] = []
    for path in paths:
        name = context.name(path)
        key = memo.file_key(path) if memo is not None else None
        if memo is not None and memo.is_clean(name, key):
            continue
        found = scan_file(path, secrets, threshold, root=root, context=context)
        if memo is not None and not found:
            memo.add(name, key)
        findings += found
    return findings


def scan_site(site: Path, secrets: Secrets, threshold: int = DEFAULT_THRESHOLD,
              memo: ScanMemo | None = None) -> list[Finding]:
    """Every finding in every file under ``site`` (see :func:`scan_files` for ``memo``)."""
    site = Path(site)
    return scan_files(published_files(site), secrets, threshold, root=site, memo=memo)


def scan_fingerprint(secrets: Secrets, threshold: int) -> str:
    """What a scan's verdict depends on besides the file: the secrets, the threshold and the
    scanner's code (the library's digest)."""
    import hashlib

    from ..data import digests

    h = hashlib.sha256()
    for part in (sorted(secrets.identifiers), sorted(secrets.birth_months), [secrets.first_reported_month],
                 [str(threshold)], [digests.library_digest()]):
        h.update("\x1f".join(part).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


class ScanMemo(Memo):
    """The files a scan found clean, so that a file already read is not read again.

    An entry is the file's SHA-256 and that of the page its scan also reads
    (:func:`scan_dependency`), under the :func:`scan_fingerprint` of the scan: a file whose
    bytes, whose page, the extract's secrets, the threshold or the scanner's code changed is
    read again. Kept at ``path`` (the workspace's cache).
    """

    def __init__(self, path: Path | None, fingerprint: str) -> None:
        super().__init__(path, fingerprint)
        self.skipped = 0

    @staticmethod
    def file_key(path: Path) -> str:
        """The file's SHA-256 and its page's ("-" when there is none or it is missing)."""
        dependency = scan_dependency(Path(path))
        page = io.sha256_file(dependency) if dependency is not None and dependency.is_file() else "-"
        return f"{io.sha256_file(path)}:{page}"

    def is_clean(self, name: str, key: str) -> bool:
        hit = self.get(name) == key
        self.skipped += hit
        return hit

    def add(self, name: str, key: str) -> None:
        self.put(name, key)


def format_findings(findings: list[Finding], limit: int = 50) -> str:
    if not findings:
        return "No disclosure findings."
    lines = [f"{len(findings)} disclosure finding(s):"]
    lines += [f"  {f}" for f in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"  ... and {len(findings) - limit} more")
    return "\n".join(lines)
