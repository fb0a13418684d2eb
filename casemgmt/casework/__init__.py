"""Casework steps of a case: callbacks, revocation, ledger, extensions, appeals, consultation, transfers."""
