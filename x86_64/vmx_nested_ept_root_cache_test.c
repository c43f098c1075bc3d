// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_nested_ept_root_cache_test: KVM's cache of shadow EPT roots, the
 * current root and KVM_MMU_NUM_PREV_ROOTS (3, asm/kvm_host.h in 6.12 and
 * 7.3) previous ones, as a VMX L1 runs its L2 on five EPTPs and
 * invalidates some of them.
 *
 * L1's five EPT PML4 tables are copies of one (they share every lower
 * table), so L2 reads the same page T on each; what differs is KVM's
 * shadow EPT root for each PML4.  Each case is a list of steps: a VM
 * entry on one EPTP, or an INVEPT; after each entry L2 reads T.  The
 * SDM lets a VMM keep or drop cached translations as it likes, so L2's
 * values only show that every root still translates; the roots are
 * followed with kvmmmu tracing (include/kvm_trace.h).
 *
 * KVM (6.12 and 7.3): every VM entry with EPT calls kvm_mmu_new_pgd()
 * with the EPTP (kvm_init_shadow_ept_mmu(), mmu/mmu.c).  fast_pgd_switch()
 * takes a cached root of that EPTP, with the current root valid
 * (cached_root_find_and_keep_current(): the cache rotates, the least
 * recently used root is freed on a miss) or after handle_invept()
 * (vmx/nested.c) freed it (cached_root_find_without_current(): the roots
 * after the hit move up).  Without a cached root, kvm_mmu_load() ->
 * mmu_alloc_root() gets the root page by gfn and role: found (kvmmmu's
 * kvm_mmu_get_page, created 0) or made.  Freeing a root only drops its
 * root_count (mmu_free_root_page()): the page stays, and the event of a
 * page found again prints the count before the new reference.  So each
 * entry expects its EPTP's root to be
 *
 * - NEW: made;
 * - CACHED: taken from the cache: no level-4 shadow page found or made;
 * - FOUND: found with root_count 0, no reference left to it: after an
 *   INVEPT of it or an eviction, every root is referenced once.
 *
 * Skips where /dev/kvm is not kvm_intel with nested VMX and EPT for L1.
 */
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vmx.h"
#include "kselftest.h"

#include "ept_bits.h"
#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "vm_tables.h"
#include "vmx_l1.h"

#define L2_GPA		0xc0000000ULL	/* T: linear = L2 GPA */
#define OFF_DATA	0x128
#define TAG		0x7e0dcac4e0000000ULL
#define L2_STACK_SIZE	512
#define NR_EPTPS	5
#define MAX_STEPS	16
#define DATA_SLOT	1
#define DATA_GPA	0x40000000ULL	/* the PML4 copies and T's page */
#define DATA_PAGES	16

enum step_op { ENTER, INVEPT_CONTEXT, INVEPT_GLOBAL };
enum root_expect { NEW, CACHED, FOUND };

struct step {
	enum step_op op;
	int eptp;			/* ENTER, INVEPT_CONTEXT: 0-4 (A-E) */
	enum root_expect root;		/* ENTER */
};

#define ENTER_NEW(e)		{ ENTER, e, NEW }
#define ENTER_CACHED(e)		{ ENTER, e, CACHED }
#define ENTER_FOUND(e)		{ ENTER, e, FOUND }
#define INVEPT(e)		{ INVEPT_CONTEXT, e }
#define INVEPT_ALL		{ INVEPT_GLOBAL }

enum { A, B, C, D, E };

struct cache_case {
	const char *name;
	int nr_steps;
	struct step steps[MAX_STEPS];
};

#define CASE(n, ...) {								\
	.name = n, .steps = { __VA_ARGS__ },					\
	.nr_steps = sizeof((struct step[]){ __VA_ARGS__ }) / sizeof(struct step) \
}

static const struct cache_case cases[] = {
	/* D, current, freed: C taken while no root is current; B and A move up. */
	CASE("invept_current_then_cached",
	     ENTER_NEW(A), ENTER_NEW(B), ENTER_NEW(C), ENTER_NEW(D), INVEPT(D),
	     ENTER_CACHED(C), ENTER_CACHED(A), ENTER_CACHED(B), INVEPT_ALL,
	     ENTER_FOUND(A), ENTER_FOUND(B), ENTER_FOUND(C), ENTER_FOUND(D)),
	/*
	 * As above, then a new EPTP: the slot the hit left empty is the one
	 * a miss frees, so A, B and C all stay cached.
	 */
	CASE("invept_current_then_new_eptp",
	     ENTER_NEW(A), ENTER_NEW(B), ENTER_NEW(C), ENTER_NEW(D), INVEPT(D),
	     ENTER_CACHED(C), ENTER_NEW(E), ENTER_CACHED(A), ENTER_CACHED(B), ENTER_CACHED(C)),
	/* B, cached, freed: the others stay. */
	CASE("invept_cached",
	     ENTER_NEW(A), ENTER_NEW(B), ENTER_NEW(C), ENTER_NEW(D), INVEPT(B),
	     ENTER_CACHED(A), ENTER_CACHED(C), ENTER_FOUND(B), ENTER_CACHED(A)),
	/* Four roots fit; a fifth evicts the least recently used. */
	CASE("fifth_eptp_evicts_lru",
	     ENTER_NEW(A), ENTER_NEW(B), ENTER_NEW(C), ENTER_NEW(D), ENTER_NEW(E),
	     ENTER_FOUND(A), ENTER_CACHED(E), ENTER_CACHED(D), ENTER_CACHED(C),
	     ENTER_FOUND(B)),
};

/* Shared by host, L1 and L2 (L2 reaches L1's memory through the identity map). */
static struct cache_case the_case;
static uint64_t eptp[NR_EPTPS];
static uint64_t l2_value[MAX_STEPS];
static int cur_step;
static uint8_t l2_stack[L2_STACK_SIZE] __aligned(16);

static void l2_guest(void)
{
	for (;;) {
		/* vmcall()'s asm clobbers no memory: no access may cross it. */
		WRITE_ONCE(l2_value[READ_ONCE(cur_step)],
			   READ_ONCE(*(uint64_t *)(L2_GPA + OFF_DATA)));
		vmcall();
	}
}

static void l1_guest(struct vmx_pages *vmx)
{
	bool launched = false;
	int s;

	vmx_l1_prepare_l2(vmx, l2_guest, &l2_stack[L2_STACK_SIZE]);
	for (s = 0; s < the_case.nr_steps; s++) {
		const struct step *st = &the_case.steps[s];

		WRITE_ONCE(cur_step, s);
		if (st->op == INVEPT_CONTEXT) {
			GUEST_ASSERT(!vmx_l1_invept(VMX_INVEPT_SINGLE_CONTEXT, eptp[st->eptp]));
		} else if (st->op == INVEPT_GLOBAL) {
			GUEST_ASSERT(!vmx_l1_invept(VMX_INVEPT_GLOBAL, 0));
		} else {
			vmwrite(EPT_POINTER, eptp[st->eptp]);
			GUEST_ASSERT(!(launched ? vmresume() : vmlaunch()));
			launched = true;
			vmx_l1_skip_vmcall();
		}
		GUEST_SYNC(s);
	}
	GUEST_DONE();
}

/* EPTP A from upstream's builder, B-E on copies of its PML4 table. */
static void build_eptps(struct kvm_vm *vm, uint64_t root)
{
	int i;

	virt_pg_map(vm, L2_GPA, L2_GPA);
	tdp_map(vm, L2_GPA, vm_tagged_page(vm, DATA_SLOT, OFF_DATA, TAG), PAGE_SIZE);
	/* After every L1 page L2 walks or runs on is allocated. */
	tdp_identity_map_default_memslots(vm);
	for (i = 0; i < NR_EPTPS; i++) {
		uint64_t pml4 = i ? vm_table_copy(vm, DATA_SLOT, root) : root;

		/* Write-back, 4-level walk (25.6.11 [24.6.11]). */
		eptp[i] = pml4 | EPTP_MT_WB | EPTP_PWL(4);
	}
}

static const char *const expect_names[] = { "new", "cached", "found" };

static const char *step_phase(int s, char *buf, size_t size)
{
	snprintf(buf, size, "step%d", s);
	return buf;
}

/* Why the root of the entry at step @s is not what @st expects, or NULL. */
static const char *check_root(struct kvm_mmu_model *m, int s, const struct step *st,
			      char *why, size_t size)
{
	int64_t gfn = eptp[st->eptp] >> 12;
	size_t roots, made, found;
	char phase[16];
	int p = kvm_mmu_model_phase(m, step_phase(s, phase, sizeof(phase)));

	/* KVM_MMU_ANY is -1: a missing phase would count them all. */
	TEST_ASSERT(p >= 0, "no trace phase %s", phase);
	roots = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p, .type = KVM_MMU_GET_PAGE,
						     .direct = 0, .level = 4));
	made = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p, .type = KVM_MMU_GET_PAGE,
						    .direct = 0, .level = 4, .gfn = gfn,
						    .created = 1));
	found = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p, .type = KVM_MMU_GET_PAGE,
						     .direct = 0, .level = 4, .gfn = gfn,
						     .created = 0, .root_count = 0));
	if ((st->root == NEW && made == 1 && roots == 1) ||
	    (st->root == CACHED && roots == 0) ||
	    (st->root == FOUND && found == 1 && roots == 1))
		return NULL;
	snprintf(why, size, "step %d, EPTP %c: expected a %s root; %zu level-4 pages %s",
		 s, 'A' + st->eptp, expect_names[st->root], roots,
		 "found or made (a found root must have root_count 0)");
	return why;
}

static void run_case(const struct cache_case *c, const char *cfg_name, const char *no_trace)
{
	struct kvm_trace *t = no_trace ? NULL : kvm_trace_create();
	const char *bad = NULL;
	struct vmx_pages *vmx;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	char phase[16], why[160];
	gva_t vmx_gva;
	int s;

	vm = vm_create_with_test_slot(&vcpu, l1_guest, 0, DATA_SLOT, DATA_GPA, DATA_PAGES);
	vm_enable_ept(vm);
	vmx = vcpu_alloc_vmx(vm, &vmx_gva);
	vcpu_args_set(vcpu, 1, vmx_gva);
	build_eptps(vm, vmx->eptp_gpa);
	the_case = *c;
	sync_global_to_guest(vm, the_case);
	sync_global_to_guest(vm, eptp);

	/* One trace phase per step. */
	for (s = 0; s < c->nr_steps; s++) {
		if (t)
			kvm_trace_start(t, step_phase(s, phase, sizeof(phase)));
		vcpu_run_to_sync(vcpu, s);
		if (t)
			kvm_trace_stop(t);
	}
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, l2_value);
	for (s = 0; s < c->nr_steps; s++)
		TEST_ASSERT(c->steps[s].op != ENTER || l2_value[s] == TAG,
			    "%s: step %d, L2 on EPTP %c read 0x%lx, T has 0x%llx", c->name, s,
			    'A' + c->steps[s].eptp, l2_value[s], TAG);
	ksft_test_result_pass("%s_%s\n", c->name, cfg_name);

	for (s = 0; t && !bad && s < c->nr_steps; s++)
		if (c->steps[s].op == ENTER)
			bad = check_root(kvm_trace_model(t), s, &c->steps[s], why, sizeof(why));
	kvm_trace_report(t, no_trace, bad, "%s_roots_%s", c->name, cfg_name);
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_mmu_config cfg;
	const char *no_trace;
	unsigned int i;

	kvm_mmu_nested_ept_test_start(&cfg);
	no_trace = kvm_trace_unavailable();
	ksft_set_plan(2 * ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(&cases[i], kvm_mmu_config_name(&cfg), no_trace);
	ksft_finished();
}
