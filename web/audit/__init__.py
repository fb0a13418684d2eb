"""Case search for auditors, with the results exported to xlsx."""
