"""The 通知 list of staff: the internal notices addressed to them or their units, marked read one by one."""
