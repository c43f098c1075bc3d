/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ABI between the host library (lib/x86_64/guest_paging.c,
 * lib/x86_64/guest_steps.c) and the guest step engine (lib/guest32/),
 * which is built twice from one source: -m32 for the 32-bit paging modes
 * and -m64 for IA-32e paging.  Only fixed-width fields, so that both
 * builds and the host agree on every offset; this header is included by
 * freestanding guest code, assembly and the engine's linker script, and
 * must not include anything but <stdint.h>.
 *
 * Guest-physical layout, all inside one test-owned memslot below 4 GiB
 * (32-bit paging without PSE-36 cannot reach higher) and away from the
 * IOAPIC/LAPIC pages at 0xfec00000/0xfee00000:
 *
 *   GSTEP_SLOT_GPA      GDT, IDT, TSS, mailbox, step table, results,
 *                       engine code, stack: the "engine region", identity
 *                       mapped in every guest address space
 *   GSTEP_PT_POOL_GPA   every paging structure of every address space
 *   GSTEP_DATA_GPA      pages the tests map wherever they like
 */
#ifndef SELFTEST_KVM_GUEST_STEPS_H
#define SELFTEST_KVM_GUEST_STEPS_H

#define GSTEP_SLOT_GPA		0x10000000
#define GSTEP_SLOT_SIZE		0x04000000

#define GSTEP_GDT_GPA		(GSTEP_SLOT_GPA + 0x0000)
#define GSTEP_IDT_GPA		(GSTEP_SLOT_GPA + 0x1000)
#define GSTEP_TSS_GPA		(GSTEP_SLOT_GPA + 0x2000)
#define GSTEP_MAILBOX_GPA	(GSTEP_SLOT_GPA + 0x10000)
#define GSTEP_STEPS_GPA		(GSTEP_SLOT_GPA + 0x20000)
#define GSTEP_RESULTS_GPA	(GSTEP_SLOT_GPA + 0x60000)
#define GSTEP_MAX_STEPS		0x2000		/* 256 KiB of each */
#define GSTEP_CODE_GPA		(GSTEP_SLOT_GPA + 0x100000)
#define GSTEP_CODE_MAX		0x100000
/* User-mode steps: a user stack page; ring-0 stack for CPL3 -> CPL0. */
#define GSTEP_USER_STACK_GPA	(GSTEP_SLOT_GPA + 0x3e0000)
#define GSTEP_USER_STACK_TOP	(GSTEP_USER_STACK_GPA + 0x1000)
#define GSTEP_RING0_STACK_TOP	(GSTEP_SLOT_GPA + 0x3f0000)
#define GSTEP_STACK_TOP		(GSTEP_SLOT_GPA + 0x400000)
#define GSTEP_ENGINE_SIZE	0x400000

#define GSTEP_PT_POOL_GPA	(GSTEP_SLOT_GPA + 0x400000)
#define GSTEP_PT_POOL_SIZE	0x400000
#define GSTEP_DATA_GPA		(GSTEP_SLOT_GPA + 0x800000)
#define GSTEP_DATA_SIZE		0x3800000

/*
 * GDT selectors the host sets up: ring-0 and ring-3 code (32- or 64-bit)
 * and data, and the TSS (16 bytes in IA-32e mode).
 */
#define GSTEP_SEL_CODE		0x08
#define GSTEP_SEL_DATA		0x10
#define GSTEP_SEL_UCODE		0x1b
#define GSTEP_SEL_UDATA		0x23
#define GSTEP_SEL_TSS		0x28
#define GSTEP_GDT_SIZE		0x38

/* User steps end with INT $GSTEP_USER_VECTOR, through a DPL-3 gate. */
#define GSTEP_USER_VECTOR	0x80

/*
 * The engine image starts with a jump over this header (at offset 8),
 * which says where its user-mode code is: the host maps those pages
 * user-accessible.
 */
#define GSTEP_HEADER_OFFSET	8
#define GSTEP_HEADER_MAGIC	0x50455453	/* "STEP" */

/*
 * The guest's ucall: OUT of 4 bytes to this port, EAX = GPA of the
 * mailbox's struct gstep_ucall.  Never 0x1000: the framework's vcpu_run()
 * decodes every exit on that port as a 64-bit ucall whose RDI is a host
 * pointer, which a 32-bit guest cannot provide.
 */
#define GSTEP_UCALL_PORT	0x1032
/*
 * OUTSB/INSB steps use this port: the host ignores what is written and
 * answers GSTEP_SINK_IN_BYTE to reads.  Both are string I/O, which KVM
 * emulates, so their memory operand goes through KVM's own walk of the
 * guest's page tables (x86.c emulator_read_write(), mmu gva_to_gpa).
 */
#define GSTEP_SINK_PORT		0x1033
#define GSTEP_SINK_IN_BYTE	0xc3

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Values of gstep_ucall.cmd: the framework's UCALL_SYNC/ABORT/DONE. */
#define GSTEP_UCALL_SYNC	1
#define GSTEP_UCALL_ABORT	2
#define GSTEP_UCALL_DONE	4

enum gstep_op {
	GSTEP_NOP,
	GSTEP_LOAD,		/* value = *(size bytes *)addr */
	GSTEP_STORE,		/* *(size bytes *)addr = val */
	GSTEP_EXEC,		/* call addr (the host put a RET there) */
	GSTEP_INVLPG,		/* invlpg (addr) */
	GSTEP_WRITE_CR3,	/* mov val, %cr3; value = cr3 read back */
	GSTEP_CR0,		/* cr0 = (cr0 & ~val2) | val; value = new cr0 */
	GSTEP_CR4,		/* the same for cr4 */
	GSTEP_EFER,		/* the same for the EFER MSR */
	GSTEP_SYNC,		/* ucall(SYNC, step index): the host acts */
	GSTEP_WRPKRU,		/* pkru = val (needs CR4.PKE); value = RDPKRU */
	GSTEP_OUTSB,		/* outsb from addr to GSTEP_SINK_PORT */
	GSTEP_INSB,		/* insb from GSTEP_SINK_PORT to addr */
	/*
	 * VM_HSAVE_PA = val, then VMRUN with rAX = addr; STGI (AMD APM vol.
	 * 2, 15.5).  value = the VMCB's EXITCODE, read at addr: the VMCB
	 * must be identity mapped.  EFER.SVME must be set (GSTEP_EFER).
	 * val2: 0, or the VA of the current PAE PDPT, whose present entries
	 * get bit 5 cleared right before VMRUN (an emulator workaround, see
	 * vmrun() in lib/guest32/engine.c).
	 */
	GSTEP_VMRUN,
	/*
	 * VMMCALL: the engine as L2 hands control back to its L1, which
	 * intercepts it; the step ends when L1 resumes L2 after the
	 * instruction (the host moves L2's RIP past it).  The last step of
	 * a table that an L1 engine runs as L2 (paging_vm_create_l2_pae()).
	 */
	GSTEP_VMMCALL,
	GSTEP_NR_OPS,
};

/* gstep.flags */
#define GSTEP_F_USER		1	/* LOAD/STORE/EXEC at CPL 3 */
#define GSTEP_F_EMULATED	2	/* WRITE_CR3 behind GSTEP_KVM_FEP */

/*
 * KVM's forced emulation prefix: with kvm.force_emulation_prefix=1, KVM
 * emulates the instruction after it (handle_ud(), arch/x86/kvm/x86.c,
 * 6.12 and 7.3; the selftests' KVM_FEP).
 */
#define GSTEP_KVM_FEP		"ud2; .byte 'k', 'v', 'm';"

struct gstep_header {
	uint32_t magic;
	uint32_t user_code_start;	/* page aligned */
	uint32_t user_code_end;
};

struct gstep {
	uint32_t op;
	uint16_t size;		/* LOAD/STORE width: 1, 2, 4 or 8 bytes */
	uint16_t flags;
	uint64_t addr;
	uint64_t val;
	uint64_t val2;
};

#define GSTEP_NO_FAULT		0xffffffff

/* For GSTEP_VMRUN: the VM_HSAVE_PA MSR, and EXITCODE's offset in a VMCB. */
#define GSTEP_MSR_VM_HSAVE_PA	0xc0010117u
#define GSTEP_VMCB_EXIT_CODE	0x70
/* GSTEP_VMMCALL's instruction length: 0f 01 d9. */
#define GSTEP_VMMCALL_LEN	3

struct gstep_result {
	uint32_t done;		/* the engine reached the end of the step */
	uint32_t vector;	/* GSTEP_NO_FAULT, or the exception taken */
	uint64_t value;		/* LOAD: the value read; CRx/EFER: new value */
	uint64_t error_code;	/* 0 for exceptions without one */
	uint64_t cr2;
};

struct gstep_ucall {
	uint64_t cmd;
	uint64_t args[4];
	/* ABORT only: GPAs of strings in the engine image, and the line. */
	uint32_t exp_gpa;
	uint32_t file_gpa;
	uint32_t line;
	uint32_t pad;
};

struct gstep_mailbox {
	uint32_t nr_steps;
	uint32_t cur_step;	/* the step running now, for triple faults */
	uint32_t started;	/* set once the engine has loaded its IDT */
	uint32_t pad;
	struct gstep_ucall uc;
};

#endif /* __ASSEMBLER__ */
#endif /* SELFTEST_KVM_GUEST_STEPS_H */
