"""Đơn vị — the org tree for the admin (Quản trị): the tree with its codes, add a unit, rename,
move a phòng, deactivate or reactivate a unit with its phòng, merge units (sáp nhập) into a
successor, and a unit's history. Every rule is in ``services.admin.units``; this page reads the
forms, calls it and draws what it answers (every text as text, never as markdown)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import Permission, UnitKind
from services.admin.units import (
    KIND_LABELS,
    UnitNode,
    add_unit,
    merge_units,
    move_unit,
    rename_unit,
    set_unit_active,
    unit_changes,
    unit_tree,
)
from services.infra.clock import fmt_datetime
from services.infra.errors import ServiceError
from services.org.units import LEAD_KINDS
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, date_field, required, required_note, run
from ui.pickers import matches_first, unit_search
from ui.runtime import config, db, require_actor, runtime, today

MESSAGE_KEY = "admin_units_message"
UNIT_KEY = "admin_units_unit"
NONE = ""
NEW_KINDS = [UnitKind.DEPARTMENT, UnitKind.DISTRICT, UnitKind.SUBUNIT]

actor = require_actor()
cfg = config()
st.title("Đơn vị")
if not actor.can(Permission.ADMIN):
    st.error("Chỉ quản trị hệ thống quản lý được cơ cấu đơn vị.")
    st.stop()
st.caption(
    "Cơ cấu tổ chức của tỉnh: thêm đơn vị, đổi tên, chuyển phòng sang đơn vị cha khác, ngừng hoặc cho hoạt động "
    "lại, sáp nhập đơn vị. Không xóa đơn vị nào: nhiệm vụ, nhật ký và số liệu cũ vẫn ghi tên đơn vị. Mọi thay "
    "đổi có hiệu lực ngay và được ghi vào nhật ký quản trị."
)
if message := st.session_state.pop(MESSAGE_KEY, None):
    st.success(md_escape(message))

try:
    with db() as session:
        tree = unit_tree(session=session, actor=actor)
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()
by_code = {n.code: n for n in tree}


def _label(code: str) -> str:
    node = by_code.get(code)
    if node is None:
        return code
    closed = " — ngừng hoạt động" if not node.active else ""
    return f"{node.short_name} ({node.code}){closed}"


def _done(text: str) -> None:
    st.session_state[MESSAGE_KEY] = text
    st.rerun()


# --- the tree ------------------------------------------------------------------------------------
st.subheader("Cơ cấu tổ chức")
show_closed = st.toggle("Hiện cả đơn vị đã ngừng hoạt động", value=True, key="admin_units_show_closed")
shown = [n for n in tree if show_closed or n.active]
st.caption(
    f"{sum(1 for n in tree if n.active)} đơn vị đang hoạt động, {sum(1 for n in tree if not n.active)} đã ngừng "
    "hoạt động. Phòng, đơn vị trực thuộc được thụt vào dưới đơn vị cha."
)
st.dataframe(
    pd.DataFrame(
        {
            "Đơn vị": [("\u2003\u2003└ " if n.depth else "") + n.name for n in shown],
            "Tên viết tắt": [n.short_name for n in shown],
            "Mã định danh": [n.code for n in shown],
            "Loại": [KIND_LABELS[n.kind] for n in shown],
            "Đơn vị cha": [by_code[n.parent_code].short_name if n.parent_code in by_code else "" for n in shown],
            "Trạng thái": ["Đang hoạt động" if n.active else "Ngừng hoạt động" for n in shown],
            "Đang xử lý": [n.open_tasks for n in shown],
            "Người dùng": [n.users for n in shown],
        }
    ),
    hide_index=True,
    width="stretch",
    height=min(38 + 35 * len(shown), 420),
    column_config={  # widths that fit the whole tree in an office screen's width
        "Đơn vị": st.column_config.TextColumn(width=230),
        "Tên viết tắt": st.column_config.TextColumn(width=145),
        "Mã định danh": st.column_config.TextColumn(width=105),
        "Loại": st.column_config.TextColumn(width=120),
        "Đơn vị cha": st.column_config.TextColumn(width=100),
        "Trạng thái": st.column_config.TextColumn(width=115),
        "Đang xử lý": st.column_config.NumberColumn(width=80, help="Nhiệm vụ đơn vị đang chủ trì, chưa hoàn thành"),
        "Người dùng": st.column_config.NumberColumn(width=85),
    },
)

parents = [n.code for n in tree if n.kind in LEAD_KINDS and n.active]
leads_open = [n.code for n in tree if n.kind in LEAD_KINDS and n.active]
texts = {n.code: f"{n.name} {n.short_name} {n.code}" for n in tree}
labels = {n.code: n.short_name for n in tree}

# keyed: the tab chosen stays chosen when a pick inside it reruns the page
add_tab, one_tab, merge_tab = st.tabs(
    ["Thêm đơn vị", "Sửa một đơn vị", "Sáp nhập đơn vị"], key="admin_units_tab", on_change="rerun"
)

# --- add -----------------------------------------------------------------------------------------
with add_tab:
    rnd = FormRound("admin_units_add")
    errors = FormErrors()
    with st.form("admin_units_add_form"):
        required_note()
        st.caption(
            "Mã định danh theo QĐ 20/2020/QĐ-TTg: tối đa 35 ký tự, chỉ gồm chữ số, chữ in hoa A–Z và dấu chấm "
            "(ví dụ 000.00.20.H21). Mã không đổi được sau khi thêm."
        )
        c1, c2 = st.columns(2)
        code = c1.text_input(required("Mã định danh"), key=rnd.key("admin_units_add_code"), max_chars=35)
        errors.slot("code", "Mã định danh", c1)
        kind = c2.selectbox(
            required("Loại đơn vị"),
            options=[k.value for k in NEW_KINDS],
            format_func=lambda v: KIND_LABELS[UnitKind(v)],
            key=rnd.key("admin_units_add_kind"),
        )
        errors.slot("kind", "Loại đơn vị", c2)
        name = st.text_input(required("Tên đơn vị"), key=rnd.key("admin_units_add_name"), max_chars=255)
        errors.slot("name", "Tên đơn vị")
        c3, c4 = st.columns(2)
        short_name = c3.text_input(
            required("Tên viết tắt"),
            key=rnd.key("admin_units_add_short"),
            max_chars=120,
            help="Tên hiện trong bảng thống kê và danh sách.",
        )
        errors.slot("short_name", "Tên viết tắt", c3)
        parent = c4.selectbox(
            "Đơn vị cha (chỉ cho phòng, đơn vị trực thuộc)",
            options=[NONE, *parents],
            format_func=lambda c: _label(c) if c else "— Không có —",
            key=rnd.key("admin_units_add_parent"),
        )
        errors.slot("parent", "Đơn vị cha", c4)
        add = st.form_submit_button("Thêm đơn vị", type="primary")
        errors.summary_here()
    if add:
        added = run(
            errors,
            TypedInput(),
            lambda session: add_unit(
                session=session,
                actor=actor,
                code=code,
                name=name,
                short_name=short_name,
                kind=kind,
                parent_code=parent or None,
            ).code,
        )
        if added is not None:
            rnd.next()
            _done(f"Đã thêm đơn vị “{short_name.strip()}” (mã {added}).")


# --- one unit: rename, move, deactivate, history -------------------------------------------------
def _one(node: UnitNode) -> None:
    """The chosen unit's forms; their widget keys carry its code, so each opens with its values."""
    k = f"admin_units_{node.code}"
    left, right = st.columns(2)
    errors = FormErrors()
    with left.form(f"{k}_rename"):
        st.markdown("**Đổi tên**")
        required_note()
        new_name = st.text_input(required("Tên đơn vị"), value=node.name, key=f"{k}_name", max_chars=255)
        errors.slot("name", "Tên đơn vị")
        new_short = st.text_input(
            required("Tên viết tắt"), value=node.short_name, key=f"{k}_short", max_chars=120
        )
        errors.slot("short_name", "Tên viết tắt")
        rename = st.form_submit_button("Lưu tên mới", type="primary")
        errors.summary_here()
    if rename:
        renamed = run(
            errors,
            TypedInput(),
            lambda session: rename_unit(
                session=session, actor=actor, code=node.code, name=new_name, short_name=new_short
            ).code,
        )
        if renamed is not None:
            _done(f"Đã đổi tên đơn vị mã {renamed}.")

    if node.kind is UnitKind.SUBUNIT:
        move_errors = FormErrors()
        with right.form(f"{k}_move"):
            st.markdown("**Chuyển sang đơn vị cha khác**")
            options = [c for c in parents if c != node.parent_code]
            target = st.selectbox(
                required("Đơn vị cha mới"),
                options=[NONE, *options],
                format_func=lambda c: _label(c) if c else "— Chọn đơn vị —",
                key=f"{k}_parent",
            )
            move_errors.slot("parent", "Đơn vị cha mới")
            st.caption("Nhiệm vụ, người dùng và nhật ký của phòng đi theo phòng.")
            move = st.form_submit_button("Chuyển đơn vị")
            move_errors.summary_here()
        if move:
            moved = run(
                move_errors,
                TypedInput(),
                lambda session: move_unit(session=session, actor=actor, code=node.code, parent_code=target).code,
            )
            if moved is not None:
                _done(f"Đã chuyển “{node.short_name}” sang {labels.get(target, target)}.")
    state_errors = FormErrors()
    with (right if node.kind is not UnitKind.SUBUNIT else left).form(f"{k}_active"):
        if node.active:
            st.markdown("**Ngừng hoạt động**")
            st.caption(
                "Đơn vị và các phòng trực thuộc không nhận nhiệm vụ mới, không còn trong danh sách chọn; nhiệm vụ, "
                "số liệu và nhật ký cũ vẫn giữ. Muốn chuyển nhiệm vụ đang xử lý cho đơn vị khác: dùng “Sáp nhập "
                "đơn vị”."
            )
        else:
            st.markdown("**Cho hoạt động lại**")
            st.caption("Đơn vị và các phòng trực thuộc hoạt động lại, nhận được nhiệm vụ mới.")
        toggle = st.form_submit_button("Ngừng hoạt động" if node.active else "Cho hoạt động lại")
        state_errors.summary_here()
    if toggle:
        changed = run(
            state_errors,
            TypedInput(),
            lambda session: set_unit_active(
                session=session, actor=actor, code=node.code, active=not node.active, config_dir=runtime().seed_dir
            ),
        )
        if changed is not None:
            what = "ngừng hoạt động" if node.active else "hoạt động lại"
            _done(f"Đã cho {len(changed)} đơn vị {what}: {', '.join(changed)}.")

    st.markdown("**Lịch sử thay đổi**")
    with db() as session:
        history = unit_changes(session=session, actor=actor, code=node.code)
    if not history:
        st.caption("Chưa có thay đổi nào qua trang này (đơn vị có từ tệp cấu hình ban đầu).")
    for h in history:
        with st.container(border=True):
            st.markdown(md_escape(f"{fmt_datetime(h.at)} · {h.who} · {h.action}"))
            if h.change:
                st.caption(md_escape(h.change))
            if h.detail:
                st.caption(md_escape(f"Ghi chú: {h.detail}"))

with one_tab:
    codes = [n.code for n in tree]
    found = unit_search("admin_units_search", texts, labels, picker=UNIT_KEY, serves="danh sách “Đơn vị”")
    chosen = st.selectbox(
        "Đơn vị", options=matches_first(codes, found), format_func=_label, key=UNIT_KEY, index=None,
        placeholder="Chọn đơn vị cần sửa",
    )
    if chosen in by_code:
        node = by_code[chosen]
        st.caption(
            f"{KIND_LABELS[node.kind]} · mã {node.code} · {node.open_tasks} nhiệm vụ đang xử lý · "
            f"{node.users} người dùng"
        )
        _one(node)

# --- merge ---------------------------------------------------------------------------------------
with merge_tab:
    st.caption(
        "Sáp nhập (như cải cách năm 2025): các đơn vị được chọn ngừng hoạt động từ ngày sáp nhập. Nhiệm vụ chưa "
        "hoàn thành của chúng chuyển cho đơn vị kế thừa, giữ nguyên hạn xử lý và quá trình xử lý (mỗi nhiệm vụ "
        "có một dòng nhật ký); phòng trực thuộc và người dùng của chúng chuyển sang đơn vị kế thừa. Báo cáo của "
        "các kỳ trước ngày sáp nhập vẫn y như cũ: mỗi ngày của nhiệm vụ được tính cho đơn vị chủ trì ngày đó."
    )
    merge_found = unit_search("admin_units_merge_search", texts, labels, serves="danh sách đơn vị bên dưới")
    mrnd = FormRound("admin_units_merge")
    merge_errors = FormErrors()
    with st.form("admin_units_merge_form"):
        required_note()
        merged = st.multiselect(
            required("Đơn vị bị sáp nhập"),
            options=matches_first(leads_open, merge_found),
            format_func=_label,
            key=mrnd.key("admin_units_merge_units"),
            placeholder="Chọn một hoặc nhiều đơn vị",
        )
        merge_errors.slot("merged", "Đơn vị bị sáp nhập")
        merge_day = date_field(
            "Ngày sáp nhập", key=mrnd.key("admin_units_merge_date"), config=cfg, needed=True, initial=today(),
            hint="Ngày đơn vị kế thừa bắt đầu chịu trách nhiệm; không sau hôm nay.",
        )
        merge_errors.slot("merge_date", "Ngày sáp nhập")
        how = st.radio(
            required("Đơn vị kế thừa"),
            options=["existing", "new"],
            format_func=lambda v: "Đơn vị đang có" if v == "existing" else "Đơn vị mới (nhập bên dưới)",
            horizontal=True,
            key=mrnd.key("admin_units_merge_how"),
        )
        successor = st.selectbox(
            "Đơn vị kế thừa đang có",
            options=[NONE, *matches_first(leads_open, merge_found)],
            format_func=lambda c: _label(c) if c else "— Chọn đơn vị —",
            key=mrnd.key("admin_units_merge_successor"),
        )
        merge_errors.slot("successor", "Đơn vị kế thừa")
        st.markdown("Đơn vị kế thừa mới:")
        m1, m2 = st.columns(2)
        new_code = m1.text_input("Mã định danh mới", key=mrnd.key("admin_units_merge_code"), max_chars=35)
        new_kind = m2.selectbox(
            "Loại đơn vị mới",
            options=[UnitKind.DEPARTMENT.value, UnitKind.DISTRICT.value],
            format_func=lambda v: KIND_LABELS[UnitKind(v)],
            key=mrnd.key("admin_units_merge_kind"),
        )
        merge_errors.slot("kind", "Loại đơn vị mới", m2)
        new_name = st.text_input("Tên đơn vị mới", key=mrnd.key("admin_units_merge_name"), max_chars=255)
        merge_errors.slot("name", "Tên đơn vị mới")
        new_short = st.text_input("Tên viết tắt mới", key=mrnd.key("admin_units_merge_short"), max_chars=120)
        merge_errors.slot("short_name", "Tên viết tắt mới")
        go = st.form_submit_button("Sáp nhập", type="primary")
        merge_errors.summary_here()
    if go:
        typed = TypedInput()
        on = typed.day(merge_day, label="Ngày sáp nhập", field="merge_date", needed=True)
        creating = how == "new"
        result = run(
            merge_errors,
            typed,
            lambda session: merge_units(
                session=session,
                actor=actor,
                merged=merged,
                merge_date=on or today(),
                successor_code=new_code if creating else successor,
                new_name=new_name if creating else None,
                new_short_name=new_short if creating else None,
                new_kind=new_kind if creating else None,
                config_dir=runtime().seed_dir,
            ),
        )
        if result is not None:
            mrnd.next()
            _done(
                f"Đã sáp nhập {', '.join(result.merged)} vào {result.successor}: chuyển {len(result.moved_tasks)} "
                f"nhiệm vụ đang xử lý, {len(result.moved_users)} người dùng, {len(result.moved_subunits)} phòng."
                + (f" Đơn vị kế thừa dùng quy trình riêng: {', '.join(result.variants)}." if result.variants else "")
                + (
                    f" Quy trình riêng không chuyển được ({', '.join(result.variants_left)}): chọn quy trình cho "
                    "đơn vị kế thừa ở trang Quy trình xử lý."
                    if result.variants_left
                    else ""
                )
            )
