/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of a 64-bit VMX L1 that runs a small L2 function of the
 * test program on upstream's VMCS set-up (prepare_vmcs(), lib/x86_64/vmx.c
 * up to 6.13, lib/x86/vmx.c since): the prologue every such L1 has, the
 * VMCALL exit it resumes from, and the invalidation instructions upstream's
 * vmx.h does not wrap.
 */
#ifndef SELFTEST_KVM_VMX_L1_H
#define SELFTEST_KVM_VMX_L1_H

#include <stdint.h>

#include "vmx.h"

/* INVEPT types (SDM vol. 3C 31.3 INVEPT; 30.3 in older numbering). */
enum { VMX_INVEPT_SINGLE_CONTEXT = 1, VMX_INVEPT_GLOBAL = 2 };

/*
 * L1: enter VMX operation, load the VMCS of @vmx and set it up to run
 * @l2_code on the stack that ends at @l2_stack_top, with L1's page tables
 * (and EPT where @vmx has it).
 */
void vmx_l1_prepare_l2(struct vmx_pages *vmx, void *l2_code, void *l2_stack_top);

/* L1: assert that L2 exited with VMCALL, and step L2 over it. */
void vmx_l1_skip_vmcall(void);

/*
 * INVEPT of @type with @eptp, INVVPID of @type for @vpid and @addr
 * (SDM 31.3): 1 if it failed (VMfailInvalid or VMfailValid), else 0.
 */
static inline uint8_t vmx_l1_invept(uint64_t type, uint64_t eptp)
{
	struct { uint64_t eptp, gpa; } desc = { eptp, 0 };
	uint8_t fail;

	asm volatile("invept %1, %2; setbe %0"
		     : "=q"(fail) : "m"(desc), "r"(type) : "cc", "memory");
	return fail;
}

static inline uint8_t vmx_l1_invvpid(uint64_t type, uint16_t vpid, uint64_t addr)
{
	struct { uint64_t vpid, addr; } desc = { vpid, addr };
	uint8_t fail;

	asm volatile("invvpid %1, %2; setbe %0"
		     : "=q"(fail) : "m"(desc), "r"(type) : "cc", "memory");
	return fail;
}

#endif /* SELFTEST_KVM_VMX_L1_H */
