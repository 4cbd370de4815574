"""Paper: the covering Cabinet Committee paper of the SCS performance dashboard
(``notebooks/scs_committee_paper.ipynb``).

Seed 004, lines 2933-2992: "From: ... To: Children's Social Care and Health Cabinet Committee –
10 November 2016, Subject: SPECIALIST CHILDREN'S SERVICE PERFORMANCE DASHBOARD ... Recommendation:
... is asked to CONSIDER and COMMENT ON the performance dashboard", then 1. Introduction,
2. Children's Social Care Performance Report (the latest month, data periods, the RAG alerts),
3. Summary of Performance (the number of measures, the RAG count, the exception reports, the
Impact of UASC page), 4. Recommendations, 5. Background Documents, 6. Contact Details; and
Appendix A, the dashboard itself.

The council's committee paper format is shared (:mod:`ehps_lib.papers.committee`); the written
parts come from ``reports/papers/scs/default.yml`` (and ``<month>.yml`` for one month); every
paragraph with a figure is generated from the published SCS results
(:data:`ehps_lib.papers.scs_returns.PARAGRAPHS`) with a claim for each figure. Appendix A is the
dashboard's parts (:func:`ehps_lib.papers.scs_returns.dashboard_parts`), whole, and links to the
dashboard published beside this paper.

Typical notebook use::

    from ehps_lib.papers import scs_committee_paper as paper
    p = paper.load_paper("E10000016", "latest")
    paper.header(p)
    paper.body(p)
    paper.appendices(p)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data import io
from ..periods import Period
from . import scs_returns
from .blocks import Block, _e
from .commentary import Commentary
from .committee import (
    PaperDetails,
    Section,
    details_gaps,
    details_header_fields,
    details_outline,
    header_block,
    load_details,
    meeting_text,
    sections_block,
)
from .scorecard_data import _month_name, latest_month
from .scs_returns import Dashboard, load_commentary, load_dashboard

#: The dashboard paper Appendix A links to (published beside this paper).
DASHBOARD_TEMPLATE = "scs_dashboard"
#: Where this paper's details files are: ``reports/papers/scs/``.
DETAILS_SUBFOLDER = "scs"


@dataclass(frozen=True, eq=False)
class ScsCommitteePaper:
    """What the paper is made from: the dashboard's published results, its commentary and the details."""

    dashboard: Dashboard
    details: PaperDetails
    commentary: Commentary

    @property
    def period(self) -> Period:
        return self.dashboard.period


def details_folder(root=None):
    """``reports/papers/scs``: the covering paper's details files."""
    return io.paper_details_dir(root) / DETAILS_SUBFOLDER


def load_paper(area_code: str = "E10000016", period: str = "latest", details_folder_path=None) -> ScsCommitteePaper:
    """The dashboard's results for the month (:func:`ehps_lib.papers.scs_returns.load_dashboard`), its
    commentary and the paper's details (validated; errors name the file and the key)."""
    d = load_dashboard(area_code, period)
    folder = details_folder_path if details_folder_path is not None else details_folder()
    details = load_details(d.period, folder, area_name=d.data.area_name, generated=tuple(scs_returns.PARAGRAPHS))
    return ScsCommitteePaper(d, details, load_commentary(d))


def meeting_words(paper: ScsCommitteePaper) -> str:
    """The meeting date as printed, or the month the committee considers the month's dashboard
    (the third month after it: data to August 2016 went to the committee of 10 November 2016)."""
    return meeting_text(paper.period, paper.details.meeting_date)


def header(paper: ScsCommitteePaper) -> Block:
    """From, To, Subject (SPECIALIST CHILDREN'S SERVICE PERFORMANCE DASHBOARD), ... Recommendation(s)."""
    return header_block(details_header_fields(paper.details, meeting_words(paper)), paper.dashboard.synthetic)


def outline(paper: ScsCommitteePaper) -> list[Section]:
    """The numbered sections: written paragraphs, and generated ones from the published results."""
    return details_outline(paper.details, lambda name: scs_returns.paragraph(paper.dashboard, name))


def body(paper: ScsCommitteePaper) -> Block:
    """The numbered sections as HTML (generated paragraphs marked ``data-generated``)."""
    return sections_block(outline(paper))


def release_gaps(area_code: str, period: str) -> list[str]:
    """What a release of this paper would need: its details (:func:`ehps_lib.papers.committee.details_gaps`,
    naming ``reports/papers/scs/<month>.yml``) and its Appendix A dashboard's commentary
    (:func:`ehps_lib.papers.scs_returns.release_gaps`)."""
    paper = load_paper(area_code, period)
    return (details_gaps(paper.details, paper.period, f"reports/papers/{DETAILS_SUBFOLDER}")
            + scs_returns.release_gaps(paper.dashboard, paper.commentary))


def appendix_heading(paper: ScsCommitteePaper) -> str:
    """"Appendix A: Specialist Children's Services performance dashboard, August 2016"."""
    return f"Appendix A: {paper.details.appendix_title}, {_month_name(latest_month(paper.period))}"


def appendices(paper: ScsCommitteePaper) -> Block:
    """Appendix A: the dashboard, whole (the same blocks as the dashboard published beside this
    paper, so that the printed paper holds its appendix), with links to that paper."""
    from ..sitemap import paper_files

    files = paper_files(DASHBOARD_TEMPLATE, paper.dashboard.data.area_code, paper.period.slug)
    heading = appendix_heading(paper)
    intro = (f"This is the Specialist Children's Services performance dashboard for "
             f"{_month_name(latest_month(paper.period))}. It is also published on its own")
    html_intro = (f"<p>{_e(intro)}, as <a href=\"{_e(files['html'])}\">a web page (the Appendix A dashboard)</a> "
                  f"and <a href=\"{_e(files['pdf'])}\">a PDF (the Appendix A dashboard)</a>.</p>")
    parts = []
    for n, (title, block) in enumerate(scs_returns.dashboard_parts(paper.dashboard, paper.commentary), start=1):
        hid = f"committee-appendix-a-{n}"
        parts.append(f'<section class="committee-appendix-part" aria-labelledby="{hid}">'
                     f'<h4 id="{hid}">{_e(title)}</h4>{block.html}</section>')
    html_out = ('<section class="committee-appendices" aria-labelledby="committee-appendices">'
                '<h2 id="committee-appendices">Appendices</h2>'
                '<section class="committee-appendix" aria-labelledby="committee-appendix-a">'
                f'<h3 id="committee-appendix-a">{_e(heading)}</h3>{html_intro}{"".join(parts)}'
                "</section></section>")
    return Block(html=html_out, text=f"Appendices\n{heading}")


__all__ = ["ScsCommitteePaper", "load_paper", "details_folder", "meeting_words", "header", "outline", "body",
           "appendix_heading", "appendices", "release_gaps", "DASHBOARD_TEMPLATE"]
