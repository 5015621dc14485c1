"""Frozen settings, one dataclass per stage; each default is defined here once.

Every stage saves its resolved config (``dataclasses.asdict``) beside what it
produced, so an output always says how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Workspace layout: folders every stage reads and writes, relative to the workspace root.
CONFIG_FILE = "stacker.toml"
OOF_DIR = "oof"
LEVEL1_DIR = "level1"
LEVEL2_DIR = "level2"
BLEND_DIR = "blend"
SUBMISSIONS_DIR = "submissions"
REPORT_DIR = "report"
RUNS_DIR = "runs"
# Every stage folder (level1/, level2/<learner>/) holds its predictions under these names.
STAGE_OOF_FILE = "oof.parquet"
STAGE_TEST_FILE = "test.parquet"
# ...and, for the next layer, each outer fold's view of the train rows made without that fold's labels.
STAGE_NESTED_FILE = "nested.parquet"


@dataclass(frozen=True)
class WorkspaceConfig:
    """What ``stacker.toml`` holds. Paths are relative to the workspace root.

    ``store``: where the OOF store lives (default ``oof`` in the workspace): a
    folder or any fsspec URL (``s3://bucket/oof``, ``gs://...``, ``memory://...``).
    ``cluster``: a Dask cluster the fanning-out stages use (``tcp://host:port``
    or ``local:N``); the ``--cluster`` option wins over it.
    """

    train: str
    test: str
    id_column: str = "id"
    labels: tuple[str, ...] | None = None
    metric: str = "f2-samples"
    folds: str = "folds.csv"
    tags_column: str = "tags"
    images: str = "images"
    variants: dict[str, str] = field(default_factory=dict)
    image_ext: str | None = None
    store: str | None = None
    cluster: str | None = None


@dataclass(frozen=True)
class FoldsConfig:
    """``stacker folds``: multi-label stratified K-fold assignment."""

    k: int = 5
    seed: int = 0


@dataclass(frozen=True)
class CollectConfig:
    """``stacker oof-collect``: ingest run folders into the OOF store.

    ``wait``: seconds to wait while another process writes the store (0: refuse at once).
    """

    replace: bool = False
    wait: float = 0.0


# --- level0 (stacker train) ---
@dataclass(frozen=True)
class AugmentConfig:
    """Train-time augmentation policy: each transform fires per image with its own probability.

    Geometry is one affine map per image (random-resized-crop, flips, rotation,
    shift) sampled on the device; colour is brightness, contrast and a hue
    rotation. Validation and test use a center crop of ``TrainConfig.crop_pct``.
    """

    rrc_p: float = 1.0
    rrc_scale: tuple[float, float] = (0.5, 1.0)
    rrc_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    hflip_p: float = 0.5
    vflip_p: float = 0.0
    rotate_p: float = 0.0
    rotate_deg: float = 15.0
    shift_p: float = 0.0
    shift_frac: float = 0.1
    brightness_p: float = 0.0
    brightness: float = 0.2
    contrast_p: float = 0.0
    contrast: float = 0.2
    hue_p: float = 0.0
    hue_deg: float = 30.0


@dataclass(frozen=True)
class TrainConfig:
    """``stacker train``: one level-0 CNN run (every requested fold of folds.csv).

    ``stages`` (``((size, epochs), ...)``, progressive resizing) wins over
    ``img_size``/``epochs`` when given. ``folds=None`` trains every fold.
    ``grad_clip=0`` and ``patience=0`` switch clipping and early stopping off;
    patience counts epochs of the last stage only. ``channels_last`` applies on CUDA only. ``threads`` sets torch's CPU threads for the run (0 keeps torch's default;
    1 is fastest for tiny models on busy shared cores).
    """

    arch: str = "resnet50"
    img_size: int = 224
    epochs: int = 30
    stages: tuple[tuple[int, int], ...] = ()
    folds: tuple[int, ...] | None = None
    seed: int = 0
    variant: str = "original"
    name: str | None = None
    loss: str = "bce-weighted"
    batch_size: int = 64
    lr: float = 0.01
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_epochs: int = 1
    step_epochs: int = 10
    step_gamma: float = 0.1
    plateau_patience: int = 2
    plateau_factor: float = 0.1
    tta: str = "flip"
    crop_pct: float = 0.875
    freeze_epochs: int = 0
    pretrained: str | None = None
    compile: bool = False
    grad_clip: float = 0.0
    patience: int = 5
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    workers: int = 4
    threads: int = 0
    cache_size: int | None = None
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    sanity_batches: int = 4
    sanity_steps: int = 60


# --- level1 (stacker prune / select) ---
@dataclass(frozen=True)
class SelectConfig:
    """``stacker select``: bag the stored runs, then pick per label the candidates whose average scores best.

    ``method``: ``greedy``, ``beam`` (width ``beam``) or ``random-greedy``
    (``restarts`` greedy runs from random first models, seeded by ``seed``).
    ``per_label``: most models averaged for one label. ``bag``: group runs by
    ``arch+variant``, ``arch`` or not at all (``none``); ``bag_top``: keep the K
    best runs of each group (None: all). ``objective``: ``logloss`` (the default: the
    averages feed level 2 and decision rules that read probabilities, such as expected-F,
    and log loss is smooth where F-beta at the best threshold jumps on a few hundred rows),
    ``fbeta`` (exact best threshold, beta from the workspace metric) or ``auc``.
    ``nested`` (default): also repeat selection inside each outer fold; the
    level-1 OOF of fold ``k`` then averages the models chosen without fold ``k``
    (honest), level 2 builds fold ``k``'s features from that selection, and the
    held-out score of selection is reported. ``jobs``: labels selected in parallel threads (None: one
    per CPU core); results do not depend on it. ``group``: a run.json key (``variant``, ``arch``, ...):
    one selection per value of it, each on that value's runs alone, in ``level1/<value>/``.
    """

    method: str = "beam"
    beam: int = 5
    per_label: int = 3
    bag: str = "arch+variant"
    bag_top: int | None = None
    restarts: int = 20
    seed: int = 0
    objective: str = "logloss"
    nested: bool = True
    jobs: int | None = None
    group: str | None = None


@dataclass(frozen=True)
class PruneConfig:
    """``stacker prune``: models below the ``below`` quantile of per-label best F-beta on every label.

    ``delete``: remove them from the OOF store (otherwise only list them).
    """

    below: float = 0.5
    delete: bool = False


# --- level2 (stacker fit-l2) ---


@dataclass(frozen=True)
class L2Config:
    """``stacker fit-l2``: one learner per label on level-1 features, nested CV on the workspace folds.

    ``features``: ``all-models`` (every level-1 candidate's column for the
    label), ``all-models+labels`` (plus every label's level-1 average, so label
    co-occurrence can be learned), ``selected`` (that label's chosen models) or
    ``all-labels`` (every label's level-1 average plus the chosen models). The
    selection behind a feature set is, for each outer fold, the one made
    without that fold (``stacker select`` is nested by default). ``params`` override the learner's defaults. ``jobs``:
    parallel (label, fold) fits. ``seed``: every fit's random state derives
    from (seed, label, fold), so results do not depend on ``jobs``. ``group``: fit on each group of a
    grouped level 1 (``stacker select --group KEY``, the same KEY) into ``level2/<learner>@<value>/``.
    ``nested_outputs``: also write ``nested.parquet``, each outer fold's view of the train rows made
    without that fold (K - 1 more, smaller fits per fold), so a ``stack`` or ``blend`` on this stage stays
    honest for every fold; needs K >= 3 folds.
    """

    learner: str = "lightgbm"
    features: str = "all-models+labels"
    params: dict = field(default_factory=dict)
    jobs: int = 1
    seed: int = 0
    group: str | None = None
    nested_outputs: bool = True



@dataclass(frozen=True)
class BlendConfig:
    """``stacker blend``: per-label Caruana blend of stage outputs -> ``blend/``.

    ``sources``: stage folders relative to the workspace (``level1``,
    ``level2/<learner>``, globs such as ``level2/*``) and level-0 candidates
    (``level0/<name>``, ``level0/*``: the bags of ``stacker select``); empty:
    every stage folder except the blend itself. ``per_label``: most additions per label
    (a model added twice counts twice). ``replacement``: an input may be added
    again (its weight is its count over the additions). The weights behind
    fold ``k``'s OOF rows are chosen without fold ``k``.
    ``scaling``: ``fold`` first aligns each input's log-odds in every fold to the average fold's mean
    and spread (as ``stack``; labels unused; test rows unchanged), so the blend averages inputs on one
    scale in every fold; ``none`` averages them as they are (a blend of one input is then that input).
    ``objective``: what each addition must improve, from level 1's registry: ``logloss`` (the
    default: a blend feeds decision rules that read its probabilities, such as expected-F, and
    log loss is smooth on a few hundred rows) or ``fbeta`` (F-beta at the label's exact best
    threshold; beta from the workspace metric) or ``auc``.
    """

    sources: tuple[str, ...] = ()
    per_label: int = 4
    replacement: bool = True
    scaling: str = "fold"
    objective: str = "logloss"


@dataclass(frozen=True)
class StackConfig:
    """``stacker stack``: the next layer, one learner per label on the outputs of earlier stages.

    ``sources``: stage folders (``level2/lightgbm@original``, globs such as
    ``level2/*``; empty: every stage folder). ``features``: ``inputs`` (each
    input's column for the label) or ``inputs+labels`` (every label's column of
    every input, so label co-occurrence can be learned). ``learner`` and
    ``params``: as ``fit-l2``. The output is ``level<N>/<name>``, N one above
    the highest input layer, ``name`` the learner's by default. ``jobs`` and
    ``seed``: as ``fit-l2`` (results do not depend on ``jobs``). ``nested_outputs``: as ``fit-l2``
    (this stack's views, for a layer above). ``scaling``: ``fold`` aligns each input's log-odds in
    every fold to the average fold's mean and spread before the fit (labels unused; test rows unchanged;
    the inputs' fits differ in calibration from fold to fold), ``none`` feeds them as they are.
    """

    sources: tuple[str, ...] = ()
    learner: str = "logistic"
    features: str = "inputs"
    params: dict = field(default_factory=dict)
    name: str | None = None
    jobs: int = 1
    seed: int = 0
    nested_outputs: bool = True
    scaling: str = "fold"

# --- thresholds / submission ---


@dataclass(frozen=True)
class ThresholdConfig:
    """F-beta threshold optimisation (``stacker thresholds``; used by submission).

    ``method``: ``greedy`` (exact coordinate ascent over distinct cut points) or
    ``smooth`` (maximiser of the F curve smoothed with a Gaussian of
    ``bandwidth`` logit units). ``max_sweeps`` caps coordinate-ascent sweeps over
    the labels. ``zero_division``: F-beta of a row/label with no true and no
    predicted positive (0.0, as scikit-learn's default). Beta and the average come
    from the workspace metric.
    """

    method: str = "greedy"
    bandwidth: float = 0.25
    max_sweeps: int = 50
    zero_division: float = 0.0


@dataclass(frozen=True)
class DecideConfig:
    """``stacker decide``: decision rules of a stage, each fitted on K-1 folds and scored on the held-out one.

    ``rules``: registered rule names (``stacker.decide.list_rules()``) to
    compare; a rule that does not optimise the workspace metric's average is
    reported as not applicable. ``params``: ``{rule: {parameter: value}}``
    overriding a rule's own defaults (e.g. ``{"bagged": {"n_bags": 50}}``).
    """

    rules: tuple[str, ...] = ("greedy", "smooth", "prevalence", "bagged", "expected-f", "expected-f-calibrated")
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SubmitConfig:
    """``stacker submit``: a stage's predictions decided into a submission CSV + provenance JSON.

    ``source``: the stage folder holding ``oof.parquet`` and ``test.parquet``,
    relative to the workspace (``level1`` or ``level2/<learner>``).
    ``rule``: a decision rule (``greedy``, ``smooth``, ``expected-f``, ...; see
    ``stacker decide``), fitted on all OOF rows with its default parameters.
    ``name``: file stem under ``submissions/``; by default the stage and rule
    (``l1-greedy``, ``l2-lightgbm-smooth``, ``level3-logistic-expected-f``,
    ``blend-smooth``; ``best`` with ``best``).
    ``best``: ignore ``source`` and ``rule`` and submit (as
    ``submissions/best.csv`` unless ``name`` is given) the stage and rule with
    the best out-of-fold score (``stacker.submission.stages``); the provenance
    records the comparison, its noise and the optimism of the choice.
    """

    source: str = "level1"
    rule: str = "greedy"
    name: str | None = None
    best: bool = False

# --- report / demo ---


@dataclass(frozen=True)
class ReportConfig:
    """``stacker report``: figures and tables of every stage that has run, written to ``report/``.

    ``max_models``: models shown in the leaderboard and similarity heatmaps (best
    mean F-beta first). ``bins``: histogram bins on [0, 1]. ``dpi``: PNG resolution.
    """

    max_models: int = 24
    bins: int = 20
    dpi: int = 110


@dataclass(frozen=True)
class DemoConfig:
    """``stacker demo``: the digits-mosaic task, end to end.

    ``n_train``/``n_test``: mosaics written; ``k``: folds; ``epochs``: per CNN
    fold; ``cnn_runs``: level-0 CNN runs as ``(arch, variant, seed)``;
    ``sklearn_models``: names in ``stacker.demo.sklearn_runs.demo_models``, each trained on every image
    variant of ``sklearn_variants``;
    ``learners``: level-2 learners fitted, on ``l2_features`` (``all-models+labels``:
    every candidate, plus every label's level-1 output so the task's label
    co-occurrence can be learned), with ``l2_params[learner]`` overriding that
    learner's defaults (none: the defaults choose their regularisation by inner CV); ``variant_learner``: the
    level-2 learner fitted on each image variant apart (``select --group variant``), whose two stacks a
    level-3 ``stack`` combines (None: skip the layered stack); ``threads``: torch CPU threads per
    CNN run (0: torch's default; 1 is fastest for these tiny models on busy cores); ``jobs``: level-2 parallel fits.
    """

    n_train: int = 2000
    n_test: int = 600
    k: int = 5
    epochs: int = 12
    cnn_runs: tuple[tuple[str, str, int], ...] = (
        ("test_resnet", "original", 0), ("test_resnet", "original", 1), ("test_resnet", "edges", 0),
        ("test_byobnet", "original", 0),
    )
    sklearn_models: tuple[str, ...] = ("logistic", "extra-trees", "lightgbm")
    sklearn_variants: tuple[str, ...] = ("original", "edges")
    learners: tuple[str, ...] = ("logistic", "lightgbm")
    variant_learner: str | None = "logistic"
    l2_features: str = "all-models+labels"
    l2_params: dict[str, dict] = field(default_factory=dict)
    seed: int = 0
    threads: int = 1
    jobs: int = 2
