"""The people of the end-to-end tests.

``TRACKER`` and ``CLERK`` are in every module, the others where a module asks for them
(``E2E_ACCOUNTS``); all are created through ``services.access.accounts`` (``tests/e2e/conftest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: str
    unit: str
    password: str


OFFICE = "000.00.01.H21"  # VP UBND tỉnh
FINANCE = "000.00.05.H21"  # Sở Tài chính
ICT = "000.00.11.H21"  # Sở TT&TT: sub-units P. CNTT, TT CNTT-TT
ICT_IT = "000.01.11.H21"  # P. CNTT (Sở TT&TT)
ICT_CENTRE = "000.02.11.H21"  # TT CNTT-TT (Sở TT&TT)
PLEIKU = "000.00.31.H21"  # UBND TP Pleiku: sub-units P. TC-KH, P. TN&MT
PLEIKU_FIN = "000.01.31.H21"  # P. TC-KH (TP Pleiku)
PLEIKU_ENV = "000.02.31.H21"  # P. TN&MT (TP Pleiku)

TRACKER = Account("vp.theodoi", "Nguyễn Thị Theo Dõi", "tracker", OFFICE, "Theo-doi-2026!")
CLERK = Account("stc.vanthu", "Trần Văn Thư", "clerk", FINANCE, "Van-thu-2026!")


def _acc(username: str, name: str, role: str, unit: str) -> Account:
    return Account(username, name, role, unit, f"Mk2026!-{username.replace('.', '-')}")  # not the username


STC_LEADER = _acc("stc.lanhdao", "Phạm Quốc Bảo", "leader", FINANCE)
STC_SPECIALIST = _acc("stc.chuyenvien", "Võ Thị Lan", "specialist", FINANCE)

# Sở TT&TT and its two sub-units (Trường hợp 1)
ICT_CLERK = _acc("stttt.vanthu", "Lê Thị Hồng Nhung", "clerk", ICT)
ICT_LEADER = _acc("stttt.giamdoc", "Nguyễn Hữu Phước", "leader", ICT)
ICT_TRACKING = _acc("stttt.theodoi", "Đoàn Minh Khoa", "tracker", ICT)  # chuyên viên phụ trách theo dõi
IT_CLERK = _acc("cntt.vanthu", "Rơ Mah Hlen", "clerk", ICT_IT)
IT_LEADER = _acc("cntt.truongphong", "Trịnh Văn Đức", "leader", ICT_IT)
IT_SPECIALIST = _acc("cntt.chuyenvien", "Phan Thảo Vy", "specialist", ICT_IT)
CENTRE_CLERK = _acc("ttcntt.vanthu", "Ksor H'Bia", "clerk", ICT_CENTRE)
CENTRE_LEADER = _acc("ttcntt.giamdoc", "Hoàng Anh Tuấn", "leader", ICT_CENTRE)
CENTRE_SPECIALIST = _acc("ttcntt.chuyenvien", "Lý Gia Huy", "specialist", ICT_CENTRE)

# UBND TP Pleiku and two of its phòng (Trường hợp 2)
PLEIKU_CLERK = _acc("pleiku.vanthu", "Siu H'Nga", "clerk", PLEIKU)
PLEIKU_LEADER = _acc("pleiku.lanhdao", "Rơ Châm Hyơ", "leader", PLEIKU)
FIN_LEADER = _acc("tckh.truongphong", "Đặng Văn Tú", "leader", PLEIKU_FIN)
FIN_SPECIALIST = _acc("tckh.chuyenvien", "Nay Blúp", "specialist", PLEIKU_FIN)
ENV_LEADER = _acc("tnmt.truongphong", "Bùi Thị Mai", "leader", PLEIKU_ENV)
ENV_SPECIALIST = _acc("tnmt.chuyenvien", "Kpă Thu", "specialist", PLEIKU_ENV)

CLI_ACCOUNTS = (TRACKER, CLERK)
SERVICE_ACCOUNTS = (
    STC_LEADER,
    STC_SPECIALIST,
    ICT_CLERK,
    ICT_LEADER,
    ICT_TRACKING,
    IT_CLERK,
    IT_LEADER,
    IT_SPECIALIST,
    CENTRE_CLERK,
    CENTRE_LEADER,
    CENTRE_SPECIALIST,
    PLEIKU_CLERK,
    PLEIKU_LEADER,
    FIN_LEADER,
    FIN_SPECIALIST,
    ENV_LEADER,
    ENV_SPECIALIST,
)
