"""Alembic's environment and revisions of the job database (core.jobs.schema runs them)."""
