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
