"""Security headers on every HTTP answer of the server, and Streamlit's metrics closed.

Giao việc is never meant to be shown inside another site's frame (a page framed by another site
can be overlaid to trick a click: clickjacking), so every answer says so twice, to old and new
browsers (``X-Frame-Options: DENY``, ``Content-Security-Policy: frame-ancestors 'none'``); no
answer may be sniffed into another content type; and a link followed to another site carries no
Referer (the URLs of the pages hold filters and task ids). ``/_stcore/metrics`` (Streamlit's
session and cache figures) answers 404: nobody outside needs them.

A plain ASGI middleware (not ``BaseHTTPMiddleware``): it only rewrites the start of each answer,
so streamed answers stay streamed and websockets pass untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
CLOSED_PATHS = ("/_stcore/metrics",)


def _closed(path: str) -> bool:
    return any(path == closed or path.startswith(closed + "/") for closed in CLOSED_PATHS)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        if _closed(scope["path"]):
            await PlainTextResponse("Không tìm thấy.", status_code=404)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
