/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between guest_paging.c and paging_target_vcpu.c: a paging VM on a VM
 * and vCPU kept from an earlier one (paging_vm_reuse_vms()).
 */
#ifndef SELFTEST_KVM_GUEST_PAGING_REUSE_H
#define SELFTEST_KVM_GUEST_PAGING_REUSE_H

#include "guest_paging.h"

/* A paging VM in @mode on @vm and @vcpu, whose engine memslot is gone. */
struct paging_vm *__paging_vm_create_on(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
					enum guest_paging_mode mode);
/* Delete the engine's memslot (its memory goes with it). */
void paging_vm_delete_slot(struct paging_vm *pvm);

#endif /* SELFTEST_KVM_GUEST_PAGING_REUSE_H */
