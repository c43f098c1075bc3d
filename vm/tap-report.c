// SPDX-License-Identifier: GPL-2.0
/*
 * tap-report: turn the results directory of vm/vmtest into the verdict.
 *
 *   tap-report --patterns FILE RESULTS_DIR CONFIG...
 *
 * Reads RESULTS_DIR/run.conf (the tests that should have run) and, per
 * configuration, CONFIG/console.log and CONFIG/status (how QEMU ended).
 * A CONFIG may name a subdirectory, e.g. 7.3/shadow for one kernel's
 * configuration in vm/matrix's results; it is also its column's title.
 * Writes CONFIG/results.tap, summary.txt (the table, also on stdout),
 * summary.json and junit.xml.  On stdout, after the table, the last
 * lines of each failed test's output: a CI job's log is often all that is
 * kept of a run.  Exits 0 only if no test failed, every test ran, and
 * every configuration finished.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define MAX_CONFIGS 32
#define OUTPUT_TAIL 40		/* lines of a failed test's output shown */
#define OUTPUT_TESTS 8		/* failed tests whose output is shown */

struct config_result {
	const char *name;
	struct tap_run run;
	long boot_ms, total_ms;
};

static struct config_result configs[MAX_CONFIGS];
static int nr_configs;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "tap-report: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static FILE *open_in(const char *dir, const char *sub, const char *file)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, *sub ? "/" : "", file);
	return fopen(path, "r");
}

static FILE *open_out(const char *dir, const char *sub, const char *file)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s%s%s", dir, sub, *sub ? "/" : "", file);
	f = fopen(path, "w");
	if (!f)
		die("cannot write %s", path);
	return f;
}

static void load_patterns(struct tap_run *run, const char *file)
{
	char line[512];
	FILE *f = fopen(file, "r");

	if (!f)
		die("cannot read the kernel error patterns %s", file);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && tap_add_kernel_error_pattern(run, line))
			die("bad kernel error pattern '%s'", line);
	}
	fclose(f);
}

static void expect_tests(struct tap_run *run, const char *results)
{
	char line[8192], *tok;
	FILE *f = open_in(results, "", "run.conf");

	if (!f)
		die("no run.conf in %s", results);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "tests=", 6))
			continue;
		for (tok = strtok(line + 6, " \n"); tok; tok = strtok(NULL, " \n"))
			tap_expect(run, tok);
	}
	fclose(f);
}

static bool is_tap_line(const char *line)
{
	return !strncmp(line, "TAP version", 11) || !strncmp(line, "1..", 3) ||
	       !strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7) ||
	       line[0] == '#' || line[0] == ' ';
}

/* How QEMU (or Bochs) ended, from CONFIG/status written by vm/vmtest. */
static void read_status(struct config_result *c, const char *results, char *how, size_t size)
{
	long qemu_exit = -1, host_timeout = 0;
	char line[256], emulator[32] = "QEMU", said[200] = "";
	FILE *f = open_in(results, c->name, "status");

	c->boot_ms = c->total_ms = -1;
	snprintf(how, size, "no status recorded: the host runner was interrupted");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "qemu_exit=%ld", &qemu_exit);
		sscanf(line, "host_timeout=%ld", &host_timeout);
		if (sscanf(line, "emulator=%31s", emulator) == 1 && !strcmp(emulator, "bochs"))
			strcpy(emulator, "Bochs");
		else if (!strcmp(emulator, "qemu"))
			strcpy(emulator, "QEMU");
		sscanf(line, "how=%199[^\n]", said);
		sscanf(line, "boot_ms=%ld", &c->boot_ms);
		sscanf(line, "total_ms=%ld", &c->total_ms);
	}
	fclose(f);

	if (host_timeout)
		snprintf(how, size, "the host stopped %s after %ld s", emulator, host_timeout);
	else if (said[0])
		snprintf(how, size, "%s", said);
	else if (qemu_exit > 128)
		snprintf(how, size, "%s was killed by signal %ld", emulator, qemu_exit - 128);
	else
		snprintf(how, size, "%s exited with %ld", emulator, qemu_exit);
}

/*
 * A VM that died leaves its TAP without the results of the test that was
 * running and of those after it: add them, as the verdict has them, so
 * that results.tap is complete TAP for any consumer.
 */
static void complete_tap(const struct tap_run *run, FILE *tap, bool no_header)
{
	int i;

	if (no_header)
		fprintf(tap, "TAP version 13\n1..%d\n", run->nr_tests);
	if (run->error[0])
		fprintf(tap, "# configuration failed: %s\n", run->error);
	for (i = 0; i < run->nr_tests; i++) {
		const struct tap_test *t = &run->tests[i];

		if (!t->reported)
			fprintf(tap, "not ok %d selftests: shadow-mmu: %s # %s\n", i + 1, t->name,
				t->status == TAP_NOT_RUN ? "not run" : t->reason);
	}
}

static void parse_config(struct config_result *c, const char *results, const char *patterns)
{
	char line[4096], how[256];
	bool in_tap_seen = false;
	FILE *in, *tap;

	tap_run_init(&c->run);
	load_patterns(&c->run, patterns);
	expect_tests(&c->run, results);
	read_status(c, results, how, sizeof(how));

	tap = open_out(results, c->name, "results.tap");
	in = open_in(results, c->name, "console.log");
	if (in) {
		/* TAP 13 starts with its version line; what came before is boot. */
		bool in_tap = false;

		while (fgets(line, sizeof(line), in)) {
			tap_parse_line(&c->run, line);
			in_tap |= !strncmp(line, "TAP version", 11);
			if (in_tap && is_tap_line(line))
				fputs(line, tap);
		}
		in_tap_seen = in_tap;
		fclose(in);
	}
	tap_finish(&c->run, how);
	complete_tap(&c->run, tap, !in_tap_seen);
	fclose(tap);
}

/* Columns as wide as the widest title, at least as a "pass 12.3s" cell. */
static int column_width(void)
{
	int i, w = 16;

	for (i = 0; i < nr_configs; i++)
		if ((int)strlen(configs[i].name) > w)
			w = strlen(configs[i].name);
	return w;
}

static void print_table(FILE *f, int *passed, int *failed, int *skipped)
{
	const struct tap_run *first = &configs[0].run;
	int i, t, w = column_width();
	char cell[64];

	fprintf(f, "%-28s", "test");
	for (i = 0; i < nr_configs; i++)
		fprintf(f, " %-*s", w, configs[i].name);
	fprintf(f, "\n");

	for (t = 0; t < first->nr_tests; t++) {
		fprintf(f, "%-28s", first->tests[t].name);
		for (i = 0; i < nr_configs; i++) {
			const struct tap_test *x = &configs[i].run.tests[t];

			if (x->duration_ms >= 0)
				snprintf(cell, sizeof(cell), "%s %.1fs", tap_status_name(x->status),
					 x->duration_ms / 1000.0);
			else
				snprintf(cell, sizeof(cell), "%s", tap_status_name(x->status));
			fprintf(f, " %-*s", w, cell);
			if (x->status == TAP_PASS)
				(*passed)++;
			else if (x->status == TAP_SKIP)
				(*skipped)++;
			else
				(*failed)++;
		}
		fprintf(f, "\n");
	}
	fprintf(f, "%-28s", "(boot / whole configuration)");
	for (i = 0; i < nr_configs; i++) {
		snprintf(cell, sizeof(cell), "%.1fs / %.1fs", configs[i].boot_ms / 1000.0,
			 configs[i].total_ms / 1000.0);
		fprintf(f, " %-*s", w, cell);
	}
	fprintf(f, "\n\n");

	for (i = 0; i < nr_configs; i++) {
		const struct tap_run *r = &configs[i].run;

		if (r->error[0]) {
			fprintf(f, "[%s] configuration FAILED: %s\n", configs[i].name, r->error);
			(*failed)++;
		}
		for (t = 0; t < r->nr_tests; t++) {
			const struct tap_test *x = &r->tests[t];

			if (x->status != TAP_PASS)
				fprintf(f, "[%s] %s: %s%s%s\n", configs[i].name, x->name,
					tap_status_name(x->status), x->reason[0] ? ": " : "",
					x->reason);
		}
	}
}

static bool is_result_of(const char *line, const char *name)
{
	const char *p = strstr(line, "selftests: shadow-mmu: ");
	size_t n = strlen(name);

	if (strncmp(line, "ok ", 3) && strncmp(line, "not ok ", 7))
		return false;
	if (!p)
		return false;
	p += strlen("selftests: shadow-mmu: ");
	return !strncmp(p, name, n) && (p[n] == ' ' || p[n] == '\n' || !p[n]);
}

/*
 * The last OUTPUT_TAIL lines of @name's output in CONFIG/results.tap,
 * from its "# selftests:" line to its result line (or the end, when the
 * VM died while it ran).
 */
static void print_test_output(FILE *f, const char *results, const char *config,
			      const char *name)
{
	static char ring[OUTPUT_TAIL][512];
	char line[4096], start[TAP_NAME_MAX + 32];
	int n = 0, i, first;
	bool in = false;
	FILE *tap;

	tap = open_in(results, config, "results.tap");
	if (!tap)
		return;
	snprintf(start, sizeof(start), "# selftests: shadow-mmu: %s\n", name);
	while (fgets(line, sizeof(line), tap)) {
		if (!in) {
			in = !strcmp(line, start);
			continue;
		}
		snprintf(ring[n++ % OUTPUT_TAIL], sizeof(ring[0]), "%s", line);
		if (is_result_of(line, name))
			break;
	}
	fclose(tap);
	if (!n)
		return;
	fprintf(f, "\n--- [%s] %s: %s of its output (%s/%s/results.tap) ---\n", config, name,
		n > OUTPUT_TAIL ? "the last lines" : "all", results, config);
	first = n > OUTPUT_TAIL ? n - OUTPUT_TAIL : 0;
	for (i = first; i < n; i++) {
		fputs(ring[i % OUTPUT_TAIL], f);
		if (!strchr(ring[i % OUTPUT_TAIL], '\n'))
			fputc('\n', f);
	}
}

static void print_failed_outputs(FILE *f, const char *results)
{
	int i, t, shown = 0, left = 0;

	for (i = 0; i < nr_configs; i++) {
		const struct tap_run *r = &configs[i].run;

		for (t = 0; t < r->nr_tests; t++) {
			if (r->tests[t].status != TAP_FAIL && r->tests[t].status != TAP_RUNNING)
				continue;
			if (shown++ < OUTPUT_TESTS)
				print_test_output(f, results, configs[i].name, r->tests[t].name);
			else
				left++;
		}
	}
	if (left)
		fprintf(f, "\n(%d more failed tests: their output is in the results.tap files)\n",
			left);
	if (shown)
		fputc('\n', f);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void write_json(FILE *f, int passed, int failed, int skipped)
{
	int i, t;

	fprintf(f, "{\n  \"passed\": %d, \"failed\": %d, \"skipped\": %d,\n  \"configs\": [\n",
		passed, failed, skipped);
	for (i = 0; i < nr_configs; i++) {
		const struct tap_run *r = &configs[i].run;

		fprintf(f, "    {\"name\": ");
		json_string(f, configs[i].name);
		fprintf(f, ", \"ok\": %s, \"boot_ms\": %ld, \"total_ms\": %ld, \"error\": ",
			tap_run_ok(r) ? "true" : "false", configs[i].boot_ms, configs[i].total_ms);
		json_string(f, r->error);
		fprintf(f, ",\n     \"tests\": [\n");
		for (t = 0; t < r->nr_tests; t++) {
			fprintf(f, "       {\"name\": ");
			json_string(f, r->tests[t].name);
			fprintf(f, ", \"result\": ");
			json_string(f, tap_status_name(r->tests[t].status));
			fprintf(f, ", \"duration_ms\": %ld, \"reason\": ", r->tests[t].duration_ms);
			json_string(f, r->tests[t].reason);
			fprintf(f, "}%s\n", t + 1 < r->nr_tests ? "," : "");
		}
		fprintf(f, "     ]}%s\n", i + 1 < nr_configs ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

static void xml_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
	}
}

static void write_junit(FILE *f)
{
	int i, t;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"shadow-mmu-selftests\">\n");
	for (i = 0; i < nr_configs; i++) {
		const struct tap_run *r = &configs[i].run;
		int failures = 0, skipped = 0;

		for (t = 0; t < r->nr_tests; t++) {
			failures += r->tests[t].status != TAP_PASS && r->tests[t].status != TAP_SKIP;
			skipped += r->tests[t].status == TAP_SKIP;
		}
		fprintf(f, "  <testsuite name=\"");
		xml_string(f, configs[i].name);
		fprintf(f, "\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" errors=\"%d\" time=\"%.3f\">\n",
			r->nr_tests, failures, skipped, !!r->error[0],
			configs[i].total_ms > 0 ? configs[i].total_ms / 1000.0 : 0);
		if (r->error[0]) {
			fprintf(f, "    <error message=\"");
			xml_string(f, r->error);
			fprintf(f, "\"/>\n");
		}
		for (t = 0; t < r->nr_tests; t++) {
			const struct tap_test *x = &r->tests[t];

			fprintf(f, "    <testcase classname=\"");
			xml_string(f, configs[i].name);
			fprintf(f, "\" name=\"");
			xml_string(f, x->name);
			fprintf(f, "\" time=\"%.3f\"", x->duration_ms > 0 ? x->duration_ms / 1000.0 : 0);
			if (x->status == TAP_PASS) {
				fprintf(f, "/>\n");
				continue;
			}
			fprintf(f, ">\n      <%s message=\"", x->status == TAP_SKIP ? "skipped" : "failure");
			xml_string(f, x->status == TAP_NOT_RUN ? "not run" : x->reason);
			fprintf(f, "\"/>\n    </testcase>\n");
		}
		fprintf(f, "  </testsuite>\n");
	}
	fprintf(f, "</testsuites>\n");
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0, i;
	const char *patterns, *results;
	FILE *f;

	if (argc < 5 || strcmp(argv[1], "--patterns"))
		die("%s", "usage: tap-report --patterns FILE RESULTS_DIR CONFIG...");
	patterns = argv[2];
	results = argv[3];
	if (argc - 4 > MAX_CONFIGS)
		die("%s", "more than 32 configurations (MAX_CONFIGS)");
	for (i = 4; i < argc; i++) {
		configs[nr_configs].name = argv[i];
		parse_config(&configs[nr_configs++], results, patterns);
	}

	f = open_out(results, "", "summary.txt");
	print_table(f, &passed, &failed, &skipped);
	fprintf(f, "%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	fclose(f);
	passed = failed = skipped = 0;
	print_table(stdout, &passed, &failed, &skipped);
	print_failed_outputs(stdout, results);

	f = open_out(results, "", "summary.json");
	write_json(f, passed, failed, skipped);
	fclose(f);
	f = open_out(results, "", "junit.xml");
	write_junit(f);
	fclose(f);

	printf("results: %s\n", results);
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	for (i = 0; i < nr_configs; i++)
		tap_run_free(&configs[i].run);
	return failed ? 1 : 0;
}
