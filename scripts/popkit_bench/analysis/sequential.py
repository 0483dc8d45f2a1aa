"""Group-sequential stopping for `run --sequential`: after each batch, stop for a clear difference (alpha
spending) or for futility (beta spending), else continue up to max_trials. Naive "run until p < 0.05" is
never done.

Two designs:
- the metric's better direction is known (the common case: tokens, cost, time, pass rate): the one-sided
  design of analysis/one_sided.py asks "does the treatment help?": a benefit stops at an upper bound that
  spends alpha/2 (the false "better" rate of a two-sided fixed test at alpha; linear spending by default),
  futility stops at a binding beta-spending bound, and the design is calibrated to power 1 - design_beta at
  the effect a fixed design of `equivalent_fixed_n` trials per arm detects with the same power. A clear
  regression still stops (two-sided alpha-spending bound on the other side, alpha/2).
- direction unknown: two-sided efficacy (O'Brien-Fleming by default) and non-binding two-sided futility
  (|z| below a beta-spending bound, analysis/futility.py), or conditional-power futility.

Each look's test (Welch, or Boschloo for 0/1 outcomes) is turned into a z statistic through its p-value
(z = Phi^-1(1 - p/2), signed by the difference), so the z-scale boundaries also hold at small n.
The function is pure: the scheduler (execution/sequential_looks.py) calls `sequential_decision` after each batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from popkit_bench.analysis.futility import design_drift, futility_bounds
from popkit_bench.analysis.hypothesis import welch
from popkit_bench.analysis.one_sided import OneSidedDesign, calibrated_design, design_at
from popkit_bench.analysis.proportions import binary_p_strict
from popkit_bench.analysis.spending import spent
from popkit_bench.analysis.stratified import finite_values, stratified_test

_GRID = 801  # points of the numerical integration per look
_NO_STOP = 40.0  # a boundary that is never crossed (no alpha spent at this look)


@dataclass(frozen=True)
class SequentialPlan:
    """How a sequential run is looked at. Trials counts are per arm.

    spending: "obrien_fleming", "pocock" or "linear" (analysis/spending.py); None: "linear" for the one-sided
    design, "obrien_fleming" for the two-sided one.
    first_look: no test before this many trials per arm (a test of 1-2 trials per arm has almost no power and
    would only spend alpha and beta); the last batch is always tested.
    one_sided: the one-sided design (analysis/one_sided.py) is used when the direction is known, futility is
    on and the rule is beta_spending (binding futility); with one_sided=False the non-binding two-sided rules
    below apply in every case.
    futility (two-sided design: non-binding, it can only lower the false-positive rate), futility_rule:
    - "beta_spending" (default): stop when the signed z (positive = better) is below a bound that spends
      futility_beta * t^futility_rho of probability under the effect a fixed design of max_trials per arm
      detects with power 1 - design_beta (one-sided when direction is known, |z| below it when unknown);
    - "conditional_power": stop when the conditional power under the current trend is below futility_power.
    futility_from: the information fraction from which futility may stop (None: 0 for beta spending, 0.5 for
    conditional power). kind / scale / direction describe the decision metric ("continuous"/"binary",
    "raw"/"log", "lower"/"higher"/"unknown").
    """

    max_trials: int
    batch_size: int
    alpha: float = 0.05
    spending: str | None = None
    futility: bool = True
    futility_power: float = 0.05
    futility_from: float | None = None
    kind: str = "continuous"
    scale: str = "raw"
    direction: str = "unknown"
    futility_rule: str = "beta_spending"
    futility_beta: float = 0.2
    futility_rho: float = 1.0
    design_beta: float = 0.2
    one_sided: bool = True
    first_look: int = 3

    @property
    def uses_one_sided(self) -> bool:
        """True when the one-sided design decides (direction known, beta-spending futility on)."""
        return (self.one_sided and self.direction in ("lower", "higher") and self.futility
                and self.futility_rule == "beta_spending")

    @property
    def efficacy_spending(self) -> str:
        return self.spending or ("linear" if self.uses_one_sided else "obrien_fleming")

    def one_sided_design(self) -> OneSidedDesign:
        """The calibrated one-sided design at the planned looks."""
        return calibrated_design(self.tested_fractions(), self.alpha, self.design_beta, self.efficacy_spending,
                                 self.futility_rho)

    def describe(self) -> dict[str, Any]:
        """What the design promises (for run.json and the report): the fixed design of the same alpha and
        power, and the expected trials per arm under no effect and under the design effect (normal theory)."""
        if not self.uses_one_sided:
            return {"design": "two-sided", "spending": self.efficacy_spending, "futility": self.futility_rule
                    if self.futility else None}
        design = self.one_sided_design()
        return {"design": "one-sided", "spending": self.efficacy_spending, "futility": "binding beta spending",
                "alpha": self.alpha, "power": 1 - self.design_beta,
                "equivalent_fixed_n": round(self.max_trials * design.equivalent_fixed_fraction, 1),
                "expected_trials_no_effect": round(self.max_trials * design.expected_fraction(False), 1),
                "expected_trials_design_effect": round(self.max_trials * design.expected_fraction(True), 1)}

    @property
    def futility_start(self) -> float:
        """The information fraction from which futility may stop."""
        if self.futility_from is not None:
            return self.futility_from
        return 0.0 if self.futility_rule == "beta_spending" else 0.5

    @property
    def looks(self) -> int:
        return max(1, math.ceil(self.max_trials / self.batch_size))

    def fractions(self) -> tuple[float, ...]:
        """Planned information fractions of the batches (the last is 1)."""
        return tuple(min(k * self.batch_size, self.max_trials) / self.max_trials for k in range(1, self.looks + 1))

    def tested(self, look: int) -> bool:
        """Whether batch `look` is tested: from first_look trials per arm on, and always at the end."""
        return look >= self.looks or min(look * self.batch_size, self.max_trials) >= self.first_look

    def tested_fractions(self) -> tuple[float, ...]:
        """Planned information fractions of the looks that test (the last is 1)."""
        return tuple(f for look, f in enumerate(self.fractions(), start=1) if self.tested(look))


@dataclass
class Decision:
    """The outcome of one look. reason: efficacy | futility | max_trials | continue."""

    stop: bool
    reason: str
    look: int
    n_baseline: int
    n_treatment: int
    information_fraction: float
    z: float | None
    boundary: float
    nominal_alpha: float
    p_value: float | None
    conditional_power: float | None
    direction: str | None
    better: bool | None
    message: str
    futility_boundary: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float) and not math.isfinite(value):
                data[key] = None
        return data


@lru_cache(maxsize=256)
def boundaries(fractions: tuple[float, ...], alpha: float = 0.05, spending: str = "obrien_fleming") -> tuple[float, ...]:
    """Two-sided z boundaries at increasing information fractions so that P(cross any | H0) = alpha spent.

    Numerical recursion on the Brownian-motion scale B(t) = Z sqrt(t) (Armitage-McPherson-Rowe).
    """
    out: list[float] = []
    previous_t = 0.0
    previous_spent = 0.0
    grid = density = None
    for t in fractions:
        increment = spent(t, alpha, spending) - previous_spent
        if grid is None:
            c = float(stats.norm.isf(increment / 2)) if increment > 0 else _NO_STOP
            c = min(c, _NO_STOP)
            grid = np.linspace(-c * math.sqrt(t), c * math.sqrt(t), _GRID)
            density = stats.norm.pdf(grid, scale=math.sqrt(t))
        else:
            step = math.sqrt(t - previous_t)
            weights = _trapezoid(grid) * density

            args = (t, step, grid, weights)
            if increment <= 1e-15 or _exit_prob(_NO_STOP, *args) >= increment:
                c = _NO_STOP
            else:
                c = float(optimize.brentq(lambda c, a=args, i=increment: _exit_prob(c, *a) - i, 1e-6, _NO_STOP,
                                          xtol=1e-10))
            new_grid = np.linspace(-c * math.sqrt(t), c * math.sqrt(t), _GRID)
            kernel = stats.norm.pdf((new_grid[:, None] - grid[None, :]) / step) / step
            density = kernel @ weights
            grid = new_grid
        out.append(c)
        previous_t = t
        previous_spent = spent(t, alpha, spending)
    return tuple(out)


def _exit_prob(c: float, t: float, step: float, grid: np.ndarray, weights: np.ndarray) -> float:
    """P(|B(t)| >= c sqrt(t) and no earlier crossing), given the continuation sub-density on grid."""
    edge = c * math.sqrt(t)
    tails = stats.norm.cdf((-edge - grid) / step) + stats.norm.sf((edge - grid) / step)
    return float(weights @ tails)


def _trapezoid(grid: np.ndarray) -> np.ndarray:
    h = grid[1] - grid[0]
    w = np.full(grid.shape, h)
    w[0] = w[-1] = h / 2
    return w


def _z_statistic(xb: np.ndarray, xt: np.ndarray, plan: SequentialPlan) -> tuple[float | None, float | None]:
    """(signed z, p) of the look's test, or (None, None) when it cannot be computed."""
    if plan.kind == "binary":
        if len(xb) < 1 or len(xt) < 1:
            return None, None
        s_b, s_t = int(np.sum(xb > 0.5)), int(np.sum(xt > 0.5))
        _, p = binary_p_strict(s_b, len(xb), s_t, len(xt))
        diff = s_t / len(xt) - s_b / len(xb)
    else:
        if len(xb) < 2 or len(xt) < 2:
            return None, None
        if plan.scale == "log" and np.all(xb > 0) and np.all(xt > 0):
            xb, xt = np.log(xb), np.log(xt)
        res = welch(xb, xt)
        p = float(res.p_value)
        diff = float(res.difference)
        if not math.isfinite(p):
            return None, None
    return _signed_z(p, diff), p


def _signed_z(p: float, difference: float) -> float:
    """The z of a two-sided p-value, signed by the difference (treatment minus baseline)."""
    return float(-special.ndtri(max(p, 1e-300) / 2)) * (1 if difference >= 0 else -1)


def _information(cells: list[tuple[int, int]], plan: SequentialPlan, look: int) -> float:
    """Information fraction: the harmonic trials per arm, summed over the tasks with values in both arms
    (cells of (n baseline, n treatment)), over the maximum for as many tasks. The last look is 1."""
    if look >= plan.looks:
        return 1.0
    both = [(n_b, n_t) for n_b, n_t in cells if n_b and n_t]
    if not both:
        return 0.0
    return min(1.0, sum(2 * n_b * n_t / (n_b + n_t) for n_b, n_t in both) / (plan.max_trials * len(both)))


def _look_statistic(values_baseline, values_treatment, plan: SequentialPlan,
                    look: int) -> tuple[float | None, float | None, float, int, int]:
    """(signed z, p, information fraction, n baseline, n treatment) of one look."""
    if not isinstance(values_baseline, Mapping):
        xb, xt = finite_values(values_baseline), finite_values(values_treatment)
        z, p = _z_statistic(xb, xt, plan)
        return z, p, _information([(len(xb), len(xt))], plan, look), len(xb), len(xt)
    tasks = list(dict.fromkeys([*values_baseline, *values_treatment]))
    cells = {task: (finite_values(values_baseline.get(task, ())), finite_values(values_treatment.get(task, ()))) for task in tasks}
    t = _information([(len(b), len(tr)) for b, tr in cells.values()], plan, look)
    xb = np.concatenate([cell[0] for cell in cells.values()]) if cells else np.empty(0)
    xt = np.concatenate([cell[1] for cell in cells.values()]) if cells else np.empty(0)
    both = {task: cell for task, cell in cells.items() if len(cell[0]) and len(cell[1])}
    if len(both) > 1 and plan.kind != "binary":
        z, p = _stratified_z(both, plan)
    else:  # one task, or a binary metric: the pooled test
        z, p = _z_statistic(xb, xt, plan)
    return z, p, t, len(xb), len(xt)


def _stratified_z(cells: dict[str, tuple[np.ndarray, np.ndarray]], plan: SequentialPlan) -> tuple[float | None,
                                                                                                  float | None]:
    """(signed z, p) of value ~ task + arm (on logs for log-scale metrics when every value is > 0)."""
    base = {task: list(cell[0]) for task, cell in cells.items()}
    treat = {task: list(cell[1]) for task, cell in cells.items()}
    log = plan.scale == "log" and all(np.all(c[0] > 0) and np.all(c[1] > 0) for c in cells.values())
    result = stratified_test(base, treat, log_scale=log)
    if result is None or not math.isfinite(result.p_value):
        return None, None
    return _signed_z(result.p_value, result.difference), result.p_value


def conditional_power(z: float, t: float, final_boundary: float) -> float:
    """P(crossing the final boundary | Z(t) = z), assuming the current trend continues (drift z / sqrt(t))."""
    if t >= 1:
        return float(abs(z) >= final_boundary)
    drift = z / math.sqrt(t)
    mean = z * math.sqrt(t) + drift * (1 - t)
    sd = math.sqrt(1 - t)
    return float(special.ndtr((mean - final_boundary) / sd) + special.ndtr((-final_boundary - mean) / sd))


def sequential_decision(values_baseline, values_treatment, look: int, plan: SequentialPlan) -> Decision:
    """Decide after look `look` (1-based) whether to stop, given all values so far of the decision metric:
    two sequences, or (a suite) two mappings task -> values, tested with the task as a block
    (analysis/stratified.py) when the metric is continuous and more than one task has values in both arms."""
    z, p, t, n_b, n_t = _look_statistic(values_baseline, values_treatment, plan, look)
    if t <= 0:  # no task has values in both arms yet
        z = p = None
    if not plan.tested(look):
        return Decision(stop=False, reason="continue", look=look, n_baseline=n_b, n_treatment=n_t,
                        information_fraction=t, z=None, boundary=_NO_STOP, nominal_alpha=0.0, p_value=None,
                        conditional_power=None, direction=None, better=None,
                        message=f"no test before {plan.first_look} trials per arm: continue")
    planned = [f for k, f in enumerate(plan.fractions()[: max(0, look - 1)], start=1) if f < t and plan.tested(k)]
    fractions = tuple(planned + [t]) if t > 0 else tuple(planned)
    if plan.uses_one_sided:
        design = _one_sided_at(plan, fractions) if t > 0 else None
        c = design.upper[-1] if design else _NO_STOP
    else:
        c = boundaries(fractions, plan.alpha, plan.efficacy_spending)[-1] if t > 0 else _NO_STOP
    base = dict(look=look, n_baseline=n_b, n_treatment=n_t, information_fraction=t, z=z, boundary=c,
                nominal_alpha=float(2 * special.ndtr(-c)), p_value=p)
    final = t >= 1.0
    if z is None:
        reason = "max_trials" if final else "continue"
        return Decision(stop=final, reason=reason, conditional_power=None, direction=None, better=None,
                        message="too little data for a test at this look" + ("; stopping at max trials" if final else ""),
                        **base)
    if plan.uses_one_sided:
        return _one_sided_decision(plan, design, z, base)
    return _two_sided_decision(plan, fractions, z, base)


def _one_sided_at(plan: SequentialPlan, fractions: tuple[float, ...]) -> OneSidedDesign:
    return design_at(fractions, plan.one_sided_design().theta, plan.alpha, plan.design_beta,
                     plan.efficacy_spending, plan.futility_rho)


def _one_sided_decision(plan: SequentialPlan, design: OneSidedDesign, z: float, base: dict[str, Any]) -> Decision:
    """The one-sided design's look (its bounds at this look's fractions): clear benefit, clear regression,
    futility (binding), last look, continue."""
    sign = 1 if plan.direction == "higher" else -1
    signed = z * sign
    fractions = design.fractions
    t = fractions[-1]
    upper, lower = design.upper[-1], design.lower[-1]
    harm = boundaries(fractions, plan.alpha, plan.efficacy_spending)[-1]
    direction = "treatment higher" if z > 0 else ("treatment lower" if z < 0 else None)
    cp = None if t >= 1 else conditional_power(signed, t, plan.one_sided_design().upper[-1])
    common = dict(conditional_power=cp, direction=direction, futility_boundary=lower, **base)
    if signed >= upper:
        return Decision(stop=True, reason="efficacy", better=True, **common,
                        message=f"z towards better = {signed:.2f} >= boundary {upper:.2f}: clear benefit")
    if signed <= -harm:
        return Decision(stop=True, reason="efficacy", better=False, **common,
                        message=f"z towards worse = {-signed:.2f} >= boundary {harm:.2f}: clear regression")
    if t >= 1:
        return Decision(stop=True, reason="max_trials", better=None, **common,
                        message="maximum trials reached without a clear benefit")
    if signed < lower:
        return Decision(stop=True, reason="futility", better=None, **common,
                        message=f"z towards better = {signed:.2f} < futility bound {lower:.2f}: a benefit is unlikely")
    return Decision(stop=False, reason="continue", better=None, **common,
                    message=f"z towards better = {signed:.2f} in ({lower:.2f}, {upper:.2f}): continue")


def _two_sided_decision(plan: SequentialPlan, fractions: tuple[float, ...], z: float, base: dict[str, Any]) -> Decision:
    """The two-sided design's look: |z| against the alpha-spending bound, then non-binding futility."""
    t, c = fractions[-1], base["boundary"]
    final_c = boundaries(plan.tested_fractions(), plan.alpha, plan.efficacy_spending)[-1]
    direction = "treatment higher" if z > 0 else ("treatment lower" if z < 0 else None)
    sign = {"higher": 1, "lower": -1}.get(plan.direction, 0)
    better = None if sign == 0 or z == 0 else (z * sign > 0)
    if abs(z) >= c:
        return Decision(stop=True, reason="efficacy", conditional_power=None, direction=direction,
                        better=better, message=f"|z| = {abs(z):.2f} >= boundary {c:.2f}: clear difference", **base)
    if t >= 1.0:
        return Decision(stop=True, reason="max_trials", conditional_power=None, direction=direction, better=None,
                        message="maximum trials reached without a clear difference", **base)
    cp = conditional_power(z, t, final_c)
    stop, bound, why = _futility(plan, z, sign, t, cp, fractions)
    if stop:
        return Decision(stop=True, reason="futility", conditional_power=cp, direction=direction, better=None,
                        message=why, futility_boundary=bound, **base)
    return Decision(stop=False, reason="continue", conditional_power=cp, direction=direction, better=None,
                    message=f"|z| = {abs(z):.2f} < boundary {c:.2f}: continue", futility_boundary=bound, **base)


def _futility(plan: SequentialPlan, z: float, sign: int, t: float, cp: float,
              fractions: tuple[float, ...]) -> tuple[bool, float | None, str]:
    """(stop for futility?, the look's futility bound on the signed z or None, message)."""
    if not plan.futility or t < plan.futility_start:
        return False, None, ""
    if plan.futility_rule == "conditional_power":
        stop = cp < plan.futility_power
        return stop, None, f"conditional power {cp:.2f} < {plan.futility_power:.2f}: a difference is unlikely"
    if plan.futility_rule != "beta_spending":
        raise ValueError(f"unknown futility rule {plan.futility_rule!r}")
    bound = futility_bound(plan, fractions)
    if sign:
        signed = z * sign
        return (signed < bound, bound,
                f"z towards better = {signed:.2f} < futility bound {bound:.2f}: a benefit is unlikely")
    return (abs(z) < bound, bound, f"|z| = {abs(z):.2f} < futility bound {bound:.2f}: a difference is unlikely")


@lru_cache(maxsize=1024)
def futility_bound(plan: SequentialPlan, fractions: tuple[float, ...]) -> float:
    """The beta-spending futility bound (signed z) of the last look in `fractions` (before the final look)."""
    full = fractions + (1.0,)
    efficacy = boundaries(full, plan.alpha, plan.efficacy_spending)
    theta = design_drift(plan.alpha, plan.design_beta)
    return futility_bounds(full, efficacy, theta, plan.futility_beta, plan.futility_rho)[len(fractions) - 1]


def design_sentence(design: Any) -> str:
    """One sentence on the group-sequential design a run used (run.json `sequential.design`, from describe())."""
    design = design if isinstance(design, dict) else {}
    if design.get("design") == "one-sided":
        return (f"one-sided group-sequential design: {design.get('spending')} alpha spending, binding beta-spending "
                f"futility; the same alpha and power ({design.get('power')}) as a fixed design of "
                f"{design.get('equivalent_fixed_n')} trials per arm; expected {design.get('expected_trials_no_effect')} "
                f"trials per arm with no effect and {design.get('expected_trials_design_effect')} with the effect "
                "it is powered for (normal theory)")
    if design.get("design") == "two-sided":
        return (f"two-sided group-sequential design: {design.get('spending')} alpha spending, "
                f"{design.get('futility') or 'no'} futility")
    return "group-sequential, O'Brien-Fleming alpha spending; non-binding beta-spending futility"
