// SPDX-License-Identifier: GPL-2.0
/*
 * nested_pae_npf_test: a 32-bit PAE L1 (include/x86_64/pae_l1_cases.h)
 * runs L2 on a PAE-format NPT, and an L2 access that NPT does not allow
 * is #VMEXIT(NPF) (APM 15.25.6): EXITINFO2 = the L2 GPA; EXITINFO1 bits
 * 31:0 a #PF error code (P iff the entry was present, W for a write, U
 * always: nested walks are user accesses), bit 32 (final translation; L2
 * has no page tables).  A not-present NPT PDPTE is such a fault, found on
 * use like at the other levels (KVM: FNAME(walk_addr_generic) in
 * mmu/paging_tmpl.h reads it through mmu->get_pdptr()); so are reserved
 * bits at each level.  A fetch through an NPT leaf with XD (bit 63) is
 * P, ID, U when L1 has EFER.NXE, and a reserved-bit fault (P, RSV, U)
 * when it has not.  With npt=0 every case skips with that reason.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "kselftest.h"

#include "known_defects.h"
#include "emulator.h"
#include "pae_l1_cases.h"

/*
 * A not-present NPT PDPTE (PDPTE 3 of L1's NPT is 0 while 0-2 are
 * present): the NPF is raised on use, P=0, like any other level (APM
 * 15.25.10 for PAE PDPTEs under nested paging; KVM reads nCR3's PDPTEs
 * on each walk, nested_svm_get_tdp_pdptr()).
 */
static void case_npf_pdpte_not_present(struct outcome *o, const struct pae_l1_case *c)
{
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = npt_with_code(l1, 0);
	const uint64_t l2_gpa = 3 * GB + 0x2000;

	pnpt_map(l1->pvm, ncr3, 1 * GB, data_page(l1, 1), PNPT_LEVEL_4K, PNPT_RW);
	pnpt_map(l1->pvm, ncr3, 2 * GB, data_page(l1, 2), PNPT_LEVEL_4K, PNPT_RW);
	TEST_ASSERT(!*pnpt_entry(l1->pvm, ncr3, l2_gpa, PNPT_LEVEL_PDPTE, false),
		    "NPT PDPTE 3 should be empty");
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, l2_gpa + 0x40);
	expect_npf(PFERR_USER_MASK | PFERR_GUEST_FINAL_MASK, l2_gpa + 0x40);
	pae_l1_vmrun_and_judge(l1, SVM_EXIT_NPF, o);
}

/*
 * A present NPT PDPTE with reserved bits: under nested paging the PDPTEs
 * of a PAE nCR3 are "loaded and checked on demand", and a reserved bit is
 * found at the point of use (APM 15.25.10), so the access is an NPF with
 * P and RSV.  Bits 2:1, 8:5 and 63:MAXPHYADDR of a present PAE PDPTE are
 * reserved (SDM Table 4-8, APM Figure 5-10).  KVM walks L1's NPT itself
 * here (FNAME(walk_addr_generic) on the guest_mmu, arch/x86/kvm/mmu/
 * paging_tmpl.h), reading the PDPTE with nested_svm_get_tdp_pdptr().
 * @c->arg: the bits.
 */
static void npf_pdpte_reserved(struct outcome *o, const struct pae_l1_case *c)
{
	const uint64_t bits = c->arg;
	const uint64_t l2_gpa = 3 * GB + 0x2000;
	struct pae_l1 *l1;
	uint64_t ncr3, *pdpte;
	const char *not_run;

	/*
	 * 6.12 and 7.3 check nothing there and WARN in FNAME(fetch) (a WARN
	 * is a crash with panic_on_warn, and fails this whole program in the
	 * runner): not run where that is known.
	 */
	not_run = known_defect_not_run(DEFECT_NESTED_PAE_NCR3_PDPTE_RESERVED_BITS);
	if (not_run) {
		snprintf(o->why, sizeof(o->why), "%s", not_run);
		o->v = V_XFAIL;
		return;
	}
	l1 = new_l1();
	ncr3 = npt_with_code(l1, 0);

	pnpt_map(l1->pvm, ncr3, l2_gpa, data_page(l1, 0x5e5e), PNPT_LEVEL_4K, PNPT_RW);
	pdpte = pnpt_entry(l1->pvm, ncr3, l2_gpa, PNPT_LEVEL_PDPTE, false);
	TEST_ASSERT(*pdpte & PNPT_PDPTE_P, "NPT PDPTE 3 should be present");
	*pdpte |= bits;
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, l2_gpa + 0x40);
	expect_npf(PFERR_PRESENT_MASK | PFERR_RSVD_MASK | PFERR_USER_MASK | PFERR_GUEST_FINAL_MASK,
		   l2_gpa + 0x40);
	pae_l1_vmrun_and_judge(l1, SVM_EXIT_NPF, o);
}

/*
 * A reserved bit (62, above MAXPHYADDR and not XD) in a present NPT PDE or
 * PTE of a PAE nCR3: #NPF with P and RSV at the point of use (APM
 * 15.25.10 and 15.25.6; SDM Tables 4-9 to 4-11 for the PAE formats).
 * KVM checks these in FNAME(walk_addr_generic) (is_rsvd_bits_set(), with
 * the masks of __reset_rsvds_bits_mask() for L1's PAE NPT).  @c->arg: the
 * level of the entry.
 */
static void npf_reserved_bit_at(struct outcome *o, const struct pae_l1_case *c)
{
	const int level = c->arg;
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = npt_with_code(l1, 0);
	const uint64_t l2_gpa = 2 * GB + 0x4000;
	uint64_t *e;

	pnpt_map(l1->pvm, ncr3, l2_gpa, data_page(l1, 0x5e5f), PNPT_LEVEL_4K, PNPT_RW);
	e = pnpt_entry(l1->pvm, ncr3, l2_gpa, level, false);
	TEST_ASSERT(*e & GP_P, "%s: the NPT entry should be present", pae_case_name);
	*e |= 1ull << 62;
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, l2_gpa + 0x40);
	expect_npf(PFERR_PRESENT_MASK | PFERR_RSVD_MASK | PFERR_USER_MASK | PFERR_GUEST_FINAL_MASK,
		   l2_gpa + 0x40);
	pae_l1_vmrun_and_judge(l1, SVM_EXIT_NPF, o);
}

/*
 * L2 fetches its code through an NPT leaf with XD (bit 63) set.  Nested
 * walks use L1's paging format and EFER.NXE (APM 15.25.5; KVM computes
 * the shadow NPT's cpu_role from vmcb01's EFER, nested_svm_init_mmu_context()
 * -> kvm_init_shadow_npt_mmu()).  With L1's EFER.NXE=1 the fetch is
 * #VMEXIT(NPF) P, ID, U, final translation; with NXE=0 bit 63 is reserved
 * in PAE entries (SDM Table 4-10 note; APM Figure 5-18): P, RSV, U and no
 * ID, which a #PF error code has only with NX or SMEP on (SDM 4.7;
 * paging_tmpl.h FNAME(walk_addr_generic) likewise).  EXITINFO2 is L2's
 * RIP, a GPA as L2 runs without paging.  @c->flag: L1 has EFER.NXE.
 */
static void npf_fetch_from_xd_leaf(struct outcome *o, const struct pae_l1_case *c)
{
	const bool l1_nxe = c->flag;
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = pnpt_create(l1->pvm, 0);

	pnpt_map(l1->pvm, ncr3, PAE_L1_L2_CODE_GPA, l1->l2_code_gpa, PNPT_LEVEL_4K,
		 PNPT_RW | GP_NX);
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, PAE_L1_L2_CODE_GPA);
	/* A PAE paging VM starts with EFER.NXE if the CPU has NX (guest_paging.c). */
	if (l1_nxe) {
		gstep_phase(l1->pvm, "L1 sets EFER.NXE");
		gstep_efer(l1->pvm, EFER_NX, 0);
		expect_npf(PFERR_PRESENT_MASK | PFERR_FETCH_MASK | PFERR_USER_MASK |
			   PFERR_GUEST_FINAL_MASK, PAE_L1_L2_CODE_GPA);
	} else {
		gstep_phase(l1->pvm, "L1 clears EFER.NXE");
		gstep_efer(l1->pvm, 0, EFER_NX);
		expect_npf(PFERR_PRESENT_MASK | PFERR_RSVD_MASK | PFERR_USER_MASK |
			   PFERR_GUEST_FINAL_MASK, PAE_L1_L2_CODE_GPA);
	}
	pae_l1_vmrun_and_judge(l1, SVM_EXIT_NPF, o);
}

static const struct pae_l1_case cases[] = {
	/* A not-present NPT PTE under a present PDE: NPF, P=0, U, final. */
	{ "npf_pte_not_present", pae_l1_access_case, true, .access = &(const struct pae_l1_access){
	  .l2_gpa = 1 * GB + 0x9000, .rights = PNPT_RW, .tag = 1, .map_next = true, .off = 0x18,
	  .exit = SVM_EXIT_NPF, .info1 = PFERR_USER_MASK | PFERR_GUEST_FINAL_MASK } },
	/* A write through a read-only NPT leaf: NPF, P, W, U, final. */
	{ "npf_write_read_only", pae_l1_access_case, true, .access = &(const struct pae_l1_access){
	  .l2_gpa = 1 * GB + 0xb000, .rights = PNPT_RO, .tag = 0x5eed, .off = 4, .val = 0xbad,
	  .write = true, .exit = SVM_EXIT_NPF,
	  .info1 = PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK |
		   PFERR_GUEST_FINAL_MASK } },
	{ "npf_pdpte_not_present", case_npf_pdpte_not_present, true },
	/* Bit 62: above MAXPHYADDR and not XD. */
	{ "npf_pdpte_reserved_bit", npf_pdpte_reserved, true, .arg = 1ull << 62 },
	/*
	 * PS (bit 7, itself reserved in a PDPTE) and bit 62: a walker that
	 * picks its reserved-bit mask by bit 7, as KVM's is_rsvd_bits_set()
	 * does, needs a mask for PS=1 at the PDPTE level too.
	 */
	{ "npf_pdpte_reserved_bit_ps", npf_pdpte_reserved, true, .arg = GP_PS | 1ull << 62 },
	{ "npf_pde_reserved_bit", npf_reserved_bit_at, true, .arg = PNPT_LEVEL_2M },
	{ "npf_pte_reserved_bit", npf_reserved_bit_at, true, .arg = PNPT_LEVEL_4K },
	{ "npf_fetch_from_xd_leaf", npf_fetch_from_xd_leaf, true, .flag = true },
	{ "npf_xd_bit_reserved_without_nxe", npf_fetch_from_xd_leaf, true, .flag = false },
};

int main(int argc, char *argv[])
{
	return pae_l1_cases_main(cases, ARRAY_SIZE(cases));
}
