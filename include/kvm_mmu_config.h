/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What MMU configuration the host's KVM is running with, read from the
 * module parameters in sysfs, and whether that KVM is a standard one.
 */
#ifndef SELFTEST_KVM_MMU_CONFIG_H
#define SELFTEST_KVM_MMU_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_mmu_config {
	/* "kvm_amd", "kvm_intel", or a non-standard module such as "kvm_pvm". */
	char vendor_module[64];
	/* Only kvm_amd and kvm_intel (and nothing else named kvm_*) count. */
	bool standard;
	/* npt (kvm_amd) or ept (kvm_intel). */
	bool tdp;
	/*
	 * The TDP MMU is in use.  The kvm.tdp_mmu parameter reads back the
	 * effective value: kvm_configure_mmu() (arch/x86/kvm/mmu/mmu.c)
	 * sets tdp_mmu_enabled = tdp_mmu_allowed && tdp_enabled.
	 */
	bool tdp_mmu;
	/*
	 * The SPTEs have Accessed/Dirty bits: shadow paging's and NPT's
	 * always; EPT's per kvm_intel.eptad, which reads back 0 where the CPU
	 * lacks them (hardware_setup(), vmx.c).  Without them KVM's TDP roots
	 * have role.ad_disabled (kvm_calc_tdp_mmu_root_page_role(), mmu.c).
	 */
	bool ad_bits;
	bool nested;
	/* Paging levels of the host kernel itself: 4 or 5 (LA57). */
	int host_paging_levels;
};

void kvm_mmu_config_read(struct kvm_mmu_config *cfg);
void kvm_mmu_config_print(const struct kvm_mmu_config *cfg);
const char *kvm_mmu_config_name(const struct kvm_mmu_config *cfg);

/*
 * The MMU of the configuration the VM runner booted for, in
 * kvm_mmu_config_name()'s terms (vm/vmtest exports it as SMMU_MMU, and
 * the configuration's own name as SMMU_CONFIG), or NULL when not run by
 * the runner.
 */
const char *kvm_mmu_config_expected(void);

/*
 * The XFAIL reason for an L2 result that QEMU's PDPTE bit 5 broke
 * (emulator_sets_pdpte_bit5()); takes the PDPTE (paging_vm_l2_pdpte_bit5()).
 */
#define KVM_MMU_PDPTE_GAP_DOC	"docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md"
#define KVM_MMU_PDPTE_GAP_L2_XFAIL						\
	"KNOWN EMULATOR DEFECT: the emulated CPU set reserved bit 5 of a PAE PDPTE "	\
	"(0x%lx: L2's, or L1's when L1 triple-faulted at #VMEXIT) and KVM refuses it "	\
	"(load_pdptrs(); " KVM_MMU_PDPTE_GAP_DOC ")"

/*
 * Skip (KSFT_SKIP) unless /dev/kvm is served by kvm_amd or kvm_intel:
 * results from any other vendor module prove nothing about KVM's MMU.
 */
void kvm_mmu_config_require_standard(const struct kvm_mmu_config *cfg);

/*
 * The start of every test: the TAP header, @cfg read and printed, and a
 * skip unless the vendor module is a standard one (above).
 */
void kvm_mmu_test_start(struct kvm_mmu_config *cfg);

/* Skip (KSFT_SKIP), with the reason, unless L1 guests get nested SVM. */
void kvm_mmu_config_require_nested_svm(const struct kvm_mmu_config *cfg);

/* Skip (KSFT_SKIP), with the reason, unless L1 guests get nested VMX. */
void kvm_mmu_config_require_nested_vmx(const struct kvm_mmu_config *cfg);

/*
 * Skip (KSFT_SKIP), with the reason, unless L1 guests get nested VMX with
 * EPT (nested_vmx_setup_ctls_msrs() offers nested EPT only with EPT in L0).
 */
void kvm_mmu_config_require_nested_vmx_ept(const struct kvm_mmu_config *cfg);

/*
 * The start of a nested EPT test: kvm_mmu_test_start(), the skip of
 * kvm_mmu_config_require_nested_vmx_ept(), and KVM's
 * IA32_VMX_EPT_VPID_CAP for L1 (SDM Appendix A.10), printed and returned.
 */
uint64_t kvm_mmu_nested_ept_test_start(struct kvm_mmu_config *cfg);

/*
 * Whether the TDP root role has cr4_smep set: kvm_amd's gmet or
 * kvm_intel's mbec parameter (7.x; absent: no).
 */
bool kvm_mmu_config_tdp_smep(const struct kvm_mmu_config *cfg);

/*
 * The TAP result "<@name>_<configuration>": a skip with @skip as the
 * reason when @skip is not NULL, else a pass iff @ok (evaluated first).
 * A macro: kselftest.h keeps its counters per source file, and the
 * result must count where the program's plan and ksft_finished() are.
 */
#define kvm_mmu_report(cfg, ok, skip, name)					\
do {										\
	bool __kvm_mmu_ok = (ok);						\
	const char *__kvm_mmu_skip = (skip);					\
	const char *__kvm_mmu_name = (name);					\
	const char *__kvm_mmu_cfg = kvm_mmu_config_name(cfg);			\
										\
	if (__kvm_mmu_skip)							\
		ksft_test_result_skip("%s_%s: %s\n", __kvm_mmu_name,		\
				      __kvm_mmu_cfg, __kvm_mmu_skip);		\
	else									\
		ksft_test_result(__kvm_mmu_ok, "%s_%s\n", __kvm_mmu_name,	\
				 __kvm_mmu_cfg);				\
} while (0)

/* Parse a sysfs module parameter value: "Y"/"N" or an integer. */
int kvm_param_parse_bool(const char *text, bool *val);

#endif /* SELFTEST_KVM_MMU_CONFIG_H */
