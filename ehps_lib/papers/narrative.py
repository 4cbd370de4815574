"""Narrative: plain-English sentences from the published results, with a claim for every number.

Each function takes a :class:`~ehps_lib.papers.scorecard_data.ScorecardData` (an area, a period and the
published, suppressed results) and returns a :class:`Statement`: the text, in the council's
voice (seed 001, para 6.2: "Overall 749 notifications were received by EHPS in June 2015. Of
these 18.6% were for 0-4 year olds, ..."), and a list of :class:`Claim` objects, one for
every number printed, saying exactly where it came from. A test can then find every number
in the text and recompute it from the results table on its own (``tests/test_narrative.py``
does).

What a claim can be
-------------------
* ``value``: a field of one published row: :class:`Source` names the indicator, area,
  period, age band and field (``value``, ``numerator``, ``denominator``,
  ``previous_value``, ``year_ago_value``, ``target`` or ``floor``).
* ``derived``: worked out here from published counts, with its ``inputs`` (two sources)
  and its ``operation``: ``share`` (100 × first ÷ second, e.g. the share of notifications
  for an age band) or ``difference`` (first − second, printed without its sign, which the
  words "more"/"fewer" carry).
* ``label``: a number that is part of a name, not a figure: a period ("January to March
  2017"), an age band ("0-4"), the base of a rate ("10,000") or an indicator title that
  holds digits ("... in the last 12 months").
* ``word``: not a number, but a published word the text repeats (a RAG status, a district's
  name), claimed so that it can be checked too.

How numbers are formatted (``Claim.rule``)
------------------------------------------
Exactly as :func:`ehps_lib.papers.blocks.format_value` formats them for the tables:

* ``count``: whole number with thousands separators (``1,234``); used for counts and for
  differences between counts;
* ``%``: one decimal place and a percent sign (``22.5%``); used for percentages and for
  derived shares;
* ``1dp``: one decimal place with thousands separators (``51.2``); used for rates and
  averages.

Suppression and missing values
------------------------------
Nothing is invented. A suppressed figure is never printed and never used: the sentence says
that a figure "is withheld to protect confidentiality" (a secondary-suppressed figure may be
larger than the threshold, so the text never says "fewer than 5"). A derived number is only
printed when every input is published, so a share is never worked out from a total some of
whose parts are withheld. A value that does not exist (before the extract starts, or a
percentage of nothing) is "not available". Plain words handed to the sentence writer may not
hold digits at all, so every digit in a sentence belongs to a claim.

Typical use::

    from ehps_lib.papers import narrative, scorecard_data
    data = scorecard_data.load_scorecard("E10000016", "2016-17 Q4")
    print(narrative.notifications(data).text)
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from ..config import load_settings
from ..geography import DISTRICTS
from ..indicators.catalogue import ALL_AGES, Indicator
from ..periods import Period
from .blocks import format_value
from .scorecard_data import RowLookup, ScorecardData

#: What is said of a figure withheld by suppression.
WITHHELD = "withheld to protect confidentiality"
#: What is said of a figure that does not exist.
NOT_AVAILABLE = "not available"
#: A number as printed in a sentence: digits with thousands separators, decimals and a percent sign.
NUMBER_PATTERN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?%?")
_DIGIT = re.compile(r"\d")

#: Fields of a published row that a ``value`` claim may name (see ehps_lib.indicators.assess).
NUMBER_FIELDS = ("value", "numerator", "denominator", "previous_value", "year_ago_value", "target", "floor")
#: Fields of a published row that a ``word`` claim may name.
WORD_FIELDS = ("rag", "area_name")
#: Formatting rules and the unit :func:`format_value` is given for each.
RULES = {"count": "count", "%": "%", "1dp": "rate"}
#: Derived operations.
OPERATIONS = ("share", "difference")
#: Kinds of label.
LABELS = ("period", "period_end", "age_band", "per", "population", "title")


class NarrativeError(ValueError):
    """A sentence could not be written as asked (a programming error, not a data problem)."""


# -- what a sentence is made of ----------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """One field of one published row: the key of the results table and the column."""

    indicator_id: str
    area_code: str
    period: str
    age_band: str = ALL_AGES
    field: str = "value"


@dataclass(frozen=True)
class Claim:
    """A number (or published word) in a sentence and where it came from.

    ``text`` is exactly ``Statement.text[start:end]``. ``kind`` is ``value``, ``derived``,
    ``label`` or ``word`` (see the module docstring); ``rule`` is how a number was formatted
    (``count``, ``%`` or ``1dp``), or for a label what it names (``period``, ``period_end``,
    ``age_band``, ``per``, ``title``) and ``ref`` the period label, age band or indicator.
    ``value`` is the number before formatting (for information: a check recomputes it).
    """

    text: str
    start: int
    end: int
    kind: str
    rule: str
    value: float | str | None = None
    source: Source | None = None
    inputs: tuple[Source, ...] = ()
    operation: str | None = None
    ref: str | None = None

    def shifted(self, offset: int) -> Claim:
        return replace(self, start=self.start + offset, end=self.end + offset)


@dataclass(frozen=True)
class Statement:
    """Sentences about one topic and the claims behind their numbers."""

    topic: str
    text: str
    claims: tuple[Claim, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()

    def numbers(self) -> list[str]:
        """Every number in the text, as printed (for reading; checks use the claims)."""
        return NUMBER_PATTERN.findall(self.text)

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.text)}</p>"


def join(statements: list[Statement], topic: str | None = None) -> Statement:
    """Statements run together into one paragraph (empty ones are left out), claims kept."""
    kept = [s for s in statements if not s.is_empty]
    text, claims = "", []
    for s in kept:
        offset = len(text) + (1 if text else 0)
        text = f"{text} {s.text}" if text else s.text
        claims += [c.shifted(offset) for c in s.claims]
    return Statement(topic or "+".join(s.topic for s in kept), text, tuple(claims))


# -- reading the published results ---------------------------------------------------------------
@dataclass(frozen=True)
class Got:
    """A field read from the results: its value and whether it could be printed.

    ``status`` is ``ok``, ``suppressed`` (withheld) or ``missing`` (not in the results, or
    no value, e.g. before the extract starts).
    """

    source: Source
    value: float | str | None
    status: str

    @property
    def ok(self) -> bool:
        return self.status == "ok"


#: Row indexes of results tables, by the table's id; an entry goes when its table does.
_INDEXES: dict[int, tuple[weakref.ref, RowLookup]] = {}


def _rows(data: ScorecardData) -> RowLookup:
    """The results' rows by (indicator, area, period, age band), indexed once per table
    (results tables are not changed in place once loaded)."""
    r = data.results
    hit = _INDEXES.get(id(r))
    if hit is not None and hit[0]() is r:
        return hit[1]
    index = RowLookup(r, ["indicator_id", "area_code", "period", "age_band"])
    key = id(r)
    _INDEXES[key] = (weakref.ref(r, lambda _ref, key=key: _INDEXES.pop(key, None)), index)
    return index


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(value)
    except TypeError:
        return False


def _row_suppressed(row: dict | None) -> bool:
    return bool(row is not None and not _missing(row.get("suppressed")) and row.get("suppressed"))


def read(data: ScorecardData, source: Source) -> Got:
    """Read one field of one published row.

    A suppressed row's ``value``, ``numerator`` and ``denominator`` are ``suppressed``; a
    missing ``previous_value`` or ``year_ago_value`` is ``suppressed`` when the row of that
    earlier period is.
    """
    rows = _rows(data)
    row = rows.get((source.indicator_id, source.area_code, source.period, source.age_band))
    if row is None:
        return Got(source, None, "missing")
    if source.field in ("value", "numerator", "denominator") and _row_suppressed(row):
        return Got(source, None, "suppressed")
    value = row.get(source.field)
    if source.field in WORD_FIELDS:
        return Got(source, value, "missing" if _missing(value) or value == "" else "ok")
    if _missing(value):
        if source.field in ("previous_value", "year_ago_value"):
            other = row.get("previous_period" if source.field == "previous_value" else "year_ago_period")
            earlier = rows.get((source.indicator_id, source.area_code, other, source.age_band))
            if _row_suppressed(earlier):
                return Got(source, None, "suppressed")
        return Got(source, None, "missing")
    return Got(source, float(value), "ok")


def _why(got: Got) -> str:
    return WITHHELD if got.status == "suppressed" else NOT_AVAILABLE


def format_number(value: float, rule: str) -> str:
    """Format a number by a claim rule (``count``, ``%``, ``1dp``), as :func:`format_value` does.

    Examples
    --------
    >>> format_number(2791.0, "count"), format_number(18.52, "%"), format_number(112.35, "1dp")
    ('2,791', '18.5%', '112.3')
    """
    if rule not in RULES:
        raise NarrativeError(f"unknown formatting rule {rule!r}; use one of {list(RULES)}")
    return format_value(value, RULES[rule])


def rule_for(ind: Indicator) -> str:
    """The formatting rule of an indicator's values: by its unit."""
    if ind.unit == "count":
        return "count"
    if ind.unit == "%":
        return "%"
    return "1dp"


def period_words(p: Period) -> str:
    """A period as it reads in a sentence: "June 2015", "January to March 2017".

    Examples
    --------
    >>> period_words(Period.parse("2016-17 Q4")), period_words(Period.parse("2015-06"))
    ('January to March 2017', 'June 2015')
    """
    if p.kind == "month":
        return f"{p.start:%B %Y}"
    return f"{p.start:%B} to {p.end:%B %Y}" if p.start.year == p.end.year else f"{p.start:%B %Y} to {p.end:%B %Y}"


def age_band_words(band: str) -> str:
    """An age band by its ages, from the settings: ``"16+"`` is ``"16-17"``."""
    for b in load_settings().age_bands:
        if b.id == band:
            return f"{b.min_age}-{b.max_age}"
    raise NarrativeError(f"unknown age band {band!r}")


def _band_ids() -> list[str]:
    return [b.id for b in load_settings().age_bands]


# -- the sentence writer -------------------------------------------------------------------------
class _Writer:
    """Builds a statement piece by piece; every digit must arrive through a claim."""

    def __init__(self, data: ScorecardData, topic: str):
        self.data = data
        self.topic = topic
        self._parts: list[str] = []
        self._claims: list[Claim] = []
        self._length = 0

    # reading
    def get(self, indicator_id: str, field: str = "value", *, period: Period | None = None,
            age_band: str = ALL_AGES, area_code: str | None = None) -> Got:
        p = period or self.data.period
        return read(self.data, Source(indicator_id, area_code or self.data.area_code, p.label, age_band, field))

    def ind(self, indicator_id: str) -> Indicator:
        try:
            return self.data.catalogue[indicator_id]
        except KeyError:
            raise NarrativeError(f"indicator {indicator_id!r} is not in the catalogue") from None

    # writing
    def say(self, words: str) -> _Writer:
        if _DIGIT.search(words):
            raise NarrativeError(f"plain words may not hold digits (claim them): {words!r}")
        self._append(words)
        return self

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _claim(self, text: str, **kw) -> _Writer:
        start = self._length
        self._append(text)
        self._claims.append(Claim(text=text, start=start, end=self._length, **kw))
        return self

    def number(self, got: Got, rule: str | None = None) -> _Writer:
        """A published value (it must be ``ok``)."""
        if not got.ok:
            raise NarrativeError(f"cannot print a figure that is {got.status}: {got.source}")
        rule = rule or rule_for(self.ind(got.source.indicator_id))
        return self._claim(format_number(got.value, rule), kind="value", rule=rule, value=got.value,
                           source=got.source)

    def share(self, part: Got, whole: Got) -> _Writer:
        """``part`` as a percentage of ``whole``, both published counts."""
        if not (part.ok and whole.ok and whole.value):
            raise NarrativeError("a share needs two published counts and a total above zero")
        value = part.value / whole.value * 100
        return self._claim(format_number(value, "%"), kind="derived", rule="%", value=value,
                           inputs=(part.source, whole.source), operation="share")

    def difference(self, first: Got, second: Got) -> _Writer:
        """``first`` − ``second`` of two published counts, printed without its sign."""
        if not (first.ok and second.ok):
            raise NarrativeError("a difference needs two published counts")
        value = first.value - second.value
        return self._claim(format_number(abs(value), "count"), kind="derived", rule="count", value=value,
                           inputs=(first.source, second.source), operation="difference")

    def period(self, p: Period) -> _Writer:
        return self._claim(period_words(p), kind="label", rule="period", ref=p.label)

    def period_end(self, p: Period) -> _Writer:
        return self._claim(f"{p.end:%B %Y}", kind="label", rule="period_end", ref=p.label)

    def age(self, band: str) -> _Writer:
        return self._claim(age_band_words(band), kind="label", rule="age_band", ref=band)

    def per(self, ind: Indicator) -> _Writer:
        """"per 10,000 children" for a rate's base."""
        self.say("per ")
        self._claim(f"{ind.per:,}", kind="label", rule="per", ref=ind.id)
        population = ind.unit.split(f"{ind.per:,}", 1)[-1].strip()
        if population in ("aged 0-17", ""):
            return self.say(" children")
        return self.say(" ")._claim(population, kind="label", rule="population", ref=ind.id)

    def title(self, ind: Indicator, *, sentence_start: bool = False) -> _Writer:
        """An indicator's catalogue title (claimed when it holds digits)."""
        text = ind.title if sentence_start or ind.title.startswith("Early Help") else ind.title[0].lower() + \
            ind.title[1:]
        if _DIGIT.search(text):
            return self._claim(text, kind="label", rule="title", ref=ind.id)
        return self.say(text)

    def word(self, got: Got) -> _Writer:
        if not got.ok:
            raise NarrativeError(f"cannot print a word that is {got.status}: {got.source}")
        return self._claim(str(got.value), kind="word", rule=got.source.field, value=str(got.value),
                           source=got.source)

    def list_join(self, i: int, n: int) -> _Writer:
        """The separator before item ``i`` of ``n``: nothing, ", " or " and "."""
        if i == 0:
            return self
        return self.say(" and " if i == n - 1 else ", ")

    def statement(self) -> Statement:
        return Statement(self.topic, "".join(self._parts), tuple(self._claims))


def _compare_count(w: _Writer, current: Got, earlier: Got, p: Period, verb: str) -> None:
    """"54 more than the 2,737 received in October to December 2016" (or fewer, or the same as)."""
    diff = current.value - earlier.value
    if diff == 0:
        w.say("the same as the ")
    else:
        w.difference(current, earlier).say(" more than the " if diff > 0 else " fewer than the ")
    w.number(earlier, "count").say(f" {verb} in " if verb else " in ").period(p)


def _comparisons(w: _Writer, indicator_id: str, verb: str, *, age_band: str = ALL_AGES) -> None:
    """" This is 54 more than ... and 224 more than ...", with what could not be compared."""
    p = w.data.period
    current = w.get(indicator_id, age_band=age_band)
    pairs = [(w.get(indicator_id, "previous_value", age_band=age_band), p.previous()),
             (w.get(indicator_id, "year_ago_value", age_band=age_band), p.year_ago())]
    shown = [(g, q) for g, q in pairs if g.ok]
    if shown:
        w.say(" This is ")
        for i, (g, q) in enumerate(shown):
            w.list_join(i, len(shown))
            _compare_count(w, current, g, q, verb)
        w.say(".")
    _not_compared(w, [(g, q) for g, q in pairs if not g.ok])


def _not_compared(w: _Writer, pairs: list[tuple[Got, Period]]) -> None:
    for why in (WITHHELD, NOT_AVAILABLE):
        those = [q for g, q in pairs if _why(g) == why]
        if those:
            w.say(" The figure" + ("s" if len(those) > 1 else "") + " for ")
            for i, q in enumerate(those):
                w.list_join(i, len(those))
                w.period(q)
            w.say((" are " if len(those) > 1 else " is ") + f"{why}.")


# -- the statements --------------------------------------------------------------------------
def notifications(data: ScorecardData) -> Statement:
    """Notifications received in the period and their split by age (seed 001, para 6.2).

    The shares by age are of all notifications, worked out from the published counts; they
    are left out when any count is withheld or missing.
    """
    w = _Writer(data, "notifications")
    p = data.period
    total = w.get("ehn_received")
    if not total.ok:
        w.say("The number of notifications received by EHPS in ").period(p).say(f" is {_why(total)}.")
        return w.statement()
    w.say("Overall ").number(total).say(" notifications were received by EHPS in ").period(p).say(".")
    bands = [(b, w.get("ehn_received", age_band=b)) for b in _band_ids()]
    if total.value > 0 and all(g.ok for _, g in bands):
        w.say(" Of these ")
        for i, (band, got) in enumerate(bands):
            w.list_join(i, len(bands))
            w.share(got, total).say(" were for " if i == 0 else " for ").age(band).say(" year olds")
        w.say(".")
        if sum(g.value for _, g in bands) < total.value:
            w.say(" The rest were for children whose age was not recorded or was outside these age bands.")
    elif total.value > 0:
        why = WITHHELD if any(g.status == "suppressed" for _, g in bands) else NOT_AVAILABLE
        reason = "a figure in it is withheld to protect confidentiality" if why == WITHHELD else \
            "a figure in it is not available"
        w.say(f" The split by age is not given, because {reason}.")
    return w.statement()


def notifications_change(data: ScorecardData) -> Statement:
    """Notifications against the previous period and the same period a year earlier."""
    w = _Writer(data, "notifications_change")
    if not w.get("ehn_received").ok:
        return w.statement()
    _comparisons(w, "ehn_received", "received")
    return _lstrip(w.statement())


def _lstrip(s: Statement) -> Statement:
    cut = len(s.text) - len(s.text.lstrip())
    return Statement(s.topic, s.text[cut:], tuple(c.shifted(-cut) for c in s.claims))


def notification_rate(data: ScorecardData) -> Statement:
    """The area's rate of notifications per 10,000 children, against earlier periods."""
    w = _Writer(data, "notification_rate")
    ind = w.ind("ehn_rate")
    p = data.period
    rate = w.get("ehn_rate")
    if not rate.ok:
        w.say(f"The rate of notifications in {data.area_name} for ").period(p).say(f" is {_why(rate)}.")
        return w.statement()
    w.say(f"The rate of notifications in {data.area_name} was ").number(rate).say(" ").per(ind)
    w.say(" in ").period(p)
    pairs = [(w.get("ehn_rate", "previous_value"), p.previous()), (w.get("ehn_rate", "year_ago_value"), p.year_ago())]
    shown = [(g, q) for g, q in pairs if g.ok]
    if shown:
        w.say(", compared with ")
        for i, (g, q) in enumerate(shown):
            w.list_join(i, len(shown))
            w.number(g).say(" in ").period(q)
    w.say(".")
    _not_compared(w, [(g, q) for g, q in pairs if not g.ok])
    return w.statement()


def district_range(data: ScorecardData, indicator_id: str = "ehn_rate") -> Statement:
    """The lowest and highest district in the period ("Rates ranged from 51.2 per 10,000
    children in Sevenoaks to 112.4 in Thanet."), naming districts whose figure is withheld.

    Districts with no row at all in the results are not part of the comparison. Ties are
    named together. Values are compared as printed.
    """
    w = _Writer(data, f"district_range:{indicator_id}")
    ind = w.ind(indicator_id)
    rule = rule_for(ind)
    p = data.period
    shown, withheld, unavailable = [], [], []
    for code in DISTRICTS:
        got = w.get(indicator_id, area_code=code)
        name = w.get(indicator_id, "area_name", area_code=code)
        if not name.ok:
            continue
        if got.ok:
            shown.append((got, name))
        elif got.status == "suppressed":
            withheld.append(name)
        else:
            unavailable.append(name)
    if len(shown) >= 2:
        def printed(g: Got) -> float:
            return float(format_number(g.value, rule).replace(",", "").rstrip("%"))

        low = min(printed(g) for g, _ in shown)
        high = max(printed(g) for g, _ in shown)
        lows = [(g, n) for g, n in shown if printed(g) == low]
        highs = [(g, n) for g, n in shown if printed(g) == high]
        subject = "rates" if ind.is_rate else None
        w.say("Across the districts, ")
        if subject:
            w.say(subject)
        else:
            w.title(ind)
        w.say(" in ").period(p)
        if low == high:
            w.say(" were the same in every district with a figure, at ").number(lows[0][0])
            if ind.is_rate:
                w.say(" ").per(ind)
        else:
            w.say(" ranged from ").number(lows[0][0])
            if ind.is_rate:
                w.say(" ").per(ind)
            w.say(" in ")
            _names(w, lows)
            w.say(" to ").number(highs[0][0]).say(" in ")
            _names(w, highs)
        w.say(".")
    elif shown or withheld or unavailable:
        w.say("A comparison between districts is not available for ").period(p).say(".")
    for why, names in ((WITHHELD, withheld), (NOT_AVAILABLE, unavailable)):
        if names:
            w.say(" The figure" + ("s" if len(names) > 1 else "") + " for ")
            _names(w, [(None, n) for n in names])
            w.say((" are " if len(names) > 1 else " is ") + f"{why}.")
    return _lstrip(w.statement())


def _names(w: _Writer, items: list[tuple[Got | None, Got]]) -> None:
    for i, (_, name) in enumerate(items):
        w.list_join(i, len(items))
        w.word(name)


def cases_open_closed(data: ScorecardData) -> Statement:
    """Cases open at the end of the period and closed in it, against the previous period."""
    w = _Writer(data, "cases_open_closed")
    p, prev = data.period, data.period.previous()
    open_now = w.get("cases_open")
    if open_now.ok:
        w.say("At the end of ").period_end(p).say(", ").number(open_now).say(" cases were open to Early Help Units")
        before = w.get("cases_open", "previous_value")
        if before.ok:
            w.say(", ")
            diff = open_now.value - before.value
            if diff == 0:
                w.say("the same as the ")
            else:
                w.difference(open_now, before).say(" more than the " if diff > 0 else " fewer than the ")
            w.number(before, "count").say(" open at the end of ").period_end(prev)
        w.say(".")
    else:
        w.say("The number of cases open to Early Help Units at the end of ").period_end(p)
        w.say(f" is {_why(open_now)}.")
    closed = w.get("cases_closed")
    if closed.ok:
        w.say(" In ").period(p).say(", ").number(closed).say(" cases were closed")
        before = w.get("cases_closed", "previous_value")
        if before.ok:
            w.say(", ")
            _compare_count(w, closed, before, prev, "closed")
        w.say(".")
    else:
        w.say(" The number of cases closed in ").period(p).say(f" is {_why(closed)}.")
    return w.statement()


def _rating(w: _Writer, indicator_id: str, *, lead: str = " It ") -> None:
    """" It misses the target of 83.0% but meets the minimum standard of 66.0%, and is rated Amber.\""""
    target, floor, rag = (w.get(indicator_id, f) for f in ("target", "floor", "rag"))
    if not (target.ok and rag.ok):
        return
    w.say(lead)
    if rag.value == "Green":
        w.say("meets the target of ").number(target)
    elif rag.value == "Amber" and floor.ok:
        w.say("misses the target of ").number(target).say(" but meets the minimum standard of ").number(floor)
    elif rag.value == "Red" and floor.ok:
        w.say("misses both the target of ").number(target).say(" and the minimum standard of ").number(floor)
    else:
        w.say("is measured against the target of ").number(target)
    w.say(", and is rated ").word(rag).say(".")


def positive_outcomes(data: ScorecardData) -> Statement:
    """The percentage of cases closed with a positive outcome (seed 001, paras 6.3 and 7.3),
    with the numbers behind it, earlier periods, and its target and RAG rating."""
    w = _Writer(data, "positive_outcomes")
    ind_id = "closed_positive_pct"
    p = data.period
    now = w.get(ind_id)
    if not now.ok:
        w.say("The percentage of cases closed with a positive outcome in ").period(p).say(f" is {_why(now)}.")
        return w.statement()
    before = w.get(ind_id, "previous_value")
    subject = "The percentage of cases closed with a positive outcome"
    if before.ok:
        shown_now, shown_before = format_number(now.value, "%"), format_number(before.value, "%")
        if shown_now == shown_before:
            w.say(f"{subject} was unchanged at ").number(now).say(" in ").period(p)
            w.say(", as in ").period(p.previous())
        else:
            w.say(f"{subject} {'rose' if now.value > before.value else 'fell'} from ").number(before)
            w.say(" in ").period(p.previous()).say(" to ").number(now).say(" in ").period(p)
    else:
        w.say(f"{subject} was ").number(now).say(" in ").period(p)
    num, den = w.get(ind_id, "numerator"), w.get(ind_id, "denominator")
    if num.ok and den.ok:
        w.say(": ").number(num, "count").say(" of the ").number(den, "count")
        w.say(" cases closed had a positive outcome")
    w.say(".")
    year_ago = w.get(ind_id, "year_ago_value")
    if year_ago.ok:
        w.say(" A year earlier, in ").period(p.year_ago()).say(", it was ").number(year_ago).say(".")
    missing = ([(before, p.previous())] if not before.ok else []) + \
        ([(year_ago, p.year_ago())] if not year_ago.ok else [])
    _not_compared(w, missing)
    _rating(w, ind_id)
    return w.statement()


def step_downs(data: ScorecardData) -> Statement:
    """Cases stepped down from SCS in the period, against the previous period, and by age
    (seed 001, para 6.2); age bands whose figure is withheld are named, not counted."""
    w = _Writer(data, "step_downs")
    p = data.period
    total = w.get("step_downs")
    if not total.ok:
        w.say("The number of cases stepped down to EHPS from SCS in ").period(p).say(f" is {_why(total)}.")
        return w.statement()
    w.say("In ").period(p).say(", ").number(total).say(" cases were stepped down to EHPS from SCS")
    before = w.get("step_downs", "previous_value")
    if before.ok:
        w.say(", ")
        _compare_count(w, total, before, p.previous(), "")
    w.say(".")
    bands = [(b, w.get("step_downs", age_band=b)) for b in _band_ids()]
    shown = [(b, g) for b, g in bands if g.ok]
    hidden = [(b, g) for b, g in bands if not g.ok]
    if shown and total.value > 0:
        w.say(" Of these, ")
        for i, (band, got) in enumerate(shown):
            w.list_join(i, len(shown))
            w.number(got).say(" were" if i == 0 else "").say(" in the ").age(band).say(" age range")
        w.say(".")
    for why in (WITHHELD, NOT_AVAILABLE):
        those = [b for b, g in hidden if _why(g) == why]
        if those and total.value > 0:
            w.say(" The figure" + ("s" if len(those) > 1 else "") + " for the ")
            for i, band in enumerate(those):
                w.list_join(i, len(those))
                w.age(band)
            w.say(" age range" + ("s" if len(those) > 1 else "") + (" are " if len(those) > 1 else " is ") + f"{why}.")
    return w.statement()


def step_ups(data: ScorecardData) -> Statement:
    """Cases stepped up to SCS in the period, as a number and a share of closures."""
    w = _Writer(data, "step_ups")
    p = data.period
    count, pct, closed = w.get("step_ups"), w.get("step_ups_pct"), w.get("cases_closed")
    if not count.ok:
        w.say("The number of cases stepped up to SCS in ").period(p).say(f" is {_why(count)}.")
        return w.statement()
    w.say("In ").period(p).say(", ").number(count).say(" cases were stepped up to SCS")
    if pct.ok and closed.ok and count.value > 0:
        w.say(", ").number(pct).say(" of the ").number(closed).say(" cases closed")
    before, before_pct = w.get("step_ups", "previous_value"), w.get("step_ups_pct", "previous_value")
    if before.ok:
        w.say(", compared with ").number(before, "count")
        if before_pct.ok:
            w.say(" (").number(before_pct).say(")")
        w.say(" in ").period(p.previous())
    w.say(".")
    if not before.ok:
        _not_compared(w, [(before, p.previous())])
    return w.statement()


def targets(data: ScorecardData) -> Statement:
    """The RAG position: every indicator with a target for the area, its value, target,
    minimum standard and rating, in catalogue order."""
    w = _Writer(data, "targets")
    rated = []
    for ind in data.indicators:
        if w.get(ind.id, "target").ok:
            rated.append(ind)
    if not rated:
        w.say(f"No scorecard indicator has a target for {data.area_name}.")
        return w.statement()
    w.say("Indicators with a target are rated Green when the target is met, Amber when it is missed but the "
          "minimum standard is met, and Red when the minimum standard is missed.")
    for ind in rated:
        value, target, floor, rag = (w.get(ind.id, f) for f in ("value", "target", "floor", "rag"))
        w.say(" ")
        w.title(ind, sentence_start=True)
        if value.ok:
            if rag.ok:
                w.say(" is rated ").word(rag).say(": ")
            else:
                w.say(" is not rated: ")
            w.number(value).say(" against a target of ").number(target)
            if floor.ok:
                w.say(" and a minimum standard of ").number(floor)
            w.say(".")
        else:
            w.say(f" is not rated, because its figure is {_why(value)}.")
    return w.statement()


# -- the paper's paragraphs -------------------------------------------------------------------
#: Generated paragraphs by name (the committee paper's details file names them): each is the
#: statements run together, in order.
PARAGRAPHS: dict[str, tuple[Callable[[ScorecardData], Statement], ...]] = {
    "targets": (targets,),
    "notifications": (notifications, notifications_change),
    "notification_rates": (notification_rate, district_range),
    "cases": (cases_open_closed,),
    "positive_outcomes": (positive_outcomes,),
    "step_downs": (step_downs,),
    "step_ups": (step_ups,),
}


def paragraph(data: ScorecardData, name: str) -> Statement:
    """One generated paragraph by name (see :data:`PARAGRAPHS`)."""
    if name not in PARAGRAPHS:
        raise NarrativeError(f"unknown paragraph {name!r}; known: {', '.join(PARAGRAPHS)}")
    return join([f(data) for f in PARAGRAPHS[name]], topic=name)


def statements(data: ScorecardData) -> list[Statement]:
    """Every statement this module writes for the area and period (for checks and reading)."""
    out = []
    seen = set()
    for funcs in PARAGRAPHS.values():
        for f in funcs:
            if f not in seen:
                seen.add(f)
                out.append(f(data))
    return out


__all__ = [
    "Source", "Claim", "Statement", "Got", "NarrativeError", "read", "join", "format_number", "period_words",
    "age_band_words", "rule_for", "notifications", "notifications_change", "notification_rate", "district_range",
    "cases_open_closed", "positive_outcomes", "step_downs", "step_ups", "targets", "PARAGRAPHS", "paragraph",
    "statements", "NUMBER_PATTERN", "WITHHELD", "NOT_AVAILABLE"
]
