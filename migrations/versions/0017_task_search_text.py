"""folded search texts of tasks and documents (issue 9: searching every unit's tasks)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 10:05:00

``task.content_folded`` = fold(content) and ``document.search_folded`` = fold(code + " " +
summary): lower case, Vietnamese marks dropped (``models.text.fold``, the one rule of every
search). A search of "Nhiệm vụ của đơn vị" over all units then filters in SQL with LIKE instead
of folding every listed text in Python (0.7 s at 20 000 tasks). Existing rows are filled here;
later writes keep them (ORM events in ``models/tables.py``).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.text import fold

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

_BATCH = 2000


def _fill(table: str, column: str, sources: tuple[str, ...]) -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(f"SELECT id, {', '.join(sources)} FROM {table}")).all()
    update = sa.text(f"UPDATE {table} SET {column} = :folded WHERE id = :id")
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        bind.execute(update, [{"id": row[0], "folded": fold(" ".join(str(v or "") for v in row[1:]))} for row in batch])


def upgrade() -> None:
    op.add_column('task', sa.Column('content_folded', sa.String(length=4000), nullable=False, server_default=''))
    op.add_column('document', sa.Column('search_folded', sa.String(length=2200), nullable=False, server_default=''))
    _fill('task', 'content_folded', ('content',))
    _fill('document', 'search_folded', ('code', 'summary'))


def downgrade() -> None:
    _drop_column('document', 'search_folded')
    _drop_column('task', 'content_folded')


def _drop_column(table: str, column: str) -> None:
    """SQLite drops a column in place (3.35+): a batch copy of the table would drop the table it
    copies, which its references refuse once rows point at it."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)
