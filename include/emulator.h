/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What runs the kernel under test, and where that emulator differs from
 * the hardware it emulates: the one place that decides it, from what the
 * VM runner says it booted (SMMU_EMULATOR and SMMU_ACCEL, set by
 * vm/guest/run-tests; vm/vmtest's configuration table, and for QEMU the
 * build it ran, scripts/lib.sh QEMU_TABLE: "qemu", "qemu-10.0" or
 * "qemu-patched", the last without the PDPTE and RSVD defects).  Each difference
 * is a defect of the emulator documented in docs/defects/ and named in
 * lib/known_defects.c; a test asks for the difference, never for an
 * emulator or a KVM setting that happens to go with it.
 *
 * SMMU_EMULATOR_GAPS=1 in the environment makes every answer "as the
 * hardware", to run the affected cases on an emulator with a fix.
 */
#ifndef SELFTEST_KVM_EMULATOR_H
#define SELFTEST_KVM_EMULATOR_H

#include <stdbool.h>

enum emulator {
	EMULATOR_NONE,		/* hardware: QEMU with KVM, or not in the runner */
	EMULATOR_QEMU_TCG,	/* QEMU's TCG: AMD SVM with NPT */
	/*
	 * Bochs: Intel VMX with EPT, or AMD SVM with NPT; SMMU_EMULATOR bochs
	 * (Debian's), bochs-patched or bochs-pristine (scripts/build-bochs)
	 */
	EMULATOR_BOCHS,
};

enum emulator emulator(void);
const char *emulator_name(void);

/*
 * QEMU TCG's page walker sets bit 5 (A), reserved in PAE PDPTEs, in the
 * PDPTEs of a PAE guest whose tables it walks, i.e. under nested paging
 * (@npt: KVM runs the guest with NPT; with shadow paging the CPU walks
 * KVM's PAE root instead): DEFECT_QEMU_TCG_PAE_PDPTE_ACCESSED_BIT and
 * DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS.
 */
bool emulator_sets_pdpte_bit5(bool npt);

/*
 * QEMU TCG does not check the reserved bits of a PAE PDPTE it uses under
 * nested paging, and its RSVD #PF lacks P
 * (DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS).
 */
bool emulator_skips_pdpte_reserved_bits(void);

/*
 * Bochs 3.0's defects (DEFECT_BOCHS_*, docs/defects/bochs-*.md) need no
 * question here.  vm/bochs keeps the CPU features two of them break (PKU,
 * LA57) out of every Bochs (the patches do not yet cover what the crashes
 * hid); tlb_shootdown_test's spin-waits use PAUSE; and the two that make
 * AMD's #PF results Bochs's (a stale CR2, a stale EXITINTINFO) leave no
 * evidence a test could check case by case, so the bochs-amd-*
 * configurations are to be read on SMMU_EMULATOR=bochs-patched
 * (scripts/build-bochs), and vm/vmtest says so when they run on another
 * Bochs.
 */

/*
 * QEMU TCG reports a reserved-bit #PF of its own page walk with RSVD but
 * without P (SDM 4.7: RSVD implies P); its walk is the one a guest's
 * faults come from under nested paging (@npt), while with shadow paging
 * KVM's walker makes them (DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS).
 */
bool emulator_rsvd_pf_without_p(bool npt);

/*
 * Bochs's EPT violation for a guest paging-structure access with EPT A/D
 * enabled (EPTP bit 6) reports a write without a read: exit
 * qualification bit 1 set, bit 0 clear, where the SDM sets both (vol. 3C
 * Table 29-7, footnote; 28-7 in older editions).  KVM takes the access
 * bits of its nested EPT violation from that hardware exit
 * (__vmx_handle_ept_violation()), so the one L1 gets lacks bit 0 too
 * (DEFECT_BOCHS_EPT_AD_WALK_READ_BIT).
 */
bool emulator_ept_ad_walk_violation_without_read(void);

/*
 * QEMU TCG's MOV to CR0 takes bits 31:0 and raises no #GP for a bit of
 * 63:32 (cpu_x86_update_cr0() takes a uint32_t), nor the selective CR0
 * write intercept (helper_write_crN()'s mask is 32 bits wide).  With
 * nested paging KVM relies on that intercept (svm_set_cr0() clears the
 * plain CR0 write one), so such a write never reaches KVM
 * (DEFECT_QEMU_TCG_CR0_UPPER_BITS).
 */
bool emulator_drops_cr0_upper_bits(bool npt);

/*
 * QEMU TCG's #VMEXIT loads the host's CR0 before its CR4, so after a guest
 * with EFER.LME=1, CR0.PG=0 and CR4.PAE=0 the host is left on the guest's
 * CR0 (paging off) and the kernel under test hangs.  KVM puts the guest's
 * LME in the VMCB while paging is off only with nested paging (@npt):
 * svm_set_efer() (DEFECT_QEMU_TCG_SVM_VMEXIT_HOST_CR0).
 */
bool emulator_vmexit_keeps_guest_cr0(bool npt);

#endif /* SELFTEST_KVM_EMULATOR_H */
