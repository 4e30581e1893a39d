"""Reading and writing: files, spec JSON, the bundled data package, git.

The layer under extraction and analysis: it turns bytes into the model and back, and
knows nothing of pages, diffs or output formats.
"""
