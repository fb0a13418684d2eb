"""Zhenggai case management: domain, engine facade, calendar and use cases (no Flask requests)."""
