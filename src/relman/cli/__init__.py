"""Command-line shell: parse -> service -> render."""
