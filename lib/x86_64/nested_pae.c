// SPDX-License-Identifier: GPL-2.0
/*
 * Nested SVM for a 32-bit PAE L1 on the guest step engine: the VMCB and
 * everything VMRUN needs, L2's code, and PAE-format NPT tables, all in
 * L1's memory.  See include/x86_64/nested_pae.h.
 */
#include <stddef.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"

#include "guest_paging_int.h"
#include "nested_pae.h"

/* APM vol. 2, 15.11: the IOPM is 12 KiB, the MSRPM 8 KiB. */
#define PAE_L1_IOPM_SIZE	(3 * 4096)
#define PAE_L1_MSRPM_SIZE	(2 * 4096)

/* VMCB segment attributes (APM 15.5.1): type, S, P, D/B, G. */
#define VMCB_ATTR_CODE32	0xc9b
#define VMCB_ATTR_DATA32	0xc93

static void identity_map(struct pae_l1 *l1, uint64_t gpa, uint64_t size)
{
	uint64_t off;

	for (off = 0; off < size; off += 4096)
		guest_as_map(l1->as, gpa + off, gpa + off, 1, GP_P | GP_RW);
}

static void vmcb_seg(struct vmcb_seg *seg, uint16_t sel, uint16_t attrib)
{
	seg->selector = sel;
	seg->attrib = attrib;
	seg->limit = 0xffffffff;
	seg->base = 0;
}

struct pae_l1 *pae_l1_create(const char *name)
{
	struct pae_l1 *l1 = calloc(1, sizeof(*l1));
	struct vmcb_control_area *ctl;
	struct vmcb_save_area *save;

	TEST_ASSERT(l1, "out of memory");
	l1->pvm = paging_vm_create(GUEST_PAGING_PAE);
	l1->pvm->name = name;
	l1->as = guest_as_create(l1->pvm);
	l1->vmcb_gpa = paging_vm_alloc(l1->pvm, 4096, 4096);
	l1->hsave_gpa = paging_vm_alloc(l1->pvm, 4096, 4096);
	l1->iopm_gpa = paging_vm_alloc(l1->pvm, PAE_L1_IOPM_SIZE, 4096);
	l1->msrpm_gpa = paging_vm_alloc(l1->pvm, PAE_L1_MSRPM_SIZE, 4096);
	l1->l2_code_gpa = paging_vm_alloc(l1->pvm, 4096, 4096);
	/* The engine reads EXITCODE through the VMCB's identity mapping. */
	identity_map(l1, l1->vmcb_gpa, 4096);
	guest_as_map_tables(l1->as, PAE_L1_TABLES_VA);
	l1->vmcb = paging_vm_hva(l1->pvm, l1->vmcb_gpa);
	l1->vmrun_step = -1;

	/*
	 * The VMRUN consistency checks (APM 15.5.1; KVM's
	 * __nested_vmcb_check_controls() and __nested_vmcb_check_save()):
	 * the VMRUN intercept, a non-zero ASID, EFER.SVME in the guest.
	 */
	ctl = &l1->vmcb->control;
	ctl->intercept = BIT_ULL(INTERCEPT_VMRUN) | BIT_ULL(INTERCEPT_VMMCALL) |
			 BIT_ULL(INTERCEPT_HLT) | BIT_ULL(INTERCEPT_SHUTDOWN);
	ctl->intercept_exceptions = BIT(DE_VECTOR) | BIT(UD_VECTOR) | BIT(DF_VECTOR) |
				    BIT(GP_VECTOR) | BIT(PF_VECTOR);
	ctl->asid = 1;
	ctl->iopm_base_pa = l1->iopm_gpa;
	ctl->msrpm_base_pa = l1->msrpm_gpa;

	/* L2: flat 32-bit protected mode, paging off (APM 15.5.1). */
	save = &l1->vmcb->save;
	vmcb_seg(&save->cs, 0x08, VMCB_ATTR_CODE32);
	vmcb_seg(&save->ds, 0x10, VMCB_ATTR_DATA32);
	save->es = save->ds;
	save->ss = save->ds;
	save->gdtr.limit = 0;
	save->idtr.limit = 0;
	save->efer = EFER_SVME;
	save->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	save->cr3 = 0;
	save->cr4 = 0;
	save->rflags = 0x2;
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	save->g_pat = 0x0007040600070406ull;	/* the PAT's reset value */
	return l1;
}

void pae_l1_free(struct pae_l1 *l1)
{
	paging_vm_free(l1->pvm);
	free(l1);
}

void pae_l1_set_ncr3(struct pae_l1 *l1, uint64_t ncr3)
{
	struct vmcb_control_area *ctl = &l1->vmcb->control;

	if (ncr3)
		ctl->misc_ctl |= SVM_MISC_ENABLE_NP;
	else
		ctl->misc_ctl &= ~(uint64_t)SVM_MISC_ENABLE_NP;
	ctl->nested_cr3 = ncr3;
}

/* Append @len bytes of code and return where the next ones go. */
static uint8_t *emit(uint8_t *p, const void *code, size_t len)
{
	memcpy(p, code, len);
	return p + len;
}

static uint8_t *emit32(uint8_t *p, uint32_t v)
{
	return emit(p, &v, 4);
}

/* VMMCALL (0f 01 d9), then HLT (f4) in case L1 resumes L2 after it. */
static void emit_exit(uint8_t *p)
{
	static const uint8_t code[] = { 0x0f, 0x01, 0xd9, 0xf4, 0xeb, 0xfe };

	emit(p, code, sizeof(code));
}

static uint8_t *l2_code_start(struct pae_l1 *l1)
{
	uint8_t *p = paging_vm_hva(l1->pvm, l1->l2_code_gpa);

	memset(p, 0xcc, 4096);
	l1->vmcb->save.rip = PAE_L1_L2_CODE_GPA;
	l1->vmcb->save.rsp = 0;
	l1->vmcb->save.rax = 0;
	return p;
}

void pae_l1_l2_load(struct pae_l1 *l1, uint64_t gpa)
{
	uint8_t *p = l2_code_start(l1);

	/* mov eax, [moffs32] (a1) */
	p = emit(p, "\xa1", 1);
	p = emit32(p, gpa);
	emit_exit(p);
}

void pae_l1_l2_load_sum(struct pae_l1 *l1, const uint64_t *gpa, int n)
{
	uint8_t *p = l2_code_start(l1);
	int i;

	TEST_ASSERT(n >= 1 && n <= 64, "L2 code: %d loads", n);
	for (i = 0; i < n; i++) {
		/* mov eax, [moffs32] (a1), then add eax, [disp32] (03 05) */
		p = i ? emit(p, "\x03\x05", 2) : emit(p, "\xa1", 1);
		p = emit32(p, gpa[i]);
	}
	emit_exit(p);
}

void pae_l1_l2_store(struct pae_l1 *l1, uint64_t gpa, uint32_t val)
{
	uint8_t *p = l2_code_start(l1);

	/* mov dword [disp32], imm32 (c7 05) */
	p = emit(p, "\xc7\x05", 2);
	p = emit32(p, gpa);
	p = emit32(p, val);
	emit_exit(p);
}

int pae_l1_vmrun(struct pae_l1 *l1, struct gstep_expect e)
{
	return pae_l1_vmrun_tlb_ctl(l1, TLB_CONTROL_FLUSH_ALL_ASID, e);
}

int pae_l1_vmrun_tlb_ctl(struct pae_l1 *l1, uint8_t tlb_ctl, struct gstep_expect e)
{
	struct paging_vm *pvm = l1->pvm;

	if (l1->vmrun_step < 0 && !pvm->priv->started) {
		gstep_phase(pvm, "EFER.SVME");
		gstep_efer(pvm, EFER_SVME, 0);
	}
	/* The host's VMCB is L1's at the first VMRUN; later ones L1 writes. */
	if (l1->vmrun_step < 0) {
		l1->vmcb->control.tlb_ctl = tlb_ctl;
	} else {
		gstep_phase(pvm, "L1 sets TLB_CONTROL");
		gstep_store(pvm, l1->vmcb_gpa + offsetof(struct vmcb, control.tlb_ctl), 1,
			    tlb_ctl, EXPECT_OK());
	}
	l1->vmcb->control.exit_code = 0;
	l1->vmcb->control.exit_info_1 = 0;
	l1->vmcb->control.exit_info_2 = 0;
	/*
	 * L2's RIP is L1's to set before each VMRUN: after a #VMEXIT the
	 * VMCB holds where L2 stopped (an intercepted VMMCALL does not
	 * advance it).  L1 writes the entry the host put there now.
	 */
	gstep_phase(pvm, "L1 sets L2's RIP");
	gstep_store(pvm, l1->vmcb_gpa + offsetof(struct vmcb, save.rip), 8,
		    l1->vmcb->save.rip, EXPECT_OK());
	gstep_phase(pvm, "VMRUN");
	l1->vmrun_step = gstep_vmrun(pvm, l1->vmcb_gpa, l1->hsave_gpa,
				     l1->clear_pdpte_a ?
				     paging_vm_table_va(pvm, l1->as->root) : 0, e);
	return l1->vmrun_step;
}

/* ---- PAE-format NPT ---- */

uint64_t pnpt_create(struct paging_vm *pvm, unsigned int offset)
{
	TEST_ASSERT(offset < 4096 && !(offset & 31),
		    "a PAE PDPT is 32-byte aligned (offset %u)", offset);
	return paging_vm_alloc(pvm, 4096, 4096) + offset;
}

static int pnpt_index(uint64_t gpa, int level)
{
	if (level == PNPT_LEVEL_PDPTE)
		return (gpa >> 30) & 3;
	return (gpa >> (12 + 9 * (level - 1))) & 511;
}

uint64_t *pnpt_entry(struct paging_vm *pvm, uint64_t ncr3, uint64_t l2_gpa,
		     int level, bool alloc)
{
	uint64_t *table = paging_vm_hva(pvm, ncr3 & 0xffffffe0);
	int l;

	TEST_ASSERT(level >= 1 && level <= 3 && l2_gpa < (1ull << 32),
		    "PAE NPT: level %d, L2 GPA 0x%lx", level, l2_gpa);
	for (l = 3; l > level; l--) {
		uint64_t *e = &table[pnpt_index(l2_gpa, l)];

		if (!(*e & GP_P)) {
			if (!alloc)
				return NULL;
			/* PDPTEs: P only (bits 2:1 are reserved there). */
			*e = paging_vm_alloc(pvm, 4096, 4096) |
			     (l == PNPT_LEVEL_PDPTE ? PNPT_PDPTE_P : PNPT_RW);
		}
		if (l == 2 && (*e & GP_PS))
			return NULL;
		table = paging_vm_hva(pvm, *e & 0xffffffffff000ull);
	}
	return &table[pnpt_index(l2_gpa, level)];
}

void pnpt_map(struct paging_vm *pvm, uint64_t ncr3, uint64_t l2_gpa,
	      uint64_t l1_gpa, int level, uint64_t flags)
{
	uint64_t size = level == PNPT_LEVEL_2M ? 1ull << 21 : 1ull << 12;
	uint64_t *e;

	TEST_ASSERT(level == PNPT_LEVEL_4K || level == PNPT_LEVEL_2M,
		    "PAE NPT leaves are 4K or 2M");
	TEST_ASSERT(!(l2_gpa & (size - 1)) && !(l1_gpa & (size - 1)),
		    "PAE NPT: unaligned mapping 0x%lx -> 0x%lx", l2_gpa, l1_gpa);
	e = pnpt_entry(pvm, ncr3, l2_gpa, level, true);
	TEST_ASSERT(e, "PAE NPT: a 2M leaf is in the way of 0x%lx", l2_gpa);
	*e = l1_gpa | flags | (level == PNPT_LEVEL_2M ? GP_PS : 0);
}
