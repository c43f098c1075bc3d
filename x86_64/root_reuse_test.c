// SPDX-License-Identifier: GPL-2.0
/*
 * root_reuse_test: shadow roots across MOV CR3 in a 64-bit guest.
 *
 * The guest has NR address spaces (top-level tables: PML4s, or PML5s with
 * 5-level paging) that map one virtual address, test_va, to a different
 * data page each, and switches among them in several orders.  What any
 * correct KVM must do:
 *
 * - Every access through test_va returns the data of the address space
 *   CR3 points to (SDM 4.5: the translation uses the paging structures
 *   CR3 references; MOV CR3 with CR4.PCIDE=0 flushes non-global TLB
 *   entries, SDM 4.10.4.1).  A root reused for the wrong CR3 breaks this.
 *
 * - After a warm-up pass, switching creates no shadow pages.  With TDP
 *   off, kvm_mmu_new_pgd() -> fast_pgd_switch() reuses the current root
 *   and the KVM_MMU_NUM_PREV_ROOTS (3) cached ones when is_root_usable()
 *   (same pgd, same role); a root that falls out of that cache keeps its
 *   shadow page in the hash, as mmu_free_root_page() zaps only invalid
 *   roots, and mmu_alloc_root() finds it again (mmu_cache_miss counts
 *   kvm_mmu_find_shadow_page() misses).  All in arch/x86/kvm/mmu/mmu.c.
 *   So even beyond the cache, a pass recreates nothing: no rebuild storm.
 *   Read back through kvmmmu events: within the cache no root is even
 *   looked up in the hash (fast_pgd_switch() hits), beyond it evicted
 *   roots are looked up and found, never created.  A root is the shadow
 *   page at the guest's paging depth, which the framework chooses
 *   (include/x86_64/vm_tables.h): level 4, or 5 with CR4.LA57
 *   (kvm_calc_cpu_role() -> role.base.level, kept as root_role.level by
 *   kvm_init_shadow_mmu(); mmu_alloc_shadow_roots() allocates the root
 *   at root_role.level).
 *
 * - Permissions follow the paging mode in force after a role change, with
 *   roots cached from before it: a supervisor write to a read-only page
 *   faults iff CR0.WP=1 (SDM 4.6.1), whichever cached CR3 it runs on.
 *
 * Stress mode, off by default: "-s SWITCHES" (or SMMU_STRESS_SWITCHES in
 * the environment, which vm/vmtest --append smmu.env.NAME=VALUE sets)
 * switches SWITCHES times among STRESS_SPACES address spaces in a
 * pseudo-random order, checking the data after each switch, and reports
 * switches per second and the shadow pages created and zapped meanwhile.
 * The rate is reported, never asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "vm_tables.h"

#define MAX_SPACES	8
#define STRESS_SPACES	64
#define ROOT_CACHE	4	/* the current root + KVM_MMU_NUM_PREV_ROOTS */
#define PASSES		4
#define TAG(i)		(0x5a5a000000000000ULL | (i))
/*
 * The address spaces' page tables and data pages live in a memslot of
 * their own: slot 0 is sized for the test binary and the framework's
 * tables (vm_nr_pages_required() in kvm_util.c counts extra pages only
 * for the page tables that would map them), and this binary is large.
 * Per address space up to 5 tables and a data page, and one read-only
 * page for all.
 */
#define TEST_SLOT	1
#define TEST_SLOT_GPA	0x10000000ULL
#define TEST_PAGES(n)	((n) * 6 + 1)
/* Enough shadow pages that KVM never needs to zap for room. */
#define NR_MMU_PAGES	1024

enum order { ROUND_ROBIN, PING_PONG, REVERSE };

static uint64_t cr3s[STRESS_SPACES];
static int nr_spaces;
static uint64_t stress_switches;
/*
 * Entry 1 of the top-level table, the first one the framework leaves
 * free (it maps everything it needs under entry 0): 1 << 39 with 4-level
 * paging, 1 << 48 with 5-level (create_vm()).  RO_VA is the next page.
 */
static uint64_t test_va;
#define RO_VA		(test_va + PAGE_SIZE)

static void switch_and_check(int i)
{
	uint64_t val;

	set_cr3(cr3s[i]);
	val = READ_ONCE(*(uint64_t *)test_va);
	__GUEST_ASSERT(val == TAG(i), "address space %d: read 0x%lx at 0x%lx, expected 0x%llx",
		       i, val, test_va, TAG(i));
}

static int order_index(enum order order, int step)
{
	switch (order) {
	case PING_PONG:
		return (step & 1) ? nr_spaces - 1 : 0;
	case REVERSE:
		return nr_spaces - 1 - step % nr_spaces;
	default:
		return step % nr_spaces;
	}
}

static uint8_t write_ro_page(void)
{
	return kvm_asm_safe("movq $1, (%[p])", [p] "r"(RO_VA));
}

static void guest_code(void)
{
	/* The framework's vCPU starts with CR0.WP clear. */
	uint64_t cr0 = get_cr0() | X86_CR0_WP;
	enum order order;
	int step, i;

	set_cr0(cr0);
	for (i = 0; i < nr_spaces; i++)
		switch_and_check(i);
	GUEST_SYNC(1);

	for (order = ROUND_ROBIN; order <= REVERSE; order++) {
		for (step = 0; step < PASSES * nr_spaces; step++)
			switch_and_check(order_index(order, step));
	}
	GUEST_SYNC(2);

	/* CR0.WP toggled while roots for every address space are cached. */
	for (i = 0; i < nr_spaces; i++) {
		switch_and_check(i);
		GUEST_ASSERT_EQ(write_ro_page(), PF_VECTOR);
		set_cr0(cr0 & ~X86_CR0_WP);
		switch_and_check((i + 1) % nr_spaces);
		GUEST_ASSERT_EQ(write_ro_page(), 0);
		switch_and_check(i);
		GUEST_ASSERT_EQ(write_ro_page(), 0);
		set_cr0(cr0);
		switch_and_check((i + 1) % nr_spaces);
		GUEST_ASSERT_EQ(write_ro_page(), PF_VECTOR);
	}
	GUEST_DONE();
}

/* Pseudo-random switches: no order that an LRU cache would favour. */
static void guest_stress_code(void)
{
	uint64_t seed = 1, n;
	int i;

	set_cr0(get_cr0() | X86_CR0_WP);
	for (i = 0; i < nr_spaces; i++)
		switch_and_check(i);
	GUEST_SYNC(1);
	for (n = 0; n < stress_switches; n++) {
		/* Knuth's MMIX LCG; the high bits are the random ones. */
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		switch_and_check((seed >> 33) % nr_spaces);
	}
	GUEST_DONE();
}

/*
 * A copy of the framework's top-level table (so code, stack and ucall
 * stay mapped) with its own tables down to a PT under entry 1, mapping
 * test_va to @data and RO_VA, read-only, to @ro.
 */
static uint64_t make_address_space(struct kvm_vm *vm, gpa_t data, gpa_t ro)
{
	uint64_t pt, top = vm_new_address_space(vm, TEST_SLOT, test_va, 1, &pt);

	vm_table(vm, pt)[(test_va >> PAGE_SHIFT) & 511] = data | GP_P | GP_RW;
	vm_table(vm, pt)[(RO_VA >> PAGE_SHIFT) & 511] = ro | GP_P;
	return top;
}

/*
 * Within the root cache, MOV CR3 finds the root in mmu->root or
 * mmu->prev_roots (fast_pgd_switch()) and never looks it up in the hash:
 * no kvm_mmu_get_page event for a root after warm-up.  Beyond the cache
 * every switch to an evicted root looks it up (and finds it: created=0).
 */
static void check_root_lookups(struct kvm_trace *trace, int n, int root_level)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t lookups = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE,
								 .level = root_level));
	size_t created = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE,
								 .level = root_level,
								 .created = 1));

	ksft_print_msg("%d address spaces: %zu root lookups in the hash, %zu root pages created\n",
		       n, lookups, created);
	if (n <= ROOT_CACHE)
		ksft_test_result(!lookups, "cached_roots_reused_%d_spaces\n", n);
	else
		ksft_test_result(lookups && !created, "evicted_roots_found_again_%d_spaces\n", n);
}

/* A VM whose guest has @n address spaces; cr3s[] says where they are. */
static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, int n, void *guest)
{
	struct kvm_vm *vm;
	gpa_t ro;
	int i;

	TEST_ASSERT(n <= STRESS_SPACES, "at most %d address spaces", STRESS_SPACES);
	vm = vm_create_with_test_slot(vcpu, guest, TEST_PAGES(n), TEST_SLOT, TEST_SLOT_GPA,
				      TEST_PAGES(n));
	vm_ioctl(vm, KVM_SET_NR_MMU_PAGES, (void *)NR_MMU_PAGES);
	test_va = 1ULL << VM_LEVEL_SHIFT(vm_mmu_levels(vm));
	ro = vm_zeroed_page(vm, TEST_SLOT);
	for (i = 0; i < n; i++) {
		gpa_t data = vm_zeroed_page(vm, TEST_SLOT);

		*(uint64_t *)addr_gpa2hva(vm, data) = TAG(i);
		cr3s[i] = make_address_space(vm, data, ro);
	}
	nr_spaces = n;
	sync_global_to_guest(vm, cr3s);
	sync_global_to_guest(vm, nr_spaces);
	sync_global_to_guest(vm, stress_switches);
	sync_global_to_guest(vm, test_va);
	return vm;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

#define STRESS_FMT							\
	"stress (%s): %d address spaces, %lu switches in %.2f s: %.0f switches/s, %lu shadow pages created, %lu zapped after warm-up\n"

/*
 * The stress mode: a rate for people comparing kernels, not a verdict on
 * it (timing is never asserted).  The guest checks every read; with TDP
 * off, after one warm-up pass no switch may create or zap a shadow page
 * however many address spaces there are (see the top of this file), and
 * NR_MMU_PAGES leaves KVM no reason to zap for room.
 */
static void test_stress(const struct kvm_mmu_config *cfg)
{
	uint64_t created, zapped;
	struct kvm_vcpu *vcpu;
	struct timespec t0;
	struct kvm_vm *vm;
	double secs;

	vm = create_vm(&vcpu, STRESS_SPACES, guest_stress_code);
	vcpu_run_to_sync(vcpu, 1);
	created = vm_debugfs_get_stat(vm, "mmu_cache_miss");
	zapped = vm_debugfs_get_stat(vm, "mmu_shadow_zapped");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vcpu_run_to_done(vcpu);
	secs = seconds_since(&t0);
	created = vm_debugfs_get_stat(vm, "mmu_cache_miss") - created;
	zapped = vm_debugfs_get_stat(vm, "mmu_shadow_zapped") - zapped;
	ksft_print_msg(STRESS_FMT,
		       kvm_mmu_config_name(cfg), STRESS_SPACES, stress_switches, secs,
		       stress_switches / secs, created, zapped);
	if (cfg->tdp)
		ksft_test_result_pass("stress_right_data_%d_spaces\n", STRESS_SPACES);
	else
		ksft_test_result(!created && !zapped,
				 "stress_right_data_no_shadow_pages_after_warmup_%d_spaces\n",
				 STRESS_SPACES);
	kvm_vm_free(vm);
}

#define TDP_NO_ROOTS_SKIP_FMT						\
	"no_shadow_pages_after_warmup_%d_spaces: TDP is on, guest CR3 switches build no shadow roots\n"

/*
 * @no_trace: TDP off, why there is no kvmmmu tracing (or NULL); the root
 * lookups are then not checked, the stats are.
 */
static void test_spaces(const struct kvm_mmu_config *cfg, int n, const char *no_trace)
{
	struct kvm_trace *trace = NULL;
	uint64_t warm, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_vm(&vcpu, n, guest_code);
	vcpu_run_to_sync(vcpu, 1);
	warm = vm_debugfs_get_stat(vm, "mmu_cache_miss");
	if (!cfg->tdp && !no_trace) {
		trace = kvm_trace_create();
		kvm_trace_start(trace, "switches after warm-up");
	}
	vcpu_run_to_sync(vcpu, 2);
	after = vm_debugfs_get_stat(vm, "mmu_cache_miss");
	ksft_print_msg("%d address spaces: %d switches after warm-up, +%lu shadow pages created\n",
		       n, 3 * PASSES * n, after - warm);
	if (trace)
		kvm_trace_stop(trace);
	if (!cfg->tdp)
		ksft_test_result(after == warm,
				 "no_shadow_pages_after_warmup_%d_spaces%s\n", n,
				 n > ROOT_CACHE ? "_beyond_root_cache" : "");
	if (trace) {
		check_root_lookups(trace, n, vm_mmu_levels(vm));
		kvm_trace_destroy(trace);
	} else if (!cfg->tdp) {
		ksft_test_result_skip("%s_%d_spaces: %s\n", n <= ROOT_CACHE ?
				      "cached_roots_reused" : "evicted_roots_found_again",
				      n, no_trace);
	} else {
		ksft_test_result_skip(TDP_NO_ROOTS_SKIP_FMT, n);
		ksft_test_result_skip("cached_roots_reused_%d_spaces: TDP is on\n", n);
	}

	vcpu_run_to_done(vcpu);
	ksft_test_result_pass("right_data_and_cr0_wp_permissions_%d_spaces\n", n);
	kvm_vm_free(vm);
}

static void print_usage(const char *name)
{
	printf("usage: %s [-s SWITCHES]\n"
	       "  -s SWITCHES  stress mode: SWITCHES CR3 switches among %d address spaces\n"
	       "               (default: SMMU_STRESS_SWITCHES, else off)\n",
	       name, STRESS_SPACES);
}

int main(int argc, char *argv[])
{
	const int spaces[] = { 1, 2, ROOT_CACHE, ROOT_CACHE + 1, MAX_SPACES };
	const char *env = getenv("SMMU_STRESS_SWITCHES");
	const char *no_trace = NULL;
	struct kvm_mmu_config cfg;
	unsigned int i;
	int opt;

	if (env)
		stress_switches = strtoull(env, NULL, 0);
	while ((opt = getopt(argc, argv, "hs:")) != -1) {
		switch (opt) {
		case 's':
			stress_switches = strtoull(optarg, NULL, 0);
			break;
		default:
			print_usage(argv[0]);
			exit(opt == 'h' ? 0 : KSFT_FAIL);
		}
	}

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	ksft_set_plan(3 * ARRAY_SIZE(spaces) + !!stress_switches);

	for (i = 0; i < ARRAY_SIZE(spaces); i++)
		test_spaces(&cfg, spaces[i], no_trace);
	if (stress_switches)
		test_stress(&cfg);
	ksft_finished();
}
