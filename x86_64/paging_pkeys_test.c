// SPDX-License-Identifier: GPL-2.0
/*
 * paging_pkeys_test: protection keys in the leaves of IA-32e paging
 * (4-level and 5-level, 4K pages), against a reference model written
 * from the SDM (lib/x86_64/paging_model.c), on a plain vCPU and as L2 of
 * a 64-bit L1 (include/x86_64/mode_cases.h).  TAP results:
 *
 *  <mode>_pkey_field_ignored_without_pke
 *                          keys in leaves with CR4.PKE = 0 (PKRU = ~0
 *                          where KVM offers PKU): the field is ignored
 *  <mode>_pkeys            CR4.PKE = 1 with PKRU values loaded by the
 *                          guest; skips without PKU, i.e. always under
 *                          shadow paging (see pkeys_unsupported())
 */
#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "kvm_mmu_config.h"
#include "mode_cases.h"

/*
 * Protection keys (SDM Vol. 3A 4.6.2), IA-32e modes only: leaves with
 * keys in bits 62:59, the guest sets CR4.PKE and loads PKRU with WRPKRU.
 * Data accesses to user-mode addresses (U/S = 1 at every level) obey
 * PKRU.AD and PKRU.WD of the leaf's key, supervisor accesses included
 * (WD for those only with CR0.WP = 1); instruction fetches and
 * supervisor-mode pages ignore PKRU; a denial sets PK in the error code
 * (4.7).  The TLB keeps a page's key, not what PKRU allows (4.10.2.2), so
 * each WRPKRU takes effect without any invalidation: the same pages are
 * accessed under several PKRU values with no INVLPG or MOV CR3 between.
 * With CR4.PKE = 0 the key field is ignored (Table 4-20), whatever PKRU
 * holds.  Expectations: the reference model.
 *
 * Under TDP the loads, stores and fetches are the CPU's page walk; KVM's
 * own copy of these rules (mmu.c update_pkru_bitmask(), mmu.h
 * permission_fault()) decides the OUTSB/INSB accesses, which it emulates
 * (and, each exiting to the host, they check that KVM keeps the guest's
 * PKRU across exits).  KVM 6.12 offers PKU to guests only with TDP on
 * (cpuid.c kvm_set_cpu_caps(): "PKU not yet implemented for shadow
 * paging"), so with TDP off only the CR4.PKE = 0 half runs.
 */
#define PKEY_BASE	(3ull << 39)		/* PML4 index 3 */
#define PKRU_AD(k)	(1u << (2 * (k)))
#define PKRU_WD(k)	(2u << (2 * (k)))

static const int pkeys[] = { 0, 1, 2, 3, 15 };
/* Leaves: user read-write, user read-only, supervisor read-write. */
static const uint64_t pkey_leaf_rights[] = { GP_RW | GP_US, GP_US, GP_RW };
static const uint32_t pkru_values[] = {
	0,
	PKRU_AD(1) | PKRU_WD(2) | PKRU_AD(3) | PKRU_WD(3) | PKRU_WD(15),
	0x45555554,	/* AD for every key but 0 and 14 */
	0x8aaaaaab,	/* AD for key 0, WD for every other but 14 */
};

/*
 * Key of the engine's user stack, never denied above: a user-mode EXEC
 * step's CALL pushes its return address there (a user-mode data write).
 */
#define PKEY_STACK	14
static const struct setting pkey_settings[] = {
	{ "pke=1 wp=0",		0, 1, 0, 0 },
	{ "pke=1 wp=1",		1, 1, 0, 0 },
	{ "pke=1 wp=1 smap=1",	1, 1, 0, 1 },
};

static uint64_t pkey_va(int r, int k)
{
	return PKEY_BASE + (r * ARRAY_SIZE(pkeys) + k) * 4096;
}

/* @pke: run the CR4.PKE = 1 settings; else CR4.PKE = 0 after PKRU = ~0 if possible. */
static int run_pkeys(const struct mode_case *c, bool tdp, bool pke, int *nr_checks)
{
	struct pm_env env = { .mode = c->mode, .maxphyaddr = guest_paging_maxphyaddr() };
	bool has_pku = kvm_cpu_has(X86_FEATURE_PKU);
	const struct setting *st;
	struct paging_vm *pvm;
	struct guest_as *as;
	uint64_t page, e;
	int r, k, i, bad;

	pvm = mode_case_vm_create(c);
	as = guest_as_create(pvm);
	page = paging_vm_alloc(pvm, 4096, 4096);
	*(uint8_t *)paging_vm_hva(pvm, page) = RET_INSN;
	for (r = 0; r < ARRAY_SIZE(pkey_leaf_rights); r++)
		for (k = 0; k < ARRAY_SIZE(pkeys); k++)
			guest_as_map(as, pkey_va(r, k), page, 1,
				     GP_P | pkey_leaf_rights[r] | GP_PKEY(pkeys[k]));
	e = guest_as_read_entry(as, GSTEP_USER_STACK_GPA, 1);
	guest_as_write_entry(as, GSTEP_USER_STACK_GPA, 1, e | GP_PKEY(PKEY_STACK));
	env.nxe = pvm->efer & EFER_NX;
	*nr_checks = 0;

	if (!pke) {
		gstep_phase(pvm, "pke=0: key field ignored");
		env.wp = true;
		if (has_pku) {
			/* Every key denied in PKRU, then CR4.PKE = 0 (4.6.2). */
			gstep_cr4(pvm, X86_CR4_PKE, 0);
			gstep_wrpkru(pvm, ~0u);
			gstep_cr4(pvm, 0, X86_CR4_PKE);
			env.pkru = ~0u;
		}
		gstep_switch_as(pvm, as);
		for (r = 0; r < ARRAY_SIZE(pkey_leaf_rights); r++)
			for (k = 0; k < ARRAY_SIZE(pkeys); k++)
				*nr_checks += mode_case_model_accesses(pvm, as, &env, pkey_va(r, k),
								       tdp, true);
	}
	for (st = pkey_settings; pke && st < pkey_settings + ARRAY_SIZE(pkey_settings); st++) {
		if (st->smap && !kvm_cpu_has(X86_FEATURE_SMAP))
			continue;
		gstep_phase(pvm, st->name);
		gstep_cr0(pvm, st->wp ? X86_CR0_WP : 0, st->wp ? 0 : X86_CR0_WP);
		gstep_cr4(pvm, X86_CR4_PKE | (st->smap ? X86_CR4_SMAP : 0),
			  st->smap ? 0 : X86_CR4_SMAP);
		gstep_switch_as(pvm, as);
		env.wp = st->wp;
		env.smap = st->smap;
		env.pke = true;
		for (i = 0; i < ARRAY_SIZE(pkru_values); i++) {
			gstep_wrpkru(pvm, pkru_values[i]);
			env.pkru = pkru_values[i];
			for (r = 0; r < ARRAY_SIZE(pkey_leaf_rights); r++)
				for (k = 0; k < ARRAY_SIZE(pkeys); k++)
					*nr_checks += mode_case_model_accesses(pvm, as, &env,
								     pkey_va(r, k), tdp, true);
		}
	}
	bad = paging_vm_run_steps(pvm);
	mode_case_vm_free(pvm);
	return bad;
}

static const char *pkeys_unsupported(const struct kvm_mmu_config *cfg)
{
	static const char *const why[] = {
		"KVM offers no PKU to guests with TDP off (cpuid.c kvm_set_cpu_caps(): \"PKU not yet implemented for shadow paging\")",
		"the CPU has no PKU",
		"KVM offers no PKU to guests: the host kernel did not enable it (no OSPKE; cpuid.c kvm_set_cpu_caps())",
	};

	if (kvm_cpu_has(X86_FEATURE_PKU))
		return NULL;
	if (!cfg->tdp)
		return why[0];
	return why[this_cpu_has(X86_FEATURE_PKU) ? 2 : 1];
}

/*
 * As L2 of the PAE L1, only the scenario and the reserved bits: what is
 * new there is KVM's shadow of a PAE-format NPT, which every L2 access
 * goes through; the matrix and the IA-32e extras would repeat the 64-bit
 * L1's L2 cases at twice their run time (a VMRUN and a #VMEXIT of L1 per
 * step table).
 */
static bool is_ia32e_4k(const struct mode_case *c)
{
	return c->level == 1 && guest_paging_mode_is_64bit(c->mode) &&
	       c->as != AS_L2_OF_PAE_L1;
}

static int nr_results(const struct mode_case *c)
{
	return 2 * is_ia32e_4k(c);
}

static void run(const struct mode_case *c, const struct kvm_mmu_config *cfg, const char *why)
{
	const char *name = kvm_mmu_config_name(cfg);
	const char *no_pku = why ? why : pkeys_unsupported(cfg);
	int bad, nr;

	if (why) {
		mode_case_skip(c, "_pkey_field_ignored_without_pke", why);
	} else {
		bad = run_pkeys(c, cfg->tdp, false, &nr);
		ksft_print_msg("%s: CR4.PKE=0, keys in leaves%s: %d checks, %d mismatches\n",
			       c->name, kvm_cpu_has(X86_FEATURE_PKU) ? ", PKRU=~0" : "",
			       nr, bad);
		mode_case_result(c, bad, "_pkey_field_ignored_without_pke", name);
	}
	if (no_pku) {
		mode_case_skip(c, "_pkeys", no_pku);
	} else {
		bad = run_pkeys(c, cfg->tdp, true, &nr);
		ksft_print_msg("%s: protection keys: %d checks, %d mismatches\n", c->name, nr, bad);
		mode_case_result(c, bad, "_pkeys", name);
	}
}

int main(int argc, char *argv[])
{
	return mode_cases_main(&(struct mode_case_test){ .nr_results = nr_results, .run = run });
}
