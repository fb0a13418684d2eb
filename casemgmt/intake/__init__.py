"""Evaluations in: validation, routing to a handling unit, service records awaiting a rating."""
