/*
 * Diagnostics sink for loaders: every problem found in a config, profile,
 * registry or rule file is reported as "file:line: message" through one of
 * these, so `collector check` can list all errors at once instead of
 * stopping at the first.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stdio.h>

struct diag {
    /* Called once per error; NULL prints to stderr. */
    void (*emit)(void *ud, const char *msg);
    void *ud;
    int n_errors;
};

/* Report an error at @file:@line (line 0 = whole file). */
void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report a message that already carries its "file:line: " prefix. */
void diag_message(struct diag *d, const char *msg);

#endif
