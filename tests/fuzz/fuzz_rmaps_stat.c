// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the mmu_rmaps_stat parser (lib/kvm_stats_parse.c).
 * Whatever it accepts must be self-consistent, and printing it back in the
 * kernel's format must parse to the same thing.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kvm_stats.h"

static size_t print_back(const struct kvm_rmaps_stat *st, char *buf, size_t size)
{
	size_t len = snprintf(buf, size, "Rmap_Count:\t");
	unsigned int i, j;

	for (i = 0; i < st->nr_buckets; i++)
		len += snprintf(buf + len, size - len, "%s\t", st->bucket[i]);
	len += snprintf(buf + len, size - len, "\n");
	for (i = 0; i < st->nr_levels; i++) {
		len += snprintf(buf + len, size - len, "Level=%s:\t", st->level[i]);
		for (j = 0; j < st->nr_buckets; j++)
			len += snprintf(buf + len, size - len, "%llu\t",
					(unsigned long long)st->count[i][j]);
		len += snprintf(buf + len, size - len, "\n");
	}
	return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvm_rmaps_stat st, again;
	static char buf[8192];
	unsigned int i;
	size_t len;

	if (kvm_rmaps_stat_parse((const char *)data, size, &st)) {
		assert(st.nr_levels == 0 && st.nr_buckets == 0);
		return 0;
	}
	if (!size) {
		assert(st.nr_levels == 0);
		return 0;
	}
	assert(st.nr_levels >= 1 && st.nr_levels <= KVM_RMAPS_MAX_LEVELS);
	assert(st.nr_buckets >= 1 && st.nr_buckets <= KVM_RMAPS_MAX_BUCKETS);
	for (i = 0; i < st.nr_levels; i++) {
		assert(kvm_rmaps_stat_level(&st, st.level[i]) == (int)i);
		kvm_rmaps_stat_mapped(&st, i);
	}

	len = print_back(&st, buf, sizeof(buf));
	assert(len < sizeof(buf));
	assert(!kvm_rmaps_stat_parse(buf, len, &again));
	assert(!memcmp(&st, &again, sizeof(st)));
	return 0;
}
