"""The directory and the catalogue: organizations, service items and users imported from files or the API."""
