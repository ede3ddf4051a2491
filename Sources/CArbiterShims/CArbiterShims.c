// Everything in this target is a static inline function in include/CArbiterShims.h.
#include "CArbiterShims.h"
