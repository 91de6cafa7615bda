"""Commitment extraction from notes and emails."""

from dealgate.extract.extractor import Extracted, extract, extract_many

__all__ = ["Extracted", "extract", "extract_many"]
