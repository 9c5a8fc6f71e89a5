"""API routes."""
