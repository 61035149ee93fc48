/*
 * A JSON scanner for decoders: RFC 8259 values over a buffer that is not
 * NUL-terminated and may be hostile, read without allocation. A scanned
 * value is a span of the buffer (strings without their quotes, still
 * escaped; objects and arrays whole, skipped); json_unescape() and
 * json_number() turn a span into a C string or a double. Used by the flat
 * JSON decoder (decode_json.c) and the SenML one (decode_senml.c).
 */
#ifndef JSON_SCAN_H
#define JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting of objects and arrays a decoder accepts (the top level is depth 0). */
#define JSON_DEPTH_MAX 16
/* Characters of the longest number json_number() reads. */
#define JSON_NUM_TEXT_MAX 63

/* A position in a JSON text: @p moves from @start towards @end. */
struct json_cur {
    const char *p;
    const char *start; /* for offsets in error messages */
    const char *end;
};

enum json_type { JSON_STR, JSON_NUM, JSON_TRUE, JSON_FALSE, JSON_NULL, JSON_OBJ, JSON_ARR };

/* A scanned value: strings keep their raw (escaped) bytes between the quotes. */
struct json_val {
    enum json_type type;
    const char *p;
    size_t n;
};

/* Results of the scanners; the cursor is left where scanning stopped. */
enum { JSON_OK = 0, JSON_BAD = -1, JSON_DEEP = -2 };

/* Skip JSON whitespace (space, tab, CR, LF). */
void json_skip_ws(struct json_cur *c);

/* Is the cursor on @ch? */
bool json_at(const struct json_cur *c, char ch);

/* A string at the cursor (on its opening quote), escapes checked. */
int json_scan_string(struct json_cur *c, struct json_val *v);

/* A number at the cursor, by the RFC 8259 grammar (no NaN, no Infinity). */
int json_scan_number(struct json_cur *c, struct json_val *v);

/* The literal @lit ("true", "false", "null") at the cursor, as @type. */
int json_scan_literal(struct json_cur *c, const char *lit, enum json_type type, struct json_val *v);

/*
 * Any value at the cursor (no leading whitespace), nested ones skipped;
 * @depth is the nesting of the value itself. JSON_DEEP when an object or
 * array would sit at depth JSON_DEPTH_MAX or deeper.
 */
int json_scan_value(struct json_cur *c, struct json_val *v, int depth);

/*
 * Decode the scanned string @v into @dst (size @dstsz, always NUL-
 * terminated), cut at a character boundary when it does not fit;
 * *@full_len gets the decoded length and *@last its last byte. Returns
 * false when the string holds U+0000: @dst then ends before it.
 */
bool json_unescape(const struct json_val *v, char *dst, size_t dstsz, size_t *full_len, char *last);

/*
 * The scanned number @v as a double (overflow gives ±inf, which callers
 * check); -1 when it is longer than JSON_NUM_TEXT_MAX characters.
 */
int json_number(const struct json_val *v, double *out);

#endif
