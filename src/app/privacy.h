/*
 * privacy.h — the wiring of the GDPR export and erasure: which contexts
 * keep personal data, registered with identity (identity.h) so that
 * identity depends on none of them.
 */
#ifndef SOUK_APP_PRIVACY_H
#define SOUK_APP_PRIVACY_H

/* Registers the export and erasure steps of audit, orders and mail with
 * identity, once per process (later calls do nothing). Call before serving
 * requests. Returns 0, or -1 when identity refused a step (our bug). */
int souk_app_privacy_register(void);

#endif
