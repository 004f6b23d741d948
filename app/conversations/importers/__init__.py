"""Transcript importers, one module per format, and format auto-detection."""
