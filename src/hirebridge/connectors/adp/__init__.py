"""ADP Workforce Now: applicants onboarded over its HCM API, with OAuth2 client credentials over mutual TLS."""

from hirebridge.connectors.adp.auth import AdpCredentials
from hirebridge.connectors.adp.connector import AdpConnector

__all__ = ["AdpConnector", "AdpCredentials"]
