// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_npf_test: the #VMEXIT(NPF) a 64-bit L1 gets when L2 makes an
 * access its NPT does not allow (the scene: include/x86_64/nnpt_cases.h).
 *
 * An L2 access that L1's NPT does not allow exits to L1 with #VMEXIT(NPF)
 * (AMD APM vol. 2, 15.25.6): EXITINFO2 the faulting L2 GPA; EXITINFO1
 * bits 31:0 a #PF-style error code (P iff the entry was present, W for
 * writes, U always as nested walks are user accesses, RSV for a reserved
 * bit, ID for a fetch from an NX leaf with L1's EFER.NXE=1), bit 32 for a
 * fault on the final translation, bit 33 for one on an access of L2's own
 * page walk.  KVM takes the error code from its walk of L1's NPT
 * (paging_tmpl.h FNAME(walk_addr_generic)) and bits 63:32 and EXITINFO2
 * from the hardware's exit (nested_svm_inject_npf_exit(), svm/nested.c).
 *
 * L2 in 32-bit protected mode with 2-level and PAE paging runs under the
 * same NPT: an access of L2's own walk to a page table the NPT does not
 * map is an NPF with bit 33 at that table's page.  The NPT's format is
 * L1's, not L2's: nested_svm_init_mmu_context() builds the NPT MMU from
 * vmcb01's CR4/EFER; the CPU walks L2's tables, an NPF on that walk
 * reaches KVM with EXITINFO1 bit 33 (npf_interception(), svm.c), KVM's
 * walk of L1's NPT for the table's GPA fails and
 * nested_svm_inject_npf_exit() passes the hardware's bits 63:32 and
 * EXITINFO2 on to L1.
 *
 * With npt=0 (the shadow configuration) every case reports SKIP.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "nested_npt.h"
#include "nnpt_cases.h"

/* L2 loads (or stores to) c->va: #VMEXIT(NPF) at c->gpa, error code c->err. */
static void case_npf(const struct nnpt_case *c)
{
	uint64_t exit = nnpt_run(nnpt_svm, c->write ? nnpt_l2_store : nnpt_l2_load,
				 c->va, c->write, 0);

	nnpt_expect_npf(exit, c->gpa, c->err);
}

/* A reserved address bit in the leaf (bits MAXPHYADDR..51, APM 5.3.1). */
static void case_npf_reserved_bit(const struct nnpt_case *c)
{
	if (!nnpt_args.rsvd_bit) {
		nnpt_cur->skipped = "L1's MAXPHYADDR is 52: no reserved address bit";
		return;
	}
	case_npf(c);
}

/* The faulting write leaves the page as it was, and reads still go through. */
static void case_npf_write_read_only_leaf(const struct nnpt_case *c)
{
	uint64_t page = c->va & ~(PAGE_SIZE - 1);

	nnpt_l2_load_expect(page, NNPT_TAG(5), 0);
	case_npf(c);
	NNPT_EXPECT("read-only page after the faulting write", nnpt_data_at(5, 0), NNPT_TAG(5));
	nnpt_l2_load_expect(page, NNPT_TAG(5), 0);
}

static void case_npf_fetch_nx(const struct nnpt_case *c)
{
	uint64_t exit;

	/* L1's EFER.NXE is set (the framework's vCPU setup): NX counts. */
	exit = nnpt_run(nnpt_svm, (nnpt_l2_fn_t)NNPT_VA(NNPT_PG_X), 0, 0, 0);
	if (NNPT_EXPECT("L2 runs code through an executable NPT leaf: #VMEXIT code", exit,
			SVM_EXIT_VMMCALL))
		NNPT_EXPECT("value the code returns", nnpt_l2_result(nnpt_svm), NNPT_CODE_VAL);
	exit = nnpt_run(nnpt_svm, (nnpt_l2_fn_t)c->va, 0, 0, 0);
	nnpt_expect_npf(exit, c->gpa, c->err);
}

/*
 * L2's own page walk reads L1's page table for NNPT_WIN_VA at an L2 GPA
 * NPT NNPT_WALK leaves unmapped: the NPF is for that access (EXITINFO1 bit
 * 33), at that page (nnpt_expect_walk_npf()).
 */
static void case_npf_guest_page_walk(const struct nnpt_case *c)
{
	uint64_t exit;

	nnpt_set_ncr3(nnpt_svm, nnpt_args.ncr3[NNPT_WALK]);
	exit = nnpt_run(nnpt_svm, nnpt_l2_load, c->va, 0, TLB_CONTROL_FLUSH_ALL_ASID);
	nnpt_expect_walk_npf(exit, nnpt_args.l1_pt_gpa);
	nnpt_set_ncr3(nnpt_svm, nnpt_ncr3_a());
}

/*
 * 32-bit L2 in c->mode: NPT A without L2's page table for
 * NNPT_L2_32_VA_DATA (its 2 MiB leaf split, one pool page, and the table's
 * 4K leaf cleared): L2's walk faults there, as in
 * case_npf_guest_page_walk().  Then NPT A as before, and the read goes
 * through.
 */
static void case_npf_l2_32_page_walk(const struct nnpt_case *c)
{
	uint64_t pt = nnpt_l2_32.pt_gpa[c->mode], old_pde, old_pte, exit;

	old_pde = npt_get_entry(nnpt_pool, nnpt_ncr3_a(), pt, NPT_LEVEL_2M);
	if (old_pde & NPT_PS)
		npt_split(nnpt_pool, nnpt_ncr3_a(), pt, NPT_LEVEL_2M);
	old_pte = npt_set_entry(nnpt_pool, nnpt_ncr3_a(), pt, NPT_LEVEL_4K, 0);
	exit = nnpt_run_32(nnpt_svm, &nnpt_l2_32.l2, c->mode, NNPT_L2_32_VA_DATA,
			   TLB_CONTROL_FLUSH_ALL_ASID);
	nnpt_expect_walk_npf(exit, pt);
	npt_set_entry(nnpt_pool, nnpt_ncr3_a(), pt, NPT_LEVEL_4K, old_pte);
	npt_set_entry(nnpt_pool, nnpt_ncr3_a(), pt, NPT_LEVEL_2M, old_pde);
	nnpt_l2_32_load_expect(c->mode, NNPT_L2_32_VA_DATA, (uint32_t)NNPT_TAG(0));
}

/* Error codes (EXITINFO1[31:0]) of a not-present, a present and a write access. */
#define NPF_NP		PFERR_USER_MASK
#define NPF_PRESENT	(PFERR_PRESENT_MASK | PFERR_USER_MASK)
#define NPF_NP_WRITE	(PFERR_WRITE_MASK | PFERR_USER_MASK)

static const struct nnpt_case cases[] = {
	{ "npf_not_present_pte_read", case_npf, true,
	  .va = NNPT_VA(NNPT_PG_ABSENT) + NNPT_OFF_R,
	  .gpa = NNPT_WIN_PAGE(NNPT_PG_ABSENT) + NNPT_OFF_R, .err = NPF_NP },
	{ "npf_not_present_pte_write", case_npf, true, .write = true,
	  .va = NNPT_VA(NNPT_PG_ABSENT) + NNPT_OFF_W,
	  .gpa = NNPT_WIN_PAGE(NNPT_PG_ABSENT) + NNPT_OFF_W, .err = NPF_NP_WRITE },
	{ "npf_not_present_pdpte_read", case_npf, true,
	  .va = NNPT_HOLE_VA + NNPT_OFF_R, .gpa = NNPT_HOLE_GPA + NNPT_OFF_R,
	  .err = NPF_NP },
	{ "npf_write_to_read_only_leaf", case_npf_write_read_only_leaf, true,
	  .write = true, .va = NNPT_VA(NNPT_PG_RO) + NNPT_OFF_W,
	  .gpa = NNPT_WIN_PAGE(NNPT_PG_RO) + NNPT_OFF_W,
	  .err = NPF_PRESENT | PFERR_WRITE_MASK },
	{ "npf_reserved_bit_in_npt_leaf", case_npf_reserved_bit, true,
	  .va = NNPT_VA(NNPT_PG_RSVD) + NNPT_OFF_R,
	  .gpa = NNPT_WIN_PAGE(NNPT_PG_RSVD) + NNPT_OFF_R,
	  .err = NPF_PRESENT | PFERR_RSVD_MASK },
	{ "npf_fetch_from_nx_leaf", case_npf_fetch_nx, true,
	  .va = NNPT_VA(NNPT_PG_NX), .gpa = NNPT_WIN_PAGE(NNPT_PG_NX),
	  .err = NPF_PRESENT | PFERR_FETCH_MASK },
	{ "npf_on_guest_page_table_walk", case_npf_guest_page_walk, true,
	  .va = NNPT_VA(NNPT_PG_DATA) },
	{ "npf_on_l2_32bit_2level_page_walk", case_npf_l2_32_page_walk, true,
	  .mode = NNPT_L2_32_2LEVEL },
	{ "npf_on_l2_32bit_pae_page_walk", case_npf_l2_32_page_walk, true,
	  .mode = NNPT_L2_32_PAE },
};

int main(int argc, char *argv[])
{
	nnpt_cases_main(cases, ARRAY_SIZE(cases), NNPT_CHECK_ROLES | NNPT_CHECK_TEARDOWN);
}
