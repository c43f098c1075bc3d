// SPDX-License-Identifier: GPL-2.0
/*
 * cr3_outside_memslots_test: a 64-bit guest whose CR3 names a page that no
 * memslot backs, under shadow paging.
 *
 * KVM cannot shadow a root it cannot read.  Since 6.7 it runs such a guest
 * on a dummy root, the zero page, which has no shadow page
 * (mmu_alloc_shadow_roots(): !kvm_vcpu_is_visible_gfn() ->
 * kvm_mmu_get_dummy_root(), arch/x86/kvm/mmu/mmu.c, 6.12 and 7.3), and
 * every path that takes the current root's shadow page must skip it:
 * kvm_mmu_sync_roots() (is_unsync_root()), called by kvm_mmu_load() at
 * every root load, and FNAME(fetch) (paging_tmpl.h).  What any correct
 * KVM must do:
 *
 * - A guest that runs with such a CR3 cannot read its paging structures:
 *   the fetch faults, so does the delivery of that #PF and of the #DF, and
 *   the guest shuts down (KVM_EXIT_SHUTDOWN; SDM 6.15, "Interrupt 8").  Set
 *   by the host (KVM_SET_SREGS) or loaded by the guest (MOV CR3), the same.
 *   Userspace can then give the vCPU its state back and run it on.
 *
 * - A memslot created over that page makes it the guest's root: the guest
 *   runs on it at its next entry.  KVM loaded the dummy root first (a
 *   KVM_RUN that a pending signal ends after kvm_mmu_reload(), x86.c
 *   vcpu_enter_guest()) and creating a memslot frees no root; the guest's
 *   first fault finds its tables readable, and FNAME(fetch) frees the
 *   dummy root (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS: is_obsolete_root() counts
 *   a root without a shadow page as obsolete, "Dummy roots are unique in
 *   that they are obsoleted by memslot _creation_").  Loading the dummy
 *   root looks up no shadow page (the mmu_cache_miss stat is unchanged), and
 *   the zero page stays zero.
 *
 * - Freeing the dummy root frees it alone (__kvm_mmu_free_obsolete_roots():
 *   KVM_MMU_ROOT_CURRENT, and the cached roots only if they are obsolete
 *   themselves): a guest that left CR3 A for ROOT_GPA by MOV CR3 (A
 *   cached in prev_roots) and comes back to A after the memslot is created
 *   runs on A's cached root: no kvm_mmu_get_page for A's gfn (kvmmmu
 *   trace; a root freed from the cache stays a shadow page, and building
 *   it again would find it).  KVM must load the dummy root between the
 *   MOV CR3 and the memslot: the host single-steps the guest up to the
 *   instruction after the MOV CR3, then loads the root as above.
 *
 * - A CR3 beyond MAXPHYADDR is in no memslot either, but the guest cannot
 *   load it: MOV CR3 with a reserved bit set (bit MAXPHYADDR, or bit 63
 *   with CR4.PCIDE=0) is #GP, CR3 unchanged (SDM vol. 3A 4.5, vol. 2B MOV;
 *   kvm_set_cr3(), regs.c on 6.12 and 7.3, strips bit 63 only with PCIDE).
 *
 * Under TDP the CPU walks the guest's tables through L0's: no dummy root,
 * and the test skips.
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "vm_tables.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"
#include "kvm_trace_model.h"

/* Above memslot 0, in no memslot until the memslot case creates one. */
#define ROOT_SLOT	1
#define ROOT_GPA	0x30000000ULL
#define DATA_TAG	0xc3c3000000000001ULL

/* Set by the host: the guest loads CR3 = ROOT_GPA itself. */
static bool guest_loads_root;
static uint64_t data = DATA_TAG;

static void guest_code(void)
{
	GUEST_SYNC(1);
	if (READ_ONCE(guest_loads_root))
		set_cr3(ROOT_GPA);
	GUEST_ASSERT_EQ(READ_ONCE(data), DATA_TAG);
	GUEST_SYNC(get_cr3() & ~(uint64_t)(PAGE_SIZE - 1));
	GUEST_DONE();
}

/* Set by the host: CR3 values with a reserved bit, or 0. */
static uint64_t illegal_cr3[2];

static void guest_loads_illegal_cr3(void)
{
	uint64_t cr3 = get_cr3(), bad;
	int i;

	for (i = 0; i < ARRAY_SIZE(illegal_cr3); i++) {
		bad = READ_ONCE(illegal_cr3[i]);
		if (!bad)
			continue;
		GUEST_ASSERT_EQ(kvm_asm_safe("mov %[cr3], %%cr3", [cr3] "r" (bad)), GP_VECTOR);
		GUEST_ASSERT_EQ(get_cr3(), cr3);
	}
	GUEST_DONE();
}

/* The address right after the guest's MOV CR3 to ROOT_GPA. */
extern char after_mov_to_root_gpa[];

/* ROOT_GPA by MOV CR3, then back to the CR3 it had. */
static noinline void guest_leaves_and_returns(void)
{
	uint64_t cr3 = get_cr3();

	GUEST_SYNC(1);
	__asm__ __volatile__("mov %0, %%cr3\n"
			     "after_mov_to_root_gpa:"
			     : : "r" (ROOT_GPA) : "memory");
	GUEST_ASSERT_EQ(READ_ONCE(data), DATA_TAG);
	GUEST_SYNC(get_cr3() & ~(uint64_t)(PAGE_SIZE - 1));
	set_cr3(cr3);
	GUEST_ASSERT_EQ(READ_ONCE(data), DATA_TAG);
	GUEST_SYNC(get_cr3() & ~(uint64_t)(PAGE_SIZE - 1));
	GUEST_DONE();
}

static void set_guest_cr3(struct kvm_vcpu *vcpu, uint64_t cr3)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr3 = cr3;
	vcpu_sregs_set(vcpu, &sregs);
}

/* The guest reads its data and reports the root it ran on: @root. */
static void run_to_done_on(struct kvm_vcpu *vcpu, uint64_t root)
{
	vcpu_run_to_sync(vcpu, root);
	vcpu_run_to_done(vcpu);
}

/*
 * The guest's CR3 becomes ROOT_GPA (by the host or, @by_guest, by MOV CR3):
 * it shuts down.  Given its state at GUEST_SYNC(1) back, it runs on.
 */
static void shutdown_and_recover(bool by_guest)
{
	struct kvm_x86_state *state;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	guest_loads_root = by_guest;
	sync_global_to_guest(vm, guest_loads_root);
	vcpu_run_to_sync(vcpu, 1);
	state = vcpu_save_state(vcpu);
	if (!by_guest)
		set_guest_cr3(vcpu, ROOT_GPA);

	vcpu_run(vcpu);
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN,
		    "CR3 0x%llx in no memslot: exit %s, expected SHUTDOWN", ROOT_GPA,
		    exit_reason_str(vcpu->run->exit_reason));

	guest_loads_root = false;
	sync_global_to_guest(vm, guest_loads_root);
	vcpu_load_state(vcpu, state);
	kvm_x86_state_cleanup(state);
	run_to_done_on(vcpu, vm_mmu_pgd(vm));
	kvm_vm_free(vm);
}

static void cr3_set_by_host(const void *arg)
{
	shutdown_and_recover(false);
}

static void cr3_loaded_by_guest(const void *arg)
{
	shutdown_and_recover(true);
}

/*
 * KVM_RUN with SIGUSR1 pending and unblocked only inside it (the vCPU's
 * signal mask, KVM_SET_SIGNAL_MASK): KVM loads the vCPU's MMU and exits
 * before entering the guest (kvm_vcpu_exit_request()).
 */
static void run_until_root_loaded(struct kvm_vcpu *vcpu)
{
	struct kvm_signal_mask *mask = alloca(offsetof(struct kvm_signal_mask, sigset) +
					      sizeof(sigset_t));
	sigset_t usr1, *run_mask = (sigset_t *)&mask->sigset;
	int r, sig;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	TEST_ASSERT(!sigprocmask(SIG_BLOCK, &usr1, NULL), "blocking SIGUSR1");
	mask->len = 8;
	sigprocmask(SIG_BLOCK, NULL, run_mask);
	sigdelset(run_mask, SIGUSR1);
	vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, mask);

	raise(SIGUSR1);
	r = __vcpu_run(vcpu);
	TEST_ASSERT(r == -1 && errno == EINTR, "KVM_RUN with a signal pending: %d (%s)",
		    r, strerror(errno));
	TEST_ASSERT(vcpu->run->exit_reason == KVM_EXIT_INTR, "exit %s, expected INTR",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT(!sigwait(&usr1, &sig) && sig == SIGUSR1, "SIGUSR1 still pending");
	vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, (struct kvm_signal_mask *)NULL);
}

/* A page of a fresh private anonymous mapping reads as the zero page. */
static bool zero_page_is_zero(void)
{
	uint64_t *p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool zero = true;
	int i;

	TEST_ASSERT(p != MAP_FAILED, "mmap");
	for (i = 0; i < PAGE_SIZE / 8; i++)
		zero &= !p[i];
	munmap(p, PAGE_SIZE);
	return zero;
}

/*
 * The guest's CR3 points at ROOT_GPA while no memslot backs it, KVM loads
 * the dummy root, then a memslot there gets a copy of the guest's top-level
 * table: the guest runs on it.
 */
static void memslot_created_under_dummy_root(const void *arg)
{
	uint64_t misses;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_code);
	vcpu_run_to_sync(vcpu, 1);
	set_guest_cr3(vcpu, ROOT_GPA);

	misses = vm_stat_by_name(vm, "mmu_cache_miss");
	run_until_root_loaded(vcpu);
	TEST_ASSERT_EQ(vm_stat_by_name(vm, "mmu_cache_miss"), misses);

	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ROOT_GPA, ROOT_SLOT, 1, 0);
	memcpy(addr_gpa2hva(vm, ROOT_GPA), addr_gpa2hva(vm, vm_mmu_pgd(vm)), PAGE_SIZE);
	run_to_done_on(vcpu, ROOT_GPA);
	TEST_ASSERT(vm_stat_by_name(vm, "mmu_cache_miss") > misses,
		    "the guest ran on its new root, and KVM looked up no shadow page for it");
	TEST_ASSERT(zero_page_is_zero(), "the zero page (KVM's dummy root) is no longer zero");
	kvm_vm_free(vm);
}

/* The guest's MOV CR3 of its CR3 with bit MAXPHYADDR, then bit 63, set. */
static void illegal_cr3_faults(const void *arg)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_loads_illegal_cr3);
	if (vm->pa_bits < 52)
		illegal_cr3[0] = vm_mmu_pgd(vm) | BIT_ULL(vm->pa_bits);
	illegal_cr3[1] = vm_mmu_pgd(vm) | BIT_ULL(63);
	sync_global_to_guest(vm, illegal_cr3);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

/* More than the instructions from a GUEST_SYNC's exit to the guest's next MOV CR3. */
#define MAX_STEPS	10000

/* Single-step the guest until its RIP is @rip. */
static void step_to(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_guest_debug debug = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
	};
	int steps;

	vcpu_guest_debug_set(vcpu, &debug);
	for (steps = 0; steps < MAX_STEPS; steps++) {
		vcpu_run(vcpu);
		TEST_ASSERT_KVM_EXIT_REASON(vcpu, KVM_EXIT_DEBUG);
		if (vcpu->run->debug.arch.pc == rip)
			break;
	}
	TEST_ASSERT(steps < MAX_STEPS, "the guest did not reach 0x%lx in %d steps", rip,
		    MAX_STEPS);
	debug.control = 0;
	vcpu_guest_debug_set(vcpu, &debug);
}

#define CACHED_REBUILT_FMT						\
	"the dummy root freed, KVM looked up %zu shadow pages for CR3 0x%lx, whose root was cached"

/*
 * The guest leaves CR3 A for ROOT_GPA, KVM loads the dummy root, the
 * memslot comes; back on A, the guest must run on A's cached root.
 */
static void memslot_created_under_dummy_root_keeps_cached_root(const void *arg)
{
	struct kvm_mmu_query a_lookups;
	struct kvm_vcpu *vcpu;
	struct kvm_trace *t;
	struct kvm_vm *vm;
	uint64_t a;
	size_t n;

	vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, guest_leaves_and_returns);
	a = vm_mmu_pgd(vm);
	a_lookups = KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .gfn = a >> PAGE_SHIFT);
	vcpu_run_to_sync(vcpu, 1);
	step_to(vcpu, (uint64_t)after_mov_to_root_gpa);
	run_until_root_loaded(vcpu);

	t = kvm_trace_create();
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, ROOT_GPA, ROOT_SLOT, 1, 0);
	memcpy(addr_gpa2hva(vm, ROOT_GPA), addr_gpa2hva(vm, a), PAGE_SIZE);
	kvm_trace_start(t, "memslot created, back to A");
	vcpu_run_to_sync(vcpu, ROOT_GPA);
	vcpu_run_to_sync(vcpu, a);
	kvm_trace_stop(t);
	n = kvm_mmu_model_count_pages(kvm_trace_model(t), a_lookups);
	TEST_ASSERT(!n, CACHED_REBUILT_FMT, n, a);
	kvm_trace_destroy(t);
	vcpu_run_to_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_child_case cases[] = {
	{ "cr3_set_by_host_shuts_down", cr3_set_by_host },
	{ "cr3_loaded_by_guest_shuts_down", cr3_loaded_by_guest },
	{ "memslot_created_under_dummy_root", memslot_created_under_dummy_root },
	{ "mov_cr3_with_reserved_bit_faults_gp", illegal_cr3_faults },
	{ "memslot_created_under_dummy_root_keeps_cached_root",
	  memslot_created_under_dummy_root_keeps_cached_root },
};

int main(void)
{
	struct kvm_mmu_config cfg;

	kvm_mmu_test_start(&cfg);
	if (cfg.tdp)
		ksft_exit_skip("TDP is on: the CPU walks the guest's CR3 through L0's tables, %s\n",
			       "KVM shadows no guest root");
	kvm_run_child_cases(cases, ARRAY_SIZE(cases), kvm_mmu_config_name(&cfg));
}
