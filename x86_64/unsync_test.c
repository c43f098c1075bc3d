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
 *  <mode>_page_table_under_xd_directory_entry
 *                                         PAE and 64-bit: a role without
 *                                         exec access synced
 *  <mode>_page_table_discarded_by_host    an unsync page whose entries
 *                                         cannot be read is zapped
 *  <mode>_directory_entry_rewritten_by_host
 *                                         a stale link to a child replaced
 *  <mode>_alias_table_synced_first        the SPTE of PT's alias made
 *                                         again while PT is unsync
 *  <mode>_prefetch_keeps_page_table_synced
 *                                         PT's alias prefetched, not unsync
 *  <mode>_unsync_page_table_prefetched_writable
 *                                         and then written without a fault
 *  <mode>_sync_changing_nothing_flushes_nothing
 *                                         no remote TLB flush requested
 *  <mode>_sync_changing_an_spte_flushes_once
 *                                         and one flush for the sync and
 *                                         the MOV CR3 together
 *  <mode>_noncanonical_invlpg_is_a_nop    64-bit: PT stays unsync
 *
 * The writes to page tables that KVM must not let go unsync, but emulate,
 * are upper_level_writes_test's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

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
#include "unsync_scene.h"

/* Different page-directory entries in every mode, same page directory. */
#define VA_RW		0x40000000ull
#define VA_RO		0x40800000ull
/* A prefetch group (PTE_PREFETCH_NUM = 8 PTEs) of a directory entry of its own. */
#define VA_GROUP	0x50000000ull
/* CPUID.01H:EDX.PGE[bit 13] (SDM Vol. 2A, CPUID). */
#define GP_FEATURE_PGE	KVM_X86_CPU_FEATURE(0x1, 0, EDX, 13)

static const enum guest_paging_mode modes[] = {
	GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_4LEVEL,
};

static struct kvm_mmu_config cfg;
/* TDP off: why there is no kvmmmu tracing, or NULL. */
static const char *no_trace;

/* After a flush of everything: both views of entry @idx agree. */
static void check_both(struct unsync_scene *s, int idx, struct gstep_expect rw,
		       struct gstep_expect ro)
{
	gstep_load(s->pvm, VA_RW + idx * PAGE_SIZE, 4, rw);
	gstep_load(s->pvm, VA_RO + idx * PAGE_SIZE, 4, ro);
}

static void build_steps(struct unsync_scene *s)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t ro_write = PFERR_PRESENT_MASK | PFERR_WRITE_MASK;
	bool nx = pvm->mode != GUEST_PAGING_32BIT && (pvm->efer & EFER_NX);

	gstep_phase(pvm, "warm up both views");
	check_both(s, 0, EXPECT_VALUE(unsync_scene_tag(0)), EXPECT_VALUE(unsync_scene_tag(0)));
	check_both(s, 1, EXPECT_VALUE(unsync_scene_tag(1)), EXPECT_VALUE(unsync_scene_tag(1)));
	gstep_store(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write, VA_RO));

	gstep_phase(pvm, "frame change");
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW);
	gstep_load(pvm, VA_RO, 4, EXPECT_ANY());
	gstep_invlpg(pvm, VA_RW);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_switch_as(pvm, s->as);
	check_both(s, 0, EXPECT_VALUE(unsync_scene_tag(2)), EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_store(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write, VA_RO));

	/* P cleared with the frame kept, as kernels do for PROT_NONE and NUMA hinting. */
	gstep_phase(pvm, "present -> not present, frame kept");
	unsync_scene_write_pte(s, 0, s->data[2] | GP_RW);
	gstep_invlpg(pvm, VA_RW);
	gstep_load(pvm, VA_RW, 4, EXPECT_PF(0, VA_RW));
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO, 4, EXPECT_PF(0, VA_RO));
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW);
	gstep_switch_as(pvm, s->as);
	check_both(s, 0, EXPECT_VALUE(unsync_scene_tag(2)), EXPECT_VALUE(unsync_scene_tag(2)));

	gstep_phase(pvm, "present -> not present");
	unsync_scene_write_pte(s, 1, 0);
	gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
	gstep_load(pvm, VA_RW + PAGE_SIZE, 4, EXPECT_PF(0, VA_RW + PAGE_SIZE));
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO + PAGE_SIZE, 4, EXPECT_PF(0, VA_RO + PAGE_SIZE));

	gstep_phase(pvm, "not present -> present, read-only");
	unsync_scene_write_pte(s, 1, s->data[3] | GP_P);
	check_both(s, 1, EXPECT_VALUE(unsync_scene_tag(3)), EXPECT_VALUE(unsync_scene_tag(3)));
	gstep_store(pvm, VA_RW + PAGE_SIZE, 4, 1, EXPECT_PF(ro_write, VA_RW + PAGE_SIZE));

	gstep_phase(pvm, "R/W 0 -> 1");
	unsync_scene_write_pte(s, 1, s->data[3] | GP_P | GP_RW);
	gstep_invlpg(pvm, VA_RW + PAGE_SIZE);
	gstep_store(pvm, VA_RW + PAGE_SIZE + 8, 4, 0x77, EXPECT_OK());
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, VA_RO + PAGE_SIZE + 8, 4, EXPECT_VALUE(0x77));
	gstep_store(pvm, VA_RO + PAGE_SIZE, 4, 1, EXPECT_PF(ro_write, VA_RO + PAGE_SIZE));

	gstep_phase(pvm, "U/S 0 -> 1");
	gstep_load_user(pvm, VA_RW, 4, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_USER_MASK, VA_RW));
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_US);
	gstep_invlpg(pvm, VA_RW);
	gstep_load_user(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_switch_as(pvm, s->as);
	gstep_load_user(pvm, VA_RO, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_store_user(pvm, VA_RO, 4, 1, EXPECT_PF(ro_write | PFERR_USER_MASK, VA_RO));

	/*
	 * A store first, so that KVM's SPTE is writable; the new entry keeps
	 * A and D, so that the sync updates the SPTE's rights in place
	 * (FNAME(sync_spte)) rather than dropping it as never accessed.
	 */
	gstep_phase(pvm, "R/W 1 -> 0");
	gstep_store(pvm, VA_RW + 8, 4, 5, EXPECT_OK());
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_US | GP_A | GP_D);
	gstep_invlpg(pvm, VA_RW);
	gstep_store(pvm, VA_RW + 8, 4, 1, EXPECT_PF(ro_write, VA_RW + 8));

	if (nx) {
		gstep_phase(pvm, "XD 0 -> 1 -> 0");
		gstep_exec(pvm, VA_RW + PAGING_EXEC_OFF, EXPECT_OK());
		unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_NX);
		gstep_invlpg(pvm, VA_RW);
		gstep_exec(pvm, VA_RW + PAGING_EXEC_OFF,
			   EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK,
				     VA_RW + PAGING_EXEC_OFF));
		gstep_switch_as(pvm, s->as);
		gstep_exec(pvm, VA_RO + PAGING_EXEC_OFF,
			   EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK,
				     VA_RO + PAGING_EXEC_OFF));
		unsync_scene_write_pte(s, 0, s->data[2] | GP_P);
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
static bool check_synced(struct unsync_scene *s, struct kvm_trace *t, size_t nr)
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

/* End the capture @t; if @bad, say @why and print the model.  Returns !@bad. */
static bool trace_verdict(struct kvm_trace *t, const char *name, bool bad, const char *why)
{
	if (bad) {
		ksft_print_msg("%s: %s\n", name, why);
		kvm_trace_print(t);
	}
	kvm_trace_destroy(t);
	return !bad;
}

/*
 * Run the steps of the scene, with TDP off also check that PT's @nr shadow
 * pages were unsynced and synced, none zapped; report the case
 * <mode>_@what_<configuration> and free the VM.
 */
static void finish_case(struct unsync_scene *s, const char *label, size_t nr, const char *what)
{
	struct kvm_trace *t = NULL;
	bool ok;

	ok = paging_vm_run_traced(s->pvm, traced(), label, &t);
	if (t) {
		ok &= check_synced(s, t, nr);
		kvm_trace_destroy(t);
	}
	paging_report_traced(ok, no_trace, "%s_%s_%s", guest_paging_mode_name(s->pvm->mode),
			     what, kvm_mmu_config_name(&cfg));
	paging_vm_free(s->pvm);
}

static void run_mode(enum guest_paging_mode mode)
{
	struct unsync_scene s;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	build_steps(&s);
	finish_case(&s, guest_paging_mode_name(mode), 2, "leaf_changes_synced_in_both_roles");
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
static void build_pge_steps(struct unsync_scene *s)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t g = VA_RW, n = VA_RW + PAGE_SIZE;

	gstep_phase(pvm, "warm up global and non-global");
	gstep_load(pvm, g, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_load(pvm, n, 4, EXPECT_VALUE(unsync_scene_tag(1)));

	gstep_phase(pvm, "frame changes, CR4.PGE cleared");
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_G);
	unsync_scene_write_pte(s, 1, s->data[3] | GP_P | GP_RW);
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_load(pvm, g, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_load(pvm, n, 4, EXPECT_VALUE(unsync_scene_tag(3)));

	gstep_phase(pvm, "frame changes, CR4.PGE set");
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	unsync_scene_write_pte(s, 0, s->data[0] | GP_P | GP_RW | GP_G);
	unsync_scene_write_pte(s, 1, s->data[1] | GP_P | GP_RW);
	/* The PGE change above was before the writes: load through them now. */
	gstep_load(pvm, g, 4, EXPECT_ANY());
	gstep_load(pvm, n, 4, EXPECT_ANY());
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	gstep_load(pvm, g, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_load(pvm, n, 4, EXPECT_VALUE(unsync_scene_tag(1)));

	gstep_phase(pvm, "global entry, INVLPG");
	unsync_scene_write_pte(s, 0, s->data[3] | GP_P | GP_RW | GP_G);
	gstep_invlpg(pvm, g);
	gstep_load(pvm, g, 4, EXPECT_VALUE(unsync_scene_tag(3)));

	gstep_phase(pvm, "global and non-global entry, MOV CR3");
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_G);
	unsync_scene_write_pte(s, 1, 0);
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, g, 4, EXPECT_ANY());
	gstep_load(pvm, n, 4, EXPECT_PF(0, n));
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_load(pvm, g, 4, EXPECT_VALUE(unsync_scene_tag(2)));

	gstep_phase(pvm, "global entry made not present, CR4.PGE cleared");
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	gstep_load(pvm, g, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	unsync_scene_write_pte(s, 0, 0);
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_load(pvm, g, 4, EXPECT_PF(0, g));
}

#define PGE_PDPTE_SKIP_FMT						\
	"%s_global_entries_and_cr4_pge: CR4.PGE reloads PAE PDPTEs, whose bit 5 the emulator's NPT walker sets\n"

static void run_pge(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	struct unsync_scene s;

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
	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	s.pvm->cr4 |= X86_CR4_PGE;
	unsync_scene_set_pte(&s, 0, s.data[0] | GP_P | GP_RW | GP_G);
	build_pge_steps(&s);
	finish_case(&s, "pge", 1, "global_entries_and_cr4_pge");
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

/*
 * Another address space, whose directory entry for VA_RW names the
 * scene's PT, with the directory entry's bits @clear cleared and @set set.
 */
static struct guest_as *shared_as(struct unsync_scene *s, uint64_t clear, uint64_t set)
{
	struct guest_as *as = guest_as_create(s->pvm);
	uint64_t pde;

	guest_as_map_tables(as, UNSYNC_SCENE_VA_TABLES);
	guest_as_share(as, VA_RW, s->as, VA_RW, 2);
	pde = guest_as_read_entry(as, VA_RW, 2);
	guest_as_write_entry(as, VA_RW, 2, (pde & ~clear) | set);
	return as;
}

static void build_shared_steps(struct unsync_scene *s, struct guest_as **as)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t a = VA_RW, b = VA_RW + PAGE_SIZE;
	const uint32_t pf_u = PFERR_PRESENT_MASK | PFERR_USER_MASK;
	const uint32_t pf_w = PFERR_PRESENT_MASK | PFERR_WRITE_MASK;
	int i;

	gstep_phase(pvm, "warm up every address space");
	for (i = 0; i < NR_AS; i++) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		gstep_load(pvm, b, 4, EXPECT_VALUE(unsync_scene_tag(1)));
	}

	gstep_phase(pvm, "changes made in AS 2, seen everywhere");
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_US);
	unsync_scene_write_pte(s, 1, 0);
	for (i = 0; i < NR_AS; i++) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(2)));
		gstep_load(pvm, b, 4, EXPECT_PF(0, b));
	}
	/* Combined rights (SDM 4.6): AS 1 read-only, AS 2 supervisor only. */
	gstep_switch_as(pvm, as[0]);
	gstep_store_user(pvm, a + 8, 4, 1, EXPECT_OK());
	gstep_switch_as(pvm, as[1]);
	gstep_load_user(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_store_user(pvm, a + 8, 4, 1, EXPECT_PF(pf_w | PFERR_USER_MASK, a + 8));
	gstep_store(pvm, a + 8, 4, 1, EXPECT_PF(pf_w, a + 8));
	gstep_switch_as(pvm, as[2]);
	gstep_load_user(pvm, a, 4, EXPECT_PF(pf_u, a));
	gstep_store(pvm, a + 8, 4, 1, EXPECT_OK());

	gstep_phase(pvm, "changes made in AS 1, seen everywhere");
	gstep_switch_as(pvm, as[1]);
	unsync_scene_write_pte(s, 0, s->data[3] | GP_P | GP_US);
	unsync_scene_write_pte(s, 1, s->data[1] | GP_P | GP_RW | GP_US);
	for (i = NR_AS - 1; i >= 0; i--) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(3)));
		gstep_load(pvm, b, 4, EXPECT_VALUE(unsync_scene_tag(1)));
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
	struct guest_as *as[NR_AS];
	struct unsync_scene s;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	as[0] = s.as;
	as[1] = shared_as(&s, GP_RW, 0);
	as[2] = shared_as(&s, GP_US, 0);
	/* Leaves user-accessible: the directory entries decide. */
	unsync_scene_set_pte(&s, 0, s.data[0] | GP_P | GP_RW | GP_US);
	unsync_scene_set_pte(&s, 1, s.data[1] | GP_P | GP_RW | GP_US);
	build_shared_steps(&s, as);
	finish_case(&s, "address spaces", NR_AS, "page_table_shared_by_address_spaces");
}

/*
 * <mode>_page_table_under_xd_directory_entry (PAE and 64-bit, EFER.NXE=1):
 * PT reached through VA_RW's directory entry in two address spaces,
 * executable in AS 0 and with XD=1 in AS 1 (R/W and U/S kept).  SDM Vol.
 * 3A 4.6: no instruction fetch through AS 1's entry, whatever the leaf;
 * 4.10.4.1: after MOV CR3 every address space sees PT's new entries.
 *
 * KVM, TDP off: the walk takes the exec right away at the directory
 * entry (FNAME(walk_addr_generic), pt_access ^ walk_nx_mask, mmu/
 * paging_tmpl.h), so FNAME(fetch) -> kvm_mmu_get_child_sp() gives PT's
 * shadow page in AS 1 a role.access without ACC_EXEC_MASK, unlike the
 * root's (ACC_ALL).  After the guest writes PT, MOV CR3 to the other
 * address space reuses its cached root and requests KVM_REQ_MMU_SYNC
 * (kvm_mmu_new_pgd(), mmu/mmu.c), whose kvm_mmu_sync_roots() ->
 * mmu_sync_children() -> kvm_sync_page() syncs that page only if
 * kvm_sync_page_check() ignores the access bits: sync_role_ign's
 * .access = 0x7 on 6.12, ACC_ALL on 7.3 (where access has ACC_READ_MASK
 * and ACC_EXEC_MASK is 8).  A refused sync WARNs and is zapped
 * (kvm_mmu_prepare_zap_page() in kvm_sync_page()): both of PT's shadow
 * pages must be unsynced and synced, none zapped.
 */
static void build_xd_steps(struct unsync_scene *s, struct guest_as **as)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t a = VA_RW, b = VA_RW + PAGE_SIZE, x = PAGING_EXEC_OFF;
	const uint32_t pf_x = PFERR_PRESENT_MASK | PFERR_FETCH_MASK;
	const uint32_t pf_w = PFERR_PRESENT_MASK | PFERR_WRITE_MASK;
	int i;

	gstep_phase(pvm, "warm up both address spaces");
	for (i = 0; i < 2; i++) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(0)));
		gstep_load(pvm, b, 4, EXPECT_VALUE(unsync_scene_tag(1)));
	}
	gstep_exec(pvm, a + x, EXPECT_PF(pf_x, a + x));
	gstep_switch_as(pvm, as[0]);
	gstep_exec(pvm, a + x, EXPECT_OK());

	gstep_phase(pvm, "changes made in AS 0, seen under XD=1");
	unsync_scene_write_pte(s, 0, s->data[2] | GP_P | GP_RW | GP_US);
	unsync_scene_write_pte(s, 1, 0);
	gstep_switch_as(pvm, as[1]);
	gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_load(pvm, b, 4, EXPECT_PF(0, b));
	gstep_store(pvm, a + 8, 4, 1, EXPECT_OK());
	gstep_exec(pvm, a + x, EXPECT_PF(pf_x, a + x));
	gstep_switch_as(pvm, as[0]);
	gstep_load(pvm, a + 8, 4, EXPECT_VALUE(1));
	gstep_exec(pvm, a + x, EXPECT_OK());

	gstep_phase(pvm, "changes made under XD=1, seen in AS 0");
	gstep_switch_as(pvm, as[1]);
	unsync_scene_write_pte(s, 0, s->data[3] | GP_P | GP_US);
	unsync_scene_write_pte(s, 1, s->data[1] | GP_P | GP_RW | GP_US);
	for (i = 0; i < 2; i++) {
		gstep_switch_as(pvm, as[i]);
		gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(3)));
		gstep_load(pvm, b, 4, EXPECT_VALUE(unsync_scene_tag(1)));
		gstep_store(pvm, a + 8, 4, 1, EXPECT_PF(pf_w, a + 8));
	}
	gstep_exec(pvm, b + x, EXPECT_PF(pf_x, b + x));
	gstep_switch_as(pvm, as[0]);
	gstep_exec(pvm, b + x, EXPECT_OK());
}

#define XD_NO_NX_FMT							\
	"%s_page_table_under_xd_directory_entry: the vCPU has no NX (EFER.NXE)\n"

static void run_xd(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	struct guest_as *as[2];
	struct unsync_scene s;

	if (!kvm_cpu_has(X86_FEATURE_NX)) {
		ksft_test_result_skip(XD_NO_NX_FMT, name);
		return;
	}
	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	TEST_ASSERT(s.pvm->efer & EFER_NX, "%s: EFER.NXE clear", name);
	as[0] = s.as;
	as[1] = shared_as(&s, 0, GP_NX);
	unsync_scene_set_pte(&s, 0, s.data[0] | GP_P | GP_RW | GP_US);
	unsync_scene_set_pte(&s, 1, s.data[1] | GP_P | GP_RW | GP_US);
	build_xd_steps(&s, as);
	finish_case(&s, "xd directory entry", 2, "page_table_under_xd_directory_entry");
}

/*
 * <mode>_page_table_discarded_by_host: PT unsync (the guest wrote one of
 * its entries), then the host discards PT's memory (MADV_DONTNEED: from
 * then on it reads as zeros, as if a device had zeroed it), then the
 * guest's MOV CR3.  SDM Vol. 3A 4.10.4.1: after MOV CR3 no translation
 * from PT's old entries may be used: every address PT mapped faults.
 *
 * KVM, TDP off: a host write is not write-tracked.  The MOV CR3 syncs
 * PT's unsync shadow pages (kvm_mmu_sync_roots() -> mmu_sync_children()
 * -> kvm_sync_page()), FNAME(sync_spte) cannot read the discarded
 * entries (kvm_vcpu_read_guest_atomic() fails on a page the host
 * unmapped) and returns -1, and kvm_sync_page() zaps the page (6.12 and
 * 7.3 mmu.c): both of PT's shadow pages unsynced, then zapped.  (A
 * shadow page that is not unsync is not synced at MOV CR3: KVM keeps
 * using the old entries after a host write to a write-protected guest
 * table.  That is why the guest writes PT first.)
 */
static void discard_pt(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct unsync_scene *s = arg;

	TEST_ASSERT(!madvise(paging_vm_hva(pvm, s->pt), PAGE_SIZE, MADV_DONTNEED),
		    "madvise(MADV_DONTNEED) of PT: %s", strerror(errno));
}

static void run_discarded(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	struct paging_vm *pvm;
	struct unsync_scene s;
	struct kvm_trace *t;
	bool ok;
	int i;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	gstep_phase(pvm, "warm up both views");
	check_both(&s, 0, EXPECT_VALUE(unsync_scene_tag(0)), EXPECT_VALUE(unsync_scene_tag(0)));
	check_both(&s, 1, EXPECT_VALUE(unsync_scene_tag(1)), EXPECT_VALUE(unsync_scene_tag(1)));
	gstep_phase(pvm, "PT written, then discarded by the host");
	unsync_scene_write_pte(&s, 2, s.data[2] | GP_P | GP_RW);
	gstep_sync(pvm);
	gstep_switch_as(pvm, s.as);
	for (i = 0; i < 2; i++) {
		gstep_load(pvm, VA_RW + i * PAGE_SIZE, 4, EXPECT_PF(0, VA_RW + i * PAGE_SIZE));
		gstep_load(pvm, VA_RO + i * PAGE_SIZE, 4, EXPECT_PF(0, VA_RO + i * PAGE_SIZE));
	}
	pvm->sync_fn = discard_pt;
	pvm->sync_arg = &s;
	ok = paging_vm_run_traced(pvm, traced(), "discarded", &t);
	pvm->sync_fn = NULL;
	if (t) {
		struct kvm_mmu_model *m = kvm_trace_model(t);
		uint64_t gfn = s.pt >> 12;
		size_t unsync = count(m, KVM_MMU_UNSYNC_PAGE, gfn);
		size_t zap = count(m, KVM_MMU_PREPARE_ZAP_PAGE, gfn);

		ksft_print_msg("%s: PT gfn 0x%lx: %zu shadow pages, %zu unsync, %zu zap events\n",
			       name, gfn, count_pages(m, gfn), unsync, zap);
		ok &= trace_verdict(t, name, count_pages(m, gfn) != 2 || unsync < 2 || zap < 2,
				    "expected PT's 2 shadow pages unsynced, then zapped");
	}
	paging_report_traced(ok, no_trace, "%s_page_table_discarded_by_host_%s", name,
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * <mode>_directory_entry_rewritten_by_host: the host points VA_RW's
 * directory entry at another page table, PT2 (entry 0: data page 3,
 * entry 1 not present, entry 2: data page 2), then the guest's MOV CR3.
 * SDM Vol. 3A 4.10.4.1: from then on every address under the entry is
 * translated through PT2.
 *
 * KVM, TDP off: the host write is not write-tracked, so the shadow of
 * the directory still links PT's shadow page, whose SPTEs translate
 * VA_RW and VA_RW + 4K the old way: KVM keeps using them until a fault
 * under the entry.  That is the guest's first access, to VA_RW + 8K (no
 * SPTE yet): FNAME(fetch) walks PT2, and kvm_mmu_get_child_sp() finds a
 * present link to a child of another gfn, so it gets PT2's shadow page
 * and link_shadow_page() replaces the link (6.12 and 7.3 mmu.c): after
 * it VA_RW and VA_RW + 4K fault and are translated through PT2.
 */
struct rewritten {
	struct unsync_scene *s;
	uint64_t pde;		/* VA_RW's directory entry, naming PT2 */
};

static void rewrite_pde(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct rewritten *r = arg;

	guest_as_write_entry(r->s->as, VA_RW, 2, r->pde);
}

static void run_rewritten(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	const uint64_t a = VA_RW, b = VA_RW + PAGE_SIZE, c = VA_RW + 2 * PAGE_SIZE;
	struct guest_as *as2;
	struct paging_vm *pvm;
	struct unsync_scene s;
	struct rewritten r = { .s = &s };
	struct kvm_trace *t;
	uint64_t pt2;
	bool ok;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	/* PT2 is another address space's table for VA_RW. */
	as2 = guest_as_create(pvm);
	guest_as_map(as2, a, s.data[3], 1, GP_P | GP_RW);
	guest_as_map(as2, c, s.data[2], 1, GP_P | GP_RW);
	r.pde = guest_as_read_entry(as2, a, 2);
	pt2 = guest_as_entry_gpa(as2, a, 1) & ~(PAGE_SIZE - 1);

	gstep_phase(pvm, "warm up");
	gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_load(pvm, b, 4, EXPECT_VALUE(unsync_scene_tag(1)));
	gstep_phase(pvm, "directory entry rewritten by the host");
	gstep_sync(pvm);
	gstep_switch_as(pvm, s.as);
	gstep_load(pvm, c, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	gstep_load(pvm, a, 4, EXPECT_VALUE(unsync_scene_tag(3)));
	gstep_load(pvm, b, 4, EXPECT_PF(0, b));
	pvm->sync_fn = rewrite_pde;
	pvm->sync_arg = &r;
	ok = paging_vm_run_traced(pvm, traced(), "rewritten", &t);
	pvm->sync_fn = NULL;
	if (t) {
		size_t pages = count_pages(kvm_trace_model(t), pt2 >> 12);

		ksft_print_msg("%s: PT2 gfn 0x%lx: %zu shadow pages\n", name, pt2 >> 12, pages);
		ok &= trace_verdict(t, name, pages != 1, "expected one shadow page of PT2");
	}
	paging_report_traced(ok, no_trace, "%s_directory_entry_rewritten_by_host_%s", name,
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * <mode>_alias_table_synced_first: PT and T, the page table that maps
 * PT's alias (guest_as_map_tables()), both unsync, then MOV CR3; then the
 * guest rewrites a leaf of PT through the alias, and MOV CR3 again.  SDM
 * Vol. 3A 4.10.4.1: after it the leaf's new frame is used.
 *
 * KVM, TDP off: the first MOV CR3 write-protects both gfns and syncs T
 * before PT (the alias region's directory entry comes first in the walk;
 * in 64-bit paging one mmu_sync_children() call takes both, under PAE
 * roots each PDPTE's tree is synced apart).  The guest gave PT's alias
 * user access in T: syncing that entry makes its SPTE again
 * (FNAME(sync_spte) -> make_spte(), which it skips when the rights are
 * unchanged) while PT is still unsync, and mmu_try_to_unsync_pages() must
 * keep it read-only
 * (!can_unsync, 6.12 and 7.3 mmu.c), or the guest's next write to PT
 * through it is never seen, PT stays synced, and the second MOV CR3
 * leaves the old frame mapped.
 */
static void run_alias_synced_first(enum guest_paging_mode mode)
{
	struct paging_vm *pvm;
	struct unsync_scene s;
	uint64_t alias_va, alias_pte;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	alias_va = paging_vm_table_va(pvm, s.pt);
	alias_pte = guest_as_read_entry(s.as, alias_va, 1);

	gstep_phase(pvm, "warm up");
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_phase(pvm, "PT and the table of its alias unsync, then synced");
	unsync_scene_write_pte(&s, 0, s.data[0] | GP_P | GP_RW);
	/* User access: a change of rights, so that the sync makes the SPTE again. */
	gstep_write_entry(pvm, s.as, alias_va, 1, alias_pte | GP_US | GP_A | GP_D);
	gstep_switch_as(pvm, s.as);
	/* The sync dropped the SPTE (the rewritten PTE has A clear): map it again. */
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_phase(pvm, "PT rewritten through its alias");
	unsync_scene_write_pte(&s, 0, s.data[2] | GP_P | GP_RW);
	gstep_switch_as(pvm, s.as);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	finish_case(&s, "alias table", 1, "alias_table_synced_first");
}

/*
 * <mode>_prefetch_keeps_page_table_synced: the guest reads a page through
 * the tables' alias, next to PT's alias, whose PTE (like every PTE of that
 * group of eight) has A and D set; it never writes PT.
 *
 * KVM, TDP off: the fault on the read maps it and prefetches the group's
 * other PTEs (FNAME(pte_prefetch) -> FNAME(prefetch_gpte), paging_tmpl.h),
 * PT's alias among them, writable in the guest's PTE.  A prefetch must not
 * unsync a shadowed page table: mmu_try_to_unsync_pages() returns -EEXIST
 * for it (6.12 and 7.3 mmu.c), and the SPTE is made read-only.  So no
 * kvmmmu unsync event for PT.
 */
static void run_prefetched_alias(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	const uint64_t group = 8 * PAGE_SIZE;	/* PTE_PREFETCH_NUM entries */
	uint64_t alias_va, base, neighbour, va;
	struct paging_vm *pvm;
	struct unsync_scene s;
	struct kvm_trace *t;
	bool ok;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	alias_va = paging_vm_table_va(pvm, s.pt);
	base = alias_va & ~(group - 1);
	for (va = base; va < base + group; va += PAGE_SIZE)
		guest_as_write_entry(s.as, va, 1,
				     guest_as_read_entry(s.as, va, 1) | GP_A | GP_D);
	neighbour = alias_va == base ? base + PAGE_SIZE : base;

	gstep_phase(pvm, "warm up");
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_phase(pvm, "the neighbour of PT's alias read");
	gstep_load(pvm, neighbour, 4, EXPECT_ANY());
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	ok = paging_vm_run_traced(pvm, traced(), "prefetch", &t);
	if (t) {
		size_t unsync = count(kvm_trace_model(t), KVM_MMU_UNSYNC_PAGE, s.pt >> 12);

		ksft_print_msg("%s: PT gfn 0x%lx: %zu unsync events\n", name, s.pt >> 12, unsync);
		ok &= trace_verdict(t, name, unsync,
				    "PT went unsync with no guest write: a prefetch unsynced it");
	}
	paging_report_traced(ok, no_trace, "%s_prefetch_keeps_page_table_synced_%s", name,
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * <mode>_noncanonical_invlpg_is_a_nop (64-bit paging): the guest gives
 * PT's entry 0 a new frame, then INVLPG of VA_RW's non-canonical alias
 * (bit 63 set, bit 47 clear): a NOP (SDM Vol. 2A, INVLPG), not a #GP.
 * Then INVLPG of VA_RW, after which the new frame is used, and MOV CR3.
 *
 * KVM, TDP off: kvm_mmu_invalidate_addr() returns before it syncs
 * anything for a non-canonical address (6.12 is_noncanonical_address(),
 * 7.3 is_noncanonical_invlpg_address()), and nothing else syncs PT
 * before the second INVLPG, so the guest still reads through the stale
 * SPTE: the old frame.  Only VMX (Bochs) passes the address to
 * kvm_mmu_invlpg() (the exit qualification, handle_invlpg()); SVM
 * without decode assists (QEMU's TCG) emulates INVLPG, and em_invlpg()
 * drops a non-canonical one itself (6.12 and 7.3 emulate.c).  TDP on:
 * the CPU's TLB may hold either translation.
 */
static void run_noncanonical_invlpg(enum guest_paging_mode mode)
{
	const uint64_t alias = VA_RW | BIT_ULL(63);
	struct paging_vm *pvm;
	struct unsync_scene s;

	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	gstep_phase(pvm, "warm up");
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_phase(pvm, "frame change, INVLPG of a non-canonical alias");
	unsync_scene_write_pte(&s, 0, s.data[2] | GP_P | GP_RW);
	gstep_invlpg(pvm, alias);
	gstep_load(pvm, VA_RW, 4, cfg.tdp ? EXPECT_ANY() : EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_phase(pvm, "INVLPG of the address");
	gstep_invlpg(pvm, VA_RW);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	/* INVLPG syncs one SPTE; the MOV CR3 syncs the page (check_synced()). */
	gstep_switch_as(pvm, s.as);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	finish_case(&s, "noncanonical invlpg", 1, "noncanonical_invlpg_is_a_nop");
}

/*
 * <mode>_unsync_page_table_prefetched_writable (TDP off): PT unsync (the
 * guest wrote it), then a read in a group of eight PTEs (A and D set),
 * one of which maps PT: the fault prefetches that one.  Then the guest
 * writes PT through it.
 *
 * KVM: a prefetch may map a page table writable when all its shadow
 * pages are unsync already (mmu_try_to_unsync_pages() skips them, 6.12
 * and 7.3 mmu.c; a prefetch returns -EEXIST only for one it would have to
 * unsync), so the write takes no page fault: pf_taken does not move
 * between the two GSTEP_SYNCs around it.  A wrong -EEXIST costs the
 * guest one write fault, which nothing else shows.
 */
struct stat_snaps {
	struct kvm_stats_snapshot vm[2], vcpu[2];
	int nr;
};

static void snap_stats(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct stat_snaps *p = arg;

	TEST_ASSERT(p->nr < 2, "more GSTEP_SYNCs than snapshots");
	vm_stats_snapshot(pvm->vm, &p->vm[p->nr]);
	vcpu_stats_snapshot(pvm->vcpu, &p->vcpu[p->nr++]);
}

/* How far the vCPU's (@vcpu) or the VM's stat @name moved between the snapshots. */
static int64_t snaps_delta(const struct stat_snaps *p, bool vcpu, const char *name)
{
	return vcpu ? kvm_stats_delta(&p->vcpu[0], &p->vcpu[1], name) :
		      kvm_stats_delta(&p->vm[0], &p->vm[1], name);
}

/*
 * Run the steps, which have two GSTEP_SYNCs, with a snapshot of the stats
 * at each (kvmmmu events in *@t if @t and traced()); returns whether they
 * passed.
 */
static bool run_with_snaps(struct paging_vm *pvm, struct stat_snaps *p, struct kvm_trace **t)
{
	struct kvm_trace *untraced;
	bool ok;

	pvm->sync_fn = snap_stats;
	pvm->sync_arg = p;
	ok = paging_vm_run_traced(pvm, t && traced(), "stat snapshots", t ? t : &untraced);
	pvm->sync_fn = NULL;
	TEST_ASSERT(p->nr == 2, "%s: %d snapshots, expected 2", pvm->name, p->nr);
	return ok;
}

/* With TDP on, skip case <mode>_@what_<configuration>: KVM @why. */
static bool skipped_under_tdp(enum guest_paging_mode mode, const char *what, const char *why)
{
	if (cfg.tdp)
		ksft_test_result_skip("%s_%s_%s: TDP is on: KVM %s\n", guest_paging_mode_name(mode),
				      what, kvm_mmu_config_name(&cfg), why);
	return cfg.tdp;
}

static void run_prefetched_unsync(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	const uint64_t flags = GP_P | GP_RW | GP_A | GP_D;
	struct paging_vm *pvm;
	struct unsync_scene s;
	struct stat_snaps p = { 0 };
	int64_t faults;
	bool ok;
	int i;

	if (skipped_under_tdp(mode, "unsync_page_table_prefetched_writable",
			      "prefetches no guest PTE"))
		return;
	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	/* Entry 1 of the group maps PT; the others data pages. */
	for (i = 0; i < 8; i++)
		guest_as_map(s.as, VA_GROUP + i * PAGE_SIZE, i == 1 ? s.pt : s.data[i % 4], 1,
			     flags);

	gstep_phase(pvm, "PT unsync");
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	unsync_scene_write_pte(&s, 0, s.data[0] | GP_P | GP_RW);
	gstep_phase(pvm, "the group read: PT's entry prefetched");
	gstep_load(pvm, VA_GROUP, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_sync(pvm);
	/* A store of 0 to an entry of PT that maps nothing. */
	gstep_store(pvm, VA_GROUP + PAGE_SIZE + 0x800, 4, 0, EXPECT_OK());
	gstep_sync(pvm);
	ok = run_with_snaps(pvm, &p, NULL);
	faults = snaps_delta(&p, true, "pf_taken");
	ksft_print_msg("%s: %ld page faults on the write through the prefetched PTE\n", name,
		       faults);
	ok &= faults == 0;
	ksft_test_result(ok, "%s_unsync_page_table_prefetched_writable_%s\n", name,
			 kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * <mode>_sync_changing_nothing_flushes_nothing (TDP off): PT shadowed for
 * VA_RW, then unsync (the guest writes 0 over an entry that is 0 and has
 * no SPTE), then shadowed for VA_RO as well, which write-protects its gfn
 * again (account_shadowed()) and leaves the first page unsync.  The MOV
 * CR3 that syncs it then has nothing to write-protect and no SPTE to
 * change, so KVM requests no remote TLB flush: remote_tlb_flush_requests
 * does not move between the two GSTEP_SYNCs around it.  The MOV CR3 still
 * flushes the current context, once: kvm_invalidate_pcid() requests it
 * (KVM_REQ_TLB_FLUSH_CURRENT) and kvm_service_local_tlb_flush_requests()
 * does it at the next entry (6.12 and 7.3 x86.c), so the vCPU's tlb_flush
 * moves by exactly 1.
 *
 * KVM (6.12 and 7.3 mmu.c, mmu_sync_children()): the flush after
 * kvm_vcpu_write_protect_gfn() is only "if (protected)", the one after
 * the sync only if kvm_sync_page() returned > 0, i.e. an SPTE changed;
 * __kvm_sync_page() says any such flush is purely for KVM's correctness.
 * An extra flush is allowed to the guest, so only the count shows it.
 * Every remote flush is counted (kvm_flush_remote_tlbs(), virt/kvm/
 * kvm_main.c); remote_tlb_flush itself moves only when a vCPU is kicked.
 */
#define FAR_IDX	256	/* an entry of PT beyond every prefetch of VA_RW's */

static void run_unchanged_sync(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	struct stat_snaps p = { 0 };
	struct paging_vm *pvm;
	struct unsync_scene s;
	struct kvm_trace *t;
	int64_t flushes, local;
	bool ok;

	if (skipped_under_tdp(mode, "sync_changing_nothing_flushes_nothing",
			      "shadows no guest page table"))
		return;
	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	gstep_phase(pvm, "PT shadowed for VA_RW, then unsync");
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	unsync_scene_write_pte(&s, FAR_IDX, 0);
	gstep_phase(pvm, "PT shadowed for VA_RO too: write-protected again");
	gstep_load(pvm, VA_RO, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	gstep_sync(pvm);
	gstep_switch_as(pvm, s.as);
	gstep_sync(pvm);
	check_both(&s, 0, EXPECT_VALUE(unsync_scene_tag(0)), EXPECT_VALUE(unsync_scene_tag(0)));
	ok = run_with_snaps(pvm, &p, &t);
	flushes = snaps_delta(&p, false, "remote_tlb_flush_requests");
	local = snaps_delta(&p, true, "tlb_flush");
	ksft_print_msg("%s: %ld remote TLB flushes requested by the MOV CR3, %ld TLB flushes\n",
		       name, flushes, local);
	ok &= flushes == 0 && local == 1;
	if (t) {
		struct kvm_mmu_model *m = kvm_trace_model(t);
		uint64_t gfn = s.pt >> 12;
		size_t unsync = count(m, KVM_MMU_UNSYNC_PAGE, gfn);
		size_t sync = count(m, KVM_MMU_SYNC_PAGE, gfn);
		size_t zap = count(m, KVM_MMU_PREPARE_ZAP_PAGE, gfn);

		/* Without the sync, no flush would prove nothing. */
		ksft_print_msg("%s: PT gfn 0x%lx: %zu unsync, %zu sync, %zu zap events\n", name,
			       gfn, unsync, sync, zap);
		ok &= trace_verdict(t, name, !unsync || !sync || zap,
				    "expected PT unsynced, synced by the MOV CR3, not zapped");
	}
	paging_report_traced(ok, no_trace, "%s_sync_changing_nothing_flushes_nothing_%s", name,
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * <mode>_sync_changing_an_spte_flushes_once (TDP off): PT shadowed for
 * VA_RW, then unsync (the guest points VA_RW's PTE at another page); the
 * MOV CR3 that syncs it requests two remote flushes (mmu_sync_children()):
 * one as it write-protects PT's gfn again (the guest's write made the
 * SPTE of PT's alias writable), one as the sync changed VA_RW's SPTE
 * (FNAME(sync_spte) returns 1 for the new gfn); remote_tlb_flush_requests
 * +2.  The MOV CR3 itself asked to flush the current context
 * (kvm_invalidate_pcid(): KVM_REQ_TLB_FLUSH_CURRENT).  All come due at the same VM entry, where
 * one flush of everything clears the request for the current context
 * (vcpu_enter_guest(), kvm_vcpu_flush_tlb_all(), 6.12 and 7.3 x86.c): the
 * vCPU's tlb_flush stat moves by exactly 1 between the two GSTEP_SYNCs
 * around the MOV CR3.  A second flush is invisible to the guest.
 */
#define CHANGED_SYNC_FLUSHES_FMT					\
	"%s: MOV CR3 that synced a changed SPTE: %ld remote flush requests, %ld TLB flushes\n"

static void run_changed_sync(enum guest_paging_mode mode)
{
	const char *name = guest_paging_mode_name(mode);
	struct stat_snaps p = { 0 };
	struct paging_vm *pvm;
	struct unsync_scene s;
	int64_t remote, flushes;
	bool ok;

	if (skipped_under_tdp(mode, "sync_changing_an_spte_flushes_once",
			      "shadows no guest page table"))
		return;
	unsync_scene_init_two_views(&s, mode, VA_RW, VA_RO);
	pvm = s.pvm;
	gstep_phase(pvm, "PT shadowed for VA_RW, then VA_RW's PTE changed: unsync");
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(0)));
	unsync_scene_write_pte(&s, 0, s.data[2] | GP_P | GP_RW);
	gstep_sync(pvm);
	gstep_switch_as(pvm, s.as);
	gstep_sync(pvm);
	gstep_load(pvm, VA_RW, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	ok = run_with_snaps(pvm, &p, NULL);
	remote = snaps_delta(&p, false, "remote_tlb_flush_requests");
	flushes = snaps_delta(&p, true, "tlb_flush");
	ksft_print_msg(CHANGED_SYNC_FLUSHES_FMT, name, remote, flushes);
	ok &= remote == 2 && flushes == 1;
	ksft_test_result(ok, "%s_sync_changing_an_spte_flushes_once_%s\n", name,
			 kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * 32-bit paging has no XD bit (SDM 4.3): no XD case there; only 64-bit
 * paging has non-canonical addresses.
 */
static unsigned int nr_cases(enum guest_paging_mode mode)
{
	if (mode == GUEST_PAGING_32BIT)
		return 10;
	return mode == GUEST_PAGING_PAE ? 11 : 12;
}

static void run_mode_cases(enum guest_paging_mode mode)
{
	run_mode(mode);
	run_pge(mode);
	run_shared(mode);
	run_discarded(mode);
	run_rewritten(mode);
	run_alias_synced_first(mode);
	run_prefetched_alias(mode);
	run_prefetched_unsync(mode);
	run_unchanged_sync(mode);
	run_changed_sync(mode);
	if (nr_cases(mode) > 10)
		run_xd(mode);
	if (nr_cases(mode) > 11)
		run_noncanonical_invlpg(mode);
}

int main(int argc, char *argv[])
{
	unsigned int i, j, plan = 0;
	const char *why;

	kvm_mmu_test_start(&cfg);
	/* Each case frees its VM before the next: one VM, reset, for all. */
	paging_vm_reuse_vms(true);
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	for (i = 0; i < ARRAY_SIZE(modes); i++)
		plan += nr_cases(modes[i]);
	ksft_set_plan(plan);

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!guest_paging_mode_supported(modes[i], &why)) {
			for (j = 0; j < nr_cases(modes[i]); j++)
				ksft_test_result_skip("%s: %s\n",
						      guest_paging_mode_name(modes[i]), why);
			continue;
		}
		run_mode_cases(modes[i]);
	}
	ksft_finished();
}
