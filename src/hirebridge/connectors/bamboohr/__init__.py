"""BambooHR: employees created over its REST API (``/api/gateway.php/{companyDomain}/v1`` or ``/api/v1`` form)."""

from hirebridge.connectors.bamboohr.auth import BambooHRCredentials
from hirebridge.connectors.bamboohr.connector import BambooHRConnector

__all__ = ["BambooHRConnector", "BambooHRCredentials"]
