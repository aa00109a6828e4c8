"""Settings, database, errors, logging, keys and the `zhice` command line."""
