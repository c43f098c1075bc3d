// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_nested_eptp_test: the EPT pointer a VMX L1 gives its L2, checked at
 * VM entry, and a 5-level EPT walk.
 *
 * A 64-bit VMX L1 runs a 64-bit L2 with EPT on tables it owns (upstream's
 * builder, as in vmx_nested_ept_test.c), and L2 reads the guest-physical
 * page T.  Each row changes the EPTP L1 loads (write-back, 4-level walk,
 * before the change).  The SDM (vol. 3C; 2023+ numbering, older in
 * brackets) says which VM entries fail: with "enable EPT", 27.2.1.1
 * [26.2.1.1] requires of the EPTP (25.6.11 [24.6.11]) a memory type
 * (bits 2:0) that IA32_VMX_EPT_VPID_CAP allows (bit 8 UC, bit 14 WB;
 * Appendix A.10), a page-walk length - 1 (bits 5:3) of 3 (allowed by
 * bit 6) or 4 (bit 7), bit 6 (A/D) only with bit 21, and bits 11:7 and
 * 63:MAXPHYADDR clear.  Otherwise VMLAUNCH fails with VMfailValid, error
 * 7, "VM entry with invalid control field(s)" (31.4 [30.4]).
 *
 * KVM (arch/x86/kvm/vmx/nested.c, 6.12 and 7.3): nested_vmx_check_eptp(),
 * called by nested_check_vm_execution_controls(), against the capabilities
 * nested_vmx_setup_ctls_msrs() offers L1: WB, and the 4- and 5-level walks
 * where the CPU has them.  A 5-level EPTP references a PML5 table whose
 * first entry references the builder's PML4 table; KVM's shadow EPT root
 * is then 5-level (kvm_init_shadow_ept_mmu(): role.level from the EPTP's
 * walk length).  Its row runs where KVM offers L1 5-level EPT.
 *
 * Skips where /dev/kvm is not kvm_intel with nested VMX and EPT for L1.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vmx.h"
#include "kselftest.h"

#include "ept_bits.h"
#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "vm_tables.h"
#include "vmx_l1.h"

#define L2_GPA		0xc0000000ULL	/* T: linear = L2 GPA */
#define OFF_DATA	0x128
#define TAG		0x3e9f0000cafe0001ULL
#define L2_STACK_SIZE	512
#define ENTRY_INVALID_CONTROL	7	/* VM-instruction error (31.4) */

struct eptp_case {
	const char *name;
	uint64_t clear, set;	/* EPTP bits, from WB and a 4-level walk */
	bool rsvd_pa;		/* also set bit MAXPHYADDR (reserved even at 52) */
	bool five_level;	/* the EPTP references a PML5 table */
	uint64_t need, lacks;	/* IA32_VMX_EPT_VPID_CAP bits the row needs, or must lack */
	bool entry_fails;
};

static const struct eptp_case cases[] = {
	{ "wb_4_level_walk_enters", .need = EPT_CAP_PWL4 },
	{ "ad_enabled_enters", 0, EPTP_AD, .need = VMX_EPT_VPID_CAP_AD_BITS },
	{ "walk_length_3_fails", EPTP_PWL_MASK, EPTP_PWL(3), .entry_fails = true },
	{ "walk_length_5_without_cap_fails", EPTP_PWL_MASK, EPTP_PWL(5), .lacks = EPT_CAP_PWL5,
	  .entry_fails = true },
	{ "five_level_walk_enters", EPTP_PWL_MASK, EPTP_PWL(5), .five_level = true,
	  .need = EPT_CAP_PWL5 },
	{ "memtype_uc_without_cap_fails", EPTP_MT_MASK, 0, .lacks = EPT_CAP_UC,
	  .entry_fails = true },
	{ "memtype_2_fails", EPTP_MT_MASK, 2, .entry_fails = true },
	{ "reserved_bit_7_fails", 0, BIT_ULL(7), .entry_fails = true },
	{ "reserved_bit_11_fails", 0, BIT_ULL(11), .entry_fails = true },
	{ "reserved_bit_maxphyaddr_fails", .rsvd_pa = true, .entry_fails = true },
};

/* Shared by host, L1 and L2 (L2 reaches L1's memory through the identity map). */
static uint64_t eptp;
static uint64_t entry_error, exit_reason, l2_value;
static uint8_t l2_stack[L2_STACK_SIZE] __aligned(16);

static void l2_guest(void)
{
	WRITE_ONCE(l2_value, READ_ONCE(*(uint64_t *)(L2_GPA + OFF_DATA)));
	vmcall();
}

static void l1_guest(struct vmx_pages *vmx)
{
	vmx_l1_prepare_l2(vmx, l2_guest, &l2_stack[L2_STACK_SIZE]);
	vmwrite(EPT_POINTER, eptp);
	if (vmlaunch())
		WRITE_ONCE(entry_error, vmreadz(VM_INSTRUCTION_ERROR));
	else
		WRITE_ONCE(exit_reason, vmreadz(VM_EXIT_REASON));
	GUEST_DONE();
}

/* The EPTP of @c for the 4-level EPT tables at @pml4. */
static uint64_t case_eptp(struct kvm_vm *vm, const struct eptp_case *c, uint64_t pml4)
{
	uint64_t root = pml4;

	if (c->five_level) {
		root = vm_zeroed_page(vm, 0);
		*vm_table(vm, root) = pml4 | EPT_RWX;
	}
	root |= EPTP_MT_WB | EPTP_PWL(4);
	root = (root & ~c->clear) | c->set;
	if (c->rsvd_pa)
		root |= BIT_ULL(vm->pa_bits);
	return root;
}

static void run_case(const struct eptp_case *c)
{
	struct vmx_pages *vmx;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	gva_t vmx_gva;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, l1_guest);
	vm_enable_ept(vm);
	vmx = vcpu_alloc_vmx(vm, &vmx_gva);
	vcpu_args_set(vcpu, 1, vmx_gva);
	virt_pg_map(vm, L2_GPA, L2_GPA);
	tdp_map(vm, L2_GPA, vm_tagged_page(vm, 0, OFF_DATA, TAG), PAGE_SIZE);
	eptp = case_eptp(vm, c, vmx->eptp_gpa);
	/* After every L1 page L2 walks or runs on is allocated. */
	tdp_identity_map_default_memslots(vm);
	sync_global_to_guest(vm, eptp);
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, entry_error);
	sync_global_from_guest(vm, exit_reason);
	sync_global_from_guest(vm, l2_value);

	if (c->entry_fails) {
		TEST_ASSERT(entry_error == ENTRY_INVALID_CONTROL,
			    "VMLAUNCH with EPTP 0x%lx: VM-instruction error %lu, exit reason %lu; expected VMfailValid %u",
			    eptp, entry_error, exit_reason, ENTRY_INVALID_CONTROL);
	} else {
		TEST_ASSERT(!entry_error && exit_reason == EXIT_REASON_VMCALL,
			    "VMLAUNCH with EPTP 0x%lx: VM-instruction error %lu, exit reason %lu; expected L2 to run to its VMCALL",
			    eptp, entry_error, exit_reason);
		TEST_ASSERT_EQ(l2_value, TAG);
	}
	kvm_vm_free(vm);
}

/* Why @c cannot run with KVM's capabilities @caps for L1, or NULL. */
static const char *case_unsupported(const struct eptp_case *c, uint64_t caps)
{
	if ((caps & c->need) != c->need)
		return "KVM's IA32_VMX_EPT_VPID_CAP for L1 lacks what the row needs";
	if (caps & c->lacks)
		return "KVM's IA32_VMX_EPT_VPID_CAP for L1 allows what the row needs absent";
	return NULL;
}

int main(void)
{
	struct kvm_mmu_config cfg;
	const char *why;
	unsigned int i;
	uint64_t caps;

	caps = kvm_mmu_nested_ept_test_start(&cfg);
	ksft_set_plan(ARRAY_SIZE(cases));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		why = case_unsupported(&cases[i], caps);
		if (why) {
			ksft_test_result_skip("%s_%s: %s (0x%lx)\n", cases[i].name,
					      kvm_mmu_config_name(&cfg), why, caps);
			continue;
		}
		run_case(&cases[i]);
		ksft_test_result_pass("%s_%s\n", cases[i].name, kvm_mmu_config_name(&cfg));
	}
	ksft_finished();
}
