"""The analysts' commentary, from ``reports/commentary/<period>.yml``: on the county scorecard's
Red and Amber indicators, and (optional) on each district's dashboard.

The file is validated on load (unknown keys, wrong types, districts and indicators not in the
catalogue are errors naming the file, the line, the key and the nearest valid value); a missing
file or entry is stated as missing on the county scorecard, never invented. District commentary
is shown only where it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import config
from ..data import io
from ..indicators.catalogue import Indicator, load_catalogue
from ..periods import Period
from .blocks import (
    _e,
)

#: Keys of the commentary file (``reports/commentary/<period slug>.yml``).
OWNER_KEYS = {"cabinet_member": "Cabinet Member", "director": "Director", "portfolio": "Portfolio",
              "division": "Division"}
COMMENTARY_KEYS = ("period", "note", "owner", "commentary", "districts")
#: In a district's entry under ``districts:``, the general commentary (besides indicator ids).
DISTRICT_SUMMARY = "summary"
COMMENTARY_FOLDER = Path("reports") / "commentary"
#: The SCS performance dashboard's commentary (monthly, on the SCS catalogue's indicators).
SCS_COMMENTARY_FOLDER = COMMENTARY_FOLDER / "scs"


# == commentary ====================================================================================
class CommentaryError(ValueError):
    """The commentary file is wrong; the message names the file and the bad key."""


@dataclass(frozen=True)
class Commentary:
    """The analysts' commentary for one period, as read from ``reports/commentary/<slug>.yml``.

    ``found`` is False when the file does not exist: then ``owner`` and ``entries`` are
    empty and every indicator's commentary is shown as missing.
    """

    period: Period
    path: str  # as shown to readers, e.g. "reports/commentary/2016-17-Q4.yml"
    found: bool = False
    owner: dict[str, str] = field(default_factory=dict)
    entries: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    #: District code -> {"summary" or indicator id -> text}; only what was written.
    districts: dict[str, dict[str, str]] = field(default_factory=dict)

    def district(self, area_code: str) -> dict[str, str]:
        """What was written for a district's dashboard (empty when nothing was)."""
        return dict(self.districts.get(area_code, {}))

    def county_part(self) -> dict:
        """What the county papers read (everything but the districts' entries): for cache keys."""
        return {"found": self.found, "owner": self.owner, "entries": self.entries, "note": self.note}

    def text(self, indicator_id: str) -> str | None:
        """The commentary for an indicator, or None when none was provided."""
        return self.entries.get(indicator_id)

    def missing_text(self) -> str:
        """The visible note printed where a commentary is missing."""
        where = self.path if self.found else f"{self.path}, which does not exist"
        return (f"No commentary has been provided for this indicator for {self.period.label} "
                f"(expected in {where}).")


def commentary_path(period: Period | str, root: Path | None = None, folder: Path = COMMENTARY_FOLDER) -> Path:
    """Where the commentary for ``period`` is kept: ``<root>/reports/commentary/<slug>.yml`` (or in
    ``folder``, e.g. :data:`SCS_COMMENTARY_FOLDER`)."""
    return (root or config.project_root()) / folder / f"{Period.parse(period).slug}.yml"


def _type_name(v: object) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, str):
        return "text"
    return type(v).__name__




def parse_commentary(text: str | None, period: Period | str, *, source: str,
                     catalogue: dict[str, Indicator] | None = None) -> Commentary:
    """Validate the text of a commentary file (pure); ``text`` None means no file.

    The file is a YAML mapping::

        period: "2016-17 Q4"          # optional; must match the file's period
        note: "..."                   # optional; printed above the commentaries
        owner: {cabinet_member: ..., director: ..., portfolio: ..., division: ...}
        commentary:
          step_downs_r12m: |
            Text, paragraphs separated by a blank line.
        districts:                    # optional: shown on the district dashboards
          Canterbury:                 # a district's name or code
            summary: "..."            # general commentary
            ehn_rate: "..."           # commentary on one indicator

    An empty (or null) entry counts as not provided.

    Raises
    ------
    CommentaryError
        Naming ``source``, the line and the bad key: YAML that does not parse, an unknown key,
        an unknown district or indicator id (with the nearest valid one), a value of the
        wrong type, or a period that does not match.
    """
    from ..geography import DISTRICTS, AreaError, resolve_area

    p = Period.parse(period)
    if text is None:
        return Commentary(period=p, path=source, found=False)
    try:
        doc = config.read_yaml(text, source)
    except config.ConfigError as exc:
        raise CommentaryError(str(exc)) from None
    raw = doc.data

    def fail(path: tuple, message: str) -> CommentaryError:
        key = ".".join(str(k) for k in path)
        return CommentaryError(f"{doc.where(*path)}: {key + ': ' if key else ''}{message}")

    def text_or_none(value: object, path: tuple) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            raise fail(path, f"must be text, got {_type_name(value)}")
        return value.strip()

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise fail((), f"must be a mapping with the keys {', '.join(COMMENTARY_KEYS)}, got {_type_name(raw)}")
    for key in raw:
        if key not in COMMENTARY_KEYS:
            raise fail((key,), f"unknown key.{config.did_you_mean(key, COMMENTARY_KEYS)} "
                       f"Expected {', '.join(COMMENTARY_KEYS)}")
    if raw.get("period") is not None:
        said = str(raw["period"]).strip()
        try:
            same = Period.parse(said) == p
        except ValueError:
            same = False
        if not same:
            raise fail(("period",), f"says {said!r}, but the file is for {p.label}")
    note = text_or_none(raw.get("note"), ("note",))

    owner_raw = raw.get("owner") or {}
    if not isinstance(owner_raw, dict):
        raise fail(("owner",), f"must be a mapping of {', '.join(OWNER_KEYS)}, got {_type_name(owner_raw)}")
    owner = {}
    for key, value in owner_raw.items():
        if key not in OWNER_KEYS:
            raise fail(("owner", key), f"unknown key.{config.did_you_mean(key, OWNER_KEYS)} "
                       f"Expected {', '.join(OWNER_KEYS)}")
        v = text_or_none(value, ("owner", key))
        if v is not None:
            owner[key] = v

    known = catalogue if catalogue is not None else load_catalogue()
    computed = [i for i, c in known.items() if c.has_data]

    def indicator_entries(mapping: object, path: tuple, extra: tuple[str, ...] = ()) -> dict[str, str]:
        if not isinstance(mapping, dict):
            raise fail(path, f"must be a mapping of indicator id to text, got {_type_name(mapping)}")
        out = {}
        for key, value in mapping.items():
            if str(key) not in known and str(key) not in extra:
                raise fail((*path, key), f"unknown indicator id.{config.did_you_mean(key, [*extra, *computed])} "
                           f"Known: {', '.join([*extra, *computed])}")
            v = text_or_none(value, (*path, key))
            if v is not None:
                out[str(key)] = v
        return out

    entries = indicator_entries(raw.get("commentary") or {}, ("commentary",))
    districts: dict[str, dict[str, str]] = {}
    for name, entry in (raw.get("districts") or {}).items():
        try:
            code = resolve_area(str(name))
        except AreaError as exc:
            raise fail(("districts", name), str(exc)) from None
        if code not in DISTRICTS:
            raise fail(("districts", name), "district commentary is for one of the 12 districts, not "
                       f"{name!r}; write about Kent and the SCS areas under 'commentary'")
        if isinstance(entry, str):
            entry = {DISTRICT_SUMMARY: entry}
        written = indicator_entries(entry or {}, ("districts", name), extra=(DISTRICT_SUMMARY,))
        if written:
            districts[code] = {**districts.get(code, {}), **written}
    return Commentary(period=p, path=source, found=True, owner=owner, entries=entries, note=note,
                      districts=districts)


def load_commentary(period: Period | str, root: Path | None = None, *, folder: Path = COMMENTARY_FOLDER,
                    catalogue: dict[str, Indicator] | None = None) -> Commentary:
    """Read and validate the commentary for ``period`` (a missing file is not an error: every
    commentary is then shown as missing). ``root`` defaults to the project folder; ``folder`` and
    ``catalogue`` are the SCS dashboard's (:data:`SCS_COMMENTARY_FOLDER`, the SCS catalogue) for its
    commentary."""
    p = Period.parse(period)
    path = commentary_path(p, root, folder)
    shown = (folder / path.name).as_posix()
    return parse_commentary(io.read_text_or_none(path), p, source=shown, catalogue=catalogue)


def _paragraphs(text: str) -> str:
    parts = [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]
    return "".join(f"<p>{_e(part)}</p>" for part in parts)


def _commentary_html(commentary: Commentary, indicator_id: str) -> str:
    text = commentary.text(indicator_id)
    if text is None:
        return (f'<p class="ehps-sc-missing"><strong>Commentary missing.</strong> '
                f"{_e(commentary.missing_text())}</p>")
    return f'<div class="ehps-sc-commentary">{_paragraphs(text)}</div>'


def _note_html(commentary: Commentary) -> str:
    if not commentary.note:
        return ""
    return ('<div class="ehps-sc-note" role="note"><p><strong>Note on the commentary</strong></p>'
            f"{_paragraphs(commentary.note)}</div>")


def _owner_html(commentary: Commentary) -> str:
    items = []
    for key, label in OWNER_KEYS.items():
        value = commentary.owner.get(key)
        shown = _e(value) if value else '<span class="ehps-sc-missing-inline">Not provided</span>'
        items.append(f"<div><dt>{_e(label)}</dt><dd>{shown}</dd></div>")
    note = ""
    if len(commentary.owner) < len(OWNER_KEYS):
        where = commentary.path if commentary.found else f"{commentary.path}, which does not exist"
        note = (f'<p class="ehps-table-note">Owner details not provided are expected under <code>owner</code> '
                f"in {_e(where)}.</p>")
    return f'<dl class="ehps-sc-owner">{"".join(items)}</dl>{note}'


# -- what a release needs ------------------------------------------------------------------------
_ILLUSTRATIVE = re.compile(r"\b(illustrative|placeholder|example only|lorem ipsum)\b", re.IGNORECASE)


def is_illustrative(text: str | None) -> bool:
    """Whether ``text`` says it is illustrative or a placeholder (a release prints none).

    Examples
    --------
    >>> is_illustrative("Cabinet Member (illustrative)"), is_illustrative("Peter Oakford")
    (True, False)
    """
    return bool(text) and bool(_ILLUSTRATIVE.search(text))


def commentary_gaps(commentary: Commentary, red: list[Indicator], shown: list[Indicator]) -> list[str]:
    """What a release of a paper printing ``commentary`` would need (pure): a commentary for
    every Red indicator, every owner on the exception reports (Cabinet Member, Director,
    Portfolio, Division), and no illustrative text in what is printed (``shown``: the
    indicators whose commentary the paper prints). Each gap names the file and key to fill in.
    """
    where = commentary.path if commentary.found else f"{commentary.path} (the file does not exist)"
    gaps = []
    for ind in red:
        if commentary.text(ind.id) is None:
            gaps.append(f"Commentary missing for the Red indicator '{ind.title}': add commentary.{ind.id} to {where}")
    if red:
        for key, label in OWNER_KEYS.items():
            value = commentary.owner.get(key)
            if value is None:
                gaps.append(f"{label} missing from the exception reports: add owner.{key} to {where}")
            elif is_illustrative(value):
                gaps.append(f"{label} is illustrative ({value!r}): give the real one in owner.{key} of {where}")
    if is_illustrative(commentary.note):
        gaps.append(f"The note on the commentary says it is illustrative: replace or remove 'note' in {where}")
    for ind in shown:
        if is_illustrative(commentary.text(ind.id)):
            gaps.append(f"The commentary on '{ind.title}' is illustrative: replace commentary.{ind.id} in {where}")
    return gaps


__all__ = ['Commentary', 'CommentaryError', 'commentary_path', 'parse_commentary', 'load_commentary',
           'commentary_gaps', 'is_illustrative']
