"""Unit pickers found with or without accents: "tai chinh" finds "Sở Tài chính".

Why a search box of our own: Streamlit's select boxes filter in the browser on the label exactly
as written, lower-cased but with its accents, so "tai chinh" typed into one finds nothing, and
a label cannot carry an unaccented copy of itself without showing it (labels decomposed into
letters and combining accents would find "tai chinh" but no longer "tài chính" as a Vietnamese
keyboard types it). So above a unit picker sits "Tìm đơn vị": the server matches what is typed
against each unit's full name, short name and mã định danh with case and accents ignored
(``services.org.units.search_units`` / ``services.infra.text.matches``), says what it found, and
puts the matching units first in the picker's list; where the box serves one picker, the first
match is chosen at once. Typing into the picker itself still works as before (with accents).

Nothing is ever taken out of a list: inside a form, a choice made but not yet sent is known only
to the browser, and a list without it would drop it when the form is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from services.infra.text import matches
from ui.format import md_line

V = TypeVar("V", int, str)

SEARCH_LABEL = "Tìm đơn vị"
SEARCH_PLACEHOLDER = "Gõ tên hoặc mã đơn vị, có dấu hay không dấu đều được (vd. tai chinh)"
SHOWN_MATCHES = 5  # the caption names this many of the units found


def found_units(texts: Mapping[V, str], query: str) -> list[V]:
    """The values whose search text holds every word of ``query`` (accents and case ignored), in
    the order of ``texts``; nothing typed: none."""
    if not query.strip():
        return []
    return [value for value, text in texts.items() if matches(query, text)]


def matches_first(options: Sequence[V], found: Sequence[V]) -> list[V]:
    """``options`` with the ones ``found`` moved to the front (in their order); none removed."""
    chosen = set(found)
    return [v for v in found if v in options] + [v for v in options if v not in chosen]


def _choose_first(key: str, texts: Mapping[V, str], picker: str, then: Callable[[], None] | None) -> None:
    found = found_units(texts, str(st.session_state.get(key, "")))
    if found:
        st.session_state[picker] = found[0]
        if then is not None:
            then()


def unit_search(
    key: str,
    texts: Mapping[V, str],
    labels: Mapping[V, str],
    *,
    where: DeltaGenerator | None = None,
    picker: str | None = None,
    then: Callable[[], None] | None = None,
    serves: str = "danh sách đơn vị bên dưới",
) -> list[V]:
    """Draw "Tìm đơn vị" and what it found; return the values found (none when nothing is typed).

    ``texts``: each unit's value → the text it is found by (``unit_search_text``); ``labels``: the
    names the caption shows. ``picker``: the key of the one picker this box serves, set to the
    first unit found whenever the box changes (``then`` runs after, e.g. back to page 1). The box
    must be outside any form: a form sends its fields only with its button.
    """
    box = where if where is not None else st
    box.text_input(
        SEARCH_LABEL,
        key=key,
        placeholder=SEARCH_PLACEHOLDER,
        on_change=_choose_first if picker is not None else None,
        args=(key, texts, picker, then) if picker is not None else None,
    )
    query = str(st.session_state.get(key, ""))
    found = found_units(texts, query)
    if query.strip():
        if found:
            names = ", ".join(md_line(labels[v]) for v in found[:SHOWN_MATCHES])
            more = f" và {len(found) - SHOWN_MATCHES} đơn vị khác" if len(found) > SHOWN_MATCHES else ""
            box.caption(f"{len(found)} đơn vị khớp “{md_line(query)}”: {names}{more}; ở đầu {serves}.")
        else:
            box.caption(f"Không có đơn vị nào khớp “{md_line(query)}”.")
    return found
