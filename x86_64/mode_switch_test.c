// SPDX-License-Identifier: GPL-2.0
/*
 * mode_switch_test: one vCPU going through the paging modes in place,
 * paging off -> 2-level -> PAE -> IA-32e (compatibility mode) and back,
 * with TDP off the shadow MMU following it.
 *
 * The 32-bit step engine runs throughout; each mode has an address space
 * of its own format (guest_as_create_mode()) that maps VA_X to a page
 * tagged with the mode, while with paging off VA_X is the physical
 * address of a page tagged "off".  Transitions are made by the guest, as
 * the SDM prescribes (Vol. 3A 9.8.5 and 10.8.5 for IA-32e mode: CR0.PG
 * cleared first, then CR4.PAE / EFER.LME and CR3, then CR0.PG set; IA-32e
 * mode is left from compatibility mode by clearing CR0.PG).  Invariants:
 *
 * - right_data_in_every_mode: after each transition a read of VA_X
 *   returns the tag of the mode now in force: the MOV to CR0 that changes
 *   PG flushes all TLB entries of the current PCID (SDM 4.10.4.1), so no
 *   translation of the previous mode may survive.  KVM resets the MMU
 *   context at each (kvm_post_set_cr0() -> kvm_mmu_reset_context(), regs.c)
 *   and builds a root of the new role: nonpaging (direct), the PAE root
 *   for 2-level and PAE guests, a 4-level root in IA-32e mode
 *   (mmu_alloc_shadow_roots(), mmu.c).
 *
 * - TDP off, read back through kvmmmu events: shadow pages made in each
 *   mode have that mode's role (has_4_byte_gpte in 2-level paging only,
 *   a level-4 root in IA-32e mode, direct pages without paging), and a
 *   second tour of the modes creates no shadow page (the first tour's are
 *   found again: kvm_mmu_get_shadow_page()), nor does teardown leave any.
 *
 * - right_data_in_every_mode_l2, right_data_in_every_mode_l2_pae_l1: the
 *   same tours with the engine as L2 of a 64-bit L1 (paging_vm_create_l2())
 *   or of a PAE L1 (paging_vm_create_l2_pae()), which intercept none of
 *   L2's CR and EFER writes: KVM switches L2's MMU context itself.
 *
 * - cr0_pg_with_lme_without_pae: the 32-bit engine, in 2-level paging,
 *   turns paging off, sets EFER.LME and then CR0.PG without CR4.PAE:
 *   #GP(0) (SDM vol. 3A 10.8.5), and 2-level paging comes back once LME
 *   is clear again.  KVM: kvm_set_cr0() (6.12 and 7.3 regs.c).  Not run
 *   under QEMU TCG with nested paging, whose #VMEXIT then hangs the
 *   kernel under test (docs/defects/qemu-tcg-svm-vmexit-host-cr0.md).
 *
 * - cr0_* and cr4_*: a 64-bit guest's MOV to CR0 or CR4 is #GP(0), the
 *   register unchanged, when it sets CR0.NW without CD or PG without PE
 *   (SDM vol. 3A 2.5), clears CR0.PG in 64-bit mode or CR4.PAE in IA-32e
 *   mode, toggles CR4.LA57 in IA-32e mode (10.8.5, 2.5), or sets a
 *   reserved bit of 63:32 ("MOV-Move to/from Control Registers").  KVM:
 *   kvm_is_valid_cr0(), kvm_set_cr0(), kvm_is_valid_cr4(), kvm_set_cr4()
 *   (6.12 and 7.3 regs.c).  Each write is made as is, intercepted by KVM
 *   (on AMD without DecodeAssists, QEMU's, KVM emulates it), and again
 *   with the forced-emulation prefix (_emulated), through KVM's
 *   emulator everywhere: which drops bits 63:32, a known KVM bug
 *   (docs/defects/kvm-emulated-mov-cr-upper-bits.md).
 *
 * - ia32e_left_with_smep: the engine goes 2-level -> PAE -> IA-32e -> PAE
 *   and leaves IA-32e mode with CR4.SMEP set, cleared once paging is off:
 *   only 64-bit mode and CR4.PCIDE forbid clearing PG (SDM vol. 3A
 *   10.8.5; kvm_set_cr0(), regs.c).  Not run on kvm_intel without EPT,
 *   whose vCPU then hangs (docs/defects/kvm-vmx-shadow-smep-paging-off.md).
 *
 * - pg_cleared_flushes_guest_tlb_once: clearing CR0.PG flushes the TLB
 *   (SDM vol. 3A 4.10.4.1); KVM asks for it as a guest TLB flush
 *   (kvm_post_set_cr0() -> KVM_REQ_TLB_FLUSH_GUEST, 6.12 and 7.3 regs.c),
 *   which counts one tlb_flush in the vCPU's stats
 *   (kvm_vcpu_flush_tlb_guest(), x86.c); another CR0 change while paging
 *   is off (CR0.AM), and setting PG again, count none.  The context
 *   reset's own flush at the next root load counts none either
 *   (kvm_mmu_load(), mmu.c), so the counts are exact.
 *
 * - emulated_write_honors_cr0_wp: KVM's emulator checks a write against
 *   the guest's CR0.WP as it is now: a supervisor write to a read-only
 *   page is #PF with WP=1 and goes through with WP=0.  With TDP a WP-only
 *   change keeps the root but must refresh the MMU's CPU role
 *   (kvm_post_set_cr0() -> kvm_init_mmu(), regs.c), which the emulator's
 *   walk of the guest's tables uses (permission_fault(), mmu.h).
 *
 * - cr0_wp_toggle_keeps_tdp_root: with TDP a change of CR0.WP alone only
 *   refreshes the MMU's metadata (kvm_post_set_cr0() -> kvm_init_mmu(),
 *   6.12 and 7.3 regs.c), the root stays loaded.  A full context reset
 *   would unload it, and the next entry would look it up again: a
 *   kvm_mmu_get_page event of the shadow MMU's direct root (tdp_mmu=0;
 *   the TDP MMU takes its root back without an event, so the case skips
 *   there).
 *
 * - efer_invalid_writes_fault_gp: a 64-bit guest's WRMSR to EFER is
 *   #GP(0), EFER unchanged, when it clears LME while CR0.PG=1 (SDM vol. 3A
 *   10.8.5: IA-32e mode is left with paging off), sets a reserved bit
 *   (bit 1), or sets SVME where the guest's CPUID has no SVM (APM vol. 2,
 *   3.1.7).  KVM: set_efer() (6.12 x86.c, 7.3 msrs.c): the reserved bits
 *   for every write, __kvm_valid_efer() and LME for the guest's.
 * - efer_host_write_skips_guest_cpuid_checks: that is KVM's API as well:
 *   KVM_SET_MSRS (host-initiated) takes an EFER whose NX the guest's
 *   CPUID lacks, where the guest's own WRMSR would be #GP.
 *
 * In compatibility mode the engine's 32-bit IDT does not apply, so that
 * phase has no step that faults.  64-bit code (the 64-bit engine) is not
 * entered: paging_modes_test covers IA-32e paging itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "emulator.h"
#include "known_defects.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_stats.h"
#include "kvm_trace.h"
#include "paging_bits.h"
#include "vm_tables.h"
#include "guest_paging.h"

#define TOURS		2

enum tour_mode { M_OFF, M_2LEVEL, M_PAE, M_IA32E, NR_TOUR_MODES };

static const char *const tour_mode_name[] = {
	"paging off", "2-level", "PAE", "IA-32e (compatibility mode)",
};

/* From 2-level paging there and back: off, 2-level, PAE, IA-32e, PAE, 2-level. */
static const enum tour_mode tour[] = {
	M_OFF, M_2LEVEL, M_PAE, M_IA32E, M_PAE, M_2LEVEL,
};

static struct kvm_mmu_config cfg;

struct scene {
	struct paging_vm *pvm;
	struct guest_as *as[NR_TOUR_MODES];	/* none for M_OFF */
	uint64_t va_x;				/* = the GPA of the "off" page */
	enum tour_mode cur;
	uint64_t pdpte[4];			/* the PAE address space's */
	/*
	 * Under emulator_sets_pdpte_bit5(), and only there,
	 * the guest writes its PDPTEs again while paging is off before each
	 * entry into PAE paging, which on a correct CPU changes nothing.
	 */
	bool rewrite_pdptes;
	/* CR4.SMEP on while IA-32e mode is left (ia32e_left_with_smep). */
	bool smep;
};

static uint32_t tag(enum tour_mode m)
{
	return 0x3d3d0000u | m;
}

static uint64_t tagged_page(struct paging_vm *pvm, uint32_t value)
{
	uint64_t gpa = paging_vm_alloc(pvm, PAGE_SIZE, PAGE_SIZE);

	*(uint32_t *)paging_vm_hva(pvm, gpa) = value;
	return gpa;
}

/* Where the engine runs: the guest itself, or L2 of a 64-bit or a PAE L1. */
enum scene_guest { AS_GUEST, AS_L2, AS_L2_OF_PAE_L1 };

static void build_scene(struct scene *s, enum scene_guest as)
{
	static const enum guest_paging_mode as_mode[NR_TOUR_MODES] = {
		[M_2LEVEL] = GUEST_PAGING_32BIT,
		[M_PAE] = GUEST_PAGING_PAE,
		[M_IA32E] = GUEST_PAGING_4LEVEL,
	};
	struct paging_vm *pvm;
	enum tour_mode m;

	if (as == AS_L2) {
		pvm = paging_vm_create_l2(GUEST_PAGING_32BIT, paging_vm_l2_tdp_offered());
		pvm->name = "as L2";
	} else if (as == AS_L2_OF_PAE_L1) {
		pvm = paging_vm_create_l2_pae(GUEST_PAGING_32BIT);
		pvm->name = "as L2 of a PAE L1";
	} else {
		pvm = paging_vm_create(GUEST_PAGING_32BIT);
	}

	memset(s, 0, sizeof(*s));
	s->pvm = pvm;
	s->cur = M_2LEVEL;
	s->va_x = tagged_page(pvm, tag(M_OFF));
	for (m = M_2LEVEL; m < NR_TOUR_MODES; m++) {
		s->as[m] = guest_as_create_mode(pvm, as_mode[m]);
		guest_as_map(s->as[m], s->va_x, tagged_page(pvm, tag(m)), 1, GP_P | GP_RW);
	}
	pvm->initial_as = s->as[M_2LEVEL];
	for (m = 0; m < 4; m++)
		s->pdpte[m] = guest_as_read_entry(s->as[M_PAE], (uint64_t)m << 30, 3);
	s->rewrite_pdptes = emulator_sets_pdpte_bit5(cfg.tdp);

	if (s->rewrite_pdptes && as == AS_GUEST)
		ksft_print_msg("emulator gap: %s (%s)\n",
			       "PDPTEs rewritten before each entry into PAE paging",
			       KVM_MMU_PDPTE_GAP_DOC);
	/* The tour sets these itself; start from plain 2-level paging. */
	pvm->cr4 &= ~X86_CR4_PAE;
	pvm->efer &= ~(EFER_LME | EFER_NX);
}

/* Paging is off: the PDPT's physical address is its address. */
static void rewrite_pdptes(struct scene *s)
{
	uint64_t pdpt = guest_as_cr3(s->as[M_PAE]);
	int i;

	for (i = 0; i < 4; i++)
		gstep_store(s->pvm, pdpt + 8 * i, 8, s->pdpte[i], EXPECT_OK());
}

/* From s->cur to @to, the way the SDM allows, then read VA_X. */
static void transition_steps(struct scene *s, enum tour_mode to)
{
	struct paging_vm *pvm = s->pvm;

	gstep_phase(pvm, tour_mode_name[to]);
	if (s->cur == M_IA32E && s->smep)
		gstep_cr4(pvm, X86_CR4_SMEP, 0);
	if (s->cur != M_OFF)
		gstep_cr0(pvm, 0, X86_CR0_PG);
	if (s->cur == M_IA32E && s->smep)
		gstep_cr4(pvm, 0, X86_CR4_SMEP);
	if (s->cur == M_IA32E)
		gstep_efer(pvm, 0, EFER_LME);
	if (to == M_OFF) {
		gstep_cr4(pvm, 0, X86_CR4_PAE);
	} else {
		if (to == M_2LEVEL)
			gstep_cr4(pvm, 0, X86_CR4_PAE);
		else
			gstep_cr4(pvm, X86_CR4_PAE, 0);
		if (to == M_IA32E)
			gstep_efer(pvm, EFER_LME, 0);
		if (to == M_PAE && s->rewrite_pdptes)
			rewrite_pdptes(s);
		gstep_write_cr3(pvm, guest_as_cr3(s->as[to]), EXPECT_OK());
		gstep_cr0(pvm, X86_CR0_PG, 0);
	}
	gstep_load(pvm, s->va_x, 4, EXPECT_VALUE(tag(to)));
	s->cur = to;
}

static size_t pages(struct kvm_mmu_model *m, int phase, int created, int level, int gpte4)
{
	return kvm_mmu_model_count_pages(m, KVM_MMU_QUERY(.phase = phase,
		.type = KVM_MMU_GET_PAGE, .created = created, .level = level,
		.has_4_byte_gpte = gpte4));
}

#define TOUR1_FMT							\
	"shadow pages, tour 1: 2-level %zu (4-byte gptes), PAE %zu (8-byte), IA-32e %zu (%zu level-4 roots)\n"

/*
 * The roles of the first tour's pages: 2-level guests get 4-byte-gpte
 * pages, PAE and IA-32e guests 8-byte ones, and only IA-32e mode a
 * level-4 root (the other modes' roots are KVM's special PAE root, which
 * is no shadow page).  Without paging only direct pages.
 */
static bool check_roles(struct kvm_trace *t, const int *phase_of)
{
	struct kvm_mmu_model *m = kvm_trace_model(t);
	int p2 = phase_of[M_2LEVEL], pp = phase_of[M_PAE], p4 = phase_of[M_IA32E];
	bool ok = true;

	ok &= pages(m, p2, KVM_MMU_ANY, KVM_MMU_ANY, 1) > 0 &&
	      pages(m, p2, KVM_MMU_ANY, KVM_MMU_ANY, 0) == 0;
	ok &= pages(m, pp, KVM_MMU_ANY, KVM_MMU_ANY, 0) > 0 &&
	      pages(m, pp, KVM_MMU_ANY, KVM_MMU_ANY, 1) == 0 &&
	      pages(m, pp, KVM_MMU_ANY, 4, KVM_MMU_ANY) == 0;
	ok &= pages(m, p4, KVM_MMU_ANY, 4, 0) == 1 &&
	      pages(m, p4, KVM_MMU_ANY, KVM_MMU_ANY, 1) == 0;
	ksft_print_msg(TOUR1_FMT,
		       pages(m, p2, KVM_MMU_ANY, KVM_MMU_ANY, 1),
		       pages(m, pp, KVM_MMU_ANY, KVM_MMU_ANY, 0),
		       pages(m, p4, KVM_MMU_ANY, KVM_MMU_ANY, 0), pages(m, p4, KVM_MMU_ANY, 4, 0));
	return ok;
}

/* The second tour's phases created nothing; the first tour's are before. */
static size_t created_after(struct kvm_mmu_model *m, int first_phase)
{
	size_t n = 0;
	int p;

	for (p = first_phase; p < m->nr_phases; p++)
		n += pages(m, p, 1, KVM_MMU_ANY, KVM_MMU_ANY);
	return n;
}

/*
 * The same tours with the engine as L2 of a 64-bit L1 (with nested paging
 * where KVM offers L1 NPT or EPT), or of a PAE L1 that is itself the
 * engine (on its PAE-format NPT): L1 intercepts none of L2's CR and EFER
 * writes, so KVM itself must switch L2's MMU context at each, with
 * role.guest_mode set (nested_svm_load_cr3() at VMRUN, nested_vmx_load_cr3()
 * at VM entry, then the same kvm_post_set_cr0() path).  A VMX L1 runs
 * the tour, which turns paging off, only with EPT
 * (paging_vm_l2_mode_supported()).
 */
static void run_tours_as_l2(enum scene_guest as)
{
	const char *result = as == AS_L2 ? "right_data_in_every_mode_l2" :
					   "right_data_in_every_mode_l2_pae_l1";
	bool tdp = paging_vm_l2_tdp_offered();
	uint64_t pdpte = 0;
	const char *why;
	struct scene s;
	int bad = 0, tour_nr;
	unsigned int i;

	if (!cfg.nested)
		why = "nested virtualization is off (nested=0): L1 cannot run an L2";
	else if (as == AS_L2)
		paging_vm_l2_mode_supported(GUEST_PAGING_OFF, tdp, &why);
	else
		paging_vm_l2_pae_supported(&why);
	if (why) {
		ksft_test_result_skip("%s: %s\n", result, why);
		return;
	}
	build_scene(&s, as);
	ksft_print_msg("%s: %s nested paging\n", s.pvm->name,
		       paging_vm_l2_npt(s.pvm) ? "with" : "without");
	for (tour_nr = 1; tour_nr <= TOURS; tour_nr++)
		for (i = 0; i < ARRAY_SIZE(tour); i++) {
			transition_steps(&s, tour[i]);
			bad += paging_vm_run_steps(s.pvm);
		}
	/* A PAE L1 that QEMU's PDPTE bit 5 killed at a #VMEXIT (see there). */
	if (bad)
		pdpte = paging_vm_l2_pdpte_bit5_in(s.pvm, s.as[M_PAE]);
	paging_vm_free(s.pvm);
	if (pdpte)
		ksft_test_result_xfail("%s_%s: " KVM_MMU_PDPTE_GAP_L2_XFAIL "\n",
				       result, kvm_mmu_config_name(&cfg), pdpte);
	else
		ksft_test_result(!bad, "%s_%s\n", result, kvm_mmu_config_name(&cfg));
}

/* The tours of a plain guest, and with TDP off the shadow pages they make. */
static void run_tours(void)
{
	int phase_of[NR_TOUR_MODES] = { -1, -1, -1, -1 }, second_tour = -1;
	const char *no_trace = NULL;
	struct kvm_trace *t = NULL;
	int bad = 0, tour_nr;
	size_t created, live;
	struct scene s;
	unsigned int i;
	char phase[64];

	build_scene(&s, AS_GUEST);
	if (!cfg.tdp) {
		no_trace = kvm_trace_unavailable();
		if (!no_trace)
			t = kvm_trace_create();
	}
	for (tour_nr = 1; tour_nr <= TOURS; tour_nr++) {
		for (i = 0; i < ARRAY_SIZE(tour); i++) {
			transition_steps(&s, tour[i]);
			if (!t) {
				bad += paging_vm_run_steps(s.pvm);
				continue;
			}
			/* The phase of each mode's first entry, for the roles. */
			snprintf(phase, sizeof(phase), "tour %d, step %u: %s", tour_nr, i,
				 tour_mode_name[tour[i]]);
			kvm_trace_start(t, phase);
			if (tour_nr == 1 && phase_of[tour[i]] < 0)
				phase_of[tour[i]] = kvm_trace_phase(t);
			if (tour_nr == 2 && second_tour < 0)
				second_tour = kvm_trace_phase(t);
			bad += paging_vm_run_steps(s.pvm);
			kvm_trace_stop(t);
		}
	}
	ksft_test_result(!bad, "right_data_in_every_mode_%s\n", kvm_mmu_config_name(&cfg));

	if (!t) {
		paging_vm_free(s.pvm);
		ksft_test_result_skip("%s: %s\n", "shadow_pages_have_the_mode_role",
				      no_trace ?: "TDP is on, no shadow pages");
		ksft_test_result_skip("second_tour_creates_no_shadow_page: %s\n",
				      no_trace ?: "TDP is on");
		ksft_test_result_skip("teardown_zaps_every_shadow_page: %s\n",
				      no_trace ?: "TDP is on");
		return;
	}
	ksft_test_result(check_roles(t, phase_of), "shadow_pages_have_the_mode_role\n");
	created = created_after(kvm_trace_model(t), second_tour);
	ksft_print_msg("second tour: %zu shadow pages created\n", created);
	if (created)
		kvm_trace_print(t);
	ksft_test_result(!created, "second_tour_creates_no_shadow_page\n");

	kvm_trace_start(t, "teardown");
	paging_vm_free(s.pvm);
	kvm_trace_stop(t);
	live = kvm_mmu_model_count_live(kvm_trace_model(t));
	ksft_print_msg("%zu shadow pages left after teardown\n", live);
	ksft_test_result(!live, "teardown_zaps_every_shadow_page\n");
	kvm_trace_destroy(t);
}

static void guest_writes_invalid_efer(void)
{
	uint64_t efer = rdmsr(MSR_EFER);

	GUEST_ASSERT_EQ(wrmsr_safe(MSR_EFER, efer & ~EFER_LME), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_EFER, efer | BIT_ULL(1)), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_EFER, efer | EFER_SVME), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer);
	GUEST_DONE();
}

/* A failed guest assertion is reported, with its values, and ends the test. */
static void test_invalid_efer_writes(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_writes_invalid_efer);
	vcpu_clear_cpuid_feature(vcpu, X86_FEATURE_SVM);
	vcpu_run_to_done(vcpu);
	ksft_test_result_pass("efer_invalid_writes_fault_gp_%s\n", kvm_mmu_config_name(&cfg));
	kvm_vm_free(vm);
}

static void test_long_mode_needs_pae(void)
{
	struct paging_vm *pvm;
	struct scene s;
	int bad;

	if (emulator_vmexit_keeps_guest_cr0(cfg.tdp)) {
		ksft_test_result_skip("cr0_pg_with_lme_without_pae_%s: NOT RUN, %s\n",
				      kvm_mmu_config_name(&cfg),
				      known_defect(DEFECT_QEMU_TCG_SVM_VMEXIT_HOST_CR0));
		return;
	}
	build_scene(&s, AS_GUEST);
	pvm = s.pvm;
	gstep_phase(pvm, "CR0.PG with EFER.LME, without CR4.PAE");
	gstep_cr0(pvm, 0, X86_CR0_PG);
	gstep_efer(pvm, EFER_LME, 0);
	gstep_cr0_gp(pvm, X86_CR0_PG, 0);
	gstep_efer(pvm, 0, EFER_LME);
	gstep_cr0(pvm, X86_CR0_PG, 0);
	gstep_load(pvm, s.va_x, 4, EXPECT_VALUE(tag(M_2LEVEL)));
	bad = paging_vm_run_steps(pvm);
	paging_vm_free(pvm);
	ksft_test_result(!bad, "cr0_pg_with_lme_without_pae_%s\n", kvm_mmu_config_name(&cfg));
}

static void test_leave_ia32e_with_smep(void)
{
	static const enum tour_mode to[] = { M_PAE, M_IA32E, M_PAE };
	const char *why = NULL;
	struct scene s;
	unsigned int i;
	int bad;

	if (!kvm_cpu_has(X86_FEATURE_SMEP))
		why = "KVM offers guests no SMEP";
	else if (!strcmp(cfg.vendor_module, "kvm_intel") && !cfg.tdp)
		why = known_defect_not_run(DEFECT_VMX_SHADOW_SMEP_PAGING_OFF);
	if (why) {
		ksft_test_result_skip("ia32e_left_with_smep_%s: %s\n",
				      kvm_mmu_config_name(&cfg), why);
		return;
	}
	build_scene(&s, AS_GUEST);
	s.smep = true;
	for (i = 0; i < ARRAY_SIZE(to); i++)
		transition_steps(&s, to[i]);
	bad = paging_vm_run_steps(s.pvm);
	paging_vm_free(s.pvm);
	ksft_test_result(!bad, "ia32e_left_with_smep_%s\n", kvm_mmu_config_name(&cfg));
}

/* The vCPU's tlb_flush stat at each GSTEP_SYNC. */
struct flush_counts {
	uint64_t at[4];
	unsigned int n;
};

static void count_flushes(struct paging_vm *pvm, uint32_t step, void *arg)
{
	struct flush_counts *c = arg;

	if (c->n < ARRAY_SIZE(c->at))
		c->at[c->n] = vcpu_stat_get(pvm->vcpu, "tlb_flush");
	c->n++;
}

#define PG_FLUSH_FMT "CR0.PG cleared: %lu guest TLB flushes, CR0.AM toggled: %lu, PG set: %lu\n"

static void test_pg_toggle_flushes(void)
{
	struct flush_counts c = {};
	struct paging_vm *pvm;
	uint64_t off, am, on;
	struct scene s;
	int bad;

	build_scene(&s, AS_GUEST);
	pvm = s.pvm;
	gstep_phase(pvm, "CR0.PG cleared and set");
	gstep_sync(pvm);
	gstep_cr0(pvm, 0, X86_CR0_PG);
	gstep_sync(pvm);
	gstep_cr0(pvm, X86_CR0_AM, 0);
	gstep_cr0(pvm, 0, X86_CR0_AM);
	gstep_sync(pvm);
	gstep_cr0(pvm, X86_CR0_PG, 0);
	gstep_sync(pvm);
	gstep_load(pvm, s.va_x, 4, EXPECT_VALUE(tag(M_2LEVEL)));
	pvm->sync_fn = count_flushes;
	pvm->sync_arg = &c;
	bad = paging_vm_run_steps(pvm);
	paging_vm_free(pvm);
	TEST_ASSERT(c.n == ARRAY_SIZE(c.at), "%u syncs, not %zu", c.n, ARRAY_SIZE(c.at));
	off = c.at[1] - c.at[0];
	am = c.at[2] - c.at[1];
	on = c.at[3] - c.at[2];
	ksft_print_msg(PG_FLUSH_FMT, off, am, on);
	ksft_test_result(!bad && off == 1 && !am && !on, "pg_cleared_flushes_guest_tlb_once_%s\n",
			 kvm_mmu_config_name(&cfg));
}

/* The forced-emulation prefix, in the selftests' processor.h since 6.x. */
#ifdef KVM_FEP
#define HAVE_KVM_FEP	true
#else
#define HAVE_KVM_FEP	false
#endif

/* Why a case cannot force KVM's emulator here, or NULL. */
static const char *fep_unavailable(void)
{
	if (!HAVE_KVM_FEP)
		return "this selftests tree has no KVM_FEP";
	if (!kvm_is_forced_emulation_enabled())
		return "kvm.force_emulation_prefix is off";
	return NULL;
}

static uint8_t write_emulated_safe(uint64_t *p, uint64_t v)
{
#ifdef KVM_FEP
	return kvm_asm_safe_fep("movq %[v], (%[p])", [v] "r"(v), [p] "r"(p));
#else
	GUEST_ASSERT(0);	/* the host skips the case */
	return 0;
#endif
}

static void guest_emulated_writes_under_wp(uint64_t *ro)
{
	/* The framework's CR0 has no WP. */
	set_cr0(get_cr0() | X86_CR0_WP);
	GUEST_ASSERT_EQ(write_emulated_safe(ro, 1), PF_VECTOR);
	set_cr0(get_cr0() & ~X86_CR0_WP);
	GUEST_ASSERT_EQ(write_emulated_safe(ro, 2), 0);
	set_cr0(get_cr0() | X86_CR0_WP);
	GUEST_ASSERT_EQ(write_emulated_safe(ro, 3), PF_VECTOR);
	GUEST_ASSERT_EQ(READ_ONCE(*ro), 2);
	GUEST_DONE();
}

static void test_emulated_write_under_wp(void)
{
	const char *why = fep_unavailable();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	gva_t ro;

	if (why) {
		ksft_test_result_skip("emulated_write_honors_cr0_wp_%s: %s\n",
				      kvm_mmu_config_name(&cfg), why);
		return;
	}
	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_emulated_writes_under_wp);
	ro = vm_alloc_page(vm);
	*vm_guest_entry(vm, ro, 1) &= ~GP_RW;
	vcpu_args_set(vcpu, 1, ro);
	vcpu_run_to_done(vcpu);
	ksft_test_result_pass("emulated_write_honors_cr0_wp_%s\n", kvm_mmu_config_name(&cfg));
	kvm_vm_free(vm);
}

#define WP_TOGGLES	4

static void guest_toggles_cr0_wp(void)
{
	int i;

	GUEST_SYNC(0);
	for (i = 0; i < WP_TOGGLES; i++) {
		set_cr0(get_cr0() & ~X86_CR0_WP);
		set_cr0(get_cr0() | X86_CR0_WP);
	}
	GUEST_SYNC(1);
	GUEST_DONE();
}

static void test_cr0_wp_toggle(void)
{
	const char *why = NULL;
	struct kvm_vcpu *vcpu;
	struct kvm_trace *t;
	struct kvm_vm *vm;
	size_t lookups;

	if (!cfg.tdp)
		why = "TDP is off: CR0.WP is in the shadow pages' role, the root changes";
	else if (cfg.tdp_mmu)
		why = "the TDP MMU takes its root back without a kvmmmu event";
	else
		why = kvm_trace_unavailable();
	if (why) {
		ksft_test_result_skip("cr0_wp_toggle_keeps_tdp_root_%s: %s\n",
				      kvm_mmu_config_name(&cfg), why);
		return;
	}
	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_toggles_cr0_wp);
	t = kvm_trace_create();
	vcpu_run_to_sync(vcpu, 0);
	kvm_trace_start(t, "CR0.WP toggles");
	vcpu_run_to_sync(vcpu, 1);
	kvm_trace_stop(t);
	vcpu_run_to_done(vcpu);
	lookups = kvm_mmu_model_count_pages(kvm_trace_model(t),
					    KVM_MMU_QUERY(.phase = 0, .type = KVM_MMU_GET_PAGE));
	ksft_print_msg("%d CR0.WP toggles: %zu root lookups\n", WP_TOGGLES, lookups);
	if (lookups)
		kvm_trace_print(t);
	ksft_test_result(!lookups, "cr0_wp_toggle_keeps_tdp_root_%s\n", kvm_mmu_config_name(&cfg));
	kvm_trace_destroy(t);
	kvm_vm_free(vm);
}

/*
 * MOVs to CR0 and CR4 that must be #GP(0) in 64-bit mode, the register
 * unchanged.
 */
struct cr_write {
	const char *name;
	int cr;			/* 0 or 4 */
	uint64_t set, clear, flip;
};

static const struct cr_write cr_writes[] = {
	{ "cr0_nw_without_cd",			0, X86_CR0_NW, X86_CR0_CD },
	{ "cr0_pg_without_pe",			0, 0, X86_CR0_PE },
	{ "cr0_pg_cleared_in_64bit_mode",	0, 0, X86_CR0_PG },
	{ "cr0_reserved_bit_63",		0, BIT_ULL(63), 0 },
	{ "cr4_pae_cleared_in_long_mode",	4, 0, X86_CR4_PAE },
	{ "cr4_la57_toggled_in_long_mode",	4, 0, 0, X86_CR4_LA57 },
	{ "cr4_reserved_bit_63",		4, BIT_ULL(63), 0 },
};

struct cr_write_result {
	uint64_t vector;	/* 0: no fault */
	uint64_t before, written, after;
};

static struct cr_write_result cr_results[ARRAY_SIZE(cr_writes)];

static uint64_t read_cr(int cr)
{
	return cr ? get_cr4() : get_cr0();
}

static uint8_t write_cr_safe(int cr, uint64_t val, bool emulated)
{
	if (!emulated)
		return cr ? kvm_asm_safe("mov %%rax, %%cr4", "a"(val)) :
			    kvm_asm_safe("mov %%rax, %%cr0", "a"(val));
#ifdef KVM_FEP
	return cr ? kvm_asm_safe_fep("mov %%rax, %%cr4", "a"(val)) :
		    kvm_asm_safe_fep("mov %%rax, %%cr0", "a"(val));
#else
	GUEST_ASSERT(0);	/* the host skips these cases */
	return 0;
#endif
}

static void guest_writes_invalid_crs(bool emulated)
{
	struct cr_write_result *r;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cr_writes); i++) {
		r = &cr_results[i];
		r->before = read_cr(cr_writes[i].cr);
		r->written = ((r->before & ~cr_writes[i].clear) | cr_writes[i].set) ^
			     cr_writes[i].flip;
		r->vector = write_cr_safe(cr_writes[i].cr, r->written, emulated);
		r->after = read_cr(cr_writes[i].cr);
	}
	GUEST_DONE();
}

/*
 * KVM's emulator takes bits 31:0 of the source and keeps the register's
 * own 63:32 (emulator_set_cr() -> mk_cr_64(), 6.12 and 7.3 x86.c): a
 * reserved bit of 63:32 is dropped, no #GP.  kvm_set_cr0() sets CR0.ET,
 * which a CR0 that KVM_SET_SREGS loaded may lack.
 */
static bool cr_upper_bits_dropped(const struct cr_write *w, const struct cr_write_result *r)
{
	uint64_t et = w->cr ? 0 : X86_CR0_ET;

	return (w->set >> 32) && !r->vector &&
	       (r->after | et) == ((r->before & GENMASK_ULL(63, 32)) | (uint32_t)r->written | et);
}

/*
 * Whose defect the dropped bits are: the emulator's, for a CR0 write
 * that never reaches KVM there, else KVM's emulator's.
 */
static enum known_defect cr_write_defect(const struct cr_write *w, bool emulated)
{
	if (!w->cr && !emulated && emulator_drops_cr0_upper_bits(cfg.tdp))
		return DEFECT_QEMU_TCG_CR0_UPPER_BITS;
	return DEFECT_EMULATED_MOV_CR_UPPER_BITS;
}

#define CR_WRITE_FMT "%s%s_%s: vector %lu, %s 0x%lx -> 0x%lx\n"

static void test_invalid_cr_writes(bool emulated)
{
	const char *path = emulated ? "_emulated" : "";
	const struct cr_write_result *r;
	const struct cr_write *w;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int i;
	bool ok;

	if (emulated && fep_unavailable()) {
		for (i = 0; i < ARRAY_SIZE(cr_writes); i++)
			ksft_test_result_skip("%s_emulated_%s: %s\n", cr_writes[i].name,
					      kvm_mmu_config_name(&cfg), fep_unavailable());
		return;
	}
	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_writes_invalid_crs);
	vcpu_args_set(vcpu, 1, emulated);
	vcpu_run_to_done(vcpu);
	sync_global_from_guest(vm, cr_results);
	for (i = 0; i < ARRAY_SIZE(cr_writes); i++) {
		w = &cr_writes[i];
		r = &cr_results[i];
		ok = r->vector == GP_VECTOR && r->after == r->before;
		if (!ok)
			ksft_print_msg(CR_WRITE_FMT, w->name, path, kvm_mmu_config_name(&cfg),
				       r->vector, w->cr ? "CR4" : "CR0", r->before, r->after);
		if (!ok && cr_upper_bits_dropped(w, r))
			ksft_test_result_xfail("%s%s_%s: %s\n", w->name, path,
					       kvm_mmu_config_name(&cfg),
					       known_defect(cr_write_defect(w, emulated)));
		else
			ksft_test_result(ok, "%s%s_%s\n", w->name, path, kvm_mmu_config_name(&cfg));
	}
	kvm_vm_free(vm);
}

/*
 * A host-initiated EFER write is checked against the supported bits only,
 * not the guest's CPUID (set_efer(), 6.12 x86.c and 7.3 msrs.c): the
 * vCPU's own EFER, NX set (the framework's long mode), is taken back
 * after NX is gone from its CPUID.
 */
static void test_host_efer_write(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t efer;
	int r;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_writes_invalid_efer);
	efer = vcpu_get_msr(vcpu, MSR_EFER);
	TEST_ASSERT(efer & EFER_NX, "the framework's EFER 0x%lx has no NX", efer);
	vcpu_clear_cpuid_feature(vcpu, X86_FEATURE_NX);
	r = _vcpu_set_msr(vcpu, MSR_EFER, efer);
	ksft_test_result(r == 1, "efer_host_write_skips_guest_cpuid_checks_%s\n",
			 kvm_mmu_config_name(&cfg));
	kvm_vm_free(vm);
}

int main(int argc, char *argv[])
{
	kvm_mmu_test_start(&cfg);
	ksft_set_plan(13 + 2 * ARRAY_SIZE(cr_writes));

	run_tours();
	run_tours_as_l2(AS_L2);
	run_tours_as_l2(AS_L2_OF_PAE_L1);
	test_long_mode_needs_pae();
	test_leave_ia32e_with_smep();
	test_pg_toggle_flushes();
	test_cr0_wp_toggle();
	test_emulated_write_under_wp();
	test_invalid_cr_writes(false);
	test_invalid_cr_writes(true);
	test_invalid_efer_writes();
	test_host_efer_write();
	ksft_finished();
}
