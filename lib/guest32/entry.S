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
	jmp	1f
	.org	_start + GSTEP_HEADER_OFFSET
	/* struct gstep_header */
	.long	GSTEP_HEADER_MAGIC, __user_start, __user_end
1:
#ifdef __x86_64__
	mov	$GSTEP_STACK_TOP, %rsp
#else
	mov	$GSTEP_STACK_TOP, %esp
#endif
	call	gstep_main
2:	hlt
	jmp	2b

	.text

/* Vectors that push an error code (SDM Vol. 3A 6.15): 8, 10-14, 17, 21, 29, 30. */
.macro STUB vec
	.p2align 4
stub_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || \
	    (\vec == 21) || (\vec == 29) || (\vec == 30)
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

/*
 * User-mode accesses: gstep_enter_user() IRETs to one of these at CPL 3
 * with the address in %ebx/%rbx and the value to store in %ecx:%edx /
 * %rcx.  They return with INT $GSTEP_USER_VECTOR (result in %edx:%eax /
 * %rax), or fault; either way the engine longjmps back to its step loop.
 * Their page is mapped user-accessible by the host (see the header).
 */
	.section .usertext, "ax"
	.globl gstep_user_stubs
#ifdef __x86_64__
u_load1:	movzbl	(%rbx), %eax
		int	$GSTEP_USER_VECTOR
u_load2:	movzwl	(%rbx), %eax
		int	$GSTEP_USER_VECTOR
u_load4:	movl	(%rbx), %eax
		int	$GSTEP_USER_VECTOR
u_load8:	movq	(%rbx), %rax
		int	$GSTEP_USER_VECTOR
u_store1:	movb	%cl, (%rbx)
		int	$GSTEP_USER_VECTOR
u_store2:	movw	%cx, (%rbx)
		int	$GSTEP_USER_VECTOR
u_store4:	movl	%ecx, (%rbx)
		int	$GSTEP_USER_VECTOR
u_store8:	movq	%rcx, (%rbx)
		int	$GSTEP_USER_VECTOR
u_exec:		call	*%rbx
		int	$GSTEP_USER_VECTOR
#else
u_load1:	movzbl	(%ebx), %eax
		int	$GSTEP_USER_VECTOR
u_load2:	movzwl	(%ebx), %eax
		int	$GSTEP_USER_VECTOR
u_load4:	movl	(%ebx), %eax
		int	$GSTEP_USER_VECTOR
u_load8:	movl	(%ebx), %eax
		movl	4(%ebx), %edx
		int	$GSTEP_USER_VECTOR
u_store1:	movb	%cl, (%ebx)
		int	$GSTEP_USER_VECTOR
u_store2:	movw	%cx, (%ebx)
		int	$GSTEP_USER_VECTOR
u_store4:	movl	%ecx, (%ebx)
		int	$GSTEP_USER_VECTOR
u_store8:	movl	%ecx, (%ebx)
		movl	%edx, 4(%ebx)
		int	$GSTEP_USER_VECTOR
u_exec:		call	*%ebx
		int	$GSTEP_USER_VECTOR
#endif

/* Indexed by enum gstep_user_stub (engine.h). */
	.section .rodata
	.p2align 3
gstep_user_stubs:
#ifdef __x86_64__
	.quad	u_load1, u_load2, u_load4, u_load8
	.quad	u_store1, u_store2, u_store4, u_store8, u_exec
#else
	.long	u_load1, u_load2, u_load4, u_load8
	.long	u_store1, u_store2, u_store4, u_store8, u_exec
#endif
	.text

#ifdef __x86_64__
/* gstep_enter_user(stub, addr, val): never returns (see above). */
	.globl gstep_enter_user
gstep_enter_user:
	mov	%rsi, %rbx
	mov	%rdx, %rcx
	pushq	$GSTEP_SEL_UDATA
	pushq	$GSTEP_USER_STACK_TOP
	pushq	$2
	pushq	$GSTEP_SEL_UCODE
	pushq	%rdi
	iretq

/* INT $GSTEP_USER_VECTOR from a user stub: its result, back to the loop. */
	.globl gstep_user_return
gstep_user_return:
	mov	%rax, gstep_user_value(%rip)
	movq	$0, gstep_armed(%rip)
	lea	gstep_recover(%rip), %rdi
	mov	$2, %esi
	jmp	gstep_longjmp

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
/*
 * gstep_enter_user(stub, addr, val): never returns (see above).  Data
 * segments get the user selector first: IRET to CPL 3 would make a DPL-0
 * DS unusable (SDM Vol. 2A, IRET).
 */
	.globl gstep_enter_user
gstep_enter_user:
	mov	4(%esp), %eax
	mov	8(%esp), %ebx
	mov	12(%esp), %ecx
	mov	16(%esp), %edx
	mov	$GSTEP_SEL_UDATA, %esi
	mov	%si, %ds
	mov	%si, %es
	pushl	$GSTEP_SEL_UDATA
	pushl	$GSTEP_USER_STACK_TOP
	pushl	$2
	pushl	$GSTEP_SEL_UCODE
	pushl	%eax
	iret

/* INT $GSTEP_USER_VECTOR from a user stub: its result, back to the loop. */
	.globl gstep_user_return
gstep_user_return:
	mov	$GSTEP_SEL_DATA, %ecx
	mov	%cx, %ds
	mov	%cx, %es
	mov	%eax, gstep_user_value
	mov	%edx, gstep_user_value + 4
	movl	$0, gstep_armed
	mov	$gstep_recover, %edx
	mov	$2, %eax
	jmp	gstep_longjmp

/*
 * Stack: vector, error code, EIP, CS, EFLAGS (and ESP, SS when the fault
 * came from CPL 3; the longjmp drops them).
 */
fault_common:
	mov	$GSTEP_SEL_DATA, %edx
	mov	%dx, %ds
	mov	%dx, %es
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
