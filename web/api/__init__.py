"""JSON API v1, token-authenticated."""
