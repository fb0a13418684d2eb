"""Who may do what (the permission table), sign-in, users and tokens, evaluator privacy."""
