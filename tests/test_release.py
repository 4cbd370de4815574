"""Release checks: a pack for Members is published only when nothing unfinished would reach them.

``ehps build --release`` (the default for a real extract) refuses to publish while a paper has a
Red indicator without commentary, illustrative names, no meeting date or no contacts, and names
each gap; a draft build (the default for the synthetic extract) publishes and lists them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ehps_lib.indicators.catalogue import load_catalogue
from ehps_lib.papers import committee_paper
from ehps_lib.papers.commentary import commentary_gaps, parse_commentary
from ehps_lib.publish import build

ROOT = Path(__file__).resolve().parent.parent
PAPERS = ROOT / "reports" / "papers"
KENT = "E10000016"

COMPLETE = {
    "meeting_date": "2016-11-10",
    "from": ["Peter Oakford, Cabinet Member for Specialist Children's Services",
             "Andrew Ireland, Corporate Director of Social Care, Health and Wellbeing"],
    "report_author": {"title": "Management Information Service Manager", "name": "Maureen Robinson",
                      "telephone": "03000 417164", "email": "maureen.robinson@kent.gov.uk"},
    "relevant_directors": [{"title": "Director, Specialist Children's Services", "name": "Philip Segurola",
                            "telephone": "03000 413120", "email": "philip.segurola@kent.gov.uk"}],
}


def _details(*layers: dict):
    default = yaml.safe_load((PAPERS / "default.yml").read_text(encoding="utf-8"))
    return committee_paper.parse_details([("default.yml", default)] + [(f"layer{i}", x) for i, x in
                                                                       enumerate(layers)], "2016-17 Q4")


class TestPaperDetails:
    def test_the_default_details_name_every_gap(self):
        gaps = committee_paper.details_gaps(_details(), "2016-17 Q4")
        assert gaps[0] == ("Meeting date missing (the paper prints only the month): set meeting_date in "
                           "reports/papers/2016-17-Q4.yml")
        assert sum("names a role but no person" in g for g in gaps) == 4  # the four From lines
        assert sum(g.startswith("Contact ") and "has no name, telephone, email" in g for g in gaps) == 3

    def test_a_complete_paper_has_no_gap(self):
        assert committee_paper.details_gaps(_details(COMPLETE), "2016-17 Q4") == []

    def test_illustrative_names_and_a_missing_email_are_gaps(self):
        author = dict(COMPLETE["report_author"], name="Report author (illustrative)", email=None)
        gaps = committee_paper.details_gaps(_details(COMPLETE, {"report_author": author}), "2016-17 Q4")
        assert gaps == ["Contact 'Management Information Service Manager' has no email: add them under "
                        "report_author in reports/papers/2016-17-Q4.yml",
                        "Illustrative text under 'report_author' ('Report author (illustrative)'): replace it in "
                        "reports/papers/2016-17-Q4.yml"]


class TestCommentary:
    def test_a_red_indicator_without_commentary_is_named_with_its_key(self):
        cat = load_catalogue()
        red, amber = cat["step_downs_r12m"], cat["closed_positive_pct"]
        text = ("owner: {cabinet_member: Peter Oakford, director: Philip Segurola, portfolio: SCS, division: SCS}\n"
                "commentary:\n  closed_positive_pct: Closures fell in March.\n")
        notes = parse_commentary(text, "2016-17 Q4", source="reports/commentary/2016-17-Q4.yml")
        assert commentary_gaps(notes, [red], [red, amber]) == [
            "Commentary missing for the Red indicator 'Step-downs from SCS in the last 12 months': add "
            "commentary.step_downs_r12m to reports/commentary/2016-17-Q4.yml"]

    def test_no_file_at_all(self):
        red = load_catalogue()["step_downs_r12m"]
        notes = parse_commentary(None, "2016-17 Q4", source="reports/commentary/2016-17-Q4.yml")
        gaps = commentary_gaps(notes, [red], [red])
        assert gaps[0].endswith("to reports/commentary/2016-17-Q4.yml (the file does not exist)")
        assert len(gaps) == 5  # the commentary and the four owners of the exception report


# -- end to end -----------------------------------------------------------------------------------------
@pytest.fixture
def project(synthetic_data_dir, tmp_path, monkeypatch):
    """A private project with the county scorecard and committee paper, default details and a
    commentary file that leaves the Red indicators of the fixture's latest quarter without text."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    for name in ("committee_paper", "county_scorecard"):
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", root / "notebooks")
    (root / "reports" / "papers").mkdir(parents=True)
    (root / "reports" / "commentary").mkdir(parents=True)
    shutil.copy(PAPERS / "default.yml", root / "reports" / "papers")
    (root / "reports" / "commentary" / "2016-17-Q1.yml").write_text(
        "owner: {cabinet_member: Peter Oakford, director: Philip Segurola, portfolio: Early Help, "
        "division: Early Help}\ncommentary:\n  closed_positive_pct: Closures with a positive outcome fell.\n",
        encoding="utf-8")
    (root / "_quarto.yml").write_text("project: {type: website}\n", encoding="utf-8")
    data = tmp_path / "data"
    shutil.copytree(synthetic_data_dir, data, dirs_exist_ok=True)
    shutil.rmtree(data / "cache", ignore_errors=True)
    monkeypatch.setenv("EHPS_PROJECT_ROOT", str(root))
    monkeypatch.setenv("EHPS_DATA_DIR", str(data))
    monkeypatch.setenv("EHPS_REFERENCE_DIR", str(ROOT / "data" / "reference"))
    return root


def test_a_release_with_a_missing_commentary_refuses_and_names_each_gap(project, tmp_path):
    site = tmp_path / "site"
    lines: list[str] = []
    outcome = build.build(period="latest", areas=[KENT], templates=["county_scorecard", "committee_paper"],
                          workers=1, engine="builtin", site_dir=site, reports_dir=project / "reports",
                          log=lines.append, progress=False, release=True)
    assert not outcome.ok and not outcome.published and outcome.executed == 0
    assert not site.exists()
    text = "\n".join(lines)
    assert any(line.startswith("Release refused:") for line in lines)
    for red in ("Step-downs from SCS in the last 12 months", "Step-ups to SCS in the last 12 months"):
        # named for both papers that print the exception reports
        assert text.count(f"Commentary missing for the Red indicator '{red}'") == 2
    assert "Cabinet Committee paper for Kent: Meeting date missing" in text
    assert [f.stage for f in outcome.failures] == ["release"] * len(outcome.release_gaps)


@pytest.mark.slow
def test_a_draft_publishes_and_lists_what_a_release_would_need(project, tmp_path):
    site = tmp_path / "site"
    lines: list[str] = []
    outcome = build.build(period="latest", areas=[KENT], templates=["county_scorecard"], workers=1,
                          engine="builtin", site_dir=site, reports_dir=project / "reports", log=lines.append,
                          progress=False)  # the fixture extract is synthetic: a draft by default
    assert outcome.ok and outcome.published and not outcome.release
    # three Red indicators without commentary: step-downs and step-ups, and (rated since issue 15, the plan's
    # targets) re-offending
    assert any(line.startswith("Draft build (SYNTHETIC DATA): a release would need 3 more") for line in lines)
    assert any("Commentary missing for the Red indicator 'Young people who re-offended within 12 months'" in line
               for line in lines)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Draft: the 2016-17 Q1 pack is not ready for release" in index
    assert "Commentary missing for the Red indicator" in index
