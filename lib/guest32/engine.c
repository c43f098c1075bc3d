// SPDX-License-Identifier: GPL-2.0
/*
 * The guest step engine: runs the table of steps that the host wrote at
 * GSTEP_STEPS_GPA and records each step's outcome at GSTEP_RESULTS_GPA,
 * then reports DONE and waits for the next table.  An exception during a
 * step is recorded (vector, error code, CR2) and the engine goes on with
 * the next step, so one VM exit reports a whole table.
 *
 * Built freestanding, twice from this source: with -m32 for 32-bit
 * protected mode (paging off, 2-level, PAE) and with -m64 for IA-32e
 * paging.  It runs identity mapped at GSTEP_CODE_GPA at CPL 0 and may
 * only use what is in this directory (no libc, no framework code).
 */
#include <stdint.h>

#include "guest_steps.h"
#include "engine.h"

/* Shared with the host: every access is a READ_ONCE() or WRITE_ONCE(). */
static struct gstep_mailbox *const mailbox = (struct gstep_mailbox *)GSTEP_MAILBOX_GPA;
static struct gstep *const steps = (struct gstep *)GSTEP_STEPS_GPA;
static struct gstep_result *const results = (struct gstep_result *)GSTEP_RESULTS_GPA;

/* Set by the exception stubs (entry.S) before they jump to gstep_recover. */
struct gstep_fault gstep_fault;
/* Non-zero while a step runs: a fault then ends the step, not the guest. */
unsigned long gstep_armed;
struct gstep_jmpbuf gstep_recover;
uint64_t gstep_user_value;

static void ucall(uint64_t cmd, uint64_t arg0, uint64_t arg1, uint64_t arg2,
		  uint64_t arg3)
{
	struct gstep_ucall *uc = &mailbox->uc;

	WRITE_ONCE(uc->cmd, cmd);
	WRITE_ONCE(uc->args[0], arg0);
	WRITE_ONCE(uc->args[1], arg1);
	WRITE_ONCE(uc->args[2], arg2);
	WRITE_ONCE(uc->args[3], arg3);
	asm volatile("outl %%eax, %%dx"
		     : : "a"((uint32_t)(uintptr_t)uc), "d"(GSTEP_UCALL_PORT) : "memory");
}

void __gstep_assert_fail(const char *exp, const char *file, unsigned int line,
			 uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct gstep_ucall *uc = &mailbox->uc;

	WRITE_ONCE(gstep_armed, 0);
	WRITE_ONCE(uc->exp_gpa, (uint32_t)(uintptr_t)exp);
	WRITE_ONCE(uc->file_gpa, (uint32_t)(uintptr_t)file);
	WRITE_ONCE(uc->line, line);
	/* The host never resumes an ABORT; keep reporting if it does. */
	for (;;)
		ucall(GSTEP_UCALL_ABORT, a, b, c, d);
}

/* Called by entry.S for an exception taken outside of a step. */
void gstep_unexpected_exception(unsigned long vector, unsigned long error_code,
				unsigned long ip)
{
	unsigned long cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	__gstep_assert_fail("exception outside of a step (vector, error code, ip, cr2)",
			    __FILE__, __LINE__, vector, error_code, ip, cr2);
}

/*
 * An interrupt gate (type 0xe, present) on the ring-0 code selector:
 * 8 bytes in 32-bit mode, 16 bytes in IA-32e mode (SDM Vol. 3A 6.11,
 * 6.14.1).  DPL 3 only for the vector user steps return with: INT n
 * checks the gate's DPL, exceptions do not (6.12.1.1).
 */
static void set_gate(int vector, unsigned long handler, int dpl)
{
	const int words = sizeof(unsigned long) / 2;
	uint32_t *gate = (uint32_t *)GSTEP_IDT_GPA + vector * words;

	WRITE_ONCE(gate[0], (GSTEP_SEL_CODE << 16) | (handler & 0xffff));
	WRITE_ONCE(gate[1], (handler & 0xffff0000) | 0x8e00 | dpl << 13);
#ifdef __x86_64__
	WRITE_ONCE(gate[2], handler >> 32);
	WRITE_ONCE(gate[3], 0);
#endif
}

static void load_idt(void)
{
	struct __packed {
		uint16_t limit;
		unsigned long base;
	} idtr;
	int v;

	for (v = 0; v < 32; v++)
		set_gate(v, gstep_stub_table[v], 0);
	set_gate(GSTEP_USER_VECTOR, (unsigned long)gstep_user_return, 3);
	idtr.limit = (GSTEP_USER_VECTOR + 1) * sizeof(unsigned long) * 2 - 1;
	idtr.base = GSTEP_IDT_GPA;
	asm volatile("lidt %0" : : "m"(idtr) : "memory");
}

/* Run a LOAD, STORE or EXEC step at CPL 3 (ends in run_table()'s setjmp). */
static void user_step(struct gstep *s)
{
	static const uint8_t size_index[9] = { [1] = 0, [2] = 1, [4] = 2, [8] = 3 };
	int stub;

	switch (READ_ONCE(s->op)) {
	case GSTEP_LOAD:
		stub = USER_LOAD1 + size_index[READ_ONCE(s->size) & 15];
		break;
	case GSTEP_STORE:
		stub = USER_STORE1 + size_index[READ_ONCE(s->size) & 15];
		break;
	case GSTEP_EXEC:
		stub = USER_EXEC;
		break;
	default:
		GSTEP_ASSERT(0, READ_ONCE(s->op), READ_ONCE(s->flags));
	}
	GSTEP_ASSERT(READ_ONCE(s->op) == GSTEP_EXEC || READ_ONCE(s->size) == 1 ||
		     READ_ONCE(s->size) == 2 || READ_ONCE(s->size) == 4 ||
		     READ_ONCE(s->size) == 8, READ_ONCE(s->size), READ_ONCE(s->op));
	gstep_enter_user(gstep_user_stubs[stub], (unsigned long)READ_ONCE(s->addr),
			 READ_ONCE(s->val));
}

static uint64_t load(uintptr_t addr, uint32_t size)
{
	switch (size) {
	case 1:
		return READ_ONCE(*(uint8_t *)addr);
	case 2:
		return READ_ONCE(*(uint16_t *)addr);
	case 4:
		return READ_ONCE(*(uint32_t *)addr);
	case 8:
#ifdef __x86_64__
		return READ_ONCE(*(uint64_t *)addr);
#else
		/* Two loads, low half first: a fault reports whichever faulted. */
		return READ_ONCE(*(uint32_t *)addr) |
		       (uint64_t)READ_ONCE(*(uint32_t *)(addr + 4)) << 32;
#endif
	}
	GSTEP_ASSERT(0, size, addr);
	return 0;
}

static void store8(uintptr_t addr, uint64_t val)
{
#ifdef __x86_64__
	WRITE_ONCE(*(uint64_t *)addr, val);
#else
	/*
	 * One 8-byte write, as a 32-bit PAE kernel updates its PTEs: a locked
	 * CMPXCHG8B always writes its destination (SDM Vol. 2A, CMPXCHG8B), so
	 * it faults like a store.  Start from a guess of 0 and retry with the
	 * value it read.
	 */
	uint64_t old = 0;

	asm volatile("1: lock cmpxchg8b %0\n\t"
		     "jnz 1b"
		     : "+m"(*(uint64_t *)addr), "+A"(old)
		     : "b"((uint32_t)val), "c"((uint32_t)(val >> 32))
		     : "memory", "cc");
#endif
}

static void store(uintptr_t addr, uint32_t size, uint64_t val)
{
	switch (size) {
	case 1:
		WRITE_ONCE(*(uint8_t *)addr, val);
		return;
	case 2:
		WRITE_ONCE(*(uint16_t *)addr, val);
		return;
	case 4:
		WRITE_ONCE(*(uint32_t *)addr, val);
		return;
	case 8:
		store8(addr, val);
		return;
	}
	GSTEP_ASSERT(0, size, addr);
}

static unsigned long read_cr0(void)
{
	unsigned long v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static unsigned long read_cr3(void)
{
	unsigned long v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static unsigned long read_cr4(void)
{
	unsigned long v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

#define MSR_EFER	0xc0000080u

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | (uint64_t)hi << 32;
}

static void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
}

/* WRPKRU and RDPKRU want ECX = 0 (and EDX = 0 for WRPKRU): SDM Vol. 2B. */
static uint32_t wrpkru(uint32_t pkru)
{
	uint32_t v;

	asm volatile("wrpkru" : : "a"(pkru), "c"(0), "d"(0) : "memory");
	asm volatile("rdpkru" : "=a"(v) : "c"(0) : "edx");
	return v;
}

/*
 * VMRUN saves and restores only rAX, rSP, rIP and the state in the host
 * save area; the other general registers come back with L2's values
 * (APM vol. 2, 15.5.1 and 15.6), so they are all saved here.  GIF is 0
 * after #VMEXIT (15.17): STGI sets it again.  No CLGI before: the engine
 * runs with IF=0 and takes no interrupts, and under a hypervisor CLGI may
 * exit, which @pdpt below must not be followed by.
 *
 * @pdpt (0: none) is the virtual address of the current PAE PDPT: bit 5
 * of its present entries is cleared right before VMRUN, with nothing that
 * could exit to a hypervisor in between (PDPT_BIT5_CLEANUP).  Bit 5 is
 * reserved there and no CPU sets it, but QEMU's TCG walker does, and a
 * #VMEXIT to a PAE host reloads and checks the PDPTEs (docs/defects/
 * qemu-tcg-pae-pdpte-accessed-bit.md); on any other CPU this is a no-op.
 *
 * The instructions are spelled as bytes: VMRUN 0f 01 d8, STGI 0f 01 dc.
 */
#define PDPT_BIT5_CLEANUP						\
	"test %[p], %[p]\n\t"						\
	"jz 2f\n\t"							\
	"mov $4, %%ecx\n"						\
	"1:\ttestb $1, (%[p])\n\t"					\
	"jz 3f\n\t"							\
	"andb $0xdf, (%[p])\n"						\
	"3:\tadd $8, %[p]\n\t"					\
	"dec %%ecx\n\t"						\
	"jnz 1b\n"							\
	"2:\t"
#define VMRUN_AFTER_PDPT_CLEANUP					\
	PDPT_BIT5_CLEANUP						\
	".byte 0x0f, 0x01, 0xd8\n\t"					\
	".byte 0x0f, 0x01, 0xdc\n\t"

static uint64_t vmrun(uintptr_t vmcb, uint64_t hsave, uintptr_t pdpt)
{
	wrmsr(GSTEP_MSR_VM_HSAVE_PA, hsave);
#ifdef __x86_64__
	asm volatile("push %%rbp\n\t"
		     VMRUN_AFTER_PDPT_CLEANUP
		     "pop %%rbp"
		     : [p] "+S"(pdpt) : "a"(vmcb)
		     : "rbx", "rcx", "rdx", "rdi", "r8", "r9", "r10", "r11",
		       "r12", "r13", "r14", "r15", "memory", "cc");
#else
	asm volatile("pushal\n\t"
		     VMRUN_AFTER_PDPT_CLEANUP
		     "popal"
		     : [p] "+S"(pdpt) : "a"(vmcb) : "ecx", "memory", "cc");
#endif
	return load(vmcb + GSTEP_VMCB_EXIT_CODE, 8);
}

/*
 * MOV @cr3 to CR3 through KVM's emulator, @pdpt as for vmrun(): KVM's
 * emulated MOV CR3 loads and checks the PDPTEs (load_pdptrs()).
 */
static void write_cr3_emulated(unsigned long cr3, uintptr_t pdpt)
{
	asm volatile(PDPT_BIT5_CLEANUP GSTEP_KVM_FEP "mov %[v], %%cr3"
		     : [p] "+S"(pdpt) : [v] "a"(cr3) : "ecx", "memory", "cc");
}

static uint64_t do_step(uint32_t i, struct gstep *s)
{
	uintptr_t addr = (uintptr_t)READ_ONCE(s->addr);
	unsigned long v;

	switch (READ_ONCE(s->op)) {
	case GSTEP_NOP:
		return 0;
	case GSTEP_LOAD:
		return load(addr, READ_ONCE(s->size));
	case GSTEP_STORE:
		store(addr, READ_ONCE(s->size), READ_ONCE(s->val));
		return 0;
	case GSTEP_EXEC:
		((void (*)(void))addr)();
		return 0;
	case GSTEP_INVLPG:
		asm volatile("invlpg (%0)" : : "r"(addr) : "memory");
		return 0;
	case GSTEP_WRITE_CR3:
		v = (unsigned long)READ_ONCE(s->val);
		if (READ_ONCE(s->flags) & GSTEP_F_EMULATED)
			write_cr3_emulated(v, (uintptr_t)READ_ONCE(s->val2));
		else
			asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
		return read_cr3();
	case GSTEP_CR0:
		v = (read_cr0() & ~(unsigned long)READ_ONCE(s->val2)) |
		    (unsigned long)READ_ONCE(s->val);
		asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
		return read_cr0();
	case GSTEP_CR4:
		v = (read_cr4() & ~(unsigned long)READ_ONCE(s->val2)) |
		    (unsigned long)READ_ONCE(s->val);
		asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
		return read_cr4();
	case GSTEP_EFER:
		wrmsr(MSR_EFER, (rdmsr(MSR_EFER) & ~READ_ONCE(s->val2)) | READ_ONCE(s->val));
		return rdmsr(MSR_EFER);
	case GSTEP_SYNC:
		ucall(GSTEP_UCALL_SYNC, i, 0, 0, 0);
		return 0;
	case GSTEP_WRPKRU:
		return wrpkru((uint32_t)READ_ONCE(s->val));
	case GSTEP_OUTSB:
		asm volatile("outsb" : "+S"(addr) : "d"((uint16_t)GSTEP_SINK_PORT) : "memory");
		return 0;
	case GSTEP_INSB:
		asm volatile("insb" : "+D"(addr) : "d"((uint16_t)GSTEP_SINK_PORT) : "memory");
		return 0;
	case GSTEP_VMRUN:
		return vmrun(addr, READ_ONCE(s->val), (uintptr_t)READ_ONCE(s->val2));
	case GSTEP_VMMCALL:
		/*
		 * VMRUN and #VMEXIT keep RSP, RAX and RFLAGS in the VMCB but
		 * leave the other GPRs to L1, which uses them meanwhile: keep
		 * ours on the stack.
		 */
#ifdef __x86_64__
		asm volatile("push %%rbx; push %%rbp; push %%r12; "
			     "push %%r13; push %%r14; push %%r15\n\t"
			     "vmmcall\n\t"
			     "pop %%r15; pop %%r14; pop %%r13; pop %%r12; pop %%rbp; pop %%rbx"
			     : : : "memory", "rax", "rcx", "rdx", "rsi", "rdi",
			       "r8", "r9", "r10", "r11");
#else
		asm volatile("pushal; vmmcall; popal" : : : "memory");
#endif
		return 0;
	}
	GSTEP_ASSERT(0, READ_ONCE(s->op), i);
	return 0;
}

static void run_table(void)
{
	uint32_t nr = READ_ONCE(mailbox->nr_steps);
	struct gstep_result *r;
	/*
	 * Survives the longjmp from a fault: it lives in memory, and every
	 * access is a READ_ONCE() or WRITE_ONCE().
	 */
	static uint32_t i;

	GSTEP_ASSERT(nr <= GSTEP_MAX_STEPS, nr, GSTEP_MAX_STEPS);
	for (WRITE_ONCE(i, 0); READ_ONCE(i) < nr; WRITE_ONCE(i, READ_ONCE(i) + 1)) {
		r = &results[READ_ONCE(i)];
		WRITE_ONCE(mailbox->cur_step, READ_ONCE(i));
		WRITE_ONCE(r->vector, GSTEP_NO_FAULT);
		switch (gstep_setjmp(&gstep_recover)) {
		case 0:
			WRITE_ONCE(gstep_armed, 1);
			if (READ_ONCE(steps[READ_ONCE(i)].flags) & GSTEP_F_USER)
				user_step(&steps[READ_ONCE(i)]);
			WRITE_ONCE(r->value, do_step(READ_ONCE(i), &steps[READ_ONCE(i)]));
			WRITE_ONCE(gstep_armed, 0);
			break;
		case 1:
			r = &results[READ_ONCE(i)];
			WRITE_ONCE(r->vector, READ_ONCE(gstep_fault.vector));
			WRITE_ONCE(r->error_code, READ_ONCE(gstep_fault.error_code));
			WRITE_ONCE(r->cr2, READ_ONCE(gstep_fault.cr2));
			break;
		default:
			r = &results[READ_ONCE(i)];
			WRITE_ONCE(r->value, READ_ONCE(gstep_user_value));
			break;
		}
		WRITE_ONCE(r->done, 1);
	}
}

void gstep_main(void)
{
	/*
	 * Load TR from the GDT's available TSS descriptor, although the host
	 * set TR already: QEMU's TCG (the CPU of this project's VM runner)
	 * keeps the type an LTR leaves in its TR cache, "available", and
	 * aborts with "invalid tss type" at a CPL 3 -> 0 switch in 32-bit
	 * mode when TR arrived busy, e.g. through VMRUN from KVM_SET_SREGS.
	 */
	asm volatile("ltr %w0" : : "r"((uint16_t)GSTEP_SEL_TSS));
	load_idt();
	WRITE_ONCE(mailbox->started, 1);
	for (;;) {
		run_table();
		ucall(GSTEP_UCALL_DONE, READ_ONCE(mailbox->nr_steps), 0, 0, 0);
	}
}
