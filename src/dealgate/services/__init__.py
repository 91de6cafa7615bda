"""Use cases: one function per command, each in its own unit of work."""
