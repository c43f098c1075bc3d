/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What MMU configuration the host's KVM is running with, read from the
 * module parameters in sysfs, and whether that KVM is a standard one.
 */
#ifndef SELFTEST_KVM_MMU_CONFIG_H
#define SELFTEST_KVM_MMU_CONFIG_H

#include <stdbool.h>

struct kvm_mmu_config {
	/* "kvm_amd", "kvm_intel", or a non-standard module such as "kvm_pvm". */
	char vendor_module[64];
	/* Only kvm_amd and kvm_intel (and nothing else named kvm_*) count. */
	bool standard;
	/* npt (kvm_amd) or ept (kvm_intel). */
	bool tdp;
	/* kvm.tdp_mmu, and whether it is in effect (it needs tdp). */
	bool tdp_mmu_allowed;
	bool tdp_mmu;
	bool nested;
	/* Paging levels of the host kernel itself: 4 or 5 (LA57). */
	int host_paging_levels;
};

void kvm_mmu_config_read(struct kvm_mmu_config *cfg);
void kvm_mmu_config_print(const struct kvm_mmu_config *cfg);
const char *kvm_mmu_config_name(const struct kvm_mmu_config *cfg);

/*
 * Skip (KSFT_SKIP) unless /dev/kvm is served by kvm_amd or kvm_intel:
 * results from any other vendor module prove nothing about KVM's MMU.
 */
void kvm_mmu_config_require_standard(const struct kvm_mmu_config *cfg);

/* Parse a sysfs module parameter value: "Y"/"N" or an integer. */
int kvm_param_parse_bool(const char *text, bool *val);

#endif /* SELFTEST_KVM_MMU_CONFIG_H */
