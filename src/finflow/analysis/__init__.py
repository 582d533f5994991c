"""Analyses: pure functions over a network that return result objects (no printing)."""
