"""ADP Workforce Now simulator (mutual TLS, OAuth client credentials, applicant onboarding v2, workers v2)."""
