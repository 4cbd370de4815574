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


def _anchor(prefix: str, label: str) -> str:
    return prefix + "-" + re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")


def _by_area(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in sorted(rows, key=_area_order):
        out.setdefault(r["area_code"], []).append(r)
    return out


def _paper_rows(rows: list[dict], site: Path, label: str) -> str:
    e = html.escape
    body = []
    for r in rows:
        paper = r.get("template_title") or r["template"].replace("_", " ").capitalize()
        context = f'<span class="ehps-visually-hidden">, {e(r["area_name"])}, {e(label)}</span>'
        body.append(f'<tr><th scope="row"><a href="{e(r["html"])}">{e(paper)}{context}</a></th>'
                    f'<td>{_download(r.get("pdf"), "PDF", context, site)}</td>'
                    f'<td>{_download(r.get("csv"), "CSV", context, site)}</td></tr>')
    return "".join(body)


_HEAD = ('<thead><tr><th scope="col">Paper (web page)</th><th scope="col">PDF</th>'
         '<th scope="col">Figures (CSV)</th></tr></thead>')


def _period_note(rows: list[dict], slug: str) -> str:
    e = html.escape
    synthetic = any(r.get("synthetic") for r in rows)
    dates = sorted({str(r.get("extract_date", "")) for r in rows if r.get("extract_date")})
    data = (f"{SYNTHETIC_TAG} built from the workspace's synthetic extract" if synthetic
            else "Built from the case-system extract")
    when = f" of {e(', '.join(dates))}" if dates else ""
    return (f'<p class="ehps-index-note">{data}{when}. Build record (every input with its checksum): '
            f'<a href="{e(slug)}/manifest.json">manifest.json<span class="ehps-visually-hidden"> for '
            f"{e(rows[0]['period'])}</span></a>.</p>")


def index_body(entries: list[dict], site: Path, draft_gaps: dict[str, list[str]] | None = None) -> str:
    """HTML of the site index: a district finder; the latest period's papers grouped by area
    (Kent, then the districts A to Z), each with its web page, PDF and figures; then the archive
    of every earlier period, newest first; each period's build record (manifest) linked. When
    ``draft_gaps`` is given ({period: gaps}), a draft note lists what a release would need."""
    e = html.escape
    parts = [f'<h1 class="ehps-title">{INDEX_TITLE}</h1>',
             '<p class="ehps-period">Papers for Kent and its 12 districts. Each paper is a web page, a PDF and its '
             "figures as CSV files.</p>"]
    if not entries:
        parts.append("<p>No papers have been published yet. Run <code>ehps build</code>.</p>")
        return "\n".join(parts)
    for label, gaps in (draft_gaps or {}).items():
        if gaps:
            items = "".join(f"<li>{e(g)}</li>" for g in gaps)
            parts.append(f'<section class="ehps-draft" aria-labelledby="draft-heading"><h2 id="draft-heading">'
                         f"Draft: the {e(label)} pack is not ready for release</h2>"
                         f"<details><summary>A release would need {len(gaps)} more thing(s): show them</summary>"
                         f"<ul>{items}</ul></details></section>")
    periods: dict[str, list[dict]] = {}
    for entry in sort_entries(entries):
        periods.setdefault(entry["period"], []).append(entry)
    labels = list(periods)
    latest = labels[0]
    rows = periods[latest]
    slug = rows[0]["html"].split("/", 1)[0]
    areas = _by_area(rows)
    finder = "".join(f'<li><a href="#{_anchor("area", code)}">{e(items[0]["area_name"])}</a></li>'
                     for code, items in areas.items())
    parts.append('<nav class="ehps-finder" aria-labelledby="finder-heading"><h2 id="finder-heading">Find your area'
                 f'</h2><ul class="ehps-finder-list">{finder}</ul></nav>')
    title = rows[0].get("period_title") or latest
    parts.append(f'<section class="ehps-index-period" aria-labelledby="{_anchor("period", latest)}">'
                 f'<h2 id="{_anchor("period", latest)}">Latest papers: {e(title)}</h2>{_period_note(rows, slug)}')
    for code, items in areas.items():
        name = items[0]["area_name"]
        parts.append(f'<section class="ehps-index-area" aria-labelledby="{_anchor("area", code)}">'
                     f'<h3 id="{_anchor("area", code)}">{e(name)}</h3>'
                     f'<table class="ehps-index"><caption>Papers for {e(name)}, {e(latest)}</caption>{_HEAD}'
                     f"<tbody>{_paper_rows(items, site, latest)}</tbody></table></section>")
    parts.append("</section>")
    if len(labels) > 1:
        parts.append('<section class="ehps-index-archive" aria-labelledby="archive"><h2 id="archive">Archive: '
                     "earlier periods, newest first</h2>")
        for label in labels[1:]:
            rows = periods[label]
            slug = rows[0]["html"].split("/", 1)[0]
            bodies = "".join(
                f'<tbody><tr class="ehps-index-group"><th scope="rowgroup" colspan="3">{e(items[0]["area_name"])}'
                f"</th></tr>{_paper_rows(items, site, label)}</tbody>" for items in _by_area(rows).values())
            title = rows[0].get("period_title") or label
            parts.append(f'<details class="ehps-index-old" id="{_anchor("period", label)}"><summary>{e(title)}'
                         f"</summary>{_period_note(rows, slug)}"
                         f'<table class="ehps-index"><caption>Papers for {e(label)}</caption>{_HEAD}{bodies}'
                         "</table></details>")
        parts.append("</section>")
    return "\n".join(parts)


def update_site_index(site: str | Path, new_entries: list[dict], *, classification: str,
                      provenance: dict, draft_gaps: dict[str, list[str]] | None = None) -> Path:
    """Merge ``new_entries`` into ``site/papers.json`` and rewrite ``site/index.html`` (with a
    draft note listing ``draft_gaps`` when given)."""
    site = Path(site)
    old = io.read_json_or(site / CATALOGUE_FILE, {"papers": []}).get("papers", [])
    entries = merge_entries(old, new_entries, site)
    io.write_json({"papers": entries}, site / CATALOGUE_FILE)
    page = render.render_page(index_body(entries, site, draft_gaps), title=INDEX_TITLE,
                              synthetic=any(x.get("synthetic") for x in entries),
                              classification=classification, provenance=provenance,
                              description="Index of the EHPS scorecards", is_index=True)
    index = io.write_text(page, site / INDEX_FILE)
    io.make_public(site / CATALOGUE_FILE)
    io.make_public(index)
    return index


__all__ = ['update_site_index', 'index_body', 'merge_entries', 'sort_entries']
