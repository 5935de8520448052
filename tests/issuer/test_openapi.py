"""Schemathesis against the issuer's own OpenAPI document: no 5xx anywhere, every response matches its schema;
and no 5xx when hostile strings and numbers (NUL, control characters, lone surrogates in JSON, digits beyond
32/64 bits, numbers beyond a double, deep nesting) replace the generated values, on SQLite and PostgreSQL.

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
from tests.issuer.conftest import BACKENDS, _drop, _pg_url

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


# Hostile values (issue: never a 5xx from input). No lone surrogates: schemathesis itself cannot encode them
# (tests/issuer/test_guard.py sends them as JSON escapes and as percent-encoded bytes).
TEXT = ["\x00", "a\x00b", "\x1b[0m", "\u202e", "¹²³", "%_", "9" * 25, str(2**63), str(2**31), "-" + "9" * 40]
NUMBERS = [2**64, -(2**63) - 1, 2**31, 10**40, -0.0]


def _hostile(data: st.DataObject, value: object, pool: list[object], depth: int = 0) -> object:
    """``value`` with its strings and numbers replaced (each one by chance) by drawn hostile ones."""
    if isinstance(value, dict):
        return {k: _hostile(data, v, pool, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth == 0 and data.draw(st.booleans()):
            nested: object = value
            for _ in range(data.draw(st.sampled_from([17, 200, 3000]))):
                nested = [nested]
            return nested
        return [_hostile(data, v, pool, depth + 1) for v in value]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) and data.draw(st.booleans()):
        return data.draw(st.sampled_from(pool))
    return value


@pytest.fixture(scope="module", params=BACKENDS)
def hostile_schema(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    schema = f"t_{__import__('secrets').token_hex(6)}"
    url = _pg_url(schema) if request.param == "postgresql" else None
    data = tmp_path_factory.mktemp("hostile") / "data"
    issuer_settings = Settings(data_dir=data, database_url=url, seed_people=50, status_list_size=4096,
                               public_url=ISSUER_URL, **{f"rate_limit_{k}_{s}": 0 for k in
                                                         ("token", "nonce", "credential", "remote", "login")
                                                         for s in ("per_client", "overall")})
    bootstrap(issuer_settings)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(issuer_settings))
    if url is not None:
        _drop(schema)


HOSTILE_EXAMPLES = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.mark.slow  # about 30 s a database
@pytest.mark.parametrize(("method", "path"), [pytest.param(*op, id=_label(op)) for op in OPERATIONS])
def test_no_server_error_from_hostile_values(hostile_schema: schemathesis.BaseSchema, method: str,
                                             path: str) -> None:
    operation = hostile_schema[path][method]

    @HOSTILE_EXAMPLES
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        text_pool: list[object] = [*TEXT, *(str(n) for n in NUMBERS)]
        if case.path_parameters:
            case.path_parameters = {k: _hostile(data, v, text_pool) for k, v in case.path_parameters.items()}
        if case.query:
            case.query = {k: _hostile(data, v, text_pool) for k, v in case.query.items()}
        if isinstance(case.body, (dict, list)):
            json_body = case.media_type is None or "json" in case.media_type
            case.body = _hostile(data, case.body, [*TEXT, *NUMBERS] if json_body else text_pool)
        case.call_and_validate(checks=[not_a_server_error])

    run()
