/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* scn_pam_all CONFDIR MODULEDIR: the benign corpus's PAM load. Writes a
 * service "scn-all" into CONFDIR (a scratch directory, never /etc/pam.d)
 * that lists every module of MODULEDIR as an optional account module, then
 * pam_start_confdir()s it: libpam dlopens every module while it reads the
 * service, as a login service does for its own stack. No module function
 * is called: nothing is authenticated or changed. Prints the number of
 * modules listed. */
#include <dirent.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <string.h>

static int no_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

int main(int argc, char **argv)
{
	struct pam_conv conv = { no_conv, NULL };
	pam_handle_t *pamh = NULL;
	char path[4096];
	struct dirent *e;
	int n = 0, ret;
	FILE *f;
	DIR *d;

	if (argc != 3) {
		fprintf(stderr, "usage: scn_pam_all CONFDIR MODULEDIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/scn-all", argv[1]);
	f = fopen(path, "we");
	d = opendir(argv[2]);
	if (!f || !d) {
		perror(f ? argv[2] : path);
		return 1;
	}
	while ((e = readdir(d)))
		if (strlen(e->d_name) > 3 && !strcmp(e->d_name + strlen(e->d_name) - 3, ".so")) {
			fprintf(f, "account optional %s/%s\n", argv[2], e->d_name);
			n++;
		}
	closedir(d);
	fclose(f);
	ret = pam_start_confdir("scn-all", "nobody", &conv, argv[1], &pamh);
	if (ret != PAM_SUCCESS) {
		fprintf(stderr, "scn_pam_all: pam_start_confdir: %d\n", ret);
		return 1;
	}
	pam_end(pamh, PAM_SUCCESS);
	printf("%d modules\n", n);
	return 0;
}
