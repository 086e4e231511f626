"""Asyncio shell: `AsyncAudD` and its namespaces."""
