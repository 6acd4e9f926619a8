// The hints are static inline functions in the header; this file gives the target a body.
#include "sluice_hints.h"
