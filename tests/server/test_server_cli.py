"""`audd-server token …` / `catalog …` (serve is covered by the live-server test)."""

from __future__ import annotations

import json

import pytest

from audd_server.cli import main
from audd_server.config import Settings
from audd_server.context import ServerContext
from audd_server.store import PLANS
from audd_server.synth import synth_track, write_audio


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_documents_plans(capsys):
    with pytest.raises(SystemExit):
        main(["token", "create", "--help"])
    out = capsys.readouterr().out
    for plan in PLANS:
        assert plan in out
    assert "audd.db" in out


def test_token_create_list_delete(tmp_path, capsys):
    d = str(tmp_path / "d")
    code, out, _ = run(capsys, "token", "create", "--plan", "enterprise", "--data-dir", d)
    assert code == 0
    token = out.strip()
    assert len(token) == 32
    code, out, _ = run(
        capsys, "token", "create", "--plan", "free", "--token", "mine", "--stream-slots", "2",
        "--daily-limit", "none", "--data-dir", d,
    )  # fmt: skip
    assert out.strip() == "mine"
    code, _, err = run(capsys, "token", "create", "--token", "mine", "--data-dir", d)
    assert code == 2
    assert "exists" in err
    code, out, _ = run(capsys, "token", "list", "--data-dir", d)
    assert "test" in out
    assert token in out
    assert "mine" in out
    ctx = ServerContext.open(Settings(data_dir=tmp_path / "d"))
    try:
        mine = ctx.accounts.by_token("mine")
        assert mine is not None
        assert mine.stream_slots == 2
        assert mine.daily_limit is None
        assert not mine.enterprise
        test_account = ctx.accounts.by_token("test")
        assert test_account is not None
        assert test_account.daily_limit == 10
    finally:
        ctx.close()
    assert run(capsys, "token", "delete", "mine", "--data-dir", d)[0] == 0
    assert run(capsys, "token", "delete", "mine", "--data-dir", d)[0] == 1


def test_catalog_add_reads_tags_sidecar_table_and_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AUDD_SERVER_DATA_DIR", str(tmp_path / "d"))
    music = tmp_path / "music"
    (music / "sub").mkdir(parents=True)
    write_audio(
        music / "a.mp3",
        synth_track(161, 20, sample_rate=22050),
        22050,
        tags={"artist": "Tag Artist", "title": "Tag Title", "album": "Tag Album", "date": "2001"},
    )
    write_audio(music / "sub" / "b.wav", synth_track(162, 20, sample_rate=22050), 22050)
    (music / "sub" / "b.wav.json").write_text(
        json.dumps(
            {
                "artist": "Side Artist",
                "title": "Side Title",
                "lyrics": "la la sidecar words",
                "deezer": {"id": 5, "link": "https://www.deezer.com/track/5"},
            }
        )
    )
    (music / "notes.txt").write_text("not audio")
    table = tmp_path / "meta.csv"
    table.write_text("file,label,isrc\na.mp3,Table Label,USX1\n")
    code, out, err = run(capsys, "catalog", "add", str(music), "--metadata", str(table))
    assert code == 0, err
    assert "added 2 track(s)" in err
    code, out, _ = run(capsys, "catalog", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["title"] for r in rows] == ["Tag Title", "Side Title"]
    assert rows[0]["artist"] == "Tag Artist"
    assert rows[0]["album"] == "Tag Album"
    assert rows[0]["release_date"] == "2001"
    assert rows[0]["label"] == "Table Label"
    assert rows[0]["isrc"] == "USX1"
    assert rows[1]["artist"] == "Side Artist"
    ctx = ServerContext.open(Settings(data_dir=tmp_path / "d"))
    try:
        track = ctx.track(rows[1]["id"])
        assert track is not None
        assert track.providers["deezer"]["id"] == 5
        assert track.lyrics == "la la sidecar words"
        assert ctx.catalog.find_lyrics("sidecar")[0].id == track.id
        assert track.hashes > 0
    finally:
        ctx.close()
    # Flags override everything.
    code, out, _ = run(
        capsys, "catalog", "add", str(music / "a.mp3"), "--artist", "Flag", "--song-link",
        "https://lis.tn/abc",
    )  # fmt: skip
    new_id = int(out.split("\t")[0])
    code, out, _ = run(capsys, "catalog", "list", "--json")
    row = [json.loads(line) for line in out.splitlines()][-1]
    assert row["id"] == new_id
    assert row["artist"] == "Flag"
    assert row["song_link"] == "https://lis.tn/abc"
    assert run(capsys, "catalog", "remove", str(new_id))[0] == 0
    assert run(capsys, "catalog", "remove", str(new_id))[0] == 1
    code, out, _ = run(capsys, "catalog", "list")
    assert len(out.splitlines()) == 2


def test_catalog_add_reports_undecodable_files(tmp_path, capsys):
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(b"nope" * 100)
    code, _, err = run(capsys, "catalog", "add", str(bad), "--data-dir", str(tmp_path / "d"))
    assert code == 1
    assert "bad.mp3" in err
