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

static const souk_json_field warehouse_create_fields[] = {
    [SOUK_WF_CODE] = SOUK_JSON_F_STRING("code", SOUK_JSON_REQUIRED, souk_warehouse_in, code, 1, SOUK_INVENTORY_CODE_MAX,
                                        souk_inventory_check_code),
    [SOUK_WF_NAME] =
        SOUK_JSON_F_STRING("name", SOUK_JSON_REQUIRED, souk_warehouse_in, name, 1, SOUK_INVENTORY_NAME_MAX, name_check),
};
const souk_json_spec souk_inventory_warehouse_create_spec = SOUK_JSON_SPEC(souk_warehouse_in, warehouse_create_fields);
static const souk_json_field warehouse_update_fields[] = {
    [SOUK_WF_CODE] =
        SOUK_JSON_F_STRING("code", 0, souk_warehouse_in, code, 1, SOUK_INVENTORY_CODE_MAX, souk_inventory_check_code),
    [SOUK_WF_NAME] = SOUK_JSON_F_STRING("name", 0, souk_warehouse_in, name, 1, SOUK_INVENTORY_NAME_MAX, name_check),
};
const souk_json_spec souk_inventory_warehouse_update_spec = SOUK_JSON_SPEC(souk_warehouse_in, warehouse_update_fields);

static const souk_json_field stock_set_fields[] = {
    [SOUK_SF_ON_HAND] =
        SOUK_JSON_F_INT("on_hand", SOUK_JSON_REQUIRED, souk_stock_set_in, on_hand, 0, SOUK_INVENTORY_QTY_MAX),
    [SOUK_SF_THRESHOLD] =
        SOUK_JSON_F_INT("low_stock_threshold", 0, souk_stock_set_in, low_stock_threshold, 0, SOUK_INVENTORY_QTY_MAX),
    [SOUK_SF_REASON] = SOUK_JSON_F_STRING("reason", SOUK_JSON_REQUIRED, souk_stock_set_in, reason, 1,
                                          SOUK_INVENTORY_REASON_MAX, souk_inventory_check_reason),
};
const souk_json_spec souk_inventory_stock_set_spec = SOUK_JSON_SPEC(souk_stock_set_in, stock_set_fields);

static const souk_json_field stock_adjust_fields[] = {
    [SOUK_AF_DELTA] = SOUK_JSON_F_INT("delta", SOUK_JSON_REQUIRED, souk_stock_adjust_in, delta, -SOUK_INVENTORY_QTY_MAX,
                                      SOUK_INVENTORY_QTY_MAX),
    [SOUK_AF_REASON] = SOUK_JSON_F_STRING("reason", SOUK_JSON_REQUIRED, souk_stock_adjust_in, reason, 1,
                                          SOUK_INVENTORY_REASON_MAX, souk_inventory_check_reason),
};
const souk_json_spec souk_inventory_stock_adjust_spec = SOUK_JSON_SPEC(souk_stock_adjust_in, stock_adjust_fields);
