"""Adapters of ``relman demo`` only: the sample repository's history, the demo's controllable
clock, its local mail and webhook sinks, its PostgreSQL databases and its test tool chain.

They are wired by `relman.bootstrap.build_demo`; nothing in relman's product path uses them.
"""
