/* Formatting and delivery of loader diagnostics (see diag.h). */
#include "diag.h"

#include <stdarg.h>

void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
    char body[512], msg[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(msg, sizeof(msg), "%s:%d: %s", file, line, body);
    else
        snprintf(msg, sizeof(msg), "%s: %s", file, body);
    d->n_errors++;
    if (d->emit)
        d->emit(d->ud, msg);
    else
        fprintf(stderr, "%s\n", msg);
}

void diag_message(struct diag *d, const char *msg)
{
    d->n_errors++;
    if (d->emit)
        d->emit(d->ud, msg);
    else
        fprintf(stderr, "%s\n", msg);
}
