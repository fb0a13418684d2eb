"""Statistics of ratings and cases."""
