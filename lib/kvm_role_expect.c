// SPDX-License-Identifier: GPL-2.0
/*
 * Expected shadow page roles, checked against the kvmmmu model: see
 * include/kvm_role_expect.h.
 */
#include <string.h>

#include "kselftest.h"

#include "kvm_role_expect.h"

static bool expect_field(const struct kvm_mmu_config *cfg, const char *what, const char *field,
			 int seen, int expected)
{
	if (seen == expected)
		return true;
	ksft_print_msg("%s: role.%s is %d, expected %d (configuration %s)\n", what, field,
		       seen, expected, kvm_mmu_config_name(cfg));
	return false;
}

bool kvm_role_expect_plain(const struct kvm_mmu_config *cfg, const struct kvm_role_layout *l,
			   const char *what, uint32_t word, int level, int direct, int access,
			   int cr0_wp)
{
	struct kvm_mmu_role r;
	char buf[128];
	bool ok = true;

	kvm_role_decode(l, word, &r);
	ksft_print_msg("%s: role 0x%08x = %s\n", what, word, kvm_role_format(&r, buf, sizeof(buf)));
	ok &= expect_field(cfg, what, "level", r.level, level);
	ok &= expect_field(cfg, what, "has_4_byte_gpte", r.has_4_byte_gpte, 0);
	ok &= expect_field(cfg, what, "quadrant", r.quadrant, 0);
	ok &= expect_field(cfg, what, "direct", r.direct, direct);
	ok &= expect_field(cfg, what, "access (as rights r1 w2 u4 x8)", r.rights, access);
	ok &= expect_field(cfg, what, "invalid", r.invalid, 0);
	ok &= expect_field(cfg, what, "efer_nx", r.efer_nx, 1);
	ok &= expect_field(cfg, what, "cr0_wp", r.cr0_wp, cr0_wp);
	if (r.smep_andnot_wp != KVM_ROLE_ABSENT)
		ok &= expect_field(cfg, what, "smep_andnot_wp", r.smep_andnot_wp, 0);
	/* CR4.SMEP (0 in this guest); TDP: GMET/MBEC in use (kvm_calc_tdp_mmu_root_page_role()). */
	if (r.cr4_smep != KVM_ROLE_ABSENT)
		ok &= expect_field(cfg, what, "cr4_smep", r.cr4_smep,
				   direct ? kvm_mmu_config_tdp_smep(cfg) : 0);
	if (r.is_mirror != KVM_ROLE_ABSENT)
		ok &= expect_field(cfg, what, "is_mirror", r.is_mirror, 0);
	ok &= expect_field(cfg, what, "smap_andnot_wp", r.smap_andnot_wp, 0);
	/*
	 * Shadow paging: kvm_calc_cpu_role() leaves it 0.  TDP: set when the
	 * SPTEs have no A/D bits (kvm_calc_tdp_mmu_root_page_role(): role.ad_disabled
	 * = !kvm_ad_enabled(), mmu.c, 6.12 and 7.3).
	 */
	ok &= expect_field(cfg, what, "ad_disabled", r.ad_disabled, !cfg->ad_bits);
	ok &= expect_field(cfg, what, "guest_mode", r.guest_mode, 0);
	if (r.passthrough != KVM_ROLE_ABSENT)
		ok &= expect_field(cfg, what, "passthrough", r.passthrough, 0);
	ok &= expect_field(cfg, what, "smm", r.smm, 0);
	return ok;
}

#define CREATED_NOT_ONCE_FMT						\
	"%s: %zu level-%d shadow pages of gfn 0x%lx created in phase %s, expected exactly 1\n"

bool kvm_mmu_model_created_once(const struct kvm_mmu_model *m, int phase, uint64_t gfn,
				int level, const char *what, uint32_t *role)
{
	size_t i, n = 0;

	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		if (e->phase != phase || e->type != KVM_MMU_GET_PAGE || !e->created ||
		    e->gfn != gfn || kvm_role_get(&m->layout, e->role, "level") != level)
			continue;
		*role = e->role;
		n++;
	}
	if (n != 1)
		ksft_print_msg(CREATED_NOT_ONCE_FMT, what, n, level, gfn,
			       phase >= 0 && phase < m->nr_phases ? m->phase_names[phase] : "?");
	return n == 1;
}
