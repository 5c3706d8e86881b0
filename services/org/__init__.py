"""The org tree: units synchronised from config/org.yaml."""
