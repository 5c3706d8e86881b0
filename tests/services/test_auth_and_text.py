"""Accounts and the login cookie (services.access.auth, web.auth_routes), and accent-insensitive text
(services.infra.text). The throttle, the sessions and the forms' CSRF have their own files
(test_login_throttle.py, test_login_sessions.py, test_login_http.py)."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session
from starlette.testclient import TestClient

import services.access.auth
from models import Role, User
from services.access.auth import (
    SESSION_COOKIE,
    authenticate,
    hash_password,
    read_session_token,
    sign_session_id,
    verify_password,
)
from services.access.permissions import Actor
from services.access.sessions import SessionLimits, make_session_token, session_user
from services.infra.clock import now_utc
from services.infra.text import clean_text, fold, matches
from services.runtime import Runtime
from tests.conftest import FINANCE, PASSWORD
from tests.services.login_http import HTML, login, logout, make_client

SECRET = "test-secret"
TWELVE_HOURS = 12 * 3600

# --- passwords --------------------------------------------------------------------------


def test_hash_and_verify_password() -> None:
    """argon2 hashes, salted; only the right password verifies; a broken hash never does."""
    first = hash_password("mat-khau-dung")
    second = hash_password("mat-khau-dung")
    assert first.startswith("$argon2id$")
    assert "mat-khau-dung" not in first
    assert first != second  # a fresh salt each time
    assert verify_password(first, "mat-khau-dung")
    assert verify_password(second, "mat-khau-dung")
    assert not verify_password(first, "mat-khau-sai")
    assert not verify_password(first, "")
    assert not verify_password("khong-phai-hash", "mat-khau-dung")


@pytest.fixture
def clerk(make_user: Callable[[str, Role, str], Actor]) -> Actor:
    return make_user("stc.vanthu", Role.CLERK, FINANCE)


def test_authenticate(session: Session, clerk: Actor) -> None:
    """Right password -> the user (username trimmed, any case); anything else -> None."""
    user = authenticate(session=session, username="stc.vanthu", password=PASSWORD)
    assert user is not None and user.id == clerk.user_id
    again = authenticate(session=session, username="  STC.VanThu ", password=PASSWORD)
    assert again is not None and again.id == clerk.user_id
    assert authenticate(session=session, username="stc.vanthu", password="mat-khau-sai") is None
    assert authenticate(session=session, username="stc.vanthu", password=PASSWORD.upper()) is None
    assert authenticate(session=session, username="khong.ton.tai", password=PASSWORD) is None
    assert authenticate(session=session, username="", password="") is None


def test_inactive_user_cannot_log_in(session: Session, clerk: Actor) -> None:
    user = session.get(User, clerk.user_id)
    assert user is not None
    user.active = False
    session.add(user)
    session.commit()
    assert authenticate(session=session, username="stc.vanthu", password=PASSWORD) is None


# --- session token ----------------------------------------------------------------------


def test_session_token_round_trip() -> None:
    token = sign_session_id(session_id="phien-ngau-nhien", secret=SECRET)
    assert read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS) == "phien-ngau-nhien"


@pytest.mark.parametrize("where", [0, 5, 16, -3])
def test_tampered_token_is_refused(where: int) -> None:
    token = sign_session_id(session_id="phien-ngau-nhien", secret=SECRET)
    chars = list(token)
    chars[where] = "A" if chars[where] != "A" else "B"
    assert read_session_token(token="".join(chars), secret=SECRET, max_age_seconds=TWELVE_HOURS) is None


def test_token_of_another_secret_or_empty_is_refused() -> None:
    token = sign_session_id(session_id="phien-ngau-nhien", secret="other-secret")
    assert read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS) is None
    assert read_session_token(token=None, secret=SECRET, max_age_seconds=TWELVE_HOURS) is None
    assert read_session_token(token="", secret=SECRET, max_age_seconds=TWELVE_HOURS) is None
    assert read_session_token(token="rac.rac.rac", secret=SECRET, max_age_seconds=TWELVE_HOURS) is None


def test_signed_payload_without_a_session_id_is_refused() -> None:
    """A validly signed token whose payload is not {'sid': non-empty str} gives no session; the
    old cookies (``{'uid': 42}``, the user id itself) are refused too."""
    signer = URLSafeTimedSerializer(SECRET, salt=services.access.auth._SALT)
    for payload in ([42], {"uid": 42}, {"sid": 42}, {"sid": ""}, "42"):
        token = signer.dumps(payload)
        assert read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS) is None, payload


def test_expired_token_is_refused() -> None:
    token = sign_session_id(session_id="phien-ngau-nhien", secret=SECRET)
    assert read_session_token(token=token, secret=SECRET, max_age_seconds=-1) is None


def _signed_hours_ago(monkeypatch: pytest.MonkeyPatch, hours: float, make: Callable[[], str]) -> str:
    signed_at = int(time.time() - hours * 3600)
    with monkeypatch.context() as patch:
        patch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
        return make()


def test_token_expires_after_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signed 13 hours ago: dead for a 12-hour session, alive for a 14-hour one."""
    token = _signed_hours_ago(monkeypatch, 13, lambda: sign_session_id(session_id="abc", secret=SECRET))
    assert read_session_token(token=token, secret=SECRET, max_age_seconds=TWELVE_HOURS) is None
    assert read_session_token(token=token, secret=SECRET, max_age_seconds=14 * 3600) == "abc"


# --- text -------------------------------------------------------------------------------


def test_fold_strips_vietnamese_diacritics() -> None:
    assert fold("Đắk Đoa") == "dak doa"
    assert fold("Giao Việc") == "giao viec"
    assert fold("GIAO VIỆC") == "giao viec"
    assert fold("Ủy ban nhân dân tỉnh Gia Lai") == "uy ban nhan dan tinh gia lai"
    assert fold(unicodedata.normalize("NFD", "Sở Tài chính")) == "so tai chinh"


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("giao viec", "Giao việc", True),
        ("GIAO VIEC", "giao việc", True),
        ("viec giao", "Giao việc", True),  # every word, any order
        ("giao việc", "GIAO VIEC", True),
        ("dak doa", "UBND huyện Đắk Đoa", True),
        ("đak", "Đắk Đoa", True),
        ("viec", unicodedata.normalize("NFD", "Giao việc"), True),
        ("giao viec", "Giao nhiệm vụ", False),
        ("bao cao quy", "Báo cáo tháng", False),
        ("", "bất kỳ", True),
    ],
)
def test_matches_ignores_case_and_accents(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_matches_searches_across_several_texts() -> None:
    assert matches("125 bao cao", "125/UBND-KT", "V/v báo cáo")
    assert not matches("125 bao cao", "126/UBND-KT", "V/v báo cáo")


def test_clean_text_stores_composed_unicode() -> None:
    """Text typed in decomposed form (NFD, as some keyboards send) is stored composed (NFC)."""
    assert clean_text(unicodedata.normalize("NFD", "  Giao việc "), label="X", field="x") == "Giao việc"


# --- HTTP login routes and middleware ---------------------------------------------------


@pytest.fixture
def client(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The auth routes and middlewares around two stand-in pages, on the test database."""
    assert runtime.settings.resolved_secret_key() == SECRET
    with make_client(runtime, monkeypatch) as test_client:
        yield test_client


def _hidden_next(body: str) -> str:
    marker = '<input type="hidden" name="next" value="'
    start = body.index(marker) + len(marker)
    return body[start : body.index('"', start)]


def test_login_form_is_vietnamese(client: TestClient) -> None:
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    body = response.text
    for fragment in ('<html lang="vi">', "Đăng nhập", "Tên đăng nhập", "Mật khẩu", 'method="post"'):
        assert fragment in body
    assert 'action="/auth/login"' in body
    assert _hidden_next(body) == "/"
    assert _hidden_next(client.get("/auth/login", params={"next": "/giam-sat"}).text) == "/giam-sat"


def test_login_with_wrong_password(client: TestClient, clerk: Actor) -> None:
    response = login(client, "stc.vanthu", "mat-khau-sai", "/giam-sat")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert 'value="stc.vanthu"' in response.text  # the username is kept, the password is not
    assert "mat-khau-sai" not in response.text
    assert _hidden_next(response.text) == "/giam-sat"


def test_login_error_page_escapes_the_username(client: TestClient) -> None:
    response = login(client, '"><script>alert(1)</script>', "x")
    assert response.status_code == 401
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text


def test_login_with_right_password_sets_a_safe_cookie(runtime: Runtime, client: TestClient, clerk: Actor) -> None:
    response = login(client, "stc.vanthu", PASSWORD, "/giam-sat?don_vi=5")
    assert response.status_code == 303
    assert response.headers["location"] == "/giam-sat?don_vi=5"
    [cookie] = response.headers.get_list("set-cookie")
    name_value, *attributes = [part.strip() for part in cookie.split(";")]
    name, value = name_value.split("=", 1)
    assert name == SESSION_COOKIE
    flags = {a.split("=", 1)[0].lower(): (a.split("=", 1)[1] if "=" in a else True) for a in attributes}
    assert flags.get("httponly") is True
    assert str(flags.get("samesite")).lower() == "strict"
    assert flags.get("path") == "/"
    assert flags.get("max-age") == str(TWELVE_HOURS)  # config/app.yaml login.session_max_hours
    assert "secure" not in flags  # plain HTTP here (test_login_http.py: HTTPS and COOKIE_SECURE)
    # the cookie holds a session's secret, and that session is the clerk's
    session_id = read_session_token(token=value, secret=SECRET, max_age_seconds=TWELVE_HOURS)
    assert session_id is not None
    limits = SessionLimits.of(runtime.config.app.login)
    with Session(runtime.engine) as session:
        assert session_user(session=session, session_id=session_id, limits=limits, now=now_utc()) == clerk.user_id


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("//evil.example", "/"),
        ("http://evil.example", "/"),
        ("https://evil.example/giam-sat", "/"),
        ("/\\evil.example", "/"),
        ("evil.example", "/"),
        ("", "/"),
        ("/giam-sat", "/giam-sat"),
    ],
)
def test_next_refuses_open_redirects(client: TestClient, clerk: Actor, target: str, expected: str) -> None:
    response = login(client, "stc.vanthu", PASSWORD, target)
    assert response.status_code == 303
    assert response.headers["location"] == expected
    assert _hidden_next(client.get("/auth/login", params={"next": target}).text) == expected


def test_logout_deletes_the_cookie(client: TestClient, clerk: Actor) -> None:
    login(client, "stc.vanthu", PASSWORD)
    assert client.cookies.get(SESSION_COOKIE)
    response = logout(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "max-age=0" in cookie
    assert not client.cookies.get(SESSION_COOKIE)
    assert client.get("/giam-sat", headers=HTML).status_code == 303


def _login_redirect_target(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/auth/login"
    [target] = parse_qs(parts.query)["next"]
    return target


def test_page_without_cookie_goes_to_login(client: TestClient) -> None:
    response = client.get("/giam-sat", headers=HTML)
    assert response.status_code == 303
    assert _login_redirect_target(response.headers["location"]) == "/giam-sat"
    with_query = client.get("/giam-sat?don_vi=5&lop=qua_han", headers=HTML)
    assert _login_redirect_target(with_query.headers["location"]) == "/giam-sat?don_vi=5&lop=qua_han"


def test_page_with_valid_cookie_passes(client: TestClient, clerk: Actor) -> None:
    login(client, "stc.vanthu", PASSWORD)
    response = client.get("/giam-sat", headers=HTML)
    assert response.status_code == 200
    assert response.text == "trang /giam-sat"


def test_page_with_bad_or_expired_cookie_goes_to_login(
    session: Session, client: TestClient, clerk: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def token(secret: str = SECRET) -> str:
        return make_session_token(session=session, user_id=clerk.user_id, secret=secret)

    client.cookies.set(SESSION_COOKIE, token("other-secret"))
    assert client.get("/giam-sat", headers=HTML).status_code == 303
    client.cookies.set(SESSION_COOKIE, _signed_hours_ago(monkeypatch, 13, token))
    assert client.get("/giam-sat", headers=HTML).status_code == 303
    client.cookies.set(SESSION_COOKIE, _signed_hours_ago(monkeypatch, 1, token))
    assert client.get("/giam-sat", headers=HTML).status_code == 200
    # a genuine signature of a session id the database does not know
    client.cookies.set(SESSION_COOKIE, sign_session_id(session_id="khong-co-phien-nay", secret=SECRET))
    assert client.get("/giam-sat", headers=HTML).status_code == 303


def test_streamlit_endpoints_pass_without_cookie(client: TestClient) -> None:
    response = client.get("/_stcore/health", headers=HTML)
    assert response.status_code == 200
    assert response.text == "trang /_stcore/health"
