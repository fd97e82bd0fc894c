"""BambooHR: employees created over its REST API (classic ``/api/gateway.php/{companyDomain}/v1`` form)."""

from hirebridge.hris.bamboohr.connector import BambooHRConnector, BambooHRCredentials

__all__ = ["BambooHRConnector", "BambooHRCredentials"]
