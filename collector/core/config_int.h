/*
 * Internals shared by the configuration's files: config.c (binding a YAML
 * document to struct config, the checks across keys, loading) and
 * config_keys.c (the key tables, the refused values and the reference
 * written from the tables).
 */
#ifndef CONFIG_INT_H
#define CONFIG_INT_H

#include <stddef.h>

enum cfg_type {
    CFG_STR,
    CFG_INT,
    CFG_BOOL,
    CFG_DURATION,
    CFG_SIZE,
    CFG_ENUM,
    CFG_STRLIST,
    CFG_SECTION,
    CFG_NODE,
    CFG_DOUBLE,
};

#define CFG_F_PATH 1u   /* relative to the config file's directory */
#define CFG_F_SECRET 2u /* never printed */

struct cfg_key {
    const char *name;
    enum cfg_type type;
    const char *def; /* default, as it would be written in YAML; NULL = unset */
    size_t offset;
    long long min, max;
    const char *help;
    const char *const *choices; /* CFG_ENUM: index stored as long long */
    const struct cfg_key *sub;  /* CFG_SECTION */
    unsigned flags;
};

/* The root table: one CFG_SECTION entry per section of the file, ended by {0}. */
extern const struct cfg_key config_top_keys[];

/*
 * Why @text may not be the value of @section.@k although its type and
 * bounds accept it (a value that would break a promise the collector
 * makes), or NULL when it may.
 */
const char *config_refusal(const char *section, const struct cfg_key *k, const char *text);

#endif
