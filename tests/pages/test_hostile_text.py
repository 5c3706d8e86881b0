"""User text is text: every field a person can type holds a hostile payload, and every page that
shows it, for every role that sees it, draws it only escaped.

The payload has Markdown emphasis, a link, an image on a foreign server, LaTeX, raw HTML (an
``<img onerror>`` and a ``<script>``), a spreadsheet formula and a heading mark. Streamlit reads
Markdown in ``st.markdown``, captions, titles, alerts, toasts, widget and page-link labels,
expander labels and ``st.table`` cells; so every string of those elements is checked: no
``<img``, no ``<script``, no ``](http``, no ``![``, no unescaped ``$``, ``**`` or ``[``. Elements
that never interpret text (``st.text``, ``st.code``, ``st.dataframe`` cells, selectbox options)
may hold it raw. The payload must also be found, escaped, where each page shows it, so the test
cannot pass by showing nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from models import ActionKey, Role, Task
from models.schemas import (
    ConfirmationCreate,
    ContributionInput,
    NoteInput,
    ReplaceInput,
    ReplyInput,
    RevokeInput,
    StepInput,
    TaskCreate,
    UpdateInput,
    WrongUnitRequestInput,
)
from services.access.accounts import create_user
from services.access.tokens import create_token
from services.actions.registry import perform
from tests.conftest import FINANCE, HEALTH, PASSWORD, PLEIKU, at
from tests.pages.conftest import World, by_label, make_world
from ui.format import md_escape, md_line

PAYLOAD = (
    "**b** [x](http://evil.example/) ![i](http://evil.example/i.png) $x^2$ "
    "<img src=x onerror=alert(1)> <script>alert(1)</script> =cmd|' /C calc'!A0 # h"
)
# For the fields of at most 100 characters (số/ký hiệu): the same dangers, shorter.
SHORT = "**1**[x](http://evil.example/)![i](http://evil.example/i.png)$x$<img src=x>"
HOSTILE_USER = "stc.hostile"

# Not allowed anywhere a page reads Markdown (the payload's dangerous parts, unescaped).
FORBIDDEN = [
    re.compile(r"<img", re.IGNORECASE),
    re.compile(r"<script", re.IGNORECASE),
    re.compile(r"\]\(http"),
    re.compile(r"!\["),
    re.compile(r"(?<!\\)\$x"),  # LaTeX
    re.compile(r"(?<!\\)\*\*[b1]"),  # emphasis
    re.compile(r"(?<!\\)\[[xi]\]"),  # a link's text
    re.compile(r"(?<![\\/])http://evil"),  # an autolink
    re.compile(r"(?<!\\)\|"),  # a table cell
    re.compile(r"(?<!\\)!"),  # an image
]
# Where the text may stand raw: never interpreted.
LITERAL_ELEMENTS = {"text", "code", "dataframe", "arrow_data_frame", "json"}
# Proto fields that hold what a person sees as text (Markdown in Streamlit), not values or options.
SHOWN_FIELDS = {"body", "label", "help", "placeholder", "caption", "title"}


def _strings(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, str) and key in SHOWN_FIELDS:
        yield value


def shown(at_: AppTest) -> list[tuple[str, str]]:
    """(element type, text) of every element that reads Markdown, with ``st.table`` cells."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind == "table":
            frame = node.value
            found.extend(("table", str(c)) for c in [*frame.columns, *frame.to_numpy().ravel().tolist()])
        elif proto is not None and kind not in LITERAL_ELEMENTS:
            found.extend((kind, s) for s in _strings(MessageToDict(proto)))
        children = getattr(node, "children", None) or {}
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at_._tree)
    return found


def assert_only_escaped(at_: AppTest, *expected: str) -> None:
    """No exception, no unescaped payload in any Markdown-reading element, and each of ``expected``
    (an escaped form) found in one of them."""
    assert not at_.exception, [e.value for e in at_.exception]
    texts = shown(at_)
    for kind, text in texts:
        if kind == "html":  # st.html is the app's own markup (the logout form), never user text
            assert "evil" not in text
            continue
        for pattern in FORBIDDEN:
            assert not pattern.search(text), f"{kind} shows {pattern.pattern!r} unescaped: {text!r}"
    everything = "\n".join(text for _, text in texts)
    for fragment in expected:
        assert fragment in everything, f"{fragment!r} not shown; shown: {everything[:3000]!r}"


# --- the data: every text field typed hostile --------------------------------------------------------

WORLD_USERS = ["vp.theodoi", "stc.vanthu", "stc.lanhdao", "stc.chuyenvien", "syt.lanhdao", "admin"]


def _act(w: World, username: str, task_id: int, key: ActionKey, data: BaseModel, offset: int = -1) -> None:
    assert w.runtime is not None
    with w.session() as s:
        perform(
            session=s,
            actor=w.actor(username),
            config=w.runtime.config,
            task_id=task_id,
            action=key,
            data=data,
            now=at(w.day(offset), 10),
        )


def _step(w: World, username: str, task_id: int, transition: str, **extra: Any) -> None:
    _act(w, username, task_id, ActionKey.STEP, StepInput(flow_id=w.flow_id(task_id), transition=transition, **extra))


def _reply(w: World, task_id: int, code: str) -> None:
    """The whole short workflow with hostile notes, the hostile specialist drafting; a hostile reply."""
    _step(w, "stc.vanthu", task_id, "vao_so", note=PAYLOAD)
    _step(w, "stc.lanhdao", task_id, "but_phe", note=PAYLOAD, assignee_id=w.user_ids[HOSTILE_USER])
    _step(w, HOSTILE_USER, task_id, "trinh_du_thao", note=PAYLOAD)
    _step(w, "stc.lanhdao", task_id, "duyet", note=PAYLOAD)
    reply = ReplyInput(code=code, issue_date=w.day(-1), summary=PAYLOAD, result=PAYLOAD, signer=PAYLOAD, note=PAYLOAD)
    _act(w, "stc.vanthu", task_id, ActionKey.REPLY, reply)


def seed_hostile(w: World) -> None:
    assert w.runtime is not None
    with w.session() as s:
        user = create_user(
            session=s,
            username=HOSTILE_USER,
            full_name=PAYLOAD,
            password=PASSWORD,
            role=Role.SPECIALIST,
            unit_code=FINANCE,
        )
        assert user.id is not None
        w.user_ids[HOSTILE_USER] = user.id
        create_token(session=s, actor=w.actor(HOSTILE_USER), owner_user_id=user.id, name=PAYLOAD[:120], expires_at=None)
    deadline = w.day(20)
    replied, wrong, verdict, changed, revoked, replaced = w.assign(
        SHORT,
        -5,
        [
            TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, coordinating_unit_codes=[HEALTH], deadline=deadline),
            TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=deadline),
            TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=deadline),
            TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=deadline),
            TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=deadline),
            TaskCreate(content=PAYLOAD, lead_unit_code=FINANCE, deadline=deadline),
        ],
        summary=PAYLOAD,
    )
    with w.session() as s:  # the signer too (World.assign signs it plainly)
        from models import Document

        document = s.exec(select(Document).where(Document.code == SHORT)).one()
        document.signer = PAYLOAD
        s.add(document)
        s.commit()
    _act(w, "stc.vanthu", replied, ActionKey.NOTE, NoteInput(note=PAYLOAD))
    _act(w, "syt.lanhdao", replied, ActionKey.CONTRIBUTE, ContributionInput(note=PAYLOAD))
    _reply(w, replied, SHORT)
    _act(w, "stc.lanhdao", wrong, ActionKey.WRONG_UNIT_REQUEST, WrongUnitRequestInput(reason=PAYLOAD))
    _reply(w, verdict, "2" + SHORT)
    _act(
        w,
        "vp.theodoi",
        verdict,
        ActionKey.CONFIRM,
        ConfirmationCreate.model_validate({"outcome": "not_done", "reason": PAYLOAD, "new_deadline": w.day(30)}),
        offset=0,
    )
    _act(w, "vp.theodoi", changed, ActionKey.UPDATE, UpdateInput(reason=PAYLOAD, content=PAYLOAD + " (mới)"))
    _act(w, "vp.theodoi", revoked, ActionKey.REVOKE, RevokeInput(reason=PAYLOAD))
    _act(
        w,
        "vp.theodoi",
        replaced,
        ActionKey.REPLACE,
        ReplaceInput(reason=PAYLOAD, content=PAYLOAD, lead_unit_code=PLEIKU, deadline=w.day(25)),
    )
    w.tasks.update(replied=replied, wrong=wrong, verdict=verdict, changed=changed, revoked=revoked, replaced=replaced)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("hostile"), seed_hostile, WORLD_USERS)


def _page(w: World, username: str, page: str, query: dict[str, str] | None = None) -> AppTest:
    at_ = w.app_as(username, page, query)
    assert not at_.exception, [e.value for e in at_.exception]
    return at_


ESCAPED = md_escape(PAYLOAD)  # the payload as a Markdown body shows it
ESCAPED_LINE = md_line(PAYLOAD)
ESCAPED_SHORT = md_escape(SHORT)


def test_the_escape_round_trips() -> None:
    """What the checks look for is the payload escaped, not the payload changed: unescaping gives it back."""
    unescaped = re.sub(r"\\(.)", r"\1", ESCAPED).replace("&lt;", "<").replace("&gt;", ">").replace("\u2060", "")
    assert unescaped == PAYLOAD
    for pattern in FORBIDDEN:
        assert pattern.search(PAYLOAD), pattern.pattern  # each check would catch the raw payload
        assert not pattern.search(ESCAPED), pattern.pattern


@pytest.mark.parametrize("username", ["stc.vanthu", "stc.lanhdao", HOSTILE_USER, "vp.theodoi", "syt.lanhdao"])
def test_task_page_of_the_replied_task(hostile: World, username: str) -> None:
    """Content, số/ký hiệu, signer, summary, the reply's fields, the notes, steps and contribution in
    the journal, the specialist's name in "Đang ở bước" and the sidebar."""
    at_ = _page(hostile, username, "pages/task_detail.py", {"id": str(hostile.tasks["replied"])})
    assert_only_escaped(at_, ESCAPED_LINE, ESCAPED_SHORT, ESCAPED)
    assert any(ESCAPED_LINE in t for kind, t in shown(at_) if kind == "table")  # the assignee's name
    # the journal's notes are drawn by st.text: literally, as typed
    assert PAYLOAD in [t.value for t in at_.text]


@pytest.mark.parametrize("username", ["stc.lanhdao", "vp.theodoi"])
def test_task_page_of_the_wrong_unit_request(hostile: World, username: str) -> None:
    at_ = _page(hostile, username, "pages/task_detail.py", {"id": str(hostile.tasks["wrong"])})
    assert_only_escaped(at_, "Đơn vị đề nghị điều chỉnh: " + ESCAPED)


@pytest.mark.parametrize("key", ["verdict", "changed", "revoked", "replaced"])
def test_task_page_after_a_verdict_or_a_change(hostile: World, key: str) -> None:
    at_ = _page(hostile, "vp.theodoi", "pages/task_detail.py", {"id": str(hostile.tasks[key])})
    assert_only_escaped(at_, ESCAPED_SHORT)
    assert any(PAYLOAD in t.value for t in at_.text)  # the reason, in the journal


def test_task_page_of_the_replacing_task(hostile: World) -> None:
    with hostile.session() as s:
        new = s.exec(select(Task.id).where(Task.replaces_task_id == hostile.tasks["replaced"])).one()
    at_ = _page(hostile, "vp.theodoi", "pages/task_detail.py", {"id": str(new)})
    assert_only_escaped(at_, ESCAPED_LINE)


def test_confirm_page(hostile: World) -> None:
    """The wrong-unit request's reason in a page-link label; the reply's result; codes in the list."""
    at_ = _page(hostile, "vp.theodoi", "pages/confirm.py", {"task": str(hostile.tasks["replied"])})
    assert_only_escaped(at_, md_line(PAYLOAD[:30]), "**Kết quả đơn vị báo cáo:** " + ESCAPED)


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("stc.vanthu", "pages/unit_tasks.py"),
        ("stc.vanthu", "pages/inbox.py"),
        ("vp.theodoi", "pages/unit_tasks.py"),
        ("vp.theodoi", "pages/monitor.py"),
        ("syt.lanhdao", "pages/unit_tasks.py"),
        ("admin", "pages/api_tokens.py"),
    ],
)
def test_lists_show_the_text_only_in_cells(hostile: World, username: str, page: str) -> None:
    at_ = _page(hostile, username, page)
    assert_only_escaped(at_)


def test_own_name_in_the_sidebar_and_the_inbox_and_the_token_list(hostile: World) -> None:
    for page in ("pages/inbox.py", "pages/api_tokens.py"):
        at_ = _page(hostile, HOSTILE_USER, page)
        assert_only_escaped(at_, "**" + ESCAPED_LINE + "**")
    assert_only_escaped(at_, "**" + md_escape(PAYLOAD[:120].strip()) + "**")  # the token's name


def test_assign_form_with_hostile_text_saves_it_and_shows_it_escaped(hostile: World) -> None:
    """Typed into the form itself: số/ký hiệu, người ký, trích yếu, nội dung; the success message
    (and toast) quotes the code."""
    at_ = _page(hostile, "vp.theodoi", "pages/assign.py")
    code = "3" + SHORT
    by_label(at_.text_input, "Số/ký hiệu *").input(code)
    by_label(at_.text_input, "Người ký *").input(PAYLOAD)
    by_label(at_.text_area, "Trích yếu *").input(PAYLOAD)
    by_label(at_.text_area, "Nội dung nhiệm vụ *").input(PAYLOAD)
    by_label(at_.selectbox, "Đơn vị chủ trì *").select(FINANCE)
    by_label(at_.text_input, "Hạn xử lý (ngày cụ thể)").input(f"{hostile.today + timedelta(days=5):%d/%m/%Y}")
    by_label(at_.button, "Lưu và giao nhiệm vụ").click().run()
    assert [e.value for e in at_.error] == []
    assert_only_escaped(at_, "Đã giao 1 nhiệm vụ theo văn bản " + md_escape(code))
    with hostile.session() as s:
        from models import Document

        document = s.exec(select(Document).where(Document.code == code)).one()
    assert (document.summary, document.signer) == (PAYLOAD, PAYLOAD)


def test_a_refusal_quoting_the_typed_code_is_escaped(hostile: World) -> None:
    """ "Số/ký hiệu '…' đã có …" quotes what was typed: escaped like everything else."""
    at_ = _page(hostile, "vp.theodoi", "pages/assign.py")
    by_label(at_.text_input, "Số/ký hiệu *").input(SHORT)
    by_label(at_.text_input, "Ngày ban hành *").input(f"{hostile.day(-5):%d/%m/%Y}")
    by_label(at_.text_input, "Người ký *").input("A")
    by_label(at_.text_area, "Trích yếu *").input("B")
    by_label(at_.text_area, "Nội dung nhiệm vụ *").input("C")
    by_label(at_.selectbox, "Đơn vị chủ trì *").select(FINANCE)
    by_label(at_.text_input, "Hạn xử lý (ngày cụ thể)").input(f"{hostile.today + timedelta(days=5):%d/%m/%Y}")
    by_label(at_.button, "Lưu và giao nhiệm vụ").click().run()
    assert len(at_.error) == 2  # under the field, and the summary by the button
    assert_only_escaped(at_, ESCAPED_SHORT)


@pytest.mark.parametrize(
    ("typed", "markdown"),
    [
        ("Báo cáo quý 1, năm 2026 (lần 2).", "Báo cáo quý 1, năm 2026 (lần 2)."),  # a sentence reads the same
        ("Sở TT&TT", "Sở TT&TT"),
        ("&lt;b&gt;", "\\&lt;b\\&gt;"),
        ("- Báo cáo", "\\- Báo cáo"),
        ("1. Một\n2) Hai", "1\\. Một  \n2\\) Hai"),
        ("# h\n## h2", "\\# h  \n\\## h2"),
        ("Tiêu đề\n===\n---", "Tiêu đề  \n\\===  \n\\---"),
        ("    mã", "\u00a0\u00a0\u00a0\u00a0mã"),
        ("Tỷ lệ a <b và c> d", "Tỷ lệ a &lt;b và c&gt; d"),
        ("$x^2$ ~~a~~ `c` |t|", "\\$x^2\\$ \\~\\~a\\~\\~ \\`c\\` \\|t\\|"),
        (":red[x] :smile: a: b", "\\:\u2060red\\[x\\] \\:\u2060smile: a: b"),
        # bare URLs and e-mail addresses: GFM links them after parsing, a word joiner stops it
        ("www.evil.example http://x.y a@b.vn", "www\u2060.evil.example http\\:\u2060//x.y a@\u2060b.vn"),
        ("[a](b) ![i](c)", "\\[a\\]\\(b) \\!\\[i\\]\\(c)"),
        ("a\\b", "a\\\\b"),
    ],
)
def test_md_escape(typed: str, markdown: str) -> None:
    assert md_escape(typed) == markdown


def test_md_line_keeps_one_line() -> None:
    assert md_line("# a\n- b\tc") == "\\# a - b c"  # "- " inside a line is no list
