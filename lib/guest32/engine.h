/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces of the guest step engine (engine.c <-> entry.S).
 * Freestanding: included only by the -m32/-m64 guest builds.
 */
#ifndef GSTEP_ENGINE_H
#define GSTEP_ENGINE_H

#include <stdint.h>
#include <linux/compiler.h>

/* Callee-saved registers, stack pointer and return address of setjmp. */
struct gstep_jmpbuf {
	unsigned long regs[8];
};

/* Filled by the exception stubs; the layout is used by entry.S. */
struct gstep_fault {
	unsigned long vector;
	unsigned long error_code;
	unsigned long ip;
	unsigned long cr2;
};

/* Shared with entry.S: READ_ONCE()/WRITE_ONCE() in C. */
extern struct gstep_fault gstep_fault;
extern unsigned long gstep_armed;
extern struct gstep_jmpbuf gstep_recover;

/*
 * 0 when called; 1 when an exception during a step jumped back here; 2
 * when a user-mode step finished.
 */
int gstep_setjmp(struct gstep_jmpbuf *buf) __attribute__((returns_twice));
/* Addresses of the 32 exception stubs in entry.S. */
extern const unsigned long gstep_stub_table[32];

/* User-mode access stubs in entry.S, in this order. */
enum gstep_user_stub {
	USER_LOAD1, USER_LOAD2, USER_LOAD4, USER_LOAD8,
	USER_STORE1, USER_STORE2, USER_STORE4, USER_STORE8,
	USER_EXEC,
};

extern const unsigned long gstep_user_stubs[];
/* Set by gstep_user_return: what the user stub's load returned. */
extern uint64_t gstep_user_value;
/* IRET to @stub at CPL 3; comes back by a longjmp to gstep_recover. */
void __noreturn gstep_enter_user(unsigned long stub, unsigned long addr, uint64_t val);
/* The handler of INT $GSTEP_USER_VECTOR. */
void gstep_user_return(void);
void gstep_main(void);
void gstep_unexpected_exception(unsigned long vector, unsigned long error_code,
				unsigned long ip);

void __noreturn __gstep_assert_fail(const char *exp, const char *file, unsigned int line,
				    uint64_t a, uint64_t b, uint64_t c, uint64_t d);

/* Reported to the host as a UCALL_ABORT with file, line and two values. */
#define GSTEP_ASSERT(cond, a, b)						\
do {										\
	if (!(cond))								\
		__gstep_assert_fail(#cond, __FILE__,				\
				    __LINE__, (uint64_t)(a), (uint64_t)(b), 0, 0); \
} while (0)

#endif /* GSTEP_ENGINE_H */
