/*
 * Derived series for `collector query`: raw readings, hourly and daily
 * statistics, real-time and daily AQI, water class, noise day/night levels
 * and waste figures, each one SQL query over the rollup tables. Rows come
 * back as named text columns so one printer serves every series and format.
 */
#ifndef SERIES_H
#define SERIES_H

#include <stdbool.h>
#include <stdint.h>

struct store;

struct series_query {
    const char *series;            /* raw, hourly, daily, aqi_hourly, aqi_daily, water_class, ... */
    const char *site;              /* NULL = any */
    const char *device;            /* NULL = any (and site-level series for hourly/daily) */
    const char *metric;            /* NULL = any */
    int64_t from_ms, to_ms;        /* [from, to) for time series */
    char from_day[11], to_day[11]; /* [from, to) local dates for day series; "" = open */
    long limit;                    /* 0 = none */
};

/* One output row: @n columns named @names; vals[i] NULL for an empty cell. */
typedef int (*series_row_fn)(void *ud, int n, const char *const *names, const char *const *vals,
                             const bool *is_number);

/*
 * Run @q on @st, calling @fn per row (stop early when it returns non-zero).
 * Columns named "time" hold UTC ms for the caller to format. Returns 0,
 * COL_ERR_NOTFOUND for an unknown series, or COL_ERR_DB.
 */
int series_run(struct store *st, const struct series_query *q, series_row_fn fn, void *ud);

/* The series names, NULL-terminated, for help and errors. */
extern const char *const series_names[];

#endif
