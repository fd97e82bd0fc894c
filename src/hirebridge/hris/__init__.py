"""The push domain: HRIS connections, pushes, remote records, and the job that pushes a hire; imports no API."""
