// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_cr4_pse_stale_sptes_test
 *
 * With TDP disabled (kvm_amd npt=0 or kvm_intel ept=0), a 32-bit
 * (2-level) guest must see the effect of CR4.PSE on its page directory:
 * bit 7 (PS) of a PDE maps a 4MiB page when CR4.PSE=1 and is ignored when
 * CR4.PSE=0, the PDE then referencing a page table (SDM vol. 3A 4.3,
 * Tables 4-4 and 4-5), and after MOV CR3 no TLB entry is left (4.10.4.1).
 * union kvm_mmu_page_role has no PSE bit: the PSE change resets the MMU
 * context (kvm_post_set_cr4()), but mmu_alloc_shadow_roots() finds the
 * shadow page of the page directory built under the old PSE value, whose
 * SPTEs still map what that value meant.  Page directories are never
 * unsync, so nothing walks them again.
 *
 * The vCPU runs 32-bit code with paging (CR4.PAE=0) from KVM_SET_SREGS.
 * The PDE of X has PS=1 and points to a 4MiB-aligned frame whose first
 * page is also a valid page table, so a read of X gives PTE 0 of that
 * page table with PSE=1 and the tag of the page it maps with PSE=0.  The
 * guest reads X, reports the value with OUT, toggles CR4.PSE, reloads
 * CR3 and reads again, for a few rounds; every value must be the one of
 * the PSE value of its round.
 *
 * Upstream's selftests library only (32-bit code as bytes, as upstream
 * has no 32-bit guest support).
 */
#include <linux/sizes.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"

#define SLOT		1
#define BASE		0x40000000u		/* identity mapped from here */
#define CODE		(BASE + 0x0000)
#define PD		(BASE + 0x1000)
#define CODE_PT		(BASE + 0x2000)
#define DATA		(BASE + 0x3000)
#define FRAME		(BASE + SZ_4M)	/* 4MiB page, or page table */
#define X		FRAME		/* the address read */
#define NPAGES		(SZ_4M / PAGE_SIZE + 1)
#define PORT		0x80
#define ROUNDS		4

#define P		BIT(0)
#define RW		BIT(1)
#define A		BIT(5)
#define PS		BIT(7)

#define TAG		0x5a5a5a5au
#define PTE0		(DATA | A | RW | P)

static const u8 guest_code[] = {
	0xa1, X & 0xff, (X >> 8) & 0xff, (X >> 16) & 0xff, X >> 24,
					/* 0: mov eax, [X] */
	0xe7, PORT,			/* out PORT, eax */
	0x0f, 0x20, 0xe0,		/* mov eax, cr4 */
	0x35, X86_CR4_PSE, 0, 0, 0,	/* xor eax, X86_CR4_PSE */
	0x0f, 0x22, 0xe0,		/* mov cr4, eax */
	0x0f, 0x20, 0xd8,		/* mov eax, cr3 */
	0x0f, 0x22, 0xd8,		/* mov cr3, eax */
	0xeb, 0xe6,			/* jmp 0 */
};

static void set_flat_segment(struct kvm_segment *seg, u16 selector, u8 type)
{
	*seg = (struct kvm_segment) {
		.limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .db = 1, .s = 1, .g = 1,
	};
}

int main(int argc, char *argv[])
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	u32 *pd, *pt, val, expected;
	int i;

	TEST_REQUIRE(!kvm_is_tdp_enabled());

	vm = vm_create_with_one_vcpu(&vcpu, NULL);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, BASE, SLOT,
				    NPAGES, 0);

	memcpy(addr_gpa2hva(vm, CODE), guest_code, sizeof(guest_code));
	*(u32 *)addr_gpa2hva(vm, DATA) = TAG;
	*(u32 *)addr_gpa2hva(vm, FRAME) = PTE0;

	pt = addr_gpa2hva(vm, CODE_PT);
	pt[0] = CODE | A | RW | P;
	pd = addr_gpa2hva(vm, PD);
	pd[CODE >> 22] = CODE_PT | A | RW | P;
	pd[X >> 22] = FRAME | PS | A | RW | P;

	vcpu_sregs_get(vcpu, &sregs);
	set_flat_segment(&sregs.cs, 0x8, 0xb);
	set_flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.idt.limit = 0;		/* any exception: shutdown */
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs.cr3 = PD;
	sregs.cr4 = 0;
	sregs.efer = 0;
	vcpu_sregs_set(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE;
	regs.rflags = 0x2;
	vcpu_regs_set(vcpu, &regs);

	for (i = 0; i < ROUNDS; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		TEST_ASSERT(vcpu->run->io.port == PORT &&
			    vcpu->run->io.size == 4,
			    "Unexpected I/O exit, port 0x%x", vcpu->run->io.port);
		val = *(u32 *)((u8 *)vcpu->run + vcpu->run->io.data_offset);
		expected = i & 1 ? PTE0 : TAG;
		TEST_ASSERT(val == expected,
			    "Round %d, CR4.PSE=%d: read 0x%x at 0x%x, expected 0x%x (%s)",
			    i, i & 1, val, X, expected,
			    val == (i & 1 ? TAG : PTE0) ?
			    "what the other PSE value maps: stale SPTE" : "?");
	}

	kvm_vm_free(vm);
	return 0;
}
