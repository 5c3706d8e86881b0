"""The login on the real server (``streamlit run asgi.py``, tests/api/conftest.py): a flood of
wrong logins leaves the server answering everybody else, the security headers are on Streamlit's
own answers too, /_stcore/metrics is closed, and a login, a refused GET logout and a real logout
go round trip with the form's CSRF token, as a browser would."""

from __future__ import annotations

import http.client
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx

from services.access.auth import SESSION_COOKIE
from tests.api.conftest import World

PASSWORD = "mat-khau-api"
FLOOD_THREADS = 8
FLOOD_SECONDS = 3.0
HTML = {"Accept": "text/html"}


def _token(body: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found is not None, body
    return found.group(1)


def _browser(world: World) -> httpx.Client:
    return httpx.Client(base_url=world.base_url, headers={"Origin": world.base_url}, timeout=30)


def test_a_login_flood_leaves_the_server_answering(world: World) -> None:
    """Eight clients post wrong passwords as fast as they can, each under new names and from new
    addresses (X-Forwarded-For, trusted from 127.0.0.1 as from nginx) so the throttle never
    stops them and every one costs a real argon2 verification; meanwhile another client's
    health checks keep their median under 500 ms (argon2 on the event loop: seconds; the margin
    is for a machine busy with other tests)."""
    stop = threading.Event()
    statuses: list[int] = []
    errors: list[BaseException] = []

    def flood(worker: int) -> None:
        try:
            with _browser(world) as client:
                token = _token(client.get("/auth/login").text)
                n = 0
                while not stop.is_set():
                    n += 1
                    response = client.post(
                        "/auth/login",
                        data={"username": f"khach.{worker}.{n}", "password": "doan-bua", "csrf": token},
                        headers={"X-Forwarded-For": f"10.8.{worker}.{n % 250 + 1}"},
                    )
                    statuses.append(response.status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)

    host, port = urlsplit(world.base_url).hostname, urlsplit(world.base_url).port

    def check(sent: float) -> float:
        """One health check on a new connection (as a monitoring probe or a new page load makes;
        on a kept-alive one Nagle's algorithm and the delayed ACK add 40 ms to every answer),
        timed from the moment it was due."""
        connection = http.client.HTTPConnection(str(host), port, timeout=30)
        try:
            connection.request("GET", "/_stcore/health")
            assert connection.getresponse().read() == b"ok"
        finally:
            connection.close()
        return time.perf_counter() - sent

    def probe(seconds: float) -> list[float]:
        """A check every 50 ms on the clock, whether the previous ones are answered or not: a
        check sent only after the last answer would always find the server just free."""
        with ThreadPoolExecutor(max_workers=16) as pool:
            due = time.perf_counter()
            end = due + seconds
            checks = []
            while due < end:
                checks.append(pool.submit(check, due))
                due += 0.05
                time.sleep(max(0.0, due - time.perf_counter()))
            return [c.result() for c in checks]

    quiet = probe(1.0)
    workers = [threading.Thread(target=flood, args=(w,)) for w in range(FLOOD_THREADS)]
    for w in workers:
        w.start()
    try:
        time.sleep(0.5)  # the flood is under way (the first verifications are running)
        latencies = probe(FLOOD_SECONDS)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)
    assert errors == []
    assert len(statuses) >= FLOOD_THREADS, statuses  # the flood really ran argon2, again and again
    assert set(statuses) == {401}  # all heard and refused: no throttle in the way, no error
    median_ms = statistics.median(latencies) * 1000
    print(
        f"{len(statuses)} wrong logins; health median {median_ms:.1f} ms over {len(latencies)} probes"
        f" ({statistics.median(quiet) * 1000:.1f} ms before the flood)"
    )
    assert median_ms < 500, sorted(latencies)


def test_security_headers_on_streamlits_answers_and_metrics_closed(world: World) -> None:
    with _browser(world) as client:
        answers = {
            "/_stcore/health": client.get("/_stcore/health"),
            "/": client.get("/", headers=HTML),  # the redirect to the login form
            "/auth/login": client.get("/auth/login"),
            "/api/v1/tasks": client.get("/api/v1/tasks"),  # the JSON API's 401
            "/_stcore/host-config": client.get("/_stcore/host-config"),
        }
        metrics = client.get("/_stcore/metrics")
    assert {path: r.status_code for path, r in answers.items()} == {
        "/_stcore/health": 200,
        "/": 303,
        "/auth/login": 200,
        "/api/v1/tasks": 401,
        "/_stcore/host-config": 200,
    }
    for path, response in answers.items():
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
    assert metrics.status_code == 404
    assert metrics.text == "Không tìm thấy."
    assert "session_state" not in metrics.text


def test_login_and_logout_round_trip(world: World) -> None:
    with _browser(world) as client:
        foreign = client.post(
            "/auth/login",
            data={"username": "vp.theodoi", "password": PASSWORD, "csrf": _token(client.get("/auth/login").text)},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        assert SESSION_COOKIE not in client.cookies
        token = _token(client.get("/auth/login?next=/giam-sat").text)
        logged_in = client.post(
            "/auth/login", data={"username": "vp.theodoi", "password": PASSWORD, "csrf": token, "next": "/giam-sat"}
        )
        assert logged_in.status_code == 303 and logged_in.headers["location"] == "/giam-sat"
        copied = client.cookies[SESSION_COOKIE]
        assert client.get("/giam-sat", headers=HTML).status_code == 200
        # GET only asks; the session lives on
        confirm = client.get("/auth/logout")
        assert confirm.status_code == 200 and "Bạn muốn đăng xuất" in confirm.text
        assert client.get("/giam-sat", headers=HTML).status_code == 200
        out = client.post("/auth/logout", data={"csrf": _token(confirm.text)})
        assert out.status_code == 303 and out.headers["location"] == "/auth/login"
    # the copied cookie, from another client: refused at once
    page = httpx.get(f"{world.base_url}/giam-sat", headers=HTML, cookies={SESSION_COOKIE: copied})
    assert page.status_code == 303 and page.headers["location"].startswith("/auth/login?next=")
