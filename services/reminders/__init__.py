"""Reminders (đôn đốc): levels reached by dates, the daily job, and the counts per unit."""
