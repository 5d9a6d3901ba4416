"""The autoscaling simulator: replay a load trace through weavefn and three baselines."""
