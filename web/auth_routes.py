"""Login and logout as plain HTTP routes, so the session cookie can be HttpOnly.

A Streamlit script cannot set an HttpOnly cookie; these Starlette routes run in the same
server (``st.App`` in ``asgi.py``), check the login with ``services.access.login`` and set a
signed, HttpOnly, SameSite=Strict cookie holding a server-side session's secret, which the
script reads through ``st.context.cookies`` and checks against the database on every run.

Everything slow or writing (argon2, the throttle, the session and audit rows) runs in threads:
the event loop also carries every websocket of every user, and must never wait on a hash (the
login attempts on their own low-priority threads, the rest in Starlette's thread pool).
Both forms are protected against cross-site posting twice over: the request must come from this
site (``Origin``, else ``Referer``) and carry the form's CSRF token (the login form's is the HMAC
of a random cookie set with the form; the logout form's is the HMAC of the session's secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import math
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from urllib.parse import quote, urlsplit

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from models import AuthEventKind, SessionEndReason
from services.access.audit import record_refusal
from services.access.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfPurpose,
    csrf_token,
    csrf_token_valid,
    normalise_username,
    read_session_token,
    sign_session_id,
)
from services.access.login import LoginOutcome, LoginResult, attempt_login
from services.access.sessions import SessionLimits, cookie_user, end_session
from services.infra.clock import now_utc
from services.runtime import Runtime, get_runtime

LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
# Paths served without a login: Streamlit's own assets and endpoints, the auth routes, and the
# JSON API (it authenticates every request with its own bearer token and answers 401 in JSON).
_OPEN_PREFIXES = ("/auth/", "/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/api/")
# Pages served without a login: the public page of Điều 6 (aggregates only, web/public_routes.py).
_OPEN_PATHS = frozenset({"/cong-khai"})
FOREIGN_ORIGIN = (
    "Yêu cầu bị từ chối vì không được gửi từ trang của Giao việc. "
    "Nếu bạn vừa bấm một liên kết lạ, hãy đóng trang đó; nếu không, hãy mở lại trang đăng nhập và thử lại."
)
STALE_FORM = "Biểu mẫu đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng nhập lại tên đăng nhập và mật khẩu."
STALE_LOGOUT = "Yêu cầu đăng xuất không hợp lệ (thiếu mã xác thực biểu mẫu). Hãy bấm nút Đăng xuất dưới đây."
_LOGIN_NONCE_MAX_AGE = 24 * 3600

# argon2 takes 64 MiB and all the CPU it can get for a fraction of a second. Logins run on their
# own few threads, at a lower CPU priority (nice): a flood of logins (from many addresses, so the
# throttle does not stop it) then waits its turn, bounded in memory, while the event loop and
# the page runs keep the processor first. Each thread's argon2 lanes inherit its priority.
LOGIN_THREADS = 2
LOGIN_NICE = 10


def _lower_priority() -> None:
    """Linux keeps a nice value per thread; elsewhere the logins just run at normal priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOGIN_NICE)


_login_pool = ThreadPoolExecutor(
    max_workers=LOGIN_THREADS, thread_name_prefix="giaoviec-login", initializer=_lower_priority
)

# The one start-up of the process, shared with the Streamlit script (ui/runtime.py) and the API.
runtime = get_runtime
# The routes' clock; tests replace it to move time (throttle waits, lockouts, timeouts).
clock: Callable[[], datetime] = now_utc


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, never '//host' or 'http://…' (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def client_ip(request: Request) -> str:
    """The client's address (behind nginx, uvicorn has taken it from X-Forwarded-For)."""
    return request.client.host if request.client else ""


def secure_cookies(request: Request, rt: Runtime) -> bool:
    """Cookies are Secure when the request came over HTTPS (behind a proxy on 127.0.0.1, uvicorn
    takes the scheme from X-Forwarded-Proto) or when COOKIE_SECURE says so."""
    return rt.settings.cookie_secure or request.url.scheme == "https"


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _netloc(scheme: str, netloc: str) -> str:
    """host[:port] in lower case, without the scheme's default port."""
    netloc = netloc.lower()
    default = ":" + _DEFAULT_PORTS[scheme]
    return netloc[: -len(default)] if netloc.endswith(default) else netloc


def same_origin(request: Request) -> bool:
    """The form was posted by a page of this site: its ``Origin`` (or, without one, its
    ``Referer``) names the host the request was sent to. Neither: refused, as a browser always
    sends one of them with a form (``Referrer-Policy: same-origin`` keeps the Referer here)."""
    source = request.headers.get("origin")
    if not source or source == "null":
        source = request.headers.get("referer")
    if not source:
        return False
    parts = urlsplit(source)
    host = request.headers.get("host", "")
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc or not host:
        return False
    return _netloc(parts.scheme, parts.netloc) == _netloc(request.url.scheme, host)


_STYLE = """
 body { font-family: "Source Sans Pro", "Segoe UI", Roboto, Arial, sans-serif; background:#f3f6fa; margin:0; }
 main { max-width: 380px; margin: 10vh auto; background:#fff; padding: 2rem 2.2rem; border-radius: 10px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }
 h1 { font-size: 1.5rem; margin: 0 0 .2rem; color:#b71c1c; }
 p.sub { margin: 0 0 1.4rem; color:#555; font-size:.95rem; }
 label { display:block; font-weight:600; margin: .9rem 0 .3rem; }
 input { width:100%; box-sizing:border-box; padding:.6rem .7rem; font-size:1rem; border:1px solid #bbb;
         border-radius:6px; }
 button { margin-top:1.3rem; width:100%; padding:.7rem; font-size:1rem; background:#b71c1c; color:#fff; border:0;
          border-radius:6px; cursor:pointer; }
 .error { background:#fdecea; color:#8a1c1c; padding:.6rem .8rem; border-radius:6px; }
"""


def _page(*, title: str, body: str, status: int) -> HTMLResponse:
    text = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — Giao việc</title>
<style>{_STYLE}</style></head>
<body><main>
<h1>Giao việc</h1>
{body}
</main></body></html>"""
    # Never cached: the forms carry a CSRF token and the answers say who is logged in.
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def _error(message: str) -> str:
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""


def _login_page(
    request: Request, *, next_path: str, username: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    """The form, with a CSRF token bound to this browser's login cookie (set now if missing)."""
    rt = runtime()
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    fresh = len(nonce) < 16
    if fresh:
        nonce = secrets.token_urlsafe(24)
    token = csrf_token(purpose=CsrfPurpose.LOGIN, binding=nonce, secret=rt.settings.resolved_secret_key())
    province = html.escape(rt.config.org.province)
    response = _page(
        title="Đăng nhập",
        status=status,
        body=f"""<p class="sub">Phần mềm quản lý giao việc — UBND tỉnh {province}</p>
{_error(error)}
<form method="post" action="{LOGIN_PATH}">
 <input type="hidden" name="next" value="{html.escape(next_path)}">
 <input type="hidden" name="csrf" value="{token}">
 <label for="username">Tên đăng nhập</label>
 <input id="username" name="username" autocomplete="username" value="{html.escape(username)}" required autofocus>
 <label for="password">Mật khẩu</label>
 <input id="password" name="password" type="password" autocomplete="current-password" required>
 <button type="submit">Đăng nhập</button>
</form>""",
    )
    if fresh:
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            nonce,
            max_age=_LOGIN_NONCE_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(request, rt),
            path="/auth",
        )
    return response


def _journal_refusal(request: Request, *, username: str, detail: str) -> None:
    rt = runtime()
    with Session(rt.engine) as session:
        record_refusal(
            session=session,
            kind=AuthEventKind.CSRF_REFUSED,
            at=clock(),
            username=username,
            ip=client_ip(request),
            detail=f"{request.method} {request.url.path}: {detail}",
        )


async def _foreign(request: Request, username: str = "") -> HTMLResponse:
    origin = request.headers.get("origin") or request.headers.get("referer") or "không có Origin/Referer"
    await run_in_threadpool(_journal_refusal, request, username=username, detail=f"nguồn {origin[:200]}")
    return _page(
        title="Từ chối",
        status=403,
        body=f'{_error(FOREIGN_ORIGIN)}<p><a href="{LOGIN_PATH}">Mở trang đăng nhập</a></p>',
    )


def _attempt(*, username: str, password: str, ip: str, user_agent: str) -> LoginResult:
    rt = runtime()
    with Session(rt.engine, expire_on_commit=False) as session:
        return attempt_login(
            session=session,
            username=username,
            password=password,
            ip=ip,
            user_agent=user_agent,
            rules=rt.config.app.login,
            now=clock(),
        )


async def login(request: Request) -> Response:
    if request.method == "GET":
        return _login_page(request, next_path=_safe_next(request.query_params.get("next")))
    if not same_origin(request):
        return await _foreign(request)
    form = await request.form()
    username = str(form.get("username", ""))
    password = str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "/")))
    rt = runtime()
    secret = rt.settings.resolved_secret_key()
    if not csrf_token_valid(
        token=str(form.get("csrf", "")),
        purpose=CsrfPurpose.LOGIN,
        binding=request.cookies.get(LOGIN_CSRF_COOKIE),
        secret=secret,
    ):
        account = normalise_username(username)
        await run_in_threadpool(_journal_refusal, request, username=account, detail="thiếu hoặc sai mã CSRF")
        return _login_page(request, next_path=next_path, username=username, error=STALE_FORM, status=403)
    result = await asyncio.get_running_loop().run_in_executor(
        _login_pool,
        partial(
            _attempt,
            username=username,
            password=password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        ),
    )
    if result.outcome is not LoginOutcome.OK or result.session_id is None:
        status = 429 if result.outcome is LoginOutcome.REFUSED else 401
        refused = _login_page(request, next_path=next_path, username=username, error=result.message, status=status)
        if result.retry_at is not None:
            refused.headers["Retry-After"] = str(max(1, math.ceil((result.retry_at - clock()).total_seconds())))
        return refused
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session_id(session_id=result.session_id, secret=secret),
        max_age=rt.config.app.login.session_max_hours * 3600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request, rt),
        path="/",
    )
    return response


def _logout_page(request: Request, *, error: str = "", status: int = 200) -> HTMLResponse:
    """A small confirmation form: GET never logs out (a link or an image must not end a session)."""
    rt = runtime()
    session_id = _session_id(request, rt)
    token = (
        csrf_token(purpose=CsrfPurpose.LOGOUT, binding=session_id, secret=rt.settings.resolved_secret_key())
        if session_id
        else ""
    )
    return _page(
        title="Đăng xuất",
        status=status,
        body=f"""<p class="sub">Bạn muốn đăng xuất khỏi Giao việc?</p>
{_error(error)}
<form method="post" action="{LOGOUT_PATH}">
 <input type="hidden" name="csrf" value="{token}">
 <button type="submit">Đăng xuất</button>
</form>""",
    )


def _session_id(request: Request, rt: Runtime) -> str | None:
    return read_session_token(
        token=request.cookies.get(SESSION_COOKIE),
        secret=rt.settings.resolved_secret_key(),
        max_age_seconds=rt.config.app.login.session_max_hours * 3600,
    )


def _end(session_id: str, ip: str) -> None:
    rt = runtime()
    with Session(rt.engine) as session:
        end_session(session=session, session_id=session_id, now=clock(), reason=SessionEndReason.LOGOUT, ip=ip)


async def logout(request: Request) -> Response:
    """POST: end the session in the database (a copied cookie dies with it) and drop the cookie."""
    if request.method == "GET":
        return _logout_page(request)
    if not same_origin(request):
        return await _foreign(request)
    rt = runtime()
    form = await request.form()
    session_id = _session_id(request, rt)
    if session_id is not None:
        if not csrf_token_valid(
            token=str(form.get("csrf", "")),
            purpose=CsrfPurpose.LOGOUT,
            binding=session_id,
            secret=rt.settings.resolved_secret_key(),
        ):
            await run_in_threadpool(_journal_refusal, request, username="", detail="đăng xuất thiếu hoặc sai mã CSRF")
            return _logout_page(request, error=STALE_LOGOUT, status=403)
        await run_in_threadpool(_end, session_id, client_ip(request))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(request, rt)
    )
    return response


def _cookie_user(token: str | None, ip: str) -> int | None:
    rt = runtime()
    with Session(rt.engine) as session:
        return cookie_user(
            session=session,
            token=token,
            secret=rt.settings.resolved_secret_key(),
            limits=SessionLimits.of(rt.config.app.login),
            now=clock(),
            ip=ip,
        )


class LoginRedirectMiddleware(BaseHTTPMiddleware):
    """Send a page navigation without a valid session to the login form."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        is_page = (
            request.method == "GET"
            and not path.startswith(_OPEN_PREFIXES)
            and path not in _OPEN_PATHS
            and "." not in path.rsplit("/", 1)[-1]
            and "text/html" in request.headers.get("accept", "")
        )
        if is_page:
            token = request.cookies.get(SESSION_COOKIE)
            uid = await run_in_threadpool(_cookie_user, token, client_ip(request)) if token else None
            if uid is None:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"{LOGIN_PATH}?next={quote(target)}", status_code=303)
        return await call_next(request)


routes = [
    Route(LOGIN_PATH, login, methods=["GET", "POST"]),
    Route(LOGOUT_PATH, logout, methods=["GET", "POST"]),
]
