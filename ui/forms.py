"""What every form of the app shares: it keeps what was typed, shows every refusal next to its
field at once, marks its required fields, and reads a typed date exactly as typed.

Why: a form that forgets its text when it refuses, or refuses one field per submit, makes a
person type the same letter three times; a date picker that turns 31/02/2027 into 28/02/2027, or
drops a date outside its range without a word, saves a date nobody chose. So:

- every widget has a stable ``key`` and forms never clear on submit: a refused submit leaves each
  value (and each choice) as the person left it; only a successful one starts the form afresh
  (``FormRound``);
- the services report every refused field at once (``InvalidInput.errors``); ``FormErrors``
  draws each under its field, and by the submit button a summary that names them;
- dates are typed as ngày/tháng/năm text (``date_field``) and read by ``parse_day``: an
  impossible date is refused, never corrected; the range is the services' (``check_date``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import TypeVar

import streamlit as st
from sqlalchemy import event
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator

from services.config.loader import AppConfig
from services.infra.errors import FieldError, InvalidInput, ServiceError
from services.infra.validation import date_bounds, fmt_day, parse_day
from ui.format import md_escape
from ui.runtime import db, today

T = TypeVar("T")

REQUIRED_NOTE = "\\* bắt buộc"  # the caption under a form's title (escaped: a leading "*" is a list)
DATE_PLACEHOLDER = "ngày/tháng/năm"

# A date that could not be read goes to the service as this day: every date check refuses it (no
# configured range starts before 1900), so the service judges the other fields in the same round and
# saves nothing; the page shows its own reason for the date instead of the service's.
UNREADABLE = date.min


def required(label: str) -> str:
    """A required field's label: a trailing " *" (the form's caption says what it means)."""
    return f"{label} *"


def required_note(where: DeltaGenerator | None = None) -> None:
    (where or st).caption(REQUIRED_NOTE)


class FormRound:
    """The widget keys of a form that stays on the page after a success (a progress note, the
    Giao nhiệm vụ form): ``key(name)`` is stable while the person corrects the form, and
    ``next()`` after a success gives every widget a new key, so the next round starts empty."""

    def __init__(self, name: str) -> None:
        self._counter = f"_round_{name}"
        self.number: int = st.session_state.get(self._counter, 0)

    def key(self, name: str) -> str:
        return name if self.number == 0 else f"{name}_{self.number}"

    def next(self) -> None:
        st.session_state[self._counter] = self.number + 1


def keep(keys: Iterable[str]) -> None:
    """Keep these widgets' values while they are not drawn (Streamlit forgets the value of a
    widget that misses one run): the bút phê case the leader left and may come back to."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


class FormErrors:
    """Where one form's refusals are drawn: an empty slot right under each field (``slot``), and
    a summary by the submit button (``summary_here``) naming every field to correct, with any
    refusal that belongs to no field (someone acted meanwhile, a permission)."""

    def __init__(self) -> None:
        self._slots: dict[str, tuple[str, DeltaGenerator]] = {}
        self._summary: DeltaGenerator | None = None

    def slot(self, field: str, label: str, where: DeltaGenerator | None = None) -> None:
        """The error slot of ``field`` (a service's field name: ``code``, ``tasks.2.deadline``)."""
        self._slots[field] = (label, (where or st).empty())

    def summary_here(self) -> None:
        self._summary = st.empty()

    def _slot_of(self, field: str) -> str | None:
        if field in self._slots:
            return field
        # "tasks.2" names the whole task: its first slot
        return next((f for f in self._slots if f.startswith(field + ".")), None)

    def show(self, errors: Sequence[FieldError]) -> None:
        by_slot: dict[str, list[str]] = {}
        elsewhere: list[str] = []
        for error in errors:
            slot = self._slot_of(error.field)
            if slot is None:
                elsewhere.append(error.message)
            else:
                by_slot.setdefault(slot, []).append(error.message)
        for slot, messages in by_slot.items():
            self._slots[slot][1].error("  \n".join(md_escape(m) for m in dict.fromkeys(messages)))
        lines: list[str] = []
        if by_slot and (len(self._slots) > 1 or elsewhere):
            names = ", ".join(f"“{self._slots[s][0]}”" for s in self._slots if s in by_slot)
            lines.append(md_escape(f"Chưa lưu. Sửa {len(by_slot)} ô được đánh dấu đỏ ở trên: {names}."))
        lines += [md_escape(m) for m in dict.fromkeys(elsewhere)]
        if lines:
            (self._summary or st.empty()).error("  \n".join(lines))


class TypedInput:
    """What a page reads from its widgets before a service sees it: a typed date, which may not
    be a date (``errors`` keeps why, by field)."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def day(self, text: str, *, label: str, field: str, needed: bool = False) -> date | None:
        """The date typed, None when left empty, ``UNREADABLE`` when it is not a date (or is
        needed and empty): then ``errors`` says why."""
        try:
            day = parse_day(text, label=label, field=field)
        except InvalidInput as refused:
            self.errors.extend(refused.errors)
            return UNREADABLE
        if day is None and needed:
            self.errors.append(FieldError(field, f"{label} không được để trống."))
            return UNREADABLE
        return day


def date_field(
    label: str,
    *,
    key: str,
    config: AppConfig,
    where: DeltaGenerator | None = None,
    needed: bool = False,
    initial: date | None = None,
    hint: str = "",
) -> str:
    """A date typed as ngày/tháng/năm: the text as typed (``TypedInput.day`` reads it).

    Not ``st.date_input``: its field turns 31/02 into 28/02 and drops a date outside its range
    without a word; a typed date is kept as typed and refused with the reason, naming the field.
    ``initial`` fills it the first time the form is drawn (ngày ban hành: today). It is the
    widget's own default, not a value written to session state before the widget exists: a run
    interrupted between the two left the browser showing an empty field (Streamlit #7338)."""
    earliest, latest = date_bounds(today=today(), limits=config.app)
    help_text = (
        f"Nhập ngày/tháng/năm, ví dụ {fmt_day(today())}. Nhận ngày từ {fmt_day(earliest)} đến {fmt_day(latest)}."
    )
    return (where or st).text_input(
        required(label) if needed else label,
        value=fmt_day(initial) if initial is not None else "",
        key=key,
        placeholder=DATE_PLACEHOLDER,
        max_chars=20,
        help=f"{hint} {help_text}".strip(),
    )


class _NotSaved(Exception):
    """Raised at commit when the page itself found an error: the service's writes roll back."""


def _refuse_commit(session: Session) -> None:
    raise _NotSaved


def run(form: FormErrors, typed: TypedInput, call: Callable[[Session], T]) -> T | None:
    """Send the form to its service; draw every refusal and return None, or return its result.

    When the page could not read a field (``typed.errors``), the service still judges the whole
    input, so every error shows in one round, but nothing it writes is committed; the page's own
    reason replaces the service's for that field."""
    found: list[FieldError] = []
    try:
        with db() as session:
            if typed.errors:
                event.listen(session, "before_commit", _refuse_commit)
            result = call(session)
    except ServiceError as refusal:
        found = list(refusal.errors) if isinstance(refusal, InvalidInput) else [FieldError("", refusal.message)]
    except _NotSaved:
        pass
    else:
        if not typed.errors:
            return result
    own = {e.field for e in typed.errors}
    form.show([*typed.errors, *(e for e in found if e.field not in own)])
    return None
