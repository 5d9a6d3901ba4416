"""Weaviate side of weavefn: the WeaviateApi port, its HTTP client and how to reach a cluster."""
