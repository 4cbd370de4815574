"""The contract of the statutory returns and the local supplement: every table, column and code.

Each table is described once, in :data:`TABLES`; from that one description come the pandera
schema (:func:`table_schema`), the parser's types (:mod:`ehps_lib.data.returns.ingest`), the
XML mapping (:mod:`ehps_lib.data.returns.xml`) and the data dictionary
(:func:`data_dictionary_markdown`, copied into ``data/README.md``).

Field names and codes are the DfE's, as the CIN census and SSDA903 technical specifications
and guides define them and as the sector's open validators read them (Data to Insight's
``csc-validator-be-cin`` and ``csc-validator-be-903``): ``LAchildID``, ``CINreferralDate``,
``CPPstartDate`` ...; ``CHILD``, ``DECOM``, ``RNE``, ``LS``, ``PLACE`` .... The CIN census's
nested blocks become tables keyed as the validators key them: ``CINdetailsID`` numbers a
child's CIN episodes 1, 2, ... in file order, ``AssessmentID`` and ``CPPID`` number the
assessments and plans inside an episode.

**What a returns extract is.** The DfE collects each return once a year, for the year to
31 March. A monthly dashboard needs the same records over a longer window, as case systems
produce them on demand in the DfE's formats (the "in-year" census and 903 extracts councils
run for their own monitoring): every referral, assessment, plan and episode from the start
of the window to the extract date, which is the CIN header's ``ReferenceDate``. Rules that
the DfE states for "the census year" are applied to that window. Tables the DfE defines per
collection year (UASC, OC2, OC3, AD1, ...) hold one row per child, as returned for the
latest collection year the window covers.

**The supplement** carries what the returns lack and the council's scorecard shows: each
child's team and worker over time, dated activities (visits, children seen, health
assessments, personal education plans, pathway plans, return interviews, initial health
assessment referrals), care leavers' contacts (the OC3 codes, dated, so that a rolling
12 months can be counted), private fostering arrangements, the distance of each placement
from home, quality assurance audits and monthly staffing by team.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from ..contract import ColumnSpec, TableSpec

CIN, SSDA903, SUPPLEMENT = "cin", "ssda903", "supplement"
RETURN_NAMES = {CIN: "CIN census", SSDA903: "SSDA903", SUPPLEMENT: "local supplement"}

#: Pseudonymised child identifiers: the council's LA child id, shared by both returns.
CHILD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,19}$"
#: A UPN: a letter, 12 digits, or 11 digits and a letter (DfE rule 168 / CIN 1510's format).
UPN_PATTERN = r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-Z]$"
POSTCODE_PATTERN = r"^[A-Z]{1,2}[0-9][0-9A-Z]?( ?[0-9]([A-Z]{2})?)?$"
TEAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_\-]{1,39}$"

# -- code lists ---------------------------------------------------------------------------------------
CIN_SEX = {"M": "Male", "F": "Female", "U": "Unknown (including unborn)"}
ETHNICITY = {
    "WBRI": "White British", "WIRI": "White Irish", "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage", "WROM": "Gypsy/Roma", "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African", "MWAS": "White and Asian", "MOTH": "Any other mixed background",
    "AIND": "Indian", "APKN": "Pakistani", "ABAN": "Bangladeshi", "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean", "BAFR": "Black African", "BOTH": "Any other Black background",
    "CHNE": "Chinese", "OOTH": "Any other ethnic group", "REFU": "Refused", "NOBT": "Information not yet obtained",
}
UPN_UNKNOWN = {f"UN{i}": f"UPN unknown reason UN{i}" for i in range(1, 11)}
DISABILITY = {
    "NONE": "No disability", "MOB": "Mobility", "HAND": "Hand function", "PC": "Personal care",
    "INC": "Incontinence", "COMM": "Communication", "LD": "Learning", "HEAR": "Hearing", "VIS": "Vision",
    "BEH": "Behaviour", "CON": "Consciousness", "AUT": "Autism/Asperger syndrome", "DDA": "Other DDA",
}
REFERRAL_SOURCE = {
    "1A": "Individual: family member/relative/carer", "1B": "Individual: acquaintance", "1C": "Individual: self",
    "1D": "Individual: other", "2A": "Schools", "2B": "Education services", "3A": "Health: GP",
    "3B": "Health: health visitor", "3C": "Health: school nurse", "3D": "Health: other primary health services",
    "3E": "Health: A&E", "3F": "Health: other", "4": "Housing", "5A": "LA services: social care",
    "5B": "LA services: other internal", "5C": "LA services: external", "5D": "LA services: early help",
    "6": "Police", "7": "Other legal agency", "8": "Other", "9": "Anonymous", "10": "Unknown",
}
PRIMARY_NEED = {
    "N1": "Abuse or neglect", "N2": "Child's disability", "N3": "Parental illness/disability",
    "N4": "Family in acute stress", "N5": "Family dysfunction", "N6": "Socially unacceptable behaviour",
    "N7": "Low income", "N8": "Absent parenting", "N9": "Cases other than children in need",
}
REASON_FOR_CLOSURE = {
    "RC1": "Adopted", "RC2": "Died", "RC3": "Child arrangements order", "RC4": "Special guardianship order",
    "RC5": "Transferred to services of another LA", "RC6": "Transferred to adult social services",
    "RC7": "Services ceased for any other reason, including child no longer in need",
    "RC8": "Case closed after assessment, no further action",
    "RC9": "Case closed after assessment, referred to early help",
}
CATEGORY_OF_ABUSE = {"NEG": "Neglect", "PHY": "Physical abuse", "SAB": "Sexual abuse", "EMO": "Emotional abuse",
                     "MUL": "Multiple"}
_FACTOR_CODES = ("1A 1B 1C 2A 2B 2C 3A 3B 3C 4A 4B 4C 5A 5B 5C 6A 6B 6C 7A 8B 8C 8D 8E 8F 9A 10A 11A 12A 13A 14A "
                 "15A 16A 17A 18A 18B 18C 19A 19B 19C 20 21 22A 23A 24A")
ASSESSMENT_FACTORS = {c: f"Factor identified at assessment {c}" for c in _FACTOR_CODES.split()}
ASSESSMENT_FACTORS.update({"1A": "Alcohol misuse: child", "1B": "Alcohol misuse: parent", "2A": "Drug misuse: child",
                           "2B": "Drug misuse: parent", "3A": "Domestic violence: child",
                           "3B": "Domestic violence: parent", "4A": "Mental health: child",
                           "4B": "Mental health: parent", "6C": "Physical disability or illness: other",
                           "9A": "Gangs", "22A": "Child sexual exploitation"})

SEX_903 = {"1": "Male", "2": "Female"}
RNE = {"S": "Started to be looked after", "L": "Change of legal status only", "P": "Change of placement only",
       "T": "Change of both legal status and placement", "U": "Change of legal status and placement, same carer",
       "B": "Change of placement and legal status (older code)"}
LEGAL_STATUS = {"C1": "Interim care order", "C2": "Full care order", "D1": "Freeing order",
                "E1": "Placement order granted", "V2": "Single period of accommodation under section 20",
                "V3": "Accommodated under an agreed series of short-term breaks (individual episodes)",
                "V4": "Accommodated under an agreed series of short-term breaks (placements)",
                "J1": "Remanded to LA accommodation or youth detention", "J2": "Police protection, section 46",
                "J3": "Sentenced to supervision order with residence requirement",
                "L1": "Under police protection and in LA accommodation", "L2": "Emergency protection order",
                "L3": "Under child assessment order and in LA accommodation"}
CATEGORY_OF_NEED = {f"N{i}": PRIMARY_NEED[f"N{i}"] for i in range(1, 9)}
PLACEMENT = {
    "A3": "Placed for adoption with parental consent with current foster carer(s)",
    "A4": "Placed for adoption with parental consent not with current foster carer(s)",
    "A5": "Placed for adoption with placement order with current foster carer(s)",
    "A6": "Placed for adoption with placement order not with current foster carer(s)",
    "H5": "Semi-independent living accommodation not subject to children's homes regulations",
    "K1": "Secure children's home", "K2": "Children's home", "P1": "Placed with own parent(s)",
    "P2": "Independent living", "P3": "Residential employment", "R1": "Residential care home",
    "R2": "NHS/health trust or other establishment providing medical or nursing care",
    "R3": "Family centre or mother and baby unit", "R5": "Young offender institution or prison",
    "S1": "All residential schools, except where dual-registered as a school and children's home",
    "T0": "Temporary placement (all types)", "T1": "Temporary periods in hospital", "T2": "Temporary holiday",
    "T3": "Temporary accommodation while normal foster carer(s) away",
    "T4": "Temporary accommodation of 7 days or less",
    "U1": "Foster placement with relative or friend: long term fostering",
    "U2": "Foster placement with relative or friend who is also an approved adopter (FFA)",
    "U3": "Foster placement with relative or friend: not long term or FFA",
    "U4": "Foster placement with other foster carer: long term fostering",
    "U5": "Foster placement with other foster carer who is also an approved adopter (FFA)",
    "U6": "Foster placement with other foster carer: not long term or FFA", "Z1": "Other placement",
}
PLACE_PROVIDER = {"PR0": "Parent(s) or other person with parental responsibility", "PR1": "Own provision (by the LA)",
                  "PR2": "Other LA provision", "PR3": "Other public provision", "PR4": "Private provision",
                  "PR5": "Voluntary/third sector provision"}
REASON_EPISODE_CEASED = {
    "E11": "Adopted: application for an adoption order unopposed", "E12": "Adopted: consent dispensed with",
    "E2": "Died", "E3": "Care taken over by another LA", "E4A": "Returned home to live with parents (planned)",
    "E4B": "Returned home to live with parents (not planned)", "E13": "Left care to live with former foster carers",
    "E41": "Residence order granted", "E43": "Special guardianship order made to former foster carers",
    "E44": "Special guardianship order made to carers other than former foster carers",
    "E45": "Special guardianship order made to former foster carers",
    "E46": "Special guardianship order made to others",
    "E47": "Child arrangements order to former foster carers", "E48": "Child arrangements order to others",
    "E5": "Moved into independent living (supportive)", "E6": "Moved into independent living (no formal support)",
    "E7": "Transferred to residential care funded by adult social services",
    "E8": "Period of being looked after ceased for any other reason",
    "E9": "Sentenced to custody", "E14": "Accommodation on remand ended", "E15": "Age assessment: not a child",
    "E16": "Child moved abroad", "E17": "Aged 18 (or over) and remained with current carers",
    "X1": "Episode ceases, and new episode begins on same day, for any reason",
}
REASON_PLACE_CHANGE = {"CARPL": "Change to/implementation of care plan", "CLOSE": "Resignation/closure of provision",
                       "ALLEG": "Allegation (s47)", "STAND": "Standards of care concern", "APPRR": "Approval removed",
                       "CREQB": "Carer request due to child's behaviour", "CREQO": "Carer request other",
                       "CHILD": "Child requests placement end", "LAREQ": "Responsible/area authority requests",
                       "PLACE": "Change in the status of placement only", "CUSTOD": "Custody arrangement",
                       "OTHER": "Other"}
REVIEW_CODE = {"PN0": "Child aged under 4 at the time of the review",
               "PN1": "Child physically attended and spoke for him or herself",
               "PN2": "Child physically attended and an advocate spoke on his or her behalf",
               "PN3": "Child physically attended and conveyed his or her view symbolically",
               "PN4": "Child physically attended but did not speak for him or herself nor convey views",
               "PN5": "Child did not attend but briefed an advocate to speak for him or her",
               "PN6": "Child did not attend but conveyed his or her feelings by a facilitative medium",
               "PN7": "Child did not attend nor were views conveyed"}
YES_NO_01 = {"0": "No", "1": "Yes"}
SDQ_REASON = {"SDQ1": "No form returned as child aged under 4 or over 17", "SDQ2": "Carer refused",
              "SDQ3": "Not possible owing to severity of disability", "SDQ4": "Other",
              "SDQ5": "Child or young person refused"}
IN_TOUCH = {"YES": "In touch", "NO": "Not in touch", "DIED": "Died", "REFU": "Refuses contact",
            "NREQ": "No longer requires services", "RHOM": "Returned home to parents for 6 months or more"}
ACTIVITY = {"F1": "Full time in higher education", "P1": "Part time in higher education",
            "F2": "Full time in education other than higher", "P2": "Part time in education other than higher",
            "F3": "Full time in training or employment", "P3": "Part time in training or employment",
            "G4": "Not in education, training or employment: illness or disability",
            "G5": "Not in education, training or employment: other",
            "G6": "Not in education, training or employment: pregnancy or parenting",
            "0": "No information"}
ACCOMMODATION = {f"{a}{s}": f"{w}, {'suitable' if s == '1' else 'not suitable'}" for a, w in {
    "B": "With parents or relatives", "C": "Community home or other form of residential care",
    "D": "Semi-independent, transitional accommodation",
    "E": "Supported lodgings", "G": "Gone abroad", "H": "Deported", "K": "Ordinary lodgings",
    "R": "Residence not known", "S": "No fixed abode / homeless", "T": "Foyers", "U": "Independent living",
    "V": "Emergency accommodation", "W": "Bed and breakfast", "X": "In custody", "Y": "Other accommodation",
    "Z": "With former foster carers"}.items() for s in ("1", "2")}
ACCOMMODATION["0"] = "No information"
SEX_ADOPTR = {"M1": "Male adopter", "F1": "Female adopter", "MM": "Male couple", "FF": "Female couple",
              "MF": "Mixed couple"}
LS_ADOPTR = {"L0": "Child adopted by foster carer(s)", "L11": "Adopted by a couple, married",
             "L12": "Adopted by a couple, civil partners", "L2": "Adopted by a couple, not married",
             "L3": "Adopted by a single adopter", "L4": "Adopted by a step-parent"}
REASON_PLACED_CEASED = {"RD1": "Child's needs changed", "RD2": "Court did not make placement order",
                        "RD3": "Prospective adopters could not be found", "RD4": "Other"}
MISSING = {"M": "Missing", "A": "Away from placement without authorisation"}
PREV_PERM = {"P1": "Adoption", "P2": "Special guardianship order", "P3": "Residence order or child arrangements order",
             "P4": "Previous permanence option not known", "Z1": "Child has not previously been permanent"}

TEAM_TYPES = {"CSWT": "Children's social work team (district)", "CIC": "Children in care team",
              "DISABILITY": "Disabled children's team", "SUASC": "Unaccompanied asylum seeking children's service",
              "ADOPTION": "Adoption and special guardianship", "CARE_LEAVERS": "Care leaver service (18+)",
              "FOSTERING": "Fostering (supervising social workers)", "OTHER": "Other team"}
AREAS = {"NORTH": "North Kent", "EAST": "East Kent", "SOUTH": "South Kent", "WEST": "West Kent",
         "COUNTY": "County-wide"}
ACTIVITY_TYPES = {
    "CIN_VISIT": "Child in need visit (the child seen)", "CP_VISIT": "Child protection visit, with its due date",
    "PF_VISIT": "Private fostering visit, with its due date",
    "ASSESSMENT_SEEN": "Child seen during the Child and Family Assessment that started on related_date",
    "S47_SEEN": "Child seen during the section 47 enquiry that started on related_date",
    "IHA_REFERRAL": "Initial health assessment referral for the period of care that started on related_date",
    "HEALTH_ASSESSMENT": "Health assessment held", "DENTAL_CHECK": "Dental check held",
    "PEP": "Personal education plan reviewed or updated", "PATHWAY_PLAN": "Pathway plan reviewed or updated",
    "RETURN_INTERVIEW": "Return interview after the missing episode that started on related_date",
}
AUDIT_TYPES = {"CASE_FILE": "Case file audit", "CP_SW_REPORT": "Child protection social work report",
               "CIC_CARE_PLAN": "Children in care care plan"}
AUDIT_GRADES = {"OUTSTANDING": "Outstanding", "GOOD": "Good", "REQUIRES_IMPROVEMENT": "Requires improvement",
                "INADEQUATE": "Inadequate"}

# -- tables -----------------------------------------------------------------------------------------
#: Column kinds beyond the Early Help contract's: ``int`` (whole number) and ``number`` (decimal).
KIND_DTYPES = {"id": "string", "text": "string", "code": "string", "date": "datetime64[ns]",
               "month": "datetime64[ns]", "bool": "boolean", "int": "Int64", "number": "Float64"}

#: Earliest date anything in a returns extract may carry (births of care leavers included).
EARLIEST_DATE = pd.Timestamp("1990-01-01")


@dataclass(frozen=True)
class ReturnTable(TableSpec):
    """A table of a return: its return, the columns that identify a row, and its parent.

    ``keys`` identify a row (unique together); ``parent`` names the table (and the shared
    key columns) each row belongs to: a row whose parent was rejected is rejected too.
    ``xml`` is the element that holds one record in the DfE XML (None for tables that only
    come as CSV).
    """

    source: str = CIN
    keys: tuple[str, ...] = ()
    parent: tuple[str, tuple[str, ...]] | None = None
    xml: str | None = None


def _c(name, kind, description, **kw) -> ColumnSpec:
    return ColumnSpec(name, kind, description, **kw)


def _id(name="LAchildID", description="The council's child identifier (pseudonymised), shared by both returns.",
        **kw) -> ColumnSpec:
    return _c(name, "id", description, pattern=CHILD_ID_PATTERN, example="SYNS000123", **kw)


CIN_TABLES = (
    ReturnTable(
        name="cin_header", source=CIN, key="ReferenceDate", keys=("ReferenceDate",), xml="Header",
        description="The CIN census header: collection, year, reference date (the extract date) and source.",
        columns=(
            _c("Collection", "code", "Always CIN.", codes={"CIN": "Children in need census"}, example="CIN"),
            _c("Year", "text", "Collection year.", pattern=r"^\d{4}$", example="2017"),
            _c("ReferenceDate", "date", "The census reference date: the last day the extract covers.",
               example="2016-08-31"),
            _c("SourceLevel", "code", "Always L (local authority).", codes={"L": "Local authority"}, example="L"),
            _c("LEA", "text", "The council's three-digit LA number.", pattern=r"^\d{3}$", example="886"),
            _c("SoftwareCode", "text", "The case system that produced the file.", required=False, nullable=True,
               example="Liberi"),
            _c("Release", "text", "Release of the extract software.", required=False, nullable=True, example="1.0"),
            _c("SerialNo", "text", "Serial number of the file.", required=False, nullable=True, example="001"),
            _c("DateTime", "text", "When the file was produced.", required=False, nullable=True,
               example="2016-09-05T08:00:00"),
        ),
        rules=("One header per file.", "`ReferenceDate` is the extract date: no date in the return may be after it."),
    ),
    ReturnTable(
        name="cin_child", source=CIN, key="LAchildID", keys=("LAchildID",), xml="Child",
        description="One row per child: ChildIdentifiers and ChildCharacteristics.",
        columns=(
            _id(unique=True),
            _c("UPN", "text", "Unique pupil number.", required=False, nullable=True, pattern=UPN_PATTERN,
               example="A999123456789"),
            _c("FormerUPN", "text", "Former UPN.", required=False, nullable=True, pattern=UPN_PATTERN),
            _c("UPNunknown", "code", "Why the UPN is unknown.", required=False, nullable=True, codes=UPN_UNKNOWN,
               example="UN1"),
            _c("PersonBirthDate", "date", "Date of birth (blank for an unborn child).", nullable=True,
               example="2009-05-17"),
            _c("ExpectedPersonBirthDate", "date", "Expected date of birth of an unborn child.", required=False,
               nullable=True),
            _c("Sex", "code", "Sex.", codes=CIN_SEX, example="F"),
            _c("PersonDeathDate", "date", "Date of death.", required=False, nullable=True),
            _c("Ethnicity", "code", "Ethnicity (ChildCharacteristics).", codes=ETHNICITY, example="WBRI"),
        ),
        rules=("`LAchildID` is unique (DfE 8510).",
               "Either `PersonBirthDate` or `ExpectedPersonBirthDate` is given (DfE 8525).",
               "`PersonDeathDate` is not before `PersonBirthDate` (DfE 8535Q, a query: warning)."),
    ),
    ReturnTable(
        name="cin_disability", source=CIN, key="LAchildID", keys=("LAchildID", "Disability"), xml="Disability",
        parent=("cin_child", ("LAchildID",)),
        description="One row per disability recorded for a child (ChildCharacteristics/Disabilities).",
        columns=(_id(), _c("Disability", "code", "Disability.", codes=DISABILITY, example="NONE")),
        rules=("A child recorded with NONE has no other disability (DfE 8590, warning).",),
    ),
    ReturnTable(
        name="cin_details", source=CIN, key="CINdetailsID", keys=("LAchildID", "CINdetailsID"), xml="CINdetails",
        parent=("cin_child", ("LAchildID",)),
        description="One row per episode of need (CINdetails): referral, closure and the initial conference.",
        columns=(
            _id(),
            _c("CINdetailsID", "int", "Number of the episode within the child (1, 2, ... in file order).",
               example="1"),
            _c("CINreferralDate", "date", "Date of the referral.", example="2016-03-14"),
            _c("ReferralSource", "code", "Source of the referral.", codes=REFERRAL_SOURCE, example="2A"),
            _c("PrimaryNeedCode", "code", "Primary need at assessment.", nullable=True, codes=PRIMARY_NEED,
               example="N1"),
            _c("CINclosureDate", "date", "Date the case closed (blank while open).", nullable=True),
            _c("ReasonForClosure", "code", "Why the case closed.", nullable=True, codes=REASON_FOR_CLOSURE),
            _c("DateOfInitialCPC", "date", "Initial child protection conference outside a section 47 block.",
               required=False, nullable=True),
            _c("ReferralNFA", "bool", "Referral led to no further action (true/false or 1/0).", example="false"),
        ),
        rules=("`CINclosureDate` is not before `CINreferralDate` (DfE 8630).",
               "A `ReasonForClosure` is given only with a `CINclosureDate` (DfE 8810).",
               "`PrimaryNeedCode` is given for a referral that led to further action (DfE 8610).",
               "The referral is not more than 40 weeks before the date of birth (DfE 8606)."),
    ),
    ReturnTable(
        name="cin_assessment", source=CIN, key="AssessmentID", keys=("LAchildID", "CINdetailsID", "AssessmentID"),
        xml="Assessments", parent=("cin_details", ("LAchildID", "CINdetailsID")),
        description="One row per Child and Family Assessment.",
        columns=(
            _id(), _c("CINdetailsID", "int", "The episode.", example="1"),
            _c("AssessmentID", "int", "Number of the assessment within the episode.", example="1"),
            _c("AssessmentActualStartDate", "date", "Date the assessment started.", example="2016-03-15"),
            _c("AssessmentInternalReviewDate", "date", "Internal review date.", required=False, nullable=True),
            _c("AssessmentAuthorisationDate", "date", "Date the assessment was completed (authorised); blank while "
               "in progress.", nullable=True),
        ),
        rules=("`AssessmentActualStartDate` is not after `AssessmentAuthorisationDate` (DfE 8608).",
               "No activity after the case closed (DfE 8565).",
               "An assessment does not start while another is in progress (DfE 8863Q, a query: warning)."),
    ),
    ReturnTable(
        name="cin_assessment_factor", source=CIN, key="AssessmentFactors",
        keys=("LAchildID", "CINdetailsID", "AssessmentID", "AssessmentFactors"), xml="AssessmentFactors",
        parent=("cin_assessment", ("LAchildID", "CINdetailsID", "AssessmentID")),
        description="One row per factor identified at an assessment (FactorsIdentifiedAtAssessment).",
        columns=(_id(), _c("CINdetailsID", "int", "The episode."), _c("AssessmentID", "int", "The assessment."),
                 _c("AssessmentFactors", "code", "Factor identified.", codes=ASSESSMENT_FACTORS, example="3B")),
        rules=("Factors are recorded only for a completed assessment (DfE 8614, warning).",),
    ),
    ReturnTable(
        name="cin_plan", source=CIN, key="CINPlanStartDate", keys=("LAchildID", "CINdetailsID", "CINPlanStartDate"),
        xml="CINPlanDates", parent=("cin_details", ("LAchildID", "CINdetailsID")),
        description="One row per child in need plan (CINPlanDates).",
        columns=(_id(), _c("CINdetailsID", "int", "The episode."),
                 _c("CINPlanStartDate", "date", "Date the plan started."),
                 _c("CINPlanEndDate", "date", "Date the plan ended; blank while current.", nullable=True)),
        rules=("`CINPlanEndDate` is not before `CINPlanStartDate`.", "No activity after the case closed (DfE 8565)."),
    ),
    ReturnTable(
        name="cin_s47", source=CIN, key="S47ActualStartDate", keys=("LAchildID", "CINdetailsID", "S47ActualStartDate"),
        xml="Section47", parent=("cin_details", ("LAchildID", "CINdetailsID")),
        description="One row per section 47 enquiry, with its initial child protection conference.",
        columns=(_id(), _c("CINdetailsID", "int", "The episode."),
                 _c("S47ActualStartDate", "date", "Date the enquiry started.", nullable=True),
                 _c("InitialCPCtarget", "date", "Target date of the initial conference.", required=False,
                    nullable=True),
                 _c("DateOfInitialCPC", "date", "Date of the initial child protection conference.", nullable=True),
                 _c("ICPCnotRequired", "bool", "No conference was needed.", nullable=True, example="false")),
        rules=("`S47ActualStartDate` is given and not after `DateOfInitialCPC` (DfE 8615).",
               "No activity after the case closed (DfE 8565)."),
    ),
    ReturnTable(
        name="cin_cpp", source=CIN, key="CPPID", keys=("LAchildID", "CINdetailsID", "CPPID"),
        xml="ChildProtectionPlans", parent=("cin_details", ("LAchildID", "CINdetailsID")),
        description="One row per child protection plan.",
        columns=(_id(), _c("CINdetailsID", "int", "The episode."),
                 _c("CPPID", "int", "Number of the plan within the episode."),
                 _c("CPPstartDate", "date", "Date the plan started."),
                 _c("CPPendDate", "date", "Date the plan ended; blank while current.", nullable=True),
                 _c("InitialCategoryOfAbuse", "code", "Initial category of abuse.", codes=CATEGORY_OF_ABUSE),
                 _c("LatestCategoryOfAbuse", "code", "Latest category of abuse.", codes=CATEGORY_OF_ABUSE),
                 _c("NumberOfPreviousCPP", "int", "Number of previous child protection plans.")),
        rules=("`CPPendDate` is not before `CPPstartDate`.",
               "The plan starts on the day of an initial child protection conference of its episode (DfE 2885).",
               "No activity after the case closed (DfE 8565).", "`NumberOfPreviousCPP` is 0 or more."),
    ),
    ReturnTable(
        name="cin_cpp_review", source=CIN, key="CPPreviewDate",
        keys=("LAchildID", "CINdetailsID", "CPPID", "CPPreviewDate"), xml="CPPreviewDate",
        parent=("cin_cpp", ("LAchildID", "CINdetailsID", "CPPID")),
        description="One row per review of a child protection plan.",
        columns=(_id(), _c("CINdetailsID", "int", "The episode."), _c("CPPID", "int", "The plan."),
                 _c("CPPreviewDate", "date", "Date of the review conference.")),
        rules=("A review is not before its plan started, nor after it ended.",),
    ),
)


def _child(**kw) -> ColumnSpec:
    return _id("CHILD", "The council's child identifier (pseudonymised); the same as the CIN census LAchildID.", **kw)


def _dob() -> ColumnSpec:
    return _c("DOB", "date", "Date of birth (DD/MM/YYYY).", example="17/05/2009")


S903_TABLES = (
    ReturnTable(
        name="ssda903_header", source=SSDA903, key="CHILD", keys=("CHILD",), xml="HEADER",
        description="One row per child looked after in the window (Header).",
        columns=(_child(unique=True), _c("SEX", "code", "Sex: 1 male, 2 female.", codes=SEX_903, example="1"), _dob(),
                 _c("ETHNIC", "code", "Ethnicity.", codes=ETHNICITY, example="WBRI"),
                 _c("UPN", "text", "Unique pupil number, or UN1-UN5.",
                    pattern=r"^([A-HJ-NP-RT-Z][0-9]{11}[0-9A-Z]|UN[1-5])$", example="UN1"),
                 _c("MOTHER", "code", "The child is a mother (1) or not (0); blank for boys.", nullable=True,
                    codes=YES_NO_01),
                 _c("MC_DOB", "date", "Date of birth of the mother's child.", nullable=True)),
        rules=("`CHILD` is unique.", "`SEX` is 1 or 2 (DfE 101).", "`ETHNIC` is a valid code (DfE 103).",
               "`UPN` is a valid UPN or UN1-UN5 (DfE 168)."),
    ),
    ReturnTable(
        name="ssda903_episodes", source=SSDA903, key="DECOM", keys=("CHILD", "DECOM"), xml="EPISODE",
        parent=("ssda903_header", ("CHILD",)),
        description="One row per episode of care: a placement and legal status from DECOM to DEC.",
        columns=(_child(), _c("DECOM", "date", "Date the episode began (DfE 141).", example="14/03/2016"),
                 _c("RNE", "code", "Reason for new episode (DfE 143).", codes=RNE, example="S"),
                 _c("LS", "code", "Legal status (DfE 144).", codes=LEGAL_STATUS, example="C2"),
                 _c("CIN", "code", "Category of need (DfE 145).", codes=CATEGORY_OF_NEED, example="N1"),
                 _c("PLACE", "code", "Placement type (DfE 146).", codes=PLACEMENT, example="U4"),
                 _c("PLACE_PROVIDER", "code", "Placement provider (DfE 178); blank for placements without one "
                    "(DfE 213).", nullable=True, codes=PLACE_PROVIDER, example="PR1"),
                 _c("DEC", "date", "Date the episode ceased; blank while open (DfE 147).", nullable=True),
                 _c("REC", "code", "Reason the episode ceased (DfE 149).", nullable=True, codes=REASON_EPISODE_CEASED),
                 _c("REASON_PLACE_CHANGE", "code", "Reason for a placement change (DfE 1009).", required=False,
                    nullable=True, codes=REASON_PLACE_CHANGE),
                 _c("HOME_POST", "text", "Postcode of the child's home (may be partial).", required=False,
                    nullable=True, pattern=POSTCODE_PATTERN),
                 _c("PL_POST", "text", "Postcode of the placement (may be partial).", required=False, nullable=True,
                    pattern=POSTCODE_PATTERN),
                 _c("URN", "text", "Ofsted URN of the placement.", required=False, nullable=True)),
        rules=("`DEC` and `REC` are both given or both blank (DfE 148).", "`DEC` is not before `DECOM`.",
               "Every episode but a child's last has ended (DfE 142).",
               "REC X1 is followed by an episode starting the same day, and only then (DfE 388).",
               "A child's episodes do not overlap.",
               "No placement provider for placements T0-T4 and Z1 (DfE 213)."),
    ),
    ReturnTable(
        name="ssda903_uasc", source=SSDA903, key="CHILD", keys=("CHILD",), xml=None,
        parent=("ssda903_header", ("CHILD",)),
        description="Unaccompanied asylum-seeking children: one row per child who was UASC in the window.",
        columns=(_child(), _c("SEX", "code", "Sex.", codes=SEX_903), _dob(),
                 _c("DUC", "date", "Date UASC status ceased; blank while UASC (DfE 104).", nullable=True)),
        rules=("`CHILD` is unique.",),
    ),
    ReturnTable(
        name="ssda903_reviews", source=SSDA903, key="REVIEW", keys=("CHILD", "REVIEW"), xml="AREVIEW",
        parent=("ssda903_header", ("CHILD",)),
        description="One row per statutory review of a child looked after.",
        columns=(_child(), _dob(), _c("REVIEW", "date", "Date of the review."),
                 _c("REVIEW_CODE", "code", "Participation of the child (DfE 167).", codes=REVIEW_CODE, example="PN1")),
        rules=("A review is held while the child is looked after.",),
    ),
    ReturnTable(
        name="ssda903_oc2", source=SSDA903, key="CHILD", keys=("CHILD",), xml="OC2",
        parent=("ssda903_header", ("CHILD",)),
        description="Outcomes of children looked after for 12 months at 31 March (latest collection year).",
        columns=(_child(), _dob(), _c("SDQ_SCORE", "int", "Strengths and difficulties score (0-40).", nullable=True),
                 _c("SDQ_REASON", "code", "Why no SDQ score (DfE 196).", nullable=True, codes=SDQ_REASON),
                 _c("CONVICTED", "code", "Convicted during the year.", codes=YES_NO_01),
                 _c("HEALTH_CHECK", "code", "Health assessment up to date.", codes=YES_NO_01),
                 _c("IMMUNISATIONS", "code", "Immunisations up to date.", codes=YES_NO_01),
                 _c("TEETH_CHECK", "code", "Teeth checked by a dentist.", codes=YES_NO_01),
                 _c("HEALTH_ASSESSMENT", "code", "Annual health assessment.", codes=YES_NO_01),
                 _c("SUBSTANCE_MISUSE", "code", "Identified as having a substance misuse problem.", codes=YES_NO_01),
                 _c("INTERVENTION_RECEIVED", "code", "Received an intervention.", nullable=True, codes=YES_NO_01),
                 _c("INTERVENTION_OFFERED", "code", "Offered an intervention.", nullable=True, codes=YES_NO_01)),
        rules=("`CHILD` is unique.",),
    ),
    ReturnTable(
        name="ssda903_oc3", source=SSDA903, key="CHILD", keys=("CHILD",), xml="OC3",
        parent=("ssda903_header", ("CHILD",)),
        description="Care leavers around their birthday in the latest collection year.",
        columns=(_child(), _dob(), _c("IN_TOUCH", "code", "In touch (DfE 131).", codes=IN_TOUCH, example="YES"),
                 _c("ACTIV", "code", "Main activity (DfE 132).", codes=ACTIVITY, example="F2"),
                 _c("ACCOM", "code", "Accommodation and its suitability.", codes=ACCOMMODATION, example="U1")),
        rules=("`CHILD` is unique.",),
    ),
    ReturnTable(
        name="ssda903_ad1", source=SSDA903, key="CHILD", keys=("CHILD",), xml="AD1",
        parent=("ssda903_header", ("CHILD",)),
        description="Adoption details of children adopted in the window (AD1).",
        columns=(_child(), _dob(),
                 _c("DATE_INT", "date", "Date of the decision that the child should be placed for adoption (DfE 112)."),
                 _c("DATE_MATCH", "date", "Date the child was matched with prospective adopters (DfE 113)."),
                 _c("FOSTER_CARE", "code", "Adopted by former foster carers (DfE 114).", codes=YES_NO_01),
                 _c("NB_ADOPTR", "code", "Number of adopters (DfE 175).", codes={"1": "One", "2": "Two"}),
                 _c("SEX_ADOPTR", "code", "Sex of adopters (DfE 176).", codes=SEX_ADOPTR),
                 _c("LS_ADOPTR", "code", "Legal status of adopters (DfE 177).", codes=LS_ADOPTR)),
        rules=("`CHILD` is unique.", "`DATE_MATCH` is not before `DATE_INT`."),
    ),
    ReturnTable(
        name="ssda903_placed_adoption", source=SSDA903, key="DATE_PLACED", keys=("CHILD", "DATE_PLACED"),
        xml="AD_PLACED", parent=("ssda903_header", ("CHILD",)),
        description="Decisions that a child should be placed for adoption, and their reversal.",
        columns=(_child(), _dob(), _c("DATE_PLACED", "date", "Date of the decision (DfE 115)."),
                 _c("DATE_PLACED_CEASED", "date", "Date the decision was reversed (DfE 116).", nullable=True),
                 _c("REASON_PLACED_CEASED", "code", "Why (DfE 120).", nullable=True, codes=REASON_PLACED_CEASED)),
        rules=("A reversal has both its date and its reason, or neither (DfE 119).",),
    ),
    ReturnTable(
        name="ssda903_missing", source=SSDA903, key="MIS_START", keys=("CHILD", "MIS_START"), xml="AMISSING",
        parent=("ssda903_header", ("CHILD",)),
        description="Episodes of a looked-after child missing or away from placement without authorisation.",
        columns=(_child(), _dob(), _c("MISSING", "code", "Missing or away (DfE 1006).", codes=MISSING, example="M"),
                 _c("MIS_START", "date", "Date the episode started."),
                 _c("MIS_END", "date", "Date it ended; blank while missing.", nullable=True)),
        rules=("`MIS_END` is not before `MIS_START`, nor after the extract date (DfE 571).",),
    ),
    ReturnTable(
        name="ssda903_prev_perm", source=SSDA903, key="CHILD", keys=("CHILD",), xml="PERMANENCE",
        parent=("ssda903_header", ("CHILD",)),
        description="Previous permanence of children who started to be looked after.",
        columns=(_child(), _dob(), _c("PREV_PERM", "code", "Previous permanence option (DfE 631).", codes=PREV_PERM),
                 _c("LA_PERM", "text", "LA that made the order.", nullable=True),
                 _c("DATE_PERM", "text", "Date of the order (as returned; may be partial).", nullable=True)),
        rules=("`CHILD` is unique.",),
    ),
)

_CHILD_REF = _c("child_id", "id", "The child: LAchildID of the CIN census or CHILD of the SSDA903.",
                pattern=CHILD_ID_PATTERN, example="SYNS000123")
_TEAM_REF = _c("team_id", "id", "The team (supplement table teams).", pattern=TEAM_PATTERN, example="CSWT-CAN")

SUPPLEMENT_TABLES = (
    ReturnTable(
        name="teams", source=SUPPLEMENT, key="team_id", keys=("team_id",),
        description="The council's teams and services: what the activity table lists and in which area.",
        columns=(_c("team_id", "id", "Team code.", unique=True, pattern=TEAM_PATTERN, example="CSWT-CAN"),
                 _c("team_name", "text", "Name as printed.", example="Canterbury CSWT"),
                 _c("team_type", "code", "Kind of team.", codes=TEAM_TYPES, example="CSWT"),
                 _c("area", "code", "SCS area, or COUNTY for county-wide services.", codes=AREAS, example="EAST"),
                 _c("service", "text", "Service the team belongs to (e.g. Disability Service), if any.",
                    nullable=True, example="Disability Service"),
                 _c("listed", "bool", "Whether the team has its own row in the activity table (Y/N); teams not "
                    "listed count in their area's and Kent's totals.", example="Y"),
                 _c("sort_order", "int", "Order of the team's row in the activity table.", example="7")),
        rules=("`team_id` is unique.",),
    ),
    ReturnTable(
        name="allocations", source=SUPPLEMENT, key="child_id", keys=("child_id", "start_date"),
        description="Which team (and social worker) holds each child's case, over time. A case open to a team "
                    "without a worker is unallocated.",
        columns=(_CHILD_REF, _TEAM_REF,
                 _c("worker_id", "text", "Pseudonymised worker; blank when the case is not allocated to a worker.",
                    nullable=True, pattern=r"^[A-Za-z0-9_\-]{2,20}$", example="W0412"),
                 _c("start_date", "date", "First day the team (and worker) held the case."),
                 _c("end_date", "date", "Last day the team (and worker) held the case; blank while current.",
                    nullable=True)),
        rules=("`end_date` is not before `start_date`.", "A child's allocations do not overlap.",
               "`team_id` is in teams."),
    ),
    ReturnTable(
        name="activities", source=SUPPLEMENT, key="child_id", keys=(),
        description="Dated activities the returns do not hold: visits, children seen at assessments and "
                    "enquiries, health, education and pathway plans, return interviews.",
        columns=(_CHILD_REF, _c("activity_type", "code", "Kind of activity.", codes=ACTIVITY_TYPES, example="CP_VISIT"),
                 _c("activity_date", "date", "When it happened; blank when it was due and has not happened.",
                    nullable=True),
                 _c("due_date", "date", "When it was due (visits to children on plans and in private fostering).",
                    nullable=True),
                 _c("related_date", "date", "Start of the event it belongs to: the assessment, enquiry, period of care "
                    "or missing episode.", nullable=True)),
        rules=("An activity has an `activity_date` or a `due_date`.",
               "ASSESSMENT_SEEN, S47_SEEN, IHA_REFERRAL and RETURN_INTERVIEW have a `related_date`."),
    ),
    ReturnTable(
        name="care_leaver_contacts", source=SUPPLEMENT, key="child_id", keys=("child_id", "contact_date"),
        description="Contacts with care leavers around their birthdays, coded as the SSDA903 OC3, dated so that "
                    "a rolling 12 months can be counted.",
        columns=(_CHILD_REF, _c("contact_date", "date", "Date of the birthday contact."),
                 _c("IN_TOUCH", "code", "In touch.", codes=IN_TOUCH),
                 _c("ACTIV", "code", "Main activity.", codes=ACTIVITY),
                 _c("ACCOM", "code", "Accommodation and its suitability.", codes=ACCOMMODATION)),
        rules=(),
    ),
    ReturnTable(
        name="private_fostering", source=SUPPLEMENT, key="arrangement_id", keys=("arrangement_id",),
        description="Private fostering arrangements notified to the council.",
        columns=(_c("arrangement_id", "id", "Arrangement identifier.", unique=True, pattern=CHILD_ID_PATTERN,
                    example="PF0012"), _CHILD_REF, _TEAM_REF,
                 _c("start_date", "date", "Start of the arrangement."),
                 _c("end_date", "date", "End; blank while current.", nullable=True)),
        rules=("`end_date` is not before `start_date`.", "`team_id` is in teams."),
    ),
    ReturnTable(
        name="placements", source=SUPPLEMENT, key="child_id", keys=("child_id", "DECOM"),
        description="Distance of each placement from the child's home, as the case system measures it from the "
                    "SSDA903 postcodes.",
        columns=(_CHILD_REF, _c("DECOM", "date", "Start of the SSDA903 episode the placement began with."),
                 _c("distance_miles", "number", "Distance from home to placement, miles; blank when not known.",
                    nullable=True, example="4.2")),
        rules=("`distance_miles` is 0 or more.",),
    ),
    ReturnTable(
        name="qa_audits", source=SUPPLEMENT, key="audit_id", keys=("audit_id",),
        description="Quality assurance audits: case file audits, child protection social work reports and "
                    "children in care care plans, with the grade given.",
        columns=(_c("audit_id", "id", "Audit identifier.", unique=True, pattern=r"^[A-Za-z0-9_\-]{2,20}$",
                    example="QA004512"), _TEAM_REF,
                 _c("audit_type", "code", "Kind of audit.", codes=AUDIT_TYPES, example="CASE_FILE"),
                 _c("due_date", "date", "When the audit was due."),
                 _c("completed_date", "date", "When it was completed; blank when not done.", nullable=True),
                 _c("grade", "code", "Grade given; blank when not completed.", nullable=True, codes=AUDIT_GRADES)),
        rules=("A grade is given if and only if the audit was completed.",),
    ),
    ReturnTable(
        name="staffing", source=SUPPLEMENT, key="team_id", keys=("month", "team_id"),
        description="Caseholding posts and who fills them, by team, at the end of each month.",
        columns=(_c("month", "month", "Month (YYYY-MM); figures are for its last working day.", example="2016-08"),
                 _TEAM_REF,
                 _c("posts_fte", "number", "Caseholding social work posts, full-time equivalent.", example="12.5"),
                 _c("permanent_qsw_fte", "number", "Posts filled by permanent qualified social workers (FTE)."),
                 _c("agency_fte", "number", "Posts filled by agency staff (FTE)."),
                 _c("social_worker_fte", "number", "Social workers holding cases (FTE): the divisor of average "
                    "caseloads."),
                 _c("fostering_households", "int", "Fostering households supervised (fostering teams only).",
                    required=False, nullable=True)),
        rules=("Filled posts do not exceed the posts (permanent + agency <= posts).", "`team_id` is in teams."),
    ),
)

TABLES: dict[str, ReturnTable] = {t.name: t for t in (*CIN_TABLES, *S903_TABLES, *SUPPLEMENT_TABLES)}
#: Tables every extract must hold (the others may be absent: an empty table is read instead).
REQUIRED_TABLES = ("cin_header", "cin_child", "cin_details", "ssda903_header", "ssda903_episodes", "teams",
                   "allocations")


def tables_of(source: str) -> list[str]:
    """Names of the tables of one return (``cin``, ``ssda903`` or ``supplement``), in contract order."""
    return [n for n, t in TABLES.items() if t.source == source]


def _checks(spec: ColumnSpec, extract_date: pd.Timestamp | None) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.codes is not None:
        checks.append(pa.Check.isin(list(spec.codes), error=f"code must be one of {', '.join(spec.codes)}"))
    if spec.pattern is not None:
        checks.append(pa.Check.str_matches(spec.pattern, error=f"must match {spec.pattern}"))
    if spec.kind in ("date", "month"):
        checks.append(pa.Check.ge(EARLIEST_DATE, error=f"date before {EARLIEST_DATE:%Y-%m-%d}"))
        if extract_date is not None:
            checks.append(pa.Check.le(extract_date, error=f"date after the extract date {extract_date:%Y-%m-%d}"))
    if spec.kind in ("int", "number"):
        checks.append(pa.Check.ge(0, error="must be 0 or more"))
    return checks


#: Date columns that may lie after the extract date (a target or due date is in the future).
FUTURE_DATES = {("cin_s47", "InitialCPCtarget"), ("activities", "due_date"), ("cin_child", "ExpectedPersonBirthDate")}


def table_schema(name: str, extract_date: pd.Timestamp | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a typed returns table.

    Parameters
    ----------
    name
        A table of :data:`TABLES`.
    extract_date
        When given, dates after it fail ("date after the extract date"), except targets and
        due dates (:data:`FUTURE_DATES`).
    """
    spec = TABLES[name]
    columns = {}
    for c in spec.columns:
        limit = None if (name, c.name) in FUTURE_DATES else extract_date
        columns[c.name] = pa.Column(KIND_DTYPES[c.kind], checks=_checks(c, limit), nullable=c.nullable,
                                    unique=c.unique, required=True, description=c.description)
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name=name)


def empty_table(name: str) -> pd.DataFrame:
    """A zero-row typed table with the contract's columns."""
    return pd.DataFrame({c.name: pd.Series(dtype=KIND_DTYPES[c.kind]) for c in TABLES[name].columns})


def data_dictionary_markdown() -> str:
    """The returns' data dictionary, as Markdown, generated from :data:`TABLES`."""
    kinds = {"month": "month (YYYY-MM)", "date": "date", "bool": "true/false (Y/N, 1/0)", "int": "whole number",
             "number": "number"}
    lines: list[str] = []
    for source in (CIN, SSDA903, SUPPLEMENT):
        lines += [f"### {RETURN_NAMES[source]}", ""]
        for name in tables_of(source):
            spec = TABLES[name]
            where = f" (XML element `{spec.xml}`)" if spec.xml else ""
            lines += [f"#### `{spec.name}`{where}", "", spec.description, "",
                      "| column | type | required column | blank allowed | description |", "|---|---|---|---|---|"]
            for c in spec.columns:
                codes = f" Codes: {', '.join(c.codes)}." if c.codes and len(c.codes) <= 12 else (
                    f" Codes: {len(c.codes)} DfE codes (see `contract.py`)." if c.codes else "")
                lines.append(f"| `{c.name}` | {kinds.get(c.kind, c.kind)} | {'yes' if c.required else 'no'} | "
                             f"{'yes' if c.nullable else 'no'} | {c.description}{codes} |")
            if spec.rules:
                lines += ["", "Rules: " + " ".join(spec.rules)]
            lines.append("")
    return "\n".join(lines)
