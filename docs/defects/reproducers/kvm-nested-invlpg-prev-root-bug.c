// SPDX-License-Identifier: GPL-2.0-only
/*
 * svm_nested_invlpg_prev_root_test
 *
 * With TDP disabled (kvm_amd npt=0), nested VMRUN keeps L1's 64-bit
 * shadow root in mmu->prev_roots while L2 runs on a PAE root.  An INVLPG
 * executed by a 32-bit L2, which L1 doesn't intercept, is emulated by KVM
 * with kvm_mmu_invlpg(), which walks every cached root with the current
 * (L2's) MMU context and, on L1's 64-bit root, hits
 * BUG_ON(root != vcpu->arch.mmu->root.hpa) in shadow_walk_init_using_root().
 *
 * L1 runs L2 in 32-bit 2-level paging (4MiB pages) without nested paging;
 * L2 executes INVLPG and VMMCALL.  A fixed KVM returns to L1 with
 * SVM_EXIT_VMMCALL; an unfixed one crashes the host.
 */
#include <linux/sizes.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"

/* A 32-bit PDE mapping a 4MiB page: P, RW, PS. */
#define L2_PDE_4M	(BIT(0) | BIT(1) | BIT(7))

/* L2's code, 32-bit: "invlpg ds:[code]; vmmcall; jmp ." */
static const u8 l2_code[] = {
	0x0f, 0x01, 0x3d, 0, 0, 0, 0,	/* invlpg [disp32], patched below */
	0x0f, 0x01, 0xd9,		/* vmmcall */
	0xeb, 0xfe,			/* jmp . */
};

static void l1_guest_code(struct svm_test_data *svm, u64 pd_gpa, u64 code_gpa)
{
	struct vmcb_save_area *save = &svm->vmcb->save;

	generic_svm_setup(svm, NULL);

	/* 32-bit protected mode, 2-level paging with PSE, no long mode. */
	save->cs.attrib = 0xb | SVM_SELECTOR_S_MASK | SVM_SELECTOR_P_MASK |
			  SVM_SELECTOR_DB_MASK | SVM_SELECTOR_G_MASK;
	save->efer = EFER_SVME;
	save->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	save->cr4 = X86_CR4_PSE;
	save->cr3 = pd_gpa;
	save->rip = code_gpa;
	save->rsp = 0;

	run_guest(svm->vmcb, svm->vmcb_gpa);

	GUEST_ASSERT_EQ(svm->vmcb->control.exit_code, SVM_EXIT_VMMCALL);
	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	gva_t svm_gva, pd_gva, code_gva;
	u64 pd_gpa, code_gpa;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	u32 *pd;
	u8 *code;

	TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_SVM));
	TEST_REQUIRE(!kvm_is_tdp_enabled());

	vm = vm_create_with_one_vcpu(&vcpu, l1_guest_code);
	vcpu_alloc_svm(vm, &svm_gva);

	/* L2's page directory: 4MiB pages, L2 linear == L1 physical. */
	pd_gva = vm_alloc_page(vm);
	code_gva = vm_alloc_page(vm);
	pd_gpa = addr_gva2gpa(vm, pd_gva);
	code_gpa = addr_gva2gpa(vm, code_gva);
	TEST_ASSERT(pd_gpa < 4ull * SZ_1G && code_gpa < 4ull * SZ_1G,
		    "L2's pages must be below 4GiB");

	pd = addr_gva2hva(vm, pd_gva);
	pd[code_gpa >> 22] = (code_gpa & ~(SZ_4M - 1)) | L2_PDE_4M;

	code = addr_gva2hva(vm, code_gva);
	memcpy(code, l2_code, sizeof(l2_code));
	*(u32 *)&code[3] = code_gpa;

	vcpu_args_set(vcpu, 3, svm_gva, pd_gpa, code_gpa);

	vcpu_run(vcpu);
	TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);

	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	case UCALL_DONE:
		break;
	default:
		TEST_FAIL("Unknown ucall %lu", uc.cmd);
	}

	kvm_vm_free(vm);
	return 0;
}
