"""Casework pages: extension, appeal, transfer, callback attempts, calling the evaluator, the ledger."""
