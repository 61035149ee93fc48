/* Names for the shared COL_ERR_* codes, for logs and error messages. */
#include "col_err.h"

const char *col_strerror(int rc)
{
    switch (rc) {
    case COL_OK:
        return "ok";
    case COL_ERR_NOMEM:
        return "out of memory";
    case COL_ERR_INVAL:
        return "invalid input";
    case COL_ERR_IO:
        return "I/O error";
    case COL_ERR_DB:
        return "database error";
    case COL_ERR_BUSY:
        return "busy";
    case COL_ERR_NOTFOUND:
        return "not found";
    case COL_ERR_CONFIG:
        return "invalid configuration";
    case COL_ERR_CORRUPT:
        return "corrupt";
    case COL_ERR_NET:
        return "network error";
    case COL_ERR_RANGE:
        return "out of range";
    default:
        return "unknown error";
    }
}
