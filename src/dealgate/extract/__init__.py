"""Commitment extraction from notes and emails."""

from dealgate.extract.extractor import Extracted, extract

__all__ = ["Extracted", "extract"]
