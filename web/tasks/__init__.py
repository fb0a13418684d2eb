"""Task pages: the case, earlier steps, the task's form; claim, release, reassign, complete, draft."""
