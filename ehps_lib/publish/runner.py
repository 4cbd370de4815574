"""Run notebook templates fast: a papermill engine that executes in the worker's own process.

A standard papermill run starts a new Jupyter kernel for every notebook: a fresh Python
interpreter that imports pandas, matplotlib and the library again (several seconds per
paper). The workspace's templates are thin (one library call per cell, no magics), so the
build registers :class:`InProcessEngine` with papermill and runs each notebook inside a
long-lived worker process that has imported everything once:

* papermill still does what it is for: injecting the parameters cell, recording timings
  and status in the notebook's metadata, writing the executed notebook, and raising
  :class:`papermill.exceptions.PapermillExecutionError` naming the failing cell;
* each notebook gets a fresh namespace, so no variable leaks from one paper to the next;
* a cell's last expression becomes its ``execute_result`` (rich formats from its
  ``_repr_html_`` etc.), standard output and error become ``stream`` outputs, and an
  exception becomes an ``error`` output with its traceback, exactly as a kernel records them.

What it does not support is anything that needs a kernel: IPython magics (``%``, ``!``) and
``display()`` calls (cells return their result instead). Templates that need those can be
run with the standard engine (``engine_name="nbclient"``).
"""

from __future__ import annotations

import ast
import contextlib
import io
import sys
import traceback
from typing import Any

import nbformat
from papermill.engines import Engine, papermill_engines

ENGINE_NAME = "ehps-inprocess"


class UnsupportedCellError(Exception):
    """A cell uses a feature that needs a real kernel (a magic or a shell escape)."""


def _split_last_expression(tree: ast.Module) -> tuple[ast.Module, ast.Expression | None]:
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
        return tree, ast.Expression(body=last.value)
    return tree, None


def _format_result(value: Any) -> tuple[dict, dict]:
    from IPython.core.formatters import DisplayFormatter

    data, metadata = DisplayFormatter().format(value)
    return data, metadata


def _check_supported(source: str) -> None:
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            raise UnsupportedCellError(
                f"line {line.strip()!r} needs an IPython kernel; the in-process engine runs plain Python"
            )


def execute_cell(source: str, namespace: dict, execution_count: int) -> tuple[list, BaseException | None]:
    """Execute one cell's source in ``namespace``; return its nbformat outputs and any exception."""
    outputs: list = []
    stdout, stderr = io.StringIO(), io.StringIO()
    error: BaseException | None = None
    result: Any = None
    try:
        _check_supported(source)
        tree = ast.parse(source, filename=f"<cell {execution_count}>", mode="exec")
        body, last = _split_last_expression(tree)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            exec(compile(body, f"<cell {execution_count}>", "exec"), namespace)  # noqa: S102 - it is a notebook
            if last is not None:
                result = eval(compile(last, f"<cell {execution_count}>", "eval"), namespace)  # noqa: S307
    except BaseException as exc:  # noqa: BLE001 - recorded in the notebook like a kernel would
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        error = exc
    for name, buffer in (("stdout", stdout), ("stderr", stderr)):
        text = buffer.getvalue()
        if text:
            outputs.append(nbformat.v4.new_output("stream", name=name, text=text))
    if error is not None:
        tb = traceback.format_exception(type(error), error, error.__traceback__)
        # drop this module's own frame from the traceback the reader sees
        outputs.append(nbformat.v4.new_output("error", ename=type(error).__name__, evalue=str(error),
                                              traceback=[line.rstrip("\n") for line in tb]))
    elif result is not None:
        data, metadata = _format_result(result)
        outputs.append(nbformat.v4.new_output("execute_result", data=data, metadata=metadata,
                                              execution_count=execution_count))
    return outputs, error


class InProcessEngine(Engine):
    """Papermill engine executing code cells in this process (see the module docstring)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        namespace: dict = {"__name__": "__main__", "__builtins__": __builtins__}
        # Papermill saves the notebook at every cell's start and end, for watching a long kernel
        # run; cells here take a fraction of a second, so save once, when the run completes.
        output_path, nb_man.output_path = nb_man.output_path, None
        try:
            cls._run_cells(nb_man, namespace)
        finally:
            nb_man.output_path = output_path

    @classmethod
    def _run_cells(cls, nb_man, namespace: dict) -> None:
        count = 0
        for index, cell in enumerate(nb_man.nb.cells):
            nb_man.cell_start(cell, index)
            if cell.cell_type != "code":
                nb_man.cell_complete(cell, index)
                continue
            count += 1
            outputs, error = execute_cell(cell.source, namespace, count)
            cell.execution_count = count
            cell.outputs = outputs
            if error is not None:
                nb_man.cell_exception(cell, cell_index=index, exception=error)
                nb_man.cell_complete(cell, index)
                break
            nb_man.cell_complete(cell, index)


def register() -> str:
    """Register the in-process engine with papermill (idempotent); return its name."""
    papermill_engines.register(ENGINE_NAME, InProcessEngine)
    return ENGINE_NAME


def warm_up(modules: tuple[str, ...] = ("pandas", "numpy", "matplotlib.figure", "matplotlib.backends.backend_svg",
                                         "nbformat", "papermill", "nbconvert", "weasyprint", "ehps_lib.papers.blocks",
                                         "ehps_lib.papers.scorecard_data", "ehps_lib.publish.render")) -> None:
    """Import what every run needs, once per worker process, and register the engine."""
    import importlib
    import os

    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["EHPS_INLINE_STYLES"] = "0"  # papers are published with the page's own style sheet
    for name in modules:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    register()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
