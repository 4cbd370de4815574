"""Root pytest configuration: a small synthetic data folder for notebooks and end-to-end tests.

``pytest --nbval-lax notebooks/`` runs each notebook template with its default parameters
(Kent, the latest quarter). The kernel reads the data folder named by ``EHPS_DATA_DIR``,
which it inherits from this process, so the folder must be ready, and the variable set,
before the first kernel starts. When (and only when) notebook cells are collected, this
file makes the folder once per session: a short synthetic extract (seed 1, January 2015 to
June 2016), ingested and with the results of its latest quarter computed. Tests that need
the same folder ask for the ``synthetic_data_dir`` fixture. The SCS dashboard's notebooks
also need the synthetic statutory returns: when they are collected, the kernel reads a copy
of that folder with the returns added (``synthetic_returns_dir``, made once, a few minutes).

This file lives at the root because pytest loads ``tests/conftest.py`` only for tests
under ``tests/``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest

FIXTURE_SEED = 1
FIXTURE_START = dt.date(2015, 1, 1)
FIXTURE_END = dt.date(2016, 6, 30)  # latest complete quarter: 2016-17 Q1
SIX_MONTHLY_PERIOD = "2015-16 Q4"  # the fixture's quarter ending in March, for papers made every six months

_state: dict[str, object] = {}


def prepare_fixture_data(folder: Path) -> Path:
    """Generate, ingest and compute the fixture extract into ``folder`` (a data directory)."""
    from ehps_lib.data import ingest, synth
    from ehps_lib.indicators import results

    tables = synth.generate_extract(FIXTURE_SEED, FIXTURE_START, FIXTURE_END)
    synth.write_extract(tables, folder / "extract", seed=FIXTURE_SEED, start=FIXTURE_START, end=FIXTURE_END)
    # Checking how much ingest rejects is the ingest tests' job; here any valid rows will do.
    result = ingest.ingest([folder / "extract"], data_dir=folder, max_reject_share=1.0)
    if not result.published:
        raise RuntimeError("The fixture extract could not be ingested:\n" + result.summary())
    results.compute_and_write_results("latest", base=folder)
    return folder


def fixture_data_dir() -> Path:
    """The session's fixture data folder, made on first use."""
    if "dir" not in _state:
        folder = Path(tempfile.mkdtemp(prefix="ehps-fixture-data-"))
        _state["dir"] = folder
        prepare_fixture_data(folder)
    return _state["dir"]  # type: ignore[return-value]


def prepare_returns_data(folder: Path) -> Path:
    """Generate, write, ingest and compute the synthetic statutory returns into ``folder``: the
    built-in generator's defaults (August 2016, the month it is calibrated to), and the SCS
    dashboard's results for the returns' latest month."""
    from ehps_lib.data.returns import synth as returns_synth
    from ehps_lib.data.returns.ingest import ingest_returns
    from ehps_lib.indicators import scs_results

    tables, _notes = returns_synth.generate_returns()
    out = folder / "extract" / "returns"
    returns_synth.write_returns(tables, out, seed=returns_synth.DEFAULT_SEED, start=returns_synth.DEFAULT_START,
                                end=returns_synth.DEFAULT_END)
    result = ingest_returns([out], data_dir=folder, max_reject_share=1.0)
    if not result.published:
        raise RuntimeError("The fixture returns could not be ingested:\n" + result.summary())
    scs_results.compute_and_write("latest", base=folder)
    return folder


def returns_fixture_dir() -> Path:
    """A data folder holding the fixture extract (a copy of :func:`fixture_data_dir`) and the
    synthetic statutory returns with the SCS results: made on first use, once per session."""
    if "returns_dir" not in _state:
        folder = Path(tempfile.mkdtemp(prefix="ehps-fixture-returns-"))
        shutil.copytree(fixture_data_dir(), folder, dirs_exist_ok=True)
        shutil.rmtree(folder / "cache", ignore_errors=True)
        _state["returns_dir"] = folder
        prepare_returns_data(folder)
    return _state["returns_dir"]  # type: ignore[return-value]


def _is_notebook_item(item: pytest.Item) -> bool:
    return type(item).__module__.startswith("nbval") or str(getattr(item, "path", "")).endswith(".ipynb")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]):
    notebooks = [item for item in items if _is_notebook_item(item)]
    if notebooks:
        _state["saved_env"] = os.environ.get("EHPS_DATA_DIR")
        # the SCS dashboard's notebooks read the statutory returns too
        scs = any(Path(str(getattr(item, "path", ""))).name.startswith("scs_") for item in notebooks)
        os.environ["EHPS_DATA_DIR"] = str(returns_fixture_dir() if scs else fixture_data_dir())


def pytest_unconfigure(config: pytest.Config) -> None:
    if "saved_env" in _state:
        saved = _state.pop("saved_env")
        if saved is None:
            os.environ.pop("EHPS_DATA_DIR", None)
        else:
            os.environ["EHPS_DATA_DIR"] = saved  # type: ignore[assignment]
    for key in ("dir", "returns_dir"):
        folder = _state.pop(key, None)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def synthetic_data_dir() -> Path:
    """A data folder holding a small ingested synthetic extract and its latest-quarter results.

    Shared by the whole session: tests may add results to it but must not change what is there.
    """
    return fixture_data_dir()


@pytest.fixture(scope="session")
def synthetic_returns_dir() -> Path:
    """A data folder holding the fixture extract and the synthetic statutory returns, ingested,
    with the SCS dashboard's results for August 2016. Shared by the session: read only."""
    return returns_fixture_dir()


@pytest.fixture(scope="session")
def built_pack(tmp_path_factory) -> tuple[Path, Path]:
    """(site, reports): a site built with the built-in engine from the fixture data (the extract
    and the statutory returns), with one paper of every template (Kent, and Canterbury
    (E07000106) for the templates that cover districts; the six-monthly ones for 2015-16 Q4, the
    others for the latest quarter, the returns' papers for the returns' latest month; the internal
    ones in ``internal/`` beside the site), and the reports folder holding each paper's notebook
    as Quarto renders it. Shared by the browser, paper and Quarto tests; read only."""
    from ehps_lib import config
    from ehps_lib.publish import build

    data = tmp_path_factory.mktemp("site-data")
    shutil.copytree(returns_fixture_dir(), data, dirs_exist_ok=True)
    shutil.rmtree(data / "cache", ignore_errors=True)
    site = tmp_path_factory.mktemp("site") / "site"
    reports = tmp_path_factory.mktemp("site-reports")
    mp = pytest.MonkeyPatch()
    mp.setenv("EHPS_DATA_DIR", str(data))
    try:
        outcome = build.build(period="latest", areas=["E10000016", "E07000106"], workers=2, engine="builtin",
                              site_dir=site, reports_dir=reports, log=lambda _m: None, progress=False)
        assert outcome.ok, [f.describe() for f in outcome.failures]
        # the six-monthly papers are made only for periods ending in their months: the fixture's
        # March quarter, published beside the latest one
        six_monthly = [t.id for t in config.load_settings().templates if t.period_ends and not t.builds_for(6)]
        outcome = build.build(period=SIX_MONTHLY_PERIOD, areas=["E10000016"], workers=2, engine="builtin",
                              site_dir=site, reports_dir=reports, log=lambda _m: None, progress=False,
                              templates=six_monthly)
    finally:
        mp.undo()
    assert outcome.ok, [f.describe() for f in outcome.failures]
    return site, reports


@pytest.fixture(scope="session")
def built_site(built_pack) -> Path:
    """The site of :func:`built_pack`."""
    return built_pack[0]
