// SPDX-License-Identifier: GPL-2.0
/*
 * The plain target of the step engine: the VM's one vCPU, put straight
 * into the engine's paging mode with KVM_SET_SREGS.  See struct
 * paging_target in guest_paging_int.h.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"

#include "guest_paging_int.h"

/* Put the vCPU into the paging mode (struct paging_target's ->start). */
static void vcpu_start(struct paging_vm *pvm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_sregs_get(pvm->vcpu, &sregs);
	paging_vm_initial_sregs(pvm, &sregs);
	vcpu_sregs_set(pvm->vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = GSTEP_CODE_GPA;
	regs.rsp = GSTEP_STACK_TOP;
	regs.rflags = 0x2;
	vcpu_regs_set(pvm->vcpu, &regs);
}

static void vcpu_free(struct paging_vm *pvm)
{
	kvm_vm_free(pvm->vm);
}

static const struct paging_target paging_target_vcpu = {
	.start = vcpu_start,
	.run = paging_vm_run_vcpu,
	.free = vcpu_free,
};

struct paging_vm *paging_vm_create(enum guest_paging_mode mode)
{
	struct paging_vm *pvm = __paging_vm_create(mode, NULL);

	pvm->priv->target = &paging_target_vcpu;
	return pvm;
}
