/* SPDX-License-Identifier: BSD-2-Clause */
/* The HTML report: a fixed grid of absolutely placed boxes, so the page looks the same in
 * every browser and a test can find every plot by the position the page states for it. */
#include "plot/report.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plot/gnuplot.h"
#include "plot/plots.h"

#define PAGE_X 10 /* the page box's offset from the document's corner */
#define GAP    15
#define PAGE_W 1170 /* a literal: it goes into the CSS text */
_Static_assert(PAGE_W == PE_REPORT_COLS * PE_REPORT_PLOT_W + (PE_REPORT_COLS - 1) * GAP,
	       "PAGE_W is the grid's width");
#define NOTE_H	    48 /* a cell that says why it has no plot: two or three lines */
#define MAX_GROUPS  16
#define MAX_METRICS 64
#define PE_STR_(x)  #x
#define PE_STR(x)   PE_STR_(x)

struct page {
	struct pe_buf html;
	unsigned y;	/* where the next row starts */
	unsigned col;	/* next free column of the current plot row */
	bool drawn;	/* the current row has a plot, not only notes */
	unsigned plots; /* drawn so far; numbers the id prefixes */
	char *err;
	size_t errlen;
};

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static void esc(struct pe_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			pe_buf_add(b, "&lt;");
			break;
		case '>':
			pe_buf_add(b, "&gt;");
			break;
		case '&':
			pe_buf_add(b, "&amp;");
			break;
		case '"':
			pe_buf_add(b, "&quot;");
			break;
		default:
			pe_buf_put(b, s, 1);
		}
	}
}

/* A JSON value as text: strings bare, null as "-", the rest as JSON. */
static void esc_json(struct pe_buf *b, struct json_object *v)
{
	if (!v)
		esc(b, "-");
	else if (json_object_is_type(v, json_type_string))
		esc(b, json_object_get_string(v));
	else
		esc(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

char *pe_report_inline_svg(const char *svg, const char *prefix)
{
	static const char *const drop[] = { " xmlns=\"http://www.w3.org/2000/svg\"",
					    " xmlns:xlink=\"http://www.w3.org/1999/xlink\"" };
	static const char *const idref[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	const char *p = strstr(svg, "<svg");
	struct pe_buf b = { 0 };

	if (!p)
		p = svg;
	while (*p) {
		size_t i, hit = 0;

		for (i = 0; i < 2 && !hit; i++)
			if (!strncmp(p, drop[i], strlen(drop[i])))
				hit = strlen(drop[i]);
		if (!hit && (p[0] == '\n' || p[0] == ' ') && !strncmp(p + 1, drop[0] + 1, 6) &&
		    strstr(p, "=\"http://www.w3.org/") == strchr(p, '=')) {
			/* a namespace declaration on a line of its own */
			const char *q = strchr(p, '"');

			q = q ? strchr(q + 1, '"') : NULL;
			hit = q ? (size_t)(q + 1 - p) : 0;
		}
		if (hit) {
			p += hit;
			continue;
		}
		for (i = 0; i < 5; i++)
			if (!strncmp(p, idref[i], strlen(idref[i])))
				break;
		if (i < 5) {
			pe_buf_put(&b, p, strlen(idref[i]));
			pe_buf_add(&b, "%s", prefix);
			p += strlen(idref[i]);
			continue;
		}
		pe_buf_put(&b, p, 1);
		p++;
	}
	if (b.oom) {
		pe_buf_free(&b);
		errno = ENOMEM;
		return NULL;
	}
	return b.p;
}

/* Starts a box of the grid: w x h CSS pixels at (x, y) of the page. */
static void box(struct page *pg, const char *cls, unsigned x, unsigned y, unsigned w, unsigned h)
{
	pe_buf_add(&pg->html,
		   "<div class=\"%s\" data-x=\"%u\" data-y=\"%u\" data-w=\"%u\" data-h=\"%u\" "
		   "style=\"left:%upx;top:%upx;width:%upx;height:%upx\">",
		   cls, PAGE_X + x, y, w, h, x, y, w, h);
}

/* A row of notes only is as tall as a note, not as a plot. */
static void row_end(struct page *pg)
{
	if (pg->col) {
		pg->y += (pg->drawn ? PE_REPORT_PLOT_H : NOTE_H) + GAP;
		pg->col = 0;
		pg->drawn = false;
	}
}

static void text_row(struct page *pg, const char *cls, unsigned h, const char *html)
{
	row_end(pg);
	box(pg, cls, 0, pg->y, PAGE_W, h);
	pe_buf_add(&pg->html, "%s</div>\n", html);
	pg->y += h + 5;
}

/* Runs one plot's script and places the SVG in the next cell of the grid, or (wide) in a row
 * of its own as wide as the page. A plot with nothing to draw (n == 0) leaves a note saying
 * why in its place instead: a cell, or a line of text for a wide plot. */
static int place(struct page *pg, struct pe_buf *script, int n, const char *name,
		 const char *empty_why, bool wide)
{
	struct pe_buf svg = { 0 }, note = { 0 };
	char prefix[24], e[400];
	unsigned x = pg->col * (PE_REPORT_PLOT_W + GAP);
	char *inl;
	int r;

	if (n < 0) {
		snprintf(pg->err, pg->errlen, "plot %s: out of memory", name);
		return n;
	}
	if (wide)
		row_end(pg);
	if (n == 0) {
		esc(&note, name);
		pe_buf_add(&note, ": ");
		esc(&note, empty_why);
		if (wide) {
			text_row(pg, "note", 24, note.p ? note.p : "");
			pe_buf_free(&note);
			return 0;
		}
		box(pg, "note", x, pg->y, PE_REPORT_PLOT_W, NOTE_H);
		pe_buf_add(&pg->html, "%s</div>\n", note.p ? note.p : "");
		pe_buf_free(&note);
	} else {
		r = pe_gnuplot_run(script->p, script->len, &svg, e, sizeof(e));
		if (r) {
			snprintf(pg->err, pg->errlen, "plot %s: %s", name, e);
			pe_buf_free(&svg);
			return r;
		}
		snprintf(prefix, sizeof(prefix), "p%u_", pg->plots++);
		inl = pe_report_inline_svg(svg.p, prefix);
		pe_buf_free(&svg);
		if (!inl) {
			snprintf(pg->err, pg->errlen, "plot %s: out of memory", name);
			return -ENOMEM;
		}
		box(pg, "plot", x, pg->y, wide ? PAGE_W : PE_REPORT_PLOT_W, PE_REPORT_PLOT_H);
		pg->drawn = true;
		pe_buf_add(&pg->html, "%s</div>\n", inl);
		free(inl);
	}
	if (wide)
		pg->col = PE_REPORT_COLS - 1;
	if (++pg->col == PE_REPORT_COLS)
		row_end(pg);
	return 0;
}

static void meta_side(struct pe_buf *b, const struct pe_results *res)
{
	struct json_object *s = res->suite, *host = get(s, "host"), *vs = get(s, "variants");
	static const char *const keys[] = { "suite_file", "runs",    "warmup_runs",
					    "order",	  "seed",    "start_utc",
					    "end_utc",	  "partial", "interrupted" };

	pe_buf_add(b, "<td><b>");
	esc(b, res->dir);
	pe_buf_add(b, "</b><br>host: ");
	json_object_object_foreach(host, k, v)
	{
		esc(b, k);
		pe_buf_add(b, " ");
		esc_json(b, v);
		pe_buf_add(b, "; ");
	}
	pe_buf_add(b, "<br>");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		pe_buf_add(b, "%s: ", keys[i]);
		esc_json(b, get(s, keys[i]));
		pe_buf_add(b, "; ");
	}
	for (size_t i = 0; vs && i < json_object_array_length(vs); i++) {
		pe_buf_add(b, "<br>variant ");
		json_object_object_foreach(json_object_array_get_idx(vs, i), vk, vv)
		{
			esc(b, vk);
			pe_buf_add(b, " ");
			esc_json(b, vv);
			pe_buf_add(b, "; ");
		}
	}
	pe_buf_add(b, "</td>");
}

/* The compare's metadata_differences (the sides ran on another kernel, CPU, commit...), one
 * line each, as `pkteng compare` warns of them; nothing when there are none. */
static void meta_diffs(struct pe_buf *b, struct json_object *cmp)
{
	struct json_object *d = get(cmp, "metadata_differences");

	for (size_t i = 0; d && i < json_object_array_length(d); i++) {
		struct json_object *x = json_object_array_get_idx(d, i);

		pe_buf_add(b, "%s", i ? "<br>" : "");
		pe_buf_add(b, "<b>differs:</b> ");
		esc(b, json_object_get_string(get(x, "field")));
		pe_buf_add(b, ": base ");
		esc_json(b, get(x, "base"));
		pe_buf_add(b, ", new ");
		esc_json(b, get(x, "new"));
	}
}

/* How many lines the text of html takes in a column w_px wide: each <br> starts a line, and
 * a line wraps every w_px of characters of the meta box's 12px font (about 7px each, a little
 * more than it takes, so that the box is never too short for its text). */
static unsigned text_lines(const char *html, unsigned w_px)
{
	unsigned lines = 0, chars = 0;
	const char *p = html ? html : "", *q;

	while (*p) {
		if (!strncmp(p, "<br>", 4) || !strncmp(p, "</td>", 5)) {
			lines += 1 + chars * 7 / w_px;
			chars = 0;
		}
		if (*p == '<') {
			q = strchr(p, '>');
			p = q ? q + 1 : p + strlen(p);
			continue;
		}
		q = *p == '&' ? strchr(p, ';') : NULL;
		p = q ? q + 1 : p + 1;
		chars++;
	}
	return lines;
}

static void header(struct page *pg, const struct pe_report_opts *o, const struct pe_group *g,
		   size_t ng)
{
	struct pe_buf b = { 0 }, side = { 0 };
	unsigned lines = 1;

	pe_buf_add(&b, "<h1>");
	esc(&b, o->title ? o->title : "pkteng report");
	pe_buf_add(&b, "</h1>");
	text_row(pg, "title", 40, b.p ? b.p : "");
	b.len = 0;
	pe_buf_add(&b, "<table><tr>");
	for (size_t i = 0; i < o->n_res; i++) {
		unsigned n;

		side.len = 0;
		meta_side(&side, &o->res[i]);
		n = text_lines(side.p, PAGE_W / (unsigned)o->n_res - 16);
		lines = n > lines ? n : lines;
		pe_buf_put(&b, side.p ? side.p : "", side.len);
	}
	pe_buf_free(&side);
	pe_buf_add(&b, "</tr></table>");
	text_row(pg, "meta", 15 * lines + 12, b.p ? b.p : "");
	b.len = 0;
	meta_diffs(&b, o->cmp);
	if (b.len)
		text_row(pg, "metadiff", 15 * (1 + text_lines(b.p, PAGE_W - 16)) + 12, b.p);
	b.len = 0;
	pe_buf_add(&b, "colours: ");
	for (size_t i = 0; i < ng; i++) {
		pe_buf_add(&b, "<span class=\"sw\" style=\"background:%s\"></span>",
			   pe_plot_colour(i));
		esc(&b, g[i].label);
		pe_buf_add(&b, " &nbsp; ");
	}
	pe_buf_add(&b, "&mdash; runs that failed are left out of every plot");
	text_row(pg, "legend", 24, b.p ? b.p : "");
	pe_buf_free(&b);
}

static void cmp_table(struct page *pg, const struct pe_report_opts *o, const char *point)
{
	static const char *const cols[] = { "metric",	     "n_base",	     "n_new",
					    "left_out_base", "left_out_new", "median_base",
					    "median_new",    "ratio",	     "ci_low",
					    "ci_high",	     "p_value",	     "verdict" };
	struct json_object *rows = get(o->cmp, "rows");
	struct pe_buf b = { 0 };

	if (!o->cmp) {
		pe_buf_add(&b, "compare: ");
		esc(&b, o->cmp_why ? o->cmp_why : "none");
		text_row(pg, "cmp", 24, b.p);
		pe_buf_free(&b);
		return;
	}
	pe_buf_add(&b, "<table><tr>");
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		pe_buf_add(&b, "<th>%s</th>", cols[c]);
	pe_buf_add(&b, "</tr>");
	for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
		struct json_object *r = json_object_array_get_idx(rows, i);
		const char *v = json_object_get_string(get(r, "verdict"));

		if (strcmp(json_object_get_string(get(r, "point")) ?: "", point))
			continue;
		pe_buf_add(&b, "<tr class=\"%s\">",
			   !v			       ? ""
			   : !strcmp(v, "regression")  ? "bad"
			   : !strcmp(v, "improvement") ? "good"
						       : "");
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			pe_buf_add(&b, "<td>");
			esc_json(&b, get(r, cols[c]));
			pe_buf_add(&b, "</td>");
		}
		pe_buf_add(&b, "</tr>");
	}
	pe_buf_add(&b, "</table>");
	text_row(pg, "cmp", 160, b.p ? b.p : "");
	pe_buf_free(&b);
}

static int point_section(struct page *pg, const struct pe_report_opts *o, const struct pe_group *g,
			 size_t ng, const char *point)
{
	const char *metrics[MAX_METRICS], *key;
	size_t nm = pe_point_metrics(g, ng, point, metrics, MAX_METRICS);
	struct pe_buf b = { 0 }, s = { 0 };
	char name[300];
	int r = 0, series = 0;

	pe_buf_add(&b, "<h2>");
	esc(&b, point);
	pe_buf_add(&b, "</h2>");
	text_row(pg, "point", 34, b.p ? b.p : "");
	pe_buf_free(&b);
	for (size_t m = 0; m < nm && !r; m++) {
		s.len = 0;
		pe_gnuplot_terminal(&s, PE_PLOT_SVG, PE_REPORT_PLOT_W, PE_REPORT_PLOT_H);
		snprintf(name, sizeof(name), "%s box %s", point, metrics[m]);
		r = place(pg, &s, pe_plot_box(&s, g, ng, point, metrics[m]), name, "no runs",
			  false);
	}
	if (!nm && !r) {
		s.len = 0;
		r = place(pg, &s, 0, point, "no run of this point succeeded", false);
	}
	row_end(pg);
	key = pe_series_key(g, ng, point);
	if (!r) {
		s.len = 0;
		pe_gnuplot_terminal(&s, PE_PLOT_SVG, PE_REPORT_PLOT_W, PE_REPORT_PLOT_H);
		snprintf(name, sizeof(name), "%s series %s", point, key ? key : "");
		/* with a key, nothing to draw means no run lasted two intervals */
		series = key ? pe_plot_series(&s, g, ng, point, key) : 0;
		r = place(pg, &s, series, name,
			  key ? "every run has a single interval: nothing to draw over time"
			      : "the records have no interval rates",
			  false);
	}
	if (!r) {
		s.len = 0;
		pe_gnuplot_terminal(&s, PE_PLOT_SVG, PE_REPORT_PLOT_W, PE_REPORT_PLOT_H);
		snprintf(name, sizeof(name), "%s cdf", point);
		r = place(pg, &s, pe_plot_cdf(&s, g, ng, point), name,
			  "the records have no latency histogram (lat_hist)", false);
	}
	row_end(pg);
	if (!r && series > 0)
		text_row(pg, "note", 20,
			 "Series: each run's total over the interval; the records carry no "
			 "per-flow intervals, so flows are not drawn apart.");
	/* the forest plot sits over the table it draws; without a compare the line in the
	 * table's place says why */
	if (!r && o->cmp) {
		s.len = 0;
		pe_gnuplot_terminal(&s, PE_PLOT_SVG, PAGE_W, PE_REPORT_PLOT_H);
		snprintf(name, sizeof(name), "%s forest", point);
		r = place(pg, &s, pe_plot_forest(&s, o->cmp, point), name,
			  "no metric has a ratio with an interval (the table gives each verdict)",
			  true);
	}
	pe_buf_free(&s);
	if (r)
		return r;
	cmp_table(pg, o, point);
	return 0;
}

static const char css[] =
	"body{margin:0;background:#f4f4f4;font:13px sans-serif;color:#222}"
	"#page{position:relative;left:" PE_STR(PAGE_X) "px;top:0;width:" PE_STR(
		PAGE_W) "px}"
			"#page>div{position:absolute;box-sizing:border-box;overflow:auto}"
			".plot,.point,.title,.legend{overflow:hidden}.plot{background:#fff}.plot "
			"svg{display:block}"
			".note{color:#666;font-style:italic}.metadiff{font-size:12px;color:#a00}"
			".meta{font-size:12px;background:#fff}"
			".meta table{width:100%;table-layout:fixed}.meta td{overflow-wrap:anywhere}"
			"h1{font-size:20px;margin:6px 0}h2{font-size:16px;margin:8px 0}"
			"table{border-collapse:collapse;font-size:12px}td,th{border:1px solid "
			"#ccc;padding:2px 5px;"
			"vertical-align:top;text-align:right}.meta td{text-align:left}"
			"tr.bad td{background:#fdd}tr.good td{background:#dfd}"
			".sw{display:inline-block;width:12px;height:12px;margin:0 "
			"4px;vertical-align:middle}";

int pe_report_html(FILE *f, const struct pe_report_opts *o, char *err, size_t errlen)
{
	struct page pg = { .err = err, .errlen = errlen };
	struct pe_group g[MAX_GROUPS];
	size_t ng = pe_groups(o->res, o->n_res, g, MAX_GROUPS);
	const char *points[256];
	size_t np = o->n_res ? pe_points(&o->res[0], points, 256) : 0;
	int r = 0;

	header(&pg, o, g, ng);
	for (size_t i = 0; i < np && !r; i++)
		r = point_section(&pg, o, g, ng, points[i]);
	if (!r && pg.html.oom) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
	}
	if (!r) {
		fprintf(f,
			"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<title>pkteng report</title><style>%s</style></head>\n<body>"
			"<div id=\"page\" data-w=\"%u\" data-h=\"%u\" style=\"height:%upx\">\n",
			css, PAGE_X + PAGE_W + 10, pg.y + 10, pg.y);
		fwrite(pg.html.p, 1, pg.html.len, f);
		fprintf(f, "</div></body></html>\n");
		if (ferror(f)) {
			snprintf(err, errlen, "writing the report: %s", strerror(errno));
			r = -EIO;
		}
	}
	pe_buf_free(&pg.html);
	return r ? r : (int)pg.plots;
}
