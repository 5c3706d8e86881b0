"""An example plugin of Giao việc: the custom field type "Số điện thoại" (a Vietnamese number).

Installed (``pip install plugins/giaoviec_example``), it is found through its entry point in the
group ``giaoviec.plugins``; Giao việc calls ``register(registry)`` once per process. It needs
nothing from Giao việc itself: the registry is handed to it.
"""

from __future__ import annotations

import re
from typing import Any

# 10 digits from 0: mobile 03x, 05x, 07x, 08x, 09x; 11 digits from 02: a landline with its area code
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_SEPARATORS = re.compile(r"[\s.\-()]")


def parse_phone(text: str) -> str:
    """The number as stored (digits, from 0), or ValueError with the reason in Vietnamese."""
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not (_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits)):
        raise ValueError(
            f"“{text}” không phải số điện thoại Việt Nam (di động 10 số như 0912 345 678, "
            "cố định 11 số như 0269 3824 567, có thể viết +84)"
        )
    return digits


def show_phone(value: Any) -> str:
    digits = str(value)
    if len(digits) == 10:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:4]} {digits[4:8]} {digits[8:]}"


def register(registry: Any) -> None:
    registry.add_field_type("so_dien_thoai", "Số điện thoại", parse_phone, show_phone)
