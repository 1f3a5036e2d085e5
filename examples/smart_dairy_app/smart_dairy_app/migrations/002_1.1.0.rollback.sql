-- Rollback of 002_1.1.0 (J-003 §9.3 "Example Rollback Migration Script").
ALTER TABLE milk_production DROP COLUMN IF EXISTS quality_score;
DROP INDEX IF EXISTS idx_milk_production_date;
UPDATE ir_config_parameter SET value = '1.0.0' WHERE key = 'database.version';
