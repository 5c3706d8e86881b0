"""Everything a person does to a task, declared once in a registry and performed by one entry point."""
