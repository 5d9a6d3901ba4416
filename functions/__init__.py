"""Thin cloud-function adapters over the weavefn core."""
