"""Database backups (J-003 §6.4): `relman.adapters.backups.postgres.PgBackup`."""
