// SPDX-License-Identifier: GPL-2.0
/*
 * memslot_delete_test: what deleting a memslot does to the SPTEs of the
 * others.
 *
 * KVM_X86_QUIRK_SLOT_ZAP_ALL (Documentation/virt/kvm/api.rst, 6.12 and
 * 7.3): while it is on, as it is by default, deleting or moving a memslot
 * of a KVM_X86_DEFAULT_VM invalidates every SPTE of every memslot
 * (kvm_arch_flush_shadow_memslot() -> the fast zap: a new
 * mmu_valid_gen, every shadow page zapped by kvm_zap_obsolete_pages(),
 * every TDP MMU root invalidated and zapped, each vCPU's roots freed
 * by KVM_REQ_MMU_FREE_OBSOLETE_ROOTS; mmu/mmu.c).  With the quirk
 * disabled KVM only makes the deleted memslot's memory unreachable
 * (kvm_unmap_gfn_range(), and kvm_mmu_zap_memslot_pages_and_flush() for
 * the shadow pages of guest page tables in it).
 *
 * The guest reads a page of an extra memslot, then runs a loop that
 * touches only pages of memslot 0, one of them through a page table in
 * a memslot of its own right after the extra one (the gfn after the
 * deleted ones, which kvm_mmu_zap_memslot_pages_and_flush() must not
 * zap); between two iterations the host deletes the extra memslot.  The
 * next iteration:
 *
 * - quirk on: takes page faults again (the vCPU's pf_taken moves), and
 *   under the shadow MMU every shadow page that lived before the deletion
 *   has been zapped (mmu_shadow_zapped moved by at least the number of
 *   live pages, mmu_cache_miss - mmu_shadow_zapped: both count from the
 *   VM's creation, in __kvm_mmu_get_shadow_page() and
 *   __kvm_mmu_prepare_zap_page(); the TDP MMU counts neither);
 * - quirk off: takes no page fault at all.
 *
 * Either way the guest's next read of the deleted page is a KVM_EXIT_MMIO.
 *
 * The fast zap makes cached roots obsolete too, and the vCPU must free
 * them with its current one (__kvm_mmu_free_obsolete_roots(): every
 * prev_roots entry, mmu.c): a guest that switched CR3 from A to B before
 * the deletion and back to A after it runs on a new root for A, one
 * kvm_mmu_get_page event that creates a page for A's gfn (kvmmmu trace,
 * shadow paging); an obsolete root reused from the cache would leave
 * every fault of the guest stale (is_page_fault_stale()), retried for
 * ever.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_stats.h"
#include "kvm_trace.h"
#include "kvm_trace_model.h"
#include "paging_bits.h"
#include "vm_tables.h"

#define EXTRA_SLOT	1
#define EXTRA_GPA	0xc0000000ULL
#define EXTRA_GVA	0x40000000ULL
/* A page table right after the extra memslot, for a 2 MiB region of its own. */
#define TABLE_SLOT	2
#define TABLE_GPA	(EXTRA_GPA + PAGE_SIZE)
#define ALIAS_GVA	(EXTRA_GVA + (1ULL << 21))

#define EXTRA_TAG	0xde1e7e0000000001ULL
#define LOCAL_TAG	0xde1e7e0000000002ULL
#define MMIO_VALUE	0xde1e7e000000000fULL

/* Iterations of the loop; the host deletes the memslot before the last. */
#define LOOPS		3

static struct kvm_mmu_config cfg;
static uint64_t local_word = LOCAL_TAG;
/* local_word, mapped by the page table at TABLE_GPA. */
static uint64_t alias_word_gva;

static void guest_code(void)
{
	int i;

	GUEST_SYNC(READ_ONCE(*(uint64_t *)EXTRA_GVA));
	/* The same code, stack and data each time: nothing new to map. */
	for (i = 0; i < LOOPS; i++)
		GUEST_SYNC(READ_ONCE(*(uint64_t *)alias_word_gva));
	GUEST_SYNC(READ_ONCE(*(uint64_t *)EXTRA_GVA));
	GUEST_DONE();
}

static uint64_t other_cr3;

/* The extra memslot read on A, a loop on B, then A again. */
static void guest_switches_cr3(void)
{
	uint64_t cr3 = get_cr3();

	GUEST_SYNC(READ_ONCE(*(uint64_t *)EXTRA_GVA));
	set_cr3(READ_ONCE(other_cr3));
	GUEST_SYNC(READ_ONCE(local_word));
	set_cr3(cr3);
	GUEST_SYNC(READ_ONCE(local_word));
	GUEST_DONE();
}

/* Shadow pages alive: made minus zapped, both counted since the VM's creation. */
static int64_t live_shadow_pages(const struct kvm_stats_snapshot *vm_stats)
{
	return kvm_stats_get(vm_stats, "mmu_cache_miss") -
	       kvm_stats_get(vm_stats, "mmu_shadow_zapped");
}

/* The guest's read of the deleted page: KVM_EXIT_MMIO, answered with MMIO_VALUE. */
static void run_to_mmio_read(struct kvm_vcpu *vcpu)
{
	vcpu_run_to_mmio_read(vcpu, EXTRA_GPA, MMIO_VALUE);
	vcpu_run_to_sync(vcpu, MMIO_VALUE);
}

/* The page table at TABLE_GPA: ALIAS_GVA's 2 MiB, whose first page is local_word's. */
static void map_alias_through_table_slot(struct kvm_vm *vm)
{
	uint64_t word_gpa = addr_gva2gpa(vm, (uint64_t)&local_word);
	uint64_t *pde = vm_guest_entry(vm, ALIAS_GVA, 2);
	uint64_t *pt;

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, TABLE_GPA, TABLE_SLOT, 1, 0);
	pt = addr_gpa2hva(vm, TABLE_GPA);
	memset(pt, 0, PAGE_SIZE);
	TEST_ASSERT(!(*pde & GP_P), "the PDE of 0x%llx is in use", ALIAS_GVA);
	*pde = TABLE_GPA | GP_P | GP_RW;
	pt[0] = (word_gpa & ~(uint64_t)(PAGE_SIZE - 1)) | GP_P | GP_RW;
	alias_word_gva = ALIAS_GVA + (word_gpa & (PAGE_SIZE - 1));
	sync_global_to_guest(vm, alias_word_gva);
}

/*
 * The extra memslot, one page at EXTRA_GPA, mapped at EXTRA_GVA, and the
 * page table right after it.
 */
static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, void *code)
{
	struct kvm_vm *vm = __vm_create_with_one_vcpu(vcpu, VM_SLOT0_ROOM_PAGES, code);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, EXTRA_GPA, EXTRA_SLOT, 1, 0);
	*(uint64_t *)addr_gpa2hva(vm, EXTRA_GPA) = EXTRA_TAG;
	virt_pg_map(vm, EXTRA_GVA, EXTRA_GPA);
	map_alias_through_table_slot(vm);
	return vm;
}

#define ZAPPED_FMT	"%ld shadow pages lived before the deletion, only %ld zapped since"

/* @zap_all: KVM_X86_QUIRK_SLOT_ZAP_ALL left on, else disabled. */
static void delete_extra_memslot(bool zap_all)
{
	struct kvm_stats_snapshot vm_before, vm_after, before, after;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int64_t faults;
	int i;

	vm = create_vm(&vcpu, guest_code);
	if (!zap_all)
		vm_enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_SLOT_ZAP_ALL);

	vcpu_run_to_sync(vcpu, EXTRA_TAG);
	for (i = 0; i < LOOPS - 1; i++)
		vcpu_run_to_sync(vcpu, LOCAL_TAG);

	vm_stats_snapshot(vm, &vm_before);
	vcpu_stats_snapshot(vcpu, &before);
	vm_mem_region_delete(vm, EXTRA_SLOT);
	vcpu_run_to_sync(vcpu, LOCAL_TAG);
	vm_stats_snapshot(vm, &vm_after);
	vcpu_stats_snapshot(vcpu, &after);
	kvm_stats_print_deltas(&vm_before, &vm_after, "memslot deleted, loop run");

	faults = kvm_stats_delta(&before, &after, "pf_taken");
	if (!zap_all) {
		TEST_ASSERT(!faults, "%ld page faults: deleting a memslot dropped other SPTEs",
			    faults);
	} else {
		TEST_ASSERT(faults > 0, "no page fault: deleting a memslot kept the other SPTEs");
		TEST_ASSERT(kvm_stats_delta(&vm_before, &vm_after, "mmu_shadow_zapped") >=
			    live_shadow_pages(&vm_before), ZAPPED_FMT,
			    live_shadow_pages(&vm_before),
			    kvm_stats_delta(&vm_before, &vm_after, "mmu_shadow_zapped"));
	}
	run_to_mmio_read(vcpu);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

static void deleting_zaps_all(const void *arg)
{
	delete_extra_memslot(true);
}

static void deleting_zaps_only_its_own(const void *arg)
{
	delete_extra_memslot(false);
}

#define ROOT_ANEW_FMT	"back on A after the zap, %zu shadow pages made for A's root (expected 1)"

/*
 * Root A cached while the guest runs on B (a copy of A's top-level table)
 * and the memslot goes: back on A, the guest runs on a root built anew.
 */
static void deleting_frees_cached_roots(const void *arg)
{
	struct kvm_trace *t = NULL;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t a_gfn;
	size_t made;

	vm = create_vm(&vcpu, guest_switches_cr3);
	a_gfn = vm_mmu_pgd(vm) >> PAGE_SHIFT;
	other_cr3 = vm_table_copy(vm, 0, vm_mmu_pgd(vm));
	sync_global_to_guest(vm, other_cr3);

	vcpu_run_to_sync(vcpu, EXTRA_TAG);
	vcpu_run_to_sync(vcpu, LOCAL_TAG);
	vm_mem_region_delete(vm, EXTRA_SLOT);
	/* With TDP, CR3 names no root of KVM's: only the guest's data is checked. */
	if (!cfg.tdp) {
		t = kvm_trace_create();
		kvm_trace_start(t, "memslot deleted on B, back on A");
	}
	vcpu_run_to_sync(vcpu, LOCAL_TAG);
	if (t) {
		struct kvm_mmu_query a_root_made =
			KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .created = 1, .gfn = a_gfn);

		kvm_trace_stop(t);
		made = kvm_mmu_model_count_pages(kvm_trace_model(t), a_root_made);
		TEST_ASSERT(made == 1, ROOT_ANEW_FMT, made);
		kvm_trace_destroy(t);
	}
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_child_case cases[] = {
	{ "memslot_deleted_every_spte_zapped", deleting_zaps_all },
	{ "memslot_deleted_without_slot_zap_all_others_kept", deleting_zaps_only_its_own },
	{ "memslot_deleted_cached_root_built_anew", deleting_frees_cached_roots },
};

int main(void)
{
	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	TEST_REQUIRE(kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2) & KVM_X86_QUIRK_SLOT_ZAP_ALL);
	kvm_run_child_cases(cases, ARRAY_SIZE(cases), kvm_mmu_config_name(&cfg));
}
