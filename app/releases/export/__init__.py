"""Streaming a release: read pairs, build rows, assign splits, write files, lint and count tokens."""
