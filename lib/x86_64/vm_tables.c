// SPDX-License-Identifier: GPL-2.0
/*
 * The framework guest's own page tables at any depth: see
 * include/x86_64/vm_tables.h.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"

#include "ept_bits.h"
#include "paging_bits.h"
#include "vm_tables.h"

/* Bits 51:12 of an entry that points to a table (SDM Tables 4-14 to 4-19). */
#define VM_TABLE_ADDR	GENMASK_ULL(51, 12)

uint64_t *vm_guest_entry(struct kvm_vm *vm, uint64_t gva, int level)
{
	int levels = vm_mmu_levels(vm), l;
	uint64_t *table = addr_gpa2hva(vm, vm_mmu_pgd(vm)), e;

	TEST_ASSERT(level >= 1 && level <= levels,
		    "level %d of the guest's %d-level page tables", level, levels);
	for (l = levels; l > level; l--) {
		e = table[(gva >> VM_LEVEL_SHIFT(l)) & 511];
		TEST_ASSERT((e & GP_P) && !(e & GP_PS),
			    "gva 0x%lx: the guest's level-%d entry 0x%lx is no table pointer (%d-level paging)",
			    gva, l, e, levels);
		table = addr_gpa2hva(vm, e & VM_TABLE_ADDR);
	}
	return &table[(gva >> VM_LEVEL_SHIFT(level)) & 511];
}

#define VM_EPT_LEVELS	4

uint64_t *vm_ept_entry(struct kvm_vm *vm, uint64_t root_gpa, uint64_t l2_gpa, int level)
{
	uint64_t *table = addr_gpa2hva(vm, root_gpa), e;
	int l;

	TEST_ASSERT(level >= 1 && level <= VM_EPT_LEVELS, "level %d of a 4-level EPT", level);
	for (l = VM_EPT_LEVELS; l > level; l--) {
		e = table[(l2_gpa >> VM_LEVEL_SHIFT(l)) & 511];
		TEST_ASSERT((e & EPT_RWX) && !(e & EPT_PS),
			    "L2 GPA 0x%lx: the level-%d EPT entry 0x%lx is no table pointer",
			    l2_gpa, l, e);
		table = addr_gpa2hva(vm, e & VM_TABLE_ADDR);
	}
	return &table[(l2_gpa >> VM_LEVEL_SHIFT(level)) & 511];
}

uint64_t vm_zeroed_page(struct kvm_vm *vm, uint32_t slot)
{
	uint64_t gpa = vm_phy_page_alloc(vm, memslot2region(vm, slot)->region.guest_phys_addr,
					 slot);

	memset(addr_gpa2hva(vm, gpa), 0, PAGE_SIZE);
	return gpa;
}

uint64_t vm_tagged_page(struct kvm_vm *vm, uint32_t slot, uint32_t offset, uint64_t tag)
{
	uint64_t gpa = vm_zeroed_page(vm, slot);

	*(uint64_t *)addr_gpa2hva(vm, gpa + offset) = tag;
	return gpa;
}

uint64_t *vm_table(struct kvm_vm *vm, uint64_t e)
{
	return addr_gpa2hva(vm, e & VM_TABLE_ADDR);
}

uint64_t vm_table_copy(struct kvm_vm *vm, uint32_t slot, uint64_t table_gpa)
{
	uint64_t gpa = vm_zeroed_page(vm, slot);

	memcpy(vm_table(vm, gpa), vm_table(vm, table_gpa), PAGE_SIZE);
	return gpa;
}

uint64_t vm_new_address_space(struct kvm_vm *vm, uint32_t slot, uint64_t va, int level,
			      uint64_t *table)
{
	int levels = vm_mmu_levels(vm), l;
	uint64_t top = vm_table_copy(vm, slot, vm_mmu_pgd(vm)), t = top, *e;

	e = &vm_table(vm, top)[(va >> VM_LEVEL_SHIFT(levels)) & 511];
	TEST_ASSERT(!*e, "entry %lu of the framework's top-level table is in use: 0x%lx",
		    (va >> VM_LEVEL_SHIFT(levels)) & 511, *e);
	for (l = levels; l > level; l--) {
		uint64_t next = vm_zeroed_page(vm, slot);

		vm_table(vm, t)[(va >> VM_LEVEL_SHIFT(l)) & 511] = next | GP_P | GP_RW;
		t = next;
	}
	if (table)
		*table = t;
	return top;
}

struct kvm_vm *vm_create_with_test_slot(struct kvm_vcpu **vcpu, void *guest_code,
					uint64_t extra_pages, uint32_t slot, uint64_t gpa,
					uint64_t pages)
{
	struct kvm_vm *vm = __vm_create_with_one_vcpu(vcpu, extra_pages + VM_SLOT0_ROOM_PAGES,
						      guest_code);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, gpa, slot, pages, 0);
	return vm;
}

struct kvm_vm *vm_create_svm_l1_with_test_slot(struct kvm_vcpu **vcpu, void *l1_code,
					       uint32_t slot, uint64_t gpa, uint64_t pages)
{
	struct kvm_vm *vm = vm_create_with_test_slot(vcpu, l1_code, 0, slot, gpa, pages);
	gva_t svm_gva;

	vcpu_alloc_svm(vm, &svm_gva);
	vcpu_args_set(*vcpu, 1, svm_gva);
	return vm;
}
