// SPDX-License-Identifier: GPL-2.0
/*
 * The paging-mode cases of the paging_*_test programs, in every target:
 * see include/x86_64/mode_cases.h.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "known_defects.h"
#include "emulator.h"
#include "mode_cases.h"

/* One per paging mode and size of the data mappings. */
static const struct mode_case cases[] = {
	{ "paging_off",		GUEST_PAGING_OFF,	0 },
	{ "32bit_2level_4k",	GUEST_PAGING_32BIT,	1 },
	{ "32bit_2level_4m",	GUEST_PAGING_32BIT,	2 },
	{ "pae_4k",		GUEST_PAGING_PAE,	1 },
	{ "pae_2m",		GUEST_PAGING_PAE,	2 },
	{ "64bit_4level_4k",	GUEST_PAGING_4LEVEL,	1 },
	{ "64bit_4level_2m",	GUEST_PAGING_4LEVEL,	2 },
	{ "64bit_5level_4k",	GUEST_PAGING_5LEVEL,	1 },
};

struct paging_vm *mode_case_vm_create(const struct mode_case *c)
{
	struct paging_vm *pvm;

	if (c->as == AS_L2)
		pvm = paging_vm_create_l2(c->mode, c->l2_tdp);
	else if (c->as == AS_L2_OF_PAE_L1)
		pvm = paging_vm_create_l2_pae(c->mode);
	else
		pvm = paging_vm_create(c->mode);
	pvm->name = c->name;
	return pvm;
}

/*
 * A PAE L2 with nested paging under QEMU TCG: QEMU's walker sets bit 5,
 * reserved, in the L2's PDPTEs, and each L2 instruction that KVM emulates
 * (a MOV to CR0 or CR4 without decode assists, OUTSB/INSB) then has
 * load_pdptrs() (arch/x86/kvm/regs.c) refuse them: the instruction faults
 * or KVM gives up.  With KVM told to accept bit 5, every PAE L2 case
 * passes (KVM_MMU_PDPTE_GAP_DOC).  Under a PAE L1, which clears bit 5 of
 * its own PDPTEs right before each VMRUN, QEMU now and then sets it again
 * before the #VMEXIT, which then triple-faults L1: the same defect
 * (paging_vm_l2_pdpte_bit5()).  After the last VM of a case is freed, the
 * PDPTE with bit 5 set that was found, the evidence; else 0.
 */
static uint64_t l2_pdpte_bit5;

/*
 * KVM 7.3 on kvm_amd takes EXITINTINFO's type bits, which QEMU TCG leaves
 * set after delivering an event, for an event being delivered, and then
 * refuses to emulate a guest write to a shadowed page table: for an L2
 * without nested paging, KVM_EXIT_INTERNAL_ERROR with
 * KVM_INTERNAL_ERROR_DELIVERY_EV at a plain store to one of L2's page
 * tables (DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V; the 64-bit L2
 * scenarios that rewrite a PDPTE or PDE).  After the last VM of a case is
 * freed: whether it died so (paging_vm_died_of_delivery_ev()) on kvm_amd,
 * on a kernel where the defect is known, and the evidence; elsewhere the
 * evidence is printed and the case fails.
 */
#define VECTORING_DEFECT	DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V
static bool svm_host;
static bool vectoring_stop;
static char vectoring_evidence[320];

void mode_case_vm_free(struct paging_vm *pvm)
{
	l2_pdpte_bit5 = paging_vm_l2_pdpte_bit5(pvm);
	vectoring_stop = svm_host &&
			 paging_vm_died_of_delivery_ev(pvm, vectoring_evidence,
						       sizeof(vectoring_evidence));
	if (vectoring_stop && !known_defect_seen_on_this_kernel(VECTORING_DEFECT)) {
		ksft_print_msg("%s: %s: the signature of %s, on a kernel where it is not known\n",
			       pvm->name, vectoring_evidence, known_defect(VECTORING_DEFECT));
		vectoring_stop = false;
	}
	paging_vm_free(pvm);
}

void mode_case_result(const struct mode_case *c, int bad, const char *what,
		      const char *cfg_name)
{
	if (bad && l2_pdpte_bit5)
		ksft_test_result_xfail("%s%s_%s: " KVM_MMU_PDPTE_GAP_L2_XFAIL "\n",
				       c->name, what, cfg_name, l2_pdpte_bit5);
	else if (bad && vectoring_stop)
		ksft_test_result_xfail("%s%s_%s: %s; %s\n", c->name, what, cfg_name,
				       known_defect(VECTORING_DEFECT), vectoring_evidence);
	else
		ksft_test_result(!bad, "%s%s_%s\n", c->name, what, cfg_name);
}

void mode_case_skip(const struct mode_case *c, const char *what, const char *why)
{
	ksft_test_result_skip("%s%s: %s\n", c->name, what, why);
}

void mode_case_xfail(const struct mode_case *c, const char *what, const char *cfg_name,
		     const char *why)
{
	ksft_test_result_xfail("%s%s_%s: %s\n", c->name, what, cfg_name, why);
}

void mode_case_part(const struct mode_case *c, const struct kvm_mmu_config *cfg,
		    const char *why, const char *what, const char *label,
		    int (*run)(const struct mode_case *c, bool tdp, int *nr_checks))
{
	int bad, nr_checks;

	if (why) {
		mode_case_skip(c, what, why);
		return;
	}
	bad = run(c, cfg->tdp, &nr_checks);
	ksft_print_msg("%s: %s: %d checks, %d mismatches\n", c->name, label, nr_checks, bad);
	mode_case_result(c, bad, what, kvm_mmu_config_name(cfg));
}

void mode_case_fill(struct paging_vm *pvm, uint64_t gpa, uint64_t size, uint32_t tag)
{
	*(uint32_t *)paging_vm_hva(pvm, gpa) = tag;
	*(uint32_t *)paging_vm_hva(pvm, gpa + size - 4) = ~tag;
}

/* Bits that vary in the entries, as combination index bit 0, 1, 2. */
static const uint64_t combo_bits[] = { GP_RW, GP_US, GP_NX };

uint64_t mode_case_combo(int index, int nr_bits)
{
	uint64_t flags = 0;
	int b;

	for (b = 0; b < nr_bits; b++)
		if (index & (1 << b))
			flags |= combo_bits[b];
	return flags;
}

int mode_case_model_accesses(struct paging_vm *pvm, struct guest_as *as,
			     const struct pm_env *env, uint64_t va, bool tdp, bool emul)
{
	struct gstep_expect x;
	uint64_t entries[5];
	int n, a;
	bool user;

	n = guest_as_walk(as, va, entries);
	for (a = 0; a < 6 + 2 * emul; a++) {
		user = a >= 3 && a < 6;
		x = pm_expect(env, entries, n, a % 3, user, va, RET_INSN);
		/* QEMU's TCG walker: RSVD without P (see "efer.nxe"). */
		if (emulator_rsvd_pf_without_p(tdp) && (x.value & PFERR_RSVD_MASK))
			x.ec_ignore = PFERR_PRESENT_MASK;
		if (a >= 6 && x.kind == GSTEP_EXPECT_VALUE)
			x = EXPECT_OK();
		if (a == 6)
			gstep_outsb(pvm, va, x);
		else if (a == 7)
			gstep_insb(pvm, va, x);
		else if (a % 3 == PM_READ)
			(user ? gstep_load_user : gstep_load)(pvm, va, 1, x);
		else if (a % 3 == PM_WRITE)
			(user ? gstep_store_user : gstep_store)(pvm, va, 1, RET_INSN, x);
		else
			(user ? gstep_exec_user : gstep_exec)(pvm, va, x);
	}
	return a;
}

static const char *case_unsupported(const struct mode_case *c)
{
	const char *why;

	if (!guest_paging_mode_supported(c->mode, &why))
		return why;
	/* 4M pages in 2-level paging need CR4.PSE, i.e. CPUID.01H:EDX.PSE. */
	if (c->mode == GUEST_PAGING_32BIT && c->level == 2 &&
	    !kvm_cpu_has(KVM_X86_CPU_FEATURE(0x1, 0, EDX, 3)))
		return "KVM offers no PSE to guests";
	return NULL;
}

static void run_case(const struct mode_case_test *t, const struct mode_case *c,
		     const struct kvm_mmu_config *cfg, const char *why)
{
	if (!t->nr_results(c))
		return;
	t->run(c, cfg, why ? why : case_unsupported(c));
}

/*
 * The same case with the engine as L2, named <case>_l2 (of a 64-bit L1,
 * paging_vm_create_l2(), in its first @tdp variant: with nested TDP where
 * KVM offers it), <case>_l2_no_tdp (the second: a VMX L1 without EPT
 * where KVM offers EPT; paging_vm_l2_tdp_variants()) or <case>_l2_pae_l1
 * (of a PAE L1 that is itself the engine, paging_vm_create_l2_pae()):
 * every step then goes through KVM's nested MMU.
 */
static struct mode_case l2_case(const struct mode_case *c, enum case_guest as, int variant,
				bool tdp, char *name, size_t len)
{
	struct mode_case l2 = *c;

	snprintf(name, len, "%s%s", c->name, as == AS_L2_OF_PAE_L1 ? "_l2_pae_l1" :
		 variant ? "_l2_no_tdp" : "_l2");
	l2.name = name;
	l2.as = as;
	l2.l2_tdp = as == AS_L2_OF_PAE_L1 || tdp;
	return l2;
}

static void run_l2_variant(const struct mode_case_test *t, const struct kvm_mmu_config *cfg,
			   enum case_guest as, int variant, bool tdp)
{
	const char *why, *mode_why;
	char name[48];
	struct mode_case l2;
	int i;

	if (!cfg->nested)
		why = "nested virtualization is off (nested=0): L1 cannot run an L2";
	else if (as == AS_L2)
		paging_vm_l2_supported(tdp, &why);
	else
		paging_vm_l2_pae_supported(&why);
	if (as == AS_L2)
		ksft_print_msg("as L2 of a 64-bit L1, %s nested paging%s%s\n",
			       tdp ? "with" : "without", why ? ": skipped, " : "", why ? why : "");
	else
		ksft_print_msg("as L2 of a PAE L1 (the step engine), with nested paging%s%s\n",
			       why ? ": skipped, " : "", why ? why : "");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		l2 = l2_case(&cases[i], as, variant, tdp, name, sizeof(name));
		mode_why = why;
		if (!why && as == AS_L2)
			paging_vm_l2_mode_supported(l2.mode, tdp, &mode_why);
		run_case(t, &l2, cfg, mode_why);
	}
}

/* The cases as L2 of a 64-bit L1 in each of its @tdp variants, or of a PAE L1. */
static void run_l2_cases(const struct mode_case_test *t, const struct kvm_mmu_config *cfg,
			 enum case_guest as)
{
	bool tdp[2];
	int v, nr = paging_vm_l2_tdp_variants(tdp);

	if (as == AS_L2_OF_PAE_L1)
		nr = 1;
	for (v = 0; v < nr; v++)
		run_l2_variant(t, cfg, as, v, tdp[v]);
}

int mode_cases_main(const struct mode_case_test *t)
{
	int i, v, nr_tdp, plan = t->check_model;
	struct kvm_mmu_config cfg;
	struct mode_case l2;
	char name[48];
	bool tdp[2];

	kvm_mmu_test_start(&cfg);
	svm_host = !strcmp(cfg.vendor_module, "kvm_amd");
	nr_tdp = paging_vm_l2_tdp_variants(tdp);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		plan += t->nr_results(&cases[i]);
		for (v = 0; v < nr_tdp; v++) {
			l2 = l2_case(&cases[i], AS_L2, v, tdp[v], name, sizeof(name));
			plan += t->nr_results(&l2);
		}
		l2 = l2_case(&cases[i], AS_L2_OF_PAE_L1, 0, true, name, sizeof(name));
		plan += t->nr_results(&l2);
	}
	ksft_set_plan(plan);

	/* The model first: a disagreement with the SDM cases voids the rest. */
	if (t->check_model)
		ksft_test_result(!paging_model_self_check(), "reference_model_sdm_cases\n");

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		run_case(t, &cases[i], &cfg, NULL);
	run_l2_cases(t, &cfg, AS_L2);
	run_l2_cases(t, &cfg, AS_L2_OF_PAE_L1);
	ksft_finished();
	return 0;
}
