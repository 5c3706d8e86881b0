"""The way on after an action on the task page: the success message, the next waiting task and
the list of waiting work.

A step done, the person's next question is "what now?": the task usually leaves their list, so the
page offers the next task waiting for them (``services.tasks.counters.next_waiting_task``) and the
way back to the list, instead of leaving them on a task they have finished with.
"""

from __future__ import annotations

import streamlit as st

from models import ActionKey, Permission
from services.access.permissions import Actor
from services.config.loader import AppConfig
from services.tasks.counters import next_waiting_task
from ui.format import md_escape, md_line, shorten
from ui.runtime import db, today

_DONE_KEY = "gv_after_action"  # (task id, action key) of the action that just succeeded
_SHOWN_KEY = "gv_task_shown"  # the task the page showed last in this browser session
_TOP = "gv-scroll-top"
NEXT_LABEL = "Việc chờ tiếp theo: Nhiệm vụ #{}"
BACK_LABEL = "Về danh sách việc chờ"
NOTHING_LEFT = "Không còn việc nào khác đang chờ bạn xử lý."


def after_success(task_id: int, key: ActionKey) -> None:
    """Called by the forms when an action succeeded, just before the page runs again."""
    st.session_state[_DONE_KEY] = (task_id, key.value)


def open_at_top(task_id: int) -> None:
    """Show another task from its title, under its own address: following "Việc chờ tiếp theo" keeps
    the page (its scroll position, down at the form just used, and the address of the task before),
    so the browser is told once to scroll to the top and the address gets the task's id."""
    if st.session_state.get(_SHOWN_KEY) == task_id:
        return
    st.session_state[_SHOWN_KEY] = task_id
    st.query_params["id"] = str(task_id)  # a link to the page it is on leaves the old id in the address bar
    st.html(
        f'<style>[data-testid="stElementContainer"]:has(#{_TOP}) {{ display: none; }}</style>'
        f'<script id="{_TOP}">document.querySelector(\'[data-testid="stMain"]\')?.scrollTo(0, 0);</script>',
        unsafe_allow_javascript=True,
    )


def _waiting_list(actor: Actor) -> str | None:
    """The page listing the actor's waiting work, if the menu has one for them."""
    if actor.can(Permission.TASK_CONFIRM):
        return "pages/confirm.py"  # replies and "not our remit" requests wait for VP UBND here
    if actor.can(Permission.UNIT_TASKS_VIEW) and not actor.at_office:
        return "pages/inbox.py"
    return None


def show_success(actor: Actor, config: AppConfig, task_id: int) -> None:
    """The message of the action that just succeeded, if any, then the next task and the list."""
    message = st.session_state.pop("detail_success", None)
    done = st.session_state.pop(_DONE_KEY, None)
    if not message:
        return
    st.success(md_escape(message))  # it may quote what was typed (the reply's số/ký hiệu)
    st.toast(md_escape(message), icon=":material/check_circle:")
    waiting_list = _waiting_list(actor)
    if done is None or done[0] != task_id or waiting_list is None:
        return
    with db() as session:
        upcoming = next_waiting_task(
            session=session,
            actor=actor,
            config=config,
            today=today(),
            due_soon_days=config.app.due_soon_days,
            after=task_id,
        )
    left, right = st.columns(2)
    with left:
        if upcoming is None:
            st.caption(NOTHING_LEFT)
        elif upcoming.to_confirm:
            st.page_link(
                "pages/confirm.py",
                label=NEXT_LABEL.format(upcoming.task_id),
                icon=":material/arrow_forward:",
                query_params={"task": str(upcoming.task_id)},
                help=md_line(shorten(upcoming.content, 200)),
            )
        else:
            st.page_link(
                "pages/task_detail.py",
                label=NEXT_LABEL.format(upcoming.task_id),
                icon=":material/arrow_forward:",
                query_params={"id": str(upcoming.task_id)},
                help=md_line(shorten(upcoming.content, 200)),
            )
    with right:
        st.page_link(waiting_list, label=BACK_LABEL, icon=":material/inbox:")
