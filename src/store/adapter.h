/*
 * adapter.h — what a storage adapter implements, and the parts of a
 * connection the port itself keeps. Only src/store/ includes this header:
 * domain code sees the opaque types of store.h.
 *
 * Design (after the payments port, and GNU Taler's exchangedb plugin): an
 * adapter is a table of operations, chosen when a connection is opened by
 * the scheme of the DSN (store.c). The port keeps what is the same for every
 * database — the per-connection statement cache, typed binding and column
 * reading, the transaction runner with its retries, the migration runner —
 * and asks the adapter only for what a database does differently. An
 * adapter's connection and statement structs start with the port's
 * `struct souk_store` / `struct souk_stmt`, so a pointer to one is a pointer
 * to the other.
 */
#ifndef SOUK_STORE_ADAPTER_H
#define SOUK_STORE_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/embed.h"
#include "store/store.h"

#define SOUK_STORE_CACHE_SLOTS 512 /* power of two; at most half used */
#define SOUK_STORE_MAX_PARAMS 64

/* The port's part of a prepared statement; an adapter's statement starts
 * with it. */
struct souk_stmt {
    souk_store *db;
    char *sql;               /* owned */
    uint64_t hash;           /* of sql, for the cache */
    uint64_t used;           /* the connection's tick when last handed out */
    souk_stmt *next_retired; /* evicted, waiting for souk_store_idle */
    souk_stmt *next_handed;  /* handed out since the last souk_store_idle (cache.c) */
    bool handed;
    int nparams; /* highest $N the SQL names (set by prepare) */
};

typedef struct souk_store_ops souk_store_ops;

/* The port's part of a connection; an adapter's connection starts with it. */
struct souk_store {
    const souk_store_ops *ops;
    souk_stmt *slots[SOUK_STORE_CACHE_SLOTS]; /* statement cache: open addressing, linear probing */
    size_t count;
    uint64_t tick;
    souk_stmt *retired; /* evicted statements, freed at souk_store_idle */
    souk_stmt *handed;  /* statements handed out since the last souk_store_idle */
    struct {            /* the last statement handed out for an SQL pointer (cache.c) */
        const char *sql;
        souk_stmt *st;
    } recent[64];
    bool read_tx;                     /* inside souk_store_read_begin */
    int tx_depth;                     /* 0 = no write transaction, 1 = in one, 2.. = savepoints inside it */
    struct souk_store_group *group;   /* where this connection's write transactions run (group.c), or NULL */
    bool committer;                   /* this is a group's own connection */
    bool no_writes;                   /* an event loop's: a write here is our bug (SOUK_BUG) */
    bool lost;                        /* the database server cannot be reached (souk_store_lost) */
    struct souk__after_commit *hooks; /* run after the outermost commit (tx.c) */
    size_t nhooks, hooks_cap;
    char errmsg[256]; /* the last error on this connection */
    struct {          /* souk_store_memo: domain code's memos, freed at close */
        const void *key;
        void *memo;
        void (*free_fn)(void *);
    } memos[SOUK_STORE_MEMOS];
};

/*
 * The operations of one adapter. Status results are souk_db_status values.
 * Every function is called on the thread that uses the connection.
 */
struct souk_store_ops {
    const char *name;                     /* "sqlite", "postgres": souk_store_backend() */
    const souk_embedded_file *migrations; /* this dialect's forward-only migrations, in order */
    const size_t *migration_count;

    /* Opens a connection to TARGET (the DSN without its scheme), creating
     * the database when CREATE is set. Returns the connection with its ops
     * set, or NULL with a message in ERR. */
    souk_store *(*open)(const char *target, bool create, char *err, size_t errlen);
    /* Closes the connection; the port has finalized every statement. */
    void (*close)(souk_store *db);

    /* Prepares SQL ($1… parameters) into a new, zeroed statement whose
     * nparams is set (the port fills the other base fields); NULL with
     * db->errmsg set. */
    souk_stmt *(*prepare)(souk_store *db, const char *sql);
    void (*finalize)(souk_stmt *st);
    /* Resets ST to run again and clears its bindings. */
    void (*reset)(souk_stmt *st);
    /* True while ST is between its first row and its end. */
    bool (*busy)(souk_stmt *st);
    /* Binds P to parameter $IDX (1-based, ≤ nparams). Text and blobs are
     * copied when COPY; else they are read where they are, and must stay
     * there until ST is reset (souk_store_one/exec step and reset ST before
     * they return). 0, or -1 when the SQL does not use $IDX or the value
     * cannot be bound. */
    int (*bind)(souk_stmt *st, int idx, const souk_param *p, bool copy);
    /* SOUK_DB_ROW, SOUK_DB_DONE or an error class (errmsg set). */
    int (*step)(souk_stmt *st);

    /* The current row's columns (0-based). NULL reads as 0 / NULL. */
    int (*column_count)(souk_stmt *st);
    bool (*column_null)(souk_stmt *st, int col);
    int64_t (*column_i64)(souk_stmt *st, int col);
    const char *(*column_text)(souk_stmt *st, int col, size_t *len);
    const void *(*column_blob)(souk_stmt *st, int col, size_t *len);

    /* Rows changed by the last INSERT/UPDATE/DELETE. */
    int64_t (*changes)(souk_store *db);
    /* True when ST cannot change the database. */
    bool (*stmt_readonly)(souk_stmt *st);
    /* Runs SQL that may hold several statements and no parameters. */
    int (*exec_script)(souk_store *db, const char *sql);
    /* Transactions: WRITE takes the database's one write lock at once (no
     * upgrade later), before the transaction's snapshot. */
    int (*begin)(souk_store *db, bool write);
    int (*commit)(souk_store *db);
    void (*rollback)(souk_store *db);
    bool (*in_tx)(souk_store *db);
    /* 1 when table NAME exists, 0 when not, or an error class. */
    int (*table_exists)(souk_store *db, const char *name);
    /* See souk_store_change_mark and souk_store_scrub. */
    int64_t (*change_mark)(souk_store *db);
    int (*scrub)(souk_store *db);
    /* Optional (a database with a write-ahead log the writer's commits
     * checkpoint): from now on commits on DB leave checkpoints to another
     * connection and call FN(CTX, pages in the log) after each one. */
    void (*defer_checkpoints)(souk_store *db, void (*fn)(void *ctx, int64_t pages), void *ctx);
    /* Checkpoints what it can without waiting for anyone. 0 or -1. */
    int (*checkpoint)(souk_store *db);
    /* Optional: see souk_store_wait_change. */
    int (*wait_change)(souk_store *db, int timeout_ms);
    /* Optional (a database in one file): copies a consistent snapshot of
     * DB into a new database file PATH (see souk_store_backup; the port
     * fsyncs, renames and checks it). 0, or an error class (errmsg set). */
    int (*backup)(souk_store *db, const char *path, souk_store_progress progress, void *ctx);
    /* Optional: see souk_store_check. */
    int (*check)(souk_store *db, char *why, size_t whylen);
};

/* The adapters linked into this binary (store.c lists them). */
extern const souk_store_ops souk__store_sqlite;
extern const souk_store_ops souk__store_postgres;

/* Records an error message on DB (printf-style). */
void souk__store_set_err(souk_store *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counts and logs a hard error (our bug, or I/O) with the SQL it concerns. */
void souk__store_hard(souk_store *db, const char *sql);

/* One after-commit hook (tx.c). */
struct souk__after_commit {
    void (*fn)(void *arg);
    unsigned char arg[64];
};

/* Runs FN(DB, CTX) as a nested transaction of the write transaction DB is
 * in: a savepoint, released when FN returns >= 0, rolled back to otherwise
 * (SOUK_DB_SOFT included: the outermost transaction's runner retries). */
int souk__store_savepoint_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx);

/* Runs, then forgets, the hooks registered on DB (after its outermost
 * commit); souk__store_drop_hooks forgets them from index FROM on (a
 * rollback). */
void souk__store_run_hooks(souk_store *db);
void souk__store_drop_hooks(souk_store *db, size_t from);

/* group.c: joins DB, just opened for DSN, to the process's group if it
 * is for that database. */
void souk__store_group_adopt(souk_store *db, const char *dsn);

/* group.c: runs FN on the committer of DB's group (souk_store_tx's path for
 * a joined connection): in a savepoint of its own, or — FLAT, for
 * souk_store_tx_join — in the group's transaction as it is. */
int souk__store_group_tx(souk_store *db, int (*fn)(souk_store *db, void *ctx), void *ctx, bool flat);

#endif
