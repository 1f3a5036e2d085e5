-- Rollback of 003_1.2.0.
ALTER TABLE sale_order DROP COLUMN IF EXISTS channel;
UPDATE ir_config_parameter SET value = '1.1.0' WHERE key = 'database.version';
