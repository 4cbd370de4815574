"""Where each paper's files live in the published site: shared by the papers (links) and the build.

A paper's files sit in ``site/<period slug>/<area code>/``; the site root holds the index,
the papers catalogue and the build manifest.
"""

from __future__ import annotations

INDEX_FILE = "index.html"
CATALOGUE_FILE = "papers.json"
MANIFEST_FILE = "manifest.json"
#: Folder of a period's open data (``<period>/data/indicators.csv``, ``deprivation.csv``).
OPEN_DATA_DIR = "data"


def paper_files(template: str, area_code: str, period_slug: str) -> dict[str, str]:
    """File names of a paper inside ``site/<period>/<area>/``."""
    return {"html": f"{template}.html", "pdf": f"{template}.pdf",
            "csv": f"{template}-{area_code}-{period_slug}.csv"}


__all__ = ['paper_files']
