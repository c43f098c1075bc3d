/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The framework guest's own page tables, as the host reads and changes
 * them.
 *
 * vm_create*() starts its 64-bit guest in IA-32e paging on tables at
 * vm_mmu_pgd(vm) with vm_mmu_levels(vm) levels (include/kvm_compat.h).
 * The depth depends on the tree: the 6.1 and 6.12 frameworks create
 * VM_MODE_PXXV48_4K VMs, always 4-level; 7.x's VM_MODE_PXXVYY_4K gives
 * 5-level paging whenever KVM reports a 57-bit virtual address width
 * (the VM_MODE_PXXVYY_4K case of the mode switch in ____vm_create(),
 * lib/kvm_util.c), and vcpu_init_sregs() (lib/x86/processor.c) then sets
 * CR4.LA57.  A test that walks those tables must take the depth from the
 * VM, never assume one.
 */
#ifndef SELFTEST_KVM_VM_TABLES_H
#define SELFTEST_KVM_VM_TABLES_H

#include <stdint.h>

#include "kvm_compat.h"
#include "kvm_util.h"

/*
 * The lowest linear-address bit an entry at @level (1 = PTE ... 5 = PML5E)
 * selects: each level resolves 9 bits above the 12-bit page offset (SDM
 * vol. 3A 4.5, Figures 4-8 to 4-11).  1ULL << VM_LEVEL_SHIFT(level) is the
 * span of one such entry.
 */
#define VM_LEVEL_SHIFT(level)	(12 + 9 * ((level) - 1))

/*
 * Host pointer to the entry at @level (1 = PTE, 2 = PDE, 3 = PDPTE,
 * 4 = PML4E, 5 = PML5E; at most vm_mmu_levels(@vm)) of the framework
 * guest's page tables that translates @gva.  The entries above it must be
 * present and point to tables, not map large pages (asserted); the entry
 * itself may be anything, also not present.
 */
uint64_t *vm_guest_entry(struct kvm_vm *vm, uint64_t gva, int level);

/*
 * The same for 4-level EPT tables in the VM's memory rooted at
 * @root_gpa (the EPTP's address bits, as the upstream builders of
 * lib/x86_64/vmx.c (6.12) or lib/x86/processor.c's stage2_mmu (7.x) make
 * them): host pointer to the EPT entry at @level that translates the L2
 * guest-physical address @l2_gpa.  The entries above it must be present
 * (bits 2:0 not all clear) and reference tables (bit 7 clear); asserted.
 * Lets a test set the bits those builders cannot (permissions, memory
 * type, A/D, reserved bits) in the entries they made.
 */
uint64_t *vm_ept_entry(struct kvm_vm *vm, uint64_t root_gpa, uint64_t l2_gpa, int level);

/*
 * Extra pages for __vm_create_with_one_vcpu() and friends, only to give
 * memslot 0 room: the framework sizes it with 512 pages for the test's
 * own image and the VM's tables (vm_nr_pages_required(), kvm_util.c, 6.12
 * and 7.3), and a static build of these tests with libtracefs,
 * libtraceevent and libbpf is some 490 pages itself, so a test that
 * allocates a few dozen pages ran out ("No guest physical page available",
 * abort()).  __vm_create() counts extra pages only for the page tables it
 * may need for them in slot 0, 2 per 512: this many give slot 0 about 256
 * more pages, and allocate nothing else.
 */
#define VM_SLOT0_ROOM_PAGES	(256 * 512 / 2)

/*
 * __vm_create_with_one_vcpu(@vcpu, @extra_pages, @guest_code) and memslot
 * @slot of @pages pages at GPA @gpa, for the tables and data the test
 * builds there (vm_zeroed_page()).
 */
struct kvm_vm *vm_create_with_test_slot(struct kvm_vcpu **vcpu, void *guest_code,
					uint64_t extra_pages, uint32_t slot, uint64_t gpa,
					uint64_t pages);

/*
 * vm_create_with_test_slot() for a vCPU that is an SVM L1: it runs
 * @l1_code(struct svm_test_data *) (vcpu_alloc_svm()).
 */
struct kvm_vm *vm_create_svm_l1_with_test_slot(struct kvm_vcpu **vcpu, void *l1_code,
					       uint32_t slot, uint64_t gpa, uint64_t pages);

/*
 * A zeroed page of memslot @slot (vm_phy_page_alloc() from the slot's
 * first GPA), for the tables and data a test builds in a slot of its own.
 * Returns its GPA.
 */
uint64_t vm_zeroed_page(struct kvm_vm *vm, uint32_t slot);

/*
 * vm_zeroed_page() with @tag at byte @offset: a data page a guest reads
 * to tell which page a translation reached.  Returns its GPA.
 */
uint64_t vm_tagged_page(struct kvm_vm *vm, uint32_t slot, uint32_t offset, uint64_t tag);

/*
 * A page of memslot @slot holding a copy of the table at @table_gpa (a
 * second top-level table over the same lower ones).  Returns its GPA.
 */
uint64_t vm_table_copy(struct kvm_vm *vm, uint32_t slot, uint64_t table_gpa);

/*
 * Another address space for the framework guest, in memslot @slot: a
 * new top-level table, a copy of the framework's (code, stack and ucall
 * stay mapped), and under it fresh tables for @va down to the one at
 * @level (1: a page table; vm_mmu_levels(@vm): none), each entry present,
 * writable and supervisor.  @va must lie under a top-level entry the
 * framework leaves unused (asserted).  Returns the new top's GPA, and
 * the GPA of the table at @level in *@table (if not NULL).
 */
uint64_t vm_new_address_space(struct kvm_vm *vm, uint32_t slot, uint64_t va, int level,
			      uint64_t *table);

/*
 * Host pointer to the page at bits 51:12 of @e: the table a table entry
 * points to, or the page at a GPA.
 */
uint64_t *vm_table(struct kvm_vm *vm, uint64_t e);

#endif /* SELFTEST_KVM_VM_TABLES_H */
