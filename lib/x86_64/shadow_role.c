// SPDX-License-Identifier: GPL-2.0
/*
 * The role KVM gives its shadow pages under a guest context: see
 * include/x86_64/shadow_role.h.
 */
#include "shadow_role.h"

int shadow_role_wants(enum guest_paging_mode mode, const struct role_ctx *c,
		      struct role_want *w)
{
	bool pae = mode != GUEST_PAGING_32BIT;
	int n = 0;

	/* kvm_calc_cpu_role() and kvm_init_shadow_mmu(), mmu.c. */
	w[n++] = (struct role_want){ "direct", !c->pg };
	w[n++] = (struct role_want){ "invalid", 0 };
	w[n++] = (struct role_want){ "guest_mode", 0 };
	w[n++] = (struct role_want){ "smm", 0 };
	w[n++] = (struct role_want){ "ad_disabled", 0 };
	if (!c->pg)
		return n;
	w[n++] = (struct role_want){ "has_4_byte_gpte", !pae };
	w[n++] = (struct role_want){ "efer_nx", 1 };	/* forced for shadow paging */
	w[n++] = (struct role_want){ "cr0_wp", c->wp };
	w[n++] = (struct role_want){ "smep_andnot_wp", c->smep && !c->wp };
	w[n++] = (struct role_want){ "cr4_smep", c->smep };	/* 7.x: in the base role */
	w[n++] = (struct role_want){ "smap_andnot_wp", c->smap && !c->wp };
	return n;
}

bool shadow_role_matches(const struct kvm_mmu_model *m, uint32_t role,
			 const struct role_want *w, int n)
{
	int i, v;

	for (i = 0; i < n; i++) {
		v = kvm_role_get(&m->layout, role, w[i].field);
		if (v != KVM_ROLE_ABSENT && v != w[i].val)
			return false;
	}
	return true;
}
