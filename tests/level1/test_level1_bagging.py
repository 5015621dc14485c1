"""Bagging: grouping, names, --bag-top, member averages."""

from __future__ import annotations

import numpy as np
import pytest

from stacker.exceptions import ValidationError
from stacker.level1 import Bag, bag_matrices, create_objective, label_scores, plan_bags
from stacker.oof.store import ModelEntry


def entry(name: str, arch: str, variant: str | None = None) -> ModelEntry:
    return ModelEntry(name=name, kind="run", arch=arch, variant=variant, seed=None, content_hash="h" + name,
                      created="2026-01-01")


ENTRIES = [
    entry("inc_s1", "inception_v3", "original"), entry("inc_s0", "inception_v3", "original"),
    entry("inc_jpg", "inception_v3", "jpg"), entry("r50", "resnet50"), entry("r50_b", "resnet50"),
    entry("vgg", "vgg16", "original"),
]


def test_arch_variant_groups_name_bags_by_key_and_singletons_by_run():
    bags = plan_bags(ENTRIES, "arch+variant")
    assert bags == [
        Bag("inc_jpg", "inception_v3", "jpg", ("inc_jpg",)),
        Bag("inception_v3+original", "inception_v3", "original", ("inc_s0", "inc_s1")),
        Bag("resnet50", "resnet50", None, ("r50", "r50_b")),
        Bag("vgg", "vgg16", "original", ("vgg",)),
    ]


def test_arch_groups_ignore_the_variant_and_none_keeps_every_run():
    by_arch = {b.name: b for b in plan_bags(ENTRIES, "arch")}
    assert by_arch["inception_v3"].members == ("inc_jpg", "inc_s0", "inc_s1")
    assert by_arch["inception_v3"].variant is None  # members disagree
    assert [b.members for b in plan_bags(ENTRIES, "none")] == [(e,) for e in sorted(e.name for e in ENTRIES)]


def test_bag_top_keeps_the_best_runs_ties_to_the_lower_name():
    scores = {"inc_s0": 0.5, "inc_s1": 0.7, "inc_jpg": 0.9, "r50": 0.4, "r50_b": 0.4, "vgg": 0.1}
    bags = {b.name: b for b in plan_bags(ENTRIES, "arch", scores=scores, top=2)}
    assert bags["inception_v3"].members == ("inc_jpg", "inc_s1")
    assert bags["resnet50"].members == ("r50", "r50_b")
    singles = plan_bags(ENTRIES, "arch+variant", scores=scores, top=1)
    assert [b.name for b in singles] == ["inc_jpg", "inc_s1", "r50", "vgg"]  # one run left: its own name


def test_bag_name_that_equals_a_run_name_gets_a_suffix():
    entries = [entry("resnet50", "vgg16"), entry("a", "resnet50"), entry("b", "resnet50")]
    assert [b.name for b in plan_bags(entries, "arch")] == ["resnet50", "resnet50+bag"]


def test_errors_name_the_choices():
    with pytest.raises(ValidationError, match="unknown bag mode 'seed'; choose one of: arch\\+variant, arch, none"):
        plan_bags(ENTRIES, "seed")
    with pytest.raises(ValidationError, match="bag top must be an integer >= 1"):
        plan_bags(ENTRIES, "arch", scores={}, top=0)


def test_bag_matrices_average_members_and_label_scores_match_objective():
    rng = np.random.default_rng(0)
    names = ["a", "b", "c"]
    oof = rng.random((3, 20, 2)).astype(np.float32)
    test = rng.random((3, 8, 2)).astype(np.float32)
    bags = [Bag("ab", "x", None, ("a", "b")), Bag("c", "y", None, ("c",))]
    bag_oof, bag_test = bag_matrices(oof, test, names, bags)
    np.testing.assert_allclose(bag_oof[0], (oof[0] + oof[1]) / 2, rtol=1e-6)
    np.testing.assert_array_equal(bag_test[1], test[2])
    y = (rng.random((20, 2)) < 0.5).astype(np.uint8)
    objective = create_objective("auc")
    scores = label_scores(oof, y, objective)
    assert scores.shape == (3, 2)
    np.testing.assert_array_equal(scores[:, 1], objective.score(y[:, 1], np.ascontiguousarray(oof[:, :, 1])))
