"""Plugins broken on purpose, to prove one bad plugin cannot break the others."""
