// SPDX-License-Identifier: GPL-2.0
/*
 * The step engine as L2: a 64-bit L1 hypervisor (framework guest code
 * with the framework's SVM helpers) VMRUNs the engine in its paging mode
 * and stays out of its way, so that every step table runs unchanged on
 * KVM's nested MMU.  See paging_vm_create_l2() in
 * include/x86_64/guest_paging.h.
 *
 * The VM is the one paging_vm_create() makes: the framework's memslot 0,
 * where L1's code, stack, page tables, VMCB and NPT live, and the
 * engine's own memslot at GSTEP_SLOT_GPA, which L2 uses at L2 GPA == L1
 * GPA.  L1 intercepts neither I/O nor exceptions: the engine's ucalls
 * (port I/O on GSTEP_UCALL_PORT) exit from L2 to L0, and so to the host,
 * exactly as from a plain guest (svm.c nested_svm_intercept_ioio() finds
 * no intercept in L1's VMCB, and L0's io_interception() handles them),
 * and its #PF/#GP go through its own IDT.
 *
 * At the end, the engine as L2 of a 32-bit PAE L1 that is itself the
 * engine (paging_vm_create_l2_pae()): there the L2 engine has a memslot of
 * its own, which the L1's PAE-format NPT maps at the engine's usual GPAs.
 *
 * Each is a struct paging_target (guest_paging_int.h): the step tables
 * run unchanged on either, and the library's core does not know them.
 * On a CPU that offers L1 VMX and not SVM, paging_vm_create_l2() makes
 * the engine L2 of a 64-bit VMX L1 instead (guest_paging_vmx.c): this
 * file's l1_is_vmx() is the one place that picks the L1's kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "guest_paging_int.h"
#include "nested_npt.h"
#include "nested_pae.h"
#include "known_defects.h"
#include "emulator.h"
#include "kvm_compat.h"
#include "kvm_mmu_config.h"

/* GUEST_SYNC_ARGS stage of L1's report of a #VMEXIT: "L1VX". */
#define PAGING_L1_VMEXIT	0x4c315658ul

/* L1's arguments, in L1 memory: written by the host before L1 runs. */
struct paging_l1_args {
	struct svm_test_data *svm;	/* L1's pointer */
	uint64_t ncr3;			/* L1's NPT for L2, or 0: no nested paging */
	struct vmcb_save_area l2;	/* the engine's initial state */
};

/* The target data of the engine as L2 of a 64-bit L1. */
struct paging_vm_l1 {
	struct paging_l1_args *args;	/* host pointer */
};

static const struct paging_target target_l2_of_svm64;
static const struct paging_target target_l2_of_pae_l1;

/* The target data of the engine as L2 of a PAE L1. */
struct paging_vm_pae_l1 {
	struct pae_l1 *l1;
	/* L1's PDPTE with bit 5 set when L1 died in its VMRUN step, or 0. */
	uint64_t l1_pdpte_bit5;
};

static struct paging_vm_l1 *svm64_l1(struct paging_vm *pvm)
{
	return pvm->priv->target == &target_l2_of_svm64 ? pvm->priv->target_data : NULL;
}

static struct paging_vm_pae_l1 *pae_l1_of(struct paging_vm *pvm)
{
	return pvm->priv->target == &target_l2_of_pae_l1 ? pvm->priv->target_data : NULL;
}

/*
 * The state VMRUN loads (APM vol. 2, 15.5.1): segments ES, CS, SS and DS,
 * GDTR, IDTR, CR0/CR3/CR4, EFER, RIP and RSP; RFLAGS and RAX come from
 * run_guest().  FS, GS, TR and LDTR are VMLOAD's, and L2 starts with
 * whatever L1 has there: the engine's first instruction loads TR from
 * its own GDT, and it never uses FS, GS or an LDT.
 */
static void load_l2_state(struct vmcb_save_area *save, const struct vmcb_save_area *l2)
{
	save->es = l2->es;
	save->cs = l2->cs;
	save->ss = l2->ss;
	save->ds = l2->ds;
	save->gdtr = l2->gdtr;
	save->idtr = l2->idtr;
	save->cr0 = l2->cr0;
	save->cr3 = l2->cr3;
	save->cr4 = l2->cr4;
	save->efer = l2->efer;
	save->rip = l2->rip;
	save->rsp = l2->rsp;
	save->cpl = 0;
}

/*
 * L1: VMRUN the engine, and report every #VMEXIT to the host.  The host
 * stops running the vCPU after one, so L1 never resumes L2; if it did,
 * run_guest() keeps L2's GPRs, RAX and RFLAGS across VMRUNs.
 */
static void paging_l1_guest_code(struct paging_l1_args *args)
{
	struct svm_test_data *svm = args->svm;
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control_area *ctl = &vmcb->control;

	generic_svm_setup(svm, NULL);
	/* The engine ends a table with a ucall, never with HLT: catch strays. */
	ctl->intercept |= BIT_ULL(INTERCEPT_HLT) | BIT_ULL(INTERCEPT_SHUTDOWN);
	if (args->ncr3) {
		ctl->misc_ctl |= SVM_MISC_ENABLE_NP;
		ctl->nested_cr3 = args->ncr3;
	}
	load_l2_state(&vmcb->save, &args->l2);

	for (;;) {
		run_guest(vmcb, svm->vmcb_gpa);
		GUEST_SYNC_ARGS(PAGING_L1_VMEXIT, vmcb_exit_code(ctl), ctl->exit_info_1,
				ctl->exit_info_2, vmcb->save.rip);
	}
}

/*
 * Whether the 64-bit L1 of paging_vm_create_l2() is a VMX hypervisor:
 * where KVM offers L1 VMX and not SVM (kvm_intel), else it is an SVM one.
 */
static bool l1_is_vmx(void)
{
	return !kvm_cpu_has(X86_FEATURE_SVM) && kvm_cpu_has(X86_FEATURE_VMX);
}

bool paging_vm_l2_supported(bool tdp, const char **why)
{
	*why = NULL;
	if (l1_is_vmx())
		*why = paging_vm_l2_vmx_missing(tdp);
	else if (!kvm_cpu_has(X86_FEATURE_SVM))
		*why = "KVM offers L1 no SVM (kvm_amd nested=0, or not an AMD host) and no VMX";
	else if (tdp && !kvm_cpu_has(X86_FEATURE_NPT))
		*why = "KVM offers L1 no nested paging (no NPT in its CPUID: kvm_amd npt=0)";
	return !*why;
}

bool paging_vm_l2_mode_supported(enum guest_paging_mode mode, bool tdp, const char **why)
{
	if (paging_vm_l2_supported(tdp, why) && l1_is_vmx())
		*why = paging_vm_l2_vmx_mode_missing(mode, tdp);
	return !*why;
}

bool paging_vm_l2_tdp_offered(void)
{
	return l1_is_vmx() ? kvm_cpu_has_ept() : kvm_cpu_has(X86_FEATURE_NPT);
}

/*
 * With nested TDP where KVM offers it; a VMX L1 also without it then.
 * An SVM L1 runs as it always has, with NPT where offered, so that the
 * results of QEMU's configurations stay those of before.
 */
int paging_vm_l2_tdp_variants(bool tdp[2])
{
	tdp[0] = paging_vm_l2_tdp_offered();
	tdp[1] = false;
	return tdp[0] && l1_is_vmx() ? 2 : 1;
}

bool paging_vm_l2_npt(struct paging_vm *pvm)
{
	struct paging_vm_l1 *l1 = svm64_l1(pvm);

	return (l1 && l1->args->ncr3) || pae_l1_of(pvm) || paging_vm_l2_vmx_ept(pvm);
}

/*
 * An NPT that maps the engine's memslot at L2 GPA == L1 GPA, read/write,
 * with as many levels as L1's paging (struct npt_pool): L1 is the
 * framework's guest, 5-level on 7.x trees when KVM reports 57-bit
 * virtual addresses, and a 4-level NPT under a 5-level L1 is walked with
 * 5 levels (an NPF at the engine's first fetch).
 */
static uint64_t engine_slot_npt(struct kvm_vm *vm)
{
	struct npt_pool *pool;
	gva_t pool_gva;
	uint64_t ncr3;

	/*
	 * A table per level from the top down to one PD, whose 2 MiB leaves
	 * cover the 64 MiB slot.
	 */
	pool = npt_pool_create(vm, vm_mmu_levels(vm) - 1, &pool_gva);
	ncr3 = npt_new(pool);
	npt_map_range(pool, ncr3, GSTEP_SLOT_GPA, GSTEP_SLOT_GPA, GSTEP_SLOT_SIZE, NPT_RW);
	return ncr3;
}

struct paging_vm *paging_vm_create_l2(enum guest_paging_mode mode, bool tdp)
{
	struct paging_l1_args *args;
	struct paging_vm_l1 *l1;
	struct paging_vm *pvm;
	gva_t args_gva, svm_gva;
	const char *why;
	bool supported = paging_vm_l2_supported(tdp, &why);

	if (l1_is_vmx())
		return paging_vm_create_l2_vmx(mode, tdp);
	TEST_ASSERT(supported, "%s", why);
	pvm = __paging_vm_create(mode, paging_l1_guest_code);
	static_assert(sizeof(*args) <= PAGE_SIZE, "L1's arguments fit a page");
	args_gva = vm_alloc_page(pvm->vm);
	args = addr_gva2hva(pvm->vm, args_gva);
	memset(args, 0, sizeof(*args));
	vcpu_alloc_svm(pvm->vm, &svm_gva);
	args->svm = (struct svm_test_data *)svm_gva;
	if (tdp)
		args->ncr3 = engine_slot_npt(pvm->vm);
	vcpu_args_set(pvm->vcpu, 1, args_gva);

	l1 = calloc(1, sizeof(*l1));
	TEST_ASSERT(l1, "out of memory");
	l1->args = args;
	pvm->priv->target = &target_l2_of_svm64;
	pvm->priv->target_data = l1;
	return pvm;
}

static struct vmcb_seg vmcb_seg(const struct kvm_segment *s)
{
	return (struct vmcb_seg){
		.selector = s->selector,
		.attrib = s->type | s->s << SVM_SELECTOR_S_SHIFT |
			  s->dpl << SVM_SELECTOR_DPL_SHIFT | s->present << SVM_SELECTOR_P_SHIFT |
			  s->avl << SVM_SELECTOR_AVL_SHIFT | s->l << SVM_SELECTOR_L_SHIFT |
			  s->db << SVM_SELECTOR_DB_SHIFT | s->g << SVM_SELECTOR_G_SHIFT,
		.limit = s->limit,
		.base = s->base,
	};
}

/*
 * The state paging_vm_start() would load into a plain vCPU, in VMCB form:
 * the fields VMRUN loads, but RFLAGS and RAX (see load_l2_state()).
 */
static void engine_vmcb_state(struct paging_vm *pvm, struct vmcb_save_area *save)
{
	struct kvm_sregs sregs;

	memset(&sregs, 0, sizeof(sregs));
	paging_vm_initial_sregs(pvm, &sregs);
	save->es = vmcb_seg(&sregs.es);
	save->cs = vmcb_seg(&sregs.cs);
	save->ss = vmcb_seg(&sregs.ss);
	save->ds = vmcb_seg(&sregs.ds);
	save->gdtr = (struct vmcb_seg){ .base = sregs.gdt.base, .limit = sregs.gdt.limit };
	save->idtr = (struct vmcb_seg){ .base = sregs.idt.base, .limit = sregs.idt.limit };
	save->cr0 = sregs.cr0;
	save->cr3 = sregs.cr3;
	save->cr4 = sregs.cr4;
	/* VMRUN fails with EFER.SVME clear in the VMCB (APM 15.5.1). */
	save->efer = sregs.efer | EFER_SVME;
	save->rip = GSTEP_CODE_GPA;
	save->rsp = GSTEP_STACK_TOP;
	save->cpl = 0;
}

/* Give L1 the engine's initial state; it VMRUNs the engine at the next run. */
static void svm64_start(struct paging_vm *pvm)
{
	engine_vmcb_state(pvm, &svm64_l1(pvm)->args->l2);
}

/* A present PDPTE of the PAE address space @as with bit 5 set, or 0. */
static uint64_t pdpte_with_bit5(struct guest_as *as)
{
	uint64_t pdpte;
	int i;

	for (i = 0; i < 4; i++) {
		pdpte = guest_as_read_entry(as, (uint64_t)i << 30, 3);
		if ((pdpte & GP_P) && (pdpte & GP_A))
			return pdpte;
	}
	return 0;
}

uint64_t paging_vm_l2_pdpte_bit5(struct paging_vm *pvm)
{
	/* Nested paging for L2 means TDP on for L1. */
	if (!paging_vm_l2_npt(pvm) || !emulator_sets_pdpte_bit5(true))
		return 0;
	if (pae_l1_of(pvm) && pae_l1_of(pvm)->l1_pdpte_bit5)
		return pae_l1_of(pvm)->l1_pdpte_bit5;
	if (pvm->mode != GUEST_PAGING_PAE || !pvm->initial_as)
		return 0;
	return pdpte_with_bit5(pvm->initial_as);
}

uint64_t paging_vm_l2_pdpte_bit5_in(struct paging_vm *pvm, struct guest_as *pae_as)
{
	uint64_t pdpte = paging_vm_l2_pdpte_bit5(pvm);

	if (pdpte || !pae_as || !paging_vm_l2_npt(pvm) ||
	    !emulator_sets_pdpte_bit5(true))
		return pdpte;
	return pdpte_with_bit5(pae_as);
}

const char *paging_vm_l2_invlpg_crashes_host(enum guest_paging_mode mode, bool tdp)
{
	if (tdp || mode == GUEST_PAGING_OFF || guest_paging_mode_is_64bit(mode))
		return NULL;
	return known_defect_not_run(DEFECT_NESTED_INVLPG_PREV_ROOT_BUG);
}

/* After a stray exit: whether it was L1 reporting a #VMEXIT (then, in @why, which). */
static bool svm64_stopped(struct paging_vm *pvm, char *why, size_t len)
{
	struct ucall uc;

	if (get_ucall(pvm->vcpu, &uc) != UCALL_SYNC || uc.args[1] != PAGING_L1_VMEXIT)
		return false;
	snprintf(why, len,
		 "L2 left to L1 with #VMEXIT 0x%lx (EXITINFO1 0x%lx, EXITINFO2 0x%lx, L2 RIP 0x%lx)",
		 uc.args[2], uc.args[3], uc.args[4], uc.args[5]);
	return true;
}

static void svm64_free(struct paging_vm *pvm)
{
	kvm_vm_free(pvm->vm);
	free(pvm->priv->target_data);
}

static const struct paging_target target_l2_of_svm64 = {
	.start = svm64_start,
	.run = paging_vm_run_vcpu,
	.stopped = svm64_stopped,
	.free = svm64_free,
};

/* ---- the engine as L2 of a PAE L1 engine ---- */

/* The L1 GPA of the L2 engine's memslot; L2 sees it at GSTEP_SLOT_GPA. */
#define GSTEP_L2_SLOT_GPA	0x20000000ull
#define PNPT_2M			BIT_ULL(21)

/*
 * Only with nested paging: without it L2's GPAs would be L1's, where the
 * L1 engine lives.
 */
#define PAE_L1_NO_NPT_WHY							\
	"KVM offers L1 no nested paging (kvm_amd npt=0), which a PAE L1 needs to place the step engine as its L2: without it L2's addresses would be L1's own engine's"

bool paging_vm_l2_pae_supported(const char **why)
{
	*why = NULL;
	/* The PAE L1 is an SVM hypervisor, also where a VMX L1 runs paging_vm_create_l2(). */
	if (!kvm_cpu_has(X86_FEATURE_SVM))
		*why = "KVM offers L1 no SVM (kvm_amd nested=0, or not an AMD host)";
	else if (!kvm_cpu_has(X86_FEATURE_NPT))
		*why = PAE_L1_NO_NPT_WHY;
	return !*why;
}

/*
 * While an engine runs as L2 of this one (paging_vm_create_l2_pae()),
 * the port I/O of both comes here.  Whose ucall it is says the mailbox:
 * each engine writes its command there before the OUT, and the host
 * clears it once served.  A DONE from L2 comes only when L1 resumed it
 * after its GSTEP_VMMCALL step: it then starts the table loaded since,
 * from its first step, whose results must read "not run" until then.
 */
static bool l2_engine_ucall(void *arg)
{
	struct paging_vm *l2 = arg;
	struct gstep_mailbox *mb = paging_vm_hva(l2, GSTEP_MAILBOX_GPA);
	struct ucall uc;

	if (!mb->uc.cmd)
		return false;
	switch (paging_vm_get_ucall(l2, &uc)) {
	case UCALL_SYNC:
		paging_vm_serve_sync(l2, &uc);
		break;
	case UCALL_DONE:
		memset(paging_vm_hva(l2, GSTEP_RESULTS_GPA), 0,
		       mb->nr_steps * sizeof(struct gstep_result));
		break;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		break;
	default:
		return false;
	}
	mb->uc.cmd = 0;
	return true;
}

struct paging_vm *paging_vm_create_l2_pae(enum guest_paging_mode mode)
{
	struct paging_vm_pae_l1 *data;
	struct paging_vm *pvm;
	struct pae_l1 *l1;
	const char *why;
	bool supported = paging_vm_l2_pae_supported(&why);
	uint64_t ncr3, off;

	TEST_ASSERT(supported, "%s", why);
	l1 = pae_l1_create("PAE L1");
	pvm = __paging_vm_create_in(l1->pvm, mode, GSTEP_L2_SLOT_GPA);
	data = calloc(1, sizeof(*data));
	TEST_ASSERT(data, "out of memory");
	data->l1 = l1;
	pvm->priv->target = &target_l2_of_pae_l1;
	pvm->priv->target_data = data;
	/* L1's vCPU takes both engines' port I/O: this one's ucalls too. */
	l1->pvm->priv->exit_hook = l2_engine_ucall;
	l1->pvm->priv->exit_hook_arg = pvm;

	ncr3 = pnpt_create(l1->pvm, 0);
	for (off = 0; off < GSTEP_SLOT_SIZE; off += PNPT_2M)
		pnpt_map(l1->pvm, ncr3, GSTEP_SLOT_GPA + off, GSTEP_L2_SLOT_GPA + off,
			 PNPT_LEVEL_2M, PNPT_RW);
	pae_l1_set_ncr3(l1, ncr3);
	/* The engine takes its own faults; its I/O is not intercepted anyway. */
	l1->vmcb->control.intercept_exceptions = 0;
	/* See struct pae_l1: needed under QEMU TCG, a no-op on a CPU. */
	l1->clear_pdpte_a = emulator_sets_pdpte_bit5(true);
	return pvm;
}

/* Why L1's VMRUN ended otherwise than at L2's GSTEP_VMMCALL step. */
static void report_l1_exit(struct paging_vm *pvm, const struct gstep_result *r)
{
	struct pae_l1 *l1 = pae_l1_of(pvm)->l1;
	struct vmcb *vmcb = l1->vmcb;

	ksft_print_msg("%s: L2 left to its PAE L1 %s: #VMEXIT 0x%lx, L2 RIP 0x%lx\n",
		       pvm->name, r->done ? "early" : "and L1 did not finish its VMRUN step",
		       r->value, vmcb->save.rip);
	ksft_print_msg("%s: EXITINFO1 0x%lx, EXITINFO2 0x%lx; L1's PDPTE 0: 0x%lx\n",
		       pvm->name, vmcb->control.exit_info_1, vmcb->control.exit_info_2,
		       guest_as_read_entry(l1->as, 0, 3));
}

/*
 * Append a GSTEP_VMMCALL step to L2's table and have L1 VMRUN it (or
 * resume it after the last one's VMMCALL), then check both engines' steps.
 */
static int pae_l1_run(struct paging_vm *pvm)
{
	struct paging_vm_pae_l1 *data = pae_l1_of(pvm);
	struct pae_l1 *l1 = data->l1;
	const struct gstep_result *r;
	int bad, vmrun;
	bool parked;
	uint32_t nr;

	gstep_phase(pvm, "back to L1");
	gstep_vmmcall(pvm);
	nr = pvm->nr_steps;
	paging_vm_load_steps(pvm);
	if (pvm->dead)
		return paging_vm_check_steps(pvm, nr - 1, false);

	/* Enter at the top, or resume after the last table's VMMCALL. */
	if (!pvm->priv->started)
		engine_vmcb_state(pvm, &l1->vmcb->save);
	else
		l1->vmcb->save.rip += GSTEP_VMMCALL_LEN;
	pvm->priv->started = true;
	vmrun = pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	bad = paging_vm_run_steps(l1->pvm);
	/* L1 runs nothing after a triple fault: its PDPTEs are as they were then. */
	if (l1->pvm->dead)
		data->l1_pdpte_bit5 = pdpte_with_bit5(l1->as);

	r = paging_vm_result(l1->pvm, vmrun);
	/* Parked in its GSTEP_VMMCALL step, where the next run resumes it. */
	parked = r->done && r->vector == GSTEP_NO_FAULT && r->value == SVM_EXIT_VMMCALL;
	if (!parked) {
		report_l1_exit(pvm, r);
		pvm->dead = true;
	}
	/* The VMMCALL step itself ends only at the next run. */
	return bad + paging_vm_check_steps(pvm, nr - 1, parked);
}

/* An L2 engine shares its L1's VM, and frees the L1 with it. */
static void pae_l1_target_free(struct paging_vm *pvm)
{
	struct paging_vm_pae_l1 *data = pvm->priv->target_data;

	pae_l1_free(data->l1);
	free(data);
}

static const struct paging_target target_l2_of_pae_l1 = {
	.run = pae_l1_run,
	.free = pae_l1_target_free,
};
