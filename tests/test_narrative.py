"""Narrative sentences: every number checked against the published results table.

Three kinds of test:

* **Every number, recomputed.** :func:`check_statement` finds every number in a sentence with
  its own regular expression, finds the claim that covers it, and works the number out again
  from the results table on its own (its own index of the table, its own arithmetic and its own
  formatting rules, not the narrative module's), then compares the printed text. It also fails
  on any number that no claim covers. It runs on the hand-made table below, on the synthetic
  fixture extract for every area and several periods, and on that extract with extra cells
  withheld.
* **Worked by hand.** A small results table for Kent, January to March 2017, with the sums
  written out in comments, including withheld (suppressed) cells.
* **Nothing invented.** Withheld and missing figures are never printed, and plain words cannot
  carry digits.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from ehps_lib.config import load_settings
from ehps_lib.data import io
from ehps_lib.geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES
from ehps_lib.indicators.assess import PUBLISHED_COLUMNS
from ehps_lib.indicators.catalogue import load_catalogue
from ehps_lib.papers import blocks, narrative, scorecard_data
from ehps_lib.periods import Period

KENT = KENT_CODE
CATALOGUE = load_catalogue()
#: Numbers as a reader sees them: digits, with any commas and decimal points between digits, and a
#: percent sign. Deliberately broader than the narrative module's own pattern.
NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
KEY = ["indicator_id", "area_code", "period", "age_band"]


# -- the independent check -----------------------------------------------------------------------
def _print(value: float, rule: str) -> str:
    """The council's print rules, written out again here: counts with thousands separators;
    percentages and rates to one decimal place."""
    if rule == "count":
        return f"{value:,.0f}"
    if rule == "%":
        return f"{value:,.1f}%"
    if rule == "1dp":
        return f"{value:,.1f}"
    raise AssertionError(f"unknown rule {rule!r}")


def _unit_rule(unit: str) -> str:
    return {"count": "count", "%": "%"}.get(unit, "1dp")


class Table:
    """The results table indexed by its key, for looking rows up independently of the narrative."""

    def __init__(self, results: pd.DataFrame):
        self.frame = results.set_index(KEY).sort_index()
        assert self.frame.index.is_unique

    def row(self, indicator_id, area_code, period, age_band) -> pd.Series:
        return self.frame.loc[(indicator_id, area_code, period, age_band)]

    def published(self, src: narrative.Source) -> float:
        """A published, unsuppressed number; fails for anything withheld or missing."""
        row = self.row(src.indicator_id, src.area_code, src.period, src.age_band)
        if src.field in ("value", "numerator", "denominator"):
            assert not bool(row["suppressed"]), f"a withheld figure was printed: {src}"
        value = row[src.field]
        assert pd.notna(value), f"a missing figure was printed: {src}"
        if src.field in ("previous_value", "year_ago_value"):
            # the comparison value is the published value of the earlier period's own row
            other = row["previous_period" if src.field == "previous_value" else "year_ago_period"]
            earlier = Period.parse(src.period).previous() if src.field == "previous_value" else \
                Period.parse(src.period).year_ago()
            assert other == earlier.label
            key = (src.indicator_id, src.area_code, other, src.age_band)
            if key in self.frame.index:
                theirs = self.frame.loc[key]
                assert not bool(theirs["suppressed"])
                assert math.isclose(float(theirs["value"]), float(value), rel_tol=1e-9)
        return float(value)


def _expected(claim: narrative.Claim, table: Table) -> str:
    """What the claim's text must be, worked out from the table and the catalogue."""
    if claim.kind == "value":
        src = claim.source
        unit = CATALOGUE[src.indicator_id].unit
        rule = "count" if src.field in ("numerator", "denominator") else _unit_rule(unit)
        assert claim.rule == rule, f"{src}: formatted as {claim.rule}, its unit is {unit}"
        value = table.published(src)
        shown = _print(value, rule)
        if src.field not in ("numerator", "denominator"):
            assert shown == blocks.format_value(value, unit)  # exactly as the scorecard tables print it
        return shown
    if claim.kind == "derived":
        assert len(claim.inputs) == 2
        for src in claim.inputs:
            assert CATALOGUE[src.indicator_id].unit == "count", "derived numbers are made from counts only"
        a, b = (table.published(src) for src in claim.inputs)
        if claim.operation == "share":
            assert claim.rule == "%" and b > 0
            return _print(a / b * 100, "%")
        if claim.operation == "difference":
            assert claim.rule == "count"
            return _print(abs(a - b), "count")
        raise AssertionError(f"unknown operation {claim.operation!r}")
    if claim.kind == "label":
        if claim.rule == "period":
            p = Period.parse(claim.ref)
            return f"{p.start:%B %Y}" if p.kind == "month" else f"{p.start:%B} to {p.end:%B %Y}"
        if claim.rule == "period_end":
            return f"{Period.parse(claim.ref).end:%B %Y}"
        if claim.rule == "age_band":
            [band] = [b for b in load_settings().age_bands if b.id == claim.ref]
            return f"{band.min_age}-{band.max_age}"
        if claim.rule == "per":
            return f"{CATALOGUE[claim.ref].per:,}"
        if claim.rule == "population":
            assert claim.text in CATALOGUE[claim.ref].unit
            return claim.text
        if claim.rule == "title":
            assert claim.text.lower() == CATALOGUE[claim.ref].title.lower()
            return claim.text
        raise AssertionError(f"unknown label {claim.rule!r}")
    if claim.kind == "word":
        src = claim.source
        value = table.row(src.indicator_id, src.area_code, src.period, src.age_band)[src.field]
        if src.field == "rag":
            assert value in ("Green", "Amber", "Red")
        return str(value)
    raise AssertionError(f"unknown claim kind {claim.kind!r}")


def unclaimed_numbers(st: narrative.Statement) -> list[str]:
    """Numbers in the text that no claim covers (a figure nobody can trace)."""
    return [m.group() for m in NUMBER.finditer(st.text)
            if not any(c.start <= m.start() and m.end() <= c.end for c in st.claims)]


def check_statement(st: narrative.Statement, table: Table) -> int:
    """Check every number and claim of ``st``; return how many numbers were checked."""
    for c in st.claims:
        assert st.text[c.start:c.end] == c.text, f"claim {c.text!r} is not where it says in {st.text!r}"
    checked = 0
    for m in NUMBER.finditer(st.text):
        owners = [c for c in st.claims if c.start <= m.start() and m.end() <= c.end]
        assert owners, f"unclaimed number {m.group()!r} in {st.text!r}"
        claim = owners[0]
        if claim.kind in ("value", "derived"):
            assert (claim.start, claim.end) == m.span(), f"{m.group()!r} is only part of claim {claim.text!r}"
        checked += 1
    for c in st.claims:
        assert c.text == _expected(c, table), f"{c} in {st.text!r}"
    assert "fewer than 5" not in st.text and "fewer than five" not in st.text
    return checked


# -- a small results table, worked by hand ---------------------------------------------------------
Q4, Q3, Q4_BEFORE = "2016-17 Q4", "2016-17 Q3", "2015-16 Q4"
STARTS = {Q4: "2017-01-01", Q3: "2016-10-01", Q4_BEFORE: "2016-01-01"}
NAMES = {KENT: "Kent", "E07000108": "Dover", "E07000111": "Sevenoaks", "E07000113": "Swale",
         "E07000114": "Thanet"}


def _row(ind, area, value, *, period=Q4, band="all", num=None, den=None, prev=None, year_ago=None,
         suppressed=False, target=None, floor=None, rag=None) -> dict:
    row = dict.fromkeys(PUBLISHED_COLUMNS)
    p = Period.parse(period)
    row.update(indicator_id=ind, area_code=area, area_name=NAMES[area], period=period, period_kind="quarter",
               period_start=pd.Timestamp(STARTS[period]), age_band=band,
               numerator=float("nan") if suppressed else float(value if num is None else num),
               denominator=float("nan") if den is None else float(den),
               value=float("nan") if suppressed else float(value), suppressed=suppressed,
               target=float("nan") if target is None else float(target),
               floor=float("nan") if floor is None else float(floor), rag=rag,
               previous_period=p.previous().label, year_ago_period=p.year_ago().label,
               previous_value=float("nan") if prev is None else float(prev),
               year_ago_value=float("nan") if year_ago is None else float(year_ago),
               direction_previous="not compared", direction_year_ago="not compared",
               compared_with_kent="not compared")
    return row


def hand_rows() -> list[dict]:
    return [
        # Notifications, Kent: 2,791 this quarter, 2,737 last quarter, 2,567 a year ago.
        _row("ehn_received", KENT, 2791, prev=2737, year_ago=2567),
        _row("ehn_received", KENT, 2737, period=Q3),
        _row("ehn_received", KENT, 2567, period=Q4_BEFORE),
        # By age: 517 + 972 + 1,104 + 198 = 2,791, so every notification has a band.
        _row("ehn_received", KENT, 517, band="0-4"),
        _row("ehn_received", KENT, 972, band="5-10"),
        _row("ehn_received", KENT, 1104, band="11-15"),
        _row("ehn_received", KENT, 198, band="16+"),
        # Rates per 10,000 children: Kent 2,791 / 336,090 x 10,000 = 83.04; districts as given.
        _row("ehn_rate", KENT, 2791 / 336090 * 1e4, num=2791, den=336090, prev=81.44, year_ago=76.38),
        _row("ehn_rate", "E07000108", 80.0),
        _row("ehn_rate", "E07000111", 51.23),
        _row("ehn_rate", "E07000113", 0, suppressed=True),  # Swale withheld
        _row("ehn_rate", "E07000114", 112.38),
        # Cases open at the end of the quarter and closed in it.
        _row("cases_open", KENT, 2776, prev=2968),
        _row("cases_closed", KENT, 2302, prev=2220),
        # Closed with a positive outcome: 1,865 of 2,302 = 81.02%; last quarter 84.50%; a year ago 78.53%.
        _row("closed_positive_pct", KENT, 1865 / 2302 * 100, num=1865, den=2302, prev=84.5045, year_ago=78.534,
             target=83, floor=66, rag="Amber"),
        # Step-downs: 288 this quarter, 284 last. By age 80 and 98 are published; 11-15 and 16+ are
        # withheld (one small band, and a second cell withheld so that it cannot be worked out
        # from the total: 288 - 80 - 98 = 110 is all that can be known of the two).
        _row("step_downs", KENT, 288, prev=284),
        _row("step_downs", KENT, 80, band="0-4"),
        _row("step_downs", KENT, 98, band="5-10"),
        _row("step_downs", KENT, 0, band="11-15", suppressed=True),
        _row("step_downs", KENT, 0, band="16+", suppressed=True),
        # Step-ups: 130 of 2,302 closures = 5.65%; last quarter 107 (4.82%).
        _row("step_ups", KENT, 130, prev=107),
        _row("step_ups_pct", KENT, 130 / 2302 * 100, num=130, den=2302, prev=4.8198),
        # A rolling-12-month count with a Kent target, rated Red.
        _row("step_downs_r12m", KENT, 1143, target=1490, floor=1145, rag="Red"),
    ]


def hand_table(rows: list[dict] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows if rows is not None else hand_rows())[PUBLISHED_COLUMNS]


def hand_data(rows: list[dict] | None = None, area=KENT) -> scorecard_data.ScorecardData:
    return scorecard_data.scorecard_from_results(hand_table(rows), {"synthetic": True}, area, Q4, CATALOGUE)


def _replace(rows: list[dict], ind: str, band: str, **changes) -> list[dict]:
    out = []
    for r in rows:
        if r["indicator_id"] == ind and r["age_band"] == band and r["period"] == Q4 and r["area_code"] == KENT:
            r = {**r, **changes}
        out.append(r)
    return out


class TestWorkedByHand:
    def test_notifications_and_their_split_by_age(self):
        st = narrative.notifications(hand_data())
        # 517 / 2,791 = 18.52%; 972 / 2,791 = 34.83%; 1,104 / 2,791 = 39.56%; 198 / 2,791 = 7.09%
        assert st.text == ("Overall 2,791 notifications were received by EHPS in January to March 2017. "
                           "Of these 18.5% were for 0-4 year olds, 34.8% for 5-10 year olds, 39.6% for 11-15 "
                           "year olds and 7.1% for 16-17 year olds.")
        shares = [c for c in st.claims if c.kind == "derived"]
        assert [c.operation for c in shares] == ["share"] * 4
        assert shares[0].inputs == (narrative.Source("ehn_received", KENT, Q4, "0-4"),
                                    narrative.Source("ehn_received", KENT, Q4, "all"))
        assert math.isclose(shares[0].value, 517 / 2791 * 100)

    def test_notifications_against_earlier_periods(self):
        st = narrative.notifications_change(hand_data())
        # 2,791 - 2,737 = 54 more; 2,791 - 2,567 = 224 more
        assert st.text == ("This is 54 more than the 2,737 received in October to December 2016 and 224 more "
                           "than the 2,567 received in January to March 2016.")
        [diff] = [c for c in st.claims if c.text == "54"]
        assert diff.inputs[1].field == "previous_value"

    def test_a_withheld_age_band_hides_the_whole_split(self):
        rows = _replace(hand_rows(), "ehn_received", "16+", suppressed=True, value=float("nan"),
                        numerator=float("nan"))
        st = narrative.notifications(hand_data(rows))
        # the other three shares could be printed, but then 100% minus them would give the fourth away
        assert st.text == ("Overall 2,791 notifications were received by EHPS in January to March 2017. "
                           "The split by age is not given, because a figure in it is withheld to protect "
                           "confidentiality.")
        assert "%" not in st.text

    def test_a_withheld_total_is_said_to_be_withheld(self):
        rows = _replace(hand_rows(), "ehn_received", "all", suppressed=True, value=float("nan"),
                        numerator=float("nan"))
        st = narrative.notifications(hand_data(rows))
        assert st.text == ("The number of notifications received by EHPS in January to March 2017 is withheld "
                           "to protect confidentiality.")
        assert [c.kind for c in st.claims] == ["label"]

    def test_a_missing_comparison_is_not_available(self):
        rows = _replace(hand_rows(), "ehn_received", "all", year_ago_value=float("nan"))
        rows = [r for r in rows if r["period"] != Q4_BEFORE]  # the year-ago quarter is before the extract
        st = narrative.notifications_change(hand_data(rows))
        assert st.text == ("This is 54 more than the 2,737 received in October to December 2016. "
                           "The figure for January to March 2016 is not available.")

    def test_district_range_names_the_withheld_district(self):
        st = narrative.district_range(hand_data())
        # printed values: Sevenoaks 51.2, Dover 80.0, Thanet 112.4; Swale withheld
        assert st.text == ("Across the districts, rates in January to March 2017 ranged from 51.2 per 10,000 "
                           "children in Sevenoaks to 112.4 in Thanet. The figure for Swale is withheld to "
                           "protect confidentiality.")
        words = [c for c in st.claims if c.kind == "word"]
        assert [(c.text, c.source.area_code) for c in words] == [
            ("Sevenoaks", "E07000111"), ("Thanet", "E07000114"), ("Swale", "E07000113")]

    def test_step_downs_with_two_withheld_age_bands(self):
        st = narrative.step_downs(hand_data())
        # 288 - 284 = 4 more; the 11-15 and 16+ bands are withheld and not counted
        assert st.text == ("In January to March 2017, 288 cases were stepped down to EHPS from SCS, 4 more than "
                           "the 284 in October to December 2016. Of these, 80 were in the 0-4 age range and 98 "
                           "in the 5-10 age range. The figures for the 11-15 and 16-17 age ranges are withheld to "
                           "protect confidentiality.")

    def test_positive_outcomes_with_target_and_rating(self):
        st = narrative.positive_outcomes(hand_data())
        # 1,865 / 2,302 = 81.02% -> 81.0%; 84.5045 -> 84.5%; 78.534 -> 78.5%; target 83, floor 66: Amber
        assert st.text == ("The percentage of cases closed with a positive outcome fell from 84.5% in October to "
                           "December 2016 to 81.0% in January to March 2017: 1,865 of the 2,302 cases closed had "
                           "a positive outcome. A year earlier, in January to March 2016, it was 78.5%. It misses "
                           "the target of 83.0% but meets the minimum standard of 66.0%, and is rated Amber.")
        fields = [c.source.field for c in st.claims if c.kind == "value"]
        assert fields == ["previous_value", "value", "numerator", "denominator", "year_ago_value", "target",
                          "floor"]

    def test_cases_open_and_closed(self):
        st = narrative.cases_open_closed(hand_data())
        # 2,968 - 2,776 = 192 fewer open; 2,302 - 2,220 = 82 more closed
        assert st.text == ("At the end of March 2017, 2,776 cases were open to Early Help Units, 192 fewer than "
                           "the 2,968 open at the end of December 2016. In January to March 2017, 2,302 cases "
                           "were closed, 82 more than the 2,220 closed in October to December 2016.")

    def test_step_ups(self):
        st = narrative.step_ups(hand_data())
        # 130 / 2,302 = 5.647% -> 5.6%; last quarter 107 and 4.8198% -> 4.8%
        assert st.text == ("In January to March 2017, 130 cases were stepped up to SCS, 5.6% of the 2,302 cases "
                           "closed, compared with 107 (4.8%) in October to December 2016.")

    def test_rag_position_lists_each_indicator_with_a_target(self):
        st = narrative.targets(hand_data())
        assert st.text.endswith(
            "Step-downs from SCS in the last 12 months is rated Red: 1,143 against a target of 1,490 and a "
            "minimum standard of 1,145. Cases closed with a positive outcome is rated Amber: 81.0% against a "
            "target of 83.0% and a minimum standard of 66.0%.")
        [title] = [c for c in st.claims if c.rule == "title"]
        assert (title.text, title.ref) == ("Step-downs from SCS in the last 12 months", "step_downs_r12m")

    def test_every_number_in_the_hand_made_sentences_checks_out(self):
        table = Table(hand_table())
        checked = sum(check_statement(st, table) for st in narrative.statements(hand_data()))
        assert checked > 60


class TestNothingInvented:
    def test_plain_words_cannot_carry_digits(self):
        w = narrative._Writer(hand_data(), "t")
        with pytest.raises(narrative.NarrativeError, match="digits"):
            w.say("about 5 cases")

    def test_a_withheld_figure_cannot_be_printed(self):
        w = narrative._Writer(hand_data(), "t")
        got = w.get("step_downs", age_band="16+")
        assert got.status == "suppressed" and got.value is None
        with pytest.raises(narrative.NarrativeError, match="suppressed"):
            w.number(got)
        with pytest.raises(narrative.NarrativeError):
            w.share(got, w.get("step_downs"))

    def test_the_check_catches_an_unclaimed_number(self):
        st = narrative.Statement("t", "Overall 12 notifications.", ())
        assert unclaimed_numbers(st) == ["12"]
        with pytest.raises(AssertionError, match="unclaimed number"):
            check_statement(st, Table(hand_table()))

    def test_the_check_catches_a_wrong_number(self):
        st = narrative.notifications(hand_data())
        bad = narrative.Statement(st.topic, st.text.replace("2,791", "2,719"), st.claims)
        bad = narrative.Statement(bad.topic, bad.text, tuple(
            c if c.text != "2,791" else narrative.Claim(**{**c.__dict__, "text": "2,719"}) for c in bad.claims))
        with pytest.raises(AssertionError):
            check_statement(bad, Table(hand_table()))

    def test_paragraphs_join_statements_and_keep_claims_in_place(self):
        st = narrative.paragraph(hand_data(), "notifications")
        assert st.text.startswith("Overall 2,791") and "This is 54 more" in st.text
        check_statement(st, Table(hand_table()))
        with pytest.raises(narrative.NarrativeError, match="unknown paragraph"):
            narrative.paragraph(hand_data(), "nonsense")


# -- the synthetic fixture extract: every area, several periods -------------------------------------
@pytest.fixture(scope="module")
def synthetic(synthetic_data_dir):
    results, meta = io.read_results("2016-17-Q1", base=synthetic_data_dir)
    return results, meta


def _periods(latest: Period) -> list[Period]:
    last_month = Period.parse(latest.month_labels()[-1])
    return [latest, latest.previous(), latest.year_ago(), last_month, last_month.shift(-11)]


AREAS = [KENT, *DISTRICTS, *SCS_AREA_CODES]


@pytest.mark.parametrize("area", AREAS)
def test_every_number_checks_out_on_the_synthetic_extract(synthetic, area):
    results, meta = synthetic
    table = Table(results)
    checked = 0
    for p in _periods(Period.parse(meta["period"])):
        data = scorecard_data.scorecard_from_results(results, meta, area, p, CATALOGUE)
        for st in narrative.statements(data):
            assert not unclaimed_numbers(st), st.text
            checked += check_statement(st, table)
    assert checked > 100


def _withhold(results: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    out = results.copy()
    out.loc[mask, ["value", "numerator"]] = float("nan")
    out.loc[mask, "suppressed"] = True
    return out


def test_every_number_checks_out_with_more_cells_withheld(synthetic):
    """Withhold more cells than suppression did (a notifications age band, a step-down band, one
    district's rate, last quarter's closures) and check again: nothing withheld is printed."""
    results, meta = synthetic
    p = Period.parse(meta["period"])
    r = results
    here = (r["period"] == p.label) & (r["area_code"] == KENT)
    mask = ((here & (r["indicator_id"] == "ehn_received") & (r["age_band"] == "0-4"))
            | (here & (r["indicator_id"] == "step_downs") & r["age_band"].isin(["5-10", "16+"]))
            | ((r["period"] == p.label) & (r["area_code"] == "E07000114") & (r["indicator_id"] == "ehn_rate"))
            | ((r["period"] == p.previous().label) & (r["area_code"] == KENT)
               & (r["indicator_id"] == "cases_closed")))
    changed = _withhold(results, mask)
    # the published table carries an earlier period's withheld value as a missing comparison
    follow = here & (changed["indicator_id"] == "cases_closed") & (changed["age_band"] == "all")
    changed.loc[follow, "previous_value"] = float("nan")
    data = scorecard_data.scorecard_from_results(changed, meta, KENT, p, CATALOGUE)
    texts = {st.topic: st for st in narrative.statements(data)}
    assert "The split by age is not given" in texts["notifications"].text
    assert "withheld to protect confidentiality" in texts["step_downs"].text
    assert "The figure for Thanet is withheld" in texts["district_range:ehn_rate"].text
    assert "cases were closed." in texts["cases_open_closed"].text
    assert "The figure for January to March 2016" not in texts["cases_open_closed"].text
    table = Table(changed)
    for st in texts.values():
        check_statement(st, table)
