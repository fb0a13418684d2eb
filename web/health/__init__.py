"""Health of a running installation: database, worker heartbeat, outbox backlog (GET /healthz)."""
