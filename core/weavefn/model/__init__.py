"""The WeaviateCluster resource model: spec, status and parsing."""
