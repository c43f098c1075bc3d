// SPDX-License-Identifier: GPL-2.0
/*
 * pae_root_test: PAE and 2-level guests and KVM's PAE root.
 *
 * With TDP off, KVM runs a PAE guest on a special root, mmu->pae_root,
 * whose four entries point to shadow pages of the page directories the
 * guest's PDPTEs name (mmu_alloc_shadow_roots(), arch/x86/kvm/mmu/mmu.c),
 * and it emulates the PDPTE registers: load_pdptrs() (arch/x86/kvm/regs.c)
 * reads the four PDPTEs at every MOV CR3 (kvm_set_cr3(): "PDPTRs are
 * always reloaded for PAE paging") from CR3 bits 31:5, rejects present
 * PDPTEs with reserved bits with #GP, and nothing re-reads them until the
 * next load.  Patches that turn the PAE root into a regular shadow page
 * (the review in shared/seed) must keep all of that.
 *
 * Guest-visible checks, in every configuration (with the architecture's
 * rules for the one it is in):
 *   - SDM 4.4.1 and the seed review: a PDPTE with P=0 may hold any value
 *     in bits 63:1; MOV CR3 loads it without #GP, and an access through it
 *     is a #PF with P=0 (SDM 4.7).
 *   - SDM 4.4.1/Table 4-8: a present PDPTE with a reserved bit (2:1, 8:5,
 *     63:MAXPHYADDR) makes MOV CR3 #GP(0), and CR3 keeps its old value.
 *     AMD APM 15.25.10, under SVM with nested paging: PDPTEs are neither
 *     cached nor checked at MOV CR3 but on use, and a reserved bit is a
 *     #PF (RSVD) instead.  Which rule applies follows from the
 *     configuration: TDP off, KVM emulates the native (cached) behaviour.
 *   - The PDPTE registers are loaded at MOV CR3: a later write to the
 *     PDPT in memory changes nothing (not even after INVLPG, SDM 4.10.4.1)
 *     until the next MOV CR3; under SVM+NPT, the write is seen once the
 *     TLB entry is gone.  Also a MOV CR3 that KVM emulates (with
 *     kvm.force_emulation_prefix=1, as the runner loads KVM).
 *   - A PDPT at any 32-byte offset in its page (CR3 bits 11:5) is used.
 *   - TDP off: a PDPT in no memslot makes MOV CR3 #GP(0) (KVM's choice
 *     where the SDM leaves the value read to the platform).
 *   - KVM_SET_SREGS2 with KVM_SREGS2_FLAGS_PDPTRS_VALID sets the PDPTE
 *     registers themselves (kvm_vcpu_ioctl_x86_set_sregs2()); with TDP off
 *     the guest translates with them, not with the PDPT in memory.  It
 *     refuses an unknown flag, PDPTEs outside PAE paging and an invalid
 *     state, and changes nothing then; KVM_SET_SREGS refuses that state
 *     too.
 *
 * Shadow pages under the PAE root (TDP off, read back through kvmmmu
 * events): exactly one level-2 shadow page per distinct present PDPTE
 * target, with the role of a PAE page directory (8-byte gptes, quadrant
 * 0, not direct, not passthrough), none for a not-present PDPTE; and for
 * a 2-level guest, its one page directory shadowed four times, quadrants
 * 0-3, with 4-byte gptes (the quadrant loop of mmu_alloc_shadow_roots()).
 *
 * 2-level page tables (4-byte PTEs, 4 MiB each) are shadowed by two
 * PAE-format tables of 2 MiB, role.quadrant 0 and 1 from the low bit of
 * the parent SPTE's index (kvm_mmu_child_role(), mmu.c).  In every
 * configuration the first and last page of each half must map to their
 * own frames and a guest write of a PTE in either half be used after
 * INVLPG (SDM 4.3, 4.10.4.1); TDP off, exactly one level-1 shadow page
 * per half, with 4-byte gptes.
 *
 * Large pages next to page tables under one directory: a PSE 4 MiB page
 * (2-level, SDM 4.3 Table 4-4) or a 2 MiB page (PAE, 4.4.2 Table 4-9) and
 * a 4 KiB table in the next directory entry, each address landing on its
 * frame, and the guest turning one into the other (a PDE rewritten, then
 * INVLPG, 4.10.4.1).  KVM maps a guest large page with a direct shadow
 * page or a huge SPTE (FNAME(fetch), paging_tmpl.h) and must drop it when
 * the guest's PDE changes (kvm_mmu_track_write(), mmu.c).
 *
 * Past KVM bugs of this kind (fixed upstream; mutants/ re-creates the
 * class in 6.12): PAE roots built from PDPTEs that were not checked, or
 * shadow pages for not-present PDPTEs ("Check PDPTRs before allocating
 * PAE roots", 6e0918aec49a; "Use '0' as the one and only value for an
 * invalid PAE root", c834e5e44fc1): one_pae_pd_shadow_page_per_present_-
 * pdpte_target and the reserved/not-present PDPTE cases; 2-level quadrant
 * mix-ups (several fixes around kvm_mmu_child_role()/mmu_alloc_root()):
 * 2level_pd_shadowed_in_4_quadrants and the 2level_pt_* cases
 * (mutants pae-root-no-quadrant-for-2level, pae-root-quadrant-for-pae-guest,
 * pae-root-pt-halves-share-quadrant).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "emulator.h"
#include "kvm_mmu_config.h"
#include "kvm_stats.h"
#include "kvm_trace.h"
#include "guest_paging.h"
#include "vm_tables.h"

#define GB		0x40000000ull	/* 1 GiB */
#define VA_TABLES	0x20000000ull	/* alias of the page tables, PDPTE 0 */
/* One VA in each of PDPTEs 1-3 (PDPTE 0 maps the step engine). */
#define VA_1		(1 * GB)
#define VA_2		(2 * GB)
#define VA_3		(3 * GB)
#define PDPTE_P		GP_P
#define GARBAGE		0xfffffffffffffffeull	/* every bit but P */
/* Above the step engine's memslot (guest_steps.h), in no memslot. */
#define NO_MEMORY_GPA	0x30000000ull

#define TAG_A		0xaaaa0001u
#define TAG_B		0xbbbb0002u
#define TAG_C		0xcccc0003u

static struct kvm_mmu_config cfg;

/*
 * Whether the PDPTEs are registers loaded at MOV CR3 (SDM 4.4.1): KVM's
 * emulated ones with TDP off, and the CPU's under VMX with EPT (SDM
 * 28.3.1: the guest's PDPTEs are loaded at MOV CR3 and from the VMCS at
 * VM entry, vmx.c ept_load_pdptrs()); only SVM with nested paging walks
 * them on use (APM 15.25.10).
 */
static bool pdptes_cached(void)
{
	return !cfg.tdp || strcmp(cfg.vendor_module, "kvm_amd");
}

static uint64_t data_page(struct paging_vm *pvm, uint32_t tag)
{
	uint64_t gpa = paging_vm_alloc(pvm, PAGE_SIZE, PAGE_SIZE);

	*(uint32_t *)paging_vm_hva(pvm, gpa) = tag;
	return gpa;
}

static struct paging_vm *pae_vm(const char *name)
{
	struct paging_vm *pvm = paging_vm_create(GUEST_PAGING_PAE);

	pvm->name = name;
	return pvm;
}

/* Run the steps; one TAP result named @name. */
static void finish(struct paging_vm *pvm, const char *name)
{
	int bad = paging_vm_run_steps(pvm);

	ksft_test_result(!bad, "%s_%s\n", name, kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

static void test_not_present_pdpte_bits_ignored(void)
{
	struct paging_vm *pvm = pae_vm("not_present_pdpte");
	struct guest_as *as = guest_as_create(pvm);
	struct guest_as *other = guest_as_create(pvm);
	struct guest_as *hidden = guest_as_create(pvm);
	uint64_t pdpte1;

	guest_as_map_tables(as, VA_TABLES);
	guest_as_map(as, VA_1, data_page(pvm, TAG_A), 1, GP_P | GP_RW);
	pdpte1 = guest_as_read_entry(as, VA_1, 3);
	guest_as_write_entry(other, VA_1, 3, GARBAGE);
	guest_as_write_entry(other, VA_2, 3, GARBAGE & ~GP_RW);
	guest_as_write_entry(other, VA_3, 3, 0);

	gstep_phase(pvm, "load PDPTEs with P=0 and bits 63:1 set");
	gstep_write_cr3(pvm, guest_as_cr3(other), EXPECT_OK());
	gstep_load(pvm, VA_1 + 8, 4, EXPECT_PF(0, VA_1 + 8));
	gstep_store(pvm, VA_2, 4, 1, EXPECT_PF(PFERR_WRITE_MASK, VA_2));
	gstep_load(pvm, VA_3, 4, EXPECT_PF(0, VA_3));

	/* A page directory that maps: still nothing under a PDPTE with P=0. */
	guest_as_write_entry(hidden, VA_3, 3, pdpte1 & ~PDPTE_P);
	gstep_phase(pvm, "a PDPTE with P=0 naming VA_1's page directory");
	gstep_write_cr3(pvm, guest_as_cr3(hidden), EXPECT_OK());
	gstep_load(pvm, VA_3, 4, EXPECT_PF(0, VA_3));

	gstep_phase(pvm, "back to a present PDPTE");
	gstep_write_cr3(pvm, guest_as_cr3(as), EXPECT_OK());
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	finish(pvm, "not_present_pdpte_bits_ignored");
}

/* Reserved bits of a present PAE PDPTE (SDM Table 4-8). */
static const uint64_t pdpte_reserved[] = {
	GP_RW, GP_US, GP_A, GP_D, GP_PS, GP_G, 1ull << 62, GP_NX,
};

/*
 * A present PDPTE whose page directory is in no memslot: MOV CR3 loads it
 * (SDM 4.4.1 checks only reserved bits), and addresses under the other
 * PDPTEs work.  Nothing is accessed under it (what a read of missing
 * memory returns is the platform's).  KVM, TDP off: mmu_alloc_shadow_roots()
 * treats such a PDPTE as not present (!kvm_vcpu_is_visible_gfn(), 6.12
 * and 7.3 mmu.c): no shadow page for a gfn that no memslot backs.
 */
static void test_pdpte_outside_memslots(void)
{
	struct paging_vm *pvm = pae_vm("pdpte_outside_memslots");
	struct guest_as *as = guest_as_create(pvm);
	struct guest_as *other = guest_as_create(pvm);

	guest_as_map(as, VA_1, data_page(pvm, TAG_A), 1, GP_P | GP_RW);
	guest_as_share(other, VA_1, as, VA_1, 3);
	guest_as_write_entry(other, VA_3, 3, NO_MEMORY_GPA | PDPTE_P);

	gstep_phase(pvm, "a present PDPTE naming no memory");
	gstep_write_cr3(pvm, guest_as_cr3(other), EXPECT_OK());
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	gstep_write_cr3(pvm, guest_as_cr3(as), EXPECT_OK());
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	finish(pvm, "pdpte_outside_memslots");
}

/*
 * A PDPT (CR3 bits 31:5) in no memslot: MOV CR3 cannot load the PDPTEs.
 * What a read of missing memory returns is the platform's (all ones on a
 * PC, whose reserved bits fail the load); KVM, TDP off, fails it:
 * load_pdptrs() returns 0 when it cannot read the PDPT (6.12 and 7.3
 * regs.c), and kvm_set_cr3() makes that #GP(0), CR3 unchanged.  It must
 * not load PDPTEs it never read.  With TDP the CPU loads them (VMX) or
 * reads them on use (SVM), from memory no memslot backs: not KVM's.
 */
static void test_pdpt_outside_memslots(void)
{
	struct paging_vm *pvm;
	struct guest_as *as;

	if (cfg.tdp) {
		ksft_test_result_skip("%s: %s\n", "pdpt_outside_memslots_mov_cr3_gp",
				      "TDP is on: the CPU, not KVM, reads the PDPTEs");
		return;
	}
	pvm = pae_vm("pdpt_outside_memslots");
	as = guest_as_create(pvm);
	guest_as_map(as, VA_1, data_page(pvm, TAG_A), 1, GP_P | GP_RW);

	gstep_phase(pvm, "CR3 naming a PDPT in no memslot");
	gstep_write_cr3(pvm, NO_MEMORY_GPA, EXPECT_FAULT(GP_VECTOR, 0));
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	finish(pvm, "pdpt_outside_memslots_mov_cr3_gp");
}

static void test_reserved_pdpte_bits(void)
{
	struct paging_vm *pvm = pae_vm("reserved_pdpte");
	struct guest_as *as = guest_as_create(pvm);
	struct guest_as *bad = guest_as_create(pvm);
	uint64_t pdpte;
	unsigned int i;

	guest_as_map_tables(as, VA_TABLES);
	guest_as_map(as, VA_1, data_page(pvm, TAG_A), 1, GP_P | GP_RW);
	guest_as_map(bad, VA_1, data_page(pvm, TAG_B), 1, GP_P | GP_RW);
	pdpte = guest_as_read_entry(bad, VA_1, 3);

	for (i = 0; i < ARRAY_SIZE(pdpte_reserved); i++) {
		gstep_phase(pvm, "a reserved bit in a present PDPTE");
		gstep_write_entry(pvm, bad, VA_1, 3, pdpte | pdpte_reserved[i]);
		if (pdptes_cached()) {
			/* #GP(0) and no change of CR3: A is still mapped. */
			gstep_write_cr3(pvm, guest_as_cr3(bad), EXPECT_FAULT(GP_VECTOR, 0));
			gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
		} else {
			/* Not checked at MOV CR3 (APM 15.25.10). */
			gstep_write_cr3(pvm, guest_as_cr3(bad), EXPECT_OK());
			gstep_switch_as(pvm, as);
			gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
		}
	}
	gstep_phase(pvm, "the same PDPTE without the reserved bit");
	gstep_write_entry(pvm, bad, VA_1, 3, pdpte);
	gstep_write_cr3(pvm, guest_as_cr3(bad), EXPECT_OK());
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_B));
	finish(pvm, "reserved_pdpte_bits_at_mov_cr3");
}

/*
 * Under SVM with nested paging a reserved PDPTE bit is found on use:
 * #PF with P and RSVD (APM 15.25.10; SDM 4.7).  That walk is the CPU's,
 * not KVM's: under QEMU TCG it is QEMU's, which does not do this (see
 * docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md), so there the
 * check would test QEMU and is skipped with that reason (set
 * SMMU_EMULATOR_GAPS=1 to run it anyway and see QEMU's behaviour).
 */
static void test_reserved_pdpte_bits_on_use(void)
{
	struct paging_vm *pvm;
	struct guest_as *as, *bad;
	uint64_t pdpte;
	unsigned int i;

	if (pdptes_cached()) {
		ksft_test_result_skip("%s: %s\n", "reserved_pdpte_bits_on_use",
				      "PDPTEs are registers loaded at MOV CR3 here (TDP off, or VMX), checked there");
		return;
	}
	if (emulator_skips_pdpte_reserved_bits()) {
		ksft_test_result_skip("%s: %s\n", "reserved_pdpte_bits_on_use",
				      "with NPT this is the CPU's check, and QEMU TCG does not implement it (docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md)");
		return;
	}
	pvm = pae_vm("reserved_pdpte_on_use");
	as = guest_as_create(pvm);
	bad = guest_as_create(pvm);
	guest_as_map_tables(as, VA_TABLES);
	guest_as_map(bad, VA_1, data_page(pvm, TAG_B), 1, GP_P | GP_RW);
	pdpte = guest_as_read_entry(bad, VA_1, 3);
	for (i = 0; i < ARRAY_SIZE(pdpte_reserved); i++) {
		gstep_phase(pvm, "a reserved bit in a present PDPTE, used");
		gstep_write_entry(pvm, bad, VA_1, 3, pdpte | pdpte_reserved[i]);
		gstep_write_cr3(pvm, guest_as_cr3(bad), EXPECT_OK());
		gstep_load(pvm, VA_1, 4, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_RSVD_MASK, VA_1));
		gstep_switch_as(pvm, as);
	}
	finish(pvm, "reserved_pdpte_bits_on_use");
}

/* Two page directories, each mapping VA_1 to its own data page. */
static void two_directories(struct paging_vm *pvm, struct guest_as *as,
			    uint64_t *pd_a, uint64_t *pd_b)
{
	struct guest_as *scratch = guest_as_create(pvm);

	guest_as_map(as, VA_1, data_page(pvm, TAG_A), 1, GP_P | GP_RW);
	guest_as_map(scratch, VA_1, data_page(pvm, TAG_B), 1, GP_P | GP_RW);
	*pd_a = guest_as_read_entry(as, VA_1, 3);
	*pd_b = guest_as_read_entry(scratch, VA_1, 3);
}

static void test_pdptes_loaded_at_mov_cr3(void)
{
	struct paging_vm *pvm = pae_vm("pdpte_cache");
	struct guest_as *as = guest_as_create(pvm);
	uint64_t pd_a, pd_b;

	guest_as_map_tables(as, VA_TABLES);
	two_directories(pvm, as, &pd_a, &pd_b);

	gstep_phase(pvm, "PDPT rewritten in memory, INVLPG");
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	gstep_write_entry(pvm, as, VA_1, 3, pd_b);
	gstep_invlpg(pvm, VA_1);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(pdptes_cached() ? TAG_A : TAG_B));

	gstep_phase(pvm, "MOV CR3 with the same value reloads");
	gstep_switch_as(pvm, as);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_B));
	finish(pvm, "pdptes_loaded_at_mov_cr3");
}

/*
 * The same MOV CR3, with the same value, emulated by KVM (the forced
 * emulation prefix): kvm_set_cr3() loads the PDPTEs (load_pdptrs(), 6.12
 * and 7.3 regs.c), and with EPT nothing but its KVM_REQ_LOAD_MMU_PGD puts
 * them in the VMCS (vmx_load_mmu_pgd(), ept_load_pdptrs()): the CR3 is
 * the same, so kvm_mmu_new_pgd() is not called.  Back and forth, so that
 * either directory is the one loaded once.  Then to another address space
 * and back: with EPT the CPU translates through the VMCS's PDPTEs, and
 * the guest's MOV from CR3 reads the VMCS's GUEST_CR3, which
 * vmx_load_mmu_pgd() (vmx.c) writes only from a CR3 that kvm_set_cr3()
 * marked dirty; each switch reads CR3 back (gstep_switch_as_emulated()).
 * Where the emulator sets the PDPTEs' reserved bit 5, the guest clears it
 * right before each.
 */
static void test_pdptes_loaded_at_emulated_mov_cr3(void)
{
	const char *name = "emulated_mov_cr3_switches_and_reloads_pdptes";
	bool gap = emulator_sets_pdpte_bit5(cfg.tdp);
	struct guest_as *as, *other;
	struct paging_vm *pvm;
	uint64_t pd_a, pd_b;

	if (!kvm_is_forced_emulation_enabled()) {
		ksft_test_result_skip("%s: kvm.force_emulation_prefix is 0\n", name);
		return;
	}
	pvm = pae_vm("pdpte_cache_emulated");
	as = guest_as_create(pvm);
	guest_as_map_tables(as, VA_TABLES);
	two_directories(pvm, as, &pd_a, &pd_b);

	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	gstep_write_entry(pvm, as, VA_1, 3, pd_b);
	gstep_switch_as_emulated(pvm, as, gap);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_B));
	gstep_write_entry(pvm, as, VA_1, 3, pd_a);
	gstep_switch_as_emulated(pvm, as, gap);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));

	other = guest_as_create(pvm);
	guest_as_map_tables(other, VA_TABLES);
	guest_as_map(other, VA_1, data_page(pvm, TAG_C), 1, GP_P | GP_RW);
	gstep_switch_as_emulated(pvm, other, gap);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_C));
	gstep_switch_as_emulated(pvm, as, gap);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	finish(pvm, name);
}

/* Eight PDPTs in one page, at different 32-byte offsets (CR3 bits 11:5). */
static void test_pdpt_offsets(void)
{
	static const unsigned int offsets[] = { 0, 32, 64, 96, 2016, 2048, 4032, 4064 };
	struct paging_vm *pvm = pae_vm("pdpt_offsets");
	struct guest_as *as[ARRAY_SIZE(offsets)];
	uint64_t page = paging_vm_alloc_table(pvm);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		as[i] = guest_as_create_at(pvm, page + offsets[i]);
		guest_as_map(as[i], VA_1, data_page(pvm, TAG_A + i), 1, GP_P | GP_RW);
	}
	gstep_phase(pvm, "switch among PDPTs sharing a page");
	for (i = 0; i < 2 * ARRAY_SIZE(offsets); i++) {
		unsigned int n = (i * 3) % ARRAY_SIZE(offsets);

		gstep_switch_as(pvm, as[n]);
		gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A + n));
	}
	finish(pvm, "pdpt_at_any_32_byte_offset");
}

struct sregs2_arg {
	uint64_t pdptr1;
};

/* At the sync step: load PDPTE register 1 from the host, not from memory. */
static void set_pdptr_from_host(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct sregs2_arg *a = arg;
	struct kvm_sregs2 s2;

	vcpu_ioctl(pvm->vcpu, KVM_GET_SREGS2, &s2);
	TEST_ASSERT(s2.flags & KVM_SREGS2_FLAGS_PDPTRS_VALID,
		    "KVM_GET_SREGS2 of a PAE vCPU has no PDPTRs");
	s2.pdptrs[1] = a->pdptr1;
	vcpu_ioctl(pvm->vcpu, KVM_SET_SREGS2, &s2);
}

static void test_set_sregs2_pdptrs(void)
{
	struct paging_vm *pvm;
	struct guest_as *as;
	struct sregs2_arg arg;
	uint64_t pd_a;

	if (!kvm_has_cap(KVM_CAP_SREGS2)) {
		ksft_test_result_skip("set_sregs2_pdptrs: no KVM_CAP_SREGS2\n");
		return;
	}
	pvm = pae_vm("sregs2_pdptrs");
	as = guest_as_create(pvm);
	two_directories(pvm, as, &pd_a, &arg.pdptr1);
	pvm->sync_fn = set_pdptr_from_host;
	pvm->sync_arg = &arg;

	gstep_phase(pvm, "PDPTE register 1 set by KVM_SET_SREGS2");
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	gstep_sync(pvm);
	/* Under SVM+NPT the PDPT in memory is what the walk reads. */
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(pdptes_cached() ? TAG_B : TAG_A));
	gstep_phase(pvm, "MOV CR3 reloads from memory");
	gstep_switch_as(pvm, as);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	finish(pvm, "set_sregs2_pdptrs");
}

struct sregs2_reload_arg {
	uint64_t want[4], seen[4];
};

/*
 * At the sync step: KVM_SET_SREGS2 of the vCPU's own state without
 * KVM_SREGS2_FLAGS_PDPTRS_VALID, its pdptrs[] all 0.  KVM ignores them and
 * loads the PDPTEs from memory (kvm_vcpu_ioctl_x86_set_sregs2() ->
 * __set_sregs_common() with update_pdptrs, regs.c on 6.12 and 7.3), so
 * KVM_GET_SREGS2 shows the PDPTEs it had before.
 */
static void set_sregs2_without_pdptrs(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct sregs2_reload_arg *a = arg;
	struct kvm_sregs2 s2;

	vcpu_ioctl(pvm->vcpu, KVM_GET_SREGS2, &s2);
	memcpy(a->want, s2.pdptrs, sizeof(a->want));
	s2.flags = 0;
	memset(s2.pdptrs, 0, sizeof(s2.pdptrs));
	vcpu_ioctl(pvm->vcpu, KVM_SET_SREGS2, &s2);
	vcpu_ioctl(pvm->vcpu, KVM_GET_SREGS2, &s2);
	memcpy(a->seen, s2.pdptrs, sizeof(a->seen));
}

#define SREGS2_RELOAD_FMT						\
	"KVM_SET_SREGS2 without PDPTRs: PDPTE %d is 0x%lx after it, 0x%lx before\n"

/* The same vCPU then goes on translating through its PDPT in memory. */
static void test_set_sregs2_without_pdptrs(void)
{
	const char *name = "set_sregs2_without_pdptrs_loads_them_from_memory";
	struct sregs2_reload_arg arg = {};
	struct paging_vm *pvm;
	struct guest_as *as;
	uint64_t pd_a, pd_b;
	int i, bad, differ = 0;

	if (!kvm_has_cap(KVM_CAP_SREGS2)) {
		ksft_test_result_skip("%s: no KVM_CAP_SREGS2\n", name);
		return;
	}
	pvm = pae_vm("sregs2_without_pdptrs");
	as = guest_as_create(pvm);
	two_directories(pvm, as, &pd_a, &pd_b);
	pvm->sync_fn = set_sregs2_without_pdptrs;
	pvm->sync_arg = &arg;

	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	gstep_sync(pvm);
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	bad = paging_vm_run_steps(pvm);
	for (i = 0; i < 4; i++) {
		if (arg.seen[i] == arg.want[i])
			continue;
		ksft_print_msg(SREGS2_RELOAD_FMT, i, arg.seen[i], arg.want[i]);
		differ++;
	}
	ksft_test_result(!bad && !differ, "%s_%s\n", name, kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

static void guest_done(void)
{
	GUEST_DONE();
}

/*
 * KVM_SET_SREGS2 refuses what it cannot load, and changes nothing then
 * (kvm_vcpu_ioctl_x86_set_sregs2(), regs.c on 6.12 and 7.3; api.rst): a
 * flag it does not know, KVM_SREGS2_FLAGS_PDPTRS_VALID outside PAE paging
 * (the vCPU is in long mode), and states KVM_SET_SREGS refuses too
 * (CR0.PG without CR0.PE: kvm_is_valid_sregs(); an APIC base with reserved
 * bit 0: kvm_apic_set_base() in __set_sregs_common(), lapic.c).
 */
static void test_set_sregs2_rejects_invalid(void)
{
	struct kvm_sregs2 good, bad, now;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i, r, fails = 0;

	if (!kvm_has_cap(KVM_CAP_SREGS2)) {
		ksft_test_result_skip("set_sregs2_rejects_invalid_input: no KVM_CAP_SREGS2\n");
		return;
	}
	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_done);
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &good);
	for (i = 0; i < 4; i++) {
		bad = good;
		if (i == 0)
			bad.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID << 1;
		else if (i == 1)
			bad.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
		else if (i == 2)
			bad.cr0 &= ~X86_CR0_PE;
		else
			bad.apic_base |= BIT_ULL(0);
		r = __vcpu_ioctl(vcpu, KVM_SET_SREGS2, &bad);
		vcpu_ioctl(vcpu, KVM_GET_SREGS2, &now);
		if (r != -1 || errno != EINVAL || memcmp(&now, &good, sizeof(now))) {
			ksft_print_msg("KVM_SET_SREGS2 #%d (flags 0x%llx, cr0 0x%llx): %d, %s\n", i,
				       bad.flags, bad.cr0, r,
				       memcmp(&now, &good, sizeof(now)) ? "state changed" :
				       "state kept");
			fails++;
		}
	}
	ksft_test_result(!fails, "set_sregs2_rejects_invalid_input_%s\n",
			 kvm_mmu_config_name(&cfg));
	kvm_vm_free(vm);
}

/*
 * KVM_SET_SREGS refuses the same invalid state (kvm_is_valid_sregs() in
 * __set_sregs_common(), regs.c on 6.12 and 7.3): EINVAL, and nothing
 * changed, the pending interrupt of interrupt_bitmap included (__set_sregs()
 * queues it only after the state is taken).  With a valid state it queues
 * that interrupt, and KVM_GET_SREGS reports it pending (api.rst:
 * interrupt_bitmap; kvm_queue_interrupt(), __get_sregs_common()); the next
 * KVM_RUN delivers it (KVM_REQ_EVENT) before the guest's next instruction,
 * also when the vCPU has run before, and nothing else asks for event
 * injection.
 */
#define SREGS_VECTOR	0x30

static uint64_t vector_seen;

static void sregs_vector_handler(struct ex_regs *regs)
{
	WRITE_ONCE(vector_seen, regs->vector);
}

/*
 * RFLAGS.IF=1 from the second ucall on, as when an interrupt is being
 * delivered: VMX refuses to enter a guest with IF=0 while it injects an
 * external interrupt (SDM vol. 3C 27.2.1.3).  Set by the guest itself: a
 * KVM_SET_REGS would make a KVM_REQ_EVENT of its own (kvm_set_rflags()).
 */
static void guest_reports_vector(void)
{
	GUEST_SYNC(0);
	asm volatile("sti");
	GUEST_SYNC(0);
	GUEST_SYNC(READ_ONCE(vector_seen));
	GUEST_SYNC(0);
	GUEST_SYNC(0);
	GUEST_SYNC(0);
	GUEST_SYNC(0);
	GUEST_DONE();
}

#define CR3_AFTER_FMT	"KVM_SET_SREGS(2) of CR3 0x%lx, then KVM_RUN: KVM_GET_SREGS shows 0x%llx\n"

/*
 * The vCPU's tlb_flush delta from @before up to the guest's next ucall,
 * or ~0 if the CR3 it runs on is not @cr3: with EPT the CPU runs on the
 * VMCS's GUEST_CR3, which KVM writes only from a CR3 that
 * __set_sregs_common() marked dirty (vmx_load_mmu_pgd(), vmx.c).
 */
static uint64_t flushes_to_next_sync(struct kvm_vcpu *vcpu, uint64_t before, uint64_t cr3)
{
	struct kvm_sregs s;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);
	vcpu_sregs_get(vcpu, &s);
	if (s.cr3 != cr3) {
		ksft_print_msg(CR3_AFTER_FMT, cr3, s.cr3);
		return ~0ULL;
	}
	return vcpu_stat_get(vcpu, "tlb_flush") - before;
}

/*
 * KVM_SET_SREGS that changes CR3 resets the MMU and flushes the guest's
 * TLB (__set_sregs(): kvm_mmu_reset_context() and KVM_REQ_TLB_FLUSH_GUEST,
 * whose kvm_vcpu_flush_tlb_guest() counts one tlb_flush, x86.c; the new
 * root's own flush at kvm_mmu_load() counts none); one that changes
 * nothing does neither.  The new CR3 (@new_cr3) is a copy of the guest's
 * top-level table.
 */
static uint64_t set_sregs_flushes(struct kvm_vm *vm, struct kvm_vcpu *vcpu, bool new_cr3)
{
	struct kvm_sregs s;
	uint64_t before;

	vcpu_sregs_get(vcpu, &s);
	if (new_cr3)
		s.cr3 = vm_table_copy(vm, 0, vm_mmu_pgd(vm));
	before = vcpu_stat_get(vcpu, "tlb_flush");
	vcpu_sregs_set(vcpu, &s);
	return flushes_to_next_sync(vcpu, before, s.cr3);
}

/*
 * The same for KVM_SET_SREGS2 (kvm_vcpu_ioctl_x86_set_sregs2(), regs.c on
 * 6.12 and 7.3), in 64-bit mode: no PDPTRs, so the state KVM_GET_SREGS2
 * gave resets nothing.
 */
static uint64_t set_sregs2_flushes(struct kvm_vm *vm, struct kvm_vcpu *vcpu, bool new_cr3)
{
	struct kvm_sregs2 s2;
	uint64_t before;

	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	if (new_cr3)
		s2.cr3 = vm_table_copy(vm, 0, vm_mmu_pgd(vm));
	before = vcpu_stat_get(vcpu, "tlb_flush");
	vcpu_ioctl(vcpu, KVM_SET_SREGS2, &s2);
	return flushes_to_next_sync(vcpu, before, s2.cr3);
}

/* The vCPU halted (KVM_SET_MP_STATE), then KVM_SET_SREGS of @s: its mp_state. */
static uint32_t mp_state_after_set_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };

	vcpu_mp_state_set(vcpu, &mp);
	vcpu_sregs_set(vcpu, s);
	vcpu_mp_state_get(vcpu, &mp);
	return mp.mp_state;
}

#define MP_STATE_FMT	"KVM_SET_SREGS of a halted vCPU, %s: mp_state %u after it\n"

/*
 * KVM_SET_SREGS wakes a halted vCPU only for "older userspace" that puts
 * the BSP at the reset vector in real mode: RIP 0xfff0, CS 0xf000 based
 * at 0xffff0000 (__set_sregs_common(), regs.c on 6.12 and 7.3).  The BSP
 * at RIP 0xfff0 in protected mode given its own state, and given the reset
 * state at RIP 0xfff1, stays halted; given the reset state at RIP 0xfff0,
 * it becomes runnable.  The vCPU does not run afterwards.
 */
static void set_rip(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	regs.rip = rip;
	vcpu_regs_set(vcpu, &regs);
}

static void test_set_sregs_mp_state(struct kvm_vcpu *vcpu)
{
	uint32_t own, near, reset;
	struct kvm_sregs s;

	set_rip(vcpu, 0xfff0);
	vcpu_sregs_get(vcpu, &s);
	own = mp_state_after_set_sregs(vcpu, &s);
	if (own != KVM_MP_STATE_HALTED)
		ksft_print_msg(MP_STATE_FMT, "its own state at RIP 0xfff0", own);

	s.cr0 = X86_CR0_ET;
	s.cr4 = 0;
	s.efer = 0;
	s.cs.selector = 0xf000;
	s.cs.base = 0xffff0000;
	s.cs.l = 0;
	s.cs.db = 0;
	set_rip(vcpu, 0xfff1);
	near = mp_state_after_set_sregs(vcpu, &s);
	if (near != KVM_MP_STATE_HALTED)
		ksft_print_msg(MP_STATE_FMT, "the reset state at RIP 0xfff1", near);
	ksft_test_result(own == KVM_MP_STATE_HALTED && near == KVM_MP_STATE_HALTED,
			 "set_sregs_keeps_halted_vcpu_halted_%s\n", kvm_mmu_config_name(&cfg));

	set_rip(vcpu, 0xfff0);
	reset = mp_state_after_set_sregs(vcpu, &s);
	if (reset != KVM_MP_STATE_RUNNABLE)
		ksft_print_msg(MP_STATE_FMT, "the reset vector", reset);
	ksft_test_result(reset == KVM_MP_STATE_RUNNABLE,
			 "set_sregs_at_reset_vector_wakes_halted_bsp_%s\n",
			 kvm_mmu_config_name(&cfg));
}

#define PENDING_FMT	"KVM_SET_SREGS with vector 0x30 pending, then KVM_GET_SREGS: 0x%llx\n"
#define FLUSHES_FMT							\
	"the same state: tlb_flush +%lu (expected 0); another CR3: %s (expected +1)\n"

static void test_set_sregs(void)
{
	struct kvm_sregs good, bad, now;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	struct kvm_vm *vm;
	uint64_t cmd;
	int r;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_reports_vector);
	vm_install_exception_handler(vm, SREGS_VECTOR, sregs_vector_handler);
	vcpu_sregs_get(vcpu, &good);
	bad = good;
	bad.cr0 &= ~X86_CR0_PE;
	bad.interrupt_bitmap[0] = BIT_ULL(SREGS_VECTOR);
	r = __vcpu_ioctl(vcpu, KVM_SET_SREGS, &bad);
	vcpu_sregs_get(vcpu, &now);
	if (r != -1 || errno != EINVAL || memcmp(&now, &good, sizeof(now)))
		ksft_print_msg("KVM_SET_SREGS (cr0 0x%llx, vector 0x30 pending): %d, %s\n",
			       bad.cr0, r,
			       memcmp(&now, &good, sizeof(now)) ? "state changed" : "state kept");
	ksft_test_result(r == -1 && errno == EINVAL && !memcmp(&now, &good, sizeof(now)),
			 "set_sregs_rejects_invalid_input_%s\n", kvm_mmu_config_name(&cfg));

	/* After two runs: the vCPU's own first KVM_REQ_EVENT is used up. */
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);
	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, NULL), UCALL_SYNC);
	vcpu_sregs_get(vcpu, &good);
	good.interrupt_bitmap[0] = BIT_ULL(SREGS_VECTOR);
	vcpu_sregs_set(vcpu, &good);
	vcpu_sregs_get(vcpu, &now);
	if (memcmp(now.interrupt_bitmap, good.interrupt_bitmap, sizeof(now.interrupt_bitmap)))
		ksft_print_msg(PENDING_FMT, now.interrupt_bitmap[0]);
	ksft_test_result(!memcmp(now.interrupt_bitmap, good.interrupt_bitmap,
				 sizeof(now.interrupt_bitmap)),
			 "set_sregs_pending_interrupt_reported_%s\n", kvm_mmu_config_name(&cfg));

	vcpu_run(vcpu);
	cmd = get_ucall(vcpu, &uc);
	r = cmd == UCALL_SYNC ? uc.args[1] : -1;
	if (r != SREGS_VECTOR)
		ksft_print_msg("the guest's next ucall: %lu, vector seen %d (expected 0x%x)\n",
			       cmd, r, SREGS_VECTOR);
	ksft_test_result(r == SREGS_VECTOR, "set_sregs_pending_interrupt_delivered_%s\n",
			 kvm_mmu_config_name(&cfg));

	cmd = set_sregs_flushes(vm, vcpu, false);
	r = set_sregs_flushes(vm, vcpu, true);
	ksft_print_msg("KVM_SET_SREGS: " FLUSHES_FMT, cmd, r == 1 ? "+1" : "not +1");
	ksft_test_result(!cmd && r == 1, "set_sregs_flushes_guest_tlb_on_change_only_%s\n",
			 kvm_mmu_config_name(&cfg));
	if (kvm_has_cap(KVM_CAP_SREGS2)) {
		cmd = set_sregs2_flushes(vm, vcpu, false);
		r = set_sregs2_flushes(vm, vcpu, true);
		ksft_print_msg("KVM_SET_SREGS2: " FLUSHES_FMT, cmd, r == 1 ? "+1" : "not +1");
		ksft_test_result(!cmd && r == 1, "set_sregs2_flushes_guest_tlb_on_change_only_%s\n",
				 kvm_mmu_config_name(&cfg));
	} else {
		ksft_test_result_skip("set_sregs2_flushes_guest_tlb_on_change_only: %s\n",
				      "no KVM_CAP_SREGS2");
	}
	test_set_sregs_mp_state(vcpu);
	kvm_vm_free(vm);
}

/*
 * Shadow pages of level 2 created while the steps ran, for the page
 * directory at @gfn: how many, and whether all have the expected role.
 */
static size_t count_pd_pages(struct kvm_mmu_model *m, uint64_t gfn, int gpte4, int quadrant)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .level = 2,
		.gfn = gfn, .direct = 0, .passthrough = 0, .has_4_byte_gpte = gpte4,
		.quadrant = quadrant);

	return kvm_mmu_model_count_pages(m, q);
}

/* Level-1 shadow pages of a 2-level page table at @gfn, in one half. */
static size_t count_pt_pages(struct kvm_mmu_model *m, uint64_t gfn, int quadrant)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .level = 1,
		.gfn = gfn, .direct = 0, .has_4_byte_gpte = 1, .quadrant = quadrant);

	return kvm_mmu_model_count_pages(m, q);
}

static size_t count_any_pd_pages(struct kvm_mmu_model *m, uint64_t gfn)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .level = 2, .gfn = gfn);

	return kvm_mmu_model_count_pages(m, q);
}

#define PAE_ROOT_FMT							\
	"level-2 shadow pages: engine PD %zu, PD A %zu, PD B %zu, not-present PDPTE %zu\n"

static void test_shadow_pages_under_pae_root(void)
{
	struct paging_vm *pvm = pae_vm("pae_root_children");
	struct guest_as *as = guest_as_create(pvm);
	uint64_t pd_engine, pd_a, pd_b, junk_gfn = (GARBAGE & 0x000ffffffffff000ull) >> 12;
	struct kvm_mmu_model *m;
	struct kvm_trace *t;
	bool ok;

	two_directories(pvm, as, &pd_a, &pd_b);
	/* PDPTEs 1 and 2 name one directory, PDPTE 3 is not present. */
	guest_as_write_entry(as, VA_2, 3, pd_a);
	guest_as_write_entry(as, VA_3, 3, GARBAGE);
	pd_engine = guest_as_read_entry(as, 0, 3);

	gstep_phase(pvm, "through PDPTEs 1 and 2");
	gstep_load(pvm, VA_1, 4, EXPECT_VALUE(TAG_A));
	gstep_load(pvm, VA_2, 4, EXPECT_VALUE(TAG_A));
	gstep_load(pvm, VA_3, 4, EXPECT_PF(0, VA_3));

	t = kvm_trace_create();
	kvm_trace_start(t, "pae guest");
	ok = !paging_vm_run_steps(pvm);
	kvm_trace_stop(t);
	m = kvm_trace_model(t);

	pd_engine >>= 12;
	pd_a >>= 12;
	pd_b >>= 12;
	ksft_print_msg(PAE_ROOT_FMT,
		       count_any_pd_pages(m, pd_engine), count_any_pd_pages(m, pd_a),
		       count_any_pd_pages(m, pd_b), count_any_pd_pages(m, junk_gfn));
	ok &= count_pd_pages(m, pd_engine, 0, 0) == 1 && count_any_pd_pages(m, pd_engine) == 1;
	ok &= count_pd_pages(m, pd_a, 0, 0) == 1 && count_any_pd_pages(m, pd_a) == 1;
	ok &= count_any_pd_pages(m, pd_b) == 0 && count_any_pd_pages(m, junk_gfn) == 0;
	if (!ok)
		kvm_trace_print(t);
	ksft_test_result(ok, "one_pae_pd_shadow_page_per_present_pdpte_target\n");
	kvm_trace_destroy(t);
	paging_vm_free(pvm);
}

#define QUADRANTS_FMT							\
	"2-level PD gfn 0x%lx: %d of 4 quadrants shadowed once, %zu level-2 pages in all\n"

static void test_2level_quadrants(void)
{
	struct paging_vm *pvm = paging_vm_create(GUEST_PAGING_32BIT);
	struct guest_as *as = guest_as_create(pvm);
	struct kvm_mmu_model *m;
	struct kvm_trace *t;
	uint64_t pd;
	int q, n = 0;
	bool ok;

	pvm->name = "2level_quadrants";
	/* One VA in each quarter of the 4 GiB the page directory maps. */
	for (q = 1; q < 4; q++)
		guest_as_map(as, q * GB, data_page(pvm, TAG_A + q), 1, GP_P | GP_RW);
	gstep_phase(pvm, "one access per quarter");
	for (q = 1; q < 4; q++)
		gstep_load(pvm, q * GB, 4, EXPECT_VALUE(TAG_A + q));
	pd = as->root >> 12;

	t = kvm_trace_create();
	kvm_trace_start(t, "2-level guest");
	ok = !paging_vm_run_steps(pvm);
	kvm_trace_stop(t);
	m = kvm_trace_model(t);
	for (q = 0; q < 4; q++)
		n += count_pd_pages(m, pd, 1, q) == 1;
	ksft_print_msg(QUADRANTS_FMT,
		       pd, n, count_any_pd_pages(m, pd));
	ok &= n == 4 && count_any_pd_pages(m, pd) == 4;
	if (!ok)
		kvm_trace_print(t);
	ksft_test_result(ok, "2level_pd_shadowed_in_4_quadrants\n");
	kvm_trace_destroy(t);
	paging_vm_free(pvm);
}

#define VA_PT		(1 * GB)	/* one 2-level PDE: a 4 MiB page table */
#define VA_LARGE	(2 * GB)	/* a large page, then a table, one PD */
#define HALF		(2ull << 20)

#define HALVES_FMT							\
	"2-level PT gfn 0x%lx: %d of 2 halves shadowed once, %zu level-1 pages in all\n"

static void test_2level_pt_halves(const char *no_trace)
{
	struct paging_vm *pvm = paging_vm_create(GUEST_PAGING_32BIT);
	struct guest_as *as = guest_as_create(pvm);
	const uint64_t va[] = {
		VA_PT, VA_PT + HALF - PAGE_SIZE, VA_PT + HALF, VA_PT + 2 * HALF - PAGE_SIZE,
	};
	struct kvm_trace *t = NULL;
	uint64_t fresh[4], pt;
	int i, q, n = 0;
	bool ok;

	pvm->name = "2level_pt_halves";
	guest_as_map_tables(as, VA_TABLES);
	for (i = 0; i < 4; i++) {
		guest_as_map(as, va[i], data_page(pvm, TAG_A + i), 1, GP_P | GP_RW);
		fresh[i] = data_page(pvm, TAG_B + i);
	}
	pt = guest_as_entry_gpa(as, VA_PT, 1) >> 12;

	gstep_phase(pvm, "first and last page of each half");
	for (i = 0; i < 4; i++)
		gstep_load(pvm, va[i], 4, EXPECT_VALUE(TAG_A + i));
	gstep_phase(pvm, "a PTE rewritten in each half, INVLPG");
	for (i = 0; i < 4; i++) {
		gstep_write_entry(pvm, as, va[i], 1, fresh[i] | GP_P | GP_RW);
		gstep_invlpg(pvm, va[i]);
		gstep_load(pvm, va[i], 4, EXPECT_VALUE(TAG_B + i));
	}

	if (!cfg.tdp && !no_trace) {
		t = kvm_trace_create();
		kvm_trace_start(t, "2-level page table");
	}
	ok = !paging_vm_run_steps(pvm);
	ksft_test_result(ok, "2level_pt_halves_map_their_own_frames_%s\n",
			 kvm_mmu_config_name(&cfg));
	if (!t) {
		ksft_test_result_skip("2level_pt_shadowed_in_2_halves: %s\n",
				      no_trace ?: "TDP is on, no shadow pages");
		paging_vm_free(pvm);
		return;
	}
	kvm_trace_stop(t);
	for (q = 0; q < 2; q++)
		n += count_pt_pages(kvm_trace_model(t), pt, q) == 1;
	ksft_print_msg(HALVES_FMT,
		       pt, n, count_pt_pages(kvm_trace_model(t), pt, KVM_MMU_ANY));
	ok = n == 2 && count_pt_pages(kvm_trace_model(t), pt, KVM_MMU_ANY) == 2;
	if (!ok)
		kvm_trace_print(t);
	ksft_test_result(ok, "2level_pt_shadowed_in_2_halves\n");
	kvm_trace_destroy(t);
	paging_vm_free(pvm);
}

/* A large page's frame, with a tag at each offset the steps read. */
static uint64_t large_frame(struct paging_vm *pvm, uint64_t size, const uint64_t *off, int n)
{
	uint64_t gpa = paging_vm_alloc(pvm, size, size);
	int i;

	for (i = 0; i < n; i++)
		*(uint32_t *)paging_vm_hva(pvm, gpa + off[i]) = TAG_A + i;
	return gpa;
}

static void test_large_pages_mixed(enum guest_paging_mode mode)
{
	struct paging_vm *pvm = paging_vm_create(mode);
	struct guest_as *as = guest_as_create(pvm);
	uint64_t size = guest_paging_level_size(mode, 2);
	const uint64_t off[] = { 0, size / 2 + 8, size - 4 };
	uint64_t frame, pde_large, pde_table, va_small = VA_LARGE + size;
	char name[64];
	int i;

	snprintf(name, sizeof(name), "%s_large_page_next_to_page_table",
		 guest_paging_mode_name(mode));
	pvm->name = name;
	guest_as_map_tables(as, VA_TABLES);
	frame = large_frame(pvm, size, off, ARRAY_SIZE(off));
	guest_as_map(as, VA_LARGE, frame, 2, GP_P | GP_RW);
	guest_as_map(as, va_small, data_page(pvm, TAG_B), 1, GP_P | GP_RW);
	pde_large = guest_as_read_entry(as, VA_LARGE, 2);
	pde_table = guest_as_read_entry(as, va_small, 2);

	gstep_phase(pvm, "large page and 4 KiB page under one directory");
	for (i = 0; i < ARRAY_SIZE(off); i++)
		gstep_load(pvm, VA_LARGE + off[i], 4, EXPECT_VALUE(TAG_A + i));
	gstep_load(pvm, va_small, 4, EXPECT_VALUE(TAG_B));

	gstep_phase(pvm, "the large page's PDE rewritten to name the table, INVLPG");
	gstep_write_entry(pvm, as, VA_LARGE, 2, pde_table);
	gstep_invlpg(pvm, VA_LARGE);
	gstep_load(pvm, VA_LARGE, 4, EXPECT_VALUE(TAG_B));

	gstep_phase(pvm, "the table's PDE rewritten to map the large page, INVLPG");
	gstep_write_entry(pvm, as, va_small, 2, pde_large);
	gstep_invlpg(pvm, va_small);
	for (i = 0; i < ARRAY_SIZE(off); i++)
		gstep_load(pvm, va_small + off[i], 4, EXPECT_VALUE(TAG_A + i));
	finish(pvm, name);
}

int main(int argc, char *argv[])
{
	const char *why, *no_trace = NULL;

	kvm_mmu_test_start(&cfg);
	/* Each case frees its VM before the next: one VM, reset, for all. */
	paging_vm_reuse_vms(true);
	if (!guest_paging_mode_supported(GUEST_PAGING_PAE, &why))
		ksft_exit_skip("PAE paging: %s\n", why);
	ksft_set_plan(24);

	test_not_present_pdpte_bits_ignored();
	test_pdpte_outside_memslots();
	test_pdpt_outside_memslots();
	test_reserved_pdpte_bits();
	test_reserved_pdpte_bits_on_use();
	test_pdptes_loaded_at_mov_cr3();
	test_pdptes_loaded_at_emulated_mov_cr3();
	test_pdpt_offsets();
	test_set_sregs2_pdptrs();
	test_set_sregs2_rejects_invalid();
	test_set_sregs2_without_pdptrs();
	test_set_sregs();
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	if (cfg.tdp || no_trace) {
		why = no_trace ?: "TDP is on, no PAE root";
		ksft_test_result_skip("%s: %s\n", "one_pae_pd_shadow_page_per_present_pdpte_target",
				      why);
		ksft_test_result_skip("2level_pd_shadowed_in_4_quadrants: %s\n", why);
	} else {
		test_shadow_pages_under_pae_root();
		test_2level_quadrants();
	}
	test_2level_pt_halves(no_trace);
	test_large_pages_mixed(GUEST_PAGING_32BIT);
	test_large_pages_mixed(GUEST_PAGING_PAE);
	ksft_finished();
}
