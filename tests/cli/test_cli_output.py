"""Pure formatting helpers of the CLI."""

from __future__ import annotations

import pytest

from audd_cli._output import clock, mmss, one_line, song_title


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00.0"),
        (11.96, "0:12.0"),
        (119.96, "2:00.0"),  # never "1:60.0"
        (754.25, "12:34.2"),
        (3599.96, "1:00:00"),
        (3725.2, "1:02:05"),
        (-3, "0:00.0"),
    ],
)
def test_clock_formats_positions_in_a_file(seconds, text):
    assert clock(seconds) == text


def test_mmss_rounds_to_whole_seconds():
    assert (mmss(179.6), mmss(65)) == ("3:00", "1:05")


def test_one_line_collapses_newlines():
    assert one_line("bad\n  token\r\n") == "bad token"


def test_song_title_with_missing_parts():
    assert song_title("A", "B") == "A — B"
    assert song_title(None, "B") == "B"
    assert song_title(None, None) == "(untitled)"


def test_longpoll_connection_notices_once_per_outage(capsys):
    from audd import AudDEvent
    from audd_cli._commands import _ConnectionNotices

    notices = _ConnectionNotices()
    down = AudDEvent("exception", "longpoll", "http://x/longpoll/", extras={"exception": "E"})
    up = AudDEvent("response", "longpoll", "http://x/longpoll/", http_status=200)
    for event in (up, down, down, down, up, up, down):
        notices(event)
    assert capsys.readouterr().err.splitlines() == [
        "longpoll: cannot reach the server (E); retrying…",
        "longpoll: reconnected",
        "longpoll: cannot reach the server (E); retrying…",
    ]
