// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_access_test: L2 reaches, through a 64-bit L1's NPT, the L1
 * pages it maps (the scene: include/x86_64/nnpt_cases.h).
 *
 * With nested paging on in L1's VMCB, L2's guest-physical addresses are
 * translated by L1's NPT (nCR3, long-mode format because L1 runs in long
 * mode, with as many levels as L1's paging: 4, or 5 with CR4.LA57; AMD APM
 * vol. 2, 15.25.5).  KVM cannot hand L1's NPT to the CPU:
 * nested_svm_init_mmu_context() (arch/x86/kvm/svm/nested.c) calls
 * kvm_init_shadow_npt_mmu() (arch/x86/kvm/mmu/mmu.c), which walks it at
 * L1's depth and shadows it.  What any correct KVM must do:
 *
 * - L2 reads, writes and executes the L1 page its L2 GPA maps to in the
 *   NPT nCR3 points to, through 4 KiB and 1 GiB NPT leaves, and reaches
 *   L1's own memory (its code, stack and page tables) at L2 GPA == L1 GPA.
 * - L2 in 32-bit protected mode, with paging off, 2-level paging (CR4.PSE=0,
 *   4 KiB pages) and PAE paging (nnpt_run_32()), runs under the same NPT:
 *   its reads reach the window page its table maps through a 4 KiB NPT
 *   leaf (paging off: the L2 GPA itself), and a read of an unmapped window
 *   page is #VMEXIT(NPF) at that L2 GPA with bit 32.  The NPT's format is
 *   L1's: L2's CR0/CR4/EFER only select how KVM itself walks L2's tables
 *   (vcpu->arch.nested_mmu, init_kvm_nested_mmu(), mmu.c).
 * - The walk of L1's NPT sets Accessed in every entry it uses and Dirty in
 *   the leaf of a write (APM 5.4.2; FNAME(update_accessed_dirty_bits),
 *   paging_tmpl.h).
 *
 * - Protection keys do not apply to the NPT: with CR4.PKE set in L1 and
 *   PKRU denying every key but 0, L2 reads a page whose NPT leaf holds
 *   key 1.  KVM masks CR4.PKE out of the role of L1's NPT walker
 *   (kvm_init_shadow_npt_mmu(), mmu.c, 6.12 and 7.3), so that
 *   permission_fault() (mmu.h) finds no pkru_mask for it.
 *
 * And, from kvmmmu trace events: every shadow page of L1's NPT has
 * role.guest_mode=1 and 8-byte gptes, also those made while L2 runs 32-bit
 * code with 4-byte gptes, and VM teardown zaps every one of them.
 *
 * With npt=0 (the shadow configuration) every case reports SKIP.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "nested_npt.h"
#include "nnpt_cases.h"

static void case_l2_reads_and_writes(const struct nnpt_case *c)
{
	nnpt_l2_load_expect(NNPT_VA(NNPT_PG_DATA), NNPT_TAG(0), TLB_CONTROL_DO_NOTHING);
	/* L2 code, stack and page tables reach L1 memory through the identity map. */
	nnpt_l2_load_expect((uint64_t)&nnpt_ident_word, NNPT_IDENT_VAL, TLB_CONTROL_DO_NOTHING);
	if (nnpt_l2_store_expect(NNPT_VA(NNPT_PG_STORE) + NNPT_OFF_W, NNPT_STORE_VAL,
				 TLB_CONTROL_DO_NOTHING))
		NNPT_EXPECT("L1 reads what L2 stored through the NPT",
			    nnpt_data_at(1, NNPT_OFF_W), NNPT_STORE_VAL);
	nnpt_l2_load_expect(NNPT_VA(NNPT_PG_RO), NNPT_TAG(5), TLB_CONTROL_DO_NOTHING);
}

/*
 * 32-bit L2 in c->mode: a read of c->va through a 4K NPT leaf, then a read
 * of c->va2, NNPT_PG_ABSENT, which NPT A leaves unmapped: #VMEXIT(NPF) on
 * the final translation, at that L2 GPA.  Every 32-bit run flushes the
 * ASID: L2's address spaces in the three modes share ASID 1, whose TLB
 * entries survive world switches (APM 15.16).
 */
static void case_l2_32_reads(const struct nnpt_case *c)
{
	uint64_t exit;

	if (!nnpt_l2_32_load_expect(c->mode, c->va, (uint32_t)NNPT_TAG(0)))
		return;
	exit = nnpt_run_32(nnpt_svm, &nnpt_l2_32.l2, c->mode, c->va2 + NNPT_OFF_R,
			   TLB_CONTROL_FLUSH_ALL_ASID);
	nnpt_expect_npf(exit, NNPT_WIN_PAGE(NNPT_PG_ABSENT) + NNPT_OFF_R, PFERR_USER_MASK);
}

static void case_1g_leaf(const struct nnpt_case *c)
{
	if (!nnpt_args.gbpages) {
		nnpt_cur->skipped = "L1 has no 1 GiB pages (CPUID 0x80000001 EDX.Page1GB)";
		return;
	}
	nnpt_l2_load_expect(NNPT_GB_VA, NNPT_TAG(0), 0);
}

static uint64_t ad_bits(int level)
{
	return npt_get_entry(nnpt_pool, nnpt_ncr3_a(), NNPT_WIN_PAGE(NNPT_PG_AD), level) &
	       (NPT_A | NPT_D);
}

/* Accessed in every entry of the walk, Dirty in the leaf, and only by writes. */
static void case_accessed_dirty(const struct nnpt_case *c)
{
	int level;

	if (!NNPT_EXPECT("leaf before L2 uses it: A, D", ad_bits(NPT_LEVEL_4K), 0) ||
	    !nnpt_l2_load_expect(NNPT_VA(NNPT_PG_AD), NNPT_TAG(0), 0))
		return;
	NNPT_EXPECT("leaf after an L2 read: A, D", ad_bits(NPT_LEVEL_4K), NPT_A);
	for (level = nnpt_pool->levels; level > NPT_LEVEL_4K; level--)
		NNPT_EXPECT("table entries above the leaf after an L2 read: A",
			    ad_bits(level) & NPT_A, NPT_A);
	if (!nnpt_l2_store_expect(NNPT_VA(NNPT_PG_AD) + NNPT_OFF_W, NNPT_STORE_VAL, 0))
		return;
	NNPT_EXPECT("leaf after an L2 write: A, D", ad_bits(NPT_LEVEL_4K), NPT_A | NPT_D);
	NNPT_EXPECT("L1 reads what L2 stored", nnpt_data_at(0, NNPT_OFF_W), NNPT_STORE_VAL);
}

/* PKRU: access and write disabled for keys 1..15, key 0 (L1's own pages) left alone. */
#define PKRU_DENY_ALL_BUT_KEY_0	0xfffffffcU

/*
 * The leaf is new (NNPT_PG_ABSENT had none), so KVM has no shadow SPTE to
 * sync: L2's read faults and KVM walks L1's NPT, where a key would count.
 */
static void case_npt_pkey_ignored(const struct nnpt_case *c)
{
	uint64_t exit;

	if (!this_cpu_has(X86_FEATURE_PKU)) {
		nnpt_cur->skipped = "L1 has no protection keys (CPUID 7.0 ECX.PKU)";
		return;
	}
	set_cr4(get_cr4() | X86_CR4_PKE);
	wrpkru(PKRU_DENY_ALL_BUT_KEY_0);
	nnpt_set_leaf(NNPT_PG_ABSENT, nnpt_args.data_gpa[4] | NPT_RW | NPT_PKEY(1));
	nnpt_l2_load_expect(NNPT_VA(NNPT_PG_ABSENT), NNPT_TAG(4), TLB_CONTROL_FLUSH_ALL_ASID);
	wrpkru(0);
	set_cr4(get_cr4() & ~X86_CR4_PKE);
	/* Unmapped again, as other cases want it. */
	nnpt_set_leaf(NNPT_PG_ABSENT, 0);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, NNPT_VA(NNPT_PG_ABSENT), 0,
			TLB_CONTROL_FLUSH_ALL_ASID);
	nnpt_expect_npf(exit, NNPT_WIN_PAGE(NNPT_PG_ABSENT), PFERR_USER_MASK);
}

static const struct nnpt_case cases[] = {
	{ "l2_reads_and_writes_through_npt", case_l2_reads_and_writes, true },
	/* Paging off: L2's addresses are L2 GPAs. */
	{ "l2_32bit_no_paging_through_npt", case_l2_32_reads, true,
	  .mode = NNPT_L2_32_NO_PAGING, .va = NNPT_WIN_PAGE(NNPT_PG_DATA),
	  .va2 = NNPT_WIN_PAGE(NNPT_PG_ABSENT) },
	{ "l2_32bit_2level_paging_through_npt", case_l2_32_reads, true,
	  .mode = NNPT_L2_32_2LEVEL, .va = NNPT_L2_32_VA_DATA, .va2 = NNPT_L2_32_VA_ABSENT },
	{ "l2_32bit_pae_paging_through_npt", case_l2_32_reads, true,
	  .mode = NNPT_L2_32_PAE, .va = NNPT_L2_32_VA_DATA, .va2 = NNPT_L2_32_VA_ABSENT },
	{ "1g_npt_leaf", case_1g_leaf, true },
	{ "npt_accessed_and_dirty_bits", case_accessed_dirty, true },
	{ "npt_leaf_protection_key_ignored", case_npt_pkey_ignored, true },
};

int main(int argc, char *argv[])
{
	nnpt_cases_main(cases, ARRAY_SIZE(cases), NNPT_CHECK_ROLES | NNPT_CHECK_TEARDOWN);
}
