"""c64ft core: specs, job store, runners. Never imports fastapi or celery."""
