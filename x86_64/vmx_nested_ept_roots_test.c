// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_nested_ept_roots_test: a VMX L1 switching its L2 among EPTPs, and
 * KVM's shadow EPT roots cached for them.
 *
 * L1 has two EPT PML4 tables, EPTP1 and EPTP2, which share every lower
 * table (EPTP2's PML4 is a copy of EPTP1's), and runs L2 on one, then the
 * other, then the first again; L2 reads the guest-physical page T (see
 * vmx_nested_ept_test.c for the layout) each time.  Then L1 points T's
 * EPT leaf at another page (through an alias of its EPT page table),
 * invalidates, and runs L2 on EPTP1, EPTP2 and EPTP1 again.  The SDM
 * (vol. 3C; 2023+ numbering, older in brackets) says what L2 may read:
 *
 * - INVEPT single-context (31.3 INVEPT [30.3]) with EPTP2 invalidates the
 *   mappings derived from EPTP2's PML4 table only: on EPTP2 L2 must read
 *   the new page; on EPTP1, never invalidated, it may read either
 *   (29.4.3.1 [28.4.3.1]: mappings of other EP4TAs may be kept).
 * - INVEPT global: the new page on both.
 *
 * KVM (6.12 and 7.3): a VM entry with another EPTP is
 * nested_ept_new_eptp() -> kvm_mmu_new_pgd(), which takes a cached root
 * (mmu->prev_roots, fast_pgd_switch() in mmu/mmu.c) without syncing it;
 * handle_invept() (vmx/nested.c) frees the current and cached roots of
 * that EPTP (or all for global), and a freed root is rebuilt, its unsync
 * pages synced, at the next kvm_mmu_load().
 *
 * With kvmmmu tracing (include/kvm_trace.h) a second result per case
 * checks KVM's shadow EPT pages (kvm_calc_shadow_ept_root_page_role() and
 * kvm_mmu_get_child_sp(), 6.12 and 7.3): L2's first run on EPTP1 creates
 * one shadow page per L1 EPT table it walks, each at that table's level
 * (kvm_mmu_get_shadow_page() finds a page by gfn and role); EPTP2's first
 * entry creates its root (level 4, guest_mode=1, direct=0, ad_disabled =
 * !EPTP2[6], access ACC_ALL), the lower pages are shared between EPTPs of
 * the same A/D setting and made anew, with their own ad_disabled, for
 * another; neither switch zaps a shadow page, and the switch back to
 * EPTP1 looks one up or creates one neither.
 *
 * Skips where /dev/kvm is not kvm_intel with nested VMX and EPT for L1.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vmx.h"
#include "kselftest.h"

#include "ept_bits.h"
#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_role.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "vm_tables.h"
#include "vmx_l1.h"

#define L2_GPA		0xc0000000ULL	/* T: linear = L2 GPA */
#define ALIAS_GVA	0xd0000000ULL	/* L1's alias of T's EPT page table */
#define OFF_DATA	0x128
#define TAG(v)		(0x7e0d000000000000ULL | (v))
#define L2_STACK_SIZE	512
#define MAX_PAGES	512
#define DATA_SLOT	1
#define DATA_GPA	0x40000000ULL	/* EPTP2's PML4 and T's pages */
#define DATA_PAGES	16

/* L2's runs, in order: the EPTP each is on, and its name as a trace phase. */
enum stage { ON_1, ON_2, BACK_ON_1, CHANGED_ON_1, CHANGED_ON_2, CHANGED_BACK_ON_1, NR_STAGES };

static const char *const stage_names[NR_STAGES] = {
	"eptp1", "eptp2", "back_to_eptp1", "changed_on_eptp1", "changed_on_eptp2",
	"changed_back_on_eptp1",
};

static const int stage_eptp[NR_STAGES] = { 1, 2, 1, 1, 2, 1 };

struct roots_case {
	const char *name;
	bool ad1, ad2;		/* EPTP bit 6 of EPTP1, EPTP2 */
	int invept;		/* after the leaf change: of EPTP2, or global */
};

static const struct roots_case cases[] = {
	{ "invept_single_context_of_cached_eptp", false, false, VMX_INVEPT_SINGLE_CONTEXT },
	{ "invept_global", false, false, VMX_INVEPT_GLOBAL },
	{ "ad_mixed_invept_single_context_of_cached_eptp", true, false,
	  VMX_INVEPT_SINGLE_CONTEXT },
};

/* Shared by host, L1 and L2 (L2 reaches L1's memory through the identity map). */
static struct roots_case the_case;
static uint64_t eptp[3];		/* [1], [2]: L1's EPTPs */
static uint64_t leaf_new;		/* T's leaf, to the second page */
static uint64_t l2_value[NR_STAGES];
static int stage;
static uint8_t l2_stack[L2_STACK_SIZE] __aligned(16);

static void l2_guest(void)
{
	for (;;) {
		/* vmcall()'s asm clobbers no memory: no access may cross it. */
		WRITE_ONCE(l2_value[READ_ONCE(stage)], READ_ONCE(*(uint64_t *)(L2_GPA + OFF_DATA)));
		vmcall();
	}
}

static void l1_guest(struct vmx_pages *vmx)
{
	int s;

	vmx_l1_prepare_l2(vmx, l2_guest, &l2_stack[L2_STACK_SIZE]);
	for (s = 0; s < NR_STAGES; s++) {
		if (s == CHANGED_ON_1) {
			WRITE_ONCE(*(uint64_t *)(ALIAS_GVA + 8 * ((L2_GPA >> 12) & 511)),
				   leaf_new);
			GUEST_ASSERT(!vmx_l1_invept(the_case.invept, eptp[2]));
		}
		WRITE_ONCE(stage, s);
		vmwrite(EPT_POINTER, eptp[stage_eptp[s]]);
		GUEST_ASSERT(!(s ? vmresume() : vmlaunch()));
		vmx_l1_skip_vmcall();
		GUEST_SYNC(s);
	}
	GUEST_DONE();
}

/* EPTP1 from upstream's builder, EPTP2 on a copy of its PML4 table. */
static void build_eptps(struct kvm_vm *vm, uint64_t root, const struct roots_case *c)
{
	uint64_t root2 = vm_zeroed_page(vm, DATA_SLOT);
	uint64_t page_b;

	virt_pg_map(vm, L2_GPA, L2_GPA);
	tdp_map(vm, L2_GPA, vm_tagged_page(vm, DATA_SLOT, OFF_DATA, TAG(0xa)), PAGE_SIZE);
	page_b = vm_tagged_page(vm, DATA_SLOT, OFF_DATA, TAG(0xb));
	virt_pg_map(vm, ALIAS_GVA, *vm_ept_entry(vm, root, L2_GPA, 2) & EPT_ADDR);
	/* After every L1 page L2 walks or runs on is allocated. */
	tdp_identity_map_default_memslots(vm);
	leaf_new = (*vm_ept_entry(vm, root, L2_GPA, 1) & ~EPT_ADDR) | page_b;

	memcpy(addr_gpa2hva(vm, root2), addr_gpa2hva(vm, root), PAGE_SIZE);
	/* Write-back, 4-level walk (24.6.11 [24.6.11]), A/D per case. */
	eptp[1] = root | EPTP_MT_WB | EPTP_PWL(4) | (c->ad1 ? EPTP_AD : 0);
	eptp[2] = root2 | EPTP_MT_WB | EPTP_PWL(4) | (c->ad2 ? EPTP_AD : 0);
}

/* Whether the value L2 read in @s is one the SDM allows; reported. */
static void check_value(const struct roots_case *c, enum stage s)
{
	bool invalidated = s == CHANGED_ON_2 ||
			   (s >= CHANGED_ON_1 && c->invept == VMX_INVEPT_GLOBAL);
	uint64_t v = l2_value[s];

	if (s < CHANGED_ON_1) {
		TEST_ASSERT(v == TAG(0xa), "%s: L2 on EPTP%d read 0x%lx, page A has 0x%llx",
			    stage_names[s], stage_eptp[s], v, TAG(0xa));
		return;
	}
	TEST_ASSERT(v == TAG(0xa) || v == TAG(0xb),
		    "%s: L2 read 0x%lx, neither the old (0x%llx) nor the new page (0x%llx)",
		    stage_names[s], v, TAG(0xa), TAG(0xb));
	if (!invalidated)
		ksft_print_msg("%s %s: L2 read the %s page (either allowed)\n", c->name,
			       stage_names[s], v == TAG(0xb) ? "new" : "old");
	TEST_ASSERT(!invalidated || v == TAG(0xb),
		    "%s: after INVEPT type %d of EPTP2 L2 on EPTP%d read the old page",
		    stage_names[s], c->invept, stage_eptp[s]);
}

/* The level of L1's EPT table at @gfn under the one at @gpa of @level, or 0. */
static int ept_table_level(struct kvm_vm *vm, uint64_t gpa, int level, uint64_t gfn)
{
	uint64_t *table = vm_table(vm, gpa);
	int i, found;

	if (gpa >> 12 == gfn)
		return level;
	for (i = 0; level > 1 && i < 512; i++) {
		if (!(table[i] & EPT_RWX) || (table[i] & EPT_PS))
			continue;
		found = ept_table_level(vm, table[i] & EPT_ADDR, level - 1, gfn);
		if (found)
			return found;
	}
	return 0;
}

/*
 * Why the shadow pages L2's first run on EPTP1 created are not one per
 * L1 EPT table at its level, or NULL.
 */
static const char *check_first_run_pages(struct kvm_vm *vm, const struct kvm_mmu_model *m,
					 const struct kvm_mmu_page_summary *pages, size_t n,
					 char *why, size_t size)
{
	int on1 = kvm_mmu_model_phase(m, stage_names[ON_1]);
	struct kvm_mmu_role r;
	size_t i, j;

	for (i = 0; i < n; i++) {
		kvm_role_decode(&m->layout, pages[i].role, &r);
		if (pages[i].first_phase != on1 || !pages[i].created || !r.guest_mode || r.direct)
			continue;
		if (ept_table_level(vm, eptp[1] & EPT_ADDR, 4, pages[i].gfn) != r.level) {
			snprintf(why, size, "shadow page of gfn 0x%lx, level %d: %s", pages[i].gfn,
				 r.level, "L1 has no EPT table of that level there");
			return why;
		}
		for (j = 0; j < i; j++) {
			if (pages[j].gfn == pages[i].gfn && pages[j].first_phase == on1 &&
			    pages[j].created) {
				snprintf(why, size, "two shadow pages of L1's EPT table 0x%lx",
					 pages[i].gfn);
				return why;
			}
		}
	}
	return NULL;
}

/* Why KVM's shadow EPT pages break the rules in the header, or NULL. */
static const char *check_pages(struct kvm_trace *t, struct kvm_vm *vm,
			       const struct roots_case *c, char *why, size_t size)
{
	static struct kvm_mmu_page_summary pages[MAX_PAGES];
	struct kvm_mmu_model *m = kvm_trace_model(t);
	int on2 = kvm_mmu_model_phase(m, stage_names[ON_2]);
	int back = kvm_mmu_model_phase(m, stage_names[BACK_ON_1]);
	size_t i, n, total, roots2 = 0, lower2 = 0;
	struct kvm_mmu_query looked_up, zapped;
	uint64_t root2 = eptp[2] & EPT_ADDR;
	struct kvm_mmu_role r;
	const char *bad;

	n = kvm_mmu_model_pages(m, pages, MAX_PAGES, &total);
	TEST_ASSERT(n == total, "more than %d shadow pages", MAX_PAGES);
	bad = check_first_run_pages(vm, m, pages, n, why, size);
	if (bad)
		return bad;
	for (i = 0; i < n; i++) {
		kvm_role_decode(&m->layout, pages[i].role, &r);
		if (pages[i].first_phase != on2 || r.guest_mode != 1 || !pages[i].created)
			continue;
		if (r.direct || r.ad_disabled != !c->ad2) {
			snprintf(why, size, "EPTP2's page gfn 0x%lx: direct %d, ad_disabled %d",
				 pages[i].gfn, r.direct, r.ad_disabled);
			return why;
		}
		if (pages[i].gfn == root2 >> 12 && r.level == 4 && r.rights == KVM_ROLE_ACC_ALL)
			roots2++;
		else if (r.level < 4)
			lower2++;
	}
	if (roots2 != 1)
		return "EPTP2's first entry made no level-4 root with access ACC_ALL for its PML4";
	if (c->ad1 == c->ad2 && lower2)
		return "EPTP2 with EPTP1's A/D setting got lower shadow pages of its own";
	if (c->ad1 != c->ad2 && !lower2)
		return "EPTP2 with another A/D setting shares EPTP1's lower shadow pages";
	/* The cached root and its SPTEs serve: no lookup (direct=0: L2's). */
	looked_up = KVM_MMU_QUERY(.phase = back, .type = KVM_MMU_GET_PAGE, .direct = 0);
	zapped = KVM_MMU_QUERY(.phase = back, .type = KVM_MMU_PREPARE_ZAP_PAGE);
	if (kvm_mmu_model_count(m, looked_up) || kvm_mmu_model_count(m, zapped))
		return "switching back to EPTP1 looked up, created or zapped shadow pages";
	zapped = KVM_MMU_QUERY(.phase = on2, .type = KVM_MMU_PREPARE_ZAP_PAGE);
	if (kvm_mmu_model_count(m, zapped))
		return "switching to EPTP2 zapped shadow pages";
	return NULL;
}

static void run_case(const struct roots_case *c, const char *cfg_name, const char *no_trace)
{
	struct kvm_trace *t = no_trace ? NULL : kvm_trace_create();
	char why[160];
	const char *bad = NULL;
	struct vmx_pages *vmx;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	gva_t vmx_gva;
	int s;

	/*
	 * EPTP2's PML4 and T's pages in a memslot of their own: 7.x's
	 * memslot 0 is sized for the program's image, stacks and page
	 * tables (vm_nr_pages_required(), 7.3 lib/kvm_util.c), and with
	 * upstream's EPT tables it had no page left for them on 7.3.
	 */
	vm = vm_create_with_test_slot(&vcpu, l1_guest, 0, DATA_SLOT, DATA_GPA, DATA_PAGES);
	vm_enable_ept(vm);
	vmx = vcpu_alloc_vmx(vm, &vmx_gva);
	vcpu_args_set(vcpu, 1, vmx_gva);
	build_eptps(vm, vmx->eptp_gpa, c);
	the_case = *c;
	sync_global_to_guest(vm, the_case);
	sync_global_to_guest(vm, eptp);
	sync_global_to_guest(vm, leaf_new);

	for (s = 0; s < NR_STAGES; s++) {
		if (t)
			kvm_trace_start(t, stage_names[s]);
		vcpu_run_to_sync(vcpu, s);
		if (t)
			kvm_trace_stop(t);
	}
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, l2_value);
	for (s = 0; s < NR_STAGES; s++)
		check_value(c, s);
	ksft_test_result_pass("%s_%s\n", c->name, cfg_name);

	if (t)
		bad = check_pages(t, vm, c, why, sizeof(why));
	kvm_trace_report(t, no_trace, bad, "%s_shadow_ept_pages_%s", c->name, cfg_name);
	kvm_vm_free(vm);
}

int main(void)
{
	struct kvm_mmu_config cfg;
	const char *no_trace;
	unsigned int i;
	uint64_t caps;

	caps = kvm_mmu_nested_ept_test_start(&cfg);
	no_trace = kvm_trace_unavailable();
	ksft_set_plan(2 * ARRAY_SIZE(cases));

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct roots_case *c = &cases[i];

		if ((c->ad1 || c->ad2) && !(caps & VMX_EPT_VPID_CAP_AD_BITS)) {
			ksft_test_result_skip("%s_%s: no EPT A/D for L1 (%s 0x%lx)\n",
					      c->name, kvm_mmu_config_name(&cfg),
					      "IA32_VMX_EPT_VPID_CAP", caps);
			ksft_test_result_skip("%s_shadow_ept_pages_%s: no EPT A/D for L1\n",
					      c->name, kvm_mmu_config_name(&cfg));
			continue;
		}
		run_case(c, kvm_mmu_config_name(&cfg), no_trace);
	}
	ksft_finished();
}
