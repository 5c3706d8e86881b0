"""Free-text checks and accent-insensitive search.

Text typed by users ends up in exports (XLSX/CSV) and HTML; a leading = + - @ would run as a
spreadsheet formula and markup could be injected, so such input is refused with a message.
"""

from __future__ import annotations

import re
import unicodedata

from services.infra.errors import InvalidInput

_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>|&#?[a-zA-Z0-9]+;")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str | None, *, label: str, field: str, required: bool = True, max_len: int = 2000) -> str:
    """Return the stripped text or raise InvalidInput naming the field in Vietnamese."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text:
        if required:
            raise InvalidInput(f"{label} không được để trống.", field=field)
        return ""
    if len(text) > max_len:
        raise InvalidInput(f"{label} dài quá {max_len} ký tự.", field=field)
    if _HTML.search(text):
        raise InvalidInput(f"{label} không được chứa mã HTML (thẻ <...> hoặc ký tự &...;).", field=field)
    if text.startswith(_FORMULA_START):
        raise InvalidInput(f"{label} không được bắt đầu bằng ký tự = + - hoặc @.", field=field)
    return text


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics: 'Giao Việc' -> 'giao viec'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def matches(query: str, *texts: str) -> bool:
    """True when every word of ``query`` occurs in the texts, ignoring case and accents."""
    haystack = fold(" ".join(texts))
    return all(word in haystack for word in fold(query).split())


def document_code_key(code: str) -> str:
    """Normalise số/ký hiệu for uniqueness: '125 / ubnd-kt' == '125/UBND-KT'."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", code)).upper()
