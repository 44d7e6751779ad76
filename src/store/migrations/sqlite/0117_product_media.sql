-- 0117: uploaded product images (docs/internals/images.md). One row per
-- stored file, named by the hash of the uploaded bytes; a product image
-- that was uploaded (not just given as a URL) names its file. derived_at is
-- set once the job has written the derived sizes (the srcset in the JSON).
CREATE TABLE product_media (
    hash       TEXT PRIMARY KEY,
    format     TEXT NOT NULL CHECK (format IN ('jpg', 'png', 'webp', 'gif')),
    width      INTEGER NOT NULL,
    height     INTEGER NOT NULL,
    derived_at INTEGER,
    created_at INTEGER NOT NULL
);
ALTER TABLE product_images ADD COLUMN media_hash TEXT REFERENCES product_media(hash);
CREATE INDEX product_images_media ON product_images(media_hash, product_id);
