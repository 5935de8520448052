"""Schemathesis against the issuer's own OpenAPI document: no 5xx anywhere, every response matches its schema.

The schema is loaded straight from the ASGI app (no server).  Operations are parametrised by hand instead of
through ``schemathesis.pytest.from_fixture``: its lazy loader rewrites ``request.node._nodeid``, which pytest 9.2
no longer has (AttributeError), so each test drives ``operation.as_strategy()`` with Hypothesis itself.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    CheckFunction,
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from issuer.settings import Settings
from issuer.web.app import bootstrap, create_app

ISSUER_URL = "http://testserver"
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation; the document does not depend on data, so a bare app will do."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), public_url=ISSUER_URL))
        document = app.openapi()
    return [(method.upper(), path) for path, item in document["paths"].items() for method in item]


OPERATIONS = _operations()

CONFORMANCE = [response_schema_conformance, status_code_conformance, content_type_conformance]

@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data = tmp_path_factory.mktemp("openapi") / "data"
    issuer_settings = Settings(data_dir=data, seed_people=50, status_list_size=4096, public_url=ISSUER_URL)
    bootstrap(issuer_settings)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(issuer_settings))


def _run(api_schema: schemathesis.BaseSchema, method: str, path: str, checks: list[CheckFunction]) -> None:
    operation = api_schema[path][method]

    @EXAMPLES
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        case.call_and_validate(checks=checks)

    run()


def _label(op: tuple[str, str]) -> str:
    return f"{op[0]} {op[1]}"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=_label)
def test_no_server_error(api_schema: schemathesis.BaseSchema, method: str, path: str) -> None:
    _run(api_schema, method, path, [not_a_server_error])


@pytest.mark.parametrize(("method", "path"), [pytest.param(*op, id=_label(op)) for op in OPERATIONS])
def test_response_schema_conformance(api_schema: schemathesis.BaseSchema, method: str, path: str) -> None:
    _run(api_schema, method, path, CONFORMANCE)
