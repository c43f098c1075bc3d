/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry point, exception stubs and setjmp of the guest step engine, for
 * the -m32 and the -m64 build.  An exception taken while a step runs
 * (gstep_armed != 0) is recorded in gstep_fault and ends the step by a
 * longjmp to gstep_recover; the engine then goes on with the next step.
 * Resuming without IRET is fine here: CPL 0 throughout, no stack switch,
 * interrupts never enabled, and NMIs are not used.
 */
#include "guest_steps.h"

	.section .text.entry, "ax"
	.globl _start
_start:
#ifdef __x86_64__
	mov	$GSTEP_STACK_TOP, %rsp
#else
	mov	$GSTEP_STACK_TOP, %esp
#endif
	call	gstep_main
1:	hlt
	jmp	1b

	.text

/* Vectors that push an error code (SDM Vol. 3A 6.15): 8, 10-14, 17, 21, 29, 30. */
.macro STUB vec
	.p2align 4
stub_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push	$0
	.endif
	push	$\vec
	jmp	fault_common
.endm

.altmacro
.macro STUBS from=0, to=31
	STUB	\from
	.if \to-\from
	STUBS	%(\from+1), \to
	.endif
.endm
	STUBS

.macro STUB_ADDR vec
#ifdef __x86_64__
	.quad	stub_\vec
#else
	.long	stub_\vec
#endif
.endm
.macro STUB_ADDRS from=0, to=31
	STUB_ADDR \from
	.if \to-\from
	STUB_ADDRS %(\from+1), \to
	.endif
.endm
	.section .rodata
	.p2align 3
	.globl gstep_stub_table
gstep_stub_table:
	STUB_ADDRS
	.text

#ifdef __x86_64__
/* Stack: vector, error code, RIP, CS, RFLAGS, RSP, SS. */
fault_common:
	cmpq	$0, gstep_armed(%rip)
	je	2f
	movq	$0, gstep_armed(%rip)
	lea	gstep_fault(%rip), %rax
	mov	(%rsp), %rdx
	mov	%rdx, 0(%rax)
	mov	8(%rsp), %rdx
	mov	%rdx, 8(%rax)
	mov	16(%rsp), %rdx
	mov	%rdx, 16(%rax)
	mov	%cr2, %rdx
	mov	%rdx, 24(%rax)
	lea	gstep_recover(%rip), %rdi
	mov	$1, %esi
	jmp	gstep_longjmp
2:	mov	(%rsp), %rdi
	mov	8(%rsp), %rsi
	mov	16(%rsp), %rdx
	and	$-16, %rsp
	call	gstep_unexpected_exception
3:	hlt
	jmp	3b

/* rbx, rbp, r12-r15, rsp, return address. */
	.globl gstep_setjmp
gstep_setjmp:
	mov	%rbx, 0(%rdi)
	mov	%rbp, 8(%rdi)
	mov	%r12, 16(%rdi)
	mov	%r13, 24(%rdi)
	mov	%r14, 32(%rdi)
	mov	%r15, 40(%rdi)
	lea	8(%rsp), %rdx
	mov	%rdx, 48(%rdi)
	mov	(%rsp), %rdx
	mov	%rdx, 56(%rdi)
	xor	%eax, %eax
	ret

gstep_longjmp:
	mov	0(%rdi), %rbx
	mov	8(%rdi), %rbp
	mov	16(%rdi), %r12
	mov	24(%rdi), %r13
	mov	32(%rdi), %r14
	mov	40(%rdi), %r15
	mov	48(%rdi), %rsp
	mov	%esi, %eax
	jmp	*56(%rdi)
#else
/* Stack: vector, error code, EIP, CS, EFLAGS (no privilege change). */
fault_common:
	cmpl	$0, gstep_armed
	je	2f
	movl	$0, gstep_armed
	mov	(%esp), %edx
	mov	%edx, gstep_fault + 0
	mov	4(%esp), %edx
	mov	%edx, gstep_fault + 4
	mov	8(%esp), %edx
	mov	%edx, gstep_fault + 8
	mov	%cr2, %edx
	mov	%edx, gstep_fault + 12
	mov	$gstep_recover, %edx
	mov	$1, %eax
	jmp	gstep_longjmp
	/* cdecl: vector, error code and EIP are already the three arguments. */
2:	call	gstep_unexpected_exception
3:	hlt
	jmp	3b

/* ebx, esi, edi, ebp, esp, return address. */
	.globl gstep_setjmp
gstep_setjmp:
	mov	4(%esp), %eax
	mov	%ebx, 0(%eax)
	mov	%esi, 4(%eax)
	mov	%edi, 8(%eax)
	mov	%ebp, 12(%eax)
	lea	4(%esp), %edx
	mov	%edx, 16(%eax)
	mov	(%esp), %edx
	mov	%edx, 20(%eax)
	xor	%eax, %eax
	ret

/* %edx = jmpbuf, %eax = return value. */
gstep_longjmp:
	mov	0(%edx), %ebx
	mov	4(%edx), %esi
	mov	8(%edx), %edi
	mov	12(%edx), %ebp
	mov	16(%edx), %esp
	jmp	*20(%edx)
#endif

	.section .note.GNU-stack, "", @progbits
