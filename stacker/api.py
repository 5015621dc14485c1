"""The notebook API: one object per workspace, one method per stage, results with a DataFrame view.

```python
import stacker
ws = stacker.Workspace.create("comp/", train="train.csv", test="sample_submission.csv", id_column="image_name")
ws.make_folds(k=5)
stacker.write_run("comp/runs/resnet50_s0", oof=oof_probs, test=test_probs, arch="resnet50", seed=0)
ws.collect("comp/runs")
sel = ws.select(beam=5, per_label=3)
l2 = ws.fit_level2("lightgbm", features="all-labels")
ws.decide(l2, rules=("greedy", "smooth", "expected-f"))   # each rule fitted on K-1 folds, scored on the held-out one
sub = ws.submit(l2, rule="smooth")
ws.leaderboard()
```

Every method calls the same library function as the matching CLI command, so
a notebook and ``stacker ...`` write the same files. Stages are imported on
first use, so ``import stacker`` stays light.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stacker.config import (
    BlendConfig, CollectConfig, DecideConfig, FoldsConfig, L2Config, SelectConfig, StackConfig, SubmitConfig,
)
from stacker.data.workspace import Workspace as _BaseWorkspace
from stacker.data.workspace import check_new_workspace
from stacker.exceptions import ValidationError, WorkspaceError
from stacker.oof.writer import write_run

if TYPE_CHECKING:
    from stacker.blend import BlendResult as _BlendReport
    from stacker.level1.stage import SelectionReport
    from stacker.level2.stage import L2Result
    from stacker.oof.collect import CollectReport
    from stacker.submission.submit import SubmissionResult

__all__ = ["BlendResult", "CollectResult", "DecideResult", "Level2Result", "SelectResult", "SubmitResult", "Workspace", "write_run"]


class _Tabular(ABC):
    """A result with a DataFrame view: ``.table``, ``to_frame()`` and a notebook rendering."""

    @property
    def table(self) -> pd.DataFrame:
        """The result as a DataFrame of shape (n_rows, n_columns), as :meth:`to_frame` (a fresh copy each time)."""
        return self.to_frame()

    @abstractmethod
    def to_frame(self) -> pd.DataFrame:
        """The result as a DataFrame; each result type states its rows and columns."""

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


@dataclass(frozen=True)
class CollectResult(_Tabular):
    """What :meth:`Workspace.collect` did: the :class:`~stacker.oof.CollectReport`, one row per run.

    ``to_frame()`` columns: ``run``, ``outcome`` (added, replaced, repaired, unchanged,
    rejected) and ``reason`` (why a run was rejected, else empty).
    """

    report: CollectReport

    @property
    def ok(self) -> bool:
        """Whether no run was rejected."""
        return self.report.ok

    def to_frame(self) -> pd.DataFrame:
        """One row per run, shape (n_runs, 3): ``run``, ``outcome`` and ``reason``."""
        rows = [(name, outcome, "") for outcome in ("added", "replaced", "repaired", "unchanged")
                for name in getattr(self.report, outcome)]
        rows += [(name, "rejected", reason) for name, reason in self.report.rejected.items()]
        return pd.DataFrame(rows, columns=["run", "outcome", "reason"])


@dataclass(frozen=True)
class SelectResult(_Tabular):
    """Level-1 selection (:meth:`Workspace.select`).

    Attributes
    ----------
    report : SelectionReport
        The document of ``level1/selection.json``, the candidates and the paths written.
    oof : ndarray of shape (n_train, n_labels), float32
        Per label, the average of that label's selected candidates, rows in train.csv order.
    test : ndarray of shape (n_test, n_labels), float32
        The same averages on the test rows, in sample-submission order.
    scores : pandas.Series, indexed by label
        In-sample objective of each label's selection (F-beta in [0, 1] for ``fbeta``).
    """

    report: SelectionReport
    oof: np.ndarray
    test: np.ndarray
    scores: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """One row per label, shape (n_labels, 4) or, nested, (n_labels, 5).

        Columns ``label``, ``models`` (comma-joined), ``score``, ``threshold`` and, nested, ``held_out``.
        """
        selection = self.report.selection
        nested = selection.get("nested")
        rows = []
        for label, entry in selection["per_label"].items():
            row = {"label": label, "models": ", ".join(entry["models"]), "score": entry["score"],
                   "threshold": entry["threshold"]}
            if nested:
                row["held_out"] = nested["per_label"][label]["held_out"]
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Level2Result(_Tabular):
    """A fitted level-2 stage (:meth:`Workspace.fit_level2`), or a layer above it (:meth:`Workspace.stack`).

    Attributes
    ----------
    result : L2Result or stacker.stack.StackResult
        What the stage wrote (``level2/<learner>/``, ``level<N>/<name>/``), its parameters and scores.
    oof : ndarray of shape (n_train, n_labels), float32
        Nested-CV out-of-fold level-2 probabilities, rows in train.csv order.
    test : ndarray of shape (n_test, n_labels), float32
        Level-2 test probabilities, rows in sample-submission order.
    scores : dict
        Honest out-of-fold F-beta in [0, 1] by pipeline: ``{"best single" | "level-1" |
        "level-2": {...}}`` for :meth:`Workspace.fit_level2`; for :meth:`Workspace.stack`
        the stack's own folder and each input stage.
    """

    result: L2Result
    oof: np.ndarray
    test: np.ndarray
    scores: dict

    @property
    def source(self) -> str:
        """The stage folder relative to the workspace, ``level2/<learner>`` (what ``submit`` reads)."""
        return f"{self.result.output_dir.parent.name}/{self.result.output_dir.name}"

    def to_frame(self) -> pd.DataFrame:
        """The ``fit-l2`` summary table, shape (n_labels + 2, n_columns): one row per label, ``overall``, ``± SE (folds)``.

        Columns: ``label`` then, per pipeline (best single, level-1, level-2) and
        threshold method, the honest out-of-fold F-beta in [0, 1] (the last row:
        the overall score's fold-to-fold standard error).
        """
        return pd.DataFrame(self.result.rows, columns=self.result.columns)


@dataclass(frozen=True)
class BlendResult(_Tabular):
    """A per-label blend of stage outputs (:meth:`Workspace.blend`).

    Attributes
    ----------
    result : stacker.blend.BlendResult
        What the stage wrote (``blend/``): the inputs, ``blend.json``'s document and the scores.
    oof : ndarray of shape (n_train, n_labels), float32
        The blend's OOF probabilities; fold ``k``'s rows use the weights chosen without fold ``k``.
    test : ndarray of shape (n_test, n_labels), float32
        The blend's test probabilities (weights chosen on every train row).
    scores : dict
        ``{"blend" | input stage: {"greedy" | "smooth": {...}}}``, honest out-of-fold F-beta in [0, 1].
    """

    result: _BlendReport
    oof: np.ndarray
    test: np.ndarray
    scores: dict

    @property
    def source(self) -> str:
        """The stage folder relative to the workspace, ``blend`` (what ``submit`` reads)."""
        return self.result.output_dir.name

    def to_frame(self) -> pd.DataFrame:
        """One row per label, shape (n_labels, 2 + n_inputs + 2).

        Columns ``label``, ``weights`` (``"stage weight, ..."``), one weight column
        per input stage (0 when unused), ``in_sample`` (the blend's objective on
        the rows it was chosen on: F-beta for ``objective="fbeta"``, minus the
        log loss for ``"logloss"``, the default, AUC for ``"auc"``) and
        ``held_out`` (the same objective, mean over folds of the weights chosen
        without a fold, scored on it).
        """
        document = self.result.document
        rows = []
        for label, entry in document["per_label"].items():
            weights = entry["weights"]
            rows.append({"label": label, "weights": ", ".join(f"{k} {v:.2f}" for k, v in weights.items()),
                         **{source: weights.get(source, 0.0) for source in document["inputs"]},
                         "in_sample": entry["in_sample"],
                         "held_out": document["nested"]["per_label"][label]["held_out"]})
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class DecideResult(_Tabular):
    """Decision rules of a stage compared out of fold (:meth:`Workspace.decide`).

    Attributes
    ----------
    document : dict
        What ``<stage>/decide.json`` holds: ``best``, ``rules`` (per rule its
        scores and, for threshold rules, thresholds per label), ``not_applicable``.
    """

    document: dict

    @property
    def best(self) -> str:
        """The rule with the highest out-of-fold score."""
        return self.document["best"]

    def to_frame(self) -> pd.DataFrame:
        """One row per rule, best first: DataFrame of shape (n_rules, 5).

        Columns: ``rule``, ``out_of_fold``, ``fold_se``, ``diff_vs_best``, ``diff_se``
        (mean paired per-fold difference to the best rule and its standard error).
        """
        from stacker.decide.stage import rule_rows

        return pd.DataFrame(rule_rows(self.document),
                            columns=["rule", "out_of_fold", "fold_se", "diff_vs_best", "diff_se"])


@dataclass(frozen=True)
class SubmitResult(_Tabular):
    """A written submission (:meth:`Workspace.submit`).

    Attributes
    ----------
    result : SubmissionResult
        Paths of the CSV and its provenance JSON, the method, ``cv_f2`` (honest
        out-of-fold score in [0, 1]) and the thresholds, shape (n_labels,).
    frame : pandas.DataFrame of shape (n_test, n_columns)
        The submission exactly as written to the CSV.
    """

    result: SubmissionResult
    frame: pd.DataFrame

    @property
    def csv(self) -> Path:
        """Path of the submission CSV under ``submissions/``."""
        return self.result.csv

    @property
    def cv_score(self) -> float:
        """Honest out-of-fold score of this submission's pipeline, in [0, 1]."""
        return self.result.cv_f2

    def to_frame(self) -> pd.DataFrame:
        """The submission, shape (n_test, n_columns), as in the CSV."""
        return self.frame.copy()


class Workspace(_BaseWorkspace):
    """A workspace with one method per stage, for notebooks and scripts.

    It is a :class:`stacker.data.Workspace` (ids, labels, folds, stores), plus
    ``create``, ``make_folds``, ``collect``, ``select``, ``fit_level2``, ``stack``,
    ``blend``, ``decide``, ``submit``, ``stages`` and ``leaderboard``. Each calls the library function behind
    the matching CLI command and returns a result with a DataFrame view.
    """

    @classmethod
    def create(cls, root: Path | str, *, train: Path | str | pd.DataFrame, test: Path | str | pd.DataFrame,
               force: bool = False, **options: Any) -> "Workspace":
        """Create the workspace at ``root`` (re-create it with ``force=True``), as ``stacker init`` does.

        Parameters
        ----------
        root : path
            The workspace folder; created if absent.
        train : path or DataFrame of shape (n_train, n_columns)
            Train table: the id column plus ``tags`` (space-separated) or one 0/1
            column per label. A DataFrame is written to ``<root>/train.csv``.
        test : path or DataFrame of shape (n_test, n_columns)
            The test ids (a Kaggle sample submission). A DataFrame is written to
            ``<root>/sample_submission.csv``.
        force : bool, default False
            Rewrite an existing ``stacker.toml`` (as ``stacker init --force``);
            without it an existing workspace is refused.
        **options
            Other :class:`~stacker.config.WorkspaceConfig` fields: ``id_column``,
            ``labels``, ``metric``, ``images``, ...
        """
        for name, value in (("root", root), ("train", train), ("test", test)):
            if not isinstance(value, (str, Path)) and not (name != "root" and isinstance(value, pd.DataFrame)):
                raise WorkspaceError(f"{name} must be a path{'' if name == 'root' else ' or a DataFrame'}; "
                                     f"found {type(value).__name__}")
        root = Path(root)
        check_new_workspace(root, force)  # before any table is written
        train = _table_path(train, root / "train.csv")
        test = _table_path(test, root / "sample_submission.csv")
        return cls.init(root, train=train, test=test, force=force, **options)

    def make_folds(self, k: int = FoldsConfig.k, seed: int = FoldsConfig.seed, *, force: bool = False) -> np.ndarray:
        """Write ``folds.csv`` (as ``stacker folds``) and return the fold of each train row.

        Returns
        -------
        ndarray of shape (n_train,), values 0..k-1, rows in train.csv order.
        """
        from stacker.data.folds import assign_folds

        folds = assign_folds(self, FoldsConfig(k=k, seed=seed), force=force)
        self.__dict__.pop("folds", None)  # the cached assignment is now stale
        return folds

    def collect(self, runs: Path | str = "runs", *, replace: bool = CollectConfig.replace) -> CollectResult:
        """Validate every run folder under ``runs`` and store each valid one (as ``stacker oof-collect``).

        A relative ``runs`` that does not exist from the current folder is taken
        inside the workspace. A rejected run is listed with its reason, not raised.
        """
        from stacker.oof.collect import collect_runs, resolve_runs_dir

        if not isinstance(runs, (str, Path)):
            raise ValidationError(f"runs must be a folder path or URL; found {type(runs).__name__}")
        return CollectResult(collect_runs(self, resolve_runs_dir(self, runs), CollectConfig(replace=replace)))

    def select(self, **config: Any) -> SelectResult | dict[str, SelectResult]:
        """Bag the stored runs and select models per label (as ``stacker select``).

        ``config`` holds :class:`~stacker.config.SelectConfig` fields (``method``,
        ``beam``, ``per_label``, ``bag``, ``objective``, ``nested``, ...); an
        unknown name raises :class:`~stacker.exceptions.ValidationError`. With
        ``group="variant"`` (any run.json key) it returns ``{value: SelectResult}``,
        one selection per value in ``level1/<value>/`` (as ``select --group``).
        """
        from stacker.level1.outputs import load_level1_matrices
        from stacker.level1.stage import run_grouped_selection, run_selection

        settings = _config(SelectConfig, config)
        if settings.group is not None:
            return {report.group: self._select_result(report, load_level1_matrices(self, report.group))
                    for report in run_grouped_selection(self, settings)}
        report = run_selection(self, settings)
        return self._select_result(report, load_level1_matrices(self))

    @staticmethod
    def _select_result(report: SelectionReport, matrices: tuple[np.ndarray, np.ndarray]) -> SelectResult:
        scores = pd.Series({label: entry["score"] for label, entry in report.selection["per_label"].items()},
                           name="score")
        return SelectResult(report, *matrices, scores)

    def fit_level2(self, learner: str = L2Config.learner, **config: Any) -> Level2Result | dict[str, Level2Result]:
        """Fit one ``learner`` per label on the level-1 outputs with nested CV (the stage of ``stacker fit-l2``).

        ``config`` holds the other :class:`~stacker.config.L2Config` fields
        (``features``, ``params``, ``jobs``, ``seed``). No submission is written;
        call :meth:`submit` with the result. With ``group="variant"`` (the key of a
        grouped :meth:`select`) it returns ``{value: Level2Result}``, one per
        ``level2/<learner>@<value>/``.
        """
        from stacker.level2.stage import fit_level2, fit_level2_groups

        settings = _config(L2Config, {"learner": learner, **config})
        if settings.group is not None:
            return {r.output_dir.name.partition("@")[2]: self._stage_result(r)
                    for r in fit_level2_groups(self, settings)}
        return self._stage_result(fit_level2(self, settings))

    def stack(self, sources: tuple[str, ...] | list[str] = StackConfig.sources, learner: str = StackConfig.learner,
              **config: Any) -> Level2Result:
        """The next layer: one ``learner`` per label on earlier stages' outputs (as ``stacker stack``).

        Parameters
        ----------
        sources : sequence of str or Level2Result
            Stage folders (``"level2/lightgbm@original"``, globs such as ``"level2/*"``)
            or :meth:`fit_level2` / :meth:`stack` results; empty: every stage folder.
        learner : str
            A level-2 learner name (``logistic``, ``ridge``, ``lightgbm``, ...).
        **config
            Other :class:`~stacker.config.StackConfig` fields: ``features``
            (``inputs`` or ``inputs+labels``), ``params``, ``name``, ``jobs``, ``seed``.

        Returns
        -------
        Level2Result
            Its ``source`` is ``level<N>/<name>``, N one above the highest input layer.
        """
        from stacker.stack import run_stack

        return self._stage_result(run_stack(self, _config(StackConfig, {"sources": _source_names(sources),
                                                                         "learner": learner, **config})))

    def _stage_result(self, result) -> Level2Result:
        from stacker.oof.matrix import read_matrix

        oof = read_matrix(result.output_dir / "oof.parquet", self.labels)
        test = read_matrix(result.output_dir / "test.parquet", self.labels)
        return Level2Result(result, oof, test, result.scores)

    def blend(self, sources: tuple[str, ...] | list[str] = BlendConfig.sources, *,
              per_label: int = BlendConfig.per_label, replacement: bool = BlendConfig.replacement,
              scaling: str = BlendConfig.scaling, objective: str = BlendConfig.objective) -> BlendResult:
        """Blend stage outputs per label and publish ``blend/`` (as ``stacker blend``).

        Parameters
        ----------
        sources : sequence of str or Level2Result
            Stage folders (``"level1"``, ``"level2/<learner>"``, globs such as
            ``"level2/*"``), level-0 candidates of :meth:`select` (``"level0/<name>"``,
            ``"level0/*"``) or :meth:`fit_level2` results; empty: every stage
            folder except the blend itself.
        per_label : int
            Most additions per label (an input added twice counts twice).
        replacement : bool
            Let an input be added again (Caruana); its weight is its count over the additions.
        scaling : str
            ``"fold"``: align every fold of every input onto one scale first; ``"none"``: as they are.
        objective : str
            What each addition must improve (``"fbeta"``, ``"logloss"``, ``"auc"``).
        """
        from stacker.blend import run_blend
        from stacker.oof.matrix import read_matrix

        result = run_blend(self, _config(BlendConfig, {"sources": _source_names(sources), "per_label": per_label,
                                                       "replacement": replacement, "scaling": scaling,
                                                       "objective": objective}))
        oof = read_matrix(result.output_dir / "oof.parquet", self.labels)
        test = read_matrix(result.output_dir / "test.parquet", self.labels)
        return BlendResult(result, oof, test, result.scores)

    def decide(self, source: Level2Result | BlendResult | str = SubmitConfig.source, *,
               rules: tuple[str, ...] = DecideConfig.rules, params: dict | None = None) -> DecideResult:
        """Compare decision rules on a stage's OOF predictions and write ``<stage>/decide.json`` (as ``stacker decide``).

        Parameters
        ----------
        source : Level2Result, BlendResult or str
            A :meth:`fit_level2` or :meth:`blend` result, or a stage folder: ``"level1"``,
            ``"level2/<learner>"`` or ``"blend"``.
        rules : tuple of str
            Registered rule names (``stacker.decide.list_rules()``).
        params : dict, optional
            ``{rule: {parameter: value}}``, e.g. ``{"bagged": {"n_bags": 50}}``.
        """
        from stacker.decide.stage import decide_stage

        rules = (rules,) if isinstance(rules, str) else rules
        params = {} if params is None else params
        config = _config(DecideConfig, {"rules": rules, "params": params})
        bad = [rule for rule, values in params.items() if not isinstance(values, dict)]
        if bad:
            raise ValidationError(f"params maps a rule to its parameters, e.g. {{'bagged': {{'n_bags': 50}}}}; "
                                  f"found {bad[0]!r}: {params[bad[0]]!r}")
        return DecideResult(decide_stage(self, _folder(source), dataclasses.replace(config, rules=tuple(rules))))

    def submit(self, source: Level2Result | BlendResult | str = SubmitConfig.source, *, rule: str = SubmitConfig.rule,
               name: str | None = None, best: bool = False) -> SubmitResult:
        """Decide a stage's predictions into ``submissions/<name>.csv`` + ``.json`` (as ``stacker submit``).

        Parameters
        ----------
        source : Level2Result, BlendResult or str
            A :meth:`fit_level2` or :meth:`blend` result, or a stage folder: ``"level1"``,
            ``"level2/<learner>"`` or ``"blend"``.
        rule : str
            Decision rule: ``"greedy"``, ``"smooth"``, ``"expected-f"``, ... (``stacker.decide.list_rules()``).
        name : str, optional
            File stem; by default the stage and rule (``l1-greedy``, ``l2-lightgbm-smooth``,
            ``level3-logistic-expected-f``, ``blend-smooth``; ``best`` with ``best=True``).
        best : bool, default False
            Ignore ``source`` and ``rule``: submit the stage and rule with the best
            honest CV score (as ``stacker submit --best``; see :meth:`stages`).
        """
        from stacker.submission.submit import submit

        result = submit(self, _config(SubmitConfig, {"source": _folder(source), "rule": rule, "name": name,
                                                     "best": best}))
        frame = pd.read_csv(result.csv, dtype=str, keep_default_na=False)
        return SubmitResult(result, frame)

    def stages(self) -> pd.DataFrame:
        """Every stage folder with each decision rule, scored out of fold, best first (``stacker stages``).

        Returns
        -------
        DataFrame of shape (n_stages * n_rules, 4 + n_folds)
            Columns ``stage``, ``rule`` (greedy, smooth and, for a per-sample
            metric, expected-f), ``cv`` (the rule fitted on K-1 folds, scored on
            the held-out one), ``se`` (fold-to-fold standard error) and
            ``fold <k>`` per fold. ``frame.attrs["choice"]`` is the
            one-line verdict of :func:`~stacker.submission.stages.choose_best`.
        """
        from stacker.submission.stages import choose_best, score_stages, stage_fold_sizes

        candidates = score_stages(self)
        choice = choose_best(candidates, stage_fold_sizes(self))
        frame = pd.DataFrame([{"stage": c.source, "rule": c.method, "cv": c.out_of_fold, "se": c.standard_error,
                               **{f"fold {k}": s for k, s in enumerate(c.fold_scores)}} for c in candidates])
        frame = frame.sort_values("cv", ascending=False, kind="stable").reset_index(drop=True)
        frame.attrs["choice"] = choice.summary()
        return frame

    def leaderboard(self, *, level1: bool = False) -> pd.DataFrame:
        """Stored models and their out-of-fold F-beta, best first (``stacker ls`` lists the same rows by name).

        Returns
        -------
        DataFrame of shape (n_models, 5 + n_labels)
            Columns ``model``, ``arch``, ``variant``, ``seed``, ``mean`` and one
            per label: the best F-beta (in [0, 1]) at that label's exact best
            threshold, out of fold. ``level1=True`` lists the level-1 candidates.
        """
        from stacker.oof.leaderboard import store_leaderboard

        rows = store_leaderboard(self.level1_store() if level1 else self.store(), self.y, self.labels,
                                 self.metric.beta)
        frame = pd.DataFrame(
            [{"model": r["name"], "arch": r["arch"], "variant": r["variant"], "seed": r["seed"], "mean": r["mean"],
              **r["per_label"]} for r in rows],
            columns=["model", "arch", "variant", "seed", "mean", *self.labels],
        )
        return frame.sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)


def _table_path(table: Path | str | pd.DataFrame, default: Path) -> Path | str:
    if not isinstance(table, pd.DataFrame):
        return table
    text = table.to_csv(index=False)
    if default.exists() and default.read_text() != text:
        raise WorkspaceError(f"{default} exists with other content; pass its path instead of a DataFrame, "
                             f"or remove it")
    default.parent.mkdir(parents=True, exist_ok=True)
    default.write_text(text)
    return default


def _config(cls, values: dict):
    """``cls(**values)`` after checking every name and the type of every value against the field's annotation."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValidationError(f"unknown {cls.__name__} options {unknown}; valid: {sorted(fields)}")
    for name, value in values.items():
        _check_type(cls.__name__, name, value, str(fields[name].type))
    return cls(**values)


def _check_type(owner: str, name: str, value, annotation: str) -> None:
    """ValidationError when ``value`` does not fit ``annotation`` (a config field's, as a string)."""
    if value is None and "None" in annotation:
        return
    kind = annotation.split("|")[0].split("[")[0].strip()
    fits = {
        "bool": lambda v: isinstance(v, (bool, np.bool_)),
        "int": lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)),
        "float": lambda v: isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "tuple": lambda v: isinstance(v, (tuple, list)) and all(isinstance(x, (str, int, float, tuple, list))
                                                               for x in v),
        "dict": lambda v: isinstance(v, dict),
    }.get(kind)
    if fits is not None and not fits(value):
        shown = repr(value) if len(repr(value)) <= 60 else f"a {type(value).__name__}"
        raise ValidationError(f"{owner}.{name} must be {_KIND_NAMES[kind]}; found {shown}")


_KIND_NAMES = {"bool": "True or False", "int": "an integer", "float": "a number", "str": "a string",
               "tuple": "a list or tuple (not one string)", "dict": "a dict"}


def _source_names(sources) -> tuple[str, ...]:
    """Stage folders from ``sources``: names, globs or stage results, one or a sequence of them."""
    if isinstance(sources, (str, Path, SelectResult, Level2Result, BlendResult)):
        sources = (sources,)
    if not isinstance(sources, (tuple, list)):
        raise ValidationError(f"sources must be stage folders or results (one, or a list of them); found "
                              f"{type(sources).__name__}")
    return tuple(_folder(s) for s in sources)


def _folder(source) -> str:
    """The stage folder of ``source``: a result's, or a name as given."""
    if isinstance(source, (Level2Result, BlendResult)):
        return source.source
    if isinstance(source, SelectResult):
        return "level1" if source.report.group is None else f"level1/{source.report.group}"
    if isinstance(source, (str, Path)):
        return str(source)
    raise ValidationError(f"a stage must be a folder name (e.g. 'level2/logistic') or a result of select, "
                          f"fit_level2, stack or blend; found a {type(source).__name__}")
