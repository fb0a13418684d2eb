"""The hash-chained audit log: record events in the caller's transaction, verify chains."""

from casemgmt.audit.chain import ChainBreak, count_events, record, verify_chain

__all__ = ["ChainBreak", "count_events", "record", "verify_chain"]
