// SPDX-License-Identifier: GPL-2.0
/*
 * nested_npt_emulated_io_test: L2's string I/O, which KVM emulates, goes
 * through L2's page tables and a 64-bit L1's NPT as the CPU's accesses do
 * (the scene: include/x86_64/nnpt_cases.h).
 *
 * L2's OUTSB and INSB on a port L1's IOPM leaves clear (AMD APM vol. 2,
 * 15.10.1) are not L1's: nested_svm_intercept_ioio() (svm/nested.c) reads
 * that bit and leaves the exit to L0, whose io_interception() (svm.c)
 * emulates string I/O (kvm_emulate_instruction()).  The emulator fetches
 * the instruction and reads or writes its memory operand through
 * vcpu->arch.walk_mmu, which is vcpu->arch.nested_mmu while L2 runs with
 * nested paging (nested_svm_init_mmu_context()): L2's linear address goes
 * through L2's page tables with the walker init_kvm_nested_mmu() (mmu.c)
 * picked for L2's CR0/CR4/EFER (nonpaging, paging32, or paging64 for PAE
 * and IA-32e), and every L2 GPA on the way, the tables' and the final one,
 * through L1's NPT (kvm_translate_gpa() -> translate_nested_gpa(), x86.c).
 * The CPU's walk, checked by the other nested_npt tests, never sees these
 * accesses.
 *
 * - In 64-bit, paging-off, 2-level and PAE L2, through 4 KiB NPT leaves:
 *   OUTSB hands the host (KVM_EXIT_IO on NNPT_EMU_PORT, not the ucall
 *   port) the byte the host put in the window page L2's address maps to,
 *   INSB stores the byte the host supplies there (the rest of its 8-byte
 *   word unchanged); every such exit must be the one L1 announced.
 * - An OUTSB from an L2 GPA whose NPT leaf is not present is #VMEXIT(NPF)
 *   for L1, as if the CPU had made the access (APM 15.25.6): bit 32, error
 *   code U, EXITINFO2 the L2 GPA, and no I/O; one whose operand needs an
 *   L2 page table the NPT does not map, an NPF with bit 33 at the entry.
 *   Where 6.12 and 7.3 deviate (npf_emu_outsb(), case_npf_emu_page_walk())
 *   the case is XFAIL, a known KVM defect.  Under QEMU TCG a PAE L2's
 *   emulated accesses take a #PF (QEMU sets reserved bit 5 in the PDPTE,
 *   KVM's load_pdptrs() refuses it): XFAIL there, with the PDPTE
 *   (pae_pdpte_gap()).
 *
 * With npt=0 (the shadow configuration) every case reports SKIP.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "known_defects.h"
#include "nested_npt.h"
#include "nnpt_cases.h"

/* L1 intercepts I/O with an IOPM that has every port's bit set but NNPT_EMU_PORT's. */
static void intercept_io_but_emu_port(void)
{
	struct vmcb_control_area *ctl = &nnpt_svm->vmcb->control;

	ctl->intercept |= BIT_ULL(INTERCEPT_IOIO_PROT);
	ctl->iopm_base_pa = nnpt_args.iopm_gpa;
}

/*
 * QEMU 7.2 TCG's walker sets bit 5 (A) in the PAE PDPTEs it uses
 * (docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md): fetching L2's
 * OUTSB or INSB before the I/O intercept sets it in PDPTE 0.  KVM's
 * emulator then reloads L2's PDPTEs for its own walk (kvm_pdptr_read() ->
 * svm_cache_reg() -> load_pdptrs(), x86.c, which refuses a present PDPTE
 * with a reserved bit and keeps the old ones), and its instruction fetch
 * takes a #PF that L1 intercepts.  No CPU sets that bit.  Where the runner
 * says the CPU is QEMU's (emulator_sets_pdpte_bit5()), L1 clears the bit
 * before each PAE run, and that #PF with the bit set again is reported as
 * XFAIL, with the PDPTE.
 */
static bool pae_pdpte_gap(enum nnpt_emu_l2 m, uint64_t exit)
{
	uint64_t pdpte = READ_ONCE(*(uint64_t *)nnpt_l2_32.l2.pdpt_gva);

	if (m != NNPT_EMU_L2_32_PAE || !nnpt_args.pdpte_gap ||
	    exit != SVM_EXIT_EXCP_BASE + PF_VECTOR || !(pdpte & PDPTE_BIT5))
		return false;
	nnpt_cur->emulator_gap = true;
	nnpt_cur->gap_pdpte = pdpte;
	return true;
}

/* L2 in @m does @op (OUTSB, INSB, or OUT in 32-bit modes) at @addr, on NNPT_EMU_PORT. */
static uint64_t emu_run(enum nnpt_emu_l2 m, enum nnpt_l2_32_op op, uint64_t addr)
{
	static const enum nnpt_l2_32_mode mode32[] = {
		[NNPT_EMU_L2_32_NO_PAGING] = NNPT_L2_32_NO_PAGING,
		[NNPT_EMU_L2_32_2LEVEL] = NNPT_L2_32_2LEVEL,
		[NNPT_EMU_L2_32_PAE] = NNPT_L2_32_PAE,
	};

	if (m == NNPT_EMU_L2_32_PAE)
		nnpt_l2_32_clear_pdpte_gap();
	if (m == NNPT_EMU_L2_64)
		return nnpt_run(nnpt_svm, op == NNPT_L2_32_OUTSB ? nnpt_l2_outsb : nnpt_l2_insb,
				addr, NNPT_EMU_PORT, TLB_CONTROL_DO_NOTHING);
	/*
	 * Every 32-bit run flushes the ASID: L2's address spaces in the three
	 * modes share ASID 1, whose TLB entries survive world switches.
	 */
	return nnpt_run_32_op(nnpt_svm, &nnpt_l2_32.l2, mode32[m], op, addr, NNPT_EMU_PORT,
			      TLB_CONTROL_FLUSH_ALL_ASID);
}

#define INSB_WORD_MSG							\
	"D1's word after L2's INSB: the host's byte at NNPT_OFF_INS, nothing else"

/*
 * L2 in c->mode: OUTSB of D0's NNPT_EMU_TAG through c->va (NNPT_PG_DATA),
 * checked by the host on the KVM_EXIT_IO; INSB of a byte the host supplies
 * through c->va2 (NNPT_PG_STORE), checked here in D1.  Both window pages
 * are 4 KiB NPT leaves.
 */
static void case_emu_outsb_insb(const struct nnpt_case *c)
{
	uint64_t *word = (uint64_t *)(nnpt_args.data_gva[1] + (NNPT_OFF_INS & ~7));
	uint8_t in = 0x50 + c->mode;
	uint64_t exit;

	intercept_io_but_emu_port();
	GUEST_SYNC_ARGS(NNPT_SYNC_EMU, NNPT_EMU_OUT, 0, 0, 0);
	exit = emu_run(c->mode, NNPT_L2_32_OUTSB, c->va + NNPT_OFF_OUTS);
	if (pae_pdpte_gap(c->mode, exit)) {
		/* No I/O came; the host must not wait for it. */
		GUEST_SYNC_ARGS(NNPT_SYNC_EMU, NNPT_EMU_NONE, 0, 0, 0);
		return;
	}
	if (!NNPT_EXPECT("L2 OUTSB (emulated): #VMEXIT code (VMMCALL after it)", exit,
			 SVM_EXIT_VMMCALL))
		return;
	WRITE_ONCE(*word, 0);
	GUEST_SYNC_ARGS(NNPT_SYNC_EMU, NNPT_EMU_IN, in, 0, 0);
	exit = emu_run(c->mode, NNPT_L2_32_INSB, c->va2 + NNPT_OFF_INS);
	if (NNPT_EXPECT("L2 INSB (emulated): #VMEXIT code (VMMCALL after it)", exit,
			SVM_EXIT_VMMCALL))
		NNPT_EXPECT(INSB_WORD_MSG,
			    READ_ONCE(*word), (uint64_t)in << (8 * (NNPT_OFF_INS & 7)));
}

/*
 * A PAE L2 on nested paging stops at a plain OUT of D0's NNPT_EMU_TAG
 * through c->va, which KVM passes to the host without emulating
 * anything (io_interception() -> kvm_fast_pio(), svm.c).  There the host
 * writes back KVM_GET_SREGS2's state, PDPTEs included (.set_sregs2: a VMM
 * restoring a vCPU stopped in L2), and checks L2's translations with
 * KVM_TRANSLATE; L2 then goes on to its VMMCALL.
 */
static void case_set_sregs2_at_io_exit(const struct nnpt_case *c)
{
	uint64_t exit;

	intercept_io_but_emu_port();
	GUEST_SYNC_ARGS(NNPT_SYNC_EMU, NNPT_EMU_OUT, 0, 0, 0);
	exit = emu_run(NNPT_EMU_L2_32_PAE, NNPT_L2_32_OUT, c->va + NNPT_OFF_OUTS);
	NNPT_EXPECT("L2 OUT: #VMEXIT code (VMMCALL after it)", exit, SVM_EXIT_VMMCALL);
}

/* A known KVM defect, with the EXITINFOs it showed, for the host to print. */
static void xfail(enum known_defect d, struct nnpt_npf f, uint64_t want)
{
	nnpt_cur->seen = f.gpa;
	nnpt_cur->want = want;
	nnpt_cur->xfail_info1 = f.info1;
	nnpt_cur->xfail = 1 + d;
}

/*
 * An emulated OUTSB from NNPT_PG_ABSENT, whose NPT leaf is not present, in
 * L2 mode @m: the emulator's read fails in L1's NPT, which is
 * #VMEXIT(NPF) for L1 as if the CPU had made the access (APM 15.25.6):
 * EXITINFO2 the L2 GPA of the access, EXITINFO1 bit 32 (final
 * translation) and the error code of a not-present user read (U; nested
 * walks are user accesses), and no I/O.  KVM hands the walk's fault to
 * nested_svm_inject_npf_exit() (svm/nested.c), which, as the exit it is
 * handling is IOIO and not NPF, makes EXITINFO1 = bit 32 | the error code
 * and EXITINFO2 = fault->address.  That address is what
 * FNAME(walk_addr_generic) (paging_tmpl.h) gave translate_nested_gpa():
 * gfn_to_gpa(gfn), the page of the final GPA, without the offset.  The
 * APM's EXITINFO2 is the faulting address, as for the CPU's NPFs (checked
 * with an offset by nested_npt_npf_test's npf_not_present_pte_read); the
 * page-aligned one is a KVM deviation, reported as XFAIL, any other value
 * fails.
 */
static bool npf_emu_outsb(enum nnpt_emu_l2 m, uint64_t absent)
{
	uint64_t gpa = NNPT_WIN_PAGE(NNPT_PG_ABSENT) + NNPT_OFF_OUTS;
	uint64_t exit = emu_run(m, NNPT_L2_32_OUTSB, absent + NNPT_OFF_OUTS);
	struct nnpt_npf f = nnpt_npf(nnpt_svm);

	if (pae_pdpte_gap(m, exit))
		return true;
	if (!NNPT_EXPECT("emulated OUTSB from an L2 GPA without NPT leaf: #VMEXIT code (NPF)",
			 exit, SVM_EXIT_NPF) ||
	    !NNPT_EXPECT("EXITINFO1[33:32] (final translation, not a guest page-table walk)",
			 f.info1 & NPF_WHERE, PFERR_GUEST_FINAL_MASK) ||
	    !NNPT_EXPECT("EXITINFO1[31:0] (error code: U, a not-present read)",
			 f.info1 & NPF_ERROR_CODE, PFERR_USER_MASK) ||
	    !NNPT_EXPECT("EXITINFO2 page (the L2 GPA of the OUTSB's operand)",
			 f.gpa & ~(PAGE_SIZE - 1), NNPT_WIN_PAGE(NNPT_PG_ABSENT)))
		return false;
	if (f.gpa == gpa)
		return true;
	if (f.gpa == NNPT_WIN_PAGE(NNPT_PG_ABSENT)) {
		xfail(DEFECT_NESTED_EMULATED_NPF_EXITINFO2, f, gpa);
		return true;
	}
	return NNPT_EXPECT("EXITINFO2 (the L2 GPA of the OUTSB's operand)", f.gpa, gpa);
}

/* npf_emu_outsb() in every L2 mode, until one fails. */
static void case_npf_emu(const struct nnpt_case *c)
{
	intercept_io_but_emu_port();
	(void)(npf_emu_outsb(NNPT_EMU_L2_64, NNPT_VA(NNPT_PG_ABSENT)) &&
	       npf_emu_outsb(NNPT_EMU_L2_32_NO_PAGING, NNPT_WIN_PAGE(NNPT_PG_ABSENT)) &&
	       npf_emu_outsb(NNPT_EMU_L2_32_2LEVEL, NNPT_L2_32_VA_ABSENT) &&
	       npf_emu_outsb(NNPT_EMU_L2_32_PAE, NNPT_L2_32_VA_ABSENT));
}

/*
 * An emulated OUTSB whose operand needs an L2 page table that L1's NPT
 * does not map (NNPT_WALK, as nested_npt_npf_test's
 * npf_on_guest_page_table_walk for the CPU's own walk): #VMEXIT(NPF) with
 * EXITINFO1 bit 33 (an access of L2's page walk), not bit 32, P=0 and U,
 * and EXITINFO2 the L2 GPA of the access, i.e. of the entry that table has
 * for the operand (APM 15.25.6).  The operand is on window page
 * NNPT_PG_STORE, whose entry is not at offset 0.  6.12 reports bit 32:
 * FNAME(walk_addr_generic) passes PFERR_GUEST_PAGE_MASK to
 * kvm_translate_gpa(), but struct x86_exception keeps a 16-bit error code
 * and nested_svm_inject_npf_exit() sets bit 32 for every NPF it makes up
 * (its TODO, and the FIXME after that call in paging_tmpl.h).  6.12 and
 * 7.3 report the table's page as EXITINFO2: the walk translates
 * gfn_to_gpa(table_gfn), not the entry's address.  Those exact deviations
 * are XFAIL; anything else fails.
 */
static void case_npf_emu_page_walk(const struct nnpt_case *c)
{
	const uint64_t va = NNPT_VA(NNPT_PG_STORE) + NNPT_OFF_OUTS;
	const uint64_t pt_gpa = nnpt_args.l1_pt_gpa;
	const uint64_t pte_gpa = pt_gpa + ((va >> PAGE_SHIFT) & 511) * 8;
	struct nnpt_npf f;
	uint64_t exit;

	intercept_io_but_emu_port();
	nnpt_set_ncr3(nnpt_svm, nnpt_args.ncr3[NNPT_WALK]);
	exit = emu_run(NNPT_EMU_L2_64, NNPT_L2_32_OUTSB, va);
	f = nnpt_npf(nnpt_svm);
	nnpt_set_ncr3(nnpt_svm, nnpt_ncr3_a());
	if (!NNPT_EXPECT("emulated OUTSB, L2's page table not in the NPT: #VMEXIT code (NPF)",
			 exit, SVM_EXIT_NPF) ||
	    !NNPT_EXPECT("EXITINFO2 page (L1's page table for the VA)", f.gpa & ~(PAGE_SIZE - 1),
			 pt_gpa) ||
	    !NNPT_EXPECT("EXITINFO1 P, U, RSV, ID (not present, user)",
			 f.info1 & (PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_RSVD_MASK |
				    PFERR_FETCH_MASK), PFERR_USER_MASK))
		return;
	if ((f.info1 & NPF_WHERE) == PFERR_GUEST_FINAL_MASK) {
		xfail(DEFECT_NESTED_EMULATED_NPF_WALK_BIT, f, f.gpa);
		return;
	}
	if (!NNPT_EXPECT("EXITINFO1[33:32] (an access of L2's page walk)",
			 f.info1 & NPF_WHERE, PFERR_GUEST_PAGE_MASK))
		return;
	if (f.gpa == pt_gpa && pte_gpa != pt_gpa) {
		xfail(DEFECT_NESTED_EMULATED_NPF_EXITINFO2, f, pte_gpa);
		return;
	}
	NNPT_EXPECT("EXITINFO2 (the entry of L1's page table for the operand)", f.gpa, pte_gpa);
}

static const struct nnpt_case cases[] = {
	{ "l2_64bit_emulated_outsb_insb_through_npt", case_emu_outsb_insb, true,
	  .mode = NNPT_EMU_L2_64, .va = NNPT_VA(NNPT_PG_DATA), .va2 = NNPT_VA(NNPT_PG_STORE) },
	/* Paging off: nonpaging_gva_to_gpa(), the L2 GPA itself goes to the NPT. */
	{ "l2_32bit_no_paging_emulated_outsb_insb_through_npt", case_emu_outsb_insb, true,
	  .mode = NNPT_EMU_L2_32_NO_PAGING, .va = NNPT_WIN_PAGE(NNPT_PG_DATA),
	  .va2 = NNPT_WIN_PAGE(NNPT_PG_STORE) },
	/* 2-level paging: paging32_gva_to_gpa(), 4-byte entries. */
	{ "l2_32bit_2level_emulated_outsb_insb_through_npt", case_emu_outsb_insb, true,
	  .mode = NNPT_EMU_L2_32_2LEVEL, .va = NNPT_L2_32_VA_DATA, .va2 = NNPT_L2_32_VA_STORE },
	/* PAE paging: paging64_gva_to_gpa() from the PDPTEs (kvm_pdptr_read()). */
	{ "l2_32bit_pae_emulated_outsb_insb_through_npt", case_emu_outsb_insb, true,
	  .mode = NNPT_EMU_L2_32_PAE, .va = NNPT_L2_32_VA_DATA, .va2 = NNPT_L2_32_VA_STORE },
	{ "l2_32bit_pae_set_sregs2_at_io_exit_keeps_translations", case_set_sregs2_at_io_exit,
	  true, .va = NNPT_L2_32_VA_DATA, .set_sregs2 = true },
	{ "npf_emulated_outsb_not_present_npt_leaf", case_npf_emu, true },
	{ "npf_emulated_outsb_on_l2_page_walk", case_npf_emu_page_walk, true },
};

int main(int argc, char *argv[])
{
	nnpt_cases_main(cases, ARRAY_SIZE(cases), NNPT_CHECK_ROLES | NNPT_CHECK_TEARDOWN);
}
