"""Schemathesis against the gateway served by uvicorn (python -m services.gateway's path) over the real services:
requests generated from docs/openapi.json, valid and invalid, must never get a 5xx and must match the document."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway.adapters.app import OPENAPI_PATH
from services.gateway.bootstrap import Settings, serve
from tests.integration.gateway.conftest import SECRET, Suite, bearer, gateway_addresses

# Small and derandomised: the same few cases on every run, bounded in time (several hundred requests).
EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


def generated_cases() -> list[Case]:
    schema = schemathesis.openapi.from_dict(json.loads(OPENAPI_PATH.read_text(encoding="utf-8")))
    cases: list[Case] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                database=None,
                deadline=None,
                derandomize=True,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def collect(case: Case) -> None:
                cases.append(case)

            # An operation without parameters has no invalid form: nothing to generate in negative mode.
            with contextlib.suppress(Unsatisfiable):
                collect()
    return cases


@pytest.fixture(scope="module")
async def served_gateway(suite: Suite) -> AsyncIterator[str]:
    """The gateway served over HTTP on a free loopback port, the way `python -m services.gateway` serves it."""
    addresses = gateway_addresses(suite)
    config = Settings(
        http_address="127.0.0.1:0",
        auth_secret=SECRET,
        orders_address=addresses["orders"],
        saga_address=addresses["saga"],
        payments_address=addresses["payments"],
        inventory_address=addresses["inventory"],
        pricing_address=addresses["pricing"],
        refunds_address=addresses["refunds"],
        rate_limit_per_second=1_000_000,
        rate_limit_burst=1_000_000,
    )
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    server = asyncio.create_task(serve(config, stop=stop, ready=port.set_result))
    try:
        yield f"http://127.0.0.1:{await port}"
    finally:
        stop.set()
        await server


def _request_arguments(case: Case, base_url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Schemathesis describes a request for the requests library; httpx names a raw body ``content``."""
    arguments = case.as_transport_kwargs(base_url=base_url, headers=headers)
    if "data" in arguments:
        arguments["content"] = arguments.pop("data")
    if not arguments.get("cookies"):
        arguments.pop("cookies", None)
    return arguments


async def test_no_generated_request_gets_a_server_error_or_breaks_the_document(served_gateway: str) -> None:
    cases = generated_cases()
    token = bearer("fuzzer", "admin")
    failures: list[str] = []
    statuses: set[int] = set()
    async with httpx.AsyncClient(timeout=60.0) as client:
        for case in cases:
            response = await client.request(**_request_arguments(case, served_gateway, token))
            statuses.add(response.status_code)
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as failure:
                failures.append(
                    f"{case.as_curl_command()}\n  -> {response.status_code} {response.text[:300]}\n  {failure}"
                )

    assert len(cases) > 100
    assert not failures, f"{len(failures)} of {len(cases)} failed:\n\n" + "\n\n".join(failures[:10])
    assert {200, 400} <= statuses
