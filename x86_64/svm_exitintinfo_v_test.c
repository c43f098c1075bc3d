// SPDX-License-Identifier: GPL-2.0
/*
 * svm_exitintinfo_v_test: an L2 write to its page directory right after
 * a #PF that KVM injected into L2 must be emulated.
 *
 * EXITINTINFO says that an intercept happened while the guest was
 * delivering an event by its V bit (AMD APM vol. 2, 15.7.2: "Set to 1 if
 * the intercept occurred while the guest attempted to deliver an
 * exception through the IDT; otherwise cleared to zero").  The APM's own
 * pseudo-code (15.7.3) records the event in EXITINTINFO before delivering
 * it and, once delivery succeeded, clears V alone, so the type and vector
 * of the last event may still be there at the next #VMEXIT, V clear.
 * QEMU's TCG SVM leaves exactly that: 0x00000b0e after a #PF.
 *
 * With TDP off (kvm_amd npt=0), L1 runs L2 without nested paging on L1's
 * own page tables, and KVM shadows them for L2: it intercepts every #PF
 * and write-protects the tables it shadows above the last level.  L2,
 * a few times over:
 *  1. reads a not-present page: KVM injects the #PF, and the framework's
 *     handler in L2 takes it (kvm_asm_safe());
 *  2. at once rewrites the PDE of DATA_VA through an alias of the page
 *     directory, alternately naming page table A and page table B: the
 *     write faults on the write protection and KVM must emulate it
 *     (kvm_mmu_write_protect_fault(), arch/x86/kvm/mmu/mmu.c, does not
 *     unprotect and retry in guest mode);
 *  3. INVLPG DATA_VA and reads it: the page the new PDE's table maps
 *     (SDM vol. 3A 4.10.4.1).
 * Then VMMCALL, and L1 is done.
 *
 * Linux 7.3 refuses the emulation in step 2 when EXITINTINFO's type bits
 * are set, V or not (svm_check_emulate_instruction(),
 * arch/x86/kvm/svm/svm.c), and ends the run with KVM_EXIT_INTERNAL_ERROR,
 * KVM_INTERNAL_ERROR_DELIVERY_EV, at a store that delivers no event
 * (docs/defects/kvm-svm-vectoring-ignores-exitintinfo-v.md, with the
 * fix).  That exit, at the store's own address, on kvm_amd and a kernel
 * where the defect is known, is reported as XFAIL with the evidence;
 * anything else but the architectural outcome fails.
 *
 * With TDP on, the CPU walks L2's tables through KVM's NPT of L1 and
 * nothing is emulated: a control.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "known_defects.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "vm_tables.h"

/*
 * L1 VAs, which L2 shares: PDPT entry 1 under the framework's lowest
 * entries of the levels above, which map its code (as nested_invlpg_test).
 */
#define REGION_VA	0x40000000ULL
#define DATA_VA		REGION_VA			/* PDE 0 -> A or B */
#define NP_VA		(REGION_VA + PAGE_SIZE)		/* not present in A or B */
#define PD_ALIAS_VA	(REGION_VA + 0x200000)		/* PDE 1: the directory */
#define TAG_A		0xaaaa0001U
#define TAG_B		0xbbbb0002U
#define NR_WRITES	4

#define TEST_SLOT	1
#define TEST_SLOT_GPA	0x10000000ULL
#define TEST_PAGES	16

#define L2_GUEST_STACK_SIZE	256

#define VECTORING_DEFECT	DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V

/* PDE 0 naming page table A, or B. */
static uint64_t pde_a, pde_b;

static uint8_t read_np(void)
{
	return kvm_asm_safe("cmpb $0, (%[p])", [p] "r"(NP_VA));
}

static void l2_code(void)
{
	uint64_t *pde = (uint64_t *)PD_ALIAS_VA;
	uint32_t *data = (uint32_t *)DATA_VA;
	uint8_t vector;
	int i;

	/*
	 * Have KVM shadow all that steps 1-3 touch first, the fault path
	 * included: a #VMEXIT between the #PF and the write would start a
	 * new VMRUN, which no longer reports the #PF in EXITINTINFO.
	 */
	GUEST_ASSERT_EQ(READ_ONCE(*data), TAG_A);
	GUEST_ASSERT_EQ(READ_ONCE(*pde) & ~(uint64_t)GP_A, pde_a);
	GUEST_ASSERT_EQ(read_np(), PF_VECTOR);

	for (i = 0; i < NR_WRITES; i++) {
		vector = read_np();
		barrier();
		WRITE_ONCE(*pde, i & 1 ? pde_a : pde_b);
		GUEST_ASSERT_EQ(vector, PF_VECTOR);
		asm volatile("invlpg (%0)" : : "r"(DATA_VA) : "memory");
		GUEST_ASSERT_EQ(READ_ONCE(*data), i & 1 ? TAG_A : TAG_B);
	}
	vmmcall();
}

static void l1_code(struct svm_test_data *svm)
{
	unsigned long l2_guest_stack[L2_GUEST_STACK_SIZE];

	/* L2 without nested paging, on L1's tables, IDT and GDT. */
	generic_svm_setup(svm, l2_code);
	svm->vmcb->save.rsp = (uint64_t)&l2_guest_stack[L2_GUEST_STACK_SIZE];
	run_guest(svm->vmcb, svm->vmcb_gpa);
	GUEST_ASSERT_EQ(vmcb_exit_code(&svm->vmcb->control), SVM_EXIT_VMMCALL);
	GUEST_DONE();
}

/* The directory for REGION_VA, its two page tables and its alias. */
static void build_tables(struct kvm_vm *vm)
{
	const uint64_t flags = GP_P | GP_RW;
	uint64_t pd = vm_zeroed_page(vm, TEST_SLOT), pt_a = vm_zeroed_page(vm, TEST_SLOT);
	uint64_t pt_b = vm_zeroed_page(vm, TEST_SLOT), alias_pt = vm_zeroed_page(vm, TEST_SLOT);
	uint64_t a = vm_zeroed_page(vm, TEST_SLOT), b = vm_zeroed_page(vm, TEST_SLOT);
	uint64_t *pdpte = vm_guest_entry(vm, REGION_VA, 3);

	TEST_ASSERT(!*pdpte, "PDPT entry 1 of the framework's tables is in use");
	*pdpte = pd | flags;
	*(uint32_t *)addr_gpa2hva(vm, a) = TAG_A;
	*(uint32_t *)addr_gpa2hva(vm, b) = TAG_B;
	vm_table(vm, pt_a)[0] = a | flags;
	vm_table(vm, pt_b)[0] = b | flags;
	vm_table(vm, alias_pt)[0] = pd | flags;
	pde_a = pt_a | flags;
	pde_b = pt_b | flags;
	vm_table(vm, pd)[0] = pde_a;
	vm_table(vm, pd)[1] = alias_pt | flags;
}

/*
 * The run ended otherwise than at a ucall: how, in @why, and the reason
 * of an XFAIL if it is the defect's exit (@why then has the evidence).
 */
static const char *known_stop(const struct kvm_mmu_config *cfg, struct kvm_vcpu *vcpu,
			      char *why, size_t size)
{
	struct kvm_internal_error e;

	snprintf(why, size, "the run ended with exit reason %s",
		 exit_reason_str(vcpu->run->exit_reason));
	if (vcpu->run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		return NULL;
	kvm_internal_error_save(vcpu->run, &e);
	kvm_internal_error_format(&e, why, size);
	ksft_print_msg("%s\n", why);
	/* L2's store to the directory alias: no event was being delivered. */
	if (strcmp(cfg->vendor_module, "kvm_amd") ||
	    !kvm_internal_error_is_svm_pf_delivery_ev(&e, PD_ALIAS_VA, sizeof(uint64_t), true))
		return NULL;
	snprintf(why, size,
		 "KVM_INTERNAL_ERROR_DELIVERY_EV at the #PF intercept of L2's store to its page directory (0x%lx), right after L2 took an injected #PF",
		 e.data[0]);
	if (!known_defect_seen_on_this_kernel(VECTORING_DEFECT)) {
		ksft_print_msg("%s: the signature of %s, on a kernel where it is not known\n",
			       why, known_defect(VECTORING_DEFECT));
		return NULL;
	}
	return known_defect(VECTORING_DEFECT);
}

int main(int argc, char *argv[])
{
	const char *name = "l2_pde_write_after_injected_pf_emulated";
	struct kvm_mmu_config cfg;
	struct kvm_vcpu *vcpu;
	const char *known;
	struct kvm_vm *vm;
	struct ucall uc;
	char why[512];

	kvm_mmu_test_start(&cfg);
	kvm_mmu_config_require_nested_svm(&cfg);
	ksft_set_plan(1);

	vm = vm_create_svm_l1_with_test_slot(&vcpu, l1_code, TEST_SLOT, TEST_SLOT_GPA, TEST_PAGES);
	build_tables(vm);
	sync_global_to_guest(vm, pde_a);
	sync_global_to_guest(vm, pde_b);

	vcpu_run(vcpu);
	if (vcpu->run->exit_reason == KVM_EXIT_IO) {
		if (get_ucall(vcpu, &uc) == UCALL_ABORT)
			REPORT_GUEST_ASSERT(uc);
		TEST_ASSERT(uc.cmd == UCALL_DONE, "unexpected ucall %lu", uc.cmd);
		ksft_test_result_pass("%s_%s\n", name, kvm_mmu_config_name(&cfg));
	} else {
		known = known_stop(&cfg, vcpu, why, sizeof(why));
		if (known)
			ksft_test_result_xfail("%s_%s: %s; %s\n", name, kvm_mmu_config_name(&cfg),
					       known, why);
		else
			ksft_test_result_fail("%s_%s: %s\n", name, kvm_mmu_config_name(&cfg), why);
	}
	kvm_vm_free(vm);
	ksft_finished();
}
