"""The published site's index: every paper by period and area, with its HTML, PDF and CSV.

The index is rebuilt from ``papers.json`` (the catalogue of every paper ever published in the
site) each time a build publishes, so papers of earlier periods stay listed.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from ..data import io
from ..geography import DISTRICTS, KENT_CODE
from ..sitemap import CATALOGUE_FILE, INDEX_FILE
from . import render

INDEX_TITLE = "Early Help and Preventative Services papers"
SYNTHETIC_TAG = '<span class="ehps-tag">Synthetic data</span>'


# -- site catalogue and index ----------------------------------------------------------------------
def _area_order(entry: dict) -> tuple:
    code = entry["area_code"]
    return (0 if code == KENT_CODE else 1 if code in DISTRICTS else 2, entry["area_name"].lower(),
            entry["template"])


def sort_entries(entries: list[dict]) -> list[dict]:
    """Newest period first; within a period Kent, then the districts A to Z, then other areas."""
    by_area = sorted(entries, key=_area_order)
    return sorted(by_area, key=lambda e: e["period_start"], reverse=True)


def merge_entries(old: list[dict], new: list[dict], site: Path) -> list[dict]:
    """The catalogue after a build: new entries replace old ones for the same period, area and
    template; entries whose HTML is gone from ``site`` are dropped."""
    key = lambda e: (e["period"], e["area_code"], e["template"])  # noqa: E731
    merged = {key(e): e for e in old if (site / e["html"]).is_file()}
    merged.update({key(e): e for e in new})
    return sort_entries(list(merged.values()))


def _size(site: Path, rel: str | None) -> str:
    if not rel or not (site / rel).is_file():
        return ""
    kb = io.file_size(site / rel) / 1024
    return f"{kb:,.0f} KB" if kb < 1024 else f"{kb / 1024:,.1f} MB"


def _download(rel: str | None, kind: str, context: str, site: Path) -> str:
    if not rel:
        return ""
    return f'<a href="{html.escape(rel)}">{kind}{context}</a> {html.escape(_size(site, rel))}'


def index_body(entries: list[dict], site: Path) -> str:
    """HTML of the site index: one table per period (newest first) with every paper."""
    e = html.escape
    parts = [f'<h1 class="ehps-title">{INDEX_TITLE}</h1>',
             '<p class="ehps-period">Papers for Kent and its 12 districts, newest period first. Each paper '
             "is a web page, a PDF and its figures as a CSV file. The build record of each period (what it "
             "was made from, with checksums) is its manifest.json.</p>"]
    if not entries:
        parts.append("<p>No papers have been published yet. Run <code>ehps build</code>.</p>")
    periods: dict[str, list[dict]] = {}
    for entry in sort_entries(entries):
        periods.setdefault(entry["period"], []).append(entry)
    for label, rows in periods.items():
        anchor = "period-" + re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")
        title = rows[0].get("period_title") or label
        body = []
        for r in rows:
            paper = r.get("template_title") or r["template"].replace("_", " ").capitalize()
            context = f'<span class="ehps-visually-hidden">, {e(r["area_name"])}, {e(label)}</span>'
            pdf = _download(r.get("pdf"), "PDF", context, site)
            csv = _download(r.get("csv"), "CSV", context, site)
            status = SYNTHETIC_TAG if r.get("synthetic") else "Case-system extract"
            body.append(f'<tr><th scope="row">{e(r["area_name"])}</th>'
                        f'<td><a href="{e(r["html"])}">{e(paper)}{context}</a></td>'
                        f"<td>{pdf}</td><td>{csv}</td>"
                        f"<td>{status}</td><td>{e(str(r.get('extract_date', '')))}</td></tr>")
        parts.append(
            f'<section class="ehps-index-period" aria-labelledby="{anchor}"><h2 id="{anchor}">{e(title)}</h2>'
            f'<div class="ehps-table-wrap"><table class="ehps-index"><caption>Papers for {e(label)}</caption>'
            '<thead><tr><th scope="col">Area</th><th scope="col">Web page</th><th scope="col">PDF</th>'
            '<th scope="col">Figures (CSV)</th><th scope="col">Data</th><th scope="col">Extract date</th>'
            "</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div></section>")
    return "\n".join(parts)


def update_site_index(site: str | Path, new_entries: list[dict], *, classification: str,
                      provenance: dict) -> Path:
    """Merge ``new_entries`` into ``site/papers.json`` and rewrite ``site/index.html``."""
    site = Path(site)
    old = io.read_json_or(site / CATALOGUE_FILE, {"papers": []}).get("papers", [])
    entries = merge_entries(old, new_entries, site)
    io.write_json({"papers": entries}, site / CATALOGUE_FILE)
    page = render.render_page(index_body(entries, site), title=INDEX_TITLE,
                              synthetic=any(x.get("synthetic") for x in entries),
                              classification=classification, provenance=provenance,
                              description="Index of the EHPS scorecards", is_index=True)
    index = io.write_text(page, site / INDEX_FILE)
    io.make_public(site / CATALOGUE_FILE)
    io.make_public(index)
    return index


__all__ = ['update_site_index', 'index_body', 'merge_entries', 'sort_entries']
