"""Google Cloud Functions entry points (functions-framework); main.py is the source file."""
