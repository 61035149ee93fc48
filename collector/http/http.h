/*
 * The HTTP endpoint's server (http.listen): libmicrohttpd on one internal
 * thread, GET only, routes by path prefix. The room knows nothing of what
 * the pages say; the command line registers the handlers (metrics, health,
 * status, alert pages), which see every room. Loopback needs no token; any
 * other address requires a bearer token (http.token_file), checked in
 * constant time on every request.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

struct http_server;

/* What a handler writes: a status, a content type and a growing body. */
struct http_reply {
    int status;               /* default 200 */
    const char *content_type; /* default "text/plain; charset=utf-8" */
    char *body;
    size_t len, cap;
    int is_oom; /* an append failed: the reply becomes a 500 */
};

/* Append formatted text to @r's body. */
void http_printf(struct http_reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append @s with HTML special characters escaped. */
void http_put_html(struct http_reply *r, const char *s);

struct http_route {
    const char *prefix; /* "/metrics" matches exactly; "/alerts/" matches by prefix */
    int is_prefix;
    /* Fill @r for @path. Runs on the server's thread, one request at a time. */
    void (*handle)(void *ud, const char *path, struct http_reply *r);
};

/*
 * Listen on @listen ("host:port", IPv4 or [IPv6]) and serve @routes (n of
 * them, borrowed with @ud until http_stop). @token is the bearer token
 * (NULL = none; then @listen must be a loopback address). NULL on failure,
 * with the reason in @err.
 */
struct http_server *http_start(const char *listen, const char *token,
                               const struct http_route *routes, size_t n, void *ud, char *err,
                               size_t errlen);

/* Stop serving and free. Waits for a request in progress. Accepts NULL. */
void http_stop(struct http_server *h);

/* True when @listen names a loopback address (127.0.0.0/8, ::1, localhost). */
int http_is_loopback(const char *listen);

#endif
