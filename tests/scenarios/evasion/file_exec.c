/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_ev_mmap_exec_file / scn_ev_mprotect_file: code loaded from a regular
 * file without dlopen or ld.so. Writes the payload (shellcode.S) to a file
 * in SCENARIO_WORK_DIR, then maps it and calls it:
 *   mmap_exec_file  mmap(PROT_READ|PROT_EXEC, MAP_PRIVATE) of the file
 *   mprotect_file   mmap(PROT_READ), then mprotect(PROT_READ|PROT_EXEC)
 * (SCN_VIA_MPROTECT). ATT&CK: T1620 Reflective Code Loading.
 * Proof: the mapped code writes NAME.ran first, NAME.done after it
 * connected to 127.0.0.1 and ran code from memory it made executable. */
#include "scn.h"
#include "shellcode.h"

int main(void)
{
	unsigned char sc[SCN_SC_MAX];
	char ran[256], done[256], path[512];
	struct scn_sc_opts o = { .ran = ran, .done = done, .port = scn_port("SCENARIO_SINK_PORT") };
	const char *work = getenv("SCENARIO_WORK_DIR") ? getenv("SCENARIO_WORK_DIR") : "/tmp";
	size_t len;
	void *code;
	int fd;

	scn_shellcode_markers(ran, done, sizeof(ran));
	len = scn_shellcode_build(sc, &o);
	snprintf(path, sizeof(path), "%s/codec-%d.bin", work, (int)getpid());
	if (!len || scn_write_file(path, sc, len, 0644))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
#if defined(SCN_VIA_MPROTECT)
	code = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (code != MAP_FAILED && mprotect(code, len, PROT_READ | PROT_EXEC))
		code = MAP_FAILED;
#else
	code = mmap(NULL, len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
#endif
	close(fd);
	unlink(path);
	if (code == MAP_FAILED)
		return 1;
	((void (*)(void))code)();
	return 0;
}
