"""What people write (commentary, district commentary, paper details) reaches only the papers
that read it: district commentary on the dashboards, and cache keys that change for those
papers alone. Monthly editions are worded as months; targets are printed from the catalogue."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from ehps_lib import config
from ehps_lib.papers import county_scorecard, district_dashboard, sections
from ehps_lib.papers.commentary import CommentaryError, parse_commentary
from ehps_lib.papers.scorecard_data import scorecard_from_results
from ehps_lib.periods import Period
from ehps_lib.publish import build

ROOT = Path(__file__).resolve().parent.parent
Q4 = "2016-17 Q4"
CAN, SWA = "E07000106", "E07000113"

DISTRICT_TEXT = """
commentary:
  step_downs_r12m: County text.
districts:
  Canterbury:
    summary: |
      Notifications from schools rose after the autumn term.

      A second paragraph.
    ehn_rate: Rate text for Canterbury.
  E07000113: Swale's general commentary, written as plain text.
"""


class TestDistrictCommentary:
    def test_parsed_by_name_or_code_summary_and_indicators(self):
        notes = parse_commentary(DISTRICT_TEXT, Q4, source="c.yml")
        assert notes.district(CAN) == {"summary": "Notifications from schools rose after the autumn term.\n\n"
                                                  "A second paragraph.", "ehn_rate": "Rate text for Canterbury."}
        assert notes.district(SWA) == {"summary": "Swale's general commentary, written as plain text."}
        assert notes.district("E07000105") == {}
        assert notes.entries == {"step_downs_r12m": "County text."}

    @pytest.mark.parametrize("text, message", [
        ("districts:\n  Canterbery: x\n", "c.yml, line 2: districts.Canterbery: 'Canterbery' is not a Kent area. "
                                          "Did you mean Canterbury (E07000106)?"),
        ("districts:\n  Kent: x\n", "district commentary is for one of the 12 districts"),
        ("districts:\n  Canterbury:\n    ehn_rat: x\n", "c.yml, line 3: districts.Canterbury.ehn_rat: unknown "
                                                       "indicator id. Did you mean 'ehn_rate'?"),
        ("districts:\n  Canterbury:\n    summary: [a]\n", "districts.Canterbury.summary: must be text, got a list"),
    ])
    def test_mistakes_name_line_and_nearest(self, text, message):
        with pytest.raises(CommentaryError) as exc:
            parse_commentary(text, Q4, source="c.yml")
        assert message in str(exc.value)

    def test_shown_on_the_dashboard_only_where_written(self, tiny_results, tiny_meta):
        notes = parse_commentary(DISTRICT_TEXT, "2016-17 Q2", source="c.yml")
        can = scorecard_from_results(tiny_results, tiny_meta, CAN, "2016-17 Q2")
        block = district_dashboard.district_commentary(can, notes)
        assert "<h2" in block.html and "Notifications from schools rose" in block.html
        assert block.html.count("<p>") == 3  # two summary paragraphs and the rate's
        assert block.html.index("Notifications from schools") < block.html.index("Rate text")
        only_swale = parse_commentary("districts:\n  Swale: Swale only.\n", "2016-17 Q2", source="c.yml")
        assert district_dashboard.district_commentary(can, only_swale) is None


def _project(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "reports" / "commentary"
    folder.mkdir(parents=True)
    (folder / "2016-17-Q4.yml").write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "reports" / "papers", tmp_path / "reports" / "papers")
    return tmp_path


class TestCacheInputs:
    """Each template's key covers only what it reads, so an edit re-runs only its papers."""

    def keys(self, root: Path) -> dict[tuple[str, str], str]:
        p = Period.parse(Q4)
        # each template reads the written inputs of its own data: the Early Help commentary and
        # details, or the SCS dashboard's (reports/commentary/scs/, reports/papers/scs/)
        written = {source: build._written_inputs(p, root, source) for source in config.TEMPLATE_DATA}
        out = {}
        for spec in config.load_settings().templates:
            for code in ("E10000016", CAN, SWA):
                out[(spec.id, code)] = str(build._inputs_digest(spec, code, written[spec.data]))
        return out

    def test_a_commentary_edit_changes_the_county_scorecard_and_committee_paper_only(self, tmp_path):
        before = self.keys(_project(tmp_path / "a", DISTRICT_TEXT))
        after = self.keys(_project(tmp_path / "b", DISTRICT_TEXT.replace("County text.", "County text, edited.")))
        changed = {k for k in before if before[k] != after[k]}
        assert {t for t, _ in changed} == {"county_scorecard", "committee_paper"}

    def test_an_scs_commentary_edit_changes_the_scs_papers_only(self, tmp_path):
        text = (ROOT / "reports" / "commentary" / "scs" / "2016-08.yml").read_text(encoding="utf-8")
        text = text.replace('period: "2016-08"', f'period: "{Q4}"')

        def project(folder: Path, scs_text: str) -> Path:
            root = _project(folder, DISTRICT_TEXT)
            (root / "reports" / "commentary" / "scs").mkdir()
            (root / "reports" / "commentary" / "scs" / f"{Period.parse(Q4).slug}.yml").write_text(
                scs_text, encoding="utf-8")
            return root

        before = self.keys(project(tmp_path / "a", text))
        after = self.keys(project(tmp_path / "b", text.replace("Performance has improved", "Performance improved")))
        changed = {k for k in before if before[k] != after[k]}
        assert {t for t, _ in changed} == {"scs_dashboard", "scs_committee_paper"}

    def test_a_district_commentary_edit_changes_that_districts_dashboard_only(self, tmp_path):
        before = self.keys(_project(tmp_path / "a", DISTRICT_TEXT))
        after = self.keys(_project(tmp_path / "b", DISTRICT_TEXT.replace("Rate text for", "New rate text for")))
        # and the CYPF progress report, which gathers every district's update (whatever the code it is keyed by)
        assert {k for k in before if before[k] != after[k]} == {("district_dashboard", CAN)} | {
            ("cypf_progress_report", code) for code in ("E10000016", CAN, SWA)}

    def test_a_mistake_in_the_commentary_stops_before_any_paper_runs(self, tmp_path):
        root = _project(tmp_path, "commentary:\n  step_down_r12m: x\n")
        with pytest.raises(CommentaryError, match="Did you mean 'step_downs_r12m'"):
            build._written_inputs(Period.parse(Q4), root)


class TestAreasAndPeriodsInTheBuild:
    def test_an_unknown_area_fails_before_any_paper_runs(self, synthetic_data_dir, monkeypatch, tmp_path):
        monkeypatch.setenv("EHPS_DATA_DIR", str(synthetic_data_dir))
        with pytest.raises(ValueError, match="Did you mean Canterbury"):
            build.build(areas=["Canterbery"], templates=["scorecard"], site_dir=tmp_path / "site",
                        reports_dir=tmp_path / "reports", log=lambda _m: None, progress=False)
        assert not (tmp_path / "site").exists() and not (tmp_path / "reports").exists()


class TestMonthlyWords:
    def test_a_monthly_edition_speaks_of_months(self, tiny_results, tiny_meta):
        month = scorecard_from_results(tiny_results, tiny_meta, "E10000016", "2016-09")
        about = county_scorecard.about_scorecard(month).html
        assert "quarter" not in about
        assert "monthly edition for September 2016" in about and "July to September 2016" in about
        assert "quarter" not in county_scorecard.county_title(month).html
        dash = scorecard_from_results(tiny_results, tiny_meta, CAN, "2016-09")
        assert "quarter" not in district_dashboard.dashboard_intro(dash).html

    def test_a_quarter_still_speaks_of_the_quarter(self, tiny_results, tiny_meta):
        q = scorecard_from_results(tiny_results, tiny_meta, "E10000016", "2016-17 Q2")
        assert "the last month of the quarter" in county_scorecard.about_scorecard(q).html


class TestTargetsFromTheCatalogue:
    def test_definitions_print_the_catalogues_target_after_a_change(self, tiny_results, tiny_meta):
        sc = scorecard_from_results(tiny_results, tiny_meta, "E10000016", "2016-17 Q2")
        ind = sc.catalogue["step_downs_r12m"]
        changed = dataclasses.replace(ind, target=1600.0)
        sc2 = dataclasses.replace(sc, catalogue={**sc.catalogue, ind.id: changed})
        text = sections.definitions(sc2).html if ind.id in {i.id for i in sc2.indicators} else ""
        notes = sections.note_text(changed)
        assert "the target is 1,600" in notes and "1,490" not in notes
        assert sections.rag_bands_text(changed).startswith("Target: 1,600")
        if text:
            assert "1,600" in text and "1,490" not in text
