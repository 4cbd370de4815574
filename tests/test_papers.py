"""The published papers as a reader gets them: PDF against HTML, exception pages, commentary."""

from __future__ import annotations

import re
import subprocess

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.slow

PERIOD = "2016-17-Q1"


def _pdf_pages(path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_district_dashboard_pdf_has_the_html_values_header_and_page_numbers(built_site):
    folder = built_site / PERIOD / "E07000106"
    soup = BeautifulSoup((folder / "district_dashboard.html").read_text(encoding="utf-8"), "html.parser")
    table = soup.find("caption", string=re.compile("Canterbury dashboard")).find_parent("table")
    values = []
    for row in [r for body in table.find_all("tbody") for r in body.find_all("tr")]:
        cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
        if len(cells) >= 3:  # indicator, district figure, Kent figure, ...
            values += [cells[1], cells[2]]
    assert len(values) >= 20
    pages = _pdf_pages(folder / "district_dashboard.pdf")
    pdf_text = _squash(" ".join(pages))
    missing = [v for v in values if v not in pdf_text]
    assert missing == []
    for n, page in enumerate(pages, start=1):
        assert "Unrestricted" in page, f"page {n} lacks the classification header"
        assert f"Page {n} of {len(pages)}" in _squash(page), f"page {n} lacks its page number"
        assert "SYNTHETIC DATA" in page


def test_red_indicator_has_an_exception_page_and_missing_commentary_says_so(built_site):
    html = (built_site / PERIOD / "E10000016" / "county_scorecard.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    reds = [row for row in soup.find_all("tr") if row.find(class_="ehps-rag-red")]
    assert reds, "the fixture quarter has at least one Red indicator"
    text = _squash(soup.get_text(" "))
    assert "Exception report" in text
    # the fixture period (2016-17 Q1) has no commentary file: it must say so, not invent one
    assert "No commentary has been provided for this indicator for 2016-17 Q1" in text
    pdf = _squash(" ".join(_pdf_pages(built_site / PERIOD / "E10000016" / "county_scorecard.pdf")))
    assert "No commentary has been provided" in pdf


def test_every_paper_has_its_tables_as_csv(built_site):
    for html in built_site.rglob("*.html"):
        if html.name == "index.html":
            continue
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        tables = soup.find_all("table")
        links = [a["href"] for a in soup.select("p.ehps-table-download a")]
        assert len(links) == len(tables), html.name
        assert all((html.parent / link).is_file() for link in links), html.name
