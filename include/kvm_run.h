/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a 64-bit framework guest from one GUEST_SYNC to the next (the
 * ucall switch every test would otherwise write again), and a case in a
 * process of its own.
 */
#ifndef SELFTEST_KVM_RUN_H
#define SELFTEST_KVM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/compiler.h>

struct kvm_run;
struct kvm_vcpu;

/*
 * Run @vcpu until its next ucall, which must be GUEST_SYNC(@stage); a guest
 * assertion is reported with the guest's file and line.
 */
void vcpu_run_to_sync(struct kvm_vcpu *vcpu, uint64_t stage);

/* Run @vcpu until its next ucall, which must be GUEST_DONE(). */
void vcpu_run_to_done(struct kvm_vcpu *vcpu);

/*
 * Run @vcpu until its next exit, which must be KVM_EXIT_MMIO for a read
 * at @gpa, and answer it with @value (its low run->mmio.len bytes).
 */
void vcpu_run_to_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t value);

/*
 * Run @fn(@arg) in a child process, so that a failed assertion or a crash
 * ends that one case and not the program; returning from @fn is a pass.
 * Returns the child's exit status (KSFT_PASS, KSFT_FAIL, KSFT_XFAIL,
 * KSFT_SKIP, ...), or -1 if it did not exit (killed by a signal).
 */
int kvm_run_in_child(void (*fn)(const void *arg), const void *arg);

/* A case of a test that is a table of cases, each run in a child process. */
struct kvm_child_case {
	const char *name;
	void (*run)(const void *arg);
};

/*
 * The test's whole TAP plan, and its exit: each of the @nr @cases run by
 * kvm_run_in_child(), reported as "<name>_<@config_name>", passing only
 * if its child exited with KSFT_PASS; then ksft_finished().  It must
 * exit too: kselftest.h keeps the plan and the counts in static variables
 * of each file, and the exit status must come from those of the results.
 */
void __noreturn kvm_run_child_cases(const struct kvm_child_case *cases, size_t nr,
				    const char *config_name);

/*
 * KVM_EXIT_INTERNAL_ERROR's report (struct kvm_run's "internal"), kept for
 * a verdict made after the vCPU has run again or is gone.
 */
struct kvm_internal_error {
	uint32_t suberror;
	uint32_t ndata;
	uint64_t data[16];
};

void kvm_internal_error_save(const struct kvm_run *run, struct kvm_internal_error *e);

/*
 * Whether @e is KVM_INTERNAL_ERROR_DELIVERY_EV at an SVM #PF intercept of
 * a write (@write) or read whose faulting address lies in [@addr, @addr +
 * @len).  KVM exits so when an intercept it would have to emulate came
 * while the guest was delivering an event; kvm_prepare_event_vectoring_exit()
 * (7.3 arch/x86/kvm/x86.c) reports EXITINFO2 (here the #PF address), the
 * exit code, EXITINFO1 (the #PF error code) and the address it would
 * have emulated at, in data[0..3].  Event delivery accesses the IDT, the
 * descriptor tables, the TSS and the stack (APM vol. 2, 15.7.2: "e.g.,
 * #PF because the VMM has paged out the guest's exception stack"), never
 * an instruction's own memory operand: for such an operand, which the
 * caller vouches for, no event was being delivered and the exit is
 * wrong.  The 7.3 instance is DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V.
 */
bool kvm_internal_error_is_svm_pf_delivery_ev(const struct kvm_internal_error *e,
					      uint64_t addr, uint64_t len, bool write);

/* "[suberror N, data 0x.. 0x..]" appended to @buf. */
void kvm_internal_error_format(const struct kvm_internal_error *e, char *buf, size_t size);

#endif /* SELFTEST_KVM_RUN_H */
