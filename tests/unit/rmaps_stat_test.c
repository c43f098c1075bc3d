// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the mmu_rmaps_stat parser (lib/kvm_stats_parse.c), on the
 * files captured in the test VM (tests/unit/fixtures/rmaps-*.txt, see
 * tests/unit/fixtures/README) and on malformed variants.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "kvm_stats.h"

#ifndef FIXTURES
#define FIXTURES "fixtures"
#endif

static size_t load(const char *name, char *buf, size_t size)
{
	char path[512];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "r");
	if (!f)
		return (size_t)-1;
	len = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[len] = '\0';
	return len;
}

/* What kvm_mmu_rmaps_stat_show() prints, built here from its loops. */
static size_t kernel_text(char *buf, size_t size, unsigned int base)
{
	static const char * const lvl[] = { "4K", "2M", "1G" };
	size_t len;
	int i, j;

	len = snprintf(buf, size, "Rmap_Count:\t0\t1\t");
	for (i = 2; i < 11; i++)
		len += snprintf(buf + len, size - len, "%d-%d\t", 1 << (i - 1), (1 << i) - 1);
	len += snprintf(buf + len, size - len, "\n");
	for (i = 0; i < 3; i++) {
		len += snprintf(buf + len, size - len, "Level=%s:\t", lvl[i]);
		for (j = 0; j < 11; j++)
			len += snprintf(buf + len, size - len, "%u\t", base + i * 100 + j);
		len += snprintf(buf + len, size - len, "\n");
	}
	return len;
}

TEST(the_kernels_format)
{
	struct kvm_rmaps_stat st;
	char text[1024];
	size_t len = kernel_text(text, sizeof(text), 7);

	ASSERT_EQ(0, kvm_rmaps_stat_parse(text, len, &st));
	ASSERT_EQ(11U, st.nr_buckets);
	ASSERT_EQ(3U, st.nr_levels);
	EXPECT_STREQ("0", st.bucket[0]);
	EXPECT_STREQ("2-3", st.bucket[2]);
	EXPECT_STREQ("512-1023", st.bucket[10]);
	EXPECT_STREQ("1G", st.level[2]);
	EXPECT_EQ(1, kvm_rmaps_stat_level(&st, "2M"));
	EXPECT_EQ(-1, kvm_rmaps_stat_level(&st, "4M"));
	EXPECT_EQ(7U, st.count[0][0]);
	EXPECT_EQ(217U, st.count[2][10]);
	/* All buckets but "0": 8 + 9 + ... + 17. */
	EXPECT_EQ(125U, kvm_rmaps_stat_mapped(&st, 0));
	EXPECT_EQ(0U, kvm_rmaps_stat_mapped(&st, 3));
	EXPECT_EQ(0U, kvm_rmaps_stat_mapped(&st, -1));
}

/* kvm_memslots_have_rmaps() false (the TDP MMU): the file is empty. */
TEST(empty_file_is_no_rmaps)
{
	struct kvm_rmaps_stat st;

	ASSERT_EQ(0, kvm_rmaps_stat_parse("", 0, &st));
	EXPECT_EQ(0U, st.nr_levels);
	EXPECT_EQ(0U, kvm_rmaps_stat_mapped(&st, 0));
}

TEST(captured_shadow)
{
	struct kvm_rmaps_stat st;
	char text[4096];
	size_t len = load("rmaps-shadow.txt", text, sizeof(text));

	ASSERT_NE((size_t)-1, len);
	ASSERT_EQ(0, kvm_rmaps_stat_parse(text, len, &st));
	EXPECT_EQ(3U, st.nr_levels);
	/* mmu_introspection_model_test wrote 2 * 16 data pages before capturing. */
	EXPECT_LE(32U, kvm_rmaps_stat_mapped(&st, kvm_rmaps_stat_level(&st, "4K")));
}

TEST(captured_tdp_legacy)
{
	struct kvm_rmaps_stat st;
	char text[4096];
	size_t len = load("rmaps-tdp-legacy.txt", text, sizeof(text));

	ASSERT_NE((size_t)-1, len);
	ASSERT_EQ(0, kvm_rmaps_stat_parse(text, len, &st));
	EXPECT_LE(32U, kvm_rmaps_stat_mapped(&st, kvm_rmaps_stat_level(&st, "4K")));
}

TEST(captured_tdp_mmu_is_empty)
{
	struct kvm_rmaps_stat st;
	char text[16];
	size_t len = load("rmaps-tdp.txt", text, sizeof(text));

	ASSERT_EQ(0U, len);
	ASSERT_EQ(0, kvm_rmaps_stat_parse(text, len, &st));
	EXPECT_EQ(0U, st.nr_levels);
}

TEST(malformed)
{
	static const char * const bad[] = {
		"Rmap_Count:\t0\t1\t\n",				/* no level line */
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t2\t",		/* no final newline */
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t\n",		/* too few counts */
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t2\t3\t\n",		/* too many */
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t-2\t\n",
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t2\n",		/* no tab after last */
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t\t2\t\n",		/* empty cell */
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t2\t\nLevel=4K:\t1\t2\t\n",
		"Rmap_Count:\t0\t1\t\nLevel=:\t1\t2\t\n",
		"Rmap_Count:\t0\t1\t\nlevel=4K:\t1\t2\t\n",
		"Rmap_Count:\n",
		"Rmap_Count:0\t1\t\nLevel=4K:\t1\t2\t\n",
		"Rmap_Count:\t0\t1\t\nLevel=4K:\t1\t18446744073709551616\t\n",
		"\n",
	};
	struct kvm_rmaps_stat st;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, kvm_rmaps_stat_parse(bad[i], strlen(bad[i]), &st)) {
			TH_LOG("accepted: '%s'", bad[i]);
		}
		EXPECT_EQ(0U, st.nr_levels);
	}
}

TEST_HARNESS_MAIN
