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


class AreaError(ValueError):
    """An area that is not Kent, one of its districts or an SCS area; the message suggests one."""


def _area_key(text: str) -> str:
    return " ".join(str(text).replace("&", " and ").replace("-", " ").lower().split())


def _area_aliases() -> dict[str, str]:
    names = {KENT_CODE: KENT_NAME, **DISTRICTS, **SCS_AREA_CODES}
    out = {_area_key(name): code for code, name in names.items()}
    out.update({_area_key(code): code for code in names})
    out[_area_key("Shepway")] = "E07000112"
    out[_area_key("Kent County Council")] = KENT_CODE
    out.update({_area_key(name.split()[0]): code for code, name in SCS_AREA_CODES.items()})  # "East"
    out.update({_area_key(short): code for code, short in DISTRICT_SHORT.items()})
    return out


def resolve_area(text: str) -> str:
    """The area code for an area written as a GSS code, a name (any case; "&" for "and";
    Shepway for Folkestone and Hythe), an SCS area ("East Kent", "KENT-EAST") or a short code.

    Raises
    ------
    AreaError
        Naming the nearest area when there is one, and the accepted forms.

    Examples
    --------
    >>> resolve_area("Canterbury"), resolve_area("e07000106"), resolve_area("Shepway")
    ('E07000106', 'E07000106', 'E07000112')
    >>> resolve_area("folkestone & hythe"), resolve_area("East Kent"), resolve_area("kent")
    ('E07000112', 'KENT-EAST', 'E10000016')
    """
    import difflib

    aliases = _area_aliases()
    key = _area_key(text)
    if key in aliases:
        return aliases[key]
    names = [KENT_NAME, *DISTRICTS.values(), *SCS_AREA_CODES.values()]
    near = difflib.get_close_matches(str(text).strip(), names, n=1, cutoff=0.6) or difflib.get_close_matches(
        key, list(aliases), n=1, cutoff=0.75)
    hint = ""
    if near:
        code = aliases[_area_key(near[0])]
        hint = f" Did you mean {area_name(code)} ({code})?"
    raise AreaError(f"{str(text).strip()!r} is not a Kent area.{hint} Use Kent ({KENT_CODE}), a district name or "
                    f"code (e.g. Canterbury or E07000106) or an SCS area (e.g. East Kent or KENT-EAST).")
