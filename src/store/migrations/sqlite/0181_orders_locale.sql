-- 0181: the language of an order's customer (issue 17, "Languages"; src/i18n,
-- docs/languages.md): the locale checkout was answered in (?locale= or
-- Accept-Language), in which the order's e-mails are written. NULL: orders
-- from before, imported ones, and those placed in the store's default locale
-- when nothing was asked for — they are written in English, as before.
ALTER TABLE orders ADD COLUMN locale TEXT;
