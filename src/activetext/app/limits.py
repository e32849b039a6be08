"""ASGI middleware: request size limits and the security headers of every response.

Bodies are limited before the application reads them: a ``Content-Length`` over the limit is refused at once,
and a body sent without one (chunked) is counted as it arrives and refused when it passes the limit. The limit is
larger for the import route, which takes a file.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

__all__ = ["BodyLimitMiddleware", "SecurityHeadersMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Only the app's own script and style run; inline scripts and any other origin are refused by the browser."""


class _TooLarge(HTTPException):
    """Raised by the counting ``receive``; an HTTPException, so the application answers it with its 413."""

    def __init__(self, limit: int, what: str):
        super().__init__(413, f"{what} is larger than the limit of {limit} bytes")


async def _refuse(send: Send, limit: int, what: str) -> None:
    await _answer(send, 413, f"{what} is larger than the limit of {limit} bytes")


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes (``upload_limit`` for paths in ``upload_paths``) with 413.

    Parameters
    ----------
    app : ASGI application
    limit : int
        The largest body of an ordinary request (JSON).
    upload_limit : int
        The largest body of an upload.
    upload_paths : tuple of str
        The paths that take uploads.
    """

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int, upload_paths: tuple[str, ...]):
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in self.upload_paths
        limit = self.upload_limit if upload else self.limit
        what = "the upload" if upload else "the request body"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    await _refuse(send, limit, "the Content-Length header")
                    return
                if declared > limit:
                    await _refuse(send, limit, what)
                    return
        content_type = dict(scope.get("headers", [])).get(b"content-type", b"").decode("latin-1").lower()
        if content_type.startswith("application/json"):
            await self._json(scope, receive, send, content_type, limit, what)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit, what)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _refuse(send, limit, what)

    async def _json(self, scope: Scope, receive: Receive, send: Send, content_type: str, limit: int, what: str) -> None:
        """Read a JSON body whole (it is small), refuse it unless it is UTF-8, then hand it to the application."""
        charset = content_type.partition("charset=")[2].strip().strip('"')
        if charset and charset not in ("utf-8", "utf8"):
            await _answer(send, 415, f"JSON bodies must be UTF-8, got charset={charset!r}")
            return
        chunks = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, limit, what)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as error:
            await _answer(
                send,
                400,
                f"the JSON body is not UTF-8: byte {body[error.start : error.start + 1]!r} at offset {error.start}",
            )
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SecurityHeadersMiddleware:
    """Add headers that keep browsers from sniffing types, framing the page, or running anything but its script."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"cache-control", b"no-store"),
    )

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in self.HEADERS if header[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
