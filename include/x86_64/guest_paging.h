/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guests in every x86 paging mode, any number of guest address spaces per
 * VM, and step tables that a guest-side engine runs in that mode.
 *
 * The upstream framework runs 64-bit guest code from the test's own ELF on
 * one 4-level page table.  Here the vCPU is instead put straight into the
 * wanted mode with KVM_SET_SREGS and runs the step engine (lib/guest32/,
 * built -m32 and -m64) from a memslot of its own (include/x86_64/
 * guest_steps.h has the layout).  Everything the guest touches is in that
 * memslot, so none of the framework's 64-bit page-table helpers
 * (virt_pg_map, addr_gva2gpa, vm_alloc, sync_global_*) apply to it;
 * use the helpers below and paging_vm_hva().
 *
 * Paging-structure levels are numbered as in the SDM's walk: 1 = PTE,
 * 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E.
 *
 * Changing guest paging structures from the host after the guest has run
 * is not like a guest write: KVM's shadow MMU only sees guest writes (it
 * write-protects shadowed tables), so a host write can leave stale shadow
 * entries that no guest TLB flush removes.  Build address spaces before
 * the first paging_vm_run_steps(), and let the guest change them after
 * that (gstep_write_entry(), through guest_as_map_tables()).  Note that
 * guest_as_entry_gpa(), and so gstep_write_entry(), create missing
 * higher-level tables from the host: ask for each entry once before the
 * first run.  Brand-new address spaces and tables are fine at any time.
 */
#ifndef SELFTEST_KVM_GUEST_PAGING_H
#define SELFTEST_KVM_GUEST_PAGING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "kvm_compat.h"
#include "kvm_run.h"
#include "kvm_util.h"
#include "kselftest.h"
#include "ucall_common.h"
#include "guest_steps.h"
#include "gstep_expect.h"
#include "paging_geometry.h"

struct guest_as;
struct paging_vm;
struct paging_vm_priv;

/* Called for each GSTEP_SYNC step while the vCPU is stopped there. */
typedef void (*paging_vm_sync_fn)(struct paging_vm *pvm, uint32_t step, void *arg);

struct paging_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	enum guest_paging_mode mode;
	/* Names the VM in every message; the mode's name unless changed. */
	const char *name;

	/*
	 * Control registers loaded at the first run; adjust them between
	 * paging_vm_create() and then.  Defaults: CR0.WP on, CR4.PSE on in
	 * 2-level paging, EFER.NX on when the vCPU has NX (PAE, IA-32e).
	 */
	uint64_t cr0, cr4, efer;
	/* The address space CR3 points to at the first run. */
	struct guest_as *initial_as;
	/* The vCPU stopped for good (triple fault, stray exit). */
	bool dead;
	/* Steps in the table being built. */
	uint32_t nr_steps;

	paging_vm_sync_fn sync_fn;
	void *sync_arg;

	/* The library's own state (lib/x86_64/guest_paging_int.h). */
	struct paging_vm_priv *priv;
};

struct guest_as {
	struct paging_vm *pvm;
	/* Its tables' format: the VM's mode unless guest_as_create_mode(). */
	enum guest_paging_mode mode;
	uint64_t root;		/* GPA of the top table (PAE: the PDPT) */
};

/* Whether KVM can run this mode here; if not, why (for a skip message). */
bool guest_paging_mode_supported(enum guest_paging_mode mode, const char **why);
/* The vCPUs' MAXPHYADDR (CPUID.80000008H:EAX[7:0]; 36 without that leaf). */
int guest_paging_maxphyaddr(void);

/*
 * A VM with one vCPU that will run the step engine in @mode.  The vCPU
 * enters the mode at the first paging_vm_run_steps(), with CR3 pointing
 * at pvm->initial_as (by default the first address space created).
 */
struct paging_vm *paging_vm_create(enum guest_paging_mode mode);
void paging_vm_free(struct paging_vm *pvm);
/*
 * For a program whose cases each create and free a plain paging VM, one
 * at a time, read the VM's statistics only as differences within a case
 * and run no VMRUN or WRPKRU step: paging_vm_free() keeps the VM and its
 * vCPU, reset as a new one would be (every shadow page zapped, the
 * engine's memslot new: see lib/x86_64/paging_target_vcpu.c), for the
 * next paging_vm_create().  Creating a VM is a good part of such a
 * case's time under emulation.
 */
void paging_vm_reuse_vms(bool on);

/*
 * The same, but the engine runs as L2 of a 64-bit L1 hypervisor, so that
 * the same step tables test KVM's nested MMU: L1 enters the engine in
 * @mode once and leaves it alone.  L1 is an AMD SVM one
 * (lib/x86_64/guest_paging_l2.c), or an Intel VMX one where KVM offers
 * L1 VMX and not SVM (lib/x86_64/guest_paging_vmx.c).  With @tdp, L1
 * runs it with nested TDP, on an NPT or an EPT that maps the engine's
 * memslot at L2 GPA == L1 GPA: KVM then shadows that NPT or EPT, while
 * the CPU walks L2's own tables.  Without, L2 runs on L1's physical
 * memory and KVM shadows L2's tables for it (or, with TDP on in KVM,
 * the CPU walks them).
 *
 * L1 intercepts no exception and no I/O: the engine handles its faults
 * itself and its ucalls reach the host as for a plain guest.  Any
 * exit to L1 (NPF, EPT violation, HLT, shutdown or triple fault) ends
 * the engine: L1 reports it to the host, and paging_vm_run_steps()
 * prints it and counts the steps not run.  GSTEP_VMRUN steps are not
 * supported in L2.
 */
struct paging_vm *paging_vm_create_l2(enum guest_paging_mode mode, bool tdp);
/* Whether L1 can run the engine as L2 here (@tdp: with nested TDP); if not, why. */
bool paging_vm_l2_supported(bool tdp, const char **why);
/*
 * The same for an L2 in paging @mode: a VMX L1 runs L2 with paging off
 * only with "unrestricted guest", which needs EPT.
 */
bool paging_vm_l2_mode_supported(enum guest_paging_mode mode, bool tdp, const char **why);
/* Whether KVM offers L1 nested TDP: NPT to an SVM L1, EPT to a VMX L1. */
bool paging_vm_l2_tdp_offered(void);
/*
 * The @tdp settings to run an engine as L2 with, in order, and how many:
 * with nested TDP where KVM offers it, else without; and a VMX L1 also
 * without it where it is offered.
 */
int paging_vm_l2_tdp_variants(bool tdp[2]);
/*
 * The same under a 32-bit PAE L1 that is itself the step engine
 * (include/x86_64/nested_pae.h), always with nested paging: the L2
 * engine's memslot sits at another L1 GPA, which L1's PAE-format NPT
 * maps at the engine's usual GPAs.  paging_vm_run_steps() appends a
 * GSTEP_VMMCALL step to L2's table and has L1 VMRUN it (or resume it
 * after the last one's VMMCALL), then checks both engines' steps.
 * L1 intercepts VMMCALL, HLT and shutdown only.
 */
struct paging_vm *paging_vm_create_l2_pae(enum guest_paging_mode mode);
bool paging_vm_l2_pae_supported(const char **why);
/* Whether L1 runs the engine as L2 on nested TDP: an NPT, or a VMX L1's EPT. */
bool paging_vm_l2_npt(struct paging_vm *pvm);
/*
 * An engine as L2 on an NPT, where the emulator gap applies
 * (kvm_mmu_config_pdpte_accessed_bit_gap()): a present PAE PDPTE with bit
 * 5 set, or 0.
 * Bit 5 is reserved there and no CPU sets it, but QEMU TCG's walker does
 * under nested paging, and KVM then refuses the PDPTEs
 * (docs/defects/qemu-tcg-npt-pae-pdpte-reserved-bits.md): a PAE L2's own,
 * wherever KVM emulates L2, or a PAE L1's, which L1 clears before each
 * VMRUN, when L1 triple-faulted at the #VMEXIT with it set again
 * (docs/defects/qemu-tcg-pae-pdpte-accessed-bit.md).  The evidence a test
 * prints when it reports a failure as that emulator defect
 * (KVM_MMU_PDPTE_GAP_L2_XFAIL).
 */
uint64_t paging_vm_l2_pdpte_bit5(struct paging_vm *pvm);
/* The same, also looking at the PAE address space @pae_as an L2 switched to. */
uint64_t paging_vm_l2_pdpte_bit5_in(struct paging_vm *pvm, struct guest_as *pae_as);
/*
 * Whether @pvm died of KVM_INTERNAL_ERROR_DELIVERY_EV at an SVM #PF
 * intercept of the operand of the load or store step it was in, every
 * step that ran before having given its expected outcome: KVM refused
 * to emulate that access as if an event were being delivered, when none
 * was (kvm_internal_error_is_svm_pf_delivery_ev(); step operands are
 * never in the engine region, which holds its IDT, GDT, TSS and stacks).
 * The signature of DEFECT_SVM_VECTORING_IGNORES_EXITINTINFO_V, which a
 * test reports as such with the evidence written to @buf.
 */
bool paging_vm_died_of_delivery_ev(struct paging_vm *pvm, char *buf, size_t size);
/*
 * With TDP off (@tdp false), 6.12's KVM BUG()s at an INVLPG by a 2-level
 * or PAE L2 of a 64-bit L1 (docs/defects/kvm-nested-invlpg-prev-root-bug.md).
 * For the engine as such an L2 in @mode (paging_vm_create_l2()), the XFAIL
 * reason why its INVLPG steps must not run, or NULL: also NULL when
 * SMMU_HOST_CRASHERS is set, to run them on a kernel with a fix.
 */
const char *paging_vm_l2_invlpg_crashes_host(enum guest_paging_mode mode, bool tdp);

/* Zeroed guest memory from the data area (align: a power of 2). */
uint64_t paging_vm_alloc(struct paging_vm *pvm, uint64_t size, uint64_t align);
/* Zeroed page from the page-table pool (what guest_as_* use). */
uint64_t paging_vm_alloc_table(struct paging_vm *pvm);
void *paging_vm_hva(struct paging_vm *pvm, uint64_t gpa);
/*
 * The GPA of KVM's VM at which the engine's @gpa is: @gpa itself, or for
 * an engine run as L2 under nested paging, where L1's NPT or EPT maps it
 * (what KVM_TRANSLATE gives for a VA that maps @gpa).
 */
uint64_t paging_vm_vm_gpa(struct paging_vm *pvm, uint64_t gpa);

/* Where paging_vm_tagged_page() puts a RET, for gstep_exec(). */
#define PAGING_EXEC_OFF		0x800
#define PAGING_RET_INSN		0xc3
/*
 * A data page whose first 32-bit word is @tag (what loads compare) and
 * whose byte at PAGING_EXEC_OFF is a RET; the rest zero.
 */
uint64_t paging_vm_tagged_page(struct paging_vm *pvm, uint32_t tag);

/*
 * A new address space; the engine's region is identity mapped in it (4K
 * pages, supervisor, writable; the user-mode stubs and their stack user).
 * guest_as_create_at() puts the top table at @root, which must be zeroed
 * pool memory (PAE: any 32-byte aligned address; else page aligned).
 *
 * The *_mode() variants make an address space in another paging format
 * than the VM's, for a guest that changes modes with gstep_cr0/cr4/efer
 * steps: 2-level and PAE ones for the 32-bit engine, and 4-level ones,
 * which the 32-bit engine runs in compatibility mode (its IDT does not
 * work there: no faulting steps).  A 64-bit VM takes 64-bit modes only.
 */
struct guest_as *guest_as_create(struct paging_vm *pvm);
struct guest_as *guest_as_create_at(struct paging_vm *pvm, uint64_t root);
struct guest_as *guest_as_create_mode(struct paging_vm *pvm, enum guest_paging_mode mode);
struct guest_as *guest_as_create_mode_at(struct paging_vm *pvm, enum guest_paging_mode mode,
					 uint64_t root);
/* The value to load into CR3 to use @as. */
uint64_t guest_as_cr3(struct guest_as *as);

/*
 * GPA of the level-@level entry that translates @va, creating missing
 * higher-level tables on the way (present, writable, user: the leaf
 * decides; PAE PDPTEs: present only).  Asserts if a higher level maps a
 * large page over @va.
 */
uint64_t guest_as_entry_gpa(struct guest_as *as, uint64_t va, int level);
uint64_t guest_as_read_entry(struct guest_as *as, uint64_t va, int level);
void guest_as_write_entry(struct guest_as *as, uint64_t va, int level, uint64_t val);
/*
 * The entries a walk of @va reads, top level first, as the host sees them
 * now: it stops after a not-present entry or one that maps a page (PS=1
 * where the mode, and for 2-level paging CR4.PSE, makes it a leaf), or
 * after one that points outside the page-table pool.
 * Returns how many; the last one is the leaf, or not present.
 */
int guest_as_walk(struct guest_as *as, uint64_t va, uint64_t *entries);
/* Map @va to @gpa with a level-@level entry (PS added above level 1). */
void guest_as_map(struct guest_as *as, uint64_t va, uint64_t gpa, int level, uint64_t flags);
void guest_as_unmap(struct guest_as *as, uint64_t va, int level);
/*
 * Point @dst's level-@level entry for @dst_va at whatever @src's entry for
 * @src_va points to (same flags): the lower tables are then shared.
 */
void guest_as_share(struct guest_as *dst, uint64_t dst_va,
		    struct guest_as *src, uint64_t src_va, int level);
/*
 * Map the whole page-table pool, i.e. every paging structure of every
 * address space of the VM, at @va in @as (4K pages, supervisor, writable),
 * so that the guest can write its own entries.  All address spaces that
 * do so must use the same @va.
 */
void guest_as_map_tables(struct guest_as *as, uint64_t va);
/* The guest VA, in address spaces that map the tables, of a pool GPA. */
uint64_t paging_vm_table_va(struct paging_vm *pvm, uint64_t gpa);

/*
 * Step tables.  Each gstep_*() appends one step and returns its index;
 * paging_vm_run_steps() runs the table in the guest (one VM exit for the
 * whole table, plus one per GSTEP_SYNC), compares every outcome with its
 * expectation, prints each mismatch, and returns their number.  The
 * table is then empty again; the results stay readable until the next
 * step is added.  Guest state (CRs, TLB) carries over between tables.
 */
void gstep_phase(struct paging_vm *pvm, const char *phase);
int gstep_load(struct paging_vm *pvm, uint64_t va, int size, struct gstep_expect e);
int gstep_store(struct paging_vm *pvm, uint64_t va, int size, uint64_t val,
		struct gstep_expect e);
/* Call @va, where the test put a RET (0xc3). */
int gstep_exec(struct paging_vm *pvm, uint64_t va, struct gstep_expect e);
/* The same three accesses made at CPL 3 (U/S=1 in a #PF error code). */
int gstep_load_user(struct paging_vm *pvm, uint64_t va, int size, struct gstep_expect e);
int gstep_store_user(struct paging_vm *pvm, uint64_t va, int size, uint64_t val,
		     struct gstep_expect e);
int gstep_exec_user(struct paging_vm *pvm, uint64_t va, struct gstep_expect e);
int gstep_invlpg(struct paging_vm *pvm, uint64_t va);
int gstep_write_cr3(struct paging_vm *pvm, uint64_t cr3, struct gstep_expect e);
int gstep_switch_as(struct paging_vm *pvm, struct guest_as *as);
/*
 * The same MOV CR3, emulated by KVM (needs kvm_is_forced_emulation_enabled());
 * with @clear_pdpte_bit5 (PAE), the guest first clears bit 5 of the PDPTEs
 * at the new CR3 (emulator_sets_pdpte_bit5(), as gstep_vmrun()'s @pdpt_va).
 * The guest then reads CR3 back: it must be the new one.
 */
int gstep_switch_as_emulated(struct paging_vm *pvm, struct guest_as *as,
			     bool clear_pdpte_bit5);
/* Write the level-@level entry of @as for @va, through the tables' alias. */
int gstep_write_entry(struct paging_vm *pvm, struct guest_as *as, uint64_t va,
		      int level, uint64_t val);
int gstep_cr0(struct paging_vm *pvm, uint64_t set, uint64_t clear);
/* The same write, which must be #GP(0) and leave CR0 as it was. */
int gstep_cr0_gp(struct paging_vm *pvm, uint64_t set, uint64_t clear);
int gstep_cr4(struct paging_vm *pvm, uint64_t set, uint64_t clear);
int gstep_efer(struct paging_vm *pvm, uint64_t set, uint64_t clear);
/* WRPKRU (CR4.PKE must be 1, or #UD); expects RDPKRU to read it back. */
int gstep_wrpkru(struct paging_vm *pvm, uint32_t pkru);
/*
 * OUTSB from / INSB to @va at CPL 0: string I/O, which KVM emulates, so
 * the access to @va is checked by KVM's walk of the guest's tables (its
 * permission_fault()) rather than the CPU's.  INSB stores
 * GSTEP_SINK_IN_BYTE.
 */
int gstep_outsb(struct paging_vm *pvm, uint64_t va, struct gstep_expect e);
int gstep_insb(struct paging_vm *pvm, uint64_t va, struct gstep_expect e);
int gstep_sync(struct paging_vm *pvm);
/*
 * VMRUN the VMCB at @vmcb_gpa (identity mapped in the current address
 * space) after writing @hsave_gpa to VM_HSAVE_PA; the value is the
 * VMCB's EXITCODE after the #VMEXIT.  Needs EFER.SVME (gstep_efer()).
 * @pdpt_va: 0, or (PAE) the VA of the current PDPT, whose present entries
 * get bit 5 cleared right before VMRUN: a workaround for QEMU TCG, which
 * sets that reserved bit (docs/defects/qemu-tcg-pae-pdpte-accessed-bit.md).
 */
int gstep_vmrun(struct paging_vm *pvm, uint64_t vmcb_gpa, uint64_t hsave_gpa,
		uint64_t pdpt_va, struct gstep_expect e);
/* VMMCALL, for an engine running as L2 (see GSTEP_VMMCALL). */
int gstep_vmmcall(struct paging_vm *pvm);

int paging_vm_run_steps(struct paging_vm *pvm);
struct kvm_trace;
/*
 * paging_vm_run_steps() inside a kvmmmu capture of phase @phase when
 * @trace is set (say, with TDP off: shadow pages to look at).  *@t is then
 * the stopped capture, for the test to check and kvm_trace_destroy(), or
 * NULL.  Returns true if every step gave what it expected.
 */
bool paging_vm_run_traced(struct paging_vm *pvm, bool trace, const char *phase,
			  struct kvm_trace **t);
/*
 * The same in @nr phases, @names[0] first: each GSTEP_SYNC step of the
 * table ends a phase and begins the next (the table's own ->sync_fn is
 * not called meanwhile).  @phases[i] gets phase i's number in the
 * capture's model (kvm_trace_phase()), or -1 if it never began.  Traced,
 * true only if every step gave what it expected and the table had
 * exactly @nr - 1 GSTEP_SYNC steps.
 */
bool paging_vm_run_phases_traced(struct paging_vm *pvm, bool trace, const char *const *names,
				 int nr, int *phases, struct kvm_trace **t);
/*
 * The TAP result of the case that @fmt names, for a test whose cases
 * check guest-visible outcomes everywhere and, with TDP off, also
 * KVM's shadow pages through kvmmmu events (paging_vm_run_traced()).
 * @no_trace: with TDP off, why there is no tracing here
 * (kvm_trace_unavailable()), or NULL.  Without tracing only the
 * guest-visible checks ran: a failure fails, a pass is a skip that says
 * why.  Inline: kselftest.h's counters are static, one set per file, and
 * the test's ksft_finished() checks its own against the plan.
 */
#define PAGING_UNTRACED_SKIP_FMT					\
	"%s: guest-visible checks passed, shadow page checks not run: %s\n"

static inline __printf(3, 4)
void paging_report_traced(bool ok, const char *no_trace, const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (ok && no_trace)
		ksft_test_result_skip(PAGING_UNTRACED_SKIP_FMT, name, no_trace);
	else
		ksft_test_result(ok, "%s\n", name);
}

const struct gstep_result *paging_vm_result(struct paging_vm *pvm, int step);

/*
 * Decode the engine's ucall after a KVM_RUN into the framework's struct
 * ucall (UCALL_SYNC, UCALL_DONE, UCALL_ABORT); UCALL_NONE if the exit was
 * not one.  An ABORT can be reported with REPORT_GUEST_ASSERT(*uc).
 */
uint64_t paging_vm_get_ucall(struct paging_vm *pvm, struct ucall *uc);

#endif /* SELFTEST_KVM_GUEST_PAGING_H */
