/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the guest paging library, for its own files only; tests
 * use include/x86_64/guest_paging.h.
 *
 * The layers, each including only those below it:
 *   1. paging_geometry.c, paging_model.c: pure functions of the paging
 *      formats (include/x86_64/paging_geometry.h, paging_model.h);
 *   2. guest_paging.c: the paging VM, its memory and address spaces
 *      (the guest-format page-table builder, guest_as_*());
 *   3. guest_steps.c: step tables, built, run on a target, compared;
 *      nothing there knows whether or how the engine is nested;
 *   4. targets (struct paging_target): where the engine runs.  The plain
 *      vCPU is paging_target_vcpu.c's; guest_paging_l2.c has
 *      the engine as L2 of a 64-bit SVM L1 and of a PAE SVM L1 (which is
 *      itself a paging VM: nested_pae.c, on layers 2 and 3), and
 *      guest_paging_vmx.c as L2 of a 64-bit VMX L1, which
 *      paging_vm_create_l2() picks on a CPU that offers L1 VMX, not SVM.
 */
#ifndef SELFTEST_KVM_GUEST_PAGING_INT_H
#define SELFTEST_KVM_GUEST_PAGING_INT_H

#include "guest_paging.h"

struct paging_target;

/* What the library keeps of a paging VM beyond struct paging_vm. */
struct paging_vm_priv {
	bool started;
	/*
	 * How it stopped: the exit reason, the step the engine was in (a
	 * copy: the table is rebuilt after) and, for KVM_EXIT_INTERNAL_ERROR,
	 * KVM's report.  And the mismatches of the steps that did run,
	 * summed over every run of the VM: 0 when only the stop went wrong.
	 */
	struct paging_vm_stop {
		uint32_t exit_reason;
		bool in_step;
		struct gstep step;
		struct kvm_internal_error internal;
	} stop;
	int ran_mismatches;

	/* Where the engine image keeps its user-mode code. */
	struct gstep_header header;
	/* Bump allocators in the page-table pool and the data area. */
	uint64_t pt_next, data_next;
	/* VA of the page-table pool in address spaces that alias it, or 0. */
	uint64_t tables_va;

	/* The step table being built, what each step expects, and labels. */
	struct gstep *steps;
	struct gstep_expect *expect;
	const char **phase;
	const char *cur_phase;
	struct gstep_result *results;	/* of the last run */

	char abort_msg[512];

	/*
	 * Where the engine runs: a plain vCPU, or L2 of an L1 that the
	 * target builds and holds in @target_data.
	 */
	const struct paging_target *target;
	void *target_data;
	/*
	 * Called first after every exit of this VM's vCPU, while another
	 * engine runs nested in this one: true if it was that engine's.
	 */
	bool (*exit_hook)(void *arg);
	void *exit_hook_arg;
	/*
	 * The L1 GPA of the engine's memslot: GSTEP_SLOT_GPA, but for an L2
	 * engine of a PAE L1, which reaches it at GSTEP_SLOT_GPA through
	 * L1's nested paging.  Every GPA here is the engine's own.
	 */
	uint64_t slot_gpa;
};

/*
 * Where the step engine of a paging VM runs.  paging_vm_run_steps() hands
 * the loaded step table to ->run; the others serve paging_vm_run_vcpu(),
 * the ->run of every target whose engine runs on the VM's own vCPU.
 */
struct paging_target {
	/*
	 * Put the engine at its first instruction in its paging mode, before
	 * its first table.  The page tables must be complete by now: with
	 * CR4.PAE and no EFER.LMA, KVM loads the PDPTEs from guest memory
	 * (at KVM_SET_SREGS, or at L1's VMRUN without nested paging).
	 */
	void (*start)(struct paging_vm *pvm);
	/* Run the table loaded by paging_vm_load_steps(); the mismatches. */
	int (*run)(struct paging_vm *pvm);
	/* After a stray exit: whether the target explains it (in @why). */
	bool (*stopped)(struct paging_vm *pvm, char *why, size_t len);
	/* Free the VM and what the target holds. */
	void (*free)(struct paging_vm *pvm);
};

/*
 * guest_paging_vmx.c: the engine as L2 of a 64-bit VMX L1, with or
 * without EPT (paging_vm_create_l2() where L1 gets VMX); what KVM lacks
 * for it (NULL: nothing), also for paging @mode; whether @pvm's L1 is
 * such an L1 with EPT.
 */
struct paging_vm *paging_vm_create_l2_vmx(enum guest_paging_mode mode, bool ept);
const char *paging_vm_l2_vmx_missing(bool ept);
const char *paging_vm_l2_vmx_mode_missing(enum guest_paging_mode mode, bool ept);
bool paging_vm_l2_vmx_ept(struct paging_vm *pvm);

/* The flat engine images, from lib/guest32/blobs.S. */
extern const char gstep_engine32_start[], gstep_engine32_end[];
extern const char gstep_engine64_start[], gstep_engine64_end[];

/*
 * A VM with one vCPU that runs @l1_code (NULL: none), and the engine;
 * the caller sets its ->target.
 */
struct paging_vm *__paging_vm_create(enum guest_paging_mode mode, void *l1_code);
/* The engine in another memslot of @host's VM, at @slot_gpa. */
struct paging_vm *__paging_vm_create_in(struct paging_vm *host, enum guest_paging_mode mode,
					uint64_t slot_gpa);
/* The engine's initial segments, descriptor tables and control registers. */
void paging_vm_initial_sregs(struct paging_vm *pvm, struct kvm_sregs *sregs);

/* paging_vm_run_steps() in parts: load the table; run it; compare @nr results. */
void paging_vm_load_steps(struct paging_vm *pvm);
int paging_vm_run_vcpu(struct paging_vm *pvm);
int paging_vm_check_steps(struct paging_vm *pvm, uint32_t nr, bool alive);
/* A GSTEP_SYNC step's ucall: the test's callback acts while the vCPU waits. */
void paging_vm_serve_sync(struct paging_vm *pvm, const struct ucall *uc);

#endif /* SELFTEST_KVM_GUEST_PAGING_INT_H */
