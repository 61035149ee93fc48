/*
 * devsim replay: publish one station of the Beijing multi-site air-quality
 * CSV (shared/data/README.md) as the flat JSON an air station would send,
 * one message per hourly row. Columns are found by their header names; a
 * row's local date and hour (Asia/Shanghai, UTC+8) become the epoch second
 * at the start of that hour. Values are copied verbatim from the CSV when
 * they are valid JSON numbers, so a replay loses no digit; CO stays in
 * µg/m³ under "co_ugm3" for the device profile to convert. The file is read
 * line by line into one fixed buffer: no allocation per row.
 */
#include "sim_int.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPLAY_LINE_MAX 2048
#define REPLAY_MAX_FIELDS 64
#define REPLAY_DEVICE_MAX (SIM_LEVEL_MAX + 1)

enum {
    OPT_CSV = SIM_OPT_FIRST_OWN,
    OPT_SITE,
    OPT_DEVICE,
    OPT_SPEED,
    OPT_MAX_RATE,
    OPT_LIMIT,
    OPT_FROM,
    OPT_TO
};

/* CSV column -> JSON key; the order is the order of keys in the payload. */
static const struct replay_value_col {
    const char *header;
    const char *key;
} value_cols[] = {
    {"PM2.5", "pm25"}, {"PM10", "pm10"}, {"SO2", "so2"},   {"NO2", "no2"},
    {"CO", "co_ugm3"}, {"O3", "o3"},     {"TEMP", "temp"}, {"PRES", "pres"},
    {"DEWP", "dewp"},  {"RAIN", "rain"}, {"WSPM", "wspm"},
};
#define N_VALUE_COLS (sizeof(value_cols) / sizeof(value_cols[0]))

struct replay_opts {
    struct sim_conn conn;
    const char *csv;
    const char *site;
    const char *device; /* NULL: "replay-" + the station's name */
    double speed;       /* simulated hours per real hour; 0 = as fast as acks allow */
    long limit;         /* stop after this many messages; 0 = no limit */
    int64_t from_day;   /* local dates, days since 1970-01-01; to is exclusive */
    int64_t to_day;
};

/* Index of each needed column in a row, -1 when the header lacks it. */
struct replay_cols {
    int year, month, day, hour, station;
    int value[N_VALUE_COLS];
    int n_fields;
};

struct replay {
    struct replay_opts opt;
    struct replay_cols col;
    struct sim_pub *pub;
    char device[REPLAY_DEVICE_MAX];
    char topic[SIM_TOPIC_MAX];
    long n_rows;    /* data rows inside the date range */
    long n_sent;    /* handed to the publisher */
    long n_skipped; /* rows without a usable time or any numeric value */
    bool has_first;
    int64_t ts_first; /* ts of the first message, for pacing */
    double t_first;   /* sim_now() when it was sent */
    char *fields[REPLAY_MAX_FIELDS];
    char line[REPLAY_LINE_MAX];
};

static const char replay_usage[] =
    "usage: devsim replay -h HOST -p PORT --csv FILE --site NAME [--device ID] [--prefix xh]\n"
    "                     [--speed X | --max-rate] [--qos 0|1|2] [--limit N]\n"
    "                     [--from YYYY-MM-DD] [--to YYYY-MM-DD] [-i CLIENT_ID]\n"
    "\n"
    "Publish one station of the Beijing multi-site air-quality CSV, one message per\n"
    "row, on <prefix>/air/<site>/<device> as flat JSON (CO raw, as co_ugm3).\n"
    "\n"
    "  -h, --host HOST     broker host (default 127.0.0.1)\n"
    "  -p, --port PORT     broker port (default 1883)\n"
    "  -i, --id ID         MQTT client id (default devsim-replay-<pid>-<n>)\n"
    "      --csv FILE      the station's CSV file\n"
    "      --site NAME     topic site level\n"
    "      --device ID     topic device level (default replay-<station, lowercased>)\n"
    "      --prefix P      topic prefix (default xh)\n"
    "      --speed X       simulated time runs X times faster than real time\n"
    "      --max-rate      publish as fast as acknowledgements allow (default)\n"
    "      --qos N         0, 1 or 2 (default 1)\n"
    "      --limit N       stop after N messages\n"
    "      --from DATE     first local date to replay\n"
    "      --to DATE       local date to stop before (exclusive)\n"
    "      --help          this text\n"
    "\n"
    "Prints: replay: site=S device=D rows=N published=P skipped=K elapsed_s=E rate=R\n"
    "Exit: 0 ok (also after SIGINT/SIGTERM), 1 runtime error, 2 bad usage.\n";

static int replay_usage_error(void)
{
    fputs(replay_usage, stderr);
    return SIM_EXIT_USAGE;
}

static int replay_option(struct replay_opts *o, int opt, const char *arg)
{
    switch (opt) {
    case OPT_CSV:
        o->csv = arg;
        return 0;
    case OPT_SITE:
        o->site = arg;
        return 0;
    case OPT_DEVICE:
        o->device = arg;
        return 0;
    case OPT_SPEED:
        return sim_opt_double("--speed", arg, 1e-6, 1e9, &o->speed);
    case OPT_MAX_RATE:
        o->speed = -1; /* remembered so that --speed and --max-rate conflict */
        return 0;
    case OPT_LIMIT:
        return sim_opt_long("--limit", arg, 1, 1000000000L, &o->limit);
    case OPT_FROM:
        return sim_opt_date("--from", arg, &o->from_day);
    case OPT_TO:
        return sim_opt_date("--to", arg, &o->to_day);
    default:
        return COL_ERR_INVAL;
    }
}

static bool replay_opts_valid(const struct replay_opts *o, bool is_speed_set, bool is_max_set)
{
    if (!o->csv || !o->site) {
        fprintf(stderr, "devsim replay: --csv and --site are required\n");
        return false;
    }
    if (is_speed_set && is_max_set) {
        fprintf(stderr, "devsim replay: --speed and --max-rate exclude each other\n");
        return false;
    }
    if (!sim_topic_level_ok(o->site) || (o->device && !sim_topic_level_ok(o->device))) {
        fprintf(stderr, "devsim replay: --site and --device must be single topic levels\n");
        return false;
    }
    if (o->from_day >= o->to_day) {
        fprintf(stderr, "devsim replay: --from must be before --to\n");
        return false;
    }
    return sim_conn_valid(&o->conn);
}

/* Parse the command line into @o. Returns -1 to go on, else an exit code. */
static int replay_parse(int argc, char **argv, struct replay_opts *o)
{
    static const struct option longopts[] = {
        SIM_CONN_LONGOPTS,
        {"csv", required_argument, NULL, OPT_CSV},
        {"site", required_argument, NULL, OPT_SITE},
        {"device", required_argument, NULL, OPT_DEVICE},
        {"speed", required_argument, NULL, OPT_SPEED},
        {"max-rate", no_argument, NULL, OPT_MAX_RATE},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {NULL, 0, NULL, 0},
    };
    bool is_speed_set = false, is_max_set = false;
    int opt, rc;

    memset(o, 0, sizeof(*o));
    sim_conn_defaults(&o->conn, 1);
    o->from_day = INT64_MIN;
    o->to_day = INT64_MAX;
    for (;;) {
        opt = getopt_long(argc, argv, "h:p:i:", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == SIM_OPT_HELP) {
            fputs(replay_usage, stdout);
            return SIM_EXIT_OK;
        }
        rc = sim_conn_option(&o->conn, opt, optarg);
        if (rc == 0)
            rc = replay_option(o, opt, optarg);
        if (rc < 0)
            return replay_usage_error();
        is_speed_set |= opt == OPT_SPEED;
        is_max_set |= opt == OPT_MAX_RATE;
    }
    if (optind < argc) {
        fprintf(stderr, "devsim replay: unexpected argument '%s'\n", argv[optind]);
        return replay_usage_error();
    }
    if (is_max_set)
        o->speed = 0;
    if (!replay_opts_valid(o, is_speed_set, is_max_set))
        return replay_usage_error();
    return -1;
}

/*
 * Split @line in place into at most @max fields. Quoted fields lose their
 * quotes ("" inside becomes "); the line's CR/LF must already be gone.
 * Returns the number of fields.
 */
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

/* Read one line into rp->line without its line ending. 1 = line, 0 = EOF, <0 = too long. */
static int read_line(struct replay *rp, FILE *f)
{
    size_t len;
    int c;

    if (!fgets(rp->line, sizeof(rp->line), f))
        return 0;
    len = strlen(rp->line);
    if (len == sizeof(rp->line) - 1 && rp->line[len - 1] != '\n') {
        do
            c = fgetc(f);
        while (c != EOF && c != '\n');
        return COL_ERR_RANGE;
    }
    while (len > 0 && (rp->line[len - 1] == '\n' || rp->line[len - 1] == '\r'))
        rp->line[--len] = '\0';
    return 1;
}

static int replay_read_header(struct replay *rp, FILE *f)
{
    struct replay_cols *c = &rp->col;
    int n;
    size_t i;

    if (read_line(rp, f) != 1) {
        fprintf(stderr, "devsim replay: %s: no header line\n", rp->opt.csv);
        return COL_ERR_INVAL;
    }
    n = csv_split(rp->line, rp->fields, REPLAY_MAX_FIELDS);
    c->n_fields = n;
    c->year = find_col(rp->fields, n, "year");
    c->month = find_col(rp->fields, n, "month");
    c->day = find_col(rp->fields, n, "day");
    c->hour = find_col(rp->fields, n, "hour");
    c->station = find_col(rp->fields, n, "station");
    for (i = 0; i < N_VALUE_COLS; i++)
        c->value[i] = find_col(rp->fields, n, value_cols[i].header);
    if (c->year < 0 || c->month < 0 || c->day < 0 || c->hour < 0) {
        fprintf(stderr, "devsim replay: %s: header lacks year, month, day or hour\n", rp->opt.csv);
        return COL_ERR_INVAL;
    }
    return 0;
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

/* The row's local day (days since 1970) and epoch ts; false when they are unusable. */
static bool row_time(struct replay *rp, int n, int64_t *day, int64_t *ts)
{
    const struct replay_cols *c = &rp->col;
    long y, m, d, h;

    if (!field_long(rp->fields, n, c->year, &y) || !field_long(rp->fields, n, c->month, &m) ||
        !field_long(rp->fields, n, c->day, &d) || !field_long(rp->fields, n, c->hour, &h))
        return false;
    if (!sim_date_valid(y, m, d) || h < 0 || h > 23)
        return false;
    *day = sim_days_from_civil(y, m, d);
    *ts = *day * 86400 + (int64_t)h * 3600 - SIM_UTC_OFFSET_S;
    return true;
}

static bool is_missing(const char *s)
{
    return *s == '\0' || strcasecmp(s, "NA") == 0 || strcasecmp(s, "NaN") == 0 ||
           strcasecmp(s, "null") == 0;
}

/*
 * Append ,"key":value to @buf at @*len. The CSV text is kept when it is a
 * JSON number; another finite number is printed shortest-exact. Returns 1
 * when a value was written, 0 when the cell is missing or not a number,
 * COL_ERR_RANGE when @buf is full.
 */
static int append_value(char *buf, size_t size, size_t *len, const char *key, const char *text)
{
    char num[40];
    char *end = NULL;
    double v;
    int w;

    if (is_missing(text))
        return 0;
    if (!sim_json_number_ok(text)) {
        v = strtod(text, &end);
        if (end == text || *end != '\0' || !isfinite(v))
            return 0;
        snprintf(num, sizeof(num), "%.15g", v);
        if (strtod(num, NULL) != v)
            snprintf(num, sizeof(num), "%.17g", v);
        text = num;
    }
    w = snprintf(buf + *len, size - *len, ",\"%s\":%s", key, text);
    if (w < 0 || (size_t)w >= size - *len)
        return COL_ERR_RANGE;
    *len += (size_t)w;
    return 1;
}

/* Build the payload of the current row. Returns its length, 0 when it has no value. */
static int row_payload(struct replay *rp, int n, int64_t ts, char *buf, size_t size)
{
    size_t len, i;
    int n_values = 0, rc, col;

    rc = snprintf(buf, size, "{\"ts\":%lld", (long long)ts);
    if (rc < 0 || (size_t)rc >= size)
        return COL_ERR_RANGE;
    len = (size_t)rc;
    for (i = 0; i < N_VALUE_COLS; i++) {
        col = rp->col.value[i];
        if (col < 0 || col >= n)
            continue;
        rc = append_value(buf, size, &len, value_cols[i].key, trim(rp->fields[col]));
        if (rc < 0)
            return rc;
        n_values += rc;
    }
    if (n_values == 0)
        return 0;
    if (len + 2 > size)
        return COL_ERR_RANGE;
    buf[len++] = '}';
    buf[len] = '\0';
    return (int)len;
}

/* Device id from the first data row's station: "replay-" + lowercase, topic-safe. */
static void replay_name_device(struct replay *rp, int n)
{
    const char *station = "unknown";
    size_t len, i;

    if (rp->opt.device) {
        snprintf(rp->device, sizeof(rp->device), "%s", rp->opt.device);
    } else {
        if (rp->col.station >= 0 && rp->col.station < n && *trim(rp->fields[rp->col.station]))
            station = trim(rp->fields[rp->col.station]);
        snprintf(rp->device, sizeof(rp->device), "replay-%s", station);
        len = strlen(rp->device);
        for (i = 0; i < len; i++) {
            unsigned char ch = (unsigned char)rp->device[i];

            rp->device[i] = isalnum(ch) || ch == '-' || ch == '_' ? (char)tolower(ch) : '-';
        }
    }
    snprintf(rp->topic, sizeof(rp->topic), "%s/air/%s/%s", rp->opt.conn.prefix, rp->opt.site,
             rp->device);
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
    return sim_pub_wait_until(rp->pub, rp->t_first + (double)(ts - rp->ts_first) / rp->opt.speed);
}

/* Handle one data line. Returns 0 to go on, 1 at --limit, or a negative COL_ERR_*. */
static int replay_row(struct replay *rp)
{
    char payload[SIM_PAYLOAD_MAX];
    int64_t day, ts;
    int n, len, rc;

    n = csv_split(rp->line, rp->fields, REPLAY_MAX_FIELDS);
    if (!row_time(rp, n, &day, &ts)) {
        rp->n_rows++;
        rp->n_skipped++;
        return 0;
    }
    if (day < rp->opt.from_day || day >= rp->opt.to_day)
        return 0;
    rp->n_rows++;
    if (rp->device[0] == '\0')
        replay_name_device(rp, n);
    len = row_payload(rp, n, ts, payload, sizeof(payload));
    if (len <= 0) {
        rp->n_skipped++;
        return 0;
    }
    rc = replay_pace(rp, ts);
    if (rc == 0)
        rc = sim_pub_send(rp->pub, rp->topic, payload, (size_t)len, 0);
    if (rc == COL_ERR_BUSY)
        rp->n_rows--; /* stopped before this row went out */
    if (rc)
        return rc;
    rp->n_sent++;
    return rp->opt.limit > 0 && rp->n_sent >= rp->opt.limit ? 1 : 0;
}

static int replay_file(struct replay *rp, FILE *f)
{
    int rc;

    for (;;) {
        rc = read_line(rp, f);
        if (rc == 0)
            break;
        if (rc < 0) {
            rp->n_rows++;
            rp->n_skipped++;
            continue;
        }
        if (rp->line[0] == '\0')
            continue;
        rc = replay_row(rp);
        if (rc)
            return rc > 0 ? 0 : rc;
    }
    if (ferror(f)) {
        fprintf(stderr, "devsim replay: %s: read error\n", rp->opt.csv);
        return COL_ERR_IO;
    }
    return 0;
}

static void replay_summary(const struct replay *rp, double elapsed)
{
    long published = rp->pub ? sim_pub_acked(rp->pub, -1) : 0;

    printf("replay: site=%s device=%s rows=%ld published=%ld skipped=%ld", rp->opt.site,
           rp->device[0] ? rp->device : (rp->opt.device ? rp->opt.device : "-"), rp->n_rows,
           published, rp->n_skipped);
    sim_print_rate(elapsed, published);
}

int sim_replay_main(int argc, char **argv)
{
    struct replay *rp = NULL;
    FILE *f = NULL;
    double t0;
    int rc, exit_code = SIM_EXIT_RUNTIME;

    rp = calloc(1, sizeof(*rp));
    if (!rp) {
        fprintf(stderr, "devsim replay: out of memory\n");
        goto out;
    }
    rc = replay_parse(argc, argv, &rp->opt);
    if (rc >= 0) {
        exit_code = rc;
        goto out;
    }
    f = fopen(rp->opt.csv, "r");
    if (!f) {
        fprintf(stderr, "devsim replay: cannot open %s: %s\n", rp->opt.csv, strerror(errno));
        goto out;
    }
    if (replay_read_header(rp, f))
        goto out;
    sim_signals_install();
    rp->pub = sim_pub_open(&rp->opt.conn, "replay");
    if (!rp->pub)
        goto out;
    t0 = sim_now();
    rc = replay_file(rp, f);
    /* After SIGINT/SIGTERM the run ends normally, acknowledged or not. */
    if (sim_pub_finish(rp->pub) == 0 || sim_stop_requested())
        exit_code = rc == 0 || rc == COL_ERR_BUSY ? SIM_EXIT_OK : SIM_EXIT_RUNTIME;
    replay_summary(rp, sim_now() - t0);
out:
    if (rp)
        sim_pub_close(rp->pub);
    if (f)
        fclose(f);
    free(rp);
    return exit_code;
}
