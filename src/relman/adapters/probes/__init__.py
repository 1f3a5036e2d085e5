"""Verification probes (J-003 §8.5, §14): health checks, smoke tests, metrics sources."""
