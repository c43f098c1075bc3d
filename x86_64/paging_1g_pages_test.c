// SPDX-License-Identifier: GPL-2.0
/*
 * paging_1g_pages_test: 1-GByte pages of IA-32e paging (4-level and
 * 5-level) among PDPTEs that reference 4K tables, on a plain vCPU and as
 * L2 of a 64-bit L1 (include/x86_64/mode_cases.h).  One TAP result per
 * IA-32e mode and target, <mode>_1g_pages.
 */
#include "kvm_util.h"
#include "processor.h"
#include "kselftest.h"

#include "kvm_mmu_config.h"
#include "mode_cases.h"

/*
 * 1-GByte pages (PDPTE with PS = 1, IA-32e paging with CPUID.80000001H:
 * EDX.Page1GB; SDM 4.5.4, Table 4-16), next to PDPTEs of the same PDPT
 * that reference 4K tables (the engine's).  A 1G leaf maps GPA 0, which
 * holds the test's memslot: VA bits 29:0 are the offset.  Checked: loads
 * and stores through two 1G leaves, one with PAT (bit 12, not an address
 * bit) set; the guest turning a 1G leaf into a pointer to 4K tables and
 * back through the tables' alias, with INVLPG (4.10.4.1); R/W, U/S, XD
 * of a 1G leaf against the model; bits 29:13 and MAXPHYADDR of a 1G
 * leaf reserved (Table 4-16: #PF with RSVD).  PAE has no 1G pages: PS is
 * one of a PAE PDPTE's reserved bits, which pae_root_test checks (#GP at
 * MOV CR3, SDM 4.4.1).
 */
#define VA_1G_A		(3ull << 30)
#define VA_1G_PAT	(2ull << 30)
#define VA_1G_MATRIX	(1ull << 39)		/* PML4 index 1 */

static int run_1g(const struct mode_case *c, bool tdp, int *nr_checks)
{
	struct pm_env env = { .mode = c->mode, .maxphyaddr = guest_paging_maxphyaddr() };
	const uint64_t rw = GP_P | GP_RW, size = 1ull << 30;
	const int rsvd[] = { 13, 20, 29, env.maxphyaddr };
	uint64_t a, b, ret, pd, pt, va;
	struct paging_vm *pvm;
	struct guest_as *as;
	int i, k, wp, bad;

	pvm = mode_case_vm_create(c);
	as = guest_as_create(pvm);
	guest_as_map_tables(as, VA_TABLES);
	a = paging_vm_alloc(pvm, 4096, 4096);
	b = paging_vm_alloc(pvm, 4096, 4096);
	ret = paging_vm_alloc(pvm, 4096, 4096);
	mode_case_fill(pvm, a, 4096, TAG_A);
	mode_case_fill(pvm, b, 4096, TAG_B);
	*(uint8_t *)paging_vm_hva(pvm, ret) = RET_INSN;
	guest_as_map(as, VA_1G_A, 0, 3, rw);
	guest_as_map(as, VA_1G_PAT, 0, 3, rw | GP_PAT_LARGE);

	/* 4K tables for VA_1G_A that map a's offset to b, for the guest to link in. */
	pd = paging_vm_alloc_table(pvm);
	pt = paging_vm_alloc_table(pvm);
	((uint64_t *)paging_vm_hva(pvm, pd))[guest_paging_level_index(c->mode, 2, a)] =
		guest_paging_table_entry(c->mode, 2, pt);
	((uint64_t *)paging_vm_hva(pvm, pt))[guest_paging_level_index(c->mode, 1, a)] =
		guest_paging_leaf_entry(c->mode, 1, b, rw);
	*nr_checks = 0;

	gstep_phase(pvm, "1g: access");
	gstep_load(pvm, VA_1G_A + a, 4, EXPECT_VALUE(TAG_A));
	gstep_load(pvm, VA_1G_A + a + 4092, 4, EXPECT_VALUE(~TAG_A));
	gstep_load(pvm, VA_1G_A + b, 4, EXPECT_VALUE(TAG_B));
	gstep_store(pvm, VA_1G_A + a + 8, 4, 0x5a5a5a5a, EXPECT_OK());
	gstep_load(pvm, VA_1G_PAT + a + 8, 4, EXPECT_VALUE(0x5a5a5a5a));
	gstep_load(pvm, VA_1G_PAT + b, 4, EXPECT_VALUE(TAG_B));
	*nr_checks += 6;

	gstep_phase(pvm, "1g: pdpte made a pointer to 4K tables, invlpg");
	gstep_write_entry(pvm, as, VA_1G_A, 3, guest_paging_table_entry(c->mode, 3, pd));
	gstep_invlpg(pvm, VA_1G_A + a);
	gstep_load(pvm, VA_1G_A + a, 4, EXPECT_VALUE(TAG_B));
	gstep_load(pvm, VA_1G_A + b, 4, EXPECT_PF(0, VA_1G_A + b));
	gstep_load(pvm, VA_1G_PAT + a, 4, EXPECT_VALUE(TAG_A));

	gstep_phase(pvm, "1g: pdpte made a 1G leaf again, invlpg");
	gstep_write_entry(pvm, as, VA_1G_A, 3, guest_paging_leaf_entry(c->mode, 3, 0, rw));
	gstep_invlpg(pvm, VA_1G_A + a);
	gstep_invlpg(pvm, VA_1G_A + b);
	gstep_load(pvm, VA_1G_A + a, 4, EXPECT_VALUE(TAG_A));
	gstep_load(pvm, VA_1G_A + b, 4, EXPECT_VALUE(TAG_B));
	*nr_checks += 5;

	/* R/W, U/S, XD of 1G leaves, then one reserved bit per leaf. */
	for (k = 0; k < 8; k++)
		guest_as_map(as, VA_1G_MATRIX + k * size, 0, 3, GP_P | mode_case_combo(k, 3));
	for (i = 0; i < ARRAY_SIZE(rsvd); i++) {
		va = VA_1G_MATRIX + (8 + i) * size;
		guest_as_map(as, va, 0, 3, GP_P | GP_RW | GP_US);
		if (rsvd[i] < 52)
			guest_as_write_entry(as, va, 3, guest_as_read_entry(as, va, 3) |
					     1ull << rsvd[i]);
	}
	env.nxe = pvm->efer & EFER_NX;
	for (wp = 0; wp < 2; wp++) {
		gstep_phase(pvm, wp ? "1g: rights, wp=1" : "1g: rights, wp=0");
		gstep_cr0(pvm, wp ? X86_CR0_WP : 0, wp ? 0 : X86_CR0_WP);
		gstep_switch_as(pvm, as);
		env.wp = wp;
		for (k = 0; k < 8 + ARRAY_SIZE(rsvd); k++)
			*nr_checks += mode_case_model_accesses(pvm, as, &env,
						     VA_1G_MATRIX + k * size + ret, tdp, true);
	}
	bad = paging_vm_run_steps(pvm);
	mode_case_vm_free(pvm);
	return bad;
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
	return is_ia32e_4k(c);
}

static void run(const struct mode_case *c, const struct kvm_mmu_config *cfg, const char *why)
{
	if (!why && !kvm_cpu_has(X86_FEATURE_GBPAGES))
		why = "KVM offers no 1-GByte pages to guests (CPUID.80000001H:EDX.Page1GB)";
	mode_case_part(c, cfg, why, "_1g_pages", "1G pages", run_1g);
}

int main(int argc, char *argv[])
{
	return mode_cases_main(&(struct mode_case_test){ .nr_results = nr_results, .run = run });
}
