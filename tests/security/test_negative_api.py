"""Every documented operation fed data that breaks its own schema, by schemathesis, signed in as an admin (and as
a feed's producer for deliveries) so that the bad data reaches the handlers: no answer is a server error.

Guards proven: the JSON error middleware, ``read_json`` and ``safe_json``, and every handler's own checks.
Operations whose schema has nothing to break (no parameters, or free text) get generated input of any kind
instead. The event stream is left out: a request that happens to be valid never ends (its bad input is in
``test_limits`` and ``tests/channels/test_sse.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode

from signage.cli import _new_vapid_private_key
from tests.conftest import free_port
from tests.processes import feed_token, signage_process


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    directory = tmp_path_factory.mktemp("negative")
    port = free_port()
    env = {"SIGNAGE_SQLITE_PATH": str(directory / "store.sqlite3"), "SIGNAGE_VAPID_PRIVATE_KEY":
           _new_vapid_private_key(), "SIGNAGE_WEBHOOK_SECRET": "negative-tests", "SIGNAGE_STAFF_PASSWORD":
           "a password for the negative run"}
    with signage_process(["serve", "--config", "demo", "--role", "all", "--port", str(port)], port, env,
                         directory):
        run = {**os.environ, **env}
        subprocess.run([sys.executable, "-m", "signage", "staff", "add", "root", "--role", "admin"], env=run,
                       check=True, capture_output=True, timeout=60)
        staff = subprocess.run([sys.executable, "-m", "signage", "staff", "token", "root"], env=run, check=True,
                               capture_output=True, text=True, timeout=60).stdout.strip()
        tokens = {"staff": staff, **{feed: feed_token(feed, env) for feed in ("ngsi", "cap", "gtfs-rt")}}
        yield f"http://127.0.0.1:{port}", tokens


def test_no_bad_request_makes_a_server_error(server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    base, tokens = server
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json").exclude(path="/api/v1/events")
    checked, without_inputs = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"the document has an invalid operation: {result.err()}")
        operation = result.ok()

        def check_with(mode: GenerationMode, operation: Any = operation) -> None:
            @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck),
                      phases=[Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
                feed = case.path_parameters.get("feed_id") if case.path_parameters else None
                token = tokens.get(str(feed)) if case.path.startswith("/feeds/") else tokens["staff"]
                case.headers["Authorization"] = f"Bearer {token or 'ft_unknown'}"
                case.call_and_validate(checks=[not_a_server_error], timeout=20)

            check()

        try:
            check_with(GenerationMode.NEGATIVE)
            checked.append(operation.label)
        except Unsatisfiable:  # nothing in its schema to break (GET /healthz, a free-text path…): any input then
            check_with(GenerationMode.POSITIVE)
            without_inputs.append(operation.label)
    assert len(checked) >= 25 and len(checked) + len(without_inputs) >= 40, (checked, without_inputs)
