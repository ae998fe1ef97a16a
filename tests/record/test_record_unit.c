/* SPDX-License-Identifier: BSD-2-Clause */
/* The record library on its own: the float rule, the byte-counting rule, the interval clock,
 * the shape of --json and --json-stream output, the version and the interface metadata. */
#include <criterion/criterion.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raw/interval.h"
#include "record/meta.h"
#include "record/record.h"
#include "tests/testutil.h"

static void expect_text(struct json_object *v, const char *want)
{
	cr_expect_str_eq(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), want);
	json_object_put(v);
}

Test(record, float_rule)
{
	static const struct {
		double v;
		const char *num, *secs;
	} cases[] = {
		{ 0, "0", "0" },
		{ 1.0 / 3, "0.333333", "0.333333" },
		{ 123456789.0, "1.23457e+08", "123456789" },
		{ 2.5, "2.5", "2.5" },
		{ 1e-9, "1e-09", "0" },
		{ 10.0000004, "10", "10" },
		{ 0.1234567, "0.123457", "0.123457" },
		{ -0.0, "0", "0" },
		{ 1.0 / 0.0, "0", "0" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_text(pe_rec_num(cases[i].v), cases[i].num);
		expect_text(pe_rec_secs(cases[i].v), cases[i].secs);
	}
}

Test(record, wire_bytes)
{
	cr_expect_eq(pe_rec_wire_bytes(14), 84); /* padded to 60, + 24 */
	cr_expect_eq(pe_rec_wire_bytes(60), 84); /* the 64-byte minimum frame: 84 on the wire */
	cr_expect_eq(pe_rec_wire_bytes(61), 85);
	cr_expect_eq(pe_rec_wire_bytes(1514), 1538); /* full-size frame at 1500 MTU */
}

Test(record, interval_clock)
{
	struct pe_interval iv;
	double t0, t1;
	const uint64_t s = 1000000000ull, base = 5 * s;

	cr_assert_eq(pe_interval_start_at(&iv, base, 1, 2.5), 0);
	cr_expect_not(pe_interval_due(&iv, base + s / 2, &t0, &t1));
	cr_expect_eq(pe_interval_wait_ms(&iv, base + s / 2, 10000), 500);
	cr_expect_eq(pe_interval_wait_ms(&iv, base + s / 2, 100), 100);
	cr_assert(pe_interval_due(&iv, base + s + 1000, &t0, &t1));
	cr_expect_float_eq(t0, 0, 1e-12);
	cr_expect_float_eq(t1, 1.000001, 1e-9);
	/* late: the boundary at 2 s was missed, the interval runs to now and 3 s is next (the
	 * end at 2.5 s, which is sooner) */
	cr_expect_not(pe_interval_over(&iv, base + 2 * s + s / 10));
	cr_assert(pe_interval_due(&iv, base + 2 * s + s / 10, &t0, &t1));
	cr_expect_float_eq(t0, 1.000001, 1e-9);
	cr_expect_float_eq(t1, 2.1, 1e-9);
	cr_expect_eq(iv.next_ns, base + 5 * s / 2);
	cr_expect_eq(pe_interval_wait_ms(&iv, base + 2 * s + s / 10, 10000), 400);
	cr_expect(pe_interval_over(&iv, base + 5 * s / 2));
	cr_assert(pe_interval_due(&iv, base + 5 * s / 2, &t0, &t1));
	cr_expect_float_eq(t1, 2.5, 1e-9);
	cr_expect_not(pe_interval_due(&iv, base + 10 * s, &t0, &t1), "after the end: no more");

	/* a duration without intervals never reports one; neither without either */
	cr_assert_eq(pe_interval_start_at(&iv, base, 0, 1), 0);
	cr_expect_not(pe_interval_due(&iv, base + 2 * s, &t0, &t1));
	cr_expect_eq(pe_interval_wait_ms(&iv, base, 5000), 1000);
	cr_assert_eq(pe_interval_start_at(&iv, base, 0, 0), 0);
	cr_expect_eq(pe_interval_wait_ms(&iv, base, 77), 77);
	cr_expect_not(pe_interval_over(&iv, base + 1000 * s));
	cr_expect_eq(pe_interval_start_at(&iv, base, -1, 0), -EINVAL);
	cr_expect_eq(pe_interval_start_at(&iv, base, 0, 0.0 / 0.0), -EINVAL);
}

Test(record, stop_flag)
{
	pe_stop_catch();
	cr_expect_not(pe_stopped());
	raise(SIGTERM);
	cr_expect(pe_stopped());
	cr_expect_eq(pe_stop_signal(), SIGTERM);
	cr_expect_eq(*pe_stop_flag(), 1);
	pe_stop_catch();
	cr_expect_not(pe_stopped(), "catching again clears the flag");
	pe_stop_request();
	cr_expect(pe_stopped());
	cr_expect_eq(pe_stop_signal(), 0);
}

/* Writes a record with two intervals in fmt and returns what it printed. */
static char *write_record(enum pe_rec_fmt fmt)
{
	struct pe_rec r;
	struct json_object *f;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	cr_assert(out);
	cr_assert_eq(pe_rec_open(&r, fmt, out, "unit"), 0);
	pe_rec_set_backend(&r, "tpacket_v3", NULL);
	pe_rec_begin(&r);
	for (int i = 0; i < 2; i++) {
		f = json_object_new_object();
		pe_rec_add_frames(f, "rx", 10, 600, 840, 0.5);
		pe_rec_interval(&r, i * 0.5, i * 0.5 + 0.5, f);
	}
	f = json_object_new_object();
	pe_rec_add_frames(f, "rx", 20, 1200, 1680, 1);
	pe_rec_end(&r, 0, 1, true, f);
	pe_rec_close(&r);
	fclose(out);
	return buf;
}

Test(record, stream_shape)
{
	char *out = write_record(PE_REC_JSON_STREAM), *line, *save = NULL;
	const char *want[] = { "start", "interval", "interval", "summary" };
	unsigned n = 0;

	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		struct json_object *o = json_tokener_parse(line), *v;

		cr_assert(o, "not JSON: %s", line);
		cr_assert_lt(n, 4);
		cr_expect(json_object_object_get_ex(o, "schema", &v) &&
			  json_object_get_int(v) == 1);
		cr_expect(json_object_object_get_ex(o, "event", &v));
		cr_expect_str_eq(json_object_get_string(v), want[n]);
		json_object_put(o);
	}
	cr_expect_eq(n, 4);
	free(out);
	out = write_record(PE_REC_JSON_STREAM);
	cr_expect(strstr(out, "{\"schema\":1,\"event\":\"interval\",\"t0_s\":0.5,\"t1_s\":1,"
			      "\"rx_frames\":10,\"rx_bytes_l2\":600,\"rx_bytes_wire\":840,"
			      "\"rx_frames_per_s\":20,\"rx_bits_per_s_l2\":9600,"
			      "\"rx_bits_per_s_wire\":13440}\n"),
		  "%s", out);
	cr_expect(strstr(out, "\"t0_s\":0,\"t1_s\":1,\"rx_frames\":20,"), "%s", out);
	cr_expect(strstr(out, "\"interrupted\":true}\n"), "%s", out);
	cr_expect(strstr(out, "\"backend\":\"tpacket_v3\",\"backend_fallback\":null"), "%s", out);
	free(out);
}

Test(record, json_document)
{
	char *out = write_record(PE_REC_JSON);
	struct json_object *o = json_tokener_parse(out), *v, *w;

	cr_assert(o, "%s", out);
	cr_expect_eq(strchr(out, '\n') - out + 1, (long)strlen(out), "one line: %s", out);
	cr_assert(json_object_object_get_ex(o, "start", &v));
	cr_expect(json_object_object_get_ex(v, "command", &w));
	cr_expect_str_eq(json_object_get_string(w), "unit");
	cr_expect(json_object_object_get_ex(v, "git_commit", &w));
	cr_expect_str_eq(json_object_get_string(w), pe_git_commit());
	cr_expect(json_object_object_get_ex(v, "host", &w) &&
		  json_object_object_get_ex(w, "cpu_count", &w) && json_object_get_int(w) > 0);
	cr_assert(json_object_object_get_ex(o, "intervals", &v));
	cr_expect_eq(json_object_array_length(v), 2);
	cr_assert(json_object_object_get_ex(o, "summary", &v));
	cr_expect(json_object_object_get_ex(v, "rx_frames", &w) && json_object_get_int(w) == 20);
	cr_expect(!json_object_object_get_ex(v, "event", &w), "no event inside the document");
	json_object_put(o);
	free(out);
}

Test(record, text_prints_nothing)
{
	char *out = write_record(PE_REC_TEXT);

	cr_expect_str_eq(out, "");
	free(out);
}

/* The commit baked in is the checkout's HEAD (with -dirty when tracked files differ). */
Test(record, version_is_the_checkout)
{
	struct pe_run r;
	const char *c = pe_git_commit();

	cr_assert_eq(pe_run(&r, "git -C %s rev-parse HEAD 2>/dev/null", PE_TEST_SRC), 0);
	if (r.status) {
		cr_expect_str_eq(c, "unknown");
	} else {
		cr_expect_eq(strncmp(c, r.out, 40), 0, "built %s, HEAD %s", c, r.out);
		cr_expect(c[40] == '\0' || !strcmp(c + 40, "-dirty"), "%s", c);
	}
	pe_run_free(&r);
	cr_assert_eq(pe_run(&r, "%s --version", PE_TEST_BIN), 0);
	cr_expect_eq(r.status, 0);
	cr_expect(!strncmp(r.out, "pkteng ", 7) && strstr(r.out, c), "%s", r.out);
	cr_expect(strstr(r.out, "\nio_uring:") && strstr(r.out, "\nxdp:"), "%s", r.out);
	pe_run_free(&r);
}

Test(record, dev_loopback)
{
	struct json_object *o = pe_dev_json("lo"), *v;

	cr_assert(o);
	cr_expect(json_object_object_get_ex(o, "mtu", &v) && json_object_get_int(v) == 65536, "%s",
		  json_object_to_json_string(o));
	cr_expect(json_object_object_get_ex(o, "ifindex", &v) && json_object_get_int(v) == 1);
	cr_expect(json_object_object_get_ex(o, "qdisc", &v) &&
			  !strcmp(json_object_get_string(v), "noqueue"),
		  "%s", json_object_to_json_string(o));
	cr_expect(json_object_object_get_ex(o, "offloads_on", &v) &&
		  json_object_is_type(v, json_type_array));
	json_object_put(o);
	errno = 0;
	cr_expect_null(pe_dev_json("pe-no-such-if"));
	cr_expect_eq(errno, ENODEV);
}

Test(record, round_floats_of_other_objects)
{
	struct json_object *o = json_tokener_parse(
		"{\"a\":0.29999999999999999,\"b\":[1.0,2,{\"c\":123456.789}],\"d\":\"x\",\"e\":7}");

	cr_assert(o);
	pe_rec_round(o);
	expect_text(o, "{\"a\":0.3,\"b\":[1,2,{\"c\":123457}],\"d\":\"x\",\"e\":7}");
}

/* The second signal is not caught: Ctrl-C twice exits at once. */
Test(record, second_signal_takes_its_default_action, .signal = SIGTERM)
{
	pe_stop_catch();
	raise(SIGTERM);
	cr_assert(pe_stopped(), "the first one only sets the flag");
	usleep(250000);
	raise(SIGTERM);
	cr_assert_fail("still running after the second SIGTERM");
}

/* timeout(1) sends its signal to the process and then to its process group: a repeat that
 * comes at once is the same stop, not a second one. */
Test(record, a_repeat_at_once_is_the_same_stop)
{
	pe_stop_catch();
	raise(SIGTERM);
	raise(SIGTERM);
	cr_assert(pe_stopped());
	cr_expect_eq(pe_stop_signal(), SIGTERM);
}

/* Outside a git checkout the commit is "unknown", and the header is rewritten only when it
 * changes (its time stays when nothing did, so nothing recompiles). */
Test(record, build_info_outside_git)
{
	char *dir = pe_tmpdir(), *h;
	struct pe_run r;
	struct stat st0, st1;
	char path[300];

	cr_assert(dir);
	snprintf(path, sizeof(path), "%s/b.h", dir);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(pe_run(&r,
				    "cmake -DSRC=%s -DOUT=%s -DVERSION=9.8.7 -P "
				    "%s/record/build_info.cmake",
				    dir, path, PE_TEST_SRC),
			     0);
		cr_assert_eq(r.status, 0, "%s", r.err);
		pe_run_free(&r);
		cr_assert_eq(stat(path, i ? &st1 : &st0), 0);
		if (!i)
			usleep(20000);
	}
	h = pe_read_file(path, NULL);
	cr_assert(h);
	cr_expect(strstr(h, "#define PE_BUILD_VERSION \"9.8.7\"\n"), "%s", h);
	cr_expect(strstr(h, "#define PE_BUILD_GIT_COMMIT \"unknown\"\n"), "%s", h);
	cr_expect(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
			  st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec,
		  "rewritten although nothing changed");
	free(h);
	pe_tmpdir_remove(dir);
}

/* docs/results.md names every key the schema defines, so the page and the schema that the
 * output tests hold the commands to cannot drift apart. */
Test(record, the_page_names_every_key_of_the_schema)
{
	struct pe_run r;

	cr_assert_eq(pe_run(&r,
			    "%s %s/tests/record/validate.py %s/docs/results.schema.json doc "
			    "%s/docs/results.md",
			    PE_PYTHON, PE_TEST_SRC, PE_TEST_SRC, PE_TEST_SRC),
		     0);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(!strncmp(r.out, "ok ", 3), "%s", r.out);
	pe_run_free(&r);
}
