// SPDX-License-Identifier: GPL-2.0
/*
 * The step engine as L2 of a 64-bit VMX L1: the Intel counterpart of the
 * SVM L1 of guest_paging_l2.c, which paging_vm_create_l2() picks when
 * KVM offers L1 VMX and not SVM.  L1 is framework guest code on
 * upstream's VMX helpers (prepare_for_vmx_operation(), load_vmcs(),
 * prepare_vmcs(), lib/x86_64/vmx.c or lib/x86/vmx.c of the tree); it
 * VMLAUNCHes the engine in its paging mode, with or without EPT, and
 * stays out of its way, so that every step table runs unchanged on KVM's
 * nested MMU:
 *
 * - with EPT, on upstream's EPT builder (vm_enable_ept() and __tdp_map();
 *   __nested_map() before 7.0, include/kvm_compat.h), which maps the
 *   engine's memslot at L2 GPA == L1 GPA, as the SVM L1's NPT does: KVM
 *   then shadows that EPT (kvm_init_shadow_ept_mmu(), mmu.c) and, with
 *   ept=1, the CPU walks L2's own tables;
 * - without EPT, L2 runs on L1's physical memory: with ept=0 KVM shadows
 *   L2's tables for it (role.guest_mode), with ept=1 the CPU walks them.
 *
 * L1 intercepts neither port I/O nor exceptions: with neither
 * "unconditional I/O exiting" nor "use I/O bitmaps" (SDM vol. 3C 26.1.3
 * [25.1.3]) the engine's ucalls exit from L2 to L0, and so to the host,
 * exactly as from a plain guest (vmx/nested.c
 * nested_vmx_exit_handled_io() finds no exit for L1), and with an
 * exception bitmap of 0 and a #PF error-code mask and match of 0
 * (25.6.3 [24.6.3]) its #PF and #GP go through its own IDT.  MSR bitmaps of
 * zeros leave its WRMSRs (EFER.NXE) to L0 too.  HLT exits to L1 and so
 * does a triple fault (always): the engine never halts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "kselftest.h"
#include "processor.h"
#include "vmx.h"
#include "ucall_common.h"

#include "kvm_compat.h"
#include "guest_paging_int.h"

/* GUEST_SYNC_ARGS stages of L1's reports: a VM exit ("L1VX"), a VMfail ("L1VF"). */
#define VMX_L1_VMEXIT	0x4c315658ul
#define VMX_L1_VMFAIL	0x4c315646ul

/* A segment register of the VMCS guest-state area (SDM vol. 3C 25.4.1 [24.4.1]). */
struct vmx_seg {
	uint64_t base;
	uint32_t limit;
	uint32_t ar;		/* access rights, bit 16: unusable */
	uint16_t selector;
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, NR_SEGS };

/* The engine's initial state, as L1 loads it into the VMCS. */
struct vmx_l2_state {
	struct vmx_seg seg[NR_SEGS];
	uint64_t gdtr_base, idtr_base;
	uint32_t gdtr_limit, idtr_limit;
	uint64_t cr0, cr3, cr4, efer, rip, rsp;
	/* PAE paging with EPT: the PDPTEs VM entry loads from the VMCS (27.3.2.4 [26.3.2.4]). */
	uint64_t pdpte[4];
};

/* L1's arguments, in L1 memory: written by the host before L1 runs. */
struct vmx_l1_args {
	struct vmx_pages *vmx;		/* L1's pointer */
	uint32_t secondary;		/* secondary controls beyond "enable EPT" */
	struct vmx_l2_state l2;
};

/* The target data of the engine as L2 of a 64-bit VMX L1. */
struct paging_vm_vmx_l1 {
	struct vmx_l1_args *args;	/* host pointer */
	bool ept;
};

static const struct paging_target target_l2_of_vmx64;

static struct paging_vm_vmx_l1 *vmx64_l1(struct paging_vm *pvm)
{
	return pvm->priv->target == &target_l2_of_vmx64 ? pvm->priv->target_data : NULL;
}

bool paging_vm_l2_vmx_ept(struct paging_vm *pvm)
{
	struct paging_vm_vmx_l1 *l1 = vmx64_l1(pvm);

	return l1 && l1->ept;
}

/* The VMCS fields of each segment register, in the order of enum above. */
static const struct {
	uint32_t selector, limit, ar, base;
} seg_fields[NR_SEGS] = {
	[SEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES, GUEST_ES_BASE },
	[SEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES, GUEST_CS_BASE },
	[SEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES, GUEST_SS_BASE },
	[SEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES, GUEST_DS_BASE },
	[SEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES, GUEST_FS_BASE },
	[SEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES, GUEST_GS_BASE },
	[SEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES,
		       GUEST_LDTR_BASE },
	[SEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES, GUEST_TR_BASE },
};

/*
 * The controls prepare_vmcs() left, adjusted so that L1 stays out of the
 * engine's way (see the top of this file), and the engine's mode: IA-32e
 * mode guest as its EFER.LMA says, EFER loaded at entry and L1's own
 * reloaded at exit, since L2's differs in LME/LMA and NXE.
 */
static void load_l2_controls(const struct vmx_l1_args *args)
{
	const struct vmx_l2_state *l2 = &args->l2;
	uint64_t ctl, cr4_fixed0;

	ctl = vmreadz(CPU_BASED_VM_EXEC_CONTROL);
	ctl &= ~(uint64_t)(CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_USE_IO_BITMAPS);
	ctl |= CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_HLT_EXITING;
	vmwrite(CPU_BASED_VM_EXEC_CONTROL, ctl);
	if (args->secondary)
		vmwrite(SECONDARY_VM_EXEC_CONTROL,
			vmreadz(SECONDARY_VM_EXEC_CONTROL) | args->secondary);
	vmwrite(EXCEPTION_BITMAP, 0);
	/* Error code & 0 == 0: #PF exits only if bit 14 of the bitmap is set (25.6.3 [24.6.3]). */
	vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);

	ctl = vmreadz(VM_ENTRY_CONTROLS) & ~(uint64_t)VM_ENTRY_IA32E_MODE;
	ctl |= VM_ENTRY_LOAD_IA32_EFER;
	if (l2->efer & EFER_LMA)
		ctl |= VM_ENTRY_IA32E_MODE;
	vmwrite(VM_ENTRY_CONTROLS, ctl);
	vmwrite(VM_EXIT_CONTROLS, vmreadz(VM_EXIT_CONTROLS) | VM_EXIT_LOAD_IA32_EFER);
	vmwrite(HOST_IA32_EFER, rdmsr(MSR_EFER));

	/*
	 * CR4.VMXE is fixed to 1 in VMX operation, also in the guest's CR4
	 * (IA32_VMX_CR4_FIXED0; 27.3.1.1 [26.3.1.1]), and the engine knows
	 * nothing of it: L1 owns the fixed bits the engine lacks, which L2
	 * reads as the engine set them and cannot change (a MOV to CR4 that
	 * leaves them as the read shadow says does not exit; 26.1.3 [25.1.3]).
	 * CR0 is all L2's: its fixed bits (PE, PG but with "unrestricted
	 * guest", NE) are the engine's own.
	 */
	cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	vmwrite(CR0_GUEST_HOST_MASK, 0);
	vmwrite(CR0_READ_SHADOW, l2->cr0);
	vmwrite(CR4_GUEST_HOST_MASK, cr4_fixed0 & ~l2->cr4);
	vmwrite(CR4_READ_SHADOW, l2->cr4);
}

/*
 * The guest-state area (25.4 [24.4]) from the engine's state: what
 * prepare_vmcs() cloned from L1 but the segments, descriptor tables,
 * control registers, EFER, RIP and RSP (RFLAGS: the fixed bit only).
 */
static void load_l2_state(const struct vmx_l2_state *l2)
{
	int i;

	for (i = 0; i < NR_SEGS; i++) {
		vmwrite(seg_fields[i].selector, l2->seg[i].selector);
		vmwrite(seg_fields[i].limit, l2->seg[i].limit);
		vmwrite(seg_fields[i].ar, l2->seg[i].ar);
		vmwrite(seg_fields[i].base, l2->seg[i].base);
	}
	vmwrite(GUEST_GDTR_BASE, l2->gdtr_base);
	vmwrite(GUEST_GDTR_LIMIT, l2->gdtr_limit);
	vmwrite(GUEST_IDTR_BASE, l2->idtr_base);
	vmwrite(GUEST_IDTR_LIMIT, l2->idtr_limit);
	vmwrite(GUEST_CR0, l2->cr0);
	vmwrite(GUEST_CR3, l2->cr3);
	vmwrite(GUEST_CR4, l2->cr4 | rdmsr(MSR_IA32_VMX_CR4_FIXED0));
	vmwrite(GUEST_IA32_EFER, l2->efer);
	for (i = 0; i < 4; i++)
		vmwrite(GUEST_PDPTR0 + 2 * i, l2->pdpte[i]);
	vmwrite(GUEST_RIP, l2->rip);
	vmwrite(GUEST_RSP, l2->rsp);
	vmwrite(GUEST_RFLAGS, X86_EFLAGS_FIXED);
}

/*
 * L1: VMLAUNCH the engine, and report every VM exit to the host.  The
 * host stops running the vCPU after one, so L1 never resumes L2.
 */
static void vmx_l1_guest_code(struct vmx_l1_args *args)
{
	struct vmx_pages *vmx = args->vmx;

	GUEST_ASSERT(prepare_for_vmx_operation(vmx));
	GUEST_ASSERT(load_vmcs(vmx));
	prepare_vmcs(vmx, NULL);
	load_l2_controls(args);
	load_l2_state(&args->l2);

	if (vmlaunch())
		for (;;)
			GUEST_SYNC_ARGS(VMX_L1_VMFAIL, vmreadz(VM_INSTRUCTION_ERROR), 0, 0, 0);
	for (;;) {
		GUEST_SYNC_ARGS(VMX_L1_VMEXIT, vmreadz(VM_EXIT_REASON),
				vmreadz(EXIT_QUALIFICATION), vmreadz(GUEST_PHYSICAL_ADDRESS),
				vmreadz(GUEST_RIP));
		vmresume();
	}
}

/* The allowed-1 settings (bits 63:32) of a VMX capability MSR KVM offers L1. */
static uint32_t allowed1(uint32_t msr)
{
	return kvm_get_feature_msr(msr) >> 32;
}

static bool l1_has_unrestricted_guest(void)
{
	return (allowed1(MSR_IA32_VMX_TRUE_PROCBASED_CTLS) &
		CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) &&
	       (allowed1(MSR_IA32_VMX_PROCBASED_CTLS2) & SECONDARY_EXEC_UNRESTRICTED_GUEST);
}

/* Why L1 cannot run the engine as L2 (skip reasons). */
#define NO_VMX_WHY							\
	"KVM offers L1 neither SVM nor VMX (kvm_intel or kvm_amd nested=0)"
#define NO_MSR_BITMAPS_WHY						\
	"KVM offers the VMX L1 no MSR bitmaps (IA32_VMX_TRUE_PROCBASED_CTLS bit 60): L2's WRMSRs would all exit to L1"
#define NO_LOAD_EFER_WHY						\
	"KVM offers the VMX L1 no \"load IA32_EFER\" at VM entry and exit, which a 32-bit L2 of a 64-bit L1 needs"
#define NO_EPT_WHY							\
	"KVM offers the VMX L1 no EPT (IA32_VMX_PROCBASED_CTLS2 bit 33; kvm_intel ept=0)"
#define PAGING_OFF_NO_EPT_WHY						\
	"a VMX L1 without EPT cannot run L2 with paging off: without \"unrestricted guest\" CR0.PE and CR0.PG are fixed to 1 in the guest state (IA32_VMX_CR0_FIXED0; SDM vol. 3C 27.3.1.1 [26.3.1.1]), and \"unrestricted guest\" needs \"enable EPT\" (27.2.1.1 [26.2.1.1])"
#define PAGING_OFF_NO_UG_WHY						\
	"KVM offers the VMX L1 no \"unrestricted guest\" (IA32_VMX_PROCBASED_CTLS2 bit 39), without which CR0.PG is fixed to 1 in L2 (SDM vol. 3C 27.3.1.1 [26.3.1.1])"

const char *paging_vm_l2_vmx_missing(bool ept)
{
	if (!kvm_cpu_has(X86_FEATURE_VMX))
		return NO_VMX_WHY;
	if (!(allowed1(MSR_IA32_VMX_TRUE_PROCBASED_CTLS) & CPU_BASED_USE_MSR_BITMAPS))
		return NO_MSR_BITMAPS_WHY;
	if (!(allowed1(MSR_IA32_VMX_TRUE_ENTRY_CTLS) & VM_ENTRY_LOAD_IA32_EFER) ||
	    !(allowed1(MSR_IA32_VMX_TRUE_EXIT_CTLS) & VM_EXIT_LOAD_IA32_EFER))
		return NO_LOAD_EFER_WHY;
	if (ept && !kvm_cpu_has_ept())
		return NO_EPT_WHY;
	return NULL;
}

const char *paging_vm_l2_vmx_mode_missing(enum guest_paging_mode mode, bool ept)
{
	const char *why = paging_vm_l2_vmx_missing(ept);

	if (why || mode != GUEST_PAGING_OFF)
		return why;
	if (!ept)
		return PAGING_OFF_NO_EPT_WHY;
	if (!l1_has_unrestricted_guest())
		return PAGING_OFF_NO_UG_WHY;
	return NULL;
}

struct paging_vm *paging_vm_create_l2_vmx(enum guest_paging_mode mode, bool ept)
{
	struct paging_vm_vmx_l1 *l1;
	struct vmx_l1_args *args;
	struct vmx_pages *vmx;
	struct paging_vm *pvm;
	gva_t args_gva, vmx_gva;
	const char *why = paging_vm_l2_vmx_mode_missing(mode, ept);

	TEST_ASSERT(!why, "%s", why);
	pvm = __paging_vm_create(mode, vmx_l1_guest_code);
	static_assert(sizeof(*args) <= PAGE_SIZE, "L1's arguments fit a page");
	args_gva = vm_alloc_page(pvm->vm);
	args = addr_gva2hva(pvm->vm, args_gva);
	memset(args, 0, sizeof(*args));
	/*
	 * The EPT first: vcpu_alloc_vmx() takes its root, which
	 * prepare_vmcs() puts in the EPTP with "enable EPT".
	 */
	if (ept)
		vm_enable_ept(pvm->vm);
	vmx = vcpu_alloc_vmx(pvm->vm, &vmx_gva);
	args->vmx = (struct vmx_pages *)vmx_gva;
	if (ept) {
		TEST_ASSERT(vmx->eptp_gpa, "no EPT root after vm_enable_ept()");
		/*
		 * 2 MiB leaves, as the SVM L1's NPT has: a PDPT and a PD under
		 * the root, where 4 KiB leaves would take 34 pages of memslot
		 * 0, whose 512-odd pages a static test binary's image mostly
		 * fills (paging_modes_test: 1.9 MB).
		 */
		__tdp_map(pvm->vm, GSTEP_SLOT_GPA, GSTEP_SLOT_GPA, GSTEP_SLOT_SIZE, PG_LEVEL_2M);
		/* Where KVM offers it, as a hypervisor would: L2 may turn paging off. */
		if (l1_has_unrestricted_guest())
			args->secondary = SECONDARY_EXEC_UNRESTRICTED_GUEST;
	}
	vcpu_args_set(pvm->vcpu, 1, args_gva);

	l1 = calloc(1, sizeof(*l1));
	TEST_ASSERT(l1, "out of memory");
	l1->args = args;
	l1->ept = ept;
	pvm->priv->target = &target_l2_of_vmx64;
	pvm->priv->target_data = l1;
	return pvm;
}

/* A segment register in VMCS form: its access rights (25.4.1 [24.4.1], Table 25-2 [24-2]). */
static struct vmx_seg vmx_seg(const struct kvm_segment *s)
{
	return (struct vmx_seg){
		.selector = s->selector,
		.ar = s->type | s->s << 4 | s->dpl << 5 | s->present << 7 | s->avl << 12 |
		      s->l << 13 | s->db << 14 | s->g << 15 | s->unusable << 16,
		.limit = s->limit,
		.base = s->base,
	};
}

/*
 * The state paging_vm_start() would load into a plain vCPU, in VMCS form.
 * The engine's segments are accessed code and data, and its TR a busy
 * TSS (paging_vm_initial_sregs()), as the checks of 27.3.1.2 [26.3.1.2]
 * want them without "unrestricted guest".
 */
static void vmx64_start(struct paging_vm *pvm)
{
	struct vmx_l2_state *l2 = &vmx64_l1(pvm)->args->l2;
	const struct kvm_segment *segs[NR_SEGS];
	struct kvm_sregs sregs;
	int i;

	memset(&sregs, 0, sizeof(sregs));
	paging_vm_initial_sregs(pvm, &sregs);
	segs[SEG_ES] = &sregs.es;
	segs[SEG_CS] = &sregs.cs;
	segs[SEG_SS] = &sregs.ss;
	segs[SEG_DS] = &sregs.ds;
	segs[SEG_FS] = &sregs.fs;
	segs[SEG_GS] = &sregs.gs;
	segs[SEG_LDTR] = &sregs.ldt;
	segs[SEG_TR] = &sregs.tr;
	for (i = 0; i < NR_SEGS; i++)
		l2->seg[i] = vmx_seg(segs[i]);
	l2->gdtr_base = sregs.gdt.base;
	l2->gdtr_limit = sregs.gdt.limit;
	l2->idtr_base = sregs.idt.base;
	l2->idtr_limit = sregs.idt.limit;
	l2->cr0 = sregs.cr0;
	l2->cr3 = sregs.cr3;
	l2->cr4 = sregs.cr4;
	l2->efer = sregs.efer;
	l2->rip = GSTEP_CODE_GPA;
	l2->rsp = GSTEP_STACK_TOP;
	/*
	 * With EPT, VM entry takes a PAE guest's PDPTEs from the VMCS, not
	 * from its CR3 (27.3.2.4 [26.3.2.4]): those of its first table, as
	 * the CPU would have loaded them.
	 */
	if (pvm->mode == GUEST_PAGING_PAE)
		for (i = 0; i < 4; i++)
			l2->pdpte[i] = guest_as_read_entry(pvm->initial_as, (uint64_t)i << 30, 3);
}

/* After a stray exit: whether it was L1 reporting a VM exit or a VMfail (then, in @why, which). */
static bool vmx64_stopped(struct paging_vm *pvm, char *why, size_t len)
{
	struct ucall uc;

	if (get_ucall(pvm->vcpu, &uc) != UCALL_SYNC)
		return false;
	if (uc.args[1] == VMX_L1_VMFAIL) {
		snprintf(why, len, "L1's VMLAUNCH of L2 failed: VM-instruction error %lu",
			 uc.args[2]);
		return true;
	}
	if (uc.args[1] != VMX_L1_VMEXIT)
		return false;
	snprintf(why, len,
		 "L2 left to L1 with VM exit %lu%s (qualification 0x%lx, guest-physical address 0x%lx, L2 RIP 0x%lx)",
		 uc.args[2] & 0xffff, uc.args[2] & BIT(31) ? ", a VM-entry failure" : "",
		 uc.args[3], uc.args[4], uc.args[5]);
	return true;
}

static void vmx64_free(struct paging_vm *pvm)
{
	kvm_vm_free(pvm->vm);
	free(pvm->priv->target_data);
}

static const struct paging_target target_l2_of_vmx64 = {
	.start = vmx64_start,
	.run = paging_vm_run_vcpu,
	.stopped = vmx64_stopped,
	.free = vmx64_free,
};
