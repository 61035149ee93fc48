/*
 * Tests of the CIDR parser and matcher (collector/core/cidr.h): IPv4 and
 * IPv6 blocks, a bare address as one host, /0, prefixes that are not byte
 * aligned, IPv4 blocks matching IPv4-mapped IPv6 addresses, and the
 * refusals (no address, a host name, a prefix out of range or not a
 * number, host bits set).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "col_err.h"
#include "core/cidr.h"

/* A socket address for the literal @text (IPv4 or IPv6). */
static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (strchr(text, ':')) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

        in6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;

        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &in->sin_addr), 1);
    }
    return ss;
}

static bool matches(const char *net, const char *a)
{
    struct cidr c;
    struct sockaddr_storage ss = addr(a);
    char err[160];

    assert_int_equal(cidr_parse(net, &c, err, sizeof(err)), 0);
    return cidr_match(&c, (struct sockaddr *)&ss);
}

static void test_ipv4_blocks(void **state)
{
    assert_true(matches("192.168.10.0/24", "192.168.10.0"));
    assert_true(matches("192.168.10.0/24", "192.168.10.255"));
    assert_false(matches("192.168.10.0/24", "192.168.11.0"));
    assert_false(matches("192.168.10.0/24", "192.168.9.255"));
    assert_true(matches("10.0.0.0/8", "10.255.1.2"));
    assert_false(matches("10.0.0.0/8", "11.0.0.0"));
    /* not byte aligned: 172.16.0.0/12 is 172.16.0.0 .. 172.31.255.255 */
    assert_true(matches("172.16.0.0/12", "172.31.255.255"));
    assert_false(matches("172.16.0.0/12", "172.32.0.0"));
    assert_false(matches("172.16.0.0/12", "172.15.255.255"));
    assert_true(matches("127.0.0.16/28", "127.0.0.31"));
    assert_false(matches("127.0.0.16/28", "127.0.0.32"));
    assert_false(matches("127.0.0.16/28", "127.0.0.15"));
}

static void test_host_and_zero(void **state)
{
    struct cidr c;

    assert_int_equal(cidr_parse("127.0.0.1", &c, NULL, 0), 0);
    assert_int_equal(c.prefix, 32);
    assert_true(matches("127.0.0.1", "127.0.0.1"));
    assert_false(matches("127.0.0.1", "127.0.0.2"));
    assert_true(matches("127.0.0.1/32", "127.0.0.1"));
    assert_false(matches("127.0.0.1/32", "127.0.0.2"));
    assert_true(matches("0.0.0.0/0", "203.0.113.9"));
    assert_false(matches("0.0.0.0/0", "2001:db8::1")); /* an IPv4 block is not IPv6 */
    assert_true(matches("::/0", "2001:db8::1"));
    assert_true(matches("::1", "::1"));
    assert_false(matches("::1", "::2"));
}

static void test_ipv6_blocks(void **state)
{
    assert_true(matches("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(matches("2001:db8::/32", "2001:db9::1"));
    assert_true(matches("fe80::/10", "febf::1"));
    assert_false(matches("fe80::/10", "fec0::1"));
    assert_true(matches("2001:db8:0:1::/64", "2001:db8:0:1:ffff:ffff:ffff:ffff"));
    assert_false(matches("2001:db8:0:1::/64", "2001:db8:0:2::"));
    assert_false(matches("2001:db8::/32", "32.1.13.184")); /* IPv6 block, IPv4 address */
}

static void test_ipv4_mapped(void **state)
{
    /* A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d */
    assert_true(matches("127.0.0.0/8", "::ffff:127.0.0.2"));
    assert_false(matches("127.0.0.1/32", "::ffff:127.0.0.2"));
    assert_false(matches("127.0.0.0/8", "::127.0.0.2")); /* not mapped */
    assert_true(matches("::ffff:0:0/96", "::ffff:10.1.2.3"));
}

static void test_refused(void **state)
{
    static const char *const bad[] = {
        "",
        "/24",
        "localhost",
        "10.0.0.0/33",
        "10.0.0.0/",
        "10.0.0/8",
        "10.0.0.0/8x",
        "10.0.0.0/-1",
        "10.0.0.1/8",
        "2001:db8::/129",
        "2001:db8::1/32",
        "::1/1234",
        "10.0.0.0 /8",
        "1.2.3.4.5",
        "fe80::1%lo/128",
    };
    char err[160];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cidr c;

        err[0] = '\0';
        if (cidr_parse(bad[i], &c, err, sizeof(err)) != COL_ERR_INVAL)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(err, "is not a network"));
    }
    assert_int_equal(cidr_parse("10.0.0.1/8", &(struct cidr){0}, err, sizeof(err)), COL_ERR_INVAL);
    assert_non_null(strstr(err, "host bits"));
}

static void test_match_any(void **state)
{
    struct cidr list[2];
    struct sockaddr_storage a = addr("127.0.0.3"), b = addr("127.0.0.2"), u;

    assert_int_equal(cidr_parse("127.0.0.1/32", &list[0], NULL, 0), 0);
    assert_int_equal(cidr_parse("127.0.0.3", &list[1], NULL, 0), 0);
    assert_true(cidr_match_any(list, 2, (struct sockaddr *)&a));
    assert_false(cidr_match_any(list, 2, (struct sockaddr *)&b));
    assert_false(cidr_match_any(list, 0, (struct sockaddr *)&a));
    memset(&u, 0, sizeof(u));
    u.ss_family = AF_UNIX; /* other families never match */
    assert_false(cidr_match_any(list, 2, (struct sockaddr *)&u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_blocks), cmocka_unit_test(test_host_and_zero),
        cmocka_unit_test(test_ipv6_blocks), cmocka_unit_test(test_ipv4_mapped),
        cmocka_unit_test(test_refused),     cmocka_unit_test(test_match_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
