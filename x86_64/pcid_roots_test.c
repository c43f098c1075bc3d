// SPDX-License-Identifier: GPL-2.0
/*
 * pcid_roots_test: what KVM does to a cached shadow root when the guest
 * loads its CR3 again, with and without MOV CR3's no-flush bit.
 *
 * A 64-bit guest with CR4.PCIDE=1 runs on address space A (PCID 1), then
 * on B (PCID 2), so that KVM caches A's root (mmu->prev_roots).  On B it
 * rewrites A's leaf for test_va through an alias of A's page table; KVM
 * makes that shadow page unsync (mmu_try_to_unsync_pages()).  Then it
 * loads A's CR3 again, with bit 63 set or clear, and reads test_va.
 *
 * The SDM (vol. 3A 4.10.4.1): with bit 63 clear MOV CR3 invalidates the
 * PCID's non-global entries, so the read must see the new leaf; with
 * bit 63 set it need not, so the old or the new page is allowed.
 *
 * KVM (6.12 and 7.3): kvm_set_cr3() (arch/x86/kvm/regs.c) calls
 * kvm_mmu_new_pgd(), which takes A's cached root back
 * (fast_pgd_switch(), mmu/mmu.c) and syncs nothing, and then, unless
 * bit 63 is set, kvm_invalidate_pcid() (x86.c), which requests
 * KVM_REQ_MMU_SYNC for the current PCID: the next entry syncs the unsync
 * page (kvm_mmu_sync_roots()).  The kvmmmu trace around the MOV CR3 shows
 * which: no shadow page created in either case (the root is reused),
 * and kvm_mmu_sync_page events only without bit 63.  Skipping the sync
 * on a no-flush load is KVM's design, not the SDM's demand; a KVM that
 * syncs anyway runs guests correctly, more slowly, and fails here.
 *
 * Shadow paging only (with TDP KVM shadows no guest page table and the
 * CPU holds the PCIDs); skips without PCID, or without kvmmmu tracing.
 */
#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "vm_tables.h"

#define CR3_NOFLUSH	BIT_ULL(63)
#define PCID_A		1
#define PCID_B		2
#define TAG(v)		(0x9c1e000000000000ULL | (v))
#define INDEX(va, l)	(((va) >> VM_LEVEL_SHIFT(l)) & 511)
#define TEST_SLOT	1
#define TEST_SLOT_GPA	0x10000000ULL
#define TEST_PAGES	32

/* The guest's stops: the host traces what KVM does between them. */
enum stop { BEFORE_WRITE, AFTER_WRITE, AFTER_LOAD, NR_STOPS };

struct load_case {
	const char *name;
	bool noflush;		/* bit 63 of the MOV CR3 back to A */
	bool must_sync;		/* KVM syncs A's page table in it (else: must not) */
};

static const struct load_case cases[] = {
	{ "noflush_load_reuses_cached_root_unsynced", true, false },
	{ "flushing_load_syncs_cached_root", false, true },
};

/* Shared by host and guest. */
static uint64_t cr3_a, cr3_b, test_va, a_leaf_gva, a_leaf_new, value;
static bool noflush;

static void guest_code(void)
{
	set_cr4(get_cr4() | X86_CR4_PCIDE);	/* the framework's CR3[11:0] = 0 */
	set_cr3(cr3_a | PCID_A);
	GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)test_va), TAG(0xa));
	set_cr3(cr3_b | PCID_B);
	GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)test_va), TAG(0xb));
	GUEST_SYNC(BEFORE_WRITE);
	WRITE_ONCE(*(uint64_t *)a_leaf_gva, a_leaf_new);
	GUEST_SYNC(AFTER_WRITE);
	set_cr3(cr3_a | PCID_A | (noflush ? CR3_NOFLUSH : 0));
	GUEST_SYNC(AFTER_LOAD);
	WRITE_ONCE(value, READ_ONCE(*(uint64_t *)test_va));
	GUEST_DONE();
}

/* Address space @tag's top-level table, its test_va leaf at page @tag. */
static uint64_t make_space(struct kvm_vm *vm, uint64_t tag, uint64_t *leaf_gpa)
{
	uint64_t top, pt;

	top = vm_new_address_space(vm, TEST_SLOT, test_va, 1, &pt);
	vm_table(vm, pt)[INDEX(test_va, 1)] = vm_tagged_page(vm, TEST_SLOT, 0, TAG(tag)) |
					       GP_P | GP_RW;
	*leaf_gpa = pt + 8 * INDEX(test_va, 1);
	return top;
}

static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, const struct load_case *c)
{
	struct kvm_vm *vm;
	uint64_t leaf_b;

	vm = vm_create_with_test_slot(vcpu, guest_code, TEST_PAGES, TEST_SLOT, TEST_SLOT_GPA,
				      TEST_PAGES);
	virt_map(vm, TEST_SLOT_GPA, TEST_SLOT_GPA, TEST_PAGES);	/* the alias */
	test_va = 1ULL << VM_LEVEL_SHIFT(vm_mmu_levels(vm));
	cr3_a = make_space(vm, 0xa, &a_leaf_gva);
	cr3_b = make_space(vm, 0xb, &leaf_b);
	a_leaf_new = vm_tagged_page(vm, TEST_SLOT, 0, TAG(0xa1)) | GP_P | GP_RW;
	noflush = c->noflush;
	sync_global_to_guest(vm, cr3_a);
	sync_global_to_guest(vm, cr3_b);
	sync_global_to_guest(vm, test_va);
	sync_global_to_guest(vm, a_leaf_gva);
	sync_global_to_guest(vm, a_leaf_new);
	sync_global_to_guest(vm, noflush);
	return vm;
}

/* Events of @type in @phase for the shadow page of the guest table at @gpa. */
static size_t count(struct kvm_trace *t, const char *phase, int type, int created, uint64_t gpa)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);

	return kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = kvm_mmu_model_phase(m, phase),
						    .type = type, .created = created,
						    .gfn = gpa >> 12));
}

static void run_case(const struct load_case *c)
{
	struct kvm_trace *t = kvm_trace_create();
	size_t unsynced, synced, created;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_vm(&vcpu, c);
	vcpu_run_to_sync(vcpu, BEFORE_WRITE);
	kvm_trace_start(t, "write");
	vcpu_run_to_sync(vcpu, AFTER_WRITE);
	kvm_trace_stop(t);
	kvm_trace_start(t, "load");
	vcpu_run_to_sync(vcpu, AFTER_LOAD);
	kvm_trace_stop(t);
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, value);

	/* A's page table, and A's top-level table: its root. */
	unsynced = count(t, "write", KVM_MMU_UNSYNC_PAGE, KVM_MMU_ANY, a_leaf_gva);
	synced = count(t, "load", KVM_MMU_SYNC_PAGE, KVM_MMU_ANY, a_leaf_gva);
	created = count(t, "load", KVM_MMU_GET_PAGE, 1, cr3_a);
	ksft_print_msg("%s: A's page table unsync %zu, synced %zu; A's roots created %zu\n",
		       c->name, unsynced, synced, created);
	ksft_print_msg("%s: read 0x%lx\n", c->name, value);
	if (!unsynced || created || !synced != !c->must_sync)
		kvm_trace_print(t);
	TEST_ASSERT(unsynced, "the write to A's leaf from B left A's page table in sync");
	TEST_ASSERT(!created, "MOV CR3 to A made %zu new roots: the cached one unused", created);
	TEST_ASSERT(!synced == !c->must_sync, "MOV CR3 %s bit 63: A's page table synced %zu times",
		    c->noflush ? "with" : "without", synced);
	TEST_ASSERT(value == TAG(0xa1) || (c->noflush && value == TAG(0xa)),
		    "read 0x%lx after MOV CR3 %s bit 63; new page 0x%llx, old 0x%llx",
		    value, c->noflush ? "with" : "without", TAG(0xa1), TAG(0xa));
	kvm_trace_destroy(t);
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_mmu_config cfg;
	const char *why;
	unsigned int i;

	kvm_mmu_test_start(&cfg);
	if (cfg.tdp)
		ksft_exit_skip("TDP on: KVM shadows no guest page table\n");
	if (!kvm_cpu_has(X86_FEATURE_PCID))
		ksft_exit_skip("KVM offers guests no PCID: the CPU it runs on lacks it\n");
	why = kvm_trace_unavailable();
	if (why)
		ksft_exit_skip("no kvmmmu tracing: %s\n", why);
	ksft_set_plan(ARRAY_SIZE(cases));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		run_case(&cases[i]);
		ksft_test_result_pass("%s_%s\n", cases[i].name, kvm_mmu_config_name(&cfg));
	}
	ksft_finished();
}
