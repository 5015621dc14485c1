"""Property test of oof-collect: random valid run folders round-trip exactly; damaged ones are refused
with one line (exit 1) or stored and round-trip; valid companions are always ingested."""

import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import write_table, write_workspace
from drills import BAD_VALUES, MUTATIONS, TABLE_FORMATS, collect_and_check, schema_violation, write_valid_run
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stacker.data import Workspace

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                             st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                          max_leaves=8)
RESERVED = ("arch", "variant", "seed", "labels")
meta_strategy = st.fixed_dictionaries(
    {"arch": st.text(min_size=1, max_size=30).filter(str.strip)},
    optional={"seed": st.one_of(st.none(), st.integers(0, 2**63 - 1)),
              "variant": st.one_of(st.none(), st.text(min_size=1, max_size=30).filter(str.strip)),
              "notes": st.dictionaries(st.text(max_size=8).filter(lambda k: k not in RESERVED), json_value,
                                       max_size=3)},
)
run_strategy = st.tuples(st.integers(0, 2**32 - 1), st.sampled_from(TABLE_FORMATS), st.booleans(), meta_strategy)
bad_value = st.sampled_from([(key, value) for key, values in BAD_VALUES.items() for value in values])
mutation_strategy = st.one_of(
    st.none(),
    st.tuples(st.sampled_from(sorted(MUTATIONS)), st.integers(0, 2**32 - 1), run_strategy, bad_value),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("template") / "ws"
    write_workspace(root, n_train=16, n_test=5, n_labels=3, k=2)
    return root


# Bounded for CI: 30 examples, no shrinking (a failure prints its example; shrinking could take minutes).
@settings(max_examples=30, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(runs=st.lists(run_strategy, min_size=1, max_size=2), mutation=mutation_strategy)
def test_collect_round_trips_valid_runs_and_handles_damaged_ones_cleanly(template, runs, mutation):
    import numpy as np

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "ws"
        shutil.copytree(template, root)
        ws = Workspace.load(root)
        valid = {}
        for i, (seed, fmt, per_fold, meta) in enumerate(runs):
            oof, test = write_valid_run(ws, f"run{i}", seed=seed, fmt=fmt, per_fold=per_fold, meta=meta,
                                        write_table=write_table)
            valid[f"run{i}"] = (meta, oof, test)
        victim = None
        if mutation is not None:
            kind, mutation_seed, (seed, fmt, per_fold, meta), (key, value) = mutation
            write_valid_run(ws, "victim", seed=seed, fmt=fmt, per_fold=per_fold, meta=meta, write_table=write_table)
            rng = np.random.default_rng(mutation_seed)
            if kind == "schema violation":
                schema_violation(rng, ws.root / "runs" / "victim", key, value)
            else:
                MUTATIONS[kind](rng, ws.root / "runs" / "victim")
            victim = "victim"
        stored = collect_and_check(ws, valid, victim)
        if mutation is not None and (kind == "schema violation" or (kind == "delete cell" and fmt == "csv")):
            assert not stored, f"{kind} must be refused"

