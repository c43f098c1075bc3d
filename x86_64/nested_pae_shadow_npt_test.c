// SPDX-License-Identifier: GPL-2.0
/*
 * nested_pae_shadow_npt_test: KVM's shadow of a 32-bit PAE L1's PAE-format
 * NPT (include/x86_64/pae_l1_cases.h), from kvmmmu trace events
 * (include/kvm_trace.h): each page directory and page table of L1's NPT
 * that L2 used has a shadow page (level 2 / level 1) with guest_mode=1
 * and 8-byte gptes, none above KVM's TDP level; teardown zaps them all.
 * Skips with npt=0 or without kvmmmu tracing, saying which.
 */

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "kselftest.h"

#include "known_defects.h"
#include "emulator.h"
#include "kvm_role.h"
#include "kvm_role_btf.h"
#include "kvm_trace.h"
#include "pae_l1_cases.h"

/* ---- introspection: KVM's shadow of a PAE NPT ---- */

#define MAX_PAGES	256

static struct kvm_trace *trace;

static int role(uint32_t word, const char *field)
{
	return kvm_role_get(&kvm_trace_model(trace)->layout, word, field);
}

static bool is_npt_page(uint32_t word)
{
	return role(word, "guest_mode") == 1 && !role(word, "direct");
}

static size_t traced_pages(struct kvm_mmu_page_summary *pages)
{
	size_t n, total;

	n = kvm_mmu_model_pages(kvm_trace_model(trace), pages, MAX_PAGES, &total);
	TEST_ASSERT(n == total, "more than %d shadow pages", MAX_PAGES);
	return n;
}

static bool has_page(const struct kvm_mmu_page_summary *pages, size_t n, uint64_t gpa,
		     int level)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (is_npt_page(pages[i].role) && pages[i].gfn == gpa >> 12 &&
		    role(pages[i].role, "level") == level &&
		    !role(pages[i].role, "passthrough"))
			return true;
	return false;
}

/*
 * L2 reads through PDPTEs 0-2 of a PAE NPT (4K leaves under 0 and 1, a
 * 2M leaf under 2).  The 6.12 source gives the shadow pages of L1's NPT:
 * kvm_calc_cpu_role() from L1's CR0/CR4/EFER (PAE: 8-byte gptes,
 * guest_mode=1), each PDPTE's page directory a level-2 page and each page
 * table a level-1 page (mmu_alloc_shadow_roots() under the special
 * pml4_root/pae_root; FNAME(fetch) below), none of them passthrough, no
 * page above the TDP level; VM teardown zaps them all.
 */
static void check_shadow_npt_pages(struct outcome *o)
{
	struct kvm_mmu_page_summary pages[MAX_PAGES];
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = npt_with_code(l1, 0);
	uint64_t big = paging_vm_alloc(l1->pvm, 1ull << 21, 1ull << 21);
	uint64_t gpa[2] = { 1 * GB + 0x3000, 2 * GB + 0x145000 };
	uint64_t tables[5], before[4];
	int tdp_level = pae_cfg.host_paging_levels;
	size_t i, n, npt = 0, live = 0;
	char died[320];
	bool ok = true;
	int len = 0;

	pnpt_map(l1->pvm, ncr3, gpa[0], data_page(l1, 0x1111), PNPT_LEVEL_4K, PNPT_RW);
	pnpt_map(l1->pvm, ncr3, 2 * GB, big, PNPT_LEVEL_2M, PNPT_RW);
	*(uint32_t *)paging_vm_hva(l1->pvm, big + 0x145000) = 0x2222;
	tables[0] = *pnpt_entry(l1->pvm, ncr3, PAE_L1_L2_CODE_GPA, 3, false) & ~0xfffull;
	tables[1] = *pnpt_entry(l1->pvm, ncr3, PAE_L1_L2_CODE_GPA, 2, false) & ~0xfffull;
	tables[2] = *pnpt_entry(l1->pvm, ncr3, gpa[0], 3, false) & ~0xfffull;
	tables[3] = *pnpt_entry(l1->pvm, ncr3, gpa[0], 2, false) & ~0xfffull;
	tables[4] = *pnpt_entry(l1->pvm, ncr3, gpa[1], 3, false) & ~0xfffull;
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load_sum(l1, gpa, 2);
	expect_vmmcall(0x3333);
	pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));

	read_pdptes(l1, before);
	kvm_trace_start(trace, "l2_run");
	if (paging_vm_run_steps(l1->pvm) && l1_died_at_vmexit(l1, before, died, sizeof(died)))
		ksft_print_msg("%s: %s (judged by the other cases; this one checks the pages)\n",
			       pae_case_name, died);
	kvm_trace_stop(trace);
	if (!check_vmcb(l1, o->why, sizeof(o->why))) {
		o->v = V_FAIL;
		pae_l1_free(l1);
		return;
	}

	n = traced_pages(pages);
	for (i = 0; i < n; i++) {
		uint32_t w = pages[i].role;
		int level = role(w, "level");

		if (!is_npt_page(w))
			continue;
		npt++;
		if (role(w, "has_4_byte_gpte") || level < 1 || level > tdp_level) {
			len += snprintf(o->why + len, sizeof(o->why) - len,
					"page gfn 0x%lx role 0x%x: level %d has_4_byte_gpte %d; ",
					pages[i].gfn, w, level, role(w, "has_4_byte_gpte"));
			ok = false;
		}
	}
	ksft_print_msg("%s: %zu shadow pages with guest_mode=1, direct=0\n", pae_case_name, npt);
	for (i = 0; i < 5; i++) {
		int level = i == 0 || i == 2 || i == 4 ? 2 : 1;

		if (!has_page(pages, n, tables[i], level)) {
			len += snprintf(o->why + len, sizeof(o->why) - len,
					"no level-%d shadow page for L1's NPT table at 0x%lx; ",
					level, tables[i]);
			ok = false;
		}
	}

	kvm_trace_start(trace, "teardown");
	pae_l1_free(l1);
	kvm_trace_stop(trace);
	n = traced_pages(pages);
	for (i = 0; i < n; i++)
		live += is_npt_page(pages[i].role) && pages[i].live;
	if (live) {
		snprintf(o->why + len, sizeof(o->why) - len,
			 "%zu shadow NPT pages never zapped at teardown", live);
		ok = false;
	}
	o->v = ok ? V_PASS : V_FAIL;
	if (!ok)
		kvm_trace_print(trace);
}

/* The trace is set up before the case's VM, and ends with it. */
static void case_shadow_npt_pages(struct outcome *o, const struct pae_l1_case *c)
{
	trace = kvm_trace_create();
	check_shadow_npt_pages(o);
	kvm_trace_destroy(trace);
}

static const struct pae_l1_case cases[] = {
	{ "shadow_npt_pages", case_shadow_npt_pages, true, .trace = true },
};

int main(int argc, char *argv[])
{
	return pae_l1_cases_main(cases, ARRAY_SIZE(cases));
}
