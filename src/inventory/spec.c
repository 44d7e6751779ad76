/* spec.c — input specs and validators of the inventory (see inventory.h). */
#include "inventory/inventory.h"

#include <stddef.h>
#include <string.h>

#include "core/banned.h"

const char *souk_inventory_check_code(const char *s, size_t len)
{
    if (len == 0 || len > SOUK_INVENTORY_CODE_MAX)
        return "must be 1-32 characters";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return "must use only letters, digits, '_' and '-'";
    }
    return NULL;
}

const char *souk_inventory_check_reason(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return NULL;
    return "must not be empty";
}

static const char *name_check(const char *s, size_t len)
{
    return souk_inventory_check_reason(s, len) ? "must not be empty" : NULL;
}

#define F(name, type, flags, field, min, max) \
    {name, type, flags, offsetof(STRUCT, field), min, max, 0, NULL, NULL, NULL, NULL}
#define FS(name, flags, field, min, max, check) \
    {name, SOUK_JSON_STRING, flags, offsetof(STRUCT, field), min, max, 0, NULL, check, NULL, NULL}
#define SPEC(fields) {fields, sizeof fields / sizeof fields[0], sizeof(STRUCT), offsetof(STRUCT, present), \
                      offsetof(STRUCT, nulls)}

#define STRUCT souk_warehouse_in
static const souk_json_field warehouse_create_fields[] = {
    [SOUK_WF_CODE] = FS("code", SOUK_JSON_REQUIRED, code, 1, SOUK_INVENTORY_CODE_MAX, souk_inventory_check_code),
    [SOUK_WF_NAME] = FS("name", SOUK_JSON_REQUIRED, name, 1, SOUK_INVENTORY_NAME_MAX, name_check),
};
const souk_json_spec souk_inventory_warehouse_create_spec = SPEC(warehouse_create_fields);
static const souk_json_field warehouse_update_fields[] = {
    [SOUK_WF_CODE] = FS("code", 0, code, 1, SOUK_INVENTORY_CODE_MAX, souk_inventory_check_code),
    [SOUK_WF_NAME] = FS("name", 0, name, 1, SOUK_INVENTORY_NAME_MAX, name_check),
};
const souk_json_spec souk_inventory_warehouse_update_spec = SPEC(warehouse_update_fields);
#undef STRUCT

#define STRUCT souk_stock_set_in
static const souk_json_field stock_set_fields[] = {
    [SOUK_SF_ON_HAND] = F("on_hand", SOUK_JSON_INT, SOUK_JSON_REQUIRED, on_hand, 0, SOUK_INVENTORY_QTY_MAX),
    [SOUK_SF_THRESHOLD] = F("low_stock_threshold", SOUK_JSON_INT, 0, low_stock_threshold, 0, SOUK_INVENTORY_QTY_MAX),
    [SOUK_SF_REASON] = FS("reason", SOUK_JSON_REQUIRED, reason, 1, SOUK_INVENTORY_REASON_MAX,
                          souk_inventory_check_reason),
};
const souk_json_spec souk_inventory_stock_set_spec = SPEC(stock_set_fields);
#undef STRUCT

#define STRUCT souk_stock_adjust_in
static const souk_json_field stock_adjust_fields[] = {
    [SOUK_AF_DELTA] = F("delta", SOUK_JSON_INT, SOUK_JSON_REQUIRED, delta, -SOUK_INVENTORY_QTY_MAX,
                        SOUK_INVENTORY_QTY_MAX),
    [SOUK_AF_REASON] = FS("reason", SOUK_JSON_REQUIRED, reason, 1, SOUK_INVENTORY_REASON_MAX,
                          souk_inventory_check_reason),
};
const souk_json_spec souk_inventory_stock_adjust_spec = SPEC(stock_adjust_fields);
#undef STRUCT
