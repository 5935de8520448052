"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for load generation (``issuance.py --client lean``).

httpx costs ~17-21 ms of client CPU per issuance flow, as much as the server it measures, and both share the
machine's cores: the load generator dominated. This client does what the benchmark needs and nothing more:
one persistent connection per simulated wallet, requests with a ``Content-Length`` body, answers with a
``Content-Length`` (or none, for 204/304). It exposes the few httpx names the flow uses (``get``, ``post``,
``status_code``, ``json()``, ``text``), so the same flow code runs on either client.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from typing import Any


class Answer:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class LeanClient:
    """One keep-alive connection to ``base_url`` (http only), opened on first use, reopened if the server closed it."""

    def __init__(self, base_url: str) -> None:
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._host_header = f"{self.host}:{self.port}".encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, url: str, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("GET", url, b"", None, headers)

    async def post(self, url: str, *, data: dict[str, str] | None = None, json: Any = None,
                   headers: dict[str, str] | None = None) -> Answer:
        if data is not None:
            return await self.request("POST", url, urllib.parse.urlencode(data).encode(),
                                      "application/x-www-form-urlencoded", headers)
        body = b"" if json is None else _dumps(json)
        return await self.request("POST", url, body, "application/json" if json is not None else None, headers)

    async def request(self, method: str, path: str, body: bytes, content_type: str | None,
                      headers: dict[str, str] | None) -> Answer:
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._host_header,
                b"Content-Length: " + str(len(body)).encode()]
        if content_type:
            head.append(b"Content-Type: " + content_type.encode())
        head.extend(f"{k}: {v}".encode("latin-1") for k, v in (headers or {}).items())
        message = b"\r\n".join(head) + b"\r\n\r\n" + body
        for attempt in (1, 2):  # a keep-alive connection the server closed meanwhile is reopened once
            if self._streams is None:
                self._streams = await asyncio.open_connection(self.host, self.port)
            reader, writer = self._streams
            try:
                writer.write(message)
                return await _read(reader, method)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.aclose()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


async def _read(reader: asyncio.StreamReader, method: str) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding":
            raise ValueError("chunked answers are not supported by this client")
    if length is None:
        if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
            return Answer(status, b"")
        raise ValueError(f"an answer ({status}) without Content-Length")
    return Answer(status, await reader.readexactly(length) if length else b"")
