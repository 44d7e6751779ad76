/*
 * qr.h — QR codes for the storefront's two-factor enrolment, drawn as
 * inline SVG from libqrencode's module matrix (error correction level M,
 * 8-bit mode).
 */
#ifndef SOUK_WEB_QR_H
#define SOUK_WEB_QR_H

#include "core/buf.h"
#include "web/html.h"

/* Appends an <svg role="img" aria-label=LABEL> drawing TEXT (1..1024
 * bytes) as a QR code with a four-module quiet zone, dark modules as one
 * path. 0, or -1 when TEXT is empty, too long or cannot be encoded (nothing
 * appended). */
int souk_web_qr_svg(souk_buf *b, const char *text, const char *label);

/* The module matrix of TEXT into OUT (row-major, 1 = dark, no quiet zone)
 * when its width is at most MAX_WIDTH (OUT holds MAX_WIDTH²). Returns the
 * width, or -1. For tests. */
int souk_web_qr_matrix(const char *text, unsigned char *out, int max_width);

#endif
