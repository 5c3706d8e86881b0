"""Thông báo: who hears of what (written with the journal entry), the list, the read marks, e-mail."""
