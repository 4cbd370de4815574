"""The indicator catalogue: every indicator, defined once, in ``catalogue.yml``.

Each entry gives id, title, definition, numerator and denominator rules, unit, polarity,
data period, target, floor, age bands, source and notes; :func:`load_catalogue` validates
it and returns :class:`Indicator` objects in catalogue order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from ..config import ConfigError, YamlDocument, did_you_mean, read_yaml

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
    spc_rebase: list = field(default_factory=list)  # months ("YYYY-MM") where an SPC chart starts a new phase
    spc_from: str | None = None  # a rolling indicator's SPC chart: this monthly flow indicator's
    #: The plan's starting point (e.g. Kent in 2014, EHPS one-year plan) and the national figure
    #: printed beside it; ``target_period`` is when the target was due (e.g. "2015").
    baseline: float | None = None
    baseline_period: str = ""
    national_baseline: float | None = None
    target_period: str = ""
    #: Breakdowns by population group (codes of :data:`ehps_lib.data.contract.POPULATION_GROUPS`):
    #: each becomes its own indicator ``<id>__<group>``, computed, suppressed and assessed like any other.
    groups: tuple[str, ...] = ()
    #: Set on an indicator made from ``groups``: the group it counts, and the indicator it breaks down.
    population_group: str | None = None
    base_id: str | None = None
    number: int | None = None  # the row's number in the council's printed scorecard (SCS scorecard: 1-45)
    role: str = "indicator"  # indicator | activity (a count of the activity table) | variant (a cohort of another)
    variant_of: str | None = None  # for role "variant": the indicator it is a cohort of (e.g. excluding UASC)

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

    @property
    def has_target(self) -> bool:
        """True when the council published a target for it (it is rated wherever its data exist)."""
        return self.target is not None and self.polarity != "N"

    @property
    def is_group_breakdown(self) -> bool:
        """True for the population-group breakdown of another indicator (``<id>__<group>``)."""
        return self.population_group is not None


NO_DATA = "no data source yet"
PUBLIC = "public"  # an annual series from the public reference data (ehps_lib.indicators.public)
_REQUIRED = ("id", "title", "definition", "numerator", "unit", "polarity", "data_period", "source")
CATALOGUE_FILE = "ehps_lib/indicators/catalogue.yml"
SCS_CATALOGUE_FILE = "ehps_lib/indicators/scs_catalogue.yml"
ROLES = ("indicator", "activity", "variant")
#: Catalogue fields that an indicator's ``notes`` may name as ``{target}`` or ``{floor}``: the
#: papers fill in the current value, so a changed target is never printed out of date.
NOTE_FIELDS = ("target", "floor")

#: What each ``params`` key of a case-data method names: a table of the extract, a column of
#: ``table`` (or of ``linked_table``), a whole number, or a filter on codes of ``table``.
_PARAM_KINDS = {
    "table": "table", "linked_table": "table",
    "date": "column", "subject": "column", "link_column": "column",
    "link": "linked_column", "from_date": "linked_column",
    "days": "count", "weeks": "count", "unit": "unit",
    "where": "filter", "dataset": "dataset",
    # records of children whose attributes match (children.<column>, e.g. a population group flag)
    "child_where": "child_filter",
    # only records about children of these ages on the record's date; a rate's population is of these ages
    "ages": "ages",
    # a share's denominator: only the records that match (a filter on ``table``, like ``where``)
    "within": "filter",
    # the columns of ``table`` a case-like record starts and ends on (default start_date, end_date)
    "start": "column", "end": "column",
    # a date column of the children table that must be on or before the record's date (e.g. registration)
    "child_date": "child_column",
}
#: Keys an entry may not set itself: they are filled in for population-group breakdowns.
_DERIVED_KEYS = ("population_group", "base_id")
#: Separator of a population-group breakdown's id: ``closed_positive_pct__in_care``.
GROUP_SEPARATOR = "__"
_UNIT_WORDS = ("weeks", "days")


class _Checker:
    """Raises :class:`ConfigError` naming the file, the line, the indicator and the key."""

    def __init__(self, doc: YamlDocument | None, source: str):
        self.doc, self.source = doc, source

    def fail(self, path: tuple, message: str) -> ConfigError:
        where = self.doc.where(*path) if self.doc else self.source
        i = path[1] if len(path) > 1 else None
        label = f"indicators[{i}]" if i is not None else "catalogue"
        entry = self.entry_id(i)
        if entry:
            label += f" ({entry})"
        return ConfigError(f"{where}: {label}: {message}")

    def entry_id(self, i) -> str | None:
        if self.doc is None or i is None:
            return getattr(self, "_current_id", None)
        try:
            entry = self.doc.data["indicators"][i]
        except (KeyError, IndexError, TypeError):
            return None
        return entry.get("id") if isinstance(entry, dict) else None


def _check_params(check: _Checker, path: tuple, entry: dict) -> None:
    """The method's parameters must name tables, columns and codes of the data contract."""
    from ..data.contract import TABLES  # the data stage, read here: only validation needs it

    params = entry.get("params") or {}
    if not isinstance(params, dict):
        raise check.fail((*path, "params"), "'params' must be a mapping")
    status = entry.get("status", "available")
    for key in params:
        if key not in _PARAM_KINDS:
            raise check.fail((*path, "params", key), f"unknown parameter {key!r}."
                             f"{did_you_mean(key, _PARAM_KINDS)} Known: {', '.join(sorted(_PARAM_KINDS))}")
    if status != "available":
        return

    def table_of(key: str):
        name = params.get(key)
        if name not in TABLES:
            raise check.fail((*path, "params", key), f"'{key}' must name a table of the extract, got {name!r}."
                             f"{did_you_mean(name, TABLES)} Tables: {', '.join(TABLES)}")
        return TABLES[name]

    table = table_of("table") if "table" in params else None
    if table is None:
        raise check.fail((*path, "params"), "a case-data method needs 'params.table' (one of "
                         f"{', '.join(TABLES)})")
    linked = table_of("linked_table") if "linked_table" in params else None
    for key, value in params.items():
        kind = _PARAM_KINDS[key]
        here = (*path, "params", key)
        if kind in ("column", "linked_column"):
            spec = table if kind == "column" else linked
            if spec is None:
                raise check.fail(here, f"'{key}' needs 'linked_table' to say which table it belongs to")
            if value not in spec.column_names:
                raise check.fail(here, f"{value!r} is not a column of the {spec.name} table."
                                 f"{did_you_mean(value, spec.column_names)}")
        elif kind == "count":
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise check.fail(here, f"'{key}' must be a whole number above 0, got {value!r}")
        elif kind == "unit":
            if value not in _UNIT_WORDS:
                raise check.fail(here, f"'unit' must be one of {', '.join(_UNIT_WORDS)}, got {value!r}")
        elif kind in ("filter", "child_filter"):
            _check_filter(check, here, key, value, table if kind == "filter" else TABLES["children"])
        elif kind == "child_column":
            children = TABLES["children"]
            if value not in children.column_names or children.column(value).kind not in ("date", "month"):
                dates = [c.name for c in children.columns if c.kind in ("date", "month")]
                raise check.fail(here, f"'{key}' must name a date column of the children table, got {value!r}."
                                 f"{did_you_mean(value, dates)} Date columns: {', '.join(dates)}")
            if "child_id" not in table.column_names:
                raise check.fail(here, f"'{key}' needs a table with child_id; {table.name} has none")
        elif kind == "ages":
            whole = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            if not (whole and len(value) == 2 and 0 <= value[0] <= value[1]):
                raise check.fail(here, f"'ages' must be [youngest, oldest] in whole years, e.g. [10, 17], "
                                 f"got {value!r}")
            if "child_id" not in table.column_names:
                raise check.fail(here, f"'ages' needs a table with child_id; {table.name} has none")
            if "date" not in params:
                raise check.fail(here, "'ages' needs 'date': the day on which each child's age is counted")


def _check_filter(check: _Checker, here: tuple, key: str, value, table) -> None:
    """A ``where``-like filter must map columns of ``table`` to lists of its codes (or true/false)."""
    if not isinstance(value, dict) or not value:
        raise check.fail(here, f"'{key}' must map a column to a list of allowed values")
    for column, allowed in value.items():
        where_col = (*here, column)
        if column not in table.column_names:
            raise check.fail(where_col, f"{column!r} is not a column of the {table.name} table."
                             f"{did_you_mean(column, table.column_names)}")
        if not isinstance(allowed, list) or not allowed:
            raise check.fail(where_col, f"'{key}.{column}' must be a list of values, e.g. [{allowed!r}]")
        col = table.column(column)
        if col.codes is not None:
            for code in allowed:
                if code not in col.codes:
                    raise check.fail(where_col, f"{code!r} is not a code of {table.name}.{column}."
                                     f"{did_you_mean(code, col.codes)} Codes: {', '.join(col.codes)}")
        elif col.kind == "bool":
            bad = [v for v in allowed if not isinstance(v, bool)]
            if bad:
                raise check.fail(where_col, f"{table.name}.{column} is true or false, got {bad[0]!r}")


def _check_plan_values(check: _Checker, path: tuple, entry: dict) -> None:
    """Baselines are numbers, and a floor lies on the far side of the target from better."""
    for key in ("baseline", "national_baseline"):
        value = entry.get(key)
        if value is not None and not (isinstance(value, int | float) and not isinstance(value, bool)):
            raise check.fail((*path, key), f"'{key}' must be a number, got {value!r}")
    for key in ("baseline_period", "target_period"):
        if key in entry and not isinstance(entry[key], str | int):
            raise check.fail((*path, key), f"'{key}' must be a year or period label, e.g. \"2015\"")
    target, floor, polarity = entry.get("target"), entry.get("floor"), entry["polarity"]
    numbers = isinstance(target, int | float) and isinstance(floor, int | float)
    if numbers and ((polarity == "H" and floor > target) or (polarity == "L" and floor < target)):
        side = "above" if polarity == "H" else "below"
        raise check.fail((*path, "floor"), f"the floor (minimum standard) {floor!r} is {side} the target "
                         f"{target!r}: for polarity {polarity} the floor must be the worse of the two "
                         "(leave it out when the published baseline is already better than the target)")


def _group_breakdowns(ind: Indicator, check: _Checker, path: tuple) -> list[Indicator]:
    """The indicators ``<id>__<group>`` of an entry's ``groups``: the same measure for the records
    about children flagged in that group (``child_where``), not rated and not by age."""
    from ..data.contract import POPULATION_GROUPS

    out = []
    for group in ind.groups:
        if group not in POPULATION_GROUPS:
            raise check.fail((*path, "groups"), f"{group!r} is not a population group."
                             f"{did_you_mean(group, POPULATION_GROUPS)} Groups: {', '.join(POPULATION_GROUPS)}")
        label = POPULATION_GROUPS[group]
        params = {**ind.params, "child_where": {**(ind.params.get("child_where") or {}), group: [True]}}
        out.append(replace(
            ind, id=f"{ind.id}{GROUP_SEPARATOR}{group}", title=f"{ind.title}: {label.lower()}",
            definition=f"{ind.definition} Only records about {label.lower()} (as flagged on the child's record).",
            params=params, age_bands=False, target=None, floor=None, baseline=None, national_baseline=None,
            target_scope="all", groups=(), population_group=group, base_id=ind.id,
            notes=(f"A breakdown of '{ind.title}' for {label.lower()}, as flagged on the child's record in "
                   "the extract. Not rated: the council set no target for population groups."),
        ))
    return out


def parse_catalogue(raw: dict, doc: YamlDocument | None = None, source: str = "catalogue",
                    methods: dict | None = None) -> dict[str, Indicator]:
    """Validate a catalogue mapping; raise :class:`ConfigError` naming the file, line, entry and key.

    ``doc`` (from :func:`ehps_lib.config.read_yaml`) supplies line numbers; without it the
    message names the entry and key only. Every code a ``where`` filter names must be a code
    of the data contract, every table and column must exist, and unknown keys are refused,
    each with the nearest valid value.

    ``methods`` is the registry each entry's ``method`` must be in: by default the Early Help
    engine's (:data:`ehps_lib.indicators.engine.METHODS`), whose ``params`` name tables and
    columns of the Early Help extract and are checked against its contract; another registry
    (the SCS engine's) checks its own parameters when it computes.
    """
    check = _Checker(doc, source)
    known_methods = _methods() if methods is None else methods
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list):
        raise check.fail((), "the top level must be a mapping with a list under 'indicators'")
    out: dict[str, Indicator] = {}
    known_keys = list(Indicator.__dataclass_fields__)
    for i, entry in enumerate(raw["indicators"]):
        path = ("indicators", i)
        check._current_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry, dict):
            raise check.fail(path, "must be a mapping of keys (id, title, ...)")
        for key in _REQUIRED:
            if entry.get(key) in (None, ""):
                raise check.fail(path, f"missing key '{key}'")
        for key in entry:
            if key not in known_keys or key in _DERIVED_KEYS:
                allowed = [k for k in known_keys if k not in _DERIVED_KEYS]
                raise check.fail((*path, key), f"unknown key {key!r}.{did_you_mean(key, allowed)}")
        if entry["polarity"] not in POLARITIES:
            raise check.fail((*path, "polarity"), f"'polarity' must be one of {list(POLARITIES)}, got "
                             f"{entry['polarity']!r}")
        if entry["data_period"] not in DATA_PERIODS:
            raise check.fail((*path, "data_period"), f"'data_period' must be one of {list(DATA_PERIODS)}, got "
                             f"{entry['data_period']!r}.{did_you_mean(entry['data_period'], DATA_PERIODS)}")
        unit = str(entry["unit"])
        if unit not in UNITS and not unit.startswith("rate per "):
            raise check.fail((*path, "unit"), "'unit' must be count, %, average or 'rate per N of <population>', "
                             f"got {unit!r}")
        if entry["polarity"] == "T" and entry.get("target") is not None and entry.get("floor") is not None:
            for key in ("target", "floor"):
                if not (isinstance(entry[key], list) and len(entry[key]) == 2):
                    raise check.fail((*path, key), f"polarity T needs '{key}' as [low, high]")
        for key in ("target", "floor"):
            value = entry.get(key)
            values = value if isinstance(value, list) else [value]
            if value is not None and not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise check.fail((*path, key), f"'{key}' must be a number (or [low, high]), got {value!r}")
        if unit.startswith("rate") and not isinstance(entry.get("per"), int):
            raise check.fail((*path, "per"), "a rate needs an integer 'per' (e.g. 10000)")
        status = entry.get("status", "available")
        if status not in ("available", PUBLIC, NO_DATA):
            raise check.fail((*path, "status"), f"'status' must be 'available', '{PUBLIC}' or '{NO_DATA}', got "
                             f"{status!r}")
        if status == "available" and not entry.get("method"):
            raise check.fail(path, f"missing key 'method' (or set status: {NO_DATA})")
        if entry.get("target_scope", "all") not in ("all", "county"):
            raise check.fail((*path, "target_scope"), "'target_scope' must be 'all' or 'county'")
        if entry.get("method") and entry["method"] not in known_methods:
            raise check.fail((*path, "method"), f"'method' {entry['method']!r} is not registered."
                             f"{did_you_mean(entry['method'], known_methods)} "
                             f"Known: {', '.join(sorted(known_methods))}")
        if methods is None:
            _check_params(check, path, entry)
        if entry.get("role", "indicator") not in ROLES:
            raise check.fail((*path, "role"), f"'role' must be one of {list(ROLES)}, got {entry.get('role')!r}")
        if entry.get("role") == "variant" and entry.get("variant_of") not in out:
            raise check.fail((*path, "variant_of"), "a variant needs 'variant_of' naming an indicator listed "
                             f"before it, got {entry.get('variant_of')!r}")
        for name in re.findall(r"\{([^{}]*)\}", str(entry.get("notes") or "")):
            if name not in NOTE_FIELDS:
                raise check.fail((*path, "notes"), f"the notes name {{{name}}}: only "
                                 f"{', '.join('{' + f + '}' for f in NOTE_FIELDS)} can be filled in."
                                 f"{did_you_mean(name, NOTE_FIELDS)}")
            if entry.get(name) is None:
                raise check.fail((*path, "notes"), f"the notes name {{{name}}} but the indicator has no {name}")
        rebase = entry.get("spc_rebase") or []
        if not isinstance(rebase, list) or not all(
                isinstance(m, str) and len(m) == 7 and m[4] == "-" and m[:4].isdigit() and m[5:].isdigit()
                and 1 <= int(m[5:]) <= 12 for m in rebase):
            raise check.fail((*path, "spc_rebase"), "'spc_rebase' must be a list of months like \"2015-04\" (a "
                             "known change where the SPC chart starts a new phase with a new baseline)")
        if entry.get("spc_from") and entry["data_period"] == "month":
            raise check.fail((*path, "spc_from"), "'spc_from' is for rolling or snapshot indicators; a monthly "
                             "flow is charted itself")
        _check_plan_values(check, path, entry)
        if GROUP_SEPARATOR in str(entry["id"]):
            raise check.fail((*path, "id"), f"an id may not contain {GROUP_SEPARATOR!r}: it marks a population-group "
                             "breakdown")
        if entry["id"] in out:
            raise check.fail((*path, "id"), f"duplicate id {entry['id']!r}")
        groups = entry.get("groups") or []
        if not isinstance(groups, list):
            raise check.fail((*path, "groups"), "'groups' must be a list of population groups, e.g. [in_care]")
        if groups and status != "available":
            raise check.fail((*path, "groups"), "only indicators computed from the extract can be broken down by group")
        ind = Indicator(**{**entry, "age_bands": bool(entry.get("age_bands", False)), "spc_rebase": list(rebase),
                           "params": dict(entry.get("params") or {}), "notes": entry.get("notes", ""),
                           "groups": tuple(groups),
                           **{k: str(entry[k]) for k in ("baseline_period", "target_period") if k in entry}})
        out[ind.id] = ind
        for derived in _group_breakdowns(ind, check, path):
            out[derived.id] = derived
    for i, ind in enumerate(out.values()):
        if ind.spc_from and (ind.spc_from not in out or out[ind.spc_from].data_period != "month"):
            check._current_id = ind.id
            raise check.fail(("indicators", i, "spc_from"), "'spc_from' must name a monthly flow indicator of the "
                             f"catalogue, got {ind.spc_from!r}.{did_you_mean(str(ind.spc_from), list(out))}")
    return out


def load_catalogue() -> dict[str, Indicator]:
    """The packaged indicator catalogue, validated (parsed once per process for each version
    of the file's text; a new dict each call, so a caller's change to it stays its own)."""
    text = resources.files("ehps_lib.indicators").joinpath("catalogue.yml").read_text(encoding="utf-8")
    return dict(_parsed_catalogue(text))


@lru_cache(maxsize=2)
def _parsed_catalogue(text: str) -> dict[str, Indicator]:
    doc = read_yaml(text, CATALOGUE_FILE)
    return parse_catalogue(doc.data, doc, CATALOGUE_FILE)


def load_scs_catalogue() -> dict[str, Indicator]:
    """The Specialist Children's Services catalogue (``scs_catalogue.yml``), validated against the
    SCS engine's methods (:data:`ehps_lib.indicators.scs.METHODS`).

    A second file, loaded by the same parser into the same :class:`Indicator`: its indicators
    are computed from the statutory returns by teams and SCS areas, not from the Early Help
    extract by districts, so the Early Help engine must never pick them up (it computes every
    entry of ``catalogue.yml``); sharing the schema keeps one definition of what an indicator is.
    """
    from .scs import METHODS

    text = resources.files("ehps_lib.indicators").joinpath("scs_catalogue.yml").read_text(encoding="utf-8")
    doc = read_yaml(text, SCS_CATALOGUE_FILE)
    return parse_catalogue(doc.data, doc, SCS_CATALOGUE_FILE, methods=METHODS)
