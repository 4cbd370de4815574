"""The SCS performance dashboard and its covering Cabinet Committee paper, from the fixture's
synthetic statutory returns (``synthetic_returns_dir``: August 2016), and their build.

What the council printed (seed 004) is the reference for the layout: the 45 rows with their
wording, polarity, data period and target; the activity table's rows and columns; the Impact
of UASC page; the covering paper's subject, recommendation and paragraphs.
"""

from __future__ import annotations

import re
import shutil
from html import unescape

import pandas as pd
import pytest

from ehps_lib.data import io
from ehps_lib.data.returns import published
from ehps_lib.geography import KENT_CODE
from ehps_lib.indicators import stats
from ehps_lib.papers import committee, scs_committee_paper, scs_dashboard, scs_returns
from ehps_lib.papers.blocks import SUPPRESSED
from ehps_lib.papers.scorecard_data import ScorecardError
from ehps_lib.publish import build, disclosure


@pytest.fixture(scope="module")
def returns_env(synthetic_returns_dir, tmp_path_factory):
    data = tmp_path_factory.mktemp("scs-data")
    shutil.copytree(synthetic_returns_dir, data, dirs_exist_ok=True)
    shutil.rmtree(data / "cache", ignore_errors=True)
    mp = pytest.MonkeyPatch()
    mp.setenv("EHPS_DATA_DIR", str(data))
    yield data
    mp.undo()


@pytest.fixture(scope="module")
def dash(returns_env):
    return scs_dashboard.load_dashboard(KENT_CODE, "latest")


def test_the_latest_month_is_the_returns_last_complete_month(dash):
    assert dash.period.label == "2016-08" and dash.synthetic


def test_only_kent_has_a_dashboard(returns_env):
    with pytest.raises(ScorecardError, match="Kent's"):
        scs_dashboard.load_dashboard("E07000106", "latest")


def test_the_45_rows_as_the_council_prints_them(dash):
    rows = scs_dashboard.scorecard_rows(dash)
    pub = published.scorecard()
    assert rows["id"].tolist() == list(range(1, 46))
    for r in rows.itertuples(index=False):
        p = pub[r.id]
        assert (r.title, r.polarity, r.data_period) == (p.title, p.polarity, p.data_period)
    # snapshots show "-" for the rolling three months, as the council does
    assert set(rows.loc[rows["data_period"] == "SS", "rolling3"]) == {"-"}
    assert rows.loc[rows["id"] == 1, "target"].item() == "25.0%"
    html = scs_dashboard.scorecard_table(dash).html
    for heading in ("Latest Result and RAG Status", "Num", "Denom", "Target for 16/17", "DoT",
                    "Short Term Performance: Rolling 3 months and RAG Status", "REFERRAL AND ASSESSMENTS",
                    "CARE LEAVERS", "STAFFING"):
        assert heading in html


def test_the_rag_count_of_the_published_results(dash):
    counts = scs_dashboard.rag_counts(dash)
    rows = scs_dashboard.scorecard_rows(dash)
    assert sum(counts.values()) == 45
    assert counts[stats.RED] == (rows["rag"] == stats.RED).sum() and counts[stats.RED] >= 1
    # a rating withheld (a small count suppressed) is not rated, never guessed
    unrated = rows[rows["rag"].isna()]
    assert counts["Not rated"] == len(unrated)
    assert all(r == SUPPRESSED or r == "n/a" for r in unrated["result"])


def test_activity_table_rows_and_columns(dash):
    frame = scs_dashboard.activity_rows(dash)
    assert frame["area"].tolist()[:6] == ["Kent", "North Kent", "East Kent", "South Kent", "West Kent",
                                          "Disability Service"]
    teams = {label for label, _line, _values in published.ACTIVITY_ROWS[6:]}
    named = set(frame.loc[frame["level"] == 2, "area"])
    assert len(named) == len(teams) == 22  # every team the council listed (Ashford spelt correctly)
    assert len(scs_returns.activity_columns()) == 21
    kent = frame.iloc[0]
    # Kent's stocks are published whole: this month's CP plans are the seed's 1,145
    assert kent["CP Plans - This month"] == "1,145" and kent["Total LAC - This month"] == "2,246"
    # a change is withheld with either month
    sup = frame[(frame["PF Cases - This month"] == SUPPRESSED) | (frame["PF Cases - Last month"] == SUPPRESSED)]
    assert (sup["PF Cases - Change"] == SUPPRESSED).all()


def test_uasc_page_variance_is_the_difference_of_the_published_results(dash):
    frame = scs_dashboard.uasc_rows(dash)
    kent = frame[frame["area_code"] == KENT_CODE]
    assert kent["number"].tolist() == [2, 7, 17, 18, 21, 22, 23, 24, 25, 26, 27, 32, 33, 34, 35]
    full = dash.full
    m = dash.period
    for r in kent.itertuples(index=False):
        if r.variance in (SUPPRESSED, "n/a"):
            continue
        ind = dash.catalogue[r.indicator_id]
        diff = full.value(f"{r.indicator_id}_exc_uasc", m) - full.value(r.indicator_id, m)
        assert r.variance == scs_returns.variance(0.0, diff, ind.unit)
    # care leavers are a county service: no area rows for them
    assert not frame[(frame["area_code"] != KENT_CODE) & frame["number"].isin([32, 33, 34, 35])].shape[0]


def test_exception_reports_for_every_red_indicator_with_spc_of_the_monthly_values(dash):
    notes = scs_dashboard.load_commentary(dash)
    reds = scs_dashboard.red_indicators(dash)
    block = scs_dashboard.exception_reports(dash, notes)
    assert block.html.count('class="ehps-exception"') == len(reds) >= 1
    for ind in reds:
        assert ind.title in block.html
    rolling = [i for i in reds if i.data_period == "R12M"]
    sections = block.html.split('class="ehps-exception"')[1:]
    for ind in rolling:  # charted by its monthly values, never by the overlapping windows; or not charted, and why
        part = next(s for s in sections if ind.title in s)
        assert "share 11 months" in part or "No SPC chart of" in part
        if "No SPC chart of" not in part:
            assert 'src="data:image/svg+xml;base64,' in part and "XmR (SPC) chart of monthly" in part
    assert "Trend data – month end" in block.html and "Data notes" in block.html
    assert notes.found and "Illustrative commentary on synthetic data" in block.html


def test_the_commentary_file_is_checked_against_the_scs_catalogue(tmp_path, dash):
    folder = tmp_path / "reports" / "commentary" / "scs"
    folder.mkdir(parents=True)
    (folder / "2016-08.yml").write_text("commentary:\n  scs_no_such: text\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown indicator id"):
        scs_dashboard.load_commentary(dash, root=tmp_path)


# -- the covering paper --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paper(returns_env):
    return scs_committee_paper.load_paper(KENT_CODE, "latest")


def test_the_covering_paper_in_the_councils_format(paper):
    head = scs_committee_paper.header(paper)
    assert "Subject: SPECIALIST CHILDREN'S SERVICE PERFORMANCE DASHBOARD" in head.text
    assert "<strong>CONSIDER</strong> and <strong>COMMENT ON</strong>" in head.html
    assert "To: Children's Social Care and Health Cabinet Committee – November 2016" in head.text
    titles = [s.title for s in scs_committee_paper.outline(paper)]
    # seed 004: 1. Introduction, 2. ..., 3. Summary of Performance, 4. Recommendations, 5. Background, 6. Contacts
    assert titles == ["Introduction", "Children's Social Care Performance Report", "Summary of Performance",
                      "Recommendation(s)", "Background Documents", "Contact details"]


def test_the_generated_paragraphs_state_the_published_ratings(paper, dash):
    sections = {s.title: s for s in scs_committee_paper.outline(paper)}
    report = [p.text for p in sections["Children's Social Care Performance Report"].paragraphs]
    assert report[1] == ("The Specialist Children's Services performance dashboard includes latest available results "
                         "which are for August 2016.")
    summary = " ".join(p.text for p in sections["Summary of Performance"].paragraphs)
    counts = scs_dashboard.rag_counts(dash)
    words = {k: scs_returns.count_words(v) for k, v in counts.items()}
    assert (f"shows {words['Green']} of the measures rated as Green, {words['Amber']} as Amber and "
            f"{words['Red']} as Red.") in summary
    assert "45 performance measures" in summary
    for ind in scs_dashboard.red_indicators(dash):
        assert f"{ind.number}. {ind.title}" in summary
    # every digit of a generated paragraph belongs to a claim
    for s in sections.values():
        for p in s.paragraphs:
            if p.generated:
                claimed = "".join(p.text[c.start:c.end] for c in p.statement.claims)
                assert sorted(re.findall(r"\d", p.text)) == sorted(re.findall(r"\d", claimed)), p.text


def test_appendix_a_is_the_dashboard(paper):
    html = unescape(scs_committee_paper.appendices(paper).html)
    assert "Appendix A: Specialist Children's Services performance dashboard, August 2016" in html
    assert 'href="scs_dashboard.html"' in html
    for heading in scs_returns.PART_HEADINGS:
        assert heading in html


def test_a_release_names_what_the_scs_papers_still_need(returns_env):
    # the committed details name roles, not people, and the August 2016 commentary is illustrative:
    # a release of either paper is refused naming each file and key
    dash_gaps = scs_dashboard.release_gaps(KENT_CODE, "latest")
    assert any("reports/commentary/scs/2016-08.yml" in g and "owner.cabinet_member" in g for g in dash_gaps)
    assert any("scs_return_interviews" in g and "illustrative" in g for g in dash_gaps)
    paper_gaps = scs_committee_paper.release_gaps(KENT_CODE, "latest")
    assert "Meeting date missing (the paper prints only the month): set meeting_date in " \
           "reports/papers/scs/2016-08.yml" in paper_gaps
    line = "Cabinet Member for Specialist Children's Services"
    assert any(g.startswith(f"From line 1 ({line!r}) names a role but no person") for g in paper_gaps)
    assert set(dash_gaps) <= set(paper_gaps)  # Appendix A is the dashboard: its gaps are the paper's too
    # the build's draft gate reads the same checks, each gap prefixed with its paper
    gate = build.release_gaps([("scs_dashboard", KENT_CODE, "Kent")], "2016-08")
    assert gate == [f"Specialist Children's Services performance dashboard for Kent: {g}" for g in dash_gaps]


def test_details_errors_name_the_file_and_key(tmp_path):
    (tmp_path / "default.yml").write_text("subject: X\n", encoding="utf-8")
    with pytest.raises(committee.PaperDetailsError, match="missing key 'from'"):
        committee.load_details("2016-08", tmp_path, generated=tuple(scs_returns.PARAGRAPHS))
    text = (io.paper_details_dir() / "scs" / "default.yml").read_text(encoding="utf-8")
    (tmp_path / "default.yml").write_text(text.replace("generated: [measures,", "generated: [measure,"),
                                          encoding="utf-8")
    with pytest.raises(committee.PaperDetailsError, match="unknown generated paragraph 'measure'"):
        committee.load_details("2016-08", tmp_path, generated=tuple(scs_returns.PARAGRAPHS))


# -- build ------------------------------------------------------------------------------------------------
def test_returns_templates_are_skipped_with_a_message_without_returns(synthetic_data_dir, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(synthetic_data_dir, data)
    monkeypatch.setenv("EHPS_DATA_DIR", str(data))
    lines: list[str] = []
    specs = [t for t in build.config.load_settings().templates if t.id in ("scorecard", "scs_dashboard")]
    editions = build._editions(specs, "latest", data, lines.append, explicit=False)
    assert [e.source for e in editions] == ["extract"]
    assert any(line.startswith("Skipped scs_dashboard") and "ehps synth-returns" in line for line in lines)
    with pytest.raises(FileNotFoundError, match="ehps synth-returns"):
        build._editions(specs, "latest", data, lines.append, explicit=True)


def test_the_scan_knows_the_returns_identifiers(returns_env):
    secrets = build._secrets(returns_env)
    tables, _ = io.read_returns(returns_env)
    child = tables["cin_child"]["LAchildID"].iloc[0]
    upn = tables["cin_child"]["UPN"].dropna().iloc[0]
    assert child in secrets.identifiers and upn in secrets.identifiers
    found = disclosure._secret_findings("x.html", "text", f"see {child}", secrets)
    assert [f.rule for f in found] == ["child_identifier"]


@pytest.mark.slow
def test_make_report_builds_both_papers_from_the_returns(returns_env, tmp_path):
    site = tmp_path / "site"
    lines: list[str] = []
    outcome = build.build(period="latest", areas=[KENT_CODE], templates=["scs_dashboard", "scs_committee_paper"],
                          workers=2, engine="builtin", site_dir=site, reports_dir=tmp_path / "reports",
                          log=lines.append, progress=False)
    assert outcome.ok and outcome.published, [f.describe() for f in outcome.failures]
    folder = site / "2016-08" / KENT_CODE
    html = (folder / "scs_dashboard.html").read_text(encoding="utf-8")
    assert "Performance Management Scorecard" in html and "Synthetic data: not real children" in html
    assert (folder / "scs_committee_paper.pdf").read_bytes().startswith(b"%PDF-")
    manifest = io.read_json(site / "2016-08" / "manifest.json")
    assert manifest["source"] == "returns" and "returns" in manifest["inputs"]
    # the figures file (every number of the paper's tables, one a line): withheld cells say so
    figures = pd.read_csv(folder / "scs_dashboard-E10000016-2016-08.csv", dtype=str, keep_default_na=False)
    assert (figures["status"] == SUPPRESSED).any()
    assert figures["caption"].str.startswith("Scorecard - Kent, August 2016").any()
    assert not disclosure.scan_site(site, build._secrets(returns_env))
