"""The pure core: the J-003 rules, with no I/O."""
