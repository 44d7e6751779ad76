/*
 * demo_reviews.c — see demo_history.h (souk_demo_reviews). Reviews written
 * through the reviews context's own rules (souk_reviews_create_tx: only a
 * delivered order's buyer, once per product) and approved like a moderator
 * would, so product pages, lists and search show ratings on the first run.
 */
#include "app/demo_history.h"

#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "core/rng.h"
#include "reviews/reviews.h"
#include "core/banned.h"

#define REVIEW_SHARE 0.22 /* of the bought products, reviewed */
#define PER_TX 200

typedef struct template
{
    const char *title, *body;
}
template;

/* by rating - 1: what customers who gave that many stars say */
static const template said[5][3] = {
    {{"Not worth it", "It stopped working after a week and the finish was poor. I would not buy it again."},
     {"Very disappointing", "Nothing like the description. Cheap materials and it arrived scratched."},
     {"Poor quality", "Broke the second time I used it. Returning it."}},
    {{"Disappointing", "It does the job, but badly. The quality is lower than I expected for the price."},
     {"Not great", "Smaller than it looks in the pictures and the instructions were useless."},
     {"Could be better", "Works, but it feels flimsy and it is noisy."}},
    {{"It is fine", "Does what it says. Nothing special, nothing wrong either."},
     {"Average", "Decent for the price, though I have had better."},
     {"OK", "Good enough for everyday use. Delivery took a while."}},
    {{"Very good", "Good quality and it arrived quickly. One small scratch, otherwise great."},
     {"Good value", "Solid and well made for the price. I use it every day."},
     {"Happy with it", "Works well and looks nice. The colour is a little darker than pictured."}},
    {{"Excellent", "Exactly what I hoped for: well made, works perfectly and arrived fast."},
     {"Love it", "Great quality, really easy to use. I have already recommended it to friends."},
     {"Would buy again", "Perfect. Sturdy, beautiful and worth every penny."}},
};

/* mostly happy customers, as in real shops */
static int pick_rating(souk_rng *g)
{
    double u = souk_rng_unit(g);
    return u < 0.45 ? 5 : u < 0.75 ? 4 : u < 0.87 ? 3 : u < 0.94 ? 2 : 1;
}

typedef struct batch {
    const souk_demo_purchase *p;
    size_t from, to;
    souk_rng *g;
    long written;
} batch;

static int reviews_tx(souk_store *db, void *arg)
{
    batch *b = arg;
    b->written = 0;
    for (size_t i = b->from; i < b->to; i++) {
        if (souk_rng_unit(b->g) >= REVIEW_SHARE)
            continue;
        int rating = pick_rating(b->g);
        const template *t = &said[rating - 1][souk_rng_below(b->g, 3)];
        souk_reviews_input in = {.rating = rating, .title = t->title, .body = t->body};
        int64_t id;
        const char *why;
        souk_err e = souk_reviews_create_tx(db, b->p[i].user_id, b->p[i].product_id, &in, &id, &why);
        if (e == SOUK_E_CONFLICT || e == SOUK_E_FORBIDDEN || e == SOUK_E_NOT_FOUND)
            continue; /* reviewed already (a second purchase), or not reviewable */
        if (e || (e = souk_reviews_moderate_tx(db, id, "approved", "demo", 0)) != SOUK_OK)
            return -1;
        b->written++;
    }
    return 0;
}

int souk_demo_reviews(souk_store *db, const souk_demo_purchase *p, size_t n, uint64_t seed)
{
    souk_rng g = {seed ^ 0x4E71E75ULL};
    batch b = {.p = p, .g = &g};
    long written = 0;
    char tail[64];
    for (b.from = 0; b.from < n; b.from = b.to) {
        b.to = b.from + PER_TX < n ? b.from + PER_TX : n;
        if (souk_store_tx(db, reviews_tx, &b) < 0) {
            fprintf(stderr, "\nsouk: writing the demo's reviews failed: %s\n", souk_store_errmsg(db));
            return -1;
        }
        written += b.written;
        snprintf(tail, sizeof tail, "%zu/%zu purchases", b.to, n);
        souk_cli_progress(stderr, "reviews", b.to, n, tail, b.to == n);
    }
    printf("reviews: %ld approved reviews by customers who received what they reviewed\n", written);
    return 0;
}
