// SPDX-License-Identifier: GPL-2.0
/*
 * prefetch_test: what KVM may map ahead of the guest.
 *
 * When the guest faults on a 4K page, shadow paging also maps the other
 * accessed PTEs of the same 8-entry window of its page table
 * (FNAME(pte_prefetch), paging_tmpl.h), each only if KVM can get the page
 * at once: FNAME(prefetch_gpte) stops at a gfn in no memslot and at a
 * host page it cannot get without faulting (6.12 and 7.3).  Here the
 * guest reads a page whose PTE has a neighbour, accessed, that maps:
 *
 * - a GPA in no memslot: the read must create no MMIO SPTE for it (the
 *   pf_mmio_spte_created stat is unchanged); the guest's own read of that
 *   GPA is then a KVM_EXIT_MMIO, and creates one;
 * - a GPA whose memslot's host memory is PROT_NONE: KVM must map nothing
 *   for it; the guest's own read of it makes KVM_RUN fail with EFAULT, and
 *   once the host makes the memory readable the read completes;
 * - with a dirty, writable supervisor PTE, a page of a memslot with dirty
 *   logging on: KVM must not map it writable ahead of a write
 *   (gfn_to_memslot_dirty_bitmap(): a writable SPTE would log the page
 *   dirty, make_spte(), spte.c), so the page is not in the dirty log until
 *   the guest writes it.
 *
 * With TDP the CPU walks the guest's tables and KVM prefetches none of
 * them; the same outcomes hold, as a control.
 */
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_stats.h"
#include "paging_bits.h"
#include "vm_tables.h"

/* A window of 8 PTEs (PTE_PREFETCH_NUM, mmu.c): the read one, then the neighbour. */
#define WINDOW_GVA	0x40000000ULL
#define READ_GVA	WINDOW_GVA
#define NEIGHBOUR_GVA	(WINDOW_GVA + PAGE_SIZE)
/* Below every MAXPHYADDR, above the framework's memslot. */
#define NO_MEMSLOT_GPA	0xc0000000ULL
#define PROT_NONE_GPA	0x80000000ULL
#define PROT_NONE_SLOT	1
#define DIRTY_LOG_GPA	0xa0000000ULL
#define DIRTY_LOG_SLOT	2

#define READ_TAG	0x5eadda7a00000001ULL
#define NEIGHBOUR_TAG	0x5eadda7a00000002ULL
#define MMIO_VALUE	0x5eadda7a0000000fULL
#define STORED_VALUE	0x5eadda7a000000f0ULL

/* The read, then the neighbour's value. */
static void guest_reads_neighbour(void)
{
	GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)READ_GVA), READ_TAG);
	GUEST_SYNC(1);
	GUEST_SYNC(READ_ONCE(*(uint64_t *)NEIGHBOUR_GVA));
	GUEST_DONE();
}

/* The read, then a store to the neighbour. */
static void guest_writes_neighbour(void)
{
	GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)READ_GVA), READ_TAG);
	GUEST_SYNC(1);
	WRITE_ONCE(*(uint64_t *)NEIGHBOUR_GVA, STORED_VALUE);
	GUEST_SYNC(2);
	GUEST_DONE();
}

/* The guest's PTE for @gva marked accessed: FNAME(prefetch_invalid_gpte) skips others. */
static uint64_t *map_accessed(struct kvm_vm *vm, uint64_t gva, uint64_t gpa)
{
	uint64_t *pte;

	virt_pg_map(vm, gva, gpa);
	pte = vm_guest_entry(vm, gva, 1);
	*pte |= GP_A;
	return pte;
}

/* The read page: a page of the framework's memslot. */
static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, void *guest_code)
{
	struct kvm_vm *vm = __vm_create_with_one_vcpu(vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	uint64_t gva = vm_alloc_page(vm);

	*(uint64_t *)addr_gva2hva(vm, gva) = READ_TAG;
	virt_pg_map(vm, READ_GVA, addr_gva2gpa(vm, gva));
	return vm;
}

static uint64_t mmio_sptes_created(struct kvm_vcpu *vcpu)
{
	return vcpu_stat_get(vcpu, "pf_mmio_spte_created");
}

static void neighbour_without_memslot(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t created;

	vm = create_vm(&vcpu, guest_reads_neighbour);
	map_accessed(vm, NEIGHBOUR_GVA, NO_MEMSLOT_GPA);
	created = mmio_sptes_created(vcpu);
	vcpu_run_to_sync(vcpu, 1);
	TEST_ASSERT_EQ(mmio_sptes_created(vcpu), created);

	vcpu_run_to_mmio_read(vcpu, NO_MEMSLOT_GPA, MMIO_VALUE);
	TEST_ASSERT_EQ(mmio_sptes_created(vcpu), created + 1);
	vcpu_run_to_sync(vcpu, MMIO_VALUE);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

#define UNREADABLE_READ_FMT						\
	"the guest's read of a page with PROT_NONE host memory: KVM_RUN %d (%s), exit %s; expected EFAULT"

static void neighbour_host_memory_unreadable(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	void *hva;
	int r;

	vm = create_vm(&vcpu, guest_reads_neighbour);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PROT_NONE_GPA, PROT_NONE_SLOT,
				    1, 0);
	hva = addr_gpa2hva(vm, PROT_NONE_GPA);
	*(uint64_t *)hva = NEIGHBOUR_TAG;
	map_accessed(vm, NEIGHBOUR_GVA, PROT_NONE_GPA);
	TEST_ASSERT(!mprotect(hva, PAGE_SIZE, PROT_NONE), "mprotect(PROT_NONE)");
	vcpu_run_to_sync(vcpu, 1);

	r = __vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EFAULT, UNREADABLE_READ_FMT,
		    r, strerror(errno), exit_reason_str(vcpu->run->exit_reason));

	TEST_ASSERT(!mprotect(hva, PAGE_SIZE, PROT_READ | PROT_WRITE), "mprotect(RW)");
	vcpu_run_to_sync(vcpu, NEIGHBOUR_TAG);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

static bool logged_dirty(struct kvm_vm *vm)
{
	unsigned long bitmap = 0;

	kvm_vm_get_dirty_log(vm, DIRTY_LOG_SLOT, &bitmap);
	return bitmap & 1;
}

static void neighbour_dirty_logged(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = create_vm(&vcpu, guest_writes_neighbour);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DIRTY_LOG_GPA, DIRTY_LOG_SLOT,
				    1, KVM_MEM_LOG_DIRTY_PAGES);
	/* In host memory, so that a prefetch could get it (atomically). */
	*(uint64_t *)addr_gpa2hva(vm, DIRTY_LOG_GPA) = NEIGHBOUR_TAG;
	/* Supervisor, so that only the write access decides (6.12 FNAME(prefetch_gpte)). */
	*map_accessed(vm, NEIGHBOUR_GVA, DIRTY_LOG_GPA) =
		DIRTY_LOG_GPA | GP_P | GP_RW | GP_A | GP_D;
	vcpu_run_to_sync(vcpu, 1);
	TEST_ASSERT(!logged_dirty(vm), "a page the guest has not written is in the dirty log");
	vcpu_run_to_sync(vcpu, 2);
	TEST_ASSERT(logged_dirty(vm), "a page the guest wrote is not in the dirty log");
	TEST_ASSERT_EQ(*(uint64_t *)addr_gpa2hva(vm, DIRTY_LOG_GPA), STORED_VALUE);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_child_case cases[] = {
	{ "neighbour_in_no_memslot_not_prefetched", neighbour_without_memslot },
	{ "neighbour_host_memory_unreadable_not_prefetched", neighbour_host_memory_unreadable },
	{ "neighbour_dirty_logged_not_prefetched_writable", neighbour_dirty_logged },
};

int main(void)
{
	struct kvm_mmu_config cfg;

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	kvm_run_child_cases(cases, ARRAY_SIZE(cases), kvm_mmu_config_name(&cfg));
}
