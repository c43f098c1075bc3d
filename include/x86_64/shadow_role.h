/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The role KVM gives its shadow pages under a guest context, in the bits
 * that kvm_sync_page_check() (arch/x86/kvm/mmu/mmu.c) must never let
 * differ between an unsync page and the root it is synced under: what
 * sync_role_test and sync_role_2level_test check the kvmmmu events of
 * every sync against.
 */
#ifndef SELFTEST_KVM_SHADOW_ROLE_H
#define SELFTEST_KVM_SHADOW_ROLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm_trace_model.h"
#include "paging_geometry.h"

/* The guest's control bits that make the MMU role (TDP off). */
struct role_ctx {
	bool pg, wp, smep, smap, nxe;
};

/* A role field and its value. */
struct role_want {
	const char *field;
	int val;
};

#define SHADOW_ROLE_MAX_WANTS	16

/*
 * The fields of the role of a shadow page made under @c in @mode, as
 * kvm_calc_cpu_role() and kvm_init_shadow_mmu() compute them, into @w
 * (SHADOW_ROLE_MAX_WANTS at most).  Returns how many.
 */
int shadow_role_wants(enum guest_paging_mode mode, const struct role_ctx *c,
		      struct role_want *w);

/* Whether @role has every field of @w that the kernel's layout has. */
bool shadow_role_matches(const struct kvm_mmu_model *m, uint32_t role,
			 const struct role_want *w, int n);

#endif /* SELFTEST_KVM_SHADOW_ROLE_H */
