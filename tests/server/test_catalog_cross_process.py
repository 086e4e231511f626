"""A running server sees catalog changes made by another process (`audd-server catalog …`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from server_fixtures import TOKEN_ENTERPRISE, UNKNOWN_SEED, clip_bytes

from audd_server.synth import synth_track, write_audio


def audd_server(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audd_server", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def recognize(http: httpx.Client, wav: bytes) -> object:
    body = http.post(
        "/", data={"api_token": TOKEN_ENTERPRISE}, files={"file": ("c.wav", wav)}
    ).json()
    assert body["status"] == "success", body
    return body["result"]


def test_catalog_add_and_remove_in_another_process_reach_a_running_server(
    live_server_factory, data_dir: Path, tmp_path: Path
) -> None:
    server = live_server_factory(songs=None, data_dir=data_dir, start_streams=False)
    song = tmp_path / "new-song.flac"
    write_audio(song, synth_track(UNKNOWN_SEED, 40.0, sample_rate=44100), 44100)
    query = clip_bytes(UNKNOWN_SEED, 12.0, 10.0, song_duration=40.0)
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        assert recognize(http, query) is None

        added = audd_server(
            "catalog", "add", str(song), "--artist", "Other Process", "--title", "Fresh Track",
            "--data-dir", str(data_dir),
        )  # fmt: skip
        track_id = int(added.stdout.split("\t", 1)[0])
        result = recognize(http, query)
        assert isinstance(result, dict)
        assert (result["artist"], result["title"]) == ("Other Process", "Fresh Track")
        assert result["song_link"].endswith(f"/song/{track_id}")
        assert result["timecode"] == "00:12"
        assert http.get(f"/song/{track_id}", params={"format": "json"}).status_code == 200

        audd_server("catalog", "remove", str(track_id), "--data-dir", str(data_dir))
        assert recognize(http, query) is None
        assert http.get(f"/song/{track_id}").status_code == 404


def test_tracks_added_by_another_process_keep_their_owner(
    make_client, data_dir: Path, tmp_path: Path
) -> None:
    """A row id reused by another process for a custom-catalog track must not turn public."""
    from audd_server.config import Settings
    from audd_server.context import ServerContext
    from audd_server.engine import SAMPLE_RATE
    from audd_server.store import ingest

    client = make_client()
    query = clip_bytes(UNKNOWN_SEED, 5.0, 10.0, song_duration=40.0)
    samples = synth_track(UNKNOWN_SEED, 40.0, sample_rate=SAMPLE_RATE)
    other = ServerContext.open(Settings(data_dir=data_dir))  # another process's view
    try:
        track = ingest.add_samples(other, samples, {"title": "Public For Now"})
        body = client.post("/", data={"api_token": TOKEN_ENTERPRISE}, files={"file": query})
        assert body.json()["result"]["title"] == "Public For Now"
        # Remove it and let the same row id come back as another account's custom track.
        ingest.remove_track(other, track.id)
        owner = other.accounts.create(plan="enterprise", token="owner0123456789abcd")
        custom = ingest.upload_custom(other, owner.id, 7, tmp_wav(tmp_path, samples))
        assert custom.id == track.id
    finally:
        other.close()
    body = client.post("/", data={"api_token": TOKEN_ENTERPRISE}, files={"file": query})
    assert body.json()["result"] is None
    body = client.post("/", data={"api_token": "owner0123456789abcd"}, files={"file": query})
    assert body.json()["result"] == {"timecode": "00:05", "audio_id": 7}


def tmp_wav(tmp_path: Path, samples) -> Path:
    from audd_server.engine import SAMPLE_RATE

    path = tmp_path / "custom.wav"
    write_audio(path, samples, SAMPLE_RATE)
    return path
