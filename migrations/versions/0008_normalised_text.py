"""normalised text and document code keys (issue 8): document.code_key under the new rule

The uniqueness key of a số/ký hiệu (``services.infra.text.document_code_key``) now also ignores
invisible characters (zero-width space, soft hyphen, direction marks), compatibility forms
(full-width ``／``) and look-alike dashes, slashes and Cyrillic/Greek letters. Keys of plain codes
are unchanged; a key that changes is rewritten here. Two documents already saved whose codes
are the same under the new rule (``125/UBND-KT`` and ``125/UBND`` U+200B ``-KT``, which the old rule
let through) both stay: the first keeps the key, each later one gets ``<key>#<id>``, so the
unique index holds and nothing is lost; a new document with that code is refused as a duplicate.

The rule is copied here, not imported: a migration must keep doing what it did when it was
written, whatever the app's code becomes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 06:10:00
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KEY_LENGTH = 100  # document.code_key VARCHAR(100)

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")
_LOOK_ALIKES = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63", "-"),
        **dict.fromkeys("\u2215\u2044\u29f8", "/"),
        **dict(
            zip(
                "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0406\u0408\u0405",
                "ABEKMHOPCTYXIJS",
                strict=True,
            )
        ),
        **dict(zip("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455", "aeopcyxijs", strict=True)),
        **dict(
            zip(
                "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf",
                "ABEZHIKMNOPTYXo",
                strict=True,
            )
        ),
    }
)


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _FILLERS


def new_key(code: str) -> str:
    """document_code_key as of this revision."""
    visible = "".join(ch for ch in code if not _invisible(ch))
    text = unicodedata.normalize("NFKC", visible).translate(_LOOK_ALIKES)
    text = unicodedata.normalize("NFKC", text.casefold()).upper()
    return "".join(ch for ch in text if not ch.isspace() and not _invisible(ch))


def old_key(code: str) -> str:
    """document_code_key before this revision."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", code)).upper()


def _rekey(rule: Callable[[str], str]) -> None:
    document = sa.table(
        "document",
        sa.column("id", sa.Integer),
        sa.column("issuer", sa.String),
        sa.column("issue_year", sa.Integer),
        sa.column("code", sa.String),
        sa.column("code_key", sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(document.c.id, document.c.issuer, document.c.issue_year, document.c.code, document.c.code_key)
        .order_by(document.c.id)
    ).all()
    taken: set[tuple[str, int, str]] = set()
    changed: list[tuple[int, str]] = []
    for row_id, issuer, year, code, current in rows:
        key = rule(code)[:KEY_LENGTH]
        if (issuer, year, key) in taken:  # the same code as an earlier document under this rule
            suffix = f"#{row_id}"
            key = key[: KEY_LENGTH - len(suffix)] + suffix
        taken.add((issuer, year, key))
        if key != current:
            changed.append((row_id, key))
    if not changed:
        return
    update = (
        sa.update(document)
        .where(document.c.id == sa.bindparam("row_id"))
        .values(code_key=sa.bindparam("new_key"))
    )
    # Two passes: a key moving to a value another row still holds would break the unique index
    # for a moment (PostgreSQL checks it at each row), so every changed row first gets a key no
    # code can have, then its own.
    bind.execute(update, [{"row_id": row_id, "new_key": f"\x01{row_id}"} for row_id, _ in changed])
    bind.execute(update, [{"row_id": row_id, "new_key": key} for row_id, key in changed])


def upgrade() -> None:
    _rekey(new_key)


def downgrade() -> None:
    _rekey(old_key)
