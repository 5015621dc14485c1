"""Every public name of ``stacker`` has a docstring, and those that take or return arrays state their shapes."""

from __future__ import annotations

import inspect
import re

import pytest

import stacker

ARRAY_HINT = re.compile(r"ndarray|DataFrame|Series")
ARRAY_PARAMS = {"oof", "test", "y", "values"}
SHAPE = re.compile(r"shape \(|of shape|shapes \(")


def _public_members(obj):
    yield obj.__name__ if hasattr(obj, "__name__") else repr(obj), obj
    if inspect.isclass(obj):
        seen = set()
        for klass in obj.__mro__:
            if not klass.__module__.startswith("stacker"):
                continue
            for name, member in vars(klass).items():
                if name.startswith("_") or name in seen:
                    continue
                seen.add(name)
                target = member.fget if isinstance(member, property) else getattr(member, "func", None) or getattr(
                    member, "__func__", member)
                if callable(target):
                    yield f"{obj.__name__}.{name}", target


def _takes_or_returns_arrays(func) -> bool:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return False
    hints = [str(p.annotation) for p in signature.parameters.values()] + [str(signature.return_annotation)]
    named = [p for name, p in signature.parameters.items() if name in ARRAY_PARAMS and "Path" not in str(p.annotation)]
    return any(ARRAY_HINT.search(h) for h in hints) or bool(named)


def _names():
    return [(f"{name}", member) for top in stacker.__all__
            for name, member in _public_members(getattr(stacker, top))]


def test_all_names_resolve_and_are_listed_once():
    assert len(set(stacker.__all__)) == len(stacker.__all__)
    for name in stacker.__all__:
        assert getattr(stacker, name) is not None
    with pytest.raises(AttributeError, match="module 'stacker' has no attribute 'nope'"):
        stacker.nope  # noqa: B018


@pytest.mark.parametrize("name, member", _names(), ids=[n for n, _ in _names()])
def test_public_name_has_a_docstring_stating_shapes(name, member):
    doc = inspect.getdoc(member)
    assert doc and len(doc.split()) >= 4, f"{name} has no docstring"
    if inspect.isfunction(member) and _takes_or_returns_arrays(member):
        assert SHAPE.search(doc), f"{name} takes or returns arrays but its docstring states no shape"
    if inspect.isclass(member) and any(k in doc for k in ("oof", "test")) and "ndarray" in doc:
        assert SHAPE.search(doc), f"{name} documents arrays without their shapes"
