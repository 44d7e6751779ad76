-- 0003: the domain-event outbox with its subscriber cursors, the durable job
-- queue and cron schedules. Design: docs/internals/jobs.md.

-- Written in the same transaction as the change it describes. AUTOINCREMENT
-- so an id is never reused, even after old events are deleted: a cursor
-- (last_event_id) then always means "everything up to here was handled".
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    type         TEXT NOT NULL,                    -- 'order.placed', 'stock.changed', ...
    aggregate_id TEXT NOT NULL DEFAULT '',         -- typed id of the object, e.g. 'ord_…'
    payload      TEXT NOT NULL DEFAULT '{}',       -- JSON object
    created_at   INTEGER NOT NULL
);

-- One row per durable subscriber: the id of the last event it acknowledged.
CREATE TABLE event_cursors (
    subscriber    TEXT PRIMARY KEY,
    last_event_id INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,              -- souk_id_next(); public form 'job_…'
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT '{}',       -- JSON object
    state        TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,       -- attempts started (a claim counts one)
    max_attempts INTEGER NOT NULL,
    run_at       INTEGER NOT NULL,                 -- not before (µs since the epoch)
    locked_by    TEXT,                             -- worker token while running
    locked_until INTEGER,                          -- lease end while running
    last_error   TEXT,
    dedupe_key   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    finished_at  INTEGER
);
CREATE INDEX jobs_due ON jobs(state, run_at);
CREATE INDEX jobs_state_id ON jobs(state, id);
-- A dedupe key is unique among the jobs still to run: a second enqueue while
-- the first is queued or running is a no-op; once it is done (or dead) the
-- key may be used again.
CREATE UNIQUE INDEX jobs_dedupe ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');

-- Cron schedules: the scheduler enqueues KIND when next_run_at has come and
-- moves next_run_at on with a compare-and-set, so several processes enqueue
-- each due time once.
CREATE TABLE job_schedules (
    kind        TEXT PRIMARY KEY,
    cron        TEXT NOT NULL,
    next_run_at INTEGER NOT NULL
);
