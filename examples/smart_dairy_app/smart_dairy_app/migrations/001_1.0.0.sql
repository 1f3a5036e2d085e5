-- Smart Dairy 1.0.0: the base schema (Odoo-style names) and demo data.
CREATE TABLE ir_config_parameter (
    key text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE product (
    id serial PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    uom text NOT NULL
);
CREATE TABLE stock_quant (
    product_id integer PRIMARY KEY REFERENCES product (id),
    warehouse text NOT NULL DEFAULT 'WH/Stock',
    quantity numeric(12, 2) NOT NULL
);
CREATE TABLE sale_order (
    id bigserial PRIMARY KEY,
    customer text NOT NULL,
    product_id integer NOT NULL REFERENCES product (id),
    quantity numeric(12, 2) NOT NULL CHECK (quantity > 0),
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE milk_production (
    id bigserial PRIMARY KEY,
    recorded_on date NOT NULL,
    cow_tag text NOT NULL,
    liters numeric(8, 2) NOT NULL
);
INSERT INTO product (code, name, uom) VALUES
    ('milk', 'Fresh Milk', 'L'),
    ('yogurt', 'Sweet Yogurt', 'kg'),
    ('ghee', 'Pure Ghee', 'kg'),
    ('butter', 'Butter', 'kg');
INSERT INTO stock_quant (product_id, quantity)
    SELECT id, CASE code WHEN 'milk' THEN 1250 WHEN 'yogurt' THEN 300 WHEN 'ghee' THEN 80 ELSE 120 END
    FROM product;
INSERT INTO milk_production (recorded_on, cow_tag, liters) VALUES
    ('2026-01-30', 'SD-COW-001', 18.5),
    ('2026-01-30', 'SD-COW-002', 21.0),
    ('2026-01-31', 'SD-COW-001', 19.2);
INSERT INTO ir_config_parameter (key, value) VALUES ('database.version', '1.0.0');
