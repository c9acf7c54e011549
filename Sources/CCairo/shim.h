// Cairo, for every picture Unrolled paints (SVG and PNG surfaces). Only the Diagrams module
// imports this.
#ifndef UNROLLED_CCAIRO_SHIM_H
#define UNROLLED_CCAIRO_SHIM_H
#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>
#endif
