"""Fixtures of the store tests: an upgraded store on each engine (see `database_url`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from relman.adapters.db.store import SqlStore


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    """A store on a fresh database, upgraded to the newest schema."""
    from relman.adapters.db.store import SqlStore

    store = SqlStore(database_url)
    store.upgrade()
    yield store
    store.dispose()
