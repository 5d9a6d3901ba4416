"""Restores: asking for one (request.py), its rules (checks.py, rules.py), its Step (step.py)."""
