/*
 * The gateway's calendar: local days and hours in the configured time zone
 * (gateway.timezone, default Asia/Shanghai), and the one way timestamps are
 * parsed from and written for people. The zone is applied once per process
 * by cal_set_timezone(), which sets TZ: the collector is the only user of
 * local time in its process, and localtime_r/mktime then follow the zone's
 * real rules (including its zoneinfo history) without a library. Stored
 * timestamps are UTC milliseconds; only these functions turn them local.
 */
#ifndef CORE_CALENDAR_H
#define CORE_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define CAL_HOUR_MS 3600000LL
#define CAL_DAY_MS 86400000LL

/* Use zone @tz ("UTC" or a zoneinfo name). 0, COL_ERR_INVAL (no such zone) or COL_ERR_NOMEM. */
int cal_set_timezone(const char *tz);

/* Offset of local time from UTC at @utc_ms, in seconds (e.g. 28800 for UTC+8). */
long cal_utc_offset_s(int64_t utc_ms);

/* The start of the UTC hour containing @utc_ms (floor, also for times before 1970). */
int64_t cal_hour_floor(int64_t utc_ms);

/* Local hour of day (0..23) at @utc_ms. */
int cal_local_hour(int64_t utc_ms);

/* The local date of @utc_ms as "YYYY-MM-DD". */
void cal_day_of(int64_t utc_ms, char out[11]);

/* Local midnight starting @day ("YYYY-MM-DD"), as UTC ms. 0 or COL_ERR_INVAL. */
int cal_day_start(const char *day, int64_t *out_ms);

/*
 * The local day containing @utc_ms: its first instant @t0 and the next
 * day's @t1 (a day may be 23 or 25 hours long where the zone has DST), and
 * its name in @day (may be NULL).
 */
void cal_day_bounds(int64_t utc_ms, int64_t *t0, int64_t *t1, char *day);

/*
 * Parse a time given by a person: epoch seconds, "YYYY-MM-DD", or
 * "YYYY-MM-DD[T ]HH:MM[:SS]" in local time, or ISO 8601 with Z or an
 * offset. 0 or COL_ERR_INVAL.
 */
int cal_parse_time(const char *s, int64_t *out_ms);

/* Format @ms as local ISO 8601 with offset ("2024-11-26T08:00:00+08:00", ms if any). */
void cal_format_time(int64_t ms, char *out, size_t sz);

/* Format @ms as UTC ISO 8601 ("2024-11-26T00:00:00Z", ms if any). */
void cal_format_utc(int64_t ms, char *out, size_t sz);

#endif
