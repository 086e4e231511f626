"""`ChannelBuffer`: the queue policy of longpoll channels, shared by the sync and async shells."""

from __future__ import annotations

import logging

import pytest

from audd._core._streams import ChannelBuffer, ChannelGroup


def opened(maxsize: int = 2, group: ChannelGroup | None = None) -> ChannelBuffer[int]:
    buffer: ChannelBuffer[int] = ChannelBuffer("matches", maxsize, group or ChannelGroup())
    buffer.open()
    return buffer


def test_idle_channel_refuses_items_and_readers() -> None:
    buffer: ChannelBuffer[int] = ChannelBuffer("matches", 2, ChannelGroup())
    assert not buffer.offer(1)
    with pytest.raises(RuntimeError, match="not started"):
        buffer.start_reading("not started")


def test_full_channel_waits_while_nothing_is_read() -> None:
    buffer = opened()
    assert buffer.offer(1)
    assert buffer.offer(2)
    assert buffer.put_must_wait()


def test_full_channel_that_is_read_waits_for_its_reader() -> None:
    buffer = opened()
    buffer.start_reading("")
    buffer.offer(1)
    buffer.offer(2)
    assert buffer.put_must_wait()
    assert buffer.take() == 1
    assert not buffer.put_must_wait()


def test_unread_channel_keeps_the_newest_items_while_another_is_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    group = ChannelGroup()
    unread, read = opened(2, group), opened(2, group)
    read.start_reading("")
    with caplog.at_level(logging.WARNING, logger="audd"):
        for item in (1, 2, 3, 4):
            assert not unread.put_must_wait()
            assert unread.offer(item)
    assert [unread.take(), unread.take()] == [3, 4]
    assert len([r for r in caplog.records if "not being consumed" in r.message]) == 1


def test_finish_drains_queued_items_then_ends() -> None:
    buffer = opened()
    buffer.offer(1)
    buffer.finish(discard=False)
    assert not buffer.offer(2)
    assert not buffer.take_must_wait()
    assert buffer.take() == 1
    assert buffer.take() is ChannelBuffer.END


def test_finish_with_discard_ends_at_once() -> None:
    buffer = opened()
    buffer.offer(1)
    buffer.finish(discard=True)
    assert len(buffer) == 0
    assert buffer.take() is ChannelBuffer.END


def test_open_empty_channel_makes_readers_wait() -> None:
    buffer = opened()
    assert buffer.take_must_wait()
