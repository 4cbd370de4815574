"""The council's published SCS scorecard (seed 004, Kent, August 2016) reproduced.

Each row: the published numerator, denominator, target and (where printed, else a floor
consistent with every letter the council printed for that indicator) floor; the RAG letter
and the direction arrows the council printed. Our functions must give the same letters and
arrows from those numbers. Lines refer to ``seeds/004_*.txt``.
"""

from __future__ import annotations

import pytest

from ehps_lib.indicators import stats

ARROW = {"improved": "↑", "worse": "↓", "no change": "→"}

# id, polarity, numerator, denominator, target, floor, letter, 1 month ago, arrow, 1 year ago, arrow, line
ROWS = [
    (1, "L", 3543, 15921, 25.0, None, "G", 22.1, "↓", 24.6, "↑", 3080),
    (2, "H", 15127, 16833, 90.0, 80.0, "A", 89.3, "↑", 89.5, "↑", 3081),
    (3, "L", 35, None, 75, None, "G", 25, "↓", 58, "↑", 3082),
    (5, "H", 2184, 2453, 90.0, 80.0, "A", 89.6, "↓", 88.9, "↑", 3085),
    (6, "H", 1595, 1970, 80.0, 70.0, "G", 82.9, "↓", 80.0, "↑", 3086),
    (7, "L", 1, None, 0, 5, "A", 2, "↑", 130, "↑", 3087),
    (9, "H", 1281, 1891, 90.0, 80.0, "R", 66.8, "↑", None, None, 3091),          # floor printed 004:3227
    (10, "L", 66, 1145, 10.0, 13.0, "G", 5.4, "↓", 4.9, "↓", 3093),
    (13, "T", 276, 1275, 17.5, [10.0, 25.0], "A", 21.2, "↓", 19.1, "↓", 3096),
    (14, "L", 36, 1362, 5.0, 7.5, "G", 2.7, "↑", 2.2, "↓", 3097),
    (17, "L", 293, 2246, 10.0, 13.0, "R", 12.9, "↓", 9.6, "↓", 3101),          # floor printed 004:3257
    (24, "H", 1724, 1926, 90.0, 80.0, "A", 88.1, "↑", 89.7, "↓", 3108),
    (25, "H", 542, 1130, 90.0, 80.0, "R", 42.9, "↑", 25.5, "↑", 3109),          # floor printed 004:3284
    (29, "L", 29462, 81, 426.0, 500.0, "G", 403.4, "↑", 545.7, "↑", 3114),      # average days, not a %
    (30, "L", 11663, 77, 121.0, 200.0, "A", 177.3, "↑", 213.3, "↑", 3115),
    (43, "L", 1804, 115.0, 15.0, 18.0, "A", 16.1, "↑", 16.1, "↑", 3131),        # cases per FTE worker
    (45, "L", 835, 46.6, 18.0, 21.0, "G", 17.2, "↓", 18.8, "↑", 3133),
]
AVERAGES = {29, 30, 43, 45}  # num/denom is an average, not a percentage
COUNTS = {3, 7}


def _value(ident, num, den):
    if ident in COUNTS:
        return float(num)
    if ident in AVERAGES:
        return num / den
    return num / den * 100


@pytest.mark.parametrize("row", ROWS, ids=[f"ID{r[0]}" for r in ROWS])
def test_rag_letter_and_arrows(row):
    ident, pol, num, den, target, floor, letter, prev, prev_arrow, year, year_arrow, _line = row
    value = _value(ident, num, den)
    assert stats.RAG_LETTER[stats.rag_status(value, target, floor, pol)] == letter
    assert ARROW[stats.direction_of_travel(value, prev, pol, target)] == prev_arrow
    if year is not None:
        assert ARROW[stats.direction_of_travel(value, year, pol, target)] == year_arrow


def test_rolling_three_month_letters():
    # Printed rolling-3-month results and letters (004:3080, 3091, 3096, 3109, 3115)
    assert stats.rag_status(22.7, 25.0, None, "L") == "Green"          # ID 1
    assert stats.rag_status(73.9, 90.0, 80.0, "H") == "Red"            # ID 9
    assert stats.rag_status(22.9, 17.5, [10.0, 25.0], "T") == "Amber"  # ID 13
    assert stats.rag_status(84.2, 90.0, 80.0, "H") == "Amber"          # ID 25
    assert stats.rag_status(99.9, 121.0, 200.0, "L") == "Green"        # ID 30
