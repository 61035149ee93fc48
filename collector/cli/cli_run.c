/*
 * `collector run`: the daemon in the foreground (systemd runs it as is).
 * Signals only set flags; the MQTT loop acts on them between messages, so a
 * message in hand is always finished and acknowledged before exit, and a
 * reload never happens in the middle of a transaction.
 */
#include "cli.h"
#include "col_err.h"
#include "core/config.h"
#include "alerts/alerts.h"
#include "diag.h"
#include "alerts/notify.h"
#include "ingest/hj212_tcp.h"
#include "ingest/ingest.h"
#include "core/log.h"
#include "ingest/mqtt.h"
#include "scheduler.h"
#include "store/store.h"
#include "wiring.h"
#include "daemon_http.h"
#include "core/clock.h"
#include "core/snapshot.h"
#include "core/watchdog.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_flag = 1;
}

struct daemon {
    struct config *cfg;
    struct ingest *ig;
    struct hj212_tcp *hj212;
    struct sched *sched;
    struct notify *notify;
    struct alerts *alerts;
    const struct snapshot *snap; /* the profiles, registry and rules in use (held) */
    struct wire_hj212 hj212_rules;
    struct daemon_http *http;
    struct store *st;
    struct mqtt_in *mq;
    struct watchdog *wd;
    struct wd_heart *heart;      /* the ingest loop's */
    int64_t next_status_ms;      /* next STATUS= line for systemd */
    bool was_connected;          /* the broker state the last STATUS= said */
    const struct cli_common *cc; /* -c and --set, to read the file again on SIGHUP */
};

#define STATUS_EVERY_MS 10000

/* The live state for systemd's STATUS= (systemctl status), between batches. */
static void send_status(struct daemon *dm)
{
    const struct cfg_mqtt *mc = &dm->cfg->mqtt;
    struct store_stats ss;

    if (!watchdog_is_notifying(dm->wd))
        return;
    if (store_stats_read(dm->st, &ss)) {
        watchdog_status(dm->wd, "broker %s:%lld %s; database unreadable", mc->host, mc->port,
                        mqtt_in_is_connected(dm->mq) ? "connected" : "unreachable, retrying");
        return;
    }
    watchdog_status(dm->wd,
                    "broker %s:%lld %s; %lld messages received, %lld stored, %lld rejected; "
                    "%lld device-hours waiting for the rollup",
                    mc->host, mc->port,
                    mqtt_in_is_connected(dm->mq) ? "connected" : "unreachable, retrying",
                    (long long)ss.received, (long long)ss.stored_messages,
                    (long long)ss.rejected_total, (long long)ss.rollup_pending);
}

static int on_message(void *ud, const char *topic, const void *payload, size_t len)
{
    struct daemon *dm = ud;

    return ingest_add(dm->ig, topic, payload, len, wall_ms());
}

static int on_commit(void *ud)
{
    struct daemon *dm = ud;

    return ingest_commit(dm->ig);
}

static void on_rollback(void *ud)
{
    struct daemon *dm = ud;

    ingest_rollback(dm->ig);
}

static void on_note(void *ud, enum mqtt_note what)
{
    struct daemon *dm = ud;

    ingest_condition(dm->ig, what == MQTT_NOTE_QOS_DOWNGRADE ? INGEST_COND_QOS_DOWNGRADE
                                                             : INGEST_COND_SESSION_LOST);
}

/*
 * SIGHUP, alert channels: read alerts.channels from the configuration file
 * again (with the same --set overrides; every other key keeps the value it
 * had at start) and, when it changed, replace the delivery threads and
 * route every producer — this thread's rules, the scheduler's, the HJ 212
 * listener's — into the new set. On any error the channels in use stay.
 * Entries already in the outbox for a channel that no longer exists stay
 * there undelivered (the next start warns about them). False when the
 * channels could not be replaced.
 */
static bool reload_channels(struct daemon *dm)
{
    struct diag d = {log_diag_line, NULL, 0};
    struct config *cfg;
    struct notify_channels *chans = NULL, *old = NULL;
    const struct notify_channels *now;

    cfg = config_load(dm->cc->config_path, dm->cc->sets, dm->cc->n_sets, &d);
    if (cfg)
        chans = notify_channels_load(cfg->alerts.channels, cfg->dir, &d);
    config_free(cfg);
    if (!chans) {
        log_err("reload: %d error%s in the configuration; keeping the alert channels in use",
                d.n_errors, d.n_errors == 1 ? "" : "s");
        return false;
    }
    if (notify_channels_equal(notify_channels_of(dm->notify), chans)) {
        notify_channels_free(chans);
        log_info("reload: alert channels unchanged");
        return true;
    }
    old = notify_channels_hold(notify_channels_of(dm->notify));
    notify_stop(dm->notify);
    dm->notify = notify_start(dm->cfg, &chans, dm->wd);
    if (!dm->notify) {
        log_err("reload: the new alert channels cannot start; going on with the old ones");
        dm->notify = notify_start(dm->cfg, &old, dm->wd);
        if (!dm->notify)
            log_err("reload: alert delivery has stopped; alerts wait in the outbox until the "
                    "collector is restarted");
        return false;
    }
    notify_channels_free(old);
    now = notify_channels_of(dm->notify);
    alerts_set_channels(dm->alerts, now);
    sched_set_channels(dm->sched, now);
    if (dm->hj212)
        wire_hj212_set_channels(&dm->hj212_rules, now);
    log_info("reload: alert channels replaced (%zu now)", notify_channels_count(now));
    return true;
}

/*
 * SIGHUP, between batches: load profiles, registry and rules into a new
 * snapshot, in this one place, and hand it to every thread — the HJ 212
 * listener first, whose device passwords must fit the new registry — each
 * of which swaps it in between two of its transactions. Any error keeps
 * the snapshot in use everywhere. Then the alert channels.
 */
static void on_reload(void *ud)
{
    struct daemon *dm = ud;
    struct diag d = {log_diag_line, NULL, 0};
    const struct snapshot *snap = NULL;

    watchdog_reloading(dm->wd);
    log_info("reload: reading device profiles, registry and rules");
    if (snapshot_load(dm->cfg, &d, &snap) || hj212_tcp_use_snapshot(dm->hj212, snap, &d)) {
        log_err("reload: %d error%s; keeping the profiles, registry and rules in use", d.n_errors,
                d.n_errors == 1 ? "" : "s");
        snapshot_release(snap);
        daemon_http_reloaded(dm->http, false, wall_ms());
        watchdog_ready(dm->wd, "reload failed; running with the previous profiles, registry and "
                               "rules");
        return;
    }
    if (ingest_reload(dm->ig, snap))
        log_err("reload: applying the new registry failed");
    alerts_use_snapshot(dm->alerts, snap);
    sched_use_snapshot(dm->sched, snap);
    snapshot_release(dm->snap);
    dm->snap = snap;
    daemon_http_reloaded(dm->http, reload_channels(dm), wall_ms());
    log_info("reload: done (profiles, registry and rules of generation %llu)",
             (unsigned long long)snapshot_generation(snap));
    watchdog_ready(dm->wd, "reloaded");
    dm->next_status_ms = 0;
}

static void on_tick(void *ud)
{
    struct daemon *dm = ud;

    if (ingest_flush(dm->ig))
        log_warn("ingest: cannot write device bookkeeping; will retry");
    if (mono_ms() >= dm->next_status_ms || mqtt_in_is_connected(dm->mq) != dm->was_connected) {
        dm->was_connected = mqtt_in_is_connected(dm->mq);
        send_status(dm);
        dm->next_status_ms = mono_ms() + STATUS_EVERY_MS;
    }
}

/*
 * Installed first thing, before any thread exists: a SIGHUP from a reload
 * that races the start (logrotate, a deploy script) would otherwise meet
 * the default action and kill the daemon, and a SIGTERM would skip the
 * drain. What arrives during the start is acted on once the loop runs.
 */
static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Block the daemon's signals while the worker threads start, so they
 * inherit a mask without them and every signal interrupts the main
 * thread's poll (which acts on it) rather than a worker's. @old receives
 * the mask to restore once the threads run.
 */
static void block_signals(sigset_t *old)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static void log_usage(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) == 0)
        log_info("exit: cpu user %ld.%03lds sys %ld.%03lds, peak rss %ld KiB",
                 (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec / 1000,
                 (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec / 1000, ru.ru_maxrss);
}

int cli_run(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_OPTIONS,
        {0},
    };
    struct cli_common cc = {0};
    struct diag d = {log_diag_line, NULL, 0};
    struct daemon dm = {0};
    struct store *st = NULL;
    struct mqtt_in *mq = NULL;
    struct notify_channels *chans = NULL;
    const struct notify_channels *routing = NULL;
    char err[512];
    sigset_t old_mask;
    bool is_blocked = false;
    int rc = EXIT_RUNTIME, opt;

    install_signals();
    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            printf("usage: collector run -c CONFIG [--set section.key=value ...]\n\n"
                   "Runs the collector in the foreground. SIGTERM or SIGINT: finish the message\n"
                   "in hand, disconnect, exit 0. SIGHUP: reload device profiles, registry, rules\n"
                   "and alert channels.\n");
            return EXIT_OK;
        }
        if (cli_common_opt(&cc, opt, optarg))
            return EXIT_USAGE;
    }
    dm.cc = &cc;
    dm.cfg = cli_load_config(&cc, "run");
    if (!dm.cfg)
        return EXIT_USAGE;
    log_set_level((enum log_level)dm.cfg->log.level);
    log_use_syslog(dm.cfg->log.use_syslog);
    dm.wd = watchdog_new();
    if (!dm.wd)
        goto out;
    if (snapshot_load(dm.cfg, &d, &dm.snap)) {
        log_err("run: invalid device profiles, registry or rules (%d error%s)", d.n_errors,
                d.n_errors == 1 ? "" : "s");
        rc = EXIT_USAGE;
        goto out;
    }
    chans = notify_channels_load(dm.cfg->alerts.channels, dm.cfg->dir, &d);
    if (!chans) {
        log_err("run: invalid alerts.channels (%d error%s)", d.n_errors,
                d.n_errors == 1 ? "" : "s");
        rc = EXIT_USAGE;
        goto out;
    }
    st = store_open(&dm.cfg->storage, true, err, sizeof(err));
    if (!st) {
        log_err("store: %s", err);
        goto out;
    }
    dm.ig = ingest_new(dm.cfg, st, dm.snap);
    if (!dm.ig)
        goto out;
    ingest_watch_clock(dm.ig, "mqtt"); /* gateway_clock_suspect */
    {
        const struct mqtt_limits lim = {(long)dm.cfg->ingest.batch_max, dm.cfg->ingest.batch_ms,
                                        (uint32_t)dm.cfg->ingest.max_payload};
        const struct mqtt_sink sink = {on_message, on_commit, on_rollback, on_note,
                                       on_reload,  on_tick,   &dm};
        struct store_stats ss;
        mq = mqtt_in_new(&dm.cfg->mqtt, &lim, &sink);
        if (!mq)
            goto out;
        dm.st = st;
        dm.mq = mq;
        dm.heart = watchdog_heart(dm.wd, "ingest");
        mqtt_in_set_heart(mq, dm.heart);
        /* A database that has received messages had a session at the broker. */
        mqtt_in_expect_session(mq, store_stats_read(st, &ss) == 0 && ss.received > 0);
    }
    /* Rule evaluation routes through the channels; the delivery threads own them. */
    routing = chans;
    dm.alerts = alerts_new(dm.cfg, st, dm.snap, routing);
    if (!dm.alerts) {
        rc = EXIT_USAGE;
        goto out;
    }
    {
        struct ingest_rules ir;
        wire_ingest_rules(dm.alerts, &ir);
        ingest_set_rules(dm.ig, &ir);
    }
    block_signals(&old_mask);
    is_blocked = true;
    dm.notify = notify_start(dm.cfg, &chans, dm.wd);
    if (!dm.notify)
        goto out;
    dm.sched = sched_start(dm.cfg, dm.snap, routing, dm.wd);
    if (!dm.sched)
        goto out;
    if (*dm.cfg->ingest.hj212_listen) {
        wire_hj212_rules(&dm.hj212_rules, dm.cfg, routing);
        dm.hj212 = hj212_tcp_start(dm.cfg, dm.cfg->ingest.hj212_listen, dm.snap,
                                   &dm.hj212_rules.src, dm.wd);
        if (!dm.hj212)
            goto out;
    }
    {
        int is_error;
        dm.http = daemon_http_start(dm.cfg, mq, &is_error);
        if (is_error)
            goto out;
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    is_blocked = false;
    log_info("run: collector %s started (database %s, broker %s:%lld)", dm.cfg->gateway.id,
             dm.cfg->storage.path, dm.cfg->mqtt.host, dm.cfg->mqtt.port);
    /* The database is open and every thread runs; the broker session is
     * made (and retried) by the loop that starts now. */
    if (watchdog_start(dm.wd))
        goto out;
    {
        char status[300];
        snprintf(status, sizeof(status), "started; connecting to broker %s:%lld", dm.cfg->mqtt.host,
                 dm.cfg->mqtt.port);
        watchdog_ready(dm.wd, status);
    }
    dm.next_status_ms = mono_ms() + 1000;
    if (mqtt_in_run(mq, &stop_flag, &reload_flag) == 0)
        rc = EXIT_OK;
    watchdog_stopping(dm.wd);
    if (ingest_flush(dm.ig))
        log_warn("ingest: device bookkeeping not written at exit");
    log_info("run: stopped");
    log_usage();
out:
    if (is_blocked)
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    daemon_http_stop(dm.http);
    /* Producers of alerts stop before the delivery threads that own the routing. */
    hj212_tcp_stop(dm.hj212);
    wire_hj212_clear(&dm.hj212_rules);
    sched_stop(dm.sched);
    ingest_set_rules(dm.ig, NULL);
    alerts_free(dm.alerts);
    notify_stop(dm.notify);
    mqtt_in_free(mq);
    ingest_free(dm.ig);
    store_close(st);
    snapshot_release(dm.snap);
    notify_channels_free(chans);
    /* Last: the threads above had hearts of it. After STOPPING=1 systemd
     * bounds the shutdown with TimeoutStopSec=, not with the watchdog. */
    watchdog_free(dm.wd);
    config_free(dm.cfg);
    return rc;
}
