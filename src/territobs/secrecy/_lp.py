"""One attacker polytope, optimised in many directions with a warm-started simplex.

The attacker's polytope ``{x >= 0, lower <= A x <= upper}`` of one connected
component is loaded once into HiGHS (:mod:`highspy`); each masked figure is
then the minimum and the maximum of one linear functional over it. Only the
objective changes between solves, so the previous optimal basis stays primal
feasible and the simplex restarts from it (a few pivots instead of a solve
from scratch, which :func:`scipy.optimize.linprog` would do every time).

``highspy._Highs`` is the solver class itself: the ``highspy.Highs`` wrapper
adds Python callbacks, and setting them up prints HiGHS's banner on standard
output, which would end up in the CLI's output.
"""

from __future__ import annotations

import numpy as np
from highspy import _Highs  # type: ignore[attr-defined]
from highspy._core import HighsLp, HighsModelStatus, MatrixFormat
from scipy import sparse

__all__ = ["Polytope"]

_INF = float("inf")


class Polytope:
    """A polytope ``{x >= 0, lower <= rows @ x <= upper}`` to optimise over.

    Parameters
    ----------
    rows : scipy.sparse array
        ``m × n`` coefficients of the published figures (equalities have
        ``lower == upper``).
    lower, upper : numpy.ndarray
        Bounds of each row (``-inf``/``inf`` allowed).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import sparse
    >>> p = Polytope(sparse.csr_array(np.array([[1.0, 1.0, 1.0]])),
    ...              np.array([6.0]), np.array([6.0]))
    >>> p.optimum(np.array([0]), np.array([1.0]), maximise=True)[0]
    6.0
    """

    def __init__(
        self, rows: sparse.sparray, lower: np.ndarray, upper: np.ndarray
    ) -> None:
        matrix = sparse.csc_array(rows)
        n_rows, n_cols = matrix.shape
        self.n_cols = n_cols
        lp = HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = np.zeros(n_cols)
        lp.col_lower_ = np.zeros(n_cols)
        lp.col_upper_ = np.full(n_cols, _INF)
        lp.row_lower_ = np.asarray(lower, dtype=float)
        lp.row_upper_ = np.asarray(upper, dtype=float)
        lp.a_matrix_.format_ = MatrixFormat.kColwise
        lp.a_matrix_.num_col_ = n_cols
        lp.a_matrix_.num_row_ = n_rows
        lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
        lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
        lp.a_matrix_.value_ = matrix.data.astype(float)
        self._highs = _Highs()
        self._highs.setOptionValue("output_flag", False)
        # only the objective changes between solves: the last optimal basis
        # stays primal feasible, so the primal simplex restarts from it in a
        # few pivots (the dual simplex, HiGHS's default, takes hundreds)
        self._highs.setOptionValue("simplex_strategy", 4)
        self._highs.passModel(lp)
        self._cost_columns = np.zeros(0, dtype=np.int32)
        self.solves = 0

    def optimum(
        self, columns: np.ndarray, coefficients: np.ndarray, *, maximise: bool
    ) -> tuple[float, np.ndarray | None, np.ndarray]:
        """Optimise ``coefficients · x[columns]`` over the polytope.

        Returns
        -------
        value : float
            The optimum (``±inf`` when unbounded, ``nan`` when infeasible).
        point : numpy.ndarray or None
            An optimal point (None unless optimal).
        row_dual : numpy.ndarray
            Dual value of every row at the optimum (zeros unless optimal).
        """
        highs = self._highs
        columns = np.asarray(columns, dtype=np.int32)
        if len(self._cost_columns):
            highs.changeColsCost(
                len(self._cost_columns),
                self._cost_columns,
                np.zeros(len(self._cost_columns)),
            )
        sign = -1.0 if maximise else 1.0
        highs.changeColsCost(
            len(columns), columns, sign * np.asarray(coefficients, dtype=float)
        )
        self._cost_columns = columns
        highs.run()
        self.solves += 1
        status = highs.getModelStatus()
        n_rows = highs.getNumRow()
        if status == HighsModelStatus.kOptimal:
            solution = highs.getSolution()
            value = sign * float(highs.getInfo().objective_function_value)
            return (
                value,
                np.asarray(solution.col_value),
                np.asarray(solution.row_dual),
            )
        if status in (
            HighsModelStatus.kUnbounded,
            HighsModelStatus.kUnboundedOrInfeasible,
        ):
            if (
                status == HighsModelStatus.kUnboundedOrInfeasible
                and not self._feasible()
            ):
                return np.nan, None, np.zeros(n_rows)
            return (_INF if maximise else -_INF), None, np.zeros(n_rows)
        return np.nan, None, np.zeros(n_rows)

    def _feasible(self) -> bool:
        """Whether the polytope is nonempty (zero objective)."""
        highs = self._highs
        highs.changeColsCost(
            len(self._cost_columns),
            self._cost_columns,
            np.zeros(len(self._cost_columns)),
        )
        self._cost_columns = np.zeros(0, dtype=np.int32)
        highs.clearSolver()
        highs.run()
        return bool(highs.getModelStatus() == HighsModelStatus.kOptimal)
