"""The package version, in a module of its own so that any layer may name it (the scan
cache keys on it) without importing the API facade."""

__version__ = "0.1.0"
