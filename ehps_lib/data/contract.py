"""Data contracts (pandera) for the case-system extract and the tables built from it.

The extract has three tables. Each column is described once, in :data:`TABLES`; from that
one description come

* the pandera schema that validates the *typed* table (:func:`table_schema`),
* the parser that turns the extract's text into those types (``ehps_lib.data.ingest``), and
* the data dictionary in ``data/README.md`` (:func:`data_dictionary_markdown`).

Codes follow the council's systems (Liberi and the LiquidLogic Early Help Module) as the
seeds describe them; see ``seeds-spec.md`` section 6.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from ..geography import DISTRICTS

if TYPE_CHECKING:  # pandera takes about a second to import: only validation needs it
    import pandera.pandas as pa

SEX_CODES: dict[str, str] = {
    "F": "Female",
    "M": "Male",
    "X": "Indeterminate",
    "U": "Not known or not recorded",
}

SOURCE_ORG_TYPES: dict[str, str] = {
    "SCHOOL": "School, academy or college",
    "KCC": "KCC service, including children's and adults' social care",
    "HEALTH": "Health: community health, health visiting, CAMHS, GP or acute trust",
    "POLICE": "Police",
    "VOLUNTARY": "Voluntary and community sector",
    "FAMILY": "Family, self or community",
    "OTHER_LA": "Another local authority",
    "OTHER": "Other or not recorded",
}

PRIMARY_REASONS: dict[str, str] = {
    "BEHAVIOUR": "Significant behavioural difficulties",
    "HOUSEHOLD_MH": "Household member with emotional and/or mental health needs",
    "NON_ATTENDANCE": "Significant non-attendance at school",
    "CHILD_EMOTIONAL": "Child's emotional health and wellbeing",
    "DOMESTIC_ABUSE": "Domestic abuse in the household",
    "PARENTING": "Parenting support needed",
    "SUBSTANCE": "Substance misuse (child or household)",
    "YOUNG_CARER": "Young carer",
    "HOUSING_FINANCE": "Housing or financial difficulties",
    "OTHER": "Other",
}

TRIAGE_OUTCOMES: dict[str, str] = {
    "EH_UNIT": "Allocated to an Early Help Unit",
    "OPEN_ACCESS": "Open access (Children's Centre or Youth Hub)",
    "ESCALATED_SCS": "Escalated to Specialist Children's Services",
    "NFA": "No further action",
}

CLOSURE_REASONS: dict[str, str] = {
    "POSITIVE": "Closed with a positive outcome (outcomes achieved)",
    "STEP_UP_SCS": "Stepped up to Specialist Children's Services",
    "DISENGAGED": "Family disengaged or withdrew consent",
    "MOVED_AWAY": "Moved out of the area",
    "OTHER": "Other",
}

#: Youth justice outcomes: pre-court (police) and court disposals, as the Youth Offending Service records them.
YJ_OUTCOME_TYPES: dict[str, str] = {
    "YOUTH_CAUTION": "Youth caution (pre-court)",
    "YOUTH_CONDITIONAL_CAUTION": "Youth conditional caution (pre-court)",
    "DISCHARGE_OR_FINE": "Court: discharge or fine (first-tier)",
    "REFERRAL_ORDER": "Court: referral order",
    "YOUTH_REHABILITATION_ORDER": "Court: youth rehabilitation order",
    "CUSTODY": "Court: custodial sentence (detention and training order or longer)",
}
#: The outcome types given by a court (the denominator of custody as a share of court disposals).
COURT_OUTCOMES: tuple[str, ...] = ("DISCHARGE_OR_FINE", "REFERRAL_ORDER", "YOUTH_REHABILITATION_ORDER", "CUSTODY")

EXCLUSION_TYPES: dict[str, str] = {
    "FIXED_TERM": "Fixed-term (suspension)",
    "PERMANENT": "Permanent",
}

SCHOOL_PHASES: dict[str, str] = {
    "PRIMARY": "State-funded primary school",
    "SECONDARY": "State-funded secondary school",
    "SPECIAL": "Special school",
    "ALTERNATIVE": "Pupil referral unit or alternative provision",
}

#: The population groups the extract can flag on a child's record (seed 004:1817-1834), by the
#: ``children`` column that holds the flag. Care leavers are named there too, but the extract
#: holds no care-leaver flag.
POPULATION_GROUPS: dict[str, str] = {
    "in_care": "Children in care",
    "disabled": "Disabled children",
    "young_carer": "Young carers",
    "uasc": "Unaccompanied asylum-seeking children",
    "grt": "Gypsy, Roma and Traveller families",
}

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{2,39}$"
LSOA11_PATTERN = r"^E01\d{6}$"
UNIT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\- ]{1,59}$"

#: Earliest date any event in the extract may carry.
EARLIEST_DATE = pd.Timestamp("2000-01-01")
#: Earliest birth month: Early Help works with young people up to 25, and extracts reach
#: back to 2014, so births from 1990 onwards are plausible.
EARLIEST_BIRTH_MONTH = pd.Timestamp("1990-01-01")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the extract.

    ``kind`` is one of ``id``, ``text``, ``code``, ``date``, ``month``, ``bool``.
    ``required``: the column must be present in the file (otherwise the whole table is
    rejected). ``nullable``: a row may leave it blank. ``default`` fills an optional column
    that is absent from the file (and is reported as a warning).
    """

    name: str
    kind: str
    description: str
    required: bool = True
    nullable: bool = False
    codes: dict[str, str] | None = None
    pattern: str | None = None
    unique: bool = False
    references: str | None = None  # "table.column"
    default: object = None
    example: str = ""
    #: An optional column read only when a file has it: absent, it is left out of the table (not
    #: filled, no warning), and the indicators that need it have nothing to count. Used for columns
    #: added to the contract after extracts without them existed.
    if_present: bool = False


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    key: str
    columns: tuple[ColumnSpec, ...]
    rules: tuple[str, ...] = field(default_factory=tuple)
    #: A required table must be in every extract; without an optional one, the indicators that
    #: read it are simply empty (ingest warns).
    required: bool = True

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


CHILDREN = TableSpec(
    name="children",
    description="One row per child known to Early Help. Identifiers are pseudonyms, never case numbers.",
    key="child_id",
    columns=(
        ColumnSpec("child_id", "id", "Pseudonymised child identifier, stable across extracts.",
                   unique=True, pattern=ID_PATTERN, example="SYN0001234"),
        ColumnSpec("birth_month", "month", "Month of birth (YYYY-MM). Day of birth is never extracted.",
                   example="2009-05"),
        ColumnSpec("sex", "code", "Sex as recorded.", codes=SEX_CODES, required=False, default="U",
                   example="F"),
        ColumnSpec("lsoa11_code", "text", "Home address Lower layer Super Output Area (2011 boundaries); "
                   "must be one of Kent's 902 LSOAs.", pattern=LSOA11_PATTERN, example="E01024040"),
        ColumnSpec("in_care", "bool", "A child in care (looked after by the council) as recorded on the child's "
                   "record (Y/N; blank if not recorded).", required=False, nullable=True, example="N", if_present=True),
        ColumnSpec("disabled", "bool", "A disabled child as recorded on the child's record (Y/N; blank if not "
                   "recorded).", required=False, nullable=True, example="N", if_present=True),
        ColumnSpec("young_carer", "bool", "A young carer as recorded on the child's record (Y/N; blank if not "
                   "recorded).", required=False, nullable=True, example="N", if_present=True),
        ColumnSpec("uasc", "bool", "An unaccompanied asylum-seeking child (Y/N; blank if not recorded).",
                   required=False, nullable=True, example="N", if_present=True),
        ColumnSpec("grt", "bool", "From a Gypsy, Roma or Traveller family (Y/N; blank if not recorded).",
                   required=False, nullable=True, example="N", if_present=True),
        ColumnSpec("cc_registered_date", "date", "Date the child was first registered with a Children's Centre "
                   "(e-Start); blank if never registered or not known.", required=False, nullable=True,
                   example="2013-02-11", if_present=True),
    ),
    rules=(
        "`child_id` is unique. Identifiers (here and in every table) are compared ignoring case and "
        "surrounding spaces, and kept in upper case: `syn0001234` and `SYN0001234` are one child.",
        "`birth_month` is not in the future (after the extract date).",
        "`lsoa11_code` is a Kent LSOA 2011 code (reference data).",
        "The population-group flags and `cc_registered_date` are read when the file has them; without "
        "them, the population-group breakdowns and the Children's Centre measure are empty.",
    ),
)

NOTIFICATIONS = TableSpec(
    name="notifications",
    description="One row per Early Help Notification (EHN) received by Early Help Triage.",
    key="notification_id",
    columns=(
        ColumnSpec("notification_id", "id", "Notification identifier.", unique=True, pattern=ID_PATTERN,
                   example="EHN00012345"),
        ColumnSpec("child_id", "id", "The child the notification is about.", pattern=ID_PATTERN,
                   references="children.child_id", example="SYN0001234"),
        ColumnSpec("date_received", "date", "Date the notification was received (YYYY-MM-DD).",
                   example="2015-06-03"),
        ColumnSpec("source_org_type", "code", "Type of organisation that sent the notification.",
                   codes=SOURCE_ORG_TYPES, example="SCHOOL"),
        ColumnSpec("primary_reason", "code", "Primary reason for the notification.", codes=PRIMARY_REASONS,
                   example="BEHAVIOUR"),
        ColumnSpec("district_code", "code", "District of the child's home address (GSS code).",
                   codes=DISTRICTS, example="E07000106"),
        ColumnSpec("triage_outcome", "code", "Outcome of triage.", codes=TRIAGE_OUTCOMES,
                   example="EH_UNIT"),
    ),
    rules=(
        "`notification_id` is unique.",
        "`child_id` exists in children.",
        "`date_received` is on or after the child's birth month and not after the extract date.",
        "The child's home LSOA lies inside `district_code`.",
    ),
)

CASES = TableSpec(
    name="cases",
    description="One row per Early Help Unit case (a period of casework with one child).",
    key="case_id",
    columns=(
        ColumnSpec("case_id", "id", "Case identifier.", unique=True, pattern=ID_PATTERN, example="EHC00004567"),
        ColumnSpec("child_id", "id", "The child the case is about.", pattern=ID_PATTERN,
                   references="children.child_id", example="SYN0001234"),
        ColumnSpec("notification_id", "id", "The notification that led to the case; blank for cases "
                   "stepped down from SCS or opened before the notification system.", required=False,
                   nullable=True, pattern=ID_PATTERN, references="notifications.notification_id",
                   example="EHN00012345"),
        ColumnSpec("unit_id", "text", "Early Help Unit holding the case.", pattern=UNIT_PATTERN,
                   example="EHU-CAN-02"),
        ColumnSpec("district_code", "code", "District of the unit (GSS code).", codes=DISTRICTS,
                   example="E07000106"),
        ColumnSpec("start_date", "date", "Date the case opened (YYYY-MM-DD).", example="2015-06-10"),
        ColumnSpec("end_date", "date", "Date the case closed; blank while open.", nullable=True,
                   example="2015-10-21"),
        ColumnSpec("closure_reason", "code", "Why the case closed; blank while open.",
                   codes=CLOSURE_REASONS, nullable=True, example="POSITIVE"),
        ColumnSpec("stepped_down_from_scs", "bool", "Whether the case was stepped down from Specialist "
                   "Children's Services (Y/N).", example="N"),
    ),
    rules=(
        "`case_id` is unique.",
        "`child_id` exists in children; `notification_id`, when given, exists in notifications.",
        "`start_date` is on or after the child's birth month; `end_date` is on or after `start_date`; "
        "neither is after the extract date.",
        "`closure_reason` is given if and only if `end_date` is given.",
        "The child's home LSOA lies inside `district_code`.",
    ),
)

YOUTH_JUSTICE = TableSpec(
    name="youth_justice",
    description="One row per youth justice outcome (a pre-court caution or a court disposal) recorded by the "
                "Youth Offending Service, part of Early Help and Preventative Services.",
    key="outcome_id",
    columns=(
        ColumnSpec("outcome_id", "id", "Outcome identifier.", unique=True, pattern=ID_PATTERN,
                   example="YJO00001234"),
        ColumnSpec("child_id", "id", "The young person.", pattern=ID_PATTERN, references="children.child_id",
                   example="SYN0001234"),
        ColumnSpec("district_code", "code", "District of the young person's home address (GSS code).",
                   codes=DISTRICTS, example="E07000113"),
        ColumnSpec("outcome_date", "date", "Date of the caution or court disposal (YYYY-MM-DD).",
                   example="2015-09-14"),
        ColumnSpec("outcome_type", "code", "Type of outcome.", codes=YJ_OUTCOME_TYPES, example="REFERRAL_ORDER"),
        ColumnSpec("first_time", "bool", "The young person's first formal outcome ever (a first-time entrant to "
                   "the youth justice system, from the Police National Computer) (Y/N).", example="Y"),
        ColumnSpec("looked_after", "bool", "Looked after by a local authority on the outcome date (Y/N).",
                   example="N"),
        ColumnSpec("supervised", "bool", "The outcome was followed by Youth Offending Service supervision or an "
                   "intervention programme (Y/N).", example="Y"),
        ColumnSpec("supervision_end_date", "date", "End of that supervision; blank while it continues, and "
                   "always blank when `supervised` is N.", nullable=True, example="2016-03-13"),
    ),
    rules=(
        "`outcome_id` is unique; `child_id` exists in children; `outcome_date` is on or after the young "
        "person's birth month.",
        "`outcome_date` and `supervision_end_date` are not after the extract date; supervision ends on or "
        "after the outcome date, and only a supervised outcome has a supervision end date.",
        "The young person's home LSOA lies inside `district_code`.",
        "Optional table: an extract without it has no youth justice indicators.",
    ),
    required=False,
)

EXCLUSIONS = TableSpec(
    name="exclusions",
    description="One row per exclusion from school notified to the PRU, Inclusion and Attendance Service "
                "(PIAS Digital Front Door).",
    key="exclusion_id",
    columns=(
        ColumnSpec("exclusion_id", "id", "Exclusion identifier.", unique=True, pattern=ID_PATTERN,
                   example="EXC00004567"),
        ColumnSpec("child_id", "id", "The pupil.", pattern=ID_PATTERN, references="children.child_id",
                   example="SYN0001234"),
        ColumnSpec("district_code", "code", "District of the pupil's home address (GSS code).", codes=DISTRICTS,
                   example="E07000114"),
        ColumnSpec("start_date", "date", "First day of the exclusion (YYYY-MM-DD).", example="2016-01-18"),
        ColumnSpec("exclusion_type", "code", "Fixed-term or permanent.", codes=EXCLUSION_TYPES,
                   example="FIXED_TERM"),
        ColumnSpec("school_phase", "code", "Phase of the excluding school.", codes=SCHOOL_PHASES,
                   example="SECONDARY"),
    ),
    rules=(
        "`exclusion_id` is unique; `child_id` exists in children; `start_date` is on or after the pupil's "
        "birth month.",
        "`start_date` is not after the extract date.",
        "The pupil's home LSOA lies inside `district_code`.",
        "Optional table: an extract without it has no exclusion indicators.",
    ),
    required=False,
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (CHILDREN, NOTIFICATIONS, CASES, YOUTH_JUSTICE, EXCLUSIONS)}

_PANDAS_DTYPES = {
    "id": "string",
    "text": "string",
    "code": "string",
    "date": "datetime64[ns]",
    "month": "datetime64[ns]",
    "bool": "boolean",
}


def _column_checks(spec: ColumnSpec) -> list[pa.Check]:
    import pandera.pandas as pa  # imported when a table is validated, not by every command

    checks: list[pa.Check] = []
    if spec.codes is not None:
        checks.append(pa.Check.isin(list(spec.codes), error=f"code must be one of {', '.join(spec.codes)}"))
    if spec.pattern is not None:
        checks.append(pa.Check.str_matches(spec.pattern, error=f"must match {spec.pattern}"))
    if spec.kind in ("date", "month"):
        earliest = EARLIEST_BIRTH_MONTH if spec.kind == "month" else EARLIEST_DATE
        checks.append(pa.Check.ge(earliest, error=f"date before {earliest:%Y-%m-%d}"))
    return checks


def table_schema(name: str, extract_date: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a typed extract table.

    Parameters
    ----------
    name
        ``children``, ``notifications`` or ``cases``.
    extract_date
        When given, dates after it fail ("date in the future").
    """
    import pandera.pandas as pa
    spec = TABLES[name]
    columns = {}
    for c in spec.columns:
        checks = _column_checks(c)
        if extract_date is not None and c.kind in ("date", "month"):
            checks.append(pa.Check.le(extract_date, error=f"date after the extract date {extract_date:%Y-%m-%d}"))
        columns[c.name] = pa.Column(
            _PANDAS_DTYPES[c.kind],
            checks=checks,
            nullable=c.nullable,
            unique=c.unique,
            required=not c.if_present,
            description=c.description,
        )
    table_checks: list[pa.Check] = []
    if name == "youth_justice":
        table_checks = [
            pa.Check(
                lambda df: df["supervision_end_date"].isna() | (df["supervision_end_date"] >= df["outcome_date"]),
                name="supervision_after_outcome",
                error="supervision_end_date is before outcome_date",
            ),
            pa.Check(
                lambda df: df["supervision_end_date"].isna() | df["supervised"].fillna(False).astype(bool),
                name="supervision_end_iff_supervised",
                error="supervision_end_date is given but supervised is N",
            ),
        ]
    if name == "cases":
        table_checks = [
            pa.Check(
                lambda df: df["end_date"].isna() | (df["end_date"] >= df["start_date"]),
                name="end_after_start",
                error="end_date is before start_date",
            ),
            pa.Check(
                lambda df: df["end_date"].isna() == df["closure_reason"].isna(),
                name="closure_reason_iff_closed",
                error="closure_reason must be given if and only if end_date is given",
            ),
        ]
    return pa.DataFrameSchema(columns, checks=table_checks, strict=False, coerce=False, name=name)


def empty_table(name: str, *, if_present: bool = False) -> pd.DataFrame:
    """A zero-row typed table with the contract's columns (with ``if_present``, also the columns
    read only when a file has them)."""
    spec = TABLES[name]
    return pd.DataFrame({c.name: pd.Series(dtype=_PANDAS_DTYPES[c.kind]) for c in spec.columns
                         if if_present or not c.if_present})


def complete_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with every contract table and column present: an optional table that is
    missing becomes an empty typed table, a missing optional column a blank one.

    For tables made by hand or read from an extract that predates a column; the engine calls
    it so that every indicator can be computed (from nothing, when its table is absent).
    """
    out = dict(tables)
    for name, spec in TABLES.items():
        if name not in out:
            out[name] = empty_table(name, if_present=True)
            continue
        missing = [c for c in spec.columns if c.name not in out[name].columns]
        if missing:
            out[name] = out[name].assign(**{c.name: pd.Series(pd.NA, index=out[name].index,
                                                                dtype=_PANDAS_DTYPES[c.kind]) for c in missing})
    return out


def data_dictionary_markdown() -> str:
    """The data dictionary, as Markdown, generated from :data:`TABLES`."""
    lines: list[str] = []
    for spec in TABLES.values():
        lines += [f"### `{spec.name}`", "", spec.description, "",
                  "| column | type | required column | blank allowed | description | example |",
                  "|---|---|---|---|---|---|"]
        for c in spec.columns:
            kind = {"month": "month (YYYY-MM)", "date": "date (YYYY-MM-DD)", "bool": "Y/N"}.get(c.kind, c.kind)
            req = ("yes" if c.required else f"no (default {c.default!r})" if c.default is not None
                   else "no (read when present)" if c.if_present else "no")
            lines.append(f"| `{c.name}` | {kind} | {req} | {'yes' if c.nullable else 'no'} | "
                         f"{c.description} | `{c.example}` |")
        lines += ["", "Rules:", ""] + [f"- {r}" for r in spec.rules] + [""]
        for c in spec.columns:
            if c.codes and c.name != "district_code":
                lines += [f"Codes for `{c.name}`:", ""] + [f"- `{k}`: {v}" for k, v in c.codes.items()] + [""]
    return "\n".join(lines)
