// SPDX-License-Identifier: GPL-2.0
/*
 * paging_modes_test: one scenario of guest page walks in every x86 paging
 * mode KVM's MMU handles: 32-bit protected mode without paging, 2-level
 * paging with 4K and 4M pages, PAE paging with 4K and 2M pages, and
 * IA-32e 4-level (4K, 2M) and 5-level paging.  Run by the guest step
 * engine on a plain vCPU, as L2 of a 64-bit L1 and as L2 of a PAE L1
 * (include/x86_64/mode_cases.h); one TAP result per mode and target:
 *
 *  <mode>[_l2|_l2_pae_l1]  page-table changes made by the guest through an
 *                          alias of its tables, INVLPG, CR3 switches,
 *                          not-present faults, CR0.WP, user mode, XD and
 *                          EFER.NXE, CR4.PGE, a sync with the host (and
 *                          there KVM_TRANSLATE of every mapping), (PAE)
 *                          PDPTE reloads, and (4K) page tables shared by
 *                          two PDEs and by two address spaces
 *
 * The same modes' access matrix, reserved bits, protection keys and 1G
 * pages are paging_access_matrix_test, paging_reserved_bits_test,
 * paging_pkeys_test and paging_1g_pages_test.
 *
 * Under shadow paging every step below goes through KVM's emulation of
 * the guest's page walk: the guest's writes to its own page tables (made
 * through an alias mapping of them) hit write-protected shadowed pages
 * and must be reflected in the shadow entries (mmu.c kvm_mmu_pte_write()
 * or the unsync/sync path), INVLPG and MOV CR3 reach kvm_mmu_invlpg()
 * and the root cache, CR0.WP changes the shadow pages' role.  Under TDP
 * the same steps run on the hardware's (here: QEMU's) page walker, which
 * is the control that tells a KVM bug from a test bug.
 *
 * Every expected outcome is architectural, with the SDM Vol. 3A section
 * next to it.
 */
#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "emulator.h"
#include "kvm_mmu_config.h"
#include "mode_cases.h"

/* VAs of the scenario, all in one 1 GiB region below 4 GiB. */
#define VA_BASE		0x40000000ull

/* The scenario's VAs: consecutive mappings of the case's page size. */
struct layout {
	uint64_t size;		/* bytes per mapping */
	uint64_t va_x;		/* as1: A, then B; as2: D */
	uint64_t va_np;		/* not present, then C */
	uint64_t va_ro;		/* A, read-only */
	uint64_t va_exec;	/* E, executable */
	uint64_t va_nx;		/* E, no-execute */
	uint64_t va_g;		/* A, global, then B */
	uint64_t va_user;	/* A, user */
	uint64_t va_uexec;	/* E, user, executable */
	uint64_t va_uro;	/* A, user, read-only */
	uint64_t a, b, c, d, e;	/* GPAs of the data */
};

static struct layout setup_layout(struct paging_vm *pvm, int level)
{
	uint64_t size = guest_paging_level_size(pvm->mode, level);
	struct layout l = {
		.size = size,
		.va_x = VA_BASE,
		.va_np = VA_BASE + size,
		.va_ro = VA_BASE + 2 * size,
		.va_exec = VA_BASE + 3 * size,
		.va_nx = VA_BASE + 4 * size,
		.va_g = VA_BASE + 5 * size,
		.va_user = VA_BASE + 6 * size,
		.va_uexec = VA_BASE + 7 * size,
		.va_uro = VA_BASE + 8 * size,
	};

	l.a = paging_vm_alloc(pvm, size, size);
	l.b = paging_vm_alloc(pvm, size, size);
	l.c = paging_vm_alloc(pvm, size, size);
	l.d = paging_vm_alloc(pvm, size, size);
	l.e = paging_vm_alloc(pvm, size, size);
	mode_case_fill(pvm, l.a, size, TAG_A);
	mode_case_fill(pvm, l.b, size, TAG_B);
	mode_case_fill(pvm, l.c, size, TAG_C);
	mode_case_fill(pvm, l.d, size, TAG_D);
	*(uint8_t *)paging_vm_hva(pvm, l.e) = RET_INSN;
	return l;
}

static bool mode_has_nx(struct paging_vm *pvm)
{
	return pvm->mode != GUEST_PAGING_32BIT && (pvm->efer & EFER_NX);
}

#define SYNC_REPLY_OFF	0x40
#define SYNC_REPLY	0x600d600d

struct sync_state {
	uint64_t page;		/* GPA the guest stored to before the sync */
	const struct layout *l;
	bool tdp;
	int calls;
	bool store_seen;
	int bad_translations;
};

#define NOT_MAPPED	(~0ull)

/*
 * KVM_TRANSLATE of @va: KVM's own walk of the guest's tables
 * (kvm_arch_vcpu_ioctl_translate(), x86.c: the vCPU's walk_mmu, whose
 * gva_to_gpa is FNAME(gva_to_gpa) of the guest's paging mode, or
 * nonpaging_gva_to_gpa(), also with TDP on; 6.12 and 7.3), a supervisor
 * read; for an L2, through L1's nested paging to L1's GPA.  @gpa: where
 * @va must translate to, or NOT_MAPPED.
 */
static int check_translation(struct paging_vm *pvm, uint64_t va, uint64_t gpa)
{
	struct kvm_translation tr = { .linear_address = va };

	vcpu_ioctl(pvm->vcpu, KVM_TRANSLATE, &tr);
	if (gpa == NOT_MAPPED ? !tr.valid : tr.valid && tr.physical_address == gpa)
		return 0;
	ksft_print_msg("%s: KVM_TRANSLATE 0x%lx: valid %u, 0x%llx; expected %s 0x%lx\n",
		       pvm->name, va, tr.valid, tr.physical_address,
		       gpa == NOT_MAPPED ? "not valid" : "valid,", gpa);
	return 1;
}

/*
 * At the sync step, the last byte of every mapping, and the one not
 * present.  Not va_nx: the walk sets the Accessed bit of its PTE, which
 * lets KVM prefetch an SPTE for it (FNAME(prefetch_invalid_gpte)), and
 * that SPTE then outlives the EFER.NXE phase's NXE=0: a known KVM defect
 * (DEFECT_SHADOW_EFER_NXE_STALE_SPTES) that paging_access_matrix_test
 * reports.  Not PAE under the emulator's PDPTE gap: KVM's walker reads
 * the PDPTEs again (load_pdptrs()) and refuses the bit 5 QEMU set.
 */
static int check_translations(struct paging_vm *pvm, const struct layout *l, bool tdp)
{
	const struct {
		uint64_t va, gpa;
	} mapped[] = {
		{ l->va_x, l->a }, { l->va_ro, l->a }, { l->va_exec, l->e }, { l->va_g, l->a },
		{ l->va_user, l->a }, { l->va_uexec, l->e }, { l->va_uro, l->a },
		{ l->va_np, NOT_MAPPED },
	};
	const uint64_t last = l->size - 1;
	int i, bad = 0;

	if (pvm->mode == GUEST_PAGING_PAE && emulator_sets_pdpte_bit5(tdp)) {
		ksft_print_msg("%s: KVM_TRANSLATE not checked: %s (%s)\n", pvm->name,
			       "the emulator sets bit 5 of PAE PDPTEs under NPT",
			       KVM_MMU_PDPTE_GAP_DOC);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(mapped); i++)
		bad += check_translation(pvm, mapped[i].va + last,
					 mapped[i].gpa == NOT_MAPPED ? NOT_MAPPED :
					 paging_vm_vm_gpa(pvm, mapped[i].gpa + last));
	return bad;
}

/*
 * At the guest's sync step: its store must be in memory; answer it.  And
 * KVM's walker must agree with the guest's tables.
 */
static void sync_with_host(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct sync_state *st = arg;

	st->calls++;
	st->store_seen = *(uint32_t *)paging_vm_hva(pvm, st->page + 4) == 0x5a5a5a5a;
	*(uint32_t *)paging_vm_hva(pvm, st->page + SYNC_REPLY_OFF) = SYNC_REPLY;
	st->bad_translations += check_translations(pvm, st->l, st->tdp);
}

/* Load both tagged dwords of the mapping at @va. */
static void load_tags(struct paging_vm *pvm, const struct layout *l, uint64_t va, uint32_t tag)
{
	gstep_load(pvm, va, 4, EXPECT_VALUE(tag));
	gstep_load(pvm, va + l->size - 4, 4, EXPECT_VALUE((uint32_t)~tag));
}

/*
 * PAE only: the PDPTEs.  A not-present PDPTE may hold anything in bits
 * 63:1: MOV CR3 ignores them and an access faults as not present (SDM
 * 4.4.1, Table 4-8).  After the guest rewrites a PDPTE, a MOV CR3 makes
 * the processor use the new one (4.4.1: PDPTEs are loaded at MOV CR3).
 * What is seen *before* that reload is left alone: native PAE keeps the
 * old PDPTE registers, AMD's nested paging reads PDPTEs on each walk.
 */
#define VA_PDPTE3	0xc0000000ull	/* PDPTE 3 */
#define PDPTE_JUNK	0xfffffffffffffffeull

static void pdpte_steps(struct paging_vm *pvm, struct guest_as *as1, struct guest_as *to_c,
			struct guest_as *to_d, const struct layout *l)
{
	gstep_phase(pvm, "pae: not-present pdpte with junk");
	gstep_switch_as(pvm, as1);
	gstep_load(pvm, VA_PDPTE3, 4, EXPECT_PF(0, VA_PDPTE3));
	gstep_store(pvm, VA_PDPTE3 + 8, 4, 1, EXPECT_PF(PFERR_WRITE_MASK, VA_PDPTE3 + 8));

	gstep_phase(pvm, "pae: pdpte made present, then mov cr3");
	gstep_write_entry(pvm, as1, VA_PDPTE3, 3, guest_as_read_entry(to_c, VA_PDPTE3, 3));
	gstep_switch_as(pvm, as1);
	load_tags(pvm, l, VA_PDPTE3, TAG_C);

	gstep_phase(pvm, "pae: pdpte pointed elsewhere, then mov cr3");
	gstep_write_entry(pvm, as1, VA_PDPTE3, 3, guest_as_read_entry(to_d, VA_PDPTE3, 3));
	gstep_switch_as(pvm, as1);
	load_tags(pvm, l, VA_PDPTE3, TAG_D);
}

/*
 * 4K cases: one page table reachable through two PDEs of as1 (va_s and
 * va_s2, the same PTE for both) and through as2's PDE for va_s.  A PTE
 * write is seen through every path once each path's TLB entries are gone:
 * INVLPG per linear address, MOV CR3 for the other hierarchy (SDM
 * 4.10.4.1, 4.10.4.2).  Under shadow paging, KVM must update (or zap)
 * every shadow of that guest page table.
 */
#define VA_SHARED	0x80000000ull

static void setup_shared(struct paging_vm *pvm, struct guest_as *as1, struct guest_as *as2,
			 const struct layout *l)
{
	uint64_t va_s2 = VA_SHARED + guest_paging_level_size(pvm->mode, 2);

	guest_as_map(as1, VA_SHARED, l->a, 1, GP_P | GP_RW);
	guest_as_share(as1, va_s2, as1, VA_SHARED, 2);
	guest_as_share(as2, VA_SHARED, as1, VA_SHARED, 2);
}

static void shared_steps(struct paging_vm *pvm, struct guest_as *as1, struct guest_as *as2,
			 const struct layout *l)
{
	uint64_t va_s2 = VA_SHARED + guest_paging_level_size(pvm->mode, 2);
	const uint64_t rw = GP_P | GP_RW;

	gstep_phase(pvm, "shared page table: two pdes of one table");
	gstep_switch_as(pvm, as1);
	load_tags(pvm, l, VA_SHARED, TAG_A);
	load_tags(pvm, l, va_s2, TAG_A);
	gstep_write_entry(pvm, as1, VA_SHARED, 1, l->b | rw);
	gstep_invlpg(pvm, VA_SHARED);
	gstep_invlpg(pvm, va_s2);
	load_tags(pvm, l, VA_SHARED, TAG_B);
	load_tags(pvm, l, va_s2, TAG_B);

	gstep_phase(pvm, "shared page table: two address spaces");
	gstep_switch_as(pvm, as2);
	load_tags(pvm, l, VA_SHARED, TAG_B);
	gstep_write_entry(pvm, as2, VA_SHARED, 1, l->c | rw);
	gstep_invlpg(pvm, VA_SHARED);
	load_tags(pvm, l, VA_SHARED, TAG_C);
	gstep_switch_as(pvm, as1);
	load_tags(pvm, l, VA_SHARED, TAG_C);
	load_tags(pvm, l, va_s2, TAG_C);
}

static void build_steps(struct paging_vm *pvm, struct guest_as *as1, struct guest_as *as2,
			const struct layout *l, int level, bool tdp)
{
	const uint64_t tcg_rsvd_without_p = emulator_rsvd_pf_without_p(tdp) ? PFERR_PRESENT_MASK : 0;
	const uint64_t rw = GP_P | GP_RW;

	gstep_phase(pvm, "access");
	load_tags(pvm, l, l->va_x, TAG_A);
	gstep_store(pvm, l->va_x + 4, 4, 0x5a5a5a5a, EXPECT_OK());
	gstep_load(pvm, l->va_x + 4, 4, EXPECT_VALUE(0x5a5a5a5a));

	/* The host checks the store and writes a reply (sync_with_host()). */
	gstep_phase(pvm, "sync with host");
	gstep_sync(pvm);
	gstep_load(pvm, l->va_x + SYNC_REPLY_OFF, 4, EXPECT_VALUE(SYNC_REPLY));

	/*
	 * Remap va_x from A to B through the alias, then INVLPG: afterwards
	 * no TLB entry for va_x may survive (SDM 4.10.4.1, INVLPG; 4.10.4.2:
	 * software must invalidate after changing a present entry's address).
	 */
	gstep_phase(pvm, "remap through alias + invlpg");
	gstep_write_entry(pvm, as1, l->va_x, level, l->b | rw | (level > 1 ? GP_PS : 0));
	gstep_invlpg(pvm, l->va_x);
	load_tags(pvm, l, l->va_x, TAG_B);

	/*
	 * Not present: #PF, error code P=0, W = write access, U/S=0 (CPL 0),
	 * I/D=0, CR2 = the faulting linear address (SDM 4.7, 6.15 "Interrupt
	 * 14").
	 */
	gstep_phase(pvm, "not present");
	gstep_load(pvm, l->va_np, 4, EXPECT_PF(0, l->va_np));
	gstep_store(pvm, l->va_np + 8, 4, 1, EXPECT_PF(PFERR_WRITE_MASK, l->va_np + 8));

	/*
	 * P 0 -> 1 needs no invalidation: no TLB or paging-structure-cache
	 * entry is created from a not-present entry (SDM 4.10.4.3).
	 */
	gstep_phase(pvm, "make present through alias");
	gstep_write_entry(pvm, as1, l->va_np, level, l->c | rw | (level > 1 ? GP_PS : 0));
	load_tags(pvm, l, l->va_np, TAG_C);

	/*
	 * MOV CR3 switches to another paging hierarchy and invalidates the
	 * non-global TLB entries (SDM 4.10.4.1; CR4.PGE is 0 here).
	 */
	gstep_phase(pvm, "switch cr3");
	gstep_switch_as(pvm, as2);
	load_tags(pvm, l, l->va_x, TAG_D);
	gstep_load(pvm, l->va_np, 4, EXPECT_PF(0, l->va_np));
	gstep_switch_as(pvm, as1);
	load_tags(pvm, l, l->va_x, TAG_B);

	/*
	 * Supervisor writes to a read-only page fault when CR0.WP = 1 (error
	 * code P|W) and are allowed when CR0.WP = 0 (SDM 4.6.1).  The TLB
	 * keeps the entries' rights; CR0.WP applies at access time (4.10.2.2).
	 */
	gstep_phase(pvm, "cr0.wp");
	gstep_load(pvm, l->va_ro, 4, EXPECT_VALUE(TAG_A));
	gstep_store(pvm, l->va_ro + 8, 4, 1, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
						       l->va_ro + 8));
	gstep_cr0(pvm, 0, X86_CR0_WP);
	gstep_store(pvm, l->va_ro + 12, 4, 0x77, EXPECT_OK());
	gstep_load(pvm, l->va_ro + 12, 4, EXPECT_VALUE(0x77));
	gstep_cr0(pvm, X86_CR0_WP, 0);
	gstep_store(pvm, l->va_ro + 16, 4, 1, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
							l->va_ro + 16));

	/*
	 * CPL 3: user accesses need U/S=1 at every level, writes R/W=1 at
	 * every level whatever CR0.WP is (SDM 4.6.1).  A user access to a
	 * supervisor page faults with P|U/S (and W/R for a write); a fetch
	 * reports I/D only with PAE or IA-32e paging and EFER.NXE = 1, or
	 * CR4.SMEP = 1 (4.7).
	 */
	gstep_phase(pvm, "user mode");
	gstep_load_user(pvm, l->va_user, 4, EXPECT_VALUE(TAG_A));
	gstep_store_user(pvm, l->va_user + 20, 4, 0x99, EXPECT_OK());
	gstep_load_user(pvm, l->va_user + 20, 4, EXPECT_VALUE(0x99));
	gstep_load_user(pvm, l->va_x, 4, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_USER_MASK, l->va_x));
	gstep_store_user(pvm, l->va_ro + 4, 4, 1,
			 EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK,
				   l->va_ro + 4));
	gstep_exec_user(pvm, l->va_uexec, EXPECT_OK());
	gstep_exec_user(pvm, l->va_exec,
			EXPECT_PF(PFERR_PRESENT_MASK | PFERR_USER_MASK |
				  (mode_has_nx(pvm) ? PFERR_FETCH_MASK : 0),
				  l->va_exec));
	gstep_load_user(pvm, l->va_uro, 4, EXPECT_VALUE(TAG_A));
	gstep_cr0(pvm, 0, X86_CR0_WP);
	gstep_store_user(pvm, l->va_uro + 24, 4, 1,
			 EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK | PFERR_USER_MASK,
				   l->va_uro + 24));
	gstep_cr0(pvm, X86_CR0_WP, 0);

	/*
	 * Instruction fetch from an XD=1 page with EFER.NXE = 1 faults with
	 * P|I/D (SDM 4.6.2, 4.7); only PAE and IA-32e entries have XD.
	 */
	gstep_phase(pvm, "execute");
	gstep_exec(pvm, l->va_exec, EXPECT_OK());
	if (mode_has_nx(pvm)) {
		gstep_exec(pvm, l->va_nx, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK,
						    l->va_nx));

		/*
		 * With EFER.NXE = 0, XD (bit 63) of a present entry is
		 * reserved: #PF with P|RSVD (SDM 4.4.2, 4.5.4, 4.7).  WRMSR
		 * flushes nothing, so INVLPG drops any TLB entry for va_nx
		 * first (4.10.4.1).
		 *
		 * Under TDP the guest's page walk is the CPU's, which in this
		 * project's VM is QEMU's TCG: its mmu_translate() reports
		 * reserved-bit faults with RSVD but without P (do_fault_rsvd in
		 * target/i386/tcg/sysemu/excp_helper.c), so P is not compared
		 * there (emulator_rsvd_pf_without_p(): not on a fixed QEMU).
		 */
		gstep_phase(pvm, "efer.nxe");
		gstep_efer(pvm, 0, EFER_NX);
		gstep_invlpg(pvm, l->va_nx);
		gstep_load(pvm, l->va_nx, 1,
			   EXPECT_PF_IGNORING(PFERR_PRESENT_MASK | PFERR_RSVD_MASK,
					      tcg_rsvd_without_p,
					      l->va_nx));
		gstep_efer(pvm, EFER_NX, 0);
		gstep_load(pvm, l->va_nx, 1, EXPECT_VALUE(RET_INSN));
	}

	/*
	 * A MOV to CR4 that changes CR4.PGE invalidates all TLB entries,
	 * global ones included (SDM 4.10.4.1), so a global mapping changed
	 * without INVLPG must be seen after PGE is cleared.
	 */
	if (pvm->mode == GUEST_PAGING_PAE && emulator_sets_pdpte_bit5(tdp)) {
		/*
		 * A CR4.PGE change in PAE paging reloads the PDPTEs and #GPs
		 * if one has a reserved bit set (SDM 4.4.1; kvm_set_cr4()),
		 * and QEMU's NPT walker sets their bit 5.
		 */
		ksft_print_msg("%s: cr4.pge phase not run: %s (%s)\n", pvm->name,
			       "the emulator sets bit 5 of PAE PDPTEs under NPT",
			       KVM_MMU_PDPTE_GAP_DOC);
		return;
	}
	gstep_phase(pvm, "cr4.pge");
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	load_tags(pvm, l, l->va_g, TAG_A);
	gstep_write_entry(pvm, as1, l->va_g, level,
			  l->b | rw | GP_G | (level > 1 ? GP_PS : 0));
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	load_tags(pvm, l, l->va_g, TAG_B);
}

/* Host-side view after the run: the guest's writes landed where mapped. */
static int check_memory(struct paging_vm *pvm, struct guest_as *as1, const struct layout *l,
			int level)
{
	uint64_t mask = ~(GP_A | GP_D);
	int bad = 0;

	if (*(uint32_t *)paging_vm_hva(pvm, l->a + 4) != 0x5a5a5a5a ||
	    *(uint32_t *)paging_vm_hva(pvm, l->a + 12) != 0x77) {
		ksft_print_msg("%s: the guest's stores did not reach page A\n", pvm->name);
		bad++;
	}
	if ((guest_as_read_entry(as1, l->va_x, level) & mask) !=
	    (l->b | GP_P | GP_RW | (level > 1 ? GP_PS : 0))) {
		ksft_print_msg("%s: the alias write did not reach as1's entry for 0x%lx: 0x%lx\n",
			       pvm->name, l->va_x,
			       guest_as_read_entry(as1, l->va_x, level));
		bad++;
	}
	return bad;
}

/* Without paging, linear = physical: loads and stores of the data area. */
static int run_paging_off(struct paging_vm *pvm, int *nr_steps)
{
	uint64_t a = paging_vm_alloc(pvm, 4096, 4096);

	mode_case_fill(pvm, a, 4096, TAG_A);
	gstep_phase(pvm, "physical access");
	gstep_load(pvm, a, 4, EXPECT_VALUE(TAG_A));
	gstep_load(pvm, a + 4096 - 4, 4, EXPECT_VALUE((uint32_t)~TAG_A));
	gstep_store(pvm, a + 8, 8, 0x1122334455667788ull, EXPECT_OK());
	gstep_load(pvm, a + 8, 8, EXPECT_VALUE(0x1122334455667788ull));
	gstep_load(pvm, a + 8, 2, EXPECT_VALUE(0x7788));

	/* CPL 3 without paging: segment checks only, all flat here. */
	*(uint8_t *)paging_vm_hva(pvm, a + 0x800) = RET_INSN;
	gstep_phase(pvm, "user mode");
	gstep_load_user(pvm, a, 4, EXPECT_VALUE(TAG_A));
	gstep_store_user(pvm, a + 16, 4, 0x99, EXPECT_OK());
	gstep_load_user(pvm, a + 16, 1, EXPECT_VALUE(0x99));
	gstep_exec_user(pvm, a + 0x800, EXPECT_OK());
	*nr_steps = pvm->nr_steps;
	return paging_vm_run_steps(pvm);
}

static int run_case(const struct mode_case *c, bool tdp, int *nr_steps)
{
	struct guest_as *as1, *as2, *to_c = NULL, *to_d = NULL;
	struct sync_state sync = { 0 };
	struct paging_vm *pvm;
	struct layout l;
	uint64_t rw = GP_P | GP_RW;
	uint64_t root2;
	int bad;

	pvm = mode_case_vm_create(c);
	if (c->mode == GUEST_PAGING_OFF) {
		bad = run_paging_off(pvm, nr_steps);
		mode_case_vm_free(pvm);
		return bad;
	}

	as1 = guest_as_create(pvm);
	/* A PAE PDPT only needs 32-byte alignment (SDM 4.4.1): use the page's end. */
	root2 = paging_vm_alloc_table(pvm);
	if (c->mode == GUEST_PAGING_PAE)
		root2 += 4096 - 32;
	as2 = guest_as_create_at(pvm, root2);
	guest_as_map_tables(as1, VA_TABLES);
	guest_as_map_tables(as2, VA_TABLES);

	l = setup_layout(pvm, c->level);
	guest_as_map(as1, l.va_x, l.a, c->level, rw);
	guest_as_map(as1, l.va_ro, l.a, c->level, GP_P);
	guest_as_map(as1, l.va_exec, l.e, c->level, GP_P);
	if (mode_has_nx(pvm))
		guest_as_map(as1, l.va_nx, l.e, c->level, GP_P | GP_NX);
	guest_as_map(as1, l.va_g, l.a, c->level, rw | GP_G);
	guest_as_map(as1, l.va_user, l.a, c->level, rw | GP_US);
	guest_as_map(as1, l.va_uexec, l.e, c->level, GP_P | GP_US);
	guest_as_map(as1, l.va_uro, l.a, c->level, GP_P | GP_US);
	/* Make the table holding va_np's entry exist, with that entry zero. */
	guest_as_unmap(as1, l.va_np, c->level);
	guest_as_map(as2, l.va_x, l.d, c->level, rw);

	if (c->mode == GUEST_PAGING_PAE) {
		to_c = guest_as_create(pvm);
		to_d = guest_as_create(pvm);
		guest_as_map(to_c, VA_PDPTE3, l.c, c->level, rw);
		guest_as_map(to_d, VA_PDPTE3, l.d, c->level, rw);
		/* Before the first run: KVM_SET_SREGS loads as1's PDPTEs. */
		guest_as_write_entry(as1, VA_PDPTE3, 3, PDPTE_JUNK);
	}

	if (c->level == 1)
		setup_shared(pvm, as1, as2, &l);

	build_steps(pvm, as1, as2, &l, c->level, tdp);
	if (c->mode == GUEST_PAGING_PAE)
		pdpte_steps(pvm, as1, to_c, to_d, &l);
	if (c->level == 1)
		shared_steps(pvm, as1, as2, &l);
	*nr_steps = pvm->nr_steps;
	sync.page = l.a;
	sync.l = &l;
	sync.tdp = tdp;
	pvm->sync_fn = sync_with_host;
	pvm->sync_arg = &sync;
	bad = paging_vm_run_steps(pvm);
	if (sync.calls != 1 || !sync.store_seen) {
		ksft_print_msg("%s: %d sync calls (expected 1), the guest's store %s\n",
			       pvm->name, sync.calls, sync.store_seen ? "seen" : "not seen");
		bad++;
	}
	bad += sync.bad_translations;
	bad += check_memory(pvm, as1, &l, c->level);
	mode_case_vm_free(pvm);
	return bad;
}

/*
 * The scenario has INVLPG steps, which as L2 of the 64-bit L1 crash 6.12
 * with TDP off (paging_vm_l2_invlpg_crashes_host()); the access matrix
 * and the reserved bits have none and run.
 */
static const char *scenario_crashes_host(const struct mode_case *c,
					 const struct kvm_mmu_config *cfg)
{
	return c->as == AS_L2 && c->level ?
	       paging_vm_l2_invlpg_crashes_host(c->mode, cfg->tdp) : NULL;
}

static int nr_results(const struct mode_case *c)
{
	return 1;
}

static void run(const struct mode_case *c, const struct kvm_mmu_config *cfg, const char *why)
{
	const char *crash = scenario_crashes_host(c, cfg);
	int bad, nr_steps;

	if (why) {
		mode_case_skip(c, "", why);
	} else if (crash) {
		mode_case_xfail(c, "", kvm_mmu_config_name(cfg), crash);
	} else {
		bad = run_case(c, cfg->tdp, &nr_steps);
		ksft_print_msg("%s: %d steps, %d mismatches\n", c->name, nr_steps, bad);
		mode_case_result(c, bad, "", kvm_mmu_config_name(cfg));
	}
}

int main(int argc, char *argv[])
{
	return mode_cases_main(&(struct mode_case_test){ .nr_results = nr_results, .run = run });
}
