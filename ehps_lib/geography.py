"""Geography of the Kent County Council area: the county, its 12 districts and the SCS areas.

Codes are ONS GSS codes. Medway (E06000035) is a separate unitary authority and is
never part of Kent County Council's figures.
"""

from __future__ import annotations

import datetime as dt

KENT_CODE = "E10000016"
KENT_NAME = "Kent"

#: The 12 districts in the order the council prints them (alphabetical).
DISTRICTS: dict[str, str] = {
    "E07000105": "Ashford",
    "E07000106": "Canterbury",
    "E07000107": "Dartford",
    "E07000108": "Dover",
    "E07000109": "Gravesham",
    "E07000110": "Maidstone",
    "E07000111": "Sevenoaks",
    "E07000112": "Folkestone and Hythe",
    "E07000113": "Swale",
    "E07000114": "Thanet",
    "E07000115": "Tonbridge and Malling",
    "E07000116": "Tunbridge Wells",
}

#: Shepway was renamed Folkestone and Hythe on 1 April 2018 (same GSS code).
SHEPWAY_RENAMED = dt.date(2018, 4, 1)

#: The four Specialist Children's Services areas (seed 004, SCS activity table).
SCS_AREAS: dict[str, tuple[str, ...]] = {
    "North Kent": ("E07000107", "E07000109", "E07000111"),
    "East Kent": ("E07000106", "E07000113", "E07000114"),
    "South Kent": ("E07000105", "E07000108", "E07000112"),
    "West Kent": ("E07000110", "E07000115", "E07000116"),
}

#: Pseudo-codes for the SCS areas so that they can sit in the same ``area_code`` column.
SCS_AREA_CODES: dict[str, str] = {
    "KENT-NORTH": "North Kent",
    "KENT-EAST": "East Kent",
    "KENT-SOUTH": "South Kent",
    "KENT-WEST": "West Kent",
}

#: Short codes used in unit identifiers (e.g. ``EHU-CAN-02``).
DISTRICT_SHORT: dict[str, str] = {
    "E07000105": "ASH",
    "E07000106": "CAN",
    "E07000107": "DAR",
    "E07000108": "DOV",
    "E07000109": "GRA",
    "E07000110": "MAI",
    "E07000111": "SEV",
    "E07000112": "FAH",
    "E07000113": "SWA",
    "E07000114": "THA",
    "E07000115": "TAM",
    "E07000116": "TUN",
}


def district_name(code: str, on: dt.date | None = None) -> str:
    """Return the district's name, as it was called on ``on`` (default: today's name).

    Examples
    --------
    >>> import datetime as dt
    >>> district_name("E07000112", dt.date(2016, 6, 30))
    'Shepway'
    >>> district_name("E07000112")
    'Folkestone and Hythe'
    """
    if code == KENT_CODE:
        return KENT_NAME
    if code not in DISTRICTS:
        raise KeyError(f"{code!r} is not a Kent district code; expected one of {sorted(DISTRICTS)}")
    if code == "E07000112" and on is not None and on < SHEPWAY_RENAMED:
        return "Shepway"
    return DISTRICTS[code]


def area_name(code: str, on: dt.date | None = None) -> str:
    """Name of any reporting area: Kent, a district or an SCS area pseudo-code."""
    if code in SCS_AREA_CODES:
        return SCS_AREA_CODES[code]
    return district_name(code, on)


def area_codes(include_scs_areas: bool = False) -> list[str]:
    """Kent first, then the 12 districts (then the 4 SCS areas if asked)."""
    codes = [KENT_CODE, *DISTRICTS]
    if include_scs_areas:
        codes += list(SCS_AREA_CODES)
    return codes


def districts_in(area_code: str) -> tuple[str, ...]:
    """The district codes that make up ``area_code`` (a district is made of itself)."""
    if area_code == KENT_CODE:
        return tuple(DISTRICTS)
    if area_code in DISTRICTS:
        return (area_code,)
    if area_code in SCS_AREA_CODES:
        return SCS_AREAS[SCS_AREA_CODES[area_code]]
    raise KeyError(f"Unknown area code {area_code!r}")
