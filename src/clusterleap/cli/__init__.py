"""The ``clusterleap`` command line.

Commands live in one module per area (frameworks, core, analytics, robustness, report, weights, ...), each adding
its commands to the shared :data:`app`; :data:`~clusterleap.cli.app.COMMANDS` says which module holds which command,
and a module is imported only when one of its commands runs. Errors a user can fix (:class:`ClusterleapError`)
print one line and exit with code 2.
"""

from __future__ import annotations

from .app import app, main

__all__ = ["app", "main"]
