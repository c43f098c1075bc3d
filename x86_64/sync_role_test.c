// SPDX-License-Identifier: GPL-2.0
/*
 * sync_role_test: unsync shadow pages met under another MMU context, and
 * the role bits kvm_sync_page_check() ignores or must not ignore.
 *
 * KVM 6.12, arch/x86/kvm/mmu/mmu.c, kvm_sync_page_check(): a shadow page
 * may be synced under the current MMU context only if its role equals
 * the root's role except in the bits of sync_role_ign (level, access,
 * quadrant, passthrough); otherwise it WARNs and the caller zaps the page
 * (kvm_sync_page()).  The other bits (direct, has_4_byte_gpte, efer_nx,
 * cr0_wp, smep_andnot_wp, smap_andnot_wp, guest_mode, smm, ad_disabled,
 * invalid) describe how SPTEs were computed and must never be mixed.
 *
 * Each <bit>_<mode> case makes a guest page table PT unsync under context
 * A (mmu_try_to_unsync_pages()), changes a control bit that is part of
 * the MMU role (kvm_calc_cpu_role(), kvm_init_shadow_mmu(): CR0.WP ->
 * cr0_wp, CR4.SMEP/SMAP with CR0.WP=0 -> smep/smap_andnot_wp, CR0.PG=0 ->
 * direct; EFER.NXE changes the CPU role but not the shadow pages' role,
 * efer_nx being forced to 1), which resets the MMU context
 * (kvm_post_set_cr0(), kvm_post_set_cr4(), kvm_set_efer() ->
 * kvm_mmu_reset_context()); the guest changes PT again under context B,
 * flushes, and finally returns to A and flushes again.  Guest-visible,
 * every configuration: after each MOV CR3 (SDM Vol. 3A 4.10.4.1) every
 * leaf of PT gives what the SDM's walk gives under the current CR0.WP,
 * CR4.SMEP/SMAP and EFER.NXE (4.6, 4.6.1, 4.7; predicted by
 * lib/x86_64/paging_model.c), including a supervisor write to a
 * read-only user page followed by a supervisor fetch and user accesses,
 * which is what the *_andnot_wp bits exist for (kvm_calc_cpu_role();
 * FNAME(page_fault) in paging_tmpl.h maps such a page writable and
 * supervisor-only, and not executable under SMEP).  One more leaf,
 * L_STABLE, is in a page table the guest never writes, so its shadow page
 * is never unsync: under CR0.WP=0 the last access to it is a supervisor
 * write, and the next context must apply its own SMEP, SMAP and CR0.WP
 * there (mutants role-without-smep-andnot-wp, role-without-smap-andnot-wp,
 * role-cr0-wp-always-set, cr0-wp-off-smep-kernel-copy-executable).
 *
 * TDP off, from the kvmmmu events of each context's phase:
 *  - every kvm_mmu_sync_page is of a page whose role matches the current
 *    context in every bit sync_role_ign does not ignore (the expected
 *    role is computed from CR0/CR4/EFER as kvm_calc_cpu_role() and
 *    kvm_init_shadow_mmu() do); no page of PT is ever zapped (the unsync
 *    page of the other context is left alone: kvm_mmu_find_shadow_page()
 *    skips a page whose role differs, mmu_sync_children() only walks the
 *    current root);
 *  - PT is synced in B (not under the direct context, which has nothing
 *    to sync: kvm_mmu_sync_roots() returns for a direct root) and A's
 *    page, unsync since phase A, is synced when A comes back
 *    (kvm_mmu_load() -> kvm_mmu_sync_roots() -> mmu_sync_children());
 *  - when A and B have the same role (efer_nx), the page unsynced under A
 *    is the one synced under B.
 * Without kvmmmu tracing (the build or the host), the guest-visible
 * checks still run: a case fails on them, and otherwise skips with the
 * reason (paging_report_traced()).
 *
 * has_4_byte_gpte_32bit_to_pae: the same with a paging-mode switch: PT,
 * unsync as a 2-level page table, is used as a PAE page table after the
 * guest switches to PAE paging, and again as a 2-level one after it
 * switches back (see run_mode_switch()).
 *
 * quadrants_32bit: a 2-level guest's page table has 1024 4-byte entries
 * and is shadowed by two 512-entry PAE-format shadow pages, role.quadrant
 * 0 and 1 (kvm_mmu_child_role(), mmu.c).  Guest writes to entries in both
 * halves are seen after INVLPG; with TDP off both shadow pages are
 * unsynced and synced (quadrant is in sync_role_ign: the root's quadrant
 * is 0), never zapped.
 *
 * Which case tells each bit of sync_role_ign apart (mutants/):
 *  - level: every sync (unsync pages are level 1, roots never are):
 *    sync-role-ign-without-level;
 *  - access: unsync_test's read-only directory entry:
 *    sync-role-ign-without-access;
 *  - quadrant: quadrants_32bit: sync-role-ign-without-quadrant;
 *  - passthrough: no case can: passthrough pages are level >= 4, have no
 *    gptes and are never unsync (sp_has_gptes(), mmu.c), and the root's
 *    passthrough bit is 0.
 * Adding a must-not-ignore bit to sync_role_ign changes nothing KVM 6.12
 * does, so no test can tell: no path hands kvm_sync_page() a page of
 * another role (kvm_mmu_find_shadow_page() compares the whole role word,
 * mmu_sync_children() walks the current root, whose children inherit its
 * role, roots are reused only with an equal role in fast_pgd_switch(),
 * and every role change above frees all roots: kvm_mmu_reset_context()).
 * The cases here check that this stays so, for a series that changes it.
 * Not reachable here: guest_mode (nested, see nested_npt_vmrun_test), smm (no
 * SMM in the step engine), ad_disabled (EPT only).
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "emulator.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"
#include "guest_paging.h"
#include "paging_model.h"

#define VA_TABLES	0x20000000ull
#define VA_X		0x40000000ull	/* PT maps VA_X + i * 4K */
#define WRITE_OFF	0x8

/*
 * Leaves of PT, and L_STABLE in another page table that the guest never
 * writes: its shadow page is never unsync, so KVM only rebuilds it for a
 * new role; an SPTE made under one context must not serve another.
 */
enum { L_FRAME, L_RO, L_USER, L_NEW, L_STABLE, NR_LEAVES };
#define VA_STABLE	(VA_X + 0x800000)	/* another directory entry */
#define NR_DATA		8

static struct kvm_mmu_config cfg;
/* TDP off: why there is no kvmmmu tracing, or NULL. */
static const char *no_trace;

struct ctx {
	bool pg, wp, smep, smap, nxe;
};

struct role_case {
	const char *name;
	struct ctx a, b;
	bool needs_nx, needs_smep, needs_smap, needs_32bit_mode;
};

/* Paging on, EFER.NXE on where the mode and the vCPU have it. */
#define ON	.pg = true, .nxe = true
static const struct role_case role_cases[] = {
	{ "cr0_wp",		{ ON, .wp = 1 },	{ ON, .wp = 0 } },
	{ "smep_andnot_wp",	{ ON, .wp = 0 },	{ ON, .wp = 0, .smep = 1 },
		.needs_smep = true },
	{ "smap_andnot_wp",	{ ON, .wp = 0 },	{ ON, .wp = 0, .smap = 1 },
		.needs_smap = true },
	{ "efer_nx",		{ ON, .wp = 1 },	{ .pg = true, .wp = 1, .nxe = false },
		.needs_nx = true },
	{ "direct",		{ ON, .wp = 1 },	{ .pg = false },
		.needs_32bit_mode = true },
};

static const enum guest_paging_mode modes[] = {
	GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_4LEVEL,
};

struct scene {
	struct paging_vm *pvm;
	struct guest_as *as;
	uint64_t data[NR_DATA];
	uint64_t leaf[NR_LEAVES];	/* what the guest's PT holds by now */
	uint64_t pt;			/* GPA of PT */
	struct ctx cur;
	struct kvm_trace *trace;
	int phase[3];
	int nr_phases;
	const char *phase_names[3];
};

static uint32_t tag(int i)
{
	return 0x5e5e5e00u | i;
}

/* VA of PT's entry @idx. */
static uint64_t pt_va(int idx)
{
	return VA_X + idx * PAGE_SIZE;
}

static uint64_t va_of(int leaf)
{
	return leaf == L_STABLE ? VA_STABLE : pt_va(leaf);
}

static bool has_nx(enum guest_paging_mode mode)
{
	return mode != GUEST_PAGING_32BIT && kvm_cpu_has(X86_FEATURE_NX);
}

/* A VM in @mode, one address space aliasing its tables, tagged data pages with a RET. */
static struct paging_vm *init_scene(struct scene *s, enum guest_paging_mode mode)
{
	struct paging_vm *pvm = paging_vm_create(mode);
	int i;

	memset(s, 0, sizeof(*s));
	s->pvm = pvm;
	s->as = guest_as_create(pvm);
	guest_as_map_tables(s->as, VA_TABLES);
	for (i = 0; i < NR_DATA; i++)
		s->data[i] = paging_vm_tagged_page(pvm, tag(i));
	return pvm;
}

static void build_scene(struct scene *s, enum guest_paging_mode mode, const struct ctx *a)
{
	struct paging_vm *pvm = init_scene(s, mode);
	int i;

	s->leaf[L_FRAME] = s->data[0] | GP_P | GP_RW;
	s->leaf[L_RO] = s->data[1] | GP_P;
	/* A read-only user page: the one CR0.WP=0 makes KVM play tricks with. */
	s->leaf[L_USER] = s->data[2] | GP_P | GP_US;
	s->leaf[L_NEW] = 0;
	s->leaf[L_STABLE] = s->data[7] | GP_P | GP_US;
	for (i = 0; i < NR_LEAVES; i++) {
		guest_as_entry_gpa(s->as, va_of(i), 1);
		guest_as_write_entry(s->as, va_of(i), 1, s->leaf[i]);
	}
	s->pt = guest_as_entry_gpa(s->as, VA_X, 1) & ~0xfffull;

	/* Context A from the start. */
	pvm->cr0 = (pvm->cr0 & ~X86_CR0_WP) | (a->wp ? X86_CR0_WP : 0);
	pvm->cr4 |= (a->smep ? X86_CR4_SMEP : 0) | (a->smap ? X86_CR4_SMAP : 0);
	if (!a->nxe)
		pvm->efer &= ~EFER_NX;
	s->cur = *a;
	s->cur.nxe = a->nxe && has_nx(mode);
}

static void write_leaf(struct scene *s, int idx, uint64_t val)
{
	s->leaf[idx] = val;
	if (s->cur.pg) {
		gstep_write_entry(s->pvm, s->as, va_of(idx), 1, val);
		return;
	}
	/* Paging off: linear addresses are physical (SDM Vol. 3A 4.1.1). */
	gstep_store(s->pvm, guest_as_entry_gpa(s->as, va_of(idx), 1),
		    guest_paging_entry_size(s->pvm->mode), val, EXPECT_OK());
}

/* Load the control bits of @c, in an order every transition allows. */
static void enter_ctx(struct scene *s, const struct ctx *c)
{
	struct paging_vm *pvm = s->pvm;
	const int pdptes = 4;
	uint64_t cr4_set = (c->smep ? X86_CR4_SMEP : 0) | (c->smap ? X86_CR4_SMAP : 0);
	uint64_t cr4_clear = (c->smep ? 0 : X86_CR4_SMEP) | (c->smap ? 0 : X86_CR4_SMAP);
	int i;

	if (!c->pg) {
		/* Clearing CR0.PG flushes every TLB entry (SDM 4.10.4.1). */
		gstep_cr0(pvm, 0, X86_CR0_PG);
		s->cur = *c;
		return;
	}
	if (!s->cur.pg) {
		/*
		 * PAE: setting CR0.PG loads the PDPTEs (SDM 4.4.1).  Write them
		 * back as built, by physical address, while no walk can set
		 * their bit 5 (QEMU's TCG walker does under NPT, see
		 * docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md).
		 */
		if (pvm->mode == GUEST_PAGING_PAE)
			for (i = 0; i < pdptes; i++)
				gstep_store(pvm, s->as->root + i * 8, 8,
					    *(uint64_t *)paging_vm_hva(pvm, s->as->root + i * 8) &
					    ~GP_A, EXPECT_OK());
		gstep_cr0(pvm, X86_CR0_PG | (c->wp ? X86_CR0_WP : 0), c->wp ? 0 : X86_CR0_WP);
	} else {
		gstep_cr0(pvm, c->wp ? X86_CR0_WP : 0, c->wp ? 0 : X86_CR0_WP);
	}
	if (has_nx(pvm->mode))
		gstep_efer(pvm, c->nxe ? EFER_NX : 0, c->nxe ? 0 : EFER_NX);
	if (cr4_set || s->cur.smep || s->cur.smap)
		gstep_cr4(pvm, cr4_set, cr4_clear);
	s->cur = *c;
	s->cur.nxe = c->nxe && has_nx(pvm->mode);
	gstep_switch_as(pvm, s->as);
}

/*
 * Every access to every leaf, as the SDM's walk under the current context
 * gives it.  A supervisor write comes first: under CR0.WP=0 it succeeds
 * on read-only pages and the later fetches and user accesses must still
 * see the guest's U/S and SMEP/SMAP (SDM 4.6.1).
 */
static void check_leaves(struct scene *s)
{
	struct pm_env env = {
		.mode = s->pvm->mode, .maxphyaddr = guest_paging_maxphyaddr(),
		.wp = s->cur.wp, .pse = s->pvm->cr4 & X86_CR4_PSE, .smep = s->cur.smep,
		.smap = s->cur.smap, .nxe = s->cur.nxe,
	};
	static const struct {
		enum pm_access access;
		bool user;
		uint64_t off;
	} order[] = {
		{ PM_WRITE, false, WRITE_OFF }, { PM_FETCH, false, PAGING_EXEC_OFF },
		{ PM_READ, false, 0 }, { PM_READ, true, 0 }, { PM_WRITE, true, WRITE_OFF },
		{ PM_FETCH, true, PAGING_EXEC_OFF },
	};
	uint64_t entries[5], va;
	struct gstep_expect e;
	int i, j, n, d;

	for (i = 0; i < NR_LEAVES; i++) {
		n = guest_as_walk(s->as, va_of(i), entries);
		n = guest_paging_levels(s->pvm->mode);
		entries[n - 1] = s->leaf[i];
		for (d = 0; d < NR_DATA; d++)
			if ((s->leaf[i] & ~0xfffull & ~GP_NX) == s->data[d])
				break;
		for (j = 0; j < ARRAY_SIZE(order); j++) {
			va = va_of(i) + order[j].off;
			e = pm_expect(&env, entries, n, order[j].access, order[j].user, va,
				      tag(d));
			/* QEMU's TCG walker under NPT: RSVD without P (mode_cases.c). */
			if (emulator_rsvd_pf_without_p(cfg.tdp) && (e.value & PFERR_RSVD_MASK))
				e.ec_ignore = PFERR_PRESENT_MASK;
			switch (order[j].access) {
			case PM_READ:
				(order[j].user ? gstep_load_user : gstep_load)(s->pvm, va, 4, e);
				break;
			case PM_WRITE:
				(order[j].user ? gstep_store_user : gstep_store)(s->pvm, va, 4,
										 0x11, e);
				break;
			case PM_FETCH:
				(order[j].user ? gstep_exec_user : gstep_exec)(s->pvm, va, e);
				break;
			}
		}
	}
}

/* At each GSTEP_SYNC: end the trace phase and begin the next one. */
static void next_phase(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct scene *s = arg;

	if (!s->trace)
		return;
	kvm_trace_stop(s->trace);
	kvm_trace_start(s->trace, s->phase_names[s->nr_phases]);
	s->phase[s->nr_phases++] = kvm_trace_phase(s->trace);
}

static uint64_t leaf_flags(const struct scene *s, uint64_t flags)
{
	/* XD only where EFER.NXE can be set. */
	return has_nx(s->pvm->mode) ? flags : flags & ~GP_NX;
}

static void build_role_steps(struct scene *s, const struct role_case *rc)
{
	struct paging_vm *pvm = s->pvm;

	gstep_phase(pvm, "A: unsync PT");
	check_leaves(s);
	/*
	 * CR0.WP=0 (and CR4.SMAP=0): a supervisor write to the read-only
	 * user page L_STABLE is allowed (SDM 4.6.1); make it the last access
	 * there, so that the SPTE KVM made for it is the one left behind.
	 */
	if (!rc->a.wp && !rc->a.smap)
		gstep_store(pvm, va_of(L_STABLE) + WRITE_OFF, 4, 0x22, EXPECT_OK());
	/* PT is shadowed under A by now: this write unsyncs it. */
	write_leaf(s, L_FRAME, s->data[3] | leaf_flags(s, GP_P | GP_RW | GP_NX));
	gstep_load(pvm, va_of(L_FRAME), 4, EXPECT_ANY());
	gstep_sync(pvm);

	gstep_phase(pvm, "B");
	enter_ctx(s, &rc->b);
	if (s->cur.pg)
		check_leaves(s);
	write_leaf(s, L_NEW, s->data[4] | GP_P | GP_RW | GP_US);
	write_leaf(s, L_RO, s->data[5] | GP_P);
	if (s->cur.pg) {
		gstep_invlpg(pvm, va_of(L_RO));
		gstep_load(pvm, va_of(L_RO), 4, EXPECT_VALUE(tag(5)));
		gstep_switch_as(pvm, s->as);
		check_leaves(s);
		/* As in A: leave KVM's SPTE for a supervisor write behind. */
		if (!rc->b.wp && !rc->b.smap)
			gstep_store(pvm, va_of(L_STABLE) + WRITE_OFF, 4, 0x33, EXPECT_OK());
	}
	gstep_sync(pvm);

	gstep_phase(pvm, "A again");
	enter_ctx(s, &rc->a);
	check_leaves(s);
	write_leaf(s, L_USER, s->data[6] | GP_P | GP_US);
	gstep_switch_as(pvm, s->as);
	check_leaves(s);
}

/* Role fields kvm_sync_page_check() compares, and their value in @c. */
struct role_want {
	const char *field;
	int val;
};

static int role_wants(enum guest_paging_mode mode, const struct ctx *c, struct role_want *w)
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

static bool role_matches(const struct kvm_mmu_model *m, uint32_t role,
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

static const char *event_name(int type)
{
	static const char *const names[] = { "get_page", "sync_page", "unsync_page",
					     "prepare_zap_page", "other" };

	return type < KVM_MMU_NR_EVENT_TYPES ? names[type] : "?";
}

static void print_event(const struct kvm_mmu_model *m, const struct kvm_mmu_event *e)
{
	struct kvm_mmu_role r;
	char buf[160];

	kvm_role_decode(&m->layout, e->role, &r);
	ksft_print_msg("  phase %d %s gfn 0x%lx role 0x%x (%s)\n", e->phase,
		       event_name(e->type), e->gfn, e->role,
		       kvm_role_format(&r, buf, sizeof(buf)));
}

#define ROLE_WRONG_SYNC_FMT						\
	"%s: synced under the context of phase %d although its role differs in a bit sync_role_ign must not ignore:\n"
#define ROLE_COUNTS_FMT							\
	"%s %s: PT gfn 0x%lx: unsync under A %s, synced in B %zu, in A again %zu (A's page %zu)\n"

static bool check_role_events(struct scene *s, const struct role_case *rc)
{
	struct kvm_mmu_model *m = kvm_trace_model(s->trace);
	uint64_t gfn = s->pt >> 12;
	const struct ctx *ctxs[3] = { &rc->a, &rc->b, &rc->a };
	struct role_want want[3][16];
	int nw[3], p;
	size_t synced[3] = { 0 };
	uint32_t unsync_role = 0;
	bool have_unsync = false, b_synced_a_page = false, ok = true;
	size_t i;

	for (p = 0; p < 3; p++)
		nw[p] = role_wants(s->pvm->mode, ctxs[p], want[p]);
	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];
		int level = kvm_role_get(&m->layout, e->role, "level");

		for (p = 0; p < 3; p++)
			if (e->phase == s->phase[p])
				break;
		if (p == 3)
			continue;
		if (e->type == KVM_MMU_UNSYNC_PAGE && p == 0 && e->gfn == gfn &&
		    role_matches(m, e->role, want[0], nw[0])) {
			unsync_role = e->role;
			have_unsync = true;
		}
		if (e->type == KVM_MMU_PREPARE_ZAP_PAGE && e->gfn == gfn && level == 1) {
			ksft_print_msg("%s: a shadow page of PT was zapped:\n", s->pvm->name);
			print_event(m, e);
			ok = false;
		}
		if (e->type != KVM_MMU_SYNC_PAGE)
			continue;
		if (!role_matches(m, e->role, want[p], nw[p])) {
			ksft_print_msg(ROLE_WRONG_SYNC_FMT, s->pvm->name, e->phase);
			print_event(m, e);
			ok = false;
		}
		if (e->gfn != gfn)
			continue;
		synced[p]++;
		if (p == 1 && have_unsync && e->role == unsync_role)
			b_synced_a_page = true;
		if (p == 2 && have_unsync && e->role != unsync_role)
			continue;
		if (p == 2)
			synced[0]++;	/* A's own page synced on return */
	}
	ksft_print_msg(ROLE_COUNTS_FMT,
		       rc->name, s->pvm->name, gfn, have_unsync ? "yes" : "no", synced[1],
		       synced[2], synced[0]);
	if (!have_unsync) {
		ksft_print_msg("expected PT's page to go unsync under context A\n");
		ok = false;
	}
	if (rc->b.pg && !synced[1]) {
		ksft_print_msg("expected PT to be synced under context B\n");
		ok = false;
	}
	if (!rc->b.pg && synced[1]) {
		ksft_print_msg("expected no sync under the direct context (CR0.PG=0)\n");
		ok = false;
	}
	if (!synced[0]) {
		ksft_print_msg("expected A's unsync page of PT to be synced when A came back\n");
		ok = false;
	}
	if (rc->b.pg && role_matches(m, unsync_role, want[1], nw[1]) != b_synced_a_page) {
		ksft_print_msg("expected the page unsynced under A to be synced under B %s\n",
			       b_synced_a_page ? "only when the roles match" :
			       "(the roles match)");
		ok = false;
	}
	if (!ok)
		kvm_trace_print(s->trace);
	return ok;
}

static bool start_trace(struct scene *s, const char *first)
{
	if (cfg.tdp || no_trace)
		return false;
	s->trace = kvm_trace_create();
	s->phase_names[0] = first;
	kvm_trace_start(s->trace, first);
	s->phase[0] = kvm_trace_phase(s->trace);
	s->nr_phases = 1;
	s->pvm->sync_fn = next_phase;
	s->pvm->sync_arg = s;
	return true;
}

#define SMEP_PDPTE_SKIP_FMT						\
	"%s_%s: CR4.SMEP reloads PAE PDPTEs, whose bit 5 the emulator's NPT walker sets (%s)\n"

static void run_role_case(const struct role_case *rc, enum guest_paging_mode mode)
{
	const char *mname = guest_paging_mode_name(mode);
	struct scene s;
	bool ok;

	if (rc->needs_nx && !kvm_cpu_has(X86_FEATURE_NX)) {
		ksft_test_result_skip("%s_%s: the vCPU has no NX\n", rc->name, mname);
		return;
	}
	if ((rc->needs_smep && !kvm_cpu_has(X86_FEATURE_SMEP)) ||
	    (rc->needs_smap && !kvm_cpu_has(X86_FEATURE_SMAP))) {
		ksft_test_result_skip("%s_%s: the vCPU has no %s\n", rc->name, mname,
				      rc->needs_smep ? "SMEP" : "SMAP");
		return;
	}
	/*
	 * A CR4.SMEP change in PAE paging reloads the PDPTEs (SDM 4.4.1),
	 * which under NPT in this project's VM fails on bit 5 that QEMU's
	 * walker set (docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md).
	 */
	if (rc->needs_smep && mode == GUEST_PAGING_PAE &&
	    emulator_sets_pdpte_bit5(cfg.tdp)) {
		ksft_test_result_skip(SMEP_PDPTE_SKIP_FMT, rc->name, mname, KVM_MMU_PDPTE_GAP_DOC);
		return;
	}

	build_scene(&s, mode, &rc->a);
	s.phase_names[1] = "B";
	s.phase_names[2] = "A again";
	build_role_steps(&s, rc);
	start_trace(&s, "A");
	ok = !paging_vm_run_steps(s.pvm);
	if (s.trace) {
		kvm_trace_stop(s.trace);
		ok &= s.nr_phases == 3 && check_role_events(&s, rc);
		kvm_trace_destroy(s.trace);
	}
	paging_report_traced(ok, no_trace, "%s_%s_%s", rc->name, mname,
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(s.pvm);
}

#define QUADRANT_COUNTS_FMT						\
	"PT gfn 0x%lx: quadrant 0 unsync %zu sync %zu, quadrant 1 unsync %zu sync %zu, %zu zap events\n"
#define QUADRANT_EXPECT_MSG						\
	"expected both quadrants' shadow pages unsynced and synced, none zapped\n"

/*
 * quadrants_32bit: entries 0..1 and 512..513 of one 2-level page table,
 * in the two halves KVM shadows with quadrant 0 and 1.
 */
static bool check_quadrant_events(struct scene *s)
{
	struct kvm_mmu_model *m = kvm_trace_model(s->trace);
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
		kvm_trace_print(s->trace);
	}
	return ok;
}

static void run_quadrants(void)
{
	static const int idx[] = { 0, 1, 512, 513 };
	struct paging_vm *pvm;
	struct scene s;
	uint64_t va;
	bool ok;
	int i;

	pvm = init_scene(&s, GUEST_PAGING_32BIT);
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		guest_as_map(s.as, pt_va(idx[i]), s.data[i], 1, GP_P | GP_RW);
	s.pt = guest_as_entry_gpa(s.as, VA_X, 1) & ~0xfffull;

	gstep_phase(pvm, "warm up both halves");
	for (i = 0; i < ARRAY_SIZE(idx); i++)
		gstep_load(pvm, pt_va(idx[i]), 4, EXPECT_VALUE(tag(i)));
	/* Frame changes in both halves, each seen after INVLPG (SDM 4.10.4.1). */
	gstep_phase(pvm, "frame change, INVLPG");
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		va = pt_va(idx[i]);
		gstep_write_entry(pvm, s.as, va, 1, s.data[4 + i] | GP_P | GP_RW);
		gstep_invlpg(pvm, va);
		gstep_load(pvm, va, 4, EXPECT_VALUE(tag(4 + i)));
	}
	gstep_phase(pvm, "not present, MOV CR3");
	gstep_write_entry(pvm, s.as, pt_va(1), 1, 0);
	gstep_write_entry(pvm, s.as, pt_va(513), 1, 0);
	gstep_switch_as(pvm, s.as);
	for (i = 0; i < ARRAY_SIZE(idx); i++) {
		va = pt_va(idx[i]);
		gstep_load(pvm, va, 4, idx[i] & 1 ? EXPECT_PF(0, va) : EXPECT_VALUE(tag(4 + i)));
	}

	start_trace(&s, "quadrants");
	ok = !paging_vm_run_steps(pvm);
	if (s.trace) {
		kvm_trace_stop(s.trace);
		ok &= check_quadrant_events(&s);
		kvm_trace_destroy(s.trace);
	}
	paging_report_traced(ok, no_trace, "quadrants_32bit_%s", kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * has_4_byte_gpte_32bit_to_pae: one guest page table PT is used by a
 * 2-level guest (4-byte entries) and, after the guest switches to PAE
 * paging (CR0.PG = 0, CR4.PAE = 1, CR3 = a PDPT, CR0.PG = 1; SDM Vol. 3A
 * 4.1.2), as a PAE page table (8-byte entries: entry k is 2-level entries
 * 2k and 2k+1, the odd ones kept 0).  KVM shadows PT with
 * has_4_byte_gpte = 1 and then = 0 (kvm_calc_cpu_role()); the first page,
 * unsync under 2-level paging, must be left alone under PAE paging and be
 * synced when the guest is back in 2-level paging.  The PAE tables map
 * the step engine and the page-table pool with 2 MiB pages.
 */
#define PAE_VA_X	VA_X
#define BIG		0x200000ull

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

static bool check_mode_switch_events(struct scene *s, const struct ctx *two,
				     const struct ctx *off)
{
	struct kvm_mmu_model *m = kvm_trace_model(s->trace);
	static const enum guest_paging_mode mode[3] = {
		GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_32BIT,
	};
	uint64_t gfn = s->pt >> 12;
	struct role_want want[3][16], want_off[16];
	int nw[3], nw_off, p;
	size_t synced[3] = { 0 }, own_synced = 0, zap = 0, i;
	uint32_t unsync_role = 0;
	bool have_unsync = false, ok = true;

	for (p = 0; p < 3; p++)
		nw[p] = role_wants(mode[p], two, want[p]);
	nw_off = role_wants(GUEST_PAGING_32BIT, off, want_off);
	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		for (p = 0; p < 3; p++)
			if (e->phase == s->phase[p])
				break;
		if (p == 3 || e->gfn != gfn)
			continue;
		if (e->type == KVM_MMU_UNSYNC_PAGE && p == 0 &&
		    role_matches(m, e->role, want[0], nw[0])) {
			unsync_role = e->role;
			have_unsync = true;
		}
		if (e->type == KVM_MMU_PREPARE_ZAP_PAGE)
			zap++;
		if (e->type != KVM_MMU_SYNC_PAGE)
			continue;
		/* Phase PAE begins with CR0.PG = 0: direct, nothing to sync. */
		if (!role_matches(m, e->role, want[p], nw[p]) ||
		    role_matches(m, e->role, want_off, nw_off)) {
			ksft_print_msg(MODE_SWITCH_WRONG_SYNC_FMT, e->phase);
			print_event(m, e);
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
		kvm_trace_print(s->trace);
	return ok;
}

static void run_mode_switch(void)
{
	const struct ctx two = { .pg = true, .wp = true }, off = { .pg = false };
	struct paging_vm *pvm;
	struct kvm_trace *t;
	struct scene s;
	uint64_t pdpt, pd0, pd1, pte_gpa, two_cr3;
	uint64_t *pdpte;
	bool ok;
	int i;

	pvm = init_scene(&s, GUEST_PAGING_32BIT);
	/* 2-level entries 0, 2, 4; PAE entries 0, 1, 2. */
	for (i = 0; i < 3; i++)
		guest_as_map(s.as, pt_va(2 * i), s.data[i], 1, GP_P | GP_RW);
	guest_as_entry_gpa(s.as, pt_va(1), 1);
	s.pt = guest_as_entry_gpa(s.as, VA_X, 1) & ~0xfffull;
	two_cr3 = guest_as_cr3(s.as);

	/* PAE tables: PDPTE 0 for the engine, pool and alias; 1 for PT. */
	pdpt = paging_vm_alloc_table(pvm);
	pd0 = paging_vm_alloc_table(pvm);
	pd1 = paging_vm_alloc_table(pvm);
	pdpte = paging_vm_hva(pvm, pdpt);
	pdpte[0] = pd0 | GP_P;
	pdpte[1] = pd1 | GP_P;
	pae_map_2m(pvm, pd0, GSTEP_SLOT_GPA, GSTEP_SLOT_GPA, GSTEP_SLOT_SIZE);
	pae_map_2m(pvm, pd0, VA_TABLES, GSTEP_PT_POOL_GPA, GSTEP_PT_POOL_SIZE);
	((uint64_t *)paging_vm_hva(pvm, pd1))[0] = s.pt | GP_P | GP_RW;
	s.cur = two;

	gstep_phase(pvm, "2-level: unsync PT");
	for (i = 0; i < 3; i++)
		gstep_load(pvm, pt_va(2 * i), 4, EXPECT_VALUE(tag(i)));
	gstep_write_entry(pvm, s.as, pt_va(0), 1, s.data[3] | GP_P | GP_RW);
	gstep_sync(pvm);

	gstep_phase(pvm, "PAE: PT as 8-byte entries");
	gstep_cr0(pvm, 0, X86_CR0_PG);
	gstep_cr4(pvm, X86_CR4_PAE, 0);
	gstep_write_cr3(pvm, pdpt, EXPECT_OK());
	gstep_cr0(pvm, X86_CR0_PG, 0);
	/* Clearing CR0.PG flushed every TLB entry (SDM 4.10.4.1). */
	gstep_load(pvm, PAE_VA_X, 4, EXPECT_VALUE(tag(3)));
	gstep_load(pvm, PAE_VA_X + PAGE_SIZE, 4, EXPECT_VALUE(tag(1)));
	gstep_load(pvm, PAE_VA_X + 2 * PAGE_SIZE, 4, EXPECT_VALUE(tag(2)));
	/* PAE entry 1 (2-level entries 2 and 3): one 8-byte write. */
	pte_gpa = s.pt + 8;
	gstep_store(pvm, paging_vm_table_va(pvm, pte_gpa), 8, s.data[4] | GP_P | GP_RW,
		    EXPECT_OK());
	gstep_write_cr3(pvm, pdpt, EXPECT_OK());
	gstep_load(pvm, PAE_VA_X + PAGE_SIZE, 4, EXPECT_VALUE(tag(4)));
	gstep_sync(pvm);

	gstep_phase(pvm, "2-level again");
	gstep_cr0(pvm, 0, X86_CR0_PG);
	gstep_cr4(pvm, 0, X86_CR4_PAE);
	gstep_write_cr3(pvm, two_cr3, EXPECT_OK());
	gstep_cr0(pvm, X86_CR0_PG, 0);
	gstep_load(pvm, pt_va(0), 4, EXPECT_VALUE(tag(3)));
	gstep_load(pvm, pt_va(2), 4, EXPECT_VALUE(tag(4)));
	gstep_load(pvm, pt_va(4), 4, EXPECT_VALUE(tag(2)));
	gstep_write_entry(pvm, s.as, pt_va(4), 1, s.data[5] | GP_P | GP_RW);
	gstep_switch_as(pvm, s.as);
	gstep_load(pvm, pt_va(4), 4, EXPECT_VALUE(tag(5)));

	s.phase_names[1] = "PAE";
	s.phase_names[2] = "2-level again";
	ok = true;
	if (start_trace(&s, "2-level")) {
		t = s.trace;
		ok = !paging_vm_run_steps(pvm);
		kvm_trace_stop(t);
		ok &= s.nr_phases == 3 && check_mode_switch_events(&s, &two, &off);
		kvm_trace_destroy(t);
	} else {
		ok = !paging_vm_run_steps(pvm);
	}
	paging_report_traced(ok, no_trace, "has_4_byte_gpte_32bit_to_pae_%s",
			     kvm_mmu_config_name(&cfg));
	paging_vm_free(pvm);
}

/*
 * Cases that exist in a mode: CR0.PG cannot be cleared in IA-32e mode
 * (SDM Vol. 3A 9.8.5.4), 2-level paging has no XD bit (4.3).
 */
static bool role_case_applies(const struct role_case *rc, enum guest_paging_mode mode)
{
	if (rc->needs_32bit_mode && guest_paging_mode_is_64bit(mode))
		return false;
	return !rc->needs_nx || mode != GUEST_PAGING_32BIT;
}

int main(int argc, char *argv[])
{
	unsigned int i, j, plan = 0;
	const char *why;

	kvm_mmu_test_start(&cfg);
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	for (i = 0; i < ARRAY_SIZE(role_cases); i++)
		for (j = 0; j < ARRAY_SIZE(modes); j++)
			plan += role_case_applies(&role_cases[i], modes[j]);
	ksft_set_plan(plan + 2);

	for (i = 0; i < ARRAY_SIZE(role_cases); i++) {
		for (j = 0; j < ARRAY_SIZE(modes); j++) {
			if (!role_case_applies(&role_cases[i], modes[j]))
				continue;
			if (!guest_paging_mode_supported(modes[j], &why)) {
				ksft_test_result_skip("%s_%s: %s\n", role_cases[i].name,
						      guest_paging_mode_name(modes[j]), why);
				continue;
			}
			run_role_case(&role_cases[i], modes[j]);
		}
	}
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
