"""AWS Lambda adapter: the four handlers serverless.yml wires (functions/aws/handlers.py)."""
