"""Synchronous shell: `AudD`, its namespaces, and I/O helpers shared with the async shell."""
