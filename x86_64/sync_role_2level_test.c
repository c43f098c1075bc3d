// SPDX-License-Identifier: GPL-2.0
/*
 * sync_role_2level_test: the role bits that tell a 2-level guest page
 * table's shadow pages apart, quadrant and has_4_byte_gpte, and the
 * unsync pages they make: each must be synced under a root of its own
 * role, and never zapped (kvm_sync_page_check(), arch/x86/kvm/mmu/mmu.c;
 * sync_role_test has the bits of the MMU context).
 *
 * quadrants_32bit: a 2-level guest's page table has 1024 4-byte entries
 * and is shadowed by two 512-entry PAE-format shadow pages, role.quadrant
 * 0 and 1 (kvm_mmu_child_role(), mmu.c).  Guest writes to entries in both
 * halves are seen after INVLPG (SDM Vol. 3A 4.10.4.1); with TDP off both
 * shadow pages are unsynced and synced (quadrant is in sync_role_ign: the
 * root's quadrant is 0), never zapped (mutant
 * sync-role-ign-without-quadrant).
 *
 * has_4_byte_gpte_32bit_to_pae: one guest page table PT is used by a
 * 2-level guest (4-byte entries) and, after the guest switches to PAE
 * paging (CR0.PG = 0, CR4.PAE = 1, CR3 = a PDPT, CR0.PG = 1; SDM Vol. 3A
 * 4.1.2), as a PAE page table (8-byte entries: entry k is 2-level entries
 * 2k and 2k+1, the odd ones kept 0), then again by the 2-level guest.
 * Guest-visible: each entry gives its page in the mode it is read in.
 * TDP off: KVM shadows PT with has_4_byte_gpte = 1 and then = 0
 * (kvm_calc_cpu_role()); the first page, unsync under 2-level paging,
 * must be left alone under PAE paging (every sync there is of a page
 * whose role matches PAE paging's, never of the direct context of
 * CR0.PG = 0) and be synced when the guest is back in 2-level paging;
 * no page of PT is zapped.  The PAE tables map the step engine and the
 * page-table pool with 2 MiB pages.
 *
 * Without kvmmmu tracing (the build or the host), the guest-visible
 * checks still run: a case fails on them, and otherwise skips with the
 * reason (paging_report_traced()).
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "guest_paging.h"
#include "unsync_scene.h"
#include "shadow_role.h"

#define VA_X		0x40000000ull	/* PT maps VA_X + i * 4K */
#define BIG		0x200000ull

static struct kvm_mmu_config cfg;
/* TDP off: why there is no kvmmmu tracing, or NULL. */
static const char *no_trace;

#define QUADRANT_COUNTS_FMT						\
	"PT gfn 0x%lx: quadrant 0 unsync %zu sync %zu, quadrant 1 unsync %zu sync %zu, %zu zap events\n"
#define QUADRANT_EXPECT_MSG						\
	"expected both quadrants' shadow pages unsynced and synced, none zapped\n"

/*
 * quadrants_32bit: entries 0..1 and 512..513 of one 2-level page table,
 * in the two halves KVM shadows with quadrant 0 and 1.
 */
static bool check_quadrant_events(const struct unsync_scene *s, struct kvm_trace *t)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	uint64_t gfn = s->pt >> 12;
	size_t unsync[2] = { 0 }, sync[2] = { 0 }, zap = 0;
	bool ok;
	size_t i;
	int q;

	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		if (e->gfn != gfn || kvm_role_get(&m->layout, e->role, "level") != 1)
			continue;
		q = kvm_role_get(&m->layout, e->role, "quadrant");
		if (e->type == KVM_MMU_PREPARE_ZAP_PAGE)
			zap++;
		if (q < 0 || q > 1)
			continue;
		if (e->type == KVM_MMU_UNSYNC_PAGE)
			unsync[q]++;
		if (e->type == KVM_MMU_SYNC_PAGE)
			sync[q]++;
	}
	ok = unsync[0] && unsync[1] && sync[0] && sync[1] && !zap;
	ksft_print_msg(QUADRANT_COUNTS_FMT, gfn, unsync[0], sync[0], unsync[1], sync[1], zap);
	if (!ok) {
		ksft_print_msg(QUADRANT_EXPECT_MSG);
		kvm_trace_print(t);
	}
	return ok;
}

static void run_quadrants(void)
{
	static const int idx[] = { 0, 1, 512, 513 };
	struct paging_vm *pvm;
	struct kvm_trace *t;
	struct unsync_scene s;
	uint64_t va;
	bool ok;
	int i;

	pvm = unsync_scene_init(&s, GUEST_PAGING_32BIT, UNSYNC_SCENE_MAX_DATA);
	s.pt_va = VA_X;
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		guest_as_map(s.as, unsync_scene_va(&s, idx[i]), s.data[i], 1, GP_P | GP_RW);
	s.pt = guest_as_entry_gpa(s.as, VA_X, 1) & ~0xfffull;

	gstep_phase(pvm, "warm up both halves");
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		gstep_load(pvm, unsync_scene_va(&s, idx[i]), 4, EXPECT_VALUE(unsync_scene_tag(i)));
	/* Frame changes in both halves, each seen after INVLPG (SDM 4.10.4.1). */
	gstep_phase(pvm, "frame change, INVLPG");
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		va = unsync_scene_va(&s, idx[i]);
		unsync_scene_write_pte(&s, idx[i], s.data[4 + i] | GP_P | GP_RW);
		gstep_invlpg(pvm, va);
		gstep_load(pvm, va, 4, EXPECT_VALUE(unsync_scene_tag(4 + i)));
	}
	gstep_phase(pvm, "not present, MOV CR3");
	unsync_scene_write_pte(&s, 1, 0);
	unsync_scene_write_pte(&s, 513, 0);
	gstep_switch_as(pvm, s.as);
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		va = unsync_scene_va(&s, idx[i]);
		gstep_load(pvm, va, 4,
			   idx[i] & 1 ? EXPECT_PF(0, va) : EXPECT_VALUE(unsync_scene_tag(4 + i)));
	}

	ok = paging_vm_run_traced(pvm, !cfg.tdp && !no_trace, "quadrants", &t);
	if (t) {
		ok &= check_quadrant_events(&s, t);
		kvm_trace_destroy(t);
	}
	paging_report_traced(ok, no_trace, "quadrants_32bit_%s", kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

static void pae_map_2m(struct paging_vm *pvm, uint64_t pd, uint64_t va, uint64_t gpa,
		       uint64_t size)
{
	uint64_t *e = paging_vm_hva(pvm, pd);
	uint64_t off;

	for (off = 0; off < size; off += BIG)
		e[((va + off) >> 21) & 511] = (gpa + off) | GP_P | GP_RW | GP_PS;
}

#define MODE_SWITCH_WRONG_SYNC_FMT					\
	"synced in phase %d although its role differs in a bit sync_role_ign must not ignore:\n"
#define MODE_SWITCH_COUNTS_FMT						\
	"PT gfn 0x%lx: unsync under 2-level %s; synced under PAE %zu, under 2-level again %zu (the first page %zu); %zu zap events\n"
#define MODE_SWITCH_EXPECT_MSG						\
	"expected PT's 2-level page unsynced, PT's PAE page synced under PAE paging, the 2-level page synced back in 2-level paging, no zap\n"

/* TDP off: the kvmmmu events of phases 2-level, PAE and 2-level again. */
static bool check_mode_switch_events(const struct unsync_scene *s, struct kvm_trace *t,
				     const int *phase, const struct role_ctx *two,
				     const struct role_ctx *off)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	static const enum guest_paging_mode mode[3] = {
		GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_32BIT,
	};
	uint64_t gfn = s->pt >> 12;
	struct role_want want[3][SHADOW_ROLE_MAX_WANTS], want_off[SHADOW_ROLE_MAX_WANTS];
	int nw[3], nw_off, p;
	size_t synced[3] = { 0 }, own_synced = 0, zap = 0, i;
	uint32_t unsync_role = 0;
	bool have_unsync = false, ok = true;

	for (p = 0; p < 3; p++)
		nw[p] = shadow_role_wants(mode[p], two, want[p]);
	nw_off = shadow_role_wants(GUEST_PAGING_32BIT, off, want_off);
	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		for (p = 0; p < 3; p++)
			if (e->phase == phase[p])
				break;
		if (p == 3 || e->gfn != gfn)
			continue;
		if (e->type == KVM_MMU_UNSYNC_PAGE && p == 0 &&
		    shadow_role_matches(m, e->role, want[0], nw[0])) {
			unsync_role = e->role;
			have_unsync = true;
		}
		if (e->type == KVM_MMU_PREPARE_ZAP_PAGE)
			zap++;
		if (e->type != KVM_MMU_SYNC_PAGE)
			continue;
		/* Phase PAE begins with CR0.PG = 0: direct, nothing to sync. */
		if (!shadow_role_matches(m, e->role, want[p], nw[p]) ||
		    shadow_role_matches(m, e->role, want_off, nw_off)) {
			ksft_print_msg(MODE_SWITCH_WRONG_SYNC_FMT, e->phase);
			kvm_mmu_event_print(m, e, stdout, "# ");
			ok = false;
		}
		synced[p]++;
		if (p == 2 && have_unsync && e->role == unsync_role)
			own_synced++;
	}
	ksft_print_msg(MODE_SWITCH_COUNTS_FMT,
		       gfn, have_unsync ? "yes" : "no", synced[1], synced[2], own_synced, zap);
	if (!have_unsync || !synced[1] || !own_synced || zap) {
		ksft_print_msg(MODE_SWITCH_EXPECT_MSG);
		ok = false;
	}
	if (!ok)
		kvm_trace_print(t);
	return ok;
}

/* The PAE tables: PDPTE 0 for the engine, pool and alias; 1 for PT. */
static uint64_t build_pae_tables(struct unsync_scene *s)
{
	struct paging_vm *pvm = s->pvm;
	uint64_t pdpt, pd0, pd1, *pdpte;

	pdpt = paging_vm_alloc_table(pvm);
	pd0 = paging_vm_alloc_table(pvm);
	pd1 = paging_vm_alloc_table(pvm);
	pdpte = paging_vm_hva(pvm, pdpt);
	pdpte[0] = pd0 | GP_P;
	pdpte[1] = pd1 | GP_P;
	pae_map_2m(pvm, pd0, GSTEP_SLOT_GPA, GSTEP_SLOT_GPA, GSTEP_SLOT_SIZE);
	pae_map_2m(pvm, pd0, UNSYNC_SCENE_VA_TABLES, GSTEP_PT_POOL_GPA, GSTEP_PT_POOL_SIZE);
	((uint64_t *)paging_vm_hva(pvm, pd1))[0] = s->pt | GP_P | GP_RW;
	return pdpt;
}

static void build_mode_switch_steps(struct unsync_scene *s, uint64_t pdpt, uint64_t two_cr3)
{
	struct paging_vm *pvm = s->pvm;
	int i;

	gstep_phase(pvm, "2-level: unsync PT");
	for (i = 0; i < 3; i++)
		gstep_load(pvm, unsync_scene_va(s, 2 * i), 4, EXPECT_VALUE(unsync_scene_tag(i)));
	unsync_scene_write_pte(s, 0, s->data[3] | GP_P | GP_RW);
	gstep_sync(pvm);

	gstep_phase(pvm, "PAE: PT as 8-byte entries");
	gstep_cr0(pvm, 0, X86_CR0_PG);
	gstep_cr4(pvm, X86_CR4_PAE, 0);
	gstep_write_cr3(pvm, pdpt, EXPECT_OK());
	gstep_cr0(pvm, X86_CR0_PG, 0);
	/* Clearing CR0.PG flushed every TLB entry (SDM 4.10.4.1). */
	gstep_load(pvm, VA_X, 4, EXPECT_VALUE(unsync_scene_tag(3)));
	gstep_load(pvm, VA_X + PAGE_SIZE, 4, EXPECT_VALUE(unsync_scene_tag(1)));
	gstep_load(pvm, VA_X + 2 * PAGE_SIZE, 4, EXPECT_VALUE(unsync_scene_tag(2)));
	/* PAE entry 1 (2-level entries 2 and 3): one 8-byte write. */
	gstep_store(pvm, paging_vm_table_va(pvm, s->pt + 8), 8, s->data[4] | GP_P | GP_RW,
		    EXPECT_OK());
	gstep_write_cr3(pvm, pdpt, EXPECT_OK());
	gstep_load(pvm, VA_X + PAGE_SIZE, 4, EXPECT_VALUE(unsync_scene_tag(4)));
	gstep_sync(pvm);

	gstep_phase(pvm, "2-level again");
	gstep_cr0(pvm, 0, X86_CR0_PG);
	gstep_cr4(pvm, 0, X86_CR4_PAE);
	gstep_write_cr3(pvm, two_cr3, EXPECT_OK());
	gstep_cr0(pvm, X86_CR0_PG, 0);
	gstep_load(pvm, unsync_scene_va(s, 0), 4, EXPECT_VALUE(unsync_scene_tag(3)));
	gstep_load(pvm, unsync_scene_va(s, 2), 4, EXPECT_VALUE(unsync_scene_tag(4)));
	gstep_load(pvm, unsync_scene_va(s, 4), 4, EXPECT_VALUE(unsync_scene_tag(2)));
	unsync_scene_write_pte(s, 4, s->data[5] | GP_P | GP_RW);
	gstep_switch_as(pvm, s->as);
	gstep_load(pvm, unsync_scene_va(s, 4), 4, EXPECT_VALUE(unsync_scene_tag(5)));
}

static void run_mode_switch(void)
{
	static const char *const phase_names[] = { "2-level", "PAE", "2-level again" };
	const struct role_ctx two = { .pg = true, .wp = true }, off = { .pg = false };
	struct paging_vm *pvm;
	struct kvm_trace *t;
	struct unsync_scene s;
	uint64_t pdpt;
	int i, phase[3];
	bool ok;

	pvm = unsync_scene_init(&s, GUEST_PAGING_32BIT, UNSYNC_SCENE_MAX_DATA);
	s.pt_va = VA_X;
	/* 2-level entries 0, 2, 4; PAE entries 0, 1, 2. */
	for (i = 0; i < 3; i++)
		guest_as_map(s.as, unsync_scene_va(&s, 2 * i), s.data[i], 1, GP_P | GP_RW);
	guest_as_entry_gpa(s.as, unsync_scene_va(&s, 1), 1);
	s.pt = guest_as_entry_gpa(s.as, VA_X, 1) & ~0xfffull;
	pdpt = build_pae_tables(&s);
	build_mode_switch_steps(&s, pdpt, guest_as_cr3(s.as));

	ok = paging_vm_run_phases_traced(pvm, !cfg.tdp && !no_trace, phase_names, 3, phase, &t);
	if (t) {
		ok &= check_mode_switch_events(&s, t, phase, &two, &off);
		kvm_trace_destroy(t);
	}
	paging_report_traced(ok, no_trace, "has_4_byte_gpte_32bit_to_pae_%s",
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

int main(int argc, char *argv[])
{
	const char *why;

	kvm_mmu_test_start(&cfg);
	/* Each case frees its VM before the next: one VM, reset, for all. */
	paging_vm_reuse_vms(true);
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	ksft_set_plan(2);

	if (guest_paging_mode_supported(GUEST_PAGING_32BIT, &why))
		run_quadrants();
	else
		ksft_test_result_skip("quadrants_32bit: %s\n", why);
	if (!guest_paging_mode_supported(GUEST_PAGING_32BIT, &why) ||
	    !guest_paging_mode_supported(GUEST_PAGING_PAE, &why))
		ksft_test_result_skip("has_4_byte_gpte_32bit_to_pae: %s\n", why);
	else
		run_mode_switch();
	ksft_finished();
}
