// SPDX-License-Identifier: GPL-2.0
/*
 * The cases of the nested_pae_*_test programs: a PAE L1 per case, its
 * verdict, and the programs' main(); see include/x86_64/pae_l1_cases.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "kselftest.h"

#include "known_defects.h"
#include "emulator.h"
#include "kvm_trace.h"
#include "pae_l1_cases.h"

struct kvm_mmu_config pae_cfg;
const char *pae_case_name;
static bool l1_has_npt;

void read_pdptes(struct pae_l1 *l1, uint64_t *pdpte)
{
	int i;

	for (i = 0; i < 4; i++)
		pdpte[i] = guest_as_read_entry(l1->as, i * GB, 3);
}

/*
 * The index of the VMRUN step at which L1 died (triple fault), or -1; if
 * it died at one, @why gets its PDPTEs as the host wrote them and as they
 * are now (L1 ran nothing since).
 */
static int l1_died_at_vmrun(struct pae_l1 *l1, const uint64_t *before, char *why, size_t len)
{
	struct paging_vm *pvm = l1->pvm;
	struct gstep_mailbox *mb = paging_vm_hva(pvm, GSTEP_MAILBOX_GPA);
	struct gstep *steps = paging_vm_hva(pvm, GSTEP_STEPS_GPA);
	uint64_t after[4];
	int i, n;

	if (!pvm->dead || pvm->vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN ||
	    !mb->started || mb->cur_step >= mb->nr_steps || steps[mb->cur_step].op != GSTEP_VMRUN)
		return -1;
	read_pdptes(l1, after);
	n = snprintf(why, len,
		     "the #VMEXIT to L1 of step %u triple-faulted L1; L1's PDPTEs before/after:",
		     mb->cur_step);
	for (i = 0; i < 4 && n < (int)len; i++)
		n += snprintf(why + n, len - n, " 0x%lx/0x%lx", before[i], after[i]);
	return mb->cur_step;
}

bool l1_died_at_vmexit(struct pae_l1 *l1, const uint64_t *before,
		       char *why, size_t len)
{
	return l1_died_at_vmrun(l1, before, why, len) >= 0;
}

/* Whether some present PDPTE of L1 gained exactly bit 5 (A) and no other change. */
bool pdpte_gained_accessed_bit(struct pae_l1 *l1, const uint64_t *before)
{
	uint64_t after[4];
	bool gained = false;
	int i;

	read_pdptes(l1, after);
	for (i = 0; i < 4; i++) {
		if (after[i] == before[i])
			continue;
		if (!(before[i] & GP_P) || (after[i] ^ before[i]) != GP_A)
			return false;
		gained = true;
	}
	return gained;
}

/*
 * Bit 5 of a PAE PDPTE is reserved, and no CPU sets it: native PAE loads
 * PDPTEs into registers (SDM 4.4.1); under SVM nested paging they are read
 * and checked on use (APM 15.25.10).  QEMU's TCG walker sets it
 * (mmu_translate(), target/i386/tcg/sysemu/excp_helper.c), also between
 * L1's clearing it and the VMRUN now and then; KVM's load_pdptrs() then
 * rejects the PDPTE at #VMEXIT.  L1 died of that: XFAIL with @what and
 * @died; of something else: a failure.
 */
static void judge_l1_death(struct pae_l1 *l1, const uint64_t *before, const char *what,
			   const char *died, struct outcome *o)
{
	if (emulator_sets_pdpte_bit5(pae_cfg.tdp) && pdpte_gained_accessed_bit(l1, before)) {
		snprintf(o->why, sizeof(o->why),
			 "%s; %s: the emulated CPU set the reserved bit 5 of a PDPTE while L1 ran, and KVM's load_pdptrs() in nested_svm_vmexit() rejects it: %s",
			 what, died, known_defect(DEFECT_QEMU_TCG_PAE_PDPTE_ACCESSED_BIT));
		o->v = V_XFAIL;
		return;
	}
	snprintf(o->why, sizeof(o->why), "%s, but %s", what, died);
	o->v = V_FAIL;
}

void run_and_judge(struct pae_l1 *l1, l2_check_fn check, struct outcome *o)
{
	uint64_t before[4];
	char died[320];
	int mismatches, died_at;
	bool l2_ok;

	read_pdptes(l1, before);
	mismatches = paging_vm_run_steps(l1->pvm);
	died_at = mismatches ? l1_died_at_vmrun(l1, before, died, sizeof(died)) : -1;
	/* Before the last VMRUN, L2's part is not complete: nothing to check. */
	if (died_at >= 0 && died_at != l1->vmrun_step) {
		judge_l1_death(l1, before, "the case's later VMRUNs did not run", died, o);
		return;
	}
	l2_ok = check(l1, o->why, sizeof(o->why));
	if (!l2_ok) {
		o->v = V_FAIL;
		return;
	}
	if (!mismatches) {
		o->v = V_PASS;
		return;
	}
	if (died_at < 0) {
		snprintf(o->why, sizeof(o->why),
			 "L2's part right, but L1's steps did not (%d mismatches above)",
			 mismatches);
		o->v = V_FAIL;
		return;
	}
	judge_l1_death(l1, before, "L2's part right", died, o);
}

void pae_l1_vmrun_and_judge(struct pae_l1 *l1, uint64_t exit, struct outcome *o)
{
	pae_l1_vmrun(l1, EXPECT_VALUE(exit));
	run_and_judge(l1, check_vmcb, o);
	pae_l1_free(l1);
}

/* ---- the expected L2 outcomes ---- */

struct l2_expect l2_exp;

bool check_vmcb(struct pae_l1 *l1, char *why, size_t len)
{
	struct vmcb *vmcb = l1->vmcb;
	bool ok = vmcb->control.exit_code == l2_exp.exit;

	if (l2_exp.exit == SVM_EXIT_VMMCALL)
		ok = ok && (uint32_t)vmcb->save.rax == l2_exp.rax;
	if (l2_exp.exit == SVM_EXIT_NPF)
		ok = ok && (vmcb->control.exit_info_1 & l2_exp.info1_mask) == l2_exp.info1 &&
		     (vmcb->control.exit_info_2 & l2_exp.info2_mask) == l2_exp.info2;
	if (l2_exp.mem_gpa)
		ok = ok && *(uint32_t *)paging_vm_hva(l1->pvm, l2_exp.mem_gpa) == l2_exp.mem;
	if (ok)
		return true;
	snprintf(why, len,
		 "L2: expected exit 0x%lx (EXITINFO1 0x%lx in mask 0x%lx, EXITINFO2 0x%lx in mask 0x%lx, EAX 0x%lx%s), got exit 0x%lx EXITINFO1 0x%lx EXITINFO2 0x%lx EAX 0x%lx; L1 memory 0x%lx holds 0x%x (want 0x%x)",
		 l2_exp.exit, l2_exp.info1, l2_exp.info1_mask, l2_exp.info2, l2_exp.info2_mask,
		 l2_exp.rax, l2_exp.mem_gpa ? ", and the write in L1 memory" : "",
		 (uint64_t)vmcb->control.exit_code, vmcb->control.exit_info_1,
		 vmcb->control.exit_info_2, vmcb->save.rax, l2_exp.mem_gpa,
		 l2_exp.mem_gpa ? *(uint32_t *)paging_vm_hva(l1->pvm, l2_exp.mem_gpa) : 0,
		 l2_exp.mem);
	return false;
}

void expect_vmmcall(uint32_t eax)
{
	l2_exp.exit = SVM_EXIT_VMMCALL;
	l2_exp.rax = eax;
	l2_exp.info1 = 0;
	l2_exp.info2 = 0;
	l2_exp.mem_gpa = 0;
}

void expect_npf(uint64_t info1, uint64_t gpa)
{
	l2_exp.exit = SVM_EXIT_NPF;
	l2_exp.info1 = info1;
	l2_exp.info2 = gpa;
	l2_exp.info2_mask = ~0ull;
	l2_exp.info1_mask = ~0ull;
	l2_exp.rax = 0;
	l2_exp.mem_gpa = 0;
}

/*
 * A PAE L1 for a case.  On an emulated CPU L1 clears bit 5 of its PDPTEs
 * right before each VMRUN (nested_pae.h, clear_pdpte_a), so that QEMU's
 * defect does not end the case at the first #VMEXIT; the defect itself is
 * reported by vmexit_to_l1_after_cpu_walks and
 * pdptes_not_written_by_walks, which never do that.
 */
struct pae_l1 *new_l1(void)
{
	struct pae_l1 *l1 = pae_l1_create(pae_case_name);

	l1->clear_pdpte_a = emulator_sets_pdpte_bit5(pae_cfg.tdp);
	return l1;
}

/* Map @gpa's page at the same VA in L1's address space (before any run). */
void identity_map_l1(struct pae_l1 *l1, uint64_t gpa)
{
	guest_as_map(l1->as, gpa & ~0xfffull, gpa & ~0xfffull, 1, GP_P | GP_RW);
}

uint64_t data_page(struct pae_l1 *l1, uint32_t tag)
{
	uint64_t gpa = paging_vm_alloc(l1->pvm, 4096, 4096);

	*(uint32_t *)paging_vm_hva(l1->pvm, gpa) = tag;
	return gpa;
}

/* An NPT that maps L2's code page; everything else is up to the case. */
uint64_t npt_with_code(struct pae_l1 *l1, unsigned int offset)
{
	uint64_t ncr3 = pnpt_create(l1->pvm, offset);

	pnpt_map(l1->pvm, ncr3, PAE_L1_L2_CODE_GPA, l1->l2_code_gpa, PNPT_LEVEL_4K, PNPT_RW);
	return ncr3;
}

void pae_l1_access_case(struct outcome *o, const struct pae_l1_case *c)
{
	const struct pae_l1_access *a = c->access;
	struct pae_l1 *l1 = new_l1();
	uint64_t ncr3 = npt_with_code(l1, 0);
	uint64_t page = data_page(l1, a->tag), gpa = a->l2_gpa + a->off;
	uint32_t *word = paging_vm_hva(l1->pvm, page + a->off);

	if (!a->write && a->val)
		*word = a->val;
	pnpt_map(l1->pvm, ncr3, a->l2_gpa + (a->map_next ? 4096 : 0), page, PNPT_LEVEL_4K,
		 a->rights);
	pae_l1_set_ncr3(l1, ncr3);
	if (a->write)
		pae_l1_l2_store(l1, gpa, a->val);
	else
		pae_l1_l2_load(l1, gpa);
	if (a->exit == SVM_EXIT_NPF)
		expect_npf(a->info1, gpa);
	else
		expect_vmmcall(a->write ? 0 : a->val);
	if (a->write) {
		l2_exp.mem_gpa = page + a->off;
		l2_exp.mem = a->exit == SVM_EXIT_NPF ? *word : a->val;
	}
	pae_l1_vmrun_and_judge(l1, a->exit, o);
}

/*
 * SMMU_CASES=name,name,...: run only these cases (the others are
 * skipped), e.g. one of the cases that WARN an unfixed kernel, which
 * would end the program before the next one could show its own outcome.
 */
static bool case_selected(const char *name)
{
	const char *list = getenv("SMMU_CASES"), *p;
	size_t n = strlen(name);

	if (!list || !*list)
		return true;
	for (p = strstr(list, name); p; p = strstr(p + 1, name))
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

#define NO_NPT_FMT								\
	"%s: KVM offers L1 no nested paging (no NPT in its CPUID; npt=%d, svm_set_cpu_caps())\n"

int pae_l1_cases_main(const struct pae_l1_case *cases, size_t nr)
{
	const char *cfg_name, *why, *no_trace;
	size_t i;

	kvm_mmu_test_start(&pae_cfg);
	kvm_mmu_config_require_nested_svm(&pae_cfg);
	if (!guest_paging_mode_supported(GUEST_PAGING_PAE, &why))
		ksft_exit_skip("PAE guests: %s\n", why);
	l1_has_npt = kvm_cpu_has(X86_FEATURE_NPT);
	no_trace = kvm_trace_unavailable();
	cfg_name = kvm_mmu_config_name(&pae_cfg);
	ksft_set_plan(nr);

	for (i = 0; i < nr; i++) {
		struct outcome o = { .v = V_PASS };

		if (!case_selected(cases[i].name)) {
			ksft_test_result_skip("%s: not in SMMU_CASES\n", cases[i].name);
			continue;
		}
		if (cases[i].np && !l1_has_npt) {
			ksft_test_result_skip(NO_NPT_FMT, cases[i].name, pae_cfg.tdp);
			continue;
		}
		if (cases[i].trace && no_trace) {
			ksft_test_result_skip("%s: %s\n", cases[i].name, no_trace);
			continue;
		}
		pae_case_name = cases[i].name;
		cases[i].fn(&o, &cases[i]);
		switch (o.v) {
		case V_PASS:
			ksft_test_result_pass("%s_%s\n", cases[i].name, cfg_name);
			break;
		case V_XFAIL:
			ksft_test_result_xfail("%s_%s: %s\n", cases[i].name, cfg_name, o.why);
			break;
		default:
			ksft_print_msg("%s: %s\n", cases[i].name, o.why);
			ksft_test_result_fail("%s_%s\n", cases[i].name, cfg_name);
			break;
		}
	}
	ksft_finished();
	return 0;
}
