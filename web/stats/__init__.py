"""The statistics pages: the supervisors' dashboard and the cases behind a figure."""
