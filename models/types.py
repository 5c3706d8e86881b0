"""Column types shared by the tables."""

from __future__ import annotations

from datetime import date
from enum import Enum

import sqlalchemy as sa


def enum_type(enum: type[Enum]) -> sa.Enum:
    """Store an enum by its value as VARCHAR (no native PG enum), so values stay readable
    in SQL, check constraints can name them, and new members need no type migration."""
    return sa.Enum(
        enum,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        create_constraint=False,
        length=32,
        validate_strings=True,
    )


class DayNumber(sa.types.TypeDecorator[date]):
    """A date stored as the number of days since 1970-01-01 (an INTEGER column).

    For the derived ``task_span`` table only: its statistics query compares three dates on each of
    100 000s of index entries, and SQLite compares integers about three times faster than the ISO
    text it keeps dates in. Python code sees plain ``date`` values."""

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value: date | None, dialect: sa.Dialect) -> int | None:
        return None if value is None else value.toordinal() - _EPOCH

    def process_result_value(self, value: int | None, dialect: sa.Dialect) -> date | None:
        return None if value is None else date.fromordinal(value + _EPOCH)

    def process_literal_param(self, value: date | None, dialect: sa.Dialect) -> str:
        return "NULL" if value is None else str(value.toordinal() - _EPOCH)


_EPOCH = date(1970, 1, 1).toordinal()
