/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The defects this suite found, in one table: KVM bugs, deliberate KVM
 * deviations from the architecture, and defects of the emulators the suite
 * runs KVM on.  Each has a write-up in docs/defects/<doc>.md (what, how to
 * reproduce, root cause, status per kernel, the fix).
 *
 * A test reports a case as XFAIL only with the evidence that it failed of
 * that defect (see each test), and names it with known_defect().  A defect
 * that crashes or WARNs the kernel under test cannot be observed safely:
 * its cases are not run where the defect is known to be present
 * (known_defect_not_run()).
 */
#ifndef SELFTEST_KVM_KNOWN_DEFECTS_H
#define SELFTEST_KVM_KNOWN_DEFECTS_H

#include <stdbool.h>

enum known_defect {
	DEFECT_SHADOW_EFER_NXE_STALE_SPTES,
	DEFECT_SHADOW_CR4_PSE_STALE_SPTES,
	DEFECT_NESTED_INVLPG_PREV_ROOT_BUG,
	DEFECT_NESTED_PAE_NCR3_PDPTE_RESERVED_BITS,
	DEFECT_SVM_SHADOW_HV_FLUSH_PURGED,
	DEFECT_NESTED_EMULATED_NPF_EXITINFO2,
	DEFECT_NESTED_EMULATED_NPF_WALK_BIT,
	DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V,
	DEFECT_EMULATED_MOV_CR_UPPER_BITS,
	DEFECT_VMX_SHADOW_SMEP_PAGING_OFF,
	DEFECT_QEMU_TCG_PAE_PDPTE_ACCESSED_BIT,
	DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS,
	DEFECT_QEMU_TCG_SVM_VMEXIT_HOST_CR0,
	DEFECT_QEMU_TCG_CR0_UPPER_BITS,
	DEFECT_BOCHS_SVM_VMRUN_CR2,
	DEFECT_BOCHS_SVM_EXITINTINFO_STALE_EVENT,
	DEFECT_BOCHS_VMENTRY_INTR_MASKED,
	DEFECT_BOCHS_PKRU_SUPERVISOR_PAGES,
	DEFECT_BOCHS_CR4_LA57_STATE_LOAD,
	DEFECT_BOCHS_EPT_AD_WALK_READ_BIT,
	NR_KNOWN_DEFECTS,
};

/*
 * "KNOWN KVM BUG: <what> (docs/defects/<doc>.md)", or KNOWN KVM
 * DEVIATION or KNOWN EMULATOR DEFECT: the reason of an XFAIL.
 */
const char *known_defect(enum known_defect d);

/*
 * For a defect that crashes or WARNs the kernel under test: the reason
 * its cases are not run here ("NOT RUN, ..."), or NULL to run them.  They
 * run only with SMMU_HOST_CRASHERS=1 in the environment (e.g. on a kernel
 * with a fix) or on a kernel series where a run showed it absent.
 */
const char *known_defect_not_run(enum known_defect d);

/*
 * True when the running kernel is of a series (6.12, 7.3, ...) on which a
 * run of the suite showed @d: for evidence that a test cannot make
 * specific to the defect on its own.
 */
bool known_defect_seen_on_this_kernel(enum known_defect d);

#endif /* SELFTEST_KVM_KNOWN_DEFECTS_H */
