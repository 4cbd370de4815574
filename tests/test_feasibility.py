"""The intruder's arithmetic (ehps_lib.indicators.feasibility), on tables small enough to work by hand."""

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix

from ehps_lib.indicators.feasibility import Relation, _Programme, check, is_protected, ranges


def _sum(total: float, *variables: int) -> Relation:
    """``total`` = the sum of ``variables`` (unknowns by index)."""
    return Relation(np.array(variables), np.ones(len(variables)), float(total), "eq", f"sum to {total:g}")


def test_a_two_by_two_table_with_its_margins_published():
    # rows 5 and 7, columns 6 and 6, every inner cell withheld: x11 = t, x12 = 5 - t, x21 = 6 - t,
    # x22 = 1 + t, with t from 0 to 5 (x12 >= 0)
    rels = [_sum(5, 0, 1), _sum(7, 2, 3), _sum(6, 0, 2), _sum(6, 1, 3)]
    got = ranges(4, rels)
    assert got.lo.tolist() == [0, 0, 1, 1]
    assert got.hi.tolist() == [5, 5, 6, 6]


def test_whole_numbers_matter_an_odd_cycle_has_no_solution():
    # x1 + x2 = x2 + x3 = x1 + x3 = 1: each 1/2 in a linear programme, but 2 (x1 + x2 + x3) = 3 has no
    # solution in whole numbers, so the figures contradict each other
    rels = [_sum(1, 0, 1), _sum(1, 1, 2), _sum(1, 0, 2)]
    got = ranges(3, rels)
    assert np.isnan(got.lo).all() and np.isnan(got.hi).all()


def test_a_count_pinned_by_a_second_relation_fails_with_its_exact_range():
    # a + b + c = 12 (all withheld) and a + d = 3: a is 0 to 3 whatever b, c and d are
    rels = [_sum(12, 0, 1, 2), _sum(3, 0, 3)]
    got = check(4, rels, threshold=5)
    assert (got.lo[0], got.hi[0]) == (0, 3)
    assert not is_protected(got.lo[0], got.hi[0], 5)
    # b and c: 9 to 12 together once a is at most 3, each 0 to 12
    assert all(is_protected(got.lo[v], got.hi[v], 5) for v in (1, 2))


def test_a_well_protected_table_passes_with_few_programmes():
    # a 3 x 3 table of withheld cells with published margins of 20: every cell 0 to 20
    rels = [_sum(20, 0, 1, 2), _sum(20, 3, 4, 5), _sum(20, 6, 7, 8),
            _sum(20, 0, 3, 6), _sum(20, 1, 4, 7), _sum(20, 2, 5, 8)]
    got = check(9, rels, threshold=5)
    assert all(is_protected(got.lo[v], got.hi[v], 5) for v in range(9))
    assert not got.unproven
    assert got.solver_calls < 9 * 2  # not a programme per bound


def test_warm_started_programmes_agree_with_solving_each_from_scratch():
    rng = np.random.default_rng(7)
    n, m = 30, 18
    a = (rng.random((m, n)) < 0.2).astype(float)
    a[0] = 1.0  # a grand total, so that every programme is bounded
    truth = rng.integers(0, 9, n).astype(float)
    lb = ub = a @ truth  # sums of a table that exists, so always feasible
    prog = _Programme(csr_matrix(a), lb, ub)
    for k in range(25):
        c = rng.normal(size=n) * (rng.random(n) < 0.3)
        c[k % n] = -1.0
        upper = np.where(rng.random(n) < 0.1, truth + 2, np.inf)
        warm = prog.solve(c, upper)
        cold = milp(c, constraints=[LinearConstraint(a, lb, ub)], integrality=np.ones(n),
                    bounds=Bounds(np.zeros(n), upper))
        assert warm.status == cold.status == 0
        assert warm.x @ c == pytest.approx(cold.fun, abs=1e-6)
        assert np.allclose(a @ warm.x, lb) and (warm.x >= 0).all() and (warm.x <= upper + 1e-9).all()
        assert np.allclose(warm.x, np.round(warm.x))


def test_a_programme_with_no_solution_says_so(monkeypatch):
    # x1 + x2 = 7, x2 + x3 = 4; x1 at most 2 forces x2 >= 5 and x3 < 0. The table is totally
    # unimodular, so the warm-started linear programmes answer every question: no branch and bound
    import scipy.optimize

    def no_branch_and_bound(*args, **kwargs):
        raise AssertionError("the linear relaxation should have answered")

    monkeypatch.setattr(scipy.optimize, "milp", no_branch_and_bound)
    a = csr_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    prog = _Programme(a, np.array([7.0, 4.0]), np.array([7.0, 4.0]))
    assert prog.solve(np.array([1.0, 0, 0])).x.tolist() == [3, 4, 0]  # smallest x1
    assert prog.solve(np.array([1.0, 0, 0]), np.array([2.0, np.inf, np.inf])).status == 2
    assert prog.solve(np.array([-1.0, 0, 0])).x.tolist() == [7, 0, 4]  # bounds put back: largest x1


def test_a_programme_stopped_at_its_node_limit_proves_nothing(monkeypatch):
    """The audit gives every integer programme a node limit (a count, so the same verdict on any
    machine): one that stops there without a point settles nothing, and its unknown is listed as
    unproven (the audit reports it as a finding), never given a range."""
    import scipy.optimize

    def stopped(*args, **kwargs):
        assert kwargs.get("options", {}).get("node_limit") == 10
        return scipy.optimize.OptimizeResult(status=1, x=None, message="node limit reached")

    monkeypatch.setattr(scipy.optimize, "milp", stopped)
    # 2a + 2b + 2c = 7 has solutions in fractions but none in whole numbers: only branch and bound
    # can tell (the relaxation's vertices are all fractional)
    rels = [Relation(np.array([0, 1, 2]), np.array([2.0, 2.0, 2.0]), 7.0, "eq", "2a + 2b + 2c = 7")]
    got = check(3, rels, threshold=5, single_options={"node_limit": 10}, witness_options={"node_limit": 10})
    assert got.unproven == {0, 1, 2} and not got.infeasible
    monkeypatch.undo()
    exact = check(3, rels, threshold=5)
    assert not exact.unproven and exact.infeasible and np.isnan(exact.lo).all()


def test_a_whole_point_at_the_relaxations_bound_is_found_without_branch_and_bound(monkeypatch):
    import scipy.optimize

    def no_branch_and_bound(*args, **kwargs):
        raise AssertionError("a whole vertex at the bound should have answered")

    monkeypatch.setattr(scipy.optimize, "milp", no_branch_and_bound)
    # 2a + 2b + c = 7: the relaxation's largest a is 3.5 (b = c = 0); with a held at 3, b = 0 and
    # c = 1 is a whole vertex, so 3 is a's largest whole value
    prog = _Programme(csr_matrix(np.array([[2.0, 2.0, 1.0]])), np.array([7.0]), np.array([7.0]))
    got = prog.solve(np.array([-1.0, 0.0, 0.0]))
    assert got.status == 0 and got.x.tolist() == [3, 0, 1] and got.message == "whole vertex at the bound"
    # and the next programme starts from the bounds as they were (a not held at 3)
    assert prog.solve(np.array([1.0, 0.0, 0.0])).x[0] == 0
