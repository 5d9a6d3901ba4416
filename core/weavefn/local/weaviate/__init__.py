"""The embedded Weaviate: a simulated cluster that answers the WeaviateApi in process."""
