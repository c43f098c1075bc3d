// SPDX-License-Identifier: GPL-2.0
/*
 * tlb_shootdown_test: one vCPU rewrites a PTE that another vCPU uses, the
 * other flushes (or is flushed), and must then see the new translation.
 *
 * Two vCPUs of one 64-bit guest share the framework's page tables (same
 * CR3).  A test address TVA maps one of two data pages, each tagged in its
 * first quadword.  Iteration i (1..50, or -n), handed over with memory
 * flags only (no delays):
 *
 *   reader: read TVA (must be the page of iteration i-1), reader_ready = i,
 *           keep reading TVA (any value; this keeps the old translation
 *           cached) until writer_done == i, flush, read TVA: it must be the
 *           page of iteration i.
 *   writer: wait for reader_ready == i, rewrite TVA's PTE through an alias
 *           of the page table to the other page, [PV flush,] writer_done = i.
 *
 * The flush, one case per VM:
 *   invlpg       reader executes INVLPG TVA; the PTE is global (G=1,
 *                CR4.PGE=1): INVLPG invalidates global entries too (SDM
 *                vol. 3A 4.10.4.1 "INVLPG").
 *   mov_cr3      reader writes CR3 with its own value; the PTE is not
 *                global (4.10.4.1 "MOV to CR3": all non-global entries).
 *   cr4_pge      reader clears and sets CR4.PGE; the PTE is global
 *                (4.10.4.1 "MOV to CR4": changing CR4.PGE invalidates all
 *                entries, global ones included).
 *   hv_flush_va_space
 *                the writer, after the PTE write, issues Hyper-V
 *                HvCallFlushVirtualAddressSpace (HV_FLUSH_ALL_VIRTUAL_
 *                ADDRESS_SPACES, processor mask = the reader) through the
 *                hypercall page; the reader does nothing itself.  TLFS
 *                ("HvCallFlushVirtualAddressSpace"): on return, the target
 *                processors' TLBs are flushed.  In KVM, kvm_hv_flush_tlb()
 *                (arch/x86/kvm/hyperv.c) queues KVM_REQ_HV_TLB_FLUSH with
 *                KVM_REQUEST_WAIT, so the reader handles it before it runs
 *                guest code again; vcpu_enter_guest() (arch/x86/kvm/x86.c)
 *                falls back to kvm_vcpu_flush_tlb_guest() when
 *                kvm_hv_vcpu_flush_tlb() fails, which it does with TDP off.
 *   hv_flush_va_space_target_out
 *                the same hypercall while the reader is out of guest mode
 *                (parked in userspace by a ucall; the host lets it run
 *                again once writer_done == i), after the writer, in the
 *                same iteration, rewrote the PTE with its old value and
 *                executed MOV CR3: with TDP off that syncs the page
 *                table's shadow page and write-protects it again, a
 *                remote TLB flush (mmu_sync_children() ->
 *                kvm_flush_remote_tlbs()) left pending on the reader.  A
 *                preempted vCPU meets this all the time; upstream
 *                hyperv_tlb_flush hits it by chance.  Known KVM bug with
 *                kvm_amd npt=0: XFAIL, see known_svm_hv_flush_defect().
 *   mov_cr3_write_protects_writers_alias
 *                the reader writes CR3 with its own value before it
 *                hands over, and executes INVLPG TVA after; the writer,
 *                which wrote the PTE in the previous iteration (or at its
 *                start), keeps reading it through the alias meanwhile.
 *                With TDP off the reader's MOV CR3 syncs the page table's
 *                unsync shadow page and write-protects it while the
 *                writer's TLB holds a writable translation of the alias:
 *                KVM must flush every vCPU's TLB then
 *                (mmu_sync_children() -> kvm_mmu_remote_flush_or_zap(),
 *                6.12 and 7.3 mmu.c), or the writer's next write lands
 *                unseen, the page stays synced, and the reader's INVLPG
 *                syncs nothing.  Only a writer that takes no VM exit
 *                meanwhile keeps its entry (an exit flushes an emulator's
 *                whole TLB), so a missing flush shows in most
 *                iterations, not in all; a correct KVM passes them all.
 *
 * What KVM does for each under shadow paging (TDP off, 6.12): the first
 * write to the page table unsyncs its shadow page
 * (mmu_try_to_unsync_pages(), arch/x86/kvm/mmu/mmu.c) and the SPTE keeps
 * the old frame until the reader's flush: INVLPG -> kvm_mmu_invlpg()
 * syncs the SPTE; MOV CR3 -> kvm_set_cr3() -> KVM_REQ_MMU_SYNC +
 * KVM_REQ_TLB_FLUSH_CURRENT; CR4.PGE -> kvm_post_set_cr4() ->
 * KVM_REQ_TLB_FLUSH_GUEST -> kvm_vcpu_flush_tlb_guest() ->
 * kvm_mmu_sync_roots().  The hardware (or emulated) TLB is flushed by
 * the vendor flush (svm_flush_tlb_asid(), arch/x86/kvm/svm/svm.c).
 *
 * The PTEs have A=1, as a CPU leaves them after the first access: with
 * TDP off a sync drops the SPTE of an A=0 gpte (FNAME(prefetch_invalid_
 * gpte)), and a fresh fault would hide a missed sync.  The writer's alias
 * of the page table is 1 GiB away, so that its own PTE is in another page
 * table and its writes unsync the shadow page rather than being emulated.
 *
 * Every iteration checks what the reader sees after its flush; a stale
 * read is counted, the case fails and the first few are printed with the
 * iteration, the value read and the one expected.  The last case is the
 * deterministic form of what makes upstream x86_64/hyperv_tlb_flush fail
 * under shadow paging now and then (docs/investigations/hyperv-tlb-flush-
 * shadow.md).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "kvm_util.h"
#include "paging_bits.h"
#include "processor.h"
#include "hyperv.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "known_defects.h"
#include "kvm_mmu_config.h"
#include "vm_tables.h"

#define ITERATIONS	50	/* default; -n */
#define READER		0
#define WRITER		1
#define READER_VP_INDEX	1
#define WRITER_VP_INDEX	0
#define MAX_REPORTED	4
#define ALIAS_VA	(1ull << 30)	/* far above what the framework allocates */

#ifndef HYPERV_LINUX_OS_ID
#define HYPERV_LINUX_OS_ID ((u64)0x8100 << 48)
#endif
#define HV_HYPERCALL_ENABLE	BIT_ULL(0)

enum flush_kind {
	FLUSH_INVLPG,
	FLUSH_MOV_CR3,
	FLUSH_CR4_PGE,
	FLUSH_HV_VA_SPACE,
	FLUSH_HV_TARGET_OUT,
	FLUSH_SYNC_WRITE_PROTECT,
	NR_FLUSH_KINDS,
};

static const char *const kind_name[NR_FLUSH_KINDS] = {
	[FLUSH_INVLPG]		= "invlpg",
	[FLUSH_MOV_CR3]		= "mov_cr3",
	[FLUSH_CR4_PGE]		= "cr4_pge",
	[FLUSH_HV_VA_SPACE]	= "hv_flush_va_space",
	[FLUSH_HV_TARGET_OUT]	= "hv_flush_va_space_target_out",
	[FLUSH_SYNC_WRITE_PROTECT] = "mov_cr3_write_protects_writers_alias",
};

struct hv_flush_input {
	uint64_t address_space;
	uint64_t flags;
	uint64_t processor_mask;
};

/* In guest memory (a global of the guest image), written by both sides. */
struct shared {
	/* Set by the host before the vCPUs run. */
	uint64_t kind;
	uint64_t iterations;
	uint64_t tva;			/* the test address */
	uint64_t pte_alias;		/* GVA of TVA's PTE */
	uint64_t pte[2];		/* TVA's PTE for data page 0 and 1 */
	uint64_t tag[2];		/* first quadword of data page 0 and 1 */
	uint64_t hcall_page;		/* hypercall page GVA */
	uint64_t hcall_page_gpa;
	uint64_t hcall_in;		/* input page GVA (output: next page) */
	uint64_t hcall_in_gpa;
	/* Handshake. */
	uint64_t reader_ready;
	uint64_t writer_done;
	/* Results, read by the host after both vCPUs are done. */
	uint64_t stale;			/* iterations with a wrong read */
	uint64_t bad_before;		/* wrong read before the PTE change */
	uint64_t hv_status;		/* first failed hypercall status */
	uint64_t report[MAX_REPORTED][3];	/* iteration, read, expected */
};

static struct shared sh;
static struct kvm_mmu_config cfg;
static uint64_t iterations = ITERATIONS;
static struct shared *host_sh;		/* the guest's sh, from the host */

static bool is_hv(uint64_t kind)
{
	return kind == FLUSH_HV_VA_SPACE || kind == FLUSH_HV_TARGET_OUT;
}

static void mov_cr3_same(void)
{
	asm volatile("mov %0, %%cr3" : : "r" (get_cr3()) : "memory");
}

static uint64_t hv_call(uint64_t control, uint64_t in, uint64_t out)
{
	uint64_t status;

	/*
	 * TLFS "Hypercall Interface": RCX control, RDX/R8 input/output GPA.
	 * The call must not push over the caller's red zone.
	 */
	asm volatile("mov %[out], %%r8\n\t"
		     "sub $128, %%rsp\n\t"
		     "call *%[page]\n\t"
		     "add $128, %%rsp"
		     : "=a" (status), "+c" (control), "+d" (in)
		     : [out] "r" (out), [page] "r" (sh.hcall_page)
		     : "cc", "memory", "r8", "r9", "r10", "r11");
	return status;
}

static void reader_flush(uint64_t kind)
{
	uint64_t cr4;

	switch (kind) {
	case FLUSH_INVLPG:
	case FLUSH_SYNC_WRITE_PROTECT:
		asm volatile("invlpg (%0)" : : "r" (sh.tva) : "memory");
		break;
	case FLUSH_MOV_CR3:
		mov_cr3_same();
		break;
	case FLUSH_CR4_PGE:
		cr4 = get_cr4();
		set_cr4(cr4 & ~X86_CR4_PGE);
		set_cr4(cr4);
		break;
	case FLUSH_HV_VA_SPACE:
	case FLUSH_HV_TARGET_OUT:
		break;		/* flushed by the writer's hypercall */
	}
}

static void record_stale(uint64_t i, uint64_t val, uint64_t expected)
{
	if (sh.stale < MAX_REPORTED) {
		sh.report[sh.stale][0] = i;
		sh.report[sh.stale][1] = val;
		sh.report[sh.stale][2] = expected;
	}
	sh.stale++;
}

static void reader_code(void)
{
	uint64_t *tva = (uint64_t *)sh.tva;
	uint64_t i, val;

	if (is_hv(sh.kind))
		wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);

	for (i = 1; i <= sh.iterations; i++) {
		/* Nothing changed since the last flush: the old page. */
		if (READ_ONCE(*tva) != sh.tag[(i - 1) & 1])
			sh.bad_before++;
		if (sh.kind == FLUSH_HV_TARGET_OUT) {
			/* The host sets reader_ready, waits for writer_done. */
			GUEST_SYNC(i);
		} else {
			/* TDP off: syncs the page table, write-protected again. */
			if (sh.kind == FLUSH_SYNC_WRITE_PROTECT)
				mov_cr3_same();
			WRITE_ONCE(sh.reader_ready, i);
			/*
			 * Any value: not flushed yet.  PAUSE, as any spin-wait
			 * should: an emulated CPU with one core (Bochs) runs
			 * the writer's vCPU only when this one yields.
			 */
			while (READ_ONCE(sh.writer_done) != i) {
				READ_ONCE(*tva);
				cpu_relax();
			}
		}
		reader_flush(sh.kind);
		val = READ_ONCE(*tva);
		if (val != sh.tag[i & 1])
			record_stale(i, val, sh.tag[i & 1]);
	}
	GUEST_DONE();
}

static void writer_code(void)
{
	uint64_t *pte = (uint64_t *)sh.pte_alias;
	struct hv_flush_input *in = (struct hv_flush_input *)sh.hcall_in;
	uint64_t i, status;

	if (is_hv(sh.kind)) {
		wrmsr(HV_X64_MSR_GUEST_OS_ID, HYPERV_LINUX_OS_ID);
		wrmsr(HV_X64_MSR_HYPERCALL,
		      sh.hcall_page_gpa | HV_HYPERCALL_ENABLE);
	}

	/* TDP off: the page table unsync, the alias writable in our TLB. */
	if (sh.kind == FLUSH_SYNC_WRITE_PROTECT)
		WRITE_ONCE(*pte, sh.pte[0]);

	for (i = 1; i <= sh.iterations; i++) {
		while (READ_ONCE(sh.reader_ready) != i) {
			/* Keeps the alias's translation in our TLB. */
			if (sh.kind == FLUSH_SYNC_WRITE_PROTECT)
				READ_ONCE(*pte);
			cpu_relax();
		}
		if (sh.kind == FLUSH_HV_TARGET_OUT) {
			/*
			 * The reader is out of guest mode.  Rewrite the PTE
			 * with its value and flush our own TLB: with TDP off
			 * our MOV CR3 syncs the page table's shadow page and
			 * write-protects it again, which flushes every vCPU's
			 * TLB (mmu_sync_children() -> kvm_flush_remote_tlbs()):
			 * a KVM_REQ_TLB_FLUSH the reader has pending when the
			 * Hyper-V request below arrives.
			 */
			WRITE_ONCE(*pte, sh.pte[(i - 1) & 1]);
			mov_cr3_same();
		}
		WRITE_ONCE(*pte, sh.pte[i & 1]);
		if (is_hv(sh.kind)) {
			in->address_space = 0;
			in->flags = HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES;
			in->processor_mask = BIT_ULL(READER_VP_INDEX);
			status = hv_call(HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE,
					 sh.hcall_in_gpa,
					 sh.hcall_in_gpa + PAGE_SIZE);
			if ((status & 0xffff) && !sh.hv_status)
				sh.hv_status = status;
		}
		WRITE_ONCE(sh.writer_done, i);
	}
	GUEST_DONE();
}

static void guest_code(uint64_t role)
{
	if (role == READER)
		reader_code();
	else
		writer_code();
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	for (;;) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_IO);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			/*
			 * The reader parks here, out of guest mode, while the
			 * writer does iteration uc.args[1].
			 */
			WRITE_ONCE(host_sh->reader_ready, uc.args[1]);
			while (READ_ONCE(host_sh->writer_done) != uc.args[1])
				sched_yield();
			break;
		case UCALL_DONE:
			return NULL;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("vCPU %u: unexpected ucall %lu", vcpu->id,
				  uc.cmd);
		}
	}
}

static void set_cr4_pge(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_PGE;
	vcpu_sregs_set(vcpu, &sregs);
}

/*
 * kvm_amd with NPT off, 6.12: a vCPU out of guest mode with a remote flush
 * (KVM_REQ_TLB_FLUSH) pending when a Hyper-V flush request for it arrives
 * handles the former first; svm_flush_tlb_all() -> svm_flush_tlb_asid()
 * (arch/x86/kvm/svm/svm.c) purges the latter as if the ASID flush covered
 * it, and the kvm_vcpu_flush_tlb_guest() fallback (vcpu_enter_guest(),
 * x86.c), the only thing that would sync the unsync shadow page, never
 * runs.  Reported as XFAIL there when every stale read is exactly the
 * old page; anything else, and every other configuration, is reported as
 * it is.
 * docs/defects/kvm-svm-shadow-hv-flush-purged.md has the fix
 * (docs/defects/patches/6.12/kvm-svm-shadow-hv-flush-purged.patch).
 */
static bool known_svm_hv_flush_defect(enum flush_kind kind,
				      const struct shared *res)
{
	uint64_t i;

	if (kind != FLUSH_HV_TARGET_OUT || cfg.tdp || res->hv_status ||
	    !res->stale || strcmp(cfg.vendor_module, "kvm_amd"))
		return false;
	for (i = 0; i < MAX_REPORTED && i < res->stale; i++)
		if (res->report[i][1] != res->tag[(res->report[i][0] - 1) & 1])
			return false;
	return true;
}

#define STALE_FMT							\
	"%s: iteration %lu: reader read 0x%lx after the flush, expected 0x%lx (%s)\n"

static void run_case(enum flush_kind kind)
{
	struct kvm_vcpu *vcpus[2];
	struct shared *res;
	pthread_t threads[2];
	uint64_t *pte, gpa[2], pt_gpa, alias;
	gva_t page[2];
	struct kvm_vm *vm;
	int i;

	if (is_hv(kind) &&
	    !kvm_check_cap(KVM_CAP_HYPERV_TLBFLUSH)) {
		ksft_test_result_skip("%s: KVM has no KVM_CAP_HYPERV_TLBFLUSH\n",
				      kind_name[kind]);
		return;
	}

	vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, 2, VM_SLOT0_ROOM_PAGES, guest_code, vcpus);
	memset(&sh, 0, sizeof(sh));
	sh.kind = kind;
	sh.iterations = iterations;

	/* Two tagged data pages; TVA is the first one's own mapping. */
	for (i = 0; i < 2; i++) {
		page[i] = vm_alloc_page(vm);
		gpa[i] = addr_gva2gpa(vm, page[i]);
		sh.tag[i] = 0x7e57da7a00000000ull | (kind << 8) | i;
		*(uint64_t *)addr_gva2hva(vm, page[i]) = sh.tag[i];
	}
	sh.tva = page[0];

	if (is_hv(kind)) {
		/* The hypercall page, and input + output (contiguous). */
		sh.hcall_page = vm_alloc_page(vm);
		sh.hcall_page_gpa = addr_gva2gpa(vm, sh.hcall_page);
		sh.hcall_in = vm_alloc_pages(vm, 2);
		sh.hcall_in_gpa = addr_gva2gpa(vm, sh.hcall_in);
		TEST_ASSERT(addr_gva2gpa(vm, sh.hcall_in + PAGE_SIZE) ==
			    sh.hcall_in_gpa + PAGE_SIZE,
			    "hypercall input and output pages not contiguous");
		for (i = 0; i < 2; i++) {
			vcpu_set_hv_cpuid(vcpus[i]);
			vcpu_set_msr(vcpus[i], HV_X64_MSR_VP_INDEX,
				     i == 0 ? READER_VP_INDEX : WRITER_VP_INDEX);
		}
	}
	/*
	 * A=1 as a CPU would leave it after the first access: with TDP off
	 * a sync drops the SPTE of a gpte with A=0 (FNAME(prefetch_invalid_
	 * gpte)), which would hide a missed sync behind a fresh page fault.
	 */
	pte = vm_guest_entry(vm, sh.tva, 1);
	*pte |= GP_A;
	if (kind == FLUSH_INVLPG || kind == FLUSH_CR4_PGE)
		*pte |= GP_G;
	sh.pte[0] = *pte;
	sh.pte[1] = (*pte & ~PHYSICAL_PAGE_MASK) | gpa[1];

	/*
	 * The writer reaches TVA's PTE through an alias of its page table,
	 * at 1 GiB so that the alias's own PTE is in another page table
	 * (virt_pg_map() asserts the address was free):
	 * with TDP off, a write through a mapping whose PTE lives in the
	 * page being written is emulated and zaps the SPTE, instead of
	 * unsyncing the shadow page, which is the path under test.
	 */
	pt_gpa = addr_hva2gpa(vm, pte);
	alias = ALIAS_VA;
	virt_pg_map(vm, alias, pt_gpa & ~(uint64_t)(PAGE_SIZE - 1));
	sh.pte_alias = alias + (pt_gpa & (PAGE_SIZE - 1));

	for (i = 0; i < 2; i++) {
		set_cr4_pge(vcpus[i]);
		vcpu_args_set(vcpus[i], 1, i == 0 ? READER : WRITER);
	}

	sync_global_to_guest(vm, sh);
	host_sh = addr_gva2hva(vm, (gva_t)&sh);

	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, vcpu_thread,
					    vcpus[i]), "pthread_create");
	for (i = 0; i < 2; i++)
		TEST_ASSERT(!pthread_join(threads[i], NULL), "pthread_join");

	sync_global_from_guest(vm, sh);
	res = &sh;
	for (i = 0; i < MAX_REPORTED && i < (int)res->stale; i++)
		ksft_print_msg(STALE_FMT,
			       kind_name[kind], res->report[i][0],
			       res->report[i][1], res->report[i][2],
			       res->report[i][1] == sh.tag[(res->report[i][0] - 1) & 1] ?
			       "the old page: stale translation" : "neither page");
	if (res->bad_before)
		ksft_print_msg("%s: %lu iterations read a wrong value before the PTE change\n",
			       kind_name[kind], res->bad_before);
	if (res->hv_status)
		ksft_print_msg("%s: hypercall failed, status 0x%lx\n",
			       kind_name[kind], res->hv_status);
	if (known_svm_hv_flush_defect(kind, res))
		ksft_test_result_xfail("%s: %lu of %lu iterations stale: %s\n",
				       kind_name[kind], res->stale, sh.iterations,
				       known_defect(DEFECT_SVM_SHADOW_HV_FLUSH_PURGED));
	else
		ksft_test_result(!res->stale && !res->bad_before && !res->hv_status,
				 "%s: %lu of %lu iterations stale after the flush\n",
				 kind_name[kind], res->stale, sh.iterations);
	kvm_vm_free(vm);
}

static void print_usage(const char *name)
{
	int kind;

	printf("usage: %s [-n ITERATIONS] [-c CASE]\n"
	       "  -n ITERATIONS  iterations per case (default %d)\n"
	       "  -c CASE        run only CASE:", name, ITERATIONS);
	for (kind = 0; kind < NR_FLUSH_KINDS; kind++)
		printf(" %s", kind_name[kind]);
	printf("\n");
}

int main(int argc, char *argv[])
{
	int kind, only = -1, opt;

	while ((opt = getopt(argc, argv, "hn:c:")) != -1) {
		switch (opt) {
		case 'n':
			iterations = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			for (kind = 0; kind < NR_FLUSH_KINDS; kind++)
				if (!strcmp(optarg, kind_name[kind]))
					only = kind;
			if (only >= 0)
				break;
			fallthrough;
		default:
			print_usage(argv[0]);
			exit(opt == 'h' ? 0 : KSFT_FAIL);
		}
	}
	if (!iterations) {
		print_usage(argv[0]);
		exit(KSFT_FAIL);
	}

	kvm_mmu_test_start(&cfg);
	ksft_set_plan(only >= 0 ? 1 : NR_FLUSH_KINDS);

	for (kind = 0; kind < NR_FLUSH_KINDS; kind++)
		if (only < 0 || kind == only)
			run_case(kind);
	ksft_finished();
}
