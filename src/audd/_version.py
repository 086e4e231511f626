"""The SDK version (kept in step with pyproject.toml; a literal so `import audd` stays cheap)."""

__version__ = "0.1.0"
