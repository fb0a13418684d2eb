"""The hash-chained audit log: record events in the caller's transaction, verify chains, sign checkpoints."""

from casemgmt.audit.chain import (
    ChainBreak,
    all_chains,
    checkpoint_json,
    count_events,
    latest_checkpoint,
    locked_head,
    record,
    start_chain,
    verify_all,
    verify_chain,
    verify_chains,
    write_checkpoint,
)

__all__ = [
    "ChainBreak",
    "all_chains",
    "checkpoint_json",
    "count_events",
    "latest_checkpoint",
    "locked_head",
    "record",
    "start_chain",
    "verify_all",
    "verify_chain",
    "verify_chains",
    "write_checkpoint",
]
