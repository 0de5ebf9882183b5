-- Products, orders and the order event log. Runs unchanged on PGlite and PostgreSQL.

CREATE TABLE products (
  id            text COLLATE "C" PRIMARY KEY,
  name          text        NOT NULL,
  currency_code text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
  price_minor   bigint      NOT NULL CHECK (price_minor > 0),
  create_time   timestamptz NOT NULL,
  update_time   timestamptz NOT NULL
);

CREATE TABLE orders (
  id              uuid        PRIMARY KEY,
  customer_id     text        NOT NULL,
  status          text        NOT NULL CHECK (status IN ('PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
  currency_code   text        NOT NULL,
  total_minor     bigint      NOT NULL CHECK (total_minor >= 0),
  -- [{"productId": "...", "quantity": 2, "unitPriceMinor": "1299"}]: items never change after creation.
  items           jsonb       NOT NULL,
  version         bigint      NOT NULL CHECK (version >= 1),
  idempotency_key text        NOT NULL DEFAULT '',
  create_time     timestamptz NOT NULL,
  update_time     timestamptz NOT NULL
);

CREATE UNIQUE INDEX orders_customer_idempotency_key ON orders (customer_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX orders_customer_id ON orders (customer_id, id DESC);
CREATE INDEX orders_status_id ON orders (status, id DESC);

-- One row holding the last event sequence. Appending an event increments it inside the writing
-- transaction; the row lock makes sequences gap-free and commit-ordered, so a reader whose
-- snapshot shows last_value = N also sees every event up to N.
CREATE TABLE event_sequence (
  singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_value bigint  NOT NULL
);
INSERT INTO event_sequence (singleton, last_value) VALUES (true, 0);

CREATE TABLE order_events (
  sequence    bigint      PRIMARY KEY,
  order_id    uuid        NOT NULL REFERENCES orders (id),
  customer_id text        NOT NULL,
  type        text        NOT NULL CHECK (type IN ('CREATED', 'STATUS_CHANGED')),
  -- The order right after the event, in the JSON form of src/adapters/order-json.ts.
  payload     jsonb       NOT NULL,
  occur_time  timestamptz NOT NULL
);

CREATE INDEX order_events_customer_sequence ON order_events (customer_id, sequence);
CREATE INDEX order_events_order_sequence ON order_events (order_id, sequence);
