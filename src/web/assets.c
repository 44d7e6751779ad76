/*
 * assets.c — the stylesheets and scripts embedded in the binary (web/site.css
 * and web/site.js, and the dashboards' admin.css and admin.js that esbuild
 * bundles from web/admin; by tools/embed), served under content-hashed names so they can be cached
 * for a year: /assets/site.<16 hex of the content's hash>.css. A page
 * always links the current name; an old name answers 404. And robots.txt.
 */
#include "web/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/embed.h"
#include "core/hash.h"
#include "core/banned.h"

typedef struct asset {
    const char *name, *type;
    const souk_embedded_file *f;
    char path[64]; /* "/assets/site.0123456789abcdef.css" */
} asset;

static asset assets[] = {
    {"site.css", "text/css; charset=utf-8", NULL, ""},
    {"site.js", "text/javascript; charset=utf-8", NULL, ""},
    {"admin.css", "text/css; charset=utf-8", NULL, ""}, /* the dashboards (web/admin, bundled at build) */
    {"admin.js", "text/javascript; charset=utf-8", NULL, ""},
};
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static void assets_init(void)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        asset *a = &assets[i];
        a->f = souk_embed_find(souk_assets, souk_assets_count, a->name);
        uint64_t h = a->f ? souk_hash64(a->f->data, a->f->len) : 0;
        const char *dot = strrchr(a->name, '.');
        snprintf(a->path, sizeof a->path, "/assets/%.*s.%016llx%s", (int)(dot - a->name), a->name,
                 (unsigned long long)h, dot);
    }
}

const char *souk__web_asset_path(const char *name)
{
    pthread_once(&assets_once, assets_init);
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (strcmp(assets[i].name, name) == 0)
            return assets[i].path;
    return "/assets/missing";
}

int souk_web_asset(souk_req *req, souk_res *res)
{
    pthread_once(&assets_once, assets_init);
    const char *want = req->params[0];
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
        const asset *a = &assets[i];
        if (a->f && strcmp(a->path + strlen("/assets/"), want) == 0) {
            souk_buf_add(&res->body, a->f->data, a->f->len);
            res->content_type = a->type;
            res->cache_control = "public, max-age=31536000, immutable";
            return 0;
        }
    }
    res->status = 404;
    res->content_type = "text/plain; charset=utf-8";
    souk_buf_adds(&res->body, "no such asset\n");
    return 0;
}

int souk_web_robots(souk_req *req, souk_res *res)
{
    res->content_type = "text/plain; charset=utf-8";
    souk_buf_printf(&res->body,
                    "User-agent: *\nDisallow: /cart/\nDisallow: /checkout\nDisallow: /order/\nDisallow: /track\n"
                    "Disallow: /account\nDisallow: /api/\n"
                    "Allow: /\n\nSitemap: %s/sitemap.xml\n",
                    souk__web_origin(req));
    return 0;
}
