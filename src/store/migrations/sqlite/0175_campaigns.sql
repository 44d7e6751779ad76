-- 0175: campaigns (issue 17, src/campaigns, docs/internals/campaigns.md).
--
-- An audience is a saved rule over the analytics read model (an RFM
-- segment, a k-means segment, a churn-risk band, or a filter on recency,
-- orders and revenue); campaign_audience_members is its member set as last
-- computed by the campaigns.audiences job (refreshed_at says when), so that
-- pricing a cart tests membership with one indexed lookup.
CREATE TABLE campaign_audiences (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('rfm', 'kmeans', 'churn', 'filter')),
    definition    TEXT NOT NULL,              -- JSON, as the admin API shows it
    members       INTEGER NOT NULL DEFAULT 0, -- at refreshed_at
    refreshed_at  INTEGER,                    -- NULL: never computed (no members)
    refresh_error TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE campaign_audience_members (
    audience_id INTEGER NOT NULL REFERENCES campaign_audiences(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (audience_id, user_id)
);
CREATE INDEX campaign_audience_members_user ON campaign_audience_members(user_id, audience_id);

-- A campaign: one template's e-mail to one audience, optionally naming an
-- offer (a promotion of the cart, usually limited to the same audience, and
-- one of its codes). Sending is a job; each recipient is one row.
CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    template         TEXT NOT NULL CHECK (template IN ('win_back', 'vip')),
    audience_id      INTEGER NOT NULL REFERENCES campaign_audiences(id),
    promotion_id     INTEGER,
    code             TEXT,
    subject          TEXT NOT NULL,
    intro            TEXT NOT NULL,
    attribution_days INTEGER NOT NULL DEFAULT 14,
    status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sending', 'sent')),
    sent_count       INTEGER NOT NULL DEFAULT 0, -- mails queued
    skipped_count    INTEGER NOT NULL DEFAULT 0, -- members without consent, unsubscribed or inactive
    unsubscribed     INTEGER NOT NULL DEFAULT 0, -- unsubscribes by this campaign's link
    send_cursor      INTEGER NOT NULL DEFAULT 0, -- members up to this account id are done
    send_started_at  INTEGER,
    sent_at          INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE campaign_recipients (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);
CREATE INDEX campaign_recipients_user ON campaign_recipients(user_id);

-- Customers who unsubscribed from campaign mail (campaign_id: whose link).
CREATE TABLE campaign_optouts (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id),
    campaign_id INTEGER,
    created_at  INTEGER NOT NULL
);

-- The key that signs unsubscribe links (made once, on first use).
CREATE TABLE campaign_keys (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    mac_key BLOB NOT NULL
);

-- The cart's promotions may be limited to an audience (NULL: everyone).
ALTER TABLE promotions ADD COLUMN audience_id INTEGER;

-- What campaigns publish to the cart (read-only, docs/internals/ownership.md).
CREATE VIEW cart_audience_members AS
SELECT audience_id, user_id FROM campaign_audience_members;

CREATE VIEW cart_audiences AS
SELECT id AS audience_id, name FROM campaign_audiences;

-- What identity publishes to campaigns: an account's address, status and
-- current marketing consent (the latest record; none = not given).
CREATE VIEW campaign_customers AS
SELECT u.id AS user_id, u.email AS email, u.status AS status,
       COALESCE((SELECT c.granted FROM consents c WHERE c.user_id = u.id AND c.kind = 'marketing'
                 ORDER BY c.created_at DESC, c.id DESC LIMIT 1), 0) AS marketing
FROM users u;

-- What the cart publishes to campaigns: promotions, their codes and redemptions.
CREATE VIEW campaign_promotions AS
SELECT id AS promotion_id, name, active FROM promotions;

CREATE VIEW campaign_promotion_codes AS
SELECT promotion_id, code FROM promotion_codes;

CREATE VIEW campaign_redemptions AS
SELECT promotion_id, order_id, customer, amount, created_at FROM promotion_redemptions WHERE released = 0;

-- What orders publish to campaigns: paid orders of accounts.
CREATE VIEW campaign_orders AS
SELECT id AS order_id, user_id, currency, total, refunded, paid_at FROM orders WHERE paid_at IS NOT NULL AND user_id IS NOT NULL;
