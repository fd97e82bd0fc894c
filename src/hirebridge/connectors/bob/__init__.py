"""HiBob (Bob): employees created over its People API with a service user."""

from hirebridge.connectors.bob.auth import BobCredentials
from hirebridge.connectors.bob.connector import BobConnector

__all__ = ["BobConnector", "BobCredentials"]
