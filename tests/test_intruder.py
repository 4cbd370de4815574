"""What an intruder can work out from published tables: each route of issue 9, by hand.

Each test publishes a small hand-made table twice: as a naive pattern (primary suppression
only, or each indicator protected on its own, or overlapping windows) from which the intruder
audit recovers a withheld count exactly, and as the protected count table publishes it
(:func:`ehps_lib.indicators.suppression.protect_results`), which passes the audit. The values
recovered are worked out by hand in each test's docstring. The audit reads only the CSV files
written here (:func:`ehps_lib.publish.audit.audit_site`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ehps_lib.indicators.catalogue import ALL_AGES, load_catalogue
from ehps_lib.indicators.deprivation import gradient_window
from ehps_lib.indicators.suppression import ledger_of, protect_results
from ehps_lib.periods import Period
from ehps_lib.publish.audit import audit_site

KENT, SWALE, SEVENOAKS = "E10000016", "E07000113", "E07000111"
T = 5  # the DfE children-in-need rule: counts from 1 to 5 are withheld


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def _raw(rows) -> pd.DataFrame:
    """Results rows ``(indicator, area, period, numerator, denominator)`` for all ages."""
    df = pd.DataFrame(rows, columns=["indicator_id", "area_code", "period", "numerator", "denominator"])
    df["numerator"] = df["numerator"].astype(float)
    df["denominator"] = df["denominator"].astype(float)
    df["age_band"] = ALL_AGES
    df["period_kind"] = [Period.parse(p).kind for p in df["period"]]
    return df


def _naive(raw: pd.DataFrame, withhold=()) -> pd.DataFrame:
    """Primary suppression only (1 to 5 withheld), plus the rows ``withhold`` (by position)."""
    out = raw.copy()
    small = out["numerator"].between(1, T)
    small.iloc[list(withhold)] = True
    out["suppressed"] = small
    out.loc[small, "numerator"] = np.nan
    return out


def _protected(raw: pd.DataFrame, catalogue, **kw) -> tuple[pd.DataFrame, object]:
    """``raw`` as the protected count table publishes it."""
    _audit, flags, prot = protect_results(raw, catalogue, threshold=T, **kw)
    out = raw.copy()
    hidden = flags["numerator_suppressed"] | flags["denominator_suppressed"]
    out["suppressed"] = hidden
    out.loc[hidden, "numerator"] = np.nan
    out.loc[flags["denominator_suppressed"], "denominator"] = np.nan
    return out, prot


def _site(tmp_path, packs: dict[str, pd.DataFrame], name: str = "indicators.csv"):
    site = tmp_path / "site"
    for pack, table in packs.items():
        folder = site / pack / "data"
        folder.mkdir(parents=True, exist_ok=True)
        table.to_csv(folder / name, index=False)
    return site


def _recovered(report) -> dict[str, tuple[float, float]]:
    return {f.cell: (f.lo, f.hi) for f in report.failures}


# -- rolling 12 months differenced ----------------------------------------------------------------------------
MONTHS = [f"{y}-{m:02d}" for y, m in [(2015, 3), *((2015, m) for m in range(4, 13)), (2016, 1), (2016, 2), (2016, 3)]]
STEP_DOWNS = [12, 14, 11, 13, 15, 12, 16, 10, 14, 13, 12, 11, 4]  # March 2015 ... March 2016


def _rolling_rows():
    rows = [("step_downs", KENT, m, v, None) for m, v in zip(MONTHS, STEP_DOWNS, strict=True)]
    rows += [("step_downs_r12m", KENT, "2016-02", sum(STEP_DOWNS[0:12]), None),
             ("step_downs_r12m", KENT, "2016-03", sum(STEP_DOWNS[1:13]), None)]
    return rows


def test_rolling_12_months_differenced_recovers_a_month_unless_protected(tmp_path, catalogue):
    """R12M(Mar 2016) - R12M(Feb 2016) = M(Mar 2016) - M(Mar 2015): 145 - 153 = -8 = M - 12, so
    March 2016 is 4; equally the twelve months April 2015 to March 2016 sum to 145, the eleven
    published ones to 141. Primary suppression alone leaves it at 4 to 4."""
    raw = _raw(_rolling_rows())
    assert sum(STEP_DOWNS[1:13]) == 145 and sum(STEP_DOWNS[0:12]) == 153 and sum(STEP_DOWNS[1:12]) == 141
    naive = audit_site(_site(tmp_path / "naive", {"2015-16-Q4": _naive(raw)}), T)
    assert not naive.ok
    (cell, (lo, hi)), = _recovered(naive).items()
    assert "Kent, March 2016" in cell and (lo, hi) == (4, 4)
    assert any("the sum of its 12 months" in r for r in naive.failures[0].relations)

    published, _ = _protected(raw, catalogue)
    report = audit_site(_site(tmp_path / "protected", {"2015-16-Q4": published}), T)
    assert report.ok, report.format()
    assert report.withheld >= 2  # March 2016 and at least one partner


# -- the same count in two indicators ----------------------------------------------------------------------
def test_same_count_in_two_indicators_fills_the_other_patterns_gap(tmp_path, catalogue):
    """Step-ups in Swale, January to March 2017: 3, 10, 12 (quarter 25), of 40, 50, 60 closures.
    Protected one indicator at a time, the count table withholds January with February, the
    percentage table January with March; but both show the same count, so February's 10 from
    the percentage table gives January = 25 - 10 - 12 = 3."""
    months, ups, closed = ["2017-01", "2017-02", "2017-03"], [3, 10, 12], [40, 50, 60]
    rows = [("step_ups", SWALE, m, u, None) for m, u in zip(months, ups, strict=True)]
    rows += [("step_ups", SWALE, "2016-17 Q4", 25, None)]
    rows += [("step_ups_pct", SWALE, m, u, c) for m, u, c in zip(months, ups, closed, strict=True)]
    rows += [("step_ups_pct", SWALE, "2016-17 Q4", 25, 150)]
    raw = _raw(rows)
    naive = pd.concat([_naive(raw.iloc[:4], withhold=[1]), _naive(raw.iloc[4:], withhold=[2])])
    report = audit_site(_site(tmp_path / "naive", {"2016-17-Q4": naive}), T)
    assert not report.ok
    recovered = _recovered(report)
    january = [c for c in recovered if "Swale, January 2017" in c and " not " not in c]
    assert january and all(recovered[c] == (3, 3) for c in january), recovered

    published, _ = _protected(raw, catalogue)
    # one cell, one value or c: both indicators show the same figure for each month
    counts = published[published.indicator_id == "step_ups"].set_index("period")["numerator"]
    shares = published[published.indicator_id == "step_ups_pct"].set_index("period")["numerator"]
    assert counts.isna().equals(shares.isna())
    ok = audit_site(_site(tmp_path / "protected", {"2016-17-Q4": published}), T)
    assert ok.ok, ok.format()


# -- months -> quarters -> financial year --------------------------------------------------------------------
def _year_rows():
    """Step-ups in Swale by month, quarter and financial year 2016-17 (April is 3)."""
    months = [f"{2016 + (m < 4)}-{m:02d}" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    ups = [3, 20, 25, 18, 22, 19, 21, 17, 16, 23, 24, 26]
    rows = [("step_ups", SWALE, m, u, None) for m, u in zip(months, ups, strict=True)]
    rows += [("step_ups", SWALE, f"2016-17 Q{q}", sum(ups[3 * (q - 1):3 * q]), None) for q in (1, 2, 3, 4)]
    rows += [("step_ups", SWALE, "FY2016-17", sum(ups), None)]
    return rows


def test_months_quarters_and_year(tmp_path, catalogue):
    """April 2016 = Q1 (48) - May (20) - June (25) = 3; also = FY (234) - Q2 - Q3 - Q4 - May - June."""
    raw = _raw(_year_rows())
    assert raw["numerator"].iloc[12] == 48 and raw["numerator"].iloc[-1] == 234
    naive = audit_site(_site(tmp_path / "naive", {"2016-17-Q4": _naive(raw)}), T)
    assert _recovered(naive) and all(v == (3, 3) for v in _recovered(naive).values())
    assert any("April 2016" in c for c in _recovered(naive))

    published, _ = _protected(raw, catalogue)
    report = audit_site(_site(tmp_path / "protected", {"2016-17-Q4": published}), T)
    assert report.ok, report.format()


def test_the_audit_fails_on_a_deliberately_weakened_pattern(tmp_path, catalogue):
    """Publish the protected table's withheld partner (a count above 5, so no scan objects):
    April 2016 is pinned again, and the failure names the cell, the file and the relation."""
    raw = _raw(_year_rows())
    published, _ = _protected(raw, catalogue)
    partners = published.index[published["suppressed"] & (raw["numerator"] > T)]
    assert len(partners)
    weakened = published.copy()
    weakened.loc[partners, "numerator"] = raw.loc[partners, "numerator"]
    weakened.loc[partners, "suppressed"] = False
    report = audit_site(_site(tmp_path, {"2016-17-Q4": weakened}), T)
    assert not report.ok
    failure = next(f for f in report.failures if "April 2016" in f.cell)
    assert (failure.lo, failure.hi) == (3, 3)
    assert failure.files and failure.files[0].startswith("2016-17-Q4/data/indicators.csv row ")
    assert failure.relations and all("Swale" in r for r in failure.relations)
    text = report.format()
    assert "Swale, April 2016" in text and "pinned by:" in text


# -- a new quarter never unlocks an old one ------------------------------------------------------------------
def test_a_later_pack_keeps_the_earlier_packs_decisions(tmp_path, catalogue):
    """Q1 is published alone first; Q2's pack (with Q1's months again and the year to date as
    months) is protected with Q1's ledger, and the two packs together still pass."""
    rows = _year_rows()
    q1 = _raw([r for r in rows if r[2] in ("2016-04", "2016-05", "2016-06", "2016-17 Q1")])
    q2 = _raw([r for r in rows if r[2] in ("2016-04", "2016-05", "2016-06", "2016-17 Q1", "2016-07", "2016-08",
                                           "2016-09", "2016-17 Q2")])
    first, prot1 = _protected(q1, catalogue, period="2016-17 Q1")
    ledger = ledger_of(prot1, "2016-17 Q1")
    second, _ = _protected(q2, catalogue, period="2016-17 Q2", ledger=ledger)
    both = audit_site(_site(tmp_path, {"2016-17-Q1": first, "2016-17-Q2": second}), T)
    assert both.ok and not both.conflicts, both.format()
    # what Q1 withheld stays withheld in Q2's pack
    was = set(first.loc[first["suppressed"], "period"])
    assert was <= set(second.loc[second["suppressed"], "period"])


# -- deprivation windows across packs ------------------------------------------------------------------------
def _gradient(start: str, end: str, q1: float | None) -> pd.DataFrame:
    return pd.DataFrame({"indicator_id": ["ehn_rate"], "area_code": [SEVENOAKS], "grouping": ["quintile"],
                         "group": [1], "window_start": [start], "window_end": [end], "numerator": [q1],
                         "denominator": [np.nan], "suppressed": [q1 is None]})


def test_overlapping_deprivation_windows_differenced_across_packs(tmp_path):
    """A gradient over the year to date, published each quarter: Sevenoaks' most deprived
    quintile had 40 notifications April 2015 to March 2016 and 43 to June 2016, so 3 in April to
    June 2016, a count no pack shows."""
    packs = {"2015-16-Q4": _gradient("2015-04-01", "2016-03-31", 40),
             "2016-17-Q1": _gradient("2015-04-01", "2016-06-30", 43)}
    report = audit_site(_site(tmp_path / "naive", packs, "deprivation.csv"), T)
    assert not report.ok
    (cell, rng), = _recovered(report).items()
    assert rng == (3, 3) and "Sevenoaks" in cell and "2016-17 Q1" in cell and "quintile 1" in cell


def test_gradient_windows_of_consecutive_packs_never_partly_overlap(tmp_path):
    """The gradient covers the latest complete financial year: consecutive quarterly packs show
    the same window or disjoint ones, so no difference of two packs is a part of either, and the
    same window published by several packs is one cell."""
    quarters = ["2015-16 Q4", "2016-17 Q1", "2016-17 Q2", "2016-17 Q3", "2016-17 Q4", "2017-18 Q1"]
    windows = [gradient_window(Period.parse(q)) for q in quarters]
    for a in windows:
        for b in windows:
            same = (a.start, a.end) == (b.start, b.end)
            assert same or a.end < b.start or b.end < a.start, (a.words, b.words)
    packs = {q.replace(" ", "-"): _gradient(str(w.start), str(w.end), 40 if w.start.year == 2015 else 44)
             for q, w in zip(quarters, windows, strict=True)}
    report = audit_site(_site(tmp_path, packs, "deprivation.csv"), T)
    assert report.ok and report.published == 2, report.format()


# -- the build's gate ---------------------------------------------------------------------------------------
def test_the_build_gate_refuses_a_site_the_audit_fails_naming_cell_and_relations(tmp_path, catalogue,
                                                                                  synthetic_data_dir):
    """An earlier pack already in the site, weakened (a withheld partner published): the gate
    over the whole assembled site refuses it, and the failure names the cell and the relation."""
    from ehps_lib.config import load_settings
    from ehps_lib.publish import build

    raw = _raw(_year_rows())
    published, _ = _protected(raw, catalogue)
    partner = published.index[published["suppressed"] & (raw["numerator"] > T)][0]
    published.loc[partner, "numerator"] = raw.loc[partner, "numerator"]
    published.loc[partner, "suppressed"] = False
    site = _site(tmp_path, {"2016-17-Q4": published})
    outcome = build.BuildOutcome(ok=True, period="2016-17 Q4")
    assert not build._publish_gate(outcome, site, [], synthetic_data_dir, True, load_settings())
    assert not outcome.ok and outcome.audit is not None and not outcome.audit.ok
    (failure,) = outcome.failures
    assert failure.stage == "intruder audit"
    assert "Swale, April 2016" in failure.message and "from 3 to 3" in failure.message
    assert "pinned by: Swale" in failure.message
    # the same site, protected as published: the gate passes
    good, _ = _protected(raw, catalogue)
    site2 = _site(tmp_path / "good", {"2016-17-Q4": good})
    outcome2 = build.BuildOutcome(ok=True, period="2016-17 Q4")
    assert build._publish_gate(outcome2, site2, [], synthetic_data_dir, True, load_settings()), \
        [f.message for f in outcome2.failures]


# -- end to end: a sparse extract, four quarters, one site ----------------------------------------------------
@pytest.mark.slow
def test_sparse_extract_built_over_four_quarters_passes_the_audit(tmp_path, monkeypatch):
    """A 10 % sample of a synthetic extract (most counts by district and month are then 0 to 5),
    built quarter after quarter, the four quarters of 2015-16, into one site (Kent and Swale
    scorecards, to stay quick): each build's gate audits every pack in the site, each pack
    honours the earlier ones' decisions, and the last gate's audit covers all four. An extract of
    those twelve months keeps it to about seven minutes (the fourth quarter adds the financial
    year); ``make bench-audit SAMPLE=0.1`` runs a longer sparse extract."""
    import datetime as dt
    from pathlib import Path

    from ehps_lib.data import ingest, synth
    from ehps_lib.publish import build

    start, end = dt.date(2015, 4, 1), dt.date(2016, 3, 31)
    tables = synth.sample_extract(synth.generate_extract(1, start, end), 0.1, seed=1)
    data = tmp_path / "data"
    synth.write_extract(tables, data / "extract", seed=1, start=start, end=end, sample=0.1)
    assert ingest.ingest([data / "extract"], data_dir=data, max_reject_share=1.0).published
    monkeypatch.setenv("EHPS_DATA_DIR", str(data))
    monkeypatch.setenv("EHPS_REFERENCE_DIR", str(Path(__file__).resolve().parents[1] / "data" / "reference"))
    site = tmp_path / "site"
    quarters = ["2015-16 Q1", "2015-16 Q2", "2015-16 Q3", "2015-16 Q4"]
    for q in quarters:
        outcome = build.build(period=q, areas=[KENT, SWALE], templates=["scorecard"], workers=2, engine="builtin",
                              site_dir=site, reports_dir=tmp_path / "reports", log=lambda _m: None, progress=False)
        assert outcome.ok and outcome.published, [f.describe() for f in outcome.failures]
        assert outcome.audit is not None and outcome.audit.ok
        # the site's figures were audited ahead, while the papers ran: the gate found them byte for byte
        # the same (by digest) and proved nothing twice
        assert outcome.audit.solver_calls == 0
        assert outcome.audit.reused == outcome.audit.withheld + outcome.audit.derived > 0
    # the last gate audited the whole site as published: every period, from its open data only
    report = outcome.audit
    assert report.ok, report.format()
    assert report.periods == [q.replace(" ", "-") for q in quarters]
    assert report.withheld > 100  # sparse: many true counts from 1 to 5
    # the packs' open data are what the audit read, and each shows c
    for q in quarters:
        table = pd.read_csv(site / q.replace(" ", "-") / "data" / "indicators.csv")
        assert table["suppressed"].any()


def test_a_site_without_open_data_is_audited_without_error(tmp_path):
    """A site of papers from the statutory returns only (no open data of the extract's results):
    nothing to audit, and the audit says so rather than failing."""
    site = tmp_path / "site"
    (site / "2016-08").mkdir(parents=True)
    (site / "2016-08" / "scs_dashboard.html").write_text("<p>ok</p>", encoding="utf-8")
    report = audit_site(site, T)
    assert report.ok and report.published == 0 and report.withheld == 0


def test_every_engine_method_says_what_it_counts():
    """A method registered without ``counts`` would publish its numerator and denominator
    outside the protected count table (never withheld, never audited)."""
    from ehps_lib.indicators.engine import COUNTS, METHODS

    assert set(METHODS) == set(COUNTS)


def test_population_groups_and_ages_are_counts_of_their_own():
    """Two indicators are one count only when they count the same records: a population group's
    breakdown, an age range or a ``within`` filter makes a different count."""
    from ehps_lib.indicators.engine import COUNTS

    base = {"table": "notifications", "date": "notification_date"}
    ids = {COUNTS["event_count"](p)["numerator"].id for p in (
        base, {**base, "child_where": {"send": [True]}}, {**base, "ages": [10, 17]},
        {**base, "within": {"source": ["SCHOOL"]}})}
    assert len(ids) == 4
    assert COUNTS["event_count"](dict(base))["numerator"].id == COUNTS["event_share"](
        {**base, "where": None})["denominator"].id


def test_the_audit_memo_reuses_only_what_is_unchanged_and_still_catches_a_weakened_pattern(tmp_path, catalogue):
    """The build's gate keeps the linked figures it proved (:class:`AuditMemo`): the same site again
    needs no integer programme and says the same; publishing a withheld partner afterwards changes
    that linked set, which is proved afresh, and the pinned count is found as without a memo."""
    from ehps_lib.publish.audit import AuditMemo

    raw = _raw(_year_rows() + _rolling_rows())
    published, _ = _protected(raw, catalogue)
    site = _site(tmp_path / "one", {"2016-17-Q4": published})
    memo_path = tmp_path / "memo.json"
    first = audit_site(site, T, memo=AuditMemo(memo_path))
    assert first.ok and first.solver_calls > 0 and first.reused == 0
    assert len(AuditMemo(memo_path)) == 0  # nothing is kept until the gate saves it
    memo = AuditMemo(memo_path)
    report = audit_site(site, T, memo=memo)
    memo.save()
    again = audit_site(site, T, memo=AuditMemo(memo_path))
    assert again.ok and again.solver_calls == 0 and again.reused == report.withheld + report.derived
    assert again.narrowest == first.narrowest and "earlier audit" in again.summary()

    partners = published.index[published["suppressed"] & (raw["numerator"] > T) & raw["area_code"].eq(SWALE)]
    weakened = published.copy()
    weakened.loc[partners, "numerator"] = raw.loc[partners, "numerator"]
    weakened.loc[partners, "suppressed"] = False
    site2 = _site(tmp_path / "two", {"2016-17-Q4": weakened})
    with_memo = audit_site(site2, T, memo=AuditMemo(memo_path))
    without = audit_site(site2, T)
    assert not with_memo.ok
    assert _recovered(with_memo) == _recovered(without) and any("April 2016" in c for c in _recovered(without))
    # the rolling-12-month figures of Kent are linked to nothing that changed: taken from the memo
    assert with_memo.reused > 0
