"""The login routes over HTTP for the service tests (not a test module): the real routes and
middlewares of ``asgi.py`` around stand-in pages, on the test's database, with Starlette's
TestClient speaking as a browser of the same site would (its ``Origin``, the form's CSRF token)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

import web.auth_routes
from services.runtime import Runtime
from web.auth_routes import LoginRedirectMiddleware, routes
from web.security_headers import SecurityHeadersMiddleware

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def _page(request: Request) -> PlainTextResponse:
    return PlainTextResponse(f"trang {request.url.path}")


class Clock:
    """The routes' clock (``web.auth_routes.clock``), moved by the test."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def auth_app() -> Starlette:
    """The auth routes and both middlewares (as ``asgi.py`` orders them) around stand-in pages,
    Streamlit's health endpoint and its metrics endpoint (which the headers middleware closes)."""
    return Starlette(
        routes=[
            *routes,
            Route("/giam-sat", _page),
            Route("/_stcore/health", _page),
            Route("/_stcore/metrics", _page),
        ],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(LoginRedirectMiddleware)],
    )


@contextmanager
def make_client(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    *,
    base_url: str = "http://testserver",
    clock: Clock | None = None,
) -> Iterator[TestClient]:
    monkeypatch.setattr(web.auth_routes, "runtime", lambda: runtime)
    if clock is not None:
        monkeypatch.setattr(web.auth_routes, "clock", clock)
    origin = base_url.rstrip("/")
    with TestClient(auth_app(), base_url=base_url, follow_redirects=False, headers={"origin": origin}) as client:
        yield client


def form_token(body: str) -> str:
    found = re.search(r'<input type="hidden" name="csrf" value="([^"]*)">', body)
    assert found is not None, body
    return found.group(1)


def login(client: TestClient, username: str, password: str, next_path: str | None = None) -> httpx.Response:
    """Open the form (its cookie and token), then post it, as a browser does."""
    token = form_token(client.get("/auth/login").text)
    data = {"username": username, "password": password, "csrf": token}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/auth/login", data=data)


def logout(client: TestClient) -> httpx.Response:
    """Post the logout form with its token (read from the confirmation form, as the sidebar's)."""
    token = form_token(client.get("/auth/logout").text)
    return client.post("/auth/logout", data={"csrf": token})
