"""Form encoding: urlencoded bodies and the framing of a streamed multipart upload.

The shells stream ``head``, then the audio bytes, then ``tail``, so the audio is never copied
into one buffer. Field order is the caller's; the api_token goes in ``tail``, as the last field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

__all__ = ["MultipartFrame", "encode_urlencoded", "multipart_frame"]

Fields = Sequence[tuple[str, str]]


def encode_urlencoded(fields: Fields) -> bytes:
    """``application/x-www-form-urlencoded`` body for ``fields`` (order kept)."""
    return urlencode(list(fields)).encode("ascii")


def _quote(value: str) -> str:
    # Same escaping browsers and httpx apply to Content-Disposition parameters.
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _field_part(boundary: str, name: str, value: str) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
        + value.encode("utf-8")
        + b"\r\n"
    )


@dataclass(frozen=True)
class MultipartFrame:
    """Everything of a multipart body except the file content itself."""

    content_type: str
    """``multipart/form-data; boundary=...``."""
    head: bytes
    """Fields before the file, then the file part's headers."""
    tail: bytes
    """End of the file part, the trailing fields (the token), the closing boundary."""

    def content_length(self, file_size: int | None) -> int | None:
        """Total body length for a file of ``file_size`` bytes (``None`` if the size is unknown)."""
        if file_size is None:
            return None
        return len(self.head) + file_size + len(self.tail)


def multipart_frame(
    boundary: str,
    fields_before: Fields,
    file_field: str,
    filename: str,
    fields_after: Fields = (),
) -> MultipartFrame:
    """Framing for one ``application/octet-stream`` file part between two groups of fields."""
    head = b"".join(_field_part(boundary, name, value) for name, value in fields_before)
    head += (
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="{_quote(file_field)}"; filename="{_quote(filename)}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = b"\r\n" + b"".join(_field_part(boundary, n, v) for n, v in fields_after)
    tail += f"--{boundary}--\r\n".encode()
    return MultipartFrame(f"multipart/form-data; boundary={boundary}", head, tail)
