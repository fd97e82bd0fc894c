"""HRIS connections, pushes, remote-record mappings, and one connector per vendor."""
