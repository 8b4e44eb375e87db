"""Workspace operations: frameworks, recipes, clusters, rounds, submissions, evaluation runs and the audit log.

Every operation takes the :class:`Actor` asking and enforces authorisation itself, so the web pages, the JSON API
and scripts share one set of rules:

- admins do everything; analysts everything but accounts, frameworks and rounds;
- contributors see rounds that collect data or are published, their own clusters' submissions (another cluster's
  is :class:`NotFound`, never Forbidden, so its existence is not disclosed) and published results;
- viewers see published rounds and their results only.

Versioned objects are appended, never updated: a submission change is a new row with the next version (states
draft -> submitted -> returned (with a comment) -> ... -> accepted), an evaluation is a new run. The data of a
submission is checked by the engine's own reader (``clusterleap.read_data`` and ``Dataset.check_against``), whose
messages are shown at the field they name.
"""

from __future__ import annotations

from ._objects import (
    add_framework,
    add_recipe,
    audit,
    audit_log,
    create_round,
    framework_of,
    get_round,
    list_rounds,
    publish_round,
    recipe_of,
    upsert_cluster,
)
from ._runs import cluster_history, cluster_view, evaluate_round, ranking, run_result, visible_run
from ._submissions import (
    Field,
    current_submissions,
    form_fields,
    get_submission,
    review_submission,
    save_submission,
    submission_history,
    upload_submissions,
    validate_values,
)

__all__ = [
    "Field", "add_framework", "add_recipe", "audit", "audit_log", "cluster_history", "cluster_view", "create_round",
    "current_submissions", "evaluate_round", "form_fields", "framework_of", "get_round", "get_submission",
    "list_rounds", "publish_round", "ranking", "recipe_of", "review_submission", "run_result", "save_submission",
    "submission_history", "upload_submissions", "upsert_cluster", "validate_values", "visible_run",
]
