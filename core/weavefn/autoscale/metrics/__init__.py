"""Metric sources: one module per backend behind the MetricSource port, chosen by a registry."""
