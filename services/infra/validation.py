"""Input checks that are not business rules: pydantic's errors in Vietnamese, dates in range,
a date as people type it, and every refused field of one input collected at once.

Pydantic explains a refused value in English ("Input should be a valid date"); the people
reading the message are Vietnamese officials, so each error type the inputs can produce gets a
Vietnamese sentence, and the location becomes a dotted field name (``tasks.0.deadline``).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

from services.infra.errors import FieldError, InvalidInput

T = TypeVar("T")

_LOCATIONS = ("query", "body", "path", "header", "cookie")


def _reason(kind: str, ctx: Mapping[str, Any]) -> str:
    if kind == "missing":
        return "thiếu giá trị bắt buộc"
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace(" or ", " hoặc ")
        return f"phải là một trong các giá trị {expected}".rstrip()
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "phải là số nguyên"
    if kind in ("float_parsing", "float_type"):
        return "phải là số"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "phải là ngày dạng YYYY-MM-DD"
    if kind in ("bool_parsing", "bool_type"):
        return "phải là true hoặc false"
    if kind == "greater_than_equal":
        return f"phải lớn hơn hoặc bằng {ctx.get('ge')}"
    if kind == "greater_than":
        return f"phải lớn hơn {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"phải nhỏ hơn hoặc bằng {ctx.get('le')}"
    if kind == "less_than":
        return f"phải nhỏ hơn {ctx.get('lt')}"
    if kind == "string_too_long":
        return f"dài quá {ctx.get('max_length')} ký tự"
    if kind == "string_too_short":
        return f"phải có ít nhất {ctx.get('min_length')} ký tự"
    if kind == "string_type":
        return "phải là chuỗi ký tự"
    if kind in ("list_type", "tuple_type", "set_type"):
        return "phải là một danh sách"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "phải là một đối tượng JSON"
    if kind == "json_invalid":
        return "không phải JSON hợp lệ"
    if kind == "extra_forbidden":
        return "không có trường này"
    return "giá trị không hợp lệ"


def field_name(loc: Sequence[int | str]) -> str:
    """``('body', 'tasks', 0, 'content')`` -> ``tasks.0.content``; only a location: that location."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or "input"


def invalid_input(errors: Sequence[Mapping[str, Any]]) -> InvalidInput:
    """Every error as one ``InvalidInput``: a Vietnamese message per field, the first field named."""
    if not errors:
        return InvalidInput("Dữ liệu không hợp lệ.", field="input")
    found: list[FieldError] = []
    for error in errors:
        field = "body" if error.get("type") == "json_invalid" else field_name(error.get("loc", ()))
        reason = _reason(str(error.get("type", "")), error.get("ctx") or {})
        found.append(FieldError(field, f"Dữ liệu không hợp lệ ở trường “{field}”: {reason}."))
    return InvalidInput.of(found)


class FieldErrors:
    """The refusals of one input, collected so that all of them are reported at once.

    A service checks each field in turn; a check that raises ``InvalidInput`` is recorded here and
    the next one runs, so a person who left three fields wrong reads three messages in one round
    instead of one message per submit. A check that depends on another field (a deadline before
    the document date) runs only when that field was accepted (``ok``). ``raise_any`` ends the
    checks: nothing is written while one of them failed.
    """

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, message: str, *, field: str) -> None:
        self.errors.append(FieldError(field, message))

    def take(self, check: Callable[[], T], default: T) -> T:
        """The check's value, or ``default`` when it refused (its errors are kept)."""
        try:
            return check()
        except InvalidInput as refused:
            self.errors.extend(refused.errors)
            return default

    def ok(self, *fields: str) -> bool:
        """No error so far on any of these fields (or their sub-fields: ``tasks.1`` covers
        ``tasks.1.deadline``)."""
        return not any(e.field == f or e.field.startswith(f + ".") for e in self.errors for f in fields)

    def raise_any(self) -> None:
        if self.errors:
            raise InvalidInput.of(self.errors)


class DateLimits(Protocol):
    """Where a typed date may lie (``config/app.yaml``: ``earliest_year``, ``years_ahead``)."""

    @property
    def earliest_year(self) -> int: ...

    @property
    def years_ahead(self) -> int: ...


def _dd_mm_yyyy(day: date) -> str:
    # strftime("%Y") writes year 1 as "1"; the message should show what was typed: 01/01/0001
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def date_bounds(*, today: date, limits: DateLimits) -> tuple[date, date]:
    """The first and the last date a person may enter today."""
    year = min(today.year + limits.years_ahead, date.max.year)
    try:
        latest = today.replace(year=year)
    except ValueError:  # 29 February, and that year has none
        latest = date(year, 2, 28)
    return date(limits.earliest_year, 1, 1), latest


def check_date(value: date, *, label: str, field: str, today: date, limits: DateLimits) -> date:
    """``value``, or InvalidInput naming the field when it lies outside ``date_bounds``.

    01/01/0001 or 31/12/9999 is a slip of the keyboard or the date picker, never a document's or a
    deadline's date; refused here, it cannot reach the statistics (a deadline in year 9999 would
    also overflow the day-after arithmetic of the class spans)."""
    earliest, latest = date_bounds(today=today, limits=limits)
    if not earliest <= value <= latest:
        raise InvalidInput(
            f"{label} {_dd_mm_yyyy(value)} không hợp lệ: chỉ nhận ngày từ {_dd_mm_yyyy(earliest)} "
            f"đến {_dd_mm_yyyy(latest)}.",
            field=field,
        )
    return value


# What people type: 5/11/2026, 05/11/2026, 05-11-2026, 05.11.2026 (day first, a four-digit year).
_TYPED_DATE = re.compile(r"([0-9]{1,2})\s*[/.-]\s*([0-9]{1,2})\s*[/.-]\s*([0-9]{4})")


def parse_day(text: str, *, label: str, field: str) -> date | None:
    """The date typed as ngày/tháng/năm, None when nothing was typed, else InvalidInput.

    A date picker silently turns 31/02/2027 into 28/02/2027 and drops a date outside its range;
    a typed date is read exactly as typed or refused, naming the field and what is wrong with it
    (the range is the services' ``check_date``)."""
    typed = text.strip()
    if not typed:
        return None
    found = _TYPED_DATE.fullmatch(typed)
    if found is None:
        raise InvalidInput(
            f"{label} “{typed}” không đọc được: nhập ngày/tháng/năm bằng số, ví dụ 05/11/2026.", field=field
        )
    day, month, year = (int(g) for g in found.groups())
    if not 1 <= month <= 12:
        raise InvalidInput(f"{label} {typed} không có thật: tháng phải từ 1 đến 12.", field=field)
    if year < 1:
        raise InvalidInput(f"{label} {typed} không có thật: không có năm 0000.", field=field)
    last = calendar.monthrange(year, month)[1]
    if day < 1:
        raise InvalidInput(f"{label} {typed} không có thật: ngày phải từ 1 đến {last}.", field=field)
    if day > last:
        raise InvalidInput(
            f"{label} {typed} không có thật: tháng {month:02d}/{year:04d} chỉ có {last} ngày.", field=field
        )
    return date(year, month, day)


def fmt_day(day: date) -> str:
    """A date as ``parse_day`` reads it and people write it: 05/11/2026 (year 1 as 0001)."""
    return _dd_mm_yyyy(day)
