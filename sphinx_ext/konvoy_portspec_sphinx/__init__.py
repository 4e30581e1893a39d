"""Sphinx extension for konvoy-portspec (work in progress)."""
