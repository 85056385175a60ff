"""Property-based fuzzing of the whole API from its own OpenAPI document.

A short, seeded schemathesis run (positive and negative cases for every operation)
against the local front door (real HTTP on 127.0.0.1, the app on moto), signed in
as an administrator so admin routes are reached too. The one check: no answer is a
server error. Operations that would end the session (logout, revoking tokens) are
left out so the rest stay authenticated.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from moto import mock_aws
from schemathesis.checks import not_a_server_error

EXAMPLES = int(os.environ.get("WACAST_FUZZ_EXAMPLES", "6"))
SKIP = r"^/api/auth/(logout|tokens/\{token_id\})$"


@pytest.fixture(scope="module")
def fuzz_env() -> Iterator[dict[str, str]]:
    """One moto backend, front door and Stripe fake for the whole module."""
    from chalicelib import aws as aws_clients
    from chalicelib import queues
    from chalicelib.billing import stripe_api
    from chalicelib.config import reset_settings_cache
    from infra.local.billing_provider import FakeStripe, serve

    patch = pytest.MonkeyPatch()
    fake = FakeStripe("whsec_fuzz", "http://127.0.0.1:9", {"price_s": 2900, "price_p": 9900}, None)
    stripe_server = serve(fake)
    host, port = stripe_server.server_address[:2]
    for key, value in {
        "STRIPE_SECRET_KEY": "sk_test_fuzz",
        "STRIPE_WEBHOOK_SECRET": "whsec_fuzz",
        "WACAST_STRIPE_API_BASE": f"http://{host}:{port}",
        "WACAST_STRIPE_PRICE_STARTER": "price_s",
        "WACAST_STRIPE_PRICE_PRO": "price_p",
    }.items():
        patch.setenv(key, value)
    with mock_aws():
        aws_clients.reset_clients()
        queues.reset_urls()
        reset_settings_cache()
        stripe_api.reset_client()
        from infra.local.provision import provision_all

        provision_all()
        from app import app
        from chalicelib.auth import service
        from infra.local.http_server import create_server

        server = create_server(app, "127.0.0.1", 0, None, lambda: [], None)
        thread = threading.Thread(target=server.server.serve_forever, daemon=True)
        thread.start()
        service.register("fuzz-admin@example.com", "correct horse battery", "Fuzz", role="admin")
        token, _ = service.login("fuzz-admin@example.com", "correct horse battery", "fuzz", None)
        try:
            yield {
                "base": f"http://127.0.0.1:{server.server.server_address[1]}",
                "token": token,
            }
        finally:
            server.server.shutdown()
            server.server.server_close()
            stripe_server.shutdown()
            stripe_server.server_close()
            aws_clients.reset_clients()
            queues.reset_urls()
            patch.undo()
            reset_settings_cache()
            stripe_api.reset_client()


def test_no_generated_request_is_a_server_error(fuzz_env: dict[str, str]) -> None:
    from hypothesis import given

    schema = schemathesis.openapi.from_url(f"{fuzz_env['base']}/api/openapi.json")
    headers = {"Authorization": f"Bearer {fuzz_env['token']}"}
    failures: list[str] = []
    operations = 0
    for result in schema.exclude(path_regex=SKIP).get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,  # seeded: the same cases every run
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                base_url=fuzz_env["base"],
                headers=headers,
                checks=[not_a_server_error],
                timeout=30,
            )

        try:
            run()
        except Exception as error:  # collect, so one report names every failing route
            failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:2000])
    assert operations > 40
    assert not failures, "\n\n".join(failures)
