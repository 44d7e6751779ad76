/* embed.c — see embed.h. */
#include "core/embed.h"

#include <string.h>

#include "core/banned.h"

const souk_embedded_file *souk_embed_find(const souk_embedded_file *files, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(files[i].name, name) == 0)
            return &files[i];
    return NULL;
}
