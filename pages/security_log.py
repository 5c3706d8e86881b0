"""Nhật ký đăng nhập — the security audit log (admins): logins, failures, refusals, lockouts,
logouts and ended sessions, filtered by account, kind and days kept in the URL; and "Kết thúc mọi
phiên đăng nhập" of an account. The services check the admin permission again."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from models import AuthEventKind
from services.access.audit import KIND_LABELS, list_events
from services.access.auth import normalise_username
from services.access.sessions import SessionLimits, accounts_with_sessions, end_sessions_by_admin
from services.infra.clock import fmt_datetime
from services.infra.errors import ServiceError
from ui.format import md_escape
from ui.runtime import config, db, require_actor, today
from ui.url_state import init_from_url, parse_url_date, write_to_url

MESSAGE_KEY = "security_log_message"
ALL_KINDS = ""

actor = require_actor()
st.title("Nhật ký đăng nhập")
st.caption(
    "Mọi lần đăng nhập, đăng nhập sai, bị từ chối vì nhập sai nhiều lần hoặc đang tạm khóa, đăng xuất "
    "và phiên kết thúc, kèm địa chỉ IP. Nhật ký chỉ được ghi thêm, không sửa hay xóa được."
)
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(message)

now = today()
init_from_url("security_log_user", "user", "", str)
init_from_url("security_log_kind", "kind", ALL_KINDS, lambda raw: AuthEventKind(raw).value if raw else ALL_KINDS)
init_from_url("security_log_from", "from", now - timedelta(days=7), parse_url_date)
init_from_url("security_log_to", "to", now, parse_url_date)
with st.form("security_log_filters"):
    c1, c2, c3, c4 = st.columns([1.2, 1.2, 1, 1])
    c1.text_input("Tên đăng nhập", key="security_log_user", placeholder="Tất cả")
    c2.selectbox(
        "Sự kiện",
        options=[ALL_KINDS, *(k.value for k in AuthEventKind)],
        format_func=lambda value: KIND_LABELS[AuthEventKind(value)] if value else "Tất cả",
        key="security_log_kind",
    )
    c3.date_input("Từ ngày", format="DD/MM/YYYY", key="security_log_from")
    c4.date_input("Đến ngày", format="DD/MM/YYYY", key="security_log_to")
    st.form_submit_button("Lọc", type="primary")
username: str = normalise_username(st.session_state.security_log_user)  # a NUL from the URL: removed
kind_value: str = st.session_state.security_log_kind
date_from: date = st.session_state.security_log_from
date_to: date = st.session_state.security_log_to
write_to_url("security_log_user", "user", username)
write_to_url("security_log_kind", "kind", kind_value)
write_to_url("security_log_from", "from", date_from.isoformat())
write_to_url("security_log_to", "to", date_to.isoformat())

if date_from > date_to:
    st.error("“Từ ngày” phải trước hoặc bằng “Đến ngày”.")
    st.stop()
try:
    with db() as session:
        events = list_events(
            session=session,
            actor=actor,
            username=username,
            kind=AuthEventKind(kind_value) if kind_value else None,
            date_from=date_from,
            date_to=date_to,
        )
        accounts = accounts_with_sessions(session=session, actor=actor, limits=SessionLimits.of(config().app.login))
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()

if not events:
    st.info("Không có sự kiện nào khớp bộ lọc.")
else:
    st.caption(f"{len(events)} sự kiện, mới nhất trước.")
    st.dataframe(
        pd.DataFrame(
            {
                "Thời điểm": [fmt_datetime(e.at) for e in events],
                "Sự kiện": [e.label for e in events],
                "Tên đăng nhập": [e.username for e in events],
                "Họ tên": [e.full_name for e in events],
                "Địa chỉ IP": [e.ip for e in events],
                "Chi tiết": [e.detail for e in events],
                "Người thực hiện": [e.by_username for e in events],
            }
        ),
        hide_index=True,
        column_config={"Chi tiết": st.column_config.TextColumn(width="large")},
    )

st.subheader("Kết thúc mọi phiên đăng nhập")
st.caption(
    "Mọi phiên đang mở của tài khoản kết thúc ngay: trình duyệt nào đang dùng tài khoản (kể cả bản sao cookie) "
    "phải đăng nhập lại. Dùng khi nghi tài khoản bị lộ, hoặc khi người dùng quên đăng xuất ở máy dùng chung."
)
labels = {
    a.user_id: f"{a.full_name} ({a.username}) — {a.open_sessions} phiên đang mở"
    + ("" if a.active else " — đã ngừng hoạt động")
    for a in accounts
}
with st.form("end_sessions"):
    chosen = st.selectbox("Tài khoản", options=list(labels), format_func=lambda uid: labels.get(uid, str(uid)))
    submitted = st.form_submit_button("Kết thúc mọi phiên đăng nhập", type="primary")
if submitted and chosen is not None:
    try:
        with db() as session:
            address = st.context.ip_address  # None when unknown (and not a str under AppTest)
            count = end_sessions_by_admin(
                session=session, actor=actor, user_id=int(chosen), ip=address if isinstance(address, str) else ""
            )
    except ServiceError as exc:
        st.error(md_escape(exc.message))
    else:
        name = next((a.username for a in accounts if a.user_id == chosen), str(chosen))
        st.session_state[MESSAGE_KEY] = f"Đã kết thúc {count} phiên đăng nhập của tài khoản {md_escape(name)}."
        st.rerun()
