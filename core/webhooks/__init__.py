"""Webhooks: where a job's status changes are sent (`targets`), which URLs a job may name
(`policy`), and how one delivery is signed and posted (`sending`). The outbox that holds the
deliveries lives with the job store (`core.jobs.outbox`); the worker's main process sends them
(`core.jobs.deliverer`)."""
