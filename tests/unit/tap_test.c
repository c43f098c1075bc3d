// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the console/TAP parser of the VM runner (vm/tap.c).
 */
#include <string.h>

#include "kselftest_harness.h"
#include "tap.h"

FIXTURE(console) {
	struct tap_run run;
};

FIXTURE_SETUP(console)
{
	tap_run_init(&self->run);
	ASSERT_EQ(0, tap_add_kernel_error_pattern(&self->run, "WARNING:"));
	ASSERT_EQ(0, tap_add_kernel_error_pattern(&self->run, "Kernel panic"));
	ASSERT_EQ(0, tap_add_kernel_error_pattern(&self->run, "BUG:"));
}

FIXTURE_TEARDOWN(console)
{
	tap_run_free(&self->run);
}

static void feed(struct tap_run *run, const char *const *lines)
{
	for (; *lines; lines++)
		tap_parse_line(run, *lines);
}

#define BOOT "# shadow-mmu: booted 6.12.117+deb12-amd64, configuration shadow\r\n"

TEST_F(console, pass_skip_fail_with_durations)
{
	const char *lines[] = {
		"\x1b" "c\x1b[?7l\x1b[2J", BOOT, "TAP version 13\r\n", "1..3\r\n",
		"# selftests: shadow-mmu: a_test\r\n", "# ok 1 inner result is not ours\r\n",
		"ok 1 selftests: shadow-mmu: a_test\r\n", "  ---\r\n", "  duration_ms: 210\r\n", "  ...\r\n",
		"# selftests: shadow-mmu: b_test\n",
		"ok 2 selftests: shadow-mmu: b_test # SKIP Requirement not met: nested\n",
		"# selftests: shadow-mmu: c_test\n",
		"not ok 3 selftests: shadow-mmu: c_test # exit=254\n",
		"  duration_ms: 5\n", "# shadow-mmu: done\n", NULL,
	};

	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");

	ASSERT_EQ(3, self->run.plan);
	ASSERT_EQ(3, self->run.nr_tests);
	EXPECT_STREQ("a_test", self->run.tests[0].name);
	EXPECT_EQ(TAP_PASS, self->run.tests[0].status);
	EXPECT_EQ(210, self->run.tests[0].duration_ms);
	EXPECT_EQ(TAP_SKIP, self->run.tests[1].status);
	EXPECT_STREQ("Requirement not met: nested", self->run.tests[1].reason);
	EXPECT_EQ(-1, self->run.tests[1].duration_ms);
	EXPECT_EQ(TAP_FAIL, self->run.tests[2].status);
	EXPECT_STREQ("exit=254", self->run.tests[2].reason);
	EXPECT_EQ(5, self->run.tests[2].duration_ms);
	EXPECT_STREQ("", self->run.error);
	EXPECT_FALSE(tap_run_ok(&self->run));
}

TEST_F(console, all_pass_is_ok)
{
	const char *lines[] = {
		BOOT, "1..1", "# selftests: shadow-mmu: a_test",
		"ok 1 selftests: shadow-mmu: a_test", "# shadow-mmu: done", NULL,
	};

	tap_expect(&self->run, "a_test");
	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");
	ASSERT_EQ(1, self->run.nr_tests);
	EXPECT_TRUE(self->run.tests[0].reported);
	EXPECT_TRUE(tap_run_ok(&self->run));
}

TEST_F(console, panic_while_running_fails_that_test)
{
	const char *lines[] = {
		BOOT, "1..2", "# selftests: shadow-mmu: a_test",
		"[   12.5] Kernel panic - not syncing: Fatal exception", NULL,
	};

	tap_expect(&self->run, "a_test");
	tap_expect(&self->run, "b_test");
	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");

	EXPECT_EQ(TAP_FAIL, self->run.tests[0].status);
	EXPECT_NE(NULL, strstr(self->run.tests[0].reason, "VM ended while it ran"));
	EXPECT_NE(NULL, strstr(self->run.tests[0].reason, "Kernel panic"));
	/* Neither had a result line: tap-report adds theirs to results.tap. */
	EXPECT_FALSE(self->run.tests[0].reported);
	EXPECT_EQ(TAP_NOT_RUN, self->run.tests[1].status);
	EXPECT_FALSE(self->run.tests[1].reported);
	EXPECT_NE(NULL, strstr(self->run.error, "did not finish"));
	EXPECT_FALSE(tap_run_ok(&self->run));
}

TEST_F(console, console_warning_fails_a_test_that_said_ok)
{
	const char *lines[] = {
		BOOT, "# selftests: shadow-mmu: a_test",
		"[    5.1] WARNING: CPU: 1 PID: 80 at arch/x86/kvm/mmu/mmu.c:123 x+0x1/0x2",
		"ok 1 selftests: shadow-mmu: a_test", "# shadow-mmu: done", NULL,
	};

	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");
	EXPECT_EQ(TAP_FAIL, self->run.tests[0].status);
	EXPECT_NE(NULL, strstr(self->run.tests[0].reason, "mmu.c:123"));
}

TEST_F(console, kernel_error_outside_tests_fails_the_run)
{
	const char *lines[] = {
		BOOT, "# shadow-mmu: kernel-error: [1.0] BUG: unable to handle page fault",
		"# shadow-mmu: done", NULL,
	};

	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");
	EXPECT_NE(NULL, strstr(self->run.error, "before the tests"));
	EXPECT_FALSE(tap_run_ok(&self->run));
}

/* A leak that kmem_cache_destroy() reports when KVM is unloaded. */
TEST_F(console, kernel_error_unloading_kvm_fails_the_run)
{
	const char *lines[] = {
		BOOT, "# selftests: shadow-mmu: a_test", "ok 1 selftests: shadow-mmu: a_test",
		"# shadow-mmu: kernel-error-unload: [9.0] WARNING: at mm/slab_common.c:1",
		"# shadow-mmu: done", NULL,
	};

	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");
	EXPECT_EQ(TAP_PASS, self->run.tests[0].status);
	EXPECT_NE(NULL, strstr(self->run.error, "unloading KVM"));
	EXPECT_FALSE(tap_run_ok(&self->run));
}

TEST_F(console, no_boot_and_guest_errors)
{
	tap_finish(&self->run, "QEMU exited with 1");
	EXPECT_NE(NULL, strstr(self->run.error, "did not boot"));
	EXPECT_NE(NULL, strstr(self->run.error, "QEMU exited with 1"));

	tap_run_init(&self->run);
	tap_parse_line(&self->run, BOOT);
	tap_parse_line(&self->run, "# shadow-mmu: error: no /dev/kvm");
	tap_finish(&self->run, "QEMU exited with 0");
	EXPECT_STREQ("no /dev/kvm", self->run.error);
}

TEST_F(console, garbage_and_overlong_lines_are_harmless)
{
	char longline[4096];

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "ok 1 ", 5);
	tap_parse_line(&self->run, longline);
	tap_parse_line(&self->run, "ok");
	tap_parse_line(&self->run, "ok x");
	tap_parse_line(&self->run, "not ok 12");
	tap_parse_line(&self->run, "ok 1 ");
	tap_parse_line(&self->run, "1..");
	tap_parse_line(&self->run, "  duration_ms: 7");
	tap_parse_line(&self->run, "");
	ASSERT_EQ(1, self->run.nr_tests);
	EXPECT_EQ(TAP_MAX_TESTS > 0, 1);
	EXPECT_EQ(TAP_NAME_MAX - 1, (int)strlen(self->run.tests[0].name));
	EXPECT_EQ(-1, self->run.plan);
}

TEST_F(console, results_without_the_suite_prefix)
{
	tap_parse_line(&self->run, "ok 1 plain_name # skip why not");
	ASSERT_EQ(1, self->run.nr_tests);
	EXPECT_STREQ("plain_name", self->run.tests[0].name);
	EXPECT_EQ(TAP_SKIP, self->run.tests[0].status);
	EXPECT_STREQ("why not", self->run.tests[0].reason);
}

/* Found by fuzz_tap: a second start line left the first test "running". */
TEST_F(console, test_without_result_before_the_next_fails)
{
	const char *lines[] = {
		BOOT, "# selftests: shadow-mmu: a_test", "# selftests: shadow-mmu: b_test",
		"ok 2 selftests: shadow-mmu: b_test", "# shadow-mmu: done", NULL,
	};

	feed(&self->run, lines);
	tap_finish(&self->run, "QEMU exited with 0");
	EXPECT_EQ(TAP_FAIL, self->run.tests[0].status);
	EXPECT_STREQ("no result line before the next test started", self->run.tests[0].reason);
	EXPECT_EQ(TAP_PASS, self->run.tests[1].status);
}

TEST_HARNESS_MAIN
