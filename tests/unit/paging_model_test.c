// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the reference page-walk model (lib/x86_64/paging_model.c)
 * that the paging_*_test programs compare the guest's outcomes with: its own
 * hand-written SDM cases, plus a few more stated here.  No /dev/kvm.
 */
#include "kselftest_harness.h"
#include "paging_model.h"

TEST(sdm_cases_of_the_model)
{
	ASSERT_EQ(0, paging_model_self_check());
}

/* SDM 4.6.1: a supervisor write to a read-only page faults iff CR0.WP. */
TEST(cr0_wp)
{
	struct pm_env env = { .mode = GUEST_PAGING_4LEVEL, .maxphyaddr = 46, .nxe = true };
	uint64_t rw = GP_P | GP_RW, e[4] = { rw, rw, rw, GP_P };
	struct pm_outcome o;

	o = pm_access(&env, e, 4, PM_WRITE, false);
	EXPECT_FALSE(o.fault);
	env.wp = true;
	o = pm_access(&env, e, 4, PM_WRITE, false);
	EXPECT_TRUE(o.fault);
	EXPECT_EQ(PFERR_PRESENT_MASK | PFERR_WRITE_MASK, o.error_code);
}

/* SDM 4.4.1, Table 4-8: PAE PDPTE bits 2:1, 8:5 and 63:MAXPHYADDR are reserved. */
TEST(pae_pdpte_reserved_bits)
{
	struct pm_env env = { .mode = GUEST_PAGING_PAE, .maxphyaddr = 36, .nxe = true };
	const uint64_t bad[] = { GP_RW, GP_US, GP_A, GP_D, GP_PS, GP_G, GP_NX, 1ull << 36 };
	uint64_t mask = pm_reserved_bits(&env, 3, GP_P | 0x1000);
	unsigned int i;

	/* P, PWT, PCD, the ignored bits 11:9 and the address are allowed. */
	EXPECT_EQ(0, mask & (GP_P | GP_PWT | GP_PCD | 0xe00 | 0xffffff000ull));
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(bad[i], mask & bad[i]);
}

/* SDM 4.5.4: XD is reserved when EFER.NXE = 0, and a fault says RSVD. */
TEST(xd_without_nxe)
{
	struct pm_env env = { .mode = GUEST_PAGING_4LEVEL, .maxphyaddr = 46, .wp = true };
	uint64_t rw = GP_P | GP_RW, e[4] = { rw, rw, rw, rw | GP_NX };
	struct pm_outcome o = pm_access(&env, e, 4, PM_READ, false);

	EXPECT_TRUE(o.fault);
	EXPECT_EQ(PFERR_PRESENT_MASK | PFERR_RSVD_MASK, o.error_code);
	env.nxe = true;
	o = pm_access(&env, e, 4, PM_READ, false);
	EXPECT_FALSE(o.fault);
	o = pm_access(&env, e, 4, PM_FETCH, false);
	EXPECT_TRUE(o.fault);
	EXPECT_EQ(PFERR_PRESENT_MASK | PFERR_FETCH_MASK, o.error_code);
}

TEST_HARNESS_MAIN
