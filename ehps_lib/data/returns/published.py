"""The figures seed 004 publishes for Kent, August 2016: what the synthetic returns are calibrated to.

The Specialist Children's Services performance dashboard (item D1 of the Children's Social Care
and Health Cabinet Committee, 10 November 2016): the "SCS Activity" table (lines 3035-3065), the
45-row "Scorecard - Kent" (lines 3077-3133), the RAG count (22 Green, 20 Amber, 3 Red; line 2982),
the "Scorecard - Impact of UASC" page (lines 3144-3204) and the exception reports' trend data
(lines 3212-3274). The rows are the seed's own text, split at its tabs; every value keeps its line.
Some published figures contradict each other (a stock last month plus starts minus ends is not the
stock this month; an area's total is not the sum of its teams): they are kept as printed.
"""

from __future__ import annotations

from dataclasses import dataclass

SEED = "004"
MONTH = "2016-08"
#: Columns of the SCS Activity table, as printed (line 3037).
ACTIVITY_COLUMNS = ("Caseloads - This month", "Caseloads - Last month", "Caseloads - Change", "Referrals in last month",
                    "CF Assessments in last month", "CP Plans - This month", "CP Plans - Last month", "CP Plans - Change",
                    "CP Starts in last month", "CP Ends in last month", "Total LAC - This month", "Total LAC - Last month",
                    "Total LAC - Change", "UASC LAC - This month", "UASC LAC - Last month", "UASC LAC - Change",
                    "LAC Starts in last month", "LAC Ends in last month", "PF Cases - This month", "PF Cases - Last month",
                    "PF Cases - Change")
#: Rows of the SCS Activity table: (label as printed, line, the 21 values).
ACTIVITY_ROWS: tuple[tuple[str, int, tuple[int, ...]], ...] = (
    ('Kent', 3038, (9444, 9711, -267, 1167, 1478, 1145, 1092, 53, 100, 48, 2246, 2248, -2, 798, 801, -3, 86, 93, 25, 24, 1)),
    ('North Kent', 3039, (1112, 1161, -49, 202, 236, 194, 175, 19, 22, 3, 282, 277, 5, 73, 68, 5, 7, 9, 2, 2, 0)),
    ('East Kent', 3040, (2375, 2447, -72, 388, 471, 379, 368, 11, 29, 19, 643, 631, 12, 91, 85, 6, 24, 21, 3, 3, 0)),
    ('South Kent', 3041, (1777, 1790, -13, 262, 353, 339, 319, 20, 31, 13, 392, 403, -11, 72, 75, -3, 5, 14, 6, 6, 0)),
    ('West Kent', 3042, (1256, 1333, -77, 229, 299, 219, 216, 3, 17, 12, 362, 358, 4, 98, 99, -1, 13, 7, 10, 8, 2)),
    ('Disability Service', 3043, (1211, 1210, 1, 24, 95, 14, 14, 0, 1, 1, 99, 101, -2, 0, 0, 0, 0, 1, 0, 0, 0)),
    ('Asford CSWT', 3044, (413, 428, -15, 77, 115, 121, 116, 5, 9, 5, 5, 8, -3, 0, 0, 0, 0, 0, 1, 1, 0)),
    ('Canterbury CSWT', 3045, (322, 322, 0, 97, 83, 84, 81, 3, 7, 4, 4, 1, 3, 0, 0, 0, 6, 4, 1, 1, 0)),
    ('Dartford CSWT', 3046, (187, 180, 7, 68, 67, 49, 36, 13, 13, 0, 2, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0)),
    ('Dover CSWT', 3047, (427, 413, 14, 103, 105, 116, 104, 12, 11, 2, 6, 6, 0, 0, 0, 0, 1, 0, 5, 5, 0)),
    ('Gravesham CSWT', 3048, (373, 397, -24, 73, 93, 93, 92, 1, 3, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0)),
    ('Maidstone CSWT', 3049, (400, 423, -23, 98, 152, 89, 84, 5, 10, 2, 3, 2, 1, 0, 0, 0, 4, 1, 5, 3, 2)),
    ('Sevenoaks CSWT', 3050, (217, 239, -22, 58, 58, 37, 31, 6, 6, 0, 6, 5, 1, 0, 0, 0, 1, 0, 2, 2, 0)),
    ('Shepway CSWT', 3051, (499, 519, -20, 79, 123, 99, 96, 3, 10, 3, 5, 8, -3, 0, 0, 0, 3, 1, 0, 0, 0)),
    ('Swale CSWT', 3052, (605, 610, -5, 132, 138, 119, 104, 15, 16, 0, 7, 12, -5, 0, 0, 0, 2, 3, 2, 2, 0)),
    ('Thanet Margate CSWT', 3053, (366, 395, -29, 65, 100, 100, 94, 6, 3, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 1, -1)),
    ('Thanet Ramsgate CSWT', 3054, (360, 391, -31, 87, 131, 58, 62, -4, 2, 6, 5, 1, 4, 0, 0, 0, 6, 2, 4, 4, 0)),
    ('The Weald CSWT', 3055, (420, 478, -58, 129, 136, 106, 108, -2, 7, 1, 3, 1, 2, 0, 0, 0, 7, 0, 5, 5, 0)),
    ('North Kent CIC', 3056, (310, 304, 6, 1, 1, 15, 16, -1, 0, 2, 271, 268, 3, 73, 68, 5, 4, 9, 0, 0, 0)),
    ('East Kent (Can/Swa) CIC', 3057, (367, 363, 4, 2, 2, 9, 10, -1, 1, 3, 343, 330, 13, 64, 59, 5, 4, 6, 0, 0, 0)),
    ('East Kent (Tha) CIC', 3058, (303, 310, -7, 0, 9, 9, 17, -8, 0, 6, 271, 274, -3, 27, 26, 1, 1, 6, 0, 0, 0)),
    ('South Kent CIC', 3059, (402, 399, 3, 0, 5, 3, 3, 0, 1, 3, 366, 373, -7, 72, 75, -3, 0, 13, 0, 0, 0)),
    ('West Kent CIC', 3060, (422, 416, 6, 0, 7, 24, 24, 0, 0, 9, 355, 353, 2, 98, 99, -1, 2, 6, 0, 0, 0)),
    ('SUASC Service', 3061, (513, 542, -29, 42, 24, 0, 0, 0, 0, 0, 464, 474, -10, 464, 474, -10, 25, 36, 0, 0, 0)),
    ('Disability EK', 3062, (631, 636, -5, 13, 39, 9, 9, 0, 0, 0, 66, 68, -2, 0, 0, 0, 0, 0, 0, 0, 0)),
    ('Disability WK', 3063, (580, 574, 6, 11, 56, 5, 5, 0, 1, 1, 33, 33, 0, 0, 0, 0, 0, 1, 0, 0, 0)),
    ('Adoption & SG', 3064, (86, 88, -2, 3, 0, 0, 0, 0, 0, 0, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    ('Care Leaver Service (18+)', 3065, (1099, 1103, -4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0)),
)
#: Rows of "Scorecard - Kent": (line, [ID, indicator, polarity, data period, latest result and RAG, num, denom,
#: target for 16/17, 1 month ago, DoT, 1 year ago, DoT, rolling 3 months and RAG]).
SCORECARD_ROWS = (
    (3080, ['1', '% of referrals with a previous referral within 12 months', 'L', 'R12M', '22.3% G', '3543', '15921', '25.0%', '22.1%', '↓', '24.6%', '↑', '22.7% G']),
    (3081, ['2', '% of C&F Assessments that were carried out within 45 working days', 'H', 'R12M', '89.9% A', '15127', '16833', '90.0%', '89.3%', '↑', '89.5%', '↑', '91.4% G']),
    (3082, ['3', 'Number of C&F Assessments in progress outside of timescale', 'L', 'SS', '35 G', '-', '-', '75', '25', '↓', '58', '↑', '- -']),
    (3083, ['4', '% of Children seen at C&F Assessment', 'H', 'R12M', '98.3% G', '15712', '15986', '98.0%', '98.3%', '↑', '97.6%', '↑', '97.9% A']),
    (3085, ['5', '% of CIN with a CIN Plan in place', 'H', 'SS', '89.0% A', '2184', '2453', '90.0%', '89.6%', '↓', '88.9%', '↑', '- -']),
    (3086, ['6', '% of CIN who have been seen in the last 28 days', 'H', 'SS', '81.0% G', '1595', '1970', '80.0%', '82.9%', '↓', '80.0%', '↑', '- -']),
    (3087, ['7', 'Numbers of Unallocated Cases', 'L', 'SS', '1 A', '-', '-', '0', '2', '↑', '130', '↑', '- -']),
    (3089, ['8', '% of PF visits held in timescale (Current PF Arrangements only)', 'H', 'SS', '80.1% A', '109', '136', '90.0%', '83.0%', '↓', '', '', '- -']),
    (3091, ['9', '% of Returner Interviews completed within 3 working days', 'H', 'R12M', '67.7% R', '1281', '1891', '90.0%', '66.8%', '↑', '', '', '73.9% R']),
    (3093, ['10', '% of Current CP Plans lasting 18 months or more', 'L', 'SS', '5.8% G', '66', '1145', '10.0%', '5.4%', '↓', '4.9%', '↓', '- -']),
    (3094, ['11', '% of CP Visits held within timescale (Current CP only)', 'H', 'SS', '90.3% G', '19560', '21663', '90.0%', '90.8%', '↓', '92.6%', '↓', '- -']),
    (3095, ['12', '% of CP cases which were reviewed within required timescales', 'H', 'SS', '100.0% G', '805', '805', '98.0%', '99.9%', '↑', '100.0%', '→', '- -']),
    (3096, ['13', '% of Children becoming CP for a second or subsequent time', 'T', 'R12M', '21.6% A', '276', '1275', '17.5%', '21.2%', '↓', '19.1%', '↓', '22.9% A']),
    (3097, ['14', '% of CP Plans lasting 2 years or more at the point of de-registration', 'L', 'R12M', '2.6% G', '36', '1362', '5.0%', '2.7%', '↑', '2.2%', '↓', '2.9% G']),
    (3098, ['15', '% of Children seen at Section 47 enquiry', 'H', 'R12M', '98.4% G', '4572', '4647', '98.0%', '98.3%', '↑', '98.2%', '↑', '98.3% G']),
    (3099, ['16', "% of ICPC's held within 15 working days of the S47 enquiry starting", 'H', 'R12M', '85.5% G', '1169', '1368', '80.0%', '85.4%', '↑', '83.1%', '↑', '87.1% G']),
    (3101, ['17', 'CIC Placement Stability: % with 3 or more placements in the last 12 months', 'L', 'SS', '13.0% R', '293', '2246', '10.0%', '12.9%', '↓', '9.6%', '↓', '- -']),
    (3102, ['18', 'CIC Placement Stability: % in same placement for last 2 years', 'H', 'SS', '71.2% G', '410', '576', '70.0%', '71.6%', '↓', '74.2%', '↓', '- -']),
    (3103, ['19', '% of CIC Foster Care in KCC Foster Care/Rel & Friends placements (exc UASC)', 'H', 'SS', '86.3% G', '1020', '1182', '85.0%', '86.9%', '↓', '86.2%', '↑', '- -']),
    (3104, ['20', '% of CIC placed within 20 miles from home (exc UASC)', 'H', 'SS', '80.1% G', '1115', '1392', '80.0%', '80.6%', '↓', '81.3%', '↓', '- -']),
    (3105, ['21', '% of Children who participated at CIC Reviews', 'H', 'R12M', '95.6% G', '5873', '6146', '95.0%', '95.6%', '↓', '95.4%', '↑', '95.6% G']),
    (3106, ['22', '% of CIC cases which were reviewed within required timescales', 'H', 'SS', '98.2% G', '2136', '2175', '98.0%', '98.2%', '↓', '93.2%', '↑', '- -']),
    (3107, ['23', '% of CIC cases where all Dental Checks were held within required timescale', 'H', 'SS', '92.7% G', '1785', '1926', '90.0%', '94.3%', '↓', '92.3%', '↑', '- -']),
    (3108, ['24', '% of CIC cases where all Health Assessments were held within required timescale', 'H', 'SS', '89.5% A', '1724', '1926', '90.0%', '88.1%', '↑', '89.7%', '↓', '- -']),
    (3109, ['25', '% of IHA referrals within 5 working days of becoming Looked After', 'H', 'R12M', '48.0% R', '542', '1130', '90.0%', '42.9%', '↑', '25.5%', '↑', '84.2% A']),
    (3110, ['26', '% of CIC who have had a PEP updated in the last 6 months (ages 5-16)', 'H', 'SS', '75.8% A', '1091', '1439', '80.0%', '74.4%', '↑', '52.6%', '↑', '- -']),
    (3111, ['27', '% of CIC for 18 mths and allocated to the same worker for the last 12 mths', 'H', 'SS', '54.0% A', '576', '1067', '60.0%', '55.3%', '↓', '52.9%', '↑', '- -']),
    (3113, ['28', '% of cases adoption agreed as plan within 4mths, for those with an agency decision', 'H', 'R12M', '74.5% A', '73', '98', '75.0%', '72.5%', '↑', '59.0%', '↑', '76.5% G']),
    (3114, ['29', 'Ave. no of days between bla and moving in with adoptive family (for children adopted)', 'L', 'R12M', '363.7 G', '29462', '81', '426.0', '403.4', '↑', '545.7', '↑', '287.7 G']),
    (3115, ['30', 'Ave. no of days between court authority to place a child and the decision on a match', 'L', 'R12M', '151.5 A', '11663', '77', '121.0', '177.3', '↑', '213.3', '↑', '99.9 G']),
    (3116, ['31', '% of Children leaving care who were adopted (exc UASC)', 'H', 'R12M', '12.9% A', '81', '628', '13.0%', '13.2%', '↓', '21.3%', '↓', '10.2% A']),
    (3118, ['32', '% of Care Leavers that Kent is in touch with', 'H', 'R12M', '67.1% A', '1077', '1606', '75.0%', '65.8%', '↑', '59.5%', '↑', '67.5% A']),
    (3119, ['33', '% of Care Leavers in Suitable Accommodation (of those we are in touch with)', 'H', 'R12M', '92.2% G', '1004', '1089', '90.0%', '92.3%', '↓', '92.0%', '↑', '91.5% G']),
    (3120, ['34', '% of Care Leavers in Education, Employment or Training (of those we are in touch with)', 'H', 'R12M', '58.1% A', '633', '1089', '65.0%', '58.7%', '↓', '55.3%', '↑', '53.7% R']),
    (3121, ['35', '% of Care Leavers with a Pathway Plan updated in the last 6 months', 'H', 'SS', '91.2% G', '1001', '1097', '90.0%', '93.5%', '↓', '', '', '- -']),
    (3123, ['36', '% of Case File Audits completed', 'H', 'R12M', '98.5% G', '703', '714', '95.0%', '98.5%', '→', '97.1%', '↑', '98.7% G']),
    (3124, ['37', '% of Case File Audits rated Good or outstanding', 'H', 'R12M', '65.1% G', '458', '703', '60.0%', '65.1%', '→', '50.8%', '↑', '66.4% G']),
    (3125, ['38', '% of Case File Audits rated inadequate', 'L', 'R12M', '2.4% A', '17', '703', '0.0%', '2.4%', '→', '5.1%', '↑', '1.3% A']),
    (3126, ['39', '% of CP Social Work Reports rated good or outstanding', 'H', 'R12M', '64.1% A', '1454', '2268', '75.0%', '64.5%', '↓', '71.0%', '↓', '65.0% A']),
    (3127, ['40', '% of CIC Care Plans rated good or outstanding', 'H', 'R12M', '64.0% A', '3887', '6076', '75.0%', '63.0%', '↑', '58.7%', '↑', '70.4% A']),
    (3129, ['41', '% of caseholding posts filled by KCC Permanent QSW', 'H', 'SS', '77.2% A', '404.3', '524.0', '83.0%', '75.8%', '↑', '75.1%', '↑', '- -']),
    (3130, ['42', '% of caseholding posts filled by agency staff', 'L', 'SS', '17.2% A', '89.9', '524.0', '17.0%', '17.7%', '↑', '20.1%', '↑', '- -']),
    (3131, ['43', 'Average Caseloads of social workers in CIC Teams', 'L', 'SS', '15.7 A', '1804', '115.0', '15.0', '16.1', '↑', '16.1', '↑', '- -']),
    (3132, ['44', 'Average Caseloads of social workers in CSWTs', 'L', 'SS', '20.8 A', '4589', '220.5', '18.0', '21.8', '↑', '20.1', '↓', '- -']),
    (3133, ['45', 'Average Caseloads of fostering social workers', 'L', 'SS', '17.9 G', '835', '46.6', '18.0', '17.2', '↓', '18.8', '↑', '- -']),
)
#: Rows of "Scorecard - Impact of UASC": (line, area, scorecard ID, including UASC: result and RAG, num,
#: denom; excluding UASC: result and RAG, num, denom). "-" where the council printed no num/denom.
UASC_ROWS = (
    (3149, 'Kent', 17, '13.0% R', '293', '2246', '12.8% A', '186', '1448'),
    (3150, 'Kent', 18, '71.2% G', '410', '576', '71.2% G', '408', '573'),
    (3151, 'Kent', 21, '95.6% G', '5873', '6146', '97.9% G', '3533', '3609'),
    (3152, 'Kent', 22, '98.2% G', '2136', '2175', '99.5% G', '1400', '1407'),
    (3153, 'Kent', 23, '92.7% G', '1785', '1926', '93.8% G', '1173', '1251'),
    (3154, 'Kent', 24, '89.5% A', '1724', '1926', '93.7% G', '1172', '1251'),
    (3155, 'Kent', 25, '48.0% R', '542', '1130', '65.3% R', '341', '522'),
    (3156, 'Kent', 26, '75.8% A', '1091', '1439', '83.9% G', '895', '1067'),
    (3157, 'Kent', 27, '54.0% A', '576', '1067', '54.4% A', '515', '946'),
    (3159, 'North Kent', 17, '13.8% R', '39', '282', '12.9% A', '27', '209'),
    (3160, 'North Kent', 18, '66.2% A', '51', '77', '66.2% A', '51', '77'),
    (3161, 'North Kent', 21, '96.9% G', '712', '735', '98.8% G', '509', '515'),
    (3162, 'North Kent', 22, '99.6% G', '275', '276', '99.5% G', '203', '204'),
    (3163, 'North Kent', 23, '95.6% G', '241', '252', '96.2% G', '177', '184'),
    (3164, 'North Kent', 24, '87.7% A', '221', '252', '93.5% G', '172', '184'),
    (3165, 'North Kent', 25, '74.4% R', '58', '78', '75.3% R', '58', '77'),
    (3166, 'North Kent', 26, '88.1% G', '155', '176', '91.3% G', '136', '149'),
    (3167, 'North Kent', 27, '46.4% A', '77', '166', '50.7% A', '70', '138'),
    (3169, 'East Kent', 17, '13.2% R', '85', '643', '13.0% R', '72', '552'),
    (3170, 'East Kent', 18, '76.3% G', '174', '228', '76.5% G', '173', '226'),
    (3171, 'East Kent', 21, '95.8% G', '1582', '1651', '98.8% G', '1360', '1376'),
    (3172, 'East Kent', 22, '99.4% G', '621', '625', '99.8% G', '533', '534'),
    (3173, 'East Kent', 23, '87.9% A', '485', '552', '89.7% A', '419', '467'),
    (3174, 'East Kent', 24, '87.7% A', '484', '552', '92.1% G', '430', '467'),
    (3175, 'East Kent', 25, '58.8% R', '97', '165', '58.8% R', '97', '165'),
    (3176, 'East Kent', 26, '78.9% A', '358', '454', '82.5% G', '340', '412'),
    (3177, 'East Kent', 27, '56.9% A', '230', '404', '57.0% A', '207', '363'),
    (3179, 'South Kent', 17, '14.3% R', '56', '392', '15.3% R', '49', '320'),
    (3180, 'South Kent', 18, '68.6% A', '72', '105', '68.3% A', '71', '104'),
    (3181, 'South Kent', 21, '96.1% G', '950', '989', '96.1% G', '782', '814'),
    (3182, 'South Kent', 22, '99.5% G', '385', '387', '99.4% G', '313', '315'),
    (3183, 'South Kent', 23, '97.1% G', '329', '339', '96.8% G', '270', '279'),
    (3184, 'South Kent', 24, '94.7% G', '321', '339', '95.0% G', '265', '279'),
    (3185, 'South Kent', 25, '76.3% R', '116', '152', '76.3% R', '116', '152'),
    (3186, 'South Kent', 26, '80.5% G', '210', '261', '82.1% G', '188', '229'),
    (3187, 'South Kent', 27, '67.4% G', '157', '233', '68.4% G', '134', '196'),
    (3189, 'West Kent', 17, '13.0% A', '47', '362', '12.1% A', '32', '264'),
    (3190, 'West Kent', 18, '64.3% R', '72', '112', '64.3% R', '72', '112'),
    (3191, 'West Kent', 21, '97.5% G', '889', '912', '98.3% G', '638', '649'),
    (3192, 'West Kent', 22, '98.9% G', '345', '349', '98.8% G', '248', '251'),
    (3193, 'West Kent', 23, '87.0% A', '268', '308', '93.7% G', '209', '223'),
    (3194, 'West Kent', 24, '90.3% G', '278', '308', '93.7% G', '209', '223'),
    (3195, 'West Kent', 25, '62.5% R', '60', '96', '62.5% R', '60', '96'),
    (3196, 'West Kent', 26, '81.3% G', '196', '241', '82.0% G', '159', '194'),
    (3197, 'West Kent', 27, '35.3% R', '67', '190', '33.7% R', '59', '175'),
    (3199, 'Kent', 32, '67.1% A', '1077', '1606', '75.3% G', '634', '842'),
    (3200, 'Kent', 33, '92.2% G', '1004', '1089', '90.9% G', '577', '635'),
    (3201, 'Kent', 34, '58.1% A', '633', '1089', '51.2% R', '325', '635'),
    (3202, 'Kent', 35, '91.2% G', '1001', '1097', '92.6% G', '501', '541'),
    (3203, 'Kent', 2, '89.9% A', '15127', '16833', '90.5% G', '14588', '16113'),
    (3204, 'Kent', 7, '1 A', '-', '-', '1 A', '-', '-'),
)
#: "Performance for August 2016 shows 22 of the measures rated as Green, 20 as Amber and three as Red" (line 2982).
RAG_COUNT = {"Green": 22, "Amber": 20, "Red": 3}
RAG_COUNT_LINE = 2982
#: Exception reports' "Trend Data - Month End" (May to August 2016): (line, ID, results, targets, RAG ratings).
TREND_ROWS = (
    (3212, 9, (63.1, 64.9, 66.8, 67.7), (90.0, 90.0, 90.0, 90.0), ("Red", "Red", "Red", "Red")),
    (3243, 17, (13.2, 12.97, 12.9, 13.0), (13.0, 13.0, 13.0, 13.0), ("Red", "Amber", "Amber", "Red")),
    (3268, 25, (36.2, 37.5, 42.9, 48.0), (80.0, 90.0, 90.0, 90.0), ("Red", "Red", "Red", "Red")),
)
TREND_MONTHS = ("2016-05", "2016-06", "2016-07", "2016-08")
#: Facts in the exception reports' commentary: the returner interviews' rolling 12 months and the IHA's 3 months.
COMMENTARY_FACTS = {"missing_episodes_r12m": (1891, 3221), "return_interviews_in_time": (1281, 3221),
                    "iha_three_months_pct": (84.2, 3278)}
LETTERS = {"G": "Green", "A": "Amber", "R": "Red"}


@dataclass(frozen=True)
class Result:
    """A printed result: its value, RAG letter (if any), and the line it is on."""

    value: float | None
    rag: str | None
    line: int


def parse_result(text: str) -> tuple[float | None, str | None]:
    """``'22.3% G'`` → (22.3, 'Green'); ``'35 G'`` → (35.0, 'Green'); ``'- -'`` or ``''`` → (None, None).

    Examples
    --------
    >>> parse_result("22.3% G"), parse_result("363.7 G"), parse_result("- -"), parse_result("66.8%")
    ((22.3, 'Green'), (363.7, 'Green'), (None, None), (66.8, None))
    """
    parts = text.replace("%", "").split()
    if not parts or parts[0] in ("-", ""):
        return None, None
    value = float(parts[0])
    rag = LETTERS.get(parts[1]) if len(parts) > 1 else None
    return value, rag


def _number(text: str) -> float | None:
    return None if text in ("-", "") else float(text)


@dataclass(frozen=True)
class ScorecardRow:
    """One row of the council's scorecard, parsed."""

    number: int
    title: str
    polarity: str
    data_period: str
    latest: float | None
    rag: str | None
    numerator: float | None
    denominator: float | None
    target: float | None
    month_ago: float | None
    year_ago: float | None
    rolling3: float | None
    rolling3_rag: str | None
    line: int


def scorecard() -> dict[int, ScorecardRow]:
    """The 45 rows of "Scorecard - Kent", August 2016, by ID."""
    out = {}
    for line, p in SCORECARD_ROWS:
        latest, rag = parse_result(p[4])
        r3, r3_rag = parse_result(p[12])
        out[int(p[0])] = ScorecardRow(int(p[0]), p[1], p[2], p[3], latest, rag, _number(p[5]), _number(p[6]),
                                      parse_result(p[7])[0], parse_result(p[8])[0], parse_result(p[10])[0], r3,
                                      r3_rag, line)
    return out


def activity() -> dict[str, dict[str, int]]:
    """The SCS Activity table: label → column → value."""
    return {label: dict(zip(ACTIVITY_COLUMNS, values, strict=True)) for label, _line, values in ACTIVITY_ROWS}


__all__ = ["ACTIVITY_COLUMNS", "ACTIVITY_ROWS", "SCORECARD_ROWS", "UASC_ROWS", "RAG_COUNT", "TREND_ROWS", "scorecard",
           "activity", "parse_result", "ScorecardRow", "Result", "MONTH"]
