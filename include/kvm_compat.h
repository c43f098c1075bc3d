/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shims that let the suite build against every supported KVM
 * selftests tree (6.1 .. 7.3).  The suite is written against the newest
 * tree's API (7.3: gva_t/gpa_t, vm_alloc*(), misc_ctl, set_cr0()); on an
 * older tree this file maps those names onto the old ones.  suite.mk
 * probes the tree for each feature (not its version: distributions
 * backport selftests changes) and sets the KVM_COMPAT_* switches; keep
 * every difference between trees in this one file.
 */
#ifndef SELFTEST_KVM_COMPAT_H
#define SELFTEST_KVM_COMPAT_H

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "test_util.h"
#include "vmx.h"

#ifdef KVM_COMPAT_NO_TEST_ASSERT_EQ		/* added after 6.1 */
#define TEST_ASSERT_EQ(a, b)						\
	TEST_ASSERT((a) == (b), "%s == %s: 0x%lx != 0x%lx",		\
		    #a, #b, (unsigned long)(a), (unsigned long)(b))
#endif

#ifdef KVM_COMPAT_NO_TEST_ASSERT_KVM_EXIT_REASON	/* added after 6.1 */
#define TEST_ASSERT_KVM_EXIT_REASON(vcpu, expected)			\
	TEST_ASSERT((vcpu)->run->exit_reason == (expected),		\
		    "Wanted KVM exit reason: %u (%s), got: %u (%s)",	\
		    (expected), exit_reason_str(expected),		\
		    (vcpu)->run->exit_reason,				\
		    exit_reason_str((vcpu)->run->exit_reason))
#endif

#ifndef ____GUEST_ASSERT	/* 6.1: __GUEST_ASSERT(cond, condstr, nargs, ...) */
#define ____GUEST_ASSERT(_condition, _exp, ...)	__GUEST_ASSERT(_condition, _exp, 0)
#endif

/* 6.1's tools/include/linux/compiler-gcc.h has it with two underscores. */
#ifndef fallthrough
#define fallthrough	__fallthrough
#endif

#ifdef KVM_COMPAT_VM_VADDR_T		/* gva_t and gpa_t since 7.1 */
typedef vm_vaddr_t gva_t;
typedef vm_paddr_t gpa_t;
#endif

#ifdef KVM_COMPAT_VM_VADDR_ALLOC	/* vm_alloc*() since 7.1 */
#define vm_alloc(vm, sz, min)	vm_vaddr_alloc(vm, sz, min)
#define vm_alloc_page(vm)	vm_vaddr_alloc_page(vm)
#define vm_alloc_pages(vm, n)	vm_vaddr_alloc_pages(vm, n)
#endif

/* The guest's own page tables: vm->mmu since 7.0. */
#ifdef KVM_COMPAT_VM_PGD
#define vm_mmu_pgd(vm)		((vm)->pgd)
#define vm_mmu_levels(vm)	((vm)->pgtable_levels)
#else
#define vm_mmu_pgd(vm)		((vm)->mmu.pgd)
#define vm_mmu_levels(vm)	((vm)->mmu.pgtable_levels)
#endif

#ifdef KVM_COMPAT_NESTED_CTL		/* misc_ctl since 7.1 */
#define misc_ctl		nested_ctl
#define SVM_MISC_ENABLE_NP	SVM_NESTED_CTL_NP_ENABLE
#endif

#ifdef KVM_COMPAT_SVM_SETUP_RSP		/* L2's stack left to the caller before 7.2 */
#define generic_svm_setup(svm, rip)	generic_svm_setup(svm, rip, NULL)
#endif

#ifdef KVM_COMPAT_VMX_SETUP_RSP		/* L2's stack left to the caller before 7.x */
#define prepare_vmcs(vmx, rip)		prepare_vmcs(vmx, rip, NULL)
#endif

/*
 * L1's EPT, built by upstream's library.  7.x has a nested TDP library:
 * vm_enable_ept() before vcpu_alloc_vmx(), which takes the EPT root from
 * vm->stage2_mmu, then tdp_map() and tdp_identity_map_default_memslots()
 * (lib/x86/processor.c, lib/x86/vmx.c).  Before it (6.1, 6.12) the root
 * lives in struct vmx_pages: prepare_eptp(), nested_map(),
 * nested_map_memslot() (lib/x86_64/vmx.c).  The suite calls 7.x's names;
 * here they take the vmx_pages of the last vcpu_alloc_vmx() after
 * vm_enable_ept(), so one EPT per process (each case forks its own VM).
 */
#ifdef KVM_COMPAT_NO_CPU_HAS_EPT		/* kvm_vm_has_ept(vm) in 6.1 */
/* EPT among the secondary controls KVM lets L1 set (SDM vol. 3D A.3.3). */
static inline bool kvm_cpu_has_ept(void)
{
	uint64_t ctls = kvm_get_feature_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);

	return (ctls >> 32 & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       (kvm_get_feature_msr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32 &
		SECONDARY_EXEC_ENABLE_EPT);
}
#endif

#ifdef KVM_COMPAT_NO_TDP_MAP
static struct vmx_pages *kvm_compat_ept_vmx;
static bool kvm_compat_ept_on;

static inline void kvm_compat_vm_enable_ept(struct kvm_vm *vm)
{
	kvm_compat_ept_on = true;
	kvm_compat_ept_vmx = NULL;
}

static inline struct vmx_pages *kvm_compat_vcpu_alloc_vmx(struct kvm_vm *vm, gva_t *gva)
{
	struct vmx_pages *vmx = vcpu_alloc_vmx(vm, gva);

	if (kvm_compat_ept_on) {
		prepare_eptp(vmx, vm, 0);
		kvm_compat_ept_vmx = vmx;
		kvm_compat_ept_on = false;
	}
	return vmx;
}

static inline struct vmx_pages *kvm_compat_ept(void)
{
	TEST_ASSERT(kvm_compat_ept_vmx, "no EPT: vm_enable_ept() before vcpu_alloc_vmx()");
	return kvm_compat_ept_vmx;
}

#define vm_enable_ept(vm)	kvm_compat_vm_enable_ept(vm)
#define vcpu_alloc_vmx(vm, gva)	kvm_compat_vcpu_alloc_vmx(vm, gva)
#define tdp_map(vm, l2_gpa, gpa, size)	nested_map(kvm_compat_ept(), vm, l2_gpa, gpa, size)
#define tdp_identity_map_default_memslots(vm)	nested_map_memslot(kvm_compat_ept(), vm, 0)
#endif

/*
 * tdp_map() with leaves of another level (PG_LEVEL_2M: 2 MiB): __tdp_map()
 * on 7.x, __nested_map() before, each defined in the tree's library
 * (lib/x86/processor.c, lib/x86_64/vmx.c) but declared in none of its
 * headers; the prototypes are the definitions'.
 */
#ifdef KVM_COMPAT_NO_TDP_MAP
void __nested_map(struct vmx_pages *vmx, struct kvm_vm *vm, uint64_t nested_paddr,
		  uint64_t paddr, uint64_t size, int level);
#define __tdp_map(vm, l2_gpa, gpa, size, level)	\
	__nested_map(kvm_compat_ept(), vm, l2_gpa, gpa, size, level)
#else
void __tdp_map(struct kvm_vm *vm, gpa_t l2_gpa, gpa_t gpa, u64 size, int level);
#endif

/*
 * The VMCB's EXITCODE, all 64 bits (AMD APM vol. 2, Appendix B, Table
 * B-1: offset 70h).  The trees' struct vmcb_control_area has one u64
 * exit_code since 7.x, u32 exit_code and exit_code_hi before, so a bare
 * exit_code is 0xffffffff for VMEXIT_INVALID (-1, SVM_EXIT_ERR) on one
 * tree and -1 on the other; KVM writes all 64 bits on both
 * (nested_svm_vmrun(), and 7.x nested_svm_copy_vmcb12_to_cache(),
 * svm/nested.c).
 */
static inline uint64_t vmcb_exit_code(const struct vmcb_control_area *ctl)
{
#ifdef KVM_COMPAT_VMCB_EXIT_CODE_HI
	return ctl->exit_code | (uint64_t)ctl->exit_code_hi << 32;
#else
	return ctl->exit_code;
#endif
}

#ifdef KVM_COMPAT_NO_WRPKRU		/* in processor.h since 6.x, not 6.1's */
static inline void wrpkru(uint32_t pkru)
{
	__asm__ __volatile__("wrpkru" : : "a" (pkru), "c" (0), "d" (0));
}
#endif

#ifdef KVM_COMPAT_NO_PFERR		/* #PF error-code bits: in 6.12's processor.h, not 6.1's */
#define PFERR_PRESENT_MASK	BIT(0)
#define PFERR_WRITE_MASK	BIT(1)
#define PFERR_USER_MASK		BIT(2)
#define PFERR_RSVD_MASK		BIT(3)
#define PFERR_FETCH_MASK	BIT(4)
#define PFERR_PK_MASK		BIT(5)
#define PFERR_GUEST_FINAL_MASK	BIT_ULL(32)
#define PFERR_GUEST_PAGE_MASK	BIT_ULL(33)
#endif

#ifdef KVM_COMPAT_NO_VM_SHAPE		/* struct vm_shape since 6.8; before, a mode */
#define VM_SHAPE_DEFAULT	VM_MODE_DEFAULT
#endif

#ifdef KVM_COMPAT_NO_FEP		/* in processor.h since 6.x, not 6.1's */
static inline bool kvm_is_forced_emulation_enabled(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/force_emulation_prefix", "r");
	int fep = 0;

	if (f) {
		if (fscanf(f, "%d", &fep) != 1)
			fep = 0;
		fclose(f);
	}
	return fep;
}
#endif

#ifndef KVM_X86_QUIRK_SLOT_ZAP_ALL	/* uapi since 6.12, not in 6.1's headers */
#define KVM_X86_QUIRK_SLOT_ZAP_ALL	BIT(7)
#endif

#ifdef KVM_COMPAT_NO_SET_CR0		/* set_cr0() and set_cr3() since 7.x */
static inline void set_cr0(uint64_t val)
{
	__asm__ __volatile__("mov %0, %%cr0" : : "r" (val) : "memory");
}

static inline void set_cr3(uint64_t val)
{
	__asm__ __volatile__("mov %0, %%cr3" : : "r" (val) : "memory");
}
#endif

/*
 * A binary stat of the VM by its name, on every tree.  Upstream's
 * vm_get_stat() took the name as a string until 6.13 and stringifies its
 * argument since: a call written for one compiles on the other and looks
 * up the wrong name at run time.  So the suite never calls it (poisoned
 * below: a use is a build error), only this.
 */
static inline uint64_t vm_stat_by_name(struct kvm_vm *vm, const char *name)
{
	uint64_t data;

#ifdef KVM_COMPAT_VM_GET_STAT_STRING
	__vm_get_stat(vm, name, &data, 1);
#else
	kvm_get_stat(&vm->stats, name, &data, 1);
#endif
	return data;
}

#undef vm_get_stat
#undef vcpu_get_stat
#pragma GCC poison vm_get_stat vcpu_get_stat

#endif /* SELFTEST_KVM_COMPAT_H */
