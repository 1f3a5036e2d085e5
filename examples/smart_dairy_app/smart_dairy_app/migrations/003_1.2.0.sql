-- Smart Dairy 1.2.0: sales channel of an order (portal, mobile, field agent).
ALTER TABLE sale_order ADD COLUMN channel text NOT NULL DEFAULT 'portal';
UPDATE ir_config_parameter SET value = '1.2.0' WHERE key = 'database.version';
