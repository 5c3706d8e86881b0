"""Free text as it is stored, the key that makes two số/ký hiệu "the same", and accent-free search.

Text is never refused for what it contains: "Tỷ lệ a <b và c> d" and "- Báo cáo …" are ordinary
Vietnamese. What a person could not have meant is removed instead (``models.text``: control,
format and invisible characters), and whatever shows or exports the text makes it harmless
there: the pages show it escaped (``ui.format.md_escape``), an export cell goes through
``spreadsheet_safe``.
"""

from __future__ import annotations

import unicodedata

from models.text import fold, is_invisible, normalise_text
from services.infra.errors import InvalidInput

__all__ = ["clean_text", "document_code_key", "fold", "matches", "normalise_text", "spreadsheet_safe"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Characters that look like others in a số/ký hiệu and that NFKC leaves apart: dashes and slashes,
# and the Cyrillic and Greek capitals drawn like Latin ones (and their small letters that are).
_LOOK_ALIKES = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63", "-"),
        **dict.fromkeys("\u2215\u2044\u29f8", "/"),
        # Cyrillic А В Е К М Н О Р С Т У Х І Ј Ѕ and а е о р с у х і ј ѕ
        **dict(
            zip(
                "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u0406\u0408\u0405",
                "ABEKMHOPCTYXIJS",
                strict=True,
            )
        ),
        **dict(zip("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455", "aeopcyxijs", strict=True)),
        # Greek Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ and ο
        **dict(
            zip(
                "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf",
                "ABEZHIKMNOPTYXo",
                strict=True,
            )
        ),
    }
)


def clean_text(
    value: str | None,
    *,
    label: str,
    field: str,
    required: bool = True,
    max_len: int = 2000,
    multiline: bool = True,
) -> str:
    """The text as stored (``normalise_text``), or InvalidInput naming the field in Vietnamese.

    ``multiline``: False for a one-line field (a code, a name): line breaks and tabs become
    spaces. A text of only invisible characters is empty.
    """
    text = normalise_text(value or "", multiline=multiline)
    if not text:
        if required:
            raise InvalidInput(f"{label} không được để trống.", field=field)
        return ""
    if len(text) > max_len:
        raise InvalidInput(f"{label} dài quá {max_len} ký tự.", field=field)
    return text


def spreadsheet_safe(text: str) -> str:
    """A cell for a CSV/XLSX export: text that a spreadsheet would run as a formula (starting with
    = + - @, a tab or a carriage return) gets a leading apostrophe, which the spreadsheet shows
    as text and does not display. Text is stored as typed; only the export cell changes."""
    return "'" + text if text.startswith(_FORMULA_START) else text



def matches(query: str, *texts: str) -> bool:
    """True when every word of ``query`` occurs in the texts, ignoring case and accents."""
    haystack = fold(" ".join(texts))
    return all(word in haystack for word in fold(query).split())


def document_code_key(code: str) -> str:
    """The key two số/ký hiệu are "the same" by: '125 / ubnd-kt' == '125/UBND-KT' ==
    '125／UBND‐KT' (full-width solidus, Unicode hyphen) == '125/UBND\\u200b-KT'.

    NFKC (full-width and compatibility forms become the plain ones), look-alike dashes, slashes
    and Cyrillic/Greek letters become the Latin ones, invisible characters and all white space
    are removed, and case is folded. Migration 0008 holds a copy of this rule (a migration never
    imports the app's code): change both together.
    """
    visible = "".join(ch for ch in code if not is_invisible(ch))  # first: "e\u200b\u0301" is "é"
    text = unicodedata.normalize("NFKC", visible).translate(_LOOK_ALIKES)
    # Case folded ("ß" is "ss"), then upper case as the keys have always been written: a plain
    # code's key is unchanged by this rule, so migration 0008 rewrites only the keys that change.
    text = unicodedata.normalize("NFKC", text.casefold()).upper()
    return "".join(ch for ch in text if not ch.isspace() and not is_invisible(ch))
