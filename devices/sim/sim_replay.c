/*
 * devsim replay: publish stations of the Beijing multi-site air-quality
 * CSV (shared/data/README.md) as air stations at Xuhui sites, one message
 * per hourly row. Columns are found by their header names; a row's local
 * date and hour (Asia/Shanghai, UTC+8) become the epoch second at the start
 * of that hour. Several stations (several --csv, or a directory) are merged
 * in time order, each on the site --map gives it. In JSON and SenML the
 * values are copied verbatim from the CSV when they are valid JSON numbers,
 * so a replay loses no digit, and CO stays in µg/m³ under "co_ugm3" for the
 * device profile to convert; HJ 212 packets carry the factor codes' units
 * (CO mg/m³, pressure kPa). Each file is read line by line into one fixed
 * buffer: no allocation per row.
 */
#include "sim_int.h"
#include "sim_replay_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "hj212.h"

/*
 * CSV column -> JSON key and SenML unit, HJ 212 code and the factor to its
 * unit; the order is the order of keys in the payload.
 */
static const struct replay_value_col {
    const char *header;
    const char *key;
    const char *unit;
    const char *code; /* NULL: not sent in HJ 212 */
    double code_scale;
} value_cols[] = {
    {"PM2.5", "pm25", "ug/m3", "a34004", 1},    {"PM10", "pm10", "ug/m3", "a34002", 1},
    {"SO2", "so2", "ug/m3", "a21026", 1},       {"NO2", "no2", "ug/m3", "a21004", 1},
    {"CO", "co_ugm3", "ug/m3", "a21005", 1e-3}, {"O3", "o3", "ug/m3", "a05024", 1},
    {"TEMP", "temp", "degC", "a01001", 1},      {"PRES", "pres", "hPa", "a01006", 0.1},
    {"DEWP", "dewp", "degC", NULL, 1},          {"RAIN", "rain", "mm", NULL, 1},
    {"WSPM", "wspm", "m/s", "a01007", 1},
};
#define N_VALUE_COLS (sizeof(value_cols) / sizeof(value_cols[0]))

/* Index of each needed column in a row, -1 when the header lacks it. */
struct replay_cols {
    int year, month, day, hour, station;
    int value[N_VALUE_COLS];
    int n_fields;
};

/* One station's file, read one publishable row ahead. */
struct replay_src {
    char path[REPLAY_PATH_MAX];
    FILE *f;
    int index;
    struct replay_cols col;
    const char *site; /* from --site or the map */
    char device[REPLAY_DEVICE_MAX];
    char topic[SIM_TOPIC_MAX];
    long n_rows;    /* data rows inside the date range, counted when consumed */
    long n_sent;    /* handed to the sink */
    long n_skipped; /* rows without a usable time or any numeric value */
    bool has_row;   /* payload holds the next row to send */
    int64_t ts;
    int len;
    char payload[SIM_PAYLOAD_MAX];
    char *fields[REPLAY_MAX_FIELDS];
    char line[REPLAY_LINE_MAX];
};

struct replay {
    struct replay_opts opt;
    struct replay_src *src[REPLAY_MAX_SOURCES];
    int n_src;
    struct sim_sink *sink;
    long n_sent;
    bool has_first;
    int64_t ts_first; /* ts of the first message, for pacing */
    double t_first;   /* sim_now() when it was sent */
};

static int csv_split(char *line, char **fields, int max)
{
    char *r = line, *w = line;
    int n = 0;

    for (;;) {
        bool in_quotes = false;

        if (n == max)
            return n;
        fields[n++] = w;
        while (*r && (in_quotes || *r != ',')) {
            if (*r == '"' && in_quotes && r[1] == '"') {
                *w++ = '"';
                r += 2;
            } else if (*r == '"') {
                in_quotes = !in_quotes;
                r++;
            } else {
                *w++ = *r++;
            }
        }
        if (*r == '\0') {
            *w = '\0';
            return n;
        }
        *w++ = '\0';
        r++;
    }
}

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    return s;
}

static int find_col(char **fields, int n, const char *name)
{
    int i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(trim(fields[i]), name) == 0)
            return i;
    }
    return -1;
}

static bool field_long(char **fields, int n, int col, long *out)
{
    char *end = NULL;
    const char *s;

    if (col < 0 || col >= n)
        return false;
    s = trim(fields[col]);
    errno = 0;
    *out = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

static bool is_missing(const char *s)
{
    return *s == '\0' || strcasecmp(s, "NA") == 0 || strcasecmp(s, "NaN") == 0 ||
           strcasecmp(s, "null") == 0;
}

/*
 * The number in a CSV cell as text: the cell itself when it is a JSON
 * number, another finite number printed shortest-exact into @num. Sets @v
 * to its value. NULL when the cell is missing or not a number.
 */
static const char *cell_number(const char *text, char *num, size_t size, double *v)
{
    char *end = NULL;

    if (is_missing(text))
        return NULL;
    *v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(*v))
        return NULL;
    if (sim_json_number_ok(text))
        return text;
    snprintf(num, size, "%.15g", *v);
    if (strtod(num, NULL) != *v)
        snprintf(num, size, "%.17g", *v);
    return num;
}

/* Read one line into s->line without its line ending. 1 = line, 0 = EOF, <0 = too long. */
static int read_line(struct replay_src *s)
{
    size_t len;
    int c;

    if (!fgets(s->line, sizeof(s->line), s->f))
        return 0;
    len = strlen(s->line);
    if (len == sizeof(s->line) - 1 && s->line[len - 1] != '\n') {
        do
            c = fgetc(s->f);
        while (c != EOF && c != '\n');
        return COL_ERR_RANGE;
    }
    while (len > 0 && (s->line[len - 1] == '\n' || s->line[len - 1] == '\r'))
        s->line[--len] = '\0';
    return 1;
}

static int read_header(struct replay_src *s)
{
    struct replay_cols *c = &s->col;
    int n;
    size_t i;

    if (read_line(s) != 1) {
        fprintf(stderr, "devsim replay: %s: no header line\n", s->path);
        return COL_ERR_INVAL;
    }
    n = csv_split(s->line, s->fields, REPLAY_MAX_FIELDS);
    c->n_fields = n;
    c->year = find_col(s->fields, n, "year");
    c->month = find_col(s->fields, n, "month");
    c->day = find_col(s->fields, n, "day");
    c->hour = find_col(s->fields, n, "hour");
    c->station = find_col(s->fields, n, "station");
    for (i = 0; i < N_VALUE_COLS; i++)
        c->value[i] = find_col(s->fields, n, value_cols[i].header);
    if (c->year < 0 || c->month < 0 || c->day < 0 || c->hour < 0) {
        fprintf(stderr, "devsim replay: %s: header lacks year, month, day or hour\n", s->path);
        return COL_ERR_INVAL;
    }
    return 0;
}

/* The row's local day (days since 1970) and epoch ts; false when they are unusable. */
static bool row_time(struct replay_src *s, int n, int64_t *day, int64_t *ts)
{
    const struct replay_cols *c = &s->col;
    long y, m, d, h;

    if (!field_long(s->fields, n, c->year, &y) || !field_long(s->fields, n, c->month, &m) ||
        !field_long(s->fields, n, c->day, &d) || !field_long(s->fields, n, c->hour, &h))
        return false;
    if (!sim_date_valid(y, m, d) || h < 0 || h > 23)
        return false;
    *day = sim_days_from_civil(y, m, d);
    *ts = *day * 86400 + (int64_t)h * 3600 - SIM_UTC_OFFSET_S;
    return true;
}

/* The cell of value column @i in the current row, or NULL. */
static const char *row_cell(struct replay_src *s, int n, size_t i, char *num, size_t size,
                            double *v)
{
    int col = s->col.value[i];

    if (col < 0 || col >= n)
        return NULL;
    return cell_number(trim(s->fields[col]), num, size, v);
}

struct row_buf {
    char *p;
    size_t size, len;
    bool is_full;
};

static void put(struct row_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct row_buf *b, const char *fmt, ...)
{
    va_list ap;
    int w;

    if (b->is_full)
        return;
    va_start(ap, fmt);
    w = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= b->size - b->len)
        b->is_full = true;
    else
        b->len += (size_t)w;
}

/* JSON or SenML of the current row into @b; returns the number of values. */
static int row_json(struct replay_src *s, int n, int64_t ts, bool is_senml, struct row_buf *b)
{
    const char *text;
    char num[40];
    double v;
    int n_values = 0;
    size_t i;

    put(b, is_senml ? "[" : "{\"ts\":%lld", (long long)ts);
    for (i = 0; i < N_VALUE_COLS; i++) {
        text = row_cell(s, n, i, num, sizeof(num), &v);
        if (!text)
            continue;
        if (!is_senml)
            put(b, ",\"%s\":%s", value_cols[i].key, text);
        else if (n_values == 0)
            put(b, "{\"bn\":\"%s:\",\"bt\":%lld,\"n\":\"%s\",\"u\":\"%s\",\"v\":%s}", s->device,
                (long long)ts, value_cols[i].key, value_cols[i].unit, text);
        else
            put(b, ",{\"n\":\"%s\",\"u\":\"%s\",\"v\":%s}", value_cols[i].key, value_cols[i].unit,
                text);
        n_values++;
    }
    put(b, is_senml ? "]" : "}");
    return n_values;
}

/* The HJ 212 packet (CN=2061, the row's hour) of the current row; returns the number of values. */
static int row_hj212(struct replay_src *s, int n, int64_t ts, bool want_ack, struct row_buf *b)
{
    char seg[HJ212_SEG_MAX + 64], num[40], stamp[16], mn[25];
    struct row_buf sb = {seg, sizeof(seg), 0, false};
    const char *text;
    double v;
    int n_values = 0, len;
    size_t i;

    sim_local_stamp(ts, stamp);
    sim_mn(s->device, mn);
    put(&sb, "QN=%s%03d;ST=22;CN=%d;PW=123456;MN=%s;Flag=%d;CP=&&DataTime=%s", stamp, s->index,
        HJ212_CN_HOUR, mn,
        (HJ212_VERSION_2017 << HJ212_FLAG_VERSION_SHIFT) | (want_ack ? HJ212_FLAG_ACK : 0), stamp);
    for (i = 0; i < N_VALUE_COLS; i++) {
        text = row_cell(s, n, i, num, sizeof(num), &v);
        if (!text || !value_cols[i].code)
            continue;
        if (value_cols[i].code_scale != 1) {
            snprintf(num, sizeof(num), "%.10g", v * value_cols[i].code_scale);
            text = num;
        }
        put(&sb, ";%s-Avg=%s,%s-Flag=N", value_cols[i].code, text, value_cols[i].code);
        n_values++;
    }
    put(&sb, "&&");
    if (sb.is_full) {
        b->is_full = true;
        return 0;
    }
    len = hj212_frame(seg, sb.len, b->p, b->size);
    if (len < 0)
        b->is_full = true;
    else
        b->len = (size_t)len;
    return n_values;
}

/* Build the payload of the current row into s->payload. Returns its length, 0 when it has no value.
 */
static int row_payload(struct replay *rp, struct replay_src *s, int n, int64_t ts)
{
    struct row_buf b = {s->payload, sizeof(s->payload), 0, false};
    int n_values;

    if (rp->opt.format == SIM_FMT_HJ212)
        n_values = row_hj212(s, n, ts, rp->opt.tcp != NULL, &b);
    else
        n_values = row_json(s, n, ts, rp->opt.format == SIM_FMT_SENML, &b);
    if (b.is_full)
        return COL_ERR_RANGE;
    return n_values ? (int)b.len : 0;
}

/*
 * Name the source after the first row in range: its station gives the site
 * (--site for a single station, else the map) and the device id,
 * "replay-" + the station lowercased and made topic-safe.
 */
static void src_name(struct replay *rp, struct replay_src *s, int n)
{
    const char *station = "unknown";
    size_t len, i;

    if (s->col.station >= 0 && s->col.station < n && *trim(s->fields[s->col.station]))
        station = trim(s->fields[s->col.station]);
    s->site = rp->opt.site ? rp->opt.site : sim_replay_map_site(&rp->opt.map, station);
    if (rp->opt.device) {
        snprintf(s->device, sizeof(s->device), "%s", rp->opt.device);
    } else {
        snprintf(s->device, sizeof(s->device), "replay-%s", station);
        len = strlen(s->device);
        for (i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)s->device[i];

            s->device[i] = isalnum(ch) || ch == '-' || ch == '_' ? (char)tolower(ch) : '-';
        }
    }
    if (!s->site)
        fprintf(stderr, "devsim replay: %s: no site for station %s (give --site or --map)\n",
                s->path, station);
    else
        snprintf(s->topic, sizeof(s->topic), "%s/air/%s/%s", rp->opt.conn.prefix, s->site,
                 s->device);
}

/*
 * Read rows up to the next one to publish (s->has_row) or the end of the
 * file. Rows skipped on the way are counted. Returns 0, COL_ERR_NOTFOUND
 * when the station has no site, or another negative COL_ERR_*.
 */
static int src_advance(struct replay *rp, struct replay_src *s)
{
    int64_t day, ts;
    int n, rc;

    s->has_row = false;
    for (;;) {
        rc = read_line(s);
        if (rc == 0)
            break;
        if (rc < 0) {
            s->n_rows++;
            s->n_skipped++;
            continue;
        }
        if (s->line[0] == '\0')
            continue;
        n = csv_split(s->line, s->fields, REPLAY_MAX_FIELDS);
        if (!row_time(s, n, &day, &ts)) {
            s->n_rows++;
            s->n_skipped++;
            continue;
        }
        if (day < rp->opt.from_day || day >= rp->opt.to_day)
            continue;
        if (s->device[0] == '\0') {
            src_name(rp, s, n);
            if (!s->site)
                return COL_ERR_NOTFOUND;
        }
        rc = row_payload(rp, s, n, ts);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            s->n_rows++;
            s->n_skipped++;
            continue;
        }
        s->len = rc;
        s->ts = ts;
        s->has_row = true;
        return 0;
    }
    if (ferror(s->f)) {
        fprintf(stderr, "devsim replay: %s: read error\n", s->path);
        return COL_ERR_IO;
    }
    return 0;
}

static void src_free(struct replay_src *s)
{
    if (!s)
        return;
    if (s->f)
        fclose(s->f);
    free(s);
}

/*
 * Open @path and read up to its first row. A file found in a directory
 * whose station has no site is left out; for a named file that is an
 * error. Returns 0 or a negative COL_ERR_*.
 */
static int replay_add_file(struct replay *rp, const char *path, bool is_from_dir)
{
    struct replay_src *s = NULL;
    int rc = COL_ERR_NOMEM;

    if (rp->n_src == REPLAY_MAX_SOURCES) {
        fprintf(stderr, "devsim replay: more than %d stations\n", REPLAY_MAX_SOURCES);
        return COL_ERR_INVAL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        fprintf(stderr, "devsim replay: out of memory\n");
        goto out;
    }
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->index = rp->n_src;
    s->f = fopen(path, "r");
    if (!s->f) {
        fprintf(stderr, "devsim replay: cannot open %s: %s\n", path, strerror(errno));
        rc = COL_ERR_IO;
        goto out;
    }
    rc = read_header(s);
    if (rc == 0)
        rc = src_advance(rp, s);
    if (rc == COL_ERR_NOTFOUND && is_from_dir) {
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    rp->src[rp->n_src++] = s;
    s = NULL;
out:
    src_free(s);
    return rc;
}

static int is_csv_name(const struct dirent *e)
{
    size_t n = strlen(e->d_name);

    return n > 4 && e->d_name[0] != '.' && strcasecmp(e->d_name + n - 4, ".csv") == 0;
}

static int replay_add_dir(struct replay *rp, const char *dir)
{
    struct dirent **names = NULL;
    char path[REPLAY_PATH_MAX];
    int n, i, rc = 0;

    n = scandir(dir, &names, is_csv_name, alphasort);
    if (n < 0) {
        fprintf(stderr, "devsim replay: cannot read %s: %s\n", dir, strerror(errno));
        return COL_ERR_IO;
    }
    for (i = 0; i < n; i++) {
        if (rc == 0 &&
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path))
            rc = replay_add_file(rp, path, true);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Open every source; an exit code when that fails, -1 to go on. */
static int replay_open(struct replay *rp)
{
    struct stat st;
    int i, rc = 0;

    for (i = 0; i < rp->opt.n_csv && rc == 0; i++) {
        if (stat(rp->opt.csv[i], &st) == 0 && S_ISDIR(st.st_mode))
            rc = replay_add_dir(rp, rp->opt.csv[i]);
        else
            rc = replay_add_file(rp, rp->opt.csv[i], false);
    }
    if (rc == COL_ERR_NOTFOUND || rc == COL_ERR_INVAL)
        return SIM_EXIT_USAGE;
    if (rc)
        return SIM_EXIT_RUNTIME;
    if (rp->n_src == 0) {
        fprintf(stderr, "devsim replay: no station with a site in the --csv given\n");
        return SIM_EXIT_USAGE;
    }
    if (rp->n_src > 1 && (rp->opt.site || rp->opt.device)) {
        fprintf(stderr, "devsim replay: --site and --device name a single station; use --map\n");
        return SIM_EXIT_USAGE;
    }
    return -1;
}

/* Sleep (serving the connection) until the row at @ts is due at the replay's speed. */
static int replay_pace(struct replay *rp, int64_t ts)
{
    if (!rp->has_first) {
        rp->has_first = true;
        rp->ts_first = ts;
        rp->t_first = sim_now();
        return 0;
    }
    if (rp->opt.speed <= 0)
        return 0;
    return sim_sink_wait_until(rp->sink, rp->t_first + (double)(ts - rp->ts_first) / rp->opt.speed);
}

/* The source whose next row is the earliest (the first listed on a tie), or NULL. */
static struct replay_src *replay_next(const struct replay *rp)
{
    struct replay_src *best = NULL;
    int i;

    for (i = 0; i < rp->n_src; i++) {
        if (rp->src[i]->has_row && (!best || rp->src[i]->ts < best->ts))
            best = rp->src[i];
    }
    return best;
}

static int replay_run(struct replay *rp)
{
    struct replay_src *s;
    int rc;

    for (;;) {
        s = replay_next(rp);
        if (!s)
            return 0;
        rc = replay_pace(rp, s->ts);
        if (rc == 0)
            rc = sim_sink_send(rp->sink, s->topic, s->payload, (size_t)s->len, s->index);
        if (rc)
            return rc; /* stopped before this row went out: it is not counted */
        s->n_rows++;
        s->n_sent++;
        rp->n_sent++;
        if (rp->opt.limit > 0 && rp->n_sent >= rp->opt.limit)
            return 0;
        rc = src_advance(rp, s);
        if (rc)
            return rc;
    }
}

static void replay_summary(const struct replay *rp, double elapsed)
{
    const struct replay_src *s;
    long published, rows = 0, skipped = 0, total = 0;
    int i;

    for (i = 0; i < rp->n_src; i++) {
        s = rp->src[i];
        published = sim_sink_delivered(rp->sink, s->index);
        printf("replay: site=%s device=%s rows=%ld published=%ld skipped=%ld",
               s->site ? s->site : (rp->opt.site ? rp->opt.site : "-"),
               s->device[0] ? s->device : (rp->opt.device ? rp->opt.device : "-"), s->n_rows,
               published, s->n_skipped);
        sim_print_rate(elapsed, published);
        rows += s->n_rows;
        skipped += s->n_skipped;
        total += published;
    }
    if (rp->n_src > 1) {
        printf("replay: stations=%d rows=%ld published=%ld skipped=%ld", rp->n_src, rows, total,
               skipped);
        sim_print_rate(elapsed, total);
    }
    sim_sink_print_stats(rp->sink, "replay");
}

int sim_replay_main(int argc, char **argv)
{
    struct replay *rp = NULL;
    double t0;
    int rc, i, exit_code = SIM_EXIT_RUNTIME;

    rp = calloc(1, sizeof(*rp));
    if (!rp) {
        fprintf(stderr, "devsim replay: out of memory\n");
        goto out;
    }
    rc = sim_replay_parse(argc, argv, &rp->opt);
    if (rc >= 0) {
        exit_code = rc;
        goto out;
    }
    rc = replay_open(rp);
    if (rc >= 0) {
        exit_code = rc;
        if (rc == SIM_EXIT_USAGE)
            fputs("(devsim replay --help for the options)\n", stderr);
        goto out;
    }
    sim_signals_install();
    rp->sink = sim_sink_open(&rp->opt.conn, rp->opt.tcp, "replay");
    if (!rp->sink)
        goto out;
    t0 = sim_now();
    rc = replay_run(rp);
    /* After SIGINT/SIGTERM the run ends normally, acknowledged or not. */
    if (sim_sink_finish(rp->sink) == 0 || sim_stop_requested())
        exit_code = rc == 0 || rc == COL_ERR_BUSY ? SIM_EXIT_OK : SIM_EXIT_RUNTIME;
    replay_summary(rp, sim_now() - t0);
out:
    if (rp) {
        sim_sink_close(rp->sink);
        for (i = 0; i < rp->n_src; i++)
            src_free(rp->src[i]);
    }
    free(rp);
    return exit_code;
}
