"""Every simulated backend: the in-memory Kubernetes API, the embedded Weaviate, the load model.

The CLI's default cluster, the tests and the trace replay (``weavefn.simulate``) run on these;
a function or a real cluster never imports this package.
"""
