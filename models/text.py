"""What typed text is made of before anything keeps it: no control or invisible characters, NFC.

People paste text from word processors, PDFs and chat apps: it brings zero-width spaces, soft
hyphens, direction overrides (U+202E shows text backwards), NUL bytes (PostgreSQL refuses them
outright) and escape sequences. None of them is something a person meant to write, and each one
can make two equal-looking texts differ (a duplicate số/ký hiệu slips through) or a blank one look
filled. So they are removed from every text that enters, here, once: the input models
(``models.schemas``) apply it to every string field, and ``services.infra.text.clean_text`` applies
it again for callers that pass plain strings.

It lives in ``models`` (not ``services``) because the input models are the lowest layer that sees
the text and may not import the services.
"""

from __future__ import annotations

import re
import unicodedata

# Every way of breaking a line (str.splitlines' list): one "\n" each.
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# Cc: control characters (NUL, ESC, DEL, C1); Cf: format characters (zero-width space and joiners,
# soft hyphen, bidirectional marks and overrides, BOM); Cs: lone surrogates (JSON "\ud800"), which
# no database can store as UTF-8.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
# Blank letters that are not Cf but print as nothing (Unicode's Default_Ignorable_Code_Point):
# combining grapheme joiner, the Hangul fillers, Khmer inherent vowels.
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0")


def is_invisible(ch: str) -> bool:
    """A character nobody means to type: a control, format or filler character (not \\n, \\t)."""
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _FILLERS


def normalise_text(value: str, *, multiline: bool = True) -> str:
    """The text as it is stored: invisible characters removed, NFC, stripped.

    ``multiline``: line breaks become "\\n" and tabs stay (a text area: notes, reasons,
    content); otherwise every line break and tab becomes a space (a one-line field: a code, a
    name). A text of only invisible characters and spaces becomes "" (so a required field
    says it is empty).
    """
    text = _LINE_BREAKS.sub("\n", value)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    kept = "".join(ch for ch in text if ch in "\n\t" or not is_invisible(ch))
    # NFC after the removal: a zero-width space between a letter and its accent kept them apart.
    return unicodedata.normalize("NFC", kept).strip()


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics: 'Giao Việc' -> 'giao viec' (the one rule of
    every search; also what ``task.content_folded`` and ``document.search_folded`` store)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
