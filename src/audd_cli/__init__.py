"""The `audd` command: music recognition from the shell through the public `audd` SDK.

`audd demo` starts a local AudD-compatible server (`audd_server`) and walks through recognition
end to end; `audd server ...` passes through to the server's own command line.
"""
