// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_spte_test: what a sync of an unsync page table does to an MMIO SPTE.
 *
 * A guest access to a GPA in no memslot leaves an MMIO SPTE behind
 * (mark_mmio_spte(), the vCPU's pf_mmio_spte_created stat), so that the
 * next access goes to the emulator without a walk (handle_mmio_page_fault(),
 * mmu.c).  Under shadow paging that SPTE sits in the shadow page of the
 * guest's page table, and when that page goes unsync the sync handles it
 * apart from the present SPTEs (FNAME(sync_spte) -> sync_mmio_spte(),
 * paging_tmpl.h and mmu.c, 6.12 and 7.3): kept, with the guest PTE's
 * rights, while the PTE still names the same gfn; dropped if it names
 * another one.  The guest reads MMIO_GVA (KVM_EXIT_MMIO), writes its page
 * table through an alias (the page goes unsync), reloads CR3 (the sync),
 * then reads MMIO_GVA again:
 *
 * - having rewritten another entry, the read is a KVM_EXIT_MMIO again,
 *   through the kept SPTE: pf_mmio_spte_created does not move;
 * - having pointed MMIO_GVA's PTE at a page of memory, the read returns
 *   that page, without an exit.
 *
 * With TDP the MMIO SPTE is L0's, for the GPA, and no guest write touches
 * it: the same outcomes hold, as a control.
 */
#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_stats.h"
#include "paging_bits.h"
#include "vm_tables.h"

/* MMIO_GVA's PTE is entry 0 of PT; SPARE_IDX of the same PT maps nothing. */
#define MMIO_IDX	0
#define MMIO_GVA	0x40000000ULL
#define SPARE_IDX	5
/* PT's alias, in another 2 MiB region (another page table). */
#define PT_ALIAS_GVA	0x40400000ULL
/* Below every MAXPHYADDR, above the framework's memslot. */
#define NO_MEMSLOT_GPA	0xc0000000ULL

#define MMIO_VALUE	0x3310da7a0000000fULL
#define RAM_TAG		0x3310da7a00000001ULL

/* Set by the host: what the guest writes to which entry of PT. */
static uint64_t rewrite_idx;
static uint64_t rewrite_pte;

static void guest_code(void)
{
	uint64_t *pt = (uint64_t *)PT_ALIAS_GVA;

	GUEST_SYNC(READ_ONCE(*(uint64_t *)MMIO_GVA));
	/* PT is shadowed, so write-protected: this write makes it unsync. */
	WRITE_ONCE(pt[READ_ONCE(rewrite_idx)], READ_ONCE(rewrite_pte));
	/* The same CR3 again: KVM syncs the unsync pages under the root. */
	set_cr3(get_cr3());
	GUEST_SYNC(READ_ONCE(*(uint64_t *)MMIO_GVA));
	GUEST_DONE();
}

static uint64_t mmio_sptes_created(struct kvm_vcpu *vcpu)
{
	return vcpu_stat_get(vcpu, "pf_mmio_spte_created");
}

/* The guest's read of NO_MEMSLOT_GPA: KVM_EXIT_MMIO, answered with MMIO_VALUE. */
static void run_to_mmio_read(struct kvm_vcpu *vcpu)
{
	vcpu_run_to_mmio_read(vcpu, NO_MEMSLOT_GPA, MMIO_VALUE);
	vcpu_run_to_sync(vcpu, MMIO_VALUE);
}

/*
 * MMIO_GVA maps NO_MEMSLOT_GPA (accessed, so that the sync keeps what it
 * maps, FNAME(prefetch_invalid_gpte)), PT_ALIAS_GVA maps PT.  The guest
 * will write @pte to PT's entry @idx.
 */
static struct kvm_vm *create_vm(struct kvm_vcpu **vcpu, int idx, uint64_t pte)
{
	struct kvm_vm *vm = __vm_create_with_one_vcpu(vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	uint64_t *mmio_pte;

	virt_pg_map(vm, MMIO_GVA, NO_MEMSLOT_GPA);
	mmio_pte = vm_guest_entry(vm, MMIO_GVA, 1);
	*mmio_pte |= GP_A;
	virt_pg_map(vm, PT_ALIAS_GVA, addr_hva2gpa(vm, mmio_pte) & ~(uint64_t)(PAGE_SIZE - 1));
	rewrite_idx = idx;
	rewrite_pte = pte;
	sync_global_to_guest(vm, rewrite_idx);
	sync_global_to_guest(vm, rewrite_pte);
	return vm;
}

/* Another entry of PT rewritten: the sync keeps the MMIO SPTE. */
static void mmio_spte_kept(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t created;

	vm = create_vm(&vcpu, SPARE_IDX, 0);
	created = mmio_sptes_created(vcpu);
	run_to_mmio_read(vcpu);
	TEST_ASSERT_EQ(mmio_sptes_created(vcpu), created + 1);

	run_to_mmio_read(vcpu);
	TEST_ASSERT(mmio_sptes_created(vcpu) == created + 1,
		    "the sync of its page table dropped the MMIO SPTE: %lu more made",
		    mmio_sptes_created(vcpu) - created - 1);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

/* MMIO_GVA's PTE pointed at memory: the sync drops the MMIO SPTE. */
static void mmio_spte_dropped_for_memory(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t ram_gva, ram_gpa;

	vm = create_vm(&vcpu, MMIO_IDX, 0);
	ram_gva = vm_alloc_page(vm);
	ram_gpa = addr_gva2gpa(vm, ram_gva);
	*(uint64_t *)addr_gva2hva(vm, ram_gva) = RAM_TAG;
	rewrite_pte = ram_gpa | GP_P | GP_RW | GP_A;
	sync_global_to_guest(vm, rewrite_pte);

	run_to_mmio_read(vcpu);
	vcpu_run_to_sync(vcpu, RAM_TAG);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_child_case cases[] = {
	{ "mmio_spte_kept_by_sync_of_its_page_table", mmio_spte_kept },
	{ "mmio_spte_dropped_by_sync_when_pte_maps_memory", mmio_spte_dropped_for_memory },
};

int main(void)
{
	struct kvm_mmu_config cfg;

	kvm_mmu_test_start(&cfg);
	kvm_run_child_cases(cases, ARRAY_SIZE(cases), kvm_mmu_config_name(&cfg));
}
