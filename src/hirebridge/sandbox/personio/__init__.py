"""Personio (API v1) simulator: stable bearer tokens from /v1/auth, employees create and look-up, custom attributes."""
