"""A small HTTP/1.1 client for load on loopback: many virtual users in one asyncio loop.

Why not requests or httpx: with 64 virtual users on 2 cores the client shares the CPU with
the server under test, and a general client spends ~0.3-0.5 ms of CPU per request on things
a load generator does not need (cookie jars, URL objects, header models, event hooks). This
one writes the request bytes and reads the status, headers and body (Content-Length,
chunked, or until close), keeps one connection per virtual user (re-opened when the server
closes it, as gunicorn's sync workers do after every response) and nothing else. Cookies
are the caller's (bench/web.py keeps the two a launch needs), so the Secure cookies the tool
sets behind its TLS proxy are sent as a browser behind that proxy would.

Only loopback addresses are accepted: this is for benchmarks of a server started here.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlencode

REQUEST_TIMEOUT = 30.0  # seconds; a request still unanswered then counts as an error


class LoadError(Exception):
    """A request that got no complete answer (refused, reset, timed out, malformed)."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    def cookies(self) -> dict[str, str]:
        """name -> value of every Set-Cookie (attributes dropped; deletions give '')."""
        found = {}
        for key, value in self.headers:
            if key == "set-cookie":
                pair = value.split(";", 1)[0]
                name, _, cookie_value = pair.partition("=")
                found[name.strip()] = cookie_value.strip().strip('"')
        return found

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Connection:
    """One virtual user's connection to host:port (loopback only)."""

    host: str
    port: int
    extra_headers: dict[str, str] = field(default_factory=dict)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"{self.host} is not a loopback address")
        self._fixed = (
            f"Host: {self.host}:{self.port}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in self.extra_headers.items())
        ).encode("latin-1")

    async def get(self, path: str, cookies: dict[str, str] | None = None) -> Response:
        return await self.request("GET", path, cookies=cookies)

    async def post_form(
        self, path: str, form: dict[str, str], cookies: dict[str, str] | None = None
    ) -> Response:
        return await self.request(
            "POST",
            path,
            body=urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            cookies=cookies,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        cookies: dict[str, str] | None = None,
    ) -> Response:
        head = [f"{method} {path} HTTP/1.1\r\n".encode("latin-1"), self._fixed]
        if cookies:
            head.append(
                ("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()) + "\r\n").encode(
                    "latin-1"
                )
            )
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}\r\n".encode())
        if content_type:
            head.append(f"Content-Type: {content_type}\r\n".encode())
        data = b"".join(head) + b"\r\n" + body
        reused = self._writer is not None
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                try:
                    return await self._exchange(data)
                except (ConnectionError, asyncio.IncompleteReadError, LoadError):
                    if not reused:
                        raise
                    # A kept-alive connection the server had already closed: once more, anew.
                    self.close()
                    return await self._exchange(data)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            self.close()
            raise LoadError(f"{method} {path}: {type(error).__name__}: {error}") from error
        except LoadError:
            self.close()
            raise

    async def _exchange(self, data: bytes) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(data)
        reader = self._reader
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.strip():
            raise LoadError("empty answer")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        length = None
        chunked = close = False
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers.append((name, value))
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
        if chunked:
            body = await self._read_chunked()
        elif length is not None:
            body = await reader.readexactly(length)
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = await reader.read()
            close = True
        if close:
            self.close()
        return Response(status, headers, body)

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._reader.readuntil(b"\r\n")  # no trailers from the tool
                return b"".join(parts)
            parts.append(await self._reader.readexactly(size))
            await self._reader.readexactly(2)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
