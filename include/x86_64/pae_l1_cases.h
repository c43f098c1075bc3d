/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cases of the nested_pae_*_test programs: each builds a 32-bit PAE
 * L1 (include/x86_64/nested_pae.h) that runs L2, says what L2 must give
 * (expect_vmmcall(), expect_npf(), l2_exp), and has run_and_judge() run
 * L1 and give the verdict; pae_l1_cases_main() runs a program's table of
 * cases as TAP results named <case>_<configuration>.
 *
 * The verdict: L2's part is checked from the VMCB and L1 memory, which
 * KVM writes before it returns to L1.  An L1 that then dies at the
 * #VMEXIT is a failure, but on an emulated CPU that set reserved bit 5
 * of one of L1's PDPTEs while it ran (QEMU TCG: docs/defects/
 * qemu-tcg-pae-pdpte-accessed-bit.md), where it is XFAIL with the PDPTEs
 * as evidence.  On an emulated CPU new_l1()'s L1 clears that bit right
 * before each VMRUN (struct pae_l1's clear_pdpte_a), a no-op on a CPU.
 *
 * SMMU_CASES=name,name,... runs only those cases (the others skip), e.g.
 * one that WARNs an unfixed kernel, which would end the program before
 * the next case could show its own outcome.
 */
#ifndef SELFTEST_KVM_PAE_L1_CASES_H
#define SELFTEST_KVM_PAE_L1_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm_mmu_config.h"
#include "guest_paging.h"
#include "nested_pae.h"

#define GB			(1ull << 30)

enum verdict { V_PASS, V_FAIL, V_XFAIL };

struct outcome {
	enum verdict v;
	char why[640];
};

struct pae_l1_access;

struct pae_l1_case {
	const char *name;
	void (*fn)(struct outcome *o, const struct pae_l1_case *c);
	bool np;	/* needs nested paging offered to L1 */
	/* Its arguments, for a function that several cases share. */
	uint64_t arg;
	bool flag;
	bool trace;	/* needs kvmmmu tracing (kvm_trace_unavailable()) */
	const struct pae_l1_access *access;	/* pae_l1_access_case()'s */
};

/*
 * One L2 access through an NPT with one 4K leaf (@rights) for the page
 * at @l2_gpa, a new L1 page whose first word is @tag (@map_next: the leaf
 * is the next page's, this one's PTE is not present): L2 writes @val at
 * offset @off, or reads there (the page holding @val at @off if not 0),
 * and must #VMEXIT with @exit: VMMCALL with what it read (0 after a
 * write), or NPF with EXITINFO1 @info1 and EXITINFO2 the L2 GPA.  A write
 * must leave @val in L1's page, or, with an NPF, the word as it was.
 */
struct pae_l1_access {
	uint64_t l2_gpa, rights;
	uint32_t tag, off, val;
	bool write, map_next;
	uint64_t exit, info1;
};

/* The case of @c->access. */
void pae_l1_access_case(struct outcome *o, const struct pae_l1_case *c);

/* The program's main(): every case of @cases as a TAP result. */
int pae_l1_cases_main(const struct pae_l1_case *cases, size_t nr);

/* The MMU configuration, and the name of the running case. */
extern struct kvm_mmu_config pae_cfg;
extern const char *pae_case_name;

/*
 * What L2 must give: the #VMEXIT code, for VMMCALL L2's EAX, for NPF
 * EXITINFO1/2 (the bits in the masks), and, if @mem_gpa, the 32-bit word
 * L2 left in L1 memory there.
 */
struct l2_expect {
	uint64_t exit, info1, info2, rax;
	uint64_t info1_mask, info2_mask;	/* all bits, unless a case says less */
	uint64_t mem_gpa;
	uint32_t mem;
};

extern struct l2_expect l2_exp;

void expect_vmmcall(uint32_t eax);
void expect_npf(uint64_t info1, uint64_t gpa);
/* Whether the VMCB and L1 memory hold what l2_exp says (if not, @why). */
bool check_vmcb(struct pae_l1 *l1, char *why, size_t len);

/*
 * Run L1's steps, then judge: @check says whether the L2 part (read from
 * the VMCB and L1 memory) was right, then L1's own steps are judged.
 */
typedef bool (*l2_check_fn)(struct pae_l1 *l1, char *why, size_t len);
void run_and_judge(struct pae_l1 *l1, l2_check_fn check, struct outcome *o);

/*
 * The end of most cases: L1's VMRUN, which must #VMEXIT with @exit (and
 * what l2_exp says), run and judged with check_vmcb() into @o; L1 freed.
 */
void pae_l1_vmrun_and_judge(struct pae_l1 *l1, uint64_t exit, struct outcome *o);

/* A PAE L1 for the running case, with the emulator workaround above. */
struct pae_l1 *new_l1(void);
/* Map @gpa's page at the same VA in L1's address space (before any run). */
void identity_map_l1(struct pae_l1 *l1, uint64_t gpa);
/* A new L1 page whose first word is @tag. */
uint64_t data_page(struct pae_l1 *l1, uint32_t tag);
/* An NPT that maps L2's code page; everything else is up to the case. */
uint64_t npt_with_code(struct pae_l1 *l1, unsigned int offset);

/* L1's four PDPTEs as they are now. */
void read_pdptes(struct pae_l1 *l1, uint64_t *pdpte);
/* Whether L1 died (triple fault) at a #VMEXIT; then @why has its PDPTEs. */
bool l1_died_at_vmexit(struct pae_l1 *l1, const uint64_t *before, char *why, size_t len);
/* Whether some present PDPTE of L1 gained exactly bit 5 (A) and no other change. */
bool pdpte_gained_accessed_bit(struct pae_l1 *l1, const uint64_t *before);

#endif /* SELFTEST_KVM_PAE_L1_CASES_H */
