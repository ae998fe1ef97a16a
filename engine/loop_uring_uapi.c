/* SPDX-License-Identifier: BSD-2-Clause */
/* Constants the kernel's uapi <linux/io_uring.h> (Debian's 6.1) has and liburing 2.3's bundled
 * copy lacks. The two headers cannot share a translation unit, so the values are taken here,
 * from the kernel's own header, and exported to the backend. */
#include <linux/io_uring.h>

const unsigned pe__ur_send_zc_report_usage = IORING_SEND_ZC_REPORT_USAGE;
const unsigned pe__ur_notif_usage_zc_copied = IORING_NOTIF_USAGE_ZC_COPIED;
