// SPDX-License-Identifier: GPL-2.0-only
/*
 * shadow_efer_nxe_stale_sptes_test
 *
 * With TDP disabled (kvm_amd npt=0 or kvm_intel ept=0), a translation the
 * guest made with EFER.NXE=1 through an entry with XD (bit 63) set must
 * not survive EFER.NXE 1 -> 0: bit 63 is then reserved (SDM vol. 3A
 * 4.5.4, APM vol. 2 5.3.2), and after MOV CR3 no TLB entry is left
 * (SDM 4.10.4.1), so the next access walks the tables and takes a #PF
 * with P and RSVD.  kvm_init_shadow_mmu() forces root_role.efer_nx, so
 * the roots KVM allocates after the EFER write have the role the old ones
 * had, kvm_mmu_find_shadow_page() hands back the shadow pages built under
 * NXE=1, and the read goes through the old SPTE without a fault.
 *
 * The guest reads a page whose PTE has XD=1 with NXE=1, clears NXE,
 * reloads CR3 and reads it again, which must be #PF(P|RSVD).
 *
 * Upstream's selftests library only.
 */
#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"

#define PTE_XD		BIT_ULL(63)
#define TAG		0x6e78657374616c65ull

static void guest_code(gva_t gva)
{
	u64 error_code;
	u8 vector;

	/* NXE=1: XD forbids fetches only, the read is allowed. */
	GUEST_ASSERT_EQ(READ_ONCE(*(u64 *)gva), TAG);

	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NX);
	set_cr3(get_cr3());

	vector = kvm_asm_safe_ec("cmpq $0, (%[gva])", error_code,
				 [gva] "r" (gva));
	GUEST_ASSERT_EQ(vector, PF_VECTOR);
	GUEST_ASSERT_EQ(error_code, PFERR_PRESENT_MASK | PFERR_RSVD_MASK);
	GUEST_DONE();
}

int main(int argc, char *argv[])
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	gva_t gva;

	TEST_REQUIRE(!kvm_is_tdp_enabled());

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	gva = vm_alloc_page(vm);
	*(u64 *)addr_gva2hva(vm, gva) = TAG;
	*vm_get_pte(vm, gva) |= PTE_XD;
	vcpu_args_set(vcpu, 1, gva);

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
