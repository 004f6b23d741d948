"""Pairwise: turn real assistant conversations into reviewed fine-tuning data."""

__version__ = "0.1.0"
