/*
 * The HTTP server (see http.h). libmicrohttpd's internal polling thread
 * serves one request at a time, which is what the handlers want: each uses
 * one SQLite connection of its own and no locks. Replies are built in
 * memory (pages are small) and handed to MHD to copy.
 */
#include "http.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct http_server {
    struct MHD_Daemon *d;
    const struct http_route *routes;
    size_t n_routes;
    void *ud;
    char *token;
};

static int reserve(struct http_reply *r, size_t more)
{
    size_t cap;
    char *b;

    if (r->len + more + 1 <= r->cap)
        return 0;
    cap = r->cap ? r->cap : 4096;
    while (cap < r->len + more + 1)
        cap *= 2;
    b = xrealloc(r->body, cap);
    if (!b) {
        r->is_oom = 1;
        return -1;
    }
    r->body = b;
    r->cap = cap;
    return 0;
}

void http_printf(struct http_reply *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (r->is_oom)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(r, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(r->body + r->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->len += (size_t)n;
}

void http_put_html(struct http_reply *r, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            http_printf(r, "&lt;");
            break;
        case '>':
            http_printf(r, "&gt;");
            break;
        case '&':
            http_printf(r, "&amp;");
            break;
        case '"':
            http_printf(r, "&quot;");
            break;
        case '\'':
            http_printf(r, "&#39;");
            break;
        default:
            http_printf(r, "%c", *s);
        }
    }
}

/* Constant-time comparison of a presented token with ours. */
static int token_ok(const struct http_server *h, const char *auth)
{
    const char *want = h->token;
    size_t wl, gl;
    unsigned diff = 0;

    if (!want)
        return 1;
    if (!auth || strncmp(auth, "Bearer ", 7) != 0)
        return 0;
    auth += 7;
    wl = strlen(want);
    gl = strlen(auth);
    diff = wl != gl;
    for (size_t i = 0; i < wl; i++)
        diff |= (unsigned)(want[i] ^ (i < gl ? auth[i] : 0));
    return diff == 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct http_reply *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ok;

    if (r->is_oom) {
        r->status = 500;
        r->len = 0;
    }
    resp = MHD_create_response_from_buffer(r->len, r->body ? r->body : (void *)"",
                                           MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type",
                            r->content_type ? r->content_type : "text/plain; charset=utf-8");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    ok = MHD_queue_response(c, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct http_server *h = cls;
    struct http_reply r = {.status = 200};
    enum MHD_Result ok;
    const struct http_route *route = NULL;

    (void)version;
    (void)upload;
    (void)upload_size;
    if (!*con_cls) { /* the headers: answer once the request is complete */
        *con_cls = h;
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        r.status = 405;
        http_printf(&r, "only GET\n");
    } else if (!token_ok(h, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_AUTHORIZATION))) {
        r.status = 401;
        http_printf(&r, "a bearer token is required\n");
    } else {
        for (size_t i = 0; i < h->n_routes && !route; i++) {
            const struct http_route *rt = &h->routes[i];
            if (rt->is_prefix ? strncmp(url, rt->prefix, strlen(rt->prefix)) == 0
                              : strcmp(url, rt->prefix) == 0)
                route = rt;
        }
        if (route) {
            route->handle(h->ud, url, &r);
        } else {
            r.status = 404;
            http_printf(&r, "no such page; see /status\n");
        }
    }
    ok = send_reply(c, &r);
    xfree(r.body);
    return ok;
}

/* Split "host:port" / "[v6]:port" into a socket address. 0 or -1. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon;
    char *end;
    long port;

    memset(ss, 0, sizeof(*ss));
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - listen - 1) >= sizeof(host))
            return -1;
        memcpy(host, listen + 1, (size_t)(rb - listen - 1));
        host[rb - listen - 1] = 0;
        colon = rb + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof(host))
            return -1;
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = 0;
    }
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof(host), "127.0.0.1");
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return -1;
        *len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return -1;
        *len = sizeof(*a);
    }
    return 0;
}

int http_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;
    socklen_t len;

    if (parse_listen(listen, &ss, &len))
        return 0;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

struct http_server *http_start(const char *listen, const char *token,
                               const struct http_route *routes, size_t n, void *ud, char *err,
                               size_t errlen)
{
    struct http_server *h;
    struct sockaddr_storage ss;
    socklen_t len;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    if (parse_listen(listen, &ss, &len)) {
        snprintf(err, errlen, "http.listen '%s' is not host:port", listen);
        return NULL;
    }
    if (!token && !http_is_loopback(listen)) {
        snprintf(err, errlen,
                 "http.listen %s is not a loopback address: set http.token_file to require a "
                 "bearer token",
                 listen);
        return NULL;
    }
    h = xcalloc(1, sizeof(*h));
    if (!h || (token && !(h->token = xstrdup(token)))) {
        snprintf(err, errlen, "out of memory");
        xfree(h);
        return NULL;
    }
    h->routes = routes;
    h->n_routes = n;
    h->ud = ud;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!h->d) {
        snprintf(err, errlen, "cannot listen on %s (address in use, or not ours?)", listen);
        http_stop(h);
        return NULL;
    }
    return h;
}

void http_stop(struct http_server *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    if (h->token) {
        memset(h->token, 0, strlen(h->token));
        xfree(h->token);
    }
    xfree(h);
}
