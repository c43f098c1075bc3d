// SPDX-License-Identifier: GPL-2.0
/*
 * root_reuse_test: shadow roots across MOV CR3 in a 64-bit guest.
 *
 * The guest has NR address spaces (PML4s) that map one virtual address,
 * TEST_VA, to a different data page each, and switches among them in
 * several orders.  What any correct KVM must do:
 *
 * - Every access through TEST_VA returns the data of the address space
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
 *   roots are looked up and found, never created.
 *
 * - Permissions follow the paging mode in force after a role change, with
 *   roots cached from before it: a supervisor write to a read-only page
 *   faults iff CR0.WP=1 (SDM 4.6.1), whichever cached CR3 it runs on.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"

#define MAX_SPACES	8
#define ROOT_CACHE	4	/* the current root + KVM_MMU_NUM_PREV_ROOTS */
/* PML4 slot 1: the framework maps everything it needs in slot 0. */
#define TEST_VA		(1ULL << 39)
#define RO_VA		(TEST_VA + PAGE_SIZE)
#define PASSES		4
#define TAG(i)		(0x5a5a000000000000ULL | (i))
/*
 * Page tables and data of MAX_SPACES address spaces and the RO page, with
 * room to spare: the framework sizes slot 0 for a test binary of at most
 * 2 MiB, and the library's guest images make ours larger.
 */
#define EXTRA_PAGES	(MAX_SPACES * 5 + 1 + 1024)
#define DATA_MIN_GPA	0x100000
/* Enough shadow pages that KVM never needs to zap for room. */
#define NR_MMU_PAGES	1024

enum order { ROUND_ROBIN, PING_PONG, REVERSE };

static uint64_t cr3s[MAX_SPACES];
static int nr_spaces;

static void set_cr3(uint64_t cr3)
{
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void set_cr0(uint64_t cr0)
{
	asm volatile("mov %0, %%cr0" : : "r"(cr0) : "memory");
}

static void switch_and_check(int i)
{
	uint64_t val;

	set_cr3(cr3s[i]);
	val = *(volatile uint64_t *)TEST_VA;
	__GUEST_ASSERT(val == TAG(i), "address space %d: read 0x%lx at 0x%llx, expected 0x%llx",
		       i, val, TEST_VA, TAG(i));
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

/*
 * A copy of the framework's PML4 (so code, stack and ucall stay mapped)
 * with its own PDPT -> PD -> PT in slot 1 mapping TEST_VA to @data and
 * RO_VA, read-only, to @ro.
 */
static uint64_t make_address_space(struct kvm_vm *vm, vm_paddr_t data, vm_paddr_t ro)
{
	vm_paddr_t pml4 = vm_alloc_page_table(vm);
	vm_paddr_t pdpt = vm_alloc_page_table(vm);
	vm_paddr_t pd = vm_alloc_page_table(vm);
	vm_paddr_t pt = vm_alloc_page_table(vm);
	const uint64_t table = PTE_PRESENT_MASK | PTE_WRITABLE_MASK;
	uint64_t *p;

	memcpy(addr_gpa2hva(vm, pml4), addr_gpa2hva(vm, vm->pgd), PAGE_SIZE);
	p = addr_gpa2hva(vm, pml4);
	p[1] = pdpt | table;
	p = addr_gpa2hva(vm, pdpt);
	p[0] = pd | table;
	p = addr_gpa2hva(vm, pd);
	p[0] = pt | table;
	p = addr_gpa2hva(vm, pt);
	p[0] = data | table;
	p[1] = ro | PTE_PRESENT_MASK;
	return pml4;
}

/*
 * Within the root cache, MOV CR3 finds the root in mmu->root or
 * mmu->prev_roots (fast_pgd_switch()) and never looks it up in the hash:
 * no kvm_mmu_get_page event for a root after warm-up.  Beyond the cache
 * every switch to an evicted root looks it up (and finds it: created=0).
 */
static void check_root_lookups(struct kvm_trace *trace, int n)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t lookups = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE,
								 .level = 4));
	size_t created = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE,
								 .level = 4, .created = 1));

	ksft_print_msg("%d address spaces: %zu root lookups in the hash, %zu root pages created\n",
		       n, lookups, created);
	if (n <= ROOT_CACHE)
		ksft_test_result(!lookups, "cached_roots_reused_%d_spaces\n", n);
	else
		ksft_test_result(lookups && !created, "evicted_roots_found_again_%d_spaces\n", n);
}

static void test_spaces(const struct kvm_mmu_config *cfg, int n)
{
	struct kvm_trace *trace = NULL;
	uint64_t warm, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	vm_paddr_t ro;
	int i;

	vm = __vm_create_with_one_vcpu(&vcpu, EXTRA_PAGES, guest_code);
	vm_ioctl(vm, KVM_SET_NR_MMU_PAGES, (void *)NR_MMU_PAGES);
	ro = vm_phy_page_alloc(vm, DATA_MIN_GPA, 0);
	for (i = 0; i < n; i++) {
		vm_paddr_t data = vm_phy_page_alloc(vm, DATA_MIN_GPA, 0);

		*(uint64_t *)addr_gpa2hva(vm, data) = TAG(i);
		cr3s[i] = make_address_space(vm, data, ro);
	}
	nr_spaces = n;
	sync_global_to_guest(vm, cr3s);
	sync_global_to_guest(vm, nr_spaces);

	vcpu_run_to_sync(vcpu, 1);
	warm = vm_debugfs_get_stat(vm, "mmu_cache_miss");
	if (!cfg->tdp) {
		trace = kvm_trace_create();
		kvm_trace_start(trace, "switches after warm-up");
	}
	vcpu_run_to_sync(vcpu, 2);
	after = vm_debugfs_get_stat(vm, "mmu_cache_miss");
	ksft_print_msg("%d address spaces: %d switches after warm-up, +%lu shadow pages created\n",
		       n, 3 * PASSES * n, after - warm);
	if (!cfg->tdp) {
		kvm_trace_stop(trace);
		ksft_test_result(after == warm,
				 "no_shadow_pages_after_warmup_%d_spaces%s\n", n,
				 n > ROOT_CACHE ? "_beyond_root_cache" : "");
		check_root_lookups(trace, n);
		kvm_trace_destroy(trace);
	} else {
		ksft_test_result_skip("no_shadow_pages_after_warmup_%d_spaces: TDP is on, guest CR3 switches build no shadow roots\n", n);
		ksft_test_result_skip("cached_roots_reused_%d_spaces: TDP is on\n", n);
	}

	vcpu_run_to_done(vcpu);
	ksft_test_result_pass("right_data_and_cr0_wp_permissions_%d_spaces\n", n);
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	const int spaces[] = { 1, 2, ROOT_CACHE, ROOT_CACHE + 1, MAX_SPACES };
	struct kvm_mmu_config cfg;
	unsigned int i;

	ksft_print_header();
	kvm_mmu_config_read(&cfg);
	kvm_mmu_config_print(&cfg);
	kvm_mmu_config_require_standard(&cfg);
	kvm_debugfs_require();
	ksft_set_plan(3 * ARRAY_SIZE(spaces));

	for (i = 0; i < ARRAY_SIZE(spaces); i++)
		test_spaces(&cfg, spaces[i]);
	ksft_finished();
}
