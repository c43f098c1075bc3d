// SPDX-License-Identifier: GPL-2.0
/*
 * nested_pae_l1_test: a 32-bit PAE L1 runs L2, with and without nested
 * paging, and KVM shadows L1's PAE-format NPT.  This program: L2's reads
 * and writes, the NPT's A/D bits, L1 changing its NPT between VMRUNs,
 * and the return to L1; its NPFs are nested_pae_npf_test, L2 with paging
 * on nested_pae_l2_paging_test, KVM's shadow pages of the PAE NPT
 * nested_pae_shadow_npt_test (the cases: include/x86_64/pae_l1_cases.h).
 *
 * L1 is the guest step engine in legacy PAE paging (include/x86_64/
 * nested_pae.h): it sets EFER.SVME and executes VMRUN; the VMCB, L2's code
 * and the NPT tables are in its memory.  An L1 in legacy PAE mode has
 * nested tables in its own paging format (AMD APM vol. 2, 15.25.5): nCR3
 * points to a PDPT of 4 entries, then PAE page directories and tables.
 * KVM shadows them with kvm_init_shadow_npt_mmu() (arch/x86/kvm/mmu/
 * mmu.c): the root is built at KVM's TDP level (4 or 5) over L1's 3-level
 * table, through the special pml4_root/pae_root (mmu_alloc_shadow_roots(),
 * mmu_alloc_special_roots()), and L1's NPT PDPTEs are read from memory at
 * nCR3 (nested_svm_get_tdp_pdptr(), svm/nested.c).
 *
 * L2 runs 32-bit code, with paging off (each L2 access is to a final
 * guest-physical address) or with paging on tables that the NPT maps, in
 * each of L2's paging modes: 2-level (also a 4 MiB PSE page), PAE, and
 * IA-32e in compatibility mode (l2_paging()).  What any correct KVM must
 * give:
 *
 * - Without nested paging, L2 reads L1 memory at L2 GPA == L1 GPA and its
 *   VMMCALL exits to L1 with L2's EAX in the VMCB (APM 15.5, 15.6).
 * - With nested paging, L2 reads and writes the L1 page its L2 GPA maps to
 *   through 4 KiB and 2 MiB PAE NPT leaves in any of the 4 PDPTE ranges.
 * - An access L1's NPT does not allow is #VMEXIT(NPF) (APM 15.25.6):
 *   EXITINFO2 = the L2 GPA; EXITINFO1 bits 31:0 a #PF error code (P iff
 *   the entry was present, W for a write, U always: nested walks are user
 *   accesses), bit 32 (final translation; L2 has no page tables).  A
 *   not-present NPT PDPTE is such a fault, found on use like at the other
 *   levels (KVM: FNAME(walk_addr_generic) in mmu/paging_tmpl.h reads it
 *   through mmu->get_pdptr()).  A fault on an access of L2's own page
 *   walk has bit 33 instead of 32, in every L2 paging mode.  A fetch
 *   through an NPT leaf with XD (bit 63) is P, ID, U when L1 has
 *   EFER.NXE, and a reserved-bit fault (P, RSV, U) when it has not.
 * - With L2's paging on, L2 reads through its own 2-level, PAE or 4-level
 *   tables; L1's NPT keeps the PAE format whatever L2's mode (APM
 *   15.25.5; KVM: the guest_mmu from L1's state, the nested_mmu from
 *   L2's, init_kvm_nested_mmu() in mmu/mmu.c).
 * - nCR3 is a PAE CR3: PDPT address in bits 31:5, PWT/PCD in 4:3.
 * - kvmmmu: each page directory and page table of L1's NPT that L2 used
 *   has a shadow page (level 2 / level 1) with guest_mode=1 and 8-byte
 *   gptes, none above KVM's TDP level; teardown zaps them all.
 * - The #VMEXIT returns to L1, which reads EXITCODE and goes on; L1 can
 *   then rewrite its NPT (a PDPTE to another page directory, a PDPTE
 *   cleared) and nCR3 between VMRUNs, and L2 sees each change.
 *
 * The return to L1 fails under QEMU TCG with npt=1: QEMU's page walker
 * sets bit 5 (reserved) in L1's PDPTEs while L1 runs, and KVM's #VMEXIT
 * reloads and checks L1's PDPTEs (nested_svm_vmexit() ->
 * nested_svm_load_cr3() -> load_pdptrs(), arch/x86/kvm/regs.c) and
 * triple-faults L1, as a CPU would for a PAE host with a bad PDPTE.
 * vmexit_to_l1_after_cpu_walks shows it: its L2 part is still checked
 * (KVM writes the exit information into the VMCB before it reloads L1's
 * CR3), and when L1 dies that way on an emulated CPU it is reported XFAIL
 * with the PDPTE values as evidence (docs/defects/
 * qemu-tcg-pae-pdpte-accessed-bit.md); anywhere else an L1 that dies is a
 * failure.  The other cases work around it on an emulated CPU: L1 clears
 * bit 5 of its PDPTEs right before each VMRUN (GSTEP_VMRUN; a no-op on a
 * CPU), which usually lets them run to the end; if QEMU walks L1's tables
 * again in that window, the case takes the same XFAIL path, its L2 part
 * still checked.  pdptes_not_written_by_walks shows the bit without nesting: a PAE
 * guest's PDPTEs are never written by the CPU (SDM 4.4.1, 4.8; APM Figure
 * 5-10: bits 8:5 are reserved).
 *
 * With npt=0 (KVM offers L1 no NPT: svm_set_cpu_caps()) the nested paging
 * cases skip with that reason; the others run.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "kselftest.h"

#include "known_defects.h"
#include "emulator.h"
#include "pae_l1_cases.h"

/*
 * No nesting: a PAE guest reads through PDPTEs 1-3, then the host reads
 * them back.  The CPU never writes a PAE PDPTE (SDM 4.4.1: loaded into
 * the PDPTE registers; 4.8: A/D are set in the other levels only; APM
 * Figure 5-10 and 15.25.10 under nested paging: bits 8:5 reserved,
 * checked on use).  KVM does not either: its walker reads a PAE PDPTE
 * through mmu->get_pdptr() and updates A/D from level 2 down
 * (FNAME(update_accessed_dirty_bits)).  With TDP off the CPU walks KVM's
 * pae_root, not the guest's PDPT.
 */
static void case_pdptes_not_written_by_walks(struct outcome *o, const struct pae_l1_case *c)
{
	struct pae_l1 *l1 = pae_l1_create(pae_case_name);
	uint64_t before[4], after[4];
	int i, mismatches;

	for (i = 1; i < 4; i++)
		guest_as_map(l1->as, i * GB, data_page(l1, 0x7a900 + i), 1, GP_P | GP_RW);
	read_pdptes(l1, before);
	for (i = 1; i < 4; i++)
		gstep_load(l1->pvm, i * GB, 4, EXPECT_VALUE(0x7a900 + i));
	mismatches = paging_vm_run_steps(l1->pvm);
	read_pdptes(l1, after);
	o->v = V_PASS;
	if (mismatches) {
		snprintf(o->why, sizeof(o->why), "the guest's loads went wrong (%d mismatches)",
			 mismatches);
		o->v = V_FAIL;
	} else if (memcmp(before, after, sizeof(before))) {
		int n = snprintf(o->why, sizeof(o->why), "PDPTEs before/after the guest ran:");

		for (i = 0; i < 4; i++)
			n += snprintf(o->why + n, sizeof(o->why) - n, " 0x%lx/0x%lx",
				      before[i], after[i]);
		if (emulator_sets_pdpte_bit5(pae_cfg.tdp) &&
		    pdpte_gained_accessed_bit(l1, before)) {
			snprintf(o->why + n, sizeof(o->why) - n,
				 ": the emulated CPU's walk set reserved bit 5: %s",
				 known_defect(DEFECT_QEMU_TCG_PAE_PDPTE_ACCESSED_BIT));
			o->v = V_XFAIL;
		} else {
			o->v = V_FAIL;
		}
	}
	pae_l1_free(l1);
}

/*
 * No nested paging: L2's code runs at its L1 GPA and reads a tagged page
 * (@c->arg).  With @c->flag, without the emulator workaround: L1 runs as
 * it would on a CPU, and the #VMEXIT must return to it (APM 15.6).  Under
 * QEMU TCG with npt=1 it does not (XFAIL, see run_and_judge()).
 */
static void l2_without_np(struct outcome *o, const struct pae_l1_case *c)
{
	struct pae_l1 *l1 = c->flag ? pae_l1_create(pae_case_name) : new_l1();
	const uint32_t tag = c->arg;
	uint64_t data = data_page(l1, tag);

	pae_l1_l2_load(l1, data);
	l1->vmcb->save.rip = l1->l2_code_gpa;
	expect_vmmcall(tag);
	pae_l1_vmrun_and_judge(l1, SVM_EXIT_VMMCALL, o);
}

/*
 * A 2 MiB NPT leaf in PDPTE 2's range; the PDPT at offset 0x60 of its
 * page, and nCR3 with PWT and PCD set: a PAE CR3 is the PDPT's address in
 * bits 31:5, bits 4:3 are PWT/PCD (SDM Table 4-7; APM 5.3; nCR3 has the
 * host's CR3 format, APM 15.25.4).  KVM reads the PDPTEs at nCR3 bits
 * 11:5 of the page (nested_svm_get_tdp_pdptr(), svm/nested.c).
 */
static void case_np_read_2m(struct outcome *o, const struct pae_l1_case *c)
{
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = npt_with_code(l1, 0x60) | GP_PWT | GP_PCD;
	uint64_t big = paging_vm_alloc(l1->pvm, 1ull << 21, 1ull << 21);
	const uint64_t l2_gpa = 2 * GB + (6ull << 21);

	*(uint32_t *)paging_vm_hva(l1->pvm, big + 0x123458) = 0x2c0de02;
	pnpt_map(l1->pvm, ncr3, l2_gpa, big, PNPT_LEVEL_2M, PNPT_RW);
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, l2_gpa + 0x123458);
	expect_vmmcall(0x2c0de02);
	pae_l1_vmrun_and_judge(l1, SVM_EXIT_VMMCALL, o);
}

/*
 * Nested page tables have accessed and dirty bits: the walk sets A in
 * every entry it uses and a write sets D in the leaf (APM 15.25.7); for
 * a PAE nCR3, KVM's walk of L1's NPT does it
 * (FNAME(update_accessed_dirty_bits), paging_tmpl.h).  L2 reads or writes
 * one page whose NPT entries start with A and D clear.
 */
static uint64_t *ad_pte, *ad_pde;
static bool ad_write;

static bool check_accessed_dirty(struct pae_l1 *l1, char *why, size_t len)
{
	uint64_t want = ad_write ? GP_A | GP_D : GP_A;

	if (!check_vmcb(l1, why, len))
		return false;
	if ((*ad_pte & (GP_A | GP_D)) == want && (*ad_pde & GP_A))
		return true;
	snprintf(why, len, "NPT entries after L2's %s: leaf 0x%lx (want A%s), PDE 0x%lx (want A)",
		 ad_write ? "write" : "read", *ad_pte, ad_write ? " and D" : ", not D", *ad_pde);
	return false;
}

/* @c->flag: L2 writes (else reads). */
static void npt_accessed_dirty(struct outcome *o, const struct pae_l1_case *c)
{
	const bool write = c->flag;
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = npt_with_code(l1, 0);
	const uint64_t l2_gpa = 2 * GB + 0x8000;
	uint64_t page = data_page(l1, 0xad0dad0d);

	pnpt_map(l1->pvm, ncr3, l2_gpa, page, PNPT_LEVEL_4K, write ? PNPT_RW : PNPT_RO);
	ad_pte = pnpt_entry(l1->pvm, ncr3, l2_gpa, PNPT_LEVEL_4K, false);
	ad_pde = pnpt_entry(l1->pvm, ncr3, l2_gpa, PNPT_LEVEL_2M, false);
	ad_write = write;
	TEST_ASSERT(!((*ad_pte | *ad_pde) & (GP_A | GP_D)),
		    "the NPT entries should start with A and D clear");
	pae_l1_set_ncr3(l1, ncr3);
	if (write) {
		pae_l1_l2_store(l1, l2_gpa + 8, 0x5707e);
		expect_vmmcall(0);
		l2_exp.mem_gpa = page + 8;
		l2_exp.mem = 0x5707e;
	} else {
		pae_l1_l2_load(l1, l2_gpa);
		expect_vmmcall(0xad0dad0d);
	}
	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	run_and_judge(l1, check_accessed_dirty, o);
	pae_l1_free(l1);
}

/*
 * L1 changes its NPT and nCR3 between VMRUNs, itself: stores through an
 * identity mapping of its NPT pages and of the VMCB, every VMRUN with
 * TLB_CONTROL = 1 (flush the ASID, APM 15.16.1), L1 reading the results
 * from the VMCB after each:
 *   run 1: L2 GPA X via NPT PDPTE 1 -> page A         EAX = tag A
 *   L1 points PDPTE 1 at another page directory (-> page B)
 *   run 2:                                             EAX = tag B
 *   L1 clears PDPTE 1
 *   run 3: #VMEXIT(NPF), EXITINFO1 U|final, EXITINFO2 X (not present)
 *   L1 writes nCR3 = a second NPT (X -> page C)
 *   run 4:                                             EAX = tag C
 * KVM keeps no shadow page for the PDPT at nCR3: a PAE NPT's root is
 * the special pml4_root/pae_root, filled from nested_svm_get_tdp_pdptr()
 * reads; fast_pgd_switch() frees such a root on each nested VMRUN's
 * kvm_mmu_new_pgd() rather than reuse it ("to avoid having to deal with
 * PDPTEs").  A series that turns the PAE root into a reusable shadow page
 * (shared/seed) must still see L1's new PDPTEs here.
 */
static void case_l1_changes_npt_between_vmruns(struct outcome *o, const struct pae_l1_case *c)
{
	struct pae_l1 *l1 = new_l1();
	struct paging_vm *pvm = l1->pvm;
	uint64_t ncr3_a = npt_with_code(l1, 0), ncr3_b = npt_with_code(l1, 0x20);
	uint64_t ncr3_c = npt_with_code(l1, 0x40);
	const uint64_t x = 1 * GB + 0x4000;
	uint64_t pdpte_b, vmcb = l1->vmcb_gpa;

	pnpt_map(pvm, ncr3_a, x, data_page(l1, 0xa1), PNPT_LEVEL_4K, PNPT_RW);
	/* NPT B only provides a page directory that maps X to page B. */
	pnpt_map(pvm, ncr3_b, x, data_page(l1, 0xb2), PNPT_LEVEL_4K, PNPT_RW);
	pdpte_b = *pnpt_entry(pvm, ncr3_b, x, PNPT_LEVEL_PDPTE, false);
	pnpt_map(pvm, ncr3_c, x, data_page(l1, 0xc3), PNPT_LEVEL_4K, PNPT_RW);
	identity_map_l1(l1, ncr3_a);
	pae_l1_set_ncr3(l1, ncr3_a);
	pae_l1_l2_load(l1, x);

	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	gstep_load(pvm, vmcb + offsetof(struct vmcb, save.rax), 4, EXPECT_VALUE(0xa1));
	gstep_phase(pvm, "L1 points NPT PDPTE 1 at another PD");
	gstep_store(pvm, ncr3_a + 8, 8, pdpte_b, EXPECT_OK());
	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	gstep_load(pvm, vmcb + offsetof(struct vmcb, save.rax), 4, EXPECT_VALUE(0xb2));
	gstep_phase(pvm, "L1 clears NPT PDPTE 1");
	gstep_store(pvm, ncr3_a + 8, 8, 0, EXPECT_OK());
	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_NPF));
	gstep_load(pvm, vmcb + offsetof(struct vmcb, control.exit_info_1), 8,
		   EXPECT_VALUE(PFERR_USER_MASK | PFERR_GUEST_FINAL_MASK));
	gstep_load(pvm, vmcb + offsetof(struct vmcb, control.exit_info_2), 8, EXPECT_VALUE(x));
	gstep_phase(pvm, "L1 switches nCR3");
	gstep_store(pvm, vmcb + offsetof(struct vmcb, control.nested_cr3), 8, ncr3_c,
		    EXPECT_OK());
	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	gstep_load(pvm, vmcb + offsetof(struct vmcb, save.rax), 4, EXPECT_VALUE(0xc3));
	expect_vmmcall(0xc3);
	run_and_judge(l1, check_vmcb, o);
	pae_l1_free(l1);
}

/*
 * L1 changes the frame of a 4 KiB leaf of its PAE NPT and runs L2 first
 * without the flush it owes, then with it, as nested_npt_flush_test's
 * *_without_then_with_flush cases do for a 64-bit L1: without the flush
 * L2 may read the old page or the new one (APM 15.16), after a VMRUN
 * with TLB_CONTROL 3, 7 or 1 only the new one.  L1's NPT page table has a
 * level-1 shadow page that L1's write lets go unsync
 * (mmu_try_to_unsync_pages()).  6.12 syncs it on every nested VMRUN
 * twice over: nested_svm_transition_tlb_flush() asks for it, and a PAE
 * L1's shadow NPT root is freed and rebuilt at each VMRUN
 * (fast_pgd_switch() keeps no special root), kvm_mmu_load() syncing the
 * roots it builds.  So on 6.12 the old page is never seen, and a KVM
 * that honours only some TLB_CONTROL values fails here only once it also
 * keeps PAE roots across VMRUNs, as the PAE-root series (shared/seed)
 * does: this case is for that combination.  The reads without the flush
 * are checked by the host from the engine's results.
 */
static const uint8_t owed_flushes[] = {
	TLB_CONTROL_FLUSH_ASID, TLB_CONTROL_FLUSH_ASID_LOCAL, TLB_CONTROL_FLUSH_ALL_ASID,
};

static int unflushed_load[ARRAY_SIZE(owed_flushes)];
static uint32_t unflushed_old[ARRAY_SIZE(owed_flushes)], unflushed_new[ARRAY_SIZE(owed_flushes)];

#define UNFLUSHED_FMT							\
	"leaf_frame_change_without_then_with_flush: without the flush L1 owed, L2 read the old page %u times, the new one %u times (both allowed)\n"

static bool check_unflushed_loads(struct pae_l1 *l1, char *why, size_t len)
{
	unsigned int i, stale = 0;

	for (i = 0; i < ARRAY_SIZE(owed_flushes); i++) {
		const struct gstep_result *r = paging_vm_result(l1->pvm, unflushed_load[i]);

		if (!r->done || r->vector != GSTEP_NO_FAULT ||
		    ((uint32_t)r->value != unflushed_old[i] &&
		     (uint32_t)r->value != unflushed_new[i])) {
			snprintf(why, len,
				 "L2 without the owed flush (round %u): EAX 0x%x, want the old page's 0x%x or the new one's 0x%x",
				 i, (uint32_t)r->value, unflushed_old[i], unflushed_new[i]);
			return false;
		}
		stale += (uint32_t)r->value == unflushed_old[i];
	}
	ksft_print_msg(UNFLUSHED_FMT, stale, (unsigned int)ARRAY_SIZE(owed_flushes) - stale);
	return check_vmcb(l1, why, len);
}

static void case_leaf_frame_change_owed_flush(struct outcome *o, const struct pae_l1_case *c)
{
	struct pae_l1 *l1 = new_l1();
	struct paging_vm *pvm = l1->pvm;
	uint64_t ncr3 = npt_with_code(l1, 0), rax = l1->vmcb_gpa + offsetof(struct vmcb, save.rax);
	const uint64_t x = 1 * GB + 0xd000;
	uint64_t page[2] = { data_page(l1, 0x1eaf0a), data_page(l1, 0x1eaf0b) };
	uint64_t pte_gpa;
	unsigned int i;

	pnpt_map(pvm, ncr3, x, page[0], PNPT_LEVEL_4K, PNPT_RW);
	pte_gpa = (*pnpt_entry(pvm, ncr3, x, PNPT_LEVEL_2M, false) & 0xffffffffff000ull) +
		  ((x >> 12) & 511) * 8;
	identity_map_l1(l1, pte_gpa);
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, x);
	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	gstep_load(pvm, rax, 4, EXPECT_VALUE(0x1eaf0a));
	for (i = 0; i < ARRAY_SIZE(owed_flushes); i++) {
		uint64_t old = page[i % 2], new = page[(i + 1) % 2];

		gstep_phase(pvm, "L1 changes the leaf's frame");
		gstep_store(pvm, pte_gpa, 8, new | PNPT_RW, EXPECT_OK());
		pae_l1_vmrun_tlb_ctl(l1, TLB_CONTROL_DO_NOTHING, EXPECT_VALUE(SVM_EXIT_VMMCALL));
		unflushed_old[i] = *(uint32_t *)paging_vm_hva(pvm, old);
		unflushed_new[i] = *(uint32_t *)paging_vm_hva(pvm, new);
		unflushed_load[i] = gstep_load(pvm, rax, 4, EXPECT_ANY());
		pae_l1_vmrun_tlb_ctl(l1, owed_flushes[i], EXPECT_VALUE(SVM_EXIT_VMMCALL));
		gstep_load(pvm, rax, 4, EXPECT_VALUE(unflushed_new[i]));
	}
	expect_vmmcall(unflushed_new[ARRAY_SIZE(owed_flushes) - 1]);
	run_and_judge(l1, check_unflushed_loads, o);
	pae_l1_free(l1);
}

static const struct pae_l1_case cases[] = {
	{ "pdptes_not_written_by_walks", case_pdptes_not_written_by_walks, false },
	{ "vmexit_to_l1_after_cpu_walks", l2_without_np, false, .arg = 0x12c0de02, .flag = true },
	{ "l2_without_np", l2_without_np, false, .arg = 0x12c0de01 },
	{ "np_read_4k", pae_l1_access_case, true, .access = &(const struct pae_l1_access){
	  .l2_gpa = 1 * GB + 0x5000, .rights = PNPT_RW, .off = 0x10, .val = 0x4c0de04,
	  .exit = SVM_EXIT_VMMCALL } },
	{ "np_read_2m_pdpt_offset", case_np_read_2m, true },
	{ "np_write_4k", pae_l1_access_case, true, .access = &(const struct pae_l1_access){
	  .l2_gpa = 3 * GB + 0x7000, .rights = PNPT_RW, .off = 0x20, .val = 0x3c0de03,
	  .write = true, .exit = SVM_EXIT_VMMCALL } },
	{ "npt_accessed_on_read", npt_accessed_dirty, true, .flag = false },
	{ "npt_dirty_on_write", npt_accessed_dirty, true, .flag = true },
	{ "l1_changes_npt_between_vmruns", case_l1_changes_npt_between_vmruns, true },
	{ "leaf_frame_change_without_then_with_flush", case_leaf_frame_change_owed_flush, true },
};

int main(int argc, char *argv[])
{
	return pae_l1_cases_main(cases, ARRAY_SIZE(cases));
}
