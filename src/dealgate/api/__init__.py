"""The REST API under /api/v1: FastAPI, bearer tokens, one error shape."""
