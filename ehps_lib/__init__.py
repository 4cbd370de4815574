"""ehps_lib: the shared library of the Kent EHPS reporting workspace.

Indicators, statistics, suppression, tables, charts, maps, data contracts and the
build pipeline that turns a case-system extract into the papers Members read.

Importing the package has no side effects: nothing is read, written or logged.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ehps-lib")
except PackageNotFoundError:  # pragma: no cover - only when run from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
