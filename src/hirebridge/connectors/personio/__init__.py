"""Personio: employees created over its v1 Personnel Data API with a bearer token from ``/v1/auth``."""

from hirebridge.connectors.personio.auth import PersonioCredentials
from hirebridge.connectors.personio.connector import PersonioConnector

__all__ = ["PersonioConnector", "PersonioCredentials"]
