"""Every page on a phone (390 px) and a laptop (1280 px), in a real browser.

Chromium from Debian (``/usr/bin/chromium``) driven by Playwright, as in ``test_accessibility.py``.
At each width: the page is no wider than the window, and every cell of every table (chart data
tables opened) can be scrolled into view and is then the element on top at its centre, not
hidden under the column that stays in view or outside the window. A wide table says that it
scrolls, and chart and map text is at least :data:`MIN_TEXT_PX` pixels high.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
WIDTHS = (390, 1280)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(built_site):
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"browser tests need {CHROMIUM}")
        pytest.skip(f"browser tests need {CHROMIUM}")
    return built_site


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


#: For each table, the cells whose centre cannot be brought into the window on top of the page.
_UNREACHABLE = """async () => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  const W = window.innerWidth, H = window.innerHeight, bad = [];
  let cells = 0;
  const textBox = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const boxes = Array.from(range.getClientRects()).filter(b => b.width > 0 && b.height > 0);
    return boxes.length ? boxes[0] : cell.getBoundingClientRect();
  };
  const onTop = (cell) => {
    const b = textBox(cell);
    const x = b.left + Math.min(b.width / 2, 12), y = b.top + b.height / 2;
    if (x < 0 || x >= W || y < 0 || y >= H) return [false, b, null];
    const hit = document.elementFromPoint(x, y);
    return [!!hit && (hit === cell || cell.contains(hit)), b, hit];
  };
  for (const [t, table] of Array.from(document.querySelectorAll('table')).entries()) {
    const wrap = table.closest('.ehps-table-wrap');
    for (const cell of table.querySelectorAll('th, td')) {
      if (!cell.innerText.trim()) continue;
      cells += 1;
      cell.scrollIntoView({block: 'center', inline: 'center'});
      let [ok, box, hit] = onTop(cell);
      if (!ok) {
        // sticky cells move after a frame is drawn
        await new Promise(requestAnimationFrame);
        [ok, box, hit] = onTop(cell);
      }
      if (!ok && wrap && hit && wrap.contains(hit) && hit.closest('.ehps-col1, .ehps-col2')) {
        // under the column that stays in view: scroll back until the text starts beside it
        wrap.scrollLeft -= hit.closest('.ehps-col1, .ehps-col2').getBoundingClientRect().right - box.left + 2;
        await new Promise(requestAnimationFrame);
        [ok, box, hit] = onTop(cell);
      }
      if (!ok) bad.push(`table ${t + 1}: "${cell.innerText.trim().slice(0, 40)}"`);
    }
  }
  return {cells, bad: bad.slice(0, 10), count: bad.length};
}"""


def _pages(site: Path) -> list[Path]:
    """Every page of the site, and the officers' internal papers kept beside it (built with it)."""
    return sorted(site.rglob("*.html")) + sorted((site.parent / "internal").rglob("*.html"))


def _open(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 844 if width < 600 else 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(site, browser, width):
    report = {}
    for path in _pages(site):
        page = _open(browser, path, width)
        try:
            scroll = page.evaluate("document.documentElement.scrollWidth")
        finally:
            page.close()
        if scroll > width:
            report[str(path.relative_to(site.parent))] = scroll
    assert report == {}


@pytest.mark.parametrize("width", WIDTHS)
def test_every_cell_of_every_table_can_be_reached(site, browser, width):
    report, total = {}, 0
    for path in _pages(site):
        page = _open(browser, path, width)
        try:
            result = page.evaluate(_UNREACHABLE)
        finally:
            page.close()
        total += result["cells"]
        if result["count"]:
            report[str(path.relative_to(site.parent))] = (result["count"], result["bad"])
    assert total > 500
    assert report == {}


def test_a_wide_table_says_it_scrolls_on_a_phone_only(site, browser):
    path = next(p for p in _pages(site) if p.name == "county_scorecard.html")
    cues = {}
    for width in WIDTHS:
        page = _open(browser, path, width)
        try:
            cues[width] = page.evaluate("""() => Array.from(document.querySelectorAll('.ehps-scroll-cue'))
                .filter(c => !c.hidden).map(c => c.textContent)""")
        finally:
            page.close()
    assert any("13 columns" in c for c in cues[390])
    assert not any("13 columns" in c for c in cues[1280])


#: Smallest text in a chart or map, in CSS pixels as shown (9 px is about 7 pt).
MIN_TEXT_PX = 9.0

_TEXT_SIZES = """() => Array.from(document.querySelectorAll('figure img'))
  .filter(i => i.getBoundingClientRect().width > 0)
  .map(i => {
    const source = i.closest('picture') && i.closest('picture').querySelector('source');
    const scale = source && i.currentSrc === source.srcset ? source.dataset.textScale : i.dataset.textScale;
    return [i.alt.slice(0, 60), parseFloat(scale) * i.getBoundingClientRect().width];
  })"""


@pytest.mark.parametrize("width", WIDTHS)
def test_chart_and_map_text_is_legible(site, browser, width):
    """Each chart or map states its smallest text as a share of its width (``data-text-scale``);
    shown at its displayed width, that text must be at least MIN_TEXT_PX high."""
    report, seen = {}, 0
    for path in _pages(site):
        page = _open(browser, path, width)
        try:
            sizes = page.evaluate(_TEXT_SIZES)
        finally:
            page.close()
        seen += len(sizes)
        small = [(alt, round(px, 1)) for alt, px in sizes if not px >= MIN_TEXT_PX]
        if small:
            report[str(path.relative_to(site.parent))] = small
    assert seen > 5
    assert report == {}
