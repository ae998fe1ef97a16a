/* SPDX-License-Identifier: BSD-2-Clause */
/* The version and the commit pkteng was built from, from the header the build regenerates
 * whenever either changes (build_info.cmake); only this file recompiles then. */
#include "record/meta.h"

#include "pkteng_build.h"

const char *pe_version(void)
{
	return PE_BUILD_VERSION;
}

const char *pe_git_commit(void)
{
	return PE_BUILD_GIT_COMMIT;
}
