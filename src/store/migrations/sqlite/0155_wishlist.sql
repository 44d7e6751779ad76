-- 0155: wishlists (issue 17, src/wishlist, docs/internals/wishlist.md).
--
-- A wishlist belongs to one customer (user_id) or to one guest browser
-- (guest_hash: hex BLAKE2b-256 of the token in its souk_wishlist cookie).
-- share_token, when set, is the unguessable part of the public read-only link.
CREATE TABLE wishlists (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER UNIQUE REFERENCES users(id),
    guest_hash  TEXT UNIQUE,
    share_token TEXT UNIQUE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (guest_hash IS NULL))
);
CREATE INDEX wishlists_guest_updated ON wishlists(updated_at) WHERE guest_hash IS NOT NULL;

-- One wished-for product (variant_id 0: any of its options) or variant.
-- currency/ref_amount: the lowest price seen in the shop's currency since it
-- was added (a price drop is a price below it); in_stock: whether it could be
-- had when last seen (back in stock is 0 -> 1). Both follow the catalog's and
-- inventory's events (src/wishlist/notify.c).
CREATE TABLE wishlist_items (
    id          INTEGER PRIMARY KEY,
    wishlist_id INTEGER NOT NULL REFERENCES wishlists(id) ON DELETE CASCADE,
    product_id  INTEGER NOT NULL,
    variant_id  INTEGER NOT NULL DEFAULT 0,
    currency    TEXT NOT NULL,
    ref_amount  INTEGER,
    in_stock    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (wishlist_id, product_id, variant_id)
);
CREATE INDEX wishlist_items_variant ON wishlist_items(variant_id);
CREATE INDEX wishlist_items_product ON wishlist_items(product_id);

-- The last alert of one item to one customer: the once-a-week rule is a
-- conditional upsert on this key (a second claim within the week changes no row).
CREATE TABLE wishlist_alerts (
    user_id    INTEGER NOT NULL REFERENCES users(id),
    product_id INTEGER NOT NULL,
    variant_id INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('back_in_stock', 'price_drop')),
    sent_at    INTEGER NOT NULL,
    PRIMARY KEY (user_id, product_id, variant_id)
);

-- Customers who unsubscribed from wishlist alerts (the link in every alert).
CREATE TABLE wishlist_optouts (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id),
    created_at INTEGER NOT NULL
);

-- The key that signs unsubscribe links (made once, on first use, shared by every node).
CREATE TABLE wishlist_keys (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    mac_key BLOB NOT NULL
);

-- What the catalog, inventory and identity publish to wishlists (read-only,
-- docs/internals/ownership.md).
CREATE VIEW wishlist_catalog_products AS
SELECT id AS product_id, slug, title, CASE WHEN status = 'active' THEN 1 ELSE 0 END AS active FROM products;

CREATE VIEW wishlist_catalog_variants AS
SELECT v.id AS variant_id, v.product_id AS product_id, v.sku AS sku, v.title AS variant_title,
       CASE WHEN v.status = 'active' AND p.status = 'active' THEN 1 ELSE 0 END AS purchasable
FROM variants v JOIN products p ON p.id = v.product_id;

CREATE VIEW wishlist_variant_prices AS
SELECT variant_id, currency, amount FROM variant_prices;

CREATE VIEW wishlist_variant_stock AS
SELECT variant_id, available FROM variant_availability;

-- An account's address, status and current marketing consent (the latest record; none = not given).
CREATE VIEW wishlist_customers AS
SELECT u.id AS user_id, u.email AS email, u.status AS status,
       COALESCE((SELECT c.granted FROM consents c WHERE c.user_id = u.id AND c.kind = 'marketing'
                 ORDER BY c.created_at DESC, c.id DESC LIMIT 1), 0) AS marketing
FROM users u;
