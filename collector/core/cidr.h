/*
 * Networks written as CIDR blocks ("192.168.10.0/24", "2001:db8::/32",
 * or one address, which is a /32 or /128), for the allow list of a
 * listener. Pure functions over fixed-size values: no allocation, no name
 * resolution (the text is an address or it is refused), so configuration
 * checking and every accept() share the one parser. An IPv4 network also
 * matches the IPv4-mapped IPv6 form of its addresses (::ffff:a.b.c.d), which
 * a dual-stack listener on "::" sees for IPv4 clients.
 */
#ifndef CIDR_H
#define CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

struct cidr {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network address, 4 or 16 bytes used, host bits zero */
    int prefix;       /* 0..32 or 0..128 */
};

/*
 * Parse @text into *out. Returns 0, or COL_ERR_INVAL with the reason in
 * @err (@errlen bytes; may be NULL): not an address, a prefix out of range
 * or not a number, or host bits set beyond the prefix ("10.0.0.1/8" is
 * refused, so that a typo does not silently allow a whole network).
 */
int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen);

/*
 * Whether the address @sa (AF_INET or AF_INET6; other families never
 * match) lies in network @c.
 */
bool cidr_match(const struct cidr *c, const struct sockaddr *sa);

/* Whether @sa lies in any of the @n networks of @list (false when @n is 0). */
bool cidr_match_any(const struct cidr *list, size_t n, const struct sockaddr *sa);

#endif
