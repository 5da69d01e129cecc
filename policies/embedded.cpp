// The definitions live in the generated embedded_data.cpp; this file anchors
// the header so the library has a hand-written translation unit.
#include "embedded.hpp"
