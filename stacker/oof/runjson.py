"""The run.json schema: read one run folder's metadata and check every declared field.

Declared fields (docs/run-format.md)::

    arch     string, 1..200 characters            (required)
    variant  string, 1..200 characters, or null
    seed     integer in [0, 2**63), or null       (not a bool, not 1.0)
    labels   list of distinct non-empty strings, or null

Any other key is free metadata, stored as given, within limits that keep the
catalog sane: strict JSON (no bare ``NaN``/``Infinity``, no number outside a
double's range), nested at most ``MAX_DEPTH`` levels, strings at most
``MAX_STRING`` characters, the file at most ``MAX_BYTES``. Every violation
raises :class:`~stacker.exceptions.RunFormatError` naming the run, the field,
what was expected and what was found.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from stacker.exceptions import RunFormatError

RUN_JSON = "run.json"
MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_STRING = 10_000
MAX_NAME = 200
SEED_RANGE = (0, 2**63)


class _BigNumber(float):
    """A JSON number outside a double's range, kept with its text for the message."""

    def __new__(cls, text: str):
        number = super().__new__(cls, float(text))
        number.text = text
        return number

    def __repr__(self) -> str:
        return self.text


def read_run_json(run_dir: Path) -> dict:
    """Parse and validate ``run_dir/run.json``; return its metadata as a dict.

    Raises
    ------
    RunFormatError
        No file, not a readable file, too large, not strict JSON, too deeply
        nested, or a field that breaks the schema above.
    """
    run_dir = Path(run_dir)
    where = f"run {run_dir.name!r}, {RUN_JSON}"
    meta = _parse(_read_text(run_dir / RUN_JSON, where), where)
    if not isinstance(meta, dict):
        raise RunFormatError(f"{where}: must be a JSON object like {{\"arch\": \"resnet50\"}}; "
                             f"found a {_json_type(meta)}")
    check_fields(meta, where)
    _check_free_values(meta, where)
    return meta


def check_fields(meta: dict, where: str) -> None:
    """Check the declared fields of ``meta`` (arch, variant, seed, labels); see the module docstring."""
    if "arch" not in meta:
        raise RunFormatError(f"{where}: arch is required (a string such as \"resnet50\"); found no 'arch' key")
    _check_name(meta, "arch", where, required=True)
    _check_name(meta, "variant", where, required=False)
    seed = meta.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not SEED_RANGE[0] <= seed < SEED_RANGE[1]):
        raise RunFormatError(f"{where}: seed must be an integer in [0, 2**63) or null; found {_show(seed)}")
    labels = meta.get("labels")
    if labels is not None and (not isinstance(labels, list) or len(set(map(repr, labels))) != len(labels)
                               or not all(isinstance(x, str) and 0 < len(x) <= MAX_NAME for x in labels)):
        repeated = (sorted({x for x in labels if isinstance(x, str) and labels.count(x) > 1})
                    if isinstance(labels, list) else [])
        shown = f"repeated: {_show(repeated)}" if repeated else f"found {_show(labels)}"
        raise RunFormatError(f"{where}: labels must be a list of distinct label names (strings of 1..{MAX_NAME} "
                             f"characters) or null; {shown}")


def _read_text(path: Path, where: str) -> str:
    if not path.exists():
        raise RunFormatError(f"{where}: missing; a run folder needs at least {{\"arch\": \"...\"}} in {RUN_JSON}")
    if not path.is_file():
        raise RunFormatError(f"{where}: is a folder or special file, expected a JSON file; replace it with a file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise RunFormatError(f"{where}: {size} bytes, expected at most {MAX_BYTES}; keep large data out of "
                             f"{RUN_JSON} (it is metadata)")
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as e:
        raise RunFormatError(f"{where}: cannot be read ({type(e).__name__}: {e})") from e
    except UnicodeDecodeError as e:
        raise RunFormatError(f"{where}: is not UTF-8 text ({e}); save it as UTF-8 JSON") from e


def _parse(text: str, where: str):
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_float)
    except _NotJson as e:
        raise RunFormatError(f"{where}: {e}") from e
    except RecursionError as e:
        raise RunFormatError(f"{where}: nested too deeply to parse; expected at most {MAX_DEPTH} levels") from e
    except ValueError as e:  # JSONDecodeError, and integers longer than Python's digit limit
        raise RunFormatError(f"{where}: is not valid JSON ({e}); fix the file or rewrite it with json.dump") from e


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NotJson(f"bare {name} is not valid JSON; write null (or a number) instead")


def _float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _BigNumber(text)


def _check_free_values(meta: dict, where: str) -> None:
    """Depth, string lengths and finite numbers of every value, walked without recursion."""
    stack = [(meta, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            raise RunFormatError(f"{where}: {path or 'the document'} is nested {depth} levels deep; expected at "
                                 f"most {MAX_DEPTH}; flatten the metadata")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, _join(path, k)) for k, v in value.items())
            value = list(value)  # keys are strings too
        elif isinstance(value, list):
            stack.extend((v, depth + 1, f"{path}[{i}]") for i, v in enumerate(value))
            continue
        for item in value if isinstance(value, list) else [value]:
            _check_scalar(item, path, where)


def _check_scalar(value, path: str, where: str) -> None:
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise RunFormatError(f"{where}: {path or 'a key'} is a string of {len(value)} characters; expected at most "
                             f"{MAX_STRING}")
    if isinstance(value, _BigNumber):
        raise RunFormatError(f"{where}: {path} must be a finite number (within a double's range); found {value!r}")


def _check_name(meta: dict, key: str, where: str, *, required: bool) -> None:
    value = meta.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME or not value.strip():
        null = "" if required else " or null"
        raise RunFormatError(f"{where}: {key} must be a non-blank string of 1..{MAX_NAME} characters{null}; "
                             f"found {_show(value)}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value) -> str:
    text = repr(value) if not isinstance(value, (list, dict)) else json.dumps(value, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value) -> str:
    return {list: "list", str: "string", bool: "boolean", int: "number", float: "number",
            type(None): "null"}.get(type(value), type(value).__name__)
