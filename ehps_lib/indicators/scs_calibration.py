"""Every figure seed 004 publishes for Kent in August 2016, beside the synthetic returns' value.

``ehps synth-returns --report`` prints it. The synthetic values are computed by the same
engine that computes the dashboard (:mod:`ehps_lib.indicators.scs`), from the unprotected
results (a calibration checks the model, so it sees what suppression would withhold; it is
printed to the terminal and never published). The figures, in the order the council printed
them:

* the SCS Activity table: 28 rows × 21 columns (lines 3038-3065);
* "Scorecard - Kent": each of the 45 indicators' latest result and RAG, numerator,
  denominator, 1 month ago, 1 year ago and rolling 3 months with its RAG (lines 3080-3133);
* the RAG count: 22 Green, 20 Amber, 3 Red (line 2982);
* "Scorecard - Impact of UASC": each cell's result and RAG, numerator and denominator,
  including and excluding UASC, for Kent and the four areas (lines 3149-3204);
* the exception reports' trend data, May to August 2016 (lines 3212-3274), and the facts in
  their commentary.

Tolerances: RAG ratings must be the same; percentages within 1 point for the latest value
(2 points a month earlier and in the rolling 3 months, 4 points a year earlier and in the
trend data); averages within 5%; numerators and denominators within 10% (5 for counts under
50); the activity table's stocks within 5% (or 3), its monthly flows within 20% (or 5).
Figures the council printed that contradict one another cannot all be met; the report says
which (``note``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.returns import published as seed004
from ..data.returns.synth import TEAMS
from ..geography import KENT_CODE
from . import stats
from .catalogue import Indicator
from .scs import AREA_CODES, service_code

REPORT_COLUMNS = ["section", "figure", "source", "published", "synthetic", "tolerance", "within", "note"]
AREA_LABELS = {"Kent": KENT_CODE, "North Kent": AREA_CODES["NORTH"], "East Kent": AREA_CODES["EAST"],
               "South Kent": AREA_CODES["SOUTH"], "West Kent": AREA_CODES["WEST"],
               "Disability Service": service_code("Disability Service")}
ACTIVITY_MEASURES = {  # column → (measure, month offset, is a stock)
    "Caseloads": ("scs_act_caseload", True), "Referrals in last month": ("scs_act_referrals", False),
    "CF Assessments in last month": ("scs_act_assessments", False), "CP Plans": ("scs_act_cp", True),
    "CP Starts in last month": ("scs_act_cp_starts", False), "CP Ends in last month": ("scs_act_cp_ends", False),
    "Total LAC": ("scs_act_lac", True), "UASC LAC": ("scs_act_uasc", True),
    "LAC Starts in last month": ("scs_act_lac_starts", False), "LAC Ends in last month": ("scs_act_lac_ends", False),
    "PF Cases": ("scs_act_pf", True),
}


def activity_codes() -> dict[str, str]:
    """Area code of each row label of the council's activity table."""
    out = dict(AREA_LABELS)
    out.update({t[6]: t[0] for t in TEAMS if t[6] is not None})
    return out


class _Lookup:
    def __init__(self, raw: pd.DataFrame):
        self.v = raw.set_index(["indicator_id", "area_code", "period", "window"])[["numerator", "denominator",
                                                                                     "value"]]

    def get(self, ind: str, area: str, period: str, window: str = "main", col: str = "value") -> float:
        try:
            return float(self.v.at[(ind, area, period, window), col])
        except KeyError:
            return float("nan")


def _near(published: float, synthetic: float, abs_tol: float | None = None, rel_tol: float | None = None,
          floor: float = 0.0) -> bool:
    if synthetic is None or np.isnan(synthetic):
        return False
    tol = max(abs_tol or 0.0, (rel_tol or 0.0) * abs(published), floor)
    return abs(synthetic - published) <= tol + 1e-9


def _rag(ind: Indicator, value: float) -> str | None:
    return stats.rag_status(value, ind.target, ind.floor, ind.polarity)


def calibration_report(raw: pd.DataFrame, catalogue: dict[str, Indicator], month: str = seed004.MONTH) -> pd.DataFrame:
    """Every published figure beside the synthetic value (see the module docstring).

    Parameters
    ----------
    raw
        Unprotected SCS results (:func:`ehps_lib.indicators.scs.compute_results`) that hold the month.
    catalogue
        The SCS catalogue.
    month
        The month the council published (August 2016).
    """
    look = _Lookup(raw)
    m = pd.Period(month, "M")
    prev, year = str(m - 1), str(m - 12)
    rows: list[dict] = []

    def add(section, figure, line, published, synthetic, tolerance, within, note=""):
        rows.append({"section": section, "figure": figure, "source": f"{seed004.SEED}:{line}", "published": published,
                     "synthetic": synthetic, "tolerance": tolerance, "within": bool(within), "note": note})

    by_number = {c.number: c for c in catalogue.values() if c.number is not None}
    # -- activity table
    codes = activity_codes()
    for label, line, values in seed004.ACTIVITY_ROWS:
        code = codes[label]
        shown = label + (" [sic: Ashford]" if label.startswith("Asford") else "")
        for col, pub in zip(seed004.ACTIVITY_COLUMNS, values, strict=True):
            base = col.split(" - ")[0]
            measure, stock = ACTIVITY_MEASURES[base]
            if col.endswith("Change"):
                syn = look.get(measure, code, month) - look.get(measure, code, prev)
            else:
                syn = look.get(measure, code, prev if col.endswith("Last month") else month)
            if stock or col.endswith("Change"):
                ok = _near(pub, syn, 3, 0.05) if not col.endswith("Change") else _near(pub, syn, 8, 0.5)
                tol = "±5% (±3)" if not col.endswith("Change") else "±8 or ±50%"
            else:
                ok, tol = _near(pub, syn, 5, 0.20), "±20% (±5)"
            add("SCS Activity", f"{shown}: {col}", line, f"{pub:+d}" if col.endswith("Change") and pub else str(pub),
                syn, tol, ok)
    # -- scorecard
    counts = {"Green": 0, "Amber": 0, "Red": 0}
    for number, row in seed004.scorecard().items():
        ind = by_number[number]
        unit = ind.unit
        v = look.get(ind.id, KENT_CODE, month)
        rag = _rag(ind, v) if unit != "count" or ind.polarity != "N" else None
        if rag in counts:
            counts[rag] += 1
        label = f"{number}. {row.title}"
        pct = unit == "%"
        tol_now = (1.0, None) if pct else ((None, 0.05) if unit == "average" else (3, 0.15))
        add("Scorecard - Kent", f"{label}: latest result", row.line, f"{row.latest:g}{'%' if pct else ''}", v,
            "±1 point" if pct else ("±5%" if unit == "average" else "±15% (±3)"),
            _near(row.latest, v, *tol_now))
        add("Scorecard - Kent", f"{label}: RAG", row.line, row.rag, rag, "same", rag == row.rag)
        for col, pub in (("numerator", row.numerator), ("denominator", row.denominator)):
            if pub is None:
                continue
            syn = look.get(ind.id, KENT_CODE, month, col=col)
            add("Scorecard - Kent", f"{label}: {col}", row.line, f"{pub:,.1f}".replace(".0", "") if pub % 1 else
                f"{pub:,.0f}", syn, "±10% (±5)", _near(pub, syn, 5, 0.10))
        for when, pub, period, tol in (("1 month ago", row.month_ago, prev, 2.0), ("1 year ago", row.year_ago, year,
                                                                                    4.0)):
            if pub is None:
                continue
            syn = look.get(ind.id, KENT_CODE, period)
            t = (tol, None) if pct else ((None, 0.10) if unit == "average" else (5, 0.5))
            add("Scorecard - Kent", f"{label}: {when}", row.line, f"{pub:g}", syn,
                f"±{tol:g} points" if pct else ("±10%" if unit == "average" else "±5 or ±50%"), _near(pub, syn, *t))
        if row.rolling3 is not None:
            syn = look.get(ind.id, KENT_CODE, month, window="R3M")
            add("Scorecard - Kent", f"{label}: rolling 3 months", row.line, f"{row.rolling3:g}", syn,
                "±2 points" if pct else "±15%", _near(row.rolling3, syn, *((2.0, None) if pct else (None, 0.15))))
            r3 = _rag(ind, syn)
            add("Scorecard - Kent", f"{label}: rolling 3 months RAG", row.line, row.rolling3_rag, r3, "same",
                r3 == row.rolling3_rag)
    for colour, pub in seed004.RAG_COUNT.items():
        add("RAG count", f"Measures rated {colour}, {m.strftime('%B %Y')}", seed004.RAG_COUNT_LINE, str(pub),
            counts[colour], "same", counts[colour] == pub)
    # -- impact of UASC
    for line, area, number, res, num, den, xres, xnum, xden in seed004.UASC_ROWS:
        ind = by_number[number]
        variant = next((c for c in catalogue.values()
                        if c.variant_of == ind.id and c.params.get("cohort") == "exc_uasc"
                        and c.data_period == ind.data_period), None)
        code = AREA_LABELS[area]
        for cohort, text, n_pub, d_pub, ind_id in (("including UASC", res, num, den, ind.id),
                                                   ("excluding UASC", xres, xnum, xden,
                                                    variant.id if variant else ind.id)):
            value, rag = seed004.parse_result(text)
            syn = look.get(ind_id, code, month)
            label = f"{area}, {number}. {ind.title} ({cohort})"
            pct = ind.unit == "%"
            add("Impact of UASC", f"{label}: result", line, text, syn, "±1 point" if pct else "±3",
                _near(value, syn, 1.0 if pct else 3))
            syn_rag = _rag(ind, syn)
            add("Impact of UASC", f"{label}: RAG", line, rag, syn_rag, "same", syn_rag == rag)
            for col, pub in (("numerator", n_pub), ("denominator", d_pub)):
                if pub == "-":
                    continue
                s = look.get(ind_id, code, month, col=col)
                add("Impact of UASC", f"{label}: {col}", line, pub, s, "±15% (±5)", _near(float(pub), s, 5, 0.15))
    # -- exception reports
    for line, number, results, targets, rags in seed004.TREND_ROWS:
        ind = by_number[number]
        for label, pub, tgt, rag in zip(seed004.TREND_MONTHS, results, targets, rags, strict=True):
            syn = look.get(ind.id, KENT_CODE, label)
            add("Exception reports", f"{number}. {ind.title}: {label}", line, f"{pub:g}%", syn, "±4 points",
                _near(pub, syn, 4.0), note="target printed: " + f"{tgt:g}%")
            syn_rag = _rag(ind, syn)
            add("Exception reports", f"{number}. {ind.title}: {label} RAG", line, rag, syn_rag, "same", syn_rag == rag,
                note="the council rated against the target it printed, which differs from the scorecard's in May"
                if tgt != ind.target and not isinstance(ind.target, list) else "")
    by_id = {c.id: c for c in catalogue.values()}
    for fact, (pub, line) in seed004.COMMENTARY_FACTS.items():
        ind_id, col, window = {"missing_episodes_r12m": ("scs_return_interviews", "denominator", "main"),
                               "return_interviews_in_time": ("scs_return_interviews", "numerator", "main"),
                               "iha_three_months_pct": ("scs_iha_5wd", "value", "R3M")}[fact]
        syn = look.get(ind_id, KENT_CODE, month, window=window, col=col)
        add("Exception reports", f"Commentary: {fact.replace('_', ' ')} ({by_id[ind_id].title})", line, f"{pub:g}",
            syn, "±10%" if col != "value" else "±2 points", _near(pub, syn, *((None, 0.10) if col != "value" else
                                                                              (2.0, None))))
    out = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    return _notes(out)


def _notes(report: pd.DataFrame) -> pd.DataFrame:
    """Explain the figures that cannot be met because the council's own figures contradict each other."""
    table = seed004.activity()
    notes = {}
    for label in ("Kent",):
        for what in ("CP Plans", "Total LAC"):
            first = "CP" if what == "CP Plans" else "LAC"
            tm, lm = table[label][f"{what} - This month"], table[label][f"{what} - Last month"]
            starts, ends = table[label][f"{first} Starts in last month"], table[label][f"{first} Ends in last month"]
            if lm + starts - ends != tm:
                text = (f"the council's figures contradict each other: {lm:,} last month + {starts} starts - {ends} "
                        f"ends = {lm + starts - ends:,}, not {tm:,}")
                notes[f"{label}: {first} Ends in last month"] = text
    report = report.copy()
    for figure, text in notes.items():
        report.loc[report["figure"] == figure, "note"] = text
    return report


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "-"
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "NO"
    if isinstance(v, int | np.integer):
        return f"{int(v):,}"
    if isinstance(v, float | np.floating):
        return f"{v:,.0f}" if float(v).is_integer() and abs(v) >= 100 else f"{v:,.1f}"
    return str(v)


def format_report(report: pd.DataFrame) -> str:
    """The report as aligned text, section by section, with the count within tolerance."""
    out = ["SYNTHETIC RETURNS: calibration against seed 004 (Kent, August 2016): every published figure"]
    for section, part in report.groupby("section", sort=False):
        ok = int(part["within"].sum())
        out += ["", f"== {section} ({ok} of {len(part)} within tolerance) =="]
        cells = [[r.figure, r.source, _fmt(r.published), _fmt(r.synthetic), r.tolerance, _fmt(r.within),
                  r.note or ""] for r in part.itertuples(index=False)]
        heads = ["Figure", "Source", "Published", "Synthetic", "Tolerance", "Within", "Note"]
        widths = [min(max(len(h), *(len(c[i]) for c in cells)), 110 if i == 0 else 40) for i, h in enumerate(heads)]
        out.append("  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True)).rstrip())
        for c in cells:
            out.append("  ".join((v[:w] if i < 6 else v).ljust(w) if i != 3 else v.rjust(w)
                                 for i, (v, w) in enumerate(zip(c, widths, strict=True))).rstrip())
    n_ok = int(report["within"].sum())
    out += ["", f"{n_ok} of {len(report)} published figures within tolerance"]
    return "\n".join(out)


def calibration_report_from_tables(tables: dict[str, pd.DataFrame], extract_date) -> pd.DataFrame:
    """Compute August 2016 (and the months before it) from returns' tables and report (see
    :func:`calibration_report`)."""
    from .catalogue import load_scs_catalogue
    from .scs import compute_results

    catalogue = load_scs_catalogue()
    raw = compute_results(tables, pd.Timestamp(extract_date), catalogue, up_to=pd.Period(seed004.MONTH, "M"))
    return calibration_report(raw, catalogue)


def ratings_differ(report: pd.DataFrame) -> list[str]:
    """The calibration's hard promises that failed: a RAG rating of Kent's scorecard for August 2016
    (the latest result's) or the RAG count.

    Examples
    --------
    >>> r = pd.DataFrame({"section": ["Scorecard - Kent", "RAG count", "Scorecard - Kent"],
    ...                   "figure": ["2. X: RAG", "Measures rated Green, August 2016", "2. X: numerator"],
    ...                   "within": [False, True, False]})
    >>> ratings_differ(r)
    ['2. X: RAG']
    """
    rag = (report["section"] == "Scorecard - Kent") & report["figure"].str.endswith(": RAG")
    count = report["section"] == "RAG count"
    return report.loc[(rag | count) & ~report["within"], "figure"].tolist()


__all__ = ["calibration_report", "calibration_report_from_tables", "ratings_differ", "format_report",
           "activity_codes", "REPORT_COLUMNS"]
