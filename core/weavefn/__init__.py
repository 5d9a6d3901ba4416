"""weavefn: serverless lifecycle management for Weaviate on Kubernetes."""
