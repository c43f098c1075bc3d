/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parser of the test VM's serial console: the TAP 13 stream of
 * vm/guest/run-tests, interleaved with the guest kernel's own messages and
 * the "# shadow-mmu:" lines of vm/guest/init.  It is fed line by line and
 * never trusts the input: the console of a crashing VM ends anywhere.
 */
#ifndef SMMU_TAP_H
#define SMMU_TAP_H

#include <stdbool.h>

#define TAP_NAME_MAX	128
#define TAP_REASON_MAX	512
#define TAP_MAX_TESTS	256
#define TAP_MAX_PATTERNS 32

enum tap_status {
	TAP_NOT_RUN,	/* expected, never started */
	TAP_RUNNING,	/* started, no result line (yet) */
	TAP_PASS,
	TAP_FAIL,
	TAP_SKIP,
};

struct tap_test {
	char name[TAP_NAME_MAX];
	enum tap_status status;
	/* Skip reason, or why it failed. */
	char reason[TAP_REASON_MAX];
	long duration_ms;	/* -1: not reported */
	/* The guest kernel printed an error on the console while it ran. */
	bool kernel_error;
	/* Its result line was in the stream (else tap_finish() decided). */
	bool reported;
};

struct tap_run {
	int plan;		/* -1: no plan line seen */
	struct tap_test tests[TAP_MAX_TESTS];
	int nr_tests;
	int running;		/* index of the test now running, or -1 */
	int last;		/* index of the last test reported, or -1 */
	bool booted;
	bool done;
	/* Why the configuration as a whole failed, empty if it did not. */
	char error[TAP_REASON_MAX];
	/* Compiled extended regexes of guest kernel error lines. */
	void *patterns[TAP_MAX_PATTERNS];
	int nr_patterns;
};

void tap_run_init(struct tap_run *run);
void tap_run_free(struct tap_run *run);
/* Add an extended regex that marks a console line as a kernel error. */
int tap_add_kernel_error_pattern(struct tap_run *run, const char *regex);
/* Declare a test that should run: it stays TAP_NOT_RUN unless it does. */
void tap_expect(struct tap_run *run, const char *name);
void tap_parse_line(struct tap_run *run, const char *line);
/*
 * The console ended; @how says how (e.g. "QEMU exited with 1").  A test
 * still running then failed, and a run without its end marker is an error.
 */
void tap_finish(struct tap_run *run, const char *how);

const char *tap_status_name(enum tap_status status);
/* True when every test passed or skipped and the run had no error. */
bool tap_run_ok(const struct tap_run *run);

#endif /* SMMU_TAP_H */
