"""Normalised input (README "Bad input"): what is stripped from typed text, how two số/ký hiệu are
judged the same, the range of dates a person may enter, and migration 0008's new keys.

Run on SQLite and on PostgreSQL (``GIAOVIEC_TEST_BACKEND=postgresql``): a NUL byte reaching
PostgreSQL would be a database error, so every test that stores text with one runs there too.
Texts go in twice where it matters: through the input models (which normalise every string
field) and past them (``model_construct``, as a caller building the model by hand would), so
the services' own ``clean_text`` is tested as well.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import ActionKey, Document, DocumentKind, Task, TaskEvent
from models.schemas import (
    AssignmentCreate,
    ConfirmationCreate,
    NoteInput,
    ReplaceInput,
    TaskCreate,
    UpdateInput,
    WrongUnitAcceptInput,
    WrongUnitRequestInput,
)
from models.text import normalise_text
from services.access.permissions import Actor
from services.actions.registry import perform
from services.config.loader import AppSettingsConfig
from services.infra.errors import InvalidInput
from services.infra.text import clean_text, document_code_key, spreadsheet_safe
from services.infra.validation import check_date, date_bounds
from services.runtime import Runtime
from services.tasks.assignment import create_assignment
from tests.conftest import FINANCE, HEALTH, at
from tests.services.support import assign, reply, reply_data, row_counts, task, walk_to_issue
from tests.services.test_migrations import _alembic

DOC_DAY = date(2026, 3, 2)
NOW = at(DOC_DAY, hour=15)
CODE = "125/UBND-KT"

# The same số/ký hiệu as CODE, as a person may type or paste it.
LOOK_ALIKES = {
    "zero-width-space": "125/UBND\u200b-KT",
    "soft-hyphen": "125/UBND\u00ad-KT",
    "full-width-solidus": "125\uff0fUBND-KT",
    "full-width-letters": "１２５/ＵＢＮＤ-ＫＴ",
    "unicode-hyphen": "125/UBND\u2010KT",
    "en-dash": "125/UBND\u2013KT",
    "division-slash": "125\u2215UBND-KT",
    "cyrillic-capitals": "125/UBND-\u041a\u0422",
    "word-joiner-and-bom": "\ufeff125/\u2060UBND-KT",
    "right-to-left-override": "125/UBND-KT\u202e",
    "no-break-space-and-case": "125 /\u00a0ubnd-kt",
}


def _assignment(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "code": CODE,
        "issue_date": DOC_DAY,
        "issuer": "ubnd_tinh",
        "doc_type": "cong_van",
        "summary": "V/v triển khai nhiệm vụ",
        "signer": "Nguyễn Văn A",
        "tasks": [TaskCreate(content="Báo cáo tình hình", lead_unit_code=FINANCE, deadline=date(2026, 3, 20))],
    }
    fields.update(overrides)
    return fields


def _save(runtime: Runtime, session: Session, tracker: Actor, data: AssignmentCreate) -> Document:
    return create_assignment(session=session, actor=tracker, config=runtime.config, data=data, now=NOW)


def _refused(
    runtime: Runtime, session: Session, tracker: Actor, data: AssignmentCreate, message: str, field: str
) -> None:
    """Refused with ``message`` on ``field``; nothing flushed, nothing committed."""
    before = row_counts(session)
    with pytest.raises(InvalidInput) as caught:
        _save(runtime, session, tracker, data)
    assert (caught.value.message, caught.value.field) == (message, field)
    assert row_counts(session) == before
    with Session(runtime.engine) as fresh:
        assert row_counts(fresh) == before


# --- what typed text is made of -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "multiline", "stored"),
    [
        ("  Giao\u200b việc\u00ad ", False, "Giao việc"),
        ("a\x00b\x1b[31mc\x7f\u0085d", True, "ab[31mc\nd"),  # NUL, ESC, DEL gone; NEL is a line break
        ("\u202eabc\u202c \u2066x\u2069", False, "abc x"),  # bidirectional overrides and isolates
        ("dòng 1\r\ndòng 2\rdòng 3\u2028\tthụt", True, "dòng 1\ndòng 2\ndòng 3\n\tthụt"),
        ("dòng 1\r\ndòng 2\tcột", False, "dòng 1 dòng 2 cột"),
        (unicodedata.normalize("NFD", "Nguyễn Thị Ánh"), False, "Nguyễn Thị Ánh"),
        ("e\u200b\u0301", False, "é"),  # removing the invisible character lets the accent compose
        ("\u200b\u200c\u200d\u2060\ufeff\u00ad\u3164\u115f", True, ""),
        ("\ud800x", False, "x"),  # a lone surrogate (JSON "\ud800"): no database stores it
        ("Tỷ lệ a <b và c> d", False, "Tỷ lệ a <b và c> d"),
        ("- Báo cáo", True, "- Báo cáo"),
    ],
)
def test_normalise_text(typed: str, multiline: bool, stored: str) -> None:
    assert normalise_text(typed, multiline=multiline) == stored
    assert clean_text(typed, label="X", field="x", required=False, multiline=multiline) == stored
    assert normalise_text(stored, multiline=multiline) == stored  # idempotent


def test_clean_text_empty_and_length() -> None:
    with pytest.raises(InvalidInput, match=r"^Trích yếu không được để trống\.$"):
        clean_text("\u200b \u200b\n\u00ad", label="Trích yếu", field="summary")
    assert clean_text("\u200b", label="X", field="x", required=False) == ""
    assert clean_text("a\u200b" * 5, label="X", field="x", max_len=5) == "aaaaa"  # counted after removal
    with pytest.raises(InvalidInput, match="dài quá 5 ký tự"):
        clean_text("abcdef", label="X", field="x", max_len=5)


def test_input_models_normalise_every_string_field() -> None:
    data = AssignmentCreate(
        **_assignment(
            code="125/UBND\u200b-KT\n",
            summary="Dòng 1\r\nDòng\x00 2",
            signer="Nguyễn\tVăn A\u202e",
            tasks=[
                TaskCreate(content="\u200b", lead_unit_code=" 000.00.05.H21\u200b", coordinating_unit_codes=["x\x00"])
            ],
        )
    )
    assert (data.code, data.summary, data.signer) == ("125/UBND-KT", "Dòng 1\nDòng 2", "Nguyễn Văn A")
    assert (data.tasks[0].content, data.tasks[0].lead_unit_code) == ("", FINANCE)
    assert data.tasks[0].coordinating_unit_codes == ["x"]
    verdict = ConfirmationCreate.model_validate({"outcome": "not_done", "reason": "\u200bLý do"})
    assert verdict.reason == "Lý do" and verdict.outcome.value == "not_done"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+84 905 000 000", "'+84 905 000 000"),
        ("- Báo cáo", "'- Báo cáo"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Báo cáo - quý 1", "Báo cáo - quý 1"),
        ("125/UBND-KT", "125/UBND-KT"),
        ("", ""),
    ],
)
def test_spreadsheet_safe(text: str, cell: str) -> None:
    assert spreadsheet_safe(text) == cell


# --- số/ký hiệu: one key for what looks the same --------------------------------------------------


@pytest.mark.parametrize("variant", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_look_alike_codes_share_the_key(variant: str) -> None:
    assert document_code_key(variant) == document_code_key(CODE) == "125/UBND-KT"


def test_different_codes_keep_different_keys() -> None:
    keys = {document_code_key(c) for c in ("125/UBND-KT", "125/UBND-KTN", "126/UBND-KT", "125/UBND-VX", "125/QĐ-UBND")}
    assert len(keys) == 5
    assert document_code_key("Số 1 Đặc biệt") == "SỐ1ĐẶCBIỆT"  # Vietnamese letters stay themselves


@pytest.mark.parametrize("through_model", [True, False], ids=["model", "service"])
@pytest.mark.parametrize("variant", LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_look_alike_code_is_refused_as_a_duplicate(
    runtime: Runtime, session: Session, actors: dict[str, Actor], variant: str, through_model: bool
) -> None:
    tracker = actors["tracker"]
    _save(runtime, session, tracker, AssignmentCreate(**_assignment()))
    fields = _assignment(code=variant, summary="Văn bản khác")
    data = AssignmentCreate(**fields) if through_model else AssignmentCreate.model_construct(**fields)
    before = row_counts(session)
    with pytest.raises(InvalidInput) as caught:
        _save(runtime, session, tracker, data)
    assert caught.value.field == "code"
    assert caught.value.message.endswith("đã có trong năm 2026 của cơ quan ban hành này.")
    assert row_counts(session) == before


def test_look_alike_reply_code_is_refused_as_a_duplicate(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Replies of one unit share the rule: the same số/ký hiệu with a soft hyphen is not new."""
    _, (first, second) = assign(
        runtime,
        session,
        actors["tracker"],
        code="7/UBND-KT",
        issued=DOC_DAY,
        tasks=[
            task("Việc một", FINANCE, DOC_DAY + timedelta(days=20)),
            task("Việc hai", FINANCE, DOC_DAY + timedelta(days=20)),
        ],
    )
    reply(runtime, session, first, code="55/STC-VP", on=DOC_DAY + timedelta(days=2))
    team = walk_to_issue(runtime, session, second, now=at(DOC_DAY + timedelta(days=3)))
    data = reply_data("55/STC\u00ad-VP", DOC_DAY + timedelta(days=3))
    with pytest.raises(InvalidInput) as caught:
        perform(
            session=session,
            actor=team.clerk,
            config=runtime.config,
            task_id=second,
            action=ActionKey.REPLY,
            data={**data.model_dump(), "note": ""},
            now=at(DOC_DAY + timedelta(days=3)),
        )
    assert caught.value.field == "code" and "đã có trong năm 2026" in caught.value.message


def test_code_whose_key_spells_out_too_long_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """NFKC may spell a character out ("㍿" is four letters): a key past the column's 100 characters
    is refused with a message, never a database error on PostgreSQL."""
    code = "\u337f" * 30  # 30 characters typed, 120 in the key
    _refused(
        runtime,
        session,
        actors["tracker"],
        AssignmentCreate(**_assignment(code=code)),
        "Số/ký hiệu dài quá 100 ký tự.",
        "code",
    )


# --- control characters never reach the database --------------------------------------------------


def test_control_characters_are_stripped_before_saving(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """NUL, ESC and U+202E in every text of an assignment, past the input model: stored without them
    (on PostgreSQL a NUL would have been a DataError)."""
    dirty = "Báo\x00 cáo\x1b \u202equý\u200b 1"
    data = AssignmentCreate.model_construct(
        **_assignment(
            code="12\x00/UBND\x1b-KT",
            summary=dirty,
            signer="Nguyễn\x00 Văn\u202e A",
            tasks=[
                TaskCreate.model_construct(
                    content=dirty,
                    lead_unit_code=FINANCE,
                    coordinating_unit_codes=[],
                    deadline=date(2026, 3, 20),
                    working_days=None,
                )
            ],
        )
    )
    document = _save(runtime, session, actors["tracker"], data)
    with Session(runtime.engine) as fresh:
        stored = fresh.get(Document, document.id)
        assert stored is not None
        assert (stored.code, stored.code_key, stored.summary, stored.signer) == (
            "12/UBND-KT",
            "12/UBND-KT",
            "Báo cáo quý 1",
            "Nguyễn Văn A",
        )
        (content,) = fresh.exec(select(Task.content).where(Task.document_id == document.id)).all()
        assert content == "Báo cáo quý 1"


def test_a_note_with_a_nul_byte_is_stored_without_it(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _, (task_id,) = assign(
        runtime, session, actors["tracker"], code="8/UBND-KT", issued=DOC_DAY, tasks=[task("Việc", FINANCE, DOC_DAY)]
    )
    for data in (
        NoteInput(note="Đã\x00 làm\r\nxong\u200b"),
        NoteInput.model_construct(note="Đã\x00 làm\r\nxong\u200b"),
    ):
        perform(
            session=session,
            actor=actors["clerk"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.NOTE,
            data=data,
            now=NOW,
        )
    with Session(runtime.engine) as fresh:
        notes = fresh.exec(select(TaskEvent.note).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)).all()
    assert notes[-2:] == ["Đã làm\nxong", "Đã làm\nxong"]


@pytest.mark.parametrize("summary", ["\u200b\u200b\u200b", "\u200b \u00ad\n\u2060", "\x00\x1b", "\ufeff"])
def test_a_summary_of_only_invisible_characters_is_empty(
    runtime: Runtime, session: Session, actors: dict[str, Actor], summary: str
) -> None:
    for data in (
        AssignmentCreate(**_assignment(summary=summary)),
        AssignmentCreate.model_construct(**_assignment(summary=summary)),
    ):
        _refused(runtime, session, actors["tracker"], data, "Trích yếu không được để trống.", "summary")


def test_a_reason_of_only_invisible_characters_is_empty(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _, (task_id,) = assign(
        runtime, session, actors["tracker"], code="9/UBND-KT", issued=DOC_DAY, tasks=[task("Việc", FINANCE, DOC_DAY)]
    )
    with pytest.raises(InvalidInput, match=r"^Lý do không thuộc chức năng, nhiệm vụ không được để trống\.$"):
        perform(
            session=session,
            actor=actors["leader"],
            config=runtime.config,
            task_id=task_id,
            action=ActionKey.WRONG_UNIT_REQUEST,
            data=WrongUnitRequestInput(reason="\u200b\u202e"),
            now=NOW,
        )


# --- dates a person may enter ----------------------------------------------------------------------

FAR_PAST = date(1, 1, 1)
FAR_FUTURE = date(9999, 12, 31)


def test_date_bounds_follow_the_config() -> None:
    limits = AppSettingsConfig.model_construct(earliest_year=2000, years_ahead=10)
    assert date_bounds(today=DOC_DAY, limits=limits) == (date(2000, 1, 1), date(2036, 3, 2))
    assert date_bounds(today=date(2028, 2, 29), limits=limits) == (date(2000, 1, 1), date(2038, 2, 28))
    assert check_date(date(2000, 1, 1), label="X", field="x", today=DOC_DAY, limits=limits) == date(2000, 1, 1)
    with pytest.raises(InvalidInput) as caught:
        check_date(FAR_PAST, label="Ngày ban hành", field="issue_date", today=DOC_DAY, limits=limits)
    assert caught.value.message == (
        "Ngày ban hành 01/01/0001 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến 02/03/2036."
    )
    with pytest.raises(InvalidInput):
        check_date(date(1999, 12, 31), label="X", field="x", today=DOC_DAY, limits=limits)
    with pytest.raises(InvalidInput):
        check_date(date(2036, 3, 3), label="X", field="x", today=DOC_DAY, limits=limits)


def test_the_shipped_config_has_the_range() -> None:
    from services.config.loader import load_config
    from services.infra.settings import ROOT

    app = load_config(ROOT / "config").app
    assert (app.earliest_year, app.years_ahead) == (2000, 10)


@pytest.mark.parametrize(
    ("overrides", "message", "field"),
    [
        (
            {"issue_date": FAR_PAST},
            "Ngày ban hành 01/01/0001 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến 02/03/2036.",
            "issue_date",
        ),
        (
            {"issue_date": date(1999, 12, 31)},
            "Ngày ban hành 31/12/1999 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến 02/03/2036.",
            "issue_date",
        ),
        (
            {"tasks": [TaskCreate(content="Việc", lead_unit_code=FINANCE, deadline=FAR_FUTURE)]},
            "Nhiệm vụ 1: hạn xử lý 31/12/9999 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến 02/03/2036.",
            "tasks.1.deadline",
        ),
        (
            {"tasks": [TaskCreate(content="Việc", lead_unit_code=FINANCE, deadline=date(2036, 3, 3))]},
            "Nhiệm vụ 1: hạn xử lý 03/03/2036 không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến 02/03/2036.",
            "tasks.1.deadline",
        ),
    ],
    ids=["issue-0001", "issue-1999", "deadline-9999", "deadline-past-years-ahead"],
)
def test_assignment_dates_out_of_range_are_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], overrides: dict[str, Any], message: str, field: str
) -> None:
    _refused(runtime, session, actors["tracker"], AssignmentCreate(**_assignment(**overrides)), message, field)


def test_the_last_day_in_range_is_accepted(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    tasks = [TaskCreate(content="Việc dài hạn", lead_unit_code=FINANCE, deadline=date(2036, 3, 2))]
    document = _save(runtime, session, actors["tracker"], AssignmentCreate(**_assignment(tasks=tasks)))
    assert document.id is not None


@pytest.fixture
def replied(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> int:
    """A task of Sở Tài chính with a reply waiting for VP UBND (dates relative to DOC_DAY)."""
    _, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="10/UBND-KT",
        issued=DOC_DAY,
        tasks=[task("Việc có trả lời", FINANCE, DOC_DAY + timedelta(days=20))],
    )
    reply(runtime, session, task_id, code="10/STC-VP", on=DOC_DAY + timedelta(days=2))
    return task_id


def _perform_refused(
    runtime: Runtime, session: Session, actor: Actor, task_id: int, action: ActionKey, data: Any, message: str
) -> None:
    before = row_counts(session)
    with pytest.raises(InvalidInput) as caught:
        perform(
            session=session,
            actor=actor,
            config=runtime.config,
            task_id=task_id,
            action=action,
            data=data,
            now=at(DOC_DAY + timedelta(days=5)),
        )
    assert caught.value.message == message
    session.rollback()
    with Session(runtime.engine) as fresh:
        assert row_counts(fresh) == before


RANGE = "không hợp lệ: chỉ nhận ngày từ 01/01/2000 đến 07/03/2036."


def test_extension_date_out_of_range_is_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor], replied: int
) -> None:
    _perform_refused(
        runtime,
        session,
        actors["tracker"],
        replied,
        ActionKey.CONFIRM,
        ConfirmationCreate.model_validate({"outcome": "not_done", "reason": "Chưa đạt", "new_deadline": FAR_FUTURE}),
        f"Gia hạn đến ngày 31/12/9999 {RANGE}",
    )


def test_reply_date_out_of_range_is_refused(runtime: Runtime, session: Session, actors: dict[str, Actor]) -> None:
    _, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="11/UBND-KT",
        issued=DOC_DAY,
        tasks=[task("Việc", FINANCE, DOC_DAY + timedelta(days=20))],
    )
    team = walk_to_issue(runtime, session, task_id, now=at(DOC_DAY + timedelta(days=1)))
    _perform_refused(
        runtime,
        session,
        team.clerk,
        task_id,
        ActionKey.REPLY,
        {**reply_data("11/STC-VP", FAR_PAST).model_dump(), "note": ""},
        f"Ngày văn bản trả lời 01/01/0001 {RANGE}",
    )


def test_changed_deadlines_out_of_range_are_refused(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    _, (task_id,) = assign(
        runtime,
        session,
        actors["tracker"],
        code="12/UBND-KT",
        issued=DOC_DAY,
        tasks=[task("Việc", FINANCE, DOC_DAY + timedelta(days=20))],
    )
    tracker = actors["tracker"]
    _perform_refused(
        runtime,
        session,
        tracker,
        task_id,
        ActionKey.UPDATE,
        UpdateInput(reason="Lùi hạn", deadline=FAR_FUTURE),
        f"Hạn xử lý mới 31/12/9999 {RANGE}",
    )
    _perform_refused(
        runtime,
        session,
        tracker,
        task_id,
        ActionKey.REPLACE,
        ReplaceInput(reason="Thay", content="Việc mới", lead_unit_code=HEALTH, deadline=FAR_FUTURE),
        f"Hạn xử lý 31/12/9999 {RANGE}",
    )
    perform(
        session=session,
        actor=actors["leader"],
        config=runtime.config,
        task_id=task_id,
        action=ActionKey.WRONG_UNIT_REQUEST,
        data=WrongUnitRequestInput(reason="Không thuộc chức năng"),
        now=at(DOC_DAY + timedelta(days=4)),
    )
    _perform_refused(
        runtime,
        session,
        tracker,
        task_id,
        ActionKey.WRONG_UNIT_ACCEPT,
        WrongUnitAcceptInput(new_lead_unit_code=HEALTH, new_deadline=FAR_FUTURE),
        f"Hạn xử lý mới 31/12/9999 {RANGE}",
    )


# --- migration 0008 --------------------------------------------------------------------------------


def test_migration_0008_rewrites_the_keys_that_change(
    runtime: Runtime, session: Session, actors: dict[str, Actor]
) -> None:
    """Documents saved under the old rule (a look-alike accepted as new) get the new keys: the first
    keeps the plain key, a later look-alike gets ``<key>#<id>``; plain codes keep theirs. Down
    again, every key is the old rule's."""
    tracker = actors["tracker"]
    codes = ["125/UBND-KT", "125/UBND\u200b-KT", "125\uff0fUBND-KT", "126/ubnd-kt", "127/UBND\u00ad-KT"]
    old_keys = ["125/UBND-KT", "125/UBND\u200b-KT", "125\uff0fUBND-KT", "126/UBND-KT", "127/UBND\u00ad-KT"]
    ids = []
    for code, key in zip(codes, old_keys, strict=True):
        document = Document(
            kind=DocumentKind.ASSIGNMENT,
            issuer="ubnd_tinh",
            code=code,
            code_key=key,
            issue_date=DOC_DAY,
            issue_year=2026,
            doc_type="cong_van",
            summary="Cũ",
            created_by=tracker.user_id,
            created_at=NOW,
        )
        session.add(document)
        session.flush()
        ids.append(document.id)
    session.commit()
    session.close()

    def keys() -> list[str]:
        with runtime.engine.connect() as connection:
            document = sa.table("document", sa.column("id"), sa.column("code_key"))
            query = sa.select(document.c.code_key).where(document.c.id.in_(ids)).order_by(document.c.id)
            return list(connection.execute(query).scalars())

    _alembic(runtime, "downgrade", "0007")
    assert keys() == old_keys  # the old rule gives back what the old code stored
    _alembic(runtime, "upgrade", "head")
    assert keys() == ["125/UBND-KT", f"125/UBND-KT#{ids[1]}", f"125/UBND-KT#{ids[2]}", "126/UBND-KT", "127/UBND-KT"]
    # and a new document with that code is a duplicate
    with Session(runtime.engine) as fresh, pytest.raises(InvalidInput, match="đã có trong năm 2026"):
        _save(runtime, fresh, tracker, AssignmentCreate(**_assignment(code="127/UBND-KT")))
