/*
 * countsub: the benchmark's count-only baseline subscriber. It subscribes,
 * counts N messages and reports how fast they arrived and what receiving
 * them cost this process, so a collector run can be compared with the
 * floor set by the broker and libmosquitto alone. It drives the loop itself
 * with mosquitto_loop(mosq, 1000, 1), as the collector does, and does no
 * work per message beyond counting. Optional --ready-file is written once
 * the SUBACK arrives, so a script can start publishing without a race.
 */
#include <errno.h>
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
enum { OPT_READY_FILE = 1000, OPT_IDLE_TIMEOUT, OPT_HELP };

#define CONNECT_WAIT_S 10.0

struct countsub_opts {
    const char *host;
    int port;
    const char *topic;
    long n;
    int qos;
    const char *client_id; /* NULL: countsub-<pid> */
    const char *ready_file;
    double idle_timeout; /* seconds without a message before giving up; 0 = never */
};

struct countsub {
    struct countsub_opts opt;
    struct mosquitto *mosq;
    bool is_subscribed;
    bool is_failed; /* connection or subscription refused */
    long n_received;
    double t_first, t_last, t_activity;
};

static volatile sig_atomic_t stop_flag;

static const char usage[] =
    "usage: countsub -h HOST -p PORT -t TOPIC -n N [-q 1] [-i CLIENT_ID] [--ready-file PATH]\n"
    "                [--idle-timeout SEC]\n"
    "\n"
    "Subscribe (clean session) to TOPIC at QoS q (default 1), count N messages and\n"
    "print one JSON line:\n"
    "  {\"messages\":N,\"elapsed_s\":E,\"rate\":R,\"cpu_us_per_msg\":C,\"max_rss_kb\":K}\n"
    "elapsed_s runs from the first message to the Nth; rate = (N-1)/elapsed_s;\n"
    "cpu_us_per_msg is user+system CPU of the whole run divided by N.\n"
    "\n"
    "  --ready-file PATH   write PATH once the subscription is acknowledged\n"
    "  --idle-timeout SEC  give up (exit 1) after SEC seconds without a message\n"
    "Exit: 0 after N messages, 1 runtime error or interrupted, 2 bad usage.\n";

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int parse_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "countsub: %s: '%s' is not an integer in [%ld, %ld]\n", opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_option(struct countsub_opts *o, int opt, const char *arg)
{
    long v;

    switch (opt) {
    case 'h':
        o->host = arg;
        return 0;
    case 'p':
        if (parse_long("-p", arg, 1, 65535, &v))
            return -1;
        o->port = (int)v;
        return 0;
    case 't':
        o->topic = arg;
        return 0;
    case 'n':
        return parse_long("-n", arg, 1, 2000000000L, &o->n);
    case 'q':
        if (parse_long("-q", arg, 0, 2, &v))
            return -1;
        o->qos = (int)v;
        return 0;
    case 'i':
        o->client_id = arg;
        return 0;
    case OPT_READY_FILE:
        o->ready_file = arg;
        return 0;
    case OPT_IDLE_TIMEOUT:
        if (parse_long("--idle-timeout", arg, 0, 86400, &v))
            return -1;
        o->idle_timeout = (double)v;
        return 0;
    default:
        return -1;
    }
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct countsub_opts *o)
{
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'h'},
        {"port", required_argument, NULL, 'p'},
        {"topic", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {"qos", required_argument, NULL, 'q'},
        {"id", required_argument, NULL, 'i'},
        {"ready-file", required_argument, NULL, OPT_READY_FILE},
        {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int opt;

    o->host = "127.0.0.1";
    o->port = 1883;
    o->qos = 1;
    for (;;) {
        opt = getopt_long(argc, argv, "h:p:t:n:q:i:", longopts, NULL);
        if (opt == -1)
            break;
        if (opt == OPT_HELP) {
            fputs(usage, stdout);
            return 0;
        }
        if (parse_option(o, opt, optarg))
            goto bad;
    }
    if (optind < argc || !o->topic || o->n == 0) {
        fprintf(stderr, "countsub: -t TOPIC and -n N are required\n");
        goto bad;
    }
    return -1;
bad:
    fputs(usage, stderr);
    return EXIT_USAGE;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    struct countsub *cs = obj;
    int sub_rc;

    if (rc != 0) {
        fprintf(stderr, "countsub: broker refused the connection: %s\n",
                mosquitto_connack_string(rc));
        cs->is_failed = true;
        return;
    }
    sub_rc = mosquitto_subscribe(mosq, NULL, cs->opt.topic, cs->opt.qos);
    if (sub_rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "countsub: subscribe failed: %s\n", mosquitto_strerror(sub_rc));
        cs->is_failed = true;
    }
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos)
{
    struct countsub *cs = obj;

    (void)mosq;
    (void)mid;
    if (qos_count < 1 || granted_qos[0] > 2) {
        fprintf(stderr, "countsub: the broker refused the subscription to %s\n", cs->opt.topic);
        cs->is_failed = true;
        return;
    }
    cs->is_subscribed = true;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    struct countsub *cs = obj;

    (void)mosq;
    (void)msg;
    if (cs->n_received >= cs->opt.n)
        return;
    cs->n_received++;
    /* Read the clock only where it is needed: per-message work is what we measure. */
    if (cs->n_received == 1)
        cs->t_first = now_s();
    if (cs->n_received == cs->opt.n)
        cs->t_last = now_s();
}

static int write_ready_file(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        fprintf(stderr, "countsub: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs("ready\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "countsub: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int setup_client(struct countsub *cs)
{
    char id[64];
    const char *client_id = cs->opt.client_id;
    int rc;

    if (!client_id) {
        snprintf(id, sizeof(id), "countsub-%ld", (long)getpid());
        client_id = id;
    }
    cs->mosq = mosquitto_new(client_id, true, cs);
    if (!cs->mosq) {
        fprintf(stderr, "countsub: cannot create the MQTT client\n");
        return -1;
    }
    mosquitto_connect_callback_set(cs->mosq, on_connect);
    mosquitto_subscribe_callback_set(cs->mosq, on_subscribe);
    mosquitto_message_callback_set(cs->mosq, on_message);
    rc = mosquitto_connect(cs->mosq, cs->opt.host, cs->opt.port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "countsub: cannot connect to %s:%d: %s\n", cs->opt.host, cs->opt.port,
                rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        return -1;
    }
    return 0;
}

/* Run until N messages arrived. Returns 0, or -1 on failure, timeout or signal. */
static int run_loop(struct countsub *cs)
{
    bool is_ready_written = false;
    double t_start = now_s();
    long n_seen = 0;
    int rc;

    cs->t_activity = t_start;
    while (cs->n_received < cs->opt.n) {
        if (stop_flag || cs->is_failed)
            return -1;
        rc = mosquitto_loop(cs->mosq, 1000, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "countsub: connection lost: %s\n", mosquitto_strerror(rc));
            return -1;
        }
        if (cs->is_subscribed && !is_ready_written && cs->opt.ready_file) {
            if (write_ready_file(cs->opt.ready_file))
                return -1;
            is_ready_written = true;
        }
        if (!cs->is_subscribed && now_s() - t_start > CONNECT_WAIT_S) {
            fprintf(stderr, "countsub: no CONNACK/SUBACK within %.0f s\n", CONNECT_WAIT_S);
            return -1;
        }
        if (cs->n_received != n_seen) {
            n_seen = cs->n_received;
            cs->t_activity = now_s();
        } else if (cs->opt.idle_timeout > 0 && now_s() - cs->t_activity > cs->opt.idle_timeout) {
            fprintf(stderr, "countsub: no message for %.0f s\n", cs->opt.idle_timeout);
            return -1;
        }
    }
    return 0;
}

static void print_result(const struct countsub *cs, bool is_complete)
{
    struct rusage ru;
    long n = cs->n_received;
    double elapsed = is_complete && n > 1 ? cs->t_last - cs->t_first : 0.0;
    double cpu_us = 0.0;

    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
                 (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
    } else {
        memset(&ru, 0, sizeof(ru));
    }
    /* N messages span N-1 gaps between the first arrival and the last. */
    printf("{\"messages\":%ld,\"elapsed_s\":%.3f,\"rate\":%.1f,\"cpu_us_per_msg\":%.2f,"
           "\"max_rss_kb\":%ld}\n",
           n, elapsed, elapsed > 0 ? (double)(n - 1) / elapsed : 0.0,
           n > 0 ? cpu_us / (double)n : 0.0, ru.ru_maxrss);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct countsub cs;
    int rc, exit_code = EXIT_RUNTIME;

    memset(&cs, 0, sizeof(cs));
    rc = parse_args(argc, argv, &cs.opt);
    if (rc >= 0)
        return rc;
    install_signals();
    mosquitto_lib_init();
    if (setup_client(&cs))
        goto out;
    rc = run_loop(&cs);
    mosquitto_disconnect(cs.mosq);
    print_result(&cs, rc == 0);
    if (rc == 0)
        exit_code = 0;
out:
    if (cs.mosq)
        mosquitto_destroy(cs.mosq);
    mosquitto_lib_cleanup();
    return exit_code;
}
