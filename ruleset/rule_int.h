/*
 * Internals shared by the files of the rule module (rule_parse.c, rule_eval.c,
 * rule_state.c): the message-template placeholder grammar, which the loader
 * checks so that a misspelt {placeholder} is an error when the rules load and
 * not a puzzle in an alert at 3 a.m. Not part of the rule.h contract.
 */
#ifndef RULE_INT_H
#define RULE_INT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Offset of the time the rules' effective dates are written in: the
 * standards take effect on dates of China Standard Time (UTC+8, no DST),
 * wherever the gateway's own zone is. Messages use the caller's zone
 * (rule_ctx.utc_offset_s).
 */
#define RULE_EFFECTIVE_TZ_OFFSET_S (8L * 3600)

/*
 * Find the first "{name}" in @tmpl (name = [a-z_]+) that rule_format() does not
 * know. Returns true and sets *name / *len to it, false when every placeholder
 * is known.
 */
bool rule_template_unknown(const char *tmpl, const char **name, size_t *len);

#endif
