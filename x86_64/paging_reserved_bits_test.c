// SPDX-License-Identifier: GPL-2.0
/*
 * paging_reserved_bits_test: reserved bits in the entries of every x86
 * paging mode fault with RSVD, checked against a reference model written
 * from the SDM (lib/x86_64/paging_model.c), on a plain vCPU, as L2 of a
 * 64-bit L1 and as L2 of a PAE L1 (include/x86_64/mode_cases.h).  One
 * TAP result per mode with paging and target, <mode>_reserved_bits.
 */
#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "kvm_mmu_config.h"
#include "mode_cases.h"

/*
 * Reserved bits, one present entry at a time (SDM 4.3 Table 4-4, 4.4.2,
 * 4.5.4): a reserved bit set at any level makes every access fault with
 * RSVD and P, before any permission check; bits that are ignored in one
 * mode and reserved in another (62 in IA-32e vs PAE) tell the two apart.
 * Expectations come from the reference model.  OUTSB/INSB make KVM's
 * walker check the same entries under TDP (mmu.c
 * __reset_rsvds_bits_mask(), paging_tmpl.h walk_addr_generic()).
 */
struct rsvd_case {
	const char *what;
	int level;		/* of the entry with the extra bit */
	int map_level;		/* of the mapping: 1, or 2 for a large page */
	uint64_t bit;
};

#define RSVD_BASE	0xc0000000ull

static int rsvd_cases(struct paging_vm *pvm, int maxphyaddr, struct rsvd_case *rc)
{
	int levels = guest_paging_levels(pvm->mode), n = 0, l;

	if (pvm->mode == GUEST_PAGING_32BIT) {
		/* Table 4-4: bit 21 of a 4-MByte PDE; 4K entries have none. */
		if (pvm->cr4 & X86_CR4_PSE)
			rc[n++] = (struct rsvd_case){ "4M PDE bit 21", 2, 2, 1ull << 21 };
		return n;
	}
	for (l = 1; l <= levels; l++) {
		if (pvm->mode == GUEST_PAGING_PAE && l == 3)
			continue;	/* PDPTEs: checked at MOV CR3 (#GP) */
		if (maxphyaddr < 52)
			rc[n++] = (struct rsvd_case){ "bit MAXPHYADDR", l, 1, 1ull << maxphyaddr };
		rc[n++] = (struct rsvd_case){ "bit 62", l, 1, 1ull << 62 };
		/* Table 4-11: IA-32e's key field, bits 62:59, is reserved in PAE. */
		if (pvm->mode == GUEST_PAGING_PAE && l == 1)
			rc[n++] = (struct rsvd_case){ "PTE bit 59 (IA-32e: key)", l, 1,
						      GP_PKEY(1) };
		if (l >= 4)
			rc[n++] = (struct rsvd_case){ "PS", l, 1, GP_PS };
	}
	rc[n++] = (struct rsvd_case){ "2M PDE bit 13", 2, 2, 1ull << 13 };
	return n;
}

static int run_reserved(const struct mode_case *c, bool tdp, int *nr_checks)
{
	struct pm_env env = { .mode = c->mode, .maxphyaddr = guest_paging_maxphyaddr(),
			      .wp = true };
	uint64_t va, gpa, span, e;
	struct rsvd_case rc[16];
	struct paging_vm *pvm;
	struct guest_as *as;
	int i, n, nr;

	pvm = mode_case_vm_create(c);
	as = guest_as_create(pvm);
	env.pse = pvm->cr4 & X86_CR4_PSE;
	env.nxe = pvm->efer & EFER_NX;
	nr = rsvd_cases(pvm, env.maxphyaddr, rc);
	span = guest_paging_level_size(c->mode, guest_paging_levels(c->mode));
	*nr_checks = 0;
	for (i = 0; i < nr; i++) {
		/* Its own entry at the case's level, so one bit spoils one case. */
		va = RSVD_BASE + i * guest_paging_level_size(c->mode, 2);
		if (c->mode != GUEST_PAGING_32BIT && rc[i].level >= 3)
			va = (1ull << 44) + (i + 1) * span;
		gpa = paging_vm_alloc(pvm, guest_paging_level_size(c->mode, rc[i].map_level),
				      guest_paging_level_size(c->mode, rc[i].map_level));
		*(uint8_t *)paging_vm_hva(pvm, gpa) = RET_INSN;
		guest_as_map(as, va, gpa, rc[i].map_level, GP_P | GP_RW | GP_US);
		e = guest_as_read_entry(as, va, rc[i].level);
		guest_as_write_entry(as, va, rc[i].level, e | rc[i].bit);
		gstep_phase(pvm, rc[i].what);
		*nr_checks += mode_case_model_accesses(pvm, as, &env, va, tdp, true);
	}
	n = paging_vm_run_steps(pvm);
	mode_case_vm_free(pvm);
	return n;
}

static int nr_results(const struct mode_case *c)
{
	return c->level == 1 && c->mode != GUEST_PAGING_OFF;
}

static void run(const struct mode_case *c, const struct kvm_mmu_config *cfg, const char *why)
{
	mode_case_part(c, cfg, why, "_reserved_bits", "reserved bits", run_reserved);
}

int main(int argc, char *argv[])
{
	return mode_cases_main(&(struct mode_case_test){ .nr_results = nr_results, .run = run });
}
