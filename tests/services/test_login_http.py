"""The login and logout routes over HTTP (web.auth_routes, web.security_headers): CSRF and the
same-origin check, logout by POST only and at once, the throttle's answers, idle sessions, the
Secure cookie, the security headers and the closed metrics. On the test's database (SQLite and
PostgreSQL), through Starlette's TestClient; the routes' clock is the test's."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from models import AuthEvent, AuthEventKind, Role
from services.access.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, CsrfPurpose, csrf_token
from services.access.permissions import Actor
from services.runtime import Runtime
from tests.conftest import FINANCE, PASSWORD
from tests.services.login_http import HTML, Clock, form_token, login, logout, make_client
from web.auth_routes import FOREIGN_ORIGIN, STALE_FORM, STALE_LOGOUT
from web.security_headers import SECURITY_HEADERS

SECRET = "test-secret"


@pytest.fixture
def clerk(make_user: Callable[[str, Role, str], Actor]) -> Actor:
    return make_user("stc.vanthu", Role.CLERK, FINANCE)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[TestClient]:
    with make_client(runtime, monkeypatch, clock=clock) as test_client:
        yield test_client


def journal(runtime: Runtime) -> list[tuple[AuthEventKind, str]]:
    with Session(runtime.engine) as session:
        rows = session.exec(select(AuthEvent).order_by(col(AuthEvent.id))).all()
        return [(e.kind, e.detail) for e in rows]


def cookie_flags(header: str) -> dict[str, str | bool]:
    _, *attributes = [part.strip() for part in header.split(";")]
    return {a.split("=", 1)[0].lower(): (a.split("=", 1)[1] if "=" in a else True) for a in attributes}


# --- CSRF on the login form -----------------------------------------------------------------


def test_the_login_form_carries_a_token_bound_to_its_own_cookie(client: TestClient) -> None:
    response = client.get("/auth/login")
    [set_cookie] = response.headers.get_list("set-cookie")
    assert set_cookie.startswith(f"{LOGIN_CSRF_COOKIE}=")
    flags = cookie_flags(set_cookie)
    assert flags["httponly"] is True and str(flags["samesite"]).lower() == "strict" and flags["path"] == "/auth"
    nonce = client.cookies[LOGIN_CSRF_COOKIE]
    assert form_token(response.text) == csrf_token(purpose=CsrfPurpose.LOGIN, binding=nonce, secret=SECRET)
    assert response.headers["cache-control"] == "no-store"
    # the same browser keeps its cookie (and token) while it is there
    again = client.get("/auth/login")
    assert "set-cookie" not in again.headers
    assert form_token(again.text) == form_token(response.text)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://testserver.evil.example"},
        {"origin": "http://testserver:8080"},
        {"origin": "null"},
        {"origin": "", "referer": "https://evil.example/trang"},
        {"origin": ""},  # neither Origin nor Referer
    ],
)
def test_a_login_posted_from_another_site_is_refused(
    runtime: Runtime, client: TestClient, clerk: Actor, headers: dict[str, str]
) -> None:
    token = form_token(client.get("/auth/login").text)
    data = {"username": "stc.vanthu", "password": PASSWORD, "csrf": token}
    response = client.post("/auth/login", data=data, headers=headers)
    assert response.status_code == 403
    assert FOREIGN_ORIGIN in response.text
    assert SESSION_COOKIE not in client.cookies
    [(kind, detail)] = journal(runtime)
    assert kind is AuthEventKind.CSRF_REFUSED and detail.startswith("POST /auth/login: nguồn ")


def test_a_same_site_referer_stands_in_for_a_missing_origin(client: TestClient, clerk: Actor) -> None:
    token = form_token(client.get("/auth/login").text)
    data = {"username": "stc.vanthu", "password": PASSWORD, "csrf": token}
    response = client.post("/auth/login", data=data, headers={"origin": "", "referer": "http://testserver/auth/login"})
    assert response.status_code == 303
    assert client.cookies.get(SESSION_COOKIE)


def test_https_origin_with_its_default_port_is_the_same_site(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, clerk: Actor
) -> None:
    with make_client(runtime, monkeypatch, base_url="https://giaoviec.example") as client:
        token = form_token(client.get("/auth/login").text)
        data = {"username": "stc.vanthu", "password": PASSWORD, "csrf": token}
        response = client.post("/auth/login", data=data, headers={"origin": "https://giaoviec.example:443"})
        assert response.status_code == 303


@pytest.mark.parametrize("case", ["missing", "wrong", "another browser's", "no cookie"])
def test_a_login_without_its_forms_token_is_refused(
    runtime: Runtime, client: TestClient, clerk: Actor, case: str
) -> None:
    token = form_token(client.get("/auth/login").text)
    data = {"username": "stc.vanthu", "password": PASSWORD}
    if case == "wrong":
        data["csrf"] = token[:-1] + ("0" if token[-1] != "0" else "1")
    elif case == "another browser's":
        data["csrf"] = csrf_token(purpose=CsrfPurpose.LOGIN, binding="cookie-cua-trinh-duyet-khac", secret=SECRET)
    elif case == "no cookie":
        data["csrf"] = token
        client.cookies.delete(LOGIN_CSRF_COOKIE, path="/auth")
        assert LOGIN_CSRF_COOKIE not in client.cookies
    response = client.post("/auth/login", data=data)
    assert response.status_code == 403
    assert STALE_FORM in response.text
    assert SESSION_COOKIE not in client.cookies
    # the answer is a fresh form the person can submit at once
    assert client.post("/auth/login", data={**data, "csrf": form_token(response.text)}).status_code == 303
    assert [kind for kind, _ in journal(runtime)] == [AuthEventKind.CSRF_REFUSED, AuthEventKind.LOGIN_OK]


def test_a_logout_token_does_not_log_in(client: TestClient, clerk: Actor) -> None:
    nonce_form = client.get("/auth/login")
    nonce = client.cookies[LOGIN_CSRF_COOKIE]
    assert form_token(nonce_form.text)
    token = csrf_token(purpose=CsrfPurpose.LOGOUT, binding=nonce, secret=SECRET)
    response = client.post("/auth/login", data={"username": "stc.vanthu", "password": PASSWORD, "csrf": token})
    assert response.status_code == 403


# --- logout ---------------------------------------------------------------------------------


def test_get_logout_only_asks(client: TestClient, clerk: Actor) -> None:
    login(client, "stc.vanthu", PASSWORD)
    page = client.get("/auth/logout")
    assert page.status_code == 200
    assert "Bạn muốn đăng xuất khỏi Giao việc?" in page.text and 'method="post"' in page.text
    assert "set-cookie" not in page.headers
    assert client.get("/giam-sat", headers=HTML).status_code == 200  # still logged in


def test_logout_ends_the_session_and_a_copied_cookie_with_it(
    runtime: Runtime, client: TestClient, clerk: Actor
) -> None:
    login(client, "stc.vanthu", PASSWORD)
    copied = client.cookies[SESSION_COOKIE]
    assert logout(client).status_code == 303
    # the stolen copy, sent from elsewhere, is refused at once
    client.cookies.set(SESSION_COOKIE, copied)
    response = client.get("/giam-sat", headers=HTML)
    assert response.status_code == 303 and response.headers["location"] == "/auth/login?next=/giam-sat"
    assert [kind for kind, _ in journal(runtime)] == [AuthEventKind.LOGIN_OK, AuthEventKind.LOGOUT]


@pytest.mark.parametrize("case", ["missing", "wrong", "another session's", "foreign origin"])
def test_a_logout_without_its_token_or_from_another_site_is_refused(
    runtime: Runtime, client: TestClient, clerk: Actor, case: str
) -> None:
    login(client, "stc.vanthu", PASSWORD)
    token = form_token(client.get("/auth/logout").text)
    data: dict[str, str] = {}
    headers: dict[str, str] = {}
    if case == "wrong":
        data["csrf"] = token[:-1] + ("0" if token[-1] != "0" else "1")
    elif case == "another session's":
        data["csrf"] = csrf_token(purpose=CsrfPurpose.LOGOUT, binding="phien-khac", secret=SECRET)
    elif case == "foreign origin":
        data["csrf"] = token
        headers["origin"] = "https://evil.example"
    response = client.post("/auth/logout", data=data, headers=headers)
    assert response.status_code == 403
    assert (FOREIGN_ORIGIN if case == "foreign origin" else STALE_LOGOUT) in response.text
    assert "set-cookie" not in response.headers
    assert client.get("/giam-sat", headers=HTML).status_code == 200  # still logged in
    assert journal(runtime)[-1][0] is AuthEventKind.CSRF_REFUSED


def test_logout_without_a_session_just_drops_the_cookie(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "rac")
    response = client.post("/auth/logout")
    assert response.status_code == 303
    assert "max-age=0" in response.headers["set-cookie"].lower()


# --- throttle and timeouts over HTTP --------------------------------------------------------


def test_throttled_logins_answer_429_with_retry_after(client: TestClient, clock: Clock, clerk: Actor) -> None:
    for _ in range(3):
        assert login(client, "stc.vanthu", "sai-mat-khau").status_code == 401
    fourth = login(client, "stc.vanthu", "sai-mat-khau")
    assert fourth.status_code == 401 and fourth.headers["retry-after"] == "2"
    assert "Vui lòng thử lại sau 2 giây" in fourth.text
    clock.advance(seconds=1)
    early = login(client, "stc.vanthu", PASSWORD)
    assert early.status_code == 429 and early.headers["retry-after"] == "1"
    assert "Bạn đã nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau 1 giây" in early.text
    assert SESSION_COOKIE not in client.cookies
    # up to the lockout (config/app.yaml: 10 failures), waiting out each delay
    for _ in range(6):
        clock.advance(seconds=60)
        assert login(client, "stc.vanthu", "sai-mat-khau").status_code == 401
    clock.advance(seconds=60)
    locked = login(client, "stc.vanthu", PASSWORD)
    assert locked.status_code == 429
    assert "Tài khoản tạm bị khóa vì nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau 14 phút" in locked.text
    assert locked.headers["retry-after"] == str(14 * 60)
    clock.advance(minutes=14)
    assert login(client, "stc.vanthu", PASSWORD).status_code == 303


def test_an_idle_session_sends_the_next_page_load_to_the_login(
    client: TestClient, clock: Clock, clerk: Actor
) -> None:
    login(client, "stc.vanthu", PASSWORD)
    clock.advance(minutes=59)
    assert client.get("/giam-sat", headers=HTML).status_code == 200  # seen: the hour starts again
    clock.advance(minutes=59)
    assert client.get("/giam-sat", headers=HTML).status_code == 200
    clock.advance(minutes=60)
    assert client.get("/giam-sat", headers=HTML).status_code == 303


# --- Secure cookie, headers, metrics --------------------------------------------------------


def test_the_cookies_are_secure_over_https(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, clerk: Actor) -> None:
    with make_client(runtime, monkeypatch, base_url="https://giaoviec.example") as client:
        form = client.get("/auth/login")
        assert cookie_flags(form.headers["set-cookie"]).get("secure") is True
        response = login(client, "stc.vanthu", PASSWORD)
        assert cookie_flags(response.headers["set-cookie"]).get("secure") is True


def test_cookie_secure_makes_them_secure_over_http(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, clerk: Actor
) -> None:
    monkeypatch.setattr(runtime.settings, "cookie_secure", True)
    with make_client(runtime, monkeypatch) as client:
        assert cookie_flags(client.get("/auth/login").headers["set-cookie"]).get("secure") is True
        assert cookie_flags(login(client, "stc.vanthu", PASSWORD).headers["set-cookie"]).get("secure") is True


def test_every_answer_carries_the_security_headers(client: TestClient, clerk: Actor) -> None:
    answers = [
        client.get("/auth/login"),
        login(client, "stc.vanthu", "sai-mat-khau"),
        client.get("/_stcore/health"),
        client.get("/khong-co-trang-nay"),
        client.get("/_stcore/metrics"),
        login(client, "stc.vanthu", PASSWORD),
        client.get("/giam-sat", headers=HTML),
        client.post("/auth/login", data={}, headers={"origin": "https://evil.example"}),
    ]
    assert [r.status_code for r in answers] == [200, 401, 200, 404, 404, 303, 200, 403]
    for response in answers:
        assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == {
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        }, response.url


def test_streamlits_metrics_are_closed(client: TestClient, clerk: Actor) -> None:
    login(client, "stc.vanthu", PASSWORD)
    for path in ("/_stcore/metrics", "/_stcore/metrics/", "/_stcore/metrics?families=x"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.text == "Không tìm thấy."
    assert client.get("/_stcore/health").text == "trang /_stcore/health"  # its neighbours stay open
