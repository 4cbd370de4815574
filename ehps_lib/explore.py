"""The analyst's API: the published results as numbers, in one call each, for JupyterLab.

Every function here returns plain pandas objects (numbers stay numbers: a withheld count is
``NaN`` with ``status`` ``"c"``), or a :class:`~ehps_lib.papers.blocks.Block` for a map, so
results can be charted, filtered and sent to Excel without reading the source::

    from ehps_lib import explore as ex
    ex.results("2016-17 Q4")                        # the quarter's published results, tidy
    ex.series("ehn_rate", "Canterbury")              # an indicator's monthly series for an area
    ex.league_table("closed_positive_pct", "2016-17 Q4")  # the 12 districts, ranked
    ex.catalogue()                                   # every indicator, as a table
    ex.trial_indicator({...}, "2016-17 Q4")          # try a new indicator: computed, suppressed, assessed
    ex.deprivation_map("Swale", index="imd", groups="decile")
    ex.wilson_interval(37, 120)                      # 95 % Wilson interval, in per cent
    ex.to_excel({"league": table}, "league.xlsx")

Periods are accepted in every form people write ("2016-17 Q4", "2016-17-Q4", "March 2017",
"2017-03", "latest"), areas as codes or names ("Canterbury", "E07000106", "Shepway",
"East Kent"). Results are read from ``data/results/<period>/``; when they are missing or out
of date they are computed first, exactly as ``ehps indicators`` does.

This module sits above the papers stage (it draws maps with the papers' blocks); nothing
in the pipeline imports it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .config import ConfigError, load_settings, read_yaml
from .data import io
from .geography import DISTRICTS, KENT_CODE, area_name, resolve_area
from .indicators import stats
from .indicators.catalogue import ALL_AGES, Indicator, load_catalogue, parse_catalogue
from .periods import Period

#: Published status of a value: a number, withheld (GSS ``c``) or not available.
PUBLISHED, WITHHELD, NOT_AVAILABLE = "", "c", "n/a"
#: Columns of :func:`results`, in order (every other published column follows).
RESULT_COLUMNS = ["indicator_id", "title", "unit", "area_code", "area_name", "period", "period_kind",
                  "period_start", "age_band", "numerator", "denominator", "value", "status", "ci_lower",
                  "ci_upper", "target", "floor", "rag"]


# -- periods and areas -------------------------------------------------------------------------------
def period(label: str | Period = "latest") -> Period:
    """The period meant by ``label`` (``"latest"``: the latest complete quarter of the extract).

    Raises
    ------
    ValueError
        For a label that is not a period, or a period the extract does not cover, saying why.
    """
    from .indicators.results import extract_date_of, resolve_period

    if isinstance(label, Period):
        return label
    extract_date = extract_date_of(io.read_processed_manifest())
    return resolve_period(str(label), extract_date)


def area_code(name_or_code: str) -> str:
    """The area code for a name or code (``"Canterbury"`` → ``"E07000106"``); see
    :func:`ehps_lib.geography.resolve_area`."""
    return resolve_area(name_or_code)


# -- results -------------------------------------------------------------------------------------
def _published(p: Period) -> tuple[pd.DataFrame, dict]:
    from .indicators.results import ensure_results

    ensure_results(p.label)
    return io.read_results(p.slug)


def results(period_label: str | Period = "latest", *, indicator: str | None = None, area: str | None = None,
            age_band: str | None = ALL_AGES, kind: str | None = None) -> pd.DataFrame:
    """The published results of a period as a tidy numeric table.

    One row per indicator × area × month or quarter × age band, for every month and quarter
    up to the period (results for a quarter hold its months and the year before). Numbers are
    floats; a withheld value is ``NaN`` with ``status == "c"``, a value not available ``NaN``
    with ``status == "n/a"``.

    Parameters
    ----------
    period_label
        Any period form, or ``"latest"``.
    indicator, area
        Keep one indicator (catalogue id) or one area (name or code).
    age_band
        Keep one age band (default all ages; ``None`` keeps every band).
    kind
        ``"month"`` or ``"quarter"`` to keep one kind of period.
    """
    p = period(period_label)
    table, _meta = _published(p)
    cat = load_catalogue()
    if indicator is not None:
        _indicator(indicator, cat)
        table = table[table["indicator_id"] == indicator]
    if area is not None:
        table = table[table["area_code"] == resolve_area(area)]
    if age_band is not None:
        table = table[table["age_band"] == age_band]
    if kind is not None:
        if kind not in ("month", "quarter"):
            raise ValueError(f"kind must be 'month' or 'quarter', got {kind!r}")
        table = table[table["period_kind"] == kind]
    out = table.assign(
        title=table["indicator_id"].map({k: v.title for k, v in cat.items()}),
        unit=table["indicator_id"].map({k: v.unit for k, v in cat.items()}),
        status=np.where(table["suppressed"].fillna(False).astype(bool), WITHHELD,
                        np.where(table["value"].isna(), NOT_AVAILABLE, PUBLISHED)),
    )
    first = [c for c in RESULT_COLUMNS if c in out.columns]
    rest = [c for c in out.columns if c not in first and c != "suppressed"]
    return out[first + rest].reset_index(drop=True)


def series(indicator: str, area: str = "Kent", period_label: str | Period = "latest", *,
           kind: str = "month", age_band: str = ALL_AGES) -> pd.DataFrame:
    """An indicator's series for one area, oldest first: ``period``, ``period_start``,
    ``numerator``, ``denominator``, ``value``, ``status``, ``ci_lower``, ``ci_upper``, ``rag``.

    Examples
    --------
    ``series("ehn_rate", "Canterbury")`` is Canterbury's monthly notification rate up to the
    latest quarter; ``series("cases_open", "Kent", kind="quarter")`` the quarter ends.
    """
    frame = results(period_label, indicator=indicator, area=area, age_band=age_band, kind=kind)
    cols = ["period", "period_start", "numerator", "denominator", "value", "status", "ci_lower", "ci_upper", "rag"]
    return frame.sort_values("period_start")[cols].reset_index(drop=True)


def league_table(indicator: str, period_label: str | Period = "latest") -> pd.DataFrame:
    """The 12 districts for one indicator and period, best first, with Kent for reference.

    Ranked on unrounded values by the indicator's polarity (competition ranking, ties share a
    rank); an indicator with no judgement of direction is ordered highest first and its rank
    says "highest". Withheld values are not ranked (``rank`` is NaN, ``status`` ``"c"``).
    Columns: ``rank``, ``area_code``, ``area_name``, ``value``, ``ci_lower``, ``ci_upper``,
    ``numerator``, ``denominator``, ``status``, ``compared_with_kent``, ``kent_value``.
    """
    cat = load_catalogue()
    ind = _indicator(indicator, cat)
    p = period(period_label)
    frame = results(p, indicator=indicator, age_band=ALL_AGES)
    frame = frame[frame["period"] == p.label]
    districts = frame[frame["area_code"].isin(DISTRICTS)].copy()
    kent = frame[frame["area_code"] == KENT_CODE]
    kent_value = float(kent["value"].iloc[0]) if len(kent) else math.nan
    polarity = ind.polarity if ind.polarity in ("H", "L") else "H"
    districts["rank"] = stats.rank_areas(districts["value"], polarity).to_numpy()
    districts["kent_value"] = kent_value
    if "compared_with_kent" not in districts.columns:
        districts["compared_with_kent"] = stats.NOT_COMPARED
    cols = ["rank", "area_code", "area_name", "value", "ci_lower", "ci_upper", "numerator", "denominator",
            "status", "compared_with_kent", "kent_value"]
    out = districts.sort_values(["rank", "area_name"], na_position="last")[cols].reset_index(drop=True)
    out.attrs.update({"indicator": ind.id, "title": ind.title, "period": p.label, "unit": ind.unit,
                      "order": {"H": "higher is better", "L": "lower is better"}.get(ind.polarity, "highest first")})
    return out


def catalogue() -> pd.DataFrame:
    """Every indicator in the catalogue, one row each, in catalogue order."""
    rows = []
    for ind in load_catalogue().values():
        rows.append({"indicator_id": ind.id, "title": ind.title, "group": ind.group, "unit": ind.unit,
                     "polarity": ind.polarity, "data_period": ind.data_period, "target": ind.target,
                     "floor": ind.floor, "target_scope": ind.target_scope, "status": ind.status,
                     "method": ind.method, "age_bands": ind.age_bands, "source": ind.source,
                     "definition": ind.definition, "seed_ref": ind.seed_ref})
    return pd.DataFrame(rows)


def _indicator(indicator_id: str, cat: Mapping[str, Indicator]) -> Indicator:
    if indicator_id not in cat:
        from .config import did_you_mean

        raise KeyError(f"{indicator_id!r} is not in the catalogue.{did_you_mean(indicator_id, cat)} "
                       "See ehps_lib.explore.catalogue() for every indicator.")
    return cat[indicator_id]


# -- trying a new indicator --------------------------------------------------------------------------
def trial_indicator(spec: Mapping | str, period_label: str | Period = "latest", *,
                    include_scs_areas: bool = True) -> pd.DataFrame:
    """Compute, suppress and assess an indicator that is not (yet) in the catalogue.

    ``spec`` is one catalogue entry, as a mapping or as the YAML text you would add to
    ``ehps_lib/indicators/catalogue.yml``. It is validated exactly as the catalogue is (every
    table, column and code checked against the data contract), computed by the same engine
    for Kent, the districts (and SCS areas) and every month and quarter up to the period,
    then suppressed and assessed as the real indicators are. Returns the tidy numeric table
    of :func:`results` for the trial indicator. Nothing is written.

    Examples
    --------
    A share of notifications from health services::

        ex.trial_indicator('''
          id: ehn_from_health_pct
          title: Notifications from health services
          definition: Share of notifications received from health organisations.
          numerator: Notifications with source_org_type HEALTH.
          denominator: All notifications received.
          unit: "%"
          polarity: N
          data_period: month
          source: Early Help Module
          method: event_share
          params: {table: notifications, date: date_received, where: {source_org_type: [HEALTH]}}
        ''', "2016-17 Q4")
    """
    from .indicators.assess import assess
    from .indicators.engine import compute_results
    from .indicators.results import extract_date_of

    if isinstance(spec, str):
        doc = read_yaml(spec, "trial indicator")
        entry = doc.data
        if isinstance(entry, list) and len(entry) == 1:
            entry = entry[0]
    else:
        doc, entry = None, dict(spec)
    if not isinstance(entry, dict):
        raise ConfigError("trial indicator: give one catalogue entry (a mapping with id, title, ...)")
    real = load_catalogue()
    if entry.get("id") in real:
        raise ConfigError(f"trial indicator: {entry['id']!r} is already in the catalogue; give the trial its own id")
    trial = parse_catalogue({"indicators": [entry]}, None, "trial indicator")[entry["id"]]
    if not trial.has_data:
        raise ConfigError("trial indicator: it must be computed from the extract (status available, a method)")
    p = period(period_label)
    tables, manifest = io.read_processed()
    cat = {**real, trial.id: trial}
    raw = compute_results(tables, extract_date_of(manifest), up_to=p, indicator_ids=[trial.id],
                          include_scs_areas=include_scs_areas, catalogue=cat)
    published, _audit = assess(raw, cat, threshold=load_settings().suppression_threshold)
    out = published.assign(
        title=trial.title, unit=trial.unit,
        status=np.where(published["suppressed"].fillna(False).astype(bool), WITHHELD,
                        np.where(published["value"].isna(), NOT_AVAILABLE, PUBLISHED)))
    first = [c for c in RESULT_COLUMNS if c in out.columns]
    return out[first + [c for c in out.columns if c not in first and c != "suppressed"]].reset_index(drop=True)


# -- statistics ---------------------------------------------------------------------------------
def wilson_interval(x: float, n: float, level: float = 0.95) -> tuple[float, float, float]:
    """A proportion ``x / n`` in per cent with its Wilson score interval: ``(value, lower, upper)``.

    Examples
    --------
    >>> [round(v, 2) for v in wilson_interval(37, 120)]
    [30.83, 23.27, 39.58]
    """
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    lo, hi = stats.wilson_ci(np.array([x], dtype=float), np.array([n], dtype=float), z=z)
    return 100.0 * x / n, 100.0 * float(lo[0]), 100.0 * float(hi[0])


# -- maps --------------------------------------------------------------------------------------
#: Indices a map can show: the IMD and its domains (national deciles, MHCLG), and IDACI
#: (scores only in the reference data, so its groups are Kent's own tenths or fifths).
MAP_INDICES = {"imd": "Index of Multiple Deprivation", "income": "Income", "employment": "Employment",
               "education": "Education, Skills and Training", "health": "Health Deprivation and Disability",
               "crime": "Crime", "housing_services": "Barriers to Housing and Services",
               "living_env": "Living Environment", "idaci": "Income Deprivation Affecting Children (IDACI)"}


def deprivation_classes(index: str = "imd", groups: str = "decile", lsoas: pd.DataFrame | None = None
                        ) -> tuple[pd.DataFrame, list[str]]:
    """Each Kent LSOA's group (1 = most deprived) for a map: ``lsoa11_code``, ``district_code``,
    ``group``; and the group labels.

    IMD and its domains use the national deciles published by MHCLG (quintiles pair them:
    deciles 1-2 = quintile 1). IDACI is published here as scores only, so its groups are
    Kent's own: equal-count tenths or fifths of Kent's neighbourhoods (mapclassify
    ``Quantiles``), said in the labels.
    """
    from .data import reference

    if index not in MAP_INDICES:
        from .config import did_you_mean

        raise ValueError(f"index {index!r} is not one of {', '.join(MAP_INDICES)}.{did_you_mean(index, MAP_INDICES)}")
    if groups not in ("decile", "quintile"):
        raise ValueError(f"groups must be 'decile' or 'quintile', got {groups!r}")
    imd = reference.imd2019() if lsoas is None else lsoas
    k = 10 if groups == "decile" else 5
    if index == "idaci":
        import mapclassify

        scores = imd["idaci_score"].astype(float).to_numpy()
        # Quantiles class 0 = lowest scores; group 1 must be the most deprived (highest score).
        q = mapclassify.Quantiles(scores, k=k)
        group = k - q.yb
        word = "tenth" if k == 10 else "fifth"
        labels = [f"Kent's most deprived {word}" if g == 1 else f"Kent's least deprived {word}" if g == k
                  else f"Kent {word} {g}" for g in range(1, k + 1)]
    else:
        decile = imd[f"{index}_decile"].astype(int).to_numpy()
        group = decile if k == 10 else (decile + 1) // 2
        if k == 10:
            labels = ["Most deprived 10% in England (decile 1)"] + [f"Decile {d}" for d in range(2, 10)] + \
                     ["Least deprived 10% (decile 10)"]
        else:
            labels = ["Most deprived 20% (deciles 1-2)", "Deciles 3-4", "Deciles 5-6", "Deciles 7-8",
                      "Least deprived 20% (deciles 9-10)"]
    out = pd.DataFrame({"lsoa11_code": imd["lsoa11_code"].to_numpy(), "district_code": imd["district_code"].to_numpy(),
                        "group": np.asarray(group, dtype=int)})
    return out, labels


def deprivation_map(area: str = "Kent", *, index: str = "imd", groups: str = "decile"):
    """A map of an area's neighbourhoods by deprivation decile or quintile, as a Block (the map
    with alt text, a caption with vintages and attribution, and the counts as a table).

    Examples
    --------
    ``deprivation_map("Swale", index="imd", groups="decile")``;
    ``deprivation_map("Kent", index="idaci", groups="quintile")``.
    """
    from .data import reference
    from .geography import districts_in
    from .papers import maps
    from .papers.blocks import Block, _e, _table_html
    from .papers.needs import _figure

    code = resolve_area(area)
    classes, labels = deprivation_classes(index, groups)
    layer = maps.lsoa_layer(classes, reference.lsoa_boundaries())
    districts = maps.district_layer(reference.district_boundaries(), {c: area_name(c) for c in DISTRICTS})
    focus = None if code == KENT_CODE else set(districts_in(code))
    which = f"{MAP_INDICES[index]} {'deciles' if groups == 'decile' else 'quintiles'}"
    fig = maps.choropleth_figure(layer, layer["group"].to_numpy(), labels, districts, legend_title=which,
                                 focus=focus)
    here = classes if focus is None else classes[classes["district_code"].isin(focus)]
    counts = here["group"].value_counts().reindex(range(1, len(labels) + 1), fill_value=0)
    place = area_name(code)
    alt = (f"Map of {place}'s {len(here)} neighbourhoods (LSOA 2011) shaded by {which}, darkest most deprived; "
           f"{int(counts.iloc[0])} are in the most deprived group ({labels[0]}).")
    vintage = "IDACI 2019" if index == "idaci" else "English Indices of Deprivation 2019"
    caption = f"{place}: neighbourhoods by {which} ({vintage}; LSOA 2011 boundaries)."
    rows = [(lab, [f"{int(n):,}"]) for lab, n in zip(labels, counts, strict=True)]
    title = f"Neighbourhoods of {place} by {which}"
    table = _table_html(title, ["Group", "Neighbourhoods"], [(_e(h), v) for h, v in rows])
    html, svg = _figure(fig, alt=alt, caption=caption, table=table, raster=True,
                        attribution=[reference.ATTRIBUTION["imd2019"], reference.ATTRIBUTION["boundaries"]])
    # No hand-made Markdown: the Block derives it from the HTML (image, caption, alt text and table).
    return Block(html=html, text=alt, svg=svg)


# -- export --------------------------------------------------------------------------------------
def to_excel(tables: pd.DataFrame | Mapping[str, pd.DataFrame], path: str | Path) -> Path:
    """Write one table, or several (one sheet each, by name), to an ``.xlsx`` workbook.

    Numbers stay numbers; each sheet has one header row and frozen headings. Sheet names are
    cut to Excel's 31 characters.
    """
    frames = {"results": tables} if isinstance(tables, pd.DataFrame) else dict(tables)
    if not frames:
        raise ValueError("nothing to write: give a DataFrame or a mapping of sheet name to DataFrame")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"{path}: the workbook's name must end in .xlsx")
    return io.write_excel(frames, path)


__all__ = ["period", "area_code", "results", "series", "league_table", "catalogue", "trial_indicator",
           "wilson_interval", "deprivation_classes", "deprivation_map", "to_excel", "MAP_INDICES"]
