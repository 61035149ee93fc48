/*
 * libFuzzer target for the configuration loader (collector/core/config.c):
 * any bytes as a configuration file. A NUL byte splits the input: what
 * follows it is one --set override ("section.key=value"), so overrides and
 * their interplay with the file are explored too. A loaded configuration
 * must be freed cleanly; a refused one must have said why. Replayed as a
 * ctest test under gcc (replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count(void *ud, const char *msg)
{
    (void)msg;
    (*(int *)ud)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const uint8_t *nul = memchr(data, 0, size);
    char set[256];
    const char *sets[1] = {set};
    size_t n_sets = 0, len = size;
    int n_msgs = 0;
    struct diag d = {count, &n_msgs, 0};
    struct config *c;

    if (nul) {
        size_t k = size - (size_t)(nul - data) - 1;
        if (k >= sizeof(set))
            k = sizeof(set) - 1;
        memcpy(set, nul + 1, k);
        set[k] = '\0';
        n_sets = 1;
        len = (size_t)(nul - data);
    }
    c = config_parse("/nonexistent/fuzz.yaml", text, len, sets, n_sets, &d);
    if (!c && n_msgs == 0)
        abort(); /* refused without a reason */
    config_free(c);
    return 0;
}
