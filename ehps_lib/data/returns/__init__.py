"""The statutory returns every English council makes, and the local supplement beside them.

* the **CIN census** (children in need: referrals, assessments with their factors, section 47
  enquiries and initial conferences, child protection plans and reviews, CIN plan dates), as the
  DfE's XML;
* the **SSDA903** (children looked after: header, episodes, UASC, reviews, OC2, OC3, AD1, placed
  for adoption, missing, previous permanence), as CSV tables or the DfE's XML;
* a small **local supplement** with what the returns lack and the SCS dashboard shows (teams,
  allocations, visits and other dated activities, care leavers' contacts, private fostering,
  placement distances, quality assurance audits, staffing).

Modules: :mod:`~ehps_lib.data.returns.contract` (every table, column, code list and rule,
described once), :mod:`~ehps_lib.data.returns.xml` (reading and writing the DfE XML, with the
line of every element), :mod:`~ehps_lib.data.returns.rules` (the DfE validation rules the
indicators depend on, and the supplement's), :mod:`~ehps_lib.data.returns.ingest` (validate,
quarantine and publish ``DATA_DIR/returns/processed``) and :mod:`~ehps_lib.data.returns.synth`
(the deterministic synthetic returns calibrated to seed 004, with their calibration report).
"""

import datetime as _dt

#: The synthetic returns' defaults (:mod:`~ehps_lib.data.returns.synth`), here so that the command
#: line can show them without importing pandas (which ``ehps build``'s fast no-op check avoids).
DEFAULT_SEED = 20160831
DEFAULT_START = _dt.date(2013, 4, 1)
DEFAULT_END = _dt.date(2016, 8, 31)
