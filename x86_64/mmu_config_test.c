// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_config_test: report the MMU configuration KVM runs with, and check
 * from the VM's debugfs stats that the MMU it names is the one doing the
 * work.
 *
 * The guest maps one set of NR_PAGES data pages at two virtual ranges with
 * separate guest page tables.  It writes every page through range A, then
 * reads every page back through range B.  What KVM must do:
 *
 * - Shadow paging (TDP off) shadows guest *virtual* mappings: each range
 *   gets its own shadow page tables (kvm_mmu_get_child_sp() ->
 *   kvm_mmu_find_shadow_page(), whose miss path counts "mmu_cache_miss")
 *   and its own 4K leaf SPTEs (__rmap_add() counts "pages_4k"), all in
 *   arch/x86/kvm/mmu/mmu.c.  So both phases create >= NR_PAGES 4K SPTEs
 *   and >= 2 shadow pages (the guest page directory and page table).
 *
 * - TDP maps guest *physical* memory: the second range reaches GPAs that
 *   are already mapped, so phase B adds at most the two guest page-table
 *   pages it walks.  The TDP MMU (tdp_mmu.c, handle_changed_spte() counts
 *   pages_4k) never uses the shadow page hash: mmu_cache_miss stays 0 for
 *   the VM's life.  With kvm.tdp_mmu=0 the shadow MMU builds direct pages.
 *
 * Every debugfs value read is also checked against the binary stats fd.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "vm_tables.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"

#define NR_PAGES	64
#define DATA_SLOT	1
#define DATA_GPA	0x10000000UL
/* Distinct 1 GiB regions: separate guest page directories and page tables. */
#define RANGE_A		0x40000000UL
#define RANGE_B		0x80000000UL
#define GUEST_PT_PAGES	2

/*
 * On a page of its own, so that the code phase B runs was all run in
 * phase A (with TDP, a code page first run in phase B would be a third
 * new 4K SPTE, depending on where the linker put the second loop).
 */
static void __aligned(4096) guest_code(void)
{
	uint64_t i;

	for (i = 0; i < NR_PAGES; i++)
		WRITE_ONCE(*(uint64_t *)(RANGE_A + i * PAGE_SIZE), i + 1);
	GUEST_SYNC(1);

	for (i = 0; i < NR_PAGES; i++)
		GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)(RANGE_B + i * PAGE_SIZE)), i + 1);
	GUEST_SYNC(2);

	GUEST_DONE();
}

struct mmu_stats {
	uint64_t pages_4k;
	uint64_t mmu_cache_miss;
};

static uint64_t read_stat(struct kvm_vm *vm, const char *name)
{
	uint64_t debugfs = vm_debugfs_get_stat(vm, name);
	uint64_t binary = vm_stat_by_name(vm, name);

	TEST_ASSERT(debugfs == binary,
		    "stat %s: debugfs says %lu, the binary stats fd says %lu",
		    name, debugfs, binary);
	return debugfs;
}

static struct mmu_stats read_mmu_stats(struct kvm_vm *vm)
{
	return (struct mmu_stats) {
		.pages_4k = read_stat(vm, "pages_4k"),
		.mmu_cache_miss = read_stat(vm, "mmu_cache_miss"),
	};
}

#define SHADOW_FMT							\
	"%s: shadow paging must shadow every guest virtual page: expected >= %d new 4K SPTEs and >= %d new shadow pages\n"
#define TDP_SAME_FMT							\
	"%s: TDP maps guest physical pages once: expected <= %d new 4K SPTEs and %s new shadow pages for GPAs already mapped\n"
#define TDP_NEW_FMT							\
	"%s: TDP must map %d new guest physical pages with 4K SPTEs (the slot is smaller than 2M), %s\n"

/* Check one phase's stat deltas against what the configuration must do. */
static void check_phase(const struct kvm_mmu_config *cfg, const char *phase,
			struct mmu_stats before, struct mmu_stats after,
			bool same_gpas)
{
	uint64_t new_4k = after.pages_4k - before.pages_4k;
	uint64_t new_sp = after.mmu_cache_miss - before.mmu_cache_miss;
	const char *name = kvm_mmu_config_name(cfg);
	bool ok;

	ksft_print_msg("%s: +%lu pages_4k, +%lu mmu_cache_miss\n", phase, new_4k, new_sp);

	if (!cfg->tdp) {
		ok = new_4k >= NR_PAGES && new_sp >= GUEST_PT_PAGES;
		if (!ok)
			ksft_print_msg(SHADOW_FMT, phase, NR_PAGES, GUEST_PT_PAGES);
	} else if (same_gpas) {
		ok = new_4k <= GUEST_PT_PAGES &&
		     (cfg->tdp_mmu ? !new_sp : new_sp <= GUEST_PT_PAGES);
		if (!ok)
			ksft_print_msg(TDP_SAME_FMT, phase, GUEST_PT_PAGES,
				       cfg->tdp_mmu ? "no" : "<= 2");
	} else {
		ok = new_4k >= NR_PAGES && (cfg->tdp_mmu ? !new_sp : new_sp >= 1);
		if (!ok)
			ksft_print_msg(TDP_NEW_FMT, phase, NR_PAGES, cfg->tdp_mmu ?
				       "and the TDP MMU never creates hashed shadow pages" :
				       "and the legacy MMU at least one direct shadow page");
	}
	ksft_test_result(ok, "%s_%s\n", phase, name);
}

#define RUNNER_FMT							\
	"the runner booted configuration %s, but KVM runs as %s (TDP %s, TDP MMU %s, %d-level host paging)\n"

/*
 * The runner booted KVM with the module parameters of one configuration;
 * a KVM that ignores one of them would make every result of that
 * configuration test something else.
 */
static void check_runner_config(const struct kvm_mmu_config *cfg)
{
	const char *expected = kvm_mmu_config_expected();
	const char *seen = kvm_mmu_config_name(cfg);

	if (!expected) {
		ksft_test_result_skip("configuration_matches_runner: %s\n",
				      "not run by the VM runner (no SMMU_CONFIG)");
		return;
	}
	if (strcmp(expected, seen))
		ksft_print_msg(RUNNER_FMT, expected, seen, cfg->tdp ? "on" : "off",
			       cfg->tdp_mmu ? "on" : "off", cfg->host_paging_levels);
	ksft_test_result(!strcmp(expected, seen), "configuration_matches_runner_%s\n", seen);
}

int main(int argc, char *argv[])
{
	struct mmu_stats start, after_a, after_b;
	struct kvm_mmu_config cfg;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t i;

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	ksft_set_plan(4);

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA, DATA_SLOT,
				    NR_PAGES, 0);
	virt_map(vm, RANGE_A, DATA_GPA, NR_PAGES);
	virt_map(vm, RANGE_B, DATA_GPA, NR_PAGES);

	start = read_mmu_stats(vm);
	vcpu_run_to_sync(vcpu, 1);
	after_a = read_mmu_stats(vm);
	vcpu_run_to_sync(vcpu, 2);
	after_b = read_mmu_stats(vm);

	for (i = 0; i < NR_PAGES; i++)
		TEST_ASSERT_EQ(*(uint64_t *)addr_gpa2hva(vm, DATA_GPA + i * PAGE_SIZE), i + 1);

	check_phase(&cfg, "range_a_first_touch", start, after_a, false);
	check_phase(&cfg, "range_b_alias", after_a, after_b, true);

	/* tdp_mmu.c never reaches kvm_mmu_find_shadow_page() for a non-nested guest. */
	ksft_test_result(!cfg.tdp_mmu || after_b.mmu_cache_miss == 0,
			 "no_hashed_shadow_pages_unless_shadow_mmu_%s\n",
			 kvm_mmu_config_name(&cfg));

	check_runner_config(&cfg);

	kvm_vm_free(vm);
	ksft_finished();
}
