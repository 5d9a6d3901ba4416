"""Autoscaling: the pure replica decision and the metric sources that feed it."""
