// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm_nested_pae_ncr3_pdpte_rsvd_test
 *
 * An L1 in legacy PAE paging runs L2 with nested paging, so its nested
 * page tables have the PAE format (APM vol. 2 15.25.5).  Their PDPTEs
 * are "loaded and checked on demand in the normal course of address
 * translation" (15.25.10): a present PDPTE with a reserved bit (here bit
 * 62, above MAXPHYADDR) is #VMEXIT(NPF) with P and RSV in EXITINFO1 at
 * the L2 access through it.  KVM reads those PDPTEs on each walk
 * (nested_svm_get_tdp_pdptr()) but checks only P: FNAME(walk_addr_generic)
 * walks on with bit 62 masked off, mmu_alloc_shadow_roots() builds the
 * root from the unmasked PDPTE, and FNAME(fetch) hits
 * WARN_ON_ONCE(it.level != fault->goal_level), so an L1 can WARN the
 * host, and KVM_RUN fails with -EFAULT instead of L1 getting the #NPF.
 *
 * L1 is 32-bit code as bytes, set up with KVM_SET_SREGS: PAE paging,
 * EFER.SVME, a VMCB built by the host; it runs L2 with an nCR3 whose
 * PDPTE 1 has bit 62 set and reports with OUT.  L2, 32-bit without
 * paging, reads from the 1GiB it maps.  A fixed KVM returns to L1 with
 * SVM_EXIT_NPF, EXITINFO1 with P and RSV, EXITINFO2 the address read.
 *
 * Upstream's selftests library only; upstream has no 32-bit L1, hence
 * the bytes (this suite's lib/x86_64/nested_pae.c has one).
 */
#include <linux/sizes.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"

#define SLOT		1
#define BASE		0x40000000u	/* L1 physical, mapped 1:1 by L1 */
#define L1_CODE		(BASE + 0x0000)
#define L1_PDPT		(BASE + 0x1000)
#define L1_PD		(BASE + 0x2000)
#define VMCB		(BASE + 0x3000)
#define HSAVE		(BASE + 0x4000)
#define NPT_PDPT	(BASE + 0x5000)
#define NPT_PD		(BASE + 0x6000)
#define L2_CODE		0x7000		/* L2 physical = L1 physical - BASE */
#define L2_READ		(SZ_1G + 0x40)	/* through NPT PDPTE 1 */
#define PORT		0x80

#define P		BIT_ULL(0)
#define RW		BIT_ULL(1)
#define US		BIT_ULL(2)
#define A		BIT_ULL(5)
#define D		BIT_ULL(6)
#define PS		BIT_ULL(7)
#define RSVD_BIT	BIT_ULL(62)

/* L1's code, 32-bit; the 0s are patched in main(). */
static const u8 l1_code[] = {
	/*
	 * and dword [PDPTE 1], ~A: a no-op on hardware; QEMU TCG sets the
	 * reserved bit 5 of PAE PDPTEs it walks, which would fail L1's
	 * PDPTE load at #VMEXIT.
	 */
	0x81, 0x25, 0, 0, 0, 0, 0xdf, 0xff, 0xff, 0xff,
	0xb8, 0, 0, 0, 0,		/* mov eax, VMCB */
	0x0f, 0x01, 0xd8,		/* vmrun */
	0xe6, PORT,			/* out PORT, al */
	0xeb, 0xfe,			/* jmp . */
};

/* L2's code, 32-bit: "mov eax, [L2_READ]; vmmcall". */
static const u8 l2_code[] = {
	0xa1, 0, 0, 0, 0,
	0x0f, 0x01, 0xd9,
};

static void set_flat_segment(struct kvm_segment *seg, u16 selector, u8 type)
{
	*seg = (struct kvm_segment) {
		.limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .db = 1, .s = 1, .g = 1,
	};
}

static void set_vmcb_segment(struct vmcb_seg *seg, u16 selector, u8 type)
{
	*seg = (struct vmcb_seg) {
		.selector = selector, .limit = 0xffffffff,
		.attrib = type | SVM_SELECTOR_S_MASK | SVM_SELECTOR_P_MASK |
			  SVM_SELECTOR_DB_MASK | SVM_SELECTOR_G_MASK,
	};
}

static void init_vmcb(struct vmcb *vmcb)
{
	struct vmcb_control_area *ctrl = &vmcb->control;
	struct vmcb_save_area *save = &vmcb->save;

	memset(vmcb, 0, sizeof(*vmcb));
	ctrl->intercept = BIT_ULL(INTERCEPT_VMRUN) | BIT_ULL(INTERCEPT_VMMCALL);
	ctrl->asid = 1;
	ctrl->misc_ctl = SVM_MISC_ENABLE_NP;
	ctrl->nested_cr3 = NPT_PDPT;

	set_vmcb_segment(&save->cs, 0x8, 0xb);
	set_vmcb_segment(&save->ds, 0x10, 0x3);
	save->es = save->ds;
	save->ss = save->ds;
	save->efer = EFER_SVME;
	save->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	save->g_pat = 0x0007040600070406ull;
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	save->rflags = 0x2;
	save->rip = L2_CODE;
}

int main(int argc, char *argv[])
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *vcpu;
	struct vmcb *vmcb;
	struct kvm_vm *vm;
	u8 *code;
	u64 *e;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_SVM));
	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_NPT));

	vm = vm_create_with_one_vcpu(&vcpu, NULL);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, BASE, SLOT,
				    SZ_2M / PAGE_SIZE, 0);

	code = addr_gpa2hva(vm, L1_CODE);
	memcpy(code, l1_code, sizeof(l1_code));
	*(u32 *)&code[2] = L1_PDPT + 8;
	*(u32 *)&code[11] = VMCB;
	code = addr_gpa2hva(vm, BASE + L2_CODE);
	memcpy(code, l2_code, sizeof(l2_code));
	*(u32 *)&code[1] = L2_READ;

	/* L1's page tables: BASE..BASE+2MiB 1:1 with one 2MiB page. */
	e = addr_gpa2hva(vm, L1_PDPT);
	e[BASE >> 30] = L1_PD | P;
	e = addr_gpa2hva(vm, L1_PD);
	e[(BASE >> 21) & 511] = BASE | PS | D | A | RW | P;

	/*
	 * L1's NPT: L2 physical 0..2MiB -> BASE, through PDPTE 0, and
	 * through PDPTE 1, which has a reserved bit, for L2 physical 1GiB.
	 */
	e = addr_gpa2hva(vm, NPT_PDPT);
	e[0] = NPT_PD | P;
	e[1] = NPT_PD | P | RSVD_BIT;
	e = addr_gpa2hva(vm, NPT_PD);
	e[0] = BASE | PS | US | RW | P;

	vmcb = addr_gpa2hva(vm, VMCB);
	init_vmcb(vmcb);
	vcpu_set_msr(vcpu, MSR_VM_HSAVE_PA, HSAVE);

	vcpu_sregs_get(vcpu, &sregs);
	set_flat_segment(&sregs.cs, 0x8, 0xb);
	set_flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.idt.limit = 0;		/* any exception: shutdown */
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs.cr3 = L1_PDPT;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = EFER_SVME;
	vcpu_sregs_set(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = L1_CODE;
	regs.rflags = 0x2;
	vcpu_regs_set(vcpu, &regs);

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->io.port, PORT);

	TEST_ASSERT(vmcb->control.exit_code == SVM_EXIT_NPF,
		    "L1 got exit code 0x%lx, expected SVM_EXIT_NPF",
		    (unsigned long)vmcb->control.exit_code);
	TEST_ASSERT((vmcb->control.exit_info_1 &
		     (PFERR_PRESENT_MASK | PFERR_RSVD_MASK)) ==
		    (PFERR_PRESENT_MASK | PFERR_RSVD_MASK),
		    "EXITINFO1 0x%lx lacks P or RSV",
		    (unsigned long)vmcb->control.exit_info_1);
	TEST_ASSERT_EQ(vmcb->control.exit_info_2, L2_READ);

	kvm_vm_free(vm);
	return 0;
}
