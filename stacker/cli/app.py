"""Assemble the Typer application from the command modules in this package."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

import stacker.cli
from stacker import __version__

# Order in ``stacker --help``: the workflow, then anything added later (alphabetical).
WORKFLOW = [
    "demo", "init", "folds", "train", "oof-collect", "ls", "prune", "select",
    "fit-l2", "stack", "blend", "stages", "thresholds", "decide", "submit", "report",
]


def _command_modules() -> list:
    modules = []
    for info in pkgutil.iter_modules(stacker.cli.__path__):
        if info.name.startswith("_") or info.name == "app":
            continue
        module = importlib.import_module(f"stacker.cli.{info.name}")
        if hasattr(module, "COMMAND"):
            modules.append(module)
    rank = {name: i for i, name in enumerate(WORKFLOW)}
    return sorted(modules, key=lambda m: (rank.get(m.COMMAND, len(rank)), m.COMMAND))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stacker {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The ``stacker`` Typer app with every command module registered."""
    app = typer.Typer(
        name="stacker",
        help="Stacking and ensembling for multi-label classification: "
        "OOF store, per-label selection, level-2 stacking, thresholds, submissions.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
        verbose: bool = typer.Option(False, "-v", "--verbose", help="Log debug details."),
    ) -> None:
        from stacker import progress
        from stacker.cli._console import setup_logging

        setup_logging(verbose)
        progress.enable(sys.stderr.isatty())

    for module in _command_modules():
        app.command(module.COMMAND, help=module.run.__doc__)(module.run)
    return app
