// SPDX-License-Identifier: GPL-2.0
/*
 * vmx_nested_vpid_test: the linear mappings of an L2 of a VMX L1 without
 * EPT, tagged with VPIDs or not, after L1 changes L2's page tables.
 *
 * A 64-bit VMX L1 runs a 64-bit L2 without EPT on L1's own page tables
 * (GUEST_CR3 = HOST_CR3, upstream's prepare_vmcs()), in which linear
 * address T maps page A.  L2 reads T; L1 points T's PTE at page B (through
 * an alias of the page table that holds it), then does what the case
 * names, and L2 reads T again.  The SDM (vol. 3C; 2023+ numbering, older
 * in brackets) says what the second read may return:
 *
 * - VPID off (secondary control "enable VPID" clear): VM entries and
 *   exits invalidate the linear mappings of VPID 0000H (29.4.3.1
 *   [28.3.3.1]): B.
 * - VPID on: the mappings of L2's VPID survive VM exits and entries; A or
 *   B may be read without an invalidation (reported, not checked).
 *   INVVPID (31.3 INVVPID [30.3]) invalidates them: type 0 the mappings
 *   of one linear address of one VPID, type 1 all of one VPID, type 2 all
 *   VPIDs but 0000H, type 3 all of one VPID but global ones (T's PTE is
 *   not global).  Each must give B.  An entry with another VPID never used
 *   before finds no mapping cached for it: B.
 *
 * KVM (arch/x86/kvm/vmx/nested.c, 6.12 and 7.3): with VPID off,
 * nested_vmx_transition_tlb_flush() requests KVM_REQ_TLB_FLUSH_GUEST on
 * every entry and exit, and so does a change of vmcs12's VPID; INVVPID is
 * handle_invvpid(), which flushes vpid02 in hardware and, with ept=0 (L2's
 * tables shadowed by KVM), frees the guest-mode shadow roots
 * (kvm_mmu_free_guest_mode_roots()), so that the next entry rebuilds them
 * from L2's current tables.  With ept=0, L1's write to the PTE finds the
 * page table shadowed for L2 and makes it unsync (mmu_try_to_unsync_pages())
 * rather than updating L2's SPTE: only such a flush brings B to L2.
 *
 * And with ept=0 INVVPID frees L2's roots only: L1 and L2 share root_mmu
 * and its cache of previous roots, and kvm_mmu_free_guest_mode_roots()
 * (6.12 and 7.3 mmu/mmu.c) frees those with role.guest_mode (VPIDs are
 * not in the role), keeping L1's.  L1 runs on two CR3s, A and B, before
 * it enters L2 (A); after the INVVPID case it moves to B again, which
 * must reuse B's cached root: kvmmmu sees no root looked up
 * (fast_pgd_switch() hits).  Where KVM shadows L1's CR3 (ept=0) and
 * kvmmmu tracing is available.
 *
 * Skips where /dev/kvm is not kvm_intel with nested VMX, or where KVM
 * offers L1 no VPID or not the INVVPID type of a case.
 */
#include <stdio.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "vmx.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "vm_tables.h"
#include "vmx_l1.h"

#define T_GVA		0xc0000000ULL
#define ALIAS_GVA	0xd0000000ULL	/* L1's alias of the page table of T */
#define OFF_DATA	0x128
#define TAG(v)		(0x59d1000000000000ULL | (v))
#define L2_STACK_SIZE	512
#define PTE_ADDR	GENMASK_ULL(51, 12)

/* IA32_VMX_EPT_VPID_CAP (Appendix A.10): INVVPID and its types. */
#define CAP_INVVPID	BIT_ULL(32)
#define CAP_INVVPID_TYPE(t)	BIT_ULL(40 + (t))

enum flush {
	NOTHING,		/* resume L2 at once */
	INVVPID,		/* of type .type for .invvpid_vpid at .invvpid_addr */
	NEW_VPID,		/* resume L2 with VPID 2 */
};

struct vpid_case {
	const char *name;
	uint16_t vpid;		/* L2's VPID; 0: "enable VPID" clear */
	enum flush flush;
	int type;		/* INVVPID type (31.3) */
	uint16_t invvpid_vpid;
	uint64_t invvpid_addr;
	bool must_flush;	/* the SDM says the second read gives B */
};

static const struct vpid_case cases[] = {
	{ "vpid_off_vm_entry_invalidates", 0, NOTHING, .must_flush = true },
	{ "vpid_on_kept_without_invvpid", 1, NOTHING },
	{ "invvpid_individual_address", 1, INVVPID, 0, 1, T_GVA, .must_flush = true },
	{ "invvpid_individual_other_address", 1, INVVPID, 0, 1, T_GVA + 0x200000 },
	{ "invvpid_single_context", 1, INVVPID, 1, 1, .must_flush = true },
	{ "invvpid_single_context_other_vpid", 1, INVVPID, 1, 3 },
	{ "invvpid_all_context", 1, INVVPID, 2, .must_flush = true },
	{ "invvpid_single_context_retaining_globals", 1, INVVPID, 3, 1, .must_flush = true },
	{ "vm_entry_with_new_vpid", 1, NEW_VPID, .must_flush = true },
};

/* Shared by host, L1 and L2 (L2 runs on L1's page tables). */
static struct vpid_case the_case;
static uint64_t pte_new;	/* T's PTE, to page B */
static uint64_t l2_value[2];	/* L2's reads of T, before and after */
static uint64_t l1_cr3[2];	/* L1's CR3s A (L2's too) and B */
static uint8_t l2_stack[L2_STACK_SIZE] __aligned(16);

static void l2_guest(void)
{
	/* vmcall()'s asm clobbers no memory: no access may cross it. */
	WRITE_ONCE(l2_value[0], READ_ONCE(*(uint64_t *)(T_GVA + OFF_DATA)));
	vmcall();
	WRITE_ONCE(l2_value[1], READ_ONCE(*(uint64_t *)(T_GVA + OFF_DATA)));
	vmcall();
}

static void l1_guest(struct vmx_pages *vmx)
{
	const struct vpid_case *c = &the_case;

	/* B's root cached as L1's (role.guest_mode clear) before L2 runs. */
	set_cr3(l1_cr3[1]);
	set_cr3(l1_cr3[0]);
	vmx_l1_prepare_l2(vmx, l2_guest, &l2_stack[L2_STACK_SIZE]);
	if (c->vpid) {
		vmwrite(SECONDARY_VM_EXEC_CONTROL,
			vmreadz(SECONDARY_VM_EXEC_CONTROL) | SECONDARY_EXEC_ENABLE_VPID);
		vmwrite(VIRTUAL_PROCESSOR_ID, c->vpid);
	}

	GUEST_ASSERT(!vmlaunch());
	vmx_l1_skip_vmcall();
	/* T's PTE, through L1's alias of its page table. */
	WRITE_ONCE(*(uint64_t *)(ALIAS_GVA + 8 * ((T_GVA >> 12) & 511)), pte_new);
	if (c->flush == INVVPID)
		GUEST_ASSERT(!vmx_l1_invvpid(c->type, c->invvpid_vpid, c->invvpid_addr));
	else if (c->flush == NEW_VPID)
		vmwrite(VIRTUAL_PROCESSOR_ID, 2);
	GUEST_ASSERT(!vmresume());
	vmx_l1_skip_vmcall();
	GUEST_SYNC(1);
	set_cr3(l1_cr3[1]);
	GUEST_SYNC(2);
	set_cr3(l1_cr3[0]);
	GUEST_DONE();
}

/* Why L1's move to CR3 B looked up a root, or NULL: B's root was cached. */
static const char *check_l1_root_kept(struct kvm_mmu_model *m, int levels, char *why,
				      size_t size)
{
	size_t roots = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE,
							    .direct = 0, .level = levels));

	if (!roots)
		return NULL;
	snprintf(why, size, "L1's MOV CR3 to B after L2's INVVPID looked up %zu root(s): %s",
		 roots, "B's root was not kept in the cache");
	return why;
}

static void run_case(const struct vpid_case *c, const char *cfg_name, const char *no_trace)
{
	struct kvm_trace *t = NULL;
	const char *bad = NULL;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t page_b;
	gva_t vmx_gva;
	char why[128];

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, l1_guest);
	vcpu_alloc_vmx(vm, &vmx_gva);
	vcpu_args_set(vcpu, 1, vmx_gva);
	virt_pg_map(vm, T_GVA, vm_tagged_page(vm, 0, OFF_DATA, TAG(0xa)));
	page_b = vm_tagged_page(vm, 0, OFF_DATA, TAG(0xb));
	virt_pg_map(vm, ALIAS_GVA, *vm_guest_entry(vm, T_GVA, 2) & PTE_ADDR);
	pte_new = (*vm_guest_entry(vm, T_GVA, 1) & ~PTE_ADDR) | page_b;
	/* B: a copy of the top-level table, once every mapping is in. */
	l1_cr3[0] = vm_mmu_pgd(vm);
	l1_cr3[1] = vm_table_copy(vm, 0, l1_cr3[0]);

	the_case = *c;
	sync_global_to_guest(vm, the_case);
	sync_global_to_guest(vm, pte_new);
	sync_global_to_guest(vm, l1_cr3);
	vcpu_run_to_sync(vcpu, 1);
	if (c->flush == INVVPID && !no_trace) {
		t = kvm_trace_create();
		kvm_trace_start(t, "l1_to_b");
	}
	vcpu_run_to_sync(vcpu, 2);
	if (t) {
		kvm_trace_stop(t);
		bad = check_l1_root_kept(kvm_trace_model(t), vm_mmu_levels(vm), why, sizeof(why));
	}
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, l2_value);

	TEST_ASSERT(l2_value[0] == TAG(0xa), "L2's first read of T: 0x%lx, page A has 0x%llx",
		    l2_value[0], TAG(0xa));
	TEST_ASSERT(l2_value[1] == TAG(0xa) || l2_value[1] == TAG(0xb),
		    "L2's second read of T: 0x%lx, neither page A (0x%llx) nor B (0x%llx)",
		    l2_value[1], TAG(0xa), TAG(0xb));
	ksft_print_msg("%s: L2 read page %s after the PTE change\n", c->name,
		       l2_value[1] == TAG(0xb) ? "B (new)" : "A (old)");
	TEST_ASSERT(!c->must_flush || l2_value[1] == TAG(0xb),
		    "L2 read the old page A through T after L1 changed its PTE (%s)", c->name);
	ksft_test_result_pass("%s_%s\n", c->name, cfg_name);
	if (c->flush == INVVPID)
		kvm_trace_report(t, no_trace, bad, "%s_keeps_l1_roots_%s", c->name, cfg_name);
	kvm_vm_free(vm);
}

/* Why a case cannot run here, or NULL. */
static const char *case_unsupported(const struct vpid_case *c, uint64_t caps, bool vpid)
{
	if (c->vpid && !vpid)
		return "KVM offers L1 no \"enable VPID\" (kvm_intel enable_vpid=0?)";
	if (c->flush == INVVPID && (caps & (CAP_INVVPID | CAP_INVVPID_TYPE(c->type))) !=
	    (CAP_INVVPID | CAP_INVVPID_TYPE(c->type)))
		return "KVM's IA32_VMX_EPT_VPID_CAP for L1 lacks this INVVPID type";
	return NULL;
}

int main(void)
{
	struct kvm_mmu_config cfg;
	const char *why, *no_trace;
	unsigned int i, plan = 0;
	uint64_t caps;
	bool vpid;

	kvm_mmu_test_start(&cfg);
	kvm_mmu_config_require_nested_vmx(&cfg);
	no_trace = cfg.tdp ? "EPT is on: KVM shadows no CR3 of L1" : kvm_trace_unavailable();
	caps = kvm_get_feature_msr(MSR_IA32_VMX_EPT_VPID_CAP);
	vpid = kvm_get_feature_msr(MSR_IA32_VMX_PROCBASED_CTLS2) >> 32 &
	       SECONDARY_EXEC_ENABLE_VPID;
	ksft_print_msg("L1's IA32_VMX_EPT_VPID_CAP 0x%lx, enable VPID allowed: %d\n", caps, vpid);
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		plan += 1 + (cases[i].flush == INVVPID);
	ksft_set_plan(plan);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		why = case_unsupported(&cases[i], caps, vpid);
		if (!why) {
			run_case(&cases[i], kvm_mmu_config_name(&cfg), no_trace);
			continue;
		}
		ksft_test_result_skip("%s_%s: %s\n", cases[i].name, kvm_mmu_config_name(&cfg), why);
		if (cases[i].flush == INVVPID)
			ksft_test_result_skip("%s_keeps_l1_roots_%s: %s\n", cases[i].name,
					      kvm_mmu_config_name(&cfg), why);
	}
	ksft_finished();
}
