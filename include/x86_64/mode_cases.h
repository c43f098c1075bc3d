/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The paging-mode cases that the paging_*_test programs share: one case
 * per paging mode and page size, run by the guest step engine on a plain
 * vCPU, then as L2 of a 64-bit L1 (paging_vm_create_l2(): an SVM L1, or
 * a VMX one on Intel; with nested paging where KVM offers L1 NPT or EPT,
 * and a VMX L1 there also without EPT) and as L2 of a 32-bit PAE L1 that
 * is itself the step engine (paging_vm_create_l2_pae(); only where KVM
 * offers L1 SVM and NPT).  Running "as L2", and with or without nested
 * paging, are dimensions mode_cases_main() iterates, not cases of their
 * own: a case's results are named <case><what>_<configuration>, with
 * <case> "<mode>", "<mode>_l2", "<mode>_l2_no_tdp" (the VMX L1 without
 * EPT where KVM offers EPT) or "<mode>_l2_pae_l1".
 *
 * A program says which results it reports for a case and how it gets
 * them (struct mode_case_test); mode_cases_main() does the rest: the
 * configuration, the TAP plan, the cases in every target, and, for a
 * result that failed, the XFAIL verdicts of the known emulator and KVM
 * defects that a whole case can die of (mode_case_result()).
 */
#ifndef SELFTEST_KVM_MODE_CASES_H
#define SELFTEST_KVM_MODE_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_mmu_config.h"
#include "guest_paging.h"
#include "paging_model.h"

#define VA_TABLES	0x20000000ull	/* alias of every page table */

#define TAG_A		0xa1a1a1a1u
#define TAG_B		0xb2b2b2b2u
#define TAG_C		0xc3c3c3c3u
#define TAG_D		0xd4d4d4d4u
#define RET_INSN	0xc3

/* Where the engine runs. */
enum case_guest {
	AS_GUEST,
	AS_L2,			/* of a 64-bit L1: paging_vm_create_l2() */
	AS_L2_OF_PAE_L1,	/* paging_vm_create_l2_pae() */
};

struct mode_case {
	const char *name;
	enum guest_paging_mode mode;
	int level;		/* of the case's data mappings (0: no paging) */
	enum case_guest as;
	bool l2_tdp;		/* AS_L2: L1 runs L2 with nested TDP (NPT or EPT) */
};

struct mode_case_test {
	/* TAP results of case @c (0: the program has none for it). */
	int (*nr_results)(const struct mode_case *c);
	/*
	 * Report them: each skipped with @why when that is not NULL (the
	 * target or the mode is not available), else run.
	 */
	void (*run)(const struct mode_case *c, const struct kvm_mmu_config *cfg,
		    const char *why);
	/* First check the reference model against its SDM cases. */
	bool check_model;
};

/* Every case in every target, as TAP: a program's whole main(). */
int mode_cases_main(const struct mode_case_test *t);

/*
 * The VM of a case, in its target.  As L2, L1 uses nested paging as
 * @c->l2_tdp says: with it KVM shadows L1's NPT or EPT and the CPU walks
 * L2's tables, as it walks a plain guest's under TDP; without it, with
 * TDP off in KVM, KVM shadows L2's tables as it shadows a plain guest's
 * (with TDP on, the CPU walks them).  So expectations that differ
 * between shadow paging and TDP are the same for L2.
 */
struct paging_vm *mode_case_vm_create(const struct mode_case *c);
/* Free it, keeping what mode_case_result() needs to know of its end. */
void mode_case_vm_free(struct paging_vm *pvm);
/*
 * One TAP result of case @c, "<case><what>_<configuration>", after its
 * last VM was freed: XFAIL when it failed of a known defect that its VM
 * showed the evidence of, else pass or fail.
 */
void mode_case_result(const struct mode_case *c, int bad, const char *what,
		      const char *cfg_name);

/*
 * The same result skipped with @why, or XFAIL with @why (a known defect,
 * and its evidence).  kselftest.h keeps its counts per source file: every
 * result of a program goes through this file, whose mode_cases_main()
 * checks them against the plan.
 */
void mode_case_skip(const struct mode_case *c, const char *what, const char *why);
void mode_case_xfail(const struct mode_case *c, const char *what, const char *cfg_name,
		     const char *why);

/*
 * A part of a case with one result, "<case><what>_<configuration>":
 * skipped with @why, else run; @label names its count of checks.
 */
void mode_case_part(const struct mode_case *c, const struct kvm_mmu_config *cfg,
		    const char *why, const char *what, const char *label,
		    int (*run)(const struct mode_case *c, bool tdp, int *nr_checks));

/* Tag the first and the last dword of a mapping, so both must map. */
void mode_case_fill(struct paging_vm *pvm, uint64_t gpa, uint64_t size, uint32_t tag);

/* Settings of CR0.WP, EFER.NXE, CR4.SMEP, CR4.SMAP (pkeys: NXE means PKE). */
struct setting {
	const char *name;
	bool wp, nxe, smep, smap;
};

/* R/W, U/S and XD as combination index bits 0, 1, 2 (the first @nr_bits). */
uint64_t mode_case_combo(int index, int nr_bits);

/*
 * Issue the six accesses of the access matrix at @va (supervisor and
 * user read, write, fetch), each expecting what @env predicts, and
 * (@emul) the same supervisor read and write made by OUTSB and INSB,
 * whose memory operand KVM's emulator translates with its own walk of
 * the guest's tables (mmu/paging_tmpl.h walk_addr_generic(), mmu.h
 * permission_fault()) under TDP and shadow paging alike.  Returns the
 * number of checks.
 */
int mode_case_model_accesses(struct paging_vm *pvm, struct guest_as *as,
			     const struct pm_env *env, uint64_t va, bool tdp, bool emul);

#endif /* SELFTEST_KVM_MODE_CASES_H */
