"""The indicator catalogue: every indicator, defined once, in ``catalogue.yml``.

Each entry gives id, title, definition, numerator and denominator rules, unit, polarity,
data period, target, floor, age bands, source and notes; :func:`load_catalogue` validates
it and returns :class:`Indicator` objects in catalogue order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources

import yaml

from ..config import ConfigError

POLARITIES = {"H": "Higher is better", "L": "Lower is better", "T": "Nearest to target is better",
              "N": "No judgement"}
DATA_PERIODS = {"month": "In the period", "SS": "Snapshot at period end", "R12M": "Rolling 12 months",
                "YTD": "Year to date (from April)"}
UNITS = ("count", "%", "average")
ALL_AGES = "all"
UNKNOWN_AGE = "unknown"  # the age band of records with no age, or an age outside every band

RESULT_COLUMNS = ["indicator_id", "area_code", "area_name", "period", "period_kind", "period_start",
                  "age_band", "numerator", "denominator", "value"]


def _methods() -> dict:
    """The engine's registered methods (imported here, not at the top: the engine needs this module)."""
    from .engine import METHODS

    return METHODS


# -- what a count counts ---------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class CountRule:
    """What a count counts, so that the same count in two indicators is one count.

    ``table``: the extract table whose records are counted. ``event``: ``"date:<column>"``
    for records dated in a window (a *flow*: a quarter's count is the sum of its months') or
    ``"open"`` for records open at a month's end (a *stock*: not additive over time).
    ``filters``: ``(column, allowed values)`` pairs, sorted; ``extra``: any other condition,
    in words. Two indicators whose numerators have equal rules count the same records (the
    count of step-ups and the numerator of the step-up percentage; notifications received and
    the denominator of re-notifications).

    Examples
    --------
    >>> CountRule.of("cases", "date:end_date", {"closure_reason": ["STEP_UP_SCS"]}).id
    'cases|date:end_date|closure_reason=STEP_UP_SCS'
    >>> a = CountRule.of("cases", "date:end_date", {"closure_reason": ["POSITIVE"]})
    >>> b = CountRule.of("cases", "date:end_date", {"closure_reason": ["STEP_UP_SCS"]})
    >>> base = CountRule.of("cases", "date:end_date")
    >>> a.within(base), base.within(a), a.disjoint(b)
    (True, False, True)
    """

    table: str
    event: str
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extra: tuple[str, ...] = ()

    @classmethod
    def of(cls, table: str, event: str, where: dict | None = None, extra: tuple[str, ...] = ()) -> CountRule:
        filters = tuple(sorted((str(col), tuple(sorted(str(v) for v in values)))
                               for col, values in (where or {}).items()))
        return cls(str(table), str(event), filters, tuple(sorted(extra)))

    @property
    def flow(self) -> bool:
        """True for records dated in a window (additive over months), False for a stock."""
        return self.event.startswith("date:")

    @property
    def id(self) -> str:
        parts = [self.table, self.event] + [f"{c}={'/'.join(v)}" for c, v in self.filters] + list(self.extra)
        return "|".join(parts)

    def within(self, other: CountRule) -> bool:
        """Every record this rule counts is counted by ``other`` (same records, fewer conditions)."""
        if (self.table, self.event) != (other.table, other.event) or self == other:
            return False
        mine = dict(self.filters)
        for col, values in other.filters:
            if col not in mine or not set(mine[col]) <= set(values):
                return False
        return set(other.extra) <= set(self.extra)

    def disjoint(self, other: CountRule) -> bool:
        """No record is counted by both (the same column filtered to values that do not overlap)."""
        if (self.table, self.event) != (other.table, other.event):
            return False
        mine = dict(self.filters)
        return any(col in mine and not set(mine[col]) & set(values) for col, values in other.filters)


def window_months(data_period: str, period_start_month: int, period_months: int) -> tuple[int, int]:
    """First and last month (month index ``year * 12 + month - 1``) an indicator's figure for a
    period covers: the period's months for a flow (``month``), the last month for a snapshot
    (``SS``), the 12 months to the period end (``R12M``), April to the period end (``YTD``).

    Examples
    --------
    >>> window_months("month", 2016 * 12 + 6, 3), window_months("SS", 2016 * 12 + 6, 3)
    ((24198, 24200), (24200, 24200))
    >>> window_months("R12M", 2017 * 12 + 2, 1), window_months("YTD", 2016 * 12 + 9, 3)
    ((24183, 24194), (24195, 24200))
    """
    end = period_start_month + period_months - 1
    if data_period == "SS":
        return end, end
    if data_period == "R12M":
        return end - 11, end
    if data_period == "YTD":
        return end - (end - 3) % 12, end
    return period_start_month, end


# -- catalogue ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Indicator:
    """One catalogue entry (see ``catalogue.yml`` for the meaning of each field)."""

    id: str
    title: str
    definition: str
    numerator: str
    unit: str
    polarity: str
    data_period: str
    source: str
    denominator: str | None = None
    age_bands: bool = False
    notes: str = ""
    method: str | None = None
    params: dict = field(default_factory=dict)
    status: str = "available"
    per: int | None = None
    target: float | list | None = None
    floor: float | list | None = None
    measure: str | None = None  # for averages: what is averaged, e.g. "weeks"
    group: str = "Early Help throughput"
    seed_ref: str = ""
    target_scope: str = "all"  # "county": the target is Kent's; districts are not rated against it
    areas: str = "all"  # "county": computed and published for Kent only (see catalogue.yml)
    age_band_areas: str = "all"  # "county": age bands for Kent only (see catalogue.yml)

    @property
    def is_rate(self) -> bool:
        return self.unit.startswith("rate")

    @property
    def is_percentage(self) -> bool:
        return self.unit == "%"

    @property
    def is_average(self) -> bool:
        return self.unit == "average"

    @property
    def has_data(self) -> bool:
        """True for indicators computed from the case-system extract."""
        return self.status == "available"

    @property
    def counts(self) -> dict[str, CountRule | None]:
        """What the numerator and denominator count (``None``: not a count of records, e.g. a
        population or a total of weeks); from the method's registration in the engine."""
        from .engine import COUNTS

        if not self.has_data or self.method not in COUNTS:
            return {"numerator": None, "denominator": None}
        return COUNTS[self.method](self.params)

    @property
    def is_public(self) -> bool:
        """True for annual series taken from public reference data (see ehps_lib.indicators.public)."""
        return self.status == PUBLIC


NO_DATA = "no data source yet"
PUBLIC = "public"  # an annual series from the public reference data (ehps_lib.indicators.public)
_REQUIRED = ("id", "title", "definition", "numerator", "unit", "polarity", "data_period", "source")


def parse_catalogue(raw: dict) -> dict[str, Indicator]:
    """Validate a catalogue mapping; raise :class:`ConfigError` naming the entry and key."""
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list):
        raise ConfigError("catalogue: top level must be a mapping with a list under 'indicators'")
    out: dict[str, Indicator] = {}
    for i, entry in enumerate(raw["indicators"]):
        where = f"catalogue indicators[{i}]" + (f" ({entry.get('id')})" if isinstance(entry, dict) else "")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a mapping")
        for key in _REQUIRED:
            if entry.get(key) in (None, ""):
                raise ConfigError(f"{where}: missing key '{key}'")
        unknown = set(entry) - set(Indicator.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
        if entry["polarity"] not in POLARITIES:
            raise ConfigError(f"{where}: 'polarity' must be one of {list(POLARITIES)}, got {entry['polarity']!r}")
        if entry["data_period"] not in DATA_PERIODS:
            raise ConfigError(f"{where}: 'data_period' must be one of {list(DATA_PERIODS)}")
        unit = str(entry["unit"])
        if unit not in UNITS and not unit.startswith("rate per "):
            raise ConfigError(f"{where}: 'unit' must be count, %, average or 'rate per N of <population>'")
        if entry["polarity"] == "T" and entry.get("target") is not None and entry.get("floor") is not None:
            for key in ("target", "floor"):
                if not (isinstance(entry[key], list) and len(entry[key]) == 2):
                    raise ConfigError(f"{where}: polarity T needs '{key}' as [low, high]")
        if unit.startswith("rate") and not isinstance(entry.get("per"), int):
            raise ConfigError(f"{where}: a rate needs an integer 'per' (e.g. 10000)")
        status = entry.get("status", "available")
        if status not in ("available", PUBLIC, NO_DATA):
            raise ConfigError(f"{where}: 'status' must be 'available', '{PUBLIC}' or '{NO_DATA}'")
        if status == "available" and not entry.get("method"):
            raise ConfigError(f"{where}: missing key 'method' (or set status: {NO_DATA})")
        if entry.get("target_scope", "all") not in ("all", "county"):
            raise ConfigError(f"{where}: 'target_scope' must be 'all' or 'county'")
        if entry.get("areas", "all") not in ("all", "county"):
            raise ConfigError(f"{where}: 'areas' must be 'all' or 'county'")
        if entry.get("age_band_areas", "all") not in ("all", "county"):
            raise ConfigError(f"{where}: 'age_band_areas' must be 'all' or 'county'")
        if entry.get("method") and entry["method"] not in _methods():
            raise ConfigError(f"{where}: 'method' {entry['method']!r} is not registered; known: {sorted(_methods())}")
        if entry["id"] in out:
            raise ConfigError(f"{where}: duplicate id {entry['id']!r}")
        ind = Indicator(**{**entry, "age_bands": bool(entry.get("age_bands", False)),
                           "params": dict(entry.get("params") or {}), "notes": entry.get("notes", "")})
        out[ind.id] = ind
    return out


def load_catalogue() -> dict[str, Indicator]:
    """The packaged indicator catalogue, validated."""
    text = resources.files("ehps_lib.indicators").joinpath("catalogue.yml").read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(text))
