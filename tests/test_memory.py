"""The cyclic collector's pause, as the service's threads share it."""

from __future__ import annotations

import gc
import threading

from contextgraph.memory import paused_gc


def test_overlapping_pauses_in_two_threads_resume_the_collector_when_the_last_ends() -> None:
    assert gc.isenabled()
    entered, second_may_end = threading.Event(), threading.Event()
    seen: list[bool] = []

    def second() -> None:
        with paused_gc():
            entered.set()
            second_may_end.wait(10)
        seen.append(gc.isenabled())

    with paused_gc():
        t = threading.Thread(target=second)
        t.start()
        assert entered.wait(10)
    assert not gc.isenabled(), "the other thread's pause still holds"
    second_may_end.set()
    t.join(10)
    assert seen == [True] and gc.isenabled()


def test_a_pause_begun_with_the_collector_off_leaves_it_off() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
