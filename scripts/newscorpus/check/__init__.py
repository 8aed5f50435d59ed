"""Validation: the JSON Schema check (level 1), the checks of levels 2 to 4 and the runner."""
