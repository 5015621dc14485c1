"""The one boundary: run the CLI, turn a StackerError into one line and exit 1."""

from __future__ import annotations

import sys
from typing import Sequence

import typer

from stacker.exceptions import StackerError


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stacker`` with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Bad input never gives a traceback: a :class:`StackerError` prints
    ``Name: message`` on stderr and returns 1, a usage error returns 2 with
    the parser's message, Ctrl-C returns 130.
    """
    from stacker.cli.app import build_app

    app = build_app()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="stacker", standalone_mode=False)
    except StackerError as e:
        typer.echo(f"{type(e).__name__}: {e}", err=True)
        return 1
    except typer.Exit as e:
        return e.exit_code
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("Interrupted: the store and workspace are as they were before the interrupted step.", err=True)
        return 130
    except typer.TyperException as e:  # usage errors: bad option value, unknown command
        e.show()
        return getattr(e, "exit_code", 2)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
