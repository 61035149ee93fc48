/*
 * The progress watchdog (collector/core/watchdog.h): which hearts count as
 * fresh at a given time, and — against a real AF_UNIX datagram socket
 * standing in for systemd's NOTIFY_SOCKET — that READY=1 and STATUS= are
 * sent, that WATCHDOG=1 pings arrive while every heart beats, stop when one
 * goes silent and resume when it beats again. Nothing is sent without
 * NOTIFY_SOCKET. Time-based checks wait for conditions with deadlines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/watchdog.h"
#include "xalloc.h"

static void clear_env(void)
{
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

static void test_without_systemd_nothing_happens(void **state)
{
    struct watchdog *wd;

    clear_env();
    wd = watchdog_new();
    assert_non_null(wd);
    assert_false(watchdog_is_notifying(wd));
    assert_int_equal(watchdog_interval_ms(wd), 0);
    assert_int_equal(watchdog_start(wd), 0); /* no interval: no thread */
    watchdog_ready(wd, "up");
    watchdog_status(wd, "%d messages", 3);
    watchdog_stopping(wd);
    watchdog_free(wd);
}

static void test_null_is_harmless(void **state)
{
    char stale[16] = "";

    assert_null(watchdog_heart(NULL, "ingest"));
    wd_beat(NULL);
    wd_beat_at(NULL, 5);
    assert_true(watchdog_all_fresh(NULL, 1000, 10, stale, sizeof(stale), NULL));
    assert_false(watchdog_is_notifying(NULL));
    assert_int_equal(watchdog_interval_ms(NULL), 0);
    watchdog_heart_free(NULL, NULL);
    watchdog_ready(NULL, NULL);
    watchdog_free(NULL);
}

static void test_fresh_until_a_heart_is_silent_too_long(void **state)
{
    struct watchdog *wd = watchdog_new();
    struct wd_heart *ingest = watchdog_heart(wd, "ingest");
    struct wd_heart *sched = watchdog_heart(wd, "scheduler");
    char stale[32] = "";
    int64_t silent = -1;

    assert_non_null(ingest);
    assert_non_null(sched);
    wd_beat_at(ingest, 1000);
    wd_beat_at(sched, 1000);
    assert_true(watchdog_all_fresh(wd, 1500, 500, stale, sizeof(stale), &silent));
    assert_int_equal(silent, 0);
    /* the limit itself still counts as fresh; one millisecond more does not */
    assert_false(watchdog_all_fresh(wd, 1501, 500, stale, sizeof(stale), &silent));
    assert_int_equal(silent, 501);

    /* the ingest loop moves on; the scheduler stays behind and is named */
    wd_beat_at(ingest, 1900);
    assert_false(watchdog_all_fresh(wd, 2000, 500, stale, sizeof(stale), &silent));
    assert_string_equal(stale, "scheduler");
    assert_int_equal(silent, 1000);

    wd_beat_at(sched, 1990);
    assert_true(watchdog_all_fresh(wd, 2000, 500, stale, sizeof(stale), NULL));
    watchdog_free(wd); /* frees the hearts still registered */
}

static void test_the_longest_silent_is_named(void **state)
{
    struct watchdog *wd = watchdog_new();
    struct wd_heart *a = watchdog_heart(wd, "notify:ops");
    struct wd_heart *b = watchdog_heart(wd, "hj212");
    struct wd_heart *c = watchdog_heart(wd, "ingest");
    char stale[32] = "";
    int64_t silent = 0;

    wd_beat_at(a, 300);
    wd_beat_at(b, 100);
    wd_beat_at(c, 900);
    assert_false(watchdog_all_fresh(wd, 1000, 50, stale, sizeof(stale), &silent));
    assert_string_equal(stale, "hj212");
    assert_int_equal(silent, 900);
    watchdog_free(wd);
}

static void test_a_removed_heart_no_longer_counts(void **state)
{
    struct watchdog *wd = watchdog_new();
    struct wd_heart *gone = watchdog_heart(wd, "notify:old-channel");
    struct wd_heart *alive = watchdog_heart(wd, "ingest");

    wd_beat_at(gone, 0);
    wd_beat_at(alive, 10000);
    assert_false(watchdog_all_fresh(wd, 10000, 1000, NULL, 0, NULL));
    watchdog_heart_free(wd, gone);
    assert_true(watchdog_all_fresh(wd, 10000, 1000, NULL, 0, NULL));
    watchdog_heart_free(wd, alive);
    assert_true(watchdog_all_fresh(wd, 10000, 1000, NULL, 0, NULL)); /* no heart: fresh */
    watchdog_free(wd);
}

static void test_allocation_failures(void **state)
{
    for (long n = 1; n < 10; n++) {
        struct watchdog *wd;
        struct wd_heart *h = NULL;
        xalloc_fail_at(n);
        wd = watchdog_new();
        if (wd)
            h = watchdog_heart(wd, "ingest");
        xalloc_fail_at(0);
        wd_beat(h);
        watchdog_free(wd);
        if (!wd)
            assert_int_equal(n, 1);
        if (wd && h)
            break; /* every allocation succeeded */
    }
    xalloc_fail_at(0);
}

/* ---- against a socket standing in for systemd ---- */

struct listener {
    char dir[40];
    char path[64];
    int fd;
};

static void listen_notify(struct listener *l)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    snprintf(l->dir, sizeof(l->dir), "/tmp/test_watchdog.XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    snprintf(l->path, sizeof(l->path), "%s/notify", l->dir);
    l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(l->fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
    assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setenv("NOTIFY_SOCKET", l->path, 1);
}

static void close_notify(struct listener *l)
{
    close(l->fd);
    unlink(l->path);
    rmdir(l->dir);
    clear_env();
}

/* The next datagram within @timeout_ms into @buf; false on timeout. */
static bool next_message(struct listener *l, char *buf, size_t sz, int64_t timeout_ms)
{
    struct timeval tv = {(time_t)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000};
    ssize_t n;

    setsockopt(l->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    n = recv(l->fd, buf, sz - 1, 0);
    if (n < 0) {
        assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
        return false;
    }
    buf[n] = '\0';
    return true;
}

/* Wait (up to @deadline_ms) until @want WATCHDOG=1 pings arrived. */
static int wait_pings(struct listener *l, int want, int64_t deadline_ms)
{
    int64_t until = mono_ms() + deadline_ms;
    int got = 0;
    char buf[512];

    while (got < want && mono_ms() < until) {
        if (next_message(l, buf, sizeof(buf), 200) && strcmp(buf, "WATCHDOG=1") == 0)
            got++;
    }
    return got;
}

/* Wait (up to @deadline_ms) for a silence of @quiet_ms: the pings have stopped. */
static bool wait_silence(struct listener *l, int64_t quiet_ms, int64_t deadline_ms)
{
    int64_t until = mono_ms() + deadline_ms;
    char buf[512];

    while (mono_ms() < until) {
        if (!next_message(l, buf, sizeof(buf), quiet_ms))
            return true;
    }
    return false;
}

struct beater {
    struct wd_heart *h;
    atomic_int is_beating;
    atomic_int stop;
};

static void *beat_loop(void *arg)
{
    struct beater *b = arg;

    while (!atomic_load(&b->stop)) {
        if (atomic_load(&b->is_beating))
            wd_beat(b->h);
        usleep(10000);
    }
    return NULL;
}

static void test_pings_only_while_every_heart_beats(void **state)
{
    struct listener l;
    struct watchdog *wd;
    struct beater b = {0};
    pthread_t t;
    char buf[512];

    clear_env();
    listen_notify(&l);
    setenv("WATCHDOG_USEC", "200000", 1);
    wd = watchdog_new();
    assert_true(watchdog_is_notifying(wd));
    assert_int_equal(watchdog_interval_ms(wd), 200);

    watchdog_ready(wd, "started; connecting to broker");
    assert_true(next_message(&l, buf, sizeof(buf), 5000));
    assert_string_equal(buf, "READY=1\nSTATUS=started; connecting to broker");
    watchdog_status(wd, "broker %s; %d received", "connected", 7);
    assert_true(next_message(&l, buf, sizeof(buf), 5000));
    assert_string_equal(buf, "STATUS=broker connected; 7 received");

    b.h = watchdog_heart(wd, "ingest");
    atomic_store(&b.is_beating, 1);
    assert_int_equal(pthread_create(&t, NULL, beat_loop, &b), 0);
    assert_int_equal(watchdog_start(wd), 0);
    assert_int_equal(wait_pings(&l, 3, 10000), 3);

    /* the thread stalls: the pings stop (the stall is also said in STATUS=) */
    atomic_store(&b.is_beating, 0);
    assert_true(wait_silence(&l, 1000, 15000));

    /* it moves again: the pings come back */
    atomic_store(&b.is_beating, 1);
    assert_true(wait_pings(&l, 2, 10000) == 2);

    atomic_store(&b.stop, 1);
    pthread_join(t, NULL);
    watchdog_free(wd);
    close_notify(&l);
}

/* The stall is reported to systemd by name. */
static void test_a_stall_is_named_in_status(void **state)
{
    struct listener l;
    struct watchdog *wd;
    int64_t until;
    char buf[512];
    bool is_named = false;

    clear_env();
    listen_notify(&l);
    setenv("WATCHDOG_USEC", "100000", 1);
    wd = watchdog_new();
    wd_beat_at(watchdog_heart(wd, "scheduler"), mono_ms() - 60000); /* long silent */
    assert_int_equal(watchdog_start(wd), 0);
    until = mono_ms() + 10000;
    while (!is_named && mono_ms() < until) {
        if (next_message(&l, buf, sizeof(buf), 500)) {
            assert_string_not_equal(buf, "WATCHDOG=1");
            is_named = strstr(buf, "STATUS=stalled: thread 'scheduler'") == buf;
        }
    }
    assert_true(is_named);
    watchdog_free(wd);
    close_notify(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_without_systemd_nothing_happens),
        cmocka_unit_test(test_null_is_harmless),
        cmocka_unit_test(test_fresh_until_a_heart_is_silent_too_long),
        cmocka_unit_test(test_the_longest_silent_is_named),
        cmocka_unit_test(test_a_removed_heart_no_longer_counts),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_pings_only_while_every_heart_beats),
        cmocka_unit_test(test_a_stall_is_named_in_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
