/*
 * `collector config [--markdown]`: print every configuration key with its
 * type, default and meaning, from the same tables the loader uses. The
 * documentation (docs/configuration.md) and the example configuration are
 * generated with it, and a test keeps them in step.
 */
#include "cli.h"
#include "core/config.h"

#include <stdio.h>
#include <string.h>

int cli_config(int argc, char **argv)
{
    bool markdown = false;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0) {
            markdown = true;
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: collector config [--markdown]\n\n"
                   "Prints every configuration key with its default: as annotated YAML, or as\n"
                   "the Markdown tables of docs/configuration.md.\n");
            return EXIT_OK;
        } else {
            fprintf(stderr, "collector config: unknown option '%s'\n", argv[i]);
            return EXIT_USAGE;
        }
    }
    config_write_reference(stdout, markdown);
    return EXIT_OK;
}
