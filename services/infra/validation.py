"""Pydantic's validation errors, said in Vietnamese and naming the field (an ``InvalidInput``).

Pydantic explains a refused value in English ("Input should be a valid date"); the people
reading the message are Vietnamese officials, so each error type the inputs can produce gets a
Vietnamese sentence, and the location becomes a dotted field name (``tasks.0.deadline``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
