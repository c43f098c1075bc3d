// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code of a VMX L1 that runs an L2 function: see
 * include/x86_64/vmx_l1.h.
 */
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vmx.h"

#include "kvm_compat.h"
#include "vmx_l1.h"

void vmx_l1_prepare_l2(struct vmx_pages *vmx, void *l2_code, void *l2_stack_top)
{
	GUEST_ASSERT(prepare_for_vmx_operation(vmx));
	GUEST_ASSERT(load_vmcs(vmx));
	prepare_vmcs(vmx, l2_code);
	vmwrite(GUEST_RSP, (uint64_t)l2_stack_top);
}

void vmx_l1_skip_vmcall(void)
{
	GUEST_ASSERT_EQ(vmreadz(VM_EXIT_REASON), EXIT_REASON_VMCALL);
	vmwrite(GUEST_RIP, vmreadz(GUEST_RIP) + vmreadz(VM_EXIT_INSTRUCTION_LEN));
}
