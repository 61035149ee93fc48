/*
 * Parsers for the small text forms used across config, payloads and the
 * command line: durations ("5m", "30d"), sizes ("64KiB"), times (epoch
 * seconds or milliseconds, ISO 8601 with offset), UTF-8 validity. Pure
 * functions: no allocation, no global state, no clock.
 */
#ifndef TEXTPARSE_H
#define TEXTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Duration such as "500ms", "30s", "5m", "2h", "30d", "1w" or a bare number of
 * seconds, into milliseconds. "0" is zero. Returns 0 or COL_ERR_INVAL.
 */
int parse_duration_ms(const char *s, int64_t *out_ms);

/* Size such as "64KiB", "10MB", "512" (bytes) into bytes. 0 or COL_ERR_INVAL. */
int parse_size(const char *s, uint64_t *out);

/*
 * ISO 8601 date-time with an explicit offset ("2024-11-26T08:00:00+08:00",
 * "...Z", optional fraction, space allowed for T) into UTC epoch ms.
 * Without an offset the time is taken as UTC offset @default_offset_s.
 * Returns 0 or COL_ERR_INVAL.
 */
int parse_iso8601_ms(const char *s, size_t len, long default_offset_s, int64_t *out_ms);

/*
 * A numeric epoch timestamp: values below 1e11 are seconds, larger ones
 * milliseconds (1e11 s is year 5138, 1e11 ms is 1973). Returns 0 or
 * COL_ERR_INVAL for negative or non-finite input.
 */
int epoch_to_ms(double v, int64_t *out_ms);

/* True when @s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Strict integer parse of the whole string; 0 or COL_ERR_INVAL / COL_ERR_RANGE. */
int parse_int64(const char *s, int64_t *out);
/* Strict finite double parse of the whole string; 0 or COL_ERR_INVAL. */
int parse_double(const char *s, double *out);

#endif
