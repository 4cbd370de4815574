"""Accessibility in a real browser: every page type of a built site, audited with axe-core.

Chromium comes from Debian (``/usr/bin/chromium``; Playwright's own browser download is not
available here) and axe-core from npm (``node_modules/axe-core``, installed by ``make test``).
Each page must have zero axe violations across its rules (WCAG 2.0/2.1/2.2 A and AA and
best practices). In CI a missing browser or axe-core is an error, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ehps_lib import config

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _require_tools() -> None:
    missing = [str(p) for p in (CHROMIUM, AXE) if not p.is_file()]
    if missing:
        message = f"browser tests need {', '.join(missing)} (run `make test`, which installs them)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def site(built_site):
    """The shared site with one paper of every template (see the root conftest.py)."""
    _require_tools()
    return built_site


def _pages(site: Path) -> list[Path]:
    """Every page of the site, and the officers' internal papers kept beside it (built with it)."""
    return sorted(site.rglob("*.html")) + sorted((site.parent / "internal").rglob("*.html"))


@pytest.fixture(scope="module")
def browser():
    _require_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _audit(browser, page_path: Path) -> list[dict]:
    page = browser.new_page()
    try:
        page.goto(page_path.as_uri())
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("""async () => await axe.run(document, {resultTypes: ['violations']})""")
    finally:
        page.close()
    return result["violations"]


def test_every_template_is_in_the_site(site):
    """Every public template in the site, every internal one beside it and never in it."""
    names = {p.name for p in site.rglob("*.html")}
    internal = {p.name for p in (site.parent / "internal").rglob("*.html")}
    templates = [t for t in config.load_settings().templates if (ROOT / "notebooks" / f"{t.id}.ipynb").is_file()]
    public = {f"{t.id}.html" for t in templates if t.audience == "public"}
    officers = {f"{t.id}.html" for t in templates if t.audience == "internal"}
    assert officers, "the drill-down is an internal template"
    assert public | {"index.html"} <= names
    assert officers <= internal and not officers & names


def test_zero_axe_violations_on_every_page(site, browser):
    report = {}
    for path in _pages(site):
        violations = _audit(browser, path)
        if violations:
            report[str(path.relative_to(site.parent))] = [
                f"{v['id']} ({v['impact']}): {v['help']} — e.g. {v['nodes'][0]['target']}" for v in violations]
    assert report == {}


def test_rag_is_never_colour_alone(site):
    for path in _pages(site):
        text = path.read_text(encoding="utf-8")
        for rag in ("Green", "Amber", "Red"):
            badge = f'class="ehps-rag ehps-rag-{rag.lower()}"'
            if badge in text:
                # the badge carries its word (and a symbol hidden from screen readers)
                assert f"</span> {rag}</span>" in text, (path, rag)


def test_every_image_has_alt_text_and_a_table_equivalent(site):
    from bs4 import BeautifulSoup

    for path in _pages(site):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for img in soup.find_all("img"):
            assert img.get("alt", "").strip(), (path.name, str(img)[:120])
            figure = img.find_parent("figure")
            assert figure is not None and figure.find("table") is not None, (path.name, img.get("alt")[:80])
