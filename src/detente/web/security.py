"""Safety of the workbench's HTTP surface, as one ASGI middleware.

- the Host header must name the server (guards against DNS rebinding);
- request bodies are capped (413 beyond the limit);
- state-changing requests must be POST from the page's own origin (Origin header);
- every response carries a strict Content-Security-Policy and related headers;
- with a token (required for addresses other than loopback), every request must carry it.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
TOKEN_COOKIE = "detente_token"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """Host header values the server answers to; None (any) for a wildcard bind."""
    if host in ("0.0.0.0", "::", ""):
        return None
    names = {host.lower()}
    if is_loopback(host):
        names |= {"127.0.0.1", "localhost", "::1"}
    names = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
    return {f"{n}:{port}" for n in names} | (names if port == 80 else set())


@dataclass
class Guard:
    """Settings of :class:`SecurityMiddleware`."""

    hosts: set[str] | None
    max_body: int
    token: str | None = None
    state_paths: set[str] = field(default_factory=set)  # paths that change state: POST only


class SecurityMiddleware:
    """Wraps an ASGI app with the checks in the module docstring."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def _plain(self, send: Send, status: int, text: str) -> None:
        body = text.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    *HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        g = self.guard
        if g.hosts is not None and host.lower() not in g.hosts:
            await self._plain(send, 400, "refused: unexpected Host header")
            return
        method = scope["method"]
        path = scope["path"]
        if method not in ("GET", "HEAD", "POST"):
            await self._plain(send, 405, "method not allowed")
            return
        if path in g.state_paths and method != "POST":
            await self._plain(send, 405, "this action needs POST")
            return
        if method == "POST":
            origin = headers.get("origin")
            if origin is None or origin != f"{scope.get('scheme', 'http')}://{host}":
                await self._plain(send, 403, "refused: cross-origin request")
                return
            if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                await self._plain(send, 403, "refused: cross-site request")
                return
        set_cookie = None
        if g.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            cookie = _cookie(headers.get("cookie", ""), TOKEN_COOKIE)
            given = (query.get("token") or [None])[0] or cookie
            if given is None or not hmac.compare_digest(given.encode(), g.token.encode()):
                await self._plain(send, 401, "this workbench needs its token: open ?token=...")
                return
            if cookie != g.token:
                set_cookie = f"{TOKEN_COOKIE}={g.token}; HttpOnly; SameSite=Strict; Path=/".encode()
        # read the whole body up to the cap, then replay it to the app
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > g.max_body:
            await self._plain(send, 413, f"request too large: at most {g.max_body} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > g.max_body:
                await self._plain(send, 413, f"request too large: at most {g.max_body} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(HEADERS)
                if set_cookie is not None:
                    extra.append((b"set-cookie", set_cookie))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, replay, send_with_headers)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
