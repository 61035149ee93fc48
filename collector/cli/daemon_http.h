/*
 * The daemon's HTTP pages on http.listen: /metrics (Prometheus text
 * format, the numbers of `collector stats`), /healthz, /readyz, /status
 * (a page for a person on the gateway) and /alerts/<id> (an alert's page,
 * the target of Alertmanager's generatorURL). The pages read the database
 * through a read-only connection of their own, on the server's thread.
 */
#ifndef CLI_DAEMON_HTTP_H
#define CLI_DAEMON_HTTP_H

#include <stdbool.h>
#include <stdint.h>

struct config;
struct mqtt_in;
struct daemon_http;

/*
 * Serve the pages for @cfg (borrowed); @mq (borrowed, may be NULL) tells
 * whether the broker session is up. Returns NULL when http.listen is empty
 * (*@is_error 0) or when serving failed (*@is_error 1, logged).
 */
struct daemon_http *daemon_http_start(const struct config *cfg, const struct mqtt_in *mq,
                                      int *is_error);
void daemon_http_stop(struct daemon_http *dh);

/*
 * A reload (SIGHUP) at @when_ms (UTC) was taken up (@is_ok) or refused:
 * /metrics shows it as collector_config_last_reload_successful and, for
 * one taken up, collector_config_last_reload_success_timestamp_seconds.
 * Thread-safe; accepts NULL.
 */
void daemon_http_reloaded(struct daemon_http *dh, bool is_ok, int64_t when_ms);

#endif
