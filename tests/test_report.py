"""Display helpers: values, formats and accessibility worked out by hand on a tiny results table.

The table (``tests/conftest.py``) holds Canterbury and Kent for 2016-17 Q2 and the
comparison quarters, the notifications by age band, and twelve months of the rate.
"""

from __future__ import annotations

import base64
import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from ehps_lib.data import io
from ehps_lib.papers import blocks, scorecard, scorecard_data, sections
from ehps_lib.papers.scorecard_data import ScorecardError, scorecard_from_results

KENT, CAN = "E10000016", "E07000106"


class _Table(HTMLParser):
    """Rows of the first table in an HTML fragment, as (tag, scope, text) per cell; and the caption."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: list[list[tuple[str, str | None, str]]] = []
        self.caption = ""
        self._cell: list | None = None
        self._in_caption = False
        self._done = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if self._done:
            return
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = [tag, dict(attrs).get("scope"), ""]
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append((self._cell[0], self._cell[1], " ".join(self._cell[2].split())))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False
        elif tag == "table":
            self._done = True

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data
        elif self._in_caption:
            self.caption += data


def _texts(table: _Table) -> list[list[str]]:
    return [[text for _, _, text in row] for row in table.rows]


@pytest.fixture
def canterbury(tiny_results, tiny_meta) -> scorecard_data.ScorecardData:
    return scorecard_from_results(tiny_results, tiny_meta, CAN, "2016-17 Q2")


@pytest.fixture
def kent(tiny_results, tiny_meta) -> scorecard_data.ScorecardData:
    return scorecard_from_results(tiny_results, tiny_meta, KENT, "2016-17 Q2")


class TestFormatValue:
    @pytest.mark.parametrize(("value", "unit", "expected"), [
        (1234.0, "count", "1,234"),
        (0.0, "count", "0"),
        (14567.0, "count", "14,567"),
        (75.0, "%", "75.0%"),
        (66.66666, "%", "66.7%"),
        (411.3333, "rate per 10,000 aged 0-17", "411.3"),
        (12345.67, "rate per 10,000 aged 0-17", "12,345.7"),
        (39.84, "average", "39.8"),
        (math.nan, "count", "n/a"),
        (None, "%", "n/a"),
    ])
    def test_formats_by_unit(self, value, unit, expected):
        assert blocks.format_value(value, unit) == expected


class TestScorecardFromResults:
    def test_selects_area_and_period(self, canterbury):
        assert canterbury.area_name == "Canterbury"
        assert canterbury.period.label == "2016-17 Q2"
        assert canterbury.synthetic is True
        assert [i.id for i in canterbury.indicators] == ["ehn_received", "ehn_rate", "closed_positive_pct"]

    def test_unknown_area_is_a_clear_error(self, tiny_results, tiny_meta):
        with pytest.raises(ScorecardError, match=r"Unknown area code 'E09999999'.*E10000016"):
            scorecard_from_results(tiny_results, tiny_meta, "E09999999", "2016-17 Q2")

    def test_period_without_results_is_a_clear_error(self, tiny_results, tiny_meta):
        with pytest.raises(ScorecardError, match="hold nothing for E07000106 in 2017-18 Q1"):
            scorecard_from_results(tiny_results, tiny_meta, CAN, "2017-18 Q1")

    def test_bad_period_label(self, tiny_results, tiny_meta):
        with pytest.raises(ScorecardError, match="is not a period"):
            scorecard_from_results(tiny_results, tiny_meta, CAN, "Q2 2016")


class TestLoadScorecard:
    @pytest.fixture
    def data_dir(self, tmp_path, monkeypatch, tiny_results, tiny_meta):
        manifest = {"extract_date": "2016-10-31", "synthetic": True}
        io.write_json(manifest, tmp_path / "processed" / "_manifest.json")
        io.write_results(tiny_results, tiny_meta, "2016-17-Q2", tmp_path)
        monkeypatch.setenv("EHPS_DATA_DIR", str(tmp_path))
        return tmp_path

    def test_latest_is_the_latest_complete_quarter_of_the_extract(self, data_dir):
        data = scorecard_data.load_scorecard(CAN, "latest")  # extract date 31 October 2016
        assert data.period.label == "2016-17 Q2"
        assert data.value("ehn_received") == 1234

    def test_named_period(self, data_dir):
        assert scorecard_data.load_scorecard(KENT, "2016-17 Q2").area_name == "Kent"

    def test_unknown_area(self, data_dir):
        with pytest.raises(ScorecardError, match="Unknown area code 'E06000035'"):  # Medway is not in Kent CC
            scorecard_data.load_scorecard("E06000035", "latest")

    def test_missing_results_say_how_to_make_them(self, data_dir):
        with pytest.raises(FileNotFoundError, match="ehps indicators"):
            scorecard_data.load_scorecard(CAN, "2016-17 Q1")

    def test_no_extract_for_latest(self, tmp_path, monkeypatch):
        monkeypatch.setenv("EHPS_DATA_DIR", str(tmp_path))
        with pytest.raises(FileNotFoundError, match="ehps synth"):
            scorecard_data.load_scorecard(CAN, "latest")


class TestTitleBlock:
    def test_heading_period_and_banner(self, canterbury):
        html = sections.title_block(canterbury).html
        assert "<h1" in html and "Canterbury: Early Help and Preventative Services scorecard</h1>" in html
        assert "July to September 2016 (2016-17 Q2)" in html
        assert "Data extracted on 31 October 2016." in html
        assert re.search(r'<div class="ehps-synthetic-banner" role="note"[^>]*>', html)
        assert "Synthetic data: not real children&#x27;s records" in html

    def test_no_banner_for_real_data(self, tiny_results):
        data = scorecard_from_results(tiny_results, {"synthetic": False}, CAN, "2016-17 Q2")
        html = sections.title_block(data).html
        assert "ehps-synthetic-banner" not in html and "Synthetic" not in html


class TestSummaryTable:
    def test_values_by_hand(self, canterbury):
        table = _Table(sections.summary_table(canterbury).html)
        assert _texts(table) == [
            ["Indicator", "2016-17 Q2 (this quarter)", "2016-17 Q1 (previous quarter)",
             "2015-16 Q2 (a year earlier)", "Kent, 2016-17 Q2"],
            ["Early Help Notifications received (number)", "1,234", "1,100", "980", "14,567"],
            # 1234/30000*10000 = 411.3; 1100/30000*10000 = 366.7; Kent 14567/330000*10000 = 441.4
            ["Early Help Notifications per 10,000 children (rate per 10,000 aged 0-17)",
             "411.3", "366.7", "n/a", "441.4"],
            # 45 of 60 = 75.0%; no closures last quarter; no row a year ago; Kent 600 of 900 = 66.7%
            ["Cases closed with a positive outcome (percentage)", "75.0%", "n/a", "n/a", "66.7%"],
        ]

    def test_accessible_structure(self, canterbury):
        block = sections.summary_table(canterbury)
        table = _Table(block.html)
        assert table.caption.startswith(
            "Scorecard summary for Canterbury, July to September 2016 (2016-17 Q2)")
        assert all(tag == "th" and scope == "col" for tag, scope, _ in table.rows[0])
        for row in table.rows[1:]:
            assert row[0][:2] == ("th", "row")
            assert all(tag == "td" for tag, _, _ in row[1:])
        assert "n/a: not available" in block.html

    def test_kent_has_no_kent_column(self, kent):
        header = _texts(_Table(sections.summary_table(kent).html))[0]
        assert header == ["Indicator", "2016-17 Q2 (this quarter)", "2016-17 Q1 (previous quarter)",
                          "2015-16 Q2 (a year earlier)"]

    def test_suppressed_values_print_c(self, tiny_results, tiny_meta):
        results = tiny_results.assign(suppressed=False)
        hit = (results["indicator_id"] == "ehn_received") & (results["area_code"] == CAN) \
            & (results["period"] == "2015-16 Q2")
        results.loc[hit, ["value", "numerator", "suppressed"]] = [math.nan, math.nan, True]
        data = scorecard_from_results(results, tiny_meta, CAN, "2016-17 Q2")
        block = sections.summary_table(data)
        assert _texts(_Table(block.html))[1] == ["Early Help Notifications received (number)",
                                                 "1,234", "1,100", "c", "14,567"]
        assert "c: withheld to protect confidentiality" in block.html

    def test_markdown_twin_for_quarto_pdf(self, canterbury):
        md = sections.summary_table(canterbury).markdown
        assert "| Early Help Notifications received (number) | 1,234 | 1,100 | 980 | 14,567 |" in md
        assert "\n: Scorecard summary for Canterbury" in md


class TestAgeBandTable:
    def test_values_by_hand(self, canterbury):
        table = _Table(scorecard.age_band_table(canterbury).html)
        assert _texts(table) == [
            ["Age band", "Notifications", "Per 10,000 children of that age", "Share of notifications"],
            ["Aged 0-4", "300", "428.6", "24.3%"],      # 300/7000*1e4; 300/1234
            ["Aged 5-10", "400", "444.4", "32.4%"],     # 400/9000*1e4; 400/1234
            ["Aged 11-15", "350", "437.5", "28.4%"],    # 350/8000*1e4; 350/1234
            ["Aged 16+", "150", "428.6", "12.2%"],      # 150/3500*1e4; 150/1234
            ["Age not known or outside 0-17", "34", "n/a", "2.8%"],  # 1234 - 1200
            ["All ages", "1,234", "411.3", "100.0%"],
        ]
        assert table.caption == ("Early Help Notifications received by age band, Canterbury, "
                                 "July to September 2016 (2016-17 Q2)")
        assert [row[0][1] for row in table.rows[1:]] == ["row"] * 6

    def test_suppressed_bands_show_as_withheld(self, tiny_results, tiny_meta):
        # The engine counts records with no age in an "unknown" band and suppression protects
        # every band against the all-ages total: here 16+ and, as its partner, the unknown band.
        results = tiny_results.assign(suppressed=False)
        hit = results["age_band"].isin(["16+", "unknown"]) & (results["area_code"] == CAN)
        results.loc[hit, ["value", "numerator", "suppressed"]] = [math.nan, math.nan, True]
        rows = scorecard.age_band_rows(scorecard_from_results(results, tiny_meta, CAN, "2016-17 Q2"))
        assert rows["age_band"].tolist() == ["0-4", "5-10", "11-15", "16+", scorecard.UNKNOWN_AGE, "All ages"]
        assert rows["suppressed"].tolist() == [False, False, False, True, True, False]
        assert math.isnan(rows.loc[3, "share"]) and math.isnan(rows.loc[4, "count"])

    def test_no_unknown_row_when_every_age_is_known(self, tiny_results, tiny_meta):
        results = tiny_results[tiny_results["age_band"] != "unknown"]
        rows = scorecard.age_band_rows(scorecard_from_results(results, tiny_meta, CAN, "2016-17 Q2"))
        assert scorecard.UNKNOWN_AGE not in rows["age_band"].tolist()


class TestTrendChart:
    ALT = ("Line chart of monthly Early Help Notifications per 10,000 children in Canterbury, "
           "October 2015 to September 2016, rising from 21.3 to 27.9; Kent rising from 20.1 to 25.0.")

    def test_series_last_months_with_kent(self, canterbury):
        s = scorecard.trend_series(canterbury, "ehn_rate")
        assert list(s.columns) == ["month", "Canterbury", "Kent"]
        assert s["month"].iloc[0] == pd.Timestamp("2015-10-01") and len(s) == 12
        last3 = scorecard.trend_series(canterbury, "ehn_rate", months=3)
        assert last3["Canterbury"].tolist() == [27.0, 26.4, 27.9]

    def test_alt_text_names_measure_area_months_and_movement(self, canterbury):
        assert scorecard.trend_alt_text(canterbury, "ehn_rate") == self.ALT

    def test_alt_text_for_kent_alone(self, kent):
        assert scorecard.trend_alt_text(kent, "ehn_rate") == (
            "Line chart of monthly Early Help Notifications per 10,000 children in Kent, "
            "October 2015 to September 2016, rising from 20.1 to 25.0.")

    def test_figure_img_caption_and_table(self, canterbury):
        html = scorecard.trend_chart(canterbury, "ehn_rate").html
        assert html.startswith("<h3>Early Help Notifications per 10,000 children</h3><figure")
        img = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', html)
        assert img and img.group(2) == self.ALT
        svg = base64.b64decode(img.group(1)).decode()
        assert "#12436d" in svg.lower() and "#f46a25" in svg.lower()  # Analysis Function palette
        assert "stroke-dasharray" in svg  # Kent is dashed: colour is not the only cue
        assert "<figcaption>Early Help Notifications per 10,000 children, Canterbury and Kent, by month, " \
               "October 2015 to September 2016. Source: Early Help Module; ONS mid-year population " \
               "estimates.</figcaption>" in html
        table = _Table(html[html.index("<details"):])
        assert _texts(table)[0] == ["Month", "Canterbury", "Kent"]
        assert _texts(table)[1] == ["October 2015", "21.3", "20.1"]
        assert _texts(table)[-1] == ["September 2016", "27.9", "25.0"]

    def test_counts_are_not_drawn_beside_kent(self, canterbury, kent):
        assert scorecard.compares_with_kent(canterbury, "ehn_rate")
        assert not scorecard.compares_with_kent(canterbury, "ehn_received")
        assert not scorecard.compares_with_kent(kent, "ehn_rate")

    def test_svg_is_deterministic_and_figures_are_closed(self, canterbury):
        import matplotlib.pyplot as plt

        before = plt.get_fignums()
        first = scorecard.trend_chart(canterbury, "ehn_rate").html
        assert scorecard.trend_chart(canterbury, "ehn_rate").html == first
        assert plt.get_fignums() == before

    def test_unknown_indicator(self, canterbury):
        with pytest.raises(ScorecardError, match="Unknown indicator 'nope'"):
            scorecard.trend_chart(canterbury, "nope")


class TestDefinitions:
    def test_lists_each_indicator_shown(self, canterbury):
        html = sections.definitions(canterbury).html
        assert re.findall(r"<h3>([^<]+)</h3>", html) == [
            "Early Help Notifications received", "Early Help Notifications per 10,000 children",
            "Cases closed with a positive outcome"]
        cat = canterbury.catalogue["closed_positive_pct"]
        for text in (cat.definition, cat.source, "Higher is better", "<dt>Unit</dt><dd>%</dd>"):
            assert text.replace("'", "&#x27;") in html
