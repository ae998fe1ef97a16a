/* SPDX-License-Identifier: BSD-2-Clause */
/* The capture-in-B, inject-from-A harness behind rawtest.h. */
#include "tests/raw/rawtest.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pe_rt_inject_prefix = "", *pe_rt_capture_prefix = "";

const char *pe_rt_bin(void)
{
	const char *e = getenv("PE_PKTENG");

	return e && *e ? e : PE_TEST_BIN;
}

int pe_rt_io(const struct pe_lab *lab, const char *dir, const char *inj_args, const char *cap_args,
	     int timeout_ms, struct pe_rt_io *r)
{
	char ready[256], out[256], err[256];
	struct pe_lab_bg bg;
	struct pe_run run;
	uint64_t tx0, tx1, rx0, rx1;
	int e;

	memset(r, 0, sizeof(*r));
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(out, sizeof(out), "%s/cap.out", dir);
	snprintf(err, sizeof(err), "%s/cap.err", dir);
	snprintf(r->pcap, sizeof(r->pcap), "%s/c.pcap", dir);
	remove(ready);
	remove(r->pcap);
	e = pe_lab_bg_start(
		lab, 1, &bg, out, err,
		"exec %s %s capture --dev %s --incoming --json --pcap %s --ready-file %s %s",
		pe_rt_capture_prefix, pe_rt_bin(), lab->ifname[1], r->pcap, ready, cap_args);
	if (e)
		return e;
	e = pe_lab_wait_file(ready, &bg, 10000);
	if (e) {
		r->cap_status = pe_lab_bg_wait(&bg, 1000);
		r->cap_err = pe_read_file(err, NULL);
		r->cap_out = pe_read_file(out, NULL);
		return e;
	}
	if ((e = pe_lab_counter(lab, 0, NULL, "tx_packets", &tx0)) ||
	    (e = pe_lab_counter(lab, 1, NULL, "rx_packets", &rx0)))
		goto out;
	e = pe_lab_run(lab, 0, &run, "%s %s inject --dev %s --json %s", pe_rt_inject_prefix,
		       pe_rt_bin(), lab->ifname[0], inj_args);
	if (e)
		goto out;
	r->inj_status = run.status;
	r->inj_out = run.out;
	r->inj_err = run.err;
	r->inj = json_tokener_parse(run.out);
	if ((e = pe_lab_counter(lab, 0, NULL, "tx_packets", &tx1)) ||
	    (e = pe_lab_counter(lab, 1, NULL, "rx_packets", &rx1)))
		goto out;
	r->tx_delta = tx1 - tx0;
	r->rx_delta = rx1 - rx0;
out:
	r->cap_status = pe_lab_bg_wait(&bg, timeout_ms);
	r->cap_out = pe_read_file(out, NULL);
	r->cap_err = pe_read_file(err, NULL);
	if (r->cap_out)
		r->cap = json_tokener_parse(r->cap_out);
	return e;
}

void pe_rt_io_free(struct pe_rt_io *r)
{
	free(r->inj_out);
	free(r->inj_err);
	free(r->cap_out);
	free(r->cap_err);
	if (r->inj)
		json_object_put(r->inj);
	if (r->cap)
		json_object_put(r->cap);
	memset(r, 0, sizeof(*r));
}

static json_object *walk(json_object *o, const char *path)
{
	char buf[128], *tok, *save;

	if (!o || strlen(path) >= sizeof(buf))
		return NULL;
	strcpy(buf, path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			return NULL;
	return o;
}

int64_t pe_rt_int(json_object *o, const char *path)
{
	json_object *v = walk(o, path);

	return v ? json_object_get_int64(v) : -1;
}

double pe_rt_double(json_object *o, const char *path)
{
	json_object *v = walk(o, path);

	return v ? json_object_get_double(v) : -1;
}

void pe_rt_init(struct pe_lab *lab, char **dir, const struct pe_lab_opts *opts)
{
	if (!pe_is_root())
		return;
	cr_assert_eq(pe_lab_open(lab, opts), 0, "lab");
	cr_assert((*dir = pe_tmpdir()) != NULL);
}

void pe_rt_fini(struct pe_lab *lab, char **dir)
{
	pe_lab_close(lab);
	pe_tmpdir_remove(*dir);
	*dir = NULL;
}

bool pe_rt_xdp_live_refused(const struct pe_lab *lab)
{
	struct pe_run r;
	bool refused;

	cr_assert_eq(pe_lab_run(lab, 0, &r,
				"%s inject --dev %s --method xdp -n 1 --dst-mac 02:00:00:00:00:99",
				pe_rt_bin(), lab->ifname[0]),
		     0);
	refused = r.status != 0 && strstr(r.err, "Operation not permitted");
	pe_run_free(&r);
	return refused;
}
