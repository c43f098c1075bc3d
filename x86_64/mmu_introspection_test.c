// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_introspection_test: check the introspection library (kvmmmu trace
 * capture, role decoding, the shadow page model, stat snapshots and
 * mmu_rmaps_stat) against what KVM 6.12's MMU code makes certain.
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
 *
 * A capture sees only its own process: a VM run by a child process at the
 * same time leaves nothing in it.
 *
 * Last, the library's own promise: no tracefs instance is left behind by a
 * test that exits on a failed assertion, is killed by SIGTERM, or is killed
 * by SIGKILL (removed by the next capture of any test).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_role.h"
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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

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

/* Role checks print what differs, with the configuration. */
static bool expect_field(const char *what, const char *field, int seen, int expected)
{
	if (seen == expected)
		return true;
	ksft_print_msg("%s: role.%s is %d, expected %d (configuration %s)\n", what, field,
		       seen, expected, kvm_mmu_config_name(&cfg));
	return false;
}

/* kvm_amd gmet / kvm_intel mbec (7.x): the TDP root role's cr4_smep. */
static int tdp_smep(void)
{
	char path[128], c = 'N';
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", cfg.vendor_module,
		 strcmp(cfg.vendor_module, "kvm_amd") ? "mbec" : "gmet");
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%c", &c) != 1)
			c = 'N';
		fclose(f);
	}
	return c == 'Y' || c == '1';
}

/*
 * The role every shadow page of this 64-bit, non-nested, non-SMM guest
 * has.  @direct pages are TDP pages (kvm_calc_tdp_mmu_root_page_role():
 * cr0_wp and efer_nx forced on, access ACC_ALL).
 */
static bool expect_role(const char *what, uint32_t word, int level, int direct, int access,
			int cr0_wp)
{
	const struct kvm_role_layout *l = &kvm_trace_model(trace)->layout;
	struct kvm_mmu_role r;
	char buf[128];
	bool ok = true;

	kvm_role_decode(l, word, &r);
	ksft_print_msg("%s: role 0x%08x = %s\n", what, word, kvm_role_format(&r, buf, sizeof(buf)));
	ok &= expect_field(what, "level", r.level, level);
	ok &= expect_field(what, "has_4_byte_gpte", r.has_4_byte_gpte, 0);
	ok &= expect_field(what, "quadrant", r.quadrant, 0);
	ok &= expect_field(what, "direct", r.direct, direct);
	ok &= expect_field(what, "access (as rights r1 w2 u4 x8)", r.rights, access);
	ok &= expect_field(what, "invalid", r.invalid, 0);
	ok &= expect_field(what, "efer_nx", r.efer_nx, 1);
	ok &= expect_field(what, "cr0_wp", r.cr0_wp, cr0_wp);
	if (r.smep_andnot_wp != KVM_ROLE_ABSENT)
		ok &= expect_field(what, "smep_andnot_wp", r.smep_andnot_wp, 0);
	/* CR4.SMEP (0 in this guest); TDP: GMET/MBEC in use (kvm_calc_tdp_mmu_root_page_role()). */
	if (r.cr4_smep != KVM_ROLE_ABSENT)
		ok &= expect_field(what, "cr4_smep", r.cr4_smep, direct ? tdp_smep() : 0);
	if (r.is_mirror != KVM_ROLE_ABSENT)
		ok &= expect_field(what, "is_mirror", r.is_mirror, 0);
	ok &= expect_field(what, "smap_andnot_wp", r.smap_andnot_wp, 0);
	/* Shadow paging: kvm_calc_cpu_role() leaves it 0; NPT has A/D bits. */
	if (!direct || !strcmp(cfg.vendor_module, "kvm_amd"))
		ok &= expect_field(what, "ad_disabled", r.ad_disabled, 0);
	ok &= expect_field(what, "guest_mode", r.guest_mode, 0);
	if (r.passthrough != KVM_ROLE_ABSENT)
		ok &= expect_field(what, "passthrough", r.passthrough, 0);
	ok &= expect_field(what, "smm", r.smm, 0);
	return ok;
}

#define CREATED_NOT_ONCE_FMT						\
	"%s: %zu level-%d shadow pages of gfn 0x%lx created in phase %s, expected exactly 1\n"

/*
 * The one page created in @phase for (@gfn, @level): its role word, or
 * false (with the count printed) if there is not exactly one.
 */
static bool created_once(int phase, uint64_t gfn, int level, const char *what,
			 uint32_t *role)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t i, n = 0;

	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		if (e->phase != phase || e->type != KVM_MMU_GET_PAGE || !e->created ||
		    e->gfn != gfn || kvm_role_get(&m->layout, e->role, "level") != level)
			continue;
		*role = e->role;
		n++;
	}
	if (n != 1)
		ksft_print_msg(CREATED_NOT_ONCE_FMT, what, n, level, gfn, phase_name[phase]);
	return n == 1;
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
	uint32_t role;

	if (cfg.tdp) {
		gfn = 0;
		if (!strcmp(cfg.vendor_module, "kvm_amd")) {
			level = cfg.host_paging_levels;
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
	       expect_role("root", role, level, cfg.tdp,
			   cfg.tdp && tdp_smep() && !strcmp(cfg.vendor_module, "kvm_amd") ?
			   KVM_ROLE_ACC_ALL & ~KVM_ROLE_ACC_U : KVM_ROLE_ACC_ALL, cfg.tdp);
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

static void report(bool ok, bool applies, const char *name, const char *why_not)
{
	const char *config = kvm_mmu_config_name(&cfg);

	if (!applies)
		ksft_test_result_skip("%s_%s: %s\n", name, config, why_not);
	else
		ksft_test_result(ok, "%s_%s\n", name, config);
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
		t0 = now();
		kvm_trace_start(trace, phase_name[p]);
		vcpu_run_to_sync(vcpu, p);
		kvm_trace_stop(trace);
		t1 = now();
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
	double t0 = now();

	kvm_trace_start(trace, "teardown");
	kvm_vm_free(vm);
	vm = NULL;
	kvm_trace_stop(trace);
	ksft_print_msg("%s: %.3f s including trace capture\n", __func__, now() - t0);

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

/* ---- cleanup of tracefs instances, in child processes ---- */

static bool instance_exists(const char *name)
{
	return kvm_trace_instance_exists(name);
}

/*
 * A child creates and starts a capture, tells the parent its instance name
 * and then: 0 waits to be killed, 1 fails a TEST_ASSERT.
 */
static pid_t spawn_capture(int how, char *name, size_t size)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	TEST_ASSERT(!pipe(fds), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct kvm_trace *t = kvm_trace_create();
		const char *nm = kvm_trace_instance_name(t);

		kvm_trace_start(t, "child");
		TEST_ASSERT(write(fds[1], nm, strlen(nm) + 1) > 0, "write");
		if (how == 1) {
			/* Its report would read like a failure of this test. */
			TEST_ASSERT(freopen("/dev/null", "w", stderr), "freopen");
			TEST_ASSERT(false, "expected failure in a child");
		}
		for (;;)
			pause();
	}
	close(fds[1]);
	n = read(fds[0], name, size - 1);
	close(fds[0]);
	TEST_ASSERT(n > 0, "the capture child died before creating its instance");
	name[n] = '\0';
	return pid;
}

static void idle_guest(void)
{
	GUEST_DONE();
}

static void run_idle_vm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *idle = vm_create_with_one_vcpu(&vcpu, idle_guest);

	vcpu_run_to_done(vcpu);
	kvm_vm_free(idle);
}

#define INSTANCE_REUSE_FMT						\
	"instance reuse: %s kept %d, taken over %d, %zu events from before (expected 0), %zu in its own phase, removed %d\n"

/*
 * Instance reuse (kvm_trace_reuse_instances(), on by default): a destroyed
 * capture's instance is kept and the next capture of the process takes it
 * over, with nothing in it from the time between, when a VM ran (its
 * events are seen when the same VM runs again in a phase of that
 * capture); kvm_trace_reuse_instances(false) removes the kept instance.
 * A parallel capture (this test's own) is not disturbed.
 */
static bool check_instance_reuse(void)
{
	size_t between, during;
	struct kvm_trace *t;
	bool kept, taken_over, removed;
	char name[64];

	kvm_trace_reuse_instances(true);
	t = kvm_trace_create();
	kvm_trace_start(t, "first capture");
	kvm_trace_stop(t);
	snprintf(name, sizeof(name), "%s", kvm_trace_instance_name(t));
	kvm_trace_destroy(t);
	kept = instance_exists(name);
	run_idle_vm();

	t = kvm_trace_create();
	taken_over = !strcmp(kvm_trace_instance_name(t), name);
	kvm_trace_start(t, "between");
	kvm_trace_stop(t);
	kvm_trace_start(t, "during");
	run_idle_vm();
	kvm_trace_stop(t);
	between = kvm_mmu_model_count(kvm_trace_model(t), KVM_MMU_QUERY(.phase = 0));
	during = kvm_mmu_model_count(kvm_trace_model(t), KVM_MMU_QUERY(.phase = 1));
	kvm_trace_destroy(t);
	kvm_trace_reuse_instances(false);
	removed = !instance_exists(name);
	ksft_print_msg(INSTANCE_REUSE_FMT, name, kept, taken_over, between, during, removed);
	return kept && taken_over && !between && during && removed;
}

/*
 * While this test's capture runs, a child process runs a VM of its own
 * under a capture of its own.  The child's capture must see events (there
 * is something to leak) and this test's none: the common_pid filter.
 */
static bool check_isolation(void)
{
	size_t child_events = 0, seen;
	int fds[2], status;
	pid_t pid;

	TEST_ASSERT(!pipe(fds), "pipe");
	kvm_trace_start(trace, "other_process");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct kvm_trace *t = kvm_trace_create();
		struct kvm_vcpu *vcpu;
		struct kvm_vm *other;
		struct ucall uc;
		size_t n;

		kvm_trace_start(t, "child");
		other = vm_create_with_one_vcpu(&vcpu, idle_guest);
		vcpu_run(vcpu);
		TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_DONE, "the child's guest did not finish");
		kvm_vm_free(other);
		kvm_trace_stop(t);
		n = kvm_trace_model(t)->nr_events;
		kvm_trace_destroy(t);
		TEST_ASSERT(write(fds[1], &n, sizeof(n)) == sizeof(n), "write");
		exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &child_events, sizeof(child_events)) != sizeof(child_events))
		child_events = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	kvm_trace_stop(trace);

	seen = count(KVM_MMU_QUERY(.phase = kvm_trace_phase(trace)));
	ksft_print_msg("other process: its capture saw %zu events, this test's %zu (expected 0)\n",
		       child_events, seen);
	return WIFEXITED(status) && !WEXITSTATUS(status) && child_events > 0 && !seen;
}

static bool check_cleanup(void)
{
	char name[64];
	bool ok = true;
	int status;
	pid_t pid;

	/* TEST_ASSERT failure: exit() -> atexit handler. */
	pid = spawn_capture(1, name, sizeof(name));
	waitpid(pid, &status, 0);
	if (instance_exists(name)) {
		ksft_print_msg("instance %s left behind by a child that failed a TEST_ASSERT\n",
			       name);
		ok = false;
	}

	/* SIGTERM (what a runner sends first): the signal handler. */
	pid = spawn_capture(0, name, sizeof(name));
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (instance_exists(name)) {
		ksft_print_msg("instance %s left behind by a child killed by SIGTERM\n", name);
		ok = false;
	}

	/* SIGKILL (a timeout): nothing runs; the next capture reaps it. */
	pid = spawn_capture(0, name, sizeof(name));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!instance_exists(name))
		ksft_print_msg("instance %s of a SIGKILLed child vanished by itself?\n", name);
	kvm_trace_reap_stale_instances();
	if (instance_exists(name)) {
		ksft_print_msg("instance %s of a SIGKILLed child was not reaped\n", name);
		ok = false;
	}
	return ok;
}

/* The trace, with the library's fixed costs printed; returns its instance's name. */
static void start_trace(char *own, size_t size)
{
	struct kvm_role_layout layout;
	double t0, t1;

	t0 = now();
	kvm_role_layout_require(&layout);
	t1 = now();
	trace = kvm_trace_create();
	ksft_print_msg("role layout from %s in %.3f s; tracefs instance %s set up in %.3f s\n",
		       layout.source, t1 - t0, kvm_trace_instance_name(trace), now() - t1);
	snprintf(own, size, "%s", kvm_trace_instance_name(trace));
}

#define GUEST_TABLES_FMT						\
	"guest tables: %d-level, top gfn 0x%lx; range A PD 0x%lx PT 0x%lx; range B PD 0x%lx PT 0x%lx\n"

/* The VM: ranges A and B in a slot of their own, and an alias of A's page table. */
static struct kvm_vcpu *create_vm(void)
{
	struct kvm_vcpu *vcpu;

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
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

/* The checks of the model against KVM's counters and roles, after the run. */
static void report_model(bool stats_ok, uint64_t cache_miss, long long lost)
{
	report(stats_ok, !cfg.tdp_mmu, "trace_agrees_with_stats",
	       "the TDP MMU traces its pages (tdp_mmu_init_sp(), handle_removed_pt()) but counts no mmu_cache_miss or mmu_shadow_zapped");
	report(check_rmaps(), true, "rmaps_stat", NULL);
	report(check_root(), true, "root_level_and_role", NULL);
	report(check_direct(cache_miss), true, "pages_direct_iff_tdp", NULL);
	report(!cfg.tdp && check_touch_a(), !cfg.tdp,
	       "fresh_page_table_gets_one_level1_shadow_page",
	       "TDP is on: guest page tables are not shadowed");
	report(!cfg.tdp && check_wp_change(), !cfg.tdp, "cr0_wp_change_creates_new_root_and_pages",
	       "TDP is on: CR0.WP is not part of a TDP page's role");
	report(!cfg.tdp && check_unsync(), !cfg.tdp, "guest_pte_write_unsyncs_and_cr3_load_syncs",
	       "TDP is on: guest page tables are not write-protected");
	report(!cfg.tdp && check_overflow(lost), !cfg.tdp, "trace_buffer_overflow_is_detected",
	       "TDP is on: CR0.WP flips cause no shadow page events to overflow a buffer with");
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
	char own[64];
	double t0;

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	start_trace(own, sizeof(own));
	ksft_set_plan(13);

	vcpu = create_vm();
	run_phases(vcpu, &stats_ok, &cache_miss);
	lost = run_overflow(vcpu);
	report_model(stats_ok, cache_miss, lost);
	leaked = teardown();
	if (leaked)
		ksft_print_msg("%zu shadow pages created and never zapped\n", leaked);
	report(!leaked, true, "teardown_zaps_every_shadow_page", NULL);
	report(check_isolation(), true, "capture_sees_only_this_process", NULL);
	report(check_instance_reuse(), true, "kept_instance_reused_empty_and_removed", NULL);
	dump_events();
	/* Instance reuse off: kvm_trace_destroy() itself must remove it. */
	kvm_trace_reuse_instances(false);
	kvm_trace_destroy(trace);
	report(!instance_exists(own), true, "own_instance_removed", NULL);
	t0 = now();
	report(check_cleanup(), true, "no_instance_left_by_failed_or_killed_test", NULL);
	ksft_print_msg("cleanup checks (3 child captures) took %.3f s\n", now() - t0);
	ksft_finished();
}
