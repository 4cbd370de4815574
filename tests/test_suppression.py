"""Suppression: primary, complement and secondary rules, checked by hand."""

from __future__ import annotations

import pandas as pd

from ehps_lib.geography import DISTRICTS, KENT_CODE, SCS_AREA_CODES, districts_in
from ehps_lib.indicators import suppression

CODES = list(DISTRICTS)
CAN, SWA, THA = "E07000106", "E07000113", "E07000114"


def _table(district_values: dict[str, int], *, indicator="x", period="2016-04", kind="month", band="all",
           denominators: dict[str, int] | None = None) -> pd.DataFrame:
    """District rows plus Kent and SCS-area totals, as the engine produces them."""
    rows = []
    areas = {c: [c] for c in CODES} | {KENT_CODE: CODES} | {a: list(districts_in(a)) for a in SCS_AREA_CODES}
    for area, members in areas.items():
        num = sum(district_values[m] for m in members)
        den = sum(denominators[m] for m in members) if denominators else float("nan")
        rows.append({"indicator_id": indicator, "area_code": area, "period": period, "period_kind": kind,
                     "age_band": band, "numerator": float(num), "denominator": float(den)})
    return pd.DataFrame(rows)


def _values(base: int = 20, **overrides) -> dict[str, int]:
    v = dict.fromkeys(CODES, base)
    v.update(overrides)
    return v


def _suppressed(table, flags, column="numerator_suppressed") -> set[str]:
    return set(table.loc[flags[column], "area_code"])


class TestPrimary:
    def test_one_to_four_suppressed_zero_and_five_published(self):
        vals = _values(20, **{CODES[0]: 0, CODES[1]: 1, CODES[2]: 4, CODES[3]: 5})
        table = _table(vals)
        flags, audit = suppression.suppress(table, threshold=4)
        assert {CODES[1], CODES[2]} <= _suppressed(table, flags)
        assert CODES[0] not in _suppressed(table, flags)  # a true zero is published
        assert CODES[3] not in _suppressed(table, flags)
        primary = audit[audit.reason == "primary"]
        assert set(primary["area_code"]) == {CODES[1], CODES[2]}

    def test_threshold_is_configurable(self):
        table = _table(_values(20, **{CODES[0]: 5, CODES[1]: 6}))
        flags, _ = suppression.suppress(table, threshold=5)
        assert CODES[0] in _suppressed(table, flags)
        assert CODES[1] not in _suppressed(table, flags)


class TestSecondary:
    def test_single_suppressed_district_gets_a_partner(self):
        # Canterbury 3 is the only small count. East Kent = Canterbury + Swale + Thanet, so the
        # smallest other member of East Kent (Swale, 7) must go too; then Kent - published districts
        # = 3 + 7 cannot be split.
        vals = _values(20, **{CAN: 3, SWA: 7, THA: 9})
        table = _table(vals)
        flags, audit = suppression.suppress(table, threshold=4)
        assert _suppressed(table, flags) == {CAN, SWA}
        secondary = audit[audit.reason == "secondary"]
        assert secondary["area_code"].tolist() == [SWA]
        assert "protects E07000106" in secondary["detail"].iloc[0]

    def test_no_suppressed_cell_recoverable_by_subtraction(self):
        vals = _values(30, **{CAN: 2, "E07000111": 6, "E07000105": 11})
        table = _table(vals)
        flags, _ = suppression.suppress(table, threshold=4)
        published = table[~flags["numerator_suppressed"]].set_index("area_code")["numerator"]
        hidden = table[flags["numerator_suppressed"]].set_index("area_code")["numerator"]
        # Kent total is published; districts hidden must be at least two, so their sum (known) does not
        # reveal any one of them.
        districts_hidden = [c for c in hidden.index if c in DISTRICTS]
        assert KENT_CODE in published.index
        assert len(districts_hidden) >= 2
        # the same within every SCS area whose total is published
        for area in SCS_AREA_CODES:
            members = districts_in(area)
            n_hidden = sum(m in hidden.index for m in members) + (area in hidden.index)
            assert n_hidden != 1, area

    def test_age_bands_against_all_ages(self):
        # all ages 20 = 3 + 5 + 6 + 6; the 3 forces the next smallest band (5) out.
        # Canterbury's all ages is the sum of its bands (the table must add up: the protection is
        # proved against these relations)
        frames = [_table(_values(40, **{CAN: 20}), band="all")]
        for band, v in {"0-4": 3, "5-10": 5, "11-15": 6, "16+": 6}.items():
            frames.append(_table(_values(10, **{CAN: v}), band=band))
        table = pd.concat(frames, ignore_index=True)
        flags, _ = suppression.suppress(table, threshold=4)
        can = table[(table.area_code == CAN)]
        hidden = set(can.loc[flags.loc[can.index, "numerator_suppressed"], "age_band"])
        assert {"0-4", "5-10"} <= hidden
        assert "all" not in hidden

    def test_quarter_against_its_months(self):
        months = {"2016-04": 3, "2016-05": 10, "2016-06": 12}
        frames = [_table(_values(20, **{CAN: v}), period=m) for m, v in months.items()]
        frames.append(_table(_values(60, **{CAN: 25}), period="2016-17 Q1", kind="quarter"))
        table = pd.concat(frames, ignore_index=True)
        flags, _ = suppression.suppress(table, threshold=4, flow_indicators={"x"})
        can = table[table.area_code == CAN]
        hidden = set(can.loc[flags.loc[can.index, "numerator_suppressed"], "period"])
        assert {"2016-04", "2016-05"} <= hidden  # April (3) and the next smallest month
        assert "2016-17 Q1" not in hidden


class TestComplement:
    def test_percentage_revealing_a_small_complement(self):
        # 9 of 10 positive reveals 1 not positive: the numerator is suppressed
        nums = _values(50, **{CAN: 9})
        dens = _values(100, **{CAN: 10})
        table = _table(nums, denominators=dens)
        flags, audit = suppression.suppress(table, threshold=4, count_denominators={"x"},
                                            percentage_indicators={"x"})
        assert CAN in _suppressed(table, flags)
        assert audit[(audit.area_code == CAN)]["reason"].iloc[0] == "complement"

    def test_small_denominator_count_suppressed(self):
        nums = _values(50, **{CAN: 0})
        dens = _values(100, **{CAN: 3})
        table = _table(nums, denominators=dens)
        flags, _ = suppression.suppress(table, threshold=4, count_denominators={"x"})
        assert CAN in _suppressed(table, flags, "denominator_suppressed")
