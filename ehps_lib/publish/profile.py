"""Where a build's time goes: wall-clock and CPU seconds per stage, across all its processes.

Each process of a build (the main process and every worker) keeps a :class:`Profile`; code
marks its stages with ``with profile.stage("pdf"):`` (nesting is allowed: an inner stage's
time is also inside the outer one's). A worker returns its profile with each run's result,
and the build adds them into its own (:meth:`Profile.merge`), so the build's profile sums
every process: the stages of the workers' papers run in parallel, and their wall-clock sum
can exceed the build's elapsed time.

The stages (:data:`STAGES`, in pipeline order):

``startup``
    the command line from the import of :mod:`ehps_lib.cli` to the start of the build
    (argument parsing, settings);
``results``
    computing or checking the period's results;
``plan``
    the cache keys: digests of the published data and of what people write, the release
    check, and the verification of cache entries by hash;
``imports``
    each worker importing pandas, matplotlib, papermill, WeasyPrint and the library once;
``secrets``
    reading the extract for the disclosure scan (what it looks for);
``execute``
    running the notebooks (papermill with the in-process engine), which includes
``figures``
    drawing charts and maps (matplotlib's ``savefig``), a part of ``execute``;
``html``
    the HTML page and the paper's CSV files;
``pdf``
    the PDF (WeasyPrint's layout and writing);
``edition``
    the executed notebook as Quarto renders it (kept in ``reports/``);
``scan``
    the disclosure scan of each paper's files;
``cache``
    hashing a run's files and putting them in the cache;
``audit``
    the disclosure audit of everything the site will publish (when the build runs one);
``publish``
    assembling the new build folder (copies verified by hash, index, manifests) and the
    swap, which includes
``gate``
    the publish gate's scan of the files the build wrote for the whole site.

The build writes its profile to ``<data>/cache/profile.json`` (:func:`write`), and
``ehps build --profile`` prints it (:func:`table`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("startup", "results", "plan", "imports", "secrets", "execute", "figures", "html", "pdf", "edition",
          "scan", "cache", "audit", "publish", "gate")
#: Stages whose time is inside another stage's (not added into totals).
NESTED = {"figures": "execute", "gate": "publish"}
PROFILE_FILE = "profile.json"


class Profile:
    """Seconds per stage: ``{stage: {"wall": s, "cpu": s, "count": n}}``."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, float]] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as ``name`` (wall clock and this process's CPU time)."""
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - wall, time.process_time() - cpu)

    def add(self, name: str, wall: float, cpu: float, count: int = 1) -> None:
        s = self.stages.setdefault(name, {"wall": 0.0, "cpu": 0.0, "count": 0})
        s["wall"] += wall
        s["cpu"] += cpu
        s["count"] += count

    def merge(self, other: dict | None) -> None:
        """Add another process's profile (as :meth:`as_dict` gives it)."""
        for name, s in (other or {}).items():
            self.add(name, s["wall"], s["cpu"], int(s["count"]))

    def as_dict(self) -> dict:
        order = {name: i for i, name in enumerate(STAGES)}
        return {name: {"wall": round(s["wall"], 3), "cpu": round(s["cpu"], 3), "count": int(s["count"])}
                for name, s in sorted(self.stages.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))}

    def reset(self) -> dict:
        """Return the profile so far and start a new one."""
        out, self.stages = self.as_dict(), {}
        return out


#: This process's profile.
PROFILE = Profile()


def stage(name: str):
    """``with stage("pdf"):`` times the block in this process's :data:`PROFILE`."""
    return PROFILE.stage(name)


def install_figure_timer() -> None:
    """Count matplotlib's ``savefig`` (every chart and map a paper draws) as the ``figures`` stage."""
    from matplotlib.figure import Figure

    if getattr(Figure.savefig, "_ehps_timed", False):
        return
    original = Figure.savefig

    def savefig(self, *args, **kwargs):
        with stage("figures"):
            return original(self, *args, **kwargs)

    savefig._ehps_timed = True
    Figure.savefig = savefig


def table(stages: dict, elapsed: float | None = None) -> str:
    """The profile as a plain-text table: each stage's wall and CPU seconds (summed over the
    processes that ran it), how many times it ran, and its share of all the work."""
    order = {name: i for i, name in enumerate(STAGES)}
    stages = dict(sorted(stages.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
    top = {k: v for k, v in stages.items() if k not in NESTED}
    total_wall = sum(s["wall"] for s in top.values()) or 1.0
    lines = [f"{'stage':<10} {'wall s':>9} {'cpu s':>9} {'times':>6} {'share':>6}"]
    for name, s in stages.items():
        label = f"  {name}" if name in NESTED else name
        share = f"{100 * s['wall'] / total_wall:5.1f}%"
        lines.append(f"{label:<10} {s['wall']:9.2f} {s['cpu']:9.2f} {s['count']:6d} {share:>6}")
    lines.append(f"{'all':<10} {sum(s['wall'] for s in top.values()):9.2f} "
                 f"{sum(s['cpu'] for s in top.values()):9.2f}")
    if elapsed is not None:
        lines.append(f"(stages in parallel workers add up: the build took {elapsed:.2f} s)")
    return "\n".join(lines)


class _Running:
    def __init__(self, profile: Profile, name: str) -> None:
        self.profile, self.name = profile, name
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def stop(self) -> None:
        self.profile.add(self.name, time.perf_counter() - self.wall, time.process_time() - self.cpu)


def start(name: str) -> _Running:
    """Start timing ``name`` in this process's profile; call ``.stop()`` on the result at its end."""
    return _Running(PROFILE, name)


#: Set by the command line before it runs a build: its start-up (wall, CPU seconds).
STARTUP: tuple[float, float] | None = None


def begin() -> None:
    """Start a build's profile in this process (with the command line's start-up, if any)."""
    global STARTUP
    PROFILE.reset()
    if STARTUP is not None:
        PROFILE.add("startup", *STARTUP)
        STARTUP = None
