/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a shadow page's role must be, checked field by field, and the page
 * of a phase that a role is read from: for tests that hold the kvmmmu
 * model (include/kvm_trace_model.h) against what KVM's MMU code makes
 * certain.  Each check prints what differs, with the configuration.
 */
#ifndef SELFTEST_KVM_ROLE_EXPECT_H
#define SELFTEST_KVM_ROLE_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_mmu_config.h"
#include "kvm_trace_model.h"

/*
 * Whether @word is the role of a shadow page of a 64-bit, non-nested,
 * non-SMM guest with CR4.SMEP and CR4.SMAP clear: @level, 8-byte gptes,
 * no quadrant, @direct, @access (as rights r1 w2 u4 x8), valid, efer_nx
 * (forced on for shadow paging by kvm_init_shadow_mmu(), and for TDP by
 * kvm_calc_tdp_mmu_root_page_role()), @cr0_wp, no *_andnot_wp, cr4_smep
 * only for @direct pages under kvm_mmu_config_tdp_smep(), no mirror, A/D
 * bits on (shadow paging, or NPT), not guest mode, not passthrough, not
 * SMM.  @direct pages are TDP pages (kvm_calc_tdp_mmu_root_page_role():
 * cr0_wp and efer_nx forced on, access ACC_ALL).  Fields the running
 * kernel's layout lacks are not checked.  Prints the decoded role under
 * @what.
 */
bool kvm_role_expect_plain(const struct kvm_mmu_config *cfg, const struct kvm_role_layout *l,
			   const char *what, uint32_t word, int level, int direct, int access,
			   int cr0_wp);

/*
 * The one page created in @phase for (@gfn, @level): its role word in
 * *@role; false, with the count printed under @what, if there is not
 * exactly one.
 */
bool kvm_mmu_model_created_once(const struct kvm_mmu_model *m, int phase, uint64_t gfn,
				int level, const char *what, uint32_t *role);

#endif /* SELFTEST_KVM_ROLE_EXPECT_H */
