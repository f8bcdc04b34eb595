"""The ``fluxtrap`` command line: one module per command group, the root app in :mod:`.app`.

``fluxtrap.cli:main`` is the console-script entry point; ``run(args)`` runs it in-process.
"""

from fluxtrap.cli.app import app, main, run

__all__ = ["app", "main", "run"]
