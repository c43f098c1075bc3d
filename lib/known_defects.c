// SPDX-License-Identifier: GPL-2.0
/*
 * The table of known defects (include/known_defects.h).  "seen_on" lists
 * the kernel series on which a run of the suite showed the defect, and
 * "absent_on" those on which a run showed it absent (fixed, or never
 * there): docs/defects/README.md has the same statuses, with the runs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "test_util.h"

#include "known_defects.h"

enum defect_kind { KVM_BUG, KVM_DEVIATION, KVM_LIMITATION, EMULATOR_DEFECT };

enum defect_harm { HARMLESS, CRASHES_HOST, WARNS_HOST, HANGS_VCPU };

struct defect {
	const char *doc;	/* docs/defects/<doc>.md */
	enum defect_kind kind;
	enum defect_harm harm;
	const char *what;
	const char *seen_on;	/* kernel series, space separated */
	const char *absent_on;
};

static const struct defect defects[NR_KNOWN_DEFECTS] = {
	[DEFECT_SHADOW_EFER_NXE_STALE_SPTES] = {
		"kvm-shadow-efer-nxe-stale-sptes", KVM_DEVIATION, HARMLESS,
		"shadow pages keep role.efer_nx=1 whatever the guest EFER.NXE (mmu.c kvm_init_shadow_mmu()), so SPTEs made under NXE=1 are reused",
		"6.12 7.3", "",
	},
	[DEFECT_SHADOW_CR4_PSE_STALE_SPTES] = {
		"kvm-shadow-cr4-pse-stale-sptes", KVM_BUG, HARMLESS,
		"the shadow page role has no CR4.PSE, so shadow pages of a 2-level page directory built under the other PSE value are reused",
		"6.12 7.3", "",
	},
	[DEFECT_NESTED_INVLPG_PREV_ROOT_BUG] = {
		"kvm-nested-invlpg-prev-root-bug", KVM_BUG, CRASHES_HOST,
		"with TDP off, an INVLPG by a 2-level or PAE L2 walks L1's cached 64-bit root as a PAE root and hits the BUG_ON in shadow_walk_init_using_root()",
		"6.12 7.3", "",
	},
	[DEFECT_NESTED_PAE_NCR3_PDPTE_RESERVED_BITS] = {
		"kvm-nested-pae-ncr3-pdpte-reserved-bits", KVM_BUG, WARNS_HOST,
		"the reserved bits of a PAE nCR3's PDPTEs are not checked and a shadow root is built from the unmasked PDPTE",
		"6.12 7.3", "",
	},
	[DEFECT_SVM_SHADOW_HV_FLUSH_PURGED] = {
		"kvm-svm-shadow-hv-flush-purged", KVM_BUG, HARMLESS,
		"with NPT off, svm_flush_tlb_asid() purges the pending Hyper-V flush request, so the shadow pages are not synced",
		"6.12 7.3", "",
	},
	[DEFECT_NESTED_EMULATED_NPF_EXITINFO2] = {
		"kvm-nested-emulated-npf-exitinfo2-page-aligned", KVM_BUG, HARMLESS,
		"EXITINFO2 of an NPF KVM's emulator reflects to L1 is the page of the L2 GPA, without its offset (FNAME(walk_addr_generic) passes gfn_to_gpa(gfn), or gfn_to_gpa(table_gfn) on L2's page walk, to translate_nested_gpa(); nested_svm_inject_npf_exit() copies fault->address); the APM's is the faulting GPA, as for the CPU's NPFs",
		"6.12 7.3", "",
	},
	[DEFECT_NESTED_EMULATED_NPF_WALK_BIT] = {
		"kvm-nested-emulated-npf-exitinfo2-page-aligned", KVM_LIMITATION, HARMLESS,
		"an NPF KVM's emulator reflects to L1 for an access of L2's page walk has EXITINFO1 bit 32 (final translation), not bit 33 (struct x86_exception has no room for it: FIXME in FNAME(walk_addr_generic))",
		"6.12", "7.3",
	},
	[DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V] = {
		"kvm-svm-vectoring-ignores-exitintinfo-v", KVM_BUG, HARMLESS,
		"svm_check_emulate_instruction() takes EXITINTINFO's type bits for an event in delivery without looking at its V bit; QEMU TCG leaves them set, V clear, after delivering an event (here a #PF KVM injected), and KVM then refuses to emulate a write to a write-tracked guest page table (unprotects and retries it, or, in guest mode, exits with KVM_INTERNAL_ERROR_DELIVERY_EV)",
		"7.3", "6.12",
	},
	[DEFECT_EMULATED_MOV_CR_UPPER_BITS] = {
		"kvm-emulated-mov-cr-upper-bits", KVM_BUG, HARMLESS,
		"KVM's emulated MOV to CR0 or CR4 in 64-bit mode keeps the register's bits 63:32 instead of the source's (emulator_set_cr() -> mk_cr_64()), so a reserved bit there is dropped without #GP",
		"6.12 7.3", "",
	},
	[DEFECT_VMX_SHADOW_SMEP_PAGING_OFF] = {
		"kvm-vmx-shadow-smep-paging-off", KVM_BUG, HANGS_VCPU,
		"with EPT off, vmx_set_cr0() does not redo GUEST_CR4 when CR0.PG changes, so SMEP stays on while the guest's paging is off and its fetches from KVM's user-accessible nonpaging SPTEs fault forever",
		"6.12 7.3", "",
	},
	[DEFECT_QEMU_TCG_PAE_PDPTE_ACCESSED_BIT] = {
		"qemu-tcg-pae-pdpte-accessed-bit", EMULATOR_DEFECT, HARMLESS,
		"QEMU TCG's page walker sets bit 5 (reserved) of PAE PDPTEs, which KVM's load_pdptrs() rejects",
		"6.12 7.3", "",
	},
	[DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS] = {
		"qemu-tcg-npt-pae-pdpte-reserved-bits", EMULATOR_DEFECT, HARMLESS,
		"under nested paging QEMU TCG sets reserved bit 5 of a PAE guest's PDPTEs, which KVM's load_pdptrs() refuses",
		"6.12 7.3", "",
	},
	/*
	 * Bochs 3.0's (Debian 13): fixed by docs/defects/patches/bochs-*.patch
	 * (scripts/build-bochs).  The suite works around them in the runner
	 * (vm/bochs: no PKU, no LA57; the bochs-amd-* configurations are not
	 * in the defaults) and in tlb_shootdown_test (PAUSE), so no test
	 * reports a case of theirs as XFAIL.
	 */
	[DEFECT_QEMU_TCG_SVM_VMEXIT_HOST_CR0] = {
		"qemu-tcg-svm-vmexit-host-cr0", EMULATOR_DEFECT, CRASHES_HOST,
		"QEMU TCG's #VMEXIT loads the host's CR0 before its CR4 (do_vmexit()), so after a guest with EFER.LME=1, CR0.PG=0 and CR4.PAE=0 the host keeps the guest's CR0 and hangs",
		"6.12", "",
	},
	[DEFECT_QEMU_TCG_CR0_UPPER_BITS] = {
		"qemu-tcg-cr0-upper-bits", EMULATOR_DEFECT, HARMLESS,
		"QEMU TCG's MOV to CR0 drops bits 63:32 without #GP (cpu_x86_update_cr0() takes a uint32_t) and without the selective CR0 write intercept (helper_write_crN() masks with a 32-bit ~(TS|MP)), so with NPT KVM never sees the write",
		"6.12 7.3", "",
	},
	[DEFECT_BOCHS_SVM_VMRUN_CR2] = {
		"bochs-svm-vmrun-cr2", EMULATOR_DEFECT, HARMLESS,
		"Bochs's VMRUN does not load CR2 from the VMCB (SvmEnterLoadCheckGuestState(), cpu/svm.cc), so a #PF KVM injects reaches the guest with the host's last fault address in CR2",
		"6.12", "",
	},
	[DEFECT_BOCHS_SVM_EXITINTINFO_STALE_EVENT] = {
		"bochs-svm-exitintinfo-stale-event", EMULATOR_DEFECT, HARMLESS,
		"Bochs's SVM records the event in delivery for EXITINTINFO only for injected events and exceptions, so an intercept during an INTn reports a stale event (often an earlier injected #PF), which KVM re-injects",
		"6.12", "",
	},
	[DEFECT_BOCHS_VMENTRY_INTR_MASKED] = {
		"bochs-vmentry-intr-masked", EMULATOR_DEFECT, HARMLESS,
		"Bochs's VM entry (VMX and SVM) evaluates the interrupt mask before it is in guest mode, so a guest entered with IF=0 takes no external-interrupt VM exit (INTR intercept) until it exits otherwise",
		"6.12", "",
	},
	[DEFECT_BOCHS_PKRU_SUPERVISOR_PAGES] = {
		"bochs-pkru-supervisor-pages", EMULATOR_DEFECT, CRASHES_HOST,
		"Bochs applies PKRU to supervisor-mode pages (handle_pkeys(), set_PKeys()), so the host's stack writes after a VM exit from a guest with PKRU.WD0=1 fault and the machine goes down",
		"6.12", "",
	},
	[DEFECT_BOCHS_CR4_LA57_STATE_LOAD] = {
		"bochs-cr4-la57-state-load", EMULATOR_DEFECT, CRASHES_HOST,
		"Bochs refuses a change of CR4.LA57 at VM entry and exit and at RSM (check_CR4() holds MOV to CR4's rule) and panics: no 5-level guest on a 4-level host, no 5-level host",
		"6.12", "",
	},
	/* Not fixed by a patch of scripts/build-bochs yet: a case reports it as XFAIL. */
	[DEFECT_BOCHS_EPT_AD_WALK_READ_BIT] = {
		"bochs-ept-ad-walk-violation-read-bit", EMULATOR_DEFECT, HARMLESS,
		"with EPT A/D enabled Bochs treats a guest paging-structure access as a write only (translate_guest_physical(), cpu/paging.cc), so its EPT violation has exit qualification bit 1 without bit 0, which the SDM sets both; KVM passes the access bits on to L1's nested EPT violation (6.12; 7.3's walker sets bit 0 for every page-walk access itself and hides it)",
		"6.12", "7.3",
	},
};

static const char *const kind_names[] = {
	[KVM_BUG] = "KNOWN KVM BUG",
	[KVM_DEVIATION] = "KNOWN KVM DEVIATION",
	[KVM_LIMITATION] = "KNOWN KVM LIMITATION",
	[EMULATOR_DEFECT] = "KNOWN EMULATOR DEFECT",
};

/* "NOT RUN, <kind> that <harm> the kernel under test". */
static const char *const harm_names[] = {
	[CRASHES_HOST] = "crashes",
	[WARNS_HOST] = "WARNs in",
	[HANGS_VCPU] = "hangs a vCPU of",
};

static const struct defect *lookup(enum known_defect d)
{
	TEST_ASSERT(d >= 0 && d < NR_KNOWN_DEFECTS && defects[d].doc,
		    "known_defects: no defect %d", d);
	return &defects[d];
}

const char *known_defect(enum known_defect d)
{
	static char reasons[NR_KNOWN_DEFECTS][512];
	const struct defect *k = lookup(d);

	if (!reasons[d][0])
		snprintf(reasons[d], sizeof(reasons[d]), "%s: %s (docs/defects/%s.md)",
			 kind_names[k->kind], k->what, k->doc);
	return reasons[d];
}

/* "6.12.117+deb12-amd64" -> "6.12"; "" when uname fails. */
static const char *kernel_series(void)
{
	static char series[sizeof(((struct utsname *)0)->release)];
	struct utsname u;
	char *dot;

	if (series[0] || uname(&u))
		return series;
	snprintf(series, sizeof(series), "%s", u.release);
	dot = strchr(series, '.');
	if (dot)
		dot = strchr(dot + 1, '.');
	if (dot)
		*dot = '\0';
	series[strcspn(series, "-+")] = '\0';
	return series;
}

static bool series_in(const char *list, const char *series)
{
	size_t n = strlen(series);
	const char *p;

	if (!n)
		return false;
	for (p = strstr(list, series); p; p = strstr(p + 1, series))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

bool known_defect_seen_on_this_kernel(enum known_defect d)
{
	return series_in(lookup(d)->seen_on, kernel_series());
}

const char *known_defect_not_run(enum known_defect d)
{
	static char why[NR_KNOWN_DEFECTS][640];
	const struct defect *k = lookup(d);

	if (k->harm == HARMLESS || getenv("SMMU_HOST_CRASHERS") ||
	    series_in(k->absent_on, kernel_series()))
		return NULL;
	if (!why[d][0])
		snprintf(why[d], sizeof(why[d]),
			 "NOT RUN, %s that %s the kernel under test (%s %s): %s (docs/defects/%s.md); SMMU_HOST_CRASHERS=1 runs it",
			 kind_names[k->kind], harm_names[k->harm],
			 series_in(k->seen_on, kernel_series()) ? "seen on" : "status unknown on",
			 kernel_series(), k->what, k->doc);
	return why[d];
}
