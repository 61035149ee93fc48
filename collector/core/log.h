/*
 * Logging for the daemon and the command-line tool.
 *
 * The macros test the level before formatting anything (the hot path logs
 * at debug level at most), write one line per call to stderr with an ISO
 * time and level, and can be sent to syslog instead. A repeating failure
 * goes through a struct complaint: logged once, then with backoff, and its
 * recovery logged once.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DBG };

extern enum log_level log_threshold;

void log_write(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "error", "warn", "info", "debug" → level; 0 or COL_ERR_INVAL. */
int log_parse_level(const char *s, enum log_level *out);
void log_set_level(enum log_level lvl);
/* Send lines to syslog (ident "collector") instead of stderr. */
void log_use_syslog(bool on);
/* A struct diag's emit(): logs each file:line error at error level. */
void log_diag_line(void *ud, const char *msg);

#define log_at(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) <= log_threshold)                                                                \
            log_write((lvl), __VA_ARGS__);                                                         \
    } while (0)
#define log_err(...) log_at(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_at(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_at(LOG_LVL_INFO, __VA_ARGS__)
#define log_dbg(...) log_at(LOG_LVL_DBG, __VA_ARGS__)

/*
 * A failure that may repeat (broker down, disk full). complain() logs the
 * first occurrence at warn, then at most once per interval that doubles up
 * to 1 hour, counting what it suppressed; complain_release() logs the
 * recovery once at info. Times are monotonic milliseconds from the caller.
 */
struct complaint {
    bool is_active;
    int64_t next_ms;
    int64_t interval_ms;
    long n_suppressed;
};

void complain(struct complaint *c, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void complain_release(struct complaint *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
