"""What a reader downloads or follows from a built site: every link stays inside the site and
works, every CSV is tidy and holds the page's numbers, and a withheld value is always explained.

Uses the shared site built from the fixture extract (root ``conftest.py``).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow

NUMBER = re.compile(r"[+\-−]?\d[\d,]*(?:\.\d+)?")
WITHHELD_NOTE = "withheld to protect confidentiality"
#: A cell that shows figures: numbers, %, "to", "of", brackets, a RAG word.
VALUE_CELL = re.compile(r"[\d,.%+\-−()\s]+(?:(?:to|of)[\d,.%+\-−()\s]+)?(?:Green|Amber|Red)?")


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _check_link(site: Path, page: Path, href: str) -> str | None:
    """Why ``href`` (on ``page``) does not work on the published site, or None."""
    if href.startswith(("mailto:", "tel:")) or href.startswith("data:"):
        return None
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith("/"):
        return f"{href}: points outside the site"
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
    if site.resolve() not in target.parents and target != site.resolve():
        return f"{href}: leaves the site folder"
    if not target.is_file():
        return f"{href}: no such file"
    if parts.fragment and target.suffix == ".html":
        ids = set(re.findall(r'\bid="([^"]+)"', target.read_text(encoding="utf-8")))
        if parts.fragment not in ids:
            return f"{href}: no element with id {parts.fragment!r}"
    return None


def test_every_link_in_html_stays_in_the_site_and_works(built_site):
    broken, checked = [], 0
    for page in _pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in (("a", "href"), ("img", "src"), ("link", "href"), ("source", "srcset")):
            for el in soup.find_all(tag):
                href = el.get(attr)
                if href:
                    checked += 1
                    why = _check_link(built_site, page, href)
                    if why:
                        broken.append(f"{page.relative_to(built_site)}: {why}")
    assert checked > 100
    assert broken == []


def test_every_link_in_a_pdf_is_relative_and_works(built_site):
    import pypdf

    broken, checked = [], 0
    for pdf in sorted(built_site.rglob("*.pdf")):
        for page in pypdf.PdfReader(pdf).pages:
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                uri = action.get("/URI") if action else None
                if uri:
                    checked += 1
                    why = _check_link(built_site, pdf, str(uri))
                    if why:
                        broken.append(f"{pdf.relative_to(built_site)}: {why}")
    assert checked >= 2  # the committee paper's links to its Appendix 1 scorecard
    assert broken == []


def test_the_committee_paper_pdf_holds_its_appendix(built_site):
    import pypdf

    [pdf] = list(built_site.rglob("committee_paper.pdf"))
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    assert "Appendix 1: Early Help and Preventative Services performance scorecard" in text
    for heading in ("Latest performance RAG rating", "Activity by area and district", "Exception reports"):
        assert heading in text


def _html_tables(page: Path) -> list:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find_all("table")


def test_every_table_csv_is_tidy_and_holds_the_numbers_of_the_page(built_site):
    compared, missing = 0, []
    for page in _pages(built_site):
        if page.name == "index.html":
            continue
        prefix = next((p.name.rsplit("-table-", 1)[0] for p in page.parent.glob(f"{page.stem}-*-table-01.csv")), None)
        for n, table in enumerate(_html_tables(page), start=1):
            path = page.parent / f"{prefix}-table-{n:02d}.csv"
            assert path.is_file(), path
            with path.open(encoding="utf-8") as f:
                rows = list(csv.reader(f))
            header, body = rows[0], rows[1:]
            data_rows = [tr for tr in table.find_all("tr") if not tr.find_parent("thead")
                         and len(tr.find_all(["td", "th"], recursive=False)) != 1]
            across = len(body) != len(data_rows)  # printed with its months across: one CSV line per column
            assert len(set(header)) == len(header), (path.name, header)  # one header row, unique names
            assert not any(NUMBER.fullmatch(h) for h in header), path.name
            # every number printed in a data row of the page is in the matching CSV line, as a number
            lines = iter([] if across else body)
            for tr in table.find_all("tr"):
                cells = tr.find_all(["td", "th"], recursive=False)
                if tr.find_parent("thead") or not cells or (len(cells) == 1 and cells[0].get("colspan")):
                    continue
                numbers = []
                for cell in (c for c in cells if c.name == "td"):
                    text = " ".join(t for t in cell.find_all(string=True)
                                    if not t.find_parent(attrs={"aria-hidden": "true"})).strip()
                    if VALUE_CELL.fullmatch(text):  # a figure, not words that happen to hold a digit
                        numbers += [float(m.replace(",", "").replace("−", "-")) for m in NUMBER.findall(text)]
                line = next(lines, None)
                if line is None:  # a table printed across: its CSV has one line per column
                    break
                values = {float(v) for v in line if NUMBER.fullmatch(v) or re.fullmatch(r"\d+\.", v)}
                for x in numbers:
                    if x in values:
                        compared += 1
                    else:
                        missing.append((path.name, x, line[:3]))
    assert compared > 300
    assert missing == [], sorted({(m[0], m[1]) for m in missing})[:20]


def test_every_csv_number_column_parses(built_site):
    for path in sorted(built_site.rglob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in frame.columns:
            if column.endswith((": status", ": RAG", ": unit")) or column in ("status", "unit"):
                continue
            values = [v for v in frame[column] if v != ""]
            numeric = [v for v in values if NUMBER.fullmatch(v)]
            if numeric and len(numeric) == len(values):
                assert not any("," in v for v in values), (path.name, column)
                assert all(len(v.split(".")[-1]) <= 3 for v in values if "." in v), (path.name, column)


def test_a_page_that_withholds_says_what_c_means(built_site):
    missing = []
    for page in _pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        withholds = any(cell.get_text(" ", strip=True) == "c" for cell in soup.find_all("td"))
        if withholds and WITHHELD_NOTE not in soup.get_text(" ", strip=True):
            missing.append(str(page.relative_to(built_site)))
    assert missing == [], sorted({(m[0], m[1]) for m in missing})[:20]
