"""The OpenAPI document is true: every route is in it, and schemathesis finds every documented operation
answering as documented (statuses, content types, JSON bodies), with no server error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from signage.cli import _new_vapid_private_key
from signage.config import demo_config_path
from signage.settings import Settings
from signage.web.openapi import openapi_document
from tests.conftest import free_port
from tests.processes import signage_process

NOT_DOCUMENTED = {("GET", "/static/{name}")}  # files, listed for completeness below


def test_every_route_is_in_the_document(tmp_path: Path) -> None:
    from signage.web.app import create_app

    app = create_app(Settings(config_path=demo_config_path(), role="all", sqlite_path=str(tmp_path / "s.db")))
    paths = openapi_document()["paths"]
    registered = {(route.method, route.resource.canonical) for route in app.router.routes()
                  if route.method != "HEAD" and route.resource is not None}
    assert registered, "no routes"
    missing = {(m, p) for m, p in registered if m.lower() not in paths.get(p, {})}
    assert missing == set()
    documented = {(m.upper(), p) for p, ops in paths.items() for m in ops}
    assert documented - registered == set()  # nothing documented that does not exist


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("openapi")
    port = free_port()
    env = {"SIGNAGE_SQLITE_PATH": str(directory / "store.sqlite3"),
           "SIGNAGE_VAPID_PRIVATE_KEY": _new_vapid_private_key(),
           "SIGNAGE_WEBHOOK_SECRET": os.environ.get("SIGNAGE_WEBHOOK_SECRET", "test-secret")}
    with signage_process(["serve", "--config", "demo", "--role", "all", "--port", str(port)], port, env, directory):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def api_schema(api_server: str) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{api_server}/api/v1/openapi.json")
    # The event stream never ends, and feed deliveries take any bytes: both have tests of their own.
    return schema.exclude(path="/api/v1/events").exclude(path="/feeds/{feed_id}")


def test_the_api_answers_as_documented(api_schema: schemathesis.BaseSchema) -> None:
    """Every documented operation, with cases schemathesis generates from the document (driven from here:
    its pytest plugin does not support this pytest)."""
    checked = []
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the document has an invalid operation: {result.err()}")
        operation = result.ok()

        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
            case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                           response_schema_conformance])

        check()
        checked.append(operation.label)
    assert len(checked) >= 30, checked
