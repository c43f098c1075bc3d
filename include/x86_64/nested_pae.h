/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Nested SVM for a 32-bit PAE L1: L1 is the guest step engine in PAE
 * paging (include/x86_64/guest_paging.h), which sets EFER.SVME and runs
 * VMRUN as steps (gstep_efer(), gstep_vmrun()).  The host builds, in L1's
 * memory, what L1's hypervisor would: the VMCB, the host save area, the
 * I/O and MSR permission maps, L2's code and, for nested paging, NPT
 * tables in L1's own paging format.
 *
 * L1 runs in legacy PAE mode, so its NPT has the PAE format (AMD APM vol.
 * 2, 15.25.5: the nested tables use the host's paging format): nCR3 holds
 * the address of a 32-byte aligned PDPT of 4 entries, PDEs and PTEs are
 * 8 bytes (SDM vol. 3A 4.4; APM 5.3).  PDPTEs have only P, PWT and PCD;
 * bits 2:1 and 8:5 are reserved (APM Figure 5-10, SDM Table 4-8).
 *
 * L2 runs 32-bit protected-mode code with paging off, so every L2 access
 * is to a final guest-physical address (EXITINFO1 bit 32 on an NPF).  Its
 * code is a few instructions the host writes into an L1 page (see
 * pae_l1_l2_load()); it ends with VMMCALL, which L1 intercepts.
 *
 * After a #VMEXIT the host reads the VMCB (L1 memory) to see what L1 saw:
 * EXITCODE, EXITINFO1/2, L2's RAX.  KVM writes those before it reloads
 * L1's state (nested_svm_vmexit(), arch/x86/kvm/svm/nested.c), so they are
 * there even if returning to L1 fails.
 */
#ifndef SELFTEST_KVM_NESTED_PAE_H
#define SELFTEST_KVM_NESTED_PAE_H

#include <stdbool.h>
#include <stdint.h>

#include "svm_util.h"
#include "guest_paging.h"

/* PAE-format NPT entries; nested walks are user accesses (APM 15.25.5). */
#define PNPT_PDPTE_P	GP_P
#define PNPT_RW		(GP_P | GP_RW | GP_US)
#define PNPT_RO		(GP_P | GP_US)
#define PNPT_LEVEL_4K	1
#define PNPT_LEVEL_2M	2
#define PNPT_LEVEL_PDPTE 3

/* Where the L2 code page sits in L2's guest-physical space. */
#define PAE_L1_L2_CODE_GPA	0x00200000ull

struct pae_l1 {
	struct paging_vm *pvm;
	/* L1's address space: the engine, the VMCB identity mapped. */
	struct guest_as *as;
	uint64_t vmcb_gpa, hsave_gpa, iopm_gpa, msrpm_gpa;
	/* The L1 page with L2's code. */
	uint64_t l2_code_gpa;
	struct vmcb *vmcb;	/* host view of the VMCB */
	int vmrun_step;		/* index of the last gstep_vmrun() */
	/*
	 * L1 clears bit 5 of its present PDPTEs right before each VMRUN
	 * (gstep_vmrun()): a no-op on a CPU, needed under QEMU TCG, which
	 * sets that reserved bit, so that the #VMEXIT can return to L1
	 * (docs/defects/qemu-tcg-pae-pdpte-accessed-bit.md).  Off by default.
	 */
	bool clear_pdpte_a;
};

/* Where L1's address space maps the page-table pool (its own tables). */
#define PAE_L1_TABLES_VA	0x20000000ull

/*
 * A PAE L1 (one paging VM), with a VMCB for an L2 in 32-bit protected
 * mode without paging, intercepting VMRUN, VMMCALL, HLT, shutdown and
 * #DE/#UD/#DF/#GP/#PF.  Without nested paging until pae_l1_set_ncr3().
 */
struct pae_l1 *pae_l1_create(const char *name);
void pae_l1_free(struct pae_l1 *l1);

/* Turn nested paging on with @ncr3 (NP_ENABLE, nCR3), or off with 0. */
void pae_l1_set_ncr3(struct pae_l1 *l1, uint64_t ncr3);

/*
 * L2's code: read the 32-bit word at L2 GPA @gpa into EAX, or write @val
 * there, then VMMCALL.  Rewrites the code page; EIP starts at its top.
 */
void pae_l1_l2_load(struct pae_l1 *l1, uint64_t gpa);
void pae_l1_l2_store(struct pae_l1 *l1, uint64_t gpa, uint32_t val);
/* L2 reads the 32-bit words at @n L2 GPAs; EAX = their sum (mod 2^32). */
void pae_l1_l2_load_sum(struct pae_l1 *l1, const uint64_t *gpa, int n);

/*
 * Steps for L1: EFER.SVME on (first call only), then VMRUN with a TLB
 * flush of L2's ASID (TLB_CONTROL 1, APM 15.16.1); @e is what L1 must
 * see as EXITCODE.  Run them with paging_vm_run_steps().
 */
int pae_l1_vmrun(struct pae_l1 *l1, struct gstep_expect e);
/* The same with TLB_CONTROL @tlb_ctl, which L1 writes before the VMRUN. */
int pae_l1_vmrun_tlb_ctl(struct pae_l1 *l1, uint8_t tlb_ctl, struct gstep_expect e);

/* ---- PAE-format NPT tables, in L1 memory, built by the host ---- */

/* A new NPT: a zeroed PDPT at @offset (a multiple of 32) in a new page. */
uint64_t pnpt_create(struct paging_vm *pvm, unsigned int offset);
/* Host pointer to the entry at @level (3 = PDPTE) for @l2_gpa, or NULL. */
uint64_t *pnpt_entry(struct paging_vm *pvm, uint64_t ncr3, uint64_t l2_gpa,
		     int level, bool alloc);
/* Map @l2_gpa to @l1_gpa with a 4K or 2M leaf (PS added for 2M). */
void pnpt_map(struct paging_vm *pvm, uint64_t ncr3, uint64_t l2_gpa,
	      uint64_t l1_gpa, int level, uint64_t flags);

#endif /* SELFTEST_KVM_NESTED_PAE_H */
