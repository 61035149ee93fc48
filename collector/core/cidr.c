/*
 * CIDR parsing and matching (see cidr.h). inet_pton() reads the address
 * part, so every textual form the C library accepts for an IPv4 dotted quad
 * or an IPv6 address is accepted and nothing that needs a resolver is.
 */
#include "cidr.h"
#include "col_err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int fail(char *err, size_t errlen, const char *text, const char *why)
{
    if (err && errlen)
        (void)snprintf(err, errlen, "'%.64s' is not a network: %s", text, why);
    return COL_ERR_INVAL;
}

int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
    int max, bytes;
    struct cidr c = {0};

    if (hlen == 0 || hlen >= sizeof(host))
        return fail(err, errlen, text, "no address (expected a.b.c.d/n or an IPv6 address/n)");
    memcpy(host, text, hlen);
    host[hlen] = '\0';
    if (inet_pton(AF_INET, host, c.addr) == 1) {
        c.family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, host, c.addr) == 1) {
        c.family = AF_INET6;
        max = 128;
    } else {
        return fail(err, errlen, text, "the address is neither IPv4 nor IPv6");
    }
    c.prefix = max;
    if (slash) {
        const char *p = slash + 1;
        int v = 0;

        if (!*p || strlen(p) > 3)
            return fail(err, errlen, text, "the prefix length must be a number");
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return fail(err, errlen, text, "the prefix length must be a number");
            v = v * 10 + (*p - '0');
        }
        if (v > max)
            return fail(err, errlen, text,
                        max == 32 ? "an IPv4 prefix is 0..32" : "an IPv6 prefix is 0..128");
        c.prefix = v;
    }
    bytes = max / 8;
    for (int i = 0; i < bytes; i++) {
        int keep = c.prefix - i * 8; /* bits of this byte inside the prefix */
        uint8_t mask = keep >= 8 ? 0xFF : keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));

        if (c.addr[i] & (uint8_t)~mask)
            return fail(err, errlen, text,
                        "host bits are set beyond the prefix (write the network address)");
    }
    *out = c;
    return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *net, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;

    if (memcmp(a, net, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((a[full] ^ net[full]) & (uint8_t)(0xFF << (8 - rest))) == 0;
}

bool cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    uint8_t a[16];

    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in;

        memcpy(&in, sa, sizeof(in));
        memcpy(a, &in.sin_addr, 4);
        if (c->family == AF_INET)
            return prefix_equal(a, c->addr, c->prefix);
        return false;
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;

        memcpy(&in6, sa, sizeof(in6));
        memcpy(a, &in6.sin6_addr, 16);
        if (c->family == AF_INET6)
            return prefix_equal(a, c->addr, c->prefix);
        if (c->family == AF_INET && memcmp(a, mapped, sizeof(mapped)) == 0)
            return prefix_equal(a + 12, c->addr, c->prefix);
    }
    return false;
}

bool cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
    for (size_t i = 0; i < n; i++)
        if (cidr_match(&list[i], sa))
            return true;
    return false;
}
