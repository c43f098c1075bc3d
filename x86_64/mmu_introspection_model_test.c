// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_introspection_model_test: check the introspection library's view
 * of KVM's MMU (the kvmmmu trace read into the shadow page model, role
 * decoding, stat snapshots and mmu_rmaps_stat) against what KVM 6.12's
 * MMU code makes certain.  The capture's own promises (isolation,
 * instance reuse and cleanup) are mmu_introspection_capture_test's.
 *
 * A 64-bit guest runs five phases, each traced separately:
 *   boot      run to the first GUEST_SYNC (code, stack, ucall mapped)
 *   touch_a   write NR_PAGES pages of RANGE_A, whose guest page directory
 *             and page table nothing touched before
 *   wp_on     set CR0.WP (the framework starts guests with CR0.WP=0)
 *   touch_b   write NR_PAGES pages of RANGE_B, also fresh
 *   unsync    touch RANGE_A again (new role), rewrite one of its PTEs
 *             through an alias mapping of its page table, reload CR3
 * then flips CR0.WP NR_WP_FLIPS times ("overflow", below), and the VM is
 * freed while tracing ("teardown").
 *
 * Under shadow paging (TDP off), arch/x86/kvm/mmu/ in 6.12:
 * - the root is an indirect shadow page of the guest's CR3 with the CPU
 *   role: mmu_alloc_shadow_roots() -> mmu_alloc_root() with
 *   root_role = kvm_calc_cpu_role() (access = ACC_ALL, cr0_wp = CR0.WP,
 *   has_4_byte_gpte = !CR4.PAE) and efer_nx forced on by
 *   kvm_init_shadow_mmu(); its level is the guest's paging depth, which
 *   the framework chooses (include/x86_64/vm_tables.h): 4, or 5 with
 *   CR4.LA57 (kvm_calc_cpu_role() sets role.base.level to
 *   PT64_ROOT_5LEVEL iff CR4.LA57 under EFER.LMA, kvm_init_shadow_mmu()
 *   keeps it as root_role.level, in 6.12 and 7.3 alike);
 * - a fresh guest page table gets exactly one level-1 shadow page with the
 *   role of its parent, one level lower, indirect, no quadrant for 8-byte
 *   gptes and the access of the guest entries above it:
 *   FNAME(fetch) -> kvm_mmu_get_child_sp() -> kvm_mmu_child_role(), and
 *   FNAME(walk_addr_generic)/FNAME(gpte_access) in paging_tmpl.h (the
 *   framework's entries are present+writable, supervisor, executable);
 * - CR0.WP is part of the role, and kvm_mmu_find_shadow_page() compares
 *   whole role words, so after CR0.WP changes (kvm_post_set_cr0() ->
 *   kvm_mmu_reset_context()) a new root is created and no page of the old
 *   role is ever found;
 * - a guest write to a page table shadowed by level-1 pages unsyncs them
 *   rather than zapping them (make_spte() -> mmu_try_to_unsync_pages() ->
 *   kvm_unsync_page(): level-1 page tables are write-protected but not
 *   write-tracked, account_shadowed()), and a CR3 load syncs the ones
 *   reachable from the root: kvm_set_cr3() (regs.c in this tree) ->
 *   kvm_invalidate_pcid() -> KVM_REQ_MMU_SYNC -> kvm_mmu_sync_roots() ->
 *   mmu_sync_children() -> kvm_unlink_unsync_page() (traced as sync);
 * - VM teardown zaps every shadow page: kvm_destroy_vm() ->
 *   mmu_notifier_unregister() -> kvm_mmu_notifier_release() ->
 *   kvm_flush_shadow_all() -> kvm_mmu_zap_all(), one
 *   trace_kvm_mmu_prepare_zap_page() per valid page.
 * With the shadow MMU (TDP off, or TDP with kvm.tdp_mmu=0) the trace and
 * the stats count the same things in the same functions:
 * __kvm_mmu_get_shadow_page() traces "created" exactly when
 * kvm_mmu_find_shadow_page() counted mmu_cache_miss;
 * __kvm_mmu_prepare_zap_page() traces and counts mmu_shadow_zapped;
 * kvm_unsync_page() and kvm_unlink_unsync_page() trace and move
 * mmu_unsync.  The TDP MMU traces its own pages (tdp_mmu_init_sp() as
 * created, handle_removed_pt() as zapped, but not the final put of a root
 * in kvm_tdp_mmu_put_root()), all direct, and never looks them up in the
 * hash (no mmu_cache_miss); with the legacy TDP MMU every shadow page is
 * direct too (direct_map(), mmu_alloc_direct_roots()).  On AMD the TDP
 * root level is the host's paging depth (get_npt_level() in svm.c).
 *
 * The library must notice a trace buffer that overflowed: NR_WP_FLIPS
 * CR0.WP flips under shadow paging each reset the MMU context
 * (kvm_post_set_cr0() -> kvm_mmu_reset_context()) and look the root up
 * again before the next entry (vcpu_enter_guest() -> kvm_mmu_reload() ->
 * mmu_alloc_shadow_roots() -> mmu_alloc_root(), traced as found), far more
 * events than a 4 KB buffer holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_role.h"
#include "kvm_role_expect.h"
#include "kvm_stats.h"
#include "kvm_trace.h"
#include "vm_tables.h"

#define NR_PAGES	16
#define DATA_SLOT	1
#define DATA_GPA	0x10000000UL
/*
 * Under the top-level entry 0 that the code already uses (and, with 5-level
 * paging, PML4E 0), PDPT[1] and PDPT[2]: fresh PD and PT.
 */
#define RANGE_A		0x40000000UL
#define RANGE_B		0x80000000UL
/* PDPT[3]: maps range A's guest page table as data. */
#define PT_ALIAS	0xc0000000UL
#define GPTE_ADDR_MASK	0x000ffffffffff000ULL

/* Rights of the framework's guest entries above a page table: present, writable, supervisor. */
#define TABLE_RIGHTS	(KVM_ROLE_ACC_R | KVM_ROLE_ACC_W | KVM_ROLE_ACC_X)

/* The phases run_phases() runs; PHASE_OVERFLOW runs on its own, with a second capture. */
enum {
	PHASE_BOOT, PHASE_TOUCH_A, PHASE_WP_ON, PHASE_TOUCH_B, PHASE_UNSYNC, NR_RUN_PHASES,
	PHASE_OVERFLOW = NR_RUN_PHASES
};

static const char * const phase_name[] = {
	"boot", "touch_a", "wp_on", "touch_b", "unsync", "overflow",
};

/* CR0.WP flips in the overflow phase: each one a root lookup, traced. */
#define NR_WP_FLIPS	1000
/* Far too small for NR_WP_FLIPS events (~48 bytes each). */
#define SMALL_BUFFER_KB	4

static void touch(uint64_t base)
{
	uint64_t i;

	for (i = 0; i < NR_PAGES; i++)
		WRITE_ONCE(*(uint64_t *)(base + i * PAGE_SIZE), i + 1);
}

static void guest_code(void)
{
	uint64_t pte, cr3, i;

	GUEST_SYNC(PHASE_BOOT);
	touch(RANGE_A);
	GUEST_SYNC(PHASE_TOUCH_A);
	asm volatile("mov %0, %%cr0" : : "r"(get_cr0() | X86_CR0_WP) : "memory");
	GUEST_SYNC(PHASE_WP_ON);
	touch(RANGE_B);
	GUEST_SYNC(PHASE_TOUCH_B);
	touch(RANGE_A);
	/* The PTE of RANGE_A's first page, written back unchanged. */
	pte = READ_ONCE(*(uint64_t *)PT_ALIAS);
	WRITE_ONCE(*(uint64_t *)PT_ALIAS, pte);
	asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
	GUEST_SYNC(PHASE_UNSYNC);
	for (i = 0; i < NR_WP_FLIPS; i++)
		asm volatile("mov %0, %%cr0" : : "r"(get_cr0() ^ X86_CR0_WP) : "memory");
	GUEST_SYNC(PHASE_OVERFLOW);
	GUEST_DONE();
}

static struct kvm_mmu_config cfg;
static struct kvm_trace *trace;
static struct kvm_vm *vm;
/*
 * The guest's paging depth (4 or 5, vm_mmu_levels()), and the gfns of the
 * guest page tables the phases must shadow: the top-level table CR3
 * points to, and ranges A's and B's page directories and page tables.
 */
static int guest_levels;
static uint64_t top_gfn, pd_a_gfn, pt_a_gfn, pd_b_gfn, pt_b_gfn;

/* gfn of the guest's paging structure at @level (below the top) for @gva. */
static uint64_t guest_table_gfn(uint64_t gva, int level)
{
	uint64_t entry = *vm_guest_entry(vm, gva, level + 1);

	TEST_ASSERT(entry & 1, "gva 0x%lx not mapped at level %d", gva, level + 1);
	return (entry & GPTE_ADDR_MASK) >> PAGE_SHIFT;
}

static size_t count(struct kvm_mmu_query q)
{
	return kvm_mmu_model_count(kvm_trace_model(trace), q);
}

#define TRACE_VS_STATS_FMT						\
	"%s: trace created %ld / zapped %ld / unsync-sync %ld, stats mmu_cache_miss %+ld / mmu_shadow_zapped %+ld / mmu_unsync %+ld\n"

/*
 * The trace and the stats are counted side by side in the same functions
 * (see the header comment): over a phase their deltas must agree.
 */
static bool trace_agrees_with_stats(int phase, const struct kvm_stats_snapshot *before,
				    const struct kvm_stats_snapshot *after)
{
	int64_t created = count(KVM_MMU_QUERY(.phase = phase, .type = KVM_MMU_GET_PAGE,
					      .created = 1));
	int64_t zapped = count(KVM_MMU_QUERY(.phase = phase,
					     .type = KVM_MMU_PREPARE_ZAP_PAGE));
	int64_t unsync = count(KVM_MMU_QUERY(.phase = phase, .type = KVM_MMU_UNSYNC_PAGE)) -
			 count(KVM_MMU_QUERY(.phase = phase, .type = KVM_MMU_SYNC_PAGE));
	int64_t miss = kvm_stats_delta(before, after, "mmu_cache_miss");
	int64_t zap = kvm_stats_delta(before, after, "mmu_shadow_zapped");
	int64_t uns = kvm_stats_delta(before, after, "mmu_unsync");
	bool ok = created == miss && zapped == zap && unsync == uns;

	if (!ok)
		ksft_print_msg(TRACE_VS_STATS_FMT,
			       phase_name[phase], created, zapped, unsync, miss, zap, uns);
	return ok;
}

/* The role of a page of this 64-bit, non-nested guest (kvm_role_expect_plain()). */
static bool expect_role(const char *what, uint32_t word, int level, int direct, int access,
			int cr0_wp)
{
	return kvm_role_expect_plain(&cfg, &kvm_trace_model(trace)->layout, what, word, level,
				     direct, access, cr0_wp);
}

static bool created_once(int phase, uint64_t gfn, int level, const char *what, uint32_t *role)
{
	return kvm_mmu_model_created_once(kvm_trace_model(trace), phase, gfn, level, what, role);
}

/*
 * Shadow paging: mmu_alloc_shadow_roots() -> mmu_alloc_root(vcpu, root_gfn,
 * 0, root_role.level), the role being the CPU role with access ACC_ALL,
 * its level the guest's paging depth (see the top of this file).  TDP:
 * the root of gfn 0 at the TDP level (mmu_alloc_direct_roots() ->
 * mmu_alloc_root() or kvm_tdp_mmu_alloc_root()), which on AMD is the
 * host's paging depth, whatever the guest's: svm_hardware_setup() ->
 * kvm_configure_mmu(npt_enabled, get_npt_level(), ...) and
 * kvm_mmu_get_tdp_level() uses that forced level.
 */
static bool check_root(void)
{
	int level = guest_levels, max_level;
	uint64_t gfn = top_gfn;
	int access = KVM_ROLE_ACC_ALL;
	uint32_t role;

	if (cfg.tdp) {
		gfn = 0;
		if (!strcmp(cfg.vendor_module, "kvm_amd")) {
			level = cfg.host_paging_levels;
			/* kvm_amd with gmet: the root role's access has no U. */
			if (kvm_mmu_config_tdp_smep(&cfg))
				access &= ~KVM_ROLE_ACC_U;
		} else {
			/* VMX picks 4 or 5 by guest MAXPHYADDR: take what is there. */
			level = count(KVM_MMU_QUERY(.phase = PHASE_BOOT, .type = KVM_MMU_GET_PAGE,
						    .level = 5)) ? 5 : 4;
		}
	}
	for (max_level = 5; max_level > level; max_level--) {
		size_t above = count(KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .level = max_level));

		if (above) {
			ksft_print_msg("a level-%d shadow page above the level-%d root\n",
				       max_level, level);
			return false;
		}
	}
	return count(KVM_MMU_QUERY(.phase = PHASE_BOOT, .type = KVM_MMU_GET_PAGE,
				   .created = 1, .level = level)) == 1 &&
	       created_once(PHASE_BOOT, gfn, level, "root", &role) &&
	       expect_role("root", role, level, cfg.tdp, access, cfg.tdp);
}

#define DIRECT_COUNTS_FMT						\
	"%zu kvm_mmu_get_page events, %zu of direct pages, %zu found; mmu_cache_miss %lu\n"

/*
 * Shadow paging shadows guest page tables: indirect pages only, as the
 * framework maps every guest page with 4K PTEs (FNAME(fetch) makes direct
 * pages only for guest huge pages).  TDP pages are all direct; the TDP
 * MMU's are traced by tdp_mmu_init_sp(), always as created, and never go
 * through the hash of kvm_mmu_find_shadow_page() (no mmu_cache_miss).
 */
static bool check_direct(uint64_t cache_miss)
{
	size_t all = count(KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE));
	size_t direct = count(KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .direct = 1));
	size_t found = count(KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .created = 0));

	ksft_print_msg(DIRECT_COUNTS_FMT, all, direct, found, cache_miss);
	if (!all)
		return false;
	if (cfg.tdp_mmu)
		return direct == all && !found && !cache_miss;
	return direct == (cfg.tdp ? all : 0);
}

#define TOUCH_A_CREATED_FMT						\
	"touch_a: a level-%d shadow page was created without a CR3 or role change\n"

static bool check_touch_a(void)
{
	uint32_t pt_role, pd_role;
	int level;
	bool ok;

	ok = created_once(PHASE_TOUCH_A, pt_a_gfn, 1, "range A page table", &pt_role) &&
	     expect_role("range A page table", pt_role, 1, 0, TABLE_RIGHTS, 0);
	ok &= created_once(PHASE_TOUCH_A, pd_a_gfn, 2, "range A page directory", &pd_role) &&
	      expect_role("range A page directory", pd_role, 2, 0, TABLE_RIGHTS, 0);
	/*
	 * No CR3 or role change: the root and the shadow pages of the tables
	 * between it and the fresh PD (the code's) are reused.
	 */
	for (level = 3; level <= guest_levels; level++) {
		size_t created = count(KVM_MMU_QUERY(.phase = PHASE_TOUCH_A,
						     .type = KVM_MMU_GET_PAGE,
						     .created = 1, .level = level));

		if (created) {
			ksft_print_msg(TOUCH_A_CREATED_FMT, level);
			ok = false;
		}
	}
	return ok;
}

/* Every get_page of @phase has role.cr0_wp == @wp. */
static bool all_get_page_with_wp(int phase, int wp)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t i, bad = 0;

	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		if (e->phase == phase && e->type == KVM_MMU_GET_PAGE &&
		    kvm_role_get(&m->layout, e->role, "cr0_wp") != wp)
			bad++;
	}
	if (bad)
		ksft_print_msg("%s: %zu shadow pages with cr0_wp=%d used while CR0.WP=%d\n",
			       phase_name[phase], bad, !wp, wp);
	return !bad;
}

static bool check_wp_change(void)
{
	uint32_t root_role, pt_role;
	bool ok;

	ok = created_once(PHASE_WP_ON, top_gfn, guest_levels, "root after CR0.WP=1",
			  &root_role) &&
	     expect_role("root after CR0.WP=1", root_role, guest_levels, 0, KVM_ROLE_ACC_ALL, 1);
	ok &= all_get_page_with_wp(PHASE_TOUCH_B, 1);
	ok &= created_once(PHASE_TOUCH_B, pt_b_gfn, 1, "range B page table", &pt_role) &&
	      expect_role("range B page table", pt_role, 1, 0, TABLE_RIGHTS, 1);
	return ok;
}

#define UNSYNC_COUNTS_FMT						\
	"unsync: %zu level-1 pages of gfn 0x%lx unsynced; the cr0_wp=1 one unsynced %zu, synced %zu times; %zu zapped\n"

/*
 * The level-1 shadow pages of range A's page table: every one of them
 * unsynced by the alias write, the one under the current root (cr0_wp=1)
 * synced by the CR3 load, none zapped.
 */
static bool check_unsync(void)
{
	const struct kvm_role_layout *l = &kvm_trace_model(trace)->layout;
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t unsync_pages, i, synced_wp1 = 0, unsynced_wp1 = 0, zapped = 0;

	unsync_pages = kvm_mmu_model_count_pages(m, KVM_MMU_QUERY(.phase = PHASE_UNSYNC,
								  .type = KVM_MMU_UNSYNC_PAGE,
								  .gfn = pt_a_gfn, .level = 1));
	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		if (e->phase != PHASE_UNSYNC || e->gfn != pt_a_gfn ||
		    kvm_role_get(l, e->role, "level") != 1)
			continue;
		zapped += e->type == KVM_MMU_PREPARE_ZAP_PAGE;
		if (kvm_role_get(l, e->role, "cr0_wp") != 1)
			continue;
		unsynced_wp1 += e->type == KVM_MMU_UNSYNC_PAGE;
		synced_wp1 += e->type == KVM_MMU_SYNC_PAGE;
	}
	ksft_print_msg(UNSYNC_COUNTS_FMT, unsync_pages, pt_a_gfn, unsynced_wp1, synced_wp1, zapped);
	return unsynced_wp1 == 1 && synced_wp1 >= 1 && !zapped;
}

static bool check_rmaps(void)
{
	struct kvm_rmaps_stat st;
	uint64_t mapped;
	int l4k;

	vm_rmaps_stat(vm, &st, true);
	if (cfg.tdp_mmu) {
		/* kvm_memslots_have_rmaps(): no shadow root, no rmaps, empty file. */
		ksft_print_msg("mmu_rmaps_stat: %u page sizes (TDP MMU: expected none)\n",
			       st.nr_levels);
		return st.nr_levels == 0;
	}
	l4k = kvm_rmaps_stat_level(&st, "4K");
	mapped = kvm_rmaps_stat_mapped(&st, l4k);
	ksft_print_msg("mmu_rmaps_stat: %lu gfns with 4K rmaps (expected >= %d)\n", mapped,
		       2 * NR_PAGES);
	/*
	 * mmu_set_spte() -> rmap_add() for each data page written (two
	 * ranges, 2 * NR_PAGES gfns).
	 */
	return l4k >= 0 && mapped >= 2 * NR_PAGES;
}

static void run_phases(struct kvm_vcpu *vcpu, bool *stats_ok, uint64_t *cache_miss)
{
	struct kvm_stats_snapshot before, after, vcpu_before, vcpu_after;
	double t0, t1;
	int p;

	*stats_ok = true;
	for (p = 0; p < NR_RUN_PHASES; p++) {
		vm_stats_snapshot(vm, &before);
		vcpu_stats_snapshot(vcpu, &vcpu_before);
		t0 = kvm_trace_seconds();
		kvm_trace_start(trace, phase_name[p]);
		vcpu_run_to_sync(vcpu, p);
		kvm_trace_stop(trace);
		t1 = kvm_trace_seconds();
		vm_stats_snapshot(vm, &after);
		vcpu_stats_snapshot(vcpu, &vcpu_after);
		ksft_print_msg("%s: %.3f s including trace capture\n", phase_name[p], t1 - t0);
		kvm_stats_print_deltas(&before, &after, phase_name[p]);
		kvm_stats_print_deltas(&vcpu_before, &vcpu_after, phase_name[p]);
		*stats_ok &= trace_agrees_with_stats(p, &before, &after);
	}
	*cache_miss = kvm_stats_get(&after, "mmu_cache_miss");
}

#define OVERFLOW_FMT							\
	"overflow: %zu events in the main capture; the %d KB one kept %zu and lost %lld\n"

/*
 * The overflow phase, traced by the main capture and by one with a tiny
 * buffer.  Returns how many events the small one lost.
 */
static long long run_overflow(struct kvm_vcpu *vcpu)
{
	struct kvm_trace *small = kvm_trace_create();
	long long lost;

	kvm_trace_set_buffer_kb(small, SMALL_BUFFER_KB);
	kvm_trace_start(small, phase_name[PHASE_OVERFLOW]);
	kvm_trace_start(trace, phase_name[PHASE_OVERFLOW]);
	vcpu_run_to_sync(vcpu, PHASE_OVERFLOW);
	kvm_trace_stop(trace);
	lost = kvm_trace_stop_lossy(small);
	ksft_print_msg(OVERFLOW_FMT,
		       count(KVM_MMU_QUERY(.phase = PHASE_OVERFLOW)), SMALL_BUFFER_KB,
		       kvm_trace_model(small)->nr_events, lost);
	kvm_trace_destroy(small);
	return lost;
}

static bool check_overflow(long long lost)
{
	size_t roots = count(KVM_MMU_QUERY(.phase = PHASE_OVERFLOW, .type = KVM_MMU_GET_PAGE,
					   .level = guest_levels));

	if (roots < NR_WP_FLIPS)
		ksft_print_msg("overflow: %zu root lookups for %d CR0.WP flips\n", roots,
			       NR_WP_FLIPS);
	return roots >= NR_WP_FLIPS && lost > 0;
}

/*
 * Pages the teardown did not zap.  The TDP MMU traces the zap of each
 * page table it removes (handle_removed_pt()) but frees its roots in
 * kvm_tdp_mmu_put_root() without a trace: its roots are left out.
 */
static size_t teardown(void)
{
	struct kvm_mmu_page_summary pages[256];
	size_t i, n, total, live = 0;
	double t0 = kvm_trace_seconds();

	kvm_trace_start(trace, "teardown");
	kvm_vm_free(vm);
	vm = NULL;
	kvm_trace_stop(trace);
	ksft_print_msg("%s: %.3f s including trace capture\n", __func__, kvm_trace_seconds() - t0);

	n = kvm_mmu_model_pages(kvm_trace_model(trace), pages, 256, &total);
	TEST_ASSERT(n == total, "more than 256 shadow pages");
	for (i = 0; i < n; i++) {
		struct kvm_mmu_role r;

		kvm_role_decode(&kvm_trace_model(trace)->layout, pages[i].role, &r);
		if (cfg.tdp_mmu && pages[i].first_phase == PHASE_BOOT && pages[i].gfn == 0 &&
		    r.level >= 4)
			continue;
		live += pages[i].live;
	}
	return live;
}

#define GUEST_TABLES_FMT						\
	"guest tables: %d-level, top gfn 0x%lx; range A PD 0x%lx PT 0x%lx; range B PD 0x%lx PT 0x%lx\n"

/* The VM: ranges A and B in a slot of their own, and an alias of A's page table. */
static struct kvm_vcpu *create_vm(void)
{
	struct kvm_vcpu *vcpu;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    2 * NR_PAGES, 0);
	virt_map(vm, RANGE_A, DATA_GPA, NR_PAGES);
	virt_map(vm, RANGE_B, DATA_GPA + NR_PAGES * PAGE_SIZE, NR_PAGES);
	virt_map(vm, PT_ALIAS, guest_table_gfn(RANGE_A, 1) << PAGE_SHIFT, 1);
	guest_levels = vm_mmu_levels(vm);
	top_gfn = vm_mmu_pgd(vm) >> PAGE_SHIFT;
	pd_a_gfn = guest_table_gfn(RANGE_A, 2);
	pt_a_gfn = guest_table_gfn(RANGE_A, 1);
	pd_b_gfn = guest_table_gfn(RANGE_B, 2);
	pt_b_gfn = guest_table_gfn(RANGE_B, 1);
	ksft_print_msg(GUEST_TABLES_FMT,
		       guest_levels, top_gfn, pd_a_gfn, pt_a_gfn, pd_b_gfn, pt_b_gfn);
	return vcpu;
}

#define TDP_MMU_UNCOUNTED	\
	"the TDP MMU traces its pages (tdp_mmu_init_sp(), handle_removed_pt()) but counts no mmu_cache_miss or mmu_shadow_zapped"
#define TDP_NO_OVERFLOW		\
	"TDP is on: CR0.WP flips cause no shadow page events to overflow a buffer with"

/* The checks of the model against KVM's counters and roles, after the run. */
static void report_model(bool stats_ok, uint64_t cache_miss, long long lost)
{
	kvm_mmu_report(&cfg, stats_ok, cfg.tdp_mmu ? TDP_MMU_UNCOUNTED : NULL,
		       "trace_agrees_with_stats");
	kvm_mmu_report(&cfg, check_rmaps(), NULL, "rmaps_stat");
	kvm_mmu_report(&cfg, check_root(), NULL, "root_level_and_role");
	kvm_mmu_report(&cfg, check_direct(cache_miss), NULL, "pages_direct_iff_tdp");
	kvm_mmu_report(&cfg, !cfg.tdp && check_touch_a(),
		       cfg.tdp ? "TDP is on: guest page tables are not shadowed" : NULL,
		       "fresh_page_table_gets_one_level1_shadow_page");
	kvm_mmu_report(&cfg, !cfg.tdp && check_wp_change(),
		       cfg.tdp ? "TDP is on: CR0.WP is not part of a TDP page's role" : NULL,
		       "cr0_wp_change_creates_new_root_and_pages");
	kvm_mmu_report(&cfg, !cfg.tdp && check_unsync(),
		       cfg.tdp ? "TDP is on: guest page tables are not write-protected" : NULL,
		       "guest_pte_write_unsyncs_and_cr3_load_syncs");
	kvm_mmu_report(&cfg, !cfg.tdp && check_overflow(lost),
		       cfg.tdp ? TDP_NO_OVERFLOW : NULL,
		       "trace_buffer_overflow_is_detected");
}

/*
 * The events, as kvm_mmu_model_load() reads them (tests/unit fixtures),
 * but for the thousand root lookups of the overflow phase.
 */
static void dump_events(void)
{
	int p;

	kvm_trace_print(trace);
	fflush(stdout);
	for (p = 0; p < kvm_trace_model(trace)->nr_phases; p++) {
		if (p != PHASE_OVERFLOW)
			kvm_mmu_model_dump(kvm_trace_model(trace), stdout, "# event| ", p);
	}
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	uint64_t cache_miss;
	size_t leaked;
	long long lost;
	bool stats_ok;

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	trace = kvm_trace_create_timed();
	ksft_set_plan(9);

	vcpu = create_vm();
	run_phases(vcpu, &stats_ok, &cache_miss);
	lost = run_overflow(vcpu);
	report_model(stats_ok, cache_miss, lost);
	leaked = teardown();
	if (leaked)
		ksft_print_msg("%zu shadow pages created and never zapped\n", leaked);
	kvm_mmu_report(&cfg, !leaked, NULL, "teardown_zaps_every_shadow_page");
	dump_events();
	kvm_trace_destroy(trace);
	ksft_finished();
}
