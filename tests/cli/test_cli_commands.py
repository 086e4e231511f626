"""The `audd` command run in-process against a real local server (no mocks, no internet)."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import sys

import pytest

from audd_cli.__main__ import main
from audd_cli._errors import CLIError
from audd_cli._local import LocalServer, free_port


def test_recognize_prints_artist_title_timecode_and_link(audd, cli_env):
    r = audd("recognize", str(cli_env.clip))
    assert r.code == 0, r.err
    first = r.out.splitlines()[0]
    assert first.startswith("Second Artist — Paper Boats @ 00:1")
    assert cli_env.server.base_url in r.out  # the song link
    assert r.err == ""


def test_recognize_a_url_the_server_downloads(audd, http_files):
    r = audd("recognize", f"{http_files}/clip.mp3")
    assert r.code == 0, r.err
    assert r.out.startswith("Second Artist — Paper Boats @ ")


def test_recognize_json_is_the_result_model(audd, cli_env):
    r = audd("--json", "recognize", str(cli_env.clip))
    assert r.code == 0, r.err
    body = json.loads(r.out)
    assert (body["artist"], body["title"]) == ("Second Artist", "Paper Boats")


def test_options_after_the_subcommand_work_too(audd, cli_env):
    r = audd("recognize", str(cli_env.clip), "--json", "--token", cli_env.token)
    assert r.code == 0, r.err
    assert json.loads(r.out)["title"] == "Paper Boats"


def test_recognize_no_match_prints_no_match_and_exits_1(audd, cli_env):
    r = audd("recognize", str(cli_env.unknown_clip))
    assert (r.code, r.out.strip()) == (1, "no match")


def test_recognize_no_match_json_is_null(audd, cli_env):
    r = audd("recognize", "--json", str(cli_env.unknown_clip))
    assert r.code == 1
    assert json.loads(r.out) is None


def test_recognize_missing_file_is_a_clean_usage_error(audd, tmp_path):
    r = audd("recognize", str(tmp_path / "nope.mp3"))
    assert r.code == 2
    assert r.err.strip() == f"error: no such file: {tmp_path / 'nope.mp3'}"
    assert "Traceback" not in r.err


def test_wrong_token_is_one_error_line_with_the_code(audd, cli_env):
    r = audd("recognize", str(cli_env.clip), "--token", "not-a-real-token")
    assert r.code == 3
    lines = r.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: [#900] ")
    assert r.out == ""


def test_wrong_token_with_json_also_prints_the_error_body(audd, cli_env):
    r = audd("--json", "streams", "list", "--token", "not-a-real-token")
    assert r.code == 3
    assert json.loads(r.out)["error"]["error_code"] == 900
    assert r.err.startswith("error: [#900] ")


def test_missing_token_says_how_to_get_one(audd, cli_env, monkeypatch):
    monkeypatch.delenv("AUDD_API_TOKEN")
    r = audd("recognize", str(cli_env.clip))
    assert r.code == 2
    assert "AUDD_API_TOKEN" in r.err
    assert len(r.err.splitlines()) == 1


def test_plan_without_enterprise_gets_a_clean_904(audd, cli_env):
    r = audd("enterprise", str(cli_env.mix), "--token", cli_env.free_token, "--limit", "3")
    assert r.code == 3
    assert r.err.startswith("error: [#904] ")


def test_unreachable_server_is_a_one_line_error(audd, cli_env):
    r = audd("streams", "list", "--base-url", f"http://127.0.0.1:{free_port()}")  # nobody there
    assert r.code == 3
    assert len(r.err.splitlines()) == 1
    assert r.err.startswith("error: ")


def test_enterprise_prints_each_match_with_its_position_in_the_file(audd, cli_env):
    r = audd("enterprise", str(cli_env.mix), "--limit", "10")
    assert r.code == 0, r.err
    lines = [line for line in r.out.splitlines() if " — " in line]
    assert any("Cli Test Band — First Light" in line for line in lines)
    assert any("Third Voice — Late Trains" in line for line in lines)
    # The second song starts 30 s into the file: its matches sit at 0:30 or later.
    for line in lines:
        if "Late Trains" in line:
            start = line.split()[0].split("–")[0]
            minutes, seconds = start.split(":")
            assert int(minutes) * 60 + float(seconds) >= 28


def test_enterprise_json_and_limit(audd, cli_env):
    r = audd("enterprise", str(cli_env.mix), "--limit", "1", "--json")
    assert r.code == 0, r.err
    matches = json.loads(r.out)
    assert len(matches) == 1
    assert matches[0]["artist"] == "Cli Test Band"


def test_streams_add_list_delete(audd):
    url = "http://127.0.0.1:9/radio.mp3"
    r = audd("streams", "add", url, "4101")
    assert (r.code, r.out.strip()) == (0, f"added stream 4101: {url}")
    r = audd("streams", "list")
    assert r.code == 0, r.err
    assert any(line.split()[0] == "4101" and url in line for line in r.out.splitlines())
    r = audd("--json", "streams", "list")
    assert any(s["radio_id"] == 4101 for s in json.loads(r.out))
    r = audd("streams", "set-url", "4101", url + "?v=2")
    assert r.code == 0, r.err
    r = audd("streams", "delete", "4101")
    assert (r.code, r.out.strip()) == (0, "deleted stream 4101")
    r = audd("--json", "streams", "list")
    assert all(s["radio_id"] != 4101 for s in json.loads(r.out))


def test_streams_category_is_derived_from_token_and_radio_id(audd, cli_env):
    r = audd("streams", "category", "7")
    inner = hashlib.md5(cli_env.token.encode()).hexdigest()
    assert (r.code, r.out.strip()) == (0, hashlib.md5(f"{inner}7".encode()).hexdigest()[:9])


def test_callback_url_set_then_get(audd):
    r = audd("streams", "callback-url", "set", "https://example.com/hook", "--return", "spotify")
    assert r.code == 0, r.err
    r = audd("streams", "callback-url")
    assert (r.code, r.out.strip()) == (0, "https://example.com/hook?return=spotify")
    r = audd("--json", "streams", "callback-url", "get")
    assert json.loads(r.out) == {"url": "https://example.com/hook?return=spotify"}


def test_unknown_provider_is_rejected_before_any_request(audd, cli_env):
    r = audd("recognize", str(cli_env.clip), "--return", "spotify,tidal")
    assert r.code == 2
    assert "tidal" in r.err


def test_lyrics_finds_the_song_by_its_words(audd):
    r = audd("lyrics", "paper", "boats")
    assert r.code == 0, r.err
    assert "Second Artist — Paper Boats" in r.out


def test_lyrics_without_hits_exits_1(audd):
    r = audd("lyrics", "zzqxv")
    assert (r.code, r.out.strip()) == (1, "no lyrics found")


def test_catalog_add_then_recognize_the_custom_song(audd, cli_env):
    r = audd("catalog", "add", "321", str(cli_env.custom_song))
    assert r.code == 0, r.err
    r = audd("--json", "recognize", str(cli_env.custom_clip))
    assert r.code == 0, r.err
    assert json.loads(r.out)["audio_id"] == 321
    r = audd("recognize", str(cli_env.custom_clip))
    assert r.out.startswith("custom catalog audio_id=321 @ 00:1")


def test_catalog_add_missing_file(audd, tmp_path):
    r = audd("catalog", "add", "1", str(tmp_path / "missing.wav"))
    assert r.code == 2
    assert r.err.startswith("error: no such file: ")


def test_usage_errors_exit_2_without_traceback(capsys):
    assert main(["streams", "add", "http://x/y.mp3", "not-an-int"]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert main([]) == 2


def test_version(capsys):
    from audd import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"audd {__version__}"


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "exit codes" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["server", "--help"],
        ["--json", "server", "--help"],
        ["--token", "t", "--base-url=http://x", "server", "--help"],
    ],
)
def test_server_arguments_pass_through(capsys, argv):
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("usage: audd-server")


def test_callback_url_get_without_one_set_exits_1(audd, cli_env):
    r = audd("streams", "callback-url", "get", "--token", cli_env.spare_token)
    assert (r.code, r.out.strip(), r.err) == (1, "no callback URL set", "")


def test_longpoll_without_a_callback_url_is_a_clean_error(audd, cli_env):
    # The SDK's preflight refuses: without a callback URL no events would ever arrive.
    r = audd("streams", "longpoll", "--radio-id", "1", "--token", cli_env.spare_token)
    assert r.code == 3
    assert len(r.err.splitlines()) == 1
    assert r.err.startswith("error: ")


@pytest.mark.timeout(90)
def test_longpoll_prints_the_songs_a_stream_plays(audd, cli_env, http_files):
    assert audd("streams", "callback-url", "set", f"{http_files}/hook").code == 0
    assert audd("streams", "add", f"{http_files}/mix.mp3", "4202", "--before").code == 0
    try:
        # --since-time 0 replays the category from its start: no race with the stream worker.
        r = audd(
            "streams", "longpoll", "--radio-id", "4202", "--since-time", "0", "--count", "1",
            "--timeout", "5",
        )  # fmt: skip
        assert r.code == 0, r.err
        assert "[radio 4202]" in r.out
        assert "Cli Test Band — First Light" in r.out
        # The tokenless consumer sees the same events through the stream's category.
        category = audd("streams", "category", "4202").out.strip()
        r = audd(
            "streams", "longpoll", "--category", category, "--since-time", "0", "--count", "1",
            "--timeout", "5", "--token", "unused-and-never-sent", "--json",
        )  # fmt: skip
        assert r.code == 0, r.err
        events = [json.loads(line) for line in r.out.splitlines()]  # JSON Lines
        matches = [e["match"] for e in events if "match" in e]
        assert matches[0]["song"]["title"] == "First Light"
    finally:
        audd("streams", "delete", "4202")


@pytest.mark.slow
def test_demo_runs_end_to_end(capsys):
    code = main(["demo"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "✓" in out
    assert "recognized correctly" in out
    assert "mix: 3 of 3 songs found at the right place" in out
    assert "server stopped" in out


def test_recognize_reads_the_clip_from_stdin(audd, cli_env, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(cli_env.clip.read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    r = audd("recognize", "-")
    assert r.code == 0, r.err
    assert r.out.startswith("Second Artist — Paper Boats @ ")


def test_server_pass_through_without_the_server_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "audd_server.cli", None)  # import fails like a missing extra
    assert main(["server", "serve"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("error: the local server is not installed: pip install 'audd[server]'")


def test_demo_without_the_server_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "audd_server.synth", None)
    assert main(["demo"]) == 4
    assert "pip install 'audd[server]'" in capsys.readouterr().err


def test_local_server_refuses_a_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = LocalServer(tmp_path, port=busy.getsockname()[1])
        with pytest.raises(CLIError, match="already in use"):
            server.start()


def test_demo_interrupted_stops_the_server_and_cleans_up(capsys, monkeypatch):
    from audd_cli import _demo

    short = tuple((*song[:5], 30.0, song[6]) for song in _demo.DEMO_SONGS[:2])
    monkeypatch.setattr(_demo, "DEMO_SONGS", short)
    started = []
    real_start = LocalServer.start

    def start(self, *args, **kwargs):
        started.append(self)
        real_start(self, *args, **kwargs)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(LocalServer, "start", start)
    monkeypatch.setattr(_demo, "_recognize_clip", interrupt)
    assert main(["demo"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    (server,) = started
    assert not server.running
    assert not server.data_dir.exists()


@pytest.mark.slow
def test_demo_with_your_own_music_skips_what_cannot_be_enrolled(capsys, tmp_path):
    from audd_server.synth import synth_track, write_audio

    music = tmp_path / "music"
    music.mkdir()
    for i, title in enumerate(("Own One", "Own Two")):
        samples = synth_track(880 + i, 40.0, sample_rate=22_050)
        write_audio(music / f"{i}.flac", samples, 22_050, tags={"artist": "Me", "title": title})
    (music / "broken.mp3").write_text("not audio")
    code = main(["demo", "--music", str(music)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped broken.mp3" in out
    assert "mix: 2 of 2 songs found" in out
