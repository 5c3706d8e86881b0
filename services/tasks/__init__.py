"""Tasks as documents: assigning them, reading them, their journal and timeline, working days."""
