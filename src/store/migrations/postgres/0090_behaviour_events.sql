-- 0090: behaviour events (issue 12) — what shoppers do (views, searches,
-- clicks, cart changes) and what they bought, append-only and compact, for
-- recommendations, search popularity and analytics. Owner: src/behaviour
-- (behaviour.h documents the contract). Times are µs since the Unix epoch;
-- ids come from souk_id_next, so an event's id also tells when it arrived.

-- A browser or device, named by the anonymous id its script keeps; linked to
-- an account when a signed-in batch carries it. Erasure unlinks: user_id goes
-- and the anonymous id is replaced, so the browser's id finds nothing.
CREATE TABLE behaviour_visitors (
    id           BIGINT PRIMARY KEY,
    anonymous_id TEXT NOT NULL UNIQUE,
    user_id      BIGINT,
    first_seen   BIGINT NOT NULL
);
CREATE INDEX behaviour_visitors_user ON behaviour_visitors(user_id) WHERE user_id IS NOT NULL;

-- One event. type is a behaviour.h code (souk_behaviour_type), never text.
-- sender is who sent it (the visitor; else the account; for the server's own
-- events the order) and client_key a 64-bit hash of the client's event id:
-- unique together, so a batch sent twice is kept once. Keyed by sender first,
-- a batch (one browser's events) touches one leaf of that index, not one per
-- event as a key hashed over everything did (docs/internals/behaviour.md).
CREATE TABLE behaviour_events (
    id            BIGINT PRIMARY KEY,
    sender        BIGINT NOT NULL,
    client_key    BIGINT NOT NULL,
    type          BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    visitor_id    BIGINT,
    user_id       BIGINT,
    product_id    BIGINT,
    variant_id    BIGINT,
    order_id      BIGINT,
    quantity      BIGINT,
    position      BIGINT,
    model_version BIGINT,
    list          TEXT,
    query         TEXT,
    properties    TEXT
);
CREATE UNIQUE INDEX behaviour_events_sender ON behaviour_events(sender, client_key);
CREATE INDEX behaviour_events_user ON behaviour_events(user_id) WHERE user_id IS NOT NULL;

-- What the catalog publishes to behaviour: every product and variant there
-- is (archived ones too: an old event about them stays valid).
CREATE VIEW behaviour_catalog_variants AS
SELECT v.id AS variant_id, v.product_id AS product_id FROM variants v;
CREATE VIEW behaviour_catalog_products AS
SELECT p.id AS product_id FROM products p;

-- What orders publish to behaviour: the lines of an order, with its customer.
CREATE VIEW behaviour_order_lines AS
SELECT l.order_id AS order_id, l.line_no AS line_no, o.user_id AS user_id, l.product_id AS product_id,
       l.variant_id AS variant_id, l.quantity AS quantity, o.paid_at AS paid_at
FROM order_lines l JOIN orders o ON o.id = l.order_id;
