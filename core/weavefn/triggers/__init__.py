"""Triggers: what happened, in the core's own types, parsed from each platform's payload."""
