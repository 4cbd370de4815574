"""What an intruder can work out: the feasible range of every unknown count under linear relations.

A published table states some counts and withholds others (``c``); it also states, by its
structure, linear relations between them: a total is the sum of its parts, a quarter the sum of
its months, a numerator is at most its denominator. Whoever reads the table knows every
published count, every relation and that counts are whole numbers of at least 0. For each
withheld count this module computes the smallest and largest value consistent with all of
that (:func:`ranges`), with the HiGHS solver (highspy for linear programmes, re-solved from the
last basis; :func:`scipy.optimize.milp` for branch and bound): a mixed integer programme per
bound, since linear-programming bounds would be too wide where the relations are not totally
unimodular, and could pass a cell an integer intruder pins down.

The system is split into independent components first (unknowns that share no relation cannot
inform each other), and the common simple cases are solved exactly without a solver: an
unknown alone in its relations, and unknowns whose only relation is one sum.

:func:`is_protected` is the protection rule both the suppression and the audit apply.

This module is pure mathematics: it knows nothing about indicators, files or suppression
decisions, so the independent audit (:mod:`ehps_lib.publish.audit`) and the suppression that
must pass it (:mod:`ehps_lib.indicators.suppression`) share only this solver, each building its
own relations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

INF = math.inf


@dataclass
class Relation:
    """``sum(coefs * x[variables]) == rhs`` (``kind="eq"``) or ``<= rhs`` (``kind="le"``).

    ``variables`` index the unknowns; the published counts of the relation are already moved
    into ``rhs``. ``label`` says in words what the relation is (for findings).
    """

    variables: np.ndarray
    coefs: np.ndarray
    rhs: float
    kind: str = "eq"
    label: str = ""


@dataclass
class Ranges:
    """The result of :func:`ranges` for ``n`` unknowns.

    ``lo``/``hi``: smallest and largest feasible whole value (``hi`` is ``inf`` when nothing
    bounds it; both NaN when the unknown's component has no solution at all, i.e. the published
    figures contradict each other). ``component``: the component of each unknown;
    ``relations_of``: the relations (indices) of each component; ``solver_calls``: how many
    integer programmes were solved.
    """

    lo: np.ndarray
    hi: np.ndarray
    component: np.ndarray
    relations_of: dict[int, list[int]] = field(default_factory=dict)
    infeasible: set[int] = field(default_factory=set)
    solver_calls: int = 0
    #: unknowns the solve budget ran out on: ``lo``/``hi`` are then only outer bounds, and the
    #: rule is not proved for them
    unproven: set[int] = field(default_factory=set)
    budget: float = math.inf


#: The protection rules (``config.yml`` ``suppression.interval``).
RULES = ("values", "zero")


def is_protected(lo: float, hi: float, threshold: int, rule: str = "values") -> bool:
    """The protection rule: is a withheld count's feasible range ``[lo, hi]`` wide enough?

    Always protected: a range that is exactly 0 (a true zero, which is published anyway), or
    one wholly above ``threshold`` (a withheld partner known to be large reveals no small
    count; the small counts it protects are checked in their own right). Otherwise:

    * ``rule="values"`` (the default): the range must reach above the threshold (``hi >=
      threshold + 1``: an intruder cannot tell the count is small) and hold at least
      ``threshold + 1`` whole values (``hi - lo >= threshold``: never narrower than what "c"
      says of a small count, 1 to ``threshold``). Zeros are published as 0, so "c" already
      tells a reader a count is probably not 0; what is protected is its value;
    * ``rule="zero"`` (stricter): the range must reach both 0 and ``threshold + 1``, so that
      not even whether anyone was counted can be told.

    A range of NaN (contradictory figures) is never protected.

    Examples
    --------
    >>> is_protected(0, 9, 5), is_protected(0, 5, 5), is_protected(2, 40, 5), is_protected(7, 7, 5)
    (True, False, True, True)
    >>> is_protected(0, 0, 5), is_protected(3, 3, 5), is_protected(4, 8, 5), is_protected(0, math.inf, 5)
    (True, False, False, True)
    >>> is_protected(2, 40, 5, rule="zero"), is_protected(0, 6, 5, rule="zero")
    (False, True)
    """
    if math.isnan(lo) or math.isnan(hi):
        return False
    if hi == 0 or lo >= threshold + 1:
        return True
    if rule == "zero":
        return lo == 0 and hi >= threshold + 1
    return hi >= threshold + 1 and hi - lo >= threshold


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, a: int) -> int:
        p = self.parent
        root = a
        while p[root] != root:
            root = p[root]
        while p[a] != root:
            p[a], a = root, p[a]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def components(n: int, relations: list[Relation]) -> np.ndarray:
    """Component label of each of ``n`` unknowns: unknowns sharing a relation are joined."""
    uf = _UnionFind(n)
    for rel in relations:
        v = rel.variables
        for other in v[1:]:
            uf.union(int(v[0]), int(other))
    return np.array([uf.find(i) for i in range(n)], dtype=int)


def _split(n: int, relations: list[Relation], only: np.ndarray | None, budget: float = math.inf
           ) -> tuple[Ranges, list[tuple[int, np.ndarray]]]:
    """The empty :class:`Ranges` of ``n`` unknowns (NaN) with their linked components and the
    relations of each, and the components to work on (those holding an ``only`` unknown, or all)
    as ``(component, its unknowns)``."""
    comp = components(n, relations)
    rel_of: dict[int, list[int]] = {}
    for i, rel in enumerate(relations):
        if len(rel.variables):
            rel_of.setdefault(int(comp[rel.variables[0]]), []).append(i)
    out = Ranges(np.full(n, np.nan), np.full(n, np.nan), comp, rel_of, budget=budget)
    members: dict[int, list[int]] = {}
    for i, c in enumerate(comp):
        members.setdefault(int(c), []).append(i)
    wanted = None if only is None else {int(c) for c in comp[np.asarray(only, dtype=bool)]}
    return out, [(c, np.array(v)) for c, v in members.items() if wanted is None or c in wanted]


def ranges(n: int, relations: list[Relation], *, only: np.ndarray | None = None) -> Ranges:
    """Smallest and largest whole value of each of ``n`` unknowns (all at least 0) given ``relations``.

    ``only`` (booleans) restricts the work to the components holding those unknowns (others
    get NaN). See :class:`Ranges`.
    """
    out, work = _split(n, relations, only)
    lo, hi, rel_of = out.lo, out.hi, out.relations_of
    for c, vars_ in work:
        rels = [relations[i] for i in rel_of.get(c, [])]
        if not _solve_simple(vars_, rels, lo, hi):
            ok = _solve_milp(vars_, rels, lo, hi, out)
            if not ok:
                out.infeasible.add(c)
    return out


# -- exact answers without a solver ------------------------------------------------------------------
def _solve_simple(vars_: np.ndarray, rels: list[Relation], lo: np.ndarray, hi: np.ndarray) -> bool:
    """Solve the easy components in closed form; return False when a solver is needed."""
    if not rels:
        lo[vars_], hi[vars_] = 0.0, INF
        return True
    if len(vars_) == 1:
        a, b = 0.0, INF
        for rel in rels:
            coef = float(np.sum(rel.coefs))
            if coef == 0:
                if (rel.kind == "eq" and rel.rhs != 0) or (rel.kind == "le" and rel.rhs < 0):
                    a, b = np.nan, np.nan
                continue
            bound = rel.rhs / coef
            if rel.kind == "eq":
                if abs(bound - round(bound)) > 1e-9:
                    a, b = np.nan, np.nan
                    break
                a, b = max(a, round(bound)), min(b, round(bound))
            elif coef > 0:
                b = min(b, math.floor(bound + 1e-9))
            else:
                a = max(a, math.ceil(bound - 1e-9))
        if not (a <= b):
            a, b = np.nan, np.nan
        lo[vars_], hi[vars_] = a, b
        return True
    if len(rels) == 1 and rels[0].kind == "eq":
        rel = rels[0]
        coefs = rel.coefs
        if len(set(rel.variables.tolist())) == len(rel.variables) and (np.all(coefs == 1) or np.all(coefs == -1)):
            total = rel.rhs * float(coefs[0])
            if total < 0 or abs(total - round(total)) > 1e-9:
                lo[vars_], hi[vars_] = np.nan, np.nan
            else:
                lo[vars_], hi[vars_] = 0.0, float(round(total))
            return True
    return False


# -- integer programmes --------------------------------------------------------------------------------
def _matrices(vars_: np.ndarray, rels: list[Relation]):
    from scipy.sparse import csr_matrix

    pos = {int(v): i for i, v in enumerate(vars_)}
    rows, cols, vals, lb, ub = [], [], [], [], []
    for r, rel in enumerate(rels):
        for v, a in zip(rel.variables, rel.coefs, strict=True):
            rows.append(r)
            cols.append(pos[int(v)])
            vals.append(float(a))
        lb.append(rel.rhs if rel.kind == "eq" else -np.inf)
        ub.append(rel.rhs)
    a = csr_matrix((vals, (rows, cols)), shape=(len(rels), len(vars_)))
    return a, np.array(lb, dtype=float), np.array(ub, dtype=float)


def _solve_milp(vars_: np.ndarray, rels: list[Relation], lo: np.ndarray, hi: np.ndarray, out: Ranges) -> bool:
    """The exact range of each unknown of a component: an integer programme per bound."""
    prog = _Programme(*_matrices(vars_, rels))
    m = len(vars_)
    for i, v in enumerate(vars_):
        c = np.zeros(m)
        for sign, target in ((1.0, lo), (-1.0, hi)):
            c[i] = sign
            res = prog.solve(c)
            out.solver_calls += 1
            if res.status == 2:  # infeasible: the figures contradict each other
                lo[vars_], hi[vars_] = np.nan, np.nan
                return False
            if res.status == 3 or (res.status != 0 and sign < 0):  # unbounded above
                target[v] = INF
            elif res.status != 0:
                raise RuntimeError(f"HiGHS could not solve a feasibility problem ({res.message})")
            else:
                target[v] = float(round(res.x[i]))
        c[i] = 0.0
    return True


def propagate(a, lb: np.ndarray, ub: np.ndarray, passes: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Sound outer bounds of whole unknowns ``x >= 0`` with ``lb <= a @ x <= ub`` (interval propagation).

    Every feasible ``x`` lies within the returned ``[low, high]`` (the true range may be
    narrower): a lower bound above the threshold proves a cell protected without a solver.
    """
    coo = a.tocoo()
    rows, cols, vals = coo.row, coo.col, coo.data.astype(float)
    m = a.shape[1]
    low = np.zeros(m)
    high = np.full(m, np.inf)
    n_rows = a.shape[0]
    for _ in range(passes):
        # smallest and largest possible value of each term a_j * x_j
        t_min = np.where(vals > 0, vals * low[cols], vals * high[cols])
        t_max = np.where(vals > 0, vals * high[cols], vals * low[cols])
        fin_min, inf_min = np.isfinite(t_min), ~np.isfinite(t_min)
        fin_max, inf_max = np.isfinite(t_max), ~np.isfinite(t_max)
        sum_min = np.bincount(rows, np.where(fin_min, t_min, 0.0), n_rows)
        sum_max = np.bincount(rows, np.where(fin_max, t_max, 0.0), n_rows)
        n_inf_min = np.bincount(rows, inf_min, n_rows)
        n_inf_max = np.bincount(rows, inf_max, n_rows)
        # the rest of the row without term k
        rest_min = np.where(inf_min, sum_min[rows], sum_min[rows] - np.where(fin_min, t_min, 0.0))
        rest_min_ok = (n_inf_min[rows] - inf_min) == 0
        rest_max = np.where(inf_max, sum_max[rows], sum_max[rows] - np.where(fin_max, t_max, 0.0))
        rest_max_ok = (n_inf_max[rows] - inf_max) == 0
        new_low, new_high = low.copy(), high.copy()
        # a_k x_k <= ub - rest_min
        cap = ub[rows] - rest_min
        ok = rest_min_ok & np.isfinite(ub[rows])
        pos, neg = ok & (vals > 0), ok & (vals < 0)
        np.minimum.at(new_high, cols[pos], np.floor(cap[pos] / vals[pos] + 1e-9))
        np.maximum.at(new_low, cols[neg], np.ceil(cap[neg] / vals[neg] - 1e-9))
        # a_k x_k >= lb - rest_max
        floor_ = lb[rows] - rest_max
        ok = rest_max_ok & np.isfinite(lb[rows])
        pos, neg = ok & (vals > 0), ok & (vals < 0)
        np.maximum.at(new_low, cols[pos], np.ceil(floor_[pos] / vals[pos] - 1e-9))
        np.minimum.at(new_high, cols[neg], np.floor(floor_[neg] / vals[neg] + 1e-9))
        if np.array_equal(new_low, low) and np.array_equal(new_high, high):
            break
        low, high = new_low, new_high
        if (low > high).any():
            break
    return low, high


def check(n: int, relations: list[Relation], threshold: int, *, only: np.ndarray | None = None,
          max_solves: float = math.inf, rule: str = "values", settled: np.ndarray | None = None,
          settled_lo: np.ndarray | None = None, settled_hi: np.ndarray | None = None,
          exact: bool = True, component_work: float = math.inf, witness_options: dict | None = None,
          single_options: dict | None = None) -> Ranges:
    """Like :func:`ranges`, but proves the protection rule with as few integer programmes as it can.

    Exact bounds are computed only where they matter. For each component: interval
    propagation (:func:`propagate`) settles the unknowns whose outer bounds already decide
    the rule; then two integer programmes over all the others at once give, for each, a
    feasible point where it is small (minimise their sum) and one where it is large (maximise
    the sum of each unknown capped where the rule is met); an unknown that is small enough in
    the first and large enough in the second is proved protected (its true range holds both).
    This repeats while it proves more; only the unknowns left get their own programmes.

    In the result, ``lo`` and ``hi`` are exact for every unknown that fails the rule; for the
    others they may be bounds just wide enough to prove it (``lo`` an upper bound of the true
    minimum, ``hi`` a lower bound of the true maximum). ``max_solves`` caps the programmes
    solved for single unknowns (a badly protected table can have thousands of failing cells):
    past it, unknowns not yet settled are listed in ``unproven``, with outer bounds. (A count, not a
    clock: the same inputs give the same decisions on any machine, however busy.)
    ``component_work`` caps them within one linked component too, at ``component_work`` divided
    by its number of unknowns (at least 8): a programme costs about in proportion to the
    component's size, and one component of thousands of unknowns must not take a whole round.

    ``settled`` (booleans) marks unknowns already proved protected under fewer unknowns, with
    the ranges then found (``settled_lo``, ``settled_hi``): they are not proved again. Turning a
    published count into an unknown only widens every feasible range (the old solutions, with
    that count at its published value, are still solutions), so a proof stays valid while more
    is withheld; the suppression's rounds rely on this.

    ``exact=False``: an unknown that interval propagation alone shows to fail keeps those outer
    bounds instead of its exact range (the suppression only needs to know it fails; the audit
    reports exact ranges).

    ``witness_options``: the HiGHS options of the two witness programmes (default
    :data:`WITNESS_OPTIONS`); a ``node_limit`` stops a hard one early with whatever point it
    has (any feasible point is a valid witness, so this never weakens a proof).
    ``single_options``: the same for the programmes of single unknowns; one stopped early
    settles its unknown only when its point proves the rule, and lists it in ``unproven``
    otherwise (its range is then not known exactly: for a protection that withholds a partner
    for an unproven cell anyway, not for an audit).

    """
    out, work = _split(n, relations, only, budget=max_solves)
    lo, hi, rel_of = out.lo, out.hi, out.relations_of
    for c, vars_ in sorted(work, key=lambda cv: len(cv[1])):
        rels = [relations[i] for i in rel_of.get(c, [])]
        if _solve_simple(vars_, rels, lo, hi):
            continue
        if len(vars_) <= 2:
            if not _solve_milp(vars_, rels, lo, hi, out):
                out.infeasible.add(c)
            continue
        known = None
        if settled is not None:
            known = np.asarray(settled, dtype=bool)[vars_]
            lo[vars_[known]] = np.asarray(settled_lo, dtype=float)[vars_[known]]
            hi[vars_[known]] = np.asarray(settled_hi, dtype=float)[vars_[known]]
        allowed = max(8, int(component_work / len(vars_))) if math.isfinite(component_work) else math.inf
        if not _certify(vars_, rels, threshold, lo, hi, out, rule, known=known, exact=exact, allowed=allowed,
                        witness_options=WITNESS_OPTIONS if witness_options is None else witness_options,
                        single_options=single_options):
            out.infeasible.add(c)
    return out


def _certify(vars_: np.ndarray, rels: list[Relation], threshold: int, lo: np.ndarray, hi: np.ndarray,
             out: Ranges, rule: str, *, known: np.ndarray | None = None, exact: bool = True,
             allowed: float = math.inf, witness_options: dict | None = None,
             single_options: dict | None = None) -> bool:
    from scipy.sparse import csr_matrix, hstack, identity, vstack

    a, lb, ub = _matrices(vars_, rels)
    m = len(vars_)
    cap = threshold + 1
    low, high = propagate(a, lb, ub)
    if (low > high).any():
        lo[vars_], hi[vars_] = np.nan, np.nan
        return False
    # settled by the outer bounds alone: known zero, known above the threshold, or too narrow
    done = (high == 0) | (low >= cap)
    lo[vars_[done]], hi[vars_[done]] = low[done], np.where(high[done] == 0, 0.0, np.maximum(high[done], low[done]))
    narrow = ~done & ((high < cap) | ((high - low) < threshold) | ((low > 0) & (rule == "zero")))
    if known is not None:
        narrow &= ~known  # proved before: propagation's bounds are outer bounds, never a failure
        done = done | known
    small = np.where(done, low, np.inf)  # a feasible value where each unknown is smallest so far
    large = np.where(done, high, -np.inf)  # ... and largest so far

    base = _Programme(a, lb, ub)
    ext = None  # the witness programme's: each unknown and its capped copy (made when first needed)

    def solve(c, prog=base, upper=None, options=None):
        """One programme of ``prog`` (see :class:`_Programme`), counted."""
        out.solver_calls += 1
        return prog.solve(c, upper, options)

    def point(res):
        """The whole feasible point a programme found, optimal or not (None if it found none)."""
        if res.x is None or res.status not in (0, 1):
            return None
        return np.round(res.x)

    def goal(i: int) -> float:
        """How large the unknown must be able to get, given how small it can get."""
        floor_ = 0.0 if rule == "zero" else small[i]
        return max(float(cap), floor_ + threshold)

    open_ = ~done & ~narrow
    for _round in range(25):
        if not open_.any():
            break
        # These two programmes only look for feasible points (any point is a valid witness; the
        # objective steers it): a near-optimal one, found in a fraction of the time, will do.
        res = solve(open_ * _weights(m, _round, small=True), options=witness_options)
        if res.status == 2:
            lo[vars_], hi[vars_] = np.nan, np.nan
            return False
        x = point(res)
        if x is None:
            break
        small = np.minimum(small, x)
        large = np.maximum(large, x)
        targets = np.array([goal(i) for i in range(m)])
        if ext is None:
            link = hstack([-identity(m, format="csr"), identity(m, format="csr")])
            ext = _Programme(vstack([hstack([a, csr_matrix((a.shape[0], m))]), link]),
                             np.concatenate([lb, np.full(m, -np.inf)]), np.concatenate([ub, np.zeros(m)]),
                             integer=np.concatenate([np.ones(m), np.zeros(m)]))
        c = np.concatenate([np.zeros(m), -(open_ * _weights(m, _round))])
        res = solve(c, ext, np.concatenate([np.full(m, np.inf), np.where(open_, targets, 0.0)]),
                    options=witness_options)
        x = point(res)
        if x is None:
            break
        x = x[:m]
        large = np.maximum(large, x)
        small = np.minimum(small, x)
        proved = open_ & (large >= targets) & ((small == 0) | (rule != "zero"))
        if not proved.any():
            break
        lo[vars_[proved]], hi[vars_[proved]] = small[proved], large[proved]
        open_ &= ~proved
    # What is left, one unknown at a time. Where no feasible point has it at 0 yet, its exact
    # minimum first; then its largest value capped at the goal, a programme that stops as soon as
    # a solution reaches the goal (uncapped, it must prove an optimum that does not matter). A
    # capped maximum below the goal is the exact maximum: the unknown fails. Every solution found
    # is also a feasible point for the unknowns still waiting, which may prove them on the way.
    def seen(res) -> np.ndarray | None:
        """An optimal programme's solution, rounded, kept as a feasible point for every unknown
        (None when the programme found no optimum)."""
        nonlocal small, large
        if res.status != 0:
            return None
        x = np.round(res.x)
        small = np.minimum(small, x)
        large = np.maximum(large, x)
        return x

    def settle(j: int) -> bool:
        if large[j] >= goal(j) and (small[j] == 0 or rule != "zero"):
            lo[vars_[j]], hi[vars_[j]] = small[j], large[j]
            return True
        return False

    for i in np.where(open_ | narrow)[0]:
        v = vars_[i]
        if not narrow[i] and settle(i):
            continue
        if narrow[i] and not exact:
            lo[v], hi[v] = low[i], high[i]
            continue
        if out.budget <= 0 or allowed <= 0:
            out.unproven.add(int(v))
            lo[v], hi[v] = low[i], high[i]
            continue
        out.budget -= 1
        allowed -= 1
        c = np.zeros(m)
        min_exact = True
        first = None  # (goal, optimum) of a first capped maximum
        if small[i] > low[i] and np.isfinite(small[i]):
            # first its largest value capped at the goal the points found so far set (a goal its exact
            # minimum can only lower): reached, the unknown is proved without its minimum
            upper = np.full(m, np.inf)
            upper[i] = goal(i)
            c[i] = -1.0
            res = solve(c, upper=upper, options=single_options)
            if res.status == 2:
                lo[vars_], hi[vars_] = np.nan, np.nan
                return False
            if (x := seen(res)) is None and (p := point(res)) is not None:
                small, large = np.minimum(small, p), np.maximum(large, p)
            if settle(i):
                continue
            first = (upper[i], x)
            c[i] = 0.0
        if small[i] > low[i]:
            c[i] = 1.0
            res = solve(c, options=single_options)
            if res.status == 2:
                lo[vars_], hi[vars_] = np.nan, np.nan
                return False
            if seen(res) is None:
                if single_options is None:
                    small[i] = min(small[i], low[i])
                else:  # stopped early: its point is still a witness, but the minimum is not known
                    min_exact = False
                    if (x := point(res)) is not None:
                        small, large = np.minimum(small, x), np.maximum(large, x)
        target = goal(i)
        if first is not None and first[0] == target and first[1] is not None:
            x = first[1]  # the same programme, solved to its optimum already
        else:
            c[i] = -1.0
            upper = np.full(m, np.inf)
            upper[i] = target
            res = solve(c, upper=upper, options=single_options)
            if res.status == 2:
                lo[vars_], hi[vars_] = np.nan, np.nan
                return False
            x = seen(res)
        if single_options is not None and (x is None or not min_exact):
            # a programme stopped early: proved if the points reach the goal, else not settled either way
            if x is None and (x := point(res)) is not None:
                small, large = np.minimum(small, x), np.maximum(large, x)
            if not settle(i):
                out.unproven.add(int(v))
                lo[v], hi[v] = low[i], high[i]
            continue
        lo[v], hi[v] = (small[i], x[i]) if x is not None else (small[i], np.inf)  # exact when below the goal
    return True


class _Programme:
    """The constraints of one component's programmes (``lb <= A x <= ub``, ``x >= 0``, whole numbers
    where ``integer``), solved for many objectives and upper bounds.

    The linear relaxation stays loaded in HiGHS (highspy) and each solve starts from the last
    optimal basis: the witness and single-unknown programmes of a component differ only in their
    objective and a bound or two, and a warm start re-solves a component of 2,000 unknowns in
    about 4 ms against about 30 ms from scratch. A relaxation with no solution means none in whole
    numbers either, and a relaxation's optimum in whole numbers is the integer optimum (tables of
    sums are mostly like that). Where the optimum of one unknown is fractional (linked tables of
    three or more dimensions are not totally unimodular), no whole value lies beyond it rounded
    inwards, so a whole point with the unknown there is the integer optimum: a few vertices of the
    relaxation with the unknown held there are tried first (:meth:`_whole_at`). Only the others go
    to branch and bound (:func:`scipy.optimize.milp`, HiGHS too), which can take seconds."""

    def __init__(self, a, lb: np.ndarray, ub: np.ndarray, integer: np.ndarray | None = None) -> None:
        self.a = a.tocsr()
        self.lb, self.ub = np.asarray(lb, dtype=float), np.asarray(ub, dtype=float)
        self.n = self.a.shape[1]
        self.integer = np.ones(self.n) if integer is None else np.asarray(integer, dtype=float)
        self._highs = None
        self._cost = np.zeros(self.n)
        self._upper = np.full(self.n, np.inf)
        self._lower = np.zeros(self.n)

    def _load(self):
        from highspy import HighsLp, MatrixFormat, kHighsInf

        try:  # the synchronous solver: highspy.Highs runs it in a thread and prints a banner
            from highspy._core import _Highs
        except ImportError:  # pragma: no cover - a highspy that no longer has it
            from highspy import Highs as _Highs

        csc = self.a.tocsc()
        lp = HighsLp()
        lp.num_col_, lp.num_row_ = self.n, csc.shape[0]
        lp.col_cost_ = self._cost
        lp.col_lower_ = np.zeros(self.n)
        lp.col_upper_ = np.full(self.n, kHighsInf)
        lp.row_lower_ = np.where(np.isfinite(self.lb), self.lb, -kHighsInf)
        lp.row_upper_ = np.where(np.isfinite(self.ub), self.ub, kHighsInf)
        lp.a_matrix_.format_ = MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(float)
        highs = _Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.passModel(lp)
        self._highs = highs
        return highs

    def _relaxed(self, c: np.ndarray, upper: np.ndarray, lower: np.ndarray | None = None
                 ) -> tuple[int, np.ndarray | None]:
        """The linear relaxation's status (0 optimal, 2 infeasible, 3 unbounded, 4 anything
        else) and optimum."""
        from highspy import HighsModelStatus

        highs = self._highs or self._load()
        changed = np.flatnonzero(c != self._cost)
        if len(changed):
            highs.changeColsCost(len(changed), changed.astype(np.int32), c[changed].astype(float))
            self._cost = c.astype(float).copy()
        self._bounds(upper, lower)
        highs.run()
        status = highs.getModelStatus()
        if status == HighsModelStatus.kOptimal:
            return 0, np.asarray(highs.getSolution().col_value, dtype=float)
        if status == HighsModelStatus.kInfeasible:
            return 2, None
        if status == HighsModelStatus.kUnbounded:
            return 3, None
        return 4, None

    def _bounds(self, upper: np.ndarray, lower: np.ndarray | None = None) -> None:
        """Set the unknowns' bounds in the loaded relaxation (``lower`` 0 unless given)."""
        from highspy import kHighsInf

        highs = self._highs or self._load()
        lower = np.zeros(self.n) if lower is None else lower
        changed = np.flatnonzero((upper != self._upper) | (lower != self._lower))
        if len(changed):
            highs.changeColsBounds(len(changed), changed.astype(np.int32), lower[changed].astype(float),
                                   np.where(np.isfinite(upper[changed]), upper[changed], kHighsInf).astype(float))
            self._upper = upper.astype(float).copy()
            self._lower = lower.astype(float).copy()

    def solve(self, c: np.ndarray, upper: np.ndarray | None = None, options: dict | None = None):
        """The integer optimum of ``c @ x`` under the constraints and ``x <= upper``, as a
        :class:`scipy.optimize.OptimizeResult` of :func:`scipy.optimize.milp` (``status`` 0
        optimal, 1 stopped with a feasible point, 2 infeasible, 3 unbounded; ``x``)."""
        from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, milp

        c = np.asarray(c, dtype=float)
        upper = np.full(self.n, np.inf) if upper is None else np.asarray(upper, dtype=float)
        status, x = self._relaxed(c, upper)
        if status == 2:
            return OptimizeResult(status=2, x=None, message="the linear relaxation has no solution")
        if status == 0:
            if (r := self._whole(x, upper)) is not None:
                return OptimizeResult(status=0, x=r, fun=float(c @ r), message="whole relaxation")
            nz = np.flatnonzero(c)
            if len(nz) == 1 and self.integer[nz[0]] > 0:
                # one unknown's minimum or maximum: no whole value beyond the relaxation's, rounded
                # inwards; a whole point there is the integer optimum
                j = int(nz[0])
                bound = math.ceil(x[j] - 1e-7) if c[j] > 0 else math.floor(x[j] + 1e-7)
                if (r := self._whole_at(j, bound, upper)) is not None:
                    return OptimizeResult(status=0, x=r, fun=float(c @ r), message="whole vertex at the bound")
        return milp(c, constraints=[LinearConstraint(self.a, self.lb, self.ub)], integrality=self.integer,
                    bounds=Bounds(np.zeros(self.n), upper), options=options)

    def _whole(self, x: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """``x`` rounded, if it is a whole solution (within ``upper``), else None."""
        whole = self.integer > 0
        if not np.all(np.abs(x[whole] - np.round(x[whole])) <= 1e-7):
            return None
        r = np.where(whole, np.round(x), x)
        ax = self.a @ r
        if np.all(ax >= self.lb - 1e-6) and np.all(ax <= self.ub + 1e-6) and np.all(r >= -1e-9) \
                and np.all(r <= upper + 1e-9):
            return r
        return None

    def _whole_at(self, j: int, value: float, upper: np.ndarray, tries: int = 3) -> np.ndarray | None:
        """A whole solution with unknown ``j`` at ``value``, looked for among the vertices of the
        relaxation with ``j`` held there (a few seeded objectives, each a warm-started linear
        programme of a few milliseconds; branch and bound takes seconds), or None."""
        if not (0 <= value <= upper[j]):
            return None
        held_lo, held_up = np.zeros(self.n), upper.copy()
        held_lo[j] = held_up[j] = value
        found = None
        for k in range(tries):
            objective = np.random.default_rng(k).random(self.n) + 0.01  # the smallest point, skewed
            status, x = self._relaxed(objective, held_up, held_lo)
            if status != 0:
                break
            if (found := self._whole(x, held_up)) is not None:
                break
        self._bounds(upper)  # as they were
        return found


def _weights(m: int, round_: int, small: bool = False) -> np.ndarray:
    """Weights of the unknowns in a witness programme: skewed at random (seeded by the round, so the
    same inputs give the same witnesses): unknowns that compete for the same relations cannot all
    reach their goal at once, and equal weights let the optimum share out the room so that none
    does; skewed weights pick winners, proving more per programme. The programme for large values
    starts with equal weights; the one for small values (``small``) draws from seeds of its own
    and never weighs equally (the plain sum returns the same point round after round)."""
    if round_ == 0 and not small:
        return np.ones(m)
    return np.random.default_rng(round_ + 100 if small else round_).random(m) ** 4 + 0.01


#: The witness programmes stop within 5 % of the optimum (any feasible point is a valid witness).
WITNESS_OPTIONS = {"mip_rel_gap": 0.05}
def binding_relations(vars_: np.ndarray, rels: list[Relation], var: int, sense: str) -> list[int]:
    """Positions (in ``rels``) of the relations that hold ``var`` at its bound: those with a
    non-zero shadow price in the linear programme minimising (``sense="min"``) or maximising it."""
    from scipy.optimize import linprog

    a, lb, ub = _matrices(vars_, rels)
    eq = np.array([r.kind == "eq" for r in rels])
    i = int(np.where(vars_ == var)[0][0])
    c = np.zeros(len(vars_))
    c[i] = 1.0 if sense == "min" else -1.0
    a = a.tocsr()
    res = linprog(c, A_ub=a[~eq] if (~eq).any() else None, b_ub=ub[~eq] if (~eq).any() else None,
                  A_eq=a[eq] if eq.any() else None, b_eq=ub[eq] if eq.any() else None,
                  bounds=(0, None), method="highs")
    if res.status != 0:
        return list(range(len(rels)))
    found = []
    eq_idx, le_idx = np.where(eq)[0], np.where(~eq)[0]
    if eq.any():
        found += [int(eq_idx[k]) for k, d in enumerate(res.eqlin.marginals) if abs(d) > 1e-9]
    if (~eq).any():
        found += [int(le_idx[k]) for k, d in enumerate(res.ineqlin.marginals) if abs(d) > 1e-9]
    return sorted(found) or [j for j, r in enumerate(rels) if var in set(r.variables.tolist())]


__all__ = ["Relation", "Ranges", "ranges", "check", "is_protected", "components", "binding_relations"]
