"""replies dated back, flagged with their reason (issue 8; the figures work)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 06:10:00

A reply's own date decides whether it counts as on time, and the clerk types it. So a reply now
keeps the day it was entered (``entered_on``) and, when it is dated more than
``reply_backdate_limit_days`` before that day, the reason the clerk gave (``backdate_reason``):
VP UBND sees both before judging it, and the lists name it. Replies entered before this migration
get the Vietnamese date of their ``created_at``; none of them is flagged (nobody was asked).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_VN = timezone(timedelta(hours=7))  # services.infra.clock.VN_TZ, as it was when this was written


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite >= 3.35 too): a batch copy of ``document`` would have to drop the
    # table every task and reply refers to
    op.add_column('document', sa.Column('entered_on', sa.Date(), nullable=True))
    op.add_column('document', sa.Column('backdate_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
    connection = op.get_bind()
    document = sa.table(
        'document',
        sa.column('id', sa.Integer()),
        sa.column('kind', sa.String()),
        sa.column('created_at', sa.DateTime()),
        sa.column('entered_on', sa.Date()),
    )
    rows = connection.execute(sa.select(document.c.id, document.c.created_at).where(document.c.kind == 'reply'))
    entered = []
    for row_id, created in rows:
        if isinstance(created, str):  # SQLite hands back the stored text
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        entered.append({'row_id': row_id, 'entered_on': created.astimezone(_VN).date()})
    if entered:
        connection.execute(
            document.update().where(document.c.id == sa.bindparam('row_id')).values(entered_on=sa.bindparam('entered_on')),
            entered,
        )


def downgrade() -> None:
    op.drop_column('document', 'backdate_reason')
    op.drop_column('document', 'entered_on')
