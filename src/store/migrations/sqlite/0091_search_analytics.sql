-- 0091: search analytics and search settings (issue 11). Owned by src/search.
-- Portable SQL (docs/internals/store.md): plain types, no SQLite-only
-- functions; the writers use INSERT ... ON CONFLICT ... DO UPDATE.

-- What shoppers searched and clicked, aggregated per UTC day and normalised
-- query (folded, white space collapsed and trimmed, at most 200 bytes;
-- src/search/analytics.h). Written by the analytics flusher about once a
-- second, never row by row from a request.
CREATE TABLE search_query_stats (
    day TEXT NOT NULL,                           -- 'YYYY-MM-DD', UTC
    query TEXT NOT NULL,                         -- the normalised query
    searches BIGINT NOT NULL DEFAULT 0,          -- first pages answered
    results_sum BIGINT NOT NULL DEFAULT 0,       -- sum of their result counts (total)
    zero_results BIGINT NOT NULL DEFAULT 0,      -- searches that found nothing
    clicks BIGINT NOT NULL DEFAULT 0,            -- clicks reported on a result
    click_position_sum BIGINT NOT NULL DEFAULT 0, -- sum of the clicked positions (1 = first)
    PRIMARY KEY (day, query)
);
CREATE INDEX search_query_stats_query ON search_query_stats (query);

-- Search settings an admin changes at run time (synonyms, ranking weights),
-- as validated JSON text; absent = the built-in defaults. The served index
-- reloads them when the store version 'search_settings' moves.
CREATE TABLE search_settings (
    name TEXT PRIMARY KEY,      -- 'synonyms' or 'weights'
    value TEXT NOT NULL,        -- JSON (src/search/settings.h)
    updated_at BIGINT NOT NULL  -- microseconds since the epoch
);
