"""The operator's web console under ``/console``: sign-in, pushes, timelines, connections, invitations, charts."""
