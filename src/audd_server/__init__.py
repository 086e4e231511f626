"""Self-hostable server speaking the AudD music-recognition HTTP API (`audd-server serve`).

Never imports the `audd` SDK: it implements the wire contract on its own.
"""
