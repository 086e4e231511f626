"""Sans-IO core shared by the sync and async shells: no sockets, sleeps, clocks, env or files.

- ``_config``      every constant (hosts, env names, timeouts, retry defaults, providers)
- ``_options``     constructor validation, token resolution, User-Agent, request URLs
- ``_sources``     classifying an audio source (URL, path, buffer, file-like)
- ``_request``     `RequestSpec` and one builder per endpoint (argument validation included)
- ``_multipart``   urlencoded bodies and streamed multipart framing (token last)
- ``_response``    ``(status, headers, body)`` → `ApiResponse` or the right `AudDError`;
                   ``decode_*`` per result shape
- ``_errors``      the error-code → exception table
- ``_retry``       retry decisions and backoff as pure functions
- ``_modelbase``   lenient pydantic base, provider blocks, streaming-link helpers
- ``_models``      recognition, enterprise and lyrics models
- ``_streams`` / ``_stream_models``   streams, callbacks and longpoll logic and models
"""
