#ifndef SLUICE_CLIBZIP_SHIM_H
#define SLUICE_CLIBZIP_SHIM_H
#include <zip.h>
#endif
