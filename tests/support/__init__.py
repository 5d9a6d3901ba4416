"""Test support: fakes of weavefn's dependencies that behave like the real thing."""
