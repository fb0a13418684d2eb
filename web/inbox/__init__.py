"""The inbox: my tasks, my units' tasks, overdue, done by me, and the team view of supervisors."""
