"""The append-only journal of every task (nhật ký), and the timeline a person reads from it."""
