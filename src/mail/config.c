/*
 * config.c — the relay settings: read from the environment, checked, and
 * the copy in force in this process. Delivery jobs take a reference to the
 * copy for the length of one delivery, so configuring again never frees
 * settings a job is still using.
 */
#include "mail/internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/banned.h"

static pthread_mutex_t cfg_mu = PTHREAD_MUTEX_INITIALIZER;
static souk__mail_settings *current; /* NULL: no relay */
static atomic_bool delivers;
static int max_attempts = SOUK_MAIL_MAX_ATTEMPTS;

void souk_mail_config_from_env(souk_mail_config *c)
{
    const char *v;
    memset(c, 0, sizeof *c);
    c->smtp_url = (v = getenv("SOUK_SMTP_URL")) && *v ? v : NULL;
    c->from = (v = getenv("SOUK_MAIL_FROM")) && *v ? v : "souk <no-reply@localhost>";
    c->username = (v = getenv("SOUK_SMTP_USER")) && *v ? v : NULL;
    c->password = (v = getenv("SOUK_SMTP_PASSWORD")) && *v ? v : NULL;
    c->max_attempts = SOUK_MAIL_MAX_ATTEMPTS;
}

int souk__mail_parse_from(const char *from, const char **addr, size_t *len, const char **name, size_t *nlen)
{
    if (!from)
        return -1;
    size_t fl = strlen(from);
    if (fl > 512 || !souk__mail_utf8_ok((const unsigned char *)from, fl))
        return -1;
    for (size_t i = 0; i < fl; i++)
        if ((unsigned char)from[i] < 0x20 || from[i] == 0x7F)
            return -1;
    const char *lt = strchr(from, '<');
    if (!lt) {
        *addr = from, *len = fl, *name = from, *nlen = 0;
    } else {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] || strchr(gt + 1, '<'))
            return -1;
        *addr = lt + 1, *len = (size_t)(gt - lt - 1);
        const char *e = lt;
        while (e > from && e[-1] == ' ')
            e--;
        *name = from, *nlen = (size_t)(e - from);
        if (memchr(from, '>', *nlen))
            return -1;
    }
    return souk__mail_addr_ok(*addr, *len) ? 0 : -1;
}

int souk_mail_config_check(const souk_mail_config *c, const char **why)
{
    const char *w = NULL, *a, *n;
    size_t al, nl;
    if (!c)
        w = "no configuration";
    else if (c->smtp_url && *c->smtp_url && strncmp(c->smtp_url, "smtp://", 7) != 0 &&
             strncmp(c->smtp_url, "smtps://", 8) != 0)
        w = "SOUK_SMTP_URL must start with smtp:// or smtps://";
    else if (souk__mail_parse_from(c->from, &a, &al, &n, &nl) < 0)
        w = "SOUK_MAIL_FROM must be \"Name <address>\" or \"address\"";
    else if ((c->username && strpbrk(c->username, "\r\n")) || (c->password && strpbrk(c->password, "\r\n")))
        w = "SMTP credentials must not contain CR or LF";
    if (why)
        *why = w;
    return w ? -1 : 0;
}

/* Appends S (NULL stays NULL) to the block at *P, returning the copy. */
static const char *put(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    memcpy(*p, s, n);
    const char *r = *p;
    *p += n;
    return r;
}

/* A settings block holding copies of C's strings, with one reference; NULL when out of memory. */
static souk__mail_settings *settings_new(const souk_mail_config *c)
{
    size_t n = sizeof(souk__mail_settings);
    const char *strs[4] = {c->smtp_url, c->from, c->username, c->password};
    for (int i = 0; i < 4; i++)
        n += strs[i] ? strlen(strs[i]) + 1 : 0;
    souk__mail_settings *s = calloc(1, n);
    if (!s)
        return NULL;
    char *p = (char *)(s + 1);
    s->c.smtp_url = put(&p, c->smtp_url);
    s->c.from = put(&p, c->from);
    s->c.username = put(&p, c->username);
    s->c.password = put(&p, c->password);
    s->c.max_attempts = c->max_attempts > 0 ? c->max_attempts : SOUK_MAIL_MAX_ATTEMPTS;
    const char *addr, *name;
    size_t alen, nlen;
    souk__mail_parse_from(s->c.from, &addr, &alen, &name, &nlen); /* checked by the caller */
    snprintf(s->env_from, sizeof s->env_from, "<%.*s>", (int)alen, addr);
    s->refs = 1;
    s->size = n;
    return s;
}

int souk_mail_configure(const souk_mail_config *c)
{
    const char *why = NULL;
    bool relay = c && c->smtp_url && *c->smtp_url;
    souk__mail_settings *s = NULL;
    int ret = 0;
    if (relay && souk_mail_config_check(c, &why) < 0) {
        souk_log_error("mail: not delivering: %s", why);
        ret = -1;
    } else if (relay && !(s = settings_new(c))) {
        souk_log_error("mail: not delivering: out of memory");
        ret = -1;
    }
    pthread_mutex_lock(&cfg_mu);
    souk__mail_settings *old = current;
    current = s;
    max_attempts = c && c->max_attempts > 0 ? c->max_attempts : SOUK_MAIL_MAX_ATTEMPTS;
    atomic_store(&delivers, s != NULL);
    pthread_mutex_unlock(&cfg_mu);
    souk__mail_settings_put(old);
    return ret;
}

bool souk_mail_delivers(void)
{
    return atomic_load(&delivers);
}

int souk__mail_max_attempts(void)
{
    pthread_mutex_lock(&cfg_mu);
    int n = max_attempts;
    pthread_mutex_unlock(&cfg_mu);
    return n;
}

souk__mail_settings *souk__mail_settings_get(void)
{
    pthread_mutex_lock(&cfg_mu);
    souk__mail_settings *s = current;
    if (s)
        s->refs++;
    pthread_mutex_unlock(&cfg_mu);
    return s;
}

void souk__mail_settings_put(souk__mail_settings *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&cfg_mu);
    bool last = --s->refs == 0;
    pthread_mutex_unlock(&cfg_mu);
    if (last) {
        sodium_memzero(s, s->size); /* the SMTP password */
        free(s);
    }
}
