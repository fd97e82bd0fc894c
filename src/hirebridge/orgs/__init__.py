"""Organizations (tenants) and their credentials: partner API clients and ATS API keys."""
