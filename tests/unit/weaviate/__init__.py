"""Tests of the Weaviate port: HTTP client, simulation and fake server."""
