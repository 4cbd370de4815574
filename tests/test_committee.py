"""The Cabinet Committee paper: details files, header block, numbering, and the built paper.

The hand-made results table of ``tests/test_narrative.py`` (Kent, January to March 2017)
stands in for the published results, except in the end-to-end test, which builds the paper
from the synthetic fixture extract with ``ehps build``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest
import yaml
from test_narrative import Q4, hand_data  # tests/ is on sys.path (pytest's prepend import mode)

from ehps_lib.papers import committee_paper, narrative
from ehps_lib.papers.committee_paper import HEADER_LABELS, PaperDetailsError
from ehps_lib.publish import build

ROOT = Path(__file__).resolve().parents[1]
PAPERS = ROOT / "reports" / "papers"
KENT = "E10000016"


def _default() -> dict:
    return yaml.safe_load((PAPERS / "default.yml").read_text(encoding="utf-8"))


def _write(folder: Path, name: str, data: dict) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def papers(tmp_path) -> Path:
    """A details folder holding a copy of the workspace's default.yml."""
    shutil.copy(PAPERS / "default.yml", tmp_path / "default.yml")
    return tmp_path


@pytest.fixture
def paper(papers) -> committee_paper.CommitteePaper:
    return committee_paper.paper_from(hand_data(), committee_paper.load_details(Q4, papers))


class TestDetailsFiles:
    def test_the_workspace_default_is_valid(self):
        d = committee_paper.load_details(Q4, PAPERS)
        assert d.committee == "Education and Young People's Services Cabinet Committee"
        assert d.subject == "Performance of Early Help and Preventative Services"
        assert d.from_lines[-1] == "Corporate Director, Education and Young People's Services"
        assert d.meeting_date is None
        # placeholders are filled from the period
        assert "in January to March 2017" in d.summary[-1]
        assert "The Education and Young People's Services Cabinet Committee is asked to NOTE" in d.recommendations[0]

    def test_missing_key_names_the_file_and_key(self, papers):
        data = _default()
        del data["subject"]
        _write(papers, "default.yml", data)
        with pytest.raises(PaperDetailsError, match=r"default\.yml.*missing key 'subject'"):
            committee_paper.load_details(Q4, papers)

    def test_wrong_type_names_the_file_and_key(self, papers):
        _write(papers, "default.yml", {**_default(), "committee": ["Education", "Cabinet Committee"]})
        with pytest.raises(PaperDetailsError, match=r"default\.yml: key 'committee': expected text, got a list"):
            committee_paper.load_details(Q4, papers)

    def test_wrong_type_in_the_period_file_names_that_file(self, papers):
        _write(papers, "2016-17-Q4.yml", {"from": "Cabinet Member for Community Services"})
        with pytest.raises(PaperDetailsError, match=r"2016-17-Q4\.yml: key 'from': expected a list of text"):
            committee_paper.load_details(Q4, papers)

    @pytest.mark.parametrize(("change", "message"), [
        ({"comittee": "x"}, r"2016-17-Q4\.yml: unknown key 'comittee'"),
        ({"meeting_date": "18th September"}, r"key 'meeting_date': expected a date"),
        ({"summary": ["In {quarter} the service ..."]}, r"key 'summary\[0\]': unknown placeholder \{quarter\}"),
        ({"recommendations": ["The Committee is asked to note the report."]},
         r"key 'recommendations\[0\]': a recommendation asks the committee to act"),
        ({"sections": [{"title": "Performance", "generated": ["notifications", "budget"]}]},
         r"key 'sections\[0\]\.generated\[1\]': unknown generated paragraph 'budget'"),
        ({"sections": [{"title": "Empty"}]}, r"key 'sections\[0\]': a section needs 'paragraphs'"),
        ({"report_author": {"name": "A person"}}, r"key 'report_author': missing key 'title'"),
        ({"relevant_directors": [{"title": "Director", "phone": "0"}]},
         r"key 'relevant_directors\[0\]': unknown key\(s\) \['phone'\]"),
    ])
    def test_bad_values_in_the_period_file(self, papers, change, message):
        _write(papers, "2016-17-Q4.yml", change)
        with pytest.raises(PaperDetailsError, match=message):
            committee_paper.load_details(Q4, papers)

    def test_a_day_that_does_not_exist_names_the_key_and_the_reason(self, papers):
        # Written by hand, unquoted, YAML reads it as a date and failed with only "day is out of range"
        (papers / "2016-17-Q4.yml").write_text("meeting_date: 2017-06-31\n", encoding="utf-8")
        with pytest.raises(PaperDetailsError) as info:
            committee_paper.load_details(Q4, papers)
        assert str(info.value) == (f"{papers / '2016-17-Q4.yml'}: key 'meeting_date': 2017-06-31 is not a date (day "
                                   "is out of range for month): give a day that exists, as YYYY-MM-DD, or null to "
                                   "take it from the period")

    def test_a_missing_default_is_a_clear_error(self, tmp_path):
        with pytest.raises(PaperDetailsError, match=r"default\.yml: file not found"):
            committee_paper.load_details(Q4, tmp_path)

    def test_invalid_yaml_names_the_file(self, papers):
        (papers / "2016-17-Q4.yml").write_text("subject: [unclosed\n", encoding="utf-8")
        with pytest.raises(PaperDetailsError, match=r"2016-17-Q4\.yml: not valid YAML"):
            committee_paper.load_details(Q4, papers)

    def test_the_period_file_overrides_and_the_default_fills_in(self, papers):
        _write(papers, "2016-17-Q4.yml", {"meeting_date": dt.date(2017, 6, 20), "past_pathway": "None",
                                          "future_pathway": "Cabinet Member decision"})
        d = committee_paper.load_details(Q4, papers)
        assert (d.meeting_date, d.future_pathway) == (dt.date(2017, 6, 20), "Cabinet Member decision")
        assert d.committee == "Education and Young People's Services Cabinet Committee"
        assert d.files["future_pathway"].endswith("2016-17-Q4.yml")
        assert d.files["committee"].endswith("default.yml")
        # another period has no file of its own: everything comes from default.yml
        other = committee_paper.load_details("2016-17 Q3", papers)
        assert other.future_pathway == "None" and other.meeting_date is None
        assert set(other.files.values()) == {str(papers / "default.yml")}

    def test_meeting_date_given_or_derived_from_the_period(self, papers):
        d = committee_paper.load_details(Q4, papers)
        # no date given: the committee considering January to March meets in June
        assert committee_paper.meeting_words(committee_paper.paper_from(hand_data(), d)) == "June 2017"
        _write(papers, "2016-17-Q4.yml", {"meeting_date": "2017-06-20"})
        d = committee_paper.load_details(Q4, papers)
        assert committee_paper.meeting_words(committee_paper.paper_from(hand_data(), d)) == "20 June 2017"


class TestHeader:
    def test_fields_in_the_councils_order(self, paper):
        fields = committee_paper.header_fields(paper)
        assert tuple(f.label for f in fields) == HEADER_LABELS == (
            "From", "To", "Subject", "Classification", "Past Pathway of Paper", "Future Pathway of Paper",
            "Electoral Division", "Summary", "Recommendation(s)")
        block = committee_paper.header(paper)
        assert re.findall(r"<dt>([^<]+):</dt>", block.html) == list(HEADER_LABELS)
        text = dict(line.split(": ", 1) for line in block.text.splitlines() if ": " in line and
                    line.split(": ", 1)[0] in HEADER_LABELS)
        assert text["To"] == "Education and Young People's Services Cabinet Committee – June 2017"
        assert text["Classification"] == "Unrestricted" and text["Electoral Division"] == "All"

    def test_subject_is_the_h1_in_bold_capitals(self, paper):
        block = committee_paper.header(paper)
        assert block.html.count("<h1") == 1
        assert '<h1 class="committee-subject">Performance of Early Help and Preventative Services</h1>' in block.html
        assert "**PERFORMANCE OF EARLY HELP AND PREVENTATIVE SERVICES**" in block.markdown
        assert "Subject: PERFORMANCE OF EARLY HELP AND PREVENTATIVE SERVICES" in block.text

    def test_from_lines_and_action_words_in_bold(self, paper):
        block = committee_paper.header(paper)
        assert block.html.count("<li>Cabinet Member for") == 3
        assert "asked to <strong>NOTE</strong> and <strong>COMMENT ON</strong> the performance" in block.html

    def test_synthetic_banner_only_for_synthetic_data(self, papers):
        d = committee_paper.load_details(Q4, papers)
        assert "data-ehps-synthetic-banner" in committee_paper.header(committee_paper.paper_from(hand_data(), d)).html
        real = hand_data()
        real = type(real)(**{**real.__dict__, "meta": {"synthetic": False}})
        assert "data-ehps-synthetic-banner" not in committee_paper.header(committee_paper.paper_from(real, d)).html


class TestNumbering:
    def test_sections_and_paragraphs_are_numbered_in_order(self, paper):
        sections = committee_paper.outline(paper)
        assert [s.number for s in sections] == list(range(1, len(sections) + 1))
        for s in sections:
            assert [p.number for p in s.paragraphs] == [f"{s.number}.{i}" for i in range(1, len(s.paragraphs) + 1)]
        titles = [s.title for s in sections]
        assert titles[:4] == ["Introduction", "EHPS performance monitoring", "Demand for Early Help",
                              "Throughput and outcomes"]
        assert titles[-4:] == ["Conclusions", "Recommendation(s)", "Background Documents", "Contact details"]

    def test_numbers_in_the_html_run_1_1_1_1_2_2_2_1(self, paper):
        body = committee_paper.body(paper).html
        numbers = re.findall(r'class="committee-(?:section|para)-number">([0-9.]+)<', body)
        expected = []
        for s in committee_paper.outline(paper):
            expected.append(f"{s.number}.")
            expected += [p.number for p in s.paragraphs]
        assert numbers == expected
        assert numbers[:6] == ["1.", "1.1", "1.2", "2.", "2.1", "2.2"]

    def test_generated_paragraphs_are_the_narrative_and_marked(self, paper):
        [demand] = [s for s in committee_paper.outline(paper) if s.title == "Demand for Early Help"]
        first = demand.paragraphs[0]
        assert first.generated and first.number == "3.1"
        assert first.text == narrative.paragraph(paper.data, "notifications").text
        body = committee_paper.body(paper).html
        assert '<p class="committee-para" id="committee-p3-1" data-generated="narrative">' in body
        # the written paragraphs come from the details file, unchanged
        assert "There are no legal implications associated with this report." in body

    def test_recommendations_repeated_and_contacts(self, paper):
        sections = committee_paper.outline(paper)
        [rec] = [s for s in sections if s.title == "Recommendation(s)"]
        assert rec.paragraphs[0].text == paper.details.recommendations[0]
        assert "<strong>NOTE</strong>" in rec.paragraphs[0].html
        contacts = sections[-1].extra_html
        assert re.findall(r"<dt>([^<]+)</dt>", contacts) == ["Report Author", "Relevant Director", "Relevant Director"]
        assert "Head of Information and Intelligence" in contacts

    def test_appendix_is_the_county_scorecard_itself_and_links_to_it(self, paper):
        block = committee_paper.appendices(paper)
        assert ('<h3 id="committee-appendix-1">Appendix 1: Early Help and Preventative Services performance '
                "scorecard, January to March 2017 (2016-17 Q4)</h3>") in block.html
        assert 'href="county_scorecard.html"' in block.html and 'href="county_scorecard.pdf"' in block.html
        # the monthly scorecard of the county scorecard paper, not a quarterly summary: the same table
        from ehps_lib.papers import scs

        assert scs.scs_table(paper.data).html in block.html
        assert "<caption>Scorecard summary for Kent" not in block.html
        headings = re.findall(r'<h4 id="committee-appendix-1-\d">([^<]+)</h4>', block.html)
        assert headings == list(scs.PART_HEADINGS)


# -- end to end: ehps build, then read the published HTML -----------------------------------------------
@pytest.fixture(scope="module")
def built(synthetic_data_dir, tmp_path_factory):
    """Build the committee paper for Kent from the fixture extract in a private project folder."""
    root = tmp_path_factory.mktemp("project")
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "committee_paper.ipynb", root / "notebooks")
    (root / "reports" / "papers").mkdir(parents=True)
    shutil.copy(PAPERS / "default.yml", root / "reports" / "papers")
    (root / "_quarto.yml").write_text("project: {type: website}\n", encoding="utf-8")
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(synthetic_data_dir, data, dirs_exist_ok=True)
    shutil.rmtree(data / "cache", ignore_errors=True)
    site = tmp_path_factory.mktemp("site")
    mp = pytest.MonkeyPatch()
    mp.setenv("EHPS_PROJECT_ROOT", str(root))
    mp.setenv("EHPS_DATA_DIR", str(data))
    mp.setenv("EHPS_REFERENCE_DIR", str(ROOT / "data" / "reference"))
    mp.setenv("SOURCE_DATE_EPOCH", "1467331200")
    try:
        outcome = build.build(period="latest", areas=[KENT], templates=["committee_paper"], workers=1,
                              engine="builtin", site_dir=site, reports_dir=root / "reports", log=lambda _: None,
                              progress=False)
        paper = committee_paper.load_paper(KENT, "latest")
    finally:
        mp.undo()
    return outcome, site, paper


@pytest.mark.slow
def test_the_built_paper_holds_every_generated_number(built):
    outcome, site, paper = built
    assert outcome.ok, [f.describe() for f in outcome.failures]
    folder = site / "2016-17-Q1" / KENT
    page = (folder / "committee_paper.html").read_text(encoding="utf-8")
    assert (folder / "committee_paper.pdf").read_bytes().startswith(b"%PDF-")
    generated = [p for s in committee_paper.outline(paper) for p in s.paragraphs if p.generated]
    assert len(generated) >= 6
    numbers = 0
    for p in generated:
        pid = "committee-p" + p.number.replace(".", "-")
        [(attrs, inner)] = re.findall(rf'<p ([^>]*id="{pid}"[^>]*)>(.*?)</p>', page, flags=re.S)
        assert 'data-generated="narrative"' in attrs
        shown = html.unescape(re.sub(r"<[^>]+>", "", inner))  # the paragraph as a reader sees it
        assert shown == f"{p.number} {p.text}"
        for claim in p.statement.claims:
            assert shown[len(p.number) + 1 + claim.start:][:len(claim.text)] == claim.text
            numbers += claim.kind in ("value", "derived")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert numbers > 30
    assert "Synthetic data: not real children" in page
    assert "Overall " in text and "notifications were received by EHPS in April to June 2016" in text
    positions = [page.index(f"<dt>{label}:</dt>") for label in HEADER_LABELS]
    assert positions == sorted(positions)
    assert 'href="county_scorecard.html"' in page
    assert "committee.load_paper" not in page  # code is hidden
