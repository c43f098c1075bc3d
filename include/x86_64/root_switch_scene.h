/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scene of the root_switch_*_test programs: NR_SPACES address spaces
 * of a guest in 2-level, PAE or 64-bit paging (also as L2 of a 64-bit L1,
 * "<mode>_l2"), each mapping VA_DATA to a page of its own and the pages
 * below to shared frames, run with roots of every address space cached.
 * root_switch_cr3_test switches CR3 among them and rewrites their PTEs;
 * root_switch_role_test toggles role bits between the switches.
 */
#ifndef SELFTEST_KVM_ROOT_SWITCH_SCENE_H
#define SELFTEST_KVM_ROOT_SWITCH_SCENE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_paging.h"
#include "kvm_mmu_config.h"
#include "kvm_trace.h"

#define RS_NR_SPACES	6	/* beyond the 64-bit root cache of 4 */
#define RS_VA_TABLES	0x20000000ull
#define RS_VA_DATA	0x40000000ull
#define RS_VA_RO	(RS_VA_DATA + 0x1000)	/* supervisor, read-only */
#define RS_VA_USER	(RS_VA_DATA + 0x2000)	/* user, read-only */
#define RS_VA_XD	(RS_VA_DATA + 0x3000)	/* supervisor, XD=1 */
#define RS_VA_PSE	0x40400000ull		/* its own PDE in every mode */
#define RS_PSE_SIZE	0x400000ull

/* The first word of data page @i (and of the pages at 0x100 + n). */
#define RS_TAG(i)	(0x5a5a0000u | (i))

struct rs_scene {
	const struct kvm_mmu_config *cfg;
	/* TDP off: why there is no kvmmmu tracing, or NULL. */
	const char *no_trace;
	struct paging_vm *pvm;	/* NULL once freed */
	struct guest_as *as[RS_NR_SPACES];
	/* data[i] is RS_VA_DATA in as[i]; the ones after are for PTE rewrites. */
	uint64_t data[RS_NR_SPACES + 4];
	uint64_t ro, user, xd;
	uint64_t pse_frame;	/* 2-level: the 4 MiB frame RS_VA_PSE's PDE names */
	bool nx;
	/* The engine runs as L2 of a 64-bit L1 (paging_vm_create_l2()). */
	bool l2;
	char name[32];		/* "<mode>" or "<mode>_l2", also after the VM is freed */
};

/*
 * 2-level paging: RS_VA_PSE's PDE has PS=1 and names a 4 MiB frame whose
 * first page doubles as a page table.  With CR4.PSE=1 a read of RS_VA_PSE
 * returns that page's first word, this PTE (accessed already: the CPU's
 * walk must not change the word compared); with PSE=0 it goes through the
 * PTE to data page RS_NR_SPACES + 3's tag.
 */
uint32_t rs_pse_pte(struct rs_scene *s);

/* Step: MOV CR3 to as[@i], and RS_VA_DATA must read RS_TAG(@i). */
void rs_switch_and_check(struct rs_scene *s, int i);

/*
 * Steps: every address space once ("warm-up"); then, after it, three
 * passes round-robin, in reverse, and ping-pong between the first and
 * the last ("switches after warm-up").
 */
void rs_warm_up_steps(struct rs_scene *s);
void rs_switch_steps(struct rs_scene *s);

/*
 * Run the table built so far, with the kvmmmu events of that run captured
 * into @t (if not NULL) under @phase.  Returns the mismatches.
 */
int rs_run_traced(struct rs_scene *s, struct kvm_trace *t, const char *phase);

/*
 * TAP results "<scene>_<what>".  Every result of a root_switch program
 * goes through these: kselftest.h keeps its counters per source file, and
 * rs_main()'s plan and ksft_finished() are here.
 */
void rs_result(struct rs_scene *s, bool ok, const char *what);
void rs_skip(struct rs_scene *s, const char *what, const char *why);
void rs_xfail(struct rs_scene *s, const char *what, const char *why);
/* The failures reported so far. */
unsigned int rs_fail_count(void);

/*
 * "<scene>_<what>": a pass iff !@bad.  A PAE L2 on an NPT under QEMU TCG
 * fails wherever KVM emulates one of its instructions (a MOV to CR0 or
 * CR4: QEMU offers no decode assists): QEMU's walker set reserved bit 5
 * of its PDPTEs and KVM's load_pdptrs() refuses them.  Such a failure is
 * reported as that emulator defect (XFAIL), with the PDPTE.
 */
void rs_report_steps(struct rs_scene *s, int bad, const char *what);

/*
 * "<scene>_<result>", TDP off: @phase of @t created no shadow page (the
 * model printed if it did); else a skip with the reason.
 */
void rs_report_no_creation(struct rs_scene *s, struct kvm_trace *t, const char *phase,
			   const char *result);

/*
 * QEMU 7.2 TCG sets bit 5 (A, reserved in a PAE PDPTE) in the PDPTEs of a
 * PAE guest that it walks under nested paging.  A MOV to CR4 that changes
 * PGE, PSE or SMEP then makes KVM reload the PDPTEs (kvm_set_cr4() ->
 * load_pdptrs(), x86.c; X86_CR4_PDPTR_BITS) and inject #GP.  Those cases
 * are the emulator's there, not KVM's: the skip reason, unless
 * SMMU_EMULATOR_GAPS is set; NULL where they run (the shadow
 * configuration, where KVM walks the guest's tables, and real hardware).
 */
const char *rs_pdpte_accessed_bit_gap(struct rs_scene *s);

/*
 * A program of the scene: its results per mode, and its cases, run on a
 * scene built, with @t the kvmmmu capture (TDP off and tracing there) or
 * NULL.  The cases may free s->pvm (and set it NULL); else it is freed
 * after them.
 */
struct rs_program {
	bool needs_smep_smap;
	int (*nr_results)(enum guest_paging_mode mode);
	void (*run)(struct rs_scene *s, struct kvm_trace *t);
};

/*
 * The whole program: every mode (2-level, PAE, 4-level, 5-level) on the
 * vCPU and then as L2, each a scene of its own, a mode that cannot run
 * here one skip with the reason.
 */
void rs_main(const struct rs_program *p);

#endif /* SELFTEST_KVM_ROOT_SWITCH_SCENE_H */
