"""A stateful simulator of Workday Web Services v31.2 (SOAP): pre-hires, workers, hires. Sources: ``app``."""
