"""dealgate: a sales pipeline where a deal advances only on the buyer's commitment."""

__version__ = "0.1.0"
