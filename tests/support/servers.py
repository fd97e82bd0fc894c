"""Real servers for tests: `with serve(app) as base_url:` (see hirebridge.serverthread)."""

from hirebridge.serverthread import ServerThread, serve

__all__ = ["ServerThread", "serve"]
