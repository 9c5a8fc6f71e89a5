"""Celery edge: the app, the one task `run_job`, and sending job messages."""
