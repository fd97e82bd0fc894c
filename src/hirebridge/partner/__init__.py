"""The partner API: Pulsifi's Workday connector surface (OAuth2 client credentials, jobs, candidate invitations)."""
