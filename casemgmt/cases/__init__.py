"""Cases and their tasks: open, claim, complete, timers, comments, evidence, inbox and search."""
