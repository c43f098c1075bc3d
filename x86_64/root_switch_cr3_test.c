// SPDX-License-Identifier: GPL-2.0
/*
 * root_switch_cr3_test: CR3 switches among several address spaces in
 * 2-level, PAE and 64-bit guests, with roots of every address space
 * cached, and PTEs of a cached root rewritten in between.
 *
 * Each address space maps VA_DATA to a page of its own and the pages below
 * to shared frames (include/x86_64/root_switch_scene.h).  Invariants any
 * correct KVM keeps:
 *
 * - switched_right_data: every access after MOV CR3 uses the tables CR3
 *   points to (SDM Vol. 3A 4.10.4.1: with CR4.PCIDE=0, MOV CR3 invalidates
 *   every non-global TLB entry), in any order of switches.
 *
 * - no_shadow_pages_after_warmup (TDP off): after one pass over all
 *   address spaces, more switches create no shadow page.  64-bit roots are
 *   reused from mmu->root/prev_roots (fast_pgd_switch(), is_root_usable())
 *   or found again in the hash; PAE and 2-level guests get a new PAE root
 *   at each load (fast_pgd_switch() refuses "special" roots), whose level-2
 *   children mmu_alloc_shadow_roots() finds again (mmu_alloc_root() ->
 *   kvm_mmu_get_shadow_page()), all in arch/x86/kvm/mmu/mmu.c.
 *
 * - unsync_pte_in_cached_root: a leaf entry of address space A rewritten
 *   by the guest while CR3 points to B (KVM unsyncs A's shadow page,
 *   mmu_try_to_unsync_pages()) is used after MOV CR3 back to A
 *   (kvm_set_cr3() -> kvm_invalidate_pcid() -> KVM_REQ_MMU_SYNC ->
 *   kvm_mmu_sync_roots()); a global one may survive that MOV CR3 but not
 *   INVLPG (4.10.4.1), nor a CR4.PGE toggle made while on B
 *   (kvm_post_set_cr4() -> KVM_REQ_TLB_FLUSH_GUEST ->
 *   kvm_vcpu_flush_tlb_guest() -> kvm_mmu_sync_prev_roots()).  TDP off:
 *   A's page table is unsynced and synced, never zapped.
 *
 * - teardown_zaps_every_shadow_page (TDP off): the VM's teardown zaps
 *   every shadow page the model saw.
 *
 * Role changes with the same roots cached are root_switch_role_test's.
 * Past KVM bugs of this kind: shadow pages of another role reached
 * through a cached root.  Mutant: roots-root-always-usable.
 *
 * Every mode runs a second time as <mode>_l2, with the step engine as L2
 * of a 64-bit L1 (paging_vm_create_l2(); with nested paging where KVM
 * offers L1 NPT): L2's CR3 switches, which L1 does not intercept, go
 * through KVM's root cache next to L1's own root.
 *
 * The guest-visible checks run in every configuration; the shadow-page
 * counts only with TDP off and kvmmmu tracing (else they skip with the
 * reason).  Guest TLB behaviour that the SDM leaves open (a global entry
 * after MOV CR3) is accepted either way.
 */
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "root_switch_scene.h"

static void write_data_pte(struct rs_scene *s, int as, int data, uint64_t flags)
{
	gstep_write_entry(s->pvm, s->as[as], RS_VA_DATA, 1, s->data[data] | flags);
}

/* Back to the scene's mapping of RS_VA_DATA in A, which later phases check. */
static void restore_data_pte(struct rs_scene *s)
{
	write_data_pte(s, 0, 0, GP_P | GP_RW);
	gstep_invlpg(s->pvm, RS_VA_DATA);
	gstep_load(s->pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(0)));
}

/* A = as[0], B = as[1]; data pages RS_NR_SPACES.. are the new frames. */
static void unsync_steps(struct rs_scene *s)
{
	struct paging_vm *pvm = s->pvm;

	gstep_phase(pvm, "non-global PTE of A rewritten on B");
	rs_switch_and_check(s, 0);
	rs_switch_and_check(s, 1);
	write_data_pte(s, 0, RS_NR_SPACES, GP_P | GP_RW);
	gstep_load(pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(1)));
	gstep_switch_as(pvm, s->as[0]);
	gstep_load(pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(RS_NR_SPACES)));
	restore_data_pte(s);
}

static void global_steps(struct rs_scene *s)
{
	struct paging_vm *pvm = s->pvm;
	const uint64_t global = GP_P | GP_RW | GP_G;
	int n = RS_NR_SPACES;

	gstep_phase(pvm, "global PTE of A rewritten on B, MOV CR3, INVLPG");
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	write_data_pte(s, 0, n + 1, global);
	gstep_invlpg(pvm, RS_VA_DATA);
	gstep_load(pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(n + 1)));
	gstep_switch_as(pvm, s->as[1]);
	write_data_pte(s, 0, n + 2, global);
	gstep_switch_as(pvm, s->as[0]);
	/* 4.10.4.1: MOV CR3 need not invalidate global entries. */
	gstep_load(pvm, RS_VA_DATA, 4, EXPECT_ANY());
	gstep_invlpg(pvm, RS_VA_DATA);
	gstep_load(pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(n + 2)));

	gstep_phase(pvm, "global PTE of A rewritten on B, CR4.PGE toggled on B");
	gstep_switch_as(pvm, s->as[1]);
	write_data_pte(s, 0, n, global);
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	gstep_cr4(pvm, X86_CR4_PGE, 0);
	gstep_switch_as(pvm, s->as[0]);
	gstep_load(pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(n)));
	gstep_cr4(pvm, 0, X86_CR4_PGE);
	restore_data_pte(s);
}

/*
 * The unsync and global phases have INVLPG steps, which as L2 crash 6.12
 * with TDP off (paging_vm_l2_invlpg_crashes_host()).  Reports @what as
 * not run when it returns true.
 */
static bool l2_invlpg_crashes_host(struct rs_scene *s, const char *what)
{
	const char *crash = s->l2 ? paging_vm_l2_invlpg_crashes_host(s->pvm->mode, s->cfg->tdp) :
			    NULL;

	if (crash)
		rs_xfail(s, what, crash);
	return crash;
}

static void test_switching(struct rs_scene *s, struct kvm_trace *t)
{
	char what[48];
	int bad;

	rs_warm_up_steps(s);
	bad = rs_run_traced(s, t, "warm-up");
	rs_switch_steps(s);
	bad += rs_run_traced(s, t, "switches");
	snprintf(what, sizeof(what), "switched_right_data_%d_spaces", RS_NR_SPACES);
	rs_report_steps(s, bad, what);
	rs_report_no_creation(s, t, "switches", "no_shadow_pages_after_warmup");
}

static uint64_t gfn_of_table(struct rs_scene *s, int as, uint64_t va)
{
	return guest_as_entry_gpa(s->as[as], va, 1) >> 12;
}

/* TDP off: A's page table went unsync and back, and was never zapped. */
static void report_unsync(struct rs_scene *s, struct kvm_trace *t)
{
	const char *name = s->pvm->name;
	struct kvm_mmu_model *m;
	size_t unsync, sync, zap;
	uint64_t gfn;

	if (!t) {
		rs_skip(s, "unsync_page_in_cached_root_synced_not_zapped",
			s->no_trace ?: "TDP is on, no shadow pages");
		return;
	}
	m = kvm_trace_model(t);
	gfn = gfn_of_table(s, 0, RS_VA_DATA);
	unsync = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_UNSYNC_PAGE, .gfn = gfn));
	sync = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_SYNC_PAGE, .gfn = gfn));
	zap = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_PREPARE_ZAP_PAGE, .gfn = gfn));
	ksft_print_msg("%s: A's page table (gfn 0x%lx): %zu unsync, %zu sync, %zu zap events\n",
		       name, gfn, unsync, sync, zap);
	if (!unsync || !sync || zap)
		kvm_trace_print(t);
	rs_result(s, unsync && sync && !zap, "unsync_page_in_cached_root_synced_not_zapped");
}

static void test_unsync(struct rs_scene *s, struct kvm_trace *t)
{
	int bad;

	if (l2_invlpg_crashes_host(s, "unsync_pte_in_cached_root")) {
		l2_invlpg_crashes_host(s, "unsync_page_in_cached_root_synced_not_zapped");
		return;
	}
	unsync_steps(s);
	bad = rs_run_traced(s, t, "unsync");
	rs_report_steps(s, bad, "unsync_pte_in_cached_root");
	report_unsync(s, t);
}

static void test_global(struct rs_scene *s, struct kvm_trace *t)
{
	const char *gap = rs_pdpte_accessed_bit_gap(s);

	if (gap) {
		rs_skip(s, "global_pte_in_cached_root", gap);
		return;
	}
	if (l2_invlpg_crashes_host(s, "global_pte_in_cached_root"))
		return;
	global_steps(s);
	rs_report_steps(s, rs_run_traced(s, t, "global"), "global_pte_in_cached_root");
}

/*
 * TDP off: the VM's teardown zaps every shadow page the model saw, which
 * is all of them, since every phase was traced (kvm_destroy_vm() ->
 * kvm_arch_destroy_vm() -> kvm_mmu_uninit_vm()/kvm_mmu_zap_all(), mmu.c).
 * Frees the VM in any configuration.
 */
static void test_teardown(struct rs_scene *s, struct kvm_trace *t)
{
	size_t live;

	if (!t) {
		paging_vm_free(s->pvm);
		s->pvm = NULL;
		rs_skip(s, "teardown_zaps_every_shadow_page",
			s->no_trace ?: "TDP is on, no shadow pages");
		return;
	}
	kvm_trace_start(t, "teardown");
	paging_vm_free(s->pvm);
	s->pvm = NULL;
	kvm_trace_stop(t);
	live = kvm_mmu_model_count_live(kvm_trace_model(t));
	ksft_print_msg("%s: %zu shadow pages left after teardown\n", s->name, live);
	rs_result(s, !live, "teardown_zaps_every_shadow_page");
}

/* switches (2), unsync (2), global, teardown */
static int nr_results(enum guest_paging_mode mode)
{
	return 2 + 2 + 1 + 1;
}

static void run(struct rs_scene *s, struct kvm_trace *t)
{
	test_switching(s, t);
	test_unsync(s, t);
	test_global(s, t);
	test_teardown(s, t);
}

int main(int argc, char *argv[])
{
	rs_main(&(struct rs_program){ .nr_results = nr_results, .run = run });
}
