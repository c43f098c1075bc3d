// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_vmrun_test: what a 64-bit L1's VMRUN does with and without
 * nested paging (the scene: include/x86_64/nnpt_cases.h).
 *
 * - Without nested paging for L1 (npt=0: svm_set_cpu_caps() sets
 *   X86_FEATURE_NPT only if npt_enabled) L1's CPUID says so, and VMRUN with
 *   NP_ENABLE fails with #VMEXIT(INVALID) or runs L2 without nested paging;
 *   an nCR3 beyond MAXPHYADDR when NPT is offered fails with
 *   #VMEXIT(INVALID) (__nested_vmcb_check_controls(), svm/nested.c), and
 *   so does a 32-bit L2's CR3 beyond MAXPHYADDR.
 * - L2 without nested paging reads and writes L1 memory through L1's page
 *   tables in every configuration.
 *
 * And, from kvmmmu trace events (include/kvm_trace.h): L2 without nested
 * paging gets a root of its own, with role.guest_mode=1; a #VMEXIT from a
 * PAE L2 without it takes L1's root from the cache (TDP off), also after
 * L2's own MOV CR3 to other PDPTEs; a round trip to L2 neither syncs nor
 * frees L1's cached root with an unsync page table (TDP off); with nested
 * paging, every shadow page of L1's NPT has guest_mode=1 and 8-byte gptes,
 * and VM teardown zaps every one of them.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "nested_npt.h"
#include "nnpt_cases.h"
#include "paging_bits.h"

/* The CPUID KVM gives L1 says whether it offers nested paging. */
static void case_l1_cpuid(const struct nnpt_case *c)
{
	NNPT_EXPECT("L1 CPUID 0x8000000A EDX.NP == KVM's supported CPUID",
		    this_cpu_has(X86_FEATURE_NPT), nnpt_args.npt);
}

/*
 * Without NPT for L1 (CPUID Fn8000_000A_EDX[NP] = 0), VMRUN with NP_ENABLE:
 * the APM's consistency checks (vol. 2, 15.5.1) do not list it, so either
 * outcome is allowed: #VMEXIT(INVALID) (6.12: __nested_vmcb_check_controls(),
 * svm/nested.c) or the bit ignored and L2 run without nested paging (7.1+:
 * __nested_copy_vmcb_control_to_cache() clears it, "KVM: nSVM: Drop the
 * non-architectural consistency check for NP_ENABLE").  Not allowed: L2
 * translated through the NPT at nCR3, any other exit.
 */
static void case_np_enable_without_npt(const struct nnpt_case *c)
{
	uint64_t exit;

	if (nnpt_args.npt) {
		nnpt_cur->skipped = "KVM offers L1 nested paging";
		return;
	}
	nnpt_svm->vmcb->control.misc_ctl |= SVM_MISC_ENABLE_NP;
	nnpt_svm->vmcb->control.nested_cr3 = nnpt_ncr3_a();
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, nnpt_args.data_gva[0], 0, 0);
	if (exit == SVM_EXIT_ERR)
		return;
	/* NP_ENABLE ignored: L2 runs on L1's page tables, L2 GPA = L1 GPA. */
	if (NNPT_EXPECT("#VMEXIT code (VMEXIT_INVALID, or VMMCALL with NP_ENABLE ignored)",
			exit, SVM_EXIT_VMMCALL))
		NNPT_EXPECT("L2 load with NP_ENABLE ignored (through L1's tables)",
			    nnpt_l2_result(nnpt_svm), NNPT_TAG(0));
}

/* nCR3 must be a legal GPA (__nested_vmcb_check_controls(), svm/nested.c). */
static void case_illegal_ncr3(const struct nnpt_case *c)
{
	uint64_t exit;

	if (!nnpt_args.npt) {
		nnpt_cur->skipped = "KVM offers L1 no nested paging";
		return;
	}
	if (!nnpt_args.illegal_gpa) {
		nnpt_cur->skipped = "L1's MAXPHYADDR is 52";
		return;
	}
	nnpt_svm->vmcb->control.misc_ctl |= SVM_MISC_ENABLE_NP;
	nnpt_set_ncr3(nnpt_svm, nnpt_args.illegal_gpa);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, NNPT_VA(NNPT_PG_DATA), 0, 0);
	NNPT_EXPECT("#VMEXIT code (VMEXIT_INVALID)", exit, SVM_EXIT_ERR);
	nnpt_set_ncr3(nnpt_svm, nnpt_ncr3_a());
	nnpt_l2_load_expect(NNPT_VA(NNPT_PG_DATA), NNPT_TAG(0), 0);
}

/*
 * L2's CR3 must be a legal GPA also outside long mode, where
 * nested_vmcb_check_save() does not look at it: nested_svm_load_cr3()
 * (svm/nested.c, 6.12 and 7.3) refuses it, and VMRUN fails with
 * #VMEXIT(INVALID) (APM vol. 2, 15.5.1: any MBZ bit of CR3 set).  L2 then
 * runs with its valid CR3: it reads the first word of its code page, at
 * L2 VA == L2 GPA == L1 GPA with and without nested paging.  Without it,
 * a PAE L2's VMRUN loads its PDPTEs (load_pdptrs()), and would fail on a
 * bit the emulated CPU set there.
 */
static void case_illegal_l2_32_cr3(const struct nnpt_case *c)
{
	struct nnpt_l2_32 l2 = nnpt_l2_32.l2;
	uint64_t exit;

	if (!nnpt_args.illegal_gpa) {
		nnpt_cur->skipped = "L1's MAXPHYADDR is 52";
		return;
	}
	nnpt_l2_32_clear_pdpte_gap();
	l2.cr3[c->mode] |= nnpt_args.illegal_gpa;
	exit = nnpt_run_32(nnpt_svm, &l2, c->mode, l2.code_gpa, TLB_CONTROL_FLUSH_ALL_ASID);
	NNPT_EXPECT("#VMEXIT code (VMEXIT_INVALID)", exit, SVM_EXIT_ERR);
	nnpt_l2_32_clear_pdpte_gap();
	nnpt_l2_32_load_expect(c->mode, l2.code_gpa, READ_ONCE(*(uint32_t *)l2.code_gva));
}

/*
 * The PAE L2 moves the alias PDPT to CR3, reads CR3 back into EAX and
 * moves its own PDPT back, then exits: two MOV CR3 that change the PDPTEs.
 */
static bool pae_l2_switch_cr3_expect(void)
{
	uint64_t alias = nnpt_l2_32.pdpt_alias_gpa;
	uint64_t exit = nnpt_run_32_op(nnpt_svm, &nnpt_l2_32.l2, NNPT_L2_32_PAE,
				       NNPT_L2_32_SWITCH_CR3, alias, 0,
				       TLB_CONTROL_FLUSH_ALL_ASID);

	return NNPT_EXPECT("PAE L2 MOV CR3 to and fro: #VMEXIT code (VMMCALL)", exit,
			   SVM_EXIT_VMMCALL) &&
	       NNPT_EXPECT("PAE L2 MOV CR3 to and fro: CR3 read on the alias PDPT",
			   (uint32_t)nnpt_l2_result(nnpt_svm), alias);
}

/*
 * A PAE L2 without nested paging, to and fro: one warm-up round trip,
 * then NNPT_SYNC_PAE_L2_WARM and three more, each reading the first word
 * of L2's code page, but the second, in which L2 switches its PDPT and
 * back (L1 does not intercept MOV CR3).  NNPT_CHECK_L1_ROOT_CACHED looks
 * at the #VMEXITs: with TDP off each of those MOV CR3 loads other PDPTEs,
 * and load_pdptrs() then frees the current root, KVM's PAE root, alone
 * (KVM_MMU_ROOT_CURRENT: 6.12 and 7.3 regs.c), not L1's in prev_roots.
 * Each VMRUN loads L2's PDPTEs (load_pdptrs()), so the emulator's bit 5
 * is cleared before each.
 */
static void case_pae_l2_round_trips(const struct nnpt_case *c)
{
	const struct nnpt_l2_32 *l2 = &nnpt_l2_32.l2;
	uint32_t word = READ_ONCE(*(uint32_t *)l2->code_gva);
	int i;

	nnpt_l2_32_clear_pdpte_gap();
	if (!nnpt_l2_32_load_expect(NNPT_L2_32_PAE, l2->code_gpa, word))
		return;
	GUEST_SYNC(NNPT_SYNC_PAE_L2_WARM);
	for (i = 0; i < 3; i++) {
		nnpt_l2_32_clear_pdpte_gap();
		if (i == 1 ? !pae_l2_switch_cr3_expect() :
		    !nnpt_l2_32_load_expect(NNPT_L2_32_PAE, l2->code_gpa, word))
			return;
	}
}

/* No nested paging: L2 GPA == L1 GPA, through L1's page tables. */
static void case_l2_without_np(const struct nnpt_case *c)
{
	nnpt_l2_load_expect(nnpt_args.data_gva[0], NNPT_TAG(0), 0);
	if (nnpt_l2_store_expect(nnpt_args.data_gva[1] + NNPT_OFF_R, NNPT_STORE_VAL, 0))
		NNPT_EXPECT("L1 reads what L2 stored", nnpt_data_at(1, NNPT_OFF_R), NNPT_STORE_VAL);
	nnpt_l2_load_expect((uint64_t)&nnpt_ident_word, NNPT_IDENT_VAL, 0);
}

/*
 * KVM flushes the current context's TLB at each nested transition, VMRUN
 * and #VMEXIT, whatever L1's TLB_CONTROL says (nested_svm_transition_tlb_flush(),
 * svm/nested.c, 6.12 and 7.3: KVM_REQ_TLB_FLUSH_CURRENT, and its TODO
 * list), once at the VM entry that follows it, so the vCPU's tlb_flush
 * moves by exactly 2 for a round trip to L2 that changes nothing (the
 * second of two: the first may make shadow pages, whose write protection
 * flushes too).  The emulators flush their TLB at every VM entry, so no
 * guest sees a missing flush; the stat does.
 */
static void case_transition_flushes(const struct nnpt_case *c)
{
	uint64_t before;

	nnpt_l2_load_expect((uint64_t)&nnpt_ident_word, NNPT_IDENT_VAL, TLB_CONTROL_DO_NOTHING);
	before = nnpt_vcpu_tlb_flushes();
	nnpt_l2_load_expect((uint64_t)&nnpt_ident_word, NNPT_IDENT_VAL, TLB_CONTROL_DO_NOTHING);
	NNPT_EXPECT("TLB flushes of an L2 round trip (VMRUN, #VMEXIT)",
		    nnpt_vcpu_tlb_flushes() - before, 2);
}

/*
 * L1 leaves a page table of its cached root unsync, then runs L2: on its
 * second address space it reads NNPT_CACHED_VA (D1), moves back to its
 * own CR3 (with TDP off the other root goes to prev_roots) and points
 * that page table's entry at D2 through the alias, which KVM lets go
 * unsync (mmu_try_to_unsync_pages(), mmu.c).  After a round trip to L2,
 * L1 moves to that address space again: the MOV CR3 flushes its TLB, so
 * L1 must read D2 (SDM vol. 3A 4.10.4.1).
 * NNPT_CHECK_CACHED_ROOT_KEPT looks at what KVM did with that root.
 */
static void case_cached_root_unsync(const struct nnpt_case *c)
{
	uint64_t own = get_cr3(), before, after;

	set_cr3(nnpt_args.cached_cr3);
	before = READ_ONCE(*(uint64_t *)NNPT_CACHED_VA);
	set_cr3(own);
	WRITE_ONCE(((uint64_t *)NNPT_CACHED_ALIAS_VA)[(NNPT_CACHED_VA >> PAGE_SHIFT) & 511],
		   nnpt_args.data_gpa[2] | GP_P | GP_RW);
	GUEST_SYNC(NNPT_SYNC_CACHED_UNSYNC);
	if (!nnpt_l2_load_expect((uint64_t)&nnpt_ident_word, NNPT_IDENT_VAL,
				 TLB_CONTROL_DO_NOTHING))
		return;
	GUEST_SYNC(NNPT_SYNC_CACHED_BACK);
	set_cr3(nnpt_args.cached_cr3);
	after = READ_ONCE(*(uint64_t *)NNPT_CACHED_VA);
	set_cr3(own);
	if (NNPT_EXPECT("L1 on its second address space, before", before, NNPT_TAG(1)))
		NNPT_EXPECT("L1 back there after changing its page table", after, NNPT_TAG(2));
}

static const struct nnpt_case cases[] = {
	{ "l1_cpuid_npt_bit_is_kvms", case_l1_cpuid },
	{ "vmrun_np_enable_without_npt_refused_or_ignored", case_np_enable_without_npt },
	{ "vmrun_ncr3_beyond_maxphyaddr_is_invalid", case_illegal_ncr3 },
	{ "l2_without_nested_paging", case_l2_without_np },
	{ "vmrun_l2_32bit_2level_cr3_beyond_maxphyaddr_is_invalid", case_illegal_l2_32_cr3, true,
	  .mode = NNPT_L2_32_2LEVEL },
	{ "vmrun_l2_32bit_pae_cr3_beyond_maxphyaddr_is_invalid", case_illegal_l2_32_cr3, true,
	  .mode = NNPT_L2_32_PAE },
	{ "vmrun_l2_32bit_2level_cr3_beyond_maxphyaddr_is_invalid_without_np",
	  case_illegal_l2_32_cr3, .mode = NNPT_L2_32_2LEVEL },
	{ "vmrun_l2_32bit_pae_cr3_beyond_maxphyaddr_is_invalid_without_np",
	  case_illegal_l2_32_cr3, .mode = NNPT_L2_32_PAE },
	{ "l2_32bit_pae_without_np_round_trips", case_pae_l2_round_trips },
	{ "vmrun_and_vmexit_flush_once_each", case_transition_flushes, true },
	{ "vmrun_and_vmexit_flush_once_each_without_np", case_transition_flushes },
	{ "l1_cached_root_unsync_across_l2_round_trip", case_cached_root_unsync },
};

int main(int argc, char *argv[])
{
	nnpt_cases_main(cases, ARRAY_SIZE(cases),
			NNPT_CHECK_L2_ROOT | NNPT_CHECK_ROLES | NNPT_CHECK_TEARDOWN |
			NNPT_CHECK_L1_ROOT_CACHED | NNPT_CHECK_CACHED_ROOT_KEPT);
}
