// The declaration in include/CFuzzDriver.h is all this target provides; SwiftPM wants a
// source file in every C target.
#include "CFuzzDriver.h"
