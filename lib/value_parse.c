// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for the values KVM shows in sysfs and debugfs.  Free of any KVM
 * or selftests dependency so that tests/unit and tests/fuzz link them alone.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"

/*
 * Exactly what the kernel prints for a u64 debugfs attribute (simple_attr
 * with "%llu\n"): digits, optionally one trailing newline, no overflow.
 */
int kvm_debugfs_parse_u64(const char *text, size_t len, uint64_t *val)
{
	uint64_t v = 0;
	size_t i;

	if (len && text[len - 1] == '\n')
		len--;
	if (!len)
		return -EINVAL;

	for (i = 0; i < len; i++) {
		unsigned int digit = (unsigned char)text[i] - '0';

		if (digit > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - digit) / 10)
			return -EINVAL;
		v = v * 10 + digit;
	}
	*val = v;
	return 0;
}

/*
 * Bool module parameters read back as "Y" or "N" (param_get_bool()); some
 * switches are ints (kvm_amd's "nested" is "1").  Anything else is an error.
 */
int kvm_param_parse_bool(const char *text, bool *val)
{
	size_t len = strlen(text);
	uint64_t num;

	if (len && text[len - 1] == '\n')
		len--;
	if (len == 1 && (text[0] == 'Y' || text[0] == 'y')) {
		*val = true;
		return 0;
	}
	if (len == 1 && (text[0] == 'N' || text[0] == 'n')) {
		*val = false;
		return 0;
	}
	if (kvm_debugfs_parse_u64(text, len, &num))
		return -EINVAL;
	*val = num != 0;
	return 0;
}
