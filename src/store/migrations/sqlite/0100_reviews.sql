-- 0100: product reviews and ratings (issue 15) — verified-buyer reviews with
-- a moderation state, helpful votes, a lexicon sentiment score, and the
-- per-product aggregate of the approved ones. Owner: src/reviews (reviews.h
-- documents the contract; design: docs/internals/reviews.md). Times are µs
-- since the Unix epoch; ids come from souk_id_next.

-- One review. user_id is NULL once its author was erased (GDPR); title and
-- body then too, unless the shop's setting erasure_keeps_text says to keep
-- them. sentiment is the score in thousandths (-1000..1000) and its label.
CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY,
    product_id      INTEGER NOT NULL,
    user_id         INTEGER,
    order_id        INTEGER NOT NULL,
    rating          INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title           TEXT,
    body            TEXT,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    sentiment       INTEGER NOT NULL CHECK (sentiment BETWEEN -1000 AND 1000),
    sentiment_label TEXT NOT NULL CHECK (sentiment_label IN ('positive', 'neutral', 'negative')),
    helpful         INTEGER NOT NULL DEFAULT 0,
    moderated_by    INTEGER,
    moderation_note TEXT,
    moderated_at    INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- one review per product per customer (an erased author's reviews belong to no one)
CREATE UNIQUE INDEX reviews_product_user ON reviews(product_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX reviews_product_status ON reviews(product_id, status, created_at);
CREATE INDEX reviews_status ON reviews(status, created_at);
CREATE INDEX reviews_user ON reviews(user_id) WHERE user_id IS NOT NULL;

-- One helpful vote per signed-in customer per review; erasure deletes the
-- voter's rows (the review's helpful count keeps the vote).
CREATE TABLE review_votes (
    review_id  INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (review_id, user_id)
);
CREATE INDEX review_votes_user ON review_votes(user_id);

-- The approved reviews of a product, summed: kept in the same transaction
-- as every change of a review's status (and so always equal to a GROUP BY
-- over reviews), read by the catalog and the search index through the views
-- below.
CREATE TABLE review_product_stats (
    product_id    INTEGER PRIMARY KEY,
    approved      INTEGER NOT NULL,
    rating_sum    INTEGER NOT NULL,
    sentiment_sum INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- The shop's review settings (key → value text): erasure_keeps_text
-- ('true' / 'false', default false).
CREATE TABLE review_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- What orders publish to reviews: the products each customer received (the
-- lines of delivered orders placed by an account).
CREATE VIEW reviews_delivered_lines AS
SELECT o.id AS order_id, o.user_id AS user_id, l.product_id AS product_id
FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE o.state = 'delivered' AND o.user_id IS NOT NULL;

-- What the catalog publishes to reviews: every product and its status.
CREATE VIEW reviews_catalog_products AS
SELECT p.id AS product_id, p.status AS status FROM products p;

-- What reviews publish to the catalog (product detail and lists) and to the
-- search index (rating sort and filter): the approved reviews' count and sum.
CREATE VIEW catalog_product_ratings AS
SELECT product_id, approved AS rating_count, rating_sum FROM review_product_stats WHERE approved > 0;
CREATE VIEW search_product_ratings AS
SELECT product_id, approved AS rating_count, rating_sum FROM review_product_stats WHERE approved > 0;
