"""Enterprise uploads: spooled to disk, decoded as a stream, memory flat with the file length."""

from __future__ import annotations

import io
import tracemalloc
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from server_fixtures import SONGS, TOKEN_ENTERPRISE

from audd_server.synth import synth_track

RATE = 8000


def _long_wav(path: Path, minutes: int) -> Path:
    """Song A looped for `minutes`, written block by block (never held whole in memory)."""
    song = synth_track(SONGS[0].seed, SONGS[0].duration, RATE)
    assert SONGS[0].duration == 60
    block = (song * 20000).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        for _ in range(minutes):
            w.writeframes(block)
    return path


def _scan_peak(client: Any, path: Path) -> tuple[int, list[dict[str, Any]]]:
    """Peak Python/numpy memory traced while the enterprise scan decodes the whole file."""
    from audd_server.api import enterprise

    ctx = client.app.state.ctx
    account = ctx.accounts.by_token(TOKEN_ENTERPRISE)
    plan = enterprise._Plan(24, 1, None)  # recognize every 25th chunk; all are decoded
    with path.open("rb") as f:
        tracemalloc.start()
        try:
            out = enterprise.scan(
                ctx, account, f, start=0.0, plan=plan, providers=[], accurate=False
            )
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, out


@pytest.mark.slow
def test_scan_memory_is_flat_and_offsets_pass_an_hour(client: Any, tmp_path: Path) -> None:
    short_peak, _ = _scan_peak(client, _long_wav(tmp_path / "short.wav", 2))
    long_peak, chunks = _scan_peak(client, _long_wav(tmp_path / "long.wav", 62))
    # Decoding 62 minutes at once would hold ~164 MB of float32 at the analysis rate alone.
    assert long_peak < 16e6, (short_peak, long_peak)
    assert long_peak < short_peak * 1.5 + 4e6, (short_peak, long_peak)
    # Chunks 0, 25, …, 300 were recognized; offsets switch to HH:MM:SS past an hour.
    offsets = [c["offset"] for c in chunks]
    assert offsets[:3] == ["00:00", "05:00", "10:00"], offsets
    assert offsets[-1] == "01:00:00", offsets
    assert {c["songs"][0]["title"] for c in chunks} == {SONGS[0].meta["title"]}


def test_uploads_are_spooled_to_disk(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from audd_server.api import enterprise

    seen: dict[str, Any] = {}
    real = enterprise.scan

    def spy(ctx: Any, account: Any, source: Any, **kwargs: Any) -> Any:
        seen["rolled"] = getattr(source, "_rolled", None)
        seen["type"] = type(source).__name__
        return real(ctx, account, source, **kwargs)

    monkeypatch.setattr(enterprise, "scan", spy)
    audio = (synth_track(SONGS[0].seed, 90.0, RATE) * 20000).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio.tobytes())
    assert buf.tell() > 1024 * 1024
    resp = client.post(
        "/enterprise/",
        data={"api_token": TOKEN_ENTERPRISE, "limit": "1"},
        files={"file": ("long.wav", buf.getvalue(), "audio/wav")},
    )
    assert resp.json()["status"] == "success", resp.text
    assert seen == {"rolled": True, "type": "SpooledTemporaryFile"}
    assert np.isfinite(len(resp.json()["result"]))
