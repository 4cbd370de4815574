"""The DfE XML of the CIN census and the SSDA903: read into tables (with each element's line),
check against the schema, and write.

Reading is pure: :func:`parse` takes the bytes of a file (read by :mod:`ehps_lib.data.io`)
and returns its tree, parsed by lxml, which knows the line of every element; DTDs are refused
and entities never resolved (an XML file with a document type is not a return and could expand
without limit).

:func:`check_structure` compares the tree with the schema of the return (:data:`CIN_SCHEMA`,
:data:`SSDA903_SCHEMA`: which elements may appear where, how often, and in what order
does not matter): an unknown element, a required element that is missing or one repeated
beyond its limit is a ``schema`` problem naming the element's path and line.

:func:`cin_tables` and :func:`ssda903_tables` flatten a tree into the contract's tables as
text, one row per record, each with ``_row`` (the line of the record's element) and
``_element`` (its path, e.g. ``Child[12]/CINdetails[2]/Assessments[1]``), so every later
problem names the element it came from.

:func:`cin_xml` and :func:`ssda903_xml` write tables back as XML (used by the synthetic
generator).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .contract import TABLES


class XmlReturnError(ValueError):
    """A file that is not well-formed XML, or not a return; the message says where."""


def _local(name) -> str:
    """The element's name without a namespace (``{uri}Child`` → ``Child``); '' for comments."""
    return name.rsplit("}", 1)[-1] if isinstance(name, str) else ""


def parse(data: bytes, label: str = "file"):
    """Parse XML bytes with lxml (C speed, and the line of every element as ``sourceline``).

    Entities are not resolved, nothing is fetched from the network, comments and processing
    instructions are dropped, and a document type declaration is refused.

    Raises
    ------
    XmlReturnError
        When the bytes are not well-formed XML (naming the line and column) or carry a DTD.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
                             remove_pis=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        raise XmlReturnError(f"{label}: not well-formed XML at line {line}, column {col}: {exc.msg}") from exc
    if root.getroottree().docinfo.doctype:
        raise XmlReturnError(f"{label}: a document type declaration (DTD) is not allowed in a return")
    return root


def _children(el) -> list:
    return [c for c in el if isinstance(c.tag, str)]


def _text(el) -> str:
    return (el.text or "").strip()


# -- schemas --------------------------------------------------------------------------------------------
#: An element's allowed children: name → (minimum, maximum or None for unbounded, child schema or None
#: for a leaf). Order is not checked.
Schema = dict[str, tuple[int, int | None, "Schema | None"]]


def _leaves(*names: str, required: tuple[str, ...] = ()) -> Schema:
    return {n: (1 if n in required else 0, 1, None) for n in names}


_ASSESSMENT: Schema = {
    **_leaves("AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate",
              required=("AssessmentActualStartDate",)),
    "FactorsIdentifiedAtAssessment": (0, 1, {"AssessmentFactors": (0, None, None)}),
}
_CPP: Schema = {
    **_leaves("CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP",
              required=("CPPstartDate",)),
    "Reviews": (0, None, {"CPPreviewDate": (0, None, None)}),
}
_CIN_DETAILS: Schema = {
    **_leaves("CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
              "DateOfInitialCPC", "ReferralNFA", required=("CINreferralDate",)),
    "Assessments": (0, None, _ASSESSMENT),
    "CINPlanDates": (0, None, _leaves("CINPlanStartDate", "CINPlanEndDate", required=("CINPlanStartDate",))),
    "Section47": (0, None, _leaves("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")),
    "ChildProtectionPlans": (0, None, _CPP),
}
#: The CIN census: Message / Header, Children / Child / ChildIdentifiers, ChildCharacteristics, CINdetails.
CIN_SCHEMA: Schema = {
    "Header": (1, 1, {
        "CollectionDetails": (1, 1, _leaves("Collection", "Year", "ReferenceDate",
                                            required=("Collection", "Year", "ReferenceDate"))),
        "Source": (1, 1, _leaves("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime",
                                 required=("SourceLevel", "LEA"))),
    }),
    "Children": (1, 1, {"Child": (0, None, {
        "ChildIdentifiers": (1, 1, _leaves("LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate",
                                           "ExpectedPersonBirthDate", "Sex", "PersonDeathDate",
                                           required=("LAchildID",))),
        "ChildCharacteristics": (0, 1, {"Ethnicity": (0, 1, None),
                                        "Disabilities": (0, 1, {"Disability": (0, None, None)})}),
        "CINdetails": (0, None, _CIN_DETAILS),
    })}),
}
_903_HEADER_LEAVES = ("CHILDID", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB", "UASC", "DUC", "IN_TOUCH",
                      "ACTIV", "ACCOM", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
                      "LS_ADOPTR")
#: The SSDA903: a root (EXPSSDA903 or Message) of CHILD elements, each a HEADER and its EPISODEs.
SSDA903_SCHEMA: Schema = {"CHILD": (0, None, {
    "HEADER": (1, 1, {
        **_leaves(*_903_HEADER_LEAVES, required=("CHILDID",)),
        "AREVIEW": (0, None, _leaves("REVIEW", "REVIEW_CODE", required=("REVIEW",))),
        "AMISSING": (0, None, _leaves("MISSING", "MIS_START", "MIS_END", required=("MIS_START",))),
        "OC2": (0, 1, _leaves("SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                              "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                              "INTERVENTION_OFFERED")),
        "PERMANENCE": (0, 1, _leaves("PREV_PERM", "LA_PERM", "DATE_PERM")),
        "AD_PLACED": (0, None, _leaves("DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED",
                                       required=("DATE_PLACED",))),
    }),
    "EPISODE": (0, None, _leaves("DECOM", "RNE", "LS", "CIN", "PL", "PLACE_PROVIDER", "DEC", "REC",
                                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN", required=("DECOM",))),
})}
SSDA903_ROOTS = ("EXPSSDA903", "Message", "SSDA903")


def kind_of(root) -> str | None:
    """``cin`` or ``ssda903`` from a parsed file's root, or None when it is neither."""
    tags = [_local(c.tag) for c in _children(root)]
    if _local(root.tag) == "Message" and "Header" in tags and "Children" in tags:
        return "cin"
    if _local(root.tag) in SSDA903_ROOTS and (not tags or tags[0] == "CHILD"):
        return "ssda903"
    return None


@dataclass(frozen=True)
class StructureProblem:
    """An element that breaks the schema: where (path and line) and what."""

    path: str
    line: int
    element: str
    message: str


def check_structure(root, schema: Schema) -> list[StructureProblem]:
    """Every place the tree breaks the schema: unknown elements, missing required elements,
    elements repeated beyond their limit, and a value where elements were expected.

    Examples
    --------
    >>> tree = parse(b"<Message><Header/><Children><Child><Oops/></Child></Children></Message>")
    >>> [p.message for p in check_structure(tree, CIN_SCHEMA)][:2]  # doctest: +NORMALIZE_WHITESPACE
    ['required element CollectionDetails is missing from Header',
     'required element Source is missing from Header']
    """
    out: list[StructureProblem] = []

    def name(tag) -> str:
        return tag if "}" not in tag else tag.rsplit("}", 1)[-1]

    def walk(node, rules: Schema, path: str) -> None:
        counts: dict[str, int] = {}
        for child in node:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if "}" in tag:
                tag = name(tag)
            n = counts[tag] = counts.get(tag, 0) + 1
            rule = rules.get(tag)
            if rule is None:
                allowed = ", ".join(rules) or "no elements"
                out.append(StructureProblem(f"{path}/{tag}[{n}]".lstrip("/"), child.sourceline or 0, tag,
                                            f"unexpected element {tag} in {name(node.tag)} (allowed: {allowed})"))
                continue
            hi, sub = rule[1], rule[2]
            if hi is not None and n == hi + 1:
                out.append(StructureProblem(f"{path}/{tag}[{n}]".lstrip("/"), child.sourceline or 0, tag,
                                            f"{tag} appears more than {hi} time(s) in {name(node.tag)}"))
            if sub is not None:
                walk(child, sub, f"{path}/{tag}[{n}]")
            elif len(child):
                out.append(StructureProblem(f"{path}/{tag}[{n}]".lstrip("/"), child.sourceline or 0, tag,
                                            f"{tag} holds a value, not elements"))
        for tag, (lo, _hi, _sub) in rules.items():
            if lo and counts.get(tag, 0) < lo:
                out.append(StructureProblem(path.lstrip("/") or name(node.tag), node.sourceline or 0, tag,
                                            f"required element {tag} is missing from {name(node.tag)}"))

    walk(root, schema, "")
    return out


# -- flattening -------------------------------------------------------------------------------------------
def _leafs(node) -> dict[str, str]:
    """An element's child elements' texts by name (the first of each name)."""
    out: dict[str, str] = {}
    if node is None:
        return out
    for c in node:
        tag = c.tag
        if isinstance(tag, str) and tag not in out and not len(c):
            t = (c.text or "").strip()
            out[tag] = t
    return out


def _values(leafs: dict, names) -> dict[str, str | None]:
    return {n: (leafs.get(n) or None) for n in names}


def _find(node, tag: str):
    if node is None:
        return None
    for c in node:
        if c.tag == tag:
            return c
    return None


def _findall(node, tag: str) -> list:
    return [] if node is None else [c for c in node if c.tag == tag]


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    cols = [c.name for c in TABLES[table].columns] + ["_row", "_element"]
    frame = pd.DataFrame(rows, columns=cols)
    for c in cols:
        frame[c] = frame[c].astype("string") if c != "_row" else frame[c].astype("Int64")
    return frame


def cin_tables(root) -> dict[str, pd.DataFrame]:
    """The CIN census tables, as text, from a parsed file (see the module docstring)."""
    rows: dict[str, list[dict]] = {n: [] for n in TABLES if n.startswith("cin_")}
    header = _find(root, "Header")
    if header is not None:
        values = {**_values(_leafs(_find(header, "CollectionDetails")), ("Collection", "Year", "ReferenceDate")),
                  **_values(_leafs(_find(header, "Source")), ("SourceLevel", "LEA", "SoftwareCode", "Release",
                                                               "SerialNo", "DateTime"))}
        rows["cin_header"].append({**values, "_row": header.sourceline, "_element": "Header[1]"})
    ident_cols = ("LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex",
                  "PersonDeathDate")
    det_cols = ("CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
                "DateOfInitialCPC", "ReferralNFA")
    for ci, child in enumerate(_findall(_find(root, "Children"), "Child"), start=1):
        cpath = f"Children[1]/Child[{ci}]"
        ids = _values(_leafs(_find(child, "ChildIdentifiers")), ident_cols)
        chars = _find(child, "ChildCharacteristics")
        la = ids["LAchildID"]
        rows["cin_child"].append({**ids, **_values(_leafs(chars), ("Ethnicity",)), "_row": child.sourceline,
                                  "_element": cpath})
        for di, d in enumerate(_findall(_find(chars, "Disabilities"), "Disability"), start=1):
            rows["cin_disability"].append({"LAchildID": la, "Disability": _text(d) or None, "_row": d.sourceline,
                                           "_element": f"{cpath}/ChildCharacteristics[1]/Disabilities[1]"
                                                       f"/Disability[{di}]"})
        for ei, det in enumerate(_findall(child, "CINdetails"), start=1):
            epath = f"{cpath}/CINdetails[{ei}]"
            key = {"LAchildID": la, "CINdetailsID": str(ei)}
            rows["cin_details"].append({**key, **_values(_leafs(det), det_cols), "_row": det.sourceline,
                                        "_element": epath})
            counts = {"Assessments": 0, "CINPlanDates": 0, "Section47": 0, "ChildProtectionPlans": 0}
            for block in det:
                tag = block.tag
                if tag not in counts:
                    continue
                counts[tag] += 1
                n = counts[tag]
                bpath = f"{epath}/{tag}[{n}]"
                leafs = _leafs(block)
                if tag == "Assessments":
                    akey = {**key, "AssessmentID": str(n)}
                    rows["cin_assessment"].append({**akey, **_values(leafs, ("AssessmentActualStartDate",
                                                                             "AssessmentInternalReviewDate",
                                                                             "AssessmentAuthorisationDate")),
                                                   "_row": block.sourceline, "_element": bpath})
                    for fi, f in enumerate(_findall(_find(block, "FactorsIdentifiedAtAssessment"), "AssessmentFactors"),
                                           start=1):
                        rows["cin_assessment_factor"].append({**akey, "AssessmentFactors": _text(f) or None,
                                                              "_row": f.sourceline, "_element": f"{bpath}/"
                                                              f"FactorsIdentifiedAtAssessment[1]/AssessmentFactors[{fi}]"})
                elif tag == "CINPlanDates":
                    rows["cin_plan"].append({**key, **_values(leafs, ("CINPlanStartDate", "CINPlanEndDate")),
                                             "_row": block.sourceline, "_element": bpath})
                elif tag == "Section47":
                    rows["cin_s47"].append({**key, **_values(leafs, ("S47ActualStartDate", "InitialCPCtarget",
                                                                     "DateOfInitialCPC", "ICPCnotRequired")),
                                            "_row": block.sourceline, "_element": bpath})
                else:
                    pkey = {**key, "CPPID": str(n)}
                    rows["cin_cpp"].append({**pkey, **_values(leafs, ("CPPstartDate", "CPPendDate",
                                                                      "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
                                                                      "NumberOfPreviousCPP")),
                                            "_row": block.sourceline, "_element": bpath})
                    ri = 0
                    for rev in _findall(block, "Reviews"):
                        for r in _findall(rev, "CPPreviewDate"):
                            ri += 1
                            rows["cin_cpp_review"].append({**pkey, "CPPreviewDate": _text(r) or None,
                                                           "_row": r.sourceline,
                                                           "_element": f"{bpath}/Reviews/CPPreviewDate[{ri}]"})
    return {name: _frame(name, r) for name, r in rows.items()}


_903_SUB = {"AREVIEW": ("ssda903_reviews", ("REVIEW", "REVIEW_CODE")),
            "AMISSING": ("ssda903_missing", ("MISSING", "MIS_START", "MIS_END")),
            "OC2": ("ssda903_oc2", ("SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                                    "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                                    "INTERVENTION_OFFERED")),
            "PERMANENCE": ("ssda903_prev_perm", ("PREV_PERM", "LA_PERM", "DATE_PERM")),
            "AD_PLACED": ("ssda903_placed_adoption", ("DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"))}
_EPISODE = ("DECOM", "RNE", "LS", "CIN", "PL", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST",
            "PL_POST", "URN")


def ssda903_tables(root) -> dict[str, pd.DataFrame]:
    """The SSDA903 tables, as text, from a parsed file (elements as D2I's reader maps them:
    ``CHILDID`` is ``CHILD``, ``PL`` is ``PLACE``; UASC, OC3 and AD1 fields sit in HEADER)."""
    rows: dict[str, list[dict]] = {n: [] for n in TABLES if n.startswith("ssda903_")}
    for ci, child in enumerate(_findall(root, "CHILD"), start=1):
        cpath = f"CHILD[{ci}]"
        head = _find(child, "HEADER")
        h = _values(_leafs(head), _903_HEADER_LEAVES)
        base = {"CHILD": h["CHILDID"], "DOB": h["DOB"]}
        hpath = f"{cpath}/HEADER[1]"
        line = head.sourceline if head is not None else child.sourceline
        rows["ssda903_header"].append({"CHILD": h["CHILDID"], "SEX": h["SEX"], "DOB": h["DOB"], "ETHNIC": h["ETHNIC"],
                                       "UPN": h["UPN"], "MOTHER": h["MOTHER"], "MC_DOB": h["MC_DOB"], "_row": line,
                                       "_element": hpath})
        if h["UASC"] in ("1", "true", "True") or h["DUC"] is not None:
            rows["ssda903_uasc"].append({**base, "SEX": h["SEX"], "DUC": h["DUC"], "_row": line, "_element": hpath})
        if h["IN_TOUCH"] is not None:
            rows["ssda903_oc3"].append({**base, "IN_TOUCH": h["IN_TOUCH"], "ACTIV": h["ACTIV"], "ACCOM": h["ACCOM"],
                                        "_row": line, "_element": hpath})
        if h["DATE_INT"] is not None or h["DATE_MATCH"] is not None:
            rows["ssda903_ad1"].append({**base, **{k: h[k] for k in ("DATE_INT", "DATE_MATCH", "FOSTER_CARE",
                                                                       "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")},
                                        "_row": line, "_element": hpath})
        counts: dict[str, int] = {}
        for node in (head if head is not None else []):
            sub = _903_SUB.get(node.tag)
            if sub is None:
                continue
            counts[node.tag] = counts.get(node.tag, 0) + 1
            table, names = sub
            rows[table].append({**base, **_values(_leafs(node), names), "_row": node.sourceline,
                                "_element": f"{hpath}/{node.tag}[{counts[node.tag]}]"})
        for ei, ep in enumerate(_findall(child, "EPISODE"), start=1):
            v = _values(_leafs(ep), _EPISODE)
            v["PLACE"] = v.pop("PL")
            rows["ssda903_episodes"].append({"CHILD": h["CHILDID"], **v, "_row": ep.sourceline,
                                             "_element": f"{cpath}/EPISODE[{ei}]"})
    return {name: _frame(name, r) for name, r in rows.items()}


# -- writing ------------------------------------------------------------------------------------------------
def _el(tag: str, value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    return f"<{tag}>{escape(str(value))}</{tag}>"


class _Rows:
    """Fast access to a table's rows by key: column arrays and, per key, the row positions."""

    def __init__(self, frame: pd.DataFrame | None, keys: list[str]):
        self.empty = frame is None or frame.empty
        if self.empty:
            self.cols, self.index = {}, {}
            return
        self.cols = {c: frame[c].astype(object).where(frame[c].notna(), None).to_numpy() for c in frame.columns}
        self.index = frame.groupby(keys if len(keys) > 1 else keys[0], sort=False).indices

    def get(self, key) -> np.ndarray:
        return self.index.get(key, np.empty(0, dtype=np.int64))

    def __call__(self, col: str, i: int):
        return self.cols[col][i]


def cin_xml(tables: dict[str, pd.DataFrame], header: dict[str, str]) -> bytes:
    """The CIN census XML of tables as text (``cin_child``, ``cin_details``, ...), in the DfE's
    element order; ``header`` gives Collection, Year, ReferenceDate, SourceLevel, LEA and
    SoftwareCode. Rows are written in the order the tables hold them."""
    det = _Rows(tables["cin_details"], ["LAchildID"])
    dis = _Rows(tables.get("cin_disability"), ["LAchildID"])
    sub = {name: _Rows(tables.get(name), ["LAchildID", "CINdetailsID"])
           for name in ("cin_assessment", "cin_plan", "cin_s47", "cin_cpp")}
    factors = _Rows(tables.get("cin_assessment_factor"), ["LAchildID", "CINdetailsID", "AssessmentID"])
    reviews = _Rows(tables.get("cin_cpp_review"), ["LAchildID", "CINdetailsID", "CPPID"])
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<Message>", "<Header><CollectionDetails>"
           + "".join(_el(k, header.get(k)) for k in ("Collection", "Year", "ReferenceDate"))
           + "</CollectionDetails><Source>"
           + "".join(_el(k, header.get(k)) for k in ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo",
                                                      "DateTime"))
           + "</Source></Header>", "<Children>"]
    child = _Rows(tables["cin_child"], ["LAchildID"])
    ident = ("LAchildID", "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate", "Sex",
             "PersonDeathDate")
    for i in range(len(tables["cin_child"])):
        la = child("LAchildID", i)
        parts = ["<Child><ChildIdentifiers>", *(_el(k, child(k, i)) for k in ident),
                 "</ChildIdentifiers><ChildCharacteristics>", _el("Ethnicity", child("Ethnicity", i))]
        d_rows = dis.get(la)
        if len(d_rows):
            parts.append("<Disabilities>" + "".join(_el("Disability", dis("Disability", j)) for j in d_rows)
                         + "</Disabilities>")
        parts.append("</ChildCharacteristics>")
        for j in det.get(la):
            k = (la, det("CINdetailsID", j))
            parts.append("<CINdetails>" + "".join(_el(c, det(c, j)) for c in (
                "CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
                "DateOfInitialCPC")))
            a = sub["cin_assessment"]
            for x in a.get(k):
                parts.append("<Assessments>" + "".join(_el(c, a(c, x)) for c in (
                    "AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate")))
                f_rows = factors.get((*k, a("AssessmentID", x)))
                if len(f_rows):
                    parts.append("<FactorsIdentifiedAtAssessment>" + "".join(
                        _el("AssessmentFactors", factors("AssessmentFactors", y)) for y in f_rows)
                        + "</FactorsIdentifiedAtAssessment>")
                parts.append("</Assessments>")
            pl = sub["cin_plan"]
            for x in pl.get(k):
                parts.append("<CINPlanDates>" + _el("CINPlanStartDate", pl("CINPlanStartDate", x))
                             + _el("CINPlanEndDate", pl("CINPlanEndDate", x)) + "</CINPlanDates>")
            s47 = sub["cin_s47"]
            for x in s47.get(k):
                parts.append("<Section47>" + "".join(_el(c, s47(c, x)) for c in (
                    "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")) + "</Section47>")
            parts.append(_el("ReferralNFA", det("ReferralNFA", j)))
            cpp = sub["cin_cpp"]
            for x in cpp.get(k):
                parts.append("<ChildProtectionPlans>" + "".join(_el(c, cpp(c, x)) for c in (
                    "CPPstartDate", "CPPendDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse",
                    "NumberOfPreviousCPP")))
                r_rows = reviews.get((*k, cpp("CPPID", x)))
                if len(r_rows):
                    parts.append("<Reviews>" + "".join(_el("CPPreviewDate", reviews("CPPreviewDate", y))
                                                       for y in r_rows) + "</Reviews>")
                parts.append("</ChildProtectionPlans>")
            parts.append("</CINdetails>")
        parts.append("</Child>")
        out.append("".join(parts))
    out += ["</Children>", "</Message>", ""]
    return "\n".join(out).encode("utf-8")


def ssda903_xml(tables: dict[str, pd.DataFrame]) -> bytes:
    """The SSDA903 XML (root ``EXPSSDA903``) of the 903 tables as text."""
    by = {name: _Rows(tables.get(name), ["CHILD"]) for name in (
        "ssda903_episodes", "ssda903_reviews", "ssda903_missing", "ssda903_oc2", "ssda903_prev_perm",
        "ssda903_placed_adoption", "ssda903_uasc", "ssda903_oc3", "ssda903_ad1")}
    head = _Rows(tables["ssda903_header"], ["CHILD"])
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<EXPSSDA903>"]
    nested = (("ssda903_reviews", "AREVIEW", ("REVIEW", "REVIEW_CODE")),
              ("ssda903_missing", "AMISSING", ("MISSING", "MIS_START", "MIS_END")),
              ("ssda903_oc2", "OC2", ("SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                                      "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                                      "INTERVENTION_OFFERED")),
              ("ssda903_prev_perm", "PERMANENCE", ("PREV_PERM", "LA_PERM", "DATE_PERM")),
              ("ssda903_placed_adoption", "AD_PLACED", ("DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")))
    for i in range(len(tables["ssda903_header"])):
        c = head("CHILD", i)
        parts = ["<CHILD><HEADER>", _el("CHILDID", c)]
        parts += [_el(k, head(k, i)) for k in ("SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB")]
        for name, fields in (("ssda903_uasc", ("DUC",)), ("ssda903_oc3", ("IN_TOUCH", "ACTIV", "ACCOM")),
                             ("ssda903_ad1", ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR",
                                              "LS_ADOPTR"))):
            rows = by[name].get(c)
            if len(rows):
                if name == "ssda903_uasc":
                    parts.append(_el("UASC", "1"))
                parts += [_el(f, by[name](f, rows[0])) for f in fields]
        for table, tag, names in nested:
            t = by[table]
            for x in t.get(c):
                parts.append(f"<{tag}>" + "".join(_el(n, t(n, x)) for n in names) + f"</{tag}>")
        parts.append("</HEADER>")
        e = by["ssda903_episodes"]
        for x in e.get(c):
            parts.append("<EPISODE>" + "".join(_el("PL" if n == "PLACE" else n, e(n, x)) for n in (
                "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE",
                "HOME_POST", "PL_POST", "URN")) + "</EPISODE>")
        parts.append("</CHILD>")
        out.append("".join(parts))
    out += ["</EXPSSDA903>", ""]
    return "\n".join(out).encode("utf-8")
