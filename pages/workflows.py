"""Quy trình xử lý — the diagrams drawn from the same data the engine runs, and the forms that
change them (admin): step labels, who fires each transition (a role × transition matrix), a
unit's own variant with an added step, and the removal of states and transitions, both previewed
before they are saved. Every save is a new
configuration version (``services.admin.workflow_admin``); a task already in a flow finishes on
the version it started on. The service checks the admin permission and every rule again."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from models import ConfigVersion
from services.admin import workflow_admin
from services.admin.workflow_admin import STEP_ROLES, AddedStep, Removal
from services.config.workflows import ActorUnit, FlowKind, TransitionDef, WorkflowDef
from services.infra.errors import ServiceError
from services.org.units import lead_units
from services.workflow.diagram import workflow_diagrams
from ui.format import md_escape
from ui.forms import FormErrors, FormRound, TypedInput, run
from ui.runtime import config, db, require_actor, runtime

MESSAGE_KEY = "admin_workflows_message"
PREVIEW_KEY = "admin_workflows_preview"
REMOVAL_PREVIEW_KEY = "admin_workflows_removal_preview"

actor = require_actor()
st.title("Quy trình xử lý trong đơn vị")
cfg = config()
try:
    with db() as session:
        diagrams = workflow_diagrams(session=session, actor=actor, config=cfg)
except ServiceError as exc:
    st.error(md_escape(exc.message))
    st.stop()

rt = runtime()
version = rt.config_version
seed_dir = rt.seed_dir
workflows = cfg.workflows.workflows
st.caption(
    "Điều 5.1.e Quy chế 161/QĐ-STTTT. Sơ đồ được vẽ từ cấu hình quy trình đang dùng "
    + (f"(phiên bản {version})" if version else "(bản gốc config/workflows.yaml)")
    + ", chính dữ liệu mà phần mềm dùng để kiểm tra từng bước. Mỗi lần lưu tạo một phiên bản cấu hình mới; "
    "nhiệm vụ đang xử lý vẫn đi hết theo phiên bản lúc bắt đầu, nhiệm vụ mới theo phiên bản mới."
)
banner = st.empty()
if message := st.session_state.pop(MESSAGE_KEY, None):
    banner.success(md_escape(message))

rounds = FormRound("admin_workflows")  # a save redraws every form from the new version
k = rounds.key


def _saved(row: ConfigVersion | None) -> None:
    if row is None:
        return
    st.session_state[MESSAGE_KEY] = f"Đã lưu phiên bản cấu hình {row.id}."
    st.session_state.pop(PREVIEW_KEY, None)
    st.session_state.pop(REMOVAL_PREVIEW_KEY, None)
    rounds.next()
    st.rerun()


def _workflow_name(key: str) -> str:
    return f"{workflows[key].label} ({key})"


def _step_name(wf: WorkflowDef, key: str, tr: TransitionDef) -> str:
    sources = ", ".join(wf.states[s].label for s in tr.from_states)
    return f"B{tr.step} · {tr.label} ({key}): {sources} → {wf.states[tr.to].label}"


def _note(name: str) -> str:
    return st.text_input("Ghi chú thay đổi (không bắt buộc)", key=k(f"{name}_note"), max_chars=300)


diagram_tab, labels_tab, matrix_tab, variant_tab, removal_tab = st.tabs(
    ["Sơ đồ", "Nhãn bước", "Phân quyền chuyển bước", "Quy trình riêng của đơn vị", "Bỏ trạng thái, bước chuyển"],
    key="admin_workflows_tab",
    on_change="rerun",
)

with diagram_tab:
    for number, diagram in enumerate(diagrams):
        with st.expander(f"{diagram.label} ({diagram.key})", expanded=number == 0):
            if diagram.owners:
                st.caption(
                    "Quy trình riêng của: "
                    + ", ".join(diagram.owners)
                    + (f"; thay cho: {', '.join(diagram.replaces)}" if diagram.replaces else "")
                )
            st.graphviz_chart(diagram.dot)

with labels_tab:
    chosen = st.selectbox("Quy trình", list(workflows), format_func=_workflow_name, key="labels_workflow")
    wf = workflows[chosen]
    with st.form(k(f"labels_form_{chosen}"), enter_to_submit=False):
        form, typed = FormErrors(), TypedInput()
        name = st.text_input("Tên quy trình", value=wf.label, key=k(f"label_{chosen}"), max_chars=200)
        st.subheader("Trạng thái (bước đang chờ)")
        states = {
            key: st.text_input(
                f"Trạng thái {key}" + (" (kết thúc)" if state.final else ""),
                value=state.label,
                key=k(f"state_{chosen}_{key}"),
                max_chars=200,
            )
            for key, state in wf.states.items()
        }
        st.subheader("Bước chuyển (nút bấm)")
        transitions = {
            key: st.text_input(
                f"B{tr.step} · {key}", value=tr.label, key=k(f"transition_{chosen}_{key}"), max_chars=200
            )
            for key, tr in wf.transitions.items()
        }
        form.slot("labels", "Nhãn")
        note = _note(f"labels_{chosen}")
        form.slot("config", "Quy trình")
        form.summary_here()
        if st.form_submit_button("Lưu nhãn bước", type="primary"):

            def save_labels(session: Session) -> ConfigVersion:
                return workflow_admin.save_labels(
                    session=session,
                    actor=actor,
                    workflow=chosen,
                    states=states,
                    transitions=transitions,
                    label=name,
                    based_on=version,
                    config_dir=seed_dir,
                    note=note,
                )

            _saved(run(form, typed, save_labels))

with matrix_tab:
    chosen = st.selectbox("Quy trình", list(workflows), format_func=_workflow_name, key="matrix_workflow")
    wf = workflows[chosen]
    st.markdown(  # not a caption: the diagrams' captions come last on the page
        "Mỗi dòng là một bước chuyển, mỗi cột một vai trò: đánh dấu vai trò được bấm bước đó. "
        "Người bấm thuộc đơn vị đang giữ luồng, trừ bước ghi “đơn vị cha”; bước ghi “được giao” chỉ dành cho "
        "chuyên viên được lãnh đạo chuyển xử lý."
    )
    widths = [4.0, *([1.0] * len(STEP_ROLES))]
    with st.form(k(f"matrix_form_{chosen}"), enter_to_submit=False):
        form, typed = FormErrors(), TypedInput()
        head = st.columns(widths, vertical_alignment="bottom")
        head[0].markdown("**Bước chuyển**")
        for column, role in zip(head[1:], STEP_ROLES, strict=True):
            column.markdown(f"**{md_escape(cfg.role_label(role))}**")
        matrix: dict[str, list[str]] = {}
        for key, tr in wf.transitions.items():
            row = st.columns(widths, vertical_alignment="center")
            marks = ["đơn vị cha"] if tr.actor_unit is ActorUnit.PARENT else []
            marks += ["được giao"] if tr.assignee else []
            if tr.only_as_effect:
                marks.append("chỉ cùng bước của đơn vị cha")
            row[0].markdown(
                md_escape(_step_name(wf, key, tr)) + (f"  \n*{md_escape(', '.join(marks))}*" if marks else "")
            )
            matrix[key] = [
                role.value
                for column, role in zip(row[1:], STEP_ROLES, strict=True)
                if column.checkbox(
                    f"{tr.label} ({key}) — {cfg.role_label(role)}",
                    value=role in tr.roles,
                    key=k(f"matrix_{chosen}_{key}_{role.value}"),
                    label_visibility="collapsed",
                )
            ]
        form.slot("matrix", "Phân quyền")
        note = _note(f"matrix_{chosen}")
        form.slot("config", "Quy trình")
        form.summary_here()
        if st.form_submit_button("Lưu phân quyền", type="primary"):

            def save_roles(session: Session) -> ConfigVersion:
                return workflow_admin.save_roles(
                    session=session,
                    actor=actor,
                    workflow=chosen,
                    matrix=matrix,
                    based_on=version,
                    config_dir=seed_dir,
                    note=note,
                )

            _saved(run(form, typed, save_roles))

with variant_tab:
    st.markdown(
        "Một đơn vị thêm bước của riêng mình (ví dụ “thẩm định pháp chế” giữa dự thảo và duyệt): chọn quy trình "
        "gốc và bước chuyển mà sau đó chèn bước mới; bước đó nay dẫn đến trạng thái mới, và bước mới dẫn tiếp "
        "đến nơi bước cũ từng dẫn. Quy trình riêng thay quy trình gốc cho các đơn vị đã chọn. Chọn chính một "
        "quy trình riêng làm quy trình gốc để thêm bước vào nó."
    )
    mains = [key for key, w in workflows.items() if w.kind is FlowKind.MAIN]
    base_key = st.selectbox("Quy trình gốc", mains, format_func=_workflow_name, key="variant_base")
    base = workflows[base_key]
    own = base.units is not None
    with db() as session:  # the active sở and UBND cấp huyện, those added on Quản trị › Đơn vị too
        units = {u.code: u.short_name for u in lead_units(session=session)}
    with st.form(k(f"variant_form_{base_key}"), enter_to_submit=False):
        form, typed = FormErrors(), TypedInput()
        left, right = st.columns(2)
        variant_key = left.text_input(
            "Mã quy trình riêng *",
            value=base_key if own else f"{base_key}_rieng",
            key=k(f"variant_key_{base_key}"),
            max_chars=64,
            help="Chữ thường không dấu, số, dấu gạch dưới; không trùng quy trình đã có.",
        )
        form.slot("variant.variant", "Mã quy trình riêng", left)
        variant_label = right.text_input(
            "Tên quy trình riêng *", value=base.label if own else "", key=k(f"variant_label_{base_key}"), max_chars=200
        )
        form.slot("variant.variant_label", "Tên quy trình riêng", right)
        chosen_units = st.multiselect(
            "Đơn vị dùng quy trình này" + ("" if own else " *"),
            list(units),
            default=[u for u in base.units or () if u in units],
            format_func=lambda code: units.get(code, code),
            key=k(f"variant_units_{base_key}"),
            disabled=own,
        )
        form.slot("variant.units", "Đơn vị")
        after = st.selectbox(
            "Chèn bước mới sau bước *",
            list(base.transitions),
            format_func=lambda key: _step_name(base, key, base.transitions[key]),
            key=k(f"variant_after_{base_key}"),
        )
        form.slot("variant.after", "Chèn sau bước")
        left, right = st.columns(2)
        state_key = left.text_input(
            "Mã trạng thái mới *", key=k(f"variant_state_{base_key}"), max_chars=64, placeholder="cho_tham_dinh"
        )
        form.slot("variant.state", "Mã trạng thái mới", left)
        state_label = right.text_input(
            "Nhãn trạng thái mới *",
            key=k(f"variant_state_label_{base_key}"),
            max_chars=200,
            placeholder="Chờ pháp chế thẩm định",
        )
        form.slot("variant.state_label", "Nhãn trạng thái mới", right)
        left, right = st.columns(2)
        transition_key = left.text_input(
            "Mã bước mới *", key=k(f"variant_transition_{base_key}"), max_chars=64, placeholder="tham_dinh"
        )
        form.slot("variant.transition", "Mã bước mới", left)
        transition_label = right.text_input(
            "Nhãn bước mới (nút bấm) *",
            key=k(f"variant_tr_label_{base_key}"),
            max_chars=200,
            placeholder="Thẩm định pháp chế dự thảo",
        )
        form.slot("variant.transition_label", "Nhãn bước mới", right)
        left, right = st.columns([3, 1])
        roles = left.multiselect(
            "Vai trò được bấm bước mới *",
            [r.value for r in STEP_ROLES],
            format_func=lambda value: cfg.roles.roles[next(r for r in STEP_ROLES if r.value == value)].label,
            key=k(f"variant_roles_{base_key}"),
        )
        form.slot("variant.roles", "Vai trò", left)
        step = right.number_input(
            "Số bước (theo quy chế)",
            min_value=1,
            max_value=99,
            value=None,
            step=1,
            key=k(f"variant_step_{base_key}"),
            placeholder="như bước đứng trước",
            help="Để trống: cùng số bước với bước chèn sau.",
        )
        note = _note(f"variant_{base_key}")
        form.slot("config", "Quy trình")
        form.summary_here()
        added = AddedStep(
            base=base_key,
            variant=variant_key.strip(),
            variant_label=variant_label,
            units=chosen_units,
            after=after,
            state=state_key.strip(),
            state_label=state_label,
            transition=transition_key.strip(),
            transition_label=transition_label,
            roles=roles,
            step=None if step is None else int(step),
        )
        preview_col, save_col = st.columns(2)
        if preview_col.form_submit_button("Xem trước sơ đồ"):

            def preview(session: Session) -> str:
                return workflow_admin.preview_variant(
                    actor=actor, session=session, config=cfg, added=added, config_dir=seed_dir
                )

            dot = run(form, typed, preview)
            if dot is None:
                st.session_state.pop(PREVIEW_KEY, None)
            else:
                st.session_state[PREVIEW_KEY] = (added, dot)
        if save_col.form_submit_button("Lưu quy trình riêng", type="primary"):

            def save_variant(session: Session) -> ConfigVersion:
                return workflow_admin.save_variant(
                    session=session,
                    actor=actor,
                    config=cfg,
                    added=added,
                    based_on=version,
                    config_dir=seed_dir,
                    note=note,
                )

            _saved(run(form, typed, save_variant))
    shown = st.session_state.get(PREVIEW_KEY)
    if shown is not None and shown[0].base == base_key:
        st.subheader("Xem trước: " + shown[0].variant_label.strip())
        if shown[0] != added:
            st.warning("Biểu mẫu đã đổi sau lần xem trước: bấm “Xem trước sơ đồ” lại để vẽ theo nội dung mới.")
        st.graphviz_chart(shown[1])

with removal_tab:
    st.markdown(
        "Bỏ một bước chuyển, hoặc một trạng thái cùng các bước chuyển đi và đến nó. Trạng thái chỉ có một bước "
        "chuyển đi (A → trạng thái → B) được nối lại: các bước dẫn đến nó nay dẫn thẳng đến B, như trước khi "
        "thêm bước. Không bỏ được trạng thái đầu, trạng thái kết thúc, trạng thái đang có nhiệm vụ theo phiên bản "
        "đang dùng; mọi trạng thái còn lại phải đến được từ trạng thái đầu. Nhiệm vụ đang xử lý vẫn đi hết theo "
        "phiên bản lúc bắt đầu."
    )
    chosen = st.selectbox("Quy trình", list(workflows), format_func=_workflow_name, key="removal_workflow")
    wf = workflows[chosen]
    with st.form(k(f"removal_form_{chosen}"), enter_to_submit=False):
        form, typed = FormErrors(), TypedInput()
        gone_states = st.multiselect(
            "Trạng thái cần bỏ",
            [key for key, state in wf.states.items() if key != wf.initial and not state.final],
            format_func=lambda key: f"{wf.states[key].label} ({key})",
            key=k(f"removal_states_{chosen}"),
            placeholder="Chọn trạng thái",
        )
        form.slot("remove.states", "Trạng thái cần bỏ")
        gone_transitions = st.multiselect(
            "Bước chuyển cần bỏ",
            list(wf.transitions),
            format_func=lambda key: _step_name(wf, key, wf.transitions[key]),
            key=k(f"removal_transitions_{chosen}"),
            placeholder="Chọn bước chuyển",
        )
        form.slot("remove.transitions", "Bước chuyển cần bỏ")
        note = _note(f"removal_{chosen}")
        form.slot("remove", "Bỏ trạng thái, bước chuyển")
        form.slot("config", "Quy trình")
        form.summary_here()
        removal = Removal(workflow=chosen, states=gone_states, transitions=gone_transitions)
        preview_col, save_col = st.columns(2)
        if preview_col.form_submit_button("Xem trước sơ đồ sau khi bỏ"):

            def preview_removal(session: Session) -> str:
                return workflow_admin.preview_removal(
                    actor=actor, session=session, config=cfg, removal=removal, config_dir=seed_dir
                )

            dot = run(form, typed, preview_removal)
            if dot is None:
                st.session_state.pop(REMOVAL_PREVIEW_KEY, None)
            else:
                st.session_state[REMOVAL_PREVIEW_KEY] = (removal, dot)
        if save_col.form_submit_button("Lưu: bỏ trạng thái, bước chuyển đã chọn", type="primary"):

            def save_removal(session: Session) -> ConfigVersion:
                return workflow_admin.save_removal(
                    session=session, actor=actor, removal=removal, based_on=version, config_dir=seed_dir, note=note
                )

            _saved(run(form, typed, save_removal))
    shown = st.session_state.get(REMOVAL_PREVIEW_KEY)
    if shown is not None and shown[0].workflow == chosen:
        st.subheader("Xem trước: " + wf.label)
        if shown[0] != removal:
            st.warning(
                "Biểu mẫu đã đổi sau lần xem trước: bấm “Xem trước sơ đồ sau khi bỏ” lại để vẽ theo nội dung mới."
            )
        st.graphviz_chart(shown[1])
