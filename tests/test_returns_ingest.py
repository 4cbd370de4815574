"""Ingest of the statutory returns (CIN census XML, SSDA903 tables) and the local supplement.

A tiny set of returns is written here by hand, as a council's case system exports them: two
children, one on a child protection plan, one looked after. Each test breaks one thing and
checks that ingest names the file, the element or row, the column and the rule, quarantines
what is wrong and publishes only when little is.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ehps_lib.data import io
from ehps_lib.data.returns import contract, xml
from ehps_lib.data.returns.ingest import assign_table, ingest_returns

CIN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Message>
<Header><CollectionDetails><Collection>CIN</Collection><Year>2017</Year><ReferenceDate>2016-08-31</ReferenceDate></CollectionDetails><Source><SourceLevel>L</SourceLevel><LEA>886</LEA></Source></Header>
<Children>
<Child>
<ChildIdentifiers><LAchildID>SYNS000001</LAchildID><UPN>A999000000001</UPN><PersonBirthDate>2010-05-04</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>
<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
<CINdetails>
<CINreferralDate>2016-03-01</CINreferralDate><ReferralSource>6</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>
<Assessments><AssessmentActualStartDate>2016-03-02</AssessmentActualStartDate><AssessmentAuthorisationDate>2016-04-20</AssessmentAuthorisationDate><FactorsIdentifiedAtAssessment><AssessmentFactors>2A</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>
<Section47><S47ActualStartDate>2016-03-03</S47ActualStartDate><DateOfInitialCPC>2016-03-22</DateOfInitialCPC><ICPCnotRequired>false</ICPCnotRequired></Section47>
<ChildProtectionPlans><CPPstartDate>2016-03-22</CPPstartDate><InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>NEG</LatestCategoryOfAbuse><NumberOfPreviousCPP>0</NumberOfPreviousCPP><Reviews><CPPreviewDate>2016-06-20</CPPreviewDate></Reviews></ChildProtectionPlans>
<ReferralNFA>false</ReferralNFA>
</CINdetails>
</Child>
<Child>
<ChildIdentifiers><LAchildID>SYNS000002</LAchildID><UPN>B999000000002</UPN><PersonBirthDate>2004-11-12</PersonBirthDate><Sex>M</Sex></ChildIdentifiers>
<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
<CINdetails>
<CINreferralDate>2016-01-05</CINreferralDate><ReferralSource>2A</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>
<Assessments><AssessmentActualStartDate>2016-01-05</AssessmentActualStartDate><AssessmentAuthorisationDate>2016-02-10</AssessmentAuthorisationDate></Assessments>
<ReferralNFA>false</ReferralNFA>
</CINdetails>
</Child>
</Children>
</Message>
"""

CSV = {
    "ssda903_Header.csv": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nSYNS000002,1,12/11/2004,WBRI,B999000000002,,\n",
    "ssda903_Episodes.csv": (
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "SYNS000002,10/01/2016,S,C2,N1,U4,PR1,14/03/2016,X1,,ME14 4,TN23 6,\n"
        "SYNS000002,14/03/2016,P,C2,N1,U1,PR1,,,CARPL,ME14 4,ME15 6,\n"),
    "supplement_teams.csv": ("team_id,team_name,team_type,area,service,listed,sort_order\n"
                             "CSWT-X,Somewhere CSWT,CSWT,NORTH,,Y,1\nCIC-X,Somewhere CIC,CIC,NORTH,,Y,2\n"),
    "supplement_allocations.csv": ("child_id,team_id,worker_id,start_date,end_date\n"
                                   "SYNS000001,CSWT-X,W001,2016-03-01,\n"
                                   "SYNS000002,CSWT-X,W002,2016-01-05,2016-02-29\n"
                                   "SYNS000002,CIC-X,W003,2016-03-01,\n"),
    "supplement_activities.csv": ("child_id,activity_type,activity_date,due_date,related_date\n"
                                  "SYNS000001,CP_VISIT,2016-08-22,,\n"),
}


def write_tiny(folder: Path, cin: str = CIN_XML, **replace: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cin_census.xml").write_text(cin, encoding="utf-8")
    for name, text in {**CSV, **replace}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def line_of(text: str, needle: str) -> int:
    """The line (1-based) of the first line of ``text`` containing ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def problems_of(result, rule: str) -> pd.DataFrame:
    return result.problems[result.problems["rule"] == rule]


def test_tiny_returns_are_published_with_their_manifest(tmp_path):
    result = ingest_returns([write_tiny(tmp_path / "in")], data_dir=tmp_path / "data")
    assert result.published, result.summary()
    assert not (result.problems["severity"] == "error").any(), result.summary()
    assert str(result.extract_date) == "2016-08-31"  # the CIN header's ReferenceDate
    assert result.synthetic  # SYN identifiers
    assert result.counts["cin_details"] == {"read": 2, "valid": 2, "rejected": 0}
    assert result.counts["ssda903_episodes"]["valid"] == 2
    tables, manifest = io.read_returns(tmp_path / "data")
    assert set(contract.TABLES) <= set(tables)
    assert tables["cin_cpp"]["CPPstartDate"].iloc[0] == pd.Timestamp("2016-03-22")
    assert tables["cin_assessment_factor"]["AssessmentFactors"].tolist() == ["2A"]
    assert manifest["extract_date"] == "2016-08-31" and manifest["synthetic"] is True
    # the DfE rules the indicators depend on were applied, by their numbers
    for code in ("8525", "8565", "8606", "8608", "8610", "8615", "8630", "8863Q", "148", "142", "388"):
        assert code in manifest["rules_applied"], code
    assert "rows validated against" in result.summary()


def test_a_schema_violation_names_file_element_line_and_stops_publication(tmp_path):
    data = tmp_path / "data"
    assert ingest_returns([write_tiny(tmp_path / "good")], data_dir=data).published
    before = (io.returns_processed_dir(data) / io.PROCESSED_MANIFEST).read_text()
    bad = CIN_XML.replace("<PrimaryNeedCode>N1</PrimaryNeedCode>\n<Assessments><AssessmentActualStartDate>2016-01-05",
                          "<PrimaryNeedCode>N1</PrimaryNeedCode><PrimaryNeed>N1</PrimaryNeed>\n"
                          "<Assessments><AssessmentActualStartDate>2016-01-05")
    assert bad != CIN_XML
    result = ingest_returns([write_tiny(tmp_path / "bad", cin=bad)], data_dir=data)
    assert not result.published
    found = problems_of(result, "schema")
    assert len(found) == 1, result.summary()
    p = found.iloc[0]
    assert p["file"] == "cin_census.xml"
    assert p["element"] == "Message/Children[1]/Child[2]/CINdetails[1]/PrimaryNeed[1]" or \
        p["element"].endswith("Child[2]/CINdetails[1]/PrimaryNeed[1]")
    assert int(p["row"]) == line_of(bad, "<PrimaryNeed>")
    assert "unexpected element PrimaryNeed in CINdetails" in p["message"]
    assert "NOT published" in result.decision
    # the previous publication is left exactly as it was
    assert (io.returns_processed_dir(data) / io.PROCESSED_MANIFEST).read_text() == before


def test_a_missing_required_value_rejects_the_child_naming_its_line_and_element(tmp_path):
    # structure (unknown, repeated or missing container elements) is a schema problem that stops
    # everything; a missing value of a child is the contract's problem: that child is quarantined
    bad = CIN_XML.replace("<Sex>M</Sex>", "")
    result = ingest_returns([write_tiny(tmp_path / "in", cin=bad)], data_dir=tmp_path / "data", max_reject_share=1)
    found = problems_of(result, "not_null")
    assert len(found) == 1, result.summary()
    p = found.iloc[0]
    assert (p["file"], p["table"], p["column"]) == ("cin_census.xml", "cin_child", "Sex")
    assert p["element"].endswith("Child[2]")
    assert int(p["row"]) == [i for i, line in enumerate(bad.splitlines(), start=1) if line == "<Child>"][1]
    # the child's episode and assessment go with it, each saying which row it depended on
    parents = problems_of(result, "parent")
    assert sorted(parents["table"]) == ["cin_assessment", "cin_details"]
    assert "its cin_child row (LAchildID SYNS000002) was rejected" in parents.iloc[0]["message"]
    assert result.published and result.counts["cin_child"]["valid"] == 1


def test_a_dfe_rule_on_the_cin_census_names_the_line_and_element(tmp_path):
    # 8630: the CIN closure date is before the referral date, on the second child's episode
    bad = CIN_XML.replace("<CINreferralDate>2016-01-05</CINreferralDate>",
                          "<CINreferralDate>2016-01-05</CINreferralDate><CINclosureDate>2015-12-01</CINclosureDate>"
                          "<ReasonForClosure>RC8</ReasonForClosure>")
    result = ingest_returns([write_tiny(tmp_path / "in", cin=bad)], data_dir=tmp_path / "data", max_reject_share=1)
    found = problems_of(result, "8630")
    assert len(found) == 1, result.summary()
    p = found.iloc[0]
    assert (p["file"], p["table"], p["column"]) == ("cin_census.xml", "cin_details", "CINclosureDate")
    assert p["element"].endswith("Child[2]/CINdetails[1]")
    assert int(p["row"]) == [i for i, line in enumerate(bad.splitlines(), start=1) if line == "<CINdetails>"][1]
    assert p["value"] == "2015-12-01"
    # the episode is quarantined, and so is its assessment (here by rule 8565: after the closure)
    assert result.counts["cin_details"]["rejected"] == 1
    assert result.counts["cin_assessment"]["rejected"] == 1
    assert set(problems_of(result, "8565")["column"]) == {"AssessmentActualStartDate", "AssessmentAuthorisationDate"}
    quarantine = io.returns_dir(tmp_path / "data") / "quarantine"
    rejected = pd.read_csv(quarantine / "cin_details.csv", dtype=str)
    assert rejected["LAchildID"].tolist() == ["SYNS000002"] and "8630" in rejected["_reasons"].iloc[0]


def test_a_rule_on_an_ssda903_csv_names_the_row_column_and_rule(tmp_path):
    episodes = CSV["ssda903_Episodes.csv"].replace("10/01/2016,S,C2,N1,U4,PR1,14/03/2016",
                                                    "10/01/2016,S,C2,N1,U4,PR1,14/12/2015")
    result = ingest_returns([write_tiny(tmp_path / "in", **{"ssda903_Episodes.csv": episodes})],
                            data_dir=tmp_path / "data", max_reject_share=1)
    found = problems_of(result, "dec_after_decom")
    assert len(found) == 1, result.summary()
    p = found.iloc[0]
    assert (p["file"], p["table"], int(p["row"]), p["column"]) == ("ssda903_Episodes.csv", "ssda903_episodes", 2,
                                                                    "DEC")
    assert pd.isna(p["element"])
    assert "row 2, DEC = '14/12/2015' [dec_after_decom]" in result.summary()  # the value as written


def test_a_value_that_is_not_a_date_is_a_type_problem_naming_row_column_and_value(tmp_path):
    alloc = CSV["supplement_allocations.csv"].replace("2016-03-01,\n", "2016-13-45,\n", 1)
    result = ingest_returns([write_tiny(tmp_path / "in", **{"supplement_allocations.csv": alloc})],
                            data_dir=tmp_path / "data", max_reject_share=1)
    bad = result.problems[(result.problems["table"] == "allocations") & (result.problems["severity"] == "error")]
    assert len(bad) == 1, result.summary()
    p = bad.iloc[0]
    assert (p["file"], int(p["row"]), p["column"], p["value"]) == ("supplement_allocations.csv", 2, "start_date",
                                                                   "2016-13-45")


def test_a_code_outside_the_dfe_list_is_rejected(tmp_path):
    episodes = CSV["ssda903_Episodes.csv"].replace(",P,C2,N1,U1,", ",P,C2,N1,ZZ,")
    result = ingest_returns([write_tiny(tmp_path / "in", **{"ssda903_Episodes.csv": episodes})],
                            data_dir=tmp_path / "data", max_reject_share=1)
    bad = result.problems[(result.problems["column"] == "PLACE") & (result.problems["severity"] == "error")]
    assert len(bad) == 1 and int(bad.iloc[0]["row"]) == 3 and bad.iloc[0]["value"] == "ZZ"


def test_too_many_rejected_rows_stop_publication(tmp_path):
    episodes = CSV["ssda903_Episodes.csv"].replace("10/01/2016,S,C2,N1,U4,PR1,14/03/2016",
                                                    "10/01/2016,S,C2,N1,U4,PR1,14/12/2015")
    result = ingest_returns([write_tiny(tmp_path / "in", **{"ssda903_Episodes.csv": episodes})],
                            data_dir=tmp_path / "data", max_reject_share=0.05)
    assert not result.published
    assert "ssda903_episodes" in result.decision
    assert not io.returns_processed_dir(tmp_path / "data").exists()


def test_a_missing_required_table_stops_publication(tmp_path):
    folder = write_tiny(tmp_path / "in")
    (folder / "supplement_teams.csv").unlink()
    result = ingest_returns([folder], data_dir=tmp_path / "data")
    assert not result.published
    assert "teams" in problems_of(result, "missing_table")["table"].tolist()


def test_a_file_that_is_no_return_is_named(tmp_path):
    folder = write_tiny(tmp_path / "in")
    (folder / "other.xml").write_text("<Something><Else/></Something>", encoding="utf-8")
    result = ingest_returns([folder], data_dir=tmp_path / "data")
    found = problems_of(result, "not_a_return")
    assert found["file"].tolist() == ["other.xml"] and not result.published


def test_an_xml_with_a_doctype_or_entities_is_refused_unread(tmp_path):
    evil = CIN_XML.replace('<?xml version="1.0" encoding="UTF-8"?>',
                           '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    with pytest.raises(xml.XmlReturnError):
        xml.parse(evil.encode(), "evil.xml")


def test_ssda903_tables_are_recognised_by_dfe_names_and_columns():
    assert assign_table("Header", []) == "ssda903_header"
    assert assign_table("903_PlacedAdoption_2016", []) == "ssda903_placed_adoption"
    assert assign_table("export", ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"]) == "ssda903_reviews"
    assert assign_table("notes", ["a", "b"]) is None


def test_the_ssda903_xml_form_is_read_like_the_csv_tables(tmp_path):
    tables = {n: contract.empty_table(n) for n in contract.TABLES}
    for name in ("ssda903_header", "ssda903_episodes"):
        text = pd.read_csv(pd.io.common.StringIO(CSV[f"ssda903_{name.split('_')[1].title()}.csv"]), dtype="string")
        tables[name] = text
    root = xml.parse(xml.ssda903_xml(tables), "903.xml")
    assert xml.kind_of(root) == "ssda903"
    back = xml.ssda903_tables(root)
    assert back["ssda903_episodes"]["PLACE"].tolist() == ["U4", "U1"]
    assert back["ssda903_header"]["CHILD"].tolist() == ["SYNS000002"]


def test_the_extract_manifest_marks_synthetic_returns(tmp_path):
    folder = write_tiny(tmp_path / "in")
    (folder / "extract.json").write_text(json.dumps({"synthetic": True, "extract_date": "2016-08-31"}))
    result = ingest_returns([folder], data_dir=tmp_path / "data")
    assert result.published and result.manifest["synthetic"] is True


def test_data_readme_holds_the_generated_returns_dictionary():
    import re

    from ehps_lib.config import project_root

    text = (project_root() / "data" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- BEGIN RETURNS DICTIONARY.*?-->\n(.*)<!-- END RETURNS DICTIONARY -->", text, re.S)
    assert block, "data/README.md lost its generated returns dictionary"
    assert block.group(1) == contract.data_dictionary_markdown(), (
        "data/README.md is out of step with ehps_lib/data/returns/contract.py: regenerate it with "
        "`ehps dictionary --returns`")


def test_the_data_dictionary_lists_every_table_and_column():
    text = contract.data_dictionary_markdown()
    for name, spec in contract.TABLES.items():
        assert f"`{name}`" in text
        for col in spec.columns:
            assert col.name in text
