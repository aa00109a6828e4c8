"""The HTTP API: app factory, dependencies, error mapping, one route module per resource."""
