/* SPDX-License-Identifier: BSD-2-Clause */
/* Frame test helpers: the vector file format and the `pkteng frame --hex` output format. */
#include "tests/frame/frame_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"

int pe_vec_load(const char *path, struct pe_vec **out)
{
	char *text = pe_read_file(path, NULL), *line, *save;
	struct pe_vec *v = NULL;
	int n = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *a, *h;
		struct pe_vec *nv;
		size_t hl;

		if (line[0] == '#' || !line[0])
			continue;
		a = strchr(line, '|');
		h = a ? strchr(a + 1, '|') : NULL;
		if (!h || (size_t)(a - line) >= sizeof(v->name) ||
		    (size_t)(h - a - 1) >= sizeof(v->args))
			goto bad;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			goto bad;
		v = nv;
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].name, line, a - line);
		memcpy(v[n].args, a + 1, h - a - 1);
		hl = strlen(h + 1);
		v[n].bytes = malloc(hl / 2 + 1);
		n++;
		if (!v[n - 1].bytes || hl % 2 ||
		    pe_unhex(h + 1, v[n - 1].bytes, hl / 2) != (long)hl / 2)
			goto bad;
		v[n - 1].len = hl / 2;
	}
	free(text);
	*out = v;
	return n;
bad:
	pe_vec_free(v, n);
	free(text);
	return -1;
}

void pe_vec_free(struct pe_vec *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].bytes);
	free(v);
}

long pe_frame_cli_hex(const char *args, uint8_t *buf, size_t cap, int *status)
{
	struct pe_run r;
	size_t n = 0;
	char *line, *save;

	if (pe_run(&r, "%s frame %s --hex", PE_TEST_BIN, args))
		return -1;
	*status = r.status;
	if (r.status || r.err_len) {
		pe_run_free(&r);
		return -1;
	}
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned off;
		int used;
		long got;

		/* "OOOO  xx xx ...": the offset counts the bytes before it, at most 16 a line */
		if (sscanf(line, "%x%n", &off, &used) != 1 || off != n ||
		    strncmp(line + used, "  ", 2))
			goto bad;
		got = pe_unhex(line + used, buf + n, cap - n);
		if (got <= 0 || got > 16)
			goto bad;
		n += got;
	}
	pe_run_free(&r);
	return (long)n;
bad:
	pe_run_free(&r);
	return -1;
}
