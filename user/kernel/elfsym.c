/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* Dynamic symbol to file offset with libelf. glibc defines dlopen twice
 * (dlopen@GLIBC_2.2.5 and dlopen@@GLIBC_2.34) at one address: any defined
 * version will do, since they share the code. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>
#include "kernel/elfsym.h"

static int vaddr_to_offset(Elf *elf, GElf_Addr addr, size_t *offset)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_memsz) {
			*offset = addr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_in_dynsym(Elf *elf, const char *name, GElf_Addr *addr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			return -EINVAL;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *sname;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			sname = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (sname && !strcmp(sname, name)) {
				*addr = sym.st_value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int elfsym_offset(const char *path, const char *name, size_t *offset)
{
	GElf_Addr addr = 0;
	Elf *elf;
	int fd, ret;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		ret = -ENOEXEC;
		goto out;
	}
	ret = find_in_dynsym(elf, name, &addr);
	if (!ret)
		ret = vaddr_to_offset(elf, addr, offset);
out:
	elf_end(elf);
	close(fd);
	return ret;
}
