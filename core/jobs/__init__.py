"""The job service: the database and its tables, the store and journal, the worker registry,
execution, the reaper and the workflow. The only part of `core` that knows about the database;
the API and the worker call it, and the domain code (pipeline, training, reasoning) never does."""
