"""The tracker's "Đôn đốc" form on the task page: a level and an optional note, sent through the
registry's ``remind`` action (offered only to whom its guard lets: VP UBND's tracker, an open task).
"""

from __future__ import annotations

import streamlit as st

from models import ActionKey, ReminderLevel
from services.access.permissions import Actor
from services.actions.registry import perform
from services.actions.workbench import TaskWorkbench
from services.config.loader import AppConfig
from ui.forms import FormErrors, FormRound, TypedInput, run


def remind_form(bench: TaskWorkbench, actor: Actor, config: AppConfig, task_id: int) -> None:
    if not bench.can(ActionKey.REMIND):
        return
    levels = config.app.reminders
    rounds = FormRound(f"remind_{task_id}")  # sent, the form starts afresh for the next level
    with st.form("remind", clear_on_submit=False, enter_to_submit=False):
        st.subheader(config.app.task_actions[ActionKey.REMIND])
        form = FormErrors()
        level = st.radio(
            "Mức đôn đốc",
            options=list(ReminderLevel),
            format_func=levels.label,
            horizontal=True,
            key=rounds.key("remind_level"),
            help="Mỗi mức gửi một lần cho một hạn xử lý; hằng ngày hệ thống tự gửi mức đã đến hạn.",
        )
        form.slot("level", "Mức đôn đốc")
        note = st.text_area("Nội dung gửi đơn vị (không bắt buộc)", height=68, key=rounds.key("remind_note"))
        form.slot("note", "Nội dung gửi đơn vị")
        form.summary_here()
        if st.form_submit_button("Gửi đôn đốc", icon=":material/notifications_active:"):
            result = run(
                form,
                TypedInput(),
                lambda session: perform(
                    session=session,
                    actor=actor,
                    config=config,
                    task_id=task_id,
                    action=ActionKey.REMIND,
                    data={"level": level, "note": note},
                    expected_version=bench.version,
                ),
            )
            if result is not None:
                st.session_state.detail_success = result.outcome.message
                rounds.next()
                st.rerun()
