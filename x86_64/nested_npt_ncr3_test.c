// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_ncr3_test: a 64-bit L1 switches nCR3 among its NPTs, and KVM
 * keeps a shadow root per NPT (the scene: include/x86_64/nnpt_cases.h).
 *
 * L2 reads through the NPT nCR3 points to after L1 switches nCR3 among
 * several NPTs between VMRUNs (translations are tagged by ASID, not nCR3:
 * AMD APM vol. 2, 15.25.5 and 15.16), and with nCR3's PWT/PCD bits set
 * (nCR3 has CR3's format, 15.25.4).  KVM calls kvm_mmu_new_pgd() on each
 * nested VMRUN from kvm_init_shadow_npt_mmu() (mmu/mmu.c); a root cached
 * for another nCR3 must never be used.
 *
 * And, from kvmmmu trace events (include/kvm_trace.h), what KVM's shadow
 * NPT looks like (the role is computed by kvm_calc_cpu_role() from L1's
 * CR0/CR4/EFER, then kvm_init_shadow_npt_mmu() sets the root level):
 * every shadow page of L1's NPT has role.guest_mode=1 and 8-byte gptes;
 * the root of each NPT is a page for nCR3's gfn at KVM's TDP level (4, or
 * 5 on a 5-level host, then over a 4-level NPT with role.passthrough=1
 * over a level-4 page for the same gfn: kvm_mmu_page_get_gfn(),
 * sp_has_gptes()), and at each level below the root's, L1's table of that
 * level on the way to the window has a shadow page.  When the host is
 * 4-level and L1's NPT 5-level (the 7.x framework gives L1 LA57 when KVM
 * reports 57-bit virtual addresses), the level-4 root is the shadow page
 * of nCR3's table, L1's level-5 one, and its children are those of L1's
 * level-3 tables: FNAME(fetch) (paging_tmpl.h) links below each shadow
 * table the page of the guest table one level down
 * (gw->table_gfn[it.level - 2]), so L1's level-4 table has no shadow page.
 * Switching among 3 NPTs after a warm-up, also to the current one,
 * reuses the current or a cached root (fast_pgd_switch(),
 * KVM_MMU_NUM_PREV_ROOTS = 3) and finds, creates or zaps no shadow NPT
 * page; and VM teardown zaps every one of them.
 *
 * With npt=0 (the shadow configuration) every case and check reports SKIP.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "nested_npt.h"
#include "nnpt_cases.h"

/* nCR3 has CR3's format: bit 3 PWT, bit 4 PCD (APM 15.25.4). */
#define NCR3_PWT	BIT_ULL(3)
#define NCR3_PCD	BIT_ULL(4)

/* NPT @n maps NNPT_PG_DATA to D(2n). */
static bool load_through(uint64_t ncr3, int n)
{
	nnpt_set_ncr3(nnpt_svm, ncr3);
	return nnpt_l2_load_expect(NNPT_VA(NNPT_PG_DATA), NNPT_TAG(2 * n), 0);
}

static void case_ncr3_switch(const struct nnpt_case *c)
{
	/* A warm-up pass, then every transition between the three, twice. */
	static const uint8_t order[] = { 0, 1, 2, 0, 2, 1, 1, 0, 0, 2, 2, 1, 0, 1, 2, 0, 1, 0, 2 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (i == NNPT_NR_SWITCH_NPTS)
			GUEST_SYNC(NNPT_SYNC_NCR3_WARM);
		if (!load_through(nnpt_args.ncr3[order[i]], order[i]))
			break;
	}
	nnpt_set_ncr3(nnpt_svm, nnpt_ncr3_a());
}

/* nCR3 bits 3 and 4 are PWT and PCD for the NPT root, not address bits. */
static void case_ncr3_low_bits(const struct nnpt_case *c)
{
	load_through(nnpt_ncr3_a() | NCR3_PWT | NCR3_PCD, 0);
	load_through(nnpt_args.ncr3[1] | NCR3_PWT | NCR3_PCD, 1);
	load_through(nnpt_ncr3_a(), 0);
}

static const struct nnpt_case cases[] = {
	{ "ncr3_switch_among_3_npts", case_ncr3_switch, true },
	{ "ncr3_with_pwt_pcd_bits", case_ncr3_low_bits, true },
};

int main(int argc, char *argv[])
{
	nnpt_cases_main(cases, ARRAY_SIZE(cases),
			NNPT_CHECK_ROLES | NNPT_CHECK_TABLES | NNPT_CHECK_NO_REBUILD |
			NNPT_CHECK_TEARDOWN);
}
