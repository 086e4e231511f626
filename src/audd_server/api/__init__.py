"""HTTP API (Starlette): one module per endpoint family, assembled by `create_app`."""

from audd_server.api.app import create_app

__all__ = ["create_app"]
