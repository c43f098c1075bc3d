# SPDX-License-Identifier: GPL-2.0
#
# The KVM_COMPAT_* switches of include/kvm_compat.h for the selftests
# tree at $(KVM_SELFTESTS), in COMPAT_FLAGS.  Included by suite.mk and
# tests/Makefile, and by scripts/export-series, which resolves them for
# the tree it exports to; "make -f compat.mk compat-flags" prints them.

# Compatibility switches, probed in the tree rather than by version number
# because distributions backport selftests changes.  See include/kvm_compat.h.
kvm_has = $(shell grep -rqs -- '$(1)' $(KVM_SELFTESTS)/include && echo 1)
COMPAT_FLAGS :=
COMPAT_FLAGS += $(if $(call kvm_has,define TEST_ASSERT_EQ),,-DKVM_COMPAT_NO_TEST_ASSERT_EQ)
COMPAT_FLAGS += $(if $(call kvm_has,define TEST_ASSERT_KVM_EXIT_REASON),,-DKVM_COMPAT_NO_TEST_ASSERT_KVM_EXIT_REASON)
COMPAT_FLAGS += $(if $(call kvm_has,typedef [a-z0-9_]* gva_t;),,-DKVM_COMPAT_VM_VADDR_T)
COMPAT_FLAGS += $(if $(call kvm_has,gva_t vm_alloc_page),,-DKVM_COMPAT_VM_VADDR_ALLOC)
COMPAT_FLAGS += $(if $(call kvm_has,struct kvm_mmu mmu),,-DKVM_COMPAT_VM_PGD)
COMPAT_FLAGS += $(if $(call kvm_has,SVM_MISC_ENABLE_NP),,-DKVM_COMPAT_NESTED_CTL)
COMPAT_FLAGS += $(if $(call kvm_has,void \*guest_rsp),-DKVM_COMPAT_SVM_SETUP_RSP)
COMPAT_FLAGS += $(if $(call kvm_has,void set_cr0),,-DKVM_COMPAT_NO_SET_CR0)
COMPAT_FLAGS += $(if $(call kvm_has,define PFERR_PRESENT_MASK),,-DKVM_COMPAT_NO_PFERR)
COMPAT_FLAGS += $(if $(call kvm_has,void __vm_get_stat),-DKVM_COMPAT_VM_GET_STAT_STRING)
COMPAT_FLAGS += $(if $(call kvm_has,u32 exit_code_hi;),-DKVM_COMPAT_VMCB_EXIT_CODE_HI)
COMPAT_FLAGS += $(if $(call kvm_has,void tdp_map),,-DKVM_COMPAT_NO_TDP_MAP)
COMPAT_FLAGS += $(if $(call kvm_has,bool kvm_cpu_has_ept),,-DKVM_COMPAT_NO_CPU_HAS_EPT)
COMPAT_FLAGS += $(if $(call kvm_has,void prepare_vmcs.*guest_rsp),-DKVM_COMPAT_VMX_SETUP_RSP)
COMPAT_FLAGS += $(if $(call kvm_has,void wrpkru),,-DKVM_COMPAT_NO_WRPKRU)
COMPAT_FLAGS += $(if $(call kvm_has,bool kvm_is_forced_emulation_enabled),,-DKVM_COMPAT_NO_FEP)
COMPAT_FLAGS += $(if $(call kvm_has,define VM_SHAPE_DEFAULT),,-DKVM_COMPAT_NO_VM_SHAPE)

compat-flags:
	@echo $(COMPAT_FLAGS)
