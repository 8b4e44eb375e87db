"""The ``clusterleap`` command line.

Commands live in one module per area (core, weights, analytics, robustness, report), each adding its commands to
the shared :data:`app`. Errors a user can fix (:class:`ClusterleapError`) print one line and exit with code 2.
"""

from __future__ import annotations

from .app import app, main

# Importing the modules registers their commands on ``app``.
from . import core  # noqa: F401  isort: skip
from . import analytics  # noqa: F401  isort: skip
from . import robustness  # noqa: F401  isort: skip
from . import report  # noqa: F401  isort: skip
from . import weights  # noqa: F401  isort: skip
from . import indicators  # noqa: F401  isort: skip
from . import serve  # noqa: F401  isort: skip
from . import users  # noqa: F401  isort: skip

__all__ = ["app", "main"]
