"""The durable delivery engine: everything that leaves the service goes through its job table."""
