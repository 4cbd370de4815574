"""The SCS catalogue (``scs_catalogue.yml``) against what the council printed in seed 004.

Every one of the 45 rows carries the council's wording, polarity, data period and 2016/17
target; the floors (minimum standards) the council did not print are chosen so that every
rating it printed for the row comes out the same. The figures are the seed's own
(:mod:`ehps_lib.data.returns.published`, its lines quoted as printed).
"""

from __future__ import annotations

import pytest

from ehps_lib.config import ConfigError
from ehps_lib.data.returns import published
from ehps_lib.data.returns.synth import FLOORS
from ehps_lib.indicators import stats
from ehps_lib.indicators.catalogue import load_catalogue, load_scs_catalogue, parse_catalogue
from ehps_lib.indicators.scs import METHODS
from ehps_lib.indicators.scs_results import is_cohort_variant, is_monthly_variant, scorecard_indicators

CATALOGUE = load_scs_catalogue()
ROWS = scorecard_indicators(CATALOGUE)
PUBLISHED = published.scorecard()


def test_the_45_rows_in_the_councils_order():
    assert [i.number for i in ROWS] == list(range(1, 46))
    assert len(PUBLISHED) == 45


@pytest.mark.parametrize("number", range(1, 46))
def test_each_row_carries_the_published_wording_polarity_period_and_target(number):
    ind = ROWS[number - 1]
    row = PUBLISHED[number]
    assert ind.title == row.title
    assert ind.polarity == row.polarity
    assert ind.data_period == row.data_period
    target = ind.target if not isinstance(ind.target, list) else sum(ind.target) / 2
    assert target == pytest.approx(row.target)
    assert ind.definition and ind.numerator and ind.seed_ref == f"004:{row.line}"


@pytest.mark.parametrize("number", range(1, 46))
def test_every_printed_rating_follows_from_the_target_and_floor(number):
    ind = ROWS[number - 1]
    row = PUBLISHED[number]
    if row.rag is not None and row.latest is not None:
        assert stats.rag_status(row.latest, ind.target, ind.floor, ind.polarity) == row.rag
    if row.rolling3_rag is not None and row.rolling3 is not None:
        assert stats.rag_status(row.rolling3, ind.target, ind.floor, ind.polarity) == row.rolling3_rag


def test_the_ratings_add_up_to_the_printed_rag_count():
    # "22 Green, 20 Amber, 3 Red" (004:2982), recounted from the 45 rows' printed letters
    counts = {"Green": 0, "Amber": 0, "Red": 0}
    for row in PUBLISHED.values():
        counts[row.rag] += 1
    assert counts == published.RAG_COUNT == {"Green": 22, "Amber": 20, "Red": 3}


def test_uasc_page_ratings_follow_from_the_catalogue():
    by_number = {i.number: i for i in ROWS}
    checked = 0
    for _line, _area, number, res, num, den, xres, xnum, xden in published.UASC_ROWS:
        ind = by_number[number]
        for text, n, d in ((res, num, den), (xres, xnum, xden)):
            value, rag = published.parse_result(text)
            if ind.is_percentage and n is not None and d:  # the printed value is rounded: rate the fraction
                value = float(n) / float(d) * 100  # e.g. ID 17, 2,146 of 16,553 printed "13.0% A" (12.97%)
            if value is not None and rag is not None:
                assert stats.rag_status(value, ind.target, ind.floor, ind.polarity) == rag, (number, text)
                checked += 1
    assert checked > 100


def test_the_generator_keeps_to_the_catalogues_floors():
    # the synthetic returns never cross a boundary the published figure is on the other side of
    for ind in ROWS:
        if ind.floor is not None and not isinstance(ind.floor, list) and ind.is_percentage:
            assert FLOORS.get(ind.number) == pytest.approx(ind.floor), ind.number


def test_printed_floors_are_the_councils():
    # the three minimum standards the council printed (exception reports, 004:3227, 3257, 3284)
    by_number = {i.number: i for i in ROWS}
    assert by_number[9].floor == 80.0 and by_number[17].floor == 13.0 and by_number[25].floor == 80.0
    for ind in ROWS:
        if ind.number not in (9, 17, 25) and ind.floor is not None:
            assert "not printed" in ind.notes, ind.number


def test_variants_excluding_uasc_and_monthly_values():
    cohort = [c for c in CATALOGUE.values() if is_cohort_variant(c, CATALOGUE)]
    monthly = [c for c in CATALOGUE.values() if is_monthly_variant(c, CATALOGUE)]
    numbers_on_uasc_page = {n for _l, _a, n, *_rest in published.UASC_ROWS}
    # the "Impact of UASC" page's rows (2, 7, 17, 18, 21-27, 32-35): each has its excluding-UASC cohort
    assert {CATALOGUE[c.variant_of].number for c in cohort} == numbers_on_uasc_page
    assert all(c.params["cohort"] == "exc_uasc" and c.data_period == CATALOGUE[c.variant_of].data_period
               for c in cohort)
    for ind in ROWS:
        if ind.data_period == "R12M":
            assert ind.spc_from == f"{ind.id}_month" and CATALOGUE[ind.spc_from].data_period == "month"
    assert len(monthly) == sum(1 for i in ROWS if i.data_period == "R12M")
    assert all(c.method in METHODS for c in CATALOGUE.values())


def test_the_early_help_catalogue_never_holds_scs_indicators():
    assert not set(load_catalogue()) & set(CATALOGUE)


def test_an_unregistered_method_is_refused_naming_the_entry():
    entry = {"id": "x", "title": "X", "definition": "d", "numerator": "n", "unit": "%", "polarity": "H",
             "data_period": "SS", "source": "s", "method": "no_such_method"}
    with pytest.raises(ConfigError, match="no_such_method"):
        parse_catalogue({"indicators": [entry]}, methods=METHODS)
    entry["method"] = "cin_plan_share"
    entry["role"] = "variant"
    with pytest.raises(ConfigError, match="variant_of"):
        parse_catalogue({"indicators": [entry]}, methods=METHODS)
