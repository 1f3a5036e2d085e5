-- Smart Dairy 1.1.0: milk quality scoring (the J-003 §9.3 example migration).
ALTER TABLE milk_production ADD COLUMN quality_score numeric(4, 2);
CREATE INDEX idx_milk_production_date ON milk_production (recorded_on);
UPDATE ir_config_parameter SET value = '1.1.0' WHERE key = 'database.version';
