"""Access to the Kubernetes API: the port, the local in-memory server and the real client."""
