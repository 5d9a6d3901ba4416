"""The weavefn command line."""
