"""Administrators' pages: a region's diagrams, decision tables, forms, versions, case migration and calendar."""
