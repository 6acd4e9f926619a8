#ifndef SLUICE_CLIBZIP_SHIM_H
#define SLUICE_CLIBZIP_SHIM_H
#include <zip.h>
// libzip's own dependency (libzip-dev installs zlib1g-dev): Sluice inflates deflated entries
// itself, to check their CRC with `sluice_crc32_fold` rather than zlib's table loop.
#include <zlib.h>
#endif
