"""The statistics: one classification of a task as of a date, and the per-unit figures built on it."""
