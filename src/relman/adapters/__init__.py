"""Adapters: git, files, templates and other I/O at the edge."""
