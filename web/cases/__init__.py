"""The case page: summary, evaluation, timeline, diagram with the path taken, comments, integrity."""
