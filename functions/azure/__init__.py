"""Azure Functions app (v2 programming model); function_app.py is what the worker indexes."""
