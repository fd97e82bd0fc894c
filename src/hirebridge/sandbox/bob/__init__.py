"""A stateful simulator of HiBob's (Bob's) public People API, with its quirks; sources and choices are in ``app``."""
