// SPDX-License-Identifier: GPL-2.0
/*
 * The host's KVM MMU configuration, as the module parameters in
 * /sys/module show it.  Unlike get_kvm_param_bool(), a missing parameter
 * is not a skip here: it is part of what is being described.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"

static bool module_loaded(const char *module)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", module);
	return access(path, F_OK) == 0;
}

/* Returns false when the parameter does not exist or cannot be parsed. */
static bool read_module_param_bool(const char *module, const char *param)
{
	char path[128], text[32] = "";
	bool val = false;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module, param);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(text, sizeof(text), f) || kvm_param_parse_bool(text, &val))
		val = false;
	fclose(f);
	return val;
}

/*
 * The vendor module is whichever kvm_* module other than kvm itself is
 * loaded.  kvm_amd and kvm_intel are the standard ones; any other (e.g.
 * kvm_pvm) is reported by name so that its results are never trusted.
 */
static void find_vendor_module(struct kvm_mmu_config *cfg)
{
	bool other = false;
	struct dirent *de;
	DIR *dir;

	memcpy(cfg->vendor_module, "none", sizeof("none"));
	if (module_loaded("kvm_amd"))
		memcpy(cfg->vendor_module, "kvm_amd", sizeof("kvm_amd"));
	else if (module_loaded("kvm_intel"))
		memcpy(cfg->vendor_module, "kvm_intel", sizeof("kvm_intel"));

	dir = opendir("/sys/module");
	TEST_ASSERT(dir, "opendir(/sys/module): %s", strerror(errno));
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "kvm_", 4) ||
		    !strcmp(de->d_name, "kvm_amd") || !strcmp(de->d_name, "kvm_intel"))
			continue;
		snprintf(cfg->vendor_module, sizeof(cfg->vendor_module), "%.63s", de->d_name);
		other = true;
		break;
	}
	closedir(dir);

	cfg->standard = !other && strcmp(cfg->vendor_module, "none");
}

/*
 * Linux maps user memory above 47 bits only when it runs with 5-level
 * paging (and only on request, through a hint address above 47 bits).
 */
static int host_paging_levels(void)
{
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int levels;

	TEST_ASSERT(p != MAP_FAILED, "mmap: %s", strerror(errno));
	levels = (unsigned long)p >= (1UL << 47) ? 5 : 4;
	munmap(p, 4096);
	return levels;
}

void kvm_mmu_config_read(struct kvm_mmu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	find_vendor_module(cfg);

	if (!strcmp(cfg->vendor_module, "kvm_amd")) {
		cfg->tdp = read_module_param_bool("kvm_amd", "npt");
		cfg->nested = read_module_param_bool("kvm_amd", "nested");
		cfg->ad_bits = true;
	} else if (!strcmp(cfg->vendor_module, "kvm_intel")) {
		cfg->tdp = read_module_param_bool("kvm_intel", "ept");
		cfg->nested = read_module_param_bool("kvm_intel", "nested");
		cfg->ad_bits = !cfg->tdp || read_module_param_bool("kvm_intel", "eptad");
	}
	cfg->tdp_mmu = read_module_param_bool("kvm", "tdp_mmu");
	cfg->host_paging_levels = host_paging_levels();
}

/*
 * The runner's MMU names (scripts/lib.sh CONFIG_TABLE): shadow, tdp,
 * tdp-legacy, tdp-5level, tdp-noad.
 */
const char *kvm_mmu_config_name(const struct kvm_mmu_config *cfg)
{
	if (!cfg->tdp)
		return "shadow";
	if (!cfg->tdp_mmu)
		return "tdp-legacy";
	if (!cfg->ad_bits)
		return "tdp-noad";
	return cfg->host_paging_levels == 5 ? "tdp-5level" : "tdp";
}

const char *kvm_mmu_config_expected(void)
{
	/* SMMU_CONFIG alone: a runner from before configurations had an emulator. */
	return getenv("SMMU_MMU") ?: getenv("SMMU_CONFIG");
}

#define NO_NESTED_SVM_FMT							\
	"nested SVM is not available to L1 (kvm_amd nested=%d, SVM in KVM's CPUID: %d)\n"

void kvm_mmu_config_require_nested_svm(const struct kvm_mmu_config *cfg)
{
	if (strcmp(cfg->vendor_module, "kvm_amd"))
		ksft_exit_skip("nested SVM is AMD's and KVM here is %s (%s)\n", cfg->vendor_module,
			       "this test's L1 is an SVM hypervisor; its VMX counterpart is nested EPT");
	if (!cfg->nested || !kvm_cpu_has(X86_FEATURE_SVM))
		ksft_exit_skip(NO_NESTED_SVM_FMT, cfg->nested, kvm_cpu_has(X86_FEATURE_SVM));
}

void kvm_mmu_config_require_nested_vmx(const struct kvm_mmu_config *cfg)
{
	if (strcmp(cfg->vendor_module, "kvm_intel"))
		ksft_exit_skip("nested VMX is Intel's and KVM here is %s %s\n", cfg->vendor_module,
			       "(this test's L1 is a VMX hypervisor; its SVM counterpart: the nested_npt_*_test programs)");
	if (!cfg->nested || !kvm_cpu_has(X86_FEATURE_VMX))
		ksft_exit_skip("nested VMX is not available to L1 %s=%d, %s: %d)\n",
			       "(kvm_intel nested", cfg->nested, "VMX in KVM's CPUID",
			       kvm_cpu_has(X86_FEATURE_VMX));
}

void kvm_mmu_config_require_nested_vmx_ept(const struct kvm_mmu_config *cfg)
{
	kvm_mmu_config_require_nested_vmx(cfg);
	if (!kvm_cpu_has_ept())
		ksft_exit_skip("KVM offers L1 no EPT (kvm_intel ept=%d): %s\n", cfg->tdp,
			       "nested EPT needs EPT in L0 (nested_vmx_setup_ctls_msrs())");
}

bool kvm_mmu_config_tdp_smep(const struct kvm_mmu_config *cfg)
{
	return read_module_param_bool(cfg->vendor_module,
				      strcmp(cfg->vendor_module, "kvm_amd") ? "mbec" : "gmet");
}

void kvm_mmu_config_print(const struct kvm_mmu_config *cfg)
{
	ksft_print_msg("KVM vendor module: %s%s\n", cfg->vendor_module,
		       cfg->standard ? "" : " (NOT a standard KVM)");
	ksft_print_msg("TDP (%s): %s, TDP MMU: %s, A/D bits: %s, nested: %s\n",
		       strcmp(cfg->vendor_module, "kvm_intel") ? "npt" : "ept",
		       cfg->tdp ? "on" : "off", cfg->tdp_mmu ? "on" : "off",
		       cfg->ad_bits ? "on" : "off", cfg->nested ? "on" : "off");
	ksft_print_msg("host paging levels: %d; configuration: %s\n",
		       cfg->host_paging_levels, kvm_mmu_config_name(cfg));
}

void kvm_mmu_config_require_standard(const struct kvm_mmu_config *cfg)
{
	if (cfg->standard)
		return;
	ksft_exit_skip("/dev/kvm is served by '%s', not kvm_amd or kvm_intel: %s\n",
		       cfg->vendor_module,
		       "results from a non-standard KVM prove nothing; run the suite in the VM runner (make run)");
}

void kvm_mmu_test_start(struct kvm_mmu_config *cfg)
{
	ksft_print_header();
	kvm_mmu_config_read(cfg);
	kvm_mmu_config_print(cfg);
	kvm_mmu_config_require_standard(cfg);
}

uint64_t kvm_mmu_nested_ept_test_start(struct kvm_mmu_config *cfg)
{
	uint64_t caps;

	kvm_mmu_test_start(cfg);
	kvm_mmu_config_require_nested_vmx_ept(cfg);
	caps = kvm_get_feature_msr(MSR_IA32_VMX_EPT_VPID_CAP);
	ksft_print_msg("KVM's IA32_VMX_EPT_VPID_CAP for L1: 0x%lx\n", caps);
	return caps;
}
