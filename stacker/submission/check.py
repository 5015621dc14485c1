"""Validate a submission CSV against the workspace's sample submission.

Checked in this order, the first failure raised as a SubmissionError naming
the offending line (the header is line 1, the first data row line 2):
readable CSV, same columns, no empty or duplicated id, no id missing, no
unknown id, ids in the sample's order, tags that are workspace labels,
0/1 in per-label columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stacker.data import Workspace
from stacker.exceptions import SubmissionError
from stacker.submission.write import read_sample


@dataclass(frozen=True)
class CheckReport:
    """A submission that passed every check."""

    path: Path
    n_rows: int
    n_tags: int

    @property
    def message(self) -> str:
        return f"{self.path}: OK ({self.n_rows} rows, {self.n_tags} tags)"


def check_submission(workspace: Workspace, path: Path) -> CheckReport:
    """Check ``path`` against the sample submission of ``workspace``; raise SubmissionError on the first problem."""
    path = Path(path)
    id_column, tags_column = workspace.config.id_column, workspace.config.tags_column
    sample = read_sample(workspace.root / workspace.config.test, id_column)
    frame = _read(path)
    where = f"submission {path}"
    if list(frame.columns) != list(sample.columns):
        raise SubmissionError(f"{where}: columns {list(frame.columns)}, expected {list(sample.columns)} (the sample's)")
    check_ids(frame[id_column].tolist(), sample[id_column].tolist(), where)
    n_tags = check_tags(frame, workspace.labels, tags_column, id_column, where)
    return CheckReport(path=path, n_rows=len(frame), n_tags=n_tags)


def check_ids(ids: list[str], expected: list[str], where: str) -> None:
    """Every expected id once, no other, in the expected order."""
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value == "":
            raise SubmissionError(f"{where}: line {i + 2} has an empty id")
        if value in seen:
            raise SubmissionError(f"{where}: line {i + 2}: duplicated id {value!r} (first at line {seen[value] + 2})")
        seen[value] = i
    known = set(expected)
    for i, value in enumerate(ids):
        if value not in known:
            raise SubmissionError(f"{where}: line {i + 2}: id {value!r} is not in the sample submission")
    for i, value in enumerate(expected):
        if value not in seen:
            raise SubmissionError(f"{where}: id {value!r} (line {i + 2} of the sample submission) is missing")
    for i, (found, wanted) in enumerate(zip(ids, expected)):
        if found != wanted:
            raise SubmissionError(
                f"{where}: line {i + 2}: id {found!r} where the sample submission has {wanted!r}; "
                f"rows must be in the sample's order"
            )


def check_tags(frame: pd.DataFrame, labels: list[str], tags_column: str, id_column: str, where: str) -> int:
    """Tags are workspace labels, per-label columns are 0/1; return the number of positive tags."""
    known, count = set(labels), 0
    if tags_column in frame.columns:
        for i, (row_id, text) in enumerate(zip(frame[id_column], frame[tags_column])):
            text = str(text)
            if text != " ".join(text.split()):
                raise SubmissionError(f"{where}: line {i + 2} (id {row_id!r}): tags {text!r} must be separated by "
                                      f"single spaces (no tabs, no leading or trailing spaces)")
            tags = text.split()
            unknown = [t for t in tags if t not in known]
            if unknown:
                raise SubmissionError(
                    f"{where}: line {i + 2} (id {row_id!r}): unknown tag {unknown[0]!r}; known tags: {', '.join(labels)}"
                )
            repeated = sorted({t for t in tags if tags.count(t) > 1})
            if repeated:
                raise SubmissionError(f"{where}: line {i + 2} (id {row_id!r}): tag {repeated[0]!r} appears twice; "
                                      f"each tag at most once per row")
            count += len(tags)
    for column in (c for c in frame.columns if c in known):
        bad = ~frame[column].isin(["0", "1"])
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise SubmissionError(f"{where}: line {i + 2}: column {column!r} is {frame[column].iloc[i]!r}, expected 0 or 1")
        count += int((frame[column] == "1").sum())
    return count


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise SubmissionError(f"submission {path} does not exist")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise SubmissionError(f"submission {path} cannot be read as CSV: {e}") from e
