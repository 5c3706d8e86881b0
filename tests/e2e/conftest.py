"""Real-browser fixtures: a throw-away Streamlit server on an empty database, and Debian's chromium.

The server runs ``streamlit run asgi.py`` as in production (file watching off, so edits
saved meanwhile cannot disturb it), but every byte of data goes to a temporary directory
(``GIAOVIEC_DATA_DIR``), never to ``data/``. Each test module gets its own directory, database
and server, so the figures one module asserts depend only on what it does. The accounts are
created before the server starts, through ``services.access.accounts`` in this process.
``backend`` opens the same database from the test process, for the few preparations a test
makes through the services instead of the browser.

Playwright is used directly (``playwright.sync_api``); browsers are never downloaded:
``/usr/bin/chromium`` comes from Debian (``make test-system-deps``).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from sqlmodel import Session, select

from models import Role, Task, User
from models.schemas import AssignmentCreate, AttachmentUpload, TaskCreate
from services.access.accounts import check_password, create_user
from services.access.auth import hash_password
from services.access.permissions import build_actor
from services.infra.settings import Settings
from services.runtime import Runtime, start
from services.tasks.assignment import create_assignment
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.server import SupervisedServer

from .accounts import CLI_ACCOUNTS, FINANCE, SERVICE_ACCOUNTS, TRACKER, Account
from .ui import login

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 20_000  # Streamlit renders asynchronously: every wait is on a text, bounded by this

expect.set_options(timeout=TIMEOUT_MS)




@pytest.fixture(scope="module")
def app_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment pointing the app at an empty SQLite file in a temporary directory."""
    data_dir = tmp_path_factory.mktemp("giaoviec-e2e")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GIAOVIEC_DATABASE_URL")}
    env.update(
        GIAOVIEC_DATA_DIR=str(data_dir),
        GIAOVIEC_SECRET_KEY="e2e-secret-key-not-for-production",
        GIAOVIEC_DATABASE_URL=f"sqlite:///{data_dir / 'giaoviec.db'}",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def backend(app_env: dict[str, str]) -> Runtime:
    """The app's services on the test's database (migrated here if the server has not yet)."""
    settings = Settings(
        data_dir=Path(app_env["GIAOVIEC_DATA_DIR"]),
        secret_key=app_env["GIAOVIEC_SECRET_KEY"],
        config_dir=ROOT / "config",
    )
    return start(settings=settings, database_url=app_env["GIAOVIEC_DATABASE_URL"])


_HASHES: dict[str, str] = {}


def _hash_of(password: str) -> str:
    """The argon2 hash of a test account's password, made once per worker process."""
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@pytest.fixture(scope="module")
def accounts(request: pytest.FixtureRequest, app_env: dict[str, str], backend: Runtime) -> dict[str, Account]:
    """The tracker and the clerk, then the module's ``E2E_ACCOUNTS`` (default: everyone of
    ``accounts.py``), through ``services.access.accounts`` in this process: the same code as
    ``manage.py create-user`` (whose command line ``tests/services/test_accounts_cli.py`` runs),
    without a Python start-up per account; argon2 at its production cost, about 0.25 s each, once
    per password and worker (``_hash_of``): the hash holds its own salt and cost, so logging in
    verifies it exactly as it verifies a hash made for that one account."""
    others = getattr(request.module, "E2E_ACCOUNTS", SERVICE_ACCOUNTS)
    with Session(backend.engine) as session:
        for account in (*CLI_ACCOUNTS, *others):
            check_password(username=account.username, password=account.password)  # as without a hash
            create_user(
                session=session,
                username=account.username,
                full_name=account.name,
                password=account.password,
                role=Role(account.role),
                unit_code=account.unit,
                password_hash=_hash_of(account.password),
            )
    return {a.username: a for a in (*CLI_ACCOUNTS, *others)}


def assigned_task(
    backend: Runtime,
    *,
    code: str,
    summary: str,
    content: str,
    issued: date,
    deadline: date,
    lead: str = FINANCE,
    attachments: Sequence[AttachmentUpload] = (),
) -> int:
    """One task of ``lead`` assigned by VP UBND's tracker through the services (as Giao nhiệm vụ
    saves it), for a test whose subject comes after the assignment; the task's id."""
    with Session(backend.engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == TRACKER.username)).one()
        tracker = build_actor(session=session, config=backend.config, user_id=user.id or 0)
        assert tracker is not None
        document = create_assignment(
            session=session,
            actor=tracker,
            config=backend.config,
            data=AssignmentCreate(
                code=code,
                issue_date=issued,
                issuer="ubnd_tinh",
                doc_type="cong_van",
                summary=summary,
                signer="Nguyễn Văn A",
                tasks=[TaskCreate(content=content, lead_unit_code=lead, deadline=deadline)],
                attachments=list(attachments),
            ),
        )
        task_id = session.exec(select(Task.id).where(Task.document_id == document.id)).one()
        assert task_id is not None
        return task_id


@pytest.fixture(scope="module")
def app_process(app_env: dict[str, str], accounts: dict[str, Account]) -> Iterator[SupervisedServer]:
    """``streamlit run asgi.py`` on a free port, started again should it die; kills its process
    group at the end."""
    server = SupervisedServer(app_env, Path(app_env["GIAOVIEC_DATA_DIR"]) / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app_server(app_process: SupervisedServer) -> str:
    """The app's base URL."""
    return app_process.base_url


class ServerCrashWarning(UserWarning):
    """The app server died during a test, which was then run once more on a new process."""


@pytest.fixture(autouse=True)
def _server_watch(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a test on the module's app server: start it again if it died. After: note on the
    test a death during it (``pytest_runtest_protocol`` below runs such a test once more)."""
    if "app_server" not in request.fixturenames:
        yield
        return
    server: SupervisedServer = request.getfixturevalue("app_process")
    server.restart_if_dead()
    yield
    died = server.died()
    if died is not None:
        request.node.server_crash = died


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
    """A browser test that failed because the app process died under it (a crash in a C extension
    the server loads, never seen from the app's own code) is run once more on a new process; the
    crash, with the stacks faulthandler wrote, goes to the warnings summary, so it is never
    silent. A second failure is the test's verdict."""
    if "app_server" not in getattr(item, "fixturenames", ()):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    crash = getattr(item, "server_crash", None)
    if crash is not None and any(report.failed for report in reports):
        warnings.warn(ServerCrashWarning(f"{item.nodeid}: run again after {crash}"), stacklevel=1)
        item.server_crash = None  # type: ignore[attr-defined]
        item._initrequest()  # type: ignore[attr-defined]  # fresh fixtures for the second run
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: run `make test-system-deps` (never `playwright install`)")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, app_server: str, app_env: dict[str, str]) -> Iterator[Page]:
    """A fresh browser profile (no cookies) at an office screen size, in Vietnam's time zone.

    On failure the last screen and the server log are kept next to the temporary database.
    """
    context = browser.new_context(
        base_url=app_server,
        viewport={"width": 1440, "height": 900},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        data_dir = Path(app_env["GIAOVIEC_DATA_DIR"])
        failure = data_dir / f"failure-{request.node.name}.png"
        page.screenshot(path=str(failure))
        print(f"\nlast screen: {failure}\nserver log: {data_dir / 'server.log'}")
    context.close()


class Desks:
    """One browser window per person, as on their own computers; each logs in on first use."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.pages: dict[str, Page] = {}
        self.last: Page | None = None

    def __call__(self, account: Account) -> Page:
        page = self.pages.get(account.username)
        if page is None:
            context = self.browser.new_context(
                base_url=self.base_url,
                viewport={"width": 1440, "height": 900},
                locale="vi-VN",
                timezone_id="Asia/Ho_Chi_Minh",
            )
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            login(page, account)
            self.pages[account.username] = page
        self.last = page
        return page

    def leave(self, account: Account) -> None:
        """The person is done for the test: close the window (keeps Chromium light)."""
        page = self.pages.pop(account.username, None)
        if page is not None:
            page.context.close()

    def close(self) -> None:
        for username in list(self.pages):
            self.pages.pop(username).context.close()


@pytest.fixture
def desks(
    request: pytest.FixtureRequest, browser: Browser, app_server: str, app_env: dict[str, str]
) -> Iterator[Desks]:
    desks = Desks(browser, app_server)
    yield desks
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and desks.last is not None and not desks.last.is_closed():
        failure = Path(app_env["GIAOVIEC_DATA_DIR"]) / f"failure-{request.node.name}.png"
        desks.last.screenshot(path=str(failure))
        print(f"\nlast screen: {failure}\nserver log: {Path(app_env['GIAOVIEC_DATA_DIR']) / 'server.log'}")
    desks.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
