"""Loading and validating the province's YAML (config/): errors name the file, the line and the field."""
