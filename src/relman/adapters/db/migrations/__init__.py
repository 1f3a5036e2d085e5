"""Alembic migrations of the state store, shipped inside the package.

Run them through :class:`relman.adapters.db.store.SqlStore` (``relman db upgrade``); the
folder is the Alembic ``script_location``. ``HEAD_REVISION`` must name the newest revision in
``versions/`` (a test checks it), so the common "already up to date" case needs no Alembic import.
"""

HEAD_REVISION = "0005"
