"""``specs.io.http``: one mapping of the HTTP client's failures to typed errors, against real sockets (a
closed port, a server that never answers) and an injected transport."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from specs.errors import NetworkError, StatusTokenError
from specs.io.http import NET_OFFLINE, NET_SERVER, NET_TIMEOUT, client, network_code, reaching


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_no_connection_is_net_offline() -> None:
    with pytest.raises(NetworkError) as err, reaching("the issuer"), client(timeout=2, connect=2) as http:
        http.get(f"http://127.0.0.1:{closed_port()}/")
    assert err.value.code == NET_OFFLINE and "cannot reach the issuer: no connection" in err.value.message


def test_no_answer_in_time_is_net_timeout(silent_port: int) -> None:
    with pytest.raises(NetworkError) as err, reaching("the issuer"), client(timeout=0.3, connect=2) as http:
        http.get(f"http://127.0.0.1:{silent_port}/")
    assert err.value.code == NET_TIMEOUT


def test_the_callers_class_and_code_and_the_url_is_not_repeated() -> None:
    with pytest.raises(StatusTokenError) as err, reaching("the status list", error=StatusTokenError,
                                                          code="status.unavailable"), client() as http:
        http.get(f"http://127.0.0.1:{closed_port()}/lists/1?secret=x")
    assert err.value.code == "status.unavailable" and "secret" not in err.value.message


def test_injected_transport_and_no_redirects() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/broken":
            raise httpx.RemoteProtocolError("peer closed", request=request)
        if request.url.path == "/loop":
            raise httpx.TooManyRedirects("loop", request=request)
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/"})

    with client(transport=httpx.MockTransport(answer), base_url="https://issuer.example") as http:
        assert http.get("/").status_code == 302  # not followed: the caller decides
        with pytest.raises(NetworkError) as err, reaching("the issuer"):
            http.get("/broken")
        assert err.value.code == NET_OFFLINE
        with pytest.raises(NetworkError) as err, reaching("the issuer"):
            http.get("/loop")
        assert err.value.code == NET_SERVER


def test_other_exceptions_pass_unchanged() -> None:
    with pytest.raises(KeyError), reaching("the issuer"):
        raise KeyError("a bug stays a bug")
    assert network_code(ValueError()) is None
    assert network_code(TimeoutError()) == NET_TIMEOUT and network_code(ConnectionResetError()) == NET_OFFLINE
