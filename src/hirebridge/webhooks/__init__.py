"""Outbound webhooks: the partner API's subscriptions and the ATS API's Ashby-style webhooks."""
