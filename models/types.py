"""Column types shared by the tables."""

from __future__ import annotations

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
