"""Root pytest configuration: a small synthetic data folder for notebooks and end-to-end tests.

``pytest --nbval-lax notebooks/`` runs each notebook template with its default parameters
(Kent, the latest quarter). The kernel reads the data folder named by ``EHPS_DATA_DIR``,
which it inherits from this process, so the folder must be ready, and the variable set,
before the first kernel starts. When (and only when) notebook cells are collected, this
file makes the folder once per session: a short synthetic extract (seed 1, January 2015 to
June 2016), ingested and with the results of its latest quarter computed. Tests that need
the same folder ask for the ``synthetic_data_dir`` fixture.

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


def _is_notebook_item(item: pytest.Item) -> bool:
    return type(item).__module__.startswith("nbval") or str(getattr(item, "path", "")).endswith(".ipynb")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]):
    if any(_is_notebook_item(item) for item in items):
        _state["saved_env"] = os.environ.get("EHPS_DATA_DIR")
        os.environ["EHPS_DATA_DIR"] = str(fixture_data_dir())


def pytest_unconfigure(config: pytest.Config) -> None:
    if "saved_env" in _state:
        saved = _state.pop("saved_env")
        if saved is None:
            os.environ.pop("EHPS_DATA_DIR", None)
        else:
            os.environ["EHPS_DATA_DIR"] = saved  # type: ignore[assignment]
    folder = _state.pop("dir", None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def synthetic_data_dir() -> Path:
    """A data folder holding a small ingested synthetic extract and its latest-quarter results.

    Shared by the whole session: tests may add results to it but must not change what is there.
    """
    return fixture_data_dir()


@pytest.fixture(scope="session")
def built_pack(tmp_path_factory) -> tuple[Path, Path]:
    """(site, reports): a site built with the built-in engine from the fixture data, with one
    paper of every template (Kent, and Canterbury (E07000106) for the templates that cover
    districts; the six-monthly ones for 2015-16 Q4, the others for the latest quarter; the
    internal ones in ``internal/`` beside the site), and the reports folder holding
    each paper's notebook as Quarto renders it.
    Shared by the browser, paper and Quarto tests; read only."""
    from ehps_lib import config
    from ehps_lib.publish import build

    data = tmp_path_factory.mktemp("site-data")
    shutil.copytree(fixture_data_dir(), data, dirs_exist_ok=True)
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
