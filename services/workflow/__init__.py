"""The routing templates of config/workflows.yaml run as a state machine, and their diagrams."""
