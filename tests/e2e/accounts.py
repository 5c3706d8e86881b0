"""The two people of the end-to-end test (created with ``manage.py create-user``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: str
    unit: str
    password: str


TRACKER = Account("vp.theodoi", "Nguyễn Thị Theo Dõi", "tracker", "000.00.01.H21", "Theo-doi-2026!")
CLERK = Account("stc.vanthu", "Trần Văn Thư", "clerk", "000.00.05.H21", "Van-thu-2026!")
