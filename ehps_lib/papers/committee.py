"""The council's Cabinet Committee paper format, shared by the papers written in it: the
Early Help performance paper (:mod:`ehps_lib.papers.committee_paper`) and the covering paper of
the Specialist Children's Services performance dashboard
(:mod:`ehps_lib.papers.scs_committee_paper`).

The format (seeds-spec §1.8; seed 001, the 18 September 2015 paper, and the 2016 papers in
seed 004): a header block (From, To (committee – date), Subject (upper case, bold),
Classification, Past Pathway of Paper, Future Pathway of Paper, Electoral Division, Summary,
Recommendation(s), the verbs NOTE, COMMENT ON ... in bold capitals); numbered sections with
numbered paragraphs, written ones from a *details file* and generated ones from the published
results; then Conclusions, Recommendation(s) repeated, Background Documents and Contact details.

What a person writes comes from the details files (``default.yml`` and ``<period slug>.yml`` in
the paper's folder), validated on load with errors naming the file and the key; which
paragraphs a paper can generate is the paper's own (``generated=``).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import yaml

from ..data import io
from ..periods import Period
from . import narrative
from .blocks import Block, synthetic_banner_html

#: The details file every paper falls back to.
DEFAULT_DETAILS = "default.yml"
#: Months after the end of the period in which the committee meets, when no date is given.
MEETING_MONTHS_AFTER = 3
#: Words that ask the committee to act; printed in bold capitals (seeds-spec §1.8 A).
ACTION_WORDS = ("COMMENT ON", "NOTE", "CONSIDER", "ENDORSE", "AGREE", "APPROVE", "RECOMMENDATIONS",
                "RECOMMENDATION", "RECOMMEND")
_ACTION = re.compile(r"\b(" + "|".join(re.escape(w) for w in ACTION_WORDS) + r")\b")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

#: The header block's fields, in the order the council prints them.
HEADER_LABELS = ("From", "To", "Subject", "Classification", "Past Pathway of Paper", "Future Pathway of Paper",
                 "Electoral Division", "Summary", "Recommendation(s)")


class PaperDetailsError(ValueError):
    """A paper details file is missing, unreadable or wrong; the message names the file and key."""


# -- the details file ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Contact:
    """A contact in the paper: a role title, and optionally a name, telephone and email."""

    title: str
    name: str | None = None
    telephone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SectionSpec:
    """A numbered section: human-written paragraphs, then generated ones (by name).

    ``items`` is the section's paragraphs in order, each ``("written", text)`` or
    ``("generated", name)``: a generated paragraph may also stand among the written ones
    (``- generated: latest_results`` in ``paragraphs:``); when empty, the written paragraphs
    come first and the generated ones after them."""

    title: str
    paragraphs: tuple[str, ...] = ()
    generated: tuple[str, ...] = ()
    items: tuple[tuple[str, str], ...] = ()

    def ordered(self) -> tuple[tuple[str, str], ...]:
        """The paragraphs in order (see ``items``)."""
        return self.items or (tuple(("written", t) for t in self.paragraphs)
                              + tuple(("generated", g) for g in self.generated))


@dataclass(frozen=True)
class PaperDetails:
    """The human-written parts of a paper, validated, with placeholders filled in.

    ``files`` says which file each key came from.
    """

    from_lines: tuple[str, ...]
    committee: str
    meeting_date: dt.date | None
    subject: str
    classification: str
    past_pathway: str
    future_pathway: str
    electoral_division: str
    summary: tuple[str, ...]
    recommendations: tuple[str, ...]
    sections: tuple[SectionSpec, ...]
    conclusions: tuple[str, ...]
    background_documents: tuple[str, ...]
    report_author: Contact
    relevant_directors: tuple[Contact, ...]
    appendix_title: str
    files: dict[str, str] = field(default_factory=dict)


#: Keys of a details file: what each must be. All are required once the files are merged,
#: except ``meeting_date`` (null or absent: derived from the period).
KEYS: dict[str, str] = {
    "from": "a list of text (one line per Cabinet Member or Director)",
    "committee": "text",
    "meeting_date": "a date (YYYY-MM-DD) or null",
    "subject": "text",
    "classification": "text",
    "past_pathway": "text",
    "future_pathway": "text",
    "electoral_division": "text",
    "summary": "a list of text (paragraphs)",
    "recommendations": "a list of text (paragraphs)",
    "sections": "a list of sections (each with 'title' and 'paragraphs' and/or 'generated')",
    "conclusions": "a list of text (paragraphs), or [] for a paper without Conclusions",
    "background_documents": "a list of text",
    "report_author": "a contact (a mapping with 'title', and optionally 'name', 'telephone', 'email')",
    "relevant_directors": "a list of contacts (each a mapping with 'title', and optionally 'name', "
                          "'telephone', 'email')",
    "appendix_title": "text",
}
OPTIONAL_KEYS = ("meeting_date",)
_CONTACT_KEYS = ("title", "name", "telephone", "email")
_SECTION_KEYS = ("title", "paragraphs", "generated")


def placeholders(period: Period, committee: str, area_name: str) -> dict[str, str]:
    """The values that ``{name}`` placeholders in the details text stand for."""
    return {"period": narrative.period_words(period), "period_label": period.label, "period_title": period.title,
            "data_to": f"{period.end:%B %Y}", "committee": committee, "area": area_name}


class _Checker:
    """Type checks for one key, raising errors that name the file and the key."""

    def __init__(self, file: str, values: dict[str, str], generated: tuple[str, ...] = ()):
        self.file = file
        self.values = values
        self.generated = generated

    def fail(self, key: str, message: str) -> PaperDetailsError:
        return PaperDetailsError(f"{self.file}: key '{key}': {message}")

    def text(self, key: str, value: object, *, fill: bool = True) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"expected text, got {_describe(value)}")
        text = " ".join(value.split())
        return self.fill(key, text) if fill else text

    def optional_text(self, key: str, value: object) -> str | None:
        return None if value is None else self.text(key, value)

    def texts(self, key: str, value: object, *, allow_empty: bool = False) -> tuple[str, ...]:
        if allow_empty and value == []:
            return ()
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"expected a list of text with at least one item, got {_describe(value)}")
        return tuple(self.text(f"{key}[{i}]", v) for i, v in enumerate(value))

    def fill(self, key: str, text: str) -> str:
        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name not in self.values:
                raise self.fail(key, f"unknown placeholder {{{name}}}; known: "
                                     + ", ".join(f"{{{k}}}" for k in self.values))
            return self.values[name]

        return _PLACEHOLDER.sub(sub, text)

    def date(self, key: str, value: object) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError as exc:
                if "range" in str(exc):  # 2017-06-31: a date's shape, but no such day
                    raise self.fail(key, f"{value.strip()} is not a date ({exc}): give a day that exists, as "
                                         "YYYY-MM-DD, or null to take it from the period") from exc
        raise self.fail(key, f"expected a date (YYYY-MM-DD) or null, got {_describe(value)}")

    def mapping(self, key: str, value: object, allowed: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a mapping, got {_describe(value)}")
        unknown = [k for k in value if k not in allowed]
        if unknown:
            raise self.fail(key, f"unknown key(s) {unknown}; allowed: {list(allowed)}")
        return value

    def contact(self, key: str, value: object) -> Contact:
        m = self.mapping(key, value, _CONTACT_KEYS)
        if "title" not in m:
            raise self.fail(key, "missing key 'title' (the contact's role)")
        return Contact(title=self.text(f"{key}.title", m["title"]),
                       **{k: self.optional_text(f"{key}.{k}", m.get(k)) for k in _CONTACT_KEYS[1:]})

    def contacts(self, key: str, value: object) -> tuple[Contact, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"expected a list of contacts with at least one item, got {_describe(value)}")
        return tuple(self.contact(f"{key}[{i}]", v) for i, v in enumerate(value))

    def sections(self, key: str, value: object) -> tuple[SectionSpec, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"expected a list of sections with at least one item, got {_describe(value)}")
        out = []
        for i, raw in enumerate(value):
            where = f"{key}[{i}]"
            m = self.mapping(where, raw, _SECTION_KEYS)
            if "title" not in m:
                raise self.fail(where, "missing key 'title'")
            if not m.get("paragraphs") and not m.get("generated"):
                raise self.fail(where, "a section needs 'paragraphs' (written) or 'generated' (paragraph names)")
            items: list[tuple[str, str]] = []
            raw_paragraphs = m.get("paragraphs") or []
            if "paragraphs" in m and (not isinstance(raw_paragraphs, list) or not raw_paragraphs):
                raise self.fail(f"{where}.paragraphs", "expected a list of text with at least one item, got "
                                + _describe(raw_paragraphs))
            for j, item in enumerate(raw_paragraphs):
                here = f"{where}.paragraphs[{j}]"
                if isinstance(item, dict):  # a generated paragraph in its place among the written ones
                    name = self.text(f"{here}.generated", self.mapping(here, item, ("generated",)).get("generated"))
                    items.append(("generated", self._generated_name(here, name)))
                else:
                    items.append(("written", self.text(here, item)))
            generated = self.texts(f"{where}.generated", m["generated"]) if "generated" in m else ()
            items += [("generated", self._generated_name(f"{where}.generated[{j}]", name))
                      for j, name in enumerate(generated)]
            paragraphs = tuple(t for kind, t in items if kind == "written")
            out.append(SectionSpec(self.text(f"{where}.title", m["title"]), paragraphs, generated, tuple(items)))
        return tuple(out)

    def _generated_name(self, key: str, name: str) -> str:
        if name not in self.generated:
            raise self.fail(key, f"unknown generated paragraph {name!r}; known: " + ", ".join(self.generated))
        return name

    def recommendations(self, key: str, value: object) -> tuple[str, ...]:
        items = self.texts(key, value)
        for i, text in enumerate(items):
            if not _ACTION.search(text):
                raise self.fail(f"{key}[{i}]", "a recommendation asks the committee to act with a word in capitals "
                                               f"({', '.join(ACTION_WORDS[:4])} ...), e.g. 'is asked to NOTE and "
                                               "COMMENT ON ...'")
        return items


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    kind = {str: "text", list: "a list", dict: "a mapping", bool: "true/false", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown[:60] + '...' if len(shown) > 60 else shown}"


def parse_details(layers: list[tuple[str, dict | None]], period: Period | str, *,
                  area_name: str = "Kent", generated: tuple[str, ...] | None = None) -> PaperDetails:
    """Validate and merge details mappings (pure).

    ``layers`` is ``[(file name, mapping), ...]``, the fallback first: a key set in a later
    layer replaces the whole value of an earlier one. ``{placeholders}`` in text are filled
    in from the period (see :func:`placeholders`). ``generated`` names the paragraphs the
    paper can generate (default: the Early Help narrative's, :data:`ehps_lib.papers.narrative.PARAGRAPHS`).

    Raises
    ------
    PaperDetailsError
        Naming the file and the key: a top level that is not a mapping, an unknown key, a
        missing key, a value of the wrong type, an unknown placeholder or generated paragraph,
        or a recommendation with no action word in capitals.
    """
    p = Period.parse(period)
    origin: dict[str, str] = {}
    merged: dict[str, object] = {}
    for file, raw in layers:
        if raw is None:
            continue
        if not isinstance(raw, dict):
            raise PaperDetailsError(f"{file}: the top level must be a mapping of keys (from:, committee:, ...), "
                                    f"got {_describe(raw)}")
        for key, value in raw.items():
            if key not in KEYS:
                raise PaperDetailsError(f"{file}: unknown key '{key}'; known keys: {', '.join(KEYS)}")
            merged[key] = value
            origin[key] = file
    names = " or ".join(f for f, _ in layers)
    for key in KEYS:
        if key not in merged and key not in OPTIONAL_KEYS:
            raise PaperDetailsError(f"{names}: missing key '{key}' ({KEYS[key]})")

    known = tuple(narrative.PARAGRAPHS) if generated is None else tuple(generated)

    def checker(key: str) -> _Checker:
        return _Checker(origin.get(key, names), values, known)

    committee = _Checker(origin.get("committee", names), {}).text("committee", merged["committee"], fill=False)
    values = placeholders(p, committee, area_name)
    return PaperDetails(
        from_lines=checker("from").texts("from", merged["from"]),
        committee=committee,
        meeting_date=checker("meeting_date").date("meeting_date", merged.get("meeting_date")),
        subject=checker("subject").text("subject", merged["subject"]),
        classification=checker("classification").text("classification", merged["classification"]),
        past_pathway=checker("past_pathway").text("past_pathway", merged["past_pathway"]),
        future_pathway=checker("future_pathway").text("future_pathway", merged["future_pathway"]),
        electoral_division=checker("electoral_division").text("electoral_division", merged["electoral_division"]),
        summary=checker("summary").texts("summary", merged["summary"]),
        recommendations=checker("recommendations").recommendations("recommendations", merged["recommendations"]),
        sections=checker("sections").sections("sections", merged["sections"]),
        conclusions=checker("conclusions").texts("conclusions", merged["conclusions"], allow_empty=True),
        background_documents=checker("background_documents").texts("background_documents",
                                                                   merged["background_documents"]),
        report_author=checker("report_author").contact("report_author", merged["report_author"]),
        relevant_directors=checker("relevant_directors").contacts("relevant_directors",
                                                                  merged["relevant_directors"]),
        appendix_title=checker("appendix_title").text("appendix_title", merged["appendix_title"]),
        files=dict(origin),
    )


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, except that a date that does not exist (``2017-06-31``) is kept as
    text, so that the checks can name its key, instead of failing inside the parser with
    only "day is out of range for month"."""


def _timestamp_or_text(loader: yaml.SafeLoader, node: yaml.Node):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)


def _read_yaml(path) -> dict | None:
    text = io.read_paper_details_text(path)
    if text is None:
        return None
    try:
        raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PaperDetailsError(f"{path}: not valid YAML: {exc}") from exc
    return {} if raw is None else raw


def details_files(period: Period | str, folder=None) -> list:
    """The details files of a period's paper, fallback first: ``default.yml``, ``<slug>.yml``."""
    p = Period.parse(period)
    base = io.paper_details_dir() if folder is None else folder
    return [base / DEFAULT_DETAILS, base / f"{p.slug}.yml"]


def load_details(period: Period | str, folder=None, *, area_name: str = "Kent",
                 generated: tuple[str, ...] | None = None) -> PaperDetails:
    """Read and validate the details of a period's paper from ``folder`` (default
    ``reports/papers``): ``<period slug>.yml`` falling back to ``default.yml``. ``generated``:
    see :func:`parse_details`.

    Raises
    ------
    PaperDetailsError
        When ``default.yml`` is missing, or a file is not valid YAML or not valid details.
    """
    default, own = details_files(period, folder)
    default_raw = _read_yaml(default)
    if default_raw is None:
        raise PaperDetailsError(f"{default}: file not found. The committee paper needs its details file; "
                                f"see reports/papers/README.md.")
    return parse_details([(str(default), default_raw), (str(own), _read_yaml(own))], period, area_name=area_name,
                         generated=generated)


# -- what a release needs ------------------------------------------------------------------------
#: Words a From line or contact starts with when it gives a role but no person.
ROLE_WORDS = ("cabinet member", "corporate director", "director", "head of", "lead officer", "lead director",
              "relevant director", "report author")


def _names_a_person(line: str) -> bool:
    """Whether a From line names a person before the role ("Peter Oakford, Cabinet Member for ...").

    Examples
    --------
    >>> _names_a_person("Peter Oakford, Cabinet Member for Specialist Children's Services")
    True
    >>> _names_a_person("Cabinet Member for Specialist Children's Services")
    False
    """
    name, sep, _role = line.partition(",")
    return bool(sep) and bool(name.strip()) and not name.strip().lower().startswith(ROLE_WORDS)


def details_gaps(details: PaperDetails, period: Period | str, folder: str = "reports/papers") -> list[str]:
    """What a release of the paper would need from its details (pure): the meeting's date, a
    person's name on every From line, a name, telephone and email for every contact, and no
    illustrative text. Each gap names the key and the file to fill in (``<folder>/<slug>.yml``)."""
    from .commentary import is_illustrative

    own = f"{folder}/{Period.parse(period).slug}.yml"
    gaps = []
    if details.meeting_date is None:
        gaps.append(f"Meeting date missing (the paper prints only the month): set meeting_date in {own}")
    for i, line in enumerate(details.from_lines):
        if not _names_a_person(line):
            gaps.append(f"From line {i + 1} ({line!r}) names a role but no person: write 'Name, role' under "
                        f"'from' in {own}")
    contacts = [("report_author", details.report_author)] + [
        (f"relevant_directors[{i}]", c) for i, c in enumerate(details.relevant_directors)]
    for key, c in contacts:
        missing = [f for f in ("name", "telephone", "email") if not getattr(c, f)]
        if missing:
            gaps.append(f"Contact {c.title!r} has no {', '.join(missing)}: add them under {key} in {own}")
    texts = [("from", x) for x in details.from_lines] + [("summary", x) for x in details.summary] + [
        ("conclusions", x) for x in details.conclusions] + [
        (key, getattr(c, f) or "") for key, c in contacts for f in ("title", "name")]
    texts += [(f"sections ({s.title})", x) for s in details.sections for x in s.paragraphs if isinstance(x, str)]
    for key, text in texts:
        if is_illustrative(text):
            gaps.append(f"Illustrative text under '{key}' ({text[:60]!r}): replace it in {own}")
    return gaps


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def action_html(text: str) -> str:
    """Escape ``text`` and put the action words (NOTE, COMMENT ON, ...) in bold.

    Examples
    --------
    >>> action_html("The Committee is asked to NOTE and COMMENT ON the report.")
    'The Committee is asked to <strong>NOTE</strong> and <strong>COMMENT ON</strong> the report.'
    """
    return _ACTION.sub(r"<strong>\1</strong>", _e(text))


def _action_markdown(text: str) -> str:
    return _ACTION.sub(r"**\1**", text)


@dataclass(frozen=True)
class HeaderField:
    label: str
    html: str
    markdown: str
    text: str


def meeting_text(period: Period, meeting_date: dt.date | None, months_after: int = MEETING_MONTHS_AFTER) -> str:
    """The meeting date as printed: "18 September 2015", or, without one, the month in which the
    committee considers the period ("June 2017": ``months_after`` months after it ends)."""
    if meeting_date is not None:
        return f"{meeting_date.day} {meeting_date:%B %Y}"
    end = period.end
    idx = end.year * 12 + end.month - 1 + months_after
    return f"{dt.date(idx // 12, idx % 12 + 1, 1):%B %Y}"


def details_header_fields(d: PaperDetails, meeting: str) -> list[HeaderField]:
    """The header block's fields in the council's order (:data:`HEADER_LABELS`)."""
    to = f"{d.committee} – {meeting}"
    subject_upper = d.subject.upper()
    fields = [
        HeaderField("From", '<ul class="committee-lines">' + "".join(f"<li>{_e(x)}</li>" for x in d.from_lines)
                    + "</ul>", "  \n".join(d.from_lines), "\n".join(d.from_lines)),
        HeaderField("To", _e(to), to, to),
        # The subject is the paper's title: the page's only h1. It is written in title case and
        # shown in capitals by the style sheet, so screen readers read words, not letters.
        HeaderField("Subject", f'<h1 class="committee-subject">{_e(d.subject)}</h1>', f"**{subject_upper}**",
                    subject_upper),
        HeaderField("Classification", _e(d.classification), d.classification, d.classification),
        HeaderField("Past Pathway of Paper", _e(d.past_pathway), d.past_pathway, d.past_pathway),
        HeaderField("Future Pathway of Paper", _e(d.future_pathway), d.future_pathway, d.future_pathway),
        HeaderField("Electoral Division", _e(d.electoral_division), d.electoral_division, d.electoral_division),
        HeaderField("Summary", "".join(f"<p>{_e(x)}</p>" for x in d.summary), "\n\n".join(d.summary),
                    "\n\n".join(d.summary)),
        HeaderField("Recommendation(s)", "".join(f"<p>{action_html(x)}</p>" for x in d.recommendations),
                    "\n\n".join(_action_markdown(x) for x in d.recommendations), "\n\n".join(d.recommendations)),
    ]
    assert tuple(f.label for f in fields) == HEADER_LABELS
    return fields


def header_block(fields: list[HeaderField], synthetic: bool) -> Block:
    """The header block (From ... Recommendation(s)), after the synthetic-data banner if any."""
    rows = "".join(f'<div class="committee-field committee-field-{_slug(f.label)}"><dt>{_e(f.label)}:</dt>'
                   f"<dd>{f.html}</dd></div>" for f in fields)
    banner = synthetic_banner_html() if synthetic else ""
    body = f'<div class="committee-paper">{banner}<dl class="committee-header">{rows}</dl></div>'
    text = "\n".join(f"{f.label}: {f.text}" for f in fields)
    return Block(html=body, text=text)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


# -- numbered sections ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Paragraph:
    """A numbered paragraph: its number ("2.3"), text, inner HTML and where it came from."""

    number: str
    text: str
    html: str
    markdown: str
    generated: bool = False
    statement: narrative.Statement | None = None


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    paragraphs: tuple[Paragraph, ...] = ()
    extra_html: str = ""
    extra_markdown: str = ""

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"


def statement_html(statement: narrative.Statement) -> str:
    """A generated statement as HTML: escaped, with each figure or label that has no space in it
    ("2,791", "11-15") kept on one line, so a line never breaks inside a number or age band.

    Examples
    --------
    >>> st = narrative.Statement("t", "Of these 7.1% were for 16-17 year olds.", (
    ...     narrative.Claim("7.1%", 9, 13, "derived", "%"), narrative.Claim("16-17", 23, 28, "label", "age_band")))
    >>> statement_html(st)
    'Of these <span class="committee-nowrap">7.1%</span> were for <span class="committee-nowrap">16-17</span> \
year olds.'
    """
    out, at = [], 0
    for c in sorted(statement.claims, key=lambda c: c.start):
        if c.start < at:
            continue
        out.append(_e(statement.text[at:c.start]))
        piece = _e(statement.text[c.start:c.end])
        out.append(f'<span class="committee-nowrap">{piece}</span>' if " " not in c.text else piece)
        at = c.end
    out.append(_e(statement.text[at:]))
    return "".join(out)


def _written(number: str, text: str, *, action: bool = False) -> Paragraph:
    return Paragraph(number, text, action_html(text) if action else _e(text),
                     _action_markdown(text) if action else text)


def details_outline(d: PaperDetails, generate: Callable[[str], narrative.Statement]) -> list[Section]:
    """The paper's numbered sections and paragraphs.

    Sections from the details file come first, each with its written paragraphs and then its
    generated ones (``generate(name)``; an empty generated paragraph is left out, and a section
    left with none is dropped, so numbers never skip); then Conclusions, Recommendation(s),
    Background Documents and Contact details.
    """
    specs: list[tuple[str, list]] = []
    for spec in d.sections:
        items: list = []
        for kind, what in spec.ordered():
            if kind == "written":
                items.append(("written", what))
                continue
            st = generate(what)
            if not st.is_empty:
                items.append(("generated", st))
        if items:
            specs.append((spec.title, items))
    if d.conclusions:  # a paper may have none ([] in its details): the council's dashboards' papers do not
        specs.append(("Conclusions", [("written", t) for t in d.conclusions]))
    specs.append(("Recommendation(s)", [("action", t) for t in d.recommendations]))
    specs.append(("Background Documents", [("written", t) for t in d.background_documents]))
    sections = []
    for n, (title, items) in enumerate(specs, start=1):
        paragraphs = []
        for m, (kind, item) in enumerate(items, start=1):
            number = f"{n}.{m}"
            if kind == "generated":
                paragraphs.append(Paragraph(number, item.text, statement_html(item), item.text, True, item))
            else:
                paragraphs.append(_written(number, item, action=kind == "action"))
        sections.append(Section(n, title, tuple(paragraphs)))
    contact_html, contact_md = _contacts(d)
    sections.append(Section(len(specs) + 1, "Contact details", (), contact_html, contact_md))
    return sections


def _contact_lines(c: Contact) -> list[tuple[str, str]]:
    """(html, text) lines of a contact."""
    lines = [(_e(c.name), c.name)] if c.name else []
    lines.append((_e(c.title), c.title))
    if c.telephone:
        lines.append((f"Telephone: {_e(c.telephone)}", f"Telephone: {c.telephone}"))
    if c.email:
        lines.append((f'Email: <a href="mailto:{_e(c.email)}">{_e(c.email)}</a>', f"Email: {c.email}"))
    return lines


def _contacts(d: PaperDetails) -> tuple[str, str]:
    groups = [("Report Author", d.report_author)] + [("Relevant Director", c) for c in d.relevant_directors]
    html_rows, md = [], []
    for label, c in groups:
        lines = _contact_lines(c)
        html_rows.append(f"<div><dt>{_e(label)}</dt><dd>" + "<br>".join(h for h, _ in lines) + "</dd></div>")
        md.append(f"**{label}:** " + "  \n".join(t for _, t in lines))
    return f'<dl class="committee-contacts">{"".join(html_rows)}</dl>', "\n\n".join(md)


def sections_block(sections: list[Section]) -> Block:
    """The numbered sections as HTML: each an ``<h2>`` "2. Demand for Early Help" and
    paragraphs that carry their number as text ("2.1"); generated paragraphs are marked
    ``data-generated``."""
    parts = []
    for s in sections:
        sid = f"committee-s{s.number}"
        paras = []
        for p in s.paragraphs:
            pid = "committee-p" + p.number.replace(".", "-")
            mark = ' data-generated="narrative"' if p.generated else ""
            paras.append(f'<p class="committee-para" id="{pid}"{mark}><span class="committee-para-number">'
                         f"{p.number}</span> {p.html}</p>")
        parts.append(f'<section class="committee-section" aria-labelledby="{sid}"><h2 id="{sid}">'
                     f'<span class="committee-section-number">{s.number}.</span> {_e(s.title)}</h2>'
                     f"{''.join(paras)}{s.extra_html}</section>")
    text = "\n".join(f"{s.heading}\n" + "\n".join(f"{p.number} {p.text}" for p in s.paragraphs)
                     for s in sections)
    return Block(html=f'<div class="committee-body">{"".join(parts)}</div>', text=text)


__all__ = [
    "PaperDetails", "PaperDetailsError", "Contact", "SectionSpec", "HeaderField", "Paragraph", "Section",
    "parse_details", "load_details", "details_files", "placeholders", "action_html", "meeting_text",
    "details_header_fields", "header_block", "details_outline", "sections_block", "statement_html",
    "HEADER_LABELS", "KEYS", "ACTION_WORDS", "DEFAULT_DETAILS", "MEETING_MONTHS_AFTER",
]
