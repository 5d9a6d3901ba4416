"""Decision metrics: a neutral record of every pass, and one emitter per platform.

``record`` turns a cluster's pass into an observation, ``points`` turns a fleet pass into the
documented metrics (``catalog``), and ``emf``, ``cloud_monitoring`` and ``app_insights`` write
them on each cloud's own path. ``calls`` counts API calls and errors. Nothing here imports a
cloud SDK at import time.
"""
