// SPDX-License-Identifier: GPL-2.0
/*
 * Step tables for the guest step engine: building them, entering the
 * paging mode, running them, decoding the engine's ucalls and comparing
 * outcomes with expectations.  See include/x86_64/guest_paging.h.
 */
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "guest_paging_int.h"
#include "kvm_trace.h"

static const char *const op_names[GSTEP_NR_OPS] = {
	[GSTEP_NOP] = "nop",
	[GSTEP_LOAD] = "load",
	[GSTEP_STORE] = "store",
	[GSTEP_EXEC] = "exec",
	[GSTEP_INVLPG] = "invlpg",
	[GSTEP_WRITE_CR3] = "mov cr3",
	[GSTEP_CR0] = "cr0",
	[GSTEP_CR4] = "cr4",
	[GSTEP_EFER] = "efer",
	[GSTEP_SYNC] = "sync",
	[GSTEP_WRPKRU] = "wrpkru",
	[GSTEP_OUTSB] = "outsb",
	[GSTEP_INSB] = "insb",
	[GSTEP_VMRUN] = "vmrun",
	[GSTEP_VMMCALL] = "vmmcall",
};

static int add_step_flags(struct paging_vm *pvm, enum gstep_op op, uint16_t flags,
			  uint64_t addr, int size, uint64_t val, uint64_t val2,
			  struct gstep_expect e)
{
	uint32_t i = pvm->nr_steps;

	TEST_ASSERT(i < GSTEP_MAX_STEPS, "more than %u steps in one table", GSTEP_MAX_STEPS);
	pvm->priv->steps[i] = (struct gstep){
		.op = op, .size = size, .flags = flags, .addr = addr, .val = val, .val2 = val2,
	};
	pvm->priv->expect[i] = e;
	pvm->priv->phase[i] = pvm->priv->cur_phase;
	pvm->nr_steps++;
	return i;
}

static int add_step(struct paging_vm *pvm, enum gstep_op op, uint64_t addr, int size,
		    uint64_t val, uint64_t val2, struct gstep_expect e)
{
	return add_step_flags(pvm, op, 0, addr, size, val, val2, e);
}

void gstep_phase(struct paging_vm *pvm, const char *phase)
{
	pvm->priv->cur_phase = phase;
}

static void check_size(int size)
{
	TEST_ASSERT(size == 1 || size == 2 || size == 4 || size == 8,
		    "access size %d: use 1, 2, 4 or 8", size);
}

int gstep_load(struct paging_vm *pvm, uint64_t va, int size, struct gstep_expect e)
{
	check_size(size);
	return add_step(pvm, GSTEP_LOAD, va, size, 0, 0, e);
}

int gstep_store(struct paging_vm *pvm, uint64_t va, int size, uint64_t val,
		struct gstep_expect e)
{
	check_size(size);
	return add_step(pvm, GSTEP_STORE, va, size, val, 0, e);
}

int gstep_exec(struct paging_vm *pvm, uint64_t va, struct gstep_expect e)
{
	return add_step(pvm, GSTEP_EXEC, va, 0, 0, 0, e);
}

int gstep_load_user(struct paging_vm *pvm, uint64_t va, int size, struct gstep_expect e)
{
	check_size(size);
	return add_step_flags(pvm, GSTEP_LOAD, GSTEP_F_USER, va, size, 0, 0, e);
}

int gstep_store_user(struct paging_vm *pvm, uint64_t va, int size, uint64_t val,
		     struct gstep_expect e)
{
	check_size(size);
	return add_step_flags(pvm, GSTEP_STORE, GSTEP_F_USER, va, size, val, 0, e);
}

int gstep_exec_user(struct paging_vm *pvm, uint64_t va, struct gstep_expect e)
{
	return add_step_flags(pvm, GSTEP_EXEC, GSTEP_F_USER, va, 0, 0, 0, e);
}

int gstep_invlpg(struct paging_vm *pvm, uint64_t va)
{
	return add_step(pvm, GSTEP_INVLPG, va, 0, 0, 0, EXPECT_OK());
}

int gstep_write_cr3(struct paging_vm *pvm, uint64_t cr3, struct gstep_expect e)
{
	return add_step(pvm, GSTEP_WRITE_CR3, 0, 0, cr3, 0, e);
}

int gstep_switch_as(struct paging_vm *pvm, struct guest_as *as)
{
	return gstep_write_cr3(pvm, guest_as_cr3(as), EXPECT_OK());
}

int gstep_switch_as_emulated(struct paging_vm *pvm, struct guest_as *as,
			     bool clear_pdpte_bit5)
{
	uint64_t cr3 = guest_as_cr3(as);
	uint64_t pdpt_va = 0;

	TEST_ASSERT(kvm_is_forced_emulation_enabled(),
		    "an emulated MOV CR3 needs kvm.force_emulation_prefix=1");
	if (clear_pdpte_bit5) {
		TEST_ASSERT(as->mode == GUEST_PAGING_PAE, "PDPTEs: not a PAE address space");
		pdpt_va = paging_vm_table_va(pvm, cr3 & ~(uint64_t)(PAGE_SIZE - 1)) +
			  (cr3 & (PAGE_SIZE - 1) & ~31ULL);
	}
	/*
	 * With EPT the guest reads CR3 from the VMCS, which KVM writes only
	 * from a CR3 it marked dirty (vmx_load_mmu_pgd(), 6.12 and 7.3 vmx.c).
	 */
	return add_step_flags(pvm, GSTEP_WRITE_CR3, GSTEP_F_EMULATED, 0, 0, cr3, pdpt_va,
			      EXPECT_VALUE(cr3));
}

int gstep_write_entry(struct paging_vm *pvm, struct guest_as *as, uint64_t va,
		      int level, uint64_t val)
{
	uint64_t gpa = guest_as_entry_gpa(as, va, level);

	return gstep_store(pvm, paging_vm_table_va(pvm, gpa),
			   guest_paging_entry_size(as->mode), val, EXPECT_OK());
}

int gstep_cr0(struct paging_vm *pvm, uint64_t set, uint64_t clear)
{
	return add_step(pvm, GSTEP_CR0, 0, 0, set, clear, EXPECT_OK());
}

int gstep_cr0_gp(struct paging_vm *pvm, uint64_t set, uint64_t clear)
{
	return add_step(pvm, GSTEP_CR0, 0, 0, set, clear, EXPECT_FAULT(GP_VECTOR, 0));
}

int gstep_cr4(struct paging_vm *pvm, uint64_t set, uint64_t clear)
{
	return add_step(pvm, GSTEP_CR4, 0, 0, set, clear, EXPECT_OK());
}

int gstep_efer(struct paging_vm *pvm, uint64_t set, uint64_t clear)
{
	return add_step(pvm, GSTEP_EFER, 0, 0, set, clear, EXPECT_OK());
}

int gstep_wrpkru(struct paging_vm *pvm, uint32_t pkru)
{
	return add_step(pvm, GSTEP_WRPKRU, 0, 0, pkru, 0, EXPECT_VALUE(pkru));
}

int gstep_outsb(struct paging_vm *pvm, uint64_t va, struct gstep_expect e)
{
	return add_step(pvm, GSTEP_OUTSB, va, 1, 0, 0, e);
}

int gstep_insb(struct paging_vm *pvm, uint64_t va, struct gstep_expect e)
{
	return add_step(pvm, GSTEP_INSB, va, 1, 0, 0, e);
}

int gstep_sync(struct paging_vm *pvm)
{
	return add_step(pvm, GSTEP_SYNC, 0, 0, 0, 0, EXPECT_OK());
}

int gstep_vmrun(struct paging_vm *pvm, uint64_t vmcb_gpa, uint64_t hsave_gpa,
		uint64_t pdpt_va, struct gstep_expect e)
{
	return add_step(pvm, GSTEP_VMRUN, vmcb_gpa, 0, hsave_gpa, pdpt_va, e);
}

int gstep_vmmcall(struct paging_vm *pvm)
{
	return add_step(pvm, GSTEP_VMMCALL, 0, 0, 0, 0, EXPECT_OK());
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool is64)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !is64, .s = 1, .l = is64, .g = 1,
	};
}

/*
 * The segments, descriptor tables and control registers the engine starts
 * with: flat ring-0 segments of its GDT, the mode's CR0/CR4/EFER, and CR3
 * at the initial address space.  Every field is written, because
 * vm_create_with_one_vcpu() left the vCPU in 64-bit mode and
 * KVM_SET_SREGS rejects leftovers such as CS.L without EFER.LMA.
 */
void paging_vm_initial_sregs(struct paging_vm *pvm, struct kvm_sregs *sregs)
{
	bool is64 = guest_paging_mode_is_64bit(pvm->mode);

	sregs->cs = flat_segment(GSTEP_SEL_CODE, 0xb, is64);
	sregs->ds = flat_segment(GSTEP_SEL_DATA, 0x3, false);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	/*
	 * A busy TSS, as VMX entry checks demand; the engine then reloads TR
	 * with LTR (see gstep_main()).
	 */
	sregs->tr = (struct kvm_segment){
		.base = GSTEP_TSS_GPA, .limit = 0x67, .selector = GSTEP_SEL_TSS,
		.type = 0xb, .present = 1,
	};
	sregs->ldt = (struct kvm_segment){ .unusable = 1 };
	sregs->gdt.base = GSTEP_GDT_GPA;
	sregs->gdt.limit = GSTEP_GDT_SIZE - 1;
	sregs->idt.base = GSTEP_IDT_GPA;
	sregs->idt.limit = 0;
	sregs->cr0 = pvm->cr0;
	sregs->cr4 = pvm->cr4;
	sregs->efer = pvm->efer;
	sregs->cr2 = 0;
	sregs->cr3 = 0;
	if (pvm->mode != GUEST_PAGING_OFF) {
		TEST_ASSERT(pvm->initial_as, "%s: no address space to start in",
			    pvm->name);
		sregs->cr3 = guest_as_cr3(pvm->initial_as);
	}
}

static const char *guest_string(struct paging_vm *pvm, uint32_t gpa)
{
	if (gpa < GSTEP_CODE_GPA || gpa >= GSTEP_CODE_GPA + GSTEP_CODE_MAX)
		return "(bad string address)";
	return paging_vm_hva(pvm, gpa);
}

uint64_t paging_vm_get_ucall(struct paging_vm *pvm, struct ucall *uc)
{
	struct kvm_run *run = pvm->vcpu->run;
	struct gstep_ucall *guc;
	uint32_t gpa;

	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != GSTEP_UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1)
		return UCALL_NONE;

	gpa = *(uint32_t *)((char *)run + run->io.data_offset);
	TEST_ASSERT(gpa == GSTEP_MAILBOX_GPA + offsetof(struct gstep_mailbox, uc),
		    "engine ucall with a bad mailbox address 0x%x", gpa);
	guc = paging_vm_hva(pvm, gpa);
	uc->cmd = guc->cmd;
	memcpy(uc->args, guc->args, sizeof(guc->args));
	if (uc->cmd == UCALL_ABORT) {
		struct gstep_mailbox *mb = paging_vm_hva(pvm, GSTEP_MAILBOX_GPA);

		/*
		 * The same args as the framework's GUEST_ASSERT, as host
		 * pointers, so that REPORT_GUEST_ASSERT() prints them; the
		 * message carries the values and where the engine was.
		 */
		snprintf(pvm->priv->abort_msg, sizeof(pvm->priv->abort_msg),
			 "%s: guest step engine: %s [values 0x%lx 0x%lx 0x%lx 0x%lx, step %u]",
			 pvm->name, guest_string(pvm, guc->exp_gpa),
			 guc->args[0], guc->args[1], guc->args[2], guc->args[3], mb->cur_step);
		uc->args[GUEST_ERROR_STRING] = (uint64_t)pvm->priv->abort_msg;
		uc->args[GUEST_FILE] = (uint64_t)guest_string(pvm, guc->file_gpa);
		uc->args[GUEST_LINE] = guc->line;
	}
	return uc->cmd;
}

static int describe_step(char *buf, size_t len, const struct gstep *s)
{
	const char *op = s->op < GSTEP_NR_OPS ? op_names[s->op] : "?";
	int n = 0;

	if (s->flags & (GSTEP_F_USER | GSTEP_F_EMULATED)) {
		n = snprintf(buf, len, "%s ", s->flags & GSTEP_F_USER ? "user" : "emulated");
		buf += n;
		len -= n;
	}

	switch (s->op) {
	case GSTEP_LOAD:
		return n + snprintf(buf, len, "%s%d 0x%lx", op, s->size * 8, s->addr);
	case GSTEP_STORE:
		return n + snprintf(buf, len, "%s%d 0x%lx <- 0x%lx", op, s->size * 8, s->addr,
				    s->val);
	case GSTEP_EXEC:
	case GSTEP_INVLPG:
	case GSTEP_OUTSB:
	case GSTEP_INSB:
		return n + snprintf(buf, len, "%s 0x%lx", op, s->addr);
	case GSTEP_WRITE_CR3:
		return n + snprintf(buf, len, "%s <- 0x%lx%s", op, s->val,
				    s->val2 ? " (PDPTE bit 5 cleared first)" : "");
	case GSTEP_WRPKRU:
		return n + snprintf(buf, len, "%s <- 0x%lx", op, s->val);
	case GSTEP_VMRUN:
		return n + snprintf(buf, len, "%s vmcb 0x%lx hsave 0x%lx%s", op, s->addr, s->val,
				    s->val2 ? " (PDPTE bit 5 cleared first)" : "");
	case GSTEP_CR0:
	case GSTEP_CR4:
	case GSTEP_EFER:
		return n + snprintf(buf, len, "%s set 0x%lx clear 0x%lx", op, s->val, s->val2);
	default:
		return n + snprintf(buf, len, "%s", op);
	}
}

static int describe_result(char *buf, size_t len, const struct gstep_result *r)
{
	if (!r->done)
		return snprintf(buf, len, "not run");
	if (r->vector == GSTEP_NO_FAULT)
		return snprintf(buf, len, "value 0x%lx", r->value);
	if (r->vector == PF_VECTOR)
		return snprintf(buf, len, "#PF error code 0x%lx CR2 0x%lx", r->error_code, r->cr2);
	return snprintf(buf, len, "vector %u error code 0x%lx", r->vector, r->error_code);
}

static int describe_expect(char *buf, size_t len, const struct gstep_expect *e)
{
	char ignoring[40] = "";

	if (e->ec_ignore)
		snprintf(ignoring, sizeof(ignoring), " (bits 0x%lx not compared)", e->ec_ignore);
	switch (e->kind) {
	case GSTEP_EXPECT_OK:
		return snprintf(buf, len, "no exception");
	case GSTEP_EXPECT_VALUE:
		return snprintf(buf, len, "value 0x%lx", e->value);
	case GSTEP_EXPECT_PF:
		return snprintf(buf, len, "#PF error code 0x%lx%s CR2 0x%lx",
				e->value, ignoring, e->cr2);
	case GSTEP_EXPECT_FAULT:
		return snprintf(buf, len, "vector %u error code 0x%lx%s",
				e->vector, e->value, ignoring);
	default:
		return snprintf(buf, len, "anything");
	}
}

static bool outcome_matches(const struct gstep_expect *e, const struct gstep_result *r)
{
	if (!r->done)
		return false;
	switch (e->kind) {
	case GSTEP_EXPECT_ANY:
		return true;
	case GSTEP_EXPECT_OK:
		return r->vector == GSTEP_NO_FAULT;
	case GSTEP_EXPECT_VALUE:
		return r->vector == GSTEP_NO_FAULT && r->value == e->value;
	case GSTEP_EXPECT_PF:
		return r->vector == PF_VECTOR && !((r->error_code ^ e->value) & ~e->ec_ignore) &&
		       r->cr2 == e->cr2;
	case GSTEP_EXPECT_FAULT:
		return r->vector == e->vector && !((r->error_code ^ e->value) & ~e->ec_ignore);
	}
	return false;
}

static int compare_results(struct paging_vm *pvm, uint32_t nr)
{
	char what[128], want[96], got[96];
	int mismatches = 0;
	uint32_t i;

	for (i = 0; i < nr; i++) {
		if (!pvm->priv->results[i].done) {
			ksft_print_msg("%s: steps %u to %u did not run\n", pvm->name, i, nr - 1);
			return mismatches + nr - i;
		}
		if (outcome_matches(&pvm->priv->expect[i], &pvm->priv->results[i]))
			continue;
		pvm->priv->ran_mismatches++;
		if (++mismatches > 20)
			continue;
		describe_step(what, sizeof(what), &pvm->priv->steps[i]);
		describe_expect(want, sizeof(want), &pvm->priv->expect[i]);
		describe_result(got, sizeof(got), &pvm->priv->results[i]);
		ksft_print_msg("%s: step %u (%s) %s: expected %s, got %s\n", pvm->name, i,
			       pvm->priv->phase[i] ? pvm->priv->phase[i] : "-", what, want, got);
	}
	if (mismatches > 20)
		ksft_print_msg("%s: %d more mismatches not shown\n", pvm->name,
			       mismatches - 20);
	return mismatches;
}

void paging_vm_serve_sync(struct paging_vm *pvm, const struct ucall *uc)
{
	if (pvm->sync_fn)
		pvm->sync_fn(pvm, uc->args[0], pvm->sync_arg);
}

/*
 * The vCPU stopped for good: keep how (pvm->priv->stop) and print where the
 * engine was.  KVM_EXIT_INTERNAL_ERROR's suberror and data name KVM's
 * reason.
 */
static void report_stop(struct paging_vm *pvm, uint32_t nr, char *why, size_t size)
{
	struct gstep_mailbox *mb = paging_vm_hva(pvm, GSTEP_MAILBOX_GPA);
	struct kvm_run *run = pvm->vcpu->run;
	struct paging_vm_stop *stop = &pvm->priv->stop;
	char what[128] = "-";

	memset(stop, 0, sizeof(*stop));
	stop->exit_reason = run->exit_reason;
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		kvm_internal_error_save(run, &stop->internal);
		kvm_internal_error_format(&stop->internal, why, size);
	}
	stop->in_step = mb->started && mb->cur_step < nr;
	if (stop->in_step) {
		stop->step = pvm->priv->steps[mb->cur_step];
		describe_step(what, sizeof(what), &stop->step);
	}
	ksft_print_msg("%s: %s %s %u (%s)\n", pvm->name, why,
		       mb->started ? "at step" : "before the engine loaded its IDT, step",
		       mb->cur_step, what);
}

/* Run the vCPU until the engine reports DONE; false if it died. */
static bool run_until_done(struct paging_vm *pvm, uint32_t nr)
{
	const struct paging_target *target = pvm->priv->target;
	struct kvm_run *run = pvm->vcpu->run;
	char why[512];
	struct ucall uc;

	for (;;) {
		vcpu_run(pvm->vcpu);
		if (pvm->priv->exit_hook && pvm->priv->exit_hook(pvm->priv->exit_hook_arg))
			continue;
		switch (paging_vm_get_ucall(pvm, &uc)) {
		case UCALL_SYNC:
			paging_vm_serve_sync(pvm, &uc);
			continue;
		case UCALL_DONE:
			TEST_ASSERT(uc.args[0] == nr, "engine ran %lu steps of %u", uc.args[0], nr);
			return true;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			return false;
		default:
			break;
		}
		/* An OUTSB/INSB step: KVM emulated it and hands the port I/O to us. */
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == GSTEP_SINK_PORT) {
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset((char *)run + run->io.data_offset, GSTEP_SINK_IN_BYTE,
				       run->io.size * run->io.count);
			continue;
		}
		/* The target may know better (L2 left to an L1 that never resumes it). */
		if (!target->stopped || !target->stopped(pvm, why, sizeof(why)))
			snprintf(why, sizeof(why), "the guest stopped with exit reason %s%s",
				 exit_reason_str(run->exit_reason),
				 run->exit_reason == KVM_EXIT_SHUTDOWN ? " (triple fault)" : "");
		report_stop(pvm, nr, why, sizeof(why));
		pvm->dead = true;
		return false;
	}
}

void paging_vm_load_steps(struct paging_vm *pvm)
{
	struct gstep_mailbox *mb = paging_vm_hva(pvm, GSTEP_MAILBOX_GPA);
	uint32_t nr = pvm->nr_steps;

	memcpy(paging_vm_hva(pvm, GSTEP_STEPS_GPA), pvm->priv->steps,
	       nr * sizeof(*pvm->priv->steps));
	memset(paging_vm_hva(pvm, GSTEP_RESULTS_GPA), 0, nr * sizeof(*pvm->priv->results));
	mb->nr_steps = nr;
	mb->cur_step = 0;
}

int paging_vm_check_steps(struct paging_vm *pvm, uint32_t nr, bool alive)
{
	int mismatches;

	memcpy(pvm->priv->results, paging_vm_hva(pvm, GSTEP_RESULTS_GPA),
	       nr * sizeof(*pvm->priv->results));
	mismatches = compare_results(pvm, nr);
	pvm->nr_steps = 0;
	pvm->priv->cur_phase = NULL;
	if (!alive)
		mismatches++;
	return mismatches;
}

int paging_vm_run_vcpu(struct paging_vm *pvm)
{
	uint32_t nr = pvm->nr_steps;
	bool alive = false;

	paging_vm_load_steps(pvm);
	if (!pvm->priv->started) {
		pvm->priv->started = true;
		pvm->priv->target->start(pvm);
	}

	/* A vCPU that triple faulted stays down: report the steps as not run. */
	if (!pvm->dead)
		alive = run_until_done(pvm, nr);
	return paging_vm_check_steps(pvm, nr, alive);
}

int paging_vm_run_steps(struct paging_vm *pvm)
{
	return pvm->priv->target->run(pvm);
}

bool paging_vm_run_traced(struct paging_vm *pvm, bool trace, const char *phase,
			  struct kvm_trace **t)
{
	bool ok;

	*t = NULL;
	if (trace) {
		*t = kvm_trace_create();
		kvm_trace_start(*t, phase);
	}
	ok = !paging_vm_run_steps(pvm);
	if (*t)
		kvm_trace_stop(*t);
	return ok;
}

/* paging_vm_run_phases_traced()'s state while the table runs. */
struct traced_phases {
	struct kvm_trace *t;
	const char *const *names;
	int nr, started, *phases;
};

/* Begin the next phase of the capture. */
static void start_traced_phase(struct traced_phases *tp)
{
	kvm_trace_start(tp->t, tp->started < tp->nr ? tp->names[tp->started] : "past the last");
	if (tp->started < tp->nr)
		tp->phases[tp->started] = kvm_trace_phase(tp->t);
	tp->started++;
}

/* At each GSTEP_SYNC: end the capture's phase and begin the next one. */
static void next_traced_phase(struct paging_vm *pvm, uint32_t step, void *arg)
{
	kvm_trace_stop(((struct traced_phases *)arg)->t);
	start_traced_phase(arg);
}

bool paging_vm_run_phases_traced(struct paging_vm *pvm, bool trace, const char *const *names,
				 int nr, int *phases, struct kvm_trace **t)
{
	struct traced_phases tp = { .names = names, .nr = nr, .phases = phases };
	paging_vm_sync_fn sync_fn = pvm->sync_fn;
	void *sync_arg = pvm->sync_arg;
	bool ok;
	int i;

	for (i = 0; i < nr; i++)
		phases[i] = -1;
	if (!trace) {
		*t = NULL;
		return !paging_vm_run_steps(pvm);
	}
	tp.t = kvm_trace_create();
	pvm->sync_fn = next_traced_phase;
	pvm->sync_arg = &tp;
	start_traced_phase(&tp);
	ok = !paging_vm_run_steps(pvm);
	kvm_trace_stop(tp.t);
	pvm->sync_fn = sync_fn;
	pvm->sync_arg = sync_arg;
	*t = tp.t;
	return ok && tp.started == nr;
}

bool paging_vm_died_of_delivery_ev(struct paging_vm *pvm, char *buf, size_t size)
{
	const struct paging_vm_stop *stop = &pvm->priv->stop;
	const struct gstep *step = &stop->step;
	bool write = step->op == GSTEP_STORE;
	char what[128];

	if (!pvm->dead || pvm->priv->ran_mismatches ||
	    stop->exit_reason != KVM_EXIT_INTERNAL_ERROR ||
	    !stop->in_step || (step->op != GSTEP_LOAD && !write) ||
	    (step->addr < GSTEP_SLOT_GPA + GSTEP_ENGINE_SIZE &&
	     step->addr + step->size > GSTEP_SLOT_GPA) ||
	    !kvm_internal_error_is_svm_pf_delivery_ev(&stop->internal, step->addr, step->size,
						      write))
		return false;
	describe_step(what, sizeof(what), step);
	snprintf(buf, size,
		 "KVM_INTERNAL_ERROR_DELIVERY_EV at a #PF intercept (EXITINFO1 0x%lx) of the %s's own operand 0x%lx, in step %s, all earlier steps right: no event was being delivered",
		 stop->internal.data[2], write ? "store" : "load", stop->internal.data[0], what);
	return true;
}

const struct gstep_result *paging_vm_result(struct paging_vm *pvm, int step)
{
	return &pvm->priv->results[step];
}
