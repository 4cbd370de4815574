"""Where things are, and the workspace settings.

Paths come from the environment, never from the current working directory alone:

* ``EHPS_PROJECT_ROOT``: the workspace folder (default: the nearest folder upwards from
  the current directory that holds ``_quarto.yml`` and ``ehps_lib/``, else the folder
  that holds this installed package);
* ``EHPS_DATA_DIR``: generated data (default ``<root>/data``);
* ``EHPS_REFERENCE_DIR``: public reference data (default ``<root>/data/reference``, the
  copy committed with the workspace, with its ``SOURCES.md`` and ``SHA256SUMS``).

Settings live in ``ehps_lib/config.yml`` and are validated by :func:`load_settings`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

#: libyaml's safe loader when PyYAML was built with it (several times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(ValueError):
    """The settings file is wrong; the message names the bad key."""


# -- YAML files people edit: parsed with line numbers, so errors can say where --------------------
@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file and the line of every key and list item in it.

    ``line(*path)`` is the 1-based line of the deepest part of ``path`` (mapping keys and list
    indexes, e.g. ``line("indicators", 3, "params", "where")``) that the file holds.
    """

    data: object
    source: str
    lines: dict = field(default_factory=dict)

    def line(self, *path) -> int | None:
        for k in range(len(path), -1, -1):
            if tuple(path[:k]) in self.lines:
                return self.lines[tuple(path[:k])]
        return None

    def where(self, *path) -> str:
        """``"<source>, line N"`` for the deepest known part of ``path``."""
        n = self.line(*path)
        return f"{self.source}, line {n}" if n else self.source


def _node_lines(node, path: tuple, out: dict) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*path, key.value)
            out[sub] = key.start_mark.line + 1
            _node_lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, (*path, i), out)


def yaml_error_message(exc: yaml.YAMLError, source: str) -> str:
    """One plain sentence for a YAML syntax error: where it is and what to check."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{problem} ({context})" if context else problem
    return (f"{where}: this is not valid YAML: {detail}. Check the indentation, the colons and the quoting "
            "on that line and the one before.")


def read_yaml(text: str, source: str) -> YamlDocument:
    """Parse YAML text people edit, keeping the line of every key.

    Raises
    ------
    ConfigError
        For a syntax error: one sentence naming the file, line and column (no traceback).
    """
    try:
        # One pass with libyaml's parser when it is there: the node tree (for the lines), then
        # the data constructed from that same tree.
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigError(yaml_error_message(exc, source)) from None
    lines: dict = {}
    if node is not None:
        _node_lines(node, (), lines)
    return YamlDocument(data=data, source=source, lines=lines)


def did_you_mean(word: object, choices) -> str:
    """``" Did you mean 'x'?"`` for the closest of ``choices``, or ``""``.

    Examples
    --------
    >>> did_you_mean("SCHOOOL", ["SCHOOL", "HEALTH", "POLICE"])
    " Did you mean 'SCHOOL'?"
    >>> did_you_mean("zzz", ["SCHOOL"])
    ''
    """
    import difflib

    near = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean '{near[0]}'?" if near else ""


class ReferenceDataNotFoundError(FileNotFoundError):
    """No reference data folder could be found."""


#: A file every reference-data folder must hold; used to recognise one.
REFERENCE_MARKER = Path("imd") / "kent_imd2019_lsoa11_combined.csv"


def project_root() -> Path:
    """The workspace folder."""
    env = os.environ.get("EHPS_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_quarto.yml").is_file() and (folder / "ehps_lib").is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Folder for generated data (processed extract, results, quarantine)."""
    env = os.environ.get("EHPS_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "data"


def reference_candidates() -> list[tuple[str, Path]]:
    """The places searched for reference data, in order, with how each was chosen."""
    out: list[tuple[str, Path]] = []
    env = os.environ.get("EHPS_REFERENCE_DIR")
    if env:
        out.append(("$EHPS_REFERENCE_DIR", Path(env)))
    root = project_root()
    out.append(("data/reference/ in the workspace", root / "data" / "reference"))
    return out


def reference_dir() -> Path:
    """The first reference-data folder that holds the marker file.

    Raises
    ------
    ReferenceDataNotFoundError
        With the list of places looked in and how to fix it.
    """
    tried = []
    for how, path in reference_candidates():
        if (path / REFERENCE_MARKER).is_file():
            return path.resolve()
        tried.append(f"  - {how}: {path}")
    raise ReferenceDataNotFoundError(
        "No reference data (boundaries, IMD, population) was found. Looked for "
        f"{REFERENCE_MARKER} in:\n" + "\n".join(tried) + "\n"
        "The reference data are committed with the workspace in data/reference/: restore them with "
        "`git checkout -- data/reference`, or set EHPS_REFERENCE_DIR to a folder that holds a copy "
        "(see README, 'Reference data')."
    )


@dataclass(frozen=True)
class AgeBand:
    id: str
    min_age: int
    max_age: int
    population_column: str


@dataclass(frozen=True)
class TemplateSpec:
    id: str
    title: str
    areas: str  # all | districts | county
    #: What people write that the paper reads besides the results (:data:`TEMPLATE_INPUTS`):
    #: a change to one of them rebuilds this paper only.
    reads: tuple[str, ...] = ()
    #: The periods a build makes the paper for (:data:`EDITIONS`): the build's own period, and
    #: with ``month`` also the last month of it (a quarter's build makes the quarter's edition
    #: and the latest monthly edition).
    editions: tuple[str, ...] = ("period",)
    #: Months (1-12) a period must end in for the paper to be built (e.g. (3, 9): six-monthly,
    #: at the end of March and September); empty: every period.
    period_ends: tuple[int, ...] = ()
    #: ``public`` papers go to the site; ``internal`` ones (for officers) to their own folder, never
    #: into the site, each page marked with ``classification``.
    audience: str = "public"
    #: The handling classification printed on every page; None: the workspace's (``classification``).
    classification: str | None = None
    #: What the paper is computed from (:data:`TEMPLATE_DATA`): the Early Help case-system extract
    #: (quarterly results) or the statutory returns (the SCS dashboard's monthly results).
    data: str = "extract"

    def builds_for(self, period_end_month: int) -> bool:
        """Whether a period ending in this month gets the paper."""
        return not self.period_ends or period_end_month in self.period_ends


#: The written inputs a template may read: the period's commentary file (all but the districts'
#: part), its own district's entry in it, every district's entry (a county paper that gathers
#: them), and the committee paper's details.
TEMPLATE_INPUTS = ("commentary", "district_commentary", "all_district_commentary", "paper_details")
#: The data a template may be built from: ``extract`` (``ehps ingest``, results by quarter or month)
#: or ``returns`` (``ehps ingest-returns``: the CIN census, SSDA903 and supplement, results by month;
#: its commentary and paper details are under ``reports/commentary/scs/`` and ``reports/papers/scs/``).
TEMPLATE_DATA = ("extract", "returns")
#: Editions a template may ask for: the build's period, and the last month of it.
EDITIONS = ("period", "month")
AUDIENCES = ("public", "internal")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")


@dataclass(frozen=True)
class StatisticsSettings:
    """``statistics`` in config.yml: intervals, comparison, SPC and the inequality indices."""

    published_intervals: tuple[float, ...] = (95.0, 99.8)  # interval levels published beside each value
    comparison_levels: tuple[float, ...] = (95.0,)  # (95,) Fingertips' default; (95, 99.8) its two-level form
    spc_baseline_points: int | None = None
    spc_screen_outliers: bool = True
    spc_trend_run: int = 7
    spc_shift_run: int = 7
    spc_trial_below: int = 13
    spc_max_missing_share: float = 0.2
    trend_points: int = 5
    trend_level: float = 0.998
    sii_repetitions: int = 100_000
    sii_seed: int = 20140401


@dataclass(frozen=True)
class Settings:
    classification: str
    age_bands: tuple[AgeBand, ...]
    all_ages_population_column: str
    suppression_threshold: int
    max_reject_share: float
    synth_seed: int
    synth_start: str
    synth_end: str
    build_template: str
    build_workers: int
    templates: tuple[TemplateSpec, ...] = ()
    statistics: StatisticsSettings = StatisticsSettings()

    def template(self, template_id: str) -> TemplateSpec:
        for t in self.templates:
            if t.id == template_id:
                return t
        raise ConfigError(f"unknown template {template_id!r}; known: {[t.id for t in self.templates]}")


def _get(mapping: dict, key: str, where: str, kind: type | tuple[type, ...]):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f"config.yml: missing key '{where}{key}'")
    value = mapping[key]
    if not isinstance(value, kind):
        raise ConfigError(f"config.yml: '{where}{key}' must be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def parse_statistics(raw: dict | None) -> StatisticsSettings:
    """Validate the optional ``statistics`` section (defaults for what it leaves out)."""
    if raw is None:
        return StatisticsSettings()
    if not isinstance(raw, dict):
        raise ConfigError("config.yml: 'statistics' must be a mapping")
    known = {"published_intervals", "comparison_levels", "spc", "trend", "inequality"}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"config.yml: unknown key(s) under 'statistics': {sorted(unknown)}; known: {sorted(known)}")
    d = StatisticsSettings()
    levels = tuple(float(v) for v in raw.get("published_intervals", d.published_intervals))
    if not levels or any(v not in (95.0, 99.8) for v in levels) or 95.0 not in levels:
        raise ConfigError("config.yml: 'statistics.published_intervals' must list 95 and, optionally, 99.8")
    comparison = tuple(float(v) for v in raw.get("comparison_levels", d.comparison_levels))
    if comparison not in ((95.0,), (99.8,), (95.0, 99.8)):
        raise ConfigError("config.yml: 'statistics.comparison_levels' must be [95], [99.8] or [95, 99.8]")
    if any(v not in levels for v in comparison):
        raise ConfigError("config.yml: every level in 'statistics.comparison_levels' must be published "
                          "(listed in 'statistics.published_intervals')")
    spc = raw.get("spc") or {}
    baseline = spc.get("baseline_points", d.spc_baseline_points)
    if baseline is not None and (not isinstance(baseline, int) or baseline < 2):
        raise ConfigError("config.yml: 'statistics.spc.baseline_points' must be a whole number of 2 or more, "
                          "or null to use every point")
    runs = {k: spc.get(k, getattr(d, f"spc_{k}")) for k in ("trend_run", "shift_run", "trial_below")}
    for k, v in runs.items():
        if not isinstance(v, int) or v < 2:
            raise ConfigError(f"config.yml: 'statistics.spc.{k}' must be a whole number of 2 or more")
    share = float(spc.get("max_missing_share", d.spc_max_missing_share))
    if not 0 <= share < 1:
        raise ConfigError("config.yml: 'statistics.spc.max_missing_share' must be from 0 to below 1")
    trend = raw.get("trend") or {}
    ineq = raw.get("inequality") or {}
    return StatisticsSettings(
        published_intervals=levels, comparison_levels=comparison, spc_baseline_points=baseline,
        spc_screen_outliers=bool(spc.get("screen_outliers", d.spc_screen_outliers)),
        spc_trend_run=runs["trend_run"], spc_shift_run=runs["shift_run"], spc_trial_below=runs["trial_below"],
        spc_max_missing_share=share, trend_points=int(trend.get("points", d.trend_points)),
        trend_level=float(trend.get("level", d.trend_level)),
        sii_repetitions=int(ineq.get("repetitions", d.sii_repetitions)), sii_seed=int(ineq.get("seed", d.sii_seed)),
    )


def parse_settings(raw: dict) -> Settings:
    """Validate a settings mapping; raise :class:`ConfigError` naming the bad key."""
    bands = []
    for i, b in enumerate(_get(raw, "age_bands", "", list)):
        where = f"age_bands[{i}]."
        band = AgeBand(_get(b, "id", where, str), _get(b, "min_age", where, int),
                       _get(b, "max_age", where, int), _get(b, "population_column", where, str))
        if band.min_age > band.max_age:
            raise ConfigError(f"config.yml: '{where}min_age' is above max_age")
        if bands and band.min_age != bands[-1].max_age + 1:
            raise ConfigError(f"config.yml: '{where}min_age' must follow the previous band without a gap")
        bands.append(band)
    sup = _get(raw, "suppression", "", dict)
    threshold = _get(sup, "threshold", "suppression.", int)
    if threshold < 0:
        raise ConfigError("config.yml: 'suppression.threshold' must be 0 or more")
    ing = _get(raw, "ingest", "", dict)
    share = float(_get(ing, "max_reject_share", "ingest.", (int, float)))
    if not 0 <= share <= 1:
        raise ConfigError("config.yml: 'ingest.max_reject_share' must be between 0 and 1")
    syn = _get(raw, "synth", "", dict)
    build = _get(raw, "build", "", dict)
    templates = []
    for i, t in enumerate(_get(raw, "templates", "", list)):
        where = f"templates[{i}]."
        reads = t.get("reads", []) if isinstance(t, dict) else []
        if not isinstance(reads, list) or any(r not in TEMPLATE_INPUTS for r in reads):
            bad = next((r for r in (reads if isinstance(reads, list) else [reads]) if r not in TEMPLATE_INPUTS), reads)
            raise ConfigError(f"config.yml: '{where}reads' may list {', '.join(TEMPLATE_INPUTS)}, got {bad!r}."
                              f"{did_you_mean(bad, TEMPLATE_INPUTS)}")
        editions = t.get("editions", ["period"])
        if not isinstance(editions, list) or not editions or any(e not in EDITIONS for e in editions):
            raise ConfigError(f"config.yml: '{where}editions' may list {', '.join(EDITIONS)}, got {editions!r}")
        ends = []
        for m in t.get("period_ends", []) or []:
            name = str(m).strip().lower()
            if name not in _MONTH_NAMES:
                raise ConfigError(f"config.yml: '{where}period_ends' must list month names (e.g. March, "
                                  f"September), got {m!r}.{did_you_mean(str(m).lower(), _MONTH_NAMES)}")
            ends.append(_MONTH_NAMES.index(name) + 1)
        audience = t.get("audience", "public")
        if audience not in AUDIENCES:
            raise ConfigError(f"config.yml: '{where}audience' must be public or internal, got {audience!r}")
        classification = t.get("classification")
        if classification is not None and (not isinstance(classification, str) or not classification.strip()):
            raise ConfigError(f"config.yml: '{where}classification' must be text such as OFFICIAL-SENSITIVE")
        if audience == "internal" and classification is None:
            raise ConfigError(f"config.yml: '{where}classification' is required for an internal paper: say how "
                              "it must be handled (e.g. OFFICIAL-SENSITIVE)")
        data = t.get("data", "extract") if isinstance(t, dict) else "extract"
        if data not in TEMPLATE_DATA:
            raise ConfigError(f"config.yml: '{where}data' must be one of {', '.join(TEMPLATE_DATA)}, got {data!r}."
                              f"{did_you_mean(str(data), TEMPLATE_DATA)}")
        if data == "returns" and (editions != ["period"] or ends):
            raise ConfigError(f"config.yml: '{where}': a paper built from the statutory returns is made for the "
                              "returns' latest complete month; leave out 'editions' and 'period_ends'")
        spec = TemplateSpec(_get(t, "id", where, str), _get(t, "title", where, str), _get(t, "areas", where, str),
                            tuple(reads), tuple(editions), tuple(ends), audience, classification, data)
        if spec.areas not in ("all", "districts", "county"):
            raise ConfigError(f"config.yml: '{where}areas' must be all, districts or county")
        if data == "returns" and (set(reads) & {"district_commentary", "all_district_commentary"}
                                  or spec.areas != "county"):
            raise ConfigError(f"config.yml: '{where}': a paper built from the statutory returns is Kent's (areas: "
                              "county) and reads no district commentary")
        templates.append(spec)
    return Settings(
        classification=_get(raw, "classification", "", str),
        age_bands=tuple(bands),
        all_ages_population_column=_get(raw, "all_ages_population_column", "", str),
        suppression_threshold=threshold,
        max_reject_share=share,
        synth_seed=_get(syn, "seed", "synth.", int),
        synth_start=str(_get(syn, "start", "synth.", (str,))),
        synth_end=str(_get(syn, "end", "synth.", (str,))),
        build_template=_get(build, "template", "build.", str),
        build_workers=_get(build, "workers", "build.", int),
        templates=tuple(templates),
        statistics=parse_statistics(raw.get("statistics")),
    )


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """The workspace settings from the packaged ``config.yml``."""
    text = resources.files("ehps_lib").joinpath("config.yml").read_text(encoding="utf-8")
    return parse_settings(yaml.load(text, Loader=_LOADER))  # noqa: S506 - a safe loader
