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
#include "guest_paging_reuse.h"

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

/*
 * paging_vm_reuse_vms(): the VM and vCPU of the last plain paging VM
 * freed, reset, for the next paging_vm_create().
 */
static bool reuse_vms;
static struct kvm_vm *spare_vm;
static struct kvm_vcpu *spare_vcpu;

void paging_vm_reuse_vms(bool on)
{
	reuse_vms = on;
}

/*
 * Keep @pvm's VM and vCPU for the next paging_vm_create(), as a new VM
 * would be for everything a step table can see or KVM's MMU holds:
 *
 *  - KVM's MMU: KVM_SET_SREGS with paging off changes CR0, so KVM resets
 *    the MMU context and frees every root, the cached prev_roots too
 *    (__set_sregs() -> kvm_mmu_reset_context() -> kvm_mmu_unload(); in
 *    x86.c on 6.1, regs.c on 6.12 and 7.3).  This happens here, so that
 *    no root is left for KVM to free in the next case's first KVM_RUN
 *    (mmu_free_root_page(), mmu.c), where a traced case would see its
 *    kvm_mmu_prepare_zap_page.  Then the engine's memslot is deleted:
 *    KVM zaps every shadow page and TDP root of the VM (mmu.c:
 *    kvm_mmu_zap_all_fast(), from kvm_arch_flush_shadow_memslot() with
 *    the default KVM_X86_QUIRK_SLOT_ZAP_ALL on 6.12 and 7.3, from
 *    kvm_mmu_invalidate_zap_pages_in_memslot() on 6.1), so
 *    indirect_shadow_pages and n_used_mmu_pages are 0 again, and a case
 *    that counts the shadow pages of a gfn (unsync_test, pae_root_test)
 *    sees only its own, although the next case's tables get the same
 *    GPAs.  The slot the next case adds has new memory (zeroes, as a new
 *    VM's), write tracking and large-page data (kvm_arch_create_memslot(),
 *    x86.c).  Tracing is off meanwhile (the cases end their captures
 *    before they free the VM), so none of these zaps is in a capture.
 *  - The vCPU: ->start sets every register and segment, CR0/CR3/CR4,
 *    EFER and CR2 the engine uses, as for a new VM.  KVM's completion of
 *    the last ucall's OUT does nothing at the next KVM_RUN, RIP being
 *    elsewhere then (complete_fast_pio_out(), x86.c).  Only a vCPU that
 *    ended at the engine's DONE is kept (not a dead one), and not one
 *    with EFER.SVME or CR4.VMXE set, which may have run VMRUN (as a PAE
 *    L1 does: nested_pae.c) and has nested state and MSRs a new vCPU has
 *    not; the programs that reuse VMs write no other MSR than EFER and
 *    no PKRU.
 *
 * What does differ, and no case that reuses VMs reads: the VM's
 * statistics, which sum over the cases (upper_level_writes_test reads
 * differences within a case), and the memslot generation.
 */
static bool vcpu_park(struct paging_vm *pvm)
{
	struct kvm_sregs sregs;

	if (!reuse_vms || spare_vm || pvm->dead)
		return false;
	vcpu_sregs_get(pvm->vcpu, &sregs);
	if ((sregs.efer & EFER_SVME) || (sregs.cr4 & X86_CR4_VMXE))
		return false;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	sregs.cs.l = 0;
	vcpu_sregs_set(pvm->vcpu, &sregs);
	paging_vm_delete_slot(pvm);
	spare_vm = pvm->vm;
	spare_vcpu = pvm->vcpu;
	return true;
}

static void vcpu_free(struct paging_vm *pvm)
{
	if (!vcpu_park(pvm))
		kvm_vm_free(pvm->vm);
}

static const struct paging_target paging_target_vcpu = {
	.start = vcpu_start,
	.run = paging_vm_run_vcpu,
	.free = vcpu_free,
};

struct paging_vm *paging_vm_create(enum guest_paging_mode mode)
{
	struct paging_vm *pvm;

	if (spare_vm) {
		pvm = __paging_vm_create_on(spare_vm, spare_vcpu, mode);
		spare_vm = NULL;
		spare_vcpu = NULL;
	} else {
		pvm = __paging_vm_create(mode, NULL);
	}
	pvm->priv->target = &paging_target_vcpu;
	return pvm;
}
