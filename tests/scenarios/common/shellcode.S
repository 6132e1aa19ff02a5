/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Position-independent x86-64 payload that scenarios inject into another
 * process or run from memory that came from the network or a data file:
 * writes the "ran" marker, connects to 127.0.0.1 and sends a beacon, maps
 * anonymous memory, makes it executable and calls it, writes the "done"
 * marker, then returns or exits the process. Only raw syscalls, no libc: it
 * must run wherever it lands. This is a template in .rodata: shellcode.c
 * copies it and fills the data slots (paths, address, flags). */
	.section .rodata
	.balign 16
	.globl scn_sc_begin, scn_sc_end, scn_sc_ran, scn_sc_done, scn_sc_addr, scn_sc_flags
	/* hidden: the pc-relative references stay inside the object that links it */
	.hidden scn_sc_begin, scn_sc_end, scn_sc_ran, scn_sc_done, scn_sc_addr, scn_sc_flags

scn_sc_begin:
	/* an interrupted syscall may be restarted 2 bytes before the new pc */
	nop
	nop
	push	%r12
	push	%r13
	push	%rbx
	lea	scn_sc_ran(%rip), %rdi
	call	mark

	mov	$41, %eax		/* socket(AF_INET, SOCK_STREAM, 0) */
	mov	$2, %edi
	mov	$1, %esi
	xor	%edx, %edx
	syscall
	mov	%rax, %r12
	test	%rax, %rax
	js	2f			/* no socket (a confined process): no "done" either */
	mov	$42, %eax		/* connect(fd, &addr, 16) */
	mov	%r12, %rdi
	lea	scn_sc_addr(%rip), %rsi
	mov	$16, %edx
	syscall
	mov	%rax, %rbx
	mov	$1, %eax		/* write(fd, beacon, len) */
	mov	%r12, %rdi
	lea	beacon(%rip), %rsi
	mov	$(beacon_end - beacon), %edx
	syscall
	mov	$3, %eax		/* close(fd) */
	mov	%r12, %rdi
	syscall
	test	%rbx, %rbx
	jnz	2f			/* not connected: no "done" */

	mov	$9, %eax		/* mmap(0, 4096, RW, PRIVATE|ANONYMOUS, -1, 0) */
	xor	%edi, %edi
	mov	$4096, %esi
	mov	$3, %edx
	mov	$0x22, %r10d
	mov	$-1, %r8
	xor	%r9d, %r9d
	syscall
	cmp	$-4095, %rax
	jae	2f
	mov	%rax, %r13
	movb	$0xc3, (%r13)		/* ret */
	mov	$10, %eax		/* mprotect(page, 4096, PROT_READ|PROT_EXEC) */
	mov	%r13, %rdi
	mov	$4096, %esi
	mov	$5, %edx
	syscall
	test	%rax, %rax
	jnz	2f
	call	*%r13
	mov	$11, %eax		/* munmap */
	mov	%r13, %rdi
	mov	$4096, %esi
	syscall
	lea	scn_sc_done(%rip), %rdi
	call	mark

2:	testb	$1, scn_sc_flags(%rip)
	jz	3f
	mov	$231, %eax		/* exit_group(0): the hijacked thread has nowhere to return */
	xor	%edi, %edi
	syscall
3:	pop	%rbx
	pop	%r13
	pop	%r12
	ret

/* open(path, O_WRONLY|O_CREAT|O_TRUNC, 0644) and close it; an empty path is skipped */
mark:
	cmpb	$0, (%rdi)
	je	4f
	mov	$2, %eax
	mov	$0x241, %esi
	mov	$0644, %edx
	syscall
	test	%rax, %rax
	js	4f
	mov	%rax, %rdi
	mov	$3, %eax
	syscall
4:	ret

beacon:
	.ascii	"beacon\n"
beacon_end:
scn_sc_flags:
	.byte	0
	.balign	8
scn_sc_addr:
	.space	16
scn_sc_ran:
	.space	256
scn_sc_done:
	.space	256
scn_sc_end:

	.section .note.GNU-stack, "", @progbits
