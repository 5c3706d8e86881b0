"""Input checks that are not business rules: pydantic's errors in Vietnamese, dates in range.

Pydantic explains a refused value in English ("Input should be a valid date"); the people
reading the message are Vietnamese officials, so each error type the inputs can produce gets a
Vietnamese sentence, and the location becomes a dotted field name (``tasks.0.deadline``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from services.infra.errors import InvalidInput

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
    """The first error as an ``InvalidInput`` with a Vietnamese message and the field's name."""
    if not errors:
        return InvalidInput("Dữ liệu không hợp lệ.", field="input")
    first = errors[0]
    loc = first.get("loc", ())
    field = "body" if first.get("type") == "json_invalid" else field_name(loc)
    reason = _reason(str(first.get("type", "")), first.get("ctx") or {})
    return InvalidInput(f"Dữ liệu không hợp lệ ở trường “{field}”: {reason}.", field=field)


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
