"""The package follows the pipeline: data → indicators → papers → publish → command line.

A module may import from its own stage or an earlier one, never a later one (so a paper never
depends on the build, and the data stage never on a paper); one module holds one paper and no
paper imports another; notebooks import only from the papers stage.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ehps_lib"

#: Stage of each part of the package, in pipeline order.
STAGES = {
    "ehps_lib": 0,  # the package itself: __version__
    "ehps_lib.config": 0,
    "ehps_lib.geography": 0,
    "ehps_lib.periods": 0,
    "ehps_lib.sitemap": 0,
    "ehps_lib.data": 1,
    "ehps_lib.indicators": 2,
    "ehps_lib.papers": 3,
    "ehps_lib.publish": 4,
    "ehps_lib.explore": 5,  # the analyst's API
    "ehps_lib.commands": 5,
    "ehps_lib.cli": 5,
}
STAGE_NAMES = {0: "foundation", 1: "data", 2: "indicators", 3: "papers", 4: "publish",
               5: "command line and analyst API"}
#: The papers: one module each, named like its template in notebooks/.
PAPER_MODULES = {f"ehps_lib.papers.{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb")}


def stage_of(module: str) -> int:
    """The stage of a dotted module name: its longest prefix in :data:`STAGES`."""
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in STAGES:
            return STAGES[prefix]
    raise KeyError(f"{module} belongs to no stage: add it to STAGES")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every ``ehps_lib`` module imported by ``source`` (at any depth), with its line number.

    ``from . import x`` yields the submodule ``pkg.x`` when it is one, else the package.
    """
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "ehps_lib"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ehps_lib":
                continue
            for a in node.names:
                sub = f"{target}.{a.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    ROOT / Path(*sub.split(".")) / "__init__.py").exists()
                found.append((node.lineno, sub if is_module else target))
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Imports in ``source`` that run against the pipeline, or from one paper into another."""
    mine = stage_of(module)
    out = []
    for line, imported in imports_of(source, module, is_package):
        theirs = stage_of(imported)
        if theirs > mine:
            out.append(f"{module}:{line} imports {imported}: the {STAGE_NAMES[mine]} stage may not import from "
                       f"the later {STAGE_NAMES[theirs]} stage")
        elif module in PAPER_MODULES and imported in PAPER_MODULES and imported != module:
            out.append(f"{module}:{line} imports {imported}: a paper may use shared blocks, not another paper")
    return out


def library_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


class TestViolations:
    """The checker itself, on planted sources: it must see each kind of wrong import."""

    @pytest.mark.parametrize("source, module", [
        ("from ..publish import build", "ehps_lib.papers.committee_paper"),
        ("from ..papers.blocks import Block", "ehps_lib.data.io"),
        ("def f():\n    from ..indicators import stats\n", "ehps_lib.data.ingest"),  # nested, lazy
        ("import ehps_lib.publish.build", "ehps_lib.indicators.assess"),
        ("from ehps_lib.data import io", "ehps_lib.config"),
        ("from .county_scorecard import scs_table", "ehps_lib.papers.committee_paper"),
    ])
    def test_a_wrong_import_is_reported(self, source, module):
        assert violations(source, module)

    @pytest.mark.parametrize("source, module", [
        ("from ..data import io", "ehps_lib.papers.scorecard_data"),
        ("from .. import __version__", "ehps_lib.data.ingest"),
        ("from .blocks import Block", "ehps_lib.papers.county_scorecard"),
        ("from ..papers.blocks import SYNTHETIC_BANNER_ATTR", "ehps_lib.publish.render"),
    ])
    def test_a_right_import_passes(self, source, module):
        assert violations(source, module) == []

    def test_every_module_belongs_to_a_stage(self):
        for path in library_modules():
            stage_of(module_name(path))


def test_no_import_runs_against_the_pipeline():
    found = []
    for path in library_modules():
        found += violations(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    assert found == [], "\n".join(found)


def test_one_module_per_paper():
    templates = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert templates, "no templates found"
    for name in templates:
        assert (PACKAGE / "papers" / f"{name}.py").exists(), f"the paper {name} has no module ehps_lib/papers/{name}.py"


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebooks_import_only_their_paper(notebook):
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    imported = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.Import):
                    imported += [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    imported += [f"{node.module}.{a.name}" for a in node.names]
    assert imported, "the template imports nothing"
    assert imported == [f"ehps_lib.papers.{notebook.stem}"], imported
