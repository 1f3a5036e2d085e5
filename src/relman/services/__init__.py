"""Use cases: keyword-only functions that take ports and policies."""
