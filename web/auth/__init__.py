"""Sign-in and sign-out of officers, supervisors and auditors."""
