-- 0180: languages (issue 17, "Languages"). Owner: src/i18n (i18n.h documents
-- the contract; design in docs/internals/i18n.md, the user's view in
-- docs/languages.md). Times are µs since the Unix epoch.

-- The store's enabled locales: one row. LOCALES is a comma-separated list of
-- language tags ("en,fr,de"); the first is the default, the language the
-- catalog's own fields (products.title, categories.name, ...) are written in.
CREATE TABLE i18n_settings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    locales    TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO i18n_settings (id, locales, updated_at) VALUES (1, 'en', 0);

-- One translated field of one object in one (non-default) locale. KIND is
-- product, category, brand or shipping_method; FIELD is title, description,
-- name, or "attr:" followed by a product attribute's name (its value). A
-- missing row falls back to the object's own field: field by field.
-- Published read-only to the catalog and the cart, which join it into their
-- reads (docs/internals/ownership.md). WITHOUT ROWID: a read's join is one
-- search of the key's b-tree, which holds the value (with a rowid table it
-- was two: the key's index, then the row; bench/i18n.sh).
CREATE TABLE i18n_translations (
    kind       TEXT NOT NULL,
    object_id  INTEGER NOT NULL,
    field      TEXT NOT NULL,
    locale     TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, object_id, locale, field)
) WITHOUT ROWID;
