"""Database access: engine, sessions, the declarative base and the Alembic migrations."""
