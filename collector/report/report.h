/*
 * The compliance report: a calendar year of stored rollups judged against
 * the district plan's targets (shared/PLAN-TARGETS.md) and the standards in
 * force on each day (GB 3095 / HJ 633 by date, GB 3838, GB 3096), per site
 * and for the whole gateway. The report reads only the derived tables the
 * rollups keep (site_daily, aqi_daily, water_daily, noise_daily,
 * waste_daily), so it costs a few queries per site, never a raw scan.
 * Building and writing are separate so that the three formats print one
 * model and cannot disagree.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdio.h>

struct config;
struct store;
struct report;

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_HTML };

#define REPORT_YEAR_MIN 1970
#define REPORT_YEAR_MAX 9998

/*
 * Build the report of calendar year @year (local days in the process's time
 * zone, which cli_load_config sets from gateway.timezone) from @st, with the
 * targets of @cfg->report. @site limits it to one site (NULL = every site
 * with data in the year; the gateway summary then covers that site only).
 * Borrows @st and @cfg. Blocks on the database (read-only queries).
 * Returns 0 and sets *out (free it with report_free); COL_ERR_NOTFOUND when
 * @site is not a known site; COL_ERR_INVAL for a year outside REPORT_YEAR_MIN..MAX;
 * COL_ERR_NOMEM or a store error code otherwise (logged).
 */
int report_build(struct store *st, const struct config *cfg, int year, const char *site,
                 struct report **out);

/*
 * Write @r to @out as @fmt: an aligned terminal report, the JSON contract
 * (docs/report.md) or one self-contained HTML page. Returns 0, or
 * COL_ERR_IO when writing failed, COL_ERR_NOMEM.
 */
int report_write(const struct report *r, enum report_format fmt, FILE *out);

/* Number of sites with data in the report (0 for an empty year). */
size_t report_n_sites(const struct report *r);

/* Accepts NULL. */
void report_free(struct report *r);

#endif
