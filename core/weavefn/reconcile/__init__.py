"""Level-based reconciliation: bring every WeaviateCluster's objects and status to its spec."""
