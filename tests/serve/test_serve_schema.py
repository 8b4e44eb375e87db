"""Schema fuzzing with schemathesis against the API's own OpenAPI schema: no 5xx, and every response (status,
content type, body) matches the schema, for calls generated from it, as an admin (who reaches every route)."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schema fuzzing needs the 'webtest' extra (schemathesis)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clusterleap.serve.app import create_app  # noqa: E402
from clusterleap.store.accounts import create_token  # noqa: E402

from .conftest import Workspace  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_api_matches_its_schema(sqlite_workspace: Workspace) -> None:
    app = create_app(sqlite_workspace.store)
    with sqlite_workspace.store.session() as db:
        token = create_token(db, "admin")
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
