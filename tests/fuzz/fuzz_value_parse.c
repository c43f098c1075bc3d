// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the debugfs/sysfs value parsers (lib/value_parse.c),
 * checked against strtoull() as the reference.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return len > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	size_t digits = size;
	uint64_t val;
	bool b;
	int rc;

	memcpy(text, data, size);
	text[size] = '\0';

	rc = kvm_debugfs_parse_u64(text, size, &val);
	if (digits && text[digits - 1] == '\n')
		digits--;
	if (!all_digits(text, digits)) {
		assert(rc == -EINVAL);
	} else {
		unsigned long long ref;

		errno = 0;
		ref = strtoull(text, NULL, 10);
		assert(rc == (errno == ERANGE ? -EINVAL : 0));
		if (!rc)
			assert(val == ref);
	}

	rc = kvm_param_parse_bool(text, &b);
	assert(rc == 0 || rc == -EINVAL);
	free(text);
	return 0;
}
