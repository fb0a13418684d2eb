"""Region rules: bundles, versions, validation, dry run, diff, case migration, region settings."""
