// SPDX-License-Identifier: GPL-2.0
/*
 * unsync_test: guest page tables that KVM lets go out of sync, brought
 * back by INVLPG and MOV CR3 with the right permissions, in 2-level, PAE
 * and 64-bit guests.
 *
 * One guest page table PT is reached through two page-directory entries:
 * VA_RW (R/W=1) and VA_RO (R/W=0).  With TDP off, KVM shadows PT twice,
 * once per role.access (FNAME(fetch) -> kvm_mmu_get_child_sp(),
 * arch/x86/kvm/mmu/paging_tmpl.h).  The guest rewrites PT's entries
 * through an alias mapping: the first write makes KVM unsync PT's shadow
 * pages instead of write-protecting them (mmu_try_to_unsync_pages(),
 * arch/x86/kvm/mmu/mmu.c).  INVLPG (kvm_mmu_invlpg() ->
 * kvm_mmu_invalidate_addr()) and MOV CR3 (kvm_mmu_sync_roots() ->
 * kvm_sync_page()) must then bring each instance back in sync, with its
 * own access: kvm_sync_page_check() allows a sync under the current root
 * although the page's role.access (and quadrant, passthrough) differ from
 * the root's, by masking them with sync_role_ign; FNAME(sync_spte) takes
 * the access from sp->role.access & the new gpte.
 *
 * Guest-visible, every configuration (SDM 4.6: effective rights are the
 * combination of all levels; 4.10.4.1: after INVLPG the address uses the
 * new entry, after MOV CR3 every non-global one does; 4.10.4.3: P 0->1
 * needs no flush): each change of a leaf entry - frame, present ->
 * not-present, not-present -> present, R/W 0 -> 1, U/S 0 -> 1, XD - is
 * seen through VA_RW after INVLPG and through VA_RO after MOV CR3, and a
 * write through VA_RO always faults.  Before the flush any outcome the
 * architecture allows is accepted.
 *
 * TDP off, read back through kvmmmu events: PT was unsynced, synced, and
 * never zapped, in both roles.  Without kvmmmu tracing (the build or the
 * host), the guest-visible checks still run: a case fails on them, and
 * otherwise skips with the reason (paging_report_traced()).
 *
 * More cases per mode, each described where it is built:
 *  <mode>_global_entries_and_cr4_pge      CR4.PGE toggles, INVLPG and
 *                                         MOV CR3 with a global leaf
 *  <mode>_page_table_shared_by_address_spaces
 *                                         three address spaces, three roles
 *  <mode>_upper_level_writes_emulated     PDE writes, write flooding, a
 *                                         misaligned write, a page table
 *                                         reused as a page directory
 *                                         (XFAIL on kvm_amd 7.3 with the
 *                                         evidence of a known KVM bug:
 *                                         vectoring_defect())
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "emulator.h"
#include "known_defects.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "guest_paging.h"

#define VA_TABLES	0x20000000ull
/* Different page-directory entries in every mode, same page directory. */
#define VA_RW		0x40000000ull
#define VA_RO		0x40800000ull
/* Other directory entries of the same page directory, in every mode. */
#define VA_ALT		0x41000000ull
#define VA_FLOOD	0x42000000ull
/* PAE and 64-bit: a page-directory-pointer entry of its own. */
#define VA_HIGH		0x80000000ull
/* CPUID.01H:EDX.PGE[bit 13] (SDM Vol. 2A, CPUID). */
#define GP_FEATURE_PGE	KVM_X86_CPU_FEATURE(0x1, 0, EDX, 13)

static const enum guest_paging_mode modes[] = {
	GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_4LEVEL,
};

static struct kvm_mmu_config cfg;
/* TDP off: why there is no kvmmmu tracing, or NULL. */
static const char *no_trace;

/* Test cases per paging mode (run_mode_cases()). */
#define NR_CASES	4

struct scene {
	struct paging_vm *pvm;
	struct guest_as *as;
	uint64_t data[4];	/* GPAs of pages tagged 0xd0..0xd3 */
	uint64_t pt;		/* GPA of the shared page table */
};

static uint32_t tag(int i)
{
	return 0xd0d0d000u | i;
}

static void build_scene(struct scene *s, enum guest_paging_mode mode)
{
	struct paging_vm *pvm = paging_vm_create(mode);
	uint64_t pde;
	int i;

	s->pvm = pvm;
	s->as = guest_as_create(pvm);
	guest_as_map_tables(s->as, VA_TABLES);
	for (i = 0; i < 4; i++)
		s->data[i] = paging_vm_tagged_page(pvm, tag(i));
	guest_as_map(s->as, VA_RW, s->data[0], 1, GP_P | GP_RW);
	guest_as_map(s->as, VA_RW + PAGE_SIZE, s->data[1], 1, GP_P | GP_RW);
	/* VA_RO's directory entry names the same table, read-only. */
	guest_as_share(s->as, VA_RO, s->as, VA_RW, 2);
	pde = guest_as_read_entry(s->as, VA_RO, 2);
	guest_as_write_entry(s->as, VA_RO, 2, pde & ~GP_RW);
	s->pt = pde & ~0xfffull & ~GP_NX;
}

/* Before the first run only (see guest_paging.h). */
static void write_pte_host(struct scene *s, int idx, uint64_t val)
{
	guest_as_write_entry(s->as, VA_RW + idx * PAGE_SIZE, 1, val);
}

static void write_pte(struct scene *s, int idx, uint64_t val)
{
	gstep_write_entry(s->pvm, s->as, VA_RW + idx * PAGE_SIZE, 1, val);
}

/* After a flush of everything: both views of entry @idx agree. */
static void check_both(struct scene *s, int idx, struct gstep_expect rw,
		       struct gstep_expect ro)
{
	gstep_load(s->pvm, VA_RW + idx * PAGE_SIZE, 4, rw);
	gstep_load(s->pvm, VA_RO + idx * PAGE_SIZE, 4, ro);
}

static void build_steps(struct scene *s)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t ro_write = PFERR_PRESENT_MASK | PFERR_WRITE_MASK;
	bool nx = pvm->mode != GUEST_PAGING_32BIT && (pvm->efer & EFER_NX);

	gstep_phase(pvm, "warm up both views");
	check_both(s, 0, EXPECT_VALUE(tag(0)), EXPECT_VALUE(tag(0)));
	check_both(s, 1, EXPECT_VALUE(tag(1)), EXPECT_VALUE(tag(1)));
	gstep_store(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write, VA_RO));

	gstep_phase(pvm, "frame change");
	write_pte(s, 0, s->data[2] | GP_P | GP_RW);
	gstep_load(pvm, VA_RO, 4, EXPECT_ANY());
	gstep_invlpg(pvm, VA_RW);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(2)));
	gstep_switch_as(pvm, s->as);
	check_both(s, 0, EXPECT_VALUE(tag(2)), EXPECT_VALUE(tag(2)));
	gstep_store(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write, VA_RO));

	gstep_phase(pvm, "present -> not present");
	write_pte(s, 1, 0);
	gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
	gstep_load(pvm, VA_RW + PAGE_SIZE, 4, EXPECT_PF(0, VA_RW + PAGE_SIZE));
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO + PAGE_SIZE, 4, EXPECT_PF(0, VA_RO + PAGE_SIZE));

	gstep_phase(pvm, "not present -> present, read-only");
	write_pte(s, 1, s->data[3] | GP_P);
	check_both(s, 1, EXPECT_VALUE(tag(3)), EXPECT_VALUE(tag(3)));
	gstep_store(pvm, VA_RW + PAGE_SIZE, 4, 1, EXPECT_PF(ro_write, VA_RW + PAGE_SIZE));

	gstep_phase(pvm, "R/W 0 -> 1");
	write_pte(s, 1, s->data[3] | GP_P | GP_RW);
	gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
	gstep_store(pvm, VA_RW + PAGE_SIZE + 8, 4, 0x77, EXPECT_OK());
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO + PAGE_SIZE + 8, 4, EXPECT_VALUE(0x77));
	gstep_store(pvm, VA_RO + PAGE_SIZE, 4, 1, EXPECT_PF(ro_write, VA_RO + PAGE_SIZE));

	gstep_phase(pvm, "U/S 0 -> 1");
	gstep_load_user(pvm, VA_RW, 4, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_USER_MASK, VA_RW));
	write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_US);
	gstep_invlpg(pvm, VA_RW);
	gstep_load_user(pvm, VA_RW, 4, EXPECT_VALUE(tag(2)));
	gstep_switch_as(pvm, s->as);
	gstep_load_user(pvm, VA_RO, 4, EXPECT_VALUE(tag(2)));
	gstep_store_user(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write | PFERR_USER_MASK, VA_RO));

	gstep_phase(pvm, "R/W 1 -> 0");
	write_pte(s, 0, s->data[2] | GP_P | GP_US);
	gstep_invlpg(pvm, VA_RW);
	gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_PF(ro_write, VA_RW + 8));

	if (nx) {
		gstep_phase(pvm, "XD 0 -> 1 -> 0");
		gstep_exec(pvm, VA_RW + PAGING_EXEC_OFF, EXPECT_OK());
		write_pte(s, 0, s->data[2] | GP_P | GP_NX);
		gstep_invlpg(pvm, VA_RW);
		gstep_exec(pvm, VA_RW + PAGING_EXEC_OFF,
			   EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK,
				     VA_RW + PAGING_EXEC_OFF));
		gstep_switch_as(pvm, s->as);
		gstep_exec(pvm, VA_RO + PAGING_EXEC_OFF,
			   EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK,
				     VA_RO + PAGING_EXEC_OFF));
		write_pte(s, 0, s->data[2] | GP_P);
		gstep_invlpg(pvm, VA_RW);
		gstep_exec(pvm, VA_RW + PAGING_EXEC_OFF, EXPECT_OK());
	}
}

static size_t count(struct kvm_mmu_model *m, int type, uint64_t gfn)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = type, .gfn = gfn, .level = 1);

	return kvm_mmu_model_count(m, q);
}

static size_t count_pages(struct kvm_mmu_model *m, uint64_t gfn)
{
	struct kvm_mmu_query q = KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .gfn = gfn,
					       .level = 1, .direct = 0);

	return kvm_mmu_model_count_pages(m, q);
}

#define SYNCED_FMT							\
	"%s: expected %zu shadow pages (one per directory entry rights), each unsynced and synced, none zapped\n"

/*
 * TDP off: PT's @nr shadow pages (one per role.access) went unsync and
 * were synced, none zapped.
 */
static bool check_synced(struct scene *s, struct kvm_trace *t, size_t nr)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	uint64_t gfn = s->pt >> 12;
	size_t pages = count_pages(m, gfn), unsync = count(m, KVM_MMU_UNSYNC_PAGE, gfn);
	size_t sync = count(m, KVM_MMU_SYNC_PAGE, gfn);
	size_t zap = count(m, KVM_MMU_PREPARE_ZAP_PAGE, gfn);
	bool ok = pages == nr && unsync >= nr && sync >= nr && !zap;

	ksft_print_msg("%s: PT gfn 0x%lx: %zu shadow pages, %zu unsync, %zu sync, %zu zap events\n",
		       s->pvm->name, gfn, pages, unsync, sync, zap);
	if (!ok) {
		ksft_print_msg(SYNCED_FMT, s->pvm->name, nr);
		kvm_trace_print(t);
	}
	return ok;
}

/* Whether a case reads back shadow pages through kvmmmu events. */
static bool traced(void)
{
	return !cfg.tdp && !no_trace;
}

static void run_mode(enum guest_paging_mode mode)
{
	struct kvm_trace *t;
	struct scene s;
	bool ok;

	build_scene(&s, mode);
	build_steps(&s);
	ok = paging_vm_run_traced(s.pvm, traced(), guest_paging_mode_name(mode), &t);
	if (t) {
		ok &= check_synced(&s, t, 2);
		kvm_trace_destroy(t);
	}
	paging_report_traced(ok, no_trace, "%s_leaf_changes_synced_in_both_roles_%s",
			     guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg));
	paging_vm_free(s.pvm);
}

/*
 * <mode>_global_entries_and_cr4_pge: CR4.PGE = 1, leaf G global (G = 1),
 * leaf N not, in the same page table.  SDM Vol. 3A 4.10.4.1: a MOV to CR4
 * that changes PGE invalidates all TLB entries, global ones included;
 * MOV to CR3 invalidates all but the global ones (a global entry may
 * survive, so either outcome is accepted); INVLPG invalidates the
 * address's entries, global or not.  KVM: the PGE change requests
 * KVM_REQ_TLB_FLUSH_GUEST (kvm_post_set_cr4(), x86.c), whose handler
 * syncs the shadow pages with TDP off (kvm_vcpu_flush_tlb_guest() ->
 * kvm_mmu_sync_roots()); INVLPG syncs the address's SPTE in every root
 * (kvm_mmu_invlpg()).
 */
static void build_pge_steps(struct scene *s)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t g = VA_RW, n = VA_RW + PAGE_SIZE;

	gstep_phase(pvm, "warm up global and non-global");
	gstep_load(pvm, g, 4, EXPECT_VALUE(tag(0)));
	gstep_load(pvm, n, 4, EXPECT_VALUE(tag(1)));

	gstep_phase(pvm, "frame changes, CR4.PGE cleared");
	write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_G);
	write_pte(s, 1, s->data[3] | GP_P | GP_RW);
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_load(pvm, g, 4, EXPECT_VALUE(tag(2)));
	gstep_load(pvm, n, 4, EXPECT_VALUE(tag(3)));

	gstep_phase(pvm, "frame changes, CR4.PGE set");
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	write_pte(s, 0, s->data[0] | GP_P | GP_RW | GP_G);
	write_pte(s, 1, s->data[1] | GP_P | GP_RW);
	/* The PGE change above was before the writes: load through them now. */
	gstep_load(pvm, g, 4, EXPECT_ANY());
	gstep_load(pvm, n, 4, EXPECT_ANY());
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	gstep_load(pvm, g, 4, EXPECT_VALUE(tag(0)));
	gstep_load(pvm, n, 4, EXPECT_VALUE(tag(1)));

	gstep_phase(pvm, "global entry, INVLPG");
	write_pte(s, 0, s->data[3] | GP_P | GP_RW | GP_G);
	gstep_invlpg(pvm, g);
	gstep_load(pvm, g, 4, EXPECT_VALUE(tag(3)));

	gstep_phase(pvm, "global and non-global entry, MOV CR3");
	write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_G);
	write_pte(s, 1, 0);
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, g, 4, EXPECT_ANY());
	gstep_load(pvm, n, 4, EXPECT_PF(0, n));
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_load(pvm, g, 4, EXPECT_VALUE(tag(2)));

	gstep_phase(pvm, "global entry made not present, CR4.PGE cleared");
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	gstep_load(pvm, g, 4, EXPECT_VALUE(tag(2)));
	write_pte(s, 0, 0);
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_load(pvm, g, 4, EXPECT_PF(0, g));
}

#define PGE_PDPTE_SKIP_FMT						\
	"%s_global_entries_and_cr4_pge: CR4.PGE reloads PAE PDPTEs, whose bit 5 the emulator's NPT walker sets\n"

static void run_pge(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	struct kvm_trace *t = NULL;
	struct scene s;
	bool ok;

	if (!kvm_cpu_has(GP_FEATURE_PGE)) {
		ksft_test_result_skip("%s_global_entries_and_cr4_pge: the vCPU has no PGE\n", name);
		return;
	}
	/*
	 * A CR4.PGE change in PAE paging reloads the PDPTEs (SDM 4.4.1),
	 * which under NPT in this project's VM fails on bit 5 that QEMU's
	 * walker set (docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md).
	 */
	if (mode == GUEST_PAGING_PAE && emulator_sets_pdpte_bit5(cfg.tdp)) {
		ksft_test_result_skip(PGE_PDPTE_SKIP_FMT, name);
		return;
	}
	build_scene(&s, mode);
	s.pvm->cr4 |= X86_CR4_PGE;
	write_pte_host(&s, 0, s.data[0] | GP_P | GP_RW | GP_G);
	build_pge_steps(&s);
	ok = paging_vm_run_traced(s.pvm, traced(), "pge", &t);
	if (t) {
		ok &= check_synced(&s, t, 1);
		kvm_trace_destroy(t);
	}
	paging_report_traced(ok, no_trace, "%s_global_entries_and_cr4_pge_%s", name,
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(s.pvm);
}

/*
 * <mode>_page_table_shared_by_address_spaces: three address spaces whose
 * directory entries for VA_RW name the same page table PT: read-write
 * user in AS 0, read-only user in AS 1, read-write supervisor in AS 2.
 * KVM shadows PT once per role.access, and keeps a root per address
 * space (mmu.c, kvm_mmu_new_pgd(), prev_roots).  The guest changes PT in
 * one address space; after MOV CR3 to each (SDM 4.10.4.1) every address
 * space sees the change with its own combined rights (4.6); with TDP off
 * each of PT's three shadow pages is unsynced and synced, none zapped.
 */
#define NR_AS	3

static void build_shared_steps(struct scene *s, struct guest_as **as)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t a = VA_RW, b = VA_RW + PAGE_SIZE;
	const uint32_t pf_u = PFERR_PRESENT_MASK | PFERR_USER_MASK;
	const uint32_t pf_w = PFERR_PRESENT_MASK | PFERR_WRITE_MASK;
	int i;

	gstep_phase(pvm, "warm up every address space");
	for (i = 0; i < NR_AS; i++) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(tag(0)));
		gstep_load(pvm, b, 4, EXPECT_VALUE(tag(1)));
	}

	gstep_phase(pvm, "changes made in AS 2, seen everywhere");
	write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_US);
	write_pte(s, 1, 0);
	for (i = 0; i < NR_AS; i++) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(tag(2)));
		gstep_load(pvm, b, 4, EXPECT_PF(0, b));
	}
	/* Combined rights (SDM 4.6): AS 1 read-only, AS 2 supervisor only. */
	gstep_switch_as(pvm, as[0]);
	gstep_store_user(pvm, a + 8, 4, 1, EXPECT_OK());
	gstep_switch_as(pvm, as[1]);
	gstep_load_user(pvm, a, 4, EXPECT_VALUE(tag(2)));
	gstep_store_user(pvm, a + 8, 4, 1, EXPECT_PF(pf_w | PFERR_USER_MASK, a + 8));
	gstep_store(pvm, a + 8, 4, 1, EXPECT_PF(pf_w, a + 8));
	gstep_switch_as(pvm, as[2]);
	gstep_load_user(pvm, a, 4, EXPECT_PF(pf_u, a));
	gstep_store(pvm, a + 8, 4, 1, EXPECT_OK());

	gstep_phase(pvm, "changes made in AS 1, seen everywhere");
	gstep_switch_as(pvm, as[1]);
	write_pte(s, 0, s->data[3] | GP_P | GP_US);
	write_pte(s, 1, s->data[1] | GP_P | GP_RW | GP_US);
	for (i = NR_AS - 1; i >= 0; i--) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(tag(3)));
		gstep_load(pvm, b, 4, EXPECT_VALUE(tag(1)));
		gstep_store(pvm, a + 8, 4, 1, EXPECT_PF(pf_w, a + 8));
	}
	gstep_switch_as(pvm, as[0]);
	gstep_store_user(pvm, b + 8, 4, 1, EXPECT_OK());
	gstep_switch_as(pvm, as[2]);
	gstep_store(pvm, b + 8, 4, 1, EXPECT_OK());
	gstep_load_user(pvm, b, 4, EXPECT_PF(pf_u, b));
}

static void run_shared(enum guest_paging_mode mode)
{
	struct kvm_trace *t = NULL;
	struct guest_as *as[NR_AS];
	struct scene s;
	uint64_t pde;
	bool ok;
	int i;

	build_scene(&s, mode);
	as[0] = s.as;
	for (i = 1; i < NR_AS; i++) {
		as[i] = guest_as_create(s.pvm);
		guest_as_map_tables(as[i], VA_TABLES);
		guest_as_share(as[i], VA_RW, s.as, VA_RW, 2);
		pde = guest_as_read_entry(as[i], VA_RW, 2);
		guest_as_write_entry(as[i], VA_RW, 2, pde & ~(i == 1 ? GP_RW : GP_US));
	}
	/* Leaves user-accessible: the directory entries decide. */
	write_pte_host(&s, 0, s.data[0] | GP_P | GP_RW | GP_US);
	write_pte_host(&s, 1, s.data[1] | GP_P | GP_RW | GP_US);
	build_shared_steps(&s, as);
	ok = paging_vm_run_traced(s.pvm, traced(), "address spaces", &t);
	if (t) {
		ok &= check_synced(&s, t, NR_AS);
		kvm_trace_destroy(t);
	}
	paging_report_traced(ok, no_trace, "%s_page_table_shared_by_address_spaces_%s",
			     guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg));
	paging_vm_free(s.pvm);
}

/*
 * <mode>_upper_level_writes_emulated: writes KVM must not let go unsync.
 * Only level-1 shadow pages may be unsync: a page directory's shadow page
 * is write-tracked (account_shadowed(), mmu.c), so mmu_try_to_unsync_pages()
 * refuses it and each guest write to it faults and is emulated; the
 * emulator's write reaches kvm_mmu_track_write(), which zaps the SPTE of
 * the written entry (mmu_pde_zapped), or the whole shadow page when the
 * write is misaligned (detect_write_misaligned(): less than 4 bytes) or
 * the page is written 3 times without being used in a walk meanwhile
 * (detect_write_flooding()), counting mmu_flooded.  A level-1 page that is
 * unsync and then becomes a page directory too (PAE, 64-bit: VA_HIGH's
 * PDPTE names it) is zapped as a page table (kvm_mmu_find_shadow_page():
 * "zap unsync pages for the same gfn" when an upper-level page is
 * created), after which it is write-tracked and never unsync again.
 *
 * Guest-visible, every configuration: each directory change is seen after
 * INVLPG (SDM 4.10.4.1); through VA_RW, whose PDE names the reused page,
 * the entries the guest wrote there read as data.  TDP off: no unsync
 * event for the page directory; its shadow page zapped (flooding,
 * misaligned write); the reused page's level-1 shadow pages zapped when
 * its level-2 one is created, and no unsync event for it afterwards; the
 * stats mmu_flooded and mmu_pde_zapped move.
 */
enum upper_part {
	UPPER_PDE_WRITES,
	UPPER_FLOODING,
	UPPER_MISALIGNED,
	UPPER_REUSE,
	UPPER_NR_PARTS,
};

static const char *const upper_part_names[UPPER_NR_PARTS] = {
	"PDE writes", "write flooding", "misaligned PDE write",
	"unsync page table reused as a page directory",
};

struct upper {
	struct scene s;
	uint64_t pde_alt, pde_rw, pde_gpa, pd;
	uint32_t alt_pte;
	int quadrant;	/* of VA_RW's directory shadow page (2-level: 1) */
	int phase[UPPER_NR_PARTS];
	uint64_t flooded[UPPER_NR_PARTS], pde_zapped[UPPER_NR_PARTS];
};

static void build_upper_part(struct upper *u, enum upper_part part)
{
	struct scene *s = &u->s;
	struct paging_vm *pvm = s->pvm;
	uint64_t high, big = guest_paging_level_size(pvm->mode, 2);
	int i;

	gstep_phase(pvm, upper_part_names[part]);
	switch (part) {
	case UPPER_PDE_WRITES:
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(0)));
		gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(tag(2)));
		gstep_write_entry(pvm, s->as, VA_RW, 2, u->pde_alt);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(2)));
		gstep_write_entry(pvm, s->as, VA_RW, 2, 0);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_PF(0, VA_RW));
		gstep_write_entry(pvm, s->as, VA_RW, 2, u->pde_rw);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(0)));
		break;
	case UPPER_FLOODING:
		/* No walk through the directory between the writes. */
		for (i = 0; i < 4; i++)
			gstep_write_entry(pvm, s->as, VA_FLOOD, 2, i & 1 ? 0 : u->pde_alt);
		gstep_load(pvm, VA_FLOOD, 4, EXPECT_PF(0, VA_FLOOD));
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(0)));
		break;
	case UPPER_MISALIGNED:
		/* The low 2 bytes: flags and address bits 15:12; R/W cleared. */
		gstep_store(pvm, paging_vm_table_va(pvm, u->pde_gpa), 2,
			    (u->pde_rw & 0xffff) & ~GP_RW, EXPECT_OK());
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(tag(0)));
		gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
							    VA_RW + 8));
		gstep_store(pvm, paging_vm_table_va(pvm, u->pde_gpa), 2, u->pde_rw & 0xffff,
			    EXPECT_OK());
		gstep_invlpg(pvm, VA_RW);
		gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_OK());
		break;
	case UPPER_REUSE:
		/* Unsync PT, then make its entry 0 a PDE naming VA_ALT's table. */
		write_pte(s, 1, s->data[3] | GP_P | GP_RW);
		write_pte(s, 0, u->pde_alt);
		high = pvm->mode == GUEST_PAGING_PAE ? s->pt | GP_P : s->pt | GP_P | GP_RW | GP_US;
		gstep_write_entry(pvm, s->as, VA_HIGH, 3, high);
		/*
		 * PAE: PDPTEs are loaded at MOV CR3 (SDM 4.4.1), and KVM builds
		 * the shadow page of each present one's directory then
		 * (mmu_alloc_shadow_roots()).  64-bit: INVLPG is enough
		 * (4.10.4.1), and does not sync PT as a whole as MOV CR3 would.
		 */
		if (pvm->mode == GUEST_PAGING_PAE) {
			gstep_switch_as(pvm, s->as);
		} else {
			gstep_invlpg(pvm, VA_HIGH);
			gstep_invlpg(pvm, VA_RW);
			gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
		}
		gstep_load(pvm, VA_HIGH, 4, EXPECT_VALUE(tag(2)));
		/*
		 * Through VA_RW, PT is still a page table: entry 0 maps VA_ALT's
		 * table, whose entry 0 the walks above marked accessed (SDM 4.8).
		 */
		gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(u->alt_pte));
		gstep_load(pvm, VA_RW + PAGE_SIZE, 4, EXPECT_VALUE(tag(3)));

		/* Now shadowed at two levels: written entries seen both ways. */
		write_pte(s, 2, u->pde_alt);
		gstep_invlpg(pvm, VA_HIGH + 2 * big);
		gstep_invlpg(pvm, VA_RW + 2 * PAGE_SIZE);
		gstep_load(pvm, VA_HIGH + 2 * big, 4, EXPECT_VALUE(tag(2)));
		gstep_load(pvm, VA_RW + 2 * PAGE_SIZE, 4, EXPECT_VALUE(u->alt_pte));
		write_pte(s, 0, 0);
		gstep_invlpg(pvm, VA_HIGH);
		gstep_invlpg(pvm, VA_RW);
		gstep_load(pvm, VA_HIGH, 4, EXPECT_PF(0, VA_HIGH));
		gstep_load(pvm, VA_RW, 4, EXPECT_PF(0, VA_RW));
		break;
	default:
		break;
	}
}

/* Events of @part's phase for @gfn: of @type, at @level (and @quadrant). */
static size_t upper_count(struct upper *u, struct kvm_mmu_model *m, enum upper_part part,
			  int type, uint64_t gfn, int level, int quadrant)
{
	return kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = u->phase[part], .type = type,
						    .gfn = gfn, .level = level,
						    .quadrant = quadrant));
}

/* What check_upper() found wrong. */
#define UPPER_BAD_UNSYNC	BIT(0)	/* the directory went unsync */
#define UPPER_BAD_EMULATION	BIT(1)	/* a write not seen by kvm_mmu_track_write() */
#define UPPER_BAD_REUSE		BIT(2)	/* the reused page table */

#define UPPER_COUNTS_FMT						\
	"%s: PD gfn 0x%lx: %zu unsync events; PDE writes: mmu_pde_zapped +%lu; flooding: mmu_flooded +%lu, %zu zap; misaligned write: mmu_flooded +%lu, %zu zap\n"
#define UPPER_REUSE_FMT							\
	"%s: PT gfn 0x%lx reused as a directory: %zu level-1 zap events, %zu level-2 pages created, %zu unsync events after that\n"
#define UPPER_REUSE_EXPECT_FMT						\
	"%s: expected PT's unsync level-1 pages zapped when its level-2 page is created, and no unsync after that\n"

static int check_upper(struct upper *u, struct kvm_trace *t, int nr_parts)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	uint64_t pd_gfn = u->pd >> 12, pt_gfn = u->s.pt >> 12;
	const char *name = u->s.pvm->name;
	size_t pd_unsync = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_UNSYNC_PAGE,
								 .gfn = pd_gfn));
	size_t flood_zap = upper_count(u, m, UPPER_FLOODING, KVM_MMU_PREPARE_ZAP_PAGE, pd_gfn,
				       2, u->quadrant);
	size_t misaligned_zap = upper_count(u, m, UPPER_MISALIGNED, KVM_MMU_PREPARE_ZAP_PAGE,
					    pd_gfn, 2, u->quadrant);
	int bad = 0;

	ksft_print_msg(UPPER_COUNTS_FMT,
		       name, pd_gfn, pd_unsync, u->pde_zapped[UPPER_PDE_WRITES],
		       u->flooded[UPPER_FLOODING], flood_zap, u->flooded[UPPER_MISALIGNED],
		       misaligned_zap);
	if (pd_unsync) {
		ksft_print_msg("%s: expected the directory never unsync\n", name);
		bad |= UPPER_BAD_UNSYNC;
	}
	/*
	 * kvm_mmu_track_write(): two non-zero PDE writes, each zapping the
	 * written SPTE; flooding and the misaligned write each zap VA_RW's
	 * directory shadow page and count mmu_flooded.
	 */
	if (u->pde_zapped[UPPER_PDE_WRITES] < 2 || !u->flooded[UPPER_FLOODING] || !flood_zap ||
	    !u->flooded[UPPER_MISALIGNED] || !misaligned_zap) {
		ksft_print_msg("%s: %s\n", name,
			       "expected PDE writes emulated (mmu_pde_zapped >= 2), the directory's shadow page zapped by flooding and by a misaligned write (mmu_flooded, zap events)");
		bad |= UPPER_BAD_EMULATION;
	}
	if (nr_parts > UPPER_REUSE) {
		size_t zap1 = upper_count(u, m, UPPER_REUSE, KVM_MMU_PREPARE_ZAP_PAGE, pt_gfn, 1,
					  KVM_MMU_ANY);
		size_t made2 = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = u->phase[UPPER_REUSE],
					.type = KVM_MMU_GET_PAGE, .created = 1, .gfn = pt_gfn,
					.level = 2));
		size_t unsync_after = 0, i;
		bool level2 = false;

		for (i = 0; i < m->nr_events; i++) {
			const struct kvm_mmu_event *e = &m->events[i];

			if (e->gfn != pt_gfn)
				continue;
			if (e->type == KVM_MMU_GET_PAGE &&
			    kvm_role_get(&m->layout, e->role, "level") == 2)
				level2 = true;
			if (e->type == KVM_MMU_UNSYNC_PAGE && level2)
				unsync_after++;
		}
		ksft_print_msg(UPPER_REUSE_FMT, name, pt_gfn, zap1, made2, unsync_after);
		if (!zap1 || !made2 || unsync_after) {
			ksft_print_msg(UPPER_REUSE_EXPECT_FMT, name);
			bad |= UPPER_BAD_REUSE;
		}
	}
	if (bad)
		kvm_trace_print(t);
	return bad;
}

#define VECTORING_DEFECT	DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V

/*
 * The KVM bug of docs/defects/kvm-svm-vectoring-ignores-exitintinfo-v.md:
 * on kvm_amd, 7.3's svm_check_emulate_instruction() (arch/x86/kvm/svm/
 * svm.c) refuses to emulate at a #PF intercept when EXITINTINFO's type
 * bits are set, V or not.  QEMU TCG leaves the type and vector of the
 * last event it delivered there with V clear, so the first write to a
 * write-tracked page after KVM injected a #PF (the steps that expect one)
 * is not emulated: x86_emulate_instruction() (arch/x86/kvm/x86.c) has
 * kvm_unprotect_and_retry_on_failure() zap every shadow page of the gfn
 * and lets the guest redo the write natively, which kvm_mmu_track_write()
 * never sees (mmu_pde_zapped, mmu_flooded and the zaps of flooding miss
 * it).  The guest-visible outcome is the architectural one either way.
 *
 * Evidence that this is why check_upper() failed, in the same VM: the
 * same write of a PDE (VA_ALT's, its own value) in three runs that differ
 * only in the step before it, a load of a present page or of a
 * not-present one whose #PF KVM injects.  Without the #PF, before and
 * after, it is emulated (mmu_pde_zapped or mmu_flooded move) and no
 * shadow page of the directory is zapped: an aligned write zaps only the
 * SPTE it changes, unless it floods.  Right after the #PF, the
 * directory's shadow pages are zapped without mmu_flooded moving: the
 * unprotect.  (With 2-level paging the directory is the root, which KVM
 * rebuilds before the guest redoes the write: that write faults again,
 * in a new VMRUN, and is emulated then.)  Any #VMEXIT between the #PF
 * and the write (a host interrupt) starts a new VMRUN, whose EXITINTINFO
 * no longer has the #PF: so up to PROBE_TRIES tries after a #PF, the
 * first unprotected one is the evidence.  A KVM that emulates, or
 * declines to, whatever came before the write shows no difference.
 */
#define PROBE_TRIES	4

struct probe {
	uint64_t pde_zapped, flooded;
	size_t pd_zaps;
	bool steps_ok;
};

static void probe_run(struct upper *u, struct kvm_trace *t, bool after_pf, struct probe *p)
{
	struct paging_vm *pvm = u->s.pvm;
	const uint64_t np = VA_ALT + PAGE_SIZE;
	uint64_t pde_zapped, flooded;
	int phase;

	gstep_phase(pvm, after_pf ? "probe: PDE write after an injected #PF" : "probe: PDE write");
	gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(tag(2)));
	if (after_pf)
		gstep_load(pvm, np, 4, EXPECT_PF(0, np));
	else
		gstep_load(pvm, VA_ALT, 4, EXPECT_VALUE(tag(2)));
	gstep_write_entry(pvm, u->s.as, VA_ALT, 2, u->pde_alt);

	flooded = vm_stat_by_name(pvm->vm, "mmu_flooded");
	pde_zapped = vm_stat_by_name(pvm->vm, "mmu_pde_zapped");
	kvm_trace_start(t, after_pf ? "probe after #PF" : "probe");
	phase = kvm_trace_phase(t);
	p->steps_ok = !paging_vm_run_steps(pvm);
	kvm_trace_stop(t);
	p->flooded = vm_stat_by_name(pvm->vm, "mmu_flooded") - flooded;
	p->pde_zapped = vm_stat_by_name(pvm->vm, "mmu_pde_zapped") - pde_zapped;
	p->pd_zaps = kvm_mmu_model_count(kvm_trace_model(t),
					 KVM_MMU_QUERY(.phase = phase,
						       .type = KVM_MMU_PREPARE_ZAP_PAGE,
						       .gfn = u->pd >> 12));
}

static bool probe_emulated(const struct probe *p)
{
	return p->steps_ok && (p->pde_zapped || p->flooded) && !p->pd_zaps;
}

/* The directory's shadow pages zapped, and not by flooding. */
static bool probe_unprotected(const struct probe *p)
{
	return p->steps_ok && !p->flooded && p->pd_zaps;
}

/* Whether check_upper()'s failure is that defect's: the evidence, printed. */
static bool vectoring_defect(struct upper *u, struct kvm_trace *t, char *why, size_t size)
{
	const char *name = u->s.pvm->name;
	struct probe before, after, again;
	char counts[320];
	int tries = 0;

	if (strcmp(cfg.vendor_module, "kvm_amd") || u->s.pvm->dead)
		return false;
	probe_run(u, t, false, &before);
	do
		probe_run(u, t, true, &after);
	while (++tries < PROBE_TRIES && !probe_unprotected(&after));
	probe_run(u, t, false, &again);
	snprintf(counts, sizeof(counts),
		 "without a #PF before it: mmu_pde_zapped +%lu, mmu_flooded +%lu, %zu zap events of the directory (again after: +%lu, +%lu, %zu); right after an injected #PF, try %d of %d: %zu zap events of the directory, mmu_flooded +%lu, mmu_pde_zapped +%lu",
		 before.pde_zapped, before.flooded, before.pd_zaps, again.pde_zapped,
		 again.flooded, again.pd_zaps, tries, PROBE_TRIES, after.pd_zaps, after.flooded,
		 after.pde_zapped);
	ksft_print_msg("%s: probe, the same PDE write %s\n", name, counts);
	if (!probe_emulated(&before) || !probe_emulated(&again) || !probe_unprotected(&after))
		return false;
	snprintf(why, size,
		 "the same PDE write is emulated without a #PF before it and unprotected right after KVM injected one (%s)",
		 counts);
	if (known_defect_seen_on_this_kernel(VECTORING_DEFECT))
		return true;
	ksft_print_msg("%s: %s: the signature of %s, on a kernel where it is not known\n", name,
		       why, known_defect(VECTORING_DEFECT));
	return false;
}

static void run_upper(enum guest_paging_mode mode)
{
	int nr_parts = mode == GUEST_PAGING_32BIT ? UPPER_REUSE : UPPER_NR_PARTS;
	struct kvm_trace *t = NULL;
	struct upper u;
	struct scene *s = &u.s;
	uint64_t flooded = 0, zapped = 0;
	bool steps_ok = true, xfail = false;
	char why[640];
	int part, bad = 0;

	memset(&u, 0, sizeof(u));
	build_scene(s, mode);
	guest_as_map(s->as, VA_ALT, s->data[2], 1, GP_P | GP_RW);
	/* Ask for every entry the steps write once before the first run. */
	guest_as_entry_gpa(s->as, VA_FLOOD, 2);
	if (nr_parts > UPPER_REUSE)
		guest_as_entry_gpa(s->as, VA_HIGH, 3);
	u.pde_alt = guest_as_read_entry(s->as, VA_ALT, 2);
	u.pde_rw = guest_as_read_entry(s->as, VA_RW, 2);
	u.pde_gpa = guest_as_entry_gpa(s->as, VA_RW, 2);
	u.pd = u.pde_gpa & ~0xfffull;
	u.alt_pte = s->data[2] | GP_P | GP_RW | GP_A;
	/* kvm_mmu_child_role(): a 2-level directory is shadowed in quarters. */
	u.quadrant = mode == GUEST_PAGING_32BIT ? VA_RW >> 30 : 0;
	if (traced())
		t = kvm_trace_create();

	for (part = 0; part < nr_parts; part++) {
		build_upper_part(&u, part);
		if (t) {
			flooded = vm_stat_by_name(s->pvm->vm, "mmu_flooded");
			zapped = vm_stat_by_name(s->pvm->vm, "mmu_pde_zapped");
			kvm_trace_start(t, upper_part_names[part]);
			u.phase[part] = kvm_trace_phase(t);
		}
		steps_ok &= !paging_vm_run_steps(s->pvm);
		if (t) {
			kvm_trace_stop(t);
			u.flooded[part] = vm_stat_by_name(s->pvm->vm, "mmu_flooded") - flooded;
			u.pde_zapped[part] = vm_stat_by_name(s->pvm->vm, "mmu_pde_zapped") - zapped;
		}
	}
	if (t) {
		bad = check_upper(&u, t, nr_parts);
		/* Only a failure that defect explains, with every step right. */
		if (steps_ok && bad == UPPER_BAD_EMULATION)
			xfail = vectoring_defect(&u, t, why, sizeof(why));
		kvm_trace_destroy(t);
	}
	if (xfail)
		ksft_test_result_xfail("%s_upper_level_writes_emulated_%s: %s; %s\n",
				       guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg),
				       known_defect(VECTORING_DEFECT), why);
	else
		paging_report_traced(steps_ok && !bad, no_trace,
				     "%s_upper_level_writes_emulated_%s",
				     guest_paging_mode_name(mode), kvm_mmu_config_name(&cfg));
	paging_vm_free(s->pvm);
}

static void run_mode_cases(enum guest_paging_mode mode)
{
	run_mode(mode);
	run_pge(mode);
	run_shared(mode);
	run_upper(mode);
}

int main(int argc, char *argv[])
{
	const char *why;
	unsigned int i, j;

	kvm_mmu_test_start(&cfg);
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	ksft_set_plan(ARRAY_SIZE(modes) * NR_CASES);

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!guest_paging_mode_supported(modes[i], &why)) {
			for (j = 0; j < NR_CASES; j++)
				ksft_test_result_skip("%s: %s\n",
						      guest_paging_mode_name(modes[i]), why);
			continue;
		}
		run_mode_cases(modes[i]);
	}
	ksft_finished();
}
