-- 0095: what behaviour publishes to the search engine: the events that make a
-- product popular (views, search clicks, cart adds, purchases), for the
-- popularity signal of the ranking (search/internal.h, popularity.c).
CREATE VIEW search_product_events AS
SELECT product_id, type, at FROM behaviour_events WHERE product_id IS NOT NULL AND type IN (2, 4, 5, 20);
