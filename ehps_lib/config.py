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
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml


class ConfigError(ValueError):
    """The settings file is wrong; the message names the bad key."""


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
    #: the protection rule of withheld counts: "values" or "zero" (ehps_lib.indicators.feasibility)
    suppression_interval: str = "values"

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
    interval = sup.get("interval", "values")
    if interval not in ("values", "zero"):
        raise ConfigError("config.yml: 'suppression.interval' must be 'values' (a withheld count's possible range "
                          "holds at least threshold + 1 values, one above the threshold) or 'zero' (it reaches 0 and "
                          f"threshold + 1), got {interval!r}")
    ing = _get(raw, "ingest", "", dict)
    share = float(_get(ing, "max_reject_share", "ingest.", (int, float)))
    if not 0 <= share <= 1:
        raise ConfigError("config.yml: 'ingest.max_reject_share' must be between 0 and 1")
    syn = _get(raw, "synth", "", dict)
    build = _get(raw, "build", "", dict)
    templates = []
    for i, t in enumerate(_get(raw, "templates", "", list)):
        where = f"templates[{i}]."
        spec = TemplateSpec(_get(t, "id", where, str), _get(t, "title", where, str), _get(t, "areas", where, str))
        if spec.areas not in ("all", "districts", "county"):
            raise ConfigError(f"config.yml: '{where}areas' must be all, districts or county")
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
        suppression_interval=interval,
    )


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """The workspace settings from the packaged ``config.yml``."""
    text = resources.files("ehps_lib").joinpath("config.yml").read_text(encoding="utf-8")
    return parse_settings(yaml.safe_load(text))
