"""Shared pydantic base for every SDK model, the provider blocks and the streaming-link helpers.

Models accept unknown fields (``model_extra``) and coerce wrong-typed scalars leniently; a value
that still cannot be coerced is moved to ``model_extra["<field>_raw"]`` instead of failing the
whole response or vanishing. Pure data, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from audd._core._config import RAW_SUFFIX, STREAMING_PROVIDERS

__all__ = [
    "STREAMING_PROVIDERS",
    "AppleMusic",
    "AudDModel",
    "Deezer",
    "MusicBrainzEntry",
    "Napster",
    "SongMetadata",
    "Spotify",
    "StreamingLinksMixin",
    "lis_tn_url",
    "set_pretty_writer",
]

# Bound on repair rounds: each round moves at least one offending top-level key aside.
_MAX_REPAIR_ROUNDS = 8


class AudDModel(BaseModel):
    """Base of every SDK model: unknown fields kept, scalars coerced leniently, nothing dropped.

    ``"85"`` becomes ``85`` for an ``int`` field, ``123`` becomes ``"123"`` for a ``str`` field,
    ``"yes"``/``"true"`` become ``True``. A value that cannot be coerced leaves its field at the
    default (``None``) and is kept in ``model_extra`` under ``"<field>_raw"``.
    """

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        coerce_numbers_to_str=True,
        protected_namespaces=(),
        # Schemas are built on first use, not at `import audd` (~50 ms saved at import).
        defer_build=True,
    )

    @model_validator(mode="wrap")
    @classmethod
    def _lenient(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as first_error:
            if not isinstance(data, dict):
                raise
            error: ValidationError = first_error
            current = dict(data)
            moved: dict[str, Any] = {}
            for _ in range(_MAX_REPAIR_ROUNDS):
                bad_keys = _offending_keys(error, current)
                if not bad_keys:
                    raise first_error from None
                for key in bad_keys:
                    moved[key] = current.pop(key)
                try:
                    model = handler(current)
                except ValidationError as again:
                    error = again
                    continue
                extra = model.__pydantic_extra__
                if extra is not None:
                    for key, value in moved.items():
                        extra[_raw_key(key, extra, current)] = value
                return model
            raise first_error from None


def _offending_keys(error: ValidationError, data: dict[str, Any]) -> list[str]:
    keys: list[str] = []
    for detail in error.errors():
        loc = detail.get("loc", ())
        if loc and isinstance(loc[0], str) and loc[0] in data and loc[0] not in keys:
            keys.append(loc[0])
    return keys


def _raw_key(key: str, extra: dict[str, Any], data: dict[str, Any]) -> str:
    name = key.replace("-", "_") + RAW_SUFFIX
    while name in extra or name in data:
        name += "_"
    return name


# --------------------------------------------------------------------------------------------
# Provider blocks: mirrors of upstream payloads, passed through verbatim by AudD.
# --------------------------------------------------------------------------------------------


class AppleMusic(AudDModel):
    """Apple Music track payload (``return_=["apple_music"]``); extra fields in ``model_extra``."""

    url: str | None = None
    """Track page on music.apple.com."""
    name: str | None = None
    """Track name as Apple Music spells it."""
    artistName: str | None = None
    """Artist name as Apple Music spells it."""
    albumName: str | None = None
    """Album name."""
    isrc: str | None = None
    """International Standard Recording Code."""
    releaseDate: str | None = None
    """Release date (YYYY-MM-DD)."""
    durationInMillis: int | None = None
    """Track duration in milliseconds."""
    discNumber: int | None = None
    """Disc number."""
    trackNumber: int | None = None
    """Track number on the disc."""
    composerName: str | None = None
    """Composer credits."""
    genreNames: list[str] | None = None
    """Genres."""
    previews: list[dict[str, Any]] | None = None
    """Preview clips; each has a ``url``."""
    artwork: dict[str, Any] | None = None
    """Artwork template (``url`` with ``{w}``/``{h}`` placeholders, ``width``, ``height``...)."""
    playParams: dict[str, Any] | None = None
    """Playback parameters (``id``, ``kind``)."""


class Spotify(AudDModel):
    """Spotify track payload (``return_=["spotify"]``); extra fields in ``model_extra``."""

    id: str | None = None
    """Spotify track id."""
    uri: str | None = None
    """``spotify:track:...`` URI."""
    name: str | None = None
    """Track name."""
    href: str | None = None
    """Web API URL of the track."""
    external_urls: dict[str, Any] | None = None
    """External URLs; ``external_urls["spotify"]`` is the open.spotify.com page."""
    external_ids: dict[str, Any] | None = None
    """External ids (``isrc``...)."""
    preview_url: str | None = None
    """30-second MP3 preview, when Spotify provides one."""
    album: dict[str, Any] | None = None
    """Album object."""
    artists: list[dict[str, Any]] | None = None
    """Artist objects."""
    available_markets: list[str] | None = None
    """Markets where the track is available."""
    disc_number: int | None = None
    """Disc number."""
    track_number: int | None = None
    """Track number."""
    duration_ms: int | None = None
    """Duration in milliseconds."""
    explicit: bool | None = None
    """Explicit-content flag."""
    popularity: int | None = None
    """Popularity 0..100."""
    is_local: bool | None = None
    """Local-file flag."""
    is_playable: bool | None = None
    """Playable in the requested market."""
    linked_from: dict[str, Any] | None = None
    """Original track when Spotify relinked it."""
    type: str | None = None
    """Object type (``track``)."""


class Deezer(AudDModel):
    """Deezer track payload (``return_=["deezer"]``); extra fields in ``model_extra``."""

    id: int | None = None
    """Deezer track id."""
    title: str | None = None
    """Track title."""
    title_short: str | None = None
    """Short title."""
    title_version: str | None = None
    """Version suffix."""
    link: str | None = None
    """Track page on deezer.com."""
    preview: str | None = None
    """30-second preview URL."""
    duration: int | None = None
    """Duration in seconds."""
    rank: int | None = None
    """Deezer rank."""
    readable: bool | None = None
    """Streamable flag."""
    explicit_lyrics: bool | None = None
    """Explicit lyrics flag."""
    explicit_content_lyrics: int | None = None
    """Explicit lyrics level."""
    explicit_content_cover: int | None = None
    """Explicit cover level."""
    md5_image: str | None = None
    """Cover image hash."""
    artist: dict[str, Any] | None = None
    """Artist object."""
    album: dict[str, Any] | None = None
    """Album object."""
    type: str | None = None
    """Object type (``track``)."""


class Napster(AudDModel):
    """Napster track payload (``return_=["napster"]``); extra fields in ``model_extra``."""

    id: str | None = None
    """Napster track id."""
    type: str | None = None
    """Object type."""
    name: str | None = None
    """Track name."""
    href: str | None = None
    """Track URL."""
    previewURL: str | None = None
    """Preview clip URL."""
    isrc: str | None = None
    """International Standard Recording Code."""
    index: int | None = None
    """Position on the album."""
    disc: int | None = None
    """Disc number."""
    playbackSeconds: int | None = None
    """Duration in seconds."""
    isExplicit: bool | None = None
    """Explicit flag."""
    isStreamable: bool | None = None
    """Streamable flag."""
    isAvailableInHiRes: bool | None = None
    """Hi-res availability."""
    shortcut: str | None = None
    """Napster shortcut path."""
    blurbs: list[str] | None = None
    """Editorial blurbs."""
    artistId: str | None = None
    """Artist id."""
    artistName: str | None = None
    """Artist name."""
    albumId: str | None = None
    """Album id."""
    albumName: str | None = None
    """Album name."""
    formats: list[dict[str, Any]] | None = None
    """Available formats."""
    contributors: dict[str, Any] | None = None
    """Contributors."""
    links: dict[str, Any] | None = None
    """Related links."""


class MusicBrainzEntry(AudDModel):
    """One MusicBrainz recording candidate (``return_=["musicbrainz"]``)."""

    id: str | None = None
    """MusicBrainz recording id (UUID)."""
    score: int | None = None
    """MusicBrainz match score (sent as a number or a string upstream)."""
    title: str | None = None
    """Recording title."""
    length: int | None = None
    """Length in milliseconds."""
    disambiguation: str | None = None
    """MusicBrainz disambiguation comment."""
    video: bool | None = None
    """Video recording flag."""
    artist_credit: list[dict[str, Any]] | None = Field(default=None, alias="artist-credit")
    """Artist credits (``artist-credit`` upstream)."""
    releases: list[dict[str, Any]] | None = None
    """Releases containing the recording."""
    isrcs: list[str] | None = None
    """ISRCs of the recording."""
    tags: list[dict[str, Any]] | None = None
    """Folksonomy tags."""


# --------------------------------------------------------------------------------------------
# Streaming links
# --------------------------------------------------------------------------------------------


def lis_tn_url(song_link: str | None, key: str) -> str | None:
    """``song_link`` with the bare query key ``key`` added, when its host is ``lis.tn``.

    The key goes into the query (joined with ``&`` if a query exists), before any ``#fragment``.
    Any other host, or no link, gives ``None``.
    """
    if not song_link:
        return None
    try:
        parts = urlsplit(song_link)
    except ValueError:
        return None
    if (parts.hostname or "").lower() != "lis.tn":
        return None
    query = f"{parts.query}&{key}" if parts.query else key
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


PrettyWriter = Callable[[str, Any], None]
"""Writes `pretty_print` text to a ``stream`` (``None``: standard output)."""

_PRETTY_WRITER: dict[str, PrettyWriter] = {}


def set_pretty_writer(writer: PrettyWriter | None) -> None:
    """Install how `pretty_print` outputs its text; `audd.models` installs ``print``.

    The output is I/O, so it lives outside ``_core``: here it is only a hook.
    """
    if writer is None:
        _PRETTY_WRITER.pop("write", None)
    else:
        _PRETTY_WRITER["write"] = writer


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class StreamingLinksMixin:
    """Cover art, per-provider links and previews derived from ``song_link`` and provider blocks.

    Mixed into models that declare ``song_link``, ``apple_music``, ``spotify``, ``deezer`` and
    ``napster`` (all optional).
    """

    _pretty_fields: ClassVar[tuple[str, ...]] = ()

    @property
    def thumbnail_url(self) -> str | None:
        """Cover-art URL: ``song_link`` plus ``?thumb`` when it is a lis.tn link, else ``None``."""
        return lis_tn_url(getattr(self, "song_link", None), "thumb")

    def streaming_url(self, provider: str) -> str | None:
        """Link to this song on ``provider``: apple_music, spotify, deezer, napster or youtube.

        Prefers the provider block's direct URL, then the lis.tn redirect
        (``song_link?<provider>``), else ``None``. An unknown provider raises ``ValueError``.
        """
        if provider not in STREAMING_PROVIDERS:
            raise ValueError(
                f"unknown streaming provider {provider!r}; "
                f"expected one of: {', '.join(STREAMING_PROVIDERS)}"
            )
        direct = self._direct_url(provider)
        if direct is not None:
            return direct
        return lis_tn_url(getattr(self, "song_link", None), provider)

    def streaming_urls(self) -> dict[str, str]:
        """Every provider with a resolvable link, as ``{provider: url}``."""
        urls: dict[str, str] = {}
        for provider in STREAMING_PROVIDERS:
            url = self.streaming_url(provider)
            if url is not None:
                urls[provider] = url
        return urls

    def preview_url(self) -> str | None:
        """A 30-second preview: Apple Music, then Spotify, then Deezer (provider terms apply)."""
        apple = getattr(self, "apple_music", None)
        if isinstance(apple, AppleMusic) and apple.previews:
            first = apple.previews[0]
            if isinstance(first, dict) and _str_or_none(first.get("url")):
                return str(first["url"])
        spotify = getattr(self, "spotify", None)
        if isinstance(spotify, Spotify) and _str_or_none(spotify.preview_url):
            return spotify.preview_url
        deezer = getattr(self, "deezer", None)
        if isinstance(deezer, Deezer) and _str_or_none(deezer.preview):
            return deezer.preview
        return None

    def pretty_print(self, *, stream: Any = None) -> str:
        """Print the full model state, typed fields and extras, as indented JSON.

        Compatible with the older official client: it prints to ``stream`` (default
        ``sys.stdout``), so ``result.pretty_print()`` written for it works unchanged. The
        printed JSON is also returned (without the final newline). For one readable line, use
        ``str(result)`` (``Artist — Title (Album, date) @ timecode [score] link``), which
        prints nothing. The printing is installed by `audd.models`: this module does no I/O.
        """
        text = self.model_dump_json(indent=2)  # type: ignore[attr-defined]
        writer = _PRETTY_WRITER.get("write")
        if writer is not None:
            writer(text, stream)
        return str(text)

    def __str__(self) -> str:
        """One readable line: ``Artist — Title (Album, date) @ timecode [score] link``.

        ``repr()`` keeps pydantic's field-by-field form; `pretty_print` prints everything.
        """
        return self._pretty_line()

    def _pretty_line(self) -> str:
        artist = getattr(self, "artist", None)
        title = getattr(self, "title", None)
        head = " — ".join(str(part) for part in (artist, title) if part) or "(unknown song)"
        details = [
            str(v) for v in (getattr(self, "album", None), getattr(self, "release_date", None)) if v
        ]
        text = head + (f" ({', '.join(details)})" if details else "")
        timecode = getattr(self, "timecode", None)
        if timecode:
            text += f" @ {timecode}"
        score = getattr(self, "score", None)
        if score is not None:
            text += f" [score {score}]"
        song_link = getattr(self, "song_link", None)
        if song_link:
            text += f" {song_link}"
        return text

    def _direct_url(self, provider: str) -> str | None:
        block = getattr(self, provider, None)
        if isinstance(block, AppleMusic):
            return _str_or_none(block.url)
        if isinstance(block, Spotify):
            urls = block.external_urls or {}
            return _str_or_none(urls.get("spotify")) or _str_or_none(block.uri)
        if isinstance(block, Deezer):
            return _str_or_none(block.link)
        if isinstance(block, Napster):
            return _str_or_none(block.href)
        return None


class SongMetadata(StreamingLinksMixin, AudDModel):
    """Song fields shared by recognition results, enterprise matches and stream callbacks."""

    artist: str | None = None
    """Artist name(s)."""
    title: str | None = None
    """Song title."""
    album: str | None = None
    """Album title."""
    release_date: str | None = None
    """Release date, ``YYYY-MM-DD``."""
    label: str | None = None
    """Record label."""
    song_link: str | None = None
    """AudD song page (usually ``https://lis.tn/...``)."""
    isrc: str | None = None
    """ISRC (enterprise plans)."""
    upc: str | None = None
    """UPC (enterprise plans)."""
    apple_music: AppleMusic | None = None
    """Apple Music block, when requested with ``return_``."""
    spotify: Spotify | None = None
    """Spotify block, when requested with ``return_``."""
    deezer: Deezer | None = None
    """Deezer block, when requested with ``return_``."""
    napster: Napster | None = None
    """Napster block, when requested with ``return_``."""
    musicbrainz: list[MusicBrainzEntry] | None = None
    """MusicBrainz candidates, when requested with ``return_``."""

    @field_validator("musicbrainz", mode="before")
    @classmethod
    def _musicbrainz_items(cls, value: Any) -> Any:
        # One malformed candidate must not cost the others: a non-object item becomes an
        # entry holding it as ``value_raw``; a lone object becomes a one-item list.
        if isinstance(value, dict):
            return [value]
        if isinstance(value, list):
            return [item if isinstance(item, dict) else {"value_raw": item} for item in value]
        return value
