"""HiBob (Bob): employees created over its People API with a service user."""

from hirebridge.hris.bob.connector import BobConnector, BobCredentials

__all__ = ["BobConnector", "BobCredentials"]
