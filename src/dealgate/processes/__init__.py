"""Shipped process definitions and the loader that validates them."""

from dealgate.processes.loader import (
    DEFAULT_PROCESS_PATH,
    default_process,
    load_process,
    parse_process,
)

__all__ = ["DEFAULT_PROCESS_PATH", "default_process", "load_process", "parse_process"]
