"""The command line: one module per command, each a thin layer over one library call.

Every command module defines ``COMMAND`` (its name on the command line) and
``run`` (a Typer-annotated function). :func:`stacker.cli.app.build_app` finds
them, so adding a command means adding a module. Modules import heavy
libraries (torch, lightgbm) inside ``run`` so ``stacker --help`` stays fast.
"""
