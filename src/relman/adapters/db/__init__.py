"""The state store: SQLAlchemy 2 Core tables, Alembic migrations, repositories and the unit of work.

SQLite (WAL) at ``<repo>/.relman/relman.db`` is the embedded default; PostgreSQL is used when
``RELMAN_DATABASE_URL`` names a ``postgresql+psycopg://`` database. Nothing here runs at import
time: engines are built on first use by :mod:`relman.bootstrap`.
"""
