// SPDX-License-Identifier: GPL-2.0
/*
 * root_switch_role_test: role changes with roots of several address
 * spaces cached, in 2-level, PAE and 64-bit guests.
 *
 * Each address space maps VA_DATA to a page of its own and the pages below
 * to shared frames (include/x86_64/root_switch_scene.h); every one is
 * visited first, and switched among as root_switch_cr3_test does, so that
 * roots of every address space are cached when the first bit changes (the
 * mismatches of that prelude count against the first case, cr0_wp).
 * Invariants any correct KVM keeps:
 *
 * - <bit>_toggled_with_cached_roots: CR0.WP, CR4.SMEP, CR4.SMAP (each also
 *   with CR0.WP=0, where KVM's role gets smep_andnot_wp/smap_andnot_wp)
 *   and EFER.NXE toggled while roots of every address space are cached;
 *   after each toggle, on an old CR3 as on a new one, the access it governs
 *   follows the new value (SDM 4.6.1: WP; 4.6.1 and 4.6.2: SMEP, SMAP;
 *   4.6.2 and 4.4.2/4.5: XD allowed only with NXE=1, else reserved).  KVM
 *   resets the MMU context on each (kvm_post_set_cr0(),
 *   kvm_post_set_cr4(), set_efer() -> kvm_mmu_reset_context(), x86.c) and
 *   must not reuse SPTEs made for another role.  With TDP off the second
 *   round of toggles creates no shadow page: both roles' pages are found
 *   again (no rebuild storm).
 *
 * - xd_reserved_after_nxe_cleared_on_cached_roots: XD reads after NXE
 *   1 -> 0 fault with RSVD (a known KVM deviation under shadow paging:
 *   docs/defects/kvm-shadow-efer-nxe-stale-sptes.md).
 *
 * - pse_toggled_with_cached_roots (2-level): a PDE with PS=1 maps a 4 MiB
 *   page iff CR4.PSE=1; with PSE=0 the same PDE names a page table
 *   (SDM 4.3, Table 4-5).  KVM shadows the two ways with different pages
 *   (a direct one for the large page), and CR4.PSE is a role bit
 *   (KVM_MMU_CR4_ROLE_BITS, x86.h).
 *
 * Past KVM bugs of this kind: CR0.WP changes with roots cached (the 2023
 * CR0.WP series; kvm-unit-tests' check_toggle_cr0_wp), NX treated as
 * reserved in SPTEs with EFER.NX=0, CR0.WP=0 or SMEP (112022bdb5bc), and
 * shadow pages of another role reached through a cached root.  Mutants:
 * roots-root-always-usable, role-cr0-wp-always-set.  This test also found
 * a new one: docs/defects/kvm-shadow-cr4-pse-stale-sptes.md.
 *
 * Every mode runs a second time as <mode>_l2, with the step engine as L2
 * of a 64-bit L1 (paging_vm_create_l2(); with nested paging where KVM
 * offers L1 NPT): L2's role changes, which L1 does not intercept, go
 * through KVM's root cache next to L1's own root.
 *
 * The guest-visible checks run in every configuration; the shadow-page
 * counts only with TDP off and kvmmmu tracing (else they skip with the
 * reason).
 */
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "known_defects.h"
#include "emulator.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "root_switch_scene.h"

/*
 * A role bit and the access that shows it.  @check adds steps whose
 * outcome depends on whether the bit is set (@on).  @base_set/@base_clear
 * are CR0 bits held for the whole case (CR0.WP=0 for the *_andnot_wp
 * roles).
 */
struct toggle {
	const char *name;
	int reg;		/* 0: CR0, 4: CR4, 8: EFER */
	uint64_t bit;
	uint64_t base_clear;
	bool needs_nx;
	void (*check)(struct rs_scene *s, bool on);
};

/* SDM 4.6.1: a supervisor write to a read-only page faults iff CR0.WP=1. */
static void check_wp(struct rs_scene *s, bool on)
{
	gstep_store(s->pvm, RS_VA_RO + 8, 4, 1,
		    on ? EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK, RS_VA_RO + 8) :
		    EXPECT_OK());
}

/*
 * SDM 4.6.1: with SMEP, no supervisor fetch from a user page (I/D = 1 in
 * the error code, 4.7).  With CR0.WP=0 the supervisor write first gives
 * KVM a writable SPTE for the read-only user page, which it makes a
 * supervisor one (FNAME(fetch)/make_spte(), spte.c): the role's
 * smep_andnot_wp is what keeps SMEP enforced then.
 */
static void check_smep(struct rs_scene *s, bool on)
{
	if (!(s->pvm->cr0 & X86_CR0_WP))
		gstep_store(s->pvm, RS_VA_USER + 8, 4, 1, EXPECT_OK());
	gstep_exec(s->pvm, RS_VA_USER + PAGING_EXEC_OFF,
		   on ? EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK,
				  RS_VA_USER + PAGING_EXEC_OFF) : EXPECT_OK());
}

/*
 * SDM 4.6.1: with SMAP (and EFLAGS.AC=0, as in the engine), no supervisor
 * data access to a user page.  CR0.WP=0 again makes KVM's SPTE a
 * supervisor one after the write: smap_andnot_wp.
 */
static void check_smap(struct rs_scene *s, bool on)
{
	if (!(s->pvm->cr0 & X86_CR0_WP))
		gstep_store(s->pvm, RS_VA_USER + 8, 4, 1,
			    on ? EXPECT_PF(PFERR_PRESENT_MASK | PFERR_WRITE_MASK,
					   RS_VA_USER + 8) : EXPECT_OK());
	gstep_load(s->pvm, RS_VA_USER, 4,
		   on ? EXPECT_PF(PFERR_PRESENT_MASK, RS_VA_USER) : EXPECT_VALUE(RS_TAG(0x101)));
}

/*
 * SDM 4.6.2: with NXE=1, no fetch from an XD page; with NXE=0, XD=1 is a
 * reserved bit (4.4.2, 4.5.4), so the fetch faults with RSVD and without
 * I/D (4.7: I/D needs NXE or SMEP).  Reads are in check_xd_reads().
 * QEMU 7.2 TCG leaves P out of RSVD faults of its own walks, so the TDP
 * configurations ignore it there (emulator_rsvd_pf_without_p(),
 * docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md).
 */
static void check_nx(struct rs_scene *s, bool on)
{
	uint64_t va = RS_VA_XD + PAGING_EXEC_OFF;

	if (on)
		gstep_exec(s->pvm, va, EXPECT_PF(PFERR_PRESENT_MASK | PFERR_FETCH_MASK, va));
	else
		gstep_exec(s->pvm, va, EXPECT_PF_IGNORING(PFERR_PRESENT_MASK | PFERR_RSVD_MASK,
							  emulator_rsvd_pf_without_p(s->cfg->tdp) ?
							  PFERR_PRESENT_MASK : 0, va));
}

static const struct toggle toggles[] = {
	{ "cr0_wp", 0, X86_CR0_WP, 0, false, check_wp },
	{ "cr4_smep", 4, X86_CR4_SMEP, 0, false, check_smep },
	{ "cr4_smep_with_cr0_wp_clear", 4, X86_CR4_SMEP, X86_CR0_WP, false, check_smep },
	{ "cr4_smap", 4, X86_CR4_SMAP, 0, false, check_smap },
	{ "cr4_smap_with_cr0_wp_clear", 4, X86_CR4_SMAP, X86_CR0_WP, false, check_smap },
	{ "efer_nxe", 8, EFER_NX, 0, true, check_nx },
};

static uint64_t *toggle_reg(struct paging_vm *pvm, const struct toggle *t)
{
	return t->reg == 0 ? &pvm->cr0 : t->reg == 4 ? &pvm->cr4 : &pvm->efer;
}

/* Set or clear the bit; pvm->cr0/cr4/efer track the guest's value. */
static void toggle_set(struct rs_scene *s, const struct toggle *t, bool on)
{
	uint64_t set = on ? t->bit : 0, clear = on ? 0 : t->bit;

	if (t->reg == 0)
		gstep_cr0(s->pvm, set, clear);
	else if (t->reg == 4)
		gstep_cr4(s->pvm, set, clear);
	else
		gstep_efer(s->pvm, set, clear);
	*toggle_reg(s->pvm, t) = (*toggle_reg(s->pvm, t) & ~clear) | set;
}

static void base_set(struct rs_scene *s, const struct toggle *t, bool enter)
{
	if (!t->base_clear)
		return;
	gstep_cr0(s->pvm, enter ? 0 : t->base_clear, enter ? t->base_clear : 0);
	if (enter)
		s->pvm->cr0 &= ~t->base_clear;
	else
		s->pvm->cr0 |= t->base_clear;
}

/*
 * For each address space: check it with the bit set, clear the bit, check
 * the next one and this one again (both roots were cached with the bit
 * set), set it, and check the next one.
 */
static void toggle_steps(struct rs_scene *s, const struct toggle *t)
{
	bool initial = *toggle_reg(s->pvm, t) & t->bit;
	int i;

	gstep_phase(s->pvm, t->name);
	base_set(s, t, true);
	toggle_set(s, t, true);
	for (i = 0; i < RS_NR_SPACES; i++) {
		rs_switch_and_check(s, i);
		t->check(s, true);
		toggle_set(s, t, false);
		rs_switch_and_check(s, (i + 1) % RS_NR_SPACES);
		t->check(s, false);
		rs_switch_and_check(s, i);
		t->check(s, false);
		toggle_set(s, t, true);
		rs_switch_and_check(s, (i + 1) % RS_NR_SPACES);
		t->check(s, true);
	}
	/* The next case starts from the default state. */
	toggle_set(s, t, initial);
	base_set(s, t, false);
}

/*
 * Reads of the XD page after NXE 1 -> 0: XD is then reserved (4.5.4), so
 * the read faults with RSVD.  Known KVM deviation under shadow paging:
 * shadow pages keep role.efer_nx = 1 whatever the guest's NXE
 * (kvm_init_shadow_mmu(), mmu.c), so the SPTE made under NXE=1 is reused
 * (docs/defects/kvm-shadow-efer-nxe-stale-sptes.md).  Reported as XFAIL
 * there, and only when the rest of the toggles held.
 */
static void xd_read_steps(struct rs_scene *s)
{
	int i;

	gstep_phase(s->pvm, "XD reads after NXE 1 -> 0");
	for (i = 0; i < RS_NR_SPACES; i++) {
		gstep_switch_as(s->pvm, s->as[i]);
		gstep_load(s->pvm, RS_VA_XD, 4, EXPECT_VALUE(RS_TAG(0x102)));
	}
	gstep_efer(s->pvm, 0, EFER_NX);
	for (i = 0; i < RS_NR_SPACES; i++) {
		gstep_switch_as(s->pvm, s->as[i]);
		gstep_load(s->pvm, RS_VA_XD, 4,
			   EXPECT_PF_IGNORING(PFERR_PRESENT_MASK | PFERR_RSVD_MASK,
					      emulator_rsvd_pf_without_p(s->cfg->tdp) ?
					      PFERR_PRESENT_MASK : 0, RS_VA_XD));
	}
	gstep_efer(s->pvm, EFER_NX, 0);
}

/* 2-level only: see rs_pse_pte(). */
static void pse_check(struct rs_scene *s, int i, bool pse)
{
	rs_switch_and_check(s, i);
	gstep_load(s->pvm, RS_VA_PSE, 4,
		   EXPECT_VALUE(pse ? rs_pse_pte(s) : RS_TAG(RS_NR_SPACES + 3)));
}

static void pse_steps(struct rs_scene *s)
{
	int i;

	gstep_phase(s->pvm, "CR4.PSE toggled with cached roots");
	for (i = 0; i < RS_NR_SPACES; i++) {
		pse_check(s, i, true);
		gstep_cr4(s->pvm, 0, X86_CR4_PSE);
		pse_check(s, (i + 1) % RS_NR_SPACES, false);
		pse_check(s, i, false);
		gstep_cr4(s->pvm, X86_CR4_PSE, 0);
		pse_check(s, (i + 1) % RS_NR_SPACES, true);
	}
}

static bool toggle_applies(struct rs_scene *s, const struct toggle *t)
{
	return !t->needs_nx || s->nx;
}

/*
 * Twice: the first round builds the pages of both roles, the second must
 * find them all.  @prelude: mismatches before, counted against this case.
 */
static void test_toggle(struct rs_scene *s, const struct toggle *tg, struct kvm_trace *t,
			int prelude)
{
	const char *gap = tg->reg == 4 && tg->bit == X86_CR4_SMEP ?
			  rs_pdpte_accessed_bit_gap(s) : NULL;
	char result[96], first[64], what[64];
	int bad;

	snprintf(result, sizeof(result), "%s_second_round_no_shadow_pages", tg->name);
	snprintf(first, sizeof(first), "%s, first round", tg->name);
	snprintf(what, sizeof(what), "%s_toggled_with_cached_roots", tg->name);
	if (gap) {
		rs_skip(s, what, gap);
		rs_skip(s, result, gap);
		return;
	}
	toggle_steps(s, tg);
	bad = prelude + rs_run_traced(s, t, first);
	toggle_steps(s, tg);
	bad += rs_run_traced(s, t, tg->name);
	rs_report_steps(s, bad, what);
	rs_report_no_creation(s, t, tg->name, result);
}

/*
 * A case that shadow paging fails of known KVM defect @d: XFAIL there, with
 * the evidence, when everything else held (@rest_ok); else a verdict.
 */
static void report_known(struct rs_scene *s, int bad, bool rest_ok, const char *what,
			 enum known_defect d)
{
	if (bad && !s->cfg->tdp && rest_ok)
		rs_xfail(s, what, known_defect(d));
	else
		rs_report_steps(s, bad, what);
}

static void test_xd_reads(struct rs_scene *s, struct kvm_trace *t, bool rest_ok)
{
	xd_read_steps(s);
	report_known(s, rs_run_traced(s, t, "XD reads"), rest_ok,
		     "xd_reserved_after_nxe_cleared_on_cached_roots",
		     DEFECT_SHADOW_EFER_NXE_STALE_SPTES);
}

/*
 * Shadow paging fails this on 6.12: union kvm_mmu_page_role has no CR4.PSE
 * (only the CPU role's ext.cr4_pse has, kvm_calc_cpu_role(), mmu.c), so
 * the shadow pages of a 2-level guest's page directory built under one
 * PSE value are found again under the other, with their SPTEs for PS=1
 * entries.  Reported as XFAIL there when everything else held; a pass
 * means KVM changed (docs/defects/kvm-shadow-cr4-pse-stale-sptes.md has
 * the fix, docs/defects/patches/6.12/kvm-shadow-cr4-pse-stale-sptes.patch).
 */
static void test_pse(struct rs_scene *s, struct kvm_trace *t, bool rest_ok)
{
	pse_steps(s);
	report_known(s, rs_run_traced(s, t, "PSE"), rest_ok, "pse_toggled_with_cached_roots",
		     DEFECT_SHADOW_CR4_PSE_STALE_SPTES);
}

static int nr_results(enum guest_paging_mode mode)
{
	bool nx = mode != GUEST_PAGING_32BIT;
	int n = 2 * ARRAY_SIZE(toggles);

	if (!nx)
		n -= 2;		/* no EFER.NXE toggle */
	else
		n += 1;		/* XD reads after NXE 1 -> 0 */
	if (mode == GUEST_PAGING_32BIT)
		n += 1;		/* CR4.PSE */
	return n;
}

/*
 * Roots of every address space cached first: root_switch_cr3_test's
 * warm-up and switches, whose mismatches count against the first toggle.
 */
static void run(struct rs_scene *s, struct kvm_trace *t)
{
	unsigned int i, fails = rs_fail_count();
	int prelude;

	rs_warm_up_steps(s);
	prelude = rs_run_traced(s, t, "warm-up");
	rs_switch_steps(s);
	prelude += rs_run_traced(s, t, "switches");
	for (i = 0; i < ARRAY_SIZE(toggles); i++) {
		if (toggle_applies(s, &toggles[i]))
			test_toggle(s, &toggles[i], t, i ? 0 : prelude);
	}
	if (s->nx)
		test_xd_reads(s, t, rs_fail_count() == fails);
	if (s->pvm->mode == GUEST_PAGING_32BIT)
		test_pse(s, t, rs_fail_count() == fails);
}

int main(int argc, char *argv[])
{
	rs_main(&(struct rs_program){
		.needs_smep_smap = true, .nr_results = nr_results, .run = run,
	});
}
