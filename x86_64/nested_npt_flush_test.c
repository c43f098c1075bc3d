// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_flush_test: L2 sees the NPT entries a 64-bit L1 changed once
 * L1 flushes as it owes (the scene: include/x86_64/nnpt_cases.h).
 *
 * After L1 changes an NPT entry (frame, permission, unmap, map, a PDE to
 * another table) and runs L2 with TLB_CONTROL = 1 (flush all; AMD APM
 * vol. 2, 15.16.1), L2 sees the new entry.  KVM write-protects shadowed
 * NPT tables (kvm_mmu_track_write() zaps what L1 changes) or lets leaf
 * ones go unsync and syncs them on nested VMRUN
 * (nested_svm_transition_tlb_flush(), svm/nested.c: KVM_REQ_MMU_SYNC).
 * Run first without that flush, L2 sees the old entry or the new one, and
 * then with TLB_CONTROL 3 or 7 (this guest's ASID, FlushByAsid) as with 1.
 *
 * With npt=0 (the shadow configuration) every case reports SKIP.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "nested_npt.h"
#include "nnpt_cases.h"

#define FLUSH_ALL	TLB_CONTROL_FLUSH_ALL_ASID
#define NO_FLUSH	TLB_CONTROL_DO_NOTHING
/* NPF error codes (EXITINFO1[31:0]) of a not-present read and of a write to a read-only leaf. */
#define NPF_NP		PFERR_USER_MASK
#define NPF_RO_WRITE	(PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK)

/* L2 loads window page @page: the first word of data page @d. */
static bool load(int page, int d, uint8_t tlb_ctl)
{
	return nnpt_l2_load_expect(NNPT_VA(page), NNPT_TAG(d), tlb_ctl);
}

static void case_leaf_frame_change_flush(const struct nnpt_case *c)
{
	int round;

	for (round = 0; round < 4; round++) {
		nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[3] | NPT_RW);
		if (!load(NNPT_PG_DATA, 3, FLUSH_ALL))
			break;
		nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[0] | NPT_RW);
		if (!load(NNPT_PG_DATA, 0, FLUSH_ALL))
			break;
	}
	nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[0] | NPT_RW);
}

static void case_leaf_write_protect_flush(const struct nnpt_case *c)
{
	const uint64_t va = NNPT_VA(NNPT_PG_STORE) + NNPT_OFF_W;
	uint64_t exit;

	WRITE_ONCE(*(uint64_t *)(nnpt_args.data_gva[1] + NNPT_OFF_W), NNPT_STORE_VAL);
	/* L2 has written the page before: KVM has a writable shadow SPTE. */
	nnpt_l2_store_expect(NNPT_VA(NNPT_PG_STORE), 1, 0);
	nnpt_set_leaf(NNPT_PG_STORE, nnpt_args.data_gpa[1] | NPT_RO);
	nnpt_l2_load_expect(NNPT_VA(NNPT_PG_STORE), 1, FLUSH_ALL);
	exit = nnpt_run(nnpt_svm, nnpt_l2_store, va, 2, 0);
	nnpt_expect_npf(exit, NNPT_WIN_PAGE(NNPT_PG_STORE) + NNPT_OFF_W, NPF_RO_WRITE);
	NNPT_EXPECT("write-protected page after the faulting write",
		    nnpt_data_at(1, NNPT_OFF_W), NNPT_STORE_VAL);

	nnpt_set_leaf(NNPT_PG_STORE, nnpt_args.data_gpa[1] | NPT_RW);
	if (nnpt_l2_store_expect(va, 3, FLUSH_ALL))
		NNPT_EXPECT("L1 reads what L2 stored after write access came back",
			    nnpt_data_at(1, NNPT_OFF_W), 3);
}

static void case_leaf_unmap_flush(const struct nnpt_case *c)
{
	uint64_t exit, old;

	load(NNPT_PG_DATA, 0, 0);
	old = nnpt_set_leaf(NNPT_PG_DATA, 0);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, NNPT_VA(NNPT_PG_DATA) + NNPT_OFF_R, 0, FLUSH_ALL);
	nnpt_expect_npf(exit, NNPT_WIN_PAGE(NNPT_PG_DATA) + NNPT_OFF_R, NPF_NP);
	nnpt_set_leaf(NNPT_PG_DATA, old);
	load(NNPT_PG_DATA, 0, FLUSH_ALL);
}

static void case_leaf_map_flush(const struct nnpt_case *c)
{
	uint64_t exit;

	exit = nnpt_run(nnpt_svm, nnpt_l2_load, NNPT_VA(NNPT_PG_ABSENT), 0, 0);
	if (!nnpt_expect_npf(exit, NNPT_WIN_PAGE(NNPT_PG_ABSENT), NPF_NP))
		return;
	nnpt_set_leaf(NNPT_PG_ABSENT, nnpt_args.data_gpa[4] | NPT_RW);
	load(NNPT_PG_ABSENT, 4, FLUSH_ALL);
	nnpt_set_leaf(NNPT_PG_ABSENT, 0);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, NNPT_VA(NNPT_PG_ABSENT), 0, FLUSH_ALL);
	nnpt_expect_npf(exit, NNPT_WIN_PAGE(NNPT_PG_ABSENT), NPF_NP);
}

/* A non-leaf change: A's PDE for the window points to another table. */
static void case_pde_change_flush(const struct nnpt_case *c)
{
	uint64_t old;
	int round;

	for (round = 0; round < 2; round++) {
		old = npt_set_entry(nnpt_pool, nnpt_ncr3_a(), NNPT_WIN_GPA, NPT_LEVEL_2M,
				    nnpt_args.alt_pt_gpa | NPT_RW);
		if (!load(NNPT_PG_DATA, 3, FLUSH_ALL) || !load(NNPT_PG_RO, 5, 0))
			break;
		npt_set_entry(nnpt_pool, nnpt_ncr3_a(), NNPT_WIN_GPA, NPT_LEVEL_2M, old);
		if (!load(NNPT_PG_DATA, 0, FLUSH_ALL))
			break;
	}
	npt_set_entry(nnpt_pool, nnpt_ncr3_a(), NNPT_WIN_GPA, NPT_LEVEL_2M, old);
}

/*
 * L1 changes a leaf and runs L2 first without the flush it owes, then
 * with it.  Without it L2 may use the old entry or the new one, nothing
 * else: translations are tagged by ASID, not by nCR3 or by table
 * contents, and TLB_CONTROL on VMRUN is how a VMM drops them (APM vol. 2,
 * 15.16.1-15.16.2).  With TLB_CONTROL 1 (all ASIDs), 3 (this guest's
 * ASID) or 7 (its non-global entries; L1's page tables, which L2 uses,
 * have G clear) L2 must use the new entry.  KVM 6.12 syncs the shadow NPT
 * and flushes on every nested VMRUN whatever TLB_CONTROL says
 * (nested_svm_transition_tlb_flush(), svm/nested.c; its TODO lists
 * honouring L1's TLB_CONTROL) and offers L1 FLUSHBYASID on that ground
 * (svm_set_cpu_caps()).  The leaves here are in a level-1 NPT table, whose
 * shadow page L1's write lets go unsync (mmu_try_to_unsync_pages()), so
 * only that sync brings the new entry to L2: a KVM that syncs only for
 * some TLB_CONTROL values fails here, one that skips the sync when no
 * flush is asked for passes (the host prints how often L2 then used the
 * old entry).
 */
static const uint8_t owed_flushes[] = {
	TLB_CONTROL_FLUSH_ASID, TLB_CONTROL_FLUSH_ASID_LOCAL, TLB_CONTROL_FLUSH_ALL_ASID,
};

/* TLB_CONTROL 3 and 7 need CPUID 0x8000000A EDX.FlushByAsid (APM 15.16.1). */
#define X86_FEATURE_FLUSHBYASID_L1	KVM_X86_CPU_FEATURE(0x8000000A, 0, EDX, 6)

static bool skip_without_flushbyasid(uint8_t tlb_ctl)
{
	if (tlb_ctl == TLB_CONTROL_FLUSH_ALL_ASID || this_cpu_has(X86_FEATURE_FLUSHBYASID_L1))
		return false;
	nnpt_cur->unchecked = "TLB_CONTROL 3 and 7: L1 has no FlushByAsid in CPUID";
	return true;
}

#define NEW_ENTRY_MSG							\
	"L2 load without the owed flush: the new entry's value (or the old one's)"

/* L2 loads @va without the owed flush: the old entry's value or the new one's. */
static bool load_old_or_new(uint64_t va, uint64_t old, uint64_t new)
{
	uint64_t exit = nnpt_run(nnpt_svm, nnpt_l2_load, va, 0, NO_FLUSH);

	if (!NNPT_EXPECT("L2 load without the owed flush: #VMEXIT code", exit, SVM_EXIT_VMMCALL))
		return false;
	if (nnpt_l2_result(nnpt_svm) == old) {
		nnpt_cur->stale++;
		return true;
	}
	nnpt_cur->fresh++;
	return NNPT_EXPECT(NEW_ENTRY_MSG, nnpt_l2_result(nnpt_svm), new);
}

static bool frame_change_round(uint8_t flush)
{
	/* KVM has a shadow SPTE for the old frame. */
	if (!load(NNPT_PG_DATA, 0, 0))
		return false;
	nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[3] | NPT_RW);
	if (!load_old_or_new(NNPT_VA(NNPT_PG_DATA), NNPT_TAG(0), NNPT_TAG(3)) ||
	    !load(NNPT_PG_DATA, 3, flush))
		return false;
	nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[0] | NPT_RW);
	return load(NNPT_PG_DATA, 0, flush);
}

/* D1 at this offset is written by this case only. */
#define OFF_OWED	0x28
#define OWED_VA		(NNPT_VA(NNPT_PG_STORE) + OFF_OWED)
#define OWED_GPA	(NNPT_WIN_PAGE(NNPT_PG_STORE) + OFF_OWED)

static uint64_t owed_word(void)
{
	return nnpt_data_at(1, OFF_OWED);
}

static bool write_protect_round(uint8_t flush)
{
	uint64_t exit, before;

	/* KVM has a writable shadow SPTE. */
	if (!nnpt_l2_store_expect(OWED_VA, 1, 0))
		return false;
	nnpt_set_leaf(NNPT_PG_STORE, nnpt_args.data_gpa[1] | NPT_RO);
	exit = nnpt_run(nnpt_svm, nnpt_l2_store, OWED_VA, 2, NO_FLUSH);
	if (exit == SVM_EXIT_VMMCALL) {
		nnpt_cur->stale++;
		if (!NNPT_EXPECT("store without the owed flush, through the old writable entry",
				 owed_word(), 2))
			return false;
	} else {
		nnpt_cur->fresh++;
		if (!nnpt_expect_npf(exit, OWED_GPA, NPF_RO_WRITE) ||
		    !NNPT_EXPECT("page after a store that faulted", owed_word(), 1))
			return false;
	}
	before = owed_word();
	exit = nnpt_run(nnpt_svm, nnpt_l2_store, OWED_VA, 3, flush);
	if (!nnpt_expect_npf(exit, OWED_GPA, NPF_RO_WRITE) ||
	    !NNPT_EXPECT("page after a store that faulted", owed_word(), before))
		return false;
	nnpt_set_leaf(NNPT_PG_STORE, nnpt_args.data_gpa[1] | NPT_RW);
	return nnpt_l2_store_expect(OWED_VA, 4, flush) &&
	       NNPT_EXPECT("store after write access came back", owed_word(), 4);
}

/* Unmap, then map again, each first without the flush, then with it. */
static bool unmap_and_map_round(uint8_t flush)
{
	const uint64_t va = NNPT_VA(NNPT_PG_DATA), gpa = NNPT_WIN_PAGE(NNPT_PG_DATA);
	uint64_t exit;

	if (!load(NNPT_PG_DATA, 0, 0))
		return false;
	nnpt_set_leaf(NNPT_PG_DATA, 0);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, va, 0, NO_FLUSH);
	if (exit == SVM_EXIT_VMMCALL) {
		nnpt_cur->stale++;
		if (!NNPT_EXPECT("load without the owed flush, through the old entry",
				 nnpt_l2_result(nnpt_svm), NNPT_TAG(0)))
			return false;
	} else {
		nnpt_cur->fresh++;
		if (!nnpt_expect_npf(exit, gpa, NPF_NP))
			return false;
	}
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, va, 0, flush);
	if (!nnpt_expect_npf(exit, gpa, NPF_NP))
		return false;
	/* Mapped again: the NPF (old) or the page (new), then the page. */
	nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[0] | NPT_RW);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, va, 0, NO_FLUSH);
	if (exit == SVM_EXIT_NPF) {
		nnpt_cur->stale++;
		if (!nnpt_expect_npf(exit, gpa, NPF_NP))
			return false;
	} else {
		nnpt_cur->fresh++;
		if (!NNPT_EXPECT("load without the owed flush, through the new entry: #VMEXIT code",
				 exit, SVM_EXIT_VMMCALL) ||
		    !NNPT_EXPECT("load without the owed flush, through the new entry",
				 nnpt_l2_result(nnpt_svm), NNPT_TAG(0)))
			return false;
	}
	return load(NNPT_PG_DATA, 0, flush);
}

/*
 * Run c->round once per owed flush (TLB_CONTROL 3, 7, 1), until one fails:
 * each round warms KVM's shadow SPTE, changes the leaf, runs L2 without
 * the flush and then with it, and puts the leaf back with that flush.
 */
static void case_owed_flush(const struct nnpt_case *c)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(owed_flushes); i++) {
		if (skip_without_flushbyasid(owed_flushes[i]))
			continue;
		nnpt_cur->flush = owed_flushes[i];
		if (!c->round(owed_flushes[i]))
			break;
	}
	nnpt_set_leaf(NNPT_PG_DATA, nnpt_args.data_gpa[0] | NPT_RW);
	nnpt_set_leaf(NNPT_PG_STORE, nnpt_args.data_gpa[1] | NPT_RW);
}

static const struct nnpt_case cases[] = {
	{ "leaf_frame_change_with_flush", case_leaf_frame_change_flush, true },
	{ "leaf_write_protect_with_flush", case_leaf_write_protect_flush, true },
	{ "leaf_unmap_with_flush", case_leaf_unmap_flush, true },
	{ "leaf_map_after_npf_with_flush", case_leaf_map_flush, true },
	{ "pde_change_with_flush", case_pde_change_flush, true },
	{ "leaf_frame_change_without_then_with_flush", case_owed_flush, true,
	  .round = frame_change_round },
	{ "leaf_write_protect_without_then_with_flush", case_owed_flush, true,
	  .round = write_protect_round },
	{ "leaf_unmap_and_map_without_then_with_flush", case_owed_flush, true,
	  .round = unmap_and_map_round },
};

int main(int argc, char *argv[])
{
	nnpt_cases_main(cases, ARRAY_SIZE(cases), NNPT_CHECK_ROLES | NNPT_CHECK_TEARDOWN);
}
