/*
 * libFuzzer target for the rule loader (ruleset/rule_parse.c): any bytes as
 * a rule file. When they load, every rule's templates are also formatted
 * into a buffer whose size comes from the input (so truncation at UTF-8
 * boundaries is explored) and stepped once through the state machine.
 * Links libruleset only. Replayed as a ctest test under gcc (replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ud, const char *msg)
{
    (void)ud;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag d = {quiet, NULL, 0};
    struct ruleset *rs = ruleset_parse("fuzz.yaml", (const char *)data, size, &d);
    char out[96];
    size_t outsz = size % sizeof(out) + 1;
    struct rule_ctx ctx = {"徐家汇", "aq-01", "pm25", "µg/m³", 82.5, 75, 1772294400000LL, 8 * 3600};

    for (size_t i = 0; rs && i < rs->n; i++) {
        const struct rule *r = &rs->v[i];
        struct alert_status st = {0};

        (void)rule_format(r, r->message_zh, &ctx, out, outsz);
        (void)rule_format(r, r->message_en, &ctx, out, sizeof(out));
        (void)rule_selects(r, "air", "xjh", "aq-01", "pm25");
        (void)rule_step(r, &st, 82.5, 75, 1772294400000LL);
        (void)rule_tick(r, &st, 1772294400000LL + r->repeat_ms);
        if (ruleset_find(rs, r->name) != r)
            abort();
    }
    ruleset_free(rs);
    return 0;
}
