"""Simulators of the HRIS vendors' public APIs, for tests and the demo (not part of the product's API).

Each simulator speaks its vendor's documented wire format and keeps state in memory. They share only the fault
switches below with each other, and nothing with the connectors they test: a simulator written from the same
constants as its connector would agree with it by construction and prove nothing.
"""
