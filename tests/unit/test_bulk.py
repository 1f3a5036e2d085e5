"""`paused_gc` pauses the cyclic collector for bulk work and always restores it."""

from __future__ import annotations

import gc

import pytest

from relman.services.bulk import paused_gc


def test_the_collector_is_off_inside_and_back_on_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block still holds it
    assert gc.isenabled()


def test_restored_after_an_error_and_as_a_decorator() -> None:
    @paused_gc()
    def work() -> bool:
        return gc.isenabled()

    assert work() is False
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("git died")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
