// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the VM console parser (vm/tap.c) on arbitrary bytes,
 * split into lines as the runner does.  Checks the parser's invariants.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tap_run run;
	char *text = malloc(size + 1), *line, *next;
	int i;

	memcpy(text, data, size);
	text[size] = '\0';
	tap_run_init(&run);
	tap_add_kernel_error_pattern(&run, "WARNING:|BUG:|Kernel panic");
	tap_expect(&run, "a_test");

	for (line = text; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		tap_parse_line(&run, line);
		assert(run.running >= -1 && run.running < run.nr_tests);
		assert(run.last >= -1 && run.last < run.nr_tests);
	}
	tap_finish(&run, "fuzz");

	assert(run.nr_tests >= 1 && run.nr_tests <= TAP_MAX_TESTS);
	assert(run.running == -1);
	for (i = 0; i < run.nr_tests; i++) {
		assert(strlen(run.tests[i].name) < TAP_NAME_MAX);
		assert(strlen(run.tests[i].reason) < TAP_REASON_MAX);
		assert(run.tests[i].status != TAP_RUNNING);
	}
	/* A run without its end marker can never be reported as fine. */
	assert(run.done || !tap_run_ok(&run));
	tap_run_free(&run);
	free(text);
	return 0;
}
