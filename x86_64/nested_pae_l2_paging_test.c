// SPDX-License-Identifier: GPL-2.0
/*
 * nested_pae_l2_paging_test: a 32-bit PAE L1 (include/x86_64/
 * pae_l1_cases.h) runs L2 with paging on, in each of L2's paging modes
 * (2-level, also a 4 MiB PSE page; PAE; IA-32e in compatibility mode), on
 * tables its PAE-format NPT maps: L2 reads through its own tables, and
 * an NPT that leaves one of them unmapped gives an NPF for L2's page walk
 * (EXITINFO1 bit 33).  L1's NPT keeps the PAE format whatever L2's mode
 * (APM 15.25.5; KVM: the guest_mmu from L1's state, the nested_mmu from
 * L2's, init_kvm_nested_mmu() in mmu/mmu.c).  With npt=0 every case skips
 * with that reason.
 */
#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "kselftest.h"

#include "known_defects.h"
#include "emulator.h"
#include "pae_l1_cases.h"

/*
 * L2 with paging on, under the PAE NPT, in each paging mode L2 can have:
 * 2-level 32-bit paging (CR0.PG, CR4.PAE=0: 4-byte PDEs and PTEs, SDM
 * 4.3; with CR4.PSE also a 4 MiB page), PAE paging (CR4.PAE: PDPT, then
 * 8-byte PDEs and PTEs, SDM 4.4) and IA-32e paging (EFER.LME|LMA: a PML4,
 * SDM 4.5).  L2's tables are L1 pages that the NPT maps at L2 GPA == L1
 * GPA; VA 0x200000 is the code (L2 GPA PAE_L1_L2_CODE_GPA), VA 0x205000 a
 * data page at L2 GPA 1 GiB + 0x6000 (the 4 MiB case reads through VA
 * 0xc00000 -> L2 GPA 1 GiB + 4 MiB instead).  Each L2 access is two walks:
 * L2's own, whose table accesses are nested-translated too, and the final
 * one (APM 15.25.5).  The NPT format stays L1's (PAE) whatever L2's mode.
 *
 * In KVM 6.12 the two formats are two MMUs: nested_svm_init_mmu_context()
 * (svm/nested.c) makes the guest_mmu from L1's CR4/EFER in vmcb01, a PAE
 * NPT for this L1 (kvm_init_shadow_npt_mmu(), mmu/mmu.c), and the
 * walk_mmu the nested_mmu, which init_kvm_nested_mmu() (mmu/mmu.c) sets up
 * from L2's CR0/CR4/EFER as nested_vmcb02_prepare_save() loaded them from
 * the VMCB: paging32_gva_to_gpa for 2-level paging, paging64_gva_to_gpa
 * for PAE and IA-32e (is_long_mode() is EFER.LMA).  The CPU walks L2's
 * tables in hardware through KVM's shadow of the NPT; an NPF it takes on
 * a table access reaches L1 with the CPU's EXITINFO1 bits 63:32
 * (nested_svm_inject_npf_exit()).  KVM's own walk of L2's tables
 * (nested_mmu.gva_to_gpa) serves only instructions it emulates for L2,
 * and these cases have none: they check the VMRUN of each L2 mode, the
 * CPU's walk through the shadow NPT and the NPF exit, not that walker.
 *
 * IA-32e: KVM takes EFER.LMA from the VMCB as it is (svm_set_efer(); no
 * CR0.PG 0 -> 1 transition in svm_set_cr0() sets it, L1's CR0.PG is
 * already 1), so L1 writes LME and LMA both (APM 15.5.1: VMRUN loads EFER
 * from the VMCB).  pae_l1_l2_load() emits 32-bit code (A1 moffs32), so L2
 * runs in compatibility mode: the VMCB CS attributes (VMCB_ATTR_CODE32,
 * nested_pae.c) have L (bit 9) = 0 and D (bit 10) = 1 (APM vol. 2 4.8.1:
 * CS.L=0 in long mode is compatibility mode, CS.D the default operand and
 * address size); L=1 with D=1 would fail VMRUN (APM 15.5.1,
 * __nested_vmcb_check_save()).  KVM copies CS to vmcb02 unchanged
 * (nested_vmcb02_prepare_save()).
 *
 * With @unmapped_pt the NPT leaves L2's page table (the level-1 table of
 * L2's code and data) unmapped: the code fetch's walk is the first to
 * need it, and the NPF is for L2's page walk (EXITINFO1 bit 33, not 32)
 * at that page, P=0, U (APM 15.25.6).  Whether EXITINFO2 has the entry's
 * offset and whether the walk counts as a write (A/D updates) is left
 * open, as in nested_npt_npf_test.
 */
#define L2_VA_CODE	0x200000ull
#define L2_VA_DATA	0x205000ull
#define L2_GPA_DATA	(1 * GB + 0x6000)
#define L2_VA_4M	0xc00000ull
#define L2_GPA_4M	(1 * GB + (4ull << 20))
#define L2_TABLE_RW	(GP_P | GP_RW | GP_US)

enum l2_mode { L2_2LEVEL, L2_2LEVEL_PSE, L2_PAE, L2_IA32E };

/* What a builder made: L2's CR3/CR4/EFER, its tables, what L2 reads. */
struct l2_paging {
	uint64_t cr3, cr4, efer;
	uint64_t tables[4];	/* L1 GPAs (== L2 GPAs) of L2's tables */
	int ntables;
	uint64_t pt;		/* the page table @unmapped_pt leaves out */
	uint64_t data_va, data_gpa;
};

static uint64_t l2_table(struct pae_l1 *l1, struct l2_paging *p)
{
	uint64_t gpa = data_page(l1, 0);

	p->tables[p->ntables++] = gpa;
	return gpa;
}

static void *l1_hva(struct pae_l1 *l1, uint64_t gpa)
{
	return paging_vm_hva(l1->pvm, gpa);
}

/* 2-level paging: a 4-byte PDE to the page table, 4-byte PTEs (SDM 4.3). */
static void l2_tables_2level(struct pae_l1 *l1, struct l2_paging *p, bool pse)
{
	uint64_t pd = l2_table(l1, p), pt = l2_table(l1, p);
	uint32_t *pde = l1_hva(l1, pd), *pte = l1_hva(l1, pt);

	pde[L2_VA_CODE >> 22] = pt | L2_TABLE_RW;
	pte[(L2_VA_CODE >> 12) & 1023] = PAE_L1_L2_CODE_GPA | GP_P | GP_RW;
	pte[(L2_VA_DATA >> 12) & 1023] = L2_GPA_DATA | GP_P | GP_RW;
	p->cr3 = pd;
	p->pt = pt;
	if (pse) {
		/* CR4.PSE: a PDE with PS maps 4 MiB, bits 31:22 (SDM Table 4-4). */
		pde[L2_VA_4M >> 22] = L2_GPA_4M | GP_PS | GP_P | GP_RW;
		p->cr4 = X86_CR4_PSE;
		p->data_va = L2_VA_4M + 0x6000;
		p->data_gpa = L2_GPA_4M + 0x6000;
	}
}

/* An 8-byte-entry page directory and page table (PAE, IA-32e). */
static uint64_t l2_pd_8byte(struct pae_l1 *l1, struct l2_paging *p)
{
	uint64_t pd = l2_table(l1, p), pt = l2_table(l1, p);
	uint64_t *pde = l1_hva(l1, pd), *pte = l1_hva(l1, pt);

	pde[(L2_VA_CODE >> 21) & 511] = pt | L2_TABLE_RW;
	pte[(L2_VA_CODE >> 12) & 511] = PAE_L1_L2_CODE_GPA | GP_P | GP_RW;
	pte[(L2_VA_DATA >> 12) & 511] = L2_GPA_DATA | GP_P | GP_RW;
	p->pt = pt;
	return pd;
}

/* PAE paging: CR3 -> a PDPT whose PDPTEs have P only (SDM Table 4-8). */
static void l2_tables_pae(struct pae_l1 *l1, struct l2_paging *p)
{
	uint64_t pdpt = l2_table(l1, p);

	((uint64_t *)l1_hva(l1, pdpt))[L2_VA_CODE >> 30] = l2_pd_8byte(l1, p) | GP_P;
	p->cr3 = pdpt;
	p->cr4 = X86_CR4_PAE;
}

/* IA-32e paging: CR3 -> PML4 -> PDPT -> PD -> PT (SDM 4.5, 4-level). */
static void l2_tables_ia32e(struct pae_l1 *l1, struct l2_paging *p)
{
	uint64_t pml4 = l2_table(l1, p), pdpt = l2_table(l1, p);

	((uint64_t *)l1_hva(l1, pml4))[(L2_VA_CODE >> 39) & 511] = pdpt | L2_TABLE_RW;
	((uint64_t *)l1_hva(l1, pdpt))[(L2_VA_CODE >> 30) & 511] =
		l2_pd_8byte(l1, p) | L2_TABLE_RW;
	p->cr3 = pml4;
	p->cr4 = X86_CR4_PAE;
	p->efer |= EFER_LME | EFER_LMA;
}

/* @c->arg: L2's paging mode; @c->flag: its page table left unmapped. */
static void l2_paging(struct outcome *o, const struct pae_l1_case *c)
{
	const enum l2_mode mode = c->arg;
	const bool unmapped_pt = c->flag;
	static const uint32_t tags[] = {
		[L2_2LEVEL] = 0x9c0de32, [L2_2LEVEL_PSE] = 0x9c0de4a,
		[L2_PAE] = 0x9c0de09, [L2_IA32E] = 0x9c0de64,
	};
	struct pae_l1 *l1 = new_l1();
	struct vmcb_save_area *save = &l1->vmcb->save;
	uint64_t ncr3 = npt_with_code(l1, 0);
	struct l2_paging p = {
		.efer = save->efer,
		.data_va = L2_VA_DATA,
		.data_gpa = L2_GPA_DATA,
	};
	uint64_t data = data_page(l1, 0);
	int i;

	switch (mode) {
	case L2_2LEVEL:
	case L2_2LEVEL_PSE:
		l2_tables_2level(l1, &p, mode == L2_2LEVEL_PSE);
		break;
	case L2_PAE:
		l2_tables_pae(l1, &p);
		break;
	case L2_IA32E:
		l2_tables_ia32e(l1, &p);
		TEST_ASSERT(!(save->cs.attrib & SVM_SELECTOR_L_MASK) &&
			    (save->cs.attrib & SVM_SELECTOR_DB_MASK),
			    "L2's CS (attributes 0x%x) should be a compatibility-mode code segment: L=0, D=1",
			    save->cs.attrib);
		break;
	}
	*(uint32_t *)l1_hva(l1, data + 0x10) = tags[mode];
	for (i = 0; i < p.ntables; i++)
		if (!unmapped_pt || p.tables[i] != p.pt)
			pnpt_map(l1->pvm, ncr3, p.tables[i], p.tables[i], PNPT_LEVEL_4K,
				 PNPT_RW);
	pnpt_map(l1->pvm, ncr3, p.data_gpa, data, PNPT_LEVEL_4K, PNPT_RW);
	pae_l1_set_ncr3(l1, ncr3);
	pae_l1_l2_load(l1, p.data_va + 0x10);
	save->rip = L2_VA_CODE;
	save->cr0 |= X86_CR0_PG;
	save->cr4 = p.cr4;
	save->efer = p.efer;
	save->cr3 = p.cr3;
	if (unmapped_pt) {
		expect_npf(PFERR_GUEST_PAGE_MASK | PFERR_USER_MASK, p.pt);
		l2_exp.info1_mask = PFERR_GUEST_FINAL_MASK | PFERR_GUEST_PAGE_MASK |
				 PFERR_PRESENT_MASK | PFERR_USER_MASK |
				 PFERR_RSVD_MASK | PFERR_FETCH_MASK;
		l2_exp.info2_mask = ~0xfffull;
		pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_NPF));
	} else {
		expect_vmmcall(tags[mode]);
		pae_l1_vmrun(l1, EXPECT_VALUE(SVM_EXIT_VMMCALL));
	}
	run_and_judge(l1, check_vmcb, o);
	pae_l1_free(l1);
}

static const struct pae_l1_case cases[] = {
	{ "l2_2level_paging_read", l2_paging, true, .arg = L2_2LEVEL, .flag = false },
	{ "l2_2level_pse_4m_read", l2_paging, true, .arg = L2_2LEVEL_PSE, .flag = false },
	{ "npf_on_l2_2level_page_walk", l2_paging, true, .arg = L2_2LEVEL, .flag = true },
	{ "l2_pae_paging_read", l2_paging, true, .arg = L2_PAE, .flag = false },
	{ "npf_on_l2_page_walk", l2_paging, true, .arg = L2_PAE, .flag = true },
	{ "l2_ia32e_paging_read", l2_paging, true, .arg = L2_IA32E, .flag = false },
	{ "npf_on_l2_ia32e_page_walk", l2_paging, true, .arg = L2_IA32E, .flag = true },
};

int main(int argc, char *argv[])
{
	return pae_l1_cases_main(cases, ARRAY_SIZE(cases));
}
