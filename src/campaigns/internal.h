/* internal.h — what the files of src/campaigns share; not for other modules. */
#ifndef SOUK_CAMPAIGNS_INTERNAL_H
#define SOUK_CAMPAIGNS_INTERNAL_H

#include "campaigns/campaigns.h"

/* The shop's public origin for links in mail (SOUK_PUBLIC_URL, else http://localhost:8080). */
const char *souk__campaigns_origin(void);

#endif
