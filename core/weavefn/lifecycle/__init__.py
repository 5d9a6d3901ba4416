"""Cluster lifecycle: admission of spec changes, CI/CD upgrade requests and Weaviate version rules."""
