"""Workday: pre-hires (Put_Applicant) and optionally their hire (Hire_Employee), Workday Web Services SOAP v31.2."""

from hirebridge.connectors.workday.auth import WorkdayCredentials
from hirebridge.connectors.workday.connector import WorkdayConnector
from hirebridge.connectors.workday.mapping import WorkdaySettings

__all__ = ["WorkdayConnector", "WorkdayCredentials", "WorkdaySettings"]
