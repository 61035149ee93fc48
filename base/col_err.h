/*
 * Error codes shared by every module of the collector.
 *
 * Functions return 0 on success and a negative COL_ERR_* on failure; a
 * library's own codes (SQLITE_*, MOSQ_ERR_*, CURLcode) are translated once,
 * at the module that talks to that library.
 */
#ifndef COL_ERR_H
#define COL_ERR_H

enum {
    COL_OK = 0,
    COL_ERR_NOMEM = -1, /* allocation failed */
    COL_ERR_INVAL = -2, /* bad argument or malformed input */
    COL_ERR_IO = -3,    /* file or socket error */
    COL_ERR_DB = -4,    /* database error */
    COL_ERR_BUSY = -5,  /* resource busy, try again */
    COL_ERR_NOTFOUND = -6,
    COL_ERR_CONFIG = -7,  /* invalid configuration */
    COL_ERR_CORRUPT = -8, /* integrity check failed */
    COL_ERR_NET = -9,     /* network or broker error */
    COL_ERR_RANGE = -10,  /* value outside its bounds */
};

/* A short English name for @rc ("nomem", "inval", ...), never NULL. */
const char *col_strerror(int rc);

/*
 * NEVER(x): a defensive check for a condition that cannot happen. Debug
 * builds assert; release builds keep the test so the caller can recover.
 */
#ifdef NDEBUG
#define NEVER(x) (x)
#else
#include <assert.h>
#define NEVER(x) ((x) ? (assert(!#x), 1) : 0)
#endif

#endif
