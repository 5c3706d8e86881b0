"""The pandera schemas of the three imports: one ``DataFrameSchema`` per sheet.

Every cell arrives as text (``services.imports.reading``); the schemas check it as typed: required
cells, lengths, dates as dd/mm/yyyy that exist (31/02/2026 is refused, never corrected) and lie
in the range the forms accept, codes of units that exist, choices of the configured lists, and
the rules between cells of a row (a deadline not before the document's date, a reply after it,
…) and between rows (the same số/ký hiệu twice with different document fields; a code already in
the database). Validation is lazy: every failure of every row is collected.

Each pandera check carries a rule id as its ``error``; ``Rules.problems`` turns each failure case
into a ``Problem`` (sheet, row as the spreadsheet numbers it, column, Vietnamese message), the
message built from the row's own values, so it can say what was typed and why it is refused.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, cast

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from services.infra.errors import InvalidInput
from services.infra.text import document_code_key, fold
from services.infra.validation import fmt_day, parse_day

# --- the columns of the templates (Vietnamese headers; the order of the templates) -----------

TASK_SHEET = "Nhiệm vụ"
T_CODE = "Số/ký hiệu"
T_DATE = "Ngày ban hành"
T_ISSUER = "Cơ quan ban hành"
T_TYPE = "Loại văn bản"
T_SUMMARY = "Trích yếu"
T_SIGNER = "Người ký"
T_CONTENT = "Nội dung nhiệm vụ"
T_LEAD = "Đơn vị chủ trì"
T_COORD = "Đơn vị phối hợp"
T_DEADLINE = "Hạn xử lý"
T_REPLY_CODE = "Số văn bản trả lời"
T_REPLY_DATE = "Ngày trả lời"
T_RESULT = "Kết quả thực hiện"
T_CONFIRM_DATE = "Ngày xác nhận"
T_OUTCOME = "Kết quả xác nhận"
T_REASON = "Lý do chưa hoàn thành"
T_NEW_DEADLINE = "Hạn mới"
TASK_COLUMNS = (
    T_CODE,
    T_DATE,
    T_ISSUER,
    T_TYPE,
    T_SUMMARY,
    T_SIGNER,
    T_CONTENT,
    T_LEAD,
    T_COORD,
    T_DEADLINE,
    T_REPLY_CODE,
    T_REPLY_DATE,
    T_RESULT,
    T_CONFIRM_DATE,
    T_OUTCOME,
    T_REASON,
    T_NEW_DEADLINE,
)
DOCUMENT_COLUMNS = (T_DATE, T_ISSUER, T_TYPE, T_SUMMARY, T_SIGNER)  # the same on every row of one document
REPLY_COLUMNS = (T_REPLY_CODE, T_REPLY_DATE, T_RESULT)
OUTCOME_DONE = "Hoàn thành"
OUTCOME_NOT_DONE = "Chưa hoàn thành"

UNIT_SHEET = "Đơn vị"
U_CODE = "Mã định danh"
U_NAME = "Tên đơn vị"
U_SHORT = "Tên viết tắt"
U_KIND = "Loại đơn vị"
U_PARENT = "Mã đơn vị cha"
UNIT_COLUMNS = (U_CODE, U_NAME, U_SHORT, U_KIND, U_PARENT)

USER_SHEET = "Người dùng"
A_USERNAME = "Tên đăng nhập"
A_NAME = "Họ và tên"
A_ROLE = "Vai trò"
A_UNIT = "Mã đơn vị"
A_EMAIL = "Email"
USER_COLUMNS = (A_USERNAME, A_NAME, A_ROLE, A_UNIT, A_EMAIL)


ROW = "_row"  # in a ``Row``: the row's number as the spreadsheet shows it
Row = Mapping[str, Any]  # one row of a sheet: its cells by column, and ROW


@dataclass(frozen=True, order=True)
class Problem:
    """One refused cell: the sheet, the row as the spreadsheet numbers it, the column, why."""

    row: int
    sheet: str
    column: str
    message: str


# --- reading a cell ------------------------------------------------------------------------


@lru_cache(maxsize=4096)  # a file repeats its dates: each is read once
def day_of(text: str) -> date | None:
    """The date typed (dd/mm/yyyy), None when empty or unreadable (its own check says why)."""
    try:
        return parse_day(text, label="", field="")
    except InvalidInput:
        return None


def day_refusal(text: str, label: str) -> str | None:
    """Why ``text`` is not a date, else None."""
    try:
        parse_day(text, label=label, field="")
    except InvalidInput as refusal:
        return refusal.message
    return None


@lru_cache(maxsize=4096)
def choice_key(text: str) -> str:
    return " ".join(fold(text).split())


def split_codes(text: str) -> list[str]:
    """The codes of a cell listing several (separated by commas, semicolons or line breaks)."""
    return [c.strip() for c in text.replace(";", ",").replace("\n", ",").split(",") if c.strip()]


def records(frame: pd.DataFrame) -> dict[int, Row]:
    """A sheet's rows as plain mappings by row number (far faster to read than pandas rows)."""
    found: dict[int, Row] = {}
    for number, record in zip(frame.index, frame.to_dict("records"), strict=True):
        row = cast(dict[str, Any], record)
        row[ROW] = int(number)
        found[int(number)] = row
    return found


# --- the rule registry ---------------------------------------------------------------------


@dataclass
class Rules:
    """The checks of one sheet, each with the column it names and how it explains a failure."""

    sheet: str
    columns: tuple[str, ...]
    _explain: dict[str, tuple[str, Callable[[Row], str]]] = field(default_factory=dict)
    _rows: dict[int, Row] = field(default_factory=dict)  # the sheet's rows, read once

    def rows(self, frame: pd.DataFrame) -> dict[int, Row]:
        """The sheet's rows as plain mappings (far faster to read than pandas rows)."""
        if len(self._rows) != len(frame):
            self._rows = records(frame)
        return self._rows

    def _register(self, column: str, explain: Callable[[Row], str]) -> str:
        rule_id = f"{self.sheet}#{len(self._explain) + 1}"
        self._explain[rule_id] = (column, explain)
        return rule_id

    def cell(self, column: str, ok: Callable[[str], bool], explain: Callable[[str], str]) -> pa.Check:
        """A check of one cell; ``explain`` gets the cell's text."""
        rule_id = self._register(column, lambda row: explain(str(row[column])))
        return pa.Check(ok, element_wise=True, error=rule_id)

    def row(self, column: str, ok: Callable[[Row], bool], explain: Callable[[Row], str]) -> pa.Check:
        """A check of one row (several cells); the failure is shown on ``column``."""
        rule_id = self._register(column, explain)

        def run(frame: pd.DataFrame) -> pd.Series:
            # the rows read from the sheet itself: the frame pandera passes is its own copy
            return pd.Series([bool(ok(self._rows[int(n)])) for n in frame.index], index=frame.index, dtype=bool)

        return pa.Check(run, error=rule_id)

    def problems(self, schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[Problem]:
        """Every failure of every row (lazy validation), sorted by row and by column."""
        self.rows(frame)
        try:
            schema.validate(frame.copy(deep=False), lazy=True)
        except SchemaErrors as errors:
            cases = errors.failure_cases.copy()
        else:
            return []
        finally:
            # pandera ties its schema to the copy it validated (a weakref): let that copy go now, not
            # at the interpreter's exit, where pandera's callback fails noisily
            gc.collect()
        found: set[Problem] = set()
        for case in cases.itertuples(index=False):
            rule = self._explain.get(str(case.check))
            index = case.index
            if rule is None or index is None or pd.isna(index):
                found.add(Problem(0, self.sheet, str(case.column or ""), f"Dữ liệu không hợp lệ: {case.check}."))
                continue
            column, explain = rule
            found.add(Problem(int(index), self.sheet, column, explain(self.rows(frame)[int(index)])))
        order = {c: i for i, c in enumerate(self.columns)}
        return sorted(found, key=lambda p: (p.row, order.get(p.column, 99), p.message))


def _text(rules: Rules, column: str, *, required: bool, max_len: int) -> list[pa.Check]:
    checks = [
        rules.cell(
            column,
            lambda v: len(v) <= max_len,
            lambda v: f"{column} dài {len(v)} ký tự, quá {max_len}.",
        )
    ]
    if required:
        checks.append(rules.cell(column, lambda v: bool(v.strip()), lambda v: f"{column} không được để trống."))
    return checks


def _day(rules: Rules, column: str, *, required: bool, earliest: date, latest: date) -> list[pa.Check]:
    checks = [
        rules.cell(column, lambda v: not v or day_of(v) is not None, lambda v: day_refusal(v, column) or ""),
        rules.cell(
            column,
            lambda v: (d := day_of(v)) is None or earliest <= d <= latest,
            lambda v: f"{column} {v} không hợp lệ: chỉ nhận ngày từ {fmt_day(earliest)} đến {fmt_day(latest)}.",
        ),
    ]
    if required:
        checks.append(
            rules.cell(column, lambda v: bool(v), lambda v: f"{column} không được để trống (nhập ngày/tháng/năm).")
        )
    return checks


def _before(rules: Rules, later: str, earlier: str, *, strict: bool = False) -> pa.Check:
    """The date in ``later`` is not before (``strict``: after) the one in ``earlier``."""

    def ok(row: Row) -> bool:
        a, b = day_of(row[later]), day_of(row[earlier])
        return a is None or b is None or (a > b if strict else a >= b)

    word = "sau" if strict else "không trước"
    return rules.row(later, ok, lambda row: f"{later} {row[later]} phải {word} {earlier.lower()} {row[earlier]}.")


def _not_after(rules: Rules, column: str, today: date) -> pa.Check:
    return rules.cell(
        column,
        lambda v: (d := day_of(v)) is None or d <= today,
        lambda v: f"{column} {v} sau ngày hôm nay ({fmt_day(today)}).",
    )


def _reply_cell(rules: Rules, column: str, replied: Callable[[Row], bool]) -> pa.Check:
    """A reply's cell is required once any of the reply's cells is filled in."""

    def ok(row: Row) -> bool:
        return not replied(row) or bool(str(row[column]).strip())

    def explain(row: Row) -> str:
        return f"{column} không được để trống khi nhiệm vụ đã có văn bản trả lời."

    return rules.row(column, ok, explain)


def _schema(columns: tuple[str, ...], checks: Mapping[str, list[pa.Check]], wide: list[pa.Check]) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {c: pa.Column(str, checks=checks.get(c, []), nullable=False) for c in columns},
        checks=wide,
        strict=False,
    )


# --- tasks -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskContext:
    """What the task sheet is checked against, read from the database and the configuration."""

    today: date
    earliest: date
    latest: date
    issuers: Mapping[str, str]  # choice_key(key or label) -> issuer key
    doc_types: Mapping[str, str]
    lead_codes: Collection[str]  # units that may lead (active sở/ban/ngành, UBND cấp huyện)
    coordinating_codes: Collection[str]  # units that may coordinate (phòng too)
    existing: Collection[tuple[str, int, str]]  # (issuer, year, code key) of documents already saved
    staffed: Collection[str]  # lead units with a clerk, a leader and a specialist (needed for a reply)
    issuer_hint: str = ""
    doc_type_hint: str = ""


def document_key(row: Row, ctx: TaskContext) -> tuple[str, int, str] | None:
    """(issuer, year, số/ký hiệu key) of the row's document, None when a part is unreadable."""
    issued = day_of(row[T_DATE])
    issuer = ctx.issuers.get(choice_key(row[T_ISSUER]))
    code = document_code_key(row[T_CODE])
    if issued is None or issuer is None or not code:
        return None
    return issuer, issued.year, code


def task_rules(frame: pd.DataFrame, ctx: TaskContext) -> tuple[Rules, pa.DataFrameSchema]:
    """The task sheet's schema; ``frame`` is needed for the checks between rows (the document
    that several rows share must be the same on each)."""
    r = Rules(TASK_SHEET, TASK_COLUMNS)
    first_of: dict[tuple[str, int, str], int] = {}
    rows = r.rows(frame)
    for number, row in rows.items():
        key = document_key(row, ctx)
        if key is not None:
            first_of.setdefault(key, number)

    def same_document(row: Row) -> bool:
        key = document_key(row, ctx)
        if key is None or first_of[key] == row[ROW]:
            return True
        first = rows[first_of[key]]
        return all(fold(str(first[c]).strip()) == fold(str(row[c]).strip()) for c in DOCUMENT_COLUMNS)

    def different_fields(row: Row) -> str:
        key = document_key(row, ctx)
        assert key is not None
        first = rows[first_of[key]]
        names = ", ".join(
            c.lower() for c in DOCUMENT_COLUMNS if fold(str(first[c]).strip()) != fold(str(row[c]).strip())
        )
        return (
            f"Số/ký hiệu {row[T_CODE]} trùng với dòng {first_of[key]} nhưng khác {names}: các dòng cùng một văn bản "
            "phải ghi giống nhau; văn bản khác thì số/ký hiệu phải khác."
        )

    def has(column: str) -> Callable[[Row], bool]:
        return lambda row: bool(str(row[column]).strip())

    checks: dict[str, list[pa.Check]] = {
        T_CODE: [
            *_text(r, T_CODE, required=True, max_len=100),
            r.cell(
                T_CODE,
                lambda v: len(document_code_key(v)) <= 100,
                lambda v: f"{T_CODE} dài quá 100 ký tự.",
            ),
        ],
        T_DATE: [
            *_day(r, T_DATE, required=True, earliest=ctx.earliest, latest=ctx.latest),
            _not_after(r, T_DATE, ctx.today),
        ],
        T_ISSUER: [
            r.cell(
                T_ISSUER,
                lambda v: choice_key(v) in ctx.issuers,
                lambda v: f"{T_ISSUER} “{v}” không có trong danh mục. Chọn một trong: {ctx.issuer_hint}.",
            )
        ],
        T_TYPE: [
            r.cell(
                T_TYPE,
                lambda v: choice_key(v) in ctx.doc_types,
                lambda v: f"{T_TYPE} “{v}” không có trong danh mục. Chọn một trong: {ctx.doc_type_hint}.",
            )
        ],
        T_SUMMARY: _text(r, T_SUMMARY, required=True, max_len=2000),
        T_SIGNER: _text(r, T_SIGNER, required=True, max_len=255),
        T_CONTENT: _text(r, T_CONTENT, required=True, max_len=4000),
        T_LEAD: [
            r.cell(T_LEAD, lambda v: bool(v), lambda v: f"{T_LEAD} không được để trống (mã định danh của đơn vị)."),
            r.cell(
                T_LEAD,
                lambda v: not v or v in ctx.lead_codes,
                lambda v: (
                    f"{T_LEAD}: không có đơn vị mã “{v}” được giao chủ trì (sở, ban, ngành hoặc UBND cấp huyện "
                    "đang hoạt động)."
                ),
            ),
        ],
        T_COORD: [
            r.cell(
                T_COORD,
                lambda v: all(c in ctx.coordinating_codes for c in split_codes(v)),
                lambda v: (
                    f"{T_COORD}: không có đơn vị mã "
                    + ", ".join(f"“{c}”" for c in split_codes(v) if c not in ctx.coordinating_codes)
                    + "."
                ),
            )
        ],
        T_DEADLINE: _day(r, T_DEADLINE, required=True, earliest=ctx.earliest, latest=ctx.latest),
        T_REPLY_CODE: _text(r, T_REPLY_CODE, required=False, max_len=100),
        T_REPLY_DATE: [
            *_day(r, T_REPLY_DATE, required=False, earliest=ctx.earliest, latest=ctx.latest),
            _not_after(r, T_REPLY_DATE, ctx.today),
        ],
        T_RESULT: _text(r, T_RESULT, required=False, max_len=4000),
        T_CONFIRM_DATE: [
            *_day(r, T_CONFIRM_DATE, required=False, earliest=ctx.earliest, latest=ctx.latest),
            _not_after(r, T_CONFIRM_DATE, ctx.today),
        ],
        T_OUTCOME: [
            r.cell(
                T_OUTCOME,
                lambda v: not v or choice_key(v) in (choice_key(OUTCOME_DONE), choice_key(OUTCOME_NOT_DONE)),
                lambda v: f"{T_OUTCOME} “{v}” không hợp lệ: ghi “{OUTCOME_DONE}” hoặc “{OUTCOME_NOT_DONE}”.",
            )
        ],
        T_REASON: _text(r, T_REASON, required=False, max_len=2000),
        T_NEW_DEADLINE: _day(r, T_NEW_DEADLINE, required=False, earliest=ctx.earliest, latest=ctx.latest),
    }

    def not_done(row: Row) -> bool:
        return choice_key(row[T_OUTCOME]) == choice_key(OUTCOME_NOT_DONE)

    def replied(row: Row) -> bool:
        return any(str(row[c]).strip() for c in REPLY_COLUMNS)

    def coordinating_lead(row: Row) -> bool:
        return row[T_LEAD] not in split_codes(row[T_COORD])

    wide = [
        r.row(T_CODE, same_document, different_fields),
        r.row(
            T_CODE,
            lambda row: document_key(row, ctx) not in ctx.existing,
            lambda row: f"{T_CODE} {row[T_CODE]} đã có trong năm {row[T_DATE][-4:]} của cơ quan ban hành này.",
        ),
        _before(r, T_DEADLINE, T_DATE),
        r.row(T_COORD, coordinating_lead, lambda row: "Đơn vị chủ trì không đồng thời là đơn vị phối hợp."),
        # the reply: its three cells together
        *(_reply_cell(r, column, replied) for column in REPLY_COLUMNS),
        _before(r, T_REPLY_DATE, T_DATE),
        r.row(
            T_LEAD,
            lambda row: not replied(row) or row[T_LEAD] not in ctx.lead_codes or row[T_LEAD] in ctx.staffed,
            lambda row: (
                f"Đơn vị chủ trì {row[T_LEAD]} chưa có đủ tài khoản văn thư, lãnh đạo và chuyên viên đang hoạt động: "
                "văn bản trả lời được ghi qua các bước của đơn vị, hãy nhập tài khoản của đơn vị trước."
            ),
        ),
        # VP UBND's verdict: after a reply, with its date and outcome
        r.row(
            T_CONFIRM_DATE,
            lambda row: not (row[T_CONFIRM_DATE] or row[T_OUTCOME]) or replied(row),
            lambda row: (
                f"{T_CONFIRM_DATE}: chỉ xác nhận nhiệm vụ đã có văn bản trả lời (nhập số, ngày, kết quả trả lời)."
            ),
        ),
        r.row(
            T_CONFIRM_DATE,
            lambda row: not row[T_OUTCOME] or bool(row[T_CONFIRM_DATE]),
            lambda row: f"{T_CONFIRM_DATE} không được để trống khi có kết quả xác nhận.",
        ),
        r.row(
            T_OUTCOME,
            lambda row: not row[T_CONFIRM_DATE] or bool(row[T_OUTCOME]),
            lambda row: (
                f"{T_OUTCOME} không được để trống khi có ngày xác nhận: ghi “{OUTCOME_DONE}” hoặc “{OUTCOME_NOT_DONE}”."
            ),
        ),
        _before(r, T_CONFIRM_DATE, T_REPLY_DATE),
        r.row(
            T_REASON,
            lambda row: not not_done(row) or has(T_REASON)(row),
            lambda row: f"{T_REASON} không được để trống khi kết quả xác nhận là “{OUTCOME_NOT_DONE}”.",
        ),
        r.row(
            T_NEW_DEADLINE,
            lambda row: not not_done(row) or has(T_NEW_DEADLINE)(row),
            lambda row: f"{T_NEW_DEADLINE} không được để trống khi kết quả xác nhận là “{OUTCOME_NOT_DONE}” (gia hạn).",
        ),
        r.row(
            T_NEW_DEADLINE,
            lambda row: not row[T_NEW_DEADLINE] or not_done(row),
            lambda row: f"{T_NEW_DEADLINE} chỉ ghi khi kết quả xác nhận là “{OUTCOME_NOT_DONE}”.",
        ),
        _before(r, T_NEW_DEADLINE, T_CONFIRM_DATE),
    ]
    return r, _schema(TASK_COLUMNS, checks, wide)


# --- units -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitContext:
    existing: Collection[str]  # every unit code in the database
    parents: Collection[str]  # active sở/ban/ngành and UBND cấp huyện a phòng may belong to
    kinds: Mapping[str, str]  # choice_key(value or label) -> UnitKind value
    kind_hint: str
    code_max: int
    code_pattern: str  # a regular expression of the allowed characters


def unit_rules(frame: pd.DataFrame, ctx: UnitContext) -> tuple[Rules, pa.DataFrameSchema]:
    import re

    pattern = re.compile(ctx.code_pattern)
    r = Rules(UNIT_SHEET, UNIT_COLUMNS)
    first_row: dict[str, int] = {}
    for number, code in frame[U_CODE].items():
        first_row.setdefault(str(code), int(str(number)))
    new_parents = {
        str(row[U_CODE])
        for _, row in frame.iterrows()
        if ctx.kinds.get(choice_key(row[U_KIND])) in ("department", "district")
    }

    def kind(row: Row) -> str | None:
        return ctx.kinds.get(choice_key(row[U_KIND]))

    checks: dict[str, list[pa.Check]] = {
        U_CODE: [
            r.cell(U_CODE, lambda v: bool(v), lambda v: f"{U_CODE} không được để trống."),
            r.cell(
                U_CODE,
                lambda v: len(v) <= ctx.code_max,
                lambda v: f"{U_CODE} dài {len(v)} ký tự, quá {ctx.code_max}.",
            ),
            r.cell(
                U_CODE,
                lambda v: not v or pattern.fullmatch(v) is not None,
                lambda v: f"{U_CODE} “{v}” có ký tự không được phép: chỉ chữ số, chữ in hoa A–Z và dấu chấm.",
            ),
            r.cell(U_CODE, lambda v: v not in ctx.existing, lambda v: f"{U_CODE} “{v}” đã có trong hệ thống."),
        ],
        U_NAME: _text(r, U_NAME, required=True, max_len=255),
        U_SHORT: _text(r, U_SHORT, required=True, max_len=120),
        U_KIND: [
            r.cell(
                U_KIND,
                lambda v: choice_key(v) in ctx.kinds,
                lambda v: f"{U_KIND} “{v}” không hợp lệ. Chọn một trong: {ctx.kind_hint}.",
            )
        ],
    }
    wide = [
        r.row(
            U_CODE,
            lambda row: first_row[str(row[U_CODE])] == row[ROW],
            lambda row: f"{U_CODE} “{row[U_CODE]}” trùng với dòng {first_row[str(row[U_CODE])]}.",
        ),
        r.row(
            U_PARENT,
            lambda row: kind(row) != "subunit" or bool(row[U_PARENT]),
            lambda row: (
                f"{U_PARENT} không được để trống: phòng, đơn vị trực thuộc phải thuộc một sở hoặc UBND cấp huyện."
            ),
        ),
        r.row(
            U_PARENT,
            lambda row: kind(row) in (None, "subunit") or not row[U_PARENT],
            lambda row: f"{U_PARENT}: sở, ban, ngành và UBND cấp huyện không thuộc đơn vị nào; để trống ô này.",
        ),
        r.row(
            U_PARENT,
            lambda row: (
                kind(row) != "subunit"
                or not row[U_PARENT]
                or row[U_PARENT] in ctx.parents
                or (row[U_PARENT] in new_parents and first_row.get(row[U_PARENT], 10**9) < int(row[ROW]))
            ),
            lambda row: (
                f"{U_PARENT}: không có sở hoặc UBND cấp huyện mã “{row[U_PARENT]}” (trong hệ thống hoặc ở một dòng "
                "phía trên của tệp)."
            ),
        ),
    ]
    return r, _schema(UNIT_COLUMNS, checks, wide)


# --- accounts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserContext:
    existing: Collection[str]  # every username in the database
    units: Collection[str]  # codes of active units (and of the file's units when imported first)
    roles: Mapping[str, str]  # choice_key(value or label) -> Role value
    role_hint: str
    username_pattern: str
    username_hint: str


def user_rules(frame: pd.DataFrame, ctx: UserContext) -> tuple[Rules, pa.DataFrameSchema]:
    import re

    pattern = re.compile(ctx.username_pattern)
    r = Rules(USER_SHEET, USER_COLUMNS)
    first_row: dict[str, int] = {}
    for number, name in frame[A_USERNAME].items():
        first_row.setdefault(str(name).strip().lower(), int(str(number)))
    email = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
    checks: dict[str, list[pa.Check]] = {
        A_USERNAME: [
            r.cell(A_USERNAME, lambda v: bool(v), lambda v: f"{A_USERNAME} không được để trống."),
            r.cell(
                A_USERNAME, lambda v: not v or pattern.fullmatch(v.lower()) is not None, lambda v: ctx.username_hint
            ),
            r.cell(
                A_USERNAME,
                lambda v: v.lower() not in ctx.existing,
                lambda v: f"{A_USERNAME} “{v}” đã có trong hệ thống.",
            ),
        ],
        A_NAME: _text(r, A_NAME, required=True, max_len=255),
        A_ROLE: [
            r.cell(
                A_ROLE,
                lambda v: choice_key(v) in ctx.roles,
                lambda v: f"{A_ROLE} “{v}” không hợp lệ. Chọn một trong: {ctx.role_hint}.",
            )
        ],
        A_UNIT: [
            r.cell(
                A_UNIT,
                lambda v: v in ctx.units,
                lambda v: (
                    f"{A_UNIT}: không có đơn vị đang hoạt động mã “{v}”." if v else f"{A_UNIT} không được để trống."
                ),
            )
        ],
        A_EMAIL: [
            r.cell(
                A_EMAIL,
                lambda v: not v or email.fullmatch(v) is not None,
                lambda v: f"{A_EMAIL} “{v}” không hợp lệ.",
            )
        ],
    }
    wide = [
        r.row(
            A_USERNAME,
            lambda row: first_row[str(row[A_USERNAME]).strip().lower()] == row[ROW],
            lambda row: (
                f"{A_USERNAME} “{row[A_USERNAME]}” trùng với dòng {first_row[str(row[A_USERNAME]).strip().lower()]}."
            ),
        )
    ]
    return r, _schema(USER_COLUMNS, checks, wide)
