/*
 * collector: the Xuhui edge collector's one binary. Dispatches to the
 * subcommands; each parses its own options and returns an exit code
 * (0 ok, 1 runtime failure, 2 bad usage or invalid configuration). The
 * command table is also the source of the manual page collector(1)
 * (`collector help --man`), which quotes each command's own --help.
 */
#include "cli.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef COLLECTOR_VERSION
#define COLLECTOR_VERSION "0.8.0"
#endif

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", cli_run, "run the daemon in the foreground"},
    {"check", cli_check, "validate configuration, device profiles and registry"},
    {"stats", cli_stats, "show ingest counters from the database"},
    {"query", cli_query, "list stored readings"},
    {"alerts", cli_alerts, "list active and recent alerts; acknowledge one"},
    {"decode", cli_decode, "show how a payload would be ingested; writes nothing"},
    {"rejects", cli_rejects, "list rejected messages with their payloads; retry them"},
    {"report", cli_report, "compliance with the plan's targets for a year"},
    {"rollup", cli_rollup, "bring hourly/daily statistics and AQI up to date now"},
    {"upload", cli_upload, "send due days to the district data pool now (catch-up)"},
    {"config", cli_config, "print the configuration reference (every key and default)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: collector COMMAND -c CONFIG [--set section.key=value ...] [options]\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n`collector COMMAND --help` describes each command; `collector help --man`\n"
                 "prints the manual page, `collector --version` the version.\n");
}

/* Text for roff: a leading '.' or '\'' would be a request, '\' an escape, '-' a hyphen. */
static void roff_line(FILE *out, const char *s, size_t len)
{
    if (len > 0 && (*s == '.' || *s == '\''))
        fputs("\\&", out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\')
            fputs("\\e", out);
        else if (s[i] == '-')
            fputs("\\-", out);
        else
            fputc(s[i], out);
    }
    fputc('\n', out);
}

/*
 * What `collector NAME --help` prints, captured from the command itself in
 * a child process so that the page can never disagree with it. Returns a
 * malloc'd string (the caller frees it) or NULL.
 */
static char *help_of(int (*fn)(int, char **), const char *name)
{
    char *argv[] = {(char *)name, "--help", NULL};
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fds[2], status;
    pid_t pid;

    if (pipe(fds))
        return NULL;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(1);
        (void)fn(2, argv);
        fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    for (;;) {
        ssize_t n;
        if (len + 512 > cap) {
            char *nb = realloc(buf, cap + 4096);
            if (!nb)
                break;
            buf = nb;
            cap += 4096;
        }
        n = read(fds[0], buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static int write_man(FILE *out)
{
    const size_t n = sizeof(commands) / sizeof(commands[0]);

    fprintf(out,
            ".TH COLLECTOR 1 \"\" \"collector %s\" \"User Commands\"\n"
            ".SH NAME\n"
            "collector \\- the Xuhui edge collector: sensor readings over MQTT into SQLite, "
            "the standards' statistics, alerts and the nightly upload\n"
            ".SH SYNOPSIS\n"
            ".B collector\n"
            ".I COMMAND\n"
            ".B \\-c\n"
            ".I CONFIG\n"
            "[\\fB\\-\\-set\\fR \\fIsection.key=value\\fR ...] [\\fIoptions\\fR]\n"
            ".SH DESCRIPTION\n"
            "The collector subscribes to the sensors' MQTT topics, validates every reading "
            "against its device profile and stores it in a local SQLite file, acknowledging a "
            "message only once it is committed. It rolls readings up the way HJ 633, HJ 663, "
            "GB 3095, GB 3838 and GB 3096 define, checks them against the district plan's "
            "targets, alerts operations staff and uploads every day to the district data pool. "
            "Every command reads the configuration file described in\n"
            ".BR collector.yaml (5).\n"
            ".SH COMMANDS\n",
            COLLECTOR_VERSION);
    for (size_t i = 0; i < n; i++)
        fprintf(out, ".TP\n.B %s\n%s\n", commands[i].name, commands[i].help);
    for (size_t i = 0; i < n; i++) {
        char *text = help_of(commands[i].fn, commands[i].name);
        const char *line;
        if (!text) {
            fprintf(stderr, "collector: cannot read the help of '%s'\n", commands[i].name);
            return EXIT_RUNTIME;
        }
        fprintf(out, ".SS \"collector %s\"\n.nf\n", commands[i].name);
        line = text;
        while (*line) {
            const char *nl = strchr(line, '\n');
            size_t len = nl ? (size_t)(nl - line) : strlen(line);
            roff_line(out, line, len);
            line += len + (nl ? 1 : 0);
        }
        fputs(".fi\n", out);
        free(text);
    }
    fputs(".SH EXIT STATUS\n"
          "0 ok, 1 runtime failure, 2 bad usage or invalid configuration.\n"
          ".SH SIGNALS\n"
          ".TP\n.BR SIGTERM \", \" SIGINT\n"
          "finish the message in hand, acknowledge it, disconnect and exit 0\n"
          ".TP\n.B SIGHUP\n"
          "reload device profiles, the registry, the rules and the alert channels\n"
          ".SH ENVIRONMENT\n"
          ".TP\n.B NOTIFY_SOCKET\n"
          "set by systemd: the daemon reports READY=1, STATUS= lines and, with\n"
          ".BR WATCHDOG_USEC ,\n"
          "watchdog pings while its threads make progress\n"
          ".SH FILES\n"
          ".TP\n.I /etc/collector/collector.yaml\n"
          "the configuration\n"
          ".TP\n.I /var/lib/collector/collector.db\n"
          "the database\n"
          ".SH SEE ALSO\n"
          ".BR collector.yaml (5),\n"
          ".BR systemd.service (5)\n",
          out);
    return EXIT_OK;
}

/*
 * The database, its WAL and the upload spool hold every reading of the
 * area: files are created 0640 and directories 0750 at most, whatever the
 * umask we were started with (systemd's default is 022), while a stricter
 * umask is kept. SQLite gives the -wal and -shm files the database's mode.
 */
static void restrict_umask(void)
{
    mode_t old = umask(027);

    umask(old | 027);
}

int main(int argc, char **argv)
{
    int rc;

    restrict_umask();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("collector %s\n", COLLECTOR_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0 && argc > 2 && strcmp(argv[2], "--man") == 0)
        return write_man(stdout);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            mosquitto_lib_init();
            rc = commands[i].fn(argc - 1, argv + 1);
            mosquitto_lib_cleanup();
            return rc;
        }
    }
    fprintf(stderr, "collector: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
