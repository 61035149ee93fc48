/*
 * Log sink (stderr or syslog) and the complaint backoff helper. Writing is
 * one fprintf per line on an unbuffered stream, so lines from the delivery
 * threads never interleave mid-line.
 */
#include "log.h"
#include "col_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

enum log_level log_threshold = LOG_LVL_INFO;
static bool use_syslog;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level lvl)
{
    log_threshold = lvl;
}

int log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_LVL_DBG; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return COL_ERR_INVAL;
}

void log_use_syslog(bool on)
{
    if (on && !use_syslog)
        openlog("collector", LOG_PID, LOG_DAEMON);
    use_syslog = on;
}

void log_diag_line(void *ud, const char *msg)
{
    (void)ud;
    log_at(LOG_LVL_ERR, "%s", msg);
}

__attribute__((format(printf, 2, 0))) static void vlog(enum log_level lvl, const char *fmt,
                                                       va_list ap)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    char msg[1024];
    char stamp[40];
    struct timespec ts;
    struct tm tm;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (use_syslog) {
        syslog(prio[lvl], "%s", msg);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000, level_names[lvl], msg);
}

void log_write(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(lvl, fmt, ap);
    va_end(ap);
}

void complain(struct complaint *c, int64_t now_ms, const char *fmt, ...)
{
    va_list ap;
    char msg[900];

    if (c->is_active && now_ms < c->next_ms) {
        c->n_suppressed++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->n_suppressed)
        log_warn("%s (repeated %ld times since last report)", msg, c->n_suppressed);
    else
        log_warn("%s", msg);
    c->interval_ms = c->is_active ? c->interval_ms * 2 : 10000;
    if (c->interval_ms > 3600000)
        c->interval_ms = 3600000;
    c->next_ms = now_ms + c->interval_ms;
    c->n_suppressed = 0;
    c->is_active = true;
}

void complain_release(struct complaint *c, const char *fmt, ...)
{
    va_list ap;
    char msg[900];

    if (!c->is_active)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_info("%s", msg);
    c->is_active = false;
    c->n_suppressed = 0;
    c->interval_ms = 0;
}
