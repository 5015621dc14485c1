"""The one boundary: run the CLI, turn a StackerError into one line and exit 1."""

from __future__ import annotations

import errno
import sys
from typing import Sequence

import typer

from stacker.exceptions import StackerError


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stacker`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Bad input never gives a traceback: a :class:`StackerError` prints
    ``Name: message`` on stderr and returns 1, and so does an ``OSError`` (a
    read-only workspace, a folder where a file was expected, a full disk:
    the file and the system's reason); a usage error returns 2 with the
    parser's message, Ctrl-C prints ``interrupted; <what was kept>`` and returns 130.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from stacker.cli.app import build_app

        result = build_app()(args=args, prog_name="stacker", standalone_mode=False)
    except StackerError as e:
        typer.echo(f"{type(e).__name__}: {e}", err=True)
        return 1
    except OSError as e:  # the file system refused (every write is staged, so nothing was half-written)
        typer.echo(f"{type(e).__name__}: {_os_message(e)}", err=True)
        return 1
    except typer.Exit as e:
        return e.exit_code
    except (KeyboardInterrupt, typer.Abort):
        return _interrupted(args)
    except typer.TyperException as e:  # usage errors: bad option value, unknown command
        e.show()
        return getattr(e, "exit_code", 2)
    if result == 130:  # a KeyboardInterrupt inside a command: Typer raises Exit(130), click returns its code
        return _interrupted(args)
    return result if isinstance(result, int) else 0


def _os_message(e: OSError) -> str:
    """``cannot use <file>: <reason>`` with a hint for the usual causes, or the error's own text."""
    if e.filename is None:
        return str(e)
    reason = e.strerror or str(e)
    hint = {errno.EROFS: "the workspace is on a read-only file system; copy it somewhere writable",
            errno.EACCES: "check the permissions of that path", errno.EPERM: "check the permissions of that path",
            errno.EISDIR: "a file was expected there", errno.ENOTDIR: "a folder was expected there",
            errno.ENOSPC: "free some disk space and run the command again",
            errno.EEXIST: "something already exists at that path"}.get(e.errno)
    return f"cannot use {e.filename}: {reason}" + (f"; {hint}" if hint else "")


_KEPT = {
    "oof-collect": "runs stored before it are kept in the store; the run being stored was not stored",
    "train": "finished folds and the last epoch checkpoint are kept; continue with the same command and --resume",
    "select": "the previous level1/ is kept as it was",
    "fit-l2": "the previous level2/<learner>/ and submissions are kept as they were (each published output is whole)",
    "submit": "the previous submission files are kept as they were",
    "report": "the previous report/ is kept as it was",
    "prune": "the store is as it was",
}


def _interrupted(args: Sequence[str]) -> int:
    """Print ``interrupted; <what a Ctrl-C during stacker <args> left in place>``; return 130."""
    command = next((a for a in args if a in _KEPT), None)
    kept = _KEPT.get(command, "the store and every published output are as they were before this command")
    typer.echo(f"interrupted; {kept}", err=True)
    return 130


if __name__ == "__main__":
    sys.exit(main())
