/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a 64-bit framework guest from one GUEST_SYNC to the next: the
 * ucall switch every test would otherwise write again.
 */
#ifndef SELFTEST_KVM_RUN_H
#define SELFTEST_KVM_RUN_H

#include <stdint.h>

struct kvm_vcpu;

/*
 * Run @vcpu until its next ucall, which must be GUEST_SYNC(@stage); a guest
 * assertion is reported with the guest's file and line.
 */
void vcpu_run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage);

/* Run @vcpu until its next ucall, which must be GUEST_DONE(). */
void vcpu_run_to_done(struct kvm_vcpu *vcpu);

#endif /* SELFTEST_KVM_RUN_H */
