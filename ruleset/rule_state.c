/*
 * The alert state machine (rule.h): inactive → pending → firing → resolved,
 * one struct alert_status per (rule, scope), advanced by rule_step() for
 * each evaluation and by rule_tick() for reminders between evaluations.
 * Pure: time comes in as an argument and the state lives in the caller's
 * struct (the collector persists it), so a reload or a restart continues an
 * episode instead of firing it again.
 */
#include "rule.h"

#include <limits.h>
#include <math.h>

/* @now - @since without overflow (saturates). */
static int64_t elapsed(int64_t now, int64_t since)
{
    if (since < 0 && now > INT64_MAX + since)
        return INT64_MAX;
    if (since > 0 && now < INT64_MIN + since)
        return INT64_MIN;
    return now - since;
}

bool rule_breaches(enum rule_op op, double v, double t)
{
    if (!isfinite(v) || !isfinite(t))
        return false;
    switch (op) {
    case RULE_GT:
        return v > t;
    case RULE_GE:
        return v >= t;
    case RULE_LT:
        return v < t;
    case RULE_LE:
        return v <= t;
    case RULE_EQ:
        return v == t;
    case RULE_NE:
        return v != t;
    }
    return false;
}

/* With hysteresis: is @v on the safe side of `clear`? (GT/GE: v <= clear; LT/LE: v >= clear) */
static bool clear_passed(const struct rule *r, double v)
{
    if (!r->has_clear)
        return true;
    switch (r->op) {
    case RULE_GT:
    case RULE_GE:
        return v <= r->clear;
    case RULE_LT:
    case RULE_LE:
        return v >= r->clear;
    default:
        return true;
    }
}

static void reset(struct alert_status *st)
{
    /* started_at_ms and last_notified_ms stay: the resolved message can say since when */
    st->state = ALERT_INACTIVE;
    st->hits = 0;
}

static enum alert_event fire(struct alert_status *st, int64_t now_ms)
{
    st->state = ALERT_FIRING;
    st->started_at_ms = now_ms;
    st->last_notified_ms = now_ms;
    return ALERT_EV_FIRING;
}

static bool remind(const struct rule *r, struct alert_status *st, int64_t now_ms)
{
    if (r->repeat_ms <= 0 || elapsed(now_ms, st->last_notified_ms) < r->repeat_ms)
        return false;
    st->last_notified_ms = now_ms;
    return true;
}

/* The rule is out of force: end whatever was going on. */
static enum alert_event stand_down(struct alert_status *st)
{
    enum alert_state was = st->state;

    reset(st);
    if (was == ALERT_FIRING)
        return ALERT_EV_RESOLVED;
    if (was == ALERT_PENDING)
        return ALERT_EV_CANCELLED;
    return ALERT_EV_NONE;
}

/* Pending → firing when enough consecutive hits and long enough since the first. */
static bool ready(const struct rule *r, const struct alert_status *st, int64_t now_ms)
{
    int need = r->hits > 1 ? r->hits : 1;

    return st->hits >= need && elapsed(now_ms, st->pending_since_ms) >= r->for_ms;
}

enum alert_event rule_step(const struct rule *r, struct alert_status *st, double value,
                           double threshold, int64_t now_ms)
{
    bool is_breach;

    if (!r || !st)
        return ALERT_EV_NONE;
    if (!rule_in_force(r, now_ms))
        return stand_down(st);
    /* no number, no evidence either way: the episode neither advances nor ends */
    if (!isfinite(value) || !isfinite(threshold))
        return ALERT_EV_NONE;
    st->value = value;
    is_breach = rule_breaches(r->op, value, threshold);
    switch (st->state) {
    case ALERT_PENDING:
        if (!is_breach) {
            reset(st);
            return ALERT_EV_CANCELLED;
        }
        if (st->hits < INT_MAX)
            st->hits++;
        return ready(r, st, now_ms) ? fire(st, now_ms) : ALERT_EV_PENDING;
    case ALERT_FIRING:
        if (is_breach) {
            if (st->hits < INT_MAX)
                st->hits++;
        } else if (clear_passed(r, value)) {
            reset(st);
            return ALERT_EV_RESOLVED;
        } else {
            st->hits = 0; /* between threshold and clear: still firing */
        }
        return remind(r, st, now_ms) ? ALERT_EV_REMINDER : ALERT_EV_NONE;
    case ALERT_INACTIVE:
    default:
        st->state = ALERT_INACTIVE;
        st->hits = 0;
        if (!is_breach)
            return ALERT_EV_NONE;
        st->state = ALERT_PENDING;
        st->hits = 1;
        st->pending_since_ms = now_ms;
        return ready(r, st, now_ms) ? fire(st, now_ms) : ALERT_EV_PENDING;
    }
}

enum alert_event rule_tick(const struct rule *r, struct alert_status *st, int64_t now_ms)
{
    if (!r || !st)
        return ALERT_EV_NONE;
    if (!rule_in_force(r, now_ms))
        return stand_down(st);
    if (st->state == ALERT_FIRING && remind(r, st, now_ms))
        return ALERT_EV_REMINDER;
    return ALERT_EV_NONE;
}
