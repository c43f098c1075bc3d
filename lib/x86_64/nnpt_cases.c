// SPDX-License-Identifier: GPL-2.0
/*
 * The scene and the harness of the nested_npt_*_test programs: L1's
 * expectations and case loop, the host's scene, run loop and report, and
 * the checks of KVM's shadow NPT from kvmmmu trace events.  See
 * include/x86_64/nnpt_cases.h.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "known_defects.h"
#include "emulator.h"
#include "kvm_mmu_config.h"
#include "kvm_role_btf.h"
#include "kvm_stats.h"
#include "kvm_trace.h"
#include "nested_npt.h"
#include "nnpt_cases.h"
#include "vm_tables.h"

#define NPT_POOL_PAGES	32
#define NR_MMU_PAGES	1024
/*
 * __vm_create() sizes slot 0 for page tables of this many extra pages
 * (2 per 512): about 512 more pages for the NPT pool, the data pages and
 * L1's page tables, on top of the test binary.
 */
#define EXTRA_PAGES	(128 * 1024)
/* Cases of one program, at most. */
#define NNPT_MAX_CASES	16

struct nnpt_args nnpt_args;
struct nnpt_l2_32_scene nnpt_l2_32;
uint64_t nnpt_ident_word = NNPT_IDENT_VAL;
uint64_t nnpt_tlb_flushes;
static struct nnpt_result nnpt_results[NNPT_MAX_CASES];

/* ---- L1 ---- */

struct svm_test_data *nnpt_svm;
struct npt_pool *nnpt_pool;
struct nnpt_result *nnpt_cur;

bool __nnpt_expect(const char *what, uint64_t line, uint64_t seen, uint64_t want)
{
	struct vmcb_control_area *ctl = &nnpt_svm->vmcb->control;

	if (seen == want)
		return true;
	if (!nnpt_cur->failed) {
		nnpt_cur->failed = 1;
		nnpt_cur->what = what;
		nnpt_cur->line = line;
		nnpt_cur->seen = seen;
		nnpt_cur->want = want;
		nnpt_cur->exit_code = vmcb_exit_code(ctl);
		nnpt_cur->info1 = ctl->exit_info_1;
		nnpt_cur->info2 = ctl->exit_info_2;
	}
	return false;
}

bool nnpt_l2_load_expect(uint64_t va, uint64_t want, uint8_t tlb_ctl)
{
	uint64_t exit = nnpt_run(nnpt_svm, nnpt_l2_load, va, 0, tlb_ctl);

	return NNPT_EXPECT("L2 load: #VMEXIT code (VMMCALL after the load)", exit,
			   SVM_EXIT_VMMCALL) &&
	       NNPT_EXPECT("L2 load: value read", nnpt_l2_result(nnpt_svm), want);
}

bool nnpt_l2_store_expect(uint64_t va, uint64_t val, uint8_t tlb_ctl)
{
	uint64_t exit = nnpt_run(nnpt_svm, nnpt_l2_store, va, val, tlb_ctl);

	return NNPT_EXPECT("L2 store: #VMEXIT code (VMMCALL after the store)", exit,
			   SVM_EXIT_VMMCALL);
}

/* The exit L1 just got is #VMEXIT(NPF) at @gpa with @error_code. */
bool nnpt_expect_npf(uint64_t exit, uint64_t gpa, uint64_t error_code)
{
	struct nnpt_npf f = nnpt_npf(nnpt_svm);

	return NNPT_EXPECT("#VMEXIT code (NPF)", exit, SVM_EXIT_NPF) &&
	       NNPT_EXPECT("EXITINFO2 (faulting L2 GPA)", f.gpa, gpa) &&
	       NNPT_EXPECT("EXITINFO1[31:0] (error code: P, W, U, RSV, ID, ...)",
			   f.info1 & NPF_ERROR_CODE, error_code) &&
	       NNPT_EXPECT("EXITINFO1[33:32] (final translation, not a guest page-table walk)",
			   f.info1 & NPF_WHERE, PFERR_GUEST_FINAL_MASK);
}

/*
 * 32-bit L2: every run flushes the ASID.  L2's address spaces in the
 * three modes (and the 64-bit L2's) share ASID 1, whose TLB entries
 * survive world switches (APM 15.16): VMRUN loading another CR3 is no
 * MOV CR3.  NNPT_TAG()'s low 32 bits differ per data page.
 */
bool nnpt_l2_32_load_expect(enum nnpt_l2_32_mode mode, uint32_t addr, uint32_t want)
{
	uint64_t exit = nnpt_run_32(nnpt_svm, &nnpt_l2_32.l2, mode, addr,
				    TLB_CONTROL_FLUSH_ALL_ASID);

	return NNPT_EXPECT("32-bit L2 load: #VMEXIT code (VMMCALL after the load)", exit,
		      SVM_EXIT_VMMCALL) &&
	       NNPT_EXPECT("32-bit L2 load: EAX", (uint32_t)nnpt_l2_result(nnpt_svm), want);
}

static void clear_pdpte_gap(uint64_t *pdpt)
{
	int i;

	for (i = 0; i < 4; i++)
		WRITE_ONCE(pdpt[i], READ_ONCE(pdpt[i]) & ~PDPTE_BIT5);
}

void nnpt_l2_32_clear_pdpte_gap(void)
{
	if (!nnpt_args.pdpte_gap)
		return;
	clear_pdpte_gap((uint64_t *)nnpt_l2_32.l2.pdpt_gva);
	clear_pdpte_gap((uint64_t *)nnpt_l2_32.pdpt_alias_gva);
}

/*
 * The exit L1 just got is #VMEXIT(NPF) for an access of L2's own page
 * walk (EXITINFO1 bit 33) to the page table at @table_gpa, not present,
 * user.  Whether EXITINFO2 has the entry's offset, and whether the access
 * counts as a write (accessed/dirty updates), is left open.
 */
bool nnpt_expect_walk_npf(uint64_t exit, uint64_t table_gpa)
{
	struct nnpt_npf f = nnpt_npf(nnpt_svm);

	return NNPT_EXPECT("#VMEXIT code (NPF)", exit, SVM_EXIT_NPF) &&
	       NNPT_EXPECT("EXITINFO1[33:32] (guest page-table walk, not final translation)",
			   f.info1 & NPF_WHERE, PFERR_GUEST_PAGE_MASK) &&
	       NNPT_EXPECT("EXITINFO2 page (the page table L2's walk reads for the VA)",
			   f.gpa & ~(PAGE_SIZE - 1), table_gpa) &&
	       NNPT_EXPECT("EXITINFO1 P, U, RSV, ID (not present, user)",
			   f.info1 & (PFERR_PRESENT_MASK | PFERR_USER_MASK | PFERR_RSVD_MASK |
				      PFERR_FETCH_MASK), PFERR_USER_MASK);
}

uint64_t nnpt_vcpu_tlb_flushes(void)
{
	GUEST_SYNC(NNPT_SYNC_TLB_FLUSHES);
	return READ_ONCE(nnpt_tlb_flushes);
}

static void l1_guest_code(void)
{
	const struct nnpt_case *c;
	unsigned int i;

	nnpt_svm = (struct svm_test_data *)nnpt_args.svm_gva;
	nnpt_pool = (struct npt_pool *)nnpt_args.pool_gva;
	for (i = 0; i < nnpt_args.nr_cases; i++) {
		c = &nnpt_args.cases[i];
		nnpt_cur = &nnpt_results[i];
		GUEST_SYNC(i);
		if (c->np && !nnpt_args.npt) {
			nnpt_cur->skipped = "KVM offers L1 no nested paging (no NPT in its CPUID)";
			nnpt_cur->ran = 1;
			continue;
		}
		if (c->np || nnpt_args.npt)
			nnpt_svm_setup(nnpt_svm, nnpt_ncr3_a());
		else
			nnpt_svm_setup_no_np(nnpt_svm);
		if (!c->np)
			nnpt_svm->vmcb->control.misc_ctl = 0;
		c->fn(c);
		if (!nnpt_cur->failed) {
			nnpt_cur->exit_code = vmcb_exit_code(&nnpt_svm->vmcb->control);
			nnpt_cur->info1 = nnpt_svm->vmcb->control.exit_info_1;
			nnpt_cur->info2 = nnpt_svm->vmcb->control.exit_info_2;
		}
		nnpt_cur->ran = 1;
	}
	GUEST_DONE();
}

/* ---- host ---- */

/* The program's cases (nnpt_args.cases in L1). */
static const struct nnpt_case *table;
static unsigned int nr_cases;

/* movabs $NNPT_CODE_VAL, %rax; vmmcall; ud2 */
static void write_code(uint8_t *p)
{
	uint64_t val = NNPT_CODE_VAL;

	p[0] = 0x48;
	p[1] = 0xb8;
	memcpy(&p[2], &val, 8);
	p[10] = 0x0f;
	p[11] = 0x01;
	p[12] = 0xd9;
	p[13] = 0x0f;
	p[14] = 0x0b;
}

/* L1 GPA of L1's page table (level 1) that maps @va. */
static uint64_t l1_page_table(struct kvm_vm *vm, uint64_t va)
{
	uint64_t e = *vm_guest_entry(vm, va, 2);

	TEST_ASSERT((e & GP_P) && !(e & GP_PS), "L1's PDE for 0x%lx: 0x%lx", va, e);
	return e & NPT_ADDR_MASK;
}

/*
 * L1's second address space: NNPT_CACHED_VA -> D1 through a page table
 * of its own, which NNPT_CACHED_ALIAS_VA maps in both.
 */
static void make_cached_as(struct kvm_vm *vm)
{
	uint64_t pt;

	nnpt_args.cached_cr3 = vm_new_address_space(vm, 0, NNPT_CACHED_VA, 1, &pt);
	vm_table(vm, pt)[(NNPT_CACHED_VA >> PAGE_SHIFT) & 511] = nnpt_args.data_gpa[1] |
								 GP_P | GP_RW;
	nnpt_args.cached_pt_gpa = pt;
	virt_pg_map(vm, NNPT_CACHED_ALIAS_VA, pt);
}

/* NPT @n: L1 memory at L2 GPA == L1 GPA, and the window. */
static uint64_t make_npt(struct npt_pool *p, struct kvm_vm *vm, int n)
{
	uint64_t ncr3 = npt_new(p);

	npt_map_identity(p, ncr3, vm);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_DATA), nnpt_args.data_gpa[2 * n], NPT_LEVEL_4K,
		NPT_RW);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_STORE), nnpt_args.data_gpa[1], NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_RO), nnpt_args.data_gpa[5], NPT_LEVEL_4K, NPT_RO);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_X), nnpt_args.data_gpa[NNPT_CODE_PAGE],
		NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_NX), nnpt_args.data_gpa[NNPT_CODE_PAGE],
		NPT_LEVEL_4K, NPT_RW | NPT_NX);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_RSVD), nnpt_args.data_gpa[0], NPT_LEVEL_4K, NPT_RW);
	npt_map(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_AD), nnpt_args.data_gpa[0], NPT_LEVEL_4K, NPT_RW);
	*npt_entry(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_RSVD), NPT_LEVEL_4K, false) |= nnpt_args.rsvd_bit;
	if (nnpt_args.gbpages)
		npt_map(p, ncr3, NNPT_GB_GPA, 0, NPT_LEVEL_1G, NPT_RW);
	/* NNPT_PG_ABSENT: its page table exists, its PTE does not. */
	TEST_ASSERT(!npt_get_entry(p, ncr3, NNPT_WIN_PAGE(NNPT_PG_ABSENT), NPT_LEVEL_4K),
		    "window page %d must start unmapped", NNPT_PG_ABSENT);
	return ncr3;
}

/* 32-bit L2: its code and tables, mapping L2_32_VA_* to window pages. */
static void make_l2_32(struct kvm_vm *vm)
{
	int mode;

	nnpt_l2_32_create(vm, &nnpt_l2_32.l2);
	nnpt_l2_32_map(vm, &nnpt_l2_32.l2, NNPT_L2_32_VA_DATA, NNPT_WIN_PAGE(NNPT_PG_DATA));
	nnpt_l2_32_map(vm, &nnpt_l2_32.l2, NNPT_L2_32_VA_ABSENT, NNPT_WIN_PAGE(NNPT_PG_ABSENT));
	nnpt_l2_32_map(vm, &nnpt_l2_32.l2, NNPT_L2_32_VA_STORE, NNPT_WIN_PAGE(NNPT_PG_STORE));
	for (mode = NNPT_L2_32_2LEVEL; mode <= NNPT_L2_32_PAE; mode++) {
		nnpt_l2_32.pt_gpa[mode] = nnpt_l2_32_page_table(vm, &nnpt_l2_32.l2, mode,
								NNPT_L2_32_VA_DATA);
		TEST_ASSERT(nnpt_l2_32.pt_gpa[mode] !=
			    nnpt_l2_32_page_table(vm, &nnpt_l2_32.l2, mode, nnpt_l2_32.l2.code_gpa),
			    "L2 mode %d: the code and NNPT_L2_32_VA_DATA share a page table", mode);
	}
	nnpt_l2_32.pdpt_alias_gpa = nnpt_l2_32_pdpt_alias(vm, &nnpt_l2_32.l2, 3,
							  &nnpt_l2_32.pdpt_alias_gva);
	sync_global_to_guest(vm, nnpt_l2_32);
}

static unsigned int mmio_exits[NNPT_MAX_CASES];

/*
 * L1's IOPM (APM 15.10.1: 12 KiB, one bit per port, set = intercepted):
 * every port but NNPT_EMU_PORT, so that only L2's emulated string I/O there
 * reaches the host.
 */
static uint64_t make_iopm(struct kvm_vm *vm)
{
	const size_t size = 3 * PAGE_SIZE;
	uint64_t gpa = vm_phy_pages_alloc(vm, size / PAGE_SIZE,
					  KVM_GUEST_PAGE_TABLE_MIN_PADDR, 0);
	uint8_t *iopm = addr_gpa2hva(vm, gpa);

	memset(iopm, 0xff, size);
	iopm[NNPT_EMU_PORT / 8] &= ~BIT(NNPT_EMU_PORT % 8);
	return gpa;
}

static const char *tlb_control_name(uint64_t tlb_ctl)
{
	switch (tlb_ctl) {
	case TLB_CONTROL_FLUSH_ALL_ASID:
		return "; owed flush: TLB_CONTROL 1 (all ASIDs)";
	case TLB_CONTROL_FLUSH_ASID:
		return "; owed flush: TLB_CONTROL 3 (this guest's ASID)";
	case TLB_CONTROL_FLUSH_ASID_LOCAL:
		return "; owed flush: TLB_CONTROL 7 (this guest's non-global entries)";
	}
	return "; owed flush: TLB_CONTROL ?";
}

static const char *pdpte_text(uint64_t pdpte)
{
	static char buf[160];

	snprintf(buf, sizeof(buf),
		 "L2's PDPTE 0 0x%lx had reserved bit 5 set at the I/O intercept, so the emulator's fetch took #PF: ",
		 pdpte);
	return buf;
}

/* Each case ends in a ucall within milliseconds, even under TCG. */
#define CASE_TIMEOUT_S	30

static void on_alarm(int sig)
{
}

/*
 * KVM_RUN, interrupted after CASE_TIMEOUT_S (a signal makes KVM_RUN return
 * -EINTR, which the framework's vcpu_run() would retry).  Returns false
 * if it was.
 */
static bool run_vcpu(struct kvm_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(CASE_TIMEOUT_S);
	r = ioctl(vcpu->fd, KVM_RUN, NULL);
	alarm(0);
	if (r < 0 && errno == EINTR)
		return false;
	TEST_ASSERT(!r, "KVM_RUN: %s", strerror(errno));
	return true;
}

/*
 * No access of this test reaches a GPA outside L1's memory: L2's window
 * GPAs are translated by the NPT, or fault.  An MMIO exit means KVM let an
 * access through to a frame that does not exist (e.g. it followed an NPT
 * entry with a reserved address bit).  Count it against the case, complete
 * it (reads return 0) and go on, so the other cases still report.
 */
static void mmio_exit(struct kvm_vcpu *vcpu, unsigned int c)
{
	struct kvm_run *run = vcpu->run;

	if (mmio_exits[c]++ < 4)
		ksft_print_msg("%s: KVM_EXIT_MMIO, %s of %u bytes at GPA 0x%llx\n",
			       table[c].name, run->mmio.is_write ? "write" : "read",
			       run->mmio.len, run->mmio.phys_addr);
	TEST_ASSERT(mmio_exits[c] < 1000, "%s: MMIO exit storm", table[c].name);
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
}

/*
 * L2's emulated OUTSB/INSB on NNPT_EMU_PORT.  L1 announces each one
 * (NNPT_SYNC_EMU); the exit must be that one, once: an OUT of NNPT_EMU_TAG(i), the
 * byte the host put in the data page L2's operand maps to, or an IN,
 * answered with the byte L1 chose.  Anything else on NNPT_EMU_PORT (a second
 * exit, a wrong byte, size or count, an announced exit that never came)
 * fails the case.
 */
static struct {
	bool armed;
	uint64_t dir;
	uint8_t byte;
} emu_want;
static unsigned int emu_exits[NNPT_MAX_CASES], emu_bad[NNPT_MAX_CASES];

/* An announced exit that never came fails case @c. */
static void emu_check_consumed(unsigned int c)
{
	if (!emu_want.armed)
		return;
	emu_want.armed = false;
	emu_bad[c]++;
	ksft_print_msg("%s: L2's emulated %s on port 0x%x never reached the host\n",
		       table[c].name, emu_want.dir == NNPT_EMU_OUT ? "OUTSB" : "INSB",
		       NNPT_EMU_PORT);
}

static void emu_announce(unsigned int c, uint64_t dir, uint64_t arg)
{
	TEST_ASSERT((dir == NNPT_EMU_OUT || dir == NNPT_EMU_IN || dir == NNPT_EMU_NONE) &&
		    arg < 256,
		    "bad NNPT_SYNC_EMU %lu, %lu", dir, arg);
	if (dir == NNPT_EMU_NONE) {
		emu_want.armed = false;
		return;
	}
	emu_check_consumed(c);
	emu_want.armed = true;
	emu_want.dir = dir;
	emu_want.byte = dir == NNPT_EMU_OUT ? NNPT_EMU_TAG(arg) : arg;
}

#define EMU_UNEXPECTED_FMT						\
	"%s: unexpected KVM_EXIT_IO on port 0x%x: %s, %u x %u bytes, first 0x%02x\n"
#define EMU_OUTSB_BYTE_FMT						\
	"%s: L2's emulated OUTSB gave the host 0x%02x, the page its operand maps to has 0x%02x\n"

#define SREGS2_XLATE_FMT						\
	"%s: KVM_TRANSLATE of L2's RIP 0x%llx before KVM_SET_SREGS2 of its own state: 0x%llx (valid %u), after: 0x%llx (valid %u)\n"

/*
 * A VMM writing back the state of a vCPU stopped in L2 (KVM_GET_SREGS2,
 * then KVM_SET_SREGS2, with the PDPTEs of a PAE L2) changes none of L2's
 * translations: KVM_TRANSLATE of L2's RIP gives the same GPA before and
 * after.  KVM puts those PDPTEs in vcpu->arch.walk_mmu, L2's nested_mmu
 * with nested paging (kvm_vcpu_ioctl_x86_set_sregs2(), regs.c on 6.12
 * and 7.3), through which KVM_TRANSLATE walks.
 */
static void set_sregs2_in_l2(struct kvm_vcpu *vcpu, unsigned int c)
{
	struct kvm_translation before = {}, after = {};
	struct kvm_sregs2 s2;
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	before.linear_address = regs.rip;
	after.linear_address = regs.rip;
	vcpu_ioctl(vcpu, KVM_TRANSLATE, &before);
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	vcpu_ioctl(vcpu, KVM_SET_SREGS2, &s2);
	vcpu_ioctl(vcpu, KVM_TRANSLATE, &after);
	if (before.physical_address == after.physical_address && before.valid == after.valid)
		return;
	emu_bad[c]++;
	ksft_print_msg(SREGS2_XLATE_FMT, table[c].name, before.linear_address,
		       before.physical_address, before.valid, after.physical_address,
		       after.valid);
}

static void emu_exit(struct kvm_vcpu *vcpu, unsigned int c)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	bool want = emu_want.armed && emu_want.dir == (out ? NNPT_EMU_OUT : NNPT_EMU_IN);

	emu_exits[c]++;
	TEST_ASSERT(emu_exits[c] < 1000, "%s: I/O exit storm on port 0x%x", table[c].name,
		    NNPT_EMU_PORT);
	emu_want.armed = false;
	if (!want || run->io.size != 1 || run->io.count != 1) {
		emu_bad[c]++;
		ksft_print_msg(EMU_UNEXPECTED_FMT,
			       table[c].name, NNPT_EMU_PORT, out ? "out" : "in", run->io.count,
			       run->io.size, out ? data[0] : 0);
		if (!out)
			memset(data, 0, run->io.size * run->io.count);
		return;
	}
	if (!out) {
		data[0] = emu_want.byte;
	} else if (data[0] != emu_want.byte) {
		emu_bad[c]++;
		ksft_print_msg(EMU_OUTSB_BYTE_FMT, table[c].name, data[0], emu_want.byte);
	}
	if (out && table[c].set_sregs2)
		set_sregs2_in_l2(vcpu, c);
}

/* ---- host: introspection of the shadow NPT ---- */

static struct kvm_mmu_config cfg;
static struct kvm_trace *trace;
static char phase_names[NNPT_MAX_CASES + 1][KVM_MMU_PHASE_NAME_LEN];
#define MAX_PAGES	512

static void phase(const char *name)
{
	if (!trace)
		return;
	if (kvm_trace_phase(trace) >= 0)
		kvm_trace_stop(trace);
	if (name)
		kvm_trace_start(trace, name);
}

static int role(uint32_t word, const char *field)
{
	return kvm_role_get(&kvm_trace_model(trace)->layout, word, field);
}

static size_t npt_pages(struct kvm_mmu_page_summary *pages)
{
	size_t n, total;

	n = kvm_mmu_model_pages(kvm_trace_model(trace), pages, MAX_PAGES, &total);
	TEST_ASSERT(n == total, "more than %d shadow pages", MAX_PAGES);
	return n;
}

static bool is_npt_page(uint32_t word)
{
	return role(word, "guest_mode") == 1 && !role(word, "direct");
}

/*
 * The root of a shadow NPT has role.passthrough iff it is a level-5 root
 * over a 4-level NPT (kvm_init_shadow_npt_mmu(): root_role.level is the
 * TDP level, the NPT's is L1's, npt_pool.levels).
 */
static bool root_passthrough(const struct npt_pool *p)
{
	return cfg.host_paging_levels == 5 && p->levels == 4;
}

#define NPT_ROLE_FMT							\
	"shadow NPT page gfn 0x%lx role 0x%x: level %d, has_4_byte_gpte %d, passthrough %d; expected 8-byte gptes, level 1..%d, passthrough only at level 5 over a 4-level NPT (this one: %d-level)\n"
#define NPT_PAGES_FMT							\
	"shadow NPT pages (guest_mode=1, direct=0): %zu; by level 5..1: %zu %zu %zu %zu %zu; passthrough: %zu\n"

/*
 * Every shadow page of L1's NPT has guest_mode=1 and 8-byte gptes, a level
 * from 1 up to the root's, KVM's TDP level (the host's paging depth on
 * AMD), and passthrough only at the root (root_passthrough()).
 */
static bool check_roles(struct kvm_mmu_page_summary *pages, size_t n, const struct npt_pool *p)
{
	int tdp_level = cfg.host_paging_levels;
	size_t i, npt = 0, by_level[6] = { 0 }, passthrough_pages = 0;
	bool ok = true;

	for (i = 0; i < n; i++) {
		uint32_t w = pages[i].role;
		int level = role(w, "level");
		bool passthrough = role(w, "passthrough") == 1;

		if (!is_npt_page(w))
			continue;
		npt++;
		by_level[level >= 1 && level <= 5 ? level : 0]++;
		passthrough_pages += passthrough;
		if (role(w, "has_4_byte_gpte") ||
		    level < 1 || level > tdp_level ||
		    passthrough != (level == tdp_level && root_passthrough(p))) {
			ksft_print_msg(NPT_ROLE_FMT,
				       pages[i].gfn, w, level, role(w, "has_4_byte_gpte"),
				       passthrough, tdp_level, p->levels);
			ok = false;
		}
	}
	ksft_print_msg(NPT_PAGES_FMT,
		       npt, by_level[5], by_level[4], by_level[3], by_level[2], by_level[1],
		       passthrough_pages);
	if (!npt) {
		ksft_print_msg("no shadow page with guest_mode=1 and direct=0 was traced\n");
		ok = false;
	}
	return ok;
}

static bool has_page(struct kvm_mmu_page_summary *pages, size_t n, uint64_t gfn,
		     int level, int passthrough)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint32_t w = pages[i].role;

		if (is_npt_page(w) && pages[i].gfn == gfn && role(w, "level") == level &&
		    role(w, "passthrough") == passthrough)
			return true;
	}
	return false;
}

#define NPT_ROOT_PAGE_FMT						\
	"NPT %d (nCR3 0x%lx, %d-level): no level-%d root shadow page%s for its gfn\n"
#define NPT_TABLE_PAGE_FMT						\
	"NPT %d: no level-%d shadow page (passthrough=0) for L1's table at gfn 0x%lx\n"

/*
 * Each NPT's root is a shadow page for nCR3's gfn at KVM's TDP level
 * (kvm_mmu_get_tdp_level(): 5 iff the host runs LA57, svm.c
 * get_npt_level()), passthrough over a 4-level NPT on a 5-level host
 * (root_passthrough()), and below the root, at each level, L1's table of
 * that level on the way to the window has its shadow page (FNAME(fetch),
 * paging_tmpl.h): the passthrough root's child is the page of nCR3's
 * table itself, and a 4-level root over a 5-level NPT skips L1's level-4
 * table (see the top of this file).
 */
static bool check_tables(struct kvm_mmu_page_summary *pages, size_t n, struct npt_pool *p)
{
	int tdp_level = cfg.host_paging_levels;
	bool passthrough = root_passthrough(p);
	bool ok = true;
	int i, level;

	for (i = 0; i < NNPT_NR_SWITCH_NPTS; i++) {
		uint64_t ncr3 = nnpt_args.ncr3[i];

		if (!has_page(pages, n, ncr3 >> PAGE_SHIFT, tdp_level, passthrough)) {
			ksft_print_msg(NPT_ROOT_PAGE_FMT,
				       i, ncr3, p->levels, tdp_level,
				       passthrough ? " with passthrough=1" : "");
			ok = false;
		}
		for (level = tdp_level - 1; level >= NPT_LEVEL_4K; level--) {
			uint64_t table = ncr3;

			if (level < p->levels)
				table = *npt_entry(p, ncr3, NNPT_WIN_GPA, level + 1, false);
			table = (table & NPT_ADDR_MASK) >> PAGE_SHIFT;
			if (!has_page(pages, n, table, level, 0)) {
				ksft_print_msg(NPT_TABLE_PAGE_FMT, i, level, table);
				ok = false;
			}
		}
	}
	return ok;
}

/*
 * After the warm-up, nCR3 switches among 3 NPTs find, create and zap no
 * shadow NPT page: every VMRUN's kvm_mmu_new_pgd() (6.12 and 7.3
 * kvm_init_shadow_npt_mmu()) keeps the current root or takes a cached
 * one (fast_pgd_switch(), mmu.c), also for a VMRUN with the same nCR3;
 * a root found by hash (kvm_mmu_get_page, created 0) means the cache
 * lost it.
 */
static bool check_no_rebuild(int ph)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	size_t i, created = 0, found = 0, zapped = 0;

	for (i = 0; i < m->nr_events; i++) {
		struct kvm_mmu_event *e = &m->events[i];

		if (e->phase != ph || !is_npt_page(e->role))
			continue;
		created += e->type == KVM_MMU_GET_PAGE && e->created;
		found += e->type == KVM_MMU_GET_PAGE && !e->created;
		zapped += e->type == KVM_MMU_PREPARE_ZAP_PAGE;
	}
	ksft_print_msg("nCR3 switches after warm-up: %zu NPT pages found, %zu made, %zu zapped\n",
		       found, created, zapped);
	return !found && !created && !zapped;
}

#define L2_ROOT_MISSING_FMT						\
	"L2 without nested paging: no level-%d %s root with guest_mode=1 created%s\n"

/*
 * L2 without nested paging never shares L1's roots: the root role has
 * guest_mode = is_guest_mode() (kvm_calc_cpu_role(); for TDP
 * kvm_calc_tdp_mmu_root_page_role(), mmu.c).  With TDP, L2 gets a direct
 * root at the TDP level; with shadow paging, a root for L2's CR3 (here
 * L1's page tables) at L2's paging depth, which is L1's, as L2 runs on
 * L1's CR4 (generic_svm_setup() copies it): role.base.level is 5 iff
 * CR4.LA57 (kvm_calc_cpu_role()).
 */
static bool check_l2_root(struct kvm_vm *vm)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	/*
	 * Created by then: an earlier case may have run L2 without nested
	 * paging first (vmrun_np_enable_without_npt_refused_or_ignored, when KVM
	 * ignores NP_ENABLE), whose root this case then reuses.
	 */
	int ph = kvm_mmu_model_phase(m, "l2_without_nested_paging");
	int level = cfg.tdp ? cfg.host_paging_levels : vm_mmu_levels(vm);
	size_t i, found = 0;

	for (i = 0; ph >= 0 && i < m->nr_events; i++) {
		struct kvm_mmu_event *e = &m->events[i];

		if (e->phase > ph || e->type != KVM_MMU_GET_PAGE || !e->created ||
		    role(e->role, "guest_mode") != 1 || role(e->role, "level") != level ||
		    role(e->role, "direct") != cfg.tdp)
			continue;
		if (!cfg.tdp && e->gfn != vm_mmu_pgd(vm) >> PAGE_SHIFT)
			continue;
		found++;
	}
	if (!found)
		ksft_print_msg(L2_ROOT_MISSING_FMT,
			       level, cfg.tdp ? "direct" : "shadow",
			       cfg.tdp ? "" : " for L1's CR3");
	return found;
}

#define L1_ROOT_LOOKUPS_FMT						\
	"%zu lookups of L1's root (gfn 0x%lx) after the warm-up: a #VMEXIT from the PAE L2 did not find it in the cache\n"

/*
 * A PAE L2 without nested paging shares root_mmu with L1: its VMRUN puts
 * L1's root in prev_roots and L2 runs on KVM's PAE root, which has no
 * shadow page; at #VMEXIT fast_pgd_switch() frees that root alone and
 * cached_root_find_without_current() takes L1's back (6.12 and 7.3
 * mmu.c): no kvm_mmu_get_page for L1's root gfn after the warm-up.  The
 * same when L2's own MOV CR3 loaded other PDPTEs: load_pdptrs() frees
 * the current root only.
 */
static bool check_l1_root_cached(struct kvm_vm *vm)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	int ph = kvm_mmu_model_phase(m, "pae_l2_round_trips_after_warmup");
	uint64_t gfn = vm_mmu_pgd(vm) >> PAGE_SHIFT;
	size_t n;

	if (ph < 0) {
		ksft_print_msg("no NNPT_SYNC_PAE_L2_WARM: no case ran the round trips\n");
		return false;
	}
	n = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = ph, .type = KVM_MMU_GET_PAGE,
						 .gfn = gfn));
	if (n)
		ksft_print_msg(L1_ROOT_LOOKUPS_FMT, n, gfn);
	return !n;
}

#define CACHED_ROOT_FMT							\
	"L1's cached root 0x%lx, page table 0x%lx: %zu unsync; in the round trip to L2 %zu syncs of it (expected 0); at L1's MOV CR3 back %zu lookups of the root (expected 0), %zu syncs (expected 1 or more)\n"

/*
 * A nested transition syncs the current roots only: 6.12 and 7.3's
 * nested_svm_transition_tlb_flush() (svm/nested.c) requests
 * KVM_REQ_MMU_SYNC (kvm_mmu_sync_roots()) and KVM_REQ_TLB_FLUSH_CURRENT,
 * not KVM_REQ_TLB_FLUSH_GUEST, whose kvm_vcpu_flush_tlb_guest() (x86.c)
 * with TDP off also frees every unsync root of prev_roots
 * (kvm_mmu_sync_prev_roots(), mmu.c).  So the root that L1 left with an
 * unsync page table stays cached through the round trip to L2: L1's MOV
 * CR3 back takes it from the cache (no kvm_mmu_get_page of its gfn) and
 * syncs the page table (kvm_invalidate_pcid(): KVM_REQ_MMU_SYNC), which
 * shows that it was unsync all along.
 */
static bool check_cached_root_kept(void)
{
	struct kvm_mmu_model *m = kvm_trace_model(trace);
	int trip = kvm_mmu_model_phase(m, "round_trip_with_cached_root_unsync");
	int back = kvm_mmu_model_phase(m, "back_on_cached_root");
	uint64_t pt = nnpt_args.cached_pt_gpa >> PAGE_SHIFT;
	uint64_t root = nnpt_args.cached_cr3 >> PAGE_SHIFT;
	size_t unsynced, in_trip, lookups, at_back;

	if (trip < 0 || back < 0) {
		ksft_print_msg("no NNPT_SYNC_CACHED_UNSYNC and _BACK: no case ran them\n");
		return false;
	}
	unsynced = kvm_mmu_model_count(m, KVM_MMU_QUERY(.type = KVM_MMU_UNSYNC_PAGE, .gfn = pt));
	in_trip = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = trip, .type = KVM_MMU_SYNC_PAGE,
						       .gfn = pt));
	lookups = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = back, .type = KVM_MMU_GET_PAGE,
						       .gfn = root));
	at_back = kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = back, .type = KVM_MMU_SYNC_PAGE,
						       .gfn = pt));
	if (!unsynced || in_trip || lookups || !at_back)
		ksft_print_msg(CACHED_ROOT_FMT, nnpt_args.cached_cr3, nnpt_args.cached_pt_gpa,
			       unsynced, in_trip, lookups, at_back);
	return unsynced && !in_trip && !lookups && at_back;
}

/* Shadow NPT pages still live after the VM is gone. */
static size_t live_npt_pages(void)
{
	struct kvm_mmu_page_summary pages[MAX_PAGES];
	size_t i, n, live = 0;

	n = npt_pages(pages);
	for (i = 0; i < n; i++)
		live += is_npt_page(pages[i].role) && pages[i].live;
	return live;
}

#define NPT_LAYOUT_FMT							\
	"%d-level NPTs at nCR3 0x%lx 0x%lx 0x%lx (%u pool pages); L2 GPA window 0x%llx, hole 0x%llx\n"

/* The VM, L1's arguments, the window, L2's 32-bit tables and the NPTs. */
static struct kvm_vm *setup_vm(struct kvm_vcpu **vcpu_out, struct npt_pool **pool_out)
{
	struct kvm_vcpu *vcpu;
	struct npt_pool *p;
	gva_t svm_gva, pool_gva;
	struct kvm_vm *vm;
	unsigned int i;

	vm = __vm_create_with_one_vcpu(&vcpu, EXTRA_PAGES + VM_SLOT0_ROOM_PAGES, l1_guest_code);
	/*
	 * KVM's default limit for a VM this size is 64 shadow pages
	 * (kvm_arch_commit_memory_region(), KVM_MIN_ALLOC_MMU_PAGES, x86.c);
	 * past it make_mmu_pages_available() zaps pages, which would make the
	 * zap and reuse counts depend on how many pages the other cases used.
	 */
	vm_ioctl(vm, KVM_SET_NR_MMU_PAGES, (void *)NR_MMU_PAGES);
	vcpu_alloc_svm(vm, &svm_gva);
	p = npt_pool_create(vm, NPT_POOL_PAGES, &pool_gva);
	nnpt_args.svm_gva = svm_gva;
	nnpt_args.pool_gva = pool_gva;
	for (i = 0; i < NNPT_NR_DATA; i++) {
		nnpt_args.data_gva[i] = vm_alloc_page(vm);
		nnpt_args.data_gpa[i] = addr_gva2gpa(vm, nnpt_args.data_gva[i]);
		*(uint64_t *)addr_gva2hva(vm, nnpt_args.data_gva[i]) = NNPT_TAG(i);
		if (i != NNPT_CODE_PAGE)
			*(uint8_t *)addr_gva2hva(vm, nnpt_args.data_gva[i] + NNPT_OFF_OUTS) =
				NNPT_EMU_TAG(i);
	}
	nnpt_args.iopm_gpa = make_iopm(vm);
	nnpt_args.pdpte_gap = emulator_sets_pdpte_bit5(cfg.tdp);
	write_code(addr_gva2hva(vm, nnpt_args.data_gva[NNPT_CODE_PAGE]));
	/* Bits MAXPHYADDR..51 of NPT entries are reserved (APM 5.3.1, 15.25.5). */
	if (vm->pa_bits < 52)
		nnpt_args.rsvd_bit = 1ULL << vm->pa_bits;
	nnpt_args.gbpages = kvm_cpu_has(X86_FEATURE_GBPAGES);
	if (vm->pa_bits < 52)
		nnpt_args.illegal_gpa = 1ULL << vm->pa_bits;
	TEST_ASSERT(!*vm_guest_entry(vm, NNPT_WIN_VA, 4),
		    "the framework uses PML4E 1, where the window goes");
	for (i = 0; i < NNPT_NR_WIN_PAGES; i++)
		virt_pg_map(vm, NNPT_VA(i), NNPT_WIN_PAGE(i));
	virt_pg_map(vm, NNPT_HOLE_VA, NNPT_HOLE_GPA);
	virt_pg_map(vm, NNPT_GB_VA, NNPT_GB_GPA + nnpt_args.data_gpa[0]);
	nnpt_args.l1_pt_gpa = l1_page_table(vm, NNPT_WIN_VA);
	make_l2_32(vm);
	make_cached_as(vm);

	for (i = 0; i < NNPT_NR_NPTS; i++)
		nnpt_args.ncr3[i] = make_npt(p, vm, i == NNPT_WALK ? 0 : i);
	/* NNPT_WALK: the 2 MiB around L1's window page table in 4K pages, without it. */
	npt_split(p, nnpt_args.ncr3[NNPT_WALK], nnpt_args.l1_pt_gpa, NPT_LEVEL_2M);
	npt_set_entry(p, nnpt_args.ncr3[NNPT_WALK], nnpt_args.l1_pt_gpa, NPT_LEVEL_4K, 0);
	/* A copy of A's window page table, with NNPT_PG_DATA -> D3. */
	nnpt_args.alt_pt_gpa = npt_new(p);
	memcpy(npt_table(p, nnpt_args.alt_pt_gpa),
	       npt_table(p, npt_get_entry(p, nnpt_args.ncr3[0], NNPT_WIN_GPA, NPT_LEVEL_2M) &
			 NPT_ADDR_MASK),
	       PAGE_SIZE);
	npt_table(p, nnpt_args.alt_pt_gpa)[0] = nnpt_args.data_gpa[3] | NPT_RW;
	ksft_print_msg(NPT_LAYOUT_FMT,
		       p->levels, nnpt_args.ncr3[0], nnpt_args.ncr3[1], nnpt_args.ncr3[2],
		       p->nr_used,
		       NNPT_WIN_GPA, NNPT_HOLE_GPA);
	nnpt_args.cases = table;
	nnpt_args.nr_cases = nr_cases;
	sync_global_to_guest(vm, nnpt_args);
	*vcpu_out = vcpu;
	*pool_out = p;
	return vm;
}

/* NNPT_SYNC_TLB_FLUSHES: the vCPU's tlb_flush stat, for L1 to read. */
static void store_tlb_flushes(struct kvm_vcpu *vcpu)
{
	nnpt_tlb_flushes = vcpu_stat_get(vcpu, "tlb_flush");
	sync_global_to_guest(vcpu->vm, nnpt_tlb_flushes);
}

/* The kvmmmu phase that L1's GUEST_SYNC(@code) begins, or NULL. */
static const char *sync_phase(uint64_t code)
{
	switch (code) {
	case NNPT_SYNC_NCR3_WARM:
		return "ncr3_switch_after_warmup";
	case NNPT_SYNC_PAE_L2_WARM:
		return "pae_l2_round_trips_after_warmup";
	case NNPT_SYNC_CACHED_UNSYNC:
		return "round_trip_with_cached_root_unsync";
	case NNPT_SYNC_CACHED_BACK:
		return "back_on_cached_root";
	}
	return NULL;
}

#define CASE_HUNG_FMT							\
	"%s: no exit to the host for %d s: KVM keeps L1 or L2 in a loop (e.g. a fault it never resolves)\n"

/*
 * Run L1 through every case, serving its syncs, L2's emulated I/O and
 * stray MMIO; false if a case hung, with *@cur_case the one that did.
 */
static bool run_cases(struct kvm_vcpu *vcpu, unsigned int *cur_case_out)
{
	unsigned int cur_case = 0;
	bool done = false, hung = false;
	struct ucall uc;

	while (!done) {
		if (!run_vcpu(vcpu)) {
			hung = true;
			ksft_print_msg(CASE_HUNG_FMT, table[cur_case].name, CASE_TIMEOUT_S);
			break;
		}
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			mmio_exit(vcpu, cur_case);
			continue;
		}
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		if (vcpu->run->io.port == NNPT_EMU_PORT) {
			emu_exit(vcpu, cur_case);
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (sync_phase(uc.args[1])) {
				phase(sync_phase(uc.args[1]));
				break;
			}
			if (uc.args[1] == NNPT_SYNC_EMU) {
				emu_announce(cur_case, uc.args[2], uc.args[3]);
				break;
			}
			if (uc.args[1] == NNPT_SYNC_TLB_FLUSHES) {
				store_tlb_flushes(vcpu);
				break;
			}
			/* The last case's announced I/O, if it never came. */
			emu_check_consumed(cur_case);
			TEST_ASSERT(uc.args[1] < nr_cases, "unexpected sync %lu", uc.args[1]);
			cur_case = uc.args[1];
			snprintf(phase_names[uc.args[1]], sizeof(phase_names[0]), "%.*s",
				 (int)sizeof(phase_names[0]) - 1, table[uc.args[1]].name);
			phase(phase_names[uc.args[1]]);
			break;
		case UCALL_DONE:
			emu_check_consumed(cur_case);
			done = true;
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected ucall %lu", uc.cmd);
		}
	}
	phase(NULL);
	*cur_case_out = cur_case;
	return !hung;
}

#define REPORT_MMIO_FMT							\
	"%s: %u KVM_EXIT_MMIO: an L1 or L2 access reached a GPA without memory\n"
#define REPORT_EMU_FMT							\
	"%s: %u KVM_EXIT_IO on port 0x%x (L2's I/O, emulated or not), %u not as L1 announced\n"
#define REPORT_FAILED_FMT						\
	"%s: %s (line %lu): expected 0x%lx, seen 0x%lx; last #VMEXIT: code 0x%lx, EXITINFO1 0x%lx, EXITINFO2 0x%lx%s (%s)\n"
#define REPORT_OWED_FLUSH_FMT						\
	"%s: without the flush L1 owed, L2 used the old entry %lu times, the new one %lu times (both allowed)\n"
#define REPORT_EMULATED_NPF_FMT						\
	"%s: emulated NPF: EXITINFO1 0x%lx, EXITINFO2 0x%lx (the APM's: 0x%lx)\n"

/* Each case's TAP result, and what L1 and the host saw of it. */
static void report_cases(bool hung, unsigned int cur_case)
{
	const char *gap = known_defect(DEFECT_QEMU_TCG_NPT_PAE_PDPTE_RESERVED_BITS);
	unsigned int i;

	for (i = 0; i < nr_cases; i++) {
		struct nnpt_result *r = &nnpt_results[i];
		bool ok = r->ran && !r->failed && !mmio_exits[i] && !emu_bad[i];

		if (mmio_exits[i])
			ksft_print_msg(REPORT_MMIO_FMT, table[i].name, mmio_exits[i]);
		if (emu_exits[i] || emu_bad[i])
			ksft_print_msg(REPORT_EMU_FMT,
				       table[i].name, emu_exits[i], NNPT_EMU_PORT, emu_bad[i]);
		if (r->failed)
			ksft_print_msg(REPORT_FAILED_FMT,
				       table[i].name, r->what, r->line, r->want,
				       r->seen, r->exit_code, r->info1, r->info2,
				       r->flush ? tlb_control_name(r->flush) : "",
				       kvm_mmu_config_name(&cfg));
		if (r->stale + r->fresh)
			ksft_print_msg(REPORT_OWED_FLUSH_FMT, table[i].name, r->stale, r->fresh);
		if (ok && r->xfail && r->seen != r->want)
			ksft_print_msg(REPORT_EMULATED_NPF_FMT,
				       table[i].name, r->xfail_info1, r->seen, r->want);
		else if (ok && r->xfail)
			ksft_print_msg("%s: emulated NPF: EXITINFO1 0x%lx, EXITINFO2 0x%lx\n",
				       table[i].name, r->xfail_info1, r->seen);
		if (r->unchecked)
			ksft_print_msg("%s: not checked: %s\n", table[i].name, r->unchecked);
		else if (r->ran && r->exit_code == SVM_EXIT_NPF)
			ksft_print_msg("%s: last #VMEXIT NPF, EXITINFO1 0x%lx, EXITINFO2 0x%lx\n",
				       table[i].name, r->info1, r->info2);
		if (hung && i > cur_case)
			ksft_test_result_skip("%s: not run, %s hung\n", table[i].name,
					      table[cur_case].name);
		else if (ok && r->skipped)
			ksft_test_result_skip("%s: %s\n", table[i].name, r->skipped);
		else if (ok && (r->xfail || r->emulator_gap))
			ksft_test_result_xfail("%s_%s: %s%s%s%s\n", table[i].name,
					       kvm_mmu_config_name(&cfg),
					       r->xfail ? known_defect(r->xfail - 1) : "",
					       r->xfail && r->emulator_gap ? "; " : "",
					       r->emulator_gap ? pdpte_text(r->gap_pdpte) : "",
					       r->emulator_gap ? gap : "");
		else
			ksft_test_result(ok, "%s_%s\n", table[i].name,
					 kvm_mmu_config_name(&cfg));
	}
}

/* The names of the NNPT_CHECK_* results, bit by bit. */
static const char *const check_names[] = {
	"l2_without_np_gets_a_guest_mode_root",
	"shadow_npt_page_roles",
	"shadow_npt_root_and_tables_per_ncr3",
	"ncr3_switch_after_warmup_finds_creates_and_zaps_nothing",
	"teardown_zaps_every_shadow_npt_page",
	"vmexit_from_pae_l2_takes_l1_root_from_cache",
	"l2_round_trip_keeps_l1_unsync_cached_root",
};

/* SKIP, with @why, every check of @checks from bit @from on. */
static void skip_checks(unsigned int checks, unsigned int from, const char *why)
{
	unsigned int i;

	for (i = from; i < ARRAY_SIZE(check_names); i++)
		if (checks & BIT(i))
			ksft_test_result_skip("%s: %s\n", check_names[i], why);
}

static void check_result(bool ok, unsigned int bit)
{
	ksft_test_result(ok, "%s_%s\n", check_names[bit], kvm_mmu_config_name(&cfg));
}

/*
 * The results of the shadow NPT's introspection, those of @checks; frees
 * the VM (its teardown is one of them).
 */
static void report_checks(struct kvm_vm *vm, struct npt_pool *p, unsigned int checks,
			  bool hung, const char *no_trace)
{
	struct kvm_mmu_page_summary pages[MAX_PAGES];
	size_t n = 0;

	if (hung)
		no_trace = "a case hung";
	if (!trace || hung) {
		skip_checks(checks, 0, no_trace);
		kvm_vm_free(vm);
		return;
	}
	if (checks & NNPT_CHECK_L2_ROOT)
		check_result(check_l2_root(vm), 0);
	if ((checks & NNPT_CHECK_L1_ROOT_CACHED) && cfg.tdp)
		skip_checks(NNPT_CHECK_L1_ROOT_CACHED, 5,
			    "TDP is on: L1's and L2's roots are TDP roots, no PAE root");
	else if (checks & NNPT_CHECK_L1_ROOT_CACHED)
		check_result(check_l1_root_cached(vm), 5);
	if ((checks & NNPT_CHECK_CACHED_ROOT_KEPT) && cfg.tdp)
		skip_checks(NNPT_CHECK_CACHED_ROOT_KEPT, 6,
			    "TDP is on: L1's page tables have no shadow pages");
	else if (checks & NNPT_CHECK_CACHED_ROOT_KEPT)
		check_result(check_cached_root_kept(), 6);
	checks &= ~(NNPT_CHECK_L1_ROOT_CACHED | NNPT_CHECK_CACHED_ROOT_KEPT);
	if (!nnpt_args.npt) {
		skip_checks(checks, 1, "KVM offers L1 no nested paging");
		kvm_vm_free(vm);
		return;
	}
	if (checks & (NNPT_CHECK_ROLES | NNPT_CHECK_TABLES))
		n = npt_pages(pages);
	if (checks & NNPT_CHECK_ROLES)
		check_result(check_roles(pages, n, p), 1);
	if (checks & NNPT_CHECK_TABLES)
		check_result(check_tables(pages, n, p), 2);
	if (checks & NNPT_CHECK_NO_REBUILD)
		check_result(check_no_rebuild(kvm_mmu_model_phase(kvm_trace_model(trace),
								  "ncr3_switch_after_warmup")), 3);
	if (!(checks & NNPT_CHECK_TEARDOWN)) {
		kvm_vm_free(vm);
		return;
	}
	kvm_trace_start(trace, "teardown");
	kvm_vm_free(vm);
	kvm_trace_stop(trace);
	n = live_npt_pages();
	if (n)
		ksft_print_msg("%zu shadow NPT pages were never zapped\n", n);
	check_result(!n, 4);
}

#define NO_NPT_FMT							\
	"KVM offers L1 no nested paging (NPT not in KVM's supported CPUID; npt=%d: svm_set_cpu_caps() sets it only with npt_enabled): the nested paging cases skip\n"

/* Whether a case or check of the table can run without nested paging. */
static bool runs_without_npt(const struct nnpt_case *c, unsigned int n, unsigned int checks)
{
	unsigned int i;

	if (checks & NNPT_CHECK_L2_ROOT)
		return true;
	for (i = 0; i < n; i++)
		if (!c[i].np)
			return true;
	return false;
}

/*
 * Without nested paging and nothing to run without it: the SKIPs that
 * running would give, without the VM (half a second under TCG).
 */
static void skip_all(unsigned int checks, const char *no_trace)
{
	unsigned int i;

	ksft_set_plan(nr_cases + __builtin_popcount(checks));
	for (i = 0; i < nr_cases; i++)
		ksft_test_result_skip("%s: KVM offers L1 no nested paging (no NPT in its CPUID)\n",
				      table[i].name);
	skip_checks(checks, 0, no_trace ?: "KVM offers L1 no nested paging");
	ksft_finished();
}

void nnpt_cases_main(const struct nnpt_case *c, unsigned int n, unsigned int checks)
{
	const char *no_trace;
	struct kvm_vcpu *vcpu;
	unsigned int cur_case;
	struct npt_pool *p;
	struct kvm_vm *vm;
	bool hung;

	TEST_ASSERT(n <= NNPT_MAX_CASES, "%u cases, at most %d", n, NNPT_MAX_CASES);
	table = c;
	nr_cases = n;
	kvm_mmu_test_start(&cfg);
	kvm_mmu_config_require_nested_svm(&cfg);
	nnpt_args.npt = kvm_cpu_has(X86_FEATURE_NPT);
	if (!nnpt_args.npt)
		ksft_print_msg(NO_NPT_FMT, cfg.tdp);
	no_trace = kvm_trace_unavailable();
	if (!nnpt_args.npt && !runs_without_npt(c, n, checks))
		skip_all(checks, no_trace);
	if (!no_trace)
		trace = kvm_trace_create();
	ksft_set_plan(n + __builtin_popcount(checks));

	vm = setup_vm(&vcpu, &p);
	hung = !run_cases(vcpu, &cur_case);
	sync_global_from_guest(vm, nnpt_results);
	report_cases(hung, cur_case);
	report_checks(vm, p, checks, hung, no_trace);
	if (trace && ksft_get_fail_cnt())
		kvm_trace_print(trace);
	if (trace)
		kvm_trace_destroy(trace);
	ksft_finished();
}
