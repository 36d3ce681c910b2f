"""zimao (自贸) — one-window government services for pilot free-trade-zone areas."""

__version__ = "0.2.0"
