/*
 * refine.c — what the search page and the category pages share: the
 * shopper's filters read from the query (refine), links that keep them,
 * the search engine's answer for them, and beside the results the category
 * and brand facets (each value with its count, as a link that narrows to
 * it) and the form of filters (sort, price range, rating, in stock).
 *
 * Facets: category, brand, vendor (a marketplace's; left out while every
 * result has one vendor) and the attributes the engine finds worth a facet
 * (facets=attr.*: shared values, the most common attributes first), each
 * an attr.NAME=VALUE filter as the search API takes it.
 *
 * The two pages differ only where their meaning does: the search page has
 * the words (q), sorts by relevance by default and narrows to a category
 * with ?category=; a category page has no words, sorts newest first by
 * default, and its category facet lists the sub-categories with their
 * counts as links to their own pages (the filters kept). Every link and
 * the form carry the other filters; a changed filter goes back to page 1.
 */
#include "web/internal.h"

#include <stdio.h>
#include <string.h>

#include "catalog/catalog.h"
#include "core/id.h"
#include "search/api.h"
#include "core/banned.h"

#define PER_PAGE 20
#define PAGES_MAX 50 /* 50 x 20 = the engine's window of 1000 */

static const char *const search_sorts[][2] = {{"relevance", "Best match"},          {"price_asc", "Price: low to high"},
                                              {"price_desc", "Price: high to low"}, {"newest", "Newest"},
                                              {"rating", "Customer rating"},        {"popularity", "Most popular"}};
static const char *const browse_sorts[][2] = {{"newest", "Newest"},
                                              {"price_asc", "Price: low to high"},
                                              {"price_desc", "Price: high to low"},
                                              {"rating", "Customer rating"},
                                              {"popularity", "Most popular"}};
#define NSORTS(r)                                                                                                      \
    ((r)->search ? sizeof search_sorts / sizeof search_sorts[0] : sizeof browse_sorts / sizeof browse_sorts[0])
#define SORT(r, i) ((r)->search ? search_sorts[i] : browse_sorts[i])

static const char *default_sort(const souk__web_refine *r)
{
    return r->search ? "relevance" : "newest";
}

static void param(souk_buf *b, bool *first, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    if (*first)
        souk_buf_addc(b, '?');
    else
        SOUK_HTML_LIT(b, "&amp;");
    *first = false;
    souk_buf_adds(b, name);
    souk_buf_addc(b, '=');
    souk_html_query_value(b, value);
}

/* PATH (a site path of our own making) with R's filters and, past the first, its page */
static void href_at(souk_buf *b, const char *path, const souk__web_refine *r)
{
    souk_buf_adds(b, path);
    bool first = true;
    if (r->search) { /* the words first, even when empty: it is the search page's one parameter */
        SOUK_HTML_LIT(b, "?q=");
        souk_html_query_value(b, r->q);
        first = false;
    }
    param(b, &first, "category", r->category);
    param(b, &first, "brand", r->brand);
    param(b, &first, "vendor", r->vendor);
    for (size_t i = 0; i < r->nattrs; i++)
        param(b, &first, r->attrs[i].key, r->attrs[i].value); /* a key is a-z, 0-9, '_' and '.' */
    param(b, &first, "min", r->min);
    param(b, &first, "max", r->max);
    if (r->in_stock)
        param(b, &first, "in_stock", "true");
    param(b, &first, "rating", r->rating);
    if (r->sort && strcmp(r->sort, default_sort(r)))
        param(b, &first, "sort", r->sort);
    if (r->page > 1) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)r->page);
        param(b, &first, "page", n);
    }
}

void souk__web_refine_href(souk_buf *b, const souk__web_refine *r)
{
    href_at(b, r->path, r);
}

bool souk__web_refine_filtered(const souk__web_refine *r)
{
    return r->category || r->brand || r->vendor || r->nattrs || r->min || r->max || r->in_stock || r->rating ||
           r->sort || r->page > 1;
}

const char *souk__web_refine_read(souk_req *req, souk__web_refine *r)
{
    static const char *const known[] = {"q",   "page", "category", "brand",  "vendor",
                                        "min", "max",  "in_stock", "rating", "sort"};
    bool search = r->search;
    r->nattrs = 0;
    for (size_t i = 0; i < req->query.count; i++) {
        const char *k = req->query.items[i].key;
        for (size_t j = 0; j < i; j++)
            if (strcmp(k, req->query.items[j].key) == 0)
                return "Each filter may be given once.";
        if (souk_catalog_is_attr_param(k)) {
            const char *why = souk_catalog_attr_param_problem(&req->query, i, true);
            if (why)
                return why;
            if (!req->query.items[i].value[0])
                continue; /* an emptied field of the form: no filter */
            if (r->nattrs == SOUK__WEB_REFINE_ATTRS_MAX)
                return "At most 8 attribute filters at once.";
            r->attrs[r->nattrs++] = (souk__web_refine_attr){k, req->query.items[i].value};
            continue;
        }
        bool ok = false;
        for (size_t j = search ? 0 : 1; j < sizeof known / sizeof known[0]; j++)
            ok |= strcmp(k, known[j]) == 0 && (search || strcmp(k, "category"));
        if (!ok)
            return search ? "This page takes q, category, brand, vendor, attr.NAME, min, max, in_stock, rating, sort "
                            "and page."
                          : "This page takes brand, vendor, attr.NAME, min, max, in_stock, rating, sort and page.";
    }
    const souk_query *q = &req->query;
    r->page = 1;
    r->q = search ? souk_query_get(q, "q") : NULL;
    const char *page = souk_query_get(q, "page"), *stock = souk_query_get(q, "in_stock");
    if (page && souk_query_int(page, 1, PAGES_MAX, &r->page) < 0)
        return "Pages of results go from 1 to 50.";
    if (r->q && strlen(r->q) > 200)
        return "Search with at most 200 characters.";
    int64_t id;
    if ((r->brand = souk_query_get(q, "brand")) && !r->brand[0])
        r->brand = NULL;
    if (r->brand && souk_id_parse(SOUK_PREFIX_BRAND, r->brand, strlen(r->brand), &id) < 0)
        return "Choose a brand from the list beside the results.";
    if ((r->vendor = souk_query_get(q, "vendor")) && !r->vendor[0])
        r->vendor = NULL;
    if (r->vendor && souk_id_parse(SOUK_PREFIX_VENDOR, r->vendor, strlen(r->vendor), &id) < 0)
        return "Choose a seller from the list beside the results.";
    if ((r->category = search ? souk_query_get(q, "category") : NULL) && !r->category[0])
        r->category = NULL;
    if (r->category && souk_id_parse(SOUK_PREFIX_CATEGORY, r->category, strlen(r->category), &id) < 0)
        return "Choose a category from the list beside the results.";
    if ((r->min = souk_query_get(q, "min")) && !r->min[0])
        r->min = NULL;
    if ((r->max = souk_query_get(q, "max")) && !r->max[0])
        r->max = NULL;
    if (souk__web_amount_param(req, r->min) == -2 || souk__web_amount_param(req, r->max) == -2)
        return "Prices are amounts such as 12 or 12.50.";
    if (stock && stock[0] && strcmp(stock, "true"))
        return "In stock only is true or left out.";
    r->in_stock = stock && stock[0];
    int64_t stars;
    if ((r->rating = souk_query_get(q, "rating")) && !r->rating[0])
        r->rating = NULL;
    if (r->rating && souk_query_int(r->rating, 1, 4, &stars) < 0)
        return "Choose a rating from the list.";
    if ((r->sort = souk_query_get(q, "sort")) && !r->sort[0])
        r->sort = NULL;
    bool sort_ok = !r->sort;
    for (size_t i = 0; r->sort && i < NSORTS(r); i++)
        sort_ok |= strcmp(r->sort, SORT(r, i)[0]) == 0;
    return sort_ok ? NULL : "Choose a sort from the list.";
}

/* the search API's query string for R, narrowed to CATEGORY (an id or slug, or NULL) */
static void api_query(souk_req *req, souk_buf *raw, const souk__web_refine *r, const char *category)
{
    SOUK_HTML_LIT(raw, "q=");
    souk_html_query_value(raw, r->q ? r->q : "");
    souk_buf_printf(raw, "&facets=category,brand,vendor,attr.*&limit=%d&offset=%lld", PER_PAGE,
                    (long long)((r->page - 1) * PER_PAGE));
    const char *sort = r->sort ? r->sort : r->search ? NULL : "newest";
    const char *ids[][2] = {
        {"category", category}, {"brand", r->brand}, {"vendor", r->vendor}, {"rating_min", r->rating}, {"sort", sort}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i][1]) {
            souk_buf_printf(raw, "&%s=", ids[i][0]);
            souk_html_query_value(raw, ids[i][1]);
        }
    int64_t min = souk__web_amount_param(req, r->min), max = souk__web_amount_param(req, r->max);
    if (min >= 0)
        souk_buf_printf(raw, "&price_min=%lld", (long long)min);
    if (max >= 0)
        souk_buf_printf(raw, "&price_max=%lld", (long long)max);
    if (r->in_stock)
        souk_buf_adds(raw, "&in_stock=true");
    for (size_t i = 0; i < r->nattrs; i++) {
        souk_buf_printf(raw, "&%s=", r->attrs[i].key);
        souk_html_query_value(raw, r->attrs[i].value);
    }
}

json_t *souk__web_refine_run(souk_req *req, const souk__web_refine *r, const char *category, souk__web_refine_fail *why)
{
    souk_buf raw;
    souk_buf_init(&raw, 4096);
    api_query(req, &raw, r, category ? category : r->category);
    souk_req sub = souk__web_subrequest(req, NULL, 0, NULL, raw.data);
    souk_buf_release(&raw);
    souk_res sres = {.status = 200};
    souk_buf_init(&sres.body, 8u << 20);
    int rc = souk_search_api_search(&sub, &sres);
    json_t *j = rc ? NULL : souk__web_answer(&sres);
    memset(why, 0, sizeof *why);
    why->err = sres.err;
    why->warming = sres.retry_after != NULL; /* 503 with Retry-After: the first index is being built */
    const char *m = sres.problems.count ? sres.problems.items[0].message : NULL;
    why->problem = m ? souk_arena_strdup(req->arena, m) : NULL;
    souk_buf_release(&sres.body);
    json_decref(sres.json);
    return j;
}

/* the name of the category ID in the tree ARR (its slug into *SLUG), or NULL */
static const char *category_name(const json_t *arr, const char *id, int depth, const char **slug)
{
    size_t i;
    const json_t *c;
    if (depth >= 16)
        return NULL;
    json_array_foreach(arr, i, c)
    {
        const char *cid = json_string_value(json_object_get(c, "id"));
        if (cid && strcmp(cid, id) == 0) {
            *slug = json_string_value(json_object_get(c, "slug"));
            return json_string_value(json_object_get(c, "name"));
        }
        const char *hit = category_name(json_object_get(c, "children"), id, depth + 1, slug);
        if (hit)
            return hit;
    }
    return NULL;
}

/* the name of taxon ID in the list TAXONS ({"data": [...]}), or NULL */
static const char *taxon_name(const json_t *taxons, const char *id)
{
    size_t i;
    const json_t *t;
    json_array_foreach(json_object_get(taxons, "data"), i, t)
    {
        const char *tid = json_string_value(json_object_get(t, "id"));
        if (tid && strcmp(id, tid) == 0)
            return json_string_value(json_object_get(t, "name"));
    }
    return NULL;
}

/* The filter R holds for facet DIM ("category", "brand", "vendor" or "attr.NAME"), or NULL. */
static const char *chosen_of(const souk__web_refine *r, const char *dim)
{
    if (strcmp(dim, "category") == 0)
        return r->category;
    if (strcmp(dim, "brand") == 0)
        return r->brand;
    if (strcmp(dim, "vendor") == 0)
        return r->vendor;
    for (size_t i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].key, dim) == 0)
            return r->attrs[i].value;
    return NULL;
}

/* R with facet DIM set to VALUE (NULL: no filter on it) and back on page 1, into TO. */
static void with_facet(souk__web_refine *to, const souk__web_refine *r, const char *dim, const char *value)
{
    *to = *r;
    to->page = 1;
    if (strcmp(dim, "category") == 0 || strcmp(dim, "brand") == 0 || strcmp(dim, "vendor") == 0) {
        *(dim[0] == 'c' ? &to->category : dim[0] == 'b' ? &to->brand : &to->vendor) = value;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].key, dim) != 0)
            to->attrs[n++] = r->attrs[i];
    if (value && n < SOUK__WEB_REFINE_ATTRS_MAX)
        to->attrs[n++] = (souk__web_refine_attr){dim, value};
    to->nattrs = n;
}

/* One facet (DIM) of the results: each value with its count, as a link that
 * narrows to it (category, brand and vendor names from the tree or list
 * NAMES; an attribute's values are their own names), the chosen one marked,
 * and a link that widens again. LABEL names the dimension in the facet's
 * accessible name ("Filter by LABEL"), HEADING is its title, ALL the widening
 * link's text. */
static void facet(souk_buf *b, const souk__web_refine *r, const json_t *facets, const char *dim, const char *label,
                  const char *heading, const char *all, const json_t *names)
{
    const json_t *values = json_object_get(facets, dim);
    bool category = strcmp(dim, "category") == 0, attr = strncmp(dim, "attr.", 5) == 0;
    const char *chosen = chosen_of(r, dim);
    if (!json_array_size(values) || (!attr && !names))
        return;
    if (strcmp(dim, "vendor") == 0 && json_array_size(values) < 2 && !chosen)
        return; /* one seller: nothing to choose */
    size_t shown = 0, i;
    const json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "value")), *slug = NULL;
        const char *name = !id        ? NULL
                           : attr     ? id
                           : category ? category_name(r->search ? json_object_get(names, "data") : names, id, 0, &slug)
                                      : taxon_name(names, id);
        if (!name || (category && !r->search && !slug))
            continue;
        if (!shown++) {
            SOUK_HTML_LIT(b, "<nav class=\"facets\" aria-label=\"Filter by ");
            souk_html_text(b, label);
            SOUK_HTML_LIT(b, "\"><h2>");
            souk_html_text(b, heading);
            SOUK_HTML_LIT(b, "</h2><ul class=\"cats\">\n");
        }
        souk__web_refine to;
        with_facet(&to, r, dim, id);
        SOUK_HTML_LIT(b, "<li><a href=\"");
        if (category && !r->search) { /* a sub-category: its own page, with the filters */
            souk_buf sub;
            souk_buf_init(&sub, 256);
            SOUK_HTML_LIT(&sub, "/c/");
            souk_html_query_value(&sub, slug);
            to.category = NULL;
            href_at(b, souk_buf_failed(&sub) ? "/" : sub.data, &to);
            souk_buf_release(&sub);
        } else {
            href_at(b, r->path, &to);
        }
        SOUK_HTML_LIT(b, "\"");
        if (chosen && strcmp(chosen, id) == 0)
            SOUK_HTML_LIT(b, " aria-current=\"true\"");
        SOUK_HTML_LIT(b, ">");
        souk_html_text(b, name);
        SOUK_HTML_LIT(b, " <span class=\"muted\">(");
        souk_html_int(b, json_integer_value(json_object_get(v, "count")));
        SOUK_HTML_LIT(b, ")</span></a></li>\n");
    }
    if (shown && chosen) {
        souk__web_refine to;
        with_facet(&to, r, dim, NULL);
        SOUK_HTML_LIT(b, "<li><a href=\"");
        href_at(b, r->path, &to);
        SOUK_HTML_LIT(b, "\">");
        souk_html_text(b, all);
        SOUK_HTML_LIT(b, "</a></li>\n");
    }
    if (shown)
        SOUK_HTML_LIT(b, "</ul></nav>\n");
}

/* The attribute facets of FACETS (every "attr.NAME" the engine added), in its order: NAME as
 * the heading ("pattern_type" → "Pattern type"). */
static void attr_facets(souk_buf *b, const souk__web_refine *r, const json_t *facets)
{
    const char *dim;
    const json_t *values;
    json_object_foreach((json_t *)facets, dim, values)
    {
        if (strncmp(dim, "attr.", 5) != 0 || strlen(dim + 5) > 64)
            continue;
        char label[72], heading[72], all[80];
        snprintf(label, sizeof label, "%s", dim + 5);
        for (char *c = label; *c; c++)
            if (*c == '_')
                *c = ' ';
        memcpy(heading, label, sizeof heading);
        if (heading[0] >= 'a' && heading[0] <= 'z')
            heading[0] = (char)(heading[0] - 'a' + 'A');
        snprintf(all, sizeof all, "Any %s", label);
        facet(b, r, facets, dim, label, heading, all, NULL);
    }
}

static void hidden(souk_buf *b, const char *name, const char *value)
{
    if (!value || !value[0])
        return;
    SOUK_HTML_LIT(b, "<input type=\"hidden\" name=\"");
    souk_html_text(b, name);
    SOUK_HTML_LIT(b, "\" value=\"");
    souk_html_text(b, value);
    SOUK_HTML_LIT(b, "\">\n");
}

/* the filter form: the facets chosen kept as hidden fields, the rest as fields */
static void filter_form(souk_buf *b, const souk__web_refine *r)
{
    SOUK_HTML_LIT(b, "<form class=\"filters\" method=\"get\" action=\"");
    souk_buf_adds(b, r->path);
    SOUK_HTML_LIT(b, "\" aria-label=\"Refine the results\">\n");
    if (r->search)
        hidden(b, "q", r->q);
    hidden(b, "category", r->category);
    hidden(b, "brand", r->brand);
    hidden(b, "vendor", r->vendor);
    for (size_t i = 0; i < r->nattrs; i++)
        hidden(b, r->attrs[i].key, r->attrs[i].value);
    SOUK_HTML_LIT(b, "<div><label for=\"sort\">Sort by</label><select id=\"sort\" name=\"sort\">");
    for (size_t i = 0; i < NSORTS(r); i++) {
        SOUK_HTML_LIT(b, "<option value=\"");
        souk_html_text(b, SORT(r, i)[0]);
        SOUK_HTML_LIT(b, "\"");
        if (strcmp(r->sort ? r->sort : default_sort(r), SORT(r, i)[0]) == 0)
            SOUK_HTML_LIT(b, " selected");
        SOUK_HTML_LIT(b, ">");
        souk_html_text(b, SORT(r, i)[1]);
        SOUK_HTML_LIT(b, "</option>");
    }
    SOUK_HTML_LIT(b, "</select></div>\n");
    souk__web_amount_input(b, "min", "Min price", r->min);
    souk__web_amount_input(b, "max", "Max price", r->max);
    SOUK_HTML_LIT(b, "<div><label for=\"rating\">Rating</label><select id=\"rating\" name=\"rating\">"
                     "<option value=\"\">Any</option>");
    for (int s = 4; s >= 1; s--) {
        char v[2] = {(char)('0' + s), 0};
        SOUK_HTML_LIT(b, "<option value=\"");
        souk_html_int(b, s);
        SOUK_HTML_LIT(b, "\"");
        if (r->rating && strcmp(r->rating, v) == 0)
            SOUK_HTML_LIT(b, " selected");
        SOUK_HTML_LIT(b, ">");
        souk_html_int(b, s);
        souk_buf_adds(b, s == 1 ? " star and up" : " stars and up");
        SOUK_HTML_LIT(b, "</option>");
    }
    SOUK_HTML_LIT(b, "</select></div>\n<div class=\"check\"><input type=\"checkbox\" id=\"in_stock\" name=\"in_stock\" "
                     "value=\"true\"");
    if (r->in_stock)
        SOUK_HTML_LIT(b, " checked");
    SOUK_HTML_LIT(b, "><label for=\"in_stock\">In stock only</label></div>\n"
                     "<div><button type=\"submit\">Apply</button></div>\n</form>\n");
}

void souk__web_refine_aside(souk_buf *b, const souk__web_refine *r, const json_t *answer, const json_t *categories,
                            const json_t *brands, const json_t *vendors)
{
    const json_t *facets = json_object_get(answer, "facets");
    SOUK_HTML_LIT(b, "<aside class=\"refine\">\n");
    facet(b, r, facets, "category", "category", r->search ? "Category" : "Sub-category", "All categories", categories);
    facet(b, r, facets, "brand", "brand", "Brand", "All brands", brands);
    facet(b, r, facets, "vendor", "seller", "Seller", "All sellers", vendors);
    attr_facets(b, r, facets);
    filter_form(b, r);
    SOUK_HTML_LIT(b, "</aside>\n");
}

static void page_link(souk_buf *b, const souk__web_refine *r, int64_t page, const char *rel, const char *label)
{
    souk__web_refine to = *r;
    to.page = page;
    SOUK_HTML_LIT(b, "<a href=\"");
    href_at(b, r->path, &to);
    SOUK_HTML_LIT(b, "\" rel=\"");
    souk_html_text(b, rel);
    SOUK_HTML_LIT(b, "\">");
    souk_html_text(b, label);
    SOUK_HTML_LIT(b, "</a>");
}

void souk__web_refine_pager(souk_buf *b, const souk__web_refine *r, int64_t total)
{
    SOUK_HTML_LIT(b, "<nav class=\"pager\" aria-label=\"Pages\">");
    if (r->page > 1)
        page_link(b, r, r->page - 1, "prev", "Previous page");
    if (r->page < PAGES_MAX && r->page * PER_PAGE < total)
        page_link(b, r, r->page + 1, "next", "Next page");
    SOUK_HTML_LIT(b, "</nav>\n");
}

int64_t souk__web_refine_offset(const souk__web_refine *r)
{
    return (r->page - 1) * PER_PAGE;
}
