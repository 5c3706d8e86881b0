"""Demo data for `make run`: never imported by the product code."""
