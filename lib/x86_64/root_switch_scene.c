// SPDX-License-Identifier: GPL-2.0
/*
 * The scene of the root_switch_*_test programs: see
 * include/x86_64/root_switch_scene.h.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "kvm_debugfs.h"
#include "emulator.h"
#include "root_switch_scene.h"

#define PASSES		3
/* Room for every role's shadow pages: KVM must never zap for room here. */
#define NR_MMU_PAGES	4096

static const enum guest_paging_mode modes[] = {
	GUEST_PAGING_32BIT, GUEST_PAGING_PAE, GUEST_PAGING_4LEVEL, GUEST_PAGING_5LEVEL,
};

uint32_t rs_pse_pte(struct rs_scene *s)
{
	return s->data[RS_NR_SPACES + 3] | GP_P | GP_RW | GP_A;
}

static void build_scene(struct rs_scene *s, enum guest_paging_mode mode, bool l2)
{
	struct paging_vm *pvm;
	int i;

	if (l2) {
		pvm = paging_vm_create_l2(mode, paging_vm_l2_tdp_offered());
		snprintf(s->name, sizeof(s->name), "%s_l2", guest_paging_mode_name(mode));
		pvm->name = s->name;
	} else {
		pvm = paging_vm_create(mode);
		snprintf(s->name, sizeof(s->name), "%s", pvm->name);
	}
	s->pvm = pvm;
	s->l2 = l2;
	s->nx = pvm->efer & EFER_NX;
	vm_ioctl(pvm->vm, KVM_SET_NR_MMU_PAGES, (void *)NR_MMU_PAGES);
	for (i = 0; i < RS_NR_SPACES + 4; i++)
		s->data[i] = paging_vm_tagged_page(pvm, RS_TAG(i));
	s->ro = paging_vm_tagged_page(pvm, RS_TAG(0x100));
	s->user = paging_vm_tagged_page(pvm, RS_TAG(0x101));
	s->xd = paging_vm_tagged_page(pvm, RS_TAG(0x102));
	if (mode == GUEST_PAGING_32BIT) {
		s->pse_frame = paging_vm_alloc(pvm, RS_PSE_SIZE, RS_PSE_SIZE);
		*(uint32_t *)paging_vm_hva(pvm, s->pse_frame) = rs_pse_pte(s);
	}

	for (i = 0; i < RS_NR_SPACES; i++) {
		struct guest_as *as = guest_as_create(pvm);

		s->as[i] = as;
		guest_as_map_tables(as, RS_VA_TABLES);
		guest_as_map(as, RS_VA_DATA, s->data[i], 1, GP_P | GP_RW);
		guest_as_map(as, RS_VA_RO, s->ro, 1, GP_P);
		guest_as_map(as, RS_VA_USER, s->user, 1, GP_P | GP_US);
		if (s->nx)
			guest_as_map(as, RS_VA_XD, s->xd, 1, GP_P | GP_RW | GP_NX);
		/* See rs_pse_pte(). */
		if (s->pse_frame)
			guest_as_map(as, RS_VA_PSE, s->pse_frame, 2, GP_P | GP_RW);
	}
}

void rs_switch_and_check(struct rs_scene *s, int i)
{
	gstep_switch_as(s->pvm, s->as[i]);
	gstep_load(s->pvm, RS_VA_DATA, 4, EXPECT_VALUE(RS_TAG(i)));
}

void rs_warm_up_steps(struct rs_scene *s)
{
	int i;

	gstep_phase(s->pvm, "warm-up: every address space once");
	for (i = 0; i < RS_NR_SPACES; i++)
		rs_switch_and_check(s, i);
}

void rs_switch_steps(struct rs_scene *s)
{
	int step;

	gstep_phase(s->pvm, "switches after warm-up");
	for (step = 0; step < PASSES * RS_NR_SPACES; step++)
		rs_switch_and_check(s, step % RS_NR_SPACES);
	for (step = 0; step < PASSES * RS_NR_SPACES; step++)
		rs_switch_and_check(s, RS_NR_SPACES - 1 - step % RS_NR_SPACES);
	for (step = 0; step < PASSES * RS_NR_SPACES; step++)
		rs_switch_and_check(s, step & 1 ? RS_NR_SPACES - 1 : 0);
}

void rs_result(struct rs_scene *s, bool ok, const char *what)
{
	ksft_test_result(ok, "%s_%s\n", s->name, what);
}

void rs_skip(struct rs_scene *s, const char *what, const char *why)
{
	ksft_test_result_skip("%s_%s: %s\n", s->name, what, why);
}

void rs_xfail(struct rs_scene *s, const char *what, const char *why)
{
	ksft_test_result_xfail("%s_%s: %s\n", s->name, what, why);
}

unsigned int rs_fail_count(void)
{
	return ksft_get_fail_cnt();
}

void rs_report_steps(struct rs_scene *s, int bad, const char *what)
{
	uint64_t pdpte = bad ? paging_vm_l2_pdpte_bit5(s->pvm) : 0;

	if (pdpte)
		ksft_test_result_xfail("%s_%s: " KVM_MMU_PDPTE_GAP_L2_XFAIL "\n",
				       s->pvm->name, what, pdpte);
	else
		ksft_test_result(!bad, "%s_%s\n", s->pvm->name, what);
}

int rs_run_traced(struct rs_scene *s, struct kvm_trace *t, const char *phase)
{
	int bad;

	if (t)
		kvm_trace_start(t, phase);
	bad = paging_vm_run_steps(s->pvm);
	if (t)
		kvm_trace_stop(t);
	return bad;
}

static size_t created_in(struct kvm_trace *t, const char *phase)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);

	return kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = kvm_mmu_model_phase(m, phase),
						    .type = KVM_MMU_GET_PAGE, .created = 1));
}

void rs_report_no_creation(struct rs_scene *s, struct kvm_trace *t, const char *phase,
			   const char *result)
{
	const char *name = s->pvm->name, *why;
	size_t created;

	if (!t) {
		why = s->no_trace ?: "TDP is on, guest CR3 switches build no shadow pages";
		ksft_test_result_skip("%s_%s: %s\n", name, result, why);
		return;
	}
	created = created_in(t, phase);
	ksft_print_msg("%s: %s: %zu shadow pages created\n", name, phase, created);
	if (created)
		kvm_trace_print(t);
	ksft_test_result(!created, "%s_%s\n", name, result);
}

const char *rs_pdpte_accessed_bit_gap(struct rs_scene *s)
{
	static const char gap[] =
		"emulator gap: QEMU TCG sets the reserved bit 5 of PAE PDPTEs under NPT, so KVM's PDPTE reload at MOV CR4 injects #GP ("
		KVM_MMU_PDPTE_GAP_DOC ")";

	if (s->pvm->mode != GUEST_PAGING_PAE || !emulator_sets_pdpte_bit5(s->cfg->tdp))
		return NULL;
	return gap;
}

static void run_mode(const struct rs_program *p, const struct kvm_mmu_config *cfg,
		     const char *no_trace, enum guest_paging_mode mode, bool l2)
{
	struct kvm_trace *t = cfg->tdp || no_trace ? NULL : kvm_trace_create();
	struct rs_scene s = { .cfg = cfg, .no_trace = no_trace };

	build_scene(&s, mode, l2);
	TEST_ASSERT(s.nx == (mode != GUEST_PAGING_32BIT),
		    "%s: the vCPU has no NX: the plan assumes it", s.pvm->name);
	p->run(&s, t);
	if (s.pvm)
		paging_vm_free(s.pvm);
	if (t)
		kvm_trace_destroy(t);
}

/*
 * Whether a mode runs here, as the guest itself or as L2 of a 64-bit L1
 * (with nested paging where KVM offers L1 NPT); if not, why.
 */
static const char *mode_unsupported(const struct kvm_mmu_config *cfg,
				    enum guest_paging_mode mode, bool l2)
{
	const char *why;

	if (!guest_paging_mode_supported(mode, &why))
		return why;
	if (l2 && !cfg->nested)
		return "nested virtualization is off (nested=0): L1 cannot run an L2";
	if (l2)
		paging_vm_l2_supported(paging_vm_l2_tdp_offered(), &why);
	return why;
}

void rs_main(const struct rs_program *p)
{
	const char *why, *no_trace = NULL;
	struct kvm_mmu_config cfg;
	unsigned int i, plan = 0;
	int l2;

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	if (p->needs_smep_smap)
		TEST_REQUIRE(kvm_cpu_has(X86_FEATURE_SMEP) && kvm_cpu_has(X86_FEATURE_SMAP));
	if (!cfg.tdp)
		no_trace = kvm_trace_unavailable();
	for (l2 = 0; l2 <= 1; l2++)
		for (i = 0; i < ARRAY_SIZE(modes); i++)
			plan += mode_unsupported(&cfg, modes[i], l2) ? 1 : p->nr_results(modes[i]);
	ksft_set_plan(plan);

	for (l2 = 0; l2 <= 1; l2++) {
		for (i = 0; i < ARRAY_SIZE(modes); i++) {
			why = mode_unsupported(&cfg, modes[i], l2);
			if (why)
				ksft_test_result_skip("%s%s: %s\n",
						      guest_paging_mode_name(modes[i]),
						      l2 ? "_l2" : "", why);
			else
				run_mode(p, &cfg, no_trace, modes[i], l2);
		}
	}
	ksft_finished();
}
