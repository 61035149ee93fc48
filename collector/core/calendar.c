/*
 * The gateway's calendar (see calendar.h). Civil-date arithmetic that needs
 * no time zone (leap years, days from a civil date) lives in base/civil.h;
 * this file adds the zone.
 */
#include "calendar.h"
#include "col_err.h"
#include "textparse.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Moves with every cal_set_timezone(): what was cached under another zone is stale. */
static atomic_uint tz_generation = 1;

int cal_set_timezone(const char *tz)
{
    char path[512];
    struct stat sb;

    if (strcmp(tz, "UTC") != 0) {
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
        if (strstr(tz, "..") || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            return COL_ERR_INVAL;
    }
    if (setenv("TZ", tz, 1))
        return COL_ERR_NOMEM;
    tzset();
    atomic_fetch_add(&tz_generation, 1);
    return 0;
}

/* Whole seconds of @utc_ms, rounded towards minus infinity. */
static time_t secs_of(int64_t utc_ms)
{
    return (time_t)((utc_ms - ((utc_ms % 1000) + 1000) % 1000) / 1000);
}

long cal_utc_offset_s(int64_t utc_ms)
{
    time_t t = secs_of(utc_ms);
    struct tm tm;

    localtime_r(&t, &tm);
    return tm.tm_gmtoff;
}

int64_t cal_hour_floor(int64_t utc_ms)
{
    return utc_ms - ((utc_ms % CAL_HOUR_MS) + CAL_HOUR_MS) % CAL_HOUR_MS;
}

int cal_local_hour(int64_t utc_ms)
{
    time_t t = secs_of(utc_ms);
    struct tm tm;

    localtime_r(&t, &tm);
    return tm.tm_hour;
}

void cal_day_of(int64_t utc_ms, char out[11])
{
    time_t t = secs_of(utc_ms);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int cal_day_start(const char *day, int64_t *out_ms)
{
    struct tm tm = {0};
    char *end = strptime(day, "%Y-%m-%d", &tm);

    if (!end || *end)
        return COL_ERR_INVAL;
    tm.tm_isdst = -1;
    *out_ms = (int64_t)mktime(&tm) * 1000;
    return 0;
}

/*
 * The last day each thread asked for: the rollups ask for the same day once
 * per device-hour, and localtime_r with two mktime calls (which take the C
 * library's time zone lock) cost more than the rest of the question.
 */
static _Thread_local struct {
    unsigned generation; /* 0: nothing cached */
    int64_t t0, t1;
    char day[11];
} last_day;

void cal_day_bounds(int64_t utc_ms, int64_t *t0, int64_t *t1, char *day)
{
    unsigned gen = atomic_load(&tz_generation);
    time_t t = secs_of(utc_ms);
    struct tm tm;

    if (last_day.generation != gen || utc_ms < last_day.t0 || utc_ms >= last_day.t1) {
        localtime_r(&t, &tm);
        strftime(last_day.day, sizeof(last_day.day), "%Y-%m-%d", &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        last_day.t0 = (int64_t)mktime(&tm) * 1000;
        tm.tm_mday += 1;
        tm.tm_isdst = -1;
        last_day.t1 = (int64_t)mktime(&tm) * 1000;
        last_day.generation = gen;
    }
    if (day)
        memcpy(day, last_day.day, sizeof(last_day.day));
    *t0 = last_day.t0;
    *t1 = last_day.t1;
}

int cal_parse_time(const char *s, int64_t *out_ms)
{
    struct tm tm = {0};
    int64_t v;
    size_t len = strlen(s);
    const char *end;

    if (parse_int64(s, &v) == 0) {
        *out_ms = v * 1000;
        return 0;
    }
    /* With an explicit offset or Z: not local. */
    if (len > 10 &&
        (s[len - 1] == 'Z' || strchr(s + 10, '+') || (strrchr(s, '-') && strrchr(s, '-') > s + 10)))
        return parse_iso8601_ms(s, len, 0, out_ms);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (!end)
        return COL_ERR_INVAL;
    if (*end == 'T' || *end == ' ') {
        const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);
        if (!e2)
            e2 = strptime(end + 1, "%H:%M", &tm);
        if (!e2)
            return COL_ERR_INVAL;
        end = e2;
    }
    if (*end)
        return COL_ERR_INVAL;
    tm.tm_isdst = -1;
    *out_ms = (int64_t)mktime(&tm) * 1000;
    return 0;
}

void cal_format_time(int64_t ms, char *out, size_t sz)
{
    time_t t = secs_of(ms);
    struct tm tm;
    char z[8];
    size_t n;

    localtime_r(&t, &tm);
    n = strftime(out, sz, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(z, sizeof(z), "%z", &tm);
    if (ms % 1000)
        n += (size_t)snprintf(out + n, sz - n, ".%03d", (int)(((ms % 1000) + 1000) % 1000));
    snprintf(out + n, sz - n, "%.3s:%.2s", z, z + 3);
}

void cal_format_utc(int64_t ms, char *out, size_t sz)
{
    time_t t = secs_of(ms);
    struct tm tm;
    size_t n;

    gmtime_r(&t, &tm);
    n = strftime(out, sz, "%Y-%m-%dT%H:%M:%S", &tm);
    if (ms % 1000)
        n += (size_t)snprintf(out + n, sz - n, ".%03d", (int)(((ms % 1000) + 1000) % 1000));
    snprintf(out + n, sz - n, "Z");
}
