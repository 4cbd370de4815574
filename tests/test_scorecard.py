"""County scorecard (SCS format), exception reports, commentary and district dashboard tables.

Every expected value is worked out by hand in the comments from a small hand-made table of
published results (built below in the shape of ``assess.PUBLISHED_COLUMNS``) and the real
catalogue's targets: ``step_downs_r12m`` (count, H, target 1,490, floor 1,145),
``closed_positive_pct`` (%, H, 83 / 66), ``step_ups_r12m`` (count, L, 450 / 600) and
indicators with no target. The scorecard period is 2016-17 Q4, so its "latest month" is
March 2017, "1 month ago" February 2017 and "1 year ago" March 2016.
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from ehps_lib.indicators.assess import PUBLISHED_COLUMNS
from ehps_lib.papers import blocks, commentary, county_scorecard, district_dashboard, scorecard_data, scs
from ehps_lib.papers.commentary import CommentaryError, parse_commentary
from ehps_lib.papers.scorecard_data import ScorecardError, scorecard_from_results
from ehps_lib.publish import render

KENT, CAN, DAR, GRA, SEV = "E10000016", "E07000106", "E07000107", "E07000109", "E07000111"
NORTH = "KENT-NORTH"
Q4 = "2016-17 Q4"
SOURCE = "reports/commentary/2016-17-Q4.yml"
ROOT = Path(__file__).resolve().parent.parent


# -- a hand-made published results table ------------------------------------------------------------
def _row(ind, area, period, value, **kw) -> dict:
    kind = "quarter" if " Q" in period else "month"
    start = (pd.Timestamp({"2016-17 Q4": "2017-01-01", "2016-17 Q3": "2016-10-01"}[period]) if kind == "quarter"
             else pd.Timestamp(f"{period}-01"))
    row = dict.fromkeys(PUBLISHED_COLUMNS)
    row.update({"indicator_id": ind, "area_code": area, "area_name": area, "period": period, "period_kind": kind,
                "period_start": start, "age_band": "all", "numerator": math.nan, "denominator": math.nan,
                "value": value, "suppressed": False, "direction_previous": "not compared",
                "direction_year_ago": "not compared", "compared_with_kent": "not compared",
                "rolling3_value": math.nan})
    row.update(kw)
    if row["suppressed"]:
        row["value"] = math.nan
    return row


def _results(extra: list[dict] | None = None) -> pd.DataFrame:
    rows = [
        # step_downs_r12m (H, 1,490 / 1,145): 1,143 is below the floor, so Red; the month before
        # 1,131 -> 1,143 is up, improved; a year before 1,099, improved. Dec-Feb: 1,125, 1,130, 1,131.
        _row("step_downs_r12m", KENT, "2017-03", 1143.0, numerator=1143.0, target=1490.0, floor=1145.0, rag="Red",
             direction_previous="improved", direction_year_ago="improved", spc_note="not charted: rolling"),
        _row("step_downs_r12m", KENT, "2017-02", 1131.0, target=1490.0, floor=1145.0, rag="Red"),
        _row("step_downs_r12m", KENT, "2017-01", 1130.0, target=1490.0, floor=1145.0, rag="Red"),
        _row("step_downs_r12m", KENT, "2016-12", 1125.0, target=1490.0, floor=1145.0, rag="Red"),
        _row("step_downs_r12m", KENT, "2016-03", 1099.0, target=1490.0, floor=1145.0, rag="Red"),
        # the rolling 12 months is never charted: its SPC chart is of the monthly step-downs it adds up
        # (catalogue spc_from). March 2016 and December 2016 to March 2017, January withheld (a gap):
        # 4 published points, limits 80 to 110 from all 4, March 2017 (130) beyond the upper limit.
        *[_row("step_downs", KENT, p, v, spc_mean=95.0, spc_lpl=80.0, spc_upl=110.0,
               spc_point_type="improvement_high" if p == "2017-03" else "common_cause",
               spc_rule="beyond_limit" if p == "2017-03" else None, spc_variation="improvement_high",
               spc_points=4, spc_baseline=4, spc_phase_start="2016-03", spc_missing=1)
          for p, v in (("2016-03", 95.0), ("2016-12", 88.0), ("2017-02", 92.0), ("2017-03", 130.0))],
        _row("step_downs", KENT, "2017-01", math.nan, suppressed=True),
        # closed_positive_pct (H, 83 / 66): 631 / 792 = 79.67% -> "79.7%", Amber (66 <= 79.67 < 83);
        # February 81.96% -> "82.0%", worse; March 2016 80.18% -> "80.2%", worse;
        # rolling three months 81.02% -> "81.0%", Amber.
        _row("closed_positive_pct", KENT, "2017-03", 631 / 792 * 100, numerator=631.0, denominator=792.0,
             target=83.0, floor=66.0, rag="Amber", direction_previous="worse", direction_year_ago="worse",
             rolling3_value=81.0165, rolling3_rag="Amber"),
        _row("closed_positive_pct", KENT, "2017-02", 81.96, target=83.0, floor=66.0, rag="Amber"),
        _row("closed_positive_pct", KENT, "2016-03", 80.18, target=83.0, floor=66.0, rag="Amber"),
        # step_ups_r12m (L, 450 / 600): 440 <= 450, Green.
        _row("step_ups_r12m", KENT, "2017-03", 440.0, target=450.0, floor=600.0, rag="Green",
             direction_previous="improved"),
        # notifications (count, N): 1,010 after 837 -> higher (no judgement); March 2016 withheld -> "c".
        _row("ehn_received", KENT, "2017-03", 1010.0, direction_previous="higher"),
        _row("ehn_received", KENT, "2017-02", 837.0),
        _row("ehn_received", KENT, "2016-03", math.nan, suppressed=True),
    ]
    # cases open at the month end, for the activity table:
    #   Kent 2,776 after 2,798: 2,776 - 2,798 = -22; Dartford 179 after 173: +6; Gravesham 206 and
    #   206: 0; Sevenoaks 168 after a withheld February: "c"; North Kent 553 after 534: +19;
    #   Canterbury 277 with no February row: "n/a".
    for area, now, before in ((KENT, 2776.0, 2798.0), (NORTH, 553.0, 534.0), (DAR, 179.0, 173.0),
                              (GRA, 206.0, 206.0), (SEV, 168.0, None), (CAN, 277.0, "missing")):
        rows.append(_row("cases_open", area, "2017-03", now))
        if before is None:
            rows.append(_row("cases_open", area, "2017-02", math.nan, suppressed=True))
        elif before != "missing":
            rows.append(_row("cases_open", area, "2017-02", before))
    # step-ups in the month: Dartford withheld ("c"), Gravesham 0, Kent 50
    rows += [_row("step_ups", DAR, "2017-03", math.nan, suppressed=True), _row("step_ups", GRA, "2017-03", 0.0),
             _row("step_ups", KENT, "2017-03", 50.0)]
    # district dashboard, Canterbury, 2016-17 Q4
    rows += [
        # closed with a positive outcome: 78.4% vs Kent 81.0%, similar, 10th of 12, worse
        _row("closed_positive_pct", CAN, Q4, 78.4, numerator=218.0, denominator=278.0, rank=10, rank_of=12,
             compared_with_kent="similar", direction_previous="worse", kent_value=81.0),
        _row("closed_positive_pct", KENT, Q4, 81.0, numerator=1865.0, denominator=2302.0),
        # notifications per 10,000 (N): 97.8 with interval 86.9 to 109.8 and Kent 83.0 outside it,
        # above -> "Higher than Kent (no judgement)"; 3rd of 11 (one district withheld)
        _row("ehn_rate", CAN, Q4, 97.8, numerator=289.0, denominator=29546.0, ci_lower=86.9, ci_upper=109.8,
             compared_with_kent="higher",
             kent_value=83.0, rank=3, rank_of=11, direction_previous="lower"),
        _row("ehn_rate", KENT, Q4, 83.0, numerator=2791.0, denominator=336090.0),
        # cases open (count): not ranked, not compared
        _row("cases_open", CAN, Q4, 277.0, direction_previous="lower"),
        _row("cases_open", KENT, Q4, 2776.0),
    ]
    frame = pd.DataFrame(rows + (extra or []))[PUBLISHED_COLUMNS]
    frame["rank"] = frame["rank"].astype("Int64")
    frame["rank_of"] = frame["rank_of"].astype("Int64")
    frame["spc_points"] = frame["spc_points"].astype("Int64")
    return frame


META = {"period": Q4, "synthetic": True, "extract_date": "2017-03-31"}


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return _results()


@pytest.fixture(scope="module")
def kent(results):
    return scorecard_from_results(results, META, KENT, Q4)


@pytest.fixture(scope="module")
def canterbury(results):
    return scorecard_from_results(results, META, CAN, Q4)


@pytest.fixture
def notes() -> commentary.Commentary:
    text = (f'period: "{Q4}"\nowner:\n  cabinet_member: "A Member"\n  director: "A Director"\n'
            "commentary:\n  step_ups_r12m: |\n    Step-ups fell.\n\n    Second paragraph.\n")
    return parse_commentary(text, Q4, source=SOURCE)


class _Rows(HTMLParser):
    """Rows of every table in an HTML fragment, as lists of cell texts."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def row(self, first: str) -> list[str]:
        """The row whose first or second cell is ``first``."""
        return next(r for r in self.rows if first in r[:2])


# -- periods ----------------------------------------------------------------------------------------
def test_latest_month_is_the_last_month_of_the_quarter():
    assert scorecard_data.latest_month("2016-17 Q4").label == "2017-03"
    assert scorecard_data.latest_month("2016-17 Q1").label == "2016-06"


# -- the SCS-format rows -----------------------------------------------------------------------------
class TestScsRows:
    def test_ids_numbered_in_catalogue_order(self, kent):
        rows = county_scorecard.scs_rows(kent)
        # catalogue order of the indicators in the results: ehn_received, ehn_rate (Demand),
        # cases_open, step_downs, step_downs_r12m (Throughput), closed_positive_pct, step_ups,
        # step_ups_r12m (Outcomes); ehn_rate has only Canterbury's quarter here, so Kent's March shows n/a
        assert rows["indicator_id"].tolist() == ["ehn_received", "ehn_rate", "cases_open", "step_downs",
                                                 "step_downs_r12m", "closed_positive_pct", "step_ups", "step_ups_r12m"]
        assert rows["id"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
        assert rows.set_index("indicator_id").loc["ehn_rate", "result"] == "n/a"
        assert rows["group"].drop_duplicates().tolist() == ["Demand", "Throughput", "Outcomes"]

    def test_percentage_row(self, kent):
        r = county_scorecard.scs_rows(kent).set_index("indicator_id").loc["closed_positive_pct"]
        assert (r.result, r.rag, r.numerator, r.denominator, r.target) == ("79.7%", "Amber", "631", "792", "83.0%")
        assert (r.month_ago, r.direction_month_ago, r.year_ago, r.direction_year_ago) == (
            "82.0%", "worse", "80.2%", "worse")
        assert r.rolling3 == "81.0% ▲ Amber"

    def test_count_row_has_dashes_for_numerator_denominator_and_rolling(self, kent):
        r = county_scorecard.scs_rows(kent).set_index("indicator_id").loc["step_downs_r12m"]
        assert (r.result, r.rag, r.numerator, r.denominator, r.target, r.rolling3) == (
            "1,143", "Red", "-", "-", "1,490", "-")
        assert (r.month_ago, r.year_ago) == ("1,131", "1,099")

    @pytest.mark.parametrize(("extra", "expected"), [([], "n/a"), ([("2017-01", True)], "c")])
    def test_rolling_three_months_withheld_or_missing(self, extra, expected):
        # no published rolling figure for March: "c" when one of January-March is withheld,
        # "n/a" when the months are simply missing
        frame = _results([_row("closed_positive_pct", KENT, m, math.nan, suppressed=s) for m, s in extra])
        march = (frame["indicator_id"] == "closed_positive_pct") & (frame["period"] == "2017-03") & (
            frame["area_code"] == KENT)
        frame.loc[march, "rolling3_value"] = math.nan
        frame.loc[march, "rolling3_rag"] = None
        data = scorecard_from_results(frame, META, KENT, Q4)
        rows = county_scorecard.scs_rows(data).set_index("indicator_id")
        assert rows.loc["closed_positive_pct", "rolling3"] == expected

    def test_cells_as_printed(self, kent):
        table = _Rows(county_scorecard.scs_table(kent).html)
        # ID | Indicator | Polarity | Data period | Result and RAG | Num | Denom | Target |
        # 1 month: result, DoT | 1 year: result, DoT | Rolling 3 months
        assert table.row("Cases closed with a positive outcome") == [
            "6.", "Cases closed with a positive outcome", "H", "M", "79.7% ▲ Amber", "631", "792", "83.0%",
            "82.0%", "▼ Lower: worse", "80.2%", "▼ Lower: worse", "81.0% ▲ Amber"]
        assert table.row("Step-downs from SCS in the last 12 months") == [
            "5.", "Step-downs from SCS in the last 12 months", "H", "R12M", "1,143 ✖ Red", "-", "-", "1,490",
            "1,131", "▲ Higher: improved", "1,099", "▲ Higher: improved", "-"]
        # no judgement for N: ▲ higher; March 2016 withheld prints "c"; no target, no badge
        assert table.row("Early Help Notifications received") == [
            "1.", "Early Help Notifications received", "N", "M", "1,010", "-", "-", "-", "837",
            "▲ Higher (no judgement)", "c", "Not compared", "-"]

    def test_two_header_rows_with_column_groups_and_sections(self, kent):
        html = county_scorecard.scs_table(kent).html
        assert "<caption>" in html
        assert html.count('scope="colgroup"') == 3
        for head in ("Latest result: March 2017", "1 month ago: February 2017", "1 year ago: March 2016",
                     "Rolling 3 months and RAG: Jan to Mar 2017"):
            assert head in html
        assert re.findall(r'<th scope="rowgroup" colspan="13">([^<]+)</th>', html) == [
            "Demand", "Throughput", "Outcomes"]
        assert 'class="ehps-table-wrap ehps-sc-landscape"' in html  # landscape pages in print


# -- RAG summary --------------------------------------------------------------------------------------
class TestRagSummary:
    def test_counts(self, kent):
        # step_downs_r12m Red, closed_positive_pct Amber, step_ups_r12m Green; ehn_received,
        # ehn_rate, cases_open, step_downs and step_ups have no target: 5 not rated
        assert county_scorecard.rag_counts(kent) == {"Green": 1, "Amber": 1, "Red": 1, "Not rated": 5}

    def test_sentence(self, kent):
        assert county_scorecard.rag_sentence(county_scorecard.rag_counts(kent)) == (
            "Of the 3 rated indicators, 1 is Green, 1 Amber and 1 Red. Exception reports follow for the Red "
            "indicator.")
        assert county_scorecard.rag_sentence({"Green": 0, "Amber": 2, "Red": 1, "Not rated": 13}) == (
            "Of the 3 rated indicators, 0 are Green, 2 Amber and 1 Red. Exception reports follow for the Red "
            "indicator.")
        assert county_scorecard.rag_sentence({"Green": 2, "Amber": 0, "Red": 3, "Not rated": 0}).endswith(
            "Exception reports follow for the 3 Red indicators.")

    def test_chart_alt_text_and_table(self, kent):
        block = county_scorecard.rag_summary(kent)
        alt = re.search(r'alt="([^"]+)"', block.html).group(1)
        assert alt == ("Bar chart of the latest performance RAG ratings for Kent, March 2017: 1 Green, 1 Amber, "
                       "1 Red and 5 not rated.")
        rows = _Rows(block.html).rows
        assert rows[1:] == [["✔ Green", "1"], ["▲ Amber", "1"], ["✖ Red", "1"], ["Not rated", "5"]]


# -- activity table -----------------------------------------------------------------------------------
class TestActivity:
    @pytest.mark.parametrize(("now", "before", "kw", "expected"), [
        (9444, 9711, {}, "-267"),         # 9,444 - 9,711 = -267 (the council's Kent caseload, 004:3038)
        (1145, 1092, {}, "+53"),          # 1,145 - 1,092 = +53
        (10500, 9000, {}, "+1,500"),
        (322, 322, {}, "0"),
        (10, 12, {"before_suppressed": True}, "c"),
        (10, math.nan, {}, "n/a"),
    ])
    def test_signed_change(self, now, before, kw, expected):
        assert blocks.signed_change(now, before, **kw) == expected

    def test_rows_changes_and_suppression(self, kent):
        rows = county_scorecard.activity_rows(kent).set_index("area_code")
        assert rows.loc[KENT, ["cases_open", "cases_open_last_month", "cases_open_change"]].tolist() == [
            "2,776", "2,798", "-22"]
        assert rows.loc[NORTH, "cases_open_change"] == "+19"
        assert rows.loc[DAR, "cases_open_change"] == "+6"
        assert rows.loc[GRA, "cases_open_change"] == "0"
        assert rows.loc[SEV, ["cases_open_last_month", "cases_open_change"]].tolist() == ["c", "c"]
        assert rows.loc[CAN, ["cases_open_last_month", "cases_open_change"]].tolist() == ["n/a", "n/a"]
        assert rows.loc[[KENT, DAR, GRA], "step_ups"].tolist() == ["50", "c", "0"]

    def test_order_kent_then_each_area_and_its_districts(self, kent):
        areas = county_scorecard.activity_rows(kent)["area"].tolist()
        assert areas[:5] == ["Kent", "North Kent", "Dartford", "Gravesham", "Sevenoaks"]
        assert areas[5] == "East Kent" and areas[9] == "South Kent" and areas[13] == "West Kent"
        assert "Shepway" in areas  # its name in March 2017
        assert len(areas) == 1 + 4 + 12

    def test_table_headers_and_notes(self, kent):
        html = county_scorecard.activity_table(kent).html
        assert _Rows(html).rows[0] == [
            "Area", "Cases open: this month (end of March 2017)", "Cases open: last month (end of February 2017)",
            "Change in cases open", "Notifications received in March 2017", "Cases closed in March 2017",
            "Cases stepped up to SCS in March 2017", "Cases stepped down from SCS in March 2017"]
        assert _Rows(html).row("Dartford (North Kent)")[:4] == ["Dartford (North Kent)", "179", "173", "+6"]
        assert "A change is withheld (c) when either month&#x27;s count is withheld." in html


# -- exception reports ---------------------------------------------------------------------------------
class TestExceptionReports:
    def test_only_the_red_indicator_gets_one(self, kent, notes):
        assert [i.id for i in county_scorecard.red_indicators(kent)] == ["step_downs_r12m"]
        html = county_scorecard.exception_reports(kent, notes).html
        assert html.count('<section class="ehps-exception"') == 1
        assert re.search(r"<h3[^>]*>.*Step-downs from SCS in the last 12 months.*✖</span> Red</span></h3>", html)

    def test_data_notes(self, kent, notes):
        html = county_scorecard.exception_report(kent, "step_downs_r12m", notes).html
        assert ("Target:</dt><dd>1,490 (RAG bandings: below 1,145 = Red, 1,145 to 1,490 = Amber, "
                "1,490 and above = Green)") in html
        assert "Tolerance:</dt><dd>Higher values are better" in html
        # rolling 12 months to March 2017: April 2016 to March 2017
        assert ("Figures shown are based on a rolling 12 month period. The result for March 2017 for example "
                "shows performance for April 2016 to March 2017.") in html
        assert "Data source:</dt><dd>Early Help Module (shared database with Liberi)" in html

    def test_trend_data_last_four_months(self, kent):
        trend = county_scorecard.trend_rows(kent, "step_downs_r12m")
        assert trend["month"].tolist() == ["Dec 2016", "Jan 2017", "Feb 2017", "Mar 2017"]
        assert trend["result"].tolist() == ["1,125", "1,130", "1,131", "1,143"]
        assert trend["target"].tolist() == ["1,490"] * 4
        assert trend["rag"].tolist() == ["Red"] * 4

    def test_spc_of_a_rolling_indicator_is_its_monthly_flow(self, kent, notes):
        # Changed with issue 11: the rolling 12 months (consecutive points share 11 months) is never
        # charted; the exception report charts the monthly step-downs, with no assurance icon (Kent's
        # 1,490 is a target for the rolling 12 months, not for a month's count).
        html = county_scorecard.exception_report(kent, "step_downs_r12m", notes).html
        alt = re.search(r'<img [^>]*alt="([^"]+)"', html).group(1)
        assert alt.startswith("XmR (SPC) chart of monthly ")
        assert "in Kent, March 2016 to March 2017 (4 published months)" in alt
        assert "mean 95, process limits 80 to 110, limits from all 4 published months from March 2016." in alt
        assert "target" not in alt.split("Latest point")[0]
        assert "Special cause variation: improvement (higher)." in alt
        assert "Assurance" not in alt
        assert "1 of the 4 points show special cause variation" in alt
        assert "1 month is withheld to protect confidentiality and left as a gap." in alt
        assert "Trial limits: only 4 points (13 or more are needed for reliable limits)" in alt
        assert "<strong>Warning:</strong> Trial limits: only 4 points" in html
        assert "is a rolling 12 months, used for its RAG rating" in html
        assert "No assurance icon: the target is not set on these monthly figures." in html
        rows = _Rows(html).rows
        assert ["Mar 2017", "130", "Improvement (higher): a point beyond a process limit"] in rows
        assert ["Jan 2017", "c", "Withheld: not charted (a gap)"] in rows

    def test_no_spc_chart_for_a_snapshot(self, kent):
        figure, alt, svg = scs._spc_parts(kent, "cases_open")
        assert svg is None
        assert alt.startswith("No SPC chart of Early Help Unit cases open at period end in Kent: it is a snapshot")

    @pytest.mark.parametrize(("ind", "expected"), [
        ("step_ups_r12m", "Target: 450 (RAG bandings: 600 and above = Red, 450 to 600 = Amber, 450 and below = Green)"),
        ("closed_positive_pct",
         "Target: 83% (RAG bandings: below 66% = Red, 66% to 83% = Amber, 83% and above = Green)"),
        ("ehn_received", "Target: none published; the indicator is not rated."),
    ])
    def test_rag_bands_in_words(self, kent, ind, expected):
        assert county_scorecard.rag_bands_text(kent.catalogue[ind]) == expected

    def test_no_red_no_report(self, results):
        quiet = results[results["indicator_id"] != "step_downs_r12m"]
        data = scorecard_from_results(quiet, META, KENT, Q4)
        block = county_scorecard.exception_reports(data, parse_commentary(None, Q4, source=SOURCE))
        assert block.text == "No indicator is rated Red for March 2017, so there are no exception reports."

    def test_each_report_starts_a_new_page_in_print(self):
        css = render.page_css()
        assert re.search(r"\.ehps-exceptions > \.ehps-exception \{ break-before: page;", css)
        assert "@page ehps-landscape { size: A4 landscape; }" in css


# -- commentary -----------------------------------------------------------------------------------------
class TestCommentary:
    def test_missing_entry_is_stated_as_missing(self, kent, notes):
        html = county_scorecard.exception_report(kent, "step_downs_r12m", notes).html
        assert ("No commentary has been provided for this indicator for 2016-17 Q4 (expected in "
                "reports/commentary/2016-17-Q4.yml).") in html
        # the owners given are printed; those not given say so
        assert "A Member" in html and "A Director" in html
        assert html.count("Not provided") == 2  # portfolio, division

    def test_given_entry_is_printed_in_paragraphs(self, notes):
        assert notes.text("step_ups_r12m") == "Step-ups fell.\n\nSecond paragraph."
        assert "<p>Step-ups fell.</p><p>Second paragraph.</p>" in commentary._commentary_html(notes, "step_ups_r12m")

    def test_missing_file(self, tmp_path):
        notes = commentary.load_commentary(Q4, root=tmp_path)
        assert not notes.found and notes.entries == {} and notes.owner == {}
        assert notes.missing_text() == ("No commentary has been provided for this indicator for 2016-17 Q4 "
                                        "(expected in reports/commentary/2016-17-Q4.yml, which does not exist).")

    def test_reads_the_period_file(self, tmp_path):
        folder = tmp_path / "reports" / "commentary"
        folder.mkdir(parents=True)
        (folder / "2016-17-Q4.yml").write_text("commentary:\n  step_downs_r12m: Text.\n", encoding="utf-8")
        assert commentary.load_commentary(Q4, root=tmp_path).entries == {"step_downs_r12m": "Text."}

    def test_empty_entry_counts_as_not_provided(self):
        notes = parse_commentary("commentary:\n  step_downs_r12m:\n  step_ups_r12m: ''\n", Q4, source=SOURCE)
        assert notes.found and notes.entries == {}

    @pytest.mark.parametrize(("text", "message"), [
        ("comentary:\n  step_downs_r12m: x\n",
         "2016-17-Q4.yml, line 1: comentary: unknown key. Did you mean 'commentary'?"),
        ("commentary:\n  step_down_r12m: x\n",
         "2016-17-Q4.yml, line 2: commentary.step_down_r12m: unknown indicator id. Did you mean 'step_downs_r12m'?"),
        ("commentary:\n  step_downs_r12m: [a, b]\n", "commentary.step_downs_r12m: must be text, got a list"),
        ("commentary:\n  step_downs_r12m: 12\n", "commentary.step_downs_r12m: must be text, got a number"),
        ("commentary: some text\n", "commentary: must be a mapping of indicator id to text, got text"),
        ("owner:\n  cabinet_membr: Someone\n", "owner.cabinet_membr: unknown key"),
        ("owner:\n  director: {name: x}\n", "owner.director: must be text, got a mapping"),
        ("period: 2016-17 Q3\n", "period: says '2016-17 Q3', but the file is for 2016-17 Q4"),
        ("- a list\n", "must be a mapping"),
        ("commentary: {step_downs_r12m: 'unclosed\n", "not valid YAML"),
    ])
    def test_bad_file_names_the_bad_key(self, text, message):
        with pytest.raises(CommentaryError, match=re.escape(message)):
            parse_commentary(text, Q4, source=SOURCE)

    def test_the_committed_example_is_valid_and_partial(self):
        notes = commentary.load_commentary(Q4, root=ROOT)
        assert notes.found and set(notes.owner) == {"cabinet_member", "director", "portfolio", "division"}
        assert "synthetic" in notes.note and "illustrative" in notes.note
        # some, not all: the Red indicator of the default extract is covered, one Amber is not
        assert "step_downs_r12m" in notes.entries and "closed_positive_pct" not in notes.entries
        assert all("Illustrative" in text for text in notes.entries.values())


# -- district dashboard ----------------------------------------------------------------------------------
class TestDistrictTable:
    def test_rank_comparison_and_movement(self, canterbury):
        rows = district_dashboard.district_rows(canterbury).set_index("indicator_id")
        assert rows.loc["closed_positive_pct", ["district", "kent", "comparison", "rank", "movement"]].tolist() == [
            "78.4%", "81.0%", "Similar to Kent", "10 of 12", "worse"]
        # N rate: Kent 83.0 lies outside 86.9-109.8 and below 97.8
        assert rows.loc["ehn_rate", ["district", "kent", "comparison", "rank"]].tolist() == [
            "97.8", "83.0", "Higher than Kent (no judgement)", "3 of 11"]
        assert rows.loc["cases_open", ["district", "kent", "comparison", "rank", "rank_reason"]].tolist() == [
            "277", "2,776", "Not compared", "n/a", "count"]

    def test_cells_as_printed(self, canterbury):
        block = district_dashboard.district_table(canterbury)
        table = _Rows(block.html)
        assert table.rows[0] == ["Indicator", "District figure", "Kent figure", "Comparison to Kent",
                                 "Rank amongst districts", "Movement since last period"]
        assert table.row("Cases closed with a positive outcome (percentage)") == [
            "Cases closed with a positive outcome (percentage)", "78.4%", "81.0%", "Similar to Kent", "10 of 12",
            "▼ Lower: worse"]
        assert table.row("Early Help Unit cases open at period end (number)")[3:] == [
            "Not compared", "n/a", "▼ Lower (no judgement)"]
        assert "n/a in the rank column: counts are not ranked, because they depend on the size of the district" \
            in block.html

    def test_kent_inside_the_interval_is_similar(self, results):
        # the comparison is the published one (assess compares no-judgement indicators since issue 11)
        same = results.copy()
        can_rate = (same["indicator_id"] == "ehn_rate") & (same["area_code"] == CAN)
        same.loc[can_rate, "kent_value"] = 90.0
        same.loc[can_rate, "compared_with_kent"] = "similar"
        data = scorecard_from_results(same, META, CAN, Q4)
        assert district_dashboard.district_rows(data).set_index("indicator_id").loc["ehn_rate", "comparison"] == \
            "Similar to Kent"

    def test_kent_itself_is_refused(self, kent):
        with pytest.raises(ScorecardError, match="choose a district"):
            district_dashboard.district_rows(kent)

    def test_public_indicator_latest_year_by_the_period_end(self, canterbury):
        districts = ["E07000105", CAN, DAR, "E07000108", GRA, "E07000110", SEV, "E07000112", "E07000113",
                     "E07000114", "E07000115", "E07000116"]
        rows = [{"indicator_id": "cypf_teenage_conceptions", "area_code": code, "period": "2015", "value": 10.0 + i,
                 "rank": i + 1, "compared_with_kent": "similar", "direction_previous": "improved"}
                for i, code in enumerate(districts)]
        rows += [
            {"indicator_id": "cypf_teenage_conceptions", "area_code": KENT, "period": "2015", "value": 18.5,
             "rank": None, "compared_with_kent": "not compared", "direction_previous": "worse"},
            # 2016's conceptions were first published in March 2018: not shown in a 2016-17 Q4 paper
            {"indicator_id": "cypf_teenage_conceptions", "area_code": CAN, "period": "2016", "value": 99.0,
             "rank": 12, "compared_with_kent": "worse", "direction_previous": "worse"},
        ]
        public = pd.DataFrame(rows).astype({"rank": "Int64"})
        frame = district_dashboard.cypf_rows(canterbury, public)
        # Canterbury is the 2nd district in the list: value 11.0, rank 2 of the 12 ranked
        assert frame[["title", "district", "kent", "comparison", "rank", "movement"]].values.tolist() == [
            ["Under-18 conceptions per 1,000 women aged 15-17, 2015", "11.0", "18.5", "Similar to Kent", "2 of 12",
             "improved"]]
        html = district_dashboard.cypf_table(canterbury, public).html
        assert "CYPF outcome: Make safe and positive decisions" in html
        assert "CYPF indicators with no data source yet" in html and "Missing children" in html


class TestSparklines:
    def test_series_alt_text_and_table(self, canterbury):
        s = district_dashboard.sparkline_series(canterbury, "closed_positive_pct")
        assert len(s) == 12 and s["month"].iloc[-1] == pd.Timestamp("2017-03-01")
        block = district_dashboard.sparklines(canterbury)
        # rates and percentages only: ehn_rate and closed_positive_pct. This fixture has no monthly
        # figure for Canterbury, so neither is drawn: each says why and gives its table instead.
        assert block.html.count("<figure") == 0 and block.html.count("<caption>") == 2
        assert block.html.count("Not drawn: only 0 of the 12 months can be published for Canterbury") == 2


class TestTestedChange:
    def test_dashboard_captions_movement_as_untested_and_names_tested_trends(self, results):
        frame = results.copy()
        rows = (frame["indicator_id"] == "closed_positive_pct") & (frame["area_code"] == CAN) & (frame["period"] == Q4)
        frame.loc[rows, "trend"] = "decreasing"
        html = district_dashboard.district_table(scorecard_from_results(frame, META, CAN, Q4)).html
        assert "Movement compares two quarters only, without a statistical test" in html
        assert "Cases closed with a positive outcome: decreasing and getting worse." in html

    def test_scorecard_legend_captions_direction_of_travel(self, kent):
        assert "compares two figures only, without a statistical test" in county_scorecard.scorecard_legend(kent).html
