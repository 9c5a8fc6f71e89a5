"""HTTP edge: FastAPI app, routes and response schemas."""
