-- 0103: outgoing webhooks (issue 15). Owner: src/webhooks (webhooks.h documents
-- the contract; design in docs/internals/webhooks.md). Times are µs since the
-- Unix epoch.

-- A subscription: where to send which events, signed with its secret. During a
-- rotation's grace period the previous secret signs too (until
-- previous_expires_at). failing_since / failed_deliveries drive the automatic
-- disabling; a success resets them.
CREATE TABLE webhooks_subscriptions (
    id                  INTEGER PRIMARY KEY,
    url                 TEXT NOT NULL,
    description         TEXT NOT NULL DEFAULT '',
    event_types         TEXT NOT NULL,
    enabled             INTEGER NOT NULL DEFAULT 1,
    secret              TEXT NOT NULL,
    previous_secret     TEXT,
    previous_expires_at INTEGER,
    failing_since       INTEGER,
    failed_deliveries   INTEGER NOT NULL DEFAULT 0,
    disabled_reason     TEXT,
    disabled_at         INTEGER,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

-- The event types of each subscription, one row each, for the fan-out's lookup.
CREATE TABLE webhooks_subscription_types (
    event_type      TEXT NOT NULL,
    subscription_id INTEGER NOT NULL REFERENCES webhooks_subscriptions(id),
    PRIMARY KEY (event_type, subscription_id)
);

-- One event for one subscription: the exact body sent (every attempt and a
-- replay send the same bytes under the same webhook-id) and where it stands.
CREATE TABLE webhooks_deliveries (
    id                 INTEGER PRIMARY KEY,
    subscription_id    INTEGER NOT NULL REFERENCES webhooks_subscriptions(id),
    event_id           INTEGER NOT NULL,
    event_type         TEXT NOT NULL,
    body               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    INTEGER,
    last_response_code INTEGER,
    last_error         TEXT,
    last_duration_ms   INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (event_id, subscription_id)
);
CREATE INDEX webhooks_deliveries_subscription ON webhooks_deliveries(subscription_id, id);

-- Every attempt: the HTTP status (NULL when there was no answer), how long it
-- took, the error, and the start of the response body.
CREATE TABLE webhooks_attempts (
    delivery_id   INTEGER NOT NULL REFERENCES webhooks_deliveries(id),
    attempt       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    response_code INTEGER,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    response_body TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
