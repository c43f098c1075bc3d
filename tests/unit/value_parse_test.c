// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the sysfs/debugfs value parsers (lib/value_parse.c).
 */
#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"

static int parse(const char *text, uint64_t *val)
{
	return kvm_debugfs_parse_u64(text, strlen(text), val);
}

TEST(debugfs_u64_accepts_what_the_kernel_prints)
{
	uint64_t v = 1;

	ASSERT_EQ(0, parse("0\n", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, parse("4242", &v));
	EXPECT_EQ(4242, v);
	ASSERT_EQ(0, parse("18446744073709551615\n", &v));
	EXPECT_EQ(UINT64_MAX, v);
}

TEST(debugfs_u64_rejects_everything_else)
{
	const char *bad[] = {
		"", "\n", "18446744073709551616", "99999999999999999999", "-1",
		" 1", "1 ", "1\n\n", "12a", "0x10", "+1",
	};
	uint64_t v = 7;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, parse(bad[i], &v)) {
			TH_LOG("accepted '%s'", bad[i]);
		}
	}
	EXPECT_EQ(7, v);
	/* The length bounds the parse: an embedded NUL ends nothing early. */
	EXPECT_EQ(-EINVAL, kvm_debugfs_parse_u64("1\0" "2", 3, &v));
}

TEST(param_bool)
{
	const struct { const char *text; int rc; bool val; } cases[] = {
		{ "Y\n", 0, true }, { "N\n", 0, false }, { "y", 0, true },
		{ "1\n", 0, true }, { "0", 0, false }, { "2", 0, true },
		{ "", -EINVAL, false }, { "yes", -EINVAL, false }, { "-1", -EINVAL, false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool val = !cases[i].val;

		EXPECT_EQ(cases[i].rc, kvm_param_parse_bool(cases[i].text, &val)) {
			TH_LOG("'%s'", cases[i].text);
		}
		if (!cases[i].rc)
			EXPECT_EQ(cases[i].val, val);
	}
}

TEST_HARNESS_MAIN
