"""Notices to evaluators, units and platforms, queued in the outbox."""
