// SPDX-License-Identifier: GPL-2.0
/*
 * The test VM's console -> per-test results.  See tap.h for the stream.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define SUITE_PREFIX	"selftests: shadow-mmu: "
#define MARK_PREFIX	"# shadow-mmu: "

void tap_run_init(struct tap_run *run)
{
	memset(run, 0, sizeof(*run));
	run->plan = -1;
	run->running = -1;
	run->last = -1;
}

void tap_run_free(struct tap_run *run)
{
	int i;

	for (i = 0; i < run->nr_patterns; i++) {
		regfree(run->patterns[i]);
		free(run->patterns[i]);
	}
	run->nr_patterns = 0;
}

int tap_add_kernel_error_pattern(struct tap_run *run, const char *regex)
{
	regex_t *re;

	if (run->nr_patterns == TAP_MAX_PATTERNS)
		return -1;
	re = malloc(sizeof(*re));
	if (!re)
		return -1;
	if (regcomp(re, regex, REG_EXTENDED | REG_NOSUB)) {
		free(re);
		return -1;
	}
	run->patterns[run->nr_patterns++] = re;
	return 0;
}

static void copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int find_test(struct tap_run *run, const char *name, size_t len, bool add)
{
	struct tap_test *t;
	int i;

	if (len >= TAP_NAME_MAX)
		len = TAP_NAME_MAX - 1;
	for (i = 0; i < run->nr_tests; i++) {
		if (strlen(run->tests[i].name) == len &&
		    !strncmp(run->tests[i].name, name, len))
			return i;
	}
	if (!add || run->nr_tests == TAP_MAX_TESTS || !len)
		return -1;
	t = &run->tests[run->nr_tests];
	memset(t, 0, sizeof(*t));
	copy(t->name, sizeof(t->name), name, len);
	t->status = TAP_NOT_RUN;
	t->duration_ms = -1;
	return run->nr_tests++;
}

void tap_expect(struct tap_run *run, const char *name)
{
	find_test(run, name, strlen(name), true);
}

static void set_error(struct tap_run *run, const char *prefix, const char *what)
{
	if (run->error[0])
		return;
	snprintf(run->error, sizeof(run->error), "%s%s", prefix, what);
}

static bool is_kernel_error(const struct tap_run *run, const char *line)
{
	int i;

	for (i = 0; i < run->nr_patterns; i++) {
		if (!regexec(run->patterns[i], line, 0, NULL, 0))
			return true;
	}
	return false;
}

/* "ok 3 selftests: shadow-mmu: name # SKIP why" and "not ok ..." */
static void parse_result(struct tap_run *run, const char *p, bool ok)
{
	const char *desc, *hash, *dir;
	struct tap_test *t;
	size_t len;
	int i;

	if (!isdigit((unsigned char)*p))
		return;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p != ' ')
		return;
	desc = p + 1;
	if (!strncmp(desc, SUITE_PREFIX, strlen(SUITE_PREFIX)))
		desc += strlen(SUITE_PREFIX);
	hash = strstr(desc, " # ");
	len = hash ? (size_t)(hash - desc) : strlen(desc);
	while (len && desc[len - 1] == ' ')
		len--;

	i = find_test(run, desc, len, true);
	if (i < 0)
		return;
	t = &run->tests[i];
	dir = hash ? hash + 3 : "";

	if (t->kernel_error) {
		/* An error on the console while it ran fails it, whatever it said. */
		t->status = TAP_FAIL;
	} else if (ok && !strncasecmp(dir, "SKIP", 4)) {
		dir += 4;
		while (*dir == ' ' || *dir == ':')
			dir++;
		t->status = TAP_SKIP;
		copy(t->reason, sizeof(t->reason), dir, strlen(dir));
	} else {
		t->status = ok ? TAP_PASS : TAP_FAIL;
		copy(t->reason, sizeof(t->reason), dir, strlen(dir));
		if (!ok && !t->reason[0])
			strcpy(t->reason, "failed");
	}
	t->reported = true;
	if (run->running == i)
		run->running = -1;
	run->last = i;
}

static void parse_mark(struct tap_run *run, const char *p)
{
	if (!strncmp(p, "booted", 6))
		run->booted = true;
	else if (!strcmp(p, "done"))
		run->done = true;
	else if (!strncmp(p, "error: ", 7))
		set_error(run, "", p + 7);
	else if (!strncmp(p, "kernel-error: ", 14))
		set_error(run, "kernel error before the tests: ", p + 14);
	else if (!strncmp(p, "kernel-error-unload: ", 21))
		set_error(run, "kernel error unloading KVM after the tests: ", p + 21);
}

/*
 * The running test ends without a result line: it failed, for @why, and
 * for the kernel error the console showed while it ran, if any.
 */
static void fail_running(struct tap_run *run, const char *why)
{
	char reason[TAP_REASON_MAX];
	struct tap_test *t;

	if (run->running < 0)
		return;
	t = &run->tests[run->running];
	snprintf(reason, sizeof(reason), "%s%s%s", why, t->reason[0] ? "; " : "", t->reason);
	copy(t->reason, sizeof(t->reason), reason, strlen(reason));
	t->status = TAP_FAIL;
	run->running = -1;
}

void tap_parse_line(struct tap_run *run, const char *line)
{
	char buf[1024];
	size_t len = strlen(line);
	int i;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	copy(buf, sizeof(buf), line, len);

	if (!strncmp(buf, "ok ", 3)) {
		parse_result(run, buf + 3, true);
	} else if (!strncmp(buf, "not ok ", 7)) {
		parse_result(run, buf + 7, false);
	} else if (!strncmp(buf, "1..", 3) && isdigit((unsigned char)buf[3])) {
		run->plan = atoi(buf + 3);
	} else if (!strncmp(buf, "# " SUITE_PREFIX, 2 + strlen(SUITE_PREFIX))) {
		const char *name = buf + 2 + strlen(SUITE_PREFIX);

		/* A result line lost in the console noise is still no pass. */
		fail_running(run, "no result line before the next test started");
		i = find_test(run, name, strlen(name), true);
		if (i >= 0) {
			run->tests[i].status = TAP_RUNNING;
			run->tests[i].reason[0] = '\0';
			run->tests[i].kernel_error = false;
			run->running = i;
		}
	} else if (!strncmp(buf, MARK_PREFIX, strlen(MARK_PREFIX))) {
		parse_mark(run, buf + strlen(MARK_PREFIX));
	} else if (!strncmp(buf, "  duration_ms: ", 15)) {
		if (run->last >= 0)
			run->tests[run->last].duration_ms = atol(buf + 15);
	} else if (buf[0] != '#' && buf[0] != ' ' && is_kernel_error(run, buf)) {
		/* The guest kernel printed an error on the console itself. */
		if (run->running >= 0) {
			struct tap_test *t = &run->tests[run->running];

			if (!t->kernel_error)
				snprintf(t->reason, sizeof(t->reason), "kernel: %s", buf);
			t->kernel_error = true;
		} else {
			set_error(run, "kernel error outside any test: ", buf);
		}
	}
}

void tap_finish(struct tap_run *run, const char *how)
{
	char why[TAP_REASON_MAX];

	snprintf(why, sizeof(why), "the VM ended while it ran (%s)", how);
	fail_running(run, why);
	if (!run->booted)
		set_error(run, "the kernel under test did not boot to the suite: ", how);
	else if (!run->done)
		set_error(run, "the suite did not finish: ", how);
}

const char *tap_status_name(enum tap_status status)
{
	switch (status) {
	case TAP_NOT_RUN: return "not run";
	case TAP_RUNNING: return "running";
	case TAP_PASS: return "pass";
	case TAP_FAIL: return "FAIL";
	case TAP_SKIP: return "skip";
	}
	return "?";
}

bool tap_run_ok(const struct tap_run *run)
{
	int i;

	if (run->error[0])
		return false;
	for (i = 0; i < run->nr_tests; i++) {
		if (run->tests[i].status != TAP_PASS && run->tests[i].status != TAP_SKIP)
			return false;
	}
	return true;
}
