"""Per-label ensemble selection: greedy forward, beam search and random-restart greedy.

The selectors work on arrays only (one label at a time) and follow the
estimator contract: ``__init__`` stores parameters, ``fit(P, y)`` searches
subsets of the rows of ``P`` whose average maximises ``objective`` and sets

- ``selected_`` : ndarray of int, model indices in the order they were added;
- ``score_`` : float, objective of their average (higher is better);
- ``trace_`` : list of float, the score after each addition;
- ``n_evaluations_`` : int, candidate averages scored;
- ``weights_`` : ndarray of float of shape (n_models,), each model's weight in
  the average (times added over ``len(selected_)``; sums to 1).

Rules shared by all three:

- a model is used at most once (``GreedySelector(replacement=True)`` may add a
  model again: Caruana's selection with replacement, where a model's weight is
  the number of times it was added over the number of additions); at most
  ``per_label`` models (additions);
- an addition must strictly improve the score, so a search stops early when
  none does;
- ties go to the smaller ensemble, then to the lower model indices (sorted
  indices compared lexicographically; within one greedy step, the lowest
  index among the best candidates).

Each step scores all candidates in one vectorised call
(:func:`~stacker.level1.additions.score_additions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stacker.config import SelectConfig
from stacker.exceptions import ValidationError
from stacker.level1.additions import score_additions
from stacker.level1.objectives import Objective, resolve_objective
from stacker.registry import Registry


@dataclass(frozen=True, eq=False)
class _State:
    """A subset: members in selection order, its score, the score after each addition, its running sum."""

    path: tuple[int, ...]
    score: float
    trace: tuple[float, ...]
    total: np.ndarray


def _empty_state(n_samples: int) -> _State:
    return _State(path=(), score=-np.inf, trace=(), total=np.zeros(n_samples, dtype=np.float32))


def _child(parent: _State, m: int, score: float, P: np.ndarray) -> _State:
    return _State(parent.path + (m,), float(score), parent.trace + (float(score),), parent.total + P[m])


class _Search:
    """One fit's data and evaluation counter, shared by the selectors' helpers."""

    def __init__(self, objective: Objective, P: np.ndarray, y: np.ndarray, *, replacement: bool = False) -> None:
        self.objective = objective
        self.P = P
        self.y = y
        self.replacement = replacement
        self.n_evaluations = 0

    def unused(self, state: _State) -> np.ndarray:
        """Models that may be added to ``state``: those not in it, or every model with replacement."""
        mask = np.ones(len(self.P), dtype=bool)
        if not self.replacement:
            mask[list(state.path)] = False
        return np.flatnonzero(mask)

    def score(self, state: _State, candidates: np.ndarray) -> np.ndarray:
        self.n_evaluations += len(candidates)
        return score_additions(self.objective, self.y, self.P, state.total, len(state.path), candidates)

    def best_child(self, state: _State, candidates: np.ndarray, scores: np.ndarray) -> _State | None:
        """The best strictly improving child (lowest index on ties), or None."""
        if len(candidates) == 0:
            return None
        i = int(np.argmax(scores))  # first maximum: candidates are in ascending index order
        return _child(state, int(candidates[i]), scores[i], self.P) if scores[i] > state.score else None

    def greedy_from(self, state: _State, per_label: int) -> _State:
        """Add the best model while it strictly improves and fewer than ``per_label`` are used."""
        while len(state.path) < per_label:
            candidates = self.unused(state)
            child = self.best_child(state, candidates, self.score(state, candidates))
            if child is None:
                break
            state = child
        return state


class _Selector:
    """Shared parameter checks and fitted attributes."""

    def __init__(self, objective: str | Objective = "fbeta", *, per_label: int = 3) -> None:
        self.objective = objective
        self.per_label = per_label

    def _prepare(self, P, y, *, replacement: bool = False) -> _Search:
        _check_positive(self.per_label, "per_label")
        P, y = check_selection_inputs(P, y)
        return _Search(resolve_objective(self.objective), P, y, replacement=replacement)

    def _set_result(self, search: _Search, state: _State) -> None:
        self.selected_ = np.array(state.path, dtype=np.int64)
        self.weights_ = np.bincount(self.selected_, minlength=len(search.P)) / len(self.selected_)
        self.score_ = float(state.score)
        self.trace_ = list(state.trace)
        self.n_evaluations_ = search.n_evaluations

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


class GreedySelector(_Selector):
    """Greedy forward selection (Caruana et al. 2004, with early stop), without or with replacement.

    Parameters
    ----------
    objective : str or Objective, default "fbeta"
        A registered objective name or an objective instance.
    per_label : int, default 3
        Largest number of additions (models averaged, counted with repetition).
    replacement : bool, default False
        Let a model be added again (Caruana's ensemble selection with
        replacement): ``selected_`` may repeat an index and ``weights_`` is
        each model's count over ``len(selected_)``. An addition must still
        strictly improve; ties go to the lowest index.
    """

    def __init__(self, objective: str | Objective = "fbeta", *, per_label: int = 3, replacement: bool = False) -> None:
        super().__init__(objective, per_label=per_label)
        self.replacement = replacement

    def fit(self, P, y) -> "GreedySelector":
        """Select from ``P`` of shape (n_models, n_samples) against 0/1 ``y`` of shape (n_samples,)."""
        search = self._prepare(P, y, replacement=bool(self.replacement))
        self._set_result(search, search.greedy_from(_empty_state(len(search.y)), self.per_label))
        return self


class BeamSelector(_Selector):
    """Beam search over subsets: the ``beam_width`` best subsets of each size are extended.

    Children of a subset must strictly improve on it. The greedy path is always
    kept in the beam (it replaces the last member when it would drop out), so
    the result is never worse than :class:`GreedySelector`'s; with
    ``beam_width=1`` both give the same subset. The answer is the best subset
    that was ever in the beam (tie rule: smaller, then lower indices).

    Parameters
    ----------
    objective : str or Objective, default "fbeta"
    per_label : int, default 3
    beam_width : int, default 5
    """

    def __init__(self, objective: str | Objective = "fbeta", *, per_label: int = 3, beam_width: int = 5) -> None:
        super().__init__(objective, per_label=per_label)
        self.beam_width = beam_width

    def fit(self, P, y) -> "BeamSelector":
        """Select from ``P`` of shape (n_models, n_samples) against 0/1 ``y`` of shape (n_samples,)."""
        _check_positive(self.beam_width, "beam_width")
        search = self._prepare(P, y)
        greedy = _empty_state(len(search.y))
        beam, visited = [greedy], []
        for _ in range(self.per_label):
            children, greedy_child = _expand(search, beam, greedy)
            if not children:
                break
            ranked = sorted(children.values(), key=_rank)[: self.beam_width]
            if greedy_child is not None and not any(c is greedy_child for c in ranked):
                ranked[-1] = greedy_child
            beam = [_materialise(c, search.P) for c in ranked]
            greedy = next((s for s, c in zip(beam, ranked) if c is greedy_child), None)
            visited.extend(beam)
        self._set_result(search, min(visited, key=_rank))
        return self


@dataclass(frozen=True, eq=False)
class _Lazy:
    """A child whose running sum is computed only if it enters the beam (saves memory)."""

    parent: _State
    m: int
    score: float

    @property
    def path(self) -> tuple[int, ...]:
        return self.parent.path + (self.m,)


def _rank(state: _State | _Lazy) -> tuple:
    """Sort key of the tie rule: higher score, then smaller ensemble, then lower (sorted) indices."""
    return (-state.score, len(state.path), tuple(sorted(state.path)))


def _materialise(state: _Lazy, P: np.ndarray) -> _State:
    return _child(state.parent, state.m, state.score, P)


def _expand(search: _Search, beam: list[_State], greedy: _State | None) -> tuple[dict, _Lazy | None]:
    """Improving children of every beam state (deduplicated by member set) and the greedy child.

    The greedy state is expanded first, so none of its children is lost to deduplication.
    """
    parents = ([greedy] if greedy is not None else []) + [s for s in beam if s is not greedy]
    children: dict[frozenset, _Lazy] = {}
    greedy_child = None
    for parent in parents:
        candidates = np.array(
            [m for m in search.unused(parent) if frozenset(parent.path + (int(m),)) not in children], dtype=np.int64
        )
        scores = search.score(parent, candidates)
        improving = np.flatnonzero(scores > parent.score)
        for i in improving:
            m = int(candidates[i])
            children[frozenset(parent.path + (m,))] = _Lazy(parent, m, float(scores[i]))
        if parent is greedy and len(improving):
            best = int(candidates[np.argmax(scores)])  # first maximum: lowest index on ties
            greedy_child = children[frozenset(parent.path + (best,))]
    return children, greedy_child


class RandomGreedySelector(_Selector):
    """Random-restart greedy: plain greedy, then greedy runs from random first models.

    Run 0 is :class:`GreedySelector`; each of the other ``restarts - 1`` runs
    starts from a different first model drawn uniformly (seeded by
    ``random_state``) among those plain greedy did not start from, and continues
    greedily. The best final subset wins (tie rule: smaller, then lower indices),
    so the result is never worse than greedy's.

    Parameters
    ----------
    objective : str or Objective, default "fbeta"
    per_label : int, default 3
    restarts : int, default 20
        Greedy runs in all (at most one per model).
    random_state : int, default 0
    """

    def __init__(
        self, objective: str | Objective = "fbeta", *, per_label: int = 3, restarts: int = 20, random_state: int = 0
    ) -> None:
        super().__init__(objective, per_label=per_label)
        self.restarts = restarts
        self.random_state = random_state

    def fit(self, P, y) -> "RandomGreedySelector":
        """Select from ``P`` of shape (n_models, n_samples) against 0/1 ``y`` of shape (n_samples,)."""
        _check_positive(self.restarts, "restarts")
        search = self._prepare(P, y)
        empty = _empty_state(len(search.y))
        everyone = search.unused(empty)
        singles = search.score(empty, everyone)
        first = search.best_child(empty, everyone, singles)
        runs = [search.greedy_from(first, self.per_label)]
        others = [m for m in np.random.default_rng(self.random_state).permutation(len(everyone)) if m != first.path[0]]
        for m in others[: self.restarts - 1]:
            runs.append(search.greedy_from(_child(empty, int(m), singles[m], search.P), self.per_label))
        self.restart_scores_ = [run.score for run in runs]
        self._set_result(search, min(runs, key=_rank))
        return self


SELECTORS: Registry[_Selector] = Registry("selection method")


@SELECTORS.register("greedy")
def _make_greedy(objective: Objective, config: SelectConfig) -> GreedySelector:
    return GreedySelector(objective, per_label=config.per_label)


@SELECTORS.register("beam")
def _make_beam(objective: Objective, config: SelectConfig) -> BeamSelector:
    return BeamSelector(objective, per_label=config.per_label, beam_width=config.beam)


@SELECTORS.register("random-greedy")
def _make_random_greedy(objective: Objective, config: SelectConfig) -> RandomGreedySelector:
    return RandomGreedySelector(objective, per_label=config.per_label, restarts=config.restarts,
                                random_state=config.seed)


def create_selector(method: str, objective: Objective, config: SelectConfig) -> _Selector:
    """Unfitted selector ``method`` with ``config``'s parameters; unknown methods list the valid ones."""
    return SELECTORS.get(method)(objective, config)


def list_methods() -> list[str]:
    """Registered selection methods, sorted."""
    return SELECTORS.names()


def check_selection_inputs(P, y) -> tuple[np.ndarray, np.ndarray]:
    """``P`` as float32 (n_models, n_samples) probabilities and ``y`` as uint8 0/1 (n_samples,)."""
    P = np.asarray(P)
    y = np.asarray(y)
    if P.ndim != 2 or P.shape[0] == 0 or P.shape[1] == 0:
        raise ValidationError(f"P must be (n_models, n_samples) with at least one model and sample; found {P.shape}")
    if y.shape != (P.shape[1],):
        raise ValidationError(f"y must have shape ({P.shape[1]},) to match P {P.shape}; found {y.shape}")
    P = np.ascontiguousarray(P, dtype=np.float32)
    if not (np.isfinite(P).all() and P.min() >= 0 and P.max() <= 1):
        raise ValidationError("P must hold finite probabilities in [0, 1]; apply a sigmoid to logits, drop NaN models")
    if not np.isin(y, (0, 1)).all():
        raise ValidationError(f"y must hold only 0/1 values; found {np.unique(y)[:5]}")
    return P, y.astype(np.uint8)


def _check_positive(value: int, name: str) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValidationError(f"{name} must be an integer >= 1; found {value!r}")
